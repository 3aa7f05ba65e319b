//! Lock-free telemetry from the audio thread to the editor. The audio thread only stores into
//! atomics (relaxed; every reading is a single word, so nothing can tear) and never waits; the
//! GUI reads whenever it repaints. Peaks accumulate with a compare-and-swap max until the GUI
//! takes them; the spectrum tap is a ring of atomics holding pre- and post-chain mono sums that
//! the GUI copies out and transforms on its own thread.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use atomic_float::AtomicF32;

use crate::chain::{ChainMeters, LoudnessReadings};

/// Samples kept for the spectrum: four times the GUI's FFT size, so a GUI copy can never be
/// lapped by the writer in practice.
pub const SPECTRUM_RING: usize = 16_384;

/// Level-history points per second: one point summarises 10 ms of audio (its maxima), so a
/// peak shorter than a GUI frame still lands in the history.
pub const HISTORY_POINTS_PER_S: f32 = 100.0;
/// History points kept on the bus: 20 s, twice what the editor shows, so a GUI that stalls for
/// several seconds still finds every point it has not read yet.
pub const HISTORY_RING: usize = 2048;
/// The GUI reads at most this many of the newest points, leaving the slots the writer may be
/// filling meanwhile untouched.
pub const HISTORY_READ_MAX: usize = HISTORY_RING - 256;

/// One 10 ms summary of the level history.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HistoryPoint {
    /// Input sample peak over the interval, both channels (linear).
    pub input_peak: f32,
    /// Output sample peak over the interval (linear).
    pub output_peak: f32,
    /// Largest limiter gain reduction seen in the interval (positive dB).
    pub gain_reduction_db: f32,
    /// The limiter ceiling at the end of the interval (dBFS), so automation shows as it moves.
    pub ceiling_db: f32,
    /// Output short-term loudness (EBU R128, 3 s window) at the end of the interval (LUFS;
    /// `-inf` until measurable), for the loudness history.
    pub short_term_lufs: f32,
}

/// One history slot as atomics; a slot is only read once `history_written` says it is complete.
struct HistorySlot {
    input_peak: AtomicF32,
    output_peak: AtomicF32,
    gain_reduction_db: AtomicF32,
    ceiling_db: AtomicF32,
    short_term_lufs: AtomicF32,
}

impl HistorySlot {
    fn new() -> Self {
        Self {
            input_peak: AtomicF32::new(0.0),
            output_peak: AtomicF32::new(0.0),
            gain_reduction_db: AtomicF32::new(0.0),
            ceiling_db: AtomicF32::new(0.0),
            short_term_lufs: AtomicF32::new(f32::NEG_INFINITY),
        }
    }
}

pub struct MeterBus {
    pub input_peak: [AtomicF32; 2],
    pub output_peak: [AtomicF32; 2],
    /// Highest block true peak per channel since the GUI last took it (dBTP; `-inf` after a
    /// take), so the meters' bars and maxima see every block, not only the one a frame lands on.
    pub input_true_peak_dbtp: [AtomicF32; 2],
    pub output_true_peak_dbtp: [AtomicF32; 2],
    pub limiter_gain_reduction_db: AtomicF32,
    /// Largest limiter gain reduction since the GUI last took it (positive dB; 0 after a take).
    pub limiter_gain_reduction_peak_db: AtomicF32,
    pub limiter_max_gain_reduction_db: AtomicF32,
    pub safety_clips: AtomicU64,
    /// Compressor gain reduction per band (positive dB).
    pub compressor_gain_reduction_db: [AtomicF32; 3],
    pub sample_rate: AtomicF32,
    pub input_loudness: LoudnessAtomics,
    pub output_loudness: LoudnessAtomics,
    /// The monitoring-only level-match gain being applied (dB; 0 when off).
    pub level_match_gain_db: AtomicF32,
    /// Set by the GUI's reset button; the audio thread clears it when it has reset the meters.
    pub reset_requested: AtomicBool,
    pre: Box<[AtomicF32]>,
    post: Box<[AtomicF32]>,
    /// Total samples written to the spectrum rings (monotonic; position = written % len).
    written: AtomicUsize,
    /// The 10 ms point being accumulated (written and read by the audio thread only; atomics
    /// so the bus stays `Sync` without a lock).
    history_acc: HistorySlot,
    history_acc_frames: AtomicUsize,
    history: Box<[HistorySlot]>,
    /// Completed history points (monotonic; slot = written % HISTORY_RING).
    history_written: AtomicUsize,
}

