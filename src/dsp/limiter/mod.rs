//! True-peak lookahead limiter: the last gain stage of the chain and the one that guarantees
//! the ceiling.
//!
//! Signal flow per channel: drive → delay line ──────────────────────────────┐
//!                                  └→ peak detector (oversampled, BS.1770)   │
//!                                       → log2 requirement vs ceiling        │
//!                                       → stereo link → gain path ──── × ────┴→ safety clip → out
//!
//! Design choices, and why:
//! - The gain is computed from an oversampled (true-peak) detector and applied at the base rate.
//!   The gain envelope is band-limited by the lookahead smoothing (an S-shaped ramp of at least
//!   0.5 ms), so applying it at the base rate creates no aliasing worth oversampling the audio
//!   for, and below threshold the limiter is an exact delay (bit-exact null, no filter ripple).
//! - The ceiling is a per-sample input. A higher ceiling travels with the audio: sample s is
//!   limited to the ceiling in force when s entered, and the rise is seen through the lookahead
//!   like any release. A lower ceiling applies at once to every sample still inside the limiter
//!   (`ceiling_fall.rs`), so the output is under both sections' ceilings whether the host sends
//!   automation with the input or, as Ardour does for a latent plugin, at its output time. A
//!   falling ramp stays smooth; a falling step is a gain step where it arrives (the user's own
//!   step), never an over.
//! - In true-peak mode the requirement uses the detector's worst-case under-read for the chosen
//!   ratio (a design figure checked by the tests against an independent 16x reference), so the
//!   reconstructed output stays under the ceiling. A last-resort clip at the ceiling makes the
//!   sample-peak bound exact; it counts how often it acts (it essentially never does on music).
//! - Reported latency is fixed: detector delay + the maximum lookahead + the guard, whatever the
//!   lookahead and oversampling settings.
//! - Speed: audio is walked in chunks of up to 128 frames and every step (smoothers, delay
//!   lines, detector, requirement, gain path, output) is its own loop over the chunk, so the
//!   detector and the conversions run four (SSE), eight (AVX) or sixteen (AVX-512F) samples at
//!   a time and nothing dispatches per sample.
//!   The 4x detector has a block form that computes the same estimates bit for bit; the
//!   fully linked case (the default) runs one gain path for both channels.

mod ceiling_fall;
pub mod gain_path;
pub mod meter_match;
pub mod sliding_min;
pub mod style;

use crate::dsp::filter::ring::Ring;
use crate::dsp::limiter::ceiling_fall::CeilingFall;
use crate::dsp::limiter::gain_path::{GainPath, ReleaseSettings};
use crate::dsp::limiter::meter_match::MeterMatch;
use crate::dsp::resample::block_peak_interpolator::{BlockPeakInterpolator4, BLOCK_CAPACITY};
use crate::dsp::resample::peak_interpolator::{PeakInterpolator, HISTORY_SAMPLES};
use crate::dsp::simd::{fast_log2 as lanes_log2, LaneKernel, LaneWidth, Lanes, F4};
use crate::dsp::util::math::{db_to_gain, fast_log2, gain_to_db};
use crate::dsp::util::smoother::LinearSmoother;
use std::ops::{Add, Mul, Sub};
pub use style::LimiterStyle;

pub const MIN_CEILING_DB: f32 = -20.0;
pub const MAX_CEILING_DB: f32 = 0.0;
/// The ceiling a non-finite setting falls back to.
const FALLBACK_CEILING_DB: f32 = -1.0;

