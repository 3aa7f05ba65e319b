//! Two f64 lanes ([`F64x2`]): SSE2 on x86_64 (part of its baseline), a plain array elsewhere,
//! each operation the per-lane IEEE operation, so both builds give identical results. The
//! loudness meter runs its two channels' K-weighting filters on the two lanes.

use std::ops::{Add, Mul, Sub};

#[derive(Debug, Clone, Copy)]
pub struct F64x2(
    #[cfg(target_arch = "x86_64")] std::arch::x86_64::__m128d,
    #[cfg(not(target_arch = "x86_64"))] [f64; 2],
);

macro_rules! lane_op {
    ($trait:ident, $method:ident, $intrinsic:ident, $op:tt) => {
        impl $trait for F64x2 {
            type Output = F64x2;
            #[inline(always)]
            fn $method(self, o: F64x2) -> F64x2 {
                #[cfg(target_arch = "x86_64")]
                {
                    // SAFETY: SSE2 is part of the x86_64 baseline.
                    unsafe { F64x2(std::arch::x86_64::$intrinsic(self.0, o.0)) }
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    F64x2([self.0[0] $op o.0[0], self.0[1] $op o.0[1]])
                }
            }
        }
    };
}
lane_op!(Add, add, _mm_add_pd, +);
lane_op!(Sub, sub, _mm_sub_pd, -);
lane_op!(Mul, mul, _mm_mul_pd, *);

impl F64x2 {
    /// Lane 0 = `a`, lane 1 = `b`.
    #[inline(always)]
    pub fn new(a: f64, b: f64) -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: SSE2 is part of the x86_64 baseline.
            unsafe { F64x2(std::arch::x86_64::_mm_set_pd(b, a)) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            F64x2([a, b])
        }
    }

    #[inline(always)]
    pub fn to_array(self) -> [f64; 2] {
        #[cfg(target_arch = "x86_64")]
        {
            let mut out = [0.0f64; 2];
            // SAFETY: SSE2 is part of the x86_64 baseline; writes exactly the two f64 of `out`.
            unsafe { std::arch::x86_64::_mm_storeu_pd(out.as_mut_ptr(), self.0) };
            out
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_do_the_scalar_operations() {
        let (a, b) = (F64x2::new(1.5, -0.1), F64x2::new(0.3, 7.0));
        assert_eq!((a + b).to_array(), [1.5 + 0.3, -0.1 + 7.0]);
        assert_eq!((a - b).to_array(), [1.5 - 0.3, -0.1 - 7.0]);
        assert_eq!((a * b).to_array(), [1.5 * 0.3, -0.1 * 7.0]);
    }
}
