//! The mastering chain, framework-free: the plugin, the CLI, the tests and the benchmarks all
//! drive this one type. It owns the stages in their fixed order, walks the audio in chunks of at
//! most [`MAX_CHUNK`] samples, keeps the reported latency fixed, crossfades the global bypass
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
use crate::dsp::meter::peak_window::PeakWindow;
use crate::dsp::meter::true_peak::max_abs;
use crate::dsp::saturation::{Saturation, SaturationSettings};
use crate::dsp::stereo::{StereoSettings, StereoWidth};
use crate::dsp::util::math::{db_to_gain, gain_to_db, reject_garbage};
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;

/// Gain ramps (input/output gain) take this long, whatever the size of the change.
const GAIN_RAMP_MS: f32 = 20.0;
/// Global bypass and delta crossfades.
const BYPASS_FADE_MS: f32 = 15.0;
/// Level match follows its target with ramps this long (targets move every 10 ms or so).
const LEVEL_MATCH_RAMP_MS: f32 = 50.0;
/// Level match never moves the monitored level further than this either way.
const LEVEL_MATCH_RANGE_DB: f32 = 24.0;
/// Below this short-term loudness (silence, fades) the match holds its gain.
const LEVEL_MATCH_GATE_LUFS: f32 = -60.0;
/// Short-term loudness window (EBU Tech 3341): level match waits until both meters have one,
/// and caps boosts by the output peak over the same span.
const LEVEL_MATCH_WINDOW_S: f32 = 3.0;
/// Time constant of the averaging of the loudness difference.
const LEVEL_MATCH_AVERAGE_S: f32 = 0.3;
/// Highest peak a level-match boost may reach when the ceiling is lower (a -3 dBTP vinyl
/// pre-master must still be comparable with a -14 LUFS mix): monitoring headroom, not a master.
const LEVEL_MATCH_MAX_PEAK_DB: f32 = -0.5;
/// Boosts keep the recent output peak this far under that level (inter-sample allowance).
const LEVEL_MATCH_PEAK_MARGIN_DB: f32 = 0.5;

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

/// Loudness readings of one metering point (BS.1770-4 / EBU R128); `-inf` until measurable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReadings {
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
    pub integrated_lufs: f32,
    pub loudness_range_lu: f32,
    /// Highest true peak per channel since the last loudness reset.
    pub true_peak_dbtp: [f32; 2],
    /// True peak per channel over the last block (for the meter bars).
    pub block_true_peak_dbtp: [f32; 2],
    pub correlation: f32,
}

impl Default for LoudnessReadings {
    fn default() -> Self {
        let ninf = f32::NEG_INFINITY;
        Self {
            momentary_lufs: ninf,
            short_term_lufs: ninf,
            integrated_lufs: ninf,
            loudness_range_lu: ninf,
            true_peak_dbtp: [ninf; 2],
            block_true_peak_dbtp: [ninf; 2],
            correlation: 0.0,
        }
    }
}

impl LoudnessReadings {
    fn read(meter: &LoudnessMeter) -> Self {
        Self {
            momentary_lufs: meter.momentary_lufs(),
            short_term_lufs: meter.short_term_lufs(),
            integrated_lufs: meter.integrated_lufs(),
            loudness_range_lu: meter.loudness_range_lu(),
            true_peak_dbtp: [meter.true_peak_dbtp(0), meter.true_peak_dbtp(1)],
            block_true_peak_dbtp: [meter.block_true_peak_dbtp(0), meter.block_true_peak_dbtp(1)],
            correlation: meter.correlation(),
        }
    }
}

/// Readings since the last [`Chain::take_meters`] (peaks are linear sample peaks).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChainMeters {
    pub input_peak: [f32; 2],
    pub output_peak: [f32; 2],
    pub limiter_gain_reduction_db: f32,
    pub limiter_max_gain_reduction_db: f32,
    pub safety_clips: u64,
    /// Per-band compressor gain reduction (positive dB; band 0 = whole signal in single-band).
    pub compressor_gain_reduction_db: [f32; 3],
    pub input_loudness: LoudnessReadings,
    pub output_loudness: LoudnessReadings,
}

