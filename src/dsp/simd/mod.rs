//! Runtime CPU dispatch for the few hot loops (half-band FIR, saturation curve).
//!
//! The loops are written once as plain Rust over fixed-size lane groups, which LLVM vectorises
//! for whatever the function is compiled for. The baseline x86-64 target only has SSE2 (4 lanes,
//! no fused multiply-add); most CPUs that run a DAW have AVX2 and FMA, which double the lanes and
//! fuse the multiply-adds, so the same body is also compiled with those features enabled and
//! chosen at run time. Other architectures use the portable build (NEON on aarch64 is baseline).

pub mod f4;
#[cfg(target_arch = "x86_64")]
pub mod f8;

use std::sync::atomic::{AtomicBool, Ordering};

static FORCE_PORTABLE: AtomicBool = AtomicBool::new(false);

/// Makes every hot loop take the portable build (for benchmarks comparing the two; the results
/// agree within rounding either way).
pub fn force_portable(on: bool) {
    FORCE_PORTABLE.store(on, Ordering::Relaxed);
}

/// Whether the AVX2 + FMA builds of the hot loops may run on this CPU (cached by std).
#[inline]
pub fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !FORCE_PORTABLE.load(Ordering::Relaxed)
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `a * b + c`, fused when compiled for FMA (only then: without the feature `mul_add` is a slow
/// library call).
#[inline(always)]
pub fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}