impl Default for MeterBus {
    fn default() -> Self {
        Self::new()
    }
}

impl MeterBus {
    pub fn new() -> Self {
        let ring = || (0..SPECTRUM_RING).map(|_| AtomicF32::new(0.0)).collect::<Vec<_>>().into_boxed_slice();
        Self {
            input_peak: [AtomicF32::new(0.0), AtomicF32::new(0.0)],
            output_peak: [AtomicF32::new(0.0), AtomicF32::new(0.0)],
            input_true_peak_dbtp: [AtomicF32::new(f32::NEG_INFINITY), AtomicF32::new(f32::NEG_INFINITY)],
            output_true_peak_dbtp: [AtomicF32::new(f32::NEG_INFINITY), AtomicF32::new(f32::NEG_INFINITY)],
            limiter_gain_reduction_db: AtomicF32::new(0.0),
            limiter_gain_reduction_peak_db: AtomicF32::new(0.0),
            limiter_max_gain_reduction_db: AtomicF32::new(0.0),
            safety_clips: AtomicU64::new(0),
            compressor_gain_reduction_db: [AtomicF32::new(0.0), AtomicF32::new(0.0), AtomicF32::new(0.0)],
            sample_rate: AtomicF32::new(48_000.0),
            input_loudness: LoudnessAtomics::default(),
            output_loudness: LoudnessAtomics::default(),
            level_match_gain_db: AtomicF32::new(0.0),
            reset_requested: AtomicBool::new(false),
            pre: ring(),
            post: ring(),
            written: AtomicUsize::new(0),
            history_acc: HistorySlot::new(),
            history_acc_frames: AtomicUsize::new(0),
            history: (0..HISTORY_RING).map(|_| HistorySlot::new()).collect::<Vec<_>>().into_boxed_slice(),
            history_written: AtomicUsize::new(0),
        }
    }

    /// Frames in one history point at the current sample rate.
    fn frames_per_history_point(&self) -> usize {
        let rate = self.sample_rate.load(Ordering::Relaxed);
        let frames = (rate / HISTORY_POINTS_PER_S).round();
        if frames.is_finite() && frames >= 1.0 {
            frames as usize
        } else {
            1
        }
    }

    /// Audio thread: frames left until the current history point is complete. The shell cuts
    /// its pieces there so every point covers exactly its own 10 ms.
    pub fn frames_to_next_history_point(&self) -> usize {
        let per_point = self.frames_per_history_point();
        per_point.saturating_sub(self.history_acc_frames.load(Ordering::Relaxed)).max(1)
    }

