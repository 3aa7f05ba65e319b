//! What every band shares: the band settings, their per-chunk smoothing, the sidechain
//! high-pass settings and the detector controls. The kernel that uses them is `compressor_bank`.

use crate::dsp::compressor::envelope::one_pole_coef;
use crate::dsp::filter::svf_lanes::{LaneSvfCoefs, BUTTERWORTH_Q};
use crate::dsp::util::math::db_to_gain;
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;

/// Ramp time of every smoothed parameter (threshold, ratio, knee, makeup, band bypass, sidechain).
pub const PARAM_SMOOTHING_MS: f32 = 20.0;

/// Settings of one band (or of the whole signal in single-band mode: band 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorBandSettings {
    /// -60..0 dB, default -18. Level (Peak: sample peak; RMS: AES17 sine-equivalent) where the
    /// knee is centred.
    pub threshold_db: f32,
    /// 1..20, default 2 (gentle glue).
    pub ratio: f32,
    /// Knee width 0..24 dB, default 6: a soft knee hides the onset of compression.
    pub knee_db: f32,
    /// 0.1..300 ms, default 10. Time for the gain reduction (dB) to cover 63.2 % of an upward
    /// change (see `envelope::Ballistics`).
    pub attack_ms: f32,
    /// 5..3000 ms, default 150. Same definition for a downward change.
    pub release_ms: f32,
    /// -12..+24 dB, default 0.
    pub makeup_db: f32,
    /// Passes the band at unity gain (crossfaded).
    pub bypass: bool,
    /// In multiband mode, when any band is soloed only soloed bands are heard.
    pub solo: bool,
}

impl Default for CompressorBandSettings {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 2.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 150.0,
            makeup_db: 0.0,
            bypass: false,
            solo: false,
        }
    }
}

/// Clamps to `[lo, hi]`; a non-finite value becomes `fallback`.
pub fn clamp_or(x: f32, lo: f32, hi: f32, fallback: f32) -> f32 {
    if x.is_finite() {
        x.clamp(lo, hi)
    } else {
        fallback
    }
}

/// 1, 2, ..., MAX_CHUNK as f32: a table instead of converting the index per sample, which on
/// x86-64 (usize → f32) costs more than the rest of the ramp and blocks vectorisation.
pub const STEP_COUNT: [f32; MAX_CHUNK] = {
    let mut t = [0.0; MAX_CHUNK];
    let mut i = 0;
    while i < MAX_CHUNK {
        t[i] = (i + 1) as f32;
        i += 1;
    }
    t
};

// `Ramp::at` masks the index instead of bounds-checking it.
const _: () = assert!(MAX_CHUNK.is_power_of_two());

/// A smoothed parameter across one chunk: sample `i` sees `start + step·(i + 1)`, the value the
/// smoother reaches after `i + 1` steps (exact while it ramps; a ramp that ends inside the chunk
/// is spread over the whole chunk, which only makes it gentler).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ramp {
    pub start: f32,
    pub step: f32,
}

impl Ramp {
    pub fn constant(value: f32) -> Self {
        Self { start: value, step: 0.0 }
    }

    /// Advances `s` by `n` samples.
    pub fn over(s: &mut LinearSmoother, n: usize) -> Self {
        let start = s.current();
        if !s.is_smoothing() || n == 0 {
            return Self::constant(start);
        }
        for _ in 0..n {
            s.next();
        }
        Self { start, step: (s.current() - start) / n as f32 }
    }

    #[inline(always)]
    pub fn at(&self, i: usize) -> f32 {
        self.start + self.step * STEP_COUNT[i & (MAX_CHUNK - 1)]
    }

    pub fn is_constant(&self, value: f32) -> bool {
        self.step == 0.0 && self.start == value
    }
}

/// Detector controls shared by all bands for one chunk.
#[derive(Debug, Clone, Copy)]
pub struct DetectorControl {
    /// Stereo link 0..1: each channel's target reduction (dB) moves this far towards the larger.
    pub link: Ramp,
    /// 0 = Peak, 1 = RMS (crossfaded on change).
    pub rms_mix: Ramp,
    /// Added to every threshold: +3.01 dB in mid/side mode (see `compressor`).
    pub threshold_offset_db: Ramp,
}

/// Smoothed parameters of one band.
#[derive(Debug, Clone)]
pub struct BandSmoothers {
    threshold_db: LinearSmoother,
    half_knee_db: LinearSmoother,
    /// 1 − 1/ratio: smoothed instead of the ratio so the per-sample curve needs no division.
    slope: LinearSmoother,
    makeup_db: LinearSmoother,
    bypass_mix: LinearSmoother,
    /// One-pole coefficients; not smoothed: a new time constant changes no level by itself.
    pub attack: f64,
    pub release: f64,
}

/// Per-chunk ramps of one band.
#[derive(Debug, Clone, Copy)]
pub struct BandRamps {
    pub threshold_db: Ramp,
    pub half_knee_db: Ramp,
    pub slope: Ramp,
    pub makeup_gain: Ramp,
    pub bypass: Ramp,
}

