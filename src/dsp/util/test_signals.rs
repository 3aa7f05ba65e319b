//! Test signals and measurements shared by the stages' unit tests (compiled for tests only).

use crate::dsp::util::rng::XorShift32;
use crate::dsp::MAX_CHUNK;
use std::f64::consts::TAU;

/// `amp·sin(2π·f·n/fs + phase)`, computed in f64.
pub fn sine(freq_hz: f64, amp: f64, fs: f64, n: usize, phase: f64) -> Vec<f32> {
    (0..n).map(|i| (amp * (TAU * freq_hz * i as f64 / fs + phase).sin()) as f32).collect()
}

/// Uniform white noise in [-0.5, 0.5) from a fixed seed.
pub fn noise(seed: u32, n: usize) -> Vec<f32> {
    let mut rng = XorShift32::new(seed);
    (0..n).map(|_| rng.next_centered()).collect()
}

/// Amplitude of the `freq_hz` component by quadrature demodulation; exact when `y` spans an
/// integer number of cycles.
pub fn amplitude(y: &[f32], freq_hz: f64, fs: f64) -> f64 {
    let (mut a, mut b) = (0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        let ph = TAU * freq_hz * i as f64 / fs;
        a += v as f64 * ph.sin();
        b += v as f64 * ph.cos();
    }
    2.0 * a.hypot(b) / y.len() as f64
}

/// Largest sample-to-sample step.
pub fn max_step(y: &[f32]) -> f32 {
    y.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

/// Feeds `left`/`right` to `process` in chunks of [`MAX_CHUNK`], as the chain does.
pub fn run_chunked(mut process: impl FnMut(&mut [f32], &mut [f32]), left: &mut [f32], right: &mut [f32]) {
    for (l, r) in left.chunks_mut(MAX_CHUNK).zip(right.chunks_mut(MAX_CHUNK)) {
        process(l, r);
    }
}