    /// Audio thread: folds `frames` frames' meters into the current history point and completes
    /// it once it spans 10 ms. Only atomic loads and stores; never allocates or waits.
    pub fn record_history(&self, frames: usize, m: &ChainMeters, ceiling_db: f32) {
        let o = Ordering::Relaxed;
        let acc = &self.history_acc;
        let peak_in = m.input_peak[0].max(m.input_peak[1]);
        let peak_out = m.output_peak[0].max(m.output_peak[1]);
        acc.input_peak.store(acc.input_peak.load(o).max(peak_in), o);
        acc.output_peak.store(acc.output_peak.load(o).max(peak_out), o);
        let gr = m.limiter_gain_reduction_db.abs();
        acc.gain_reduction_db.store(acc.gain_reduction_db.load(o).max(gr), o);
        acc.ceiling_db.store(ceiling_db, o);
        acc.short_term_lufs.store(m.output_loudness.short_term_lufs, o);
        let frames = self.history_acc_frames.load(o) + frames;
        let per_point = self.frames_per_history_point();
        if frames < per_point {
            self.history_acc_frames.store(frames, o);
            return;
        }
        let written = self.history_written.load(o);
        let slot = &self.history[written % HISTORY_RING];
        slot.input_peak.store(acc.input_peak.swap(0.0, o), o);
        slot.output_peak.store(acc.output_peak.swap(0.0, o), o);
        slot.gain_reduction_db.store(acc.gain_reduction_db.swap(0.0, o), o);
        slot.ceiling_db.store(ceiling_db, o);
        slot.short_term_lufs.store(m.output_loudness.short_term_lufs, o);
        self.history_written.store(written.wrapping_add(1), Ordering::Release);
        // A piece longer than a point (a caller that does not cut at the boundary) starts the
        // next point afresh rather than emitting copies of this one.
        self.history_acc_frames.store((frames - per_point).min(per_point - 1), o);
    }

    /// GUI thread: hands every history point completed since `*cursor` (oldest first, at most
    /// `HISTORY_READ_MAX` of the newest) to `sink` and advances the cursor.
    pub fn read_history(&self, cursor: &mut usize, mut sink: impl FnMut(HistoryPoint)) {
        let end = self.history_written.load(Ordering::Acquire);
        let pending = end.wrapping_sub(*cursor).min(HISTORY_READ_MAX);
        let o = Ordering::Relaxed;
        for k in end.wrapping_sub(pending)..end {
            let slot = &self.history[k % HISTORY_RING];
            sink(HistoryPoint {
                input_peak: slot.input_peak.load(o),
                output_peak: slot.output_peak.load(o),
                gain_reduction_db: slot.gain_reduction_db.load(o),
                ceiling_db: slot.ceiling_db.load(o),
                short_term_lufs: slot.short_term_lufs.load(o),
            });
        }
        *cursor = end;
    }

    /// Audio thread: publishes one block's readings. No allocation, no waiting on the reader.
    pub fn publish(&self, m: &ChainMeters) {
        for ch in 0..2 {
            max_into(&self.input_peak[ch], m.input_peak[ch]);
            max_into(&self.output_peak[ch], m.output_peak[ch]);
            max_into(&self.input_true_peak_dbtp[ch], m.input_loudness.block_true_peak_dbtp[ch]);
            max_into(&self.output_true_peak_dbtp[ch], m.output_loudness.block_true_peak_dbtp[ch]);
        }
        self.limiter_gain_reduction_db.store(m.limiter_gain_reduction_db, Ordering::Relaxed);
        max_into(&self.limiter_gain_reduction_peak_db, m.limiter_gain_reduction_db.abs());
        self.limiter_max_gain_reduction_db.store(m.limiter_max_gain_reduction_db, Ordering::Relaxed);
        self.safety_clips.store(m.safety_clips, Ordering::Relaxed);
        for (atomic, &gr) in self.compressor_gain_reduction_db.iter().zip(&m.compressor_gain_reduction_db) {
            atomic.store(gr, Ordering::Relaxed);
        }
        self.input_loudness.store(&m.input_loudness);
        self.output_loudness.store(&m.output_loudness);
    }

    /// Audio thread: appends pre/post mono sums (equal lengths) to the spectrum rings.
    pub fn push_spectrum(&self, pre: &[f32], post: &[f32]) {
        let start = self.written.load(Ordering::Relaxed);
        for (i, (&a, &b)) in pre.iter().zip(post).enumerate() {
            let slot = (start + i) % SPECTRUM_RING;
            self.pre[slot].store(a, Ordering::Relaxed);
            self.post[slot].store(b, Ordering::Relaxed);
        }
        self.written.store(start.wrapping_add(pre.len().min(post.len())), Ordering::Release);
    }

