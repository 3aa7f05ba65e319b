//! The 4x true-peak detector of [`PeakInterpolator`](crate::dsp::resample::peak_interpolator::PeakInterpolator) for whole blocks: the limiter's hot path.
//!
//! The same arithmetic in the same order as the per-sample detector (bit-identical estimates,
//! tested), with the latency of every ratio, computed on a group of consecutive samples at a
//! time. Working on a block removes the per-sample windows and lets each stage run as one vector
//! loop. The loops are written once over [`Lanes`] and run on sixteen AVX-512 lanes where the
//! CPU has AVX-512F, on eight AVX lanes where it has AVX (checked once, in `new`), on four SSE
//! lanes otherwise; per lane all perform the same operations in the same order (no fused
//! multiply-add), so they agree bit for bit (tested).

use crate::dsp::resample::detector_kernel::{self, Kernel};
use crate::dsp::resample::peak_interpolator::{
    refine, SHORT_WINDOW_EXTRA, STAGE1_BETA, STAGE1_PAIRS, STAGE2_BETA, STAGE2_PAIRS, STAGE3_DELAY,
};
use crate::dsp::simd::{Aligned16, LaneWidth, Lanes, F4};

/// Input samples [`BlockPeakInterpolator4`] works on at once (longer blocks are split).
pub const BLOCK_CAPACITY: usize = 128;
/// Base-rate history the block detector keeps: stage 1's span before the oldest new mid-point.
const BLOCK_X_HISTORY: usize = 2 * STAGE1_PAIRS;
/// Mid-points kept from the previous block: stage 2 reaches two base samples back and forward.
const BLOCK_MID_HISTORY: usize = 4;

const _: () = assert!(STAGE2_PAIRS == 4 && STAGE3_DELAY == 1 && BLOCK_CAPACITY.is_multiple_of(8));
const _: () = assert!(STAGE1_PAIRS.is_multiple_of(8));

/// The 4x detector of [`PeakInterpolator`](crate::dsp::resample::peak_interpolator::PeakInterpolator) in block form (see the module documentation).
///
/// Layout for a block of b inputs x[n0 ..= n0 + b - 1]: `x` holds x[n0 - 64 ..= n0 + b - 1]; new
/// mid-points are m = n0 - 32 .. (stage 1 needs 32 samples after m), `mid` holds mid[n0 - 36 ..];
/// the intervals s = n0 - 34 .. are estimated (stage 2 needs two samples after s) and handed
/// out one sample later, as the per-sample 4x path does.
#[derive(Debug, Clone)]
pub struct BlockPeakInterpolator4 {
    /// Stage 1's folded kernel, each coefficient repeated in eight lanes.
    stage1: [Aligned16; STAGE1_PAIRS],
    stage1_scalar: Kernel<STAGE1_PAIRS>,
    stage2: [f32; STAGE2_PAIRS],
    x: [f32; BLOCK_X_HISTORY + BLOCK_CAPACITY],
    mid: [f32; BLOCK_MID_HISTORY + BLOCK_CAPACITY],
    /// The new 4x point after the mid-point of the last interval estimated (the next
    /// interval's left neighbour).
    previous_tail: f32,
    /// Estimate of the last interval, handed out with the next input.
    delayed_peak: f32,
    /// Lanes the block loops run on (eight where the CPU has AVX).
    width: LaneWidth,
}

impl Default for BlockPeakInterpolator4 {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockPeakInterpolator4 {
    pub fn new() -> Self {
        Self::with_width(LaneWidth::detect())
    }

    fn with_width(width: LaneWidth) -> Self {
        let stage1 = detector_kernel::design(STAGE1_BETA, STAGE1_PAIRS as f64);
        Self {
            stage1: stage1.map(|c| Aligned16([c; 16])),
            stage1_scalar: Kernel(stage1),
            stage2: detector_kernel::design(STAGE2_BETA, STAGE2_PAIRS as f64 + SHORT_WINDOW_EXTRA),
            x: [0.0; BLOCK_X_HISTORY + BLOCK_CAPACITY],
            mid: [0.0; BLOCK_MID_HISTORY + BLOCK_CAPACITY],
            previous_tail: 0.0,
            delayed_peak: 0.0,
            width,
        }
    }

