//! Linear-phase half-band interpolation kernels for the true-peak detector's rate doublers
//! (see `interpolator`): their design, and the folded dot products that compute new points.
//!
//! A half-band interpolator doubling the rate keeps every old sample (its even taps are zero
//! apart from the centre: a Nyquist filter) and computes each new mid-point from pairs of
//! samples symmetric around it: y(m + 1/2) = sum_k h_k (v[m - k] + v[m + 1 + k]). Folding the
//! symmetric pairs halves the multiplies.
//!
//! The kernels are written with explicit 4-lane SSE on x86_64 because LLVM's generic x86-64 cost
//! model treats unaligned 16-byte loads as slow and splits these sliding-window loops into
//! 2-lane operations (measured: about 1.6x the instructions). Every other target runs the
//! portable version, which performs the same operations in the same order, so both give
//! bit-identical results (tested).

use std::ops::{Add, Mul};

/// Folded mid-point kernel h_k, k = 0..P: the ideal sinc(t) at t = k + 1/2, Kaiser windowed
/// (shape `beta`) over |t| <= `half_span`, scaled so the taps sum to one: DC, and so any slow
/// signal, is read exactly.
pub fn design<const P: usize>(beta: f64, half_span: f64) -> [f32; P] {
    let mut h = [0.0f64; P];
    for (k, c) in h.iter_mut().enumerate() {
        let t = k as f64 + 0.5;
        let sinc = (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t);
        let u = (t / half_span).clamp(-1.0, 1.0);
        *c = sinc * bessel_i0(beta * (1.0 - u * u).sqrt()) / bessel_i0(beta);
    }
    let taps_sum: f64 = 2.0 * h.iter().sum::<f64>();
    h.map(|c| (c / taps_sum) as f32)
}

/// A long kernel, 16-byte aligned so the SIMD multiply can read it straight from memory.
#[derive(Debug, Clone)]
#[repr(C, align(16))]
pub struct Kernel<const P: usize>(pub [f32; P]);

/// A short kernel with each coefficient repeated in 4 lanes (saves a broadcast per pair),
/// 16-byte aligned like [`Kernel`].
#[derive(Debug, Clone)]
#[repr(C, align(16))]
pub struct LaneKernel<const P: usize>(pub [[f32; 4]; P]);

impl<const P: usize> LaneKernel<P> {
    pub fn new(h: &[f32; P]) -> Self {
        Self(h.map(|c| [c; 4]))
    }

    /// Coefficient k in all four lanes.
    #[inline(always)]
    pub fn lanes(&self, k: usize) -> F4 {
        #[cfg(target_arch = "x86_64")]
        {
            let lanes: &[f32; 4] = &self.0[k];
            // SAFETY: `lanes` is 16 bytes at a multiple of 16 from the start of a 16-byte
            // aligned struct, so the aligned load (which the multiply can take from memory) is
            // valid.
            unsafe { F4(std::arch::x86_64::_mm_load_ps(lanes.as_ptr())) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            F4(self.0[k])
        }
    }
}

fn bessel_i0(x: f64) -> f64 {
    // Power series; converges quickly for the beta values used here.
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// One long mid-point, with the two halves of the span given separately so both ascend with k:
/// `newer[k]` = v[m + 1 + k] and `older[k]` = v[m - k] (the caller keeps the older half in
/// reverse time order). P must be a multiple of 8 (two 4-lane accumulators).
#[inline(always)]
pub fn fold_long<const P: usize>(h: &Kernel<P>, newer: &[f32; P], older: &[f32; P]) -> f32 {
    const { assert!(P.is_multiple_of(8)) };
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE is part of the x86_64 baseline; every load reads lanes c..c + 8 <= P of a
        // P-element array, and the aligned loads start at a multiple of 4 floats of a `Kernel`.
        unsafe {
            let (mut acc0, mut acc1) = (_mm_setzero_ps(), _mm_setzero_ps());
            for c in (0..P).step_by(8) {
                let load = |a: &[f32; P], at: usize| _mm_loadu_ps(a.as_ptr().add(at));
                let s0 = _mm_add_ps(load(newer, c), load(older, c));
                let s1 = _mm_add_ps(load(newer, c + 4), load(older, c + 4));
                let taps = h.0.as_ptr().add(c);
                acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_load_ps(taps), s0));
                acc1 = _mm_add_ps(acc1, _mm_mul_ps(_mm_load_ps(taps.add(4)), s1));
            }
            let mut lanes = [0.0f32; 4];
            _mm_storeu_ps(lanes.as_mut_ptr(), _mm_add_ps(acc0, acc1));
            (lanes[0] + lanes[2]) + (lanes[1] + lanes[3])
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        fold_long_portable(h, newer, older)
    }
}

