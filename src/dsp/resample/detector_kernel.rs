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

use crate::dsp::resample::design::kaiser_halfband_taps;

/// Folded mid-point kernel h_k, k = 0..P: the ideal sinc(t) at t = k + 1/2, Kaiser windowed
/// (shape `beta`) over |t| <= `half_span` low-rate samples, scaled so the taps sum to one: DC,
/// and so any slow signal, is read exactly. This is the half-band low-pass of
/// `design::kaiser_halfband_taps` read at the low rate: sinc(k + 1/2) is twice the half-band's
/// tap at offset 2k + 1, and the window spans 2 * `half_span` high-rate samples. Computed at
/// construction (allocates).
pub fn design<const P: usize>(beta: f64, half_span: f64) -> [f32; P] {
    let taps = kaiser_halfband_taps(P, 2.0 * half_span, beta);
    std::array::from_fn(|k| (2.0 * taps[k]) as f32)
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
    use crate::dsp::util::rng::XorShift32;
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
