//! Harmonic saturation stage: drive into a soft-clipping curve at 2x or 4x oversampling, then a
//! DC blocker, auto gain compensation, a tilt EQ ("tone"), a latency-aligned dry/wet mix and an
//! output trim.
//!
//! Signal flow per channel (the dry path is the input delayed by `latency_samples()`):
//! `x * drive -> [up -> curve -> down] -> DC blocker -> * compensation -> tilt -> mix with dry
//! -> * trim -> bypass crossfade with dry`.
//!
//! Latency is fixed at the 4x path's (the larger); the 2x path is padded to match, so switching
//! factor never moves the output in time. A switch crossfades the two paths over 10 ms; a path
//! that was idle is first reset and fed the input history (twice the latency, which covers every
//! filter's memory), so it enters the crossfade in the same state as if it had always run.
//! The same warm-up follows a full bypass, during which only the dry delay line runs.

pub mod curve;
pub mod post_filter;

mod controls;

use crate::dsp::resample::oversampler::{Oversampler, OversamplerDesign, OversamplingFactor};
use crate::dsp::saturation::curve::Curve;
use crate::dsp::saturation::post_filter::PostFilter;
use crate::dsp::util::math::sanitize;
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;
use controls::{ControlBlock, SaturationControls};

/// Tone (tilt) range, +-dB of total tilt.
pub const TONE_RANGE_DB: f32 = 6.0;
/// Output trim range, +-dB.
pub const TRIM_RANGE_DB: f32 = 12.0;
/// Crossfade between the 2x and 4x paths; both are in phase, so a short fade suffices.
const FACTOR_RAMP_MS: f32 = 10.0;
/// Samples smaller than this (about -500 dBFS) are zeroed where they enter arithmetic, so
/// subnormal input never reaches the filters (whose products would then be subnormal and slow).
const FLUSH_BELOW: f32 = 1e-25;

/// Targets for the saturation stage (plain data; the stage ramps the continuous ones itself).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaturationSettings {
    pub bypass: bool,
    /// Gain into the curve, 0..=24 dB. Default 3 dB: a -1 dBFS peak enters the curve at +2 dB
    /// and is rounded by about 3 dB, while material around -18 dBFS stays nearly linear (third
    /// harmonic about -54 dB).
    pub drive_db: f32,
    /// -1..=1. -1: symmetric curve, odd harmonics only. +1: biased curve, strong even harmonics
    /// ("tube/tape"); continuous in between (the bias is linear in it). Default 0.
    pub character: f32,
    /// Tilt after the curve, -6..=6 dB total: highs at +tone/2, lows at -tone/2, pivot 1 kHz,
    /// first order (a gentle, phase-friendly slope). Wet signal only. Default 0.
    pub tone_tilt_db: f32,
    /// Wet share, 0..=100 %. Default 100.
    pub mix_percent: f32,
    /// Auto gain compensation: keeps a -18 dBFS sine at its input RMS at any drive and
    /// character, so drive can be judged by colour rather than by loudness. Default on.
    pub auto_gain: bool,
    /// Gain after the mix, -12..=12 dB. Default 0.
    pub output_trim_db: f32,
    /// Default 2x. For a -18 dBFS 9 kHz tone at +24 dB drive, 2x keeps aliases below -61 dB up
    /// to 20 kHz (-53 dB right at Nyquist, where a half-band decimator is -6 dB); 4x below -97 dB.
    pub oversampling: OversamplingFactor,
}

impl Default for SaturationSettings {
    fn default() -> Self {
        Self {
            bypass: false,
            drive_db: 3.0,
            character: 0.0,
            tone_tilt_db: 0.0,
            mix_percent: 100.0,
            auto_gain: true,
            output_trim_db: 0.0,
            oversampling: OversamplingFactor::X2,
        }
    }
}

/// Index of a factor's path in [`Saturation::paths`].
fn path_index(factor: OversamplingFactor) -> usize {
    match factor {
        OversamplingFactor::X2 => 0,
        OversamplingFactor::X4 => 1,
    }
}

#[inline]
fn flush(x: f32) -> f32 {
    if x.abs() < FLUSH_BELOW {
        0.0
    } else {
        x
    }
}

