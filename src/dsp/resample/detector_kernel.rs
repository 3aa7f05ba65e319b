//! Linear-phase half-band interpolation kernels for the true-peak detector's rate doublers
//! (see `interpolator`): their design, and the folded dot products that compute new points.
//!
//! A half-band interpolator doubling the rate keeps every old sample (its even taps are zero
//! apart from the centre: a Nyquist filter) and computes each new mid-point from pairs of
//! samples symmetric around it: y(m + 1/2) = sum_k h_k (v[m - k] + v[m + 1 + k]). Folding the
//! symmetric pairs halves the multiplies.
//!
//! The kernels are written over the explicit 4-lane [`F4`] because LLVM's generic x86-64 cost
//! model treats unaligned 16-byte loads as slow and splits these sliding-window loops into
//! 2-lane operations when left to auto-vectorise (measured: about 1.6x the instructions). `F4`
//! is SSE on x86_64 and a plain array elsewhere, with the same operations in the same order,
//! so every target gives the scalar result bit for bit (tested).

use crate::dsp::resample::design::kaiser_halfband_taps;
use crate::dsp::simd::F4;

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
/// reverse time order). P must be a multiple of 8 (two 4-lane accumulators, summed in a fixed
/// order).
#[inline(always)]
pub fn fold_long<const P: usize>(h: &Kernel<P>, newer: &[f32; P], older: &[f32; P]) -> f32 {
    const { assert!(P.is_multiple_of(8)) };
    let (mut acc0, mut acc1) = (F4::splat(0.0), F4::splat(0.0));
    for c in (0..P).step_by(8) {
        let s0 = F4::load(newer, c) + F4::load(older, c);
        let s1 = F4::load(newer, c + 4) + F4::load(older, c + 4);
        acc0 = acc0 + F4::load(&h.0, c) * s0;
        acc1 = acc1 + F4::load(&h.0, c + 4) * s1;
    }
    let lanes = (acc0 + acc1).to_array();
    (lanes[0] + lanes[2]) + (lanes[1] + lanes[3])
}

/// Four neighbouring mid-points side by side: lane i is the point between v[c + i] and
/// v[c + i + 1], from the pairs (v[c + i - k], v[c + i + 1 + k]), k = 0..P. Requires
/// c + 1 >= P and c + 4 + P <= LEN (checked by the caller's constants).
#[inline(always)]
pub fn fold4<const P: usize, const LEN: usize>(h: &LaneKernel<P>, v: &[f32; LEN], c: usize) -> [f32; 4] {
    assert!(c + 1 >= P && c + 4 + P <= LEN);
    let mut acc = F4::splat(0.0);
    for (k, hk) in h.0.iter().enumerate() {
        let pair = F4::load(v, c - k) + F4::load(v, c + 1 + k);
        acc = acc + F4::load(hk, 0) * pair;
    }
    acc.to_array()
}

/// Lanes 0 and 1 of [`fold4`] only, for a stage that needs two new points per base sample.
/// Requires c + 1 >= P and c + 2 + P <= LEN (checked by the caller's constants).
#[inline(always)]
pub fn fold2<const P: usize, const LEN: usize>(h: &LaneKernel<P>, v: &[f32; LEN], c: usize) -> [f32; 2] {
    assert!(c + 1 >= P && c + 2 + P <= LEN);
    let mut acc = F4::splat(0.0);
    for (k, hk) in h.0.iter().enumerate() {
        let pair = F4::load2(v, c - k) + F4::load2(v, c + 1 + k);
        acc = acc + F4::load(hk, 0) * pair;
    }
    let lanes = acc.to_array();
    [lanes[0], lanes[1]]
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

    /// The designs the detector uses are flat where its content lives: stage 1 within 0.025 dB
    /// to 0.45 fs (the ripple of a Kaiser 5 half-band, about 50 dB); stage 2 within 0.007 dB to
    /// 0.225 of its rate (0.45 fs); stage 3 within 0.001 dB to 0.1125 of its rate. DC is exact
    /// for all.
    #[test]
    fn designs_are_flat_in_their_passbands() {
        let s1: [f32; 32] = design(5.0, 32.0);
        let s2: [f32; 4] = design(8.0, 4.5);
        let s3: [f32; 4] = design(11.0, 4.5);
        for (h, edge, tol_db) in [(&s1[..], 0.45, 0.025), (&s2[..], 0.225, 0.007), (&s3[..], 0.1125, 0.001)] {
            assert!((mid_point_gain(h, 0.0) - 1.0).abs() < 1e-6);
            for i in 0..=200 {
                let omega = 2.0 * PI * edge * i as f64 / 200.0;
                let db = 20.0 * mid_point_gain(h, omega).log10();
                assert!(db.abs() < tol_db, "edge {edge}: {db} dB at omega {omega}");
            }
        }
    }

    /// Scalar statement of [`fold_long`]: eight independent accumulators, then the fixed sum.
    fn fold_long_scalar<const P: usize>(h: &Kernel<P>, newer: &[f32; P], older: &[f32; P]) -> f32 {
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

    /// Scalar statement of [`fold4`] (and, for its first `N` lanes, of [`fold2`]).
    fn fold_scalar<const N: usize, const P: usize, const LEN: usize>(
        h: &LaneKernel<P>,
        v: &[f32; LEN],
        c: usize,
    ) -> [f32; N] {
        let mut acc = [0.0f32; N];
        for (k, hk) in h.0.iter().enumerate() {
            for (i, a) in acc.iter_mut().enumerate() {
                *a += hk[i] * (v[c + i - k] + v[c + i + 1 + k]);
            }
        }
        acc
    }

    #[test]
    fn vector_kernels_do_the_scalar_arithmetic_exactly() {
        let mut rng = XorShift32::new(5);
        let h = Kernel::<32>(design(7.0, 32.0));
        let hb = LaneKernel::new(&design::<4>(8.0, 4.5));
        for _ in 0..100 {
            let a: [f32; 32] = std::array::from_fn(|_| rng.next_centered());
            let b: [f32; 32] = std::array::from_fn(|_| rng.next_centered());
            assert_eq!(fold_long(&h, &a, &b).to_bits(), fold_long_scalar(&h, &a, &b).to_bits());
            let v: [f32; 12] = std::array::from_fn(|_| rng.next_centered());
            for c in 3..=4 {
                assert_eq!(fold4(&hb, &v, c).map(f32::to_bits), fold_scalar::<4, 4, 12>(&hb, &v, c).map(f32::to_bits));
                assert_eq!(fold2(&hb, &v, c).map(f32::to_bits), fold_scalar::<2, 4, 12>(&hb, &v, c).map(f32::to_bits));
            }
        }
    }
}
