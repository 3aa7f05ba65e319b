//! The mastering chain, framework-free: the plugin, the CLI, the tests and the benchmarks all
//! drive this one type. It owns the stages in their fixed order, walks the audio in chunks of at
//! most [`MAX_CHUNK`] samples (the limiter in pieces of a few chunks), keeps the reported latency fixed, crossfades the global bypass
//! against the latency-aligned input, and collects the meter readings.
//!
//! Order: input gain → EQ → compressor → stereo width → saturation → limiter → output gain →
//! word length (dither). Every stage has a constant latency; the chain's is their sum.

use crate::dsp::compressor::{Compressor, CompressorSettings};
use crate::dsp::dither::{Dither, DitherSettings};
use crate::dsp::eq::{Eq, EqSettings};
use crate::dsp::filter::delay::DelayLine;
use crate::dsp::limiter::{self, Limiter, LimiterSettings};
use crate::dsp::meter::loudness::LoudnessMeter;
use crate::dsp::meter::true_peak::max_abs;
use crate::dsp::saturation::{Saturation, SaturationSettings};
use crate::dsp::stereo::{StereoSettings, StereoWidth};
use crate::dsp::util::math::{db_to_gain, reject_garbage};
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::{Stage, MAX_CHUNK};

mod level_match;
mod meters;

use level_match::{LevelMatch, LEVEL_MATCH_WINDOW_S};
pub use meters::{ChainMeters, LoudnessReadings};

/// Gain ramps (input/output gain) take this long, whatever the size of the change.
const GAIN_RAMP_MS: f32 = 20.0;
/// Global bypass and delta crossfades.
const BYPASS_FADE_MS: f32 = 15.0;
pub const MIN_INPUT_GAIN_DB: f32 = -24.0;
pub const MAX_INPUT_GAIN_DB: f32 = 24.0;
/// The output gain only trims down: it follows the limiter, so a boost would break the ceiling.
pub const MIN_OUTPUT_GAIN_DB: f32 = -24.0;
pub const MAX_OUTPUT_GAIN_DB: f32 = 0.0;

/// Plain-data snapshot of every parameter; what `params.rs` produces each block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub bypass: bool,
    /// Listen to what the chain adds or removes (output minus the latency-aligned input).
    pub delta: bool,
    pub input_gain_db: f32,
    pub output_gain_db: f32,
    pub eq: EqSettings,
    pub compressor: CompressorSettings,
    pub stereo: StereoSettings,
    pub saturation: SaturationSettings,
    pub limiter: LimiterSettings,
    pub dither: DitherSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bypass: false,
            delta: false,
            input_gain_db: 0.0,
            output_gain_db: 0.0,
            eq: EqSettings::default(),
            compressor: CompressorSettings::default(),
            stereo: StereoSettings::default(),
            // Saturation colours the sound: the default chain leaves it off.
            saturation: SaturationSettings { bypass: true, ..SaturationSettings::default() },
            limiter: LimiterSettings::default(),
            dither: DitherSettings::default(),
        }
    }
}

/// The stages between the input and the output gain.
struct Stages {
    eq: Eq,
    compressor: Compressor,
    stereo: StereoWidth,
    saturation: Saturation,
    limiter: Limiter,
}

impl Stages {
    /// The processing order: the one place it is written.
    fn in_order(&mut self) -> [&mut dyn Stage; 5] {
        let ([eq, compressor, stereo, saturation], limiter) = self.chunked_then_limiter();
        [eq, compressor, stereo, saturation, limiter]
    }

    /// The same order, split the way [`Chain`] runs it: the stages before the limiter chunk by
    /// chunk (at most [`MAX_CHUNK`] frames, what their scratch and per-chunk coefficient
    /// updates are sized for), then the limiter over the whole piece at once. The limiter's
    /// output does not depend on how its input is split (tested bit for bit in its module), and
    /// its per-call bookkeeping (delay and history rings, detector and gain-path block set-up)
    /// is then paid once per piece instead of once per 64 frames.
    fn chunked_then_limiter(&mut self) -> ([&mut dyn Stage; 4], &mut Limiter) {
        ([&mut self.eq, &mut self.compressor, &mut self.stereo, &mut self.saturation], &mut self.limiter)
    }
}

/// Frames the chain processes as one piece (longer blocks are split): the limiter's unit of
/// work, a whole number of the other stages' chunks.
const PIECE: usize = 4 * MAX_CHUNK;