    /// The lanes the block loops run on.
    pub fn width(&self) -> LaneWidth {
        self.width
    }

    pub fn reset(&mut self) {
        self.x.fill(0.0);
        self.mid.fill(0.0);
        self.previous_tail = 0.0;
        self.delayed_peak = 0.0;
    }

    /// Replaces each input sample by what
    /// [`PeakInterpolator::push`](crate::dsp::resample::peak_interpolator::PeakInterpolator::push) at ratio 4 returns for it.
    pub fn process(&mut self, values: &mut [f32]) {
        for block in values.chunks_mut(BLOCK_CAPACITY) {
            #[cfg(target_arch = "x86_64")]
            match self.width.lanes() {
                // SAFETY: sixteen lanes only come from `LaneWidth` on a CPU with AVX-512F.
                16 => {
                    unsafe { self.process_block_avx512(block) };
                    continue;
                }
                // SAFETY: eight lanes only come from `LaneWidth` on a CPU with AVX.
                8 => {
                    unsafe { self.process_block_avx(block) };
                    continue;
                }
                _ => {}
            }
            self.process_block::<F4>(block);
        }
    }

    /// The eight-lane build. A concrete method rather than a `LaneKernel`: through the generic
    /// dispatch this loop measured 30-40 % slower (criterion, `limiter_4x_tp`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    unsafe fn process_block_avx(&mut self, peaks: &mut [f32]) {
        self.process_block::<crate::dsp::simd::f8::F8>(peaks);
    }

