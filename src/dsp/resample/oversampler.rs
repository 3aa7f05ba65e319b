//! 2x / 4x oversampling around a nonlinear process, built from cascaded half-band stages.
//!
//! 2x is one half-band stage up and, down, a longer low-pass that is already well into its
//! stopband at the base-rate Nyquist frequency (a half-band is only -6 dB there; see
//! [`DECIMATOR_2X_TAPS`]). 4x is one half-band stage up and down with a second, much shorter
//! stage inside the first: at the 2x rate the audio band occupies less than a quarter of the
//! band, so the second stage's transition band is wide. Every filter is linear phase, so the whole round trip is a
//! pure delay in the passband; the delays are made an integer number of base-rate samples (see
//! [`Oversampler::new`]) so a dry signal can be aligned with a plain delay line.

use crate::dsp::resample::design::{halfband_side_taps, DECIMATOR_2X_TAPS};
use crate::dsp::resample::polyphase::{FirDecimator, HalfbandDownsampler, HalfbandUpsampler};
use crate::dsp::MAX_CHUNK;

/// Audio band kept flat: 20 kHz at 44.1 kHz, i.e. 45.35 % of the base rate (21.8 kHz at 48 kHz).
/// The design scales with the rate, so the band is a fixed fraction of Nyquist at every rate.
pub const PASSBAND_FRACTION_OF_RATE: f64 = 20.0 / 44.1;

/// First stage: the transition band is only 10 % of the base rate, so it sets the cost and the
/// latency. 80 dB keeps both the images fed to the shaper and the harmonics folded back by the
/// decimator below the -70 dB aliasing target with margin; the ripple this implies
/// (1e-4, 0.001 dB per filter) is far inside the +-0.01 dB round-trip budget.
pub const STAGE1_ATTEN_DB: f64 = 80.0;
/// Second stage: its transition band is wide, so 90 dB costs only six multiplies per output.
pub const STAGE2_ATTEN_DB: f64 = 90.0;

/// Oversampling ratio of the nonlinear process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OversamplingFactor {
    #[default]
    X2,
    X4,
}

impl OversamplingFactor {
    pub fn ratio(self) -> usize {
        match self {
            Self::X2 => 2,
            Self::X4 => 4,
        }
    }
}

/// Tap sets of both stages, designed once and shared by every oversampler that uses them.
#[derive(Debug, Clone)]
pub struct OversamplerDesign {
    stage1: Vec<f64>,
    stage2: Vec<f64>,
}

impl Default for OversamplerDesign {
    fn default() -> Self {
        let edge = PASSBAND_FRACTION_OF_RATE / 2.0;
        Self {
            stage1: halfband_side_taps(edge, STAGE1_ATTEN_DB),
            stage2: halfband_side_taps(edge / 2.0, STAGE2_ATTEN_DB),
        }
    }
}

impl OversamplerDesign {
    /// Natural (unpadded) round-trip latency of a factor, in base-rate samples.
    /// 4x: two stage-1 filters, each delaying `c1 = 2 K1 - 1` samples at the 2x rate, make
    /// `2 c1` samples at 2x = `c1` base samples; the inner stage adds `2 c2` samples at 4x =
    /// `c2` at 2x; `c2` is odd, so one more 2x sample is inserted to make the 2x-rate total even,
    /// i.e. a whole number of base samples. 2x: the stage-1 interpolator (`c1` at 2x) and the
    /// 2x decimator (`d` at 2x, odd like `c1`): `(c1 + d) / 2` base samples. The decimator is
    /// as long as the 4x path's latency allows, so both factors have the same latency.
    pub fn latency_samples(&self, factor: OversamplingFactor) -> usize {
        let c1 = 2 * self.stage1.len() - 1;
        let c2 = 2 * self.stage2.len() - 1;
        match factor {
            OversamplingFactor::X2 => (c1 + DECIMATOR_2X_TAPS.len() - 1) / 2,
            OversamplingFactor::X4 => c1 + c2.div_ceil(2),
        }
    }
}