/// The ceiling `s` asks for, inside `MIN_CEILING_DB..=MAX_CEILING_DB`. The one place the ceiling
/// setting is interpreted: the limiter and the chain's level match both read it through here.
pub fn ceiling_db(s: &LimiterSettings) -> f32 {
    if s.ceiling_db.is_finite() {
        s.ceiling_db.clamp(MIN_CEILING_DB, MAX_CEILING_DB)
    } else {
        FALLBACK_CEILING_DB
    }
}
pub const MAX_LOOKAHEAD_MS: f32 = 5.0;
pub const MIN_LOOKAHEAD_MS: f32 = 0.5;
/// Samples on each side of a peak over which the gain is held flat (see `gain_path`).
const GUARD_SAMPLES: usize = 16;
/// Covers the fast log2/exp2 approximations (1e-6 relative) so the clip stays idle.
const NUMERIC_MARGIN_DB: f32 = 0.0001;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Oversampling {
    X1,
    X2,
    #[default]
    X4,
    X8,
}

impl Oversampling {
    pub fn ratio(self) -> usize {
        match self {
            Oversampling::X1 => 1,
            Oversampling::X2 => 2,
            Oversampling::X4 => 4,
            Oversampling::X8 => 8,
        }
    }

    const fn index(self) -> usize {
        match self {
            Oversampling::X1 => 0,
            Oversampling::X2 => 1,
            Oversampling::X4 => 2,
            Oversampling::X8 => 3,
        }
    }
}

/// The ratio whose detector runs in block form (`BlockPeakInterpolator4`).
const BLOCK_RATIO_INDEX: usize = Oversampling::X4.index();

/// Slot in `Limiter::detectors` of a ratio without a block form.
const fn per_sample_slot(ratio_index: usize) -> usize {
    match ratio_index {
        0 => 0,
        1 => 1,
        _ => 2,
    }
}

/// Margin (dB) between the ceiling and the detection threshold, per ratio index. The bound it
/// covers, in two parts:
/// 1. the detector's worst under-read of any interval against the exact peak of a tone up to
///    0.475 fs (4x: 0.059 dB, 8x: 0.038 dB; `interval_under_read_is_inside_the_limiter_margin`),
///    computed from the kernels;
/// 2. what a single-tone bound does not see: on broadband peaks the interpolation errors of a
///    meter's kernel and of the detector's do not cancel. This part is measured, not derived:
///    the largest excess over the detection threshold that an independent 4x meter the tests
///    run reads on their material (noise bursts with one-sample attacks, hot drums, a tone
///    with bursts; 44.1 to 192 kHz) is 0.126 dB (a Kaiser beta 9 meter on hot drums at 192 kHz,
///    its transition band at Nyquist reading full-band content high), so the 4x margin is
///    0.13 dB. The gain is flat over the guard, so gain modulation adds nothing measurable.
///
/// The most used meter, libebur128's, and the example filter of BS.1770-4 itself are read
/// exactly by `meter_match` instead of by margin.
/// Verified in `tests/limiter_meters.rs` and `tests/limiter_ceiling.rs` against independent 4x
/// and 16x reconstructions.
pub(crate) const TRUE_PEAK_MARGIN_DB: [f32; 4] = [0.0, 1.2, 0.13, 0.06];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    pub bypass: bool,
    pub ceiling_db: f32,
    pub drive_db: f32,
    pub lookahead_ms: f32,
    pub release_ms: f32,
    pub auto_release: bool,
    /// 0 = channels limited independently, 100 = the same gain on both.
    pub link_pct: f32,
    pub true_peak: bool,
    pub oversampling: Oversampling,
    /// How the automatic release behaves (`style.rs`).
    pub style: LimiterStyle,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            bypass: false,
            ceiling_db: -1.0,
            drive_db: 0.0,
            lookahead_ms: 1.5,
            release_ms: 200.0,
            auto_release: true,
            link_pct: 100.0,
            true_peak: true,
            oversampling: Oversampling::X4,
            style: LimiterStyle::Transparent,
        }
    }
}

/// Frames processed per pass: every step of the limiter runs as its own loop over this many
/// frames (vector-friendly, no per-sample dispatch), on scratch arrays kept in the limiter.
const CHUNK: usize = BLOCK_CAPACITY;

/// A ring of per-sample values read back at a fixed delay, a block at a time: holds
/// `max_delay + CHUNK` values at least, so a chunk written first can then be read back
/// `max_delay` samples late without reading its own overwritten part.
fn history_ring(max_delay: usize, fill: f32) -> Ring {
    Ring::new(max_delay + CHUNK + 1, fill)
}

