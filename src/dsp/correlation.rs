//! Running L/R correlation of a stereo signal, for the meter bus.
//!
//! ρ = ⟨L·R⟩ / √(⟨L²⟩·⟨R²⟩) with ⟨·⟩ a one-pole average of time constant 300 ms, the usual
//! integration of correlation meters: slow enough to read, fast enough to follow a mix.

/// Time constant τ of the averages.
pub const CORRELATION_MS: f32 = 300.0;
/// Below this mean square (-100 dBFS) a channel counts as silent: the correlation is undefined
/// there and reads 0 ("no information"), so silence never shows as a perfect mono +1.
const SILENCE_POWER: f32 = 1e-10;

use crate::dsp::MAX_CHUNK;

#[derive(Debug, Clone)]
pub struct CorrelationMeter {
    coef: f32,
    lr: f32,
    ll: f32,
    rr: f32,
    /// `(1 - c) c^(MAX_CHUNK - 1 - j)` at j: the weight a block's sample gets in the averages at
    /// the block's end, the last sample at the end of the table (see `push_block`).
    block_weights: [f32; MAX_CHUNK],
    /// `c^n` at n: what an average keeps of its value from before a block of n samples.
    block_decay: [f32; MAX_CHUNK + 1],
}

impl CorrelationMeter {
    pub fn new(sample_rate: f32) -> Self {
        let coef = (-1000.0 / (CORRELATION_MS * sample_rate)).exp();
        let power = |n: usize| (coef as f64).powi(n as i32);
        Self {
            coef,
            lr: 0.0,
            ll: 0.0,
            rr: 0.0,
            block_weights: std::array::from_fn(|j| ((1.0 - coef as f64) * power(MAX_CHUNK - 1 - j)) as f32),
            block_decay: std::array::from_fn(|n| power(n) as f32),
        }
    }

    pub fn reset(&mut self) {
        (self.lr, self.ll, self.rr) = (0.0, 0.0, 0.0);
    }

    #[inline]
    pub fn push(&mut self, l: f32, r: f32) {
        let c = self.coef;
        self.lr = c * self.lr + (1.0 - c) * l * r;
        self.ll = c * self.ll + (1.0 - c) * l * l;
        self.rr = c * self.rr + (1.0 - c) * r * r;
    }

    /// [`push`](Self::push) over a block, in closed form: unrolling the one-pole recursion over
    /// n samples gives `y_n = c^n y_0 + sum_k (1 - c) c^(n - 1 - k) p_k`, a weighted sum that
    /// runs across samples (and vectorises) instead of a chain of n dependent updates. Blocks
    /// longer than `MAX_CHUNK` are taken a chunk at a time.
    pub fn push_block(&mut self, left: &[f32], right: &[f32]) {
        let n = left.len().min(right.len());
        for (l, r) in left[..n].chunks(MAX_CHUNK).zip(right[..n].chunks(MAX_CHUNK)) {
            let weights = &self.block_weights[MAX_CHUNK - l.len()..];
            let mut sums = [[0.0f32; 8]; 3];
            let (mut l8, mut r8, mut w8) = (l.chunks_exact(8), r.chunks_exact(8), weights.chunks_exact(8));
            for ((l, r), w) in (&mut l8).zip(&mut r8).zip(&mut w8) {
                for j in 0..8 {
                    sums[0][j] += w[j] * (l[j] * r[j]);
                    sums[1][j] += w[j] * (l[j] * l[j]);
                    sums[2][j] += w[j] * (r[j] * r[j]);
                }
            }
            let tail = l8.remainder().iter().zip(r8.remainder()).zip(w8.remainder());
            let mut tails = [0.0f32; 3];
            for ((&l, &r), &w) in tail {
                tails[0] += w * (l * r);
                tails[1] += w * (l * l);
                tails[2] += w * (r * r);
            }
            let decay = self.block_decay[l.len()];
            for ((average, lanes), tail) in [&mut self.lr, &mut self.ll, &mut self.rr].into_iter().zip(&sums).zip(tails)
            {
                *average = decay * *average + (lanes.iter().sum::<f32>() + tail);
            }
        }
    }