impl BandSmoothers {
    pub fn new(fs: f32, s: &CompressorBandSettings) -> Self {
        let sm = |v: f32| LinearSmoother::new(fs, PARAM_SMOOTHING_MS, v);
        let mut p = Self {
            threshold_db: sm(0.0),
            half_knee_db: sm(0.0),
            slope: sm(0.0),
            makeup_db: sm(0.0),
            bypass_mix: sm(0.0),
            attack: 0.0,
            release: 0.0,
        };
        p.set(fs, s);
        p.snap();
        p
    }

    pub fn set(&mut self, fs: f32, s: &CompressorBandSettings) {
        let d = CompressorBandSettings::default();
        self.threshold_db.set_target(clamp_or(s.threshold_db, -60.0, 0.0, d.threshold_db));
        self.half_knee_db.set_target(0.5 * clamp_or(s.knee_db, 0.0, 24.0, d.knee_db));
        self.slope.set_target(1.0 - 1.0 / clamp_or(s.ratio, 1.0, 20.0, d.ratio));
        self.makeup_db.set_target(clamp_or(s.makeup_db, -12.0, 24.0, d.makeup_db));
        self.bypass_mix.set_target(if s.bypass { 1.0 } else { 0.0 });
        self.attack = one_pole_coef(clamp_or(s.attack_ms, 0.1, 300.0, d.attack_ms), fs);
        self.release = one_pole_coef(clamp_or(s.release_ms, 5.0, 3000.0, d.release_ms), fs);
    }

    /// Jumps every parameter to its target.
    pub fn snap(&mut self) {
        for s in
            [&mut self.threshold_db, &mut self.half_knee_db, &mut self.slope, &mut self.makeup_db, &mut self.bypass_mix]
        {
            s.reset(s.target());
        }
    }

    /// Advances every parameter over a chunk of `n` (>= 1) samples. Makeup ramps in linear gain.
    pub fn ramps(&mut self, n: usize) -> BandRamps {
        let makeup_start = db_to_gain(self.makeup_db.current());
        let makeup_end = db_to_gain(Ramp::over(&mut self.makeup_db, n).at(n - 1));
        BandRamps {
            threshold_db: Ramp::over(&mut self.threshold_db, n),
            half_knee_db: Ramp::over(&mut self.half_knee_db, n),
            slope: Ramp::over(&mut self.slope, n),
            makeup_gain: Ramp { start: makeup_start, step: (makeup_end - makeup_start) / n as f32 },
            bypass: Ramp::over(&mut self.bypass_mix, n),
        }
    }

    /// How far the band is bypassed (0..1), for scaling the meter.
    pub fn bypass_mix(&self) -> f32 {
        self.bypass_mix.current()
    }
}

/// Sidechain high-pass settings (detector only): 2nd-order Butterworth, crossfaded in and out.
/// The filter states live in the kernels, which run the filter only while it is active.
#[derive(Debug, Clone)]
pub struct Sidechain {
    sample_rate: f32,
    enabled: bool,
    /// True while the filter runs (enabled, or fading out).
    active: bool,
    mix: LinearSmoother,
    log2_hz: LinearSmoother,
    coefs: LaneSvfCoefs,
}

impl Sidechain {
    pub fn new(sample_rate: f32) -> Self {
        let hz = 80.0f32;
        Self {
            sample_rate,
            enabled: false,
            active: false,
            mix: LinearSmoother::new(sample_rate, PARAM_SMOOTHING_MS, 0.0),
            log2_hz: LinearSmoother::new(sample_rate, PARAM_SMOOTHING_MS, hz.log2()),
            coefs: LaneSvfCoefs::new(hz, BUTTERWORTH_Q, sample_rate),
        }
    }

    /// `freq_hz` is clamped to 20..300 Hz. Returns true when the filter starts from rest, in
    /// which case the caller clears its filter states.
    pub fn set(&mut self, enabled: bool, freq_hz: f32) -> bool {
        self.enabled = enabled;
        self.mix.set_target(if enabled { 1.0 } else { 0.0 });
        self.log2_hz.set_target(clamp_or(freq_hz, 20.0, 300.0, 80.0).log2());
        let starts = enabled && !self.active;
        if starts {
            self.active = true;
            self.log2_hz.reset(self.log2_hz.target());
            self.update_coefs();
        }
        starts
    }

    /// Jumps to the targets (the caller clears its filter states).
    pub fn reset(&mut self) {
        self.mix.reset(self.mix.target());
        self.log2_hz.reset(self.log2_hz.target());
        self.update_coefs();
        self.active = self.enabled;
    }

    fn update_coefs(&mut self) {
        self.coefs = LaneSvfCoefs::new(self.log2_hz.current().exp2(), BUTTERWORTH_Q, self.sample_rate);
    }

    /// For a chunk of `n` samples: `None` when the filter is idle, else its coefficients and
    /// wet mix ramp. Retires the filter once it has faded out.
    pub fn chunk(&mut self, n: usize) -> Option<(LaneSvfCoefs, Ramp)> {
        if !self.active {
            return None;
        }
        if self.log2_hz.is_smoothing() {
            Ramp::over(&mut self.log2_hz, n);
            self.update_coefs();
        }
        let mix = Ramp::over(&mut self.mix, n);
        if !self.enabled && !self.mix.is_smoothing() {
            self.active = false;
        }
        Some((self.coefs, mix))
    }
}