    /// The sixteen-lane build (AVX-512F), concrete for the same reason.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn process_block_avx512(&mut self, peaks: &mut [f32]) {
        self.process_block::<crate::dsp::simd::f32x16::F32x16>(peaks);
    }

    /// One block (at most `BLOCK_CAPACITY` samples): groups of `V::N` samples, then of four,
    /// then single samples.
    #[inline(always)]
    fn process_block<V: Lanes>(&mut self, peaks: &mut [f32]) {
        let b = peaks.len();
        const XH: usize = BLOCK_X_HISTORY;
        const MH: usize = BLOCK_MID_HISTORY;
        self.x[XH..XH + b].copy_from_slice(peaks);
        let wide = b - b % V::N;
        let groups = b - b % 4;
        // Stage 1: mid[n0 - 32 + i] lies between x[XH - 32 + i] and the sample after it. Two
        // groups at a time share their coefficient loads and half their sample loads.
        let doubles = wide - wide % (2 * V::N);
        for i in (0..doubles).step_by(2 * V::N) {
            let (first, second) = fold_long_lanes2::<V>(&self.stage1, &self.x, XH - STAGE1_PAIRS + i);
            first.store(&mut self.mid, MH + i);
            second.store(&mut self.mid, MH + i + V::N);
        }
        for i in (doubles..wide).step_by(V::N) {
            fold_long_lanes::<V>(&self.stage1, &self.x, XH - STAGE1_PAIRS + i).store(&mut self.mid, MH + i);
        }
        for i in (wide..groups).step_by(4) {
            fold_long_lanes::<F4>(&self.stage1, &self.x, XH - STAGE1_PAIRS + i).store(&mut self.mid, MH + i);
        }
        for i in groups..b {
            self.mid[MH + i] = detector_kernel::fold_long1(&self.stage1_scalar, &self.x, XH - STAGE1_PAIRS + i);
        }
        // Stage 2 and the refinement.
        self.stage2_lanes::<V>(peaks, 0, wide);
        self.stage2_lanes::<F4>(peaks, wide, groups);
        let xs = XH - STAGE1_PAIRS - 2;
        // The tail reads the buffers at offsets from i, as the vector loop does.
        #[allow(clippy::needless_range_loop)]
        for i in groups..b {
            let x = |d: usize| self.x[xs + i + d - 2];
            let mid = |d: usize| self.mid[i + d];
            // Offsets shifted by 2 so they stay unsigned: x(2) is x[s], mid(2) is mid[s].
            let pairs = |p: [(f32, f32); 4]| {
                let mut acc = 0.0f32;
                for (hk, (a, b)) in self.stage2.iter().zip(p) {
                    acc += hk * (a + b);
                }
                acc
            };
            let q_even = pairs([(x(2), mid(2)), (mid(1), x(3)), (x(1), mid(3)), (mid(0), x(4))]);
            let q_odd = pairs([(mid(2), x(3)), (x(2), mid(3)), (mid(1), x(4)), (x(1), mid(4))]);
            let grid = [self.previous_tail, x(2), q_even, mid(2), q_odd, x(3)];
            self.previous_tail = q_odd;
            peaks[i] = std::mem::replace(&mut self.delayed_peak, refine(&grid));
        }
        self.x.copy_within(b..b + XH, 0);
        self.mid.copy_within(b..b + MH, 0);
    }

    /// Stage 2 and the refinement for the block's samples `from..to` (a multiple of `V::N`
    /// apart): the interval s = n0 - 34 + i; x[s + d] is x[XH - 34 + i + d], mid[s + d] is
    /// mid[2 + i + d].
    #[inline(always)]
    fn stage2_lanes<V: Lanes>(&mut self, peaks: &mut [f32], from: usize, to: usize) {
        let xs = BLOCK_X_HISTORY - STAGE1_PAIRS - 2;
        // No closures or `map` here: a closure is not compiled with the caller's target
        // features, and where it is not inlined every AVX operation becomes a call.
        let h =
            [V::splat(self.stage2[0]), V::splat(self.stage2[1]), V::splat(self.stage2[2]), V::splat(self.stage2[3])];
        let mut tail = V::splat(self.previous_tail);
        let mut delayed = V::splat(self.delayed_peak);
        for i in (from..to).step_by(V::N) {
            let (xv, mv) = (&self.x[xs + i - 2..], &self.mid[i..]);
            // x(d) = x[s + d] = xv[2 + d], mid(d) = mid[s + d] = mv[2 + d].
            let (x_1, x0, x1, x2) = (V::load(xv, 1), V::load(xv, 2), V::load(xv, 3), V::load(xv, 4));
            let (m_2, m_1, m0, m1, m2) =
                (V::load(mv, 0), V::load(mv, 1), V::load(mv, 2), V::load(mv, 3), V::load(mv, 4));
            // The 4x points between x[s] and mid[s] (even) and between mid[s] and x[s + 1] (odd),
            // pairs in the order `detector_kernel::fold2` takes them.
            let q_even = fold_pairs(&h, [(x0, m0), (m_1, x1), (x_1, m1), (m_2, x2)]);
            let q_odd = fold_pairs(&h, [(m0, x1), (x0, m1), (m_1, x2), (x_1, m2)]);
            let grid = [q_odd.shift_in(tail), x0, q_even, m0, q_odd, x1];
            tail = q_odd;
            let estimate = refine_lanes(&grid);
            estimate.shift_in(delayed).store(peaks, i);
            delayed = estimate;
        }
        if to > from {
            self.previous_tail = tail.last();
            self.delayed_peak = delayed.last();
        }
    }
}