/// Copies `input` into the ring `hist` (power-of-two length) from `pos`, wrapping once at most.
fn ring_write(hist: &mut [f32], pos: usize, input: &[f32]) {
    let first = input.len().min(hist.len() - pos);
    hist[pos..pos + first].copy_from_slice(&input[..first]);
    hist[..input.len() - first].copy_from_slice(&input[first..]);
}

/// Reads `out.len()` samples of the ring `hist` starting at `pos`.
fn ring_read(hist: &[f32], pos: usize, out: &mut [f32]) {
    let first = out.len().min(hist.len() - pos);
    out[..first].copy_from_slice(&hist[pos..pos + first]);
    let rest = out.len() - first;
    out[first..].copy_from_slice(&hist[..rest]);
}

/// The saturation stage: see the module documentation for the signal flow.
pub struct Saturation {
    settings: SaturationSettings,
    controls: SaturationControls,
    /// 2x and 4x paths, both reporting the same (4x) latency.
    paths: [Oversampler; 2],
    /// Whether a path's filter state follows the recent input (else it needs a warm-up).
    warm: [bool; 2],
    /// 0 = 2x path, 1 = 4x path.
    factor_fade: LinearSmoother,
    /// DC blocker, compensation gain and tilt, after decimation.
    post_filter: PostFilter,
    /// Input ring per channel: the dry delay line and the warm-up history.
    history: [Vec<f32>; 2],
    write_pos: usize,
    latency: usize,
    block: Box<ControlBlock>,
    /// Dry, wet and (while switching factor) second-path wet block per channel.
    audio: Box<[[[f32; MAX_CHUNK]; 2]; 3]>,
}

impl Saturation {
    pub fn new(sample_rate: f32) -> Self {
        let sample_rate = if sample_rate.is_finite() { sample_rate.clamp(8_000.0, 768_000.0) } else { 48_000.0 };
        let design = OversamplerDesign::default();
        let latency = design.latency_samples(OversamplingFactor::X4);
        let history_len = (2 * latency + 2 + MAX_CHUNK + 1).next_power_of_two();
        let settings = SaturationSettings::default();
        let factor = path_index(settings.oversampling) as f32;
        let mut stage = Self {
            settings,
            controls: SaturationControls::new(sample_rate, &settings),
            paths: [
                Oversampler::new(&design, OversamplingFactor::X2, latency),
                Oversampler::new(&design, OversamplingFactor::X4, latency),
            ],
            warm: [true; 2],
            factor_fade: LinearSmoother::new(sample_rate, FACTOR_RAMP_MS, factor),
            post_filter: PostFilter::new(sample_rate),
            history: [vec![0.0; history_len], vec![0.0; history_len]],
            write_pos: 0,
            latency,
            block: ControlBlock::new(),
            audio: Box::new([[[0.0; MAX_CHUNK]; 2]; 3]),
        };
        stage.reset();
        stage
    }

    /// Fixed: the 4x path's round trip, whatever the settings.
    pub fn latency_samples(&self) -> usize {
        self.latency
    }

    /// Clears all state and lands every ramp on its target.
    pub fn reset(&mut self) {
        self.paths.iter_mut().for_each(Oversampler::reset);
        self.warm = [true; 2];
        self.history.iter_mut().for_each(|h| h.fill(0.0));
        self.write_pos = 0;
        self.post_filter.reset();
        self.controls.land();
        self.controls.land_bypass();
        self.factor_fade.reset(path_index(self.settings.oversampling) as f32);
    }

    pub fn set(&mut self, settings: &SaturationSettings) {
        if *settings == self.settings {
            return;
        }
        self.settings = *settings;
        self.controls.set_targets(settings);
    }