/// Per-chunk working arrays (allocated once, with the limiter).
#[derive(Debug, Clone)]
struct Scratch {
    drive: [f32; CHUNK],
    mix: [f32; CHUNK],
    /// Driven input per channel, then the detector's peaks in place.
    peaks: [[f32; CHUNK]; 2],
    /// The detection threshold in force for each detected sample (log2).
    detect_ceiling: [f32; CHUNK],
    ceiling_out: [f32; CHUNK],
    drive_out: [f32; CHUNK],
    dry: [[f32; CHUNK]; 2],
    /// Log2 requirement per channel, then the gain in place.
    gains: [[f32; CHUNK]; 2],
    /// Driven input per channel for the meter match: `meter_match::HISTORY` older samples, then
    /// the chunk's.
    meter_x: [[f32; meter_match::HISTORY + CHUNK]; 2],
}

impl Scratch {
    fn new() -> Box<Self> {
        Box::new(Self {
            drive: [0.0; CHUNK],
            mix: [0.0; CHUNK],
            peaks: [[0.0; CHUNK]; 2],
            detect_ceiling: [0.0; CHUNK],
            ceiling_out: [0.0; CHUNK],
            drive_out: [0.0; CHUNK],
            dry: [[0.0; CHUNK]; 2],
            gains: [[0.0; CHUNK]; 2],
            meter_x: [[0.0; meter_match::HISTORY + CHUNK]; 2],
        })
    }
}

#[derive(Debug, Clone)]
pub struct Limiter {
    sample_rate: f32,
    settings: LimiterSettings,
    /// Taken off the ceiling (linear) for a quantiser that follows (see `set_with_output_margin`).
    output_margin: f32,
    latency: usize,
    detector_delay: usize,
    /// Per-sample interpolators for the ratios without a block form (1x, 2x, 8x; see
    /// `per_sample_slot`), per channel, all allocated up front so a ratio change needs no
    /// allocation; only the active one runs, the others are refilled from the delay line.
    detectors: [[PeakInterpolator; 3]; 2],
    /// The 4x detector (the default ratio) in its block form: the per-sample 4x estimates,
    /// bit for bit, at a fraction of the cost.
    block_detectors: [BlockPeakInterpolator4; 2],
    /// Lanes the vector loops run on (eight where the CPU has AVX).
    width: LaneWidth,
    /// libebur128's points for this rate, raised into the true-peak estimates (`meter_match`).
    meter_match: MeterMatch,
    /// The meter points' scale: the true-peak margin less the numeric one, given back (linear).
    meter_match_scale: f32,
    scratch: Box<Scratch>,
    active_ratio: usize,
    gain_paths: [GainPath; 2],
    audio: [Ring; 2],
    drive_history: Ring,
    /// Linear ceiling per sample, read at the output for the last-resort clip.
    ceiling_history: Ring,
    /// log2 of the detection threshold (ceiling minus margin) per sample, read at the detector.
    detect_ceiling_history: Ring,
    /// A lower ceiling reaching the samples already inside (`ceiling_fall.rs`).
    fall: CeilingFall,
    pos: usize,
    drive: LinearSmoother,
    /// Wet/dry crossfade for click-free bypass.
    mix: LinearSmoother,
    ceiling_gain: f32,
    detect_ceiling_log2: f32,
    link: f32,
    /// True while the link is 100 % and only the first gain path runs.
    second_path_stale: bool,
    gain_reduction_db: f32,
    max_gain_reduction_db: f32,
    safety_clips: u64,
}