pub struct Chain {
    sample_rate: f32,
    channels: usize,
    max_block: usize,
    settings: Settings,
    input_gain: LinearSmoother,
    output_gain: LinearSmoother,
    eq: Eq,
    compressor: Compressor,
    stereo: StereoWidth,
    saturation: Saturation,
    limiter: Limiter,
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
    level_match: bool,
    level_match_gain: LinearSmoother,
    /// Averaged loudness difference (dB) the match aims for.
    level_match_db: f32,
    /// The output's peak over the last short-term window, which caps level-match boosts.
    recent_peak: PeakWindow,
    /// Samples the level-match boost had to clip at the ceiling (the cap normally prevents it).
    level_match_clips: u64,
    /// Samples metered since the loudness meters were reset: level match waits for a full
    /// short-term window on both meters before it moves.
    metered_samples: usize,
}

impl Chain {
    /// Allocates everything the chain will ever need. `channels` is 1 or 2; `max_block` is the
    /// largest block the host promised (any block length works, it only sizes nothing here
    /// because the chain works in fixed chunks).
    pub fn new(sample_rate: f32, max_block: usize, channels: usize) -> Self {
        let sample_rate = sample_rate.clamp(8_000.0, 768_000.0);
        let eq = Eq::new(sample_rate);
        let compressor = Compressor::new(sample_rate);
        let stereo = StereoWidth::new(sample_rate);
        let saturation = Saturation::new(sample_rate);
        let limiter = Limiter::new(sample_rate);
        let latency = eq.latency_samples()
            + compressor.latency_samples()
            + stereo.latency_samples()
            + saturation.latency_samples()
            + limiter.latency_samples();
        let settings = Settings::default();
        let mut chain = Self {
            sample_rate,
            channels: channels.clamp(1, 2),
            max_block,
            settings,
            input_gain: LinearSmoother::new(sample_rate, GAIN_RAMP_MS, 1.0),
            output_gain: LinearSmoother::new(sample_rate, GAIN_RAMP_MS, 1.0),
            eq,
            compressor,
            stereo,
            saturation,
            limiter,
            dither: Dither::new(),
            dry: [DelayLine::new(latency), DelayLine::new(latency)],
            wet_mix: LinearSmoother::new(sample_rate, BYPASS_FADE_MS, 1.0),
            delta_mix: LinearSmoother::new(sample_rate, BYPASS_FADE_MS, 0.0),
            meters: ChainMeters::default(),
            latency,
            loudness_in: LoudnessMeter::new(sample_rate, channels.clamp(1, 2)),
            loudness_out: LoudnessMeter::new(sample_rate, channels.clamp(1, 2)),
            loudness_running: true,
            level_match: false,
            level_match_gain: LinearSmoother::new(sample_rate, LEVEL_MATCH_RAMP_MS, 1.0),
            level_match_db: 0.0,
            recent_peak: PeakWindow::new(sample_rate, LEVEL_MATCH_WINDOW_S),
            level_match_clips: 0,
            metered_samples: 0,
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

    pub fn max_block(&self) -> usize {
        self.max_block
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
        self.eq.reset();
        self.compressor.reset();
        self.stereo.reset();
        self.saturation.reset();
        self.limiter.reset();
        self.dither.reset();
        self.dry.iter_mut().for_each(DelayLine::reset);
        self.input_gain.reset(self.input_gain.target());
        self.output_gain.reset(self.output_gain.target());
        self.wet_mix.reset(self.wet_mix.target());
        self.delta_mix.reset(self.delta_mix.target());
        self.meters = ChainMeters::default();
        self.loudness_in.reset();
        self.loudness_out.reset();
        self.level_match_gain.reset(1.0);
        self.level_match_db = 0.0;
        self.recent_peak.reset();
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
        if on && !self.level_match {
            self.recent_peak.reset();
        }
        self.level_match = on;
        if !on {
            self.level_match_gain.set_target(1.0);
            self.level_match_db = 0.0;
        }
    }

    pub fn level_match(&self) -> bool {
        self.level_match
    }

    /// The level-match gain being applied now (dB; 0 when off).
    pub fn level_match_gain_db(&self) -> f32 {
        gain_to_db(self.level_match_gain.current())
    }

    /// Samples level match clipped at the ceiling since the chain was built.
    pub fn level_match_clips(&self) -> u64 {
        self.level_match_clips
    }

    /// Starts or pauses loudness metering (integrated and LRA keep their state while paused).
    pub fn set_loudness_running(&mut self, running: bool) {
        self.loudness_running = running;
    }

    /// Restarts integrated loudness, LRA and the max holds (the GUI's reset button, or
    /// transport start when the user asked for it).
    pub fn reset_loudness(&mut self) {
        self.loudness_in.reset();
        self.loudness_out.reset();
        self.metered_samples = 0;
        self.limiter.reset_meters();
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
        self.eq.set(&s.eq);
        self.compressor.set(&s.compressor);
        self.stereo.set(&s.stereo);
        self.saturation.set(&s.saturation);
        // Quantisation after the limiter may move a sample by up to `max_error`: the limiter
        // aims that much lower so the final output still respects the ceiling.
        self.limiter.set_with_output_margin(&s.limiter, Dither::max_error(&s.dither));
        self.dither.set(&s.dither);
    }

    /// Readings since the last call; peaks restart from zero.
    pub fn take_meters(&mut self) -> ChainMeters {
        let mut m = self.meters;
        m.limiter_gain_reduction_db = self.limiter.gain_reduction_db();
        m.limiter_max_gain_reduction_db = self.limiter.max_gain_reduction_db();
        m.safety_clips = self.limiter.safety_clip_count();
        m.compressor_gain_reduction_db = self.compressor.gain_reduction_db();
        m.input_loudness = LoudnessReadings::read(&self.loudness_in);
        m.output_loudness = LoudnessReadings::read(&self.loudness_out);
        self.meters.input_peak = [0.0; 2];
        self.meters.output_peak = [0.0; 2];
        m
    }

    /// Max gain reduction and clip count restart (the GUI's reset button).
    pub fn reset_meter_holds(&mut self) {
        self.limiter.reset_meters();
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
        let mut start = 0;
        while start < n {
            let len = (n - start).min(MAX_CHUNK);
            let mut left = [0.0f32; MAX_CHUNK];
            let mut right = [0.0f32; MAX_CHUNK];
            if let Some(first) = channels.first() {
                left[..len].copy_from_slice(&first[start..start + len]);
            }
            if stereo {
                right[..len].copy_from_slice(&channels[1][start..start + len]);
            } else {
                right[..len].copy_from_slice(&left[..len]);
            }
            self.process_chunk(&mut left[..len], &mut right[..len]);
            if let Some(first) = channels.first_mut() {
                first[start..start + len].copy_from_slice(&left[..len]);
            }
            if stereo {
                channels[1][start..start + len].copy_from_slice(&right[..len]);
            }
            start += len;
        }
        if self.loudness_running && n > 0 {
            let left: &[f32] = &channels[0][..n];
            let right: &[f32] = if stereo { &channels[1][..n] } else { left };
            self.loudness_out.process(left, right);
            self.metered_samples = self.metered_samples.saturating_add(n);
        }
        if n > 0 && (self.level_match || self.level_match_gain.current() != 1.0 || self.level_match_gain.is_smoothing())
        {
            self.apply_level_match(channels, n);
        }
    }

    fn apply_level_match(&mut self, channels: &mut [&mut [f32]], n: usize) {
        let block_peak = channels.iter().take(2).flat_map(|c| c[..n].iter()).fold(0.0f32, |m, x| m.max(x.abs()));
        self.recent_peak.push_block(block_peak, n);
        let ceiling_db = limiter::ceiling_db(&self.settings.limiter);
        // Monitoring may play a quiet master louder than its own ceiling, never over this.
        let monitor_peak_db = ceiling_db.max(LEVEL_MATCH_MAX_PEAK_DB);
        let window_full = self.metered_samples as f32 >= LEVEL_MATCH_WINDOW_S * self.sample_rate;
        if self.level_match && window_full {
            let s_in = self.loudness_in.short_term_lufs();
            let s_out = self.loudness_out.short_term_lufs();
            if s_in > LEVEL_MATCH_GATE_LUFS && s_out > LEVEL_MATCH_GATE_LUFS {
                let recent_peak_db = gain_to_db(self.recent_peak.peak());
                // Until a whole window of peaks is known, only cuts are safe.
                let headroom_db = if self.recent_peak.is_full() {
                    (monitor_peak_db - LEVEL_MATCH_PEAK_MARGIN_DB - recent_peak_db).max(0.0)
                } else {
                    0.0
                };
                let target_db = (s_in - s_out).clamp(-LEVEL_MATCH_RANGE_DB, LEVEL_MATCH_RANGE_DB);
                // Average the difference so the match follows the programme, not each beat.
                let a = 1.0 - (-(n as f32) / (LEVEL_MATCH_AVERAGE_S * self.sample_rate)).exp();
                self.level_match_db += (target_db - self.level_match_db) * a;
                self.level_match_gain.set_target(db_to_gain(self.level_match_db.min(headroom_db)));
            }
        }
        // `powf`, not the fast approximation: this clip must not sit an ulp over its level.
        let limit = 10f32.powf(monitor_peak_db / 20.0);
        for i in 0..n {
            let g = self.level_match_gain.next();
            for channel in channels.iter_mut().take(2) {
                let x = channel[i] * g;
                // Only a boost can cross the limit (cuts leave the limiter's guarantee alone).
                channel[i] = if g > 1.0 && x.abs() > limit {
                    self.level_match_clips += 1;
                    limit.copysign(x)
                } else {
                    x
                };
            }
        }
    }

    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32]) {
        let len = left.len();
        let mut dry_l = [0.0f32; MAX_CHUNK];
        let mut dry_r = [0.0f32; MAX_CHUNK];
        for channel in [&mut *left, &mut *right] {
            channel.iter_mut().for_each(|x| *x = reject_garbage(*x));
        }
        for (peak, x) in self.meters.input_peak.iter_mut().zip([&*left, &*right]) {
            *peak = peak.max(max_abs(x));
        }
        // The latency-aligned input is read only while the bypass or delta mix needs it; the
        // delay lines are written always, so it is ready when a crossfade starts.
        let settled = |s: &LinearSmoother, v: f32| !s.is_smoothing() && s.current() == v;
        let mixing = !(settled(&self.wet_mix, 1.0) && settled(&self.delta_mix, 0.0));
        self.dry[0].push_block(left, mixing.then_some(&mut dry_l[..len]));
        self.dry[1].push_block(right, mixing.then_some(&mut dry_r[..len]));
        apply_gain(&mut self.input_gain, left, right);

        self.eq.process(left, right);
        self.compressor.process(left, right);
        self.stereo.process(left, right);
        self.saturation.process(left, right);
        self.limiter.process(left, right);

        apply_gain(&mut self.output_gain, left, right);
        self.dither.process(0, left);
        self.dither.process(1, right);

        // Settled at wet = 1 and delta = 0 the mix below gives `processed` bit for bit.
        if mixing {
            for i in 0..len {
                let wet = self.wet_mix.next();
                let delta = self.delta_mix.next();
                for (out, dry) in [(&mut left[i], dry_l[i]), (&mut right[i], dry_r[i])] {
                    // delta = 1 → output minus input (what the chain adds or removes).
                    let processed = *out - delta * dry;
                    // Exact at both ends (wet = 1 gives `processed` bit for bit, so nothing the
                    // limiter kept under the ceiling is nudged over it by rounding; wet = 0 gives dry).
                    *out = processed * wet + dry * (1.0 - wet);
                }
            }
        }
        for (peak, x) in self.meters.output_peak.iter_mut().zip([&*left, &*right]) {
            *peak = peak.max(max_abs(x));
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
