//! Lock-free telemetry from the audio thread to the editor. The audio thread only stores into
//! atomics (relaxed; every reading is a single word, so nothing can tear) and never waits; the
//! GUI reads whenever it repaints. Peaks accumulate with a compare-and-swap max until the GUI
//! takes them; the spectrum tap is a ring of atomics holding pre- and post-chain mono sums that
//! the GUI copies out and transforms on its own thread.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use atomic_float::AtomicF32;

use crate::chain::ChainMeters;

/// Samples kept for the spectrum: four times the GUI's FFT size, so a GUI copy can never be
/// lapped by the writer in practice.
pub const SPECTRUM_RING: usize = 16_384;

pub struct MeterBus {
    pub input_peak: [AtomicF32; 2],
    pub output_peak: [AtomicF32; 2],
    pub limiter_gain_reduction_db: AtomicF32,
    pub limiter_max_gain_reduction_db: AtomicF32,
    pub safety_clips: AtomicU64,
    pub sample_rate: AtomicF32,
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
            sample_rate: AtomicF32::new(48_000.0),
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