/// `V::N` consecutive long mid-points from a plain (oldest first) sample buffer: lane i is the
/// point between `x[at + i]` and `x[at + i + 1]`. Each lane sums its pairs exactly as
/// [`detector_kernel::fold_long`] does (eight partial sums by k mod 8, combined the same way), so the
/// result is bit-identical to it. Requires at + 1 >= P and at + N + P <= x.len().
#[inline(always)]
fn fold_long_lanes<V: Lanes>(h: &[Aligned16; STAGE1_PAIRS], x: &[f32], at: usize) -> V {
    const P: usize = STAGE1_PAIRS;
    assert!(at + 1 >= P && at + V::N + P <= x.len());
    // One checked window: x[at + 1 - P] ..= x[at + P + N - 1]; every load below reads at a
    // constant offset into it, so the compiler drops the loads' own bounds checks.
    let w = &x[at + 1 - P..at + P + V::N];
    let mut acc = [V::splat(0.0); 8];
    for c in (0..P).step_by(8) {
        for (lane, a) in acc.iter_mut().enumerate() {
            let k = c + lane;
            let pair = V::load(w, P - 1 - k) + V::load(w, P + k);
            *a = *a + V::load_lanes(&h[k]) * pair;
        }
    }
    let s = [acc[0] + acc[4], acc[1] + acc[5], acc[2] + acc[6], acc[3] + acc[7]];
    (s[0] + s[2]) + (s[1] + s[3])
}

/// [`fold_long_lanes`] for the groups at `at` and `at + V::N` at once, each lane of each group
/// summed exactly as there (bit-identical). The partial sums are formed one at a time (all four
/// pairs of residue k mod 8, then the next residue) and combined as soon as their partner is
/// complete, so two groups fit in the registers: each coefficient is loaded once for both, and
/// where `V::N` is 8 the second group's sample loads are the first group's of the neighbouring
/// pairs (the compiler reuses them).
#[inline(always)]
fn fold_long_lanes2<V: Lanes>(h: &[Aligned16; STAGE1_PAIRS], x: &[f32], at: usize) -> (V, V) {
    const P: usize = STAGE1_PAIRS;
    assert!(at + 1 >= P && at + 2 * V::N + P <= x.len());
    let w = &x[at + 1 - P..at + P + 2 * V::N];
    // No closure for the partial sums: a closure is not compiled with the caller's target
    // features. s[r] = acc[r] + acc[r + 4], as `fold_long_lanes` combines them.
    let mut s = [(V::splat(0.0), V::splat(0.0)); 4];
    for (r, sr) in s.iter_mut().enumerate() {
        let mut halves = [(V::splat(0.0), V::splat(0.0)); 2];
        for (half, (a, b)) in halves.iter_mut().enumerate() {
            let lane = r + 4 * half;
            for c in (0..P).step_by(8) {
                let k = c + lane;
                let hk = V::load_lanes(&h[k]);
                *a = *a + hk * (V::load(w, P - 1 - k) + V::load(w, P + k));
                *b = *b + hk * (V::load(w, P - 1 - k + V::N) + V::load(w, P + k + V::N));
            }
        }
        *sr = (halves[0].0 + halves[1].0, halves[0].1 + halves[1].1);
    }
    ((s[0].0 + s[2].0) + (s[1].0 + s[3].0), (s[0].1 + s[2].1) + (s[1].1 + s[3].1))
}

/// sum_k h_k (a_k + b_k), accumulated in k order (as `detector_kernel::fold2`).
#[inline(always)]
fn fold_pairs<V: Lanes>(h: &[V; 4], pairs: [(V, V); 4]) -> V {
    let mut acc = V::splat(0.0);
    for k in 0..4 {
        acc = acc + h[k] * (pairs[k].0 + pairs[k].1);
    }
    acc
}