impl Limiter {
    pub fn new(sample_rate: f32) -> Self {
        let max_lookahead = ((MAX_LOOKAHEAD_MS / 1000.0 * sample_rate).ceil() as usize).max(1);
        let detector_delay = PeakInterpolator::latency_samples();
        let gain_path = GainPath::new(sample_rate, max_lookahead, GUARD_SAMPLES);
        let latency = detector_delay + gain_path.delay_samples();
        let detectors = || [1, 2, 8].map(PeakInterpolator::new);
        let block_detector = BlockPeakInterpolator4::new();
        let width = block_detector.width();
        // The audio and drive rings also refill a newly chosen detector (`switch_detector`).
        let history = (latency + 1).max(HISTORY_SAMPLES);
        let mut limiter = Self {
            sample_rate,
            settings: LimiterSettings::default(),
            output_margin: 0.0,
            latency,
            detector_delay,
            detectors: [detectors(), detectors()],
            block_detectors: [block_detector.clone(), block_detector],
            width,
            meter_match: MeterMatch::new(sample_rate),
            meter_match_scale: 1.0,
            scratch: Scratch::new(),
            active_ratio: Oversampling::X4.index(),
            gain_paths: [gain_path.clone(), gain_path],
            audio: [history_ring(history, 0.0), history_ring(history, 0.0)],
            drive_history: history_ring(history, 1.0),
            ceiling_history: history_ring(latency, 1.0),
            detect_ceiling_history: history_ring(latency, 0.0),
            fall: CeilingFall::new(latency - detector_delay),
            pos: 0,
            drive: LinearSmoother::new(sample_rate, 20.0, 1.0),
            mix: LinearSmoother::new(sample_rate, 15.0, 1.0),
            ceiling_gain: 1.0,
            detect_ceiling_log2: 0.0,
            link: 1.0,
            second_path_stale: false,
            gain_reduction_db: 0.0,
            max_gain_reduction_db: 0.0,
            safety_clips: 0,
        };
        let defaults = LimiterSettings::default();
        limiter.settings.lookahead_ms = f32::NAN; // force the first `set` to apply everything
        limiter.set(&defaults);
        limiter.reset();
        limiter
    }

    pub fn latency_samples(&self) -> usize {
        self.latency
    }

    pub fn reset(&mut self) {
        for ch in 0..2 {
            self.detectors[ch].iter_mut().for_each(PeakInterpolator::reset);
            self.block_detectors[ch].reset();
            self.gain_paths[ch].reset();
            self.audio[ch].fill(0.0);
            self.scratch.meter_x[ch].fill(0.0);
        }
        let drive = db_to_gain(self.settings.drive_db);
        self.drive.reset(drive);
        self.drive_history.fill(drive);
        self.ceiling_history.fill(self.ceiling_gain);
        self.detect_ceiling_history.fill(self.detect_ceiling_log2);
        self.mix.reset(if self.settings.bypass { 0.0 } else { 1.0 });
        self.fall.reset();
        self.pos = 0;
        self.reset_meters();
    }

    pub fn reset_meters(&mut self) {
        self.gain_reduction_db = 0.0;
        self.max_gain_reduction_db = 0.0;
        self.safety_clips = 0;
    }

    /// Gain reduction (positive dB) applied during the last processed chunk, max over channels.
    pub fn gain_reduction_db(&self) -> f32 {
        self.gain_reduction_db
    }

    pub fn max_gain_reduction_db(&self) -> f32 {
        self.max_gain_reduction_db
    }

    /// How many output samples the last-resort clip had to touch since the last reset.
    pub fn safety_clip_count(&self) -> u64 {
        self.safety_clips
    }

    pub fn set(&mut self, s: &LimiterSettings) {
        self.set_with_output_margin(s, 0.0);
    }

