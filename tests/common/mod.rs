//! Shared helpers for the integration tests: signal generators and an independent true-peak
//! reference (not the code under test).
#![allow(dead_code)]

use std::f64::consts::PI;

/// Deterministic generator for test signals (splitmix64).
pub struct TestRng(pub u64);

impl TestRng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Modified Bessel function of the first kind, order 0 (power series), for Kaiser windows.
pub fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    for k in 1..60 {
        term *= (x / 2.0 / k as f64).powi(2);
        sum += term;
    }
    sum
}

/// Polyphase Kaiser-windowed sinc interpolator with the cutoff at the base-rate Nyquist frequency:
/// `phases[p][jj]` weighs x[n − half + 1 + jj] for the point at n + p/r, with a window that is
/// zero at ±`span` samples, each phase scaled to unity DC gain (f64 throughout).
pub fn kaiser_sinc_phases(r: usize, half: isize, beta: f64, span: f64) -> Vec<Vec<f64>> {
    let norm = bessel_i0(beta);
    (0..r)
        .map(|p| {
            let frac = p as f64 / r as f64;
            let mut k: Vec<f64> = (-half + 1..=half)
                .map(|j| {
                    let t = j as f64 - frac;
                    let sinc = if t == 0.0 { 1.0 } else { (PI * t).sin() / (PI * t) };
                    let u = t / span;
                    let w = if u.abs() >= 1.0 { 0.0 } else { bessel_i0(beta * (1.0 - u * u).sqrt()) / norm };
                    sinc * w
                })
                .collect();
            let s: f64 = k.iter().sum();
            k.iter_mut().for_each(|v| *v /= s);
            k
        })
        .collect()
}

/// Independent true-peak reference: 16x reconstruction with a long (±48 samples) Kaiser-windowed
/// sinc in f64. Returns, for each sample index n, the largest reconstructed magnitude on the
/// interval [n, n+1) (16 points, the first being the sample itself). Edges use zero padding.
pub fn true_peak_16x(x: &[f32]) -> Vec<f32> {
    const R: usize = 16;
    const HALF: isize = 48;
    let beta = 10.0;
    // kernel[p][j] for offset j in -HALF+1..=HALF relative to n, fraction p/R.
    // (Phase 0 is the sample itself; its kernel is not used.)
    let kernels = kaiser_sinc_phases(R, HALF, beta, HALF as f64);
    interval_peaks(x, &kernels, HALF)
}

/// Independent BS.1770-style 4x meter per interval: for each sample index n, the largest
/// magnitude of x[n] and the three 4x points on (n, n+1), by a Kaiser-windowed sinc (beta 9,
/// 64 taps per phase, each phase at unity DC gain; flat within 0.001 dB to 0.45 fs), f64.
/// Edges use zero padding.
pub fn true_peak_4x(x: &[f32]) -> Vec<f32> {
    const R: usize = 4;
    const HALF: isize = 32;
    let kernels = kaiser_sinc_phases(R, HALF, 9.0, HALF as f64 + 0.5);
    interval_peaks(x, &kernels, HALF)
}

/// For each sample index n: the largest magnitude of x[n] and of the points on (n, n+1) that
/// `kernels[1..]` interpolate (taps for offsets -half+1 ..= half around n), in f64 with zero
/// padding at the edges.
fn interval_peaks(x: &[f32], kernels: &[Vec<f64>], half: isize) -> Vec<f32> {
    let n = x.len() as isize;
    (0..n)
        .map(|i| {
            let mut best = (x[i as usize] as f64).abs();
            for kernel in kernels.iter().skip(1) {
                let mut acc = 0.0;
                for (jj, c) in kernel.iter().enumerate() {
                    let idx = i + (-half + 1 + jj as isize);
                    if idx >= 0 && idx < n {
                        acc += c * x[idx as usize] as f64;
                    }
                }
                best = best.max(acc.abs());
            }
            best as f32
        })
        .collect()
}

