//! Maximum absolute sample over a sliding window of fixed duration, in fixed memory: the window
//! is kept as the maxima of short slots, so a push costs a compare and the readout a scan of the
//! slots. Used by the monitoring level match to cap its boosts by the recent output peak.

/// Number of slots the window is split into.
const SLOTS: usize = 64;

pub struct PeakWindow {
    slot_samples: usize,
    slots: [f32; SLOTS],
    current: usize,
    filled: usize,
    /// Counts slot wraps, so callers know when the window has seen a full span.
    pushed_windows: usize,
}

impl PeakWindow {
    /// A window of `seconds` at `sample_rate` (the window is `SLOTS` slots of equal length).
    pub fn new(sample_rate: f32, seconds: f32) -> Self {
        let slot_samples = ((sample_rate * seconds) / SLOTS as f32).ceil().max(1.0) as usize;
        Self { slot_samples, slots: [0.0; SLOTS], current: 0, filled: 0, pushed_windows: 0 }
    }

    pub fn reset(&mut self) {
        self.slots = [0.0; SLOTS];
        self.current = 0;
        self.filled = 0;
        self.pushed_windows = 0;
    }

    /// Adds a block of `len` samples whose largest magnitude is `peak` (credited to the slot the
    /// block starts in, so the window is exact to within one block).
    pub fn push_block(&mut self, peak: f32, len: usize) {
        // `max` also keeps a NaN from ever entering (NaN.max(a) = a and a.max(NaN) = a).
        self.slots[self.current] = self.slots[self.current].max(peak.abs());
        self.filled += len;
        while self.filled >= self.slot_samples {
            self.filled -= self.slot_samples;
            self.current = (self.current + 1) % SLOTS;
            self.slots[self.current] = 0.0;
            if self.current == 0 {
                self.pushed_windows = self.pushed_windows.saturating_add(1);
            }
        }
    }

    /// Whether a whole window has been pushed since the last reset.
    pub fn is_full(&self) -> bool {
        self.pushed_windows > 0
    }

    /// The largest magnitude pushed within the last window (up to one slot longer).
    pub fn peak(&self) -> f32 {
        self.slots.iter().fold(0.0, |m, &v| m.max(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_a_peak_for_the_window_then_forgets_it() {
        let fs = 1000.0;
        let mut w = PeakWindow::new(fs, 1.0);
        w.push_block(-0.9, 10);
        for _ in 0..89 {
            w.push_block(0.1, 10);
        }
        assert_eq!(w.peak(), 0.9);
        assert!(!w.is_full());
        for _ in 0..20 {
            w.push_block(0.1, 10);
        }
        assert_eq!(w.peak(), 0.1);
        assert!(w.is_full());
        w.push_block(f32::NAN, 1);
        assert_eq!(w.peak(), 0.1);
        w.reset();
        assert_eq!(w.peak(), 0.0);
        assert!(!w.is_full());
    }
}