    /// `set` for a limiter followed by a quantiser that may move a sample by up to
    /// `output_margin` (linear; `Dither::max_error`): the limiter aims that much under the
    /// ceiling so the quantised output still respects it. The lowered target may lie under
    /// `MIN_CEILING_DB`; it is not clamped again (that lost the margin at a -20 dB ceiling).
    pub fn set_with_output_margin(&mut self, s: &LimiterSettings, output_margin: f32) {
        let output_margin = if output_margin.is_finite() { output_margin.max(0.0) } else { 0.0 };
        if *s == self.settings && output_margin == self.output_margin {
            return;
        }
        self.output_margin = output_margin;
        let ceiling = db_to_gain(ceiling_db(s));
        // Never more than half the ceiling: the margin is a few LSBs, the ceiling at least -20 dB.
        let ceiling_db = gain_to_db((ceiling - output_margin).max(0.5 * ceiling));
        let (old_ceiling, old_threshold) = (self.ceiling_gain, self.detect_ceiling_log2);
        self.ceiling_gain = db_to_gain(ceiling_db);
        let os = if s.true_peak && s.oversampling == Oversampling::X1 { Oversampling::X2 } else { s.oversampling };
        let (ratio_index, margin_db) = if s.true_peak {
            // Styles that release faster modulate the gain faster, which the reconstruction
            // turns into a little more inter-sample overshoot: their own measured allowance.
            let style_margin_db = s.style.shape().true_peak_margin_db;
            (os.index(), TRUE_PEAK_MARGIN_DB[os.index()] + NUMERIC_MARGIN_DB + style_margin_db)
        } else {
            (Oversampling::X1.index(), NUMERIC_MARGIN_DB)
        };
        self.detect_ceiling_log2 = (ceiling_db - margin_db) * (std::f32::consts::LOG2_10 / 20.0);
        if self.ceiling_gain < old_ceiling || self.detect_ceiling_log2 < old_threshold {
            self.fall.request();
        }
        // libebur128's reading is reproduced exactly, so it is held at the ceiling itself.
        self.meter_match_scale = db_to_gain(-(margin_db - NUMERIC_MARGIN_DB));
        if ratio_index != self.active_ratio {
            self.switch_detector(ratio_index);
        }
        self.drive.set_target(db_to_gain(s.drive_db.clamp(0.0, 24.0)));
        self.mix.set_target(if s.bypass { 0.0 } else { 1.0 });
        self.link = (s.link_pct / 100.0).clamp(0.0, 1.0);
        let lookahead_ms = s.lookahead_ms.clamp(MIN_LOOKAHEAD_MS, MAX_LOOKAHEAD_MS);
        let lookahead = ((lookahead_ms / 1000.0 * self.sample_rate).round() as usize).max(1);
        let release =
            ReleaseSettings { release_ms: s.release_ms.clamp(1.0, 1000.0), auto: s.auto_release, style: s.style };
        for path in &mut self.gain_paths {
            path.set_release(&release);
            path.set_lookahead(lookahead);
        }
        self.settings = *s;
    }

    /// Refills the newly chosen detector with the recent input so its estimates are valid at once.
    fn switch_detector(&mut self, ratio_index: usize) {
        for ch in 0..2 {
            let mut recent: [f32; HISTORY_SAMPLES] = std::array::from_fn(|i| {
                let age = HISTORY_SAMPLES - i;
                self.audio[ch].get(self.pos.wrapping_sub(age)) * self.drive_history.get(self.pos.wrapping_sub(age))
            });
            if ratio_index == BLOCK_RATIO_INDEX {
                let det = &mut self.block_detectors[ch];
                det.reset();
                det.process(&mut recent);
            } else {
                let det = &mut self.detectors[ch][per_sample_slot(ratio_index)];
                det.reset();
                recent.iter().for_each(|&x| {
                    det.push(x);
                });
            }
        }
        self.active_ratio = ratio_index;
    }

