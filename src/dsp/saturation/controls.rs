//! The stage's continuous controls: settings become ramped targets, and each block gets the
//! per-sample values its processing needs (linear gains, curve and tilt coefficients,
//! compensation). Derived values are computed once per block while a control is steady and per
//! sample only while it moves.

use super::{SaturationSettings, TONE_RANGE_DB, TRIM_RANGE_DB};
use crate::dsp::saturation::curve::{CompensationTable, Curve, DRIVE_MAX_DB};
use crate::dsp::saturation::post_filter::{TiltBlock, TiltCoefs};
use crate::dsp::util::math::db_to_gain;
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;

/// Ramp for every continuous control: long enough that a full-range drive jump is inaudible as a
/// step, short enough to follow automation.
pub(super) const PARAM_RAMP_MS: f32 = 20.0;
/// Bypass crossfade.
pub(super) const BYPASS_RAMP_MS: f32 = 15.0;

/// The curve for one block: one set of coefficients, or one per base-rate sample while the
/// character is moving (held over the 2 or 4 high-rate samples of that base sample).
pub(super) enum CurveBlock<'a> {
    Fixed(Curve),
    PerSample(&'a [Curve]),
}

impl CurveBlock<'_> {
    /// Applies the curve to a high-rate block that carries `n` base-rate samples.
    pub(super) fn apply(&self, n: usize, left: &mut [f32], right: &mut [f32]) {
        match self {
            CurveBlock::Fixed(curve) => curve.process(left, right),
            CurveBlock::PerSample(per_sample) => {
                let ratio = (left.len() / n.max(1)).max(1);
                let blocks = left.chunks_mut(ratio).zip(right.chunks_mut(ratio));
                for ((l, r), curve) in blocks.zip(per_sample.iter()) {
                    curve.process(l, r);
                }
            }
        }
    }

    /// The curve at the start of the block.
    pub(super) fn first(&self) -> Curve {
        match self {
            CurveBlock::Fixed(curve) => *curve,
            CurveBlock::PerSample(per_sample) => per_sample[0],
        }
    }
}

fn finite_or(value: f32, fallback: f32) -> f32 {
    if value.is_finite() {
        value
    } else {
        fallback
    }
}

/// Fills `out` with the smoother's per-sample values; returns whether they vary.
fn ramp(smoother: &mut LinearSmoother, out: &mut [f32]) -> bool {
    if !smoother.is_smoothing() {
        out.fill(smoother.current());
        return false;
    }
    out.iter_mut().for_each(|v| *v = smoother.next());
    true
}

/// Per-sample control values for one block, owned by the stage so nothing is zeroed per block.
pub(super) struct ControlBlock {
    /// Drive as a linear gain.
    pub drive: [f32; MAX_CHUNK],
    /// Output gain of the wet signal (auto gain compensation, ramped on/off).
    pub compensation: [f32; MAX_CHUNK],
    /// Wet share 0..1.
    pub mix: [f32; MAX_CHUNK],
    /// Output trim as a linear gain.
    pub trim: [f32; MAX_CHUNK],
    /// 0 = processing, 1 = bypassed.
    pub bypass: [f32; MAX_CHUNK],
    character: [f32; MAX_CHUNK],
    tone_db: [f32; MAX_CHUNK],
    auto_gain: [f32; MAX_CHUNK],
    curves: [Curve; MAX_CHUNK],
    tilt: [TiltCoefs; MAX_CHUNK],
    curve_moves: bool,
    tilt_moves: bool,
    len: usize,
}

impl ControlBlock {
    pub(super) fn new() -> Box<Self> {
        let zero = [0.0; MAX_CHUNK];
        Box::new(Self {
            drive: zero,
            compensation: zero,
            mix: zero,
            trim: zero,
            bypass: zero,
            character: zero,
            tone_db: zero,
            auto_gain: zero,
            curves: [Curve::from_character(0.0); MAX_CHUNK],
            tilt: [TiltCoefs::new(0.0, 0.1); MAX_CHUNK],
            curve_moves: false,
            tilt_moves: false,
            len: 0,
        })
    }

    pub(super) fn curve(&self) -> CurveBlock<'_> {
        if self.curve_moves {
            CurveBlock::PerSample(&self.curves[..self.len])
        } else {
            CurveBlock::Fixed(self.curves[0])
        }
    }

    pub(super) fn tilt(&self) -> TiltBlock<'_> {
        if self.tilt_moves {
            TiltBlock::PerSample(&self.tilt[..self.len])
        } else {
            TiltBlock::Fixed(self.tilt[0])
        }
    }
}

/// Ramped controls and the tables they are read through.
pub(super) struct SaturationControls {
    drive_db: LinearSmoother,
    character: LinearSmoother,
    tone_tilt_db: LinearSmoother,
    /// Wet share 0..1.
    mix: LinearSmoother,
    output_trim_db: LinearSmoother,
    /// 0 = compensation off, 1 = on; a ramp, so toggling does not click.
    auto_gain: LinearSmoother,
    /// 0 = processing, 1 = fully bypassed.
    bypass: LinearSmoother,
    compensation: CompensationTable,
    tilt_prewarp: f32,
}

