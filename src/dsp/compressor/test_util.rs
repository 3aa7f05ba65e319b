//! Test-only measurement helpers for the compressor, crossover and envelope tests: tone
//! generation, steady-state tone amplitude by projection, and click detection.

/// `amp·sin(2πf n/fs)`, computed in f64 so the test signal itself is clean.
pub fn sine(freq: f64, amp: f64, len: usize, fs: f32) -> Vec<f32> {
    let w = 2.0 * std::f64::consts::PI * freq / fs as f64;
    (0..len).map(|n| (amp * (w * n as f64).sin()) as f32).collect()
}

/// Amplitude of the `freq` component of `y`, by projection on sine and cosine. Exact (no
/// leakage) when `y` spans an integer number of cycles, which the tests arrange.
pub fn tone_amplitude(y: &[f32], freq: f64, fs: f32) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / fs as f64;
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, &v) in y.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        re += v as f64 * c;
        im += v as f64 * s;
    }
    2.0 * (re * re + im * im).sqrt() / y.len() as f64
}

/// Largest sample-to-sample change.
pub fn max_step(y: &[f32]) -> f32 {
    y.windows(2).fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()))
}

/// Normalised analog frequency Ω seen by a bilinear-transform filter prewarped at `fc`:
/// Ω = tan(πf/fs) / tan(πfc/fs).
pub fn bilinear_omega(f: f64, fc: f64, fs: f64) -> f64 {
    let t = |x: f64| (std::f64::consts::PI * x / fs).tan();
    t(f) / t(fc)
}

pub fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

/// Runs whole stereo buffers through `process` in chunks of [`crate::dsp::MAX_CHUNK`].
pub fn run(c: &mut crate::dsp::compressor::Compressor, left: &mut [f32], right: &mut [f32]) {
    let m = crate::dsp::MAX_CHUNK;
    for (l, r) in left.chunks_mut(m).zip(right.chunks_mut(m)) {
        c.process(l, r);
    }
}

/// Default settings, engaged (the default is bypassed).
pub fn engaged() -> crate::dsp::compressor::CompressorSettings {
    crate::dsp::compressor::CompressorSettings { bypass: false, ..Default::default() }
}

pub use crate::dsp::eq::poly::Complex;
use crate::dsp::eq::poly::{c_div as div, c_mul as mul};

/// Analytic complex responses of the bilinear LR4 3-way crossover at `f`, from the analog
/// Butterworth sections at s = jΩ: low = LP1²·AP2, mid = HP1²·LP2², high = HP1²·HP2².
pub fn lr4_bands_at(f: f64, fc1: f64, fc2: f64, fs: f64) -> [Complex; 3] {
    let section = |fc: f64| {
        let w = bilinear_omega(f, fc, fs);
        let k = std::f64::consts::SQRT_2;
        let den = (1.0 - w * w, k * w);
        let (lp, hp) = (div((1.0, 0.0), den), div((-w * w, 0.0), den));
        (mul(lp, lp), mul(hp, hp), div((1.0 - w * w, -k * w), den))
    };
    let ((lp1, hp1, _), (lp2, hp2, ap2)) = (section(fc1), section(fc2));
    [mul(lp1, ap2), mul(hp1, lp2), mul(hp1, hp2)]
}

/// Runs 0.5 s at 48 kHz through a fresh compressor with `s` and returns the last 0.2 s of both
/// channels (an integer number of cycles of integer-Hz tones).
pub fn steady(
    s: &crate::dsp::compressor::CompressorSettings,
    mut l: Vec<f32>,
    mut r: Vec<f32>,
) -> (Vec<f32>, Vec<f32>) {
    let mut c = crate::dsp::compressor::Compressor::new(48_000.0);
    c.set(s);
    run(&mut c, &mut l, &mut r);
    let skip = l.len() - 9600;
    (l[skip..].to_vec(), r[skip..].to_vec())
}

/// A sine faded in over its first 0.25 s (at 48 kHz): a sudden onset makes filters ring above
/// the steady level, which a long release would then hold.
pub fn faded_sine(freq: f64, amp: f64, len: usize) -> Vec<f32> {
    let fade = |n: usize| (0.5 - 0.5 * (std::f64::consts::PI * n.min(12_000) as f64 / 12_000.0).cos()) as f32;
    sine(freq, amp, len, 48_000.0).iter().enumerate().map(|(n, v)| v * fade(n)).collect()
}
