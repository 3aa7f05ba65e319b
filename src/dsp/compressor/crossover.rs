//! Three-band 4th-order Linkwitz-Riley crossover whose bands sum to an allpass.
//!
//! Built from the crate's one LR4 split ([`crate::dsp::filter::linkwitz_riley`]: low = LP²,
//! high = HP² = AP − LP², LP² + HP² = the Butterworth section's allpass). The signal is
//! split at the low crossover, then the upper part again at the high crossover. The low band goes
//! through that second crossover's allpass too, so
//! low + mid + high = LP1²·AP2 + HP1²·(LP2² + HP2²) = (LP1² + HP1²)·AP2 = AP1·AP2:
//! flat magnitude, only phase rotation (Linkwitz & Riley, JAES 1976; the allpass compensation of
//! the low band is the standard 3-way arrangement).
//!
//! Cost: only the lowpass of each split is filtered out; its highpass follows as
//! HP² = AP − LP², the allpass coming from the first section's state for free. With the low
//! band's allpass that is five 2nd-order sections per channel, packed into three 4-lane SVF
//! updates per frame.

use crate::dsp::compressor::kernel::BandBuffers;
use crate::dsp::filter::linkwitz_riley::Lr4Coefs;
use crate::dsp::filter::svf_lanes::LaneSvf;
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;

/// Frequency glide after a change (linear in octaves), so a moving crossover never clicks. 50 ms
/// rather than 20: a sweep hands tones from one band to another, and the receiving band's
/// detector (10 ms default attack) must keep up or the tone passes as a short level bump.
pub const FREQ_SMOOTHING_MS: f32 = 50.0;
/// While a frequency glides, coefficients (one `tan` each) are refreshed every this many samples:
/// small enough that each refresh is a tiny step for the TPT structure, large enough to stay cheap.
const COEF_UPDATE_SAMPLES: usize = 16;
/// Highest crossover as a fraction of the sample rate: keeps both crossovers meaningful at very
/// low rates (8 kHz) where the user's 10 kHz would be above Nyquist.
const MAX_FREQ_FRACTION: f32 = 0.45;

/// Band signals of one chunk: `[band][channel][frame]`, band 0 = low.
pub type Bands = BandBuffers<3>;

#[derive(Debug, Clone)]
pub struct Crossover {
    sample_rate: f32,
    /// Crossover frequencies in log2(Hz): gliding in octaves sounds even across the range.
    low_log2_hz: LinearSmoother,
    high_log2_hz: LinearSmoother,
    low_coefs: Lr4Coefs,
    high_coefs: Lr4Coefs,
    /// At the low crossover, lanes [L, R] of the first section (its LP feeds the second, its
    /// allpass gives HP² = AP − LP²) and [L, R] of the second (LP of the LP = low band before
    /// its allpass); the second lanes run one frame behind the first.
    low_sections: LaneSvf<4>,
    /// At the high crossover, [L, R] of the first section on the upper signal and [L, R] of the
    /// low band's allpass.
    high_split: LaneSvf<4>,
    /// At the high crossover, [L, R] of the second section (mid = LP²); lanes 2-3 idle.
    high_sections: LaneSvf<4>,
}

/// Values in flight between the pipelined stages of consecutive frames (see `Crossover::run`);
/// the pipe is drained before `run` returns, so nothing of it outlives a call.
#[derive(Debug, Clone, Copy, Default)]
struct Pipe {
    /// First low section's LP and allpass of the previous frame.
    low_lp: [f32; 2],
    low_ap: [f32; 2],
    /// Into the high split: [upper L, R, low band L, R].
    to_high_split: [f32; 4],
    /// Into the second high section: [LP L, R, 0, 0], and the first section's allpass.
    to_high_sections: [f32; 4],
    high_ap: [f32; 2],
}

impl Crossover {
    pub fn new(sample_rate: f32, low_hz: f32, high_hz: f32) -> Self {
        let (low_hz, high_hz) = Self::ordered(sample_rate, low_hz, high_hz);
        let smoother = |hz: f32| LinearSmoother::new(sample_rate, FREQ_SMOOTHING_MS, hz.log2());
        let mut xo = Self {
            sample_rate,
            low_log2_hz: smoother(low_hz),
            high_log2_hz: smoother(high_hz),
            low_coefs: Lr4Coefs::new(low_hz, sample_rate),
            high_coefs: Lr4Coefs::new(high_hz, sample_rate),
            low_sections: LaneSvf::default(),
            high_split: LaneSvf::default(),
            high_sections: LaneSvf::default(),
        };
        xo.update_coefs();
        xo
    }