    /// Limits `left`/`right` in place. Mono callers pass the same data twice (see `Chain`).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let fully_linked = self.link >= 1.0;
        if !fully_linked && self.second_path_stale {
            let (first, second) = self.gain_paths.split_at_mut(1);
            second[0].copy_state_from(&first[0]);
        }
        self.second_path_stale = fully_linked;
        if self.fall.take_fall() {
            self.lower_ceilings_inside();
        }
        let mut min_gain = 1.0f32;
        for (l, r) in left[..n].chunks_mut(CHUNK).zip(right[..n].chunks_mut(CHUNK)) {
            if self.fall.due() {
                self.lower_pipeline(fully_linked);
            }
            min_gain = min_gain.min(self.process_chunk(l, r, fully_linked));
            self.fall.advance(l.len());
        }
        self.gain_reduction_db = -gain_to_db(min_gain);
        self.max_gain_reduction_db = self.max_gain_reduction_db.max(self.gain_reduction_db);
    }

    /// Lowers the last-resort clip's ceiling and the detection threshold of every sample still
    /// inside the limiter to the ones now in force, where those are lower (`ceiling_fall.rs`).
    fn lower_ceilings_inside(&mut self) {
        let (pos, ceiling, threshold) = (self.pos, self.ceiling_gain, self.detect_ceiling_log2);
        for age in 1..=self.latency {
            let p = pos.wrapping_sub(age);
            self.ceiling_history.set(p, self.ceiling_history.get(p).min(ceiling));
            self.detect_ceiling_history.set(p, self.detect_ceiling_history.get(p).min(threshold));
        }
    }

    /// Revises the requirements already in the gain path whose gains have not left, from the
    /// stored peaks and the (lowered) detection thresholds (`ceiling_fall.rs`).
    fn lower_pipeline(&mut self, fully_linked: bool) {
        let pos = self.pos;
        // Requirements pushed at positions pos - d .. pos whose gains have not left yet; the one
        // pushed at p belongs to the sample that entered `detector_delay` earlier.
        let detector_delay = self.detector_delay;
        let (ceilings, peaks, requirements) = self.fall.buffers(pos);
        let d = requirements[0].len();
        let start = pos.wrapping_sub(d);
        for (i, c) in ceilings.iter_mut().enumerate() {
            *c = self.detect_ceiling_history.get(start.wrapping_add(i).wrapping_sub(detector_delay));
        }
        let [peaks_l, peaks_r] = peaks;
        let [req_l, req_r] = requirements;
        if fully_linked {
            linked_requirements(self.width, ceilings, peaks_l, peaks_r, req_l);
            self.gain_paths[0].lower_recent(req_l);
        } else {
            let link = self.link;
            for i in 0..d {
                let (l, r) = (requirement_log2(ceilings[i], peaks_l[i]), requirement_log2(ceilings[i], peaks_r[i]));
                let linked = l.min(r);
                req_l[i] = l + (linked - l) * link;
                req_r[i] = r + (linked - r) * link;
            }
            self.gain_paths[0].lower_recent(req_l);
            self.gain_paths[1].lower_recent(req_r);
        }
    }

    /// One chunk (at most `CHUNK` frames), step by step; returns the smallest gain applied.
    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32], fully_linked: bool) -> f32 {
        let n = left.len();
        let pos = self.pos;
        let latency = self.latency;
        let sc = &mut *self.scratch;
        smoothed(&mut self.drive, &mut sc.drive[..n]);
        smoothed(&mut self.mix, &mut sc.mix[..n]);
        self.drive_history.write_block(pos, &sc.drive[..n]);
        self.drive_history.read_block(pos.wrapping_sub(latency), &mut sc.drive_out[..n]);
        // The ceiling in force for each sample travels with it: read at the detector and at the
        // output with their delays.
        self.ceiling_history.fill_block(pos, n, self.ceiling_gain);
        self.ceiling_history.read_block(pos.wrapping_sub(latency), &mut sc.ceiling_out[..n]);
        self.detect_ceiling_history.fill_block(pos, n, self.detect_ceiling_log2);
        self.detect_ceiling_history.read_block(pos.wrapping_sub(self.detector_delay), &mut sc.detect_ceiling[..n]);
        for (ch, input) in [&*left, &*right].into_iter().enumerate() {
            self.audio[ch].write_block(pos, input);
            self.audio[ch].read_block(pos.wrapping_sub(latency), &mut sc.dry[ch][..n]);
            let driven = &mut sc.peaks[ch][..n];
            for ((d, &x), &g) in driven.iter_mut().zip(input).zip(&sc.drive[..n]) {
                *d = x * g;
            }
            let meter_x = &mut sc.meter_x[ch];
            meter_x[meter_match::HISTORY..meter_match::HISTORY + n].copy_from_slice(driven);
            if self.active_ratio == BLOCK_RATIO_INDEX {
                self.block_detectors[ch].process(driven);
            } else {
                let det = &mut self.detectors[ch][per_sample_slot(self.active_ratio)];
                for d in driven.iter_mut() {
                    *d = det.push(*d);
                }
            }
            if self.settings.true_peak {
                self.meter_match.raise(
                    self.width,
                    &meter_x[..meter_match::HISTORY + n],
                    self.meter_match_scale,
                    driven,
                );
            }
            meter_x.copy_within(n..n + meter_match::HISTORY, 0);
            self.fall.record(ch, pos, driven);
        }
        let [peaks_l, peaks_r] = &sc.peaks;
        let [gains_l, gains_r] = &mut sc.gains;
        let ceiling = &sc.detect_ceiling[..n];
        if fully_linked {
            // Both channels get the gain the louder one needs: one requirement, one gain path.
            linked_requirements(self.width, ceiling, &peaks_l[..n], &peaks_r[..n], &mut gains_l[..n]);
            self.gain_paths[0].process(&mut gains_l[..n]);
            gains_r[..n].copy_from_slice(&gains_l[..n]);
        } else {
            let link = self.link;
            for i in 0..n {
                let (l, r) = (requirement_log2(ceiling[i], peaks_l[i]), requirement_log2(ceiling[i], peaks_r[i]));
                let linked = l.min(r);
                gains_l[i] = l + (linked - l) * link;
                gains_r[i] = r + (linked - r) * link;
            }
            self.gain_paths[0].process(&mut gains_l[..n]);
            self.gain_paths[1].process(&mut gains_r[..n]);
        }
        let mut min_gain = F4::splat(1.0);
        let mut clips = 0u32;
        let groups = n - n % 4;
        for (ch, out) in [left, right].into_iter().enumerate() {
            let (dry, gains) = (&sc.dry[ch][..n], &sc.gains[ch][..n]);
            let (drive_out, ceiling_out, mix) = (&sc.drive_out[..n], &sc.ceiling_out[..n], &sc.mix[..n]);
            for i in (0..groups).step_by(4) {
                let gain = F4::load(gains, i);
                min_gain = min_gain.min(gain);
                let d = F4::load(dry, i);
                let wet = d.mul(F4::load(drive_out, i)).mul(gain);
                let c = F4::load(ceiling_out, i);
                clips += wet.abs().gt(c).count_set();
                let limited = wet.max(F4::splat(0.0).sub(c)).min(c);
                // Exact at both ends: mix = 1 is `limited` bit for bit (never over the ceiling).
                let m = F4::load(mix, i);
                limited.mul(m).add(d.mul(F4::splat(1.0).sub(m))).store(out, i);
            }
            for i in groups..n {
                let gain = gains[i];
                min_gain = min_gain.min(F4::splat(gain));
                let wet = dry[i] * drive_out[i] * gain;
                let c = ceiling_out[i];
                let over = wet.abs() > c;
                clips += u32::from(over);
                let limited = if over { wet.clamp(-c, c) } else { wet };
                out[i] = limited * mix[i] + dry[i] * (1.0 - mix[i]);
            }
        }
        let min_gain = min_gain.to_array().into_iter().fold(1.0f32, f32::min);
        self.safety_clips += u64::from(clips);
        self.pos = pos.wrapping_add(n);
        min_gain
    }
}

