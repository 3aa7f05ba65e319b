//! Mastering compressor: single-band or 3-band (LR4 crossovers), Peak or RMS detection, stereo
//! link, sidechain high-pass, optional mid/side. No lookahead, so latency is 0.
//!
//! Signal flow per chunk: input → (L/R → M/S rotation) → single-band path and/or crossover +
//! three band compressors → crossfade between the two paths → (M/S → L/R) → bypass crossfade.
//! Each path runs only while it is heard; when a path comes in it starts from cleared filters
//! and inherits the other path's gain reduction, and the 20 ms crossfade hides the restart.
//!
//! Known trade-off: the multiband path is an allpass (see `crossover`) and the single-band path
//! and the dry signal are not, so halfway through a mode or bypass crossfade the two can partly
//! cancel near the frequencies where the allpass turns the phase by ~180° (around the
//! crossovers). This is a brief (~10 ms) dip, never a step: measured at the default crossovers, a
//! steady tone at 2.5 kHz dips by up to 19 dB, at 200 Hz by 14 dB, and at 60 Hz, 600 Hz, 1 kHz
//! or 8 kHz by under 1 dB. The alternative, putting the allpass in the single-band path too,
//! would remove it from mode switches but give up the phase-transparent single mode and move the
//! same dip to every bypass toggle, which users make far more often.

pub mod band;
pub mod crossover;
pub mod envelope;
pub mod kernel;

#[cfg(test)]
mod envelope_tests;
#[cfg(test)]
mod kernel_tests;
#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;

pub use crate::dsp::compressor::band::CompressorBandSettings;
use crate::dsp::compressor::band::{clamp_or, DetectorControl, Ramp, PARAM_SMOOTHING_MS};
use crate::dsp::compressor::crossover::Crossover;
pub use crate::dsp::compressor::envelope::Detector;
use crate::dsp::compressor::kernel::{BandBank, BandBuffers};
use crate::dsp::util::math::sanitize;
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;

/// Crossfade time of bypass, single↔multiband, detector type, link, solo and M/S (10-20 ms is
/// short enough to feel instant, long enough not to click).
pub const CROSSFADE_MS: f32 = PARAM_SMOOTHING_MS;

/// Mid/side thresholds are raised by 20·log10(√2) dB: the rotation that carries M/S is
/// orthonormal (M·√2 = L + R), so a mono signal reads like the same signal in L/R mode.
const MID_SIDE_THRESHOLD_OFFSET_DB: f32 = 10.0 * std::f32::consts::LOG10_2;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorSettings {
    /// Default `true`: a compressor's useful threshold depends on the material, so no fixed
    /// setting is transparent; the stage stays out of the signal until the user engages it,
    /// and then starts from gentle glue settings (single band, RMS, 2:1 at -18 dB, 6 dB knee).
    pub bypass: bool,
    /// Three bands instead of one (band 0 settings act on the whole signal in single mode).
    pub multiband: bool,
    /// 40..1000 Hz, default 200.
    pub crossover_low_hz: f32,
    /// 1000..10000 Hz, default 2500 (also kept below 0.45·fs and above the low crossover).
    pub crossover_high_hz: f32,
    pub detector: Detector,
    /// 0..100 %, default 100: each channel's target gain reduction (dB) moves this far towards
    /// the larger of the two, so at 100 % both channels get the same reduction and the image
    /// holds, at 0 % they are independent, at 50 % a quiet channel gets half the loud one's dB.
    /// Linking reductions rather than levels keeps partial link meaningful in Peak mode, where
    /// a channel's instantaneous level drops towards -200 dB at every zero crossing.
    pub link_pct: f32,
    /// High-pass on the detector only, so bass does not pump the whole mix. Default off.
    pub sidechain_hp: bool,
    /// 20..300 Hz, default 80. 2nd-order Butterworth.
    pub sidechain_hp_hz: f32,
    /// Compress mid and side instead of left and right. Default off.
    pub mid_side: bool,
    pub bands: [CompressorBandSettings; 3],
}

impl Default for CompressorSettings {
    fn default() -> Self {
        Self {
            bypass: true,
            multiband: false,
            crossover_low_hz: 200.0,
            crossover_high_hz: 2500.0,
            detector: Detector::Rms,
            link_pct: 100.0,
            sidechain_hp: false,
            sidechain_hp_hz: 80.0,
            mid_side: false,
            bands: [CompressorBandSettings::default(); 3],
        }
    }
}

pub struct Compressor {
    /// Last settings received, for the cheap early return in `set`.
    settings: CompressorSettings,
    crossover: Crossover,
    single: BandBank<1>,
    multi: BandBank<3>,
    /// 1 = fully bypassed.
    bypass_mix: LinearSmoother,
    /// 0 = single band, 1 = multiband.
    multiband_mix: LinearSmoother,
    /// 0 = L/R, 1 = M/S; drives a rotation angle of 0..45°.
    mid_side_mix: LinearSmoother,
    link: LinearSmoother,
    rms_mix: LinearSmoother,
    solo_gain: [LinearSmoother; 3],
    /// False once fully bypassed; state is cleared when processing starts again.
    engaged: bool,
    /// False until the first chunk after `new`/`reset`: `set` then jumps instead of ramping.
    primed: bool,
    single_active: bool,
    multi_active: bool,
    gain_reduction_db: [f32; 3],
    single_buf: BandBuffers<1>,
    bands: BandBuffers<3>,
    wet: [[f32; MAX_CHUNK]; 2],
}