    /// Keeps low <= high and both below [`MAX_FREQ_FRACTION`] of the rate.
    fn ordered(sample_rate: f32, low_hz: f32, high_hz: f32) -> (f32, f32) {
        let high_hz = high_hz.clamp(1.0, MAX_FREQ_FRACTION * sample_rate);
        (low_hz.clamp(1.0, high_hz), high_hz)
    }

    /// New target frequencies; they glide over [`FREQ_SMOOTHING_MS`].
    pub fn set_frequencies(&mut self, low_hz: f32, high_hz: f32) {
        let (low_hz, high_hz) = Self::ordered(self.sample_rate, low_hz, high_hz);
        self.low_log2_hz.set_target(low_hz.log2());
        self.high_log2_hz.set_target(high_hz.log2());
    }

    /// Jumps to the target frequencies (stream start).
    pub fn snap_to_targets(&mut self) {
        self.low_log2_hz.reset(self.low_log2_hz.target());
        self.high_log2_hz.reset(self.high_log2_hz.target());
        self.update_coefs();
    }

    /// Clears the filter states (frequencies and their glides are kept).
    pub fn reset(&mut self) {
        self.low_sections.reset();
        self.high_split.reset();
        self.high_sections.reset();
    }

    fn update_coefs(&mut self) {
        let fs = self.sample_rate;
        self.low_coefs = Lr4Coefs::new(self.low_log2_hz.current().exp2(), fs);
        self.high_coefs = Lr4Coefs::new(self.high_log2_hz.current().exp2(), fs);
    }

    /// Splits one chunk (at most [`MAX_CHUNK`] frames) into `bands[band][channel][..len]`.
    pub fn split(&mut self, left: &[f32], right: &[f32], bands: &mut Bands) {
        let n = left.len().min(right.len()).min(MAX_CHUNK);
        let mut start = 0;
        while start < n {
            let gliding = self.low_log2_hz.is_smoothing() || self.high_log2_hz.is_smoothing();
            let len = if gliding { COEF_UPDATE_SAMPLES.min(n - start) } else { n - start };
            if gliding {
                for _ in 0..len {
                    self.low_log2_hz.next();
                    self.high_log2_hz.next();
                }
                self.update_coefs();
            }
            self.run(&left[start..start + len], &right[start..start + len], bands, start);
            start += len;
        }
        self.low_sections.flush_denormals();
        self.high_split.flush_denormals();
        self.high_sections.flush_denormals();
    }

