//! Monitoring-only level match (see [`Chain::set_level_match`](super::Chain::set_level_match)):
//! after the output meter, the output is turned up or down so its short-term loudness equals
//! the input's, boosts capped by the recent output peak.

use crate::dsp::meter::loudness::LoudnessMeter;
use crate::dsp::meter::peak_window::PeakWindow;
use crate::dsp::util::math::{db_to_gain, gain_to_db};
use crate::dsp::util::smoother::LinearSmoother;

/// Level match follows its target with ramps this long (targets move every 10 ms or so).
const LEVEL_MATCH_RAMP_MS: f32 = 50.0;
/// Level match never moves the monitored level further than this either way.
const LEVEL_MATCH_RANGE_DB: f32 = 24.0;
/// Below this short-term loudness (silence, fades) the match holds its gain.
const LEVEL_MATCH_GATE_LUFS: f32 = -60.0;
/// Short-term loudness window (EBU Tech 3341): level match waits until both meters have one,
/// and caps boosts by the output peak over the same span.
pub(super) const LEVEL_MATCH_WINDOW_S: f32 = 3.0;
/// Time constant of the averaging of the loudness difference.
const LEVEL_MATCH_AVERAGE_S: f32 = 0.3;
/// Highest peak a level-match boost may reach when the ceiling is lower (a -3 dBTP vinyl
/// pre-master must still be comparable with a -14 LUFS mix): monitoring headroom, not a master.
const LEVEL_MATCH_MAX_PEAK_DB: f32 = -0.5;
/// Boosts keep the recent output peak this far under that level (inter-sample allowance).
const LEVEL_MATCH_PEAK_MARGIN_DB: f32 = 0.5;

pub(super) struct LevelMatch {
    sample_rate: f32,
    on: bool,
    gain: LinearSmoother,
    /// Averaged loudness difference (dB) the match aims for.
    db: f32,
    /// The output's peak over the last short-term window, which caps boosts.
    recent_peak: PeakWindow,
    /// Samples the boost had to clip at the ceiling (the cap normally prevents it).
    clips: u64,
}

impl LevelMatch {
    pub(super) fn new(sample_rate: f32) -> Self {
        Self {
            sample_rate,
            on: false,
            gain: LinearSmoother::new(sample_rate, LEVEL_MATCH_RAMP_MS, 1.0),
            db: 0.0,
            recent_peak: PeakWindow::new(sample_rate, LEVEL_MATCH_WINDOW_S),
            clips: 0,
        }
    }

    /// Back to unity at once (the clip count is kept: it counts since the chain was built).
    pub(super) fn reset(&mut self) {
        self.gain.reset(1.0);
        self.db = 0.0;
        self.recent_peak.reset();
    }

    pub(super) fn set_on(&mut self, on: bool) {
        if on && !self.on {
            self.recent_peak.reset();
        }
        self.on = on;
        if !on {
            self.gain.set_target(1.0);
            self.db = 0.0;
        }
    }

    pub(super) fn is_on(&self) -> bool {
        self.on
    }

    /// Whether `process` has anything to do (on, or still ramping back to unity).
    pub(super) fn is_active(&self) -> bool {
        self.on || self.gain.current() != 1.0 || self.gain.is_smoothing()
    }

    pub(super) fn gain_db(&self) -> f32 {
        gain_to_db(self.gain.current())
    }

    pub(super) fn clips(&self) -> u64 {
        self.clips
    }

    /// Applies the match to the first two of `channels` (`n` frames, already metered):
    /// `loudness` is the chain's (input, output) meter pair, `window_full` whether both have
    /// measured a whole short-term window since they were reset.
    pub(super) fn process(
        &mut self,
        channels: &mut [&mut [f32]],
        n: usize,
        ceiling_db: f32,
        loudness: (&LoudnessMeter, &LoudnessMeter),
        window_full: bool,
    ) {
        let block_peak = channels.iter().take(2).flat_map(|c| c[..n].iter()).fold(0.0f32, |m, x| m.max(x.abs()));
        self.recent_peak.push_block(block_peak, n);
        // Monitoring may play a quiet master louder than its own ceiling, never over this.
        let monitor_peak_db = ceiling_db.max(LEVEL_MATCH_MAX_PEAK_DB);
        if self.on && window_full {
            let s_in = loudness.0.short_term_lufs();
            let s_out = loudness.1.short_term_lufs();
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
                self.db += (target_db - self.db) * a;
                self.gain.set_target(db_to_gain(self.db.min(headroom_db)));
            }
        }
        // `powf`, not the fast approximation: this clip must not sit an ulp over its level.
        let limit = 10f32.powf(monitor_peak_db / 20.0);
        for i in 0..n {
            let g = self.gain.next();
            for channel in channels.iter_mut().take(2) {
                let x = channel[i] * g;
                // Only a boost can cross the limit (cuts leave the limiter's guarantee alone).
                channel[i] = if g > 1.0 && x.abs() > limit {
                    self.clips += 1;
                    limit.copysign(x)
                } else {
                    x
                };
            }
        }
    }
}