/// [`refine`] on a group of intervals at once (lane i of every grid point belongs to interval
/// i): the same comparisons and arithmetic, so the same result.
#[inline(always)]
fn refine_lanes<V: Lanes>(g: &[V; 6]) -> V {
    let abs = [g[0].abs(), g[1].abs(), g[2].abs(), g[3].abs(), g[4].abs(), g[5].abs()];
    let (mut a, mut b, mut c) = (abs[0], abs[1], abs[2]);
    for p in 2..5 {
        let better = abs[p].gt(b);
        a = better.select(abs[p - 1], a);
        // Where `better` is clear the two are equal or b is larger: the maximum is the select.
        b = b.max(abs[p]);
        c = better.select(abs[p + 1], c);
    }
    let curvature = a - b * V::splat(2.0) + c;
    let peaked = V::splat(0.0).gt(curvature).and(b.ge(a)).and(b.ge(c));
    let d = a - c;
    let refined = b - d * d / (V::splat(8.0) * curvature);
    peaked.select(refined, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::resample::peak_interpolator::PeakInterpolator;
    use crate::dsp::util::rng::XorShift32;

    fn test_signal(n: usize, rng: &mut XorShift32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let tone = (i as f32 * 2.9).sin() * if (i / 3000) % 2 == 0 { 1.5 } else { 0.01 };
                tone + 0.3 * rng.next_centered()
            })
            .collect()
    }

    /// Runs `det` over `signal` in random block lengths (from single samples to several blocks).
    fn run_split(det: &mut BlockPeakInterpolator4, signal: &[f32], seed: u32) -> Vec<f32> {
        let mut rng = XorShift32::new(seed);
        let mut peaks = signal.to_vec();
        let mut pos = 0;
        while pos < signal.len() {
            let len = match rng.next_u32() % 4 {
                0 => 1 + (rng.next_u32() % 7) as usize,
                1 => 4 * (1 + (rng.next_u32() % 40) as usize),
                _ => 1 + (rng.next_u32() % 400) as usize,
            }
            .min(signal.len() - pos);
            det.process(&mut peaks[pos..pos + len]);
            pos += len;
        }
        peaks
    }

    /// The block detector (at whatever width this CPU runs) is the 4x per-sample detector, bit
    /// for bit, for any block split; so is the four-lane fallback.
    #[test]
    fn block_detector_matches_the_per_sample_detector_exactly() {
        let mut rng = XorShift32::new(17);
        let signal = test_signal(20_000, &mut rng);
        let mut reference = PeakInterpolator::new(4);
        let expected: Vec<f32> = signal.iter().map(|&x| reference.push(x)).collect();
        for width in LaneWidth::supported() {
            let mut det = BlockPeakInterpolator4::with_width(width);
            let peaks = run_split(&mut det, &signal, 29);
            for i in 0..signal.len() {
                assert_eq!(peaks[i].to_bits(), expected[i].to_bits(), "at {i}: {} vs {}", peaks[i], expected[i]);
            }
        }
    }

    /// Every width this CPU runs (SSE, and AVX and AVX-512 where present) gives the same output
    /// bit for bit on random input, with random block splits.
    #[test]
    fn every_lane_width_agrees_bit_for_bit() {
        let widths: Vec<LaneWidth> = LaneWidth::supported().collect();
        assert_eq!(widths[0], LaneWidth::FOUR);
        assert_eq!(*widths.last().unwrap(), LaneWidth::detect());
        let mut rng = XorShift32::new(41);
        for round in 0..4 {
            let scale = [1.0, 1e-3, 40.0, 1e-30][round];
            let signal: Vec<f32> = (0..6000).map(|_| scale * rng.next_centered()).collect();
            let sse = run_split(&mut BlockPeakInterpolator4::with_width(LaneWidth::FOUR), &signal, 7 + round as u32);
            for &width in &widths[1..] {
                let mut det = BlockPeakInterpolator4::with_width(width);
                assert_eq!(det.width().lanes(), width.lanes());
                let wide = run_split(&mut det, &signal, 11 + round as u32);
                for i in 0..signal.len() {
                    let lanes = width.lanes();
                    assert_eq!(
                        wide[i].to_bits(),
                        sse[i].to_bits(),
                        "{lanes} lanes, scale {scale} at {i}: {} vs {}",
                        wide[i],
                        sse[i]
                    );
                }
            }
        }
    }
}
