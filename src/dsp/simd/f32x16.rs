//! Sixteen f32 lanes in one AVX-512 register ([`F32x16`]), for the hot loops on CPUs that have
//! AVX-512F (chosen at run time with `is_x86_feature_detected!("avx512f")`; eight AVX lanes or
//! four SSE lanes otherwise). Every operation is the per-lane IEEE operation the narrower types
//! perform (no fused multiply-add; comparisons give all-ones or all-zero lanes, minimum and
//! maximum follow the SSE rule), so the same loop body gives bit-identical results at every width.
//! Only AVX-512F instructions are used (no DQ/BW/VL), the part every AVX-512 CPU has.
//!
//! # Safety
//! The methods are safe to call, but they execute AVX-512 instructions: an `F32x16` may only be
//! created and used on a CPU with AVX-512F, i.e. inside code that runs only after the run-time
//! check. They are meant to be inlined into a `#[target_feature(enable = "avx512f")]` function
//! (they are `#[inline(always)]` so that the whole loop is compiled for AVX-512).

use crate::dsp::simd::f4::{Aligned16, Lanes};
use std::arch::x86_64::*;
use std::ops::{Add, Div, Mul, Sub};

#[derive(Debug, Clone, Copy)]
pub struct F32x16(__m512);

macro_rules! lane_op {
    ($trait:ident, $method:ident, $intrinsic:ident) => {
        impl $trait for F32x16 {
            type Output = F32x16;
            #[inline(always)]
            fn $method(self, o: F32x16) -> F32x16 {
                // SAFETY: AVX-512F is available wherever an F32x16 exists (module documentation).
                unsafe { F32x16($intrinsic(self.0, o.0)) }
            }
        }
    };
}
lane_op!(Add, add, _mm512_add_ps);
lane_op!(Sub, sub, _mm512_sub_ps);
lane_op!(Mul, mul, _mm512_mul_ps);
lane_op!(Div, div, _mm512_div_ps);

impl F32x16 {
    /// All-ones lanes where `mask` is set, zero elsewhere: the comparison result the narrower
    /// types produce.
    #[inline(always)]
    fn from_mask(mask: __mmask16) -> Self {
        unsafe { F32x16(_mm512_castsi512_ps(_mm512_maskz_mov_epi32(mask, _mm512_set1_epi32(-1)))) }
    }

    #[inline(always)]
    fn bits(self) -> __m512i {
        unsafe { _mm512_castps_si512(self.0) }
    }
}

// SAFETY (every `unsafe` block below): AVX-512F is available wherever an F32x16 is used (module
// documentation); memory accesses are commented where they occur.
impl Lanes for F32x16 {
    const N: usize = 16;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        unsafe { F32x16(_mm512_set1_ps(v)) }
    }
    #[inline(always)]
    fn load(s: &[f32], at: usize) -> Self {
        let lanes: &[f32; 16] = s[at..at + 16].try_into().expect("sixteen lanes");
        // Reads exactly the sixteen floats of `lanes`.
        unsafe { F32x16(_mm512_loadu_ps(lanes.as_ptr())) }
    }
    #[inline(always)]
    fn load_lanes(group: &Aligned16) -> Self {
        // `group` is sixteen floats, 64-byte aligned.
        unsafe { F32x16(_mm512_load_ps(group.0.as_ptr())) }
    }
    #[inline(always)]
    fn store(self, s: &mut [f32], at: usize) {
        let lanes: &mut [f32; 16] = (&mut s[at..at + 16]).try_into().expect("sixteen lanes");
        // Writes exactly the sixteen floats of `lanes`.
        unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn last(self) -> f32 {
        let mut lanes = [0.0f32; 16];
        self.store(&mut lanes, 0);
        lanes[15]
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // Clears the sign bit, as the narrower types' and-not with -0.0.
        unsafe { F32x16(_mm512_castsi512_ps(_mm512_and_si512(self.bits(), _mm512_set1_epi32(0x7fff_ffff)))) }
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Self {
        Self::from_mask(unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, o.0) })
    }
    #[inline(always)]
    fn ge(self, o: Self) -> Self {
        Self::from_mask(unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0) })
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        unsafe { F32x16(_mm512_castsi512_ps(_mm512_and_si512(self.bits(), o.bits()))) }
    }
    #[inline(always)]
    fn select(self, a: Self, b: Self) -> Self {
        // Mask lanes are all ones or all zeros: a lane is set exactly when it is non-zero.
        unsafe { F32x16(_mm512_mask_blend_ps(_mm512_test_epi32_mask(self.bits(), self.bits()), b.0, a.0)) }
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        unsafe { F32x16(_mm512_min_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        unsafe { F32x16(_mm512_max_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn shift_in(self, previous: Self) -> Self {
        // [previous[15], self[0], ..., self[14]]: the concatenation self:previous moved down by
        // fifteen lanes.
        unsafe { F32x16(_mm512_castsi512_ps(_mm512_alignr_epi32::<15>(self.bits(), previous.bits()))) }
    }
    #[inline(always)]
    fn bits_and(self, mask: u32) -> Self {
        unsafe { F32x16(_mm512_castsi512_ps(_mm512_and_si512(self.bits(), _mm512_set1_epi32(mask as i32)))) }
    }
    #[inline(always)]
    fn bits_or(self, bits: u32) -> Self {
        unsafe { F32x16(_mm512_castsi512_ps(_mm512_or_si512(self.bits(), _mm512_set1_epi32(bits as i32)))) }
    }
    #[inline(always)]
    fn bits_to_f32(self) -> Self {
        unsafe { F32x16(_mm512_cvtepi32_ps(self.bits())) }
    }
    #[inline(always)]
    fn floor(self) -> Self {
        // Exact rounding down, as F4's truncate-and-correct for |x| < 2^31.
        unsafe { F32x16(_mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(self.0)) }
    }
    #[inline(always)]
    fn pow2_of_integer(self) -> Self {
        unsafe {
            let biased = _mm512_add_epi32(_mm512_cvttps_epi32(self.0), _mm512_set1_epi32(127));
            F32x16(_mm512_castsi512_ps(_mm512_slli_epi32::<23>(biased)))
        }
    }
}
