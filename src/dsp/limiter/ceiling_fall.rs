//! A lower ceiling reaches the samples already inside the limiter.
//!
//! The ceiling is a per-sample input: each sample is limited to the ceiling in force when it
//! entered. Hosts do not agree on when a latent plugin's automation arrives: most send it with
//! the input (the point the user drew enters the plugin then, and comes out one latency later,
//! aligned again after the host's latency compensation), Ardour sends it at the plugin's output
//! time (the point arrives when the audio at the automation point is about to leave). Under the
//! second convention a ceiling that travels with the audio takes effect one latency late.
//!
//! So the rule is asymmetric. A higher ceiling travels with the audio (sample s gets the
//! ceiling in force when it entered). A lower ceiling applies at once to every sample still
//! inside: the last-resort clip's ceilings and the detection thresholds still to be read are
//! lowered, and the requirements already in the gain path are recomputed from the detector's
//! stored peaks and revised there (`GainPath::lower_recent`). Either convention then keeps
//! every output sample under both sections' ceilings: output-time hosts get the lower ceiling
//! exactly at the automation point, input-time hosts up to one latency early (a little quieter
//! than needed, never over). A rise arriving at output time starts up to one latency late (also
//! quieter, never over).
//!
//! Cost: lowering the stored ceilings is one pass over the latency per fall (a minimum per
//! sample, done at the start of the next `process`). Revising the gain path is a few passes
//! over the latency, done at most once per `CHUNK` frames: a falling ramp of automation (many
//! small falls) is caught up at that rate, and a fall arriving sooner after the previous
//! revision is revised at the next chance. Meanwhile the clip already holds the new ceiling
//! exactly (sample peak) and the samples not yet detected already see it; only the gains of
//! samples detected before the fall lag, by at most 128 frames of the ramp's movement (0.016 dB
//! at 48 kHz for a fall of 6 dB per second).

use crate::dsp::filter::ring::Ring;

use super::CHUNK;

#[derive(Debug, Clone)]
pub(super) struct CeilingFall {
    /// The detector's (raised) peak per channel, by the position its requirement was pushed at.
    peaks: [Ring; 2],
    /// Working arrays for one revision, one value per requirement still in the gain path.
    ceilings: Vec<f32>,
    recent_peaks: [Vec<f32>; 2],
    requirements: [Vec<f32>; 2],
    /// A fall of the ceiling (or of the detection threshold) not yet applied to the ceilings
    /// stored for the samples inside.
    fall: bool,
    /// A fall not yet applied to the requirements in the gain path.
    pending: bool,
    /// Frames processed since the last revision.
    since: usize,
}

impl CeilingFall {
    /// For a gain path whose requirements wait `delay` pushes before their gains leave.
    pub(super) fn new(delay: usize) -> Self {
        let delay = delay.max(1);
        Self {
            peaks: [Ring::new(delay + CHUNK + 1, 0.0), Ring::new(delay + CHUNK + 1, 0.0)],
            ceilings: vec![0.0; delay],
            recent_peaks: [vec![0.0; delay], vec![0.0; delay]],
            requirements: [vec![0.0; delay], vec![0.0; delay]],
            fall: false,
            pending: false,
            since: CHUNK,
        }
    }

    pub(super) fn reset(&mut self) {
        self.peaks.iter_mut().for_each(|r| r.fill(0.0));
        self.fall = false;
        self.pending = false;
        self.since = CHUNK;
    }

    /// The ceiling or the detection threshold has just fallen.
    pub(super) fn request(&mut self) {
        self.fall = true;
        self.pending = true;
    }

    /// A fall is to be applied to the ceilings stored for the samples inside; clears it.
    pub(super) fn take_fall(&mut self) -> bool {
        std::mem::take(&mut self.fall)
    }

    /// A revision is pending and allowed now (at most one per `CHUNK` frames); clears it.
    pub(super) fn due(&mut self) -> bool {
        if self.pending && self.since >= CHUNK {
            self.pending = false;
            self.since = 0;
            true
        } else {
            false
        }
    }

    pub(super) fn advance(&mut self, frames: usize) {
        self.since = self.since.saturating_add(frames);
    }

    /// Stores channel `ch`'s detected peaks for the requirements pushed at `pos..`.
    pub(super) fn record(&mut self, ch: usize, pos: usize, peaks: &[f32]) {
        self.peaks[ch].write_block(pos, peaks);
    }

    /// The working arrays for a revision at `pos`: thresholds to fill, the stored peaks of the
    /// requirements pushed at `pos - delay .. pos` (oldest first), requirements to fill.
    pub(super) fn buffers(&mut self, pos: usize) -> (&mut [f32], [&[f32]; 2], [&mut [f32]; 2]) {
        let delay = self.ceilings.len();
        for (ring, out) in self.peaks.iter().zip(&mut self.recent_peaks) {
            ring.read_block(pos.wrapping_sub(delay), out);
        }
        let [pl, pr] = &self.recent_peaks;
        let [rl, rr] = &mut self.requirements;
        (&mut self.ceilings, [pl, pr], [rl, rr])
    }
}