/// The smoother's next values (a plain fill once it has arrived).
fn smoothed(smoother: &mut LinearSmoother, out: &mut [f32]) {
    if smoother.is_smoothing() {
        out.iter_mut().for_each(|v| *v = smoother.next());
    } else {
        out.fill(smoother.current());
    }
}

/// `out[i]` = [`requirement_log2`] of the louder channel, on the lanes of `width` (eight where
/// the CPU has AVX); every lane computes what the scalar function does.
fn linked_requirements(width: LaneWidth, ceiling_log2: &[f32], left: &[f32], right: &[f32], out: &mut [f32]) {
    width.run(LinkedRequirements { ceiling_log2, left, right, out });
}

struct LinkedRequirements<'a> {
    ceiling_log2: &'a [f32],
    left: &'a [f32],
    right: &'a [f32],
    out: &'a mut [f32],
}

impl LaneKernel for LinkedRequirements<'_> {
    type Output = ();
    #[inline(always)]
    fn run<V: Lanes>(self) {
        linked_requirements_lanes::<V>(self.ceiling_log2, self.left, self.right, self.out);
    }
}

#[inline(always)]
fn linked_requirements_lanes<V: Lanes>(ceiling_log2: &[f32], left: &[f32], right: &[f32], out: &mut [f32]) {
    let n = out.len().min(ceiling_log2.len()).min(left.len()).min(right.len());
    let groups = n - n % V::N;
    let tiny = V::splat(1e-30);
    for i in (0..groups).step_by(V::N) {
        // As `pl.max(pr).max(1e-30)` for every non-NaN peak, and never NaN.
        let peak = V::load(left, i).max(tiny).max(V::load(right, i).max(tiny));
        let required = V::load(ceiling_log2, i) - lanes_log2(peak);
        required.min(V::splat(0.0)).store(out, i);
    }
    for i in groups..n {
        out[i] = requirement_log2(ceiling_log2[i], left[i].max(right[i]));
    }
}