/// Stereo oversampler of a fixed factor. Runs a caller-supplied process at the high rate.
#[derive(Debug, Clone)]
pub struct Oversampler {
    factor: OversamplingFactor,
    up1: HalfbandUpsampler,
    down1: Decimator,
    /// Inner stage (4x only).
    inner: Option<(HalfbandUpsampler, HalfbandDownsampler)>,
    /// The 2x-rate sample held back to make the 4x latency whole (4x only), per channel.
    bridge: [f32; 2],
    /// 2x-rate block, per channel.
    mid: [Vec<f32>; 2],
    /// 4x-rate block, per channel (4x only).
    high: [Vec<f32>; 2],
    /// Output padding: `pad` samples of history followed by the block, per channel.
    pad_line: [Vec<f32>; 2],
    pad: usize,
    latency: usize,
}

impl Oversampler {
    /// The round trip is padded (delay after the decimator) to `min_latency_samples` when that is
    /// more than the factor's natural latency, so factors can be swapped without moving the
    /// output in time.
    pub fn new(design: &OversamplerDesign, factor: OversamplingFactor, min_latency_samples: usize) -> Self {
        let natural = design.latency_samples(factor);
        let latency = natural.max(min_latency_samples);
        let pad = latency - natural;
        let inner = match factor {
            OversamplingFactor::X2 => None,
            OversamplingFactor::X4 => Some((
                HalfbandUpsampler::new(&design.stage2, 2 * MAX_CHUNK),
                HalfbandDownsampler::new(&design.stage2, 2 * MAX_CHUNK),
            )),
        };
        let high_len = if inner.is_some() { 4 * MAX_CHUNK } else { 0 };
        Self {
            factor,
            up1: HalfbandUpsampler::new(&design.stage1, MAX_CHUNK),
            down1: match factor {
                OversamplingFactor::X2 => Decimator::Fir(FirDecimator::new(&DECIMATOR_2X_TAPS, MAX_CHUNK)),
                OversamplingFactor::X4 => Decimator::Halfband(HalfbandDownsampler::new(&design.stage1, MAX_CHUNK)),
            },
            inner,
            bridge: [0.0; 2],
            mid: [vec![0.0; 2 * MAX_CHUNK], vec![0.0; 2 * MAX_CHUNK]],
            high: [vec![0.0; high_len], vec![0.0; high_len]],
            pad_line: [vec![0.0; pad + MAX_CHUNK], vec![0.0; pad + MAX_CHUNK]],
            pad,
            latency,
        }
    }

    pub fn factor(&self) -> OversamplingFactor {
        self.factor
    }

    /// Round-trip delay in base-rate samples, padding included.
    pub fn latency_samples(&self) -> usize {
        self.latency
    }

    pub fn reset(&mut self) {
        self.up1.reset();
        self.down1.reset();
        if let Some((up, down)) = &mut self.inner {
            up.reset();
            down.reset();
        }
        self.bridge = [0.0; 2];
        self.pad_line.iter_mut().for_each(|l| l.fill(0.0));
    }