/// Band-limited reconstruction at n + frac by a sinc over ±4096 samples under a Kaiser window
/// (beta 8): its transition band is about a thousandth of fs wide, so to a few 1e-5 it is the
/// ideal reconstruction of the samples (for diagnoses).
pub fn ideal_at(x: &[f32], n: usize, frac: f64) -> f64 {
    let half = 4096isize;
    let norm = bessel_i0(8.0);
    let mut acc = 0.0;
    for j in -half + 1..=half {
        let idx = n as isize + j;
        if idx < 0 || idx as usize >= x.len() {
            continue;
        }
        let t = j as f64 - frac;
        let sinc = if t == 0.0 { 1.0 } else { (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t) };
        let u = t / (half as f64 + 1.0);
        let w = bessel_i0(8.0 * (1.0 - u * u).max(0.0).sqrt()) / norm;
        acc += sinc * w * x[idx as usize] as f64;
    }
    acc
}

pub fn db(x: f64) -> f64 {
    20.0 * x.max(1e-30).log10()
}

pub fn sine(freq: f64, fs: f64, amp: f64, phase: f64, n: usize) -> Vec<f32> {
    (0..n).map(|i| (amp * (2.0 * PI * freq * i as f64 / fs + phase).sin()) as f32).collect()
}

/// Synthetic drum loop: kicks (pitch-swept sine), snares (noise bursts), hats (high-passed noise).
pub fn drums(fs: f64, seconds: f64, seed: u64) -> Vec<f32> {
    let n = (fs * seconds) as usize;
    let mut rng = TestRng(seed);
    let mut out = vec![0.0f32; n];
    let beat = (fs * 0.25) as usize;
    for start in (0..n).step_by(beat) {
        let k = start / beat;
        let len = (fs * 0.2) as usize;
        for i in 0..len.min(n - start) {
            let t = i as f64 / fs;
            let v = if k.is_multiple_of(2) {
                let f = 50.0 + 120.0 * (-t * 30.0).exp();
                (2.0 * PI * f * t).sin() * (-t * 12.0).exp()
            } else {
                rng.uniform() * (-t * 25.0).exp() * 0.8
            };
            out[start + i] += v as f32;
        }
    }
    let mut prev = 0.0;
    for v in out.iter_mut() {
        let noise = rng.uniform() as f32 * 0.05;
        let hp = noise - prev;
        prev = noise;
        *v += hp;
    }
    out
}

/// Every stage engaged and doing something audible.
#[allow(clippy::field_reassign_with_default)]
pub fn everything_on() -> lacquer::chain::Settings {
    use lacquer::dsp::{dither::WordLength, limiter::Oversampling, resample::oversampler::OversamplingFactor};
    let mut s = lacquer::chain::Settings::default();
    s.input_gain_db = 3.0;
    s.eq.high_pass.enabled = true;
    s.eq.low_shelf.enabled = true;
    s.eq.low_shelf.gain_db = 2.0;
    for (i, bell) in s.eq.bells.iter_mut().enumerate() {
        bell.enabled = true;
        bell.gain_db = if i.is_multiple_of(2) { -3.0 } else { 2.5 };
    }
    s.eq.high_shelf.enabled = true;
    s.eq.high_shelf.gain_db = 1.5;
    s.eq.low_pass.enabled = true;
    s.compressor.bypass = false;
    s.compressor.multiband = true;
    s.compressor.sidechain_hp = true;
    s.stereo.width_pct = 130.0;
    s.stereo.mono_bass = true;
    s.saturation.bypass = false;
    s.saturation.drive_db = 6.0;
    s.saturation.oversampling = OversamplingFactor::X4;
    s.limiter.drive_db = 6.0;
    s.limiter.oversampling = Oversampling::X8;
    s.dither.word_length = WordLength::Bits16;
    s.dither.noise_shaping = true;
    s
}
