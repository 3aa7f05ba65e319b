//! Four f32 lanes ([`F4`]): SSE on x86_64 (part of its baseline), a plain array elsewhere, and
//! the [`Lanes`] interface that lets one loop body run on [`F4`] or, where the CPU has AVX, on
//! eight AVX lanes (`f8`) with the same operations in the same order per lane.

use std::ops::{Add, Div, Mul, Sub};

/// What the vector loops of the true-peak detector and the limiter need from a group of f32
/// lanes. Every implementation performs, per lane, exactly the scalar IEEE operation named (no
/// fused multiply-add), so results do not depend on the width.
pub trait Lanes: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> {
    /// Number of lanes.
    const N: usize;
    fn splat(v: f32) -> Self;
    /// Lanes `s[at..at + N]`.
    fn load(s: &[f32], at: usize) -> Self;
    /// The first N values of a 64-byte aligned group of sixteen (a coefficient repeated in
    /// lanes).
    fn load_lanes(group: &Aligned16) -> Self;
    fn store(self, s: &mut [f32], at: usize);
    /// The last lane.
    fn last(self) -> f32;
    fn abs(self) -> Self;
    /// All-ones lanes where `self > o`.
    fn gt(self, o: Self) -> Self;
    fn ge(self, o: Self) -> Self;
    fn and(self, o: Self) -> Self;
    /// `self` is a mask (from a comparison): `a` where set, `b` elsewhere.
    fn select(self, a: Self, b: Self) -> Self;
    /// SSE rule: the second operand when either is NaN or both are equal.
    fn min(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    /// `[previous[N - 1], self[0], ..., self[N - 2]]`: the stream shifted by one lane.
    fn shift_in(self, previous: Self) -> Self;
    /// The bits of each lane and `mask`.
    fn bits_and(self, mask: u32) -> Self;
    /// The bits of each lane or `bits`.
    fn bits_or(self, bits: u32) -> Self;
    /// Each lane's bits read as an i32, converted to f32 (rounded to nearest).
    fn bits_to_f32(self) -> Self;
    /// Lanes rounded down to integers (valid for |x| < 2^31).
    fn floor(self) -> Self;
    /// 2^x for integer-valued lanes in [-126, 127], built from the exponent bits.
    fn pow2_of_integer(self) -> Self;
}

/// [`fast_log2`](crate::dsp::util::math::fast_log2) on all lanes: the same operations in the same order,
/// so the same result in every lane (tested).
#[inline(always)]
pub fn fast_log2<V: Lanes>(x: V) -> V {
    // The exponent field as an integer is e << 23 (e <= 255): converting it is exact, and so is
    // the scaling by 2^-23 and the subtraction of the small integer 127.
    let exponent = x.bits_and(0x7f80_0000).bits_to_f32() * V::splat(1.0 / 8_388_608.0) - V::splat(127.0);
    let mantissa = x.bits_and(0x007f_ffff).bits_or(0x3f80_0000);
    let above = mantissa.gt(V::splat(std::f32::consts::SQRT_2));
    let m = above.select(mantissa * V::splat(0.5), mantissa);
    let e = above.select(exponent + V::splat(1.0), exponent);
    let t = (m - V::splat(1.0)) / (m + V::splat(1.0));
    let t2 = t * t;
    let mut p = V::splat(1.0 / 9.0);
    for c in [1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0, 1.0] {
        p = V::splat(c) + t2 * p;
    }
    e + t * p * V::splat(2.0 / std::f32::consts::LN_2)
}

/// Sixteen f32 values, 64-byte aligned, so a vector of up to sixteen lanes loads them aligned
/// (and the multiply can take them straight from memory).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
pub struct Aligned16(pub [f32; 16]);

/// Four f32 lanes: SSE on x86_64 (part of its baseline), a plain array elsewhere, with the same
/// operations in the same order so both give identical results. Used to run the detector on
/// four consecutive samples at once.
#[derive(Debug, Clone, Copy)]
pub struct F4(#[cfg(target_arch = "x86_64")] std::arch::x86_64::__m128, #[cfg(not(target_arch = "x86_64"))] [f32; 4]);

/// Lane-wise arithmetic (SSE `addps`... on x86_64, four scalar operations elsewhere).
macro_rules! lane_op {
    ($trait:ident, $method:ident, $intrinsic:ident, $op:tt) => {
        impl $trait for F4 {
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
    /// Lanes 0 and 1 from `s[at..at + 2]`, lanes 2 and 3 zero.
    #[inline(always)]
    pub fn load2(s: &[f32], at: usize) -> Self {
        let lanes: &[f32; 2] = s[at..at + 2].try_into().expect("two lanes");
        // SAFETY: SSE2 is part of the x86_64 baseline; reads exactly the eight bytes of `lanes`
        // (no alignment needed).
        unsafe {
            use std::arch::x86_64::*;
            F4(_mm_castpd_ps(_mm_load_sd(lanes.as_ptr().cast::<f64>())))
        }
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
    /// Lanes 0 and 1 from `s[at..at + 2]`, lanes 2 and 3 zero.
    #[inline(always)]
    pub fn load2(s: &[f32], at: usize) -> Self {
        F4([s[at], s[at + 1], 0.0, 0.0])
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

impl Lanes for F4 {
    const N: usize = 4;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        F4::splat(v)
    }
    #[inline(always)]
    fn load(s: &[f32], at: usize) -> Self {
        F4::load(s, at)
    }
    #[inline(always)]
    fn load_lanes(group: &Aligned16) -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: `group` is 64-byte aligned and holds sixteen floats; this reads the first four.
            unsafe { F4(std::arch::x86_64::_mm_load_ps(group.0.as_ptr())) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            F4::load(&group.0, 0)
        }
    }
    #[inline(always)]
    fn store(self, s: &mut [f32], at: usize) {
        F4::store(self, s, at)
    }
    #[inline(always)]
    fn last(self) -> f32 {
        self.to_array()[3]
    }
    #[inline(always)]
    fn abs(self) -> Self {
        F4::abs(self)
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Self {
        F4::gt(self, o)
    }
    #[inline(always)]
    fn ge(self, o: Self) -> Self {
        F4::ge(self, o)
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        F4::and(self, o)
    }
    #[inline(always)]
    fn select(self, a: Self, b: Self) -> Self {
        F4::select(self, a, b)
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        F4::min(self, o)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        F4::max(self, o)
    }
    #[inline(always)]
    fn shift_in(self, previous: Self) -> Self {
        F4::shift_in(self, previous)
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn bits_and(self, mask: u32) -> Self {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { F4(_mm_and_ps(self.0, _mm_castsi128_ps(_mm_set1_epi32(mask as i32)))) }
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn bits_or(self, bits: u32) -> Self {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { F4(_mm_or_ps(self.0, _mm_castsi128_ps(_mm_set1_epi32(bits as i32)))) }
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn bits_to_f32(self) -> Self {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { F4(_mm_cvtepi32_ps(_mm_castps_si128(self.0))) }
    }
    #[inline(always)]
    fn floor(self) -> Self {
        F4::floor(self)
    }
    #[inline(always)]
    fn pow2_of_integer(self) -> Self {
        F4::pow2_of_integer(self)
    }
    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn bits_and(self, mask: u32) -> Self {
        F4(self.0.map(|v| f32::from_bits(v.to_bits() & mask)))
    }
    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn bits_or(self, bits: u32) -> Self {
        F4(self.0.map(|v| f32::from_bits(v.to_bits() | bits)))
    }
    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn bits_to_f32(self) -> Self {
        F4(self.0.map(|v| v.to_bits() as i32 as f32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_lane_log2_is_fast_log2() {
        let mut rng = crate::dsp::util::rng::XorShift32::new(9);
        for i in 0..20_000 {
            // Normal positive values over the whole exponent range, and around powers of two
            // and sqrt(2).
            let x = match i % 3 {
                0 => (rng.next_centered() * 250.0).exp2(),
                1 => std::f32::consts::SQRT_2 * (1.0 + 1e-6 * rng.next_centered()),
                _ => (1.0 + 1e-6 * rng.next_centered()) * ((i % 60) as f32 - 30.0).exp2(),
            }
            .max(f32::MIN_POSITIVE);
            let lanes = fast_log2(F4::splat(x)).to_array();
            assert_eq!(lanes[0].to_bits(), crate::dsp::util::math::fast_log2(x).to_bits(), "x={x}");
        }
    }
}