impl SaturationControls {
    pub(super) fn new(sample_rate: f32, s: &SaturationSettings) -> Self {
        let smoother = |ms: f32, v: f32| LinearSmoother::new(sample_rate, ms, v);
        let mut controls = Self {
            drive_db: smoother(PARAM_RAMP_MS, 0.0),
            character: smoother(PARAM_RAMP_MS, 0.0),
            tone_tilt_db: smoother(PARAM_RAMP_MS, 0.0),
            mix: smoother(PARAM_RAMP_MS, 0.0),
            output_trim_db: smoother(PARAM_RAMP_MS, 0.0),
            auto_gain: smoother(PARAM_RAMP_MS, 0.0),
            bypass: smoother(BYPASS_RAMP_MS, 0.0),
            compensation: CompensationTable::default(),
            tilt_prewarp: TiltCoefs::prewarp(sample_rate),
        };
        controls.set_targets(s);
        controls.land();
        controls.bypass.reset(controls.bypass.target());
        controls
    }

    /// Non-finite values fall back to the defaults; everything is clamped to its range.
    pub(super) fn set_targets(&mut self, s: &SaturationSettings) {
        let d = SaturationSettings::default();
        let drive = finite_or(s.drive_db, d.drive_db).clamp(0.0, DRIVE_MAX_DB);
        let tone = finite_or(s.tone_tilt_db, d.tone_tilt_db);
        let trim = finite_or(s.output_trim_db, d.output_trim_db);
        self.drive_db.set_target(drive);
        self.character.set_target(finite_or(s.character, d.character).clamp(-1.0, 1.0));
        self.tone_tilt_db.set_target(tone.clamp(-TONE_RANGE_DB, TONE_RANGE_DB));
        self.mix.set_target(finite_or(s.mix_percent, d.mix_percent).clamp(0.0, 100.0) / 100.0);
        self.output_trim_db.set_target(trim.clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB));
        self.auto_gain.set_target(f32::from(u8::from(s.auto_gain)));
        self.bypass.set_target(f32::from(u8::from(s.bypass)));
    }

    /// Lands every ramp except bypass on its target.
    pub(super) fn land(&mut self) {
        for s in [&mut self.drive_db, &mut self.character, &mut self.tone_tilt_db, &mut self.mix] {
            s.reset(s.target());
        }
        for s in [&mut self.output_trim_db, &mut self.auto_gain] {
            s.reset(s.target());
        }
    }

    pub(super) fn land_bypass(&mut self) {
        self.bypass.reset(self.bypass.target());
    }

    pub(super) fn fully_bypassed(&self) -> bool {
        self.bypass.current() >= 1.0 && !self.bypass.is_smoothing()
    }

    /// Advances every ramp by `n` samples, writing the block's values into `b`.
    pub(super) fn fill(&mut self, n: usize, b: &mut ControlBlock) {
        b.len = n;
        let drive_moves = ramp(&mut self.drive_db, &mut b.drive[..n]);
        b.curve_moves = ramp(&mut self.character, &mut b.character[..n]);
        b.tilt_moves = ramp(&mut self.tone_tilt_db, &mut b.tone_db[..n]);
        ramp(&mut self.mix, &mut b.mix[..n]);
        let trim_moves = ramp(&mut self.output_trim_db, &mut b.trim[..n]);
        let auto_moves = ramp(&mut self.auto_gain, &mut b.auto_gain[..n]);
        ramp(&mut self.bypass, &mut b.bypass[..n]);

        let per_sample = if b.curve_moves { n } else { 1 };
        for (c, &v) in b.curves[..per_sample].iter_mut().zip(&b.character) {
            *c = Curve::from_character(v);
        }
        let per_sample = if b.tilt_moves { n } else { 1 };
        for (c, &v) in b.tilt[..per_sample].iter_mut().zip(&b.tone_db) {
            *c = TiltCoefs::new(v, self.tilt_prewarp);
        }
        // Compensation from drive in dB and character, before drive becomes a linear gain.
        let table = &self.compensation;
        let gain_for = |d: f32, c: f32, a: f32| 1.0 + a * (table.gain(d, c) - 1.0);
        if drive_moves || b.curve_moves || auto_moves {
            for i in 0..n {
                b.compensation[i] = gain_for(b.drive[i], b.character[i], b.auto_gain[i]);
            }
        } else {
            b.compensation[..n].fill(gain_for(b.drive[0], b.character[0], b.auto_gain[0]));
        }
        for (moves, values) in [(drive_moves, &mut b.drive), (trim_moves, &mut b.trim)] {
            if moves {
                values[..n].iter_mut().for_each(|v| *v = db_to_gain(*v));
            } else {
                let gain = db_to_gain(values[0]);
                values[..n].fill(gain);
            }
        }
    }
}