    /// Upsamples `left`/`right` (at most `MAX_CHUNK` samples), calls `process` on the high-rate
    /// block (`ratio * n` samples per channel; high-rate sample `j` belongs to base sample
    /// `j / ratio`), and writes the decimated result back in place.
    pub fn process<F: FnMut(&mut [f32], &mut [f32])>(&mut self, left: &mut [f32], right: &mut [f32], mut process: F) {
        let n = left.len().min(right.len()).min(MAX_CHUNK);
        let [mid_l, mid_r] = &mut self.mid;
        let (mid_l, mid_r) = (&mut mid_l[..2 * n], &mut mid_r[..2 * n]);
        self.up1.process([&left[..n], &right[..n]], [&mut *mid_l, &mut *mid_r]);
        match &mut self.inner {
            None => process(mid_l, mid_r),
            Some((up2, down2)) => {
                let [high_l, high_r] = &mut self.high;
                let (high_l, high_r) = (&mut high_l[..4 * n], &mut high_r[..4 * n]);
                up2.process([&*mid_l, &*mid_r], [&mut *high_l, &mut *high_r]);
                process(high_l, high_r);
                down2.process([&*high_l, &*high_r], [&mut *mid_l, &mut *mid_r]);
                for (mid, held) in [&mut *mid_l, &mut *mid_r].into_iter().zip(&mut self.bridge) {
                    let last = mid[2 * n - 1];
                    mid.copy_within(..2 * n - 1, 1);
                    mid[0] = std::mem::replace(held, last);
                }
            }
        }
        if self.pad == 0 {
            self.down1.process([&*mid_l, &*mid_r], [&mut left[..n], &mut right[..n]]);
            return;
        }
        let pad = self.pad;
        let [line_l, line_r] = &mut self.pad_line;
        self.down1.process([&*mid_l, &*mid_r], [&mut line_l[pad..pad + n], &mut line_r[pad..pad + n]]);
        for (line, out) in [line_l, line_r].into_iter().zip([left, right]) {
            out[..n].copy_from_slice(&line[..n]);
            line.copy_within(n..n + pad, 0);
        }
    }
}

/// The last decimation to the base rate: the 2x path's own low-pass, or (4x) the stage-1
/// half-band.
#[derive(Debug, Clone)]
enum Decimator {
    Fir(FirDecimator),
    Halfband(HalfbandDownsampler),
}

impl Decimator {
    fn reset(&mut self) {
        match self {
            Self::Fir(d) => d.reset(),
            Self::Halfband(d) => d.reset(),
        }
    }

    fn process(&mut self, input: [&[f32]; 2], output: [&mut [f32]; 2]) {
        match self {
            Self::Fir(d) => d.process(input, output),
            Self::Halfband(d) => d.process(input, output),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Amplitude and phase of `x` at `freq` (cycles per sample) by correlation over whole cycles.
    fn tone(x: &[f32], freq: f64) -> (f64, f64) {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let w = 2.0 * PI * freq * i as f64;
            re += v as f64 * w.cos();
            im += v as f64 * w.sin();
        }
        let scale = 2.0 / x.len() as f64;
        ((re * re + im * im).sqrt() * scale, im.atan2(re))
    }

    fn run(os: &mut Oversampler, input: &[f32]) -> Vec<f32> {
        let mut out = input.to_vec();
        let mut right = input.to_vec();
        for (l, r) in out.chunks_mut(MAX_CHUNK).zip(right.chunks_mut(MAX_CHUNK)) {
            os.process(l, r, |_, _| {});
        }
        assert_eq!(out, right);
        out
    }

    /// The round trip through a linear (identity) high-rate process is flat within +-0.01 dB up
    /// to 20 kHz at 44.1 kHz and delays by exactly the reported latency: the phase of each sine
    /// matches the input delayed by that many samples.
    #[test]
    fn round_trip_is_flat_and_a_pure_delay() {
        let design = OversamplerDesign::default();
        let fs = 44_100.0;
        for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
            let mut os = Oversampler::new(&design, factor, 0);
            let latency = os.latency_samples();
            for freq_hz in [20.0, 100.0, 1000.0, 5000.0, 10_000.0, 15_000.0, 18_000.0, 19_500.0, 20_000.0] {
                os.reset();
                let f = freq_hz / fs;
                let len = 8192;
                let input: Vec<f32> = (0..len).map(|i| (0.5 * (2.0 * PI * f * i as f64).sin()) as f32).collect();
                let out = run(&mut os, &input);
                // Analyse a whole number of cycles after the start-up transient.
                let cycles = ((len - 512) as f64 * f).floor();
                let span = (cycles / f).round() as usize;
                let (amp, phase) = tone(&out[512..512 + span], f);
                let (amp_in, phase_in) = tone(&input[512 - latency..512 - latency + span], f);
                let gain_db = 20.0 * (amp / amp_in).log10();
                assert!(gain_db.abs() <= 0.01, "{factor:?} {freq_hz} Hz: {gain_db:.4} dB");
                let phase_err = (phase - phase_in + PI).rem_euclid(2.0 * PI) - PI;
                assert!(phase_err.abs() < 2e-3, "{factor:?} {freq_hz} Hz: phase {phase_err}");
            }
        }
    }