    /// Once per chunk: clears non-finite averages and flushes tiny ones before they turn
    /// denormal (a 300 ms one-pole takes ~260 000 samples from 1e-30 to the denormal range).
    pub fn flush(&mut self) {
        for v in [&mut self.lr, &mut self.ll, &mut self.rr] {
            if !v.is_finite() || v.abs() < 1e-30 {
                *v = 0.0;
            }
        }
    }

    /// -1..+1; 0 while either channel is silent.
    pub fn value(&self) -> f32 {
        if self.ll < SILENCE_POWER || self.rr < SILENCE_POWER {
            return 0.0;
        }
        (self.lr / (self.ll * self.rr).sqrt()).clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::test_signals::noise;

    fn read(meter: &mut CorrelationMeter, l: &[f32], r: &[f32]) -> f32 {
        for (a, b) in l.iter().zip(r) {
            meter.push(*a, *b);
        }
        meter.flush();
        meter.value()
    }

    #[test]
    fn reads_in_phase_anti_phase_uncorrelated_and_silence() {
        let fs = 48_000.0;
        let (a, b) = (noise(7, 48_000), noise(8, 48_000));
        let minus_a: Vec<f32> = a.iter().map(|v| -v).collect();
        assert!(read(&mut CorrelationMeter::new(fs), &a, &a) > 0.999);
        assert!(read(&mut CorrelationMeter::new(fs), &a, &minus_a) < -0.999);
        let uncorrelated = read(&mut CorrelationMeter::new(fs), &a, &b);
        assert!(uncorrelated.abs() < 0.05, "uncorrelated: {uncorrelated}");
        assert_eq!(read(&mut CorrelationMeter::new(fs), &[0.0; 4800], &[0.0; 4800]), 0.0);
        assert_eq!(read(&mut CorrelationMeter::new(fs), &a, &vec![0.0; a.len()]), 0.0);
        let mut hostile = CorrelationMeter::new(fs);
        read(&mut hostile, &[f32::NAN, 1000.0], &[f32::INFINITY, -1000.0]);
        assert!((-1.0..=1.0).contains(&hostile.value()));
    }

    /// The closed-form block update follows the per-sample recursion, whatever the block sizes.
    #[test]
    fn blocks_follow_the_recursion() {
        let fs = 48_000.0;
        let (a, b) = (noise(11, 20_000), noise(12, 20_000));
        let b: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.6 * x + 0.4 * y).collect();
        let mut single = CorrelationMeter::new(fs);
        let mut blocks = CorrelationMeter::new(fs);
        let mut at = 0;
        for len in [64usize, 1, 13, 200, 8, 64, 63].iter().cycle() {
            let len = (*len).min(a.len() - at);
            for i in at..at + len {
                single.push(a[i], b[i]);
            }
            blocks.push_block(&a[at..at + len], &b[at..at + len]);
            for (x, y) in [(single.lr, blocks.lr), (single.ll, blocks.ll), (single.rr, blocks.rr)] {
                assert!((x - y).abs() <= 1e-4 * x.abs().max(1e-6), "at {at}: {x} vs {y}");
            }
            at += len;
            if at == a.len() {
                break;
            }
        }
        assert!((single.value() - blocks.value()).abs() < 1e-4);
    }

    /// From the definition: when in-phase noise turns anti-phase, ⟨L·R⟩ = P·(2e^(-t/τ) - 1)
    /// while ⟨L²⟩, ⟨R²⟩ stay P, so ρ crosses zero at t = τ·ln 2 = 208 ms.
    #[test]
    fn integration_time_is_300_ms() {
        let fs = 48_000.0;
        let mut meter = CorrelationMeter::new(fs);
        let a = noise(9, 48_000);
        read(&mut meter, &a, &a);
        let b = noise(10, 24_000);
        let crossing = b.chunks(48).position(|c| {
            let minus: Vec<f32> = c.iter().map(|v| -v).collect();
            read(&mut meter, c, &minus) < 0.0
        });
        let ms = crossing.expect("never crossed zero") as f32;
        let expected = CORRELATION_MS * std::f32::consts::LN_2;
        assert!((ms - expected).abs() < 15.0, "crossed after {ms} ms, expected {expected}");
    }
}
