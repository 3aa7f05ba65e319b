//! Running minimum over the last `window` values, the "hold" of the limiter's gain computer: a
//! gain requirement stays in force for the whole window so the smoothing that follows can ramp
//! into it before the peak arrives.
//!
//! The van Herk / Gil-Werman algorithm: the stream is cut into segments of `window` values. For
//! a value in the current segment, the window ending there covers a suffix of the previous
//! segment and a prefix of the current one, so its minimum is min(suffix minimum of the previous
//! segment, running minimum of the current one). The suffix minima are computed once, backwards,
//! when a segment completes. That is about three comparisons per value and, unlike a monotonic
//! deque, no data-dependent branch (a deque mispredicts on noise-like requirements, which is
//! what a limiter on a dense mix sees). Exact (a minimum involves no rounding); no allocation
//! after construction.

#[derive(Debug, Clone)]
pub struct SlidingMin {
    /// The values of the current segment so far.
    current: Vec<f32>,
    /// suffix[j] = min of the previous segment from its j-th value to its end; suffix[window] is
    /// the identity (+inf), for the window that starts exactly at the current segment.
    suffix: Vec<f32>,
    /// Minimum of the current segment so far (+inf at its start).
    prefix: f32,
    /// Position in the current segment.
    filled: usize,
    window: usize,
}

impl SlidingMin {
    /// `max_window` bounds every later [`set_window`](Self::set_window).
    pub fn new(max_window: usize) -> Self {
        let capacity = max_window.max(1);
        let mut sm = Self {
            current: vec![f32::INFINITY; capacity],
            suffix: vec![f32::INFINITY; capacity + 1],
            prefix: f32::INFINITY,
            filled: 0,
            window: capacity,
        };
        sm.reset();
        sm
    }

    /// Changes the window; forgets the values pushed so far (as [`reset`](Self::reset)).
    pub fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.current.len());
        self.reset();
    }

    /// Takes over `other`'s contents (same capacity), without allocating.
    pub fn copy_state_from(&mut self, other: &SlidingMin) {
        self.current.copy_from_slice(&other.current);
        self.suffix.copy_from_slice(&other.suffix);
        self.prefix = other.prefix;
        self.filled = other.filled;
        self.window = other.window;
    }

    /// Forgets every value: the next minima cover only the values pushed from now on.
    pub fn reset(&mut self) {
        self.suffix.fill(f32::INFINITY);
        self.prefix = f32::INFINITY;
        self.filled = 0;
    }

    /// Adds a value and returns the minimum of the last `window` values (including this one).
    #[inline]
    pub fn push(&mut self, value: f32) -> f32 {
        let mut out = [value];
        self.process(&mut out);
        out[0]
    }

    /// Replaces each value of `values` by the minimum of the last `window` values up to and
    /// including it, continuing the stream.
    pub fn process(&mut self, values: &mut [f32]) {
        let mut rest = values;
        while !rest.is_empty() {
            let w = self.window;
            let start = self.filled;
            let len = rest.len().min(w - start);
            let (head, tail) = rest.split_at_mut(len);
            let current = &mut self.current[start..start + len];
            let suffix = &self.suffix[start + 1..start + 1 + len];
            current.copy_from_slice(head);
            self.prefix = forward_fold(self.prefix, head, suffix);
            self.filled = start + len;
            if self.filled == w {
                self.finish_segment();
            }
            rest = tail;
        }
    }

    /// The segment is complete: its suffix minima serve the next segment.
    fn finish_segment(&mut self) {
        let w = self.window;
        self.suffix[w] = f32::INFINITY;
        suffix_minima(&self.current[..w], &mut self.suffix[..w]);
        self.prefix = f32::INFINITY;
        self.filled = 0;
    }
}

/// `values[i]` = min(suffix[i], running minimum of `prefix` and values[..=i]); returns the new
/// running minimum. In groups of four: the group's own running minima do not depend on the
/// carried one, so the carried chain is one comparison per group instead of one per value (a
/// minimum is exact, so the grouping changes no result).
#[inline(always)]
fn forward_fold(mut prefix: f32, values: &mut [f32], suffix: &[f32]) -> f32 {
    let mut groups = values.chunks_exact_mut(4);
    let mut suffix_groups = suffix.chunks_exact(4);
    for (v, s) in (&mut groups).zip(&mut suffix_groups) {
        let m1 = min(v[0], v[1]);
        let m2 = min(m1, v[2]);
        let m3 = min(m2, v[3]);
        v[0] = min(s[0], min(prefix, v[0]));
        v[1] = min(s[1], min(prefix, m1));
        v[2] = min(s[2], min(prefix, m2));
        v[3] = min(s[3], min(prefix, m3));
        prefix = min(prefix, m3);
    }
    for (v, &s) in groups.into_remainder().iter_mut().zip(suffix_groups.remainder()) {
        prefix = min(prefix, *v);
        *v = min(s, prefix);
    }
    prefix
}

/// `out[j]` = minimum of `values[j..]`, grouped by four from the end as [`forward_fold`].
#[inline(always)]
fn suffix_minima(values: &[f32], out: &mut [f32]) {
    let mut m = f32::INFINITY;
    let mut groups = values.rchunks_exact(4);
    let mut out_groups = out.rchunks_exact_mut(4);
    for (c, o) in (&mut groups).zip(&mut out_groups) {
        let l2 = min(c[3], c[2]);
        let l1 = min(l2, c[1]);
        let l0 = min(l1, c[0]);
        o[3] = min(m, c[3]);
        o[2] = min(m, l2);
        o[1] = min(m, l1);
        o[0] = min(m, l0);
        m = min(m, l0);
    }
    for (o, &c) in out_groups.into_remainder().iter_mut().zip(groups.remainder()).rev() {
        m = min(m, c);
        *o = m;
    }
}

/// The smaller of two (non-NaN) values as one instruction; `f32::min`'s NaN rules cost four.
#[inline(always)]
fn min(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::util::rng::XorShift32;

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
    fn block_processing_matches_brute_force_for_any_block_split() {
        let mut rng = XorShift32::new(9);
        for window in [1usize, 3, 16, 104] {
            let mut sm = SlidingMin::new(128);
            sm.set_window(window);
            let data: Vec<f32> = (0..6000).map(|_| rng.next_centered()).collect();
            let mut out = data.clone();
            let mut pos = 0;
            while pos < out.len() {
                let len = (1 + (rng.next_u32() % 300) as usize).min(out.len() - pos);
                sm.process(&mut out[pos..pos + len]);
                pos += len;
            }
            for i in 0..data.len() {
                let lo = i.saturating_sub(window - 1);
                let expected = data[lo..=i].iter().cloned().fold(f32::INFINITY, f32::min);
                assert_eq!(out[i], expected, "window {window} at {i}");
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