impl Compressor {
    pub fn new(sample_rate: f32) -> Self {
        let d = CompressorSettings::default();
        let sm = |v: f32| LinearSmoother::new(sample_rate, CROSSFADE_MS, v);
        let mut c = Self {
            settings: d,
            crossover: Crossover::new(sample_rate, d.crossover_low_hz, d.crossover_high_hz),
            single: BandBank::new(sample_rate, &d.bands),
            multi: BandBank::new(sample_rate, &d.bands),
            bypass_mix: sm(1.0),
            multiband_mix: sm(0.0),
            mid_side_mix: sm(0.0),
            link: sm(1.0),
            rms_mix: sm(1.0),
            solo_gain: [sm(1.0), sm(1.0), sm(1.0)],
            engaged: false,
            primed: false,
            single_active: false,
            multi_active: false,
            gain_reduction_db: [0.0; 3],
            single_buf: [[[0.0; MAX_CHUNK]; 2]; 1],
            bands: [[[0.0; MAX_CHUNK]; 2]; 3],
            wet: [[0.0; MAX_CHUNK]; 2],
        };
        c.apply(&d);
        c.reset();
        c
    }

    /// No lookahead: the detector and the gain act on the same sample.
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Clears all state; parameters jump to their targets.
    pub fn reset(&mut self) {
        self.bypass_mix.reset(self.bypass_mix.target());
        self.clear_state();
        self.primed = false;
    }

    /// Everything but the bypass crossfade (which decides whether processing runs at all).
    fn clear_state(&mut self) {
        for s in [&mut self.multiband_mix, &mut self.mid_side_mix, &mut self.link, &mut self.rms_mix] {
            s.reset(s.target());
        }
        self.solo_gain.iter_mut().for_each(|s| s.reset(s.target()));
        self.crossover.snap_to_targets();
        self.crossover.reset();
        self.single.reset();
        self.multi.reset();
        self.single_active = false;
        self.multi_active = false;
        self.gain_reduction_db = [0.0; 3];
    }

    pub fn set(&mut self, settings: &CompressorSettings) {
        if *settings == self.settings {
            return;
        }
        self.settings = *settings;
        self.apply(settings);
        if !self.primed {
            self.reset();
        }
    }

    fn apply(&mut self, s: &CompressorSettings) {
        let d = CompressorSettings::default();
        let target = |on: bool| if on { 1.0 } else { 0.0 };
        self.bypass_mix.set_target(target(s.bypass));
        self.multiband_mix.set_target(target(s.multiband));
        self.mid_side_mix.set_target(target(s.mid_side));
        self.rms_mix.set_target(target(s.detector == Detector::Rms));
        self.link.set_target(clamp_or(s.link_pct, 0.0, 100.0, d.link_pct) / 100.0);
        let low = clamp_or(s.crossover_low_hz, 40.0, 1000.0, d.crossover_low_hz);
        let high = clamp_or(s.crossover_high_hz, 1000.0, 10_000.0, d.crossover_high_hz);
        self.crossover.set_frequencies(low, high);
        let any_solo = s.bands.iter().any(|b| b.solo);
        for (g, b) in self.solo_gain.iter_mut().zip(&s.bands) {
            g.set_target(target(!any_solo || b.solo));
        }
        self.single.set(&s.bands, s.sidechain_hp, s.sidechain_hp_hz);
        self.multi.set(&s.bands, s.sidechain_hp, s.sidechain_hp_hz);
    }