    /// Stereo, in place. Blocks longer than `MAX_CHUNK` are processed in pieces.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let len = left.len().min(right.len());
        for start in (0..len).step_by(MAX_CHUNK) {
            let end = (start + MAX_CHUNK).min(len);
            self.process_chunk(&mut left[start..end], &mut right[start..end]);
        }
    }

    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        let [dry, wet, alt] = &mut *self.audio;
        let mask = self.history[0].len() - 1;
        for (hist, input) in self.history.iter_mut().zip([&*left, &*right]) {
            ring_write(hist, self.write_pos, input);
        }
        self.write_pos = (self.write_pos + n) & mask;
        let dry_start = self.write_pos.wrapping_sub(n + self.latency) & mask;
        if self.controls.fully_bypassed() {
            // Only the dry delay runs, straight into the output; the wet path restarts from a
            // warm-up when released.
            ring_read(&self.history[0], dry_start, left);
            ring_read(&self.history[1], dry_start, right);
            self.warm = [false; 2];
            self.controls.land();
            self.factor_fade.reset(path_index(self.settings.oversampling) as f32);
            self.post_filter.reset();
            return;
        }
        for (d, hist) in dry.iter_mut().zip(&self.history) {
            ring_read(hist, dry_start, &mut d[..n]);
        }
        let b = &mut *self.block;
        self.controls.fill(n, b);
        for (w, input) in wet.iter_mut().zip([&*left, &*right]) {
            for ((w, &x), &g) in w[..n].iter_mut().zip(input).zip(&b.drive[..n]) {
                *w = flush(sanitize(x) * g);
            }
        }

        // The curve on the current factor's path or, while switching, on both (crossfaded).
        let curve = b.curve();
        let want = path_index(self.settings.oversampling) as f32;
        let now = self.factor_fade.current();
        let needed = [now < 1.0 || want < 1.0, now > 0.0 || want > 0.0];
        for (p, path) in self.paths.iter_mut().enumerate() {
            if needed[p] && !self.warm[p] {
                let replay = 2 * self.latency + 2;
                let from = self.write_pos.wrapping_sub(n + replay);
                warm_up(path, &self.history, from, replay, b.drive[0], &curve.first());
            }
            self.warm[p] = needed[p];
        }
        self.factor_fade.set_target(want);
        let [wet_l, wet_r] = wet;
        let (wet_l, wet_r) = (&mut wet_l[..n], &mut wet_r[..n]);
        if needed[0] && needed[1] {
            let [alt_l, alt_r] = alt;
            let (alt_l, alt_r) = (&mut alt_l[..n], &mut alt_r[..n]);
            alt_l.copy_from_slice(wet_l);
            alt_r.copy_from_slice(wet_r);
            self.paths[0].process(wet_l, wet_r, |l, r| curve.apply(n, l, r));
            self.paths[1].process(alt_l, alt_r, |l, r| curve.apply(n, l, r));
            let mut fade = [0.0f32; MAX_CHUNK];
            fade[..n].iter_mut().for_each(|f| *f = self.factor_fade.next());
            for (w, a) in [(&mut *wet_l, &*alt_l), (&mut *wet_r, &*alt_r)] {
                for ((w, &a), &f) in w.iter_mut().zip(a).zip(&fade) {
                    *w += f * (a - *w);
                }
            }
        } else {
            let p = usize::from(needed[1]);
            self.paths[p].process(wet_l, wet_r, |l, r| curve.apply(n, l, r));
        }

        // Post filters, then mix, trim and the bypass crossfade.
        self.post_filter.process(&b.tilt(), &b.compensation[..n], wet_l, wet_r);
        let outputs = [&mut *left, &mut *right].into_iter().zip([&*wet_l, &*wet_r]);
        for ((out, wet), dry) in outputs.zip(&*dry) {
            for i in 0..n {
                let x = flush(dry[i]);
                let processed = b.trim[i] * (x + b.mix[i] * (wet[i] - x));
                out[i] = x + (1.0 - b.bypass[i]) * (processed - x);
            }
        }
    }
}

/// Resets `path` and runs it over `replay` samples of input history starting at ring position
/// `from` (the samples just before the current block), discarding the output, so its filters
/// hold what continuous processing would have left. `2 * latency + 2` samples is longer than the
/// impulse response of the whole round trip, so the state is exact for a fixed drive and curve.
fn warm_up(path: &mut Oversampler, history: &[Vec<f32>; 2], from: usize, replay: usize, drive: f32, curve: &Curve) {
    let mask = history[0].len() - 1;
    path.reset();
    let mut done = 0;
    while done < replay {
        let len = (replay - done).min(MAX_CHUNK);
        let mut block = [[0.0f32; MAX_CHUNK]; 2];
        for (out, hist) in block.iter_mut().zip(history) {
            ring_read(hist, from.wrapping_add(done) & mask, &mut out[..len]);
            out[..len].iter_mut().for_each(|v| *v = flush(sanitize(*v) * drive));
        }
        let [l, r] = &mut block;
        path.process(&mut l[..len], &mut r[..len], |l, r| curve.process(l, r));
        done += len;
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_control;
