//! Running minimum over the last `window` values (monotonic deque in a fixed ring), the "hold"
//! of the limiter's gain computer: a gain requirement stays in force for the whole window so the
//! smoothing that follows can ramp into it before the peak arrives. Amortised O(1) per sample,
//! no allocation after construction.

#[derive(Debug, Clone)]
pub struct SlidingMin {
    /// (sample index, value) pairs with strictly increasing values from front to back.
    values: Vec<(u64, f32)>,
    head: usize,
    len: usize,
    window: u64,
    index: u64,
}

impl SlidingMin {
    /// `max_window` bounds every later [`set_window`](Self::set_window).
    pub fn new(max_window: usize) -> Self {
        let capacity = max_window.max(1) + 1;
        Self { values: vec![(0, 0.0); capacity], head: 0, len: 0, window: max_window.max(1) as u64, index: 0 }
    }

    pub fn set_window(&mut self, window: usize) {
        self.window = (window.max(1) as u64).min(self.values.len() as u64 - 1);
    }

    /// Takes over `other`'s contents (same capacity), without allocating.
    pub fn copy_state_from(&mut self, other: &SlidingMin) {
        self.values.copy_from_slice(&other.values);
        self.head = other.head;
        self.len = other.len;
        self.window = other.window;
        self.index = other.index;
    }

    pub fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
        self.index = 0;
    }

    #[inline]
    fn slot(&self, k: usize) -> usize {
        let i = self.head + k;
        if i >= self.values.len() {
            i - self.values.len()
        } else {
            i
        }
    }

    /// Adds a value and returns the minimum of the last `window` values (including this one).
    #[inline]
    pub fn push(&mut self, value: f32) -> f32 {
        // Drop the values that can never be the minimum again.
        while self.len > 0 && self.values[self.slot(self.len - 1)].1 >= value {
            self.len -= 1;
        }
        let s = self.slot(self.len);
        self.values[s] = (self.index, value);
        self.len += 1;
        // Drop the value that left the window (at most one per push, plus any after a shrink).
        while self.index - self.values[self.head].0 >= self.window {
            self.head = self.slot(1);
            self.len -= 1;
        }
        self.index += 1;
        self.values[self.head].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::XorShift32;

    #[test]
    fn matches_brute_force() {
        let mut rng = XorShift32::new(7);
        for window in [1usize, 2, 5, 17, 64] {
            let mut sm = SlidingMin::new(64);
            sm.set_window(window);
            let data: Vec<f32> = (0..5000).map(|_| rng.next_centered()).collect();
            for i in 0..data.len() {
                let lo = i.saturating_sub(window - 1);
                let expected = data[lo..=i].iter().cloned().fold(f32::INFINITY, f32::min);
                assert_eq!(sm.push(data[i]), expected, "window {window} at {i}");
            }
        }
    }

    #[test]
    fn monotonic_inputs_stay_in_capacity() {
        let mut sm = SlidingMin::new(8);
        let data: Vec<f32> = (0..100).chain((0..100).rev()).map(|v| v as f32).collect();
        for i in 0..data.len() {
            let expected = data[i.saturating_sub(7)..=i].iter().cloned().fold(f32::INFINITY, f32::min);
            assert_eq!(sm.push(data[i]), expected, "at {i}");
        }
    }
}
