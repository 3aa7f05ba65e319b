//! SIMD for the hot loops: the one module of the crate that executes CPU-specific instructions.
//!
//! Two kinds of loop, two numeric policies:
//!
//! - **Lane loops** (the limiter's true-peak detector and gain requirements) are written once
//!   over [`Lanes`] and run on [`F4`] (SSE, the x86-64 baseline; a plain array elsewhere), on
//!   CPUs with AVX on eight lanes, and on CPUs with AVX-512F on sixteen. Every lane operation is
//!   the scalar IEEE operation (no fused multiply-add), so every width gives bit-identical
//!   results: a render does not depend on the machine it ran on. The width is a [`LaneWidth`], a
//!   token that can only say "eight" or "sixteen" after the CPU was checked, and the wide types
//!   are private to the crate: no public API can execute AVX or AVX-512 on a CPU without it.
//! - **FMA loops** (the oversampler's half-band FIR, the true-peak meter's grid, the saturation
//!   curve) are plain Rust over fixed-size groups that LLVM vectorises, compiled twice through
//!   [`run_fma`]: for the baseline and, where the CPU has AVX2 and FMA, with those enabled and
//!   [`madd`] fused. These paths may differ between machines by rounding (a fused multiply-add
//!   rounds once instead of twice; about 1e-7 relative per tap), which is below every tolerance
//!   of the stages that use them and is why the limiter's gain path does not use them: the
//!   limiter's decisions stay identical everywhere.
//!
//! Scalar helpers that need one instruction ([`truncate_i32`]) and the two-lane f64 type of the
//! loudness meter's K-weighting ([`F64x2`]) live here too.

/// Crate-private for the same reason: an `F32x16` executes AVX-512F ([`LaneWidth::run`] and the
/// block detector's AVX-512 entry).
#[cfg(target_arch = "x86_64")]
pub(crate) mod f32x16;
mod f4;
mod f64x2;
/// Crate-private: an `F8` executes AVX, so only code that runs after [`LaneWidth::detect`]
/// reported eight (or more) lanes may use it: [`LaneWidth::run`], and the block detector's AVX entry
/// (`resample::block_peak_interpolator`), which is kept as a concrete `#[target_feature]` method
/// because the generic route through [`LaneKernel`] measured 30-40 % slower there.
#[cfg(target_arch = "x86_64")]
pub(crate) mod f8;

pub use f4::{fast_log2, Aligned16, Lanes, F4};
pub use f64x2::F64x2;

/// How many lanes a [`LaneKernel`] runs on. Only [`LaneWidth::detect`] and
/// [`LaneWidth::supported`] return the wider widths, and only on a CPU that runs them: holding
/// one is the proof that running its instructions is sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneWidth {
    lanes: u8,
}

impl LaneWidth {
    /// Four lanes, on every CPU.
    pub const FOUR: LaneWidth = LaneWidth { lanes: 4 };

    /// The widest lanes this CPU runs: sixteen with AVX-512F, eight with AVX, four otherwise.
    pub fn detect() -> Self {
        Self::supported().last().unwrap_or(Self::FOUR)
    }

    /// Every width this CPU runs, narrowest first (the tests compare them with each other).
    pub fn supported() -> impl Iterator<Item = LaneWidth> {
        #[cfg(target_arch = "x86_64")]
        let (avx, avx512) =
            (std::arch::is_x86_feature_detected!("avx"), std::arch::is_x86_feature_detected!("avx512f"));
        #[cfg(not(target_arch = "x86_64"))]
        let (avx, avx512) = (false, false);
        [(4, true), (8, avx), (16, avx512)].into_iter().filter(|&(_, ok)| ok).map(|(lanes, _)| LaneWidth { lanes })
    }

    pub fn lanes(self) -> usize {
        usize::from(self.lanes)
    }

    /// Runs `kernel` on this many lanes. Implementations of [`LaneKernel::run`] should be
    /// `#[inline(always)]`, so their loop is compiled for the width's instructions.
    #[inline]
    pub fn run<K: LaneKernel>(self, kernel: K) -> K::Output {
        #[cfg(target_arch = "x86_64")]
        match self.lanes {
            // SAFETY: sixteen lanes are only handed out where the CPU has AVX-512F.
            16 => return unsafe { run_avx512(kernel) },
            // SAFETY: eight lanes are only handed out where the CPU has AVX.
            8 => return unsafe { run_avx(kernel) },
            _ => {}
        }
        kernel.run::<F4>()
    }
}

