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

pub struct MeterBus {
    pub input_peak: [AtomicF32; 2],
    pub output_peak: [AtomicF32; 2],
    pub limiter_gain_reduction_db: AtomicF32,
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
            limiter_gain_reduction_db: AtomicF32::new(0.0),
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
        }
    }

    /// Audio thread: publishes one block's readings. No allocation, no waiting on the reader.
    pub fn publish(&self, m: &ChainMeters) {
        for ch in 0..2 {
            max_into(&self.input_peak[ch], m.input_peak[ch]);
            max_into(&self.output_peak[ch], m.output_peak[ch]);
        }
        self.limiter_gain_reduction_db.store(m.limiter_gain_reduction_db, Ordering::Relaxed);
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
