//! Eight f32 lanes in one AVX register ([`F8`]), for the hot loops on CPUs that have AVX (chosen
//! at run time with `is_x86_feature_detected!("avx")`; the SSE [`F4`](crate::dsp::simd::F4) is the
//! fallback). Every operation is the per-lane IEEE operation [`F4`](crate::dsp::simd::F4) performs
//! (no fused multiply-add), so the same loop body gives bit-identical results at either width.
//!
//! # Safety
//! The methods are safe to call, but they execute AVX instructions: an `F8` may only be created
//! and used on a CPU with AVX, i.e. inside code that runs only after the run-time check. They
//! are meant to be inlined into a `#[target_feature(enable = "avx")]` function (they are
//! `#[inline(always)]` so that the whole loop is compiled for AVX).

use crate::dsp::simd::f4::{Aligned16, Lanes};
use std::arch::x86_64::*;
use std::ops::{Add, Div, Mul, Sub};

#[derive(Debug, Clone, Copy)]
pub struct F8(__m256);

macro_rules! lane_op {
    ($trait:ident, $method:ident, $intrinsic:ident) => {
        impl $trait for F8 {
            type Output = F8;
            #[inline(always)]
            fn $method(self, o: F8) -> F8 {
                // SAFETY: AVX is available wherever an F8 exists (module documentation).
                unsafe { F8($intrinsic(self.0, o.0)) }
            }
        }
    };
}
lane_op!(Add, add, _mm256_add_ps);
lane_op!(Sub, sub, _mm256_sub_ps);
lane_op!(Mul, mul, _mm256_mul_ps);
lane_op!(Div, div, _mm256_div_ps);

// SAFETY (every `unsafe` block below): AVX is available wherever an F8 is used (module
// documentation); memory accesses are commented where they occur.
impl Lanes for F8 {
    const N: usize = 8;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        unsafe { F8(_mm256_set1_ps(v)) }
    }
    #[inline(always)]
    fn load(s: &[f32], at: usize) -> Self {
        let lanes: &[f32; 8] = s[at..at + 8].try_into().expect("eight lanes");
        // Reads exactly the eight floats of `lanes`.
        unsafe { F8(_mm256_loadu_ps(lanes.as_ptr())) }
    }
    #[inline(always)]
    fn load_lanes(group: &Aligned16) -> Self {
        // `group` is sixteen floats, 64-byte aligned; this reads the first eight.
        unsafe { F8(_mm256_load_ps(group.0.as_ptr())) }
    }
    #[inline(always)]
    fn store(self, s: &mut [f32], at: usize) {
        let lanes: &mut [f32; 8] = (&mut s[at..at + 8]).try_into().expect("eight lanes");
        // Writes exactly the eight floats of `lanes`.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn last(self) -> f32 {
        unsafe { _mm_cvtss_f32(_mm_shuffle_ps::<0b11_11_11_11>(_mm256_extractf128_ps::<1>(self.0), _mm_setzero_ps())) }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        unsafe { F8(_mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0)) }
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Self {
        unsafe { F8(_mm256_cmp_ps::<_CMP_GT_OQ>(self.0, o.0)) }
    }
    #[inline(always)]
    fn ge(self, o: Self) -> Self {
        unsafe { F8(_mm256_cmp_ps::<_CMP_GE_OQ>(self.0, o.0)) }
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        unsafe { F8(_mm256_and_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn select(self, a: Self, b: Self) -> Self {
        // Mask lanes are all ones or all zeros, so the blend is the and/andnot/or of `F4`.
        unsafe { F8(_mm256_blendv_ps(b.0, a.0, self.0)) }
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        unsafe { F8(_mm256_min_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        unsafe { F8(_mm256_max_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn shift_in(self, previous: Self) -> Self {
        unsafe {
            // Per 128-bit half, the F4 shift with `before` as the previous group:
            // before = [previous[4..8], self[0..4]].
            let before = _mm256_permute2f128_ps::<0x21>(previous.0, self.0);
            let t = _mm256_shuffle_ps::<0b00_00_11_11>(before, self.0);
            F8(_mm256_shuffle_ps::<0b10_01_10_00>(t, self.0))
        }
    }
    #[inline(always)]
    fn bits_and(self, mask: u32) -> Self {
        unsafe { F8(_mm256_and_ps(self.0, _mm256_castsi256_ps(_mm256_set1_epi32(mask as i32)))) }
    }
    #[inline(always)]
    fn bits_or(self, bits: u32) -> Self {
        unsafe { F8(_mm256_or_ps(self.0, _mm256_castsi256_ps(_mm256_set1_epi32(bits as i32)))) }
    }
    #[inline(always)]
    fn bits_to_f32(self) -> Self {
        unsafe { F8(_mm256_cvtepi32_ps(_mm256_castps_si256(self.0))) }
    }
    #[inline(always)]
    fn floor(self) -> Self {
        // Exact rounding down, as F4's truncate-and-correct for |x| < 2^31.
        unsafe { F8(_mm256_floor_ps(self.0)) }
    }
    #[inline(always)]
    fn pow2_of_integer(self) -> Self {
        // AVX has no 256-bit integer arithmetic: F4's exponent construction on each half.
        unsafe {
            let bias = _mm_set1_epi32(127);
            let low = _mm_add_epi32(_mm_cvttps_epi32(_mm256_castps256_ps128(self.0)), bias);
            let high = _mm_add_epi32(_mm_cvttps_epi32(_mm256_extractf128_ps::<1>(self.0)), bias);
            let (low, high) = (_mm_slli_epi32::<23>(low), _mm_slli_epi32::<23>(high));
            F8(_mm256_insertf128_ps::<1>(_mm256_castps128_ps256(_mm_castsi128_ps(low)), _mm_castsi128_ps(high)))
        }
    }
}