    /// GUI thread: the most recent `pre.len()` samples of both rings, oldest first.
    pub fn copy_spectrum(&self, pre: &mut [f32], post: &mut [f32]) {
        let n = pre.len().min(post.len()).min(SPECTRUM_RING);
        let end = self.written.load(Ordering::Acquire);
        let start = end.wrapping_sub(n);
        for i in 0..n {
            let slot = start.wrapping_add(i) % SPECTRUM_RING;
            pre[i] = self.pre[slot].load(Ordering::Relaxed);
            post[i] = self.post[slot].load(Ordering::Relaxed);
        }
    }

    /// GUI thread: takes the peak since the last take.
    pub fn take_peak(peak: &AtomicF32) -> f32 {
        peak.swap(0.0, Ordering::Relaxed)
    }

    /// GUI thread: takes a dB maximum (true peak) since the last take; `-inf` if none came.
    pub fn take_max_db(max: &AtomicF32) -> f32 {
        max.swap(f32::NEG_INFINITY, Ordering::Relaxed)
    }
}

/// Lock-free max: retries only if the GUI reset the value in between (bounded by the reader's
/// rate, never blocks).
fn max_into(target: &AtomicF32, value: f32) {
    let mut current = target.load(Ordering::Relaxed);
    while value > current {
        match target.compare_exchange_weak(current, value, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break,
            Err(actual) => current = actual,
        }
    }
}

/// One metering point's loudness readings as atomics (each reading is independent).
pub struct LoudnessAtomics {
    pub momentary_lufs: AtomicF32,
    pub short_term_lufs: AtomicF32,
    pub integrated_lufs: AtomicF32,
    pub loudness_range_lu: AtomicF32,
    pub true_peak_dbtp: [AtomicF32; 2],
    pub block_true_peak_dbtp: [AtomicF32; 2],
    pub correlation: AtomicF32,
}

impl Default for LoudnessAtomics {
    fn default() -> Self {
        let ninf = || AtomicF32::new(f32::NEG_INFINITY);
        Self {
            momentary_lufs: ninf(),
            short_term_lufs: ninf(),
            integrated_lufs: ninf(),
            loudness_range_lu: ninf(),
            true_peak_dbtp: [ninf(), ninf()],
            block_true_peak_dbtp: [ninf(), ninf()],
            correlation: AtomicF32::new(0.0),
        }
    }
}

impl LoudnessAtomics {
    fn store(&self, r: &LoudnessReadings) {
        let o = Ordering::Relaxed;
        self.momentary_lufs.store(r.momentary_lufs, o);
        self.short_term_lufs.store(r.short_term_lufs, o);
        self.integrated_lufs.store(r.integrated_lufs, o);
        self.loudness_range_lu.store(r.loudness_range_lu, o);
        for ch in 0..2 {
            self.true_peak_dbtp[ch].store(r.true_peak_dbtp[ch], o);
            self.block_true_peak_dbtp[ch].store(r.block_true_peak_dbtp[ch], o);
        }
        self.correlation.store(r.correlation, o);
    }

    /// GUI side: a plain copy of the current readings.
    pub fn load(&self) -> LoudnessReadings {
        let o = Ordering::Relaxed;
        LoudnessReadings {
            momentary_lufs: self.momentary_lufs.load(o),
            short_term_lufs: self.short_term_lufs.load(o),
            integrated_lufs: self.integrated_lufs.load(o),
            loudness_range_lu: self.loudness_range_lu.load(o),
            true_peak_dbtp: [self.true_peak_dbtp[0].load(o), self.true_peak_dbtp[1].load(o)],
            block_true_peak_dbtp: [self.block_true_peak_dbtp[0].load(o), self.block_true_peak_dbtp[1].load(o)],
            correlation: self.correlation.load(o),
        }
    }
}
