//! Stereo correlation (phase) meter over a sliding 400 ms window.
//!
//! Definition: Pearson's correlation coefficient of the left and right samples with the means
//! taken as zero, r = sum(l r) / sqrt(sum(l^2) sum(r^2)), over the last 400 ms of the unweighted
//! input. +1: the channels are the same up to gain (mono-compatible), 0: unrelated or in
//! quadrature (wide), -1: one is the inverse of the other (cancels in mono). Audio is nominally
//! DC-free, and a phase meter should count any DC the channels share as in-phase content, so the
//! means are not removed. 400 ms matches the momentary loudness window, so the readings move
//! together. When either channel is below -100 dBFS RMS over the window the reading is 0
//! (undefined: nothing to correlate).

/// Sums per sub-block are kept in this many slots; with 10 ms sub-blocks that is 400 ms.
pub const CORRELATION_SUB_BLOCKS: usize = 40;
/// Mean square below which a channel counts as silent (-100 dBFS RMS).
const SILENT_MEAN_SQUARE: f64 = 1e-10;

#[derive(Debug, Clone)]
pub struct CorrelationMeter {
    /// Running sums of l^2, r^2 and l r over the current sub-block.
    current: [f64; 3],
    ring: [[f64; 3]; CORRELATION_SUB_BLOCKS],
    ring_pos: usize,
    /// Samples covered by the ring (grows to its size after start, then stays).
    window_samples: usize,
    filled_sub_blocks: usize,
    correlation: f32,
}

impl Default for CorrelationMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl CorrelationMeter {
    pub fn new() -> Self {
        Self {
            current: [0.0; 3],
            ring: [[0.0; 3]; CORRELATION_SUB_BLOCKS],
            ring_pos: 0,
            window_samples: 0,
            filled_sub_blocks: 0,
            correlation: 0.0,
        }
    }

    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// `left` and `right` must be finite (the loudness meter sanitises them).
    #[inline]
    pub fn push(&mut self, left: f32, right: f32) {
        let (l, r) = (left as f64, right as f64);
        self.current[0] += l * l;
        self.current[1] += r * r;
        self.current[2] += l * r;
    }