    #[test]
    fn latency_is_whole_and_padding_aligns_factors() {
        let design = OversamplerDesign::default();
        let l2 = design.latency_samples(OversamplingFactor::X2);
        let l4 = design.latency_samples(OversamplingFactor::X4);
        // The 2x decimator uses the 4x path's latency for a longer kernel: both are equal.
        assert_eq!(l4, l2);
        // Impulse responses of both round trips, padded a few samples beyond their natural
        // latency, are symmetric about the same sample (linear phase): the reported latency.
        let padded = l4 + 3;
        for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
            let mut os = Oversampler::new(&design, factor, padded);
            assert_eq!(os.latency_samples(), padded);
            let mut input = vec![0.0f32; 256];
            input[10] = 1.0;
            let out = run(&mut os, &input);
            let peak = out.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).map(|p| p.0);
            assert_eq!(peak, Some(10 + padded), "{factor:?}");
            for k in 1..l2 {
                let (a, b) = (out[10 + padded - k], out[10 + padded + k]);
                assert!((a - b).abs() < 1e-6, "{factor:?} asymmetric at {k}: {a} vs {b}");
            }
        }
    }

    /// Images of the upsampling are rejected by at least the design attenuation: a 15 kHz sine at
    /// 48 kHz has its image at 33 kHz on the 2x grid, in the first stage's stopband.
    #[test]
    fn upsampling_images_are_rejected() {
        use realfft::RealFftPlanner;
        let design = OversamplerDesign::default();
        for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
            let ratio = factor.ratio();
            let mut os = Oversampler::new(&design, factor, 0);
            let fft_len = 4096 * ratio;
            let mut captured: Vec<f32> = Vec::new();
            // 15 kHz at 48 kHz on an exact bin of the high-rate FFT: 15/48 * 4096 = 1280.
            let f = 1280.0 / 4096.0;
            let input: Vec<f32> = (0..8192).map(|i| (0.9 * (2.0 * PI * f * i as f64).sin()) as f32).collect();
            for chunk in input.chunks(MAX_CHUNK) {
                let (mut l, mut r) = (chunk.to_vec(), chunk.to_vec());
                os.process(&mut l, &mut r, |hl, _| captured.extend_from_slice(hl));
            }
            let mut buf = captured[captured.len() - fft_len..].to_vec();
            let mut spec = RealFftPlanner::<f32>::new().plan_fft_forward(fft_len).make_output_vec();
            RealFftPlanner::<f32>::new().plan_fft_forward(fft_len).process(&mut buf, &mut spec).unwrap();
            let mag: Vec<f64> = spec.iter().map(|c| c.norm() as f64).collect();
            let fundamental = mag[1280];
            let image_2x = 4096 - 1280; // 48 - 15 = 33 kHz, the first stage's image
            let worst = (0..mag.len()).filter(|&k| k != 1280).map(|k| mag[k]).fold(0.0, f64::max);
            let image_db = 20.0 * (mag[image_2x] / fundamental).log10();
            let worst_db = 20.0 * (worst / fundamental).log10();
            assert!(image_db < -STAGE1_ATTEN_DB, "{factor:?} image {image_db:.1} dB");
            assert!(worst_db < -STAGE1_ATTEN_DB, "{factor:?} worst spur {worst_db:.1} dB");
        }
    }
}