/// A loop written once over [`Lanes`], run at a [`LaneWidth`].
pub trait LaneKernel {
    type Output;
    fn run<V: Lanes>(self) -> Self::Output;
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn run_avx<K: LaneKernel>(kernel: K) -> K::Output {
    kernel.run::<f8::F8>()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn run_avx512<K: LaneKernel>(kernel: K) -> K::Output {
    kernel.run::<f32x16::F32x16>()
}

/// A loop written once over `const FMA: bool` (its multiply-adds through [`madd`]), run by
/// [`run_fma`].
pub trait FmaKernel {
    type Output;
    fn run<const FMA: bool>(self) -> Self::Output;
}

/// Runs `kernel` compiled for AVX2 + FMA with fused multiply-adds where the CPU has them (checked
/// on every call; std caches the answer), for the baseline otherwise. Implementations of
/// [`FmaKernel::run`] should be `#[inline(always)]`.
#[inline]
pub fn run_fma<K: FmaKernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        return unsafe { run_avx2_fma(kernel) };
    }
    kernel.run::<false>()
}

/// Whether [`run_fma`] takes the fused build on this CPU.
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2_fma<K: FmaKernel>(kernel: K) -> K::Output {
    kernel.run::<true>()
}

/// `a * b + c`, fused when compiled for FMA (only then: without the feature `mul_add` is a slow
/// library call). Safe on any CPU either way.
#[inline(always)]
pub fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `x as i32` for |x| < 2^31 without the saturation checks `as` adds (a compare and two
/// branches per sample in the limiter's gain loop): one truncating conversion instruction.
/// Outside that range the result is unspecified (but defined).
#[inline(always)]
pub fn truncate_i32(x: f32) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE is part of the x86_64 baseline.
        unsafe { _mm_cvttss_si32(_mm_set_ss(x)) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        x as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sum<'a>(&'a [f32]);

    impl LaneKernel for Sum<'_> {
        type Output = (usize, f32);
        #[inline(always)]
        fn run<V: Lanes>(self) -> Self::Output {
            let mut acc = V::splat(0.0);
            let groups = self.0.len() - self.0.len() % V::N;
            for i in (0..groups).step_by(V::N) {
                acc = acc + V::load(self.0, i) * V::splat(0.5);
            }
            let mut lanes = [0.0f32; 16];
            acc.store(&mut lanes, 0);
            (V::N, lanes.iter().sum())
        }
    }

    /// Every width the CPU runs (four, and eight and sixteen where it has AVX and AVX-512F)
    /// runs the kernel with its own lane count, and per-lane arithmetic is the same: halving
    /// exact binary fractions sums exactly at any width.
    #[test]
    fn lane_widths_run_the_kernel_with_their_lane_count() {
        let x: Vec<f32> = (0..64).map(|i| i as f32).collect();
        let widths: Vec<LaneWidth> = LaneWidth::supported().collect();
        assert_eq!(widths.first(), Some(&LaneWidth::FOUR));
        assert_eq!(widths.last(), Some(&LaneWidth::detect()));
        for width in widths {
            let (n, sum) = width.run(Sum(&x));
            assert_eq!(n, width.lanes());
            assert_eq!(sum, 0.5 * (0..64).sum::<i32>() as f32);
        }
    }

    struct Dot<'a>(&'a [f32], &'a [f32]);

    impl FmaKernel for Dot<'_> {
        type Output = f32;
        #[inline(always)]
        fn run<const FMA: bool>(self) -> f32 {
            self.0.iter().zip(self.1).fold(0.0, |acc, (&a, &b)| madd::<FMA>(a, b, acc))
        }
    }

    #[test]
    fn fma_dispatch_agrees_with_the_plain_build_within_rounding() {
        let a: Vec<f32> = (0..100).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..100).map(|i| (i as f32 * 0.11).cos()).collect();
        let exact: f64 = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).sum();
        let plain = Dot(&a, &b).run::<false>();
        let dispatched = run_fma(Dot(&a, &b));
        assert!((plain as f64 - exact).abs() < 1e-5);
        assert!((dispatched as f64 - exact).abs() < 1e-5);
    }

    #[test]
    fn truncate_matches_as_inside_the_range() {
        for x in [0.0f32, 0.99, -0.99, 1.5, -1.5, 123_456.7, -2_000_000_000.0] {
            assert_eq!(truncate_i32(x), x as i32);
        }
    }
}