/// Log2 gain (<= 0) that brings `peak` to the detection threshold `ceiling_log2`.
#[inline(always)]
fn requirement_log2(ceiling_log2: f32, peak: f32) -> f32 {
    (ceiling_log2 - fast_log2(peak.max(1e-30))).min(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::util::rng::XorShift32;

    /// The chunked processing is invisible: any split of the host blocks (including single
    /// samples and blocks longer than a chunk) gives the same output, bit for bit, in every
    /// detector mode and with the link below and at 100 %.
    #[test]
    fn output_does_not_depend_on_the_block_split() {
        let mut rng = XorShift32::new(23);
        let n = 6000;
        let left: Vec<f32> = (0..n).map(|i| 1.5 * (i as f32 * 0.07).sin() + 0.5 * rng.next_centered()).collect();
        let right: Vec<f32> = (0..n).map(|i| 1.2 * (i as f32 * 0.11).sin() + 0.5 * rng.next_centered()).collect();
        for (os, link_pct) in [(Oversampling::X4, 100.0), (Oversampling::X4, 40.0), (Oversampling::X8, 100.0)] {
            let settings = LimiterSettings { oversampling: os, link_pct, drive_db: 6.0, ..LimiterSettings::default() };
            let run = |split: &mut dyn FnMut() -> usize| {
                let mut lim = Limiter::new(44_100.0);
                lim.set(&settings);
                lim.reset();
                let (mut l, mut r) = (left.clone(), right.clone());
                let mut pos = 0;
                while pos < n {
                    let len = split().min(n - pos);
                    lim.process(&mut l[pos..pos + len], &mut r[pos..pos + len]);
                    pos += len;
                }
                (l, r)
            };
            let reference = run(&mut || 512);
            let mut split_rng = XorShift32::new(5);
            for kind in 0..4 {
                let mut split = || match kind {
                    0 => 1,
                    1 => 3,
                    2 => 4096,
                    _ => 1 + (split_rng.next_u32() % 300) as usize,
                };
                let out = run(&mut split);
                for i in 0..n {
                    assert_eq!(out.0[i].to_bits(), reference.0[i].to_bits(), "{os:?} link {link_pct} left at {i}");
                    assert_eq!(out.1[i].to_bits(), reference.1[i].to_bits(), "{os:?} link {link_pct} right at {i}");
                }
            }
        }
    }
}