    /// Software-pipelined: iteration `i` runs the first low section on frame `i` and the second
    /// on `i − 1` (one 4-lane update), the high split and the low band's allpass on `i − 2`,
    /// and the second high section on `i − 3`. Within an iteration the updates do not wait on
    /// each other, so the CPU overlaps them; the pipe is filled and drained inside the call
    /// (lanes of a packed update that have no frame yet keep their state), so there is no
    /// added latency.
    fn run(&mut self, left: &[f32], right: &[f32], bands: &mut Bands, offset: usize) {
        let n = left.len().min(right.len());
        let (c1, c2) = (self.low_coefs, self.high_coefs);
        // Local copies let the compiler keep every state in registers across the loop.
        let (mut s1, mut s2, mut s3, mut p) = (self.low_sections, self.high_split, self.high_sections, Pipe::default());
        let [low, mid, high] = bands;
        macro_rules! second_high_section {
            ($i:expr) => {{
                let (_, lp) = s3.tick(&c2.0, p.to_high_sections);
                let j = offset + $i - 3;
                let hp = Lr4Coefs::high(p.high_ap, [lp[0], lp[1]]);
                (mid[0][j], mid[1][j]) = (lp[0], lp[1]);
                (high[0][j], high[1][j]) = (hp[0], hp[1]);
            }};
        }
        macro_rules! high_split {
            ($i:expr) => {{
                let x = p.to_high_split;
                let (b, lp) = s2.tick(&c2.0, x);
                let ap = c2.allpass(x, b);
                let j = offset + $i - 2;
                (low[0][j], low[1][j]) = (ap[2], ap[3]);
                p.to_high_sections = [lp[0], lp[1], 0.0, 0.0];
                p.high_ap = [ap[0], ap[1]];
            }};
        }
        macro_rules! low_sections {
            ($i:expr, $first:expr, $second:expr) => {{
                let x = if $first { [left[$i], right[$i]] } else { [0.0; 2] };
                let x = [x[0], x[1], p.low_lp[0], p.low_lp[1]];
                let before = s1;
                let (b, lp) = s1.tick(&c1.0, x);
                if !$first {
                    s1.keep_lanes(&before, 0..2);
                }
                if !$second {
                    s1.keep_lanes(&before, 2..4);
                }
                if $second {
                    // HP² = AP − LP² of the previous frame; LP² is the low band.
                    let hp = Lr4Coefs::high(p.low_ap, [lp[2], lp[3]]);
                    p.to_high_split = [hp[0], hp[1], lp[2], lp[3]];
                }
                if $first {
                    let ap = c1.allpass(x, b);
                    (p.low_lp, p.low_ap) = ([lp[0], lp[1]], [ap[0], ap[1]]);
                }
            }};
        }
        for i in 0..3.min(n + 3) {
            if (2..n + 2).contains(&i) {
                high_split!(i);
            }
            low_sections!(i, i < n, (1..n + 1).contains(&i));
        }
        for i in 3..n {
            second_high_section!(i);
            high_split!(i);
            low_sections!(i, true, true);
        }
        for i in n.max(3)..n + 3 {
            second_high_section!(i);
            if i < n + 2 {
                high_split!(i);
            }
            if i < n + 1 {
                low_sections!(i, false, true);
            }
        }
        (self.low_sections, self.high_split, self.high_sections) = (s1, s2, s3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::compressor::test_util::{bilinear_omega, max_step, sine, tone_amplitude};

    /// Runs `x` (mono, fed to both channels) through the crossover; returns the three bands of
    /// the left channel.
    fn split_all(xo: &mut Crossover, x: &[f32]) -> [Vec<f32>; 3] {
        let mut out: [Vec<f32>; 3] = Default::default();
        let mut bands = [[[0.0; MAX_CHUNK]; 2]; 3];
        for chunk in x.chunks(MAX_CHUNK) {
            xo.split(chunk, chunk, &mut bands);
            for (o, b) in out.iter_mut().zip(&bands) {
                o.extend_from_slice(&b[0][..chunk.len()]);
            }
        }
        out
    }

    /// Analytic |band| of the bilinear LR4 arrangement: |LP²| = 1/(1+Ω⁴), |HP²| = Ω⁴/(1+Ω⁴),
    /// |AP| = 1.
    fn expected(f: f64, fc1: f64, fc2: f64, fs: f64) -> [f64; 3] {
        let lp = |w: f64| 1.0 / (1.0 + w.powi(4));
        let hp = |w: f64| w.powi(4) / (1.0 + w.powi(4));
        let (w1, w2) = (bilinear_omega(f, fc1, fs), bilinear_omega(f, fc2, fs));
        [lp(w1), hp(w1) * lp(w2), hp(w1) * hp(w2)]
    }

    fn check_bands_and_sum(fs: f32, fc1: f32, fc2: f32) {
        let mut xo = Crossover::new(fs, fc1, fc2);
        let n = fs as usize; // 1 s: integer cycles for integer-Hz tones
        let mut worst_sum_db = 0.0f64;
        for f in [20, 45, 90, 150, 200, 270, 600, 1200, 2500, 4000, 9000, 16_000] {
            xo.reset();
            let x = sine(f as f64, 0.5, n + n / 2, fs);
            let bands = split_all(&mut xo, &x);
            let sum: Vec<f32> = (n / 2..n + n / 2).map(|i| bands.iter().map(|b| b[i]).sum()).collect();
            let sum_db = 20.0 * (tone_amplitude(&sum, f as f64, fs) / 0.5).log10();
            worst_sum_db = worst_sum_db.max(sum_db.abs());
            let want = expected(f as f64, fc1 as f64, fc2 as f64, fs as f64);
            for (b, band) in bands.iter().enumerate() {
                let got = tone_amplitude(&band[n / 2..], f as f64, fs) / 0.5;
                let (got_db, want_db) = (20.0 * got.log10(), 20.0 * want[b].log10());
                // Bands more than 80 dB down are at the f32 noise floor of the measurement.
                if want_db > -80.0 {
                    assert!((got_db - want_db).abs() < 0.05, "fs {fs} f {f} band {b}: {got_db} vs {want_db}");
                }
            }
        }
        assert!(worst_sum_db < 0.05, "fs {fs}: sum deviates {worst_sum_db} dB");
    }

    #[test]
    fn bands_match_lr4_and_sum_is_flat() {
        check_bands_and_sum(48_000.0, 200.0, 2500.0);
        check_bands_and_sum(44_100.0, 40.0, 10_000.0);
        check_bands_and_sum(192_000.0, 1000.0, 1000.0);
    }

    #[test]
    fn frequency_sweep_inside_one_chunk_is_smooth() {
        let fs = 48_000.0;
        let mut xo = Crossover::new(fs, 40.0, 1000.0);
        let x = sine(1000.0, 0.5, 24_000, fs);
        let mut sum = Vec::new();
        let mut bands = [[[0.0; MAX_CHUNK]; 2]; 3];
        for (c, chunk) in x.chunks(8).enumerate() {
            // Both crossovers move from min to max within the 8 sub-chunks of one 64-frame chunk.
            if (100..108).contains(&c) {
                let t = (c - 99) as f32 / 8.0;
                xo.set_frequencies(40.0 + t * 960.0, 1000.0 + t * 9000.0);
            }
            xo.split(chunk, chunk, &mut bands);
            sum.extend((0..chunk.len()).map(|i| bands[0][0][i] + bands[1][0][i] + bands[2][0][i]));
        }
        assert!(sum.iter().all(|y| y.is_finite()));
        // From 10 ms on (past the start-up transient of the filters), through the sweep at 16.7 ms.
        let sum = &sum[480..];
        let peak = sum.iter().fold(0.0f32, |m, y| m.max(y.abs()));
        // A 1 kHz sine of amplitude A moves at most A·2sin(πf/fs) per sample; the gliding allpass
        // may bend its phase a little, nothing more.
        let bound = peak * 2.0 * (std::f32::consts::PI * 1000.0 / fs).sin() * 1.1;
        assert!(peak < 0.52, "peak {peak}");
        assert!(max_step(sum) < bound, "step {} bound {bound}", max_step(sum));
    }

    #[test]
    fn hostile_input_stays_finite_and_recovers() {
        let fs = 48_000.0;
        let mut xo = Crossover::new(fs, 200.0, 2500.0);
        let hostile: Vec<f32> = (0..4800)
            .map(|i| match i / 1200 {
                0 => 1000.0,
                1 if i % 2 == 0 => 1000.0,
                1 => -1000.0,
                2 => 1e-41,
                _ => -1000.0,
            })
            .collect();
        let out = split_all(&mut xo, &hostile);
        assert!(out.iter().flatten().all(|y| y.is_finite() && y.abs() < 4000.0));
        let x = sine(1000.0, 0.5, 96_000, fs);
        let out = split_all(&mut xo, &x);
        let mut fresh = Crossover::new(fs, 200.0, 2500.0);
        let reference = split_all(&mut fresh, &x);
        for (a, b) in out.iter().zip(&reference) {
            assert!((a[90_000] - b[90_000]).abs() < 1e-4);
        }
    }

    /// The pipelined crossover is the plain composition of the shared LR4 split, bit for bit:
    /// low = AP₂(LP²₁), mid = LP²₂(HP²₁), high = HP²₂(HP²₁), chunk after chunk.
    #[test]
    fn is_the_shared_lr4_split_composed() {
        use crate::dsp::filter::linkwitz_riley::Lr4Split;
        let fs = 44_100.0;
        // The crossover keeps its frequencies in log2(Hz); the round trip is part of its design.
        let coefs = |hz: f32| Lr4Coefs::new(hz.log2().exp2(), fs);
        let (c1, c2) = (coefs(150.0), coefs(3000.0));
        let mut xo = Crossover::new(fs, 150.0, 3000.0);
        let (mut first, mut second, mut low_ap) =
            (Lr4Split::<2>::default(), Lr4Split::<2>::default(), LaneSvf::<2>::default());
        let left = sine(97.0, 0.6, 9000, fs);
        let right: Vec<f32> = sine(4100.0, 0.4, 9000, fs).iter().zip(&left).map(|(a, b)| a + 0.3 * b).collect();
        let mut bands = [[[0.0; MAX_CHUNK]; 2]; 3];
        let mut start = 0;
        for len in [1, 2, 3, 5, 64, MAX_CHUNK, 7].iter().cycle() {
            let end = (start + len).min(left.len());
            xo.split(&left[start..end], &right[start..end], &mut bands);
            for (k, i) in (start..end).enumerate() {
                let a = first.tick(&c1, [left[i], right[i]]);
                let (band, _) = low_ap.tick(&c2.0, a.low);
                let low = c2.allpass(a.low, band);
                let b = second.tick(&c2, a.high);
                for ch in 0..2 {
                    assert_eq!(bands[0][ch][k].to_bits(), low[ch].to_bits(), "low, frame {i}");
                    assert_eq!(bands[1][ch][k].to_bits(), b.low[ch].to_bits(), "mid, frame {i}");
                    assert_eq!(bands[2][ch][k].to_bits(), b.high[ch].to_bits(), "high, frame {i}");
                }
            }
            // The crossover zeroes near-denormal states after each chunk; so does the reference.
            for s in [&mut first, &mut second] {
                s.flush_denormals();
            }
            low_ap.flush_denormals();
            if end == left.len() {
                break;
            }
            start = end;
        }
    }
}