pub struct Chain {
    sample_rate: f32,
    channels: usize,
    settings: Settings,
    input_gain: LinearSmoother,
    output_gain: LinearSmoother,
    stages: Stages,
    /// The output word length, after the output gain.
    dither: Dither,
    /// Input delayed by the chain latency, for the bypass crossfade and the delta listen mode.
    dry: [DelayLine; 2],
    wet_mix: LinearSmoother,
    delta_mix: LinearSmoother,
    meters: ChainMeters,
    latency: usize,
    /// Input and output loudness meters (the plugin's; the CLI measures files separately).
    loudness_in: LoudnessMeter,
    loudness_out: LoudnessMeter,
    /// Loudness metering runs only while this is set: the plugin pauses it while the
    /// transport is stopped, and offline renders switch it off.
    loudness_running: bool,
    /// Monitoring-only level match (plugin only; never set by the CLI).
    level_match: LevelMatch,
    /// Samples metered since the loudness meters were reset: level match waits for a full
    /// short-term window on both meters before it moves.
    metered_samples: usize,
    /// The latency-aligned input of a piece, while the bypass or delta mix needs it.
    dry_scratch: Box<[[f32; PIECE]; 2]>,
    /// The second channel of a mono input (always `Some` outside `process`).
    mono_copy: Option<Box<[f32; PIECE]>>,
}