    /// [`push`](Self::push) over a block (the shorter length); four partial sums per quantity
    /// so the loop vectorises.
    pub fn push_block(&mut self, left: &[f32], right: &[f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&left[..n], &right[..n]);
        let mut sums = [[0.0f64; 4]; 3];
        let (l4, r4) = (left.chunks_exact(4), right.chunks_exact(4));
        let (l_rest, r_rest) = (l4.remainder(), r4.remainder());
        for (l, r) in l4.zip(r4) {
            for j in 0..4 {
                let (l, r) = (l[j] as f64, r[j] as f64);
                sums[0][j] += l * l;
                sums[1][j] += r * r;
                sums[2][j] += l * r;
            }
        }
        for (current, lanes) in self.current.iter_mut().zip(&sums) {
            *current += (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
        }
        l_rest.iter().zip(r_rest).for_each(|(&l, &r)| self.push(l, r));
    }

    /// Closes a sub-block of `samples` samples and updates the reading.
    pub fn end_sub_block(&mut self, samples: usize) {
        self.ring[self.ring_pos] = self.current;
        self.current = [0.0; 3];
        self.ring_pos = (self.ring_pos + 1) % CORRELATION_SUB_BLOCKS;
        if self.filled_sub_blocks < CORRELATION_SUB_BLOCKS {
            self.filled_sub_blocks += 1;
            self.window_samples += samples;
        }
        let mut sums = [0.0f64; 3];
        for slot in &self.ring {
            sums.iter_mut().zip(slot).for_each(|(s, v)| *s += v);
        }
        let floor = SILENT_MEAN_SQUARE * self.window_samples as f64;
        self.correlation = if sums[0] > floor && sums[1] > floor {
            (sums[2] / (sums[0] * sums[1]).sqrt()).clamp(-1.0, 1.0) as f32
        } else {
            0.0
        };
    }

    /// Correlation over the last 400 ms, in [-1, 1]; 0 for silence.
    pub fn correlation(&self) -> f32 {
        self.correlation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::util::rng::XorShift32;
    use std::f64::consts::PI;

    /// Feeds 0.5 s of `signal(n) -> (l, r)` in 10 ms sub-blocks at 48 kHz.
    fn measure(signal: impl Fn(usize) -> (f32, f32)) -> f32 {
        let mut m = CorrelationMeter::new();
        for block in 0..50 {
            for i in 0..480 {
                let (l, r) = signal(block * 480 + i);
                m.push(l, r);
            }
            m.end_sub_block(480);
        }
        m.correlation()
    }

    fn sine(n: usize, freq: f64, phase: f64) -> f32 {
        (0.5 * (2.0 * PI * freq * n as f64 / 48_000.0 + phase).sin()) as f32
    }

    #[test]
    fn textbook_cases() {
        // Same signal, any gain: +1. Inverted: -1. Quadrature (90 degrees): 0.
        let same = measure(|n| (sine(n, 1000.0, 0.0), 0.3 * sine(n, 1000.0, 0.0)));
        assert!((same - 1.0).abs() < 1e-6, "{same}");
        let inverted = measure(|n| (sine(n, 1000.0, 0.0), -sine(n, 1000.0, 0.0)));
        assert!((inverted + 1.0).abs() < 1e-6, "{inverted}");
        // 400 ms holds a whole number of 1 kHz periods, so the cross term cancels exactly.
        let quadrature = measure(|n| (sine(n, 1000.0, 0.0), sine(n, 1000.0, PI / 2.0)));
        assert!(quadrature.abs() < 1e-6, "{quadrature}");
        // cos(60 degrees) = 0.5 for equal-level sines 60 degrees apart.
        let sixty = measure(|n| (sine(n, 1000.0, 0.0), sine(n, 1000.0, PI / 3.0)));
        assert!((sixty - 0.5).abs() < 1e-6, "{sixty}");
    }

    #[test]
    fn independent_noise_is_near_zero() {
        let mut a = XorShift32::new(3);
        let mut b = XorShift32::new(99);
        let mut m = CorrelationMeter::new();
        for _ in 0..50 {
            for _ in 0..480 {
                m.push(a.next_centered(), b.next_centered());
            }
            m.end_sub_block(480);
        }
        // 19200 samples: the standard error of r is 1/sqrt(19200) = 0.007.
        assert!(m.correlation().abs() < 0.03, "{}", m.correlation());
    }

    #[test]
    fn silence_and_one_sided_signals_read_zero() {
        assert_eq!(measure(|_| (0.0, 0.0)), 0.0);
        assert_eq!(measure(|n| (sine(n, 1000.0, 0.0), 0.0)), 0.0);
        // -110 dBFS is below the floor.
        assert_eq!(measure(|n| (3e-6 * sine(n, 100.0, 0.0), 3e-6)), 0.0);
    }

    #[test]
    fn window_is_400_ms() {
        // 400 ms inverted, then in phase. After 390 ms in phase the window still holds 10 ms of
        // the inverted part: r = (390 - 10) / 400 = 0.95. After 400 ms it is exactly +1.
        let mut m = CorrelationMeter::new();
        let feed = |m: &mut CorrelationMeter, blocks: usize, sign: f32| {
            for _ in 0..blocks {
                for i in 0..480 {
                    let x = sine(i, 1000.0, 0.0);
                    m.push(x, sign * x);
                }
                m.end_sub_block(480);
            }
        };
        feed(&mut m, 40, -1.0);
        feed(&mut m, 39, 1.0);
        assert!((m.correlation() - (39.0 - 1.0) / 40.0).abs() < 1e-6);
        feed(&mut m, 1, 1.0);
        assert!((m.correlation() - 1.0).abs() < 1e-6);
    }
}