    /// Gain reduction per band in positive dB (0 = none), the larger of the two channels.
    /// Band 0 is the whole signal in single-band mode (bands 1 and 2 then read 0).
    pub fn gain_reduction_db(&self) -> [f32; 3] {
        self.gain_reduction_db
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        debug_assert_eq!(left.len(), right.len());
        let n = left.len().min(right.len());
        for (l, r) in left[..n].chunks_mut(MAX_CHUNK).zip(right[..n].chunks_mut(MAX_CHUNK)) {
            self.process_chunk(l, r);
        }
    }

    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        self.primed = true;
        let bypass = Ramp::over(&mut self.bypass_mix, n);
        if bypass.is_constant(1.0) {
            // Fully bypassed: the input passes untouched (exact null, no latency to align).
            self.engaged = false;
            self.gain_reduction_db = [0.0; 3];
            return;
        }
        if !self.engaged {
            self.clear_state();
            self.engaged = true;
        }
        for (w, x) in self.wet.iter_mut().zip([&*left, &*right]) {
            for (w, &x) in w.iter_mut().zip(x) {
                // The chain sanitises already; doing it again costs little and keeps NaN/Inf
                // out of the filter states whoever calls. Below -300 dBFS is silence: such a
                // sample (or its square in the detector) would be denormal and slow.
                let x = sanitize(x);
                *w = if x.abs() < 1e-15 { 0.0 } else { x };
            }
        }
        let mid_side = Ramp::over(&mut self.mid_side_mix, n);
        if !mid_side.is_constant(0.0) {
            rotate(&mut self.wet, n, mid_side, 1.0);
        }
        let k = MID_SIDE_THRESHOLD_OFFSET_DB;
        let ctl = DetectorControl {
            link: Ramp::over(&mut self.link, n),
            rms_mix: Ramp::over(&mut self.rms_mix, n),
            threshold_offset_db: Ramp { start: k * mid_side.start, step: k * mid_side.step },
        };
        let mode = Ramp::over(&mut self.multiband_mix, n);
        self.activate_paths(mode.start < 1.0 || mode.at(n - 1) < 1.0, mode.start > 0.0 || mode.at(n - 1) > 0.0);
        if self.single_active {
            self.single_buf[0] = self.wet;
            self.single.process(&mut self.single_buf, n, &ctl);
        }
        if self.multi_active {
            self.crossover.split(&self.wet[0][..n], &self.wet[1][..n], &mut self.bands);
            self.multi.process(&mut self.bands, n, &ctl);
            let solo: [Ramp; 3] = std::array::from_fn(|b| Ramp::over(&mut self.solo_gain[b], n));
            let soloing = !solo.iter().all(|r| r.is_constant(1.0));
            let [low, mid, high] = &self.bands;
            for (c, w) in self.wet.iter_mut().enumerate() {
                let (l, m, h) = (&low[c][..n], &mid[c][..n], &high[c][..n]);
                for (i, w) in w[..n].iter_mut().enumerate() {
                    *w = if soloing {
                        solo[0].at(i) * l[i] + solo[1].at(i) * m[i] + solo[2].at(i) * h[i]
                    } else {
                        l[i] + m[i] + h[i]
                    };
                }
                if self.single_active {
                    for (i, (w, s)) in w[..n].iter_mut().zip(&self.single_buf[0][c]).enumerate() {
                        *w = s + mode.at(i) * (*w - s);
                    }
                }
            }
        } else {
            self.wet = self.single_buf[0];
        }
        if !mid_side.is_constant(0.0) {
            rotate(&mut self.wet, n, mid_side, -1.0);
        }
        for (w, x) in self.wet.iter().zip([left, right]) {
            if bypass.is_constant(0.0) {
                x.copy_from_slice(&w[..n]);
                continue;
            }
            for (i, (x, &w)) in x.iter_mut().zip(w).enumerate() {
                *x = w + bypass.at(i) * (sanitize(*x) - w);
            }
        }
        self.update_meter(mode.at(n - 1), bypass.at(n - 1));
    }

    /// Starts or stops the single-band and multiband paths. A path that comes in starts from
    /// cleared filters and from the other path's gain reduction, so the crossfade does not pump.
    fn activate_paths(&mut self, need_single: bool, need_multi: bool) {
        if need_multi && !self.multi_active {
            let gr = self.single.channel_gain_reduction_db();
            self.crossover.snap_to_targets();
            self.crossover.reset();
            self.multi.reset();
            if self.single_active {
                self.multi.seed_gain_reduction(gr);
            }
        }
        if need_single && !self.single_active {
            let gr = self.multi.channel_gain_reduction_db();
            self.single.reset();
            if self.multi_active {
                self.single.seed_gain_reduction(gr);
            }
        }
        (self.single_active, self.multi_active) = (need_single, need_multi);
    }

    fn update_meter(&mut self, multiband: f32, bypass: f32) {
        let mut gr = [0.0f32; 3];
        if self.single_active {
            gr[0] = (1.0 - multiband) * self.single.gain_reduction_db()[0];
        }
        if self.multi_active {
            for (g, m) in gr.iter_mut().zip(self.multi.gain_reduction_db()) {
                *g += multiband * m;
            }
        }
        self.gain_reduction_db = gr.map(|g| g * (1.0 - bypass));
    }
}

/// Rotates the channel pair by `direction`·θ with θ = mix·45°. At 45° the pair becomes
/// ((L + R)/√2, (R − L)/√2), i.e. mid and side scaled by √2; the rotation is orthonormal, so the
/// inverse (direction −1) restores L/R exactly and a gliding angle never passes a singular matrix.
fn rotate(wet: &mut [[f32; MAX_CHUNK]; 2], n: usize, mix: Ramp, direction: f32) {
    let angle = |m: f32| (m * std::f32::consts::FRAC_PI_4).sin_cos();
    let (mut sin, mut cos) = angle(mix.start);
    let [a, b] = wet;
    for i in 0..n {
        if mix.step != 0.0 {
            (sin, cos) = angle(mix.at(i));
        }
        let s = direction * sin;
        (a[i], b[i]) = (cos * a[i] + s * b[i], cos * b[i] - s * a[i]);
    }
}