/// [`fold_long`] in plain Rust: 8 independent lanes, summed in the same order as the SSE path.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn fold_long_portable<const P: usize>(h: &Kernel<P>, newer: &[f32; P], older: &[f32; P]) -> f32 {
    let mut acc = [0.0f32; 8];
    for c in (0..P).step_by(8) {
        for (lane, a) in acc.iter_mut().enumerate() {
            let k = c + lane;
            *a += h.0[k] * (newer[k] + older[k]);
        }
    }
    let s: [f32; 4] = std::array::from_fn(|l| acc[l] + acc[l + 4]);
    (s[0] + s[2]) + (s[1] + s[3])
}

/// Four neighbouring mid-points side by side: lane i is the point between v[c + i] and
/// v[c + i + 1], from the pairs (v[c + i - k], v[c + i + 1 + k]), k = 0..P. Requires
/// c + 1 >= P and c + 4 + P <= LEN (checked by the caller's constants).
#[inline(always)]
pub fn fold4<const P: usize, const LEN: usize>(h: &LaneKernel<P>, v: &[f32; LEN], c: usize) -> [f32; 4] {
    assert!(c + 1 >= P && c + 4 + P <= LEN);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE is part of the x86_64 baseline; the assert above keeps every 4-lane load
        // (from c - k and from c + 1 + k, k < P) inside v.
        unsafe {
            let mut acc = _mm_setzero_ps();
            for (k, hk) in h.0.iter().enumerate() {
                let pair = _mm_add_ps(_mm_loadu_ps(v.as_ptr().add(c - k)), _mm_loadu_ps(v.as_ptr().add(c + 1 + k)));
                acc = _mm_add_ps(acc, _mm_mul_ps(_mm_load_ps(hk.as_ptr()), pair));
            }
            let mut lanes = [0.0f32; 4];
            _mm_storeu_ps(lanes.as_mut_ptr(), acc);
            lanes
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        fold4_portable(h, v, c)
    }
}

/// [`fold4`] in plain Rust, same operation order.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn fold4_portable<const P: usize, const LEN: usize>(h: &LaneKernel<P>, v: &[f32; LEN], c: usize) -> [f32; 4] {
    let mut acc = [0.0f32; 4];
    for (k, hk) in h.0.iter().enumerate() {
        for (i, a) in acc.iter_mut().enumerate() {
            *a += hk[i] * (v[c + i - k] + v[c + i + 1 + k]);
        }
    }
    acc
}

/// Lanes 0 and 1 of [`fold4`] only, for a stage that needs two new points per base sample.
/// Requires c + 1 >= P and c + 2 + P <= LEN (checked by the caller's constants).
#[inline(always)]
pub fn fold2<const P: usize, const LEN: usize>(h: &LaneKernel<P>, v: &[f32; LEN], c: usize) -> [f32; 2] {
    assert!(c + 1 >= P && c + 2 + P <= LEN);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; the assert above keeps every 2-lane load
        // (8 bytes, no alignment needed) inside v; the zeroed upper lanes are discarded.
        unsafe {
            let load2 = |at: usize| _mm_castpd_ps(_mm_load_sd(v.as_ptr().add(at).cast::<f64>()));
            let mut acc = _mm_setzero_ps();
            for (k, hk) in h.0.iter().enumerate() {
                let pair = _mm_add_ps(load2(c - k), load2(c + 1 + k));
                acc = _mm_add_ps(acc, _mm_mul_ps(_mm_load_ps(hk.as_ptr()), pair));
            }
            let mut lanes = [0.0f32; 4];
            _mm_storeu_ps(lanes.as_mut_ptr(), acc);
            [lanes[0], lanes[1]]
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        fold2_portable(h, v, c)
    }
}

/// [`fold2`] in plain Rust, same operation order.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn fold2_portable<const P: usize, const LEN: usize>(h: &LaneKernel<P>, v: &[f32; LEN], c: usize) -> [f32; 2] {
    let mut acc = [0.0f32; 2];
    for (k, hk) in h.0.iter().enumerate() {
        for (i, a) in acc.iter_mut().enumerate() {
            *a += hk[i] * (v[c + i - k] + v[c + i + 1 + k]);
        }
    }
    acc
}