impl Chain {
    /// Allocates everything the chain will ever need. `channels` is 1 or 2. Any block length
    /// works: the chain walks blocks in chunks of at most [`MAX_CHUNK`], so nothing here is
    /// sized by the host's block.
    pub fn new(sample_rate: f32, channels: usize) -> Self {
        let sample_rate = sample_rate.clamp(8_000.0, 768_000.0);
        let mut stages = Stages {
            eq: Eq::new(sample_rate),
            compressor: Compressor::new(sample_rate),
            stereo: StereoWidth::new(sample_rate),
            saturation: Saturation::new(sample_rate),
            limiter: Limiter::new(sample_rate),
        };
        let dither = Dither::new(sample_rate);
        let latency = stages.in_order().iter().map(|s| s.latency_samples()).sum::<usize>() + dither.latency_samples();
        let settings = Settings::default();
        let mut chain = Self {
            sample_rate,
            channels: channels.clamp(1, 2),
            settings,
            input_gain: LinearSmoother::new(sample_rate, GAIN_RAMP_MS, 1.0),
            output_gain: LinearSmoother::new(sample_rate, GAIN_RAMP_MS, 1.0),
            stages,
            dither,
            dry: [DelayLine::new(latency), DelayLine::new(latency)],
            wet_mix: LinearSmoother::new(sample_rate, BYPASS_FADE_MS, 1.0),
            delta_mix: LinearSmoother::new(sample_rate, BYPASS_FADE_MS, 0.0),
            meters: ChainMeters::default(),
            latency,
            loudness_in: LoudnessMeter::new(sample_rate, channels.clamp(1, 2)),
            loudness_out: LoudnessMeter::new(sample_rate, channels.clamp(1, 2)),
            loudness_running: true,
            level_match: LevelMatch::new(sample_rate),
            metered_samples: 0,
            dry_scratch: Box::new([[0.0; PIECE]; 2]),
            mono_copy: Some(Box::new([0.0; PIECE])),
        };
        chain.apply(&settings);
        chain.reset();
        chain
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Fixed for this sample rate, whatever the settings.
    pub fn latency_samples(&self) -> usize {
        self.latency
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Clears all state; the current settings apply at once, without ramps.
    pub fn reset(&mut self) {
        self.stages.in_order().into_iter().for_each(|stage| stage.reset());
        self.dither.reset();
        self.dry.iter_mut().for_each(DelayLine::reset);
        self.input_gain.reset(self.input_gain.target());
        self.output_gain.reset(self.output_gain.target());
        self.wet_mix.reset(self.wet_mix.target());
        self.delta_mix.reset(self.delta_mix.target());
        self.meters = ChainMeters::default();
        self.loudness_in.reset();
        self.loudness_out.reset();
        self.level_match.reset();
        self.metered_samples = 0;
    }

    /// Monitoring-only level match: after the output meter (so meters and renders show the
    /// real master), the output is turned up or down so its short-term loudness equals the
    /// input's. Bypass, A/B and preset comparisons then play at the same loudness and louder
    /// cannot fool the ear. Boosts are capped so the output peak of the last 3 s stays under the
    /// ceiling, or under -0.5 dBFS when the ceiling is lower (a quiet master must still be
    /// comparable, and this is monitoring headroom, not the master); a sample that would still
    /// cross is clipped there and counted. Needs the
    /// loudness meters running (the plugin runs them while the transport plays); it holds its
    /// gain while they are paused or the input is silent. The CLI never turns this on.
    pub fn set_level_match(&mut self, on: bool) {
        self.level_match.set_on(on);
    }

    pub fn level_match(&self) -> bool {
        self.level_match.is_on()
    }

    /// The level-match gain being applied now (dB; 0 when off).
    pub fn level_match_gain_db(&self) -> f32 {
        self.level_match.gain_db()
    }

    /// Samples level match clipped at the ceiling since the chain was built.
    pub fn level_match_clips(&self) -> u64 {
        self.level_match.clips()
    }

    /// Starts or pauses loudness metering (integrated and LRA keep their state while paused).
    pub fn set_loudness_running(&mut self, running: bool) {
        self.loudness_running = running;
    }

    /// Computes the meters' display-only readings (the correlation) or skips them, for both
    /// loudness meters; the plugin skips them while no editor is open. Integrated loudness,
    /// LRA, momentary/short-term (level match needs them) and every peak maximum are measured
    /// either way, so they are exact whenever an editor opens.
    pub fn set_live_meters(&mut self, live: bool) {
        self.loudness_in.set_live_readings(live);
        self.loudness_out.set_live_readings(live);
    }

    /// Restarts integrated loudness, LRA and the max holds (the GUI's reset button, or
    /// transport start when the user asked for it).
    pub fn reset_loudness(&mut self) {
        self.loudness_in.reset();
        self.loudness_out.reset();
        self.metered_samples = 0;
        self.stages.limiter.reset_meters();
    }

    /// Takes a new snapshot of the parameters. Never allocates; continuous values are smoothed.
    pub fn set_settings(&mut self, settings: &Settings) {
        if *settings != self.settings {
            self.apply(settings);
        }
    }

    fn apply(&mut self, s: &Settings) {
        self.settings = *s;
        self.input_gain
            .set_target(db_to_gain(finite_or(s.input_gain_db, 0.0).clamp(MIN_INPUT_GAIN_DB, MAX_INPUT_GAIN_DB)));
        self.output_gain
            .set_target(db_to_gain(finite_or(s.output_gain_db, 0.0).clamp(MIN_OUTPUT_GAIN_DB, MAX_OUTPUT_GAIN_DB)));
        self.wet_mix.set_target(if s.bypass { 0.0 } else { 1.0 });
        self.delta_mix.set_target(if s.delta && !s.bypass { 1.0 } else { 0.0 });
        self.stages.eq.set(&s.eq);
        self.stages.compressor.set(&s.compressor);
        self.stages.stereo.set(&s.stereo);
        self.stages.saturation.set(&s.saturation);
        // Quantisation after the limiter may move a sample by up to `max_error`: the limiter
        // aims that much lower so the final output still respects the ceiling.
        self.stages.limiter.set_with_output_margin(&s.limiter, Dither::max_error(&s.dither));
        self.dither.set(&s.dither);
    }

    /// Readings since the last call; peaks restart from zero.
    pub fn take_meters(&mut self) -> ChainMeters {
        let mut m = self.meters;
        m.limiter_gain_reduction_db = self.stages.limiter.gain_reduction_db();
        m.limiter_max_gain_reduction_db = self.stages.limiter.max_gain_reduction_db();
        m.safety_clips = self.stages.limiter.safety_clip_count();
        m.compressor_gain_reduction_db = self.stages.compressor.gain_reduction_db();
        m.input_loudness = LoudnessReadings::read(&self.loudness_in);
        m.output_loudness = LoudnessReadings::read(&self.loudness_out);
        self.meters.input_peak = [0.0; 2];
        self.meters.output_peak = [0.0; 2];
        m
    }

    /// Processes a block in place. One slice per channel (1 or 2; extra channels are left as
    /// they are), all of the same length; any length works.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let stereo = channels.len() >= 2;
        if self.loudness_running && n > 0 {
            let left: &[f32] = &channels[0][..n];
            let right: &[f32] = if stereo { &channels[1][..n] } else { left };
            self.loudness_in.process(left, right);
        }
        match channels {
            [left, right, ..] => {
                for (l, r) in left[..n].chunks_mut(PIECE).zip(right[..n].chunks_mut(PIECE)) {
                    self.process_piece(l, r);
                }
            }
            [mono] => {
                // The stages are stereo: a mono input runs as two identical channels, the
                // second a copy kept with the chain (taken out for the call, put back after).
                if let Some(mut copy) = self.mono_copy.take() {
                    for piece in mono[..n].chunks_mut(PIECE) {
                        let right = &mut copy[..piece.len()];
                        right.copy_from_slice(piece);
                        self.process_piece(piece, right);
                    }
                    self.mono_copy = Some(copy);
                }
            }
            [] => {}
        }
        if self.loudness_running && n > 0 {
            let left: &[f32] = &channels[0][..n];
            let right: &[f32] = if stereo { &channels[1][..n] } else { left };
            self.loudness_out.process(left, right);
            self.metered_samples = self.metered_samples.saturating_add(n);
        }
        if n > 0 && self.level_match.is_active() {
            let window_full = self.metered_samples as f32 >= LEVEL_MATCH_WINDOW_S * self.sample_rate;
            let ceiling_db = limiter::ceiling_db(&self.settings.limiter);
            let loudness = (&self.loudness_in, &self.loudness_out);
            self.level_match.process(channels, n, ceiling_db, loudness, window_full);
        }
    }

    /// Runs one piece (at most [`PIECE`] frames, both channels the same length) through the chain, in place.
    fn process_piece(&mut self, left: &mut [f32], right: &mut [f32]) {
        let [dry_l, dry_r] = &mut *self.dry_scratch;
        // The latency-aligned input is read only while the bypass or delta mix needs it; the
        // delay lines are written always, so it is ready when a crossfade starts. The mixes only
        // change in `set_settings`, so this holds for the whole piece (and a mix that settles at
        // wet = 1, delta = 0 inside it gives `processed` bit for bit below).
        let settled = |s: &LinearSmoother, v: f32| !s.is_smoothing() && s.current() == v;
        let mixing = !(settled(&self.wet_mix, 1.0) && settled(&self.delta_mix, 0.0));
        let (mut chunked, limiter) = self.stages.chunked_then_limiter();
        for (k, (l, r)) in left.chunks_mut(MAX_CHUNK).zip(right.chunks_mut(MAX_CHUNK)).enumerate() {
            for channel in [&mut *l, &mut *r] {
                channel.iter_mut().for_each(|x| *x = reject_garbage(*x));
            }
            for (peak, x) in self.meters.input_peak.iter_mut().zip([&*l, &*r]) {
                *peak = peak.max(max_abs(x));
            }
            let span = k * MAX_CHUNK..k * MAX_CHUNK + l.len();
            self.dry[0].push_block(l, mixing.then_some(&mut dry_l[span.clone()]));
            self.dry[1].push_block(r, mixing.then_some(&mut dry_r[span]));
            apply_gain(&mut self.input_gain, l, r);
            for stage in chunked.iter_mut() {
                stage.process(l, r);
            }
        }
        limiter.process(left, right);

        for (k, (l, r)) in left.chunks_mut(MAX_CHUNK).zip(right.chunks_mut(MAX_CHUNK)).enumerate() {
            apply_gain(&mut self.output_gain, l, r);
            self.dither.process(l, r);
            if mixing {
                let at = k * MAX_CHUNK;
                for (i, (l, r)) in l.iter_mut().zip(r.iter_mut()).enumerate() {
                    let wet = self.wet_mix.next();
                    let delta = self.delta_mix.next();
                    for (out, dry) in [(&mut *l, dry_l[at + i]), (&mut *r, dry_r[at + i])] {
                        // delta = 1 → output minus input (what the chain adds or removes).
                        let processed = *out - delta * dry;
                        // Exact at both ends (wet = 1 gives `processed` bit for bit, so nothing
                        // the limiter kept under the ceiling is nudged over it by rounding; wet = 0
                        // gives dry).
                        *out = processed * wet + dry * (1.0 - wet);
                    }
                }
            }
            for (peak, x) in self.meters.output_peak.iter_mut().zip([&*l, &*r]) {
                *peak = peak.max(max_abs(x));
            }
        }
    }
}

/// Multiplies both channels by the smoothed gain: per sample while it ramps, else by its
/// settled value (nothing to do at unity, where the product is the input bit for bit).
fn apply_gain(gain: &mut LinearSmoother, left: &mut [f32], right: &mut [f32]) {
    if gain.is_smoothing() {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let g = gain.next();
            *l *= g;
            *r *= g;
        }
    } else if gain.current() != 1.0 {
        let g = gain.current();
        for channel in [left, right] {
            channel.iter_mut().for_each(|x| *x *= g);
        }
    }
}

fn finite_or(v: f32, fallback: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        fallback
    }
}
