//! Known EQs and an independent balance measurement for the reference-matching tests
//! (tests/assist.rs, tests/cli_match.rs): RBJ-cookbook biquads in f64 (not Lacquer's EQ), a
//! broadband test programme, and plain whole-file FFT power per 1/3-octave band (not the
//! assistant's gated analysis).
#![allow(dead_code)]

use realfft::RealFftPlanner;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    LowShelf,
    Bell,
    HighShelf,
}

/// One band of a known EQ: kind, frequency (Hz), gain (dB), Q.
pub type Band = (Kind, f64, f64, f64);

/// The issue's example: +4 dB low shelf at 120 Hz, −3 dB bell at 2.5 kHz, +3 dB high shelf at 9 kHz.
pub const ISSUE_EXAMPLE: [Band; 3] =
    [(Kind::LowShelf, 120.0, 4.0, 0.707), (Kind::Bell, 2500.0, -3.0, 1.0), (Kind::HighShelf, 9000.0, 3.0, 0.707)];

/// RBJ Audio EQ Cookbook biquad, direct form I, in f64.
pub fn biquad(x: &mut [f32], fs: f64, (kind, f0, gain_db, q): Band) {
    let a = 10f64.powf(gain_db / 40.0);
    let w = std::f64::consts::TAU * f0 / fs;
    let (cw, alpha) = (w.cos(), w.sin() / (2.0 * q));
    let s = 2.0 * a.sqrt() * alpha;
    let (b0, b1, b2, a0, a1, a2) = match kind {
        Kind::Bell => (1.0 + alpha * a, -2.0 * cw, 1.0 - alpha * a, 1.0 + alpha / a, -2.0 * cw, 1.0 - alpha / a),
        Kind::LowShelf => (
            a * ((a + 1.0) - (a - 1.0) * cw + s),
            2.0 * a * ((a - 1.0) - (a + 1.0) * cw),
            a * ((a + 1.0) - (a - 1.0) * cw - s),
            (a + 1.0) + (a - 1.0) * cw + s,
            -2.0 * ((a - 1.0) + (a + 1.0) * cw),
            (a + 1.0) + (a - 1.0) * cw - s,
        ),
        Kind::HighShelf => (
            a * ((a + 1.0) + (a - 1.0) * cw + s),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * cw),
            a * ((a + 1.0) + (a - 1.0) * cw - s),
            (a + 1.0) - (a - 1.0) * cw + s,
            2.0 * ((a - 1.0) - (a + 1.0) * cw),
            (a + 1.0) - (a - 1.0) * cw - s,
        ),
    };
    let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
    for v in x.iter_mut() {
        let x0 = *v as f64;
        let y0 = (b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
        (x2, x1, y2, y1) = (x1, x0, y1, y0);
        *v = y0 as f32;
    }
}

/// `programme` through every band of `eq`, channel by channel.
pub fn apply(programme: &[Vec<f32>], fs: f64, eq: &[Band]) -> Vec<Vec<f32>> {
    let mut out = programme.to_vec();
    for c in out.iter_mut() {
        for &band in eq {
            biquad(c, fs, band);
        }
    }
    out
}

/// Broadband programme: pinkish noise (three one-pole sums), a few tones, periodic clicks.
// Both channels are written per sample index (they share the common noise), so the loop
// indexes by sample.
#[allow(clippy::needless_range_loop)]
pub fn programme(secs: f64, fs: f64, seed: u64) -> Vec<Vec<f32>> {
    let n = (secs * fs) as usize;
    let mut state = seed;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut out = vec![vec![0.0f32; n], vec![0.0f32; n]];
    let mut p = [[0.0f64; 3]; 2];
    for i in 0..n {
        let t = i as f64 / fs;
        let common = rand();
        for ch in 0..2 {
            let white = 0.8 * common + 0.4 * rand();
            p[ch][0] = 0.997 * p[ch][0] + 0.05 * white;
            p[ch][1] = 0.96 * p[ch][1] + 0.1 * white;
            p[ch][2] = 0.6 * p[ch][2] + 0.2 * white;
            let tones: f64 = [(55.0, 0.05), (220.0, 0.03), (880.0, 0.02), (3520.0, 0.01)]
                .iter()
                .map(|(f, a)| a * (std::f64::consts::TAU * f * t).sin())
                .sum();
            let click = if i % 12_000 < 48 { 0.3 * rand() } else { 0.0 };
            out[ch][i] = (0.5 * (p[ch][0] + p[ch][1] + p[ch][2] + 0.3 * white) + tones + click) as f32 * 0.5;
        }
    }
    out
}

/// Nominal 1/3-octave centres of the goal range: 50 Hz..12.5 kHz, whose band edges span
/// 44.7 Hz..14.1 kHz (the issue's "50 Hz to 14 kHz").
pub fn goal_centres() -> Vec<f64> {
    (-13..=11).map(|k| 1000.0 * 10f64.powf(k as f64 / 10.0)).collect()
}

/// Power (dB) per 1/3-octave band of [`goal_centres`]: whole-file average of 50 %-overlapped
/// Hann frames over every channel.
pub fn third_octaves(ch: &[Vec<f32>], fs: f64) -> Vec<f64> {
    let len = 8192;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(len);
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut power = vec![0.0; len / 2 + 1];
    let window: Vec<f64> =
        (0..len).map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / len as f64).cos()).collect();
    for c in ch {
        let mut start = 0;
        while start + len <= c.len() {
            for ((v, x), w) in input.iter_mut().zip(&c[start..start + len]).zip(&window) {
                *v = *x as f64 * w;
            }
            fft.process(&mut input, &mut spec).unwrap();
            for (p, s) in power.iter_mut().zip(&spec) {
                *p += s.norm_sqr();
            }
            start += len / 2;
        }
    }
    let bin = fs / len as f64;
    goal_centres()
        .into_iter()
        .map(|c| {
            let (lo, hi) = (c / 10f64.powf(0.05), c * 10f64.powf(0.05));
            let sum: f64 = power[(lo / bin).ceil() as usize..(hi / bin).ceil() as usize].iter().sum();
            10.0 * sum.max(1e-30).log10()
        })
        .collect()
}

/// Max and mean absolute error of the balance (a constant offset removed: level is the
/// loudness search's job, and the goal is about balance).
pub fn balance_error(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let m = d.iter().sum::<f64>() / d.len() as f64;
    let e: Vec<f64> = d.iter().map(|v| (v - m).abs()).collect();
    (e.iter().cloned().fold(0.0, f64::max), e.iter().sum::<f64>() / e.len() as f64)
}