/// Four f32 lanes: SSE on x86_64 (part of its baseline), a plain array elsewhere, with the same
/// operations in the same order so both give identical results. Used to run the detector on
/// four consecutive samples at once.
#[derive(Debug, Clone, Copy)]
pub struct F4(#[cfg(target_arch = "x86_64")] std::arch::x86_64::__m128, #[cfg(not(target_arch = "x86_64"))] [f32; 4]);

/// Lane-wise arithmetic (SSE `addps`... on x86_64, four scalar operations elsewhere).
macro_rules! lane_op {
    ($trait:ident, $method:ident, $intrinsic:ident, $op:tt) => {
        impl std::ops::$trait for F4 {
            type Output = F4;
            #[inline(always)]
            fn $method(self, o: F4) -> F4 {
                #[cfg(target_arch = "x86_64")]
                {
                    // SAFETY: SSE is part of the x86_64 baseline.
                    unsafe { F4(std::arch::x86_64::$intrinsic(self.0, o.0)) }
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    F4(std::array::from_fn(|i| self.0[i] $op o.0[i]))
                }
            }
        }
    };
}
lane_op!(Add, add, _mm_add_ps, +);
lane_op!(Sub, sub, _mm_sub_ps, -);
lane_op!(Mul, mul, _mm_mul_ps, *);
lane_op!(Div, div, _mm_div_ps, /);

#[cfg(target_arch = "x86_64")]
impl F4 {
    #[inline(always)]
    pub fn splat(v: f32) -> Self {
        // SAFETY (all of this impl): SSE/SSE2 are part of the x86_64 baseline.
        unsafe { F4(std::arch::x86_64::_mm_set1_ps(v)) }
    }
    /// Lanes `s[at..at + 4]`.
    #[inline(always)]
    pub fn load(s: &[f32], at: usize) -> Self {
        let lanes: &[f32; 4] = s[at..at + 4].try_into().expect("four lanes");
        // SAFETY: reads exactly the four floats of `lanes`.
        unsafe { F4(std::arch::x86_64::_mm_loadu_ps(lanes.as_ptr())) }
    }
    /// # Safety
    /// `p..p + 4` must be readable.
    #[inline(always)]
    pub unsafe fn load_ptr(p: *const f32) -> Self {
        unsafe { F4(std::arch::x86_64::_mm_loadu_ps(p)) }
    }
    #[inline(always)]
    pub fn store(self, s: &mut [f32], at: usize) {
        let lanes: &mut [f32; 4] = (&mut s[at..at + 4]).try_into().expect("four lanes");
        // SAFETY: writes exactly the four floats of `lanes`.
        unsafe { std::arch::x86_64::_mm_storeu_ps(lanes.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    pub fn to_array(self) -> [f32; 4] {
        let mut a = [0.0f32; 4];
        self.store(&mut a, 0);
        a
    }
    #[inline(always)]
    pub fn abs(self) -> Self {
        use std::arch::x86_64::*;
        unsafe { F4(_mm_andnot_ps(_mm_set1_ps(-0.0), self.0)) }
    }
    /// All-ones lanes where `self > o`.
    #[inline(always)]
    pub fn gt(self, o: Self) -> Self {
        unsafe { F4(std::arch::x86_64::_mm_cmpgt_ps(self.0, o.0)) }
    }
    #[inline(always)]
    pub fn ge(self, o: Self) -> Self {
        unsafe { F4(std::arch::x86_64::_mm_cmpge_ps(self.0, o.0)) }
    }
    #[inline(always)]
    pub fn and(self, o: Self) -> Self {
        unsafe { F4(std::arch::x86_64::_mm_and_ps(self.0, o.0)) }
    }
    /// `self` is a mask (from a comparison): `a` where set, `b` elsewhere.
    #[inline(always)]
    pub fn select(self, a: Self, b: Self) -> Self {
        use std::arch::x86_64::*;
        unsafe { F4(_mm_or_ps(_mm_and_ps(self.0, a.0), _mm_andnot_ps(self.0, b.0))) }
    }
    #[inline(always)]
    pub fn min(self, o: Self) -> Self {
        unsafe { F4(std::arch::x86_64::_mm_min_ps(self.0, o.0)) }
    }
    #[inline(always)]
    pub fn max(self, o: Self) -> Self {
        unsafe { F4(std::arch::x86_64::_mm_max_ps(self.0, o.0)) }
    }
    /// How many lanes of a mask are set.
    #[inline(always)]
    pub fn count_set(self) -> u32 {
        unsafe { std::arch::x86_64::_mm_movemask_ps(self.0).count_ones() }
    }
    /// Lanes rounded down to integers; valid for |x| < 2^31 (the conversion truncates, then
    /// steps down where that rounded up).
    #[inline(always)]
    pub fn floor(self) -> Self {
        use std::arch::x86_64::*;
        unsafe {
            let t = _mm_cvttps_epi32(self.0);
            let above = _mm_cmpgt_ps(_mm_cvtepi32_ps(t), self.0);
            F4(_mm_cvtepi32_ps(_mm_add_epi32(t, _mm_castps_si128(above))))
        }
    }
    /// Integer-valued lanes (|x| < 2^31) as integers.
    #[inline(always)]
    pub fn to_i32(self) -> [i32; 4] {
        use std::arch::x86_64::*;
        let mut out = [0i32; 4];
        // SAFETY: writes exactly the 16 bytes of `out`.
        unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), _mm_cvttps_epi32(self.0)) };
        out
    }
    /// 2^x for integer-valued lanes in [-126, 127], built from the exponent bits.
    #[inline(always)]
    pub fn pow2_of_integer(self) -> Self {
        use std::arch::x86_64::*;
        unsafe {
            let biased = _mm_add_epi32(_mm_cvttps_epi32(self.0), _mm_set1_epi32(127));
            F4(_mm_castsi128_ps(_mm_slli_epi32::<23>(biased)))
        }
    }
    /// `[previous[3], self[0], self[1], self[2]]`: the stream shifted by one lane.
    #[inline(always)]
    pub fn shift_in(self, previous: Self) -> Self {
        use std::arch::x86_64::*;
        unsafe {
            let t = _mm_shuffle_ps::<0b00_00_11_11>(previous.0, self.0);
            F4(_mm_shuffle_ps::<0b10_01_10_00>(t, self.0))
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl F4 {
    #[inline(always)]
    pub fn splat(v: f32) -> Self {
        F4([v; 4])
    }
    #[inline(always)]
    pub fn load(s: &[f32], at: usize) -> Self {
        F4(s[at..at + 4].try_into().expect("four lanes"))
    }
    /// # Safety
    /// `p..p + 4` must be readable.
    #[inline(always)]
    pub unsafe fn load_ptr(p: *const f32) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe { F4(std::array::from_fn(|i| *p.add(i))) }
    }
    #[inline(always)]
    pub fn store(self, s: &mut [f32], at: usize) {
        s[at..at + 4].copy_from_slice(&self.0);
    }
    #[inline(always)]
    pub fn to_array(self) -> [f32; 4] {
        self.0
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        F4(std::array::from_fn(|i| f(self.0[i], o.0[i])))
    }
    #[inline(always)]
    pub fn abs(self) -> Self {
        F4(self.0.map(f32::abs))
    }
    #[inline(always)]
    fn mask(c: bool) -> f32 {
        f32::from_bits(if c { u32::MAX } else { 0 })
    }
    #[inline(always)]
    pub fn gt(self, o: Self) -> Self {
        self.zip(o, |a, b| Self::mask(a > b))
    }
    #[inline(always)]
    pub fn ge(self, o: Self) -> Self {
        self.zip(o, |a, b| Self::mask(a >= b))
    }
    #[inline(always)]
    pub fn and(self, o: Self) -> Self {
        self.zip(o, |a, b| f32::from_bits(a.to_bits() & b.to_bits()))
    }
    #[inline(always)]
    pub fn select(self, a: Self, b: Self) -> Self {
        F4(std::array::from_fn(|i| if self.0[i].to_bits() != 0 { a.0[i] } else { b.0[i] }))
    }
    #[inline(always)]
    pub fn min(self, o: Self) -> Self {
        // The SSE rule: the second operand when either is NaN or both are equal.
        self.zip(o, |a, b| if a < b { a } else { b })
    }
    #[inline(always)]
    pub fn max(self, o: Self) -> Self {
        self.zip(o, |a, b| if a > b { a } else { b })
    }
    #[inline(always)]
    pub fn count_set(self) -> u32 {
        self.0.iter().map(|v| u32::from(v.to_bits() != 0)).sum()
    }
    #[inline(always)]
    pub fn floor(self) -> Self {
        F4(self.0.map(|x| {
            let t = x as i32;
            (t - i32::from(t as f32 > x)) as f32
        }))
    }
    #[inline(always)]
    pub fn to_i32(self) -> [i32; 4] {
        self.0.map(|x| x as i32)
    }
    #[inline(always)]
    pub fn pow2_of_integer(self) -> Self {
        F4(self.0.map(|x| f32::from_bits(((x as i32 + 127) as u32) << 23)))
    }
    #[inline(always)]
    pub fn shift_in(self, previous: Self) -> Self {
        F4([previous.0[3], self.0[0], self.0[1], self.0[2]])
    }
}

/// Four consecutive long mid-points from a plain (oldest first) sample buffer: lane i is the
/// point between `x[at + i]` and `x[at + i + 1]`. Each lane sums its pairs exactly as
/// [`fold_long`] does (eight partial sums by k mod 8, combined the same way), so the result is
/// bit-identical to it. Requires at + 1 >= P and at + 4 + P <= x.len().
#[inline(always)]
pub fn fold_long4<const P: usize>(h: &LaneKernel<P>, x: &[f32], at: usize) -> F4 {
    const { assert!(P.is_multiple_of(8)) };
    assert!(at + 1 >= P && at + 4 + P <= x.len());
    let base = x.as_ptr();
    let mut acc = [F4::splat(0.0); 8];
    for c in (0..P).step_by(8) {
        for (lane, a) in acc.iter_mut().enumerate() {
            let k = c + lane;
            // SAFETY: the assert above keeps at - k .. at - k + 4 and at + 1 + k .. at + 5 + k
            // (k < P) inside x.
            let pair = unsafe { F4::load_ptr(base.add(at - k)).add(F4::load_ptr(base.add(at + 1 + k))) };
            *a = a.add(h.lanes(k).mul(pair));
        }
    }
    let s: [F4; 4] = std::array::from_fn(|l| acc[l].add(acc[l + 4]));
    s[0].add(s[2]).add(s[1].add(s[3]))
}

/// One long mid-point from a plain sample buffer (between `x[at]` and `x[at + 1]`), summed as
/// [`fold_long`] does. For the samples of a block that do not fill four lanes.
#[inline(always)]
pub fn fold_long1<const P: usize>(h: &Kernel<P>, x: &[f32], at: usize) -> f32 {
    let newer: &[f32; P] = x[at + 1..at + 1 + P].try_into().expect("P taps");
    let older: [f32; P] = std::array::from_fn(|k| x[at - k]);
    fold_long(h, newer, &older)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::XorShift32;
    use std::f64::consts::PI;

    /// Response of a folded mid-point kernel to a tone at `omega` rad/sample, evaluated from
    /// the definition: the mid-point of cos(omega t) at t = 1/2 over its true value.
    fn mid_point_gain(h: &[f32], omega: f64) -> f64 {
        let est: f64 = h
            .iter()
            .enumerate()
            .map(|(k, &c)| c as f64 * ((-(k as f64)) * omega).cos() + c as f64 * ((1.0 + k as f64) * omega).cos())
            .sum();
        est / (0.5 * omega).cos()
    }

    /// The designs the detector uses are flat where its content lives: stage 1 within 0.004 dB
    /// to 0.45 fs; stage 2 within 0.007 dB to 0.225 of its rate (0.45 fs); stage 3 within
    /// 0.001 dB to 0.1125 of its rate. DC is exact for all.
    #[test]
    fn designs_are_flat_in_their_passbands() {
        let s1: [f32; 32] = design(7.0, 32.0);
        let s2: [f32; 4] = design(8.0, 4.5);
        let s3: [f32; 4] = design(11.0, 4.5);
        for (h, edge, tol_db) in [(&s1[..], 0.45, 0.004), (&s2[..], 0.225, 0.007), (&s3[..], 0.1125, 0.001)] {
            assert!((mid_point_gain(h, 0.0) - 1.0).abs() < 1e-6);
            for i in 0..=200 {
                let omega = 2.0 * PI * edge * i as f64 / 200.0;
                let db = 20.0 * mid_point_gain(h, omega).log10();
                assert!(db.abs() < tol_db, "edge {edge}: {db} dB at omega {omega}");
            }
        }
    }

    #[test]
    fn simd_and_portable_kernels_agree_exactly() {
        let mut rng = XorShift32::new(5);
        let h = Kernel::<32>(design(7.0, 32.0));
        let hb = LaneKernel::new(&design::<4>(8.0, 4.5));
        for _ in 0..100 {
            let a: [f32; 32] = std::array::from_fn(|_| rng.next_centered());
            let b: [f32; 32] = std::array::from_fn(|_| rng.next_centered());
            assert_eq!(fold_long(&h, &a, &b).to_bits(), fold_long_portable(&h, &a, &b).to_bits());
            let v: [f32; 12] = std::array::from_fn(|_| rng.next_centered());
            for c in 3..=4 {
                let simd = fold4(&hb, &v, c).map(f32::to_bits);
                assert_eq!(simd, fold4_portable(&hb, &v, c).map(f32::to_bits));
                let simd = fold2(&hb, &v, c).map(f32::to_bits);
                assert_eq!(simd, fold2_portable(&hb, &v, c).map(f32::to_bits));
            }
        }
    }
}
