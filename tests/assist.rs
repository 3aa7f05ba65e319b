//! Measured goal of reference matching (issue 16): a programme and a reference made from it
//! with a known EQ (independent RBJ-cookbook biquads, not Lacquer's EQ) must come out of
//! analyse → match → Lacquer's EQ within 1.0 dB max and 0.4 dB mean of the reference's
//! 1/3-octave balance from 50 Hz to 14 kHz, measured here by plain FFT band power.

use lacquer::assist::{analyse, match_reference, MatchOptions};
use lacquer::dsp::eq::{Eq, EqSettings};
use lacquer::dsp::stereo::StereoSettings;
use realfft::RealFftPlanner;

const FS: f64 = 48_000.0;

#[derive(Clone, Copy)]
enum Kind {
    LowShelf,
    Bell,
    HighShelf,
}

/// RBJ Audio EQ Cookbook biquad, direct form I, in f64.
fn biquad(x: &mut [f32], kind: Kind, f0: f64, gain_db: f64, q: f64) {
    let a = 10f64.powf(gain_db / 40.0);
    let w = std::f64::consts::TAU * f0 / FS;
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

/// Broadband programme: pinkish noise (three one-pole sums), a few tones, periodic clicks.
// Both channels are written per sample index (they share the common noise), so the loop
// indexes by sample.
#[allow(clippy::needless_range_loop)]
fn programme(secs: f64, seed: u64) -> [Vec<f32>; 2] {
    let n = (secs * FS) as usize;
    let mut state = seed;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut out = [vec![0.0f32; n], vec![0.0f32; n]];
    let mut p = [[0.0f64; 3]; 2];
    for i in 0..n {
        let t = i as f64 / FS;
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

/// Power per 1/3-octave band (nominal centres 50 Hz..12.5 kHz, plus 14 kHz edge kept inside),
/// whole-file average of Hann frames, independent of the code under test.
fn third_octaves(ch: &[Vec<f32>; 2]) -> Vec<f64> {
    let len = 8192;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(len);
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut power = vec![0.0; len / 2 + 1];
    for c in ch {
        let mut start = 0;
        while start + len <= c.len() {
            for i in 0..len {
                let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / len as f64).cos();
                input[i] = c[start + i] as f64 * w;
            }
            fft.process(&mut input, &mut spec).unwrap();
            for (p, s) in power.iter_mut().zip(&spec) {
                *p += s.norm_sqr();
            }
            start += len / 2;
        }
    }
    (-13..=11)
        .map(|k| {
            let c = 1000.0 * 10f64.powf(k as f64 / 10.0);
            let (lo, hi) = (c / 10f64.powf(0.05), c * 10f64.powf(0.05));
            let bin = FS / len as f64;
            let sum: f64 = (((lo / bin).ceil() as usize)..((hi / bin).ceil() as usize)).map(|b| power[b]).sum();
            10.0 * sum.log10()
        })
        .collect()
}

/// Max and mean absolute error of the balance (a constant offset removed: level is the
/// loudness search's job).
fn balance_error(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let m = d.iter().sum::<f64>() / d.len() as f64;
    let e: Vec<f64> = d.iter().map(|v| (v - m).abs()).collect();
    (e.iter().cloned().fold(0.0, f64::max), e.iter().sum::<f64>() / e.len() as f64)
}

fn check(eqs: &[(Kind, f64, f64, f64)], seed: u64) {
    let prog = programme(12.0, seed);
    let mut reference = prog.clone();
    for c in reference.iter_mut() {
        for &(kind, f, g, q) in eqs {
            biquad(c, kind, f, g, q);
        }
    }
    let a = analyse(&[&prog[0], &prog[1]], FS as f32);
    let r = analyse(&[&reference[0], &reference[1]], FS as f32);
    let m = match_reference(&a, &r, &EqSettings::default(), &StereoSettings::default(), &MatchOptions::default());
    let mut eq = Eq::new(FS as f32);
    eq.set(&m.eq);
    let mut out = prog.clone();
    let [l, rr] = &mut out;
    for (a, b) in l.chunks_mut(64).zip(rr.chunks_mut(64)) {
        eq.process(a, b);
    }
    let before = balance_error(&third_octaves(&prog), &third_octaves(&reference));
    let (max, mean) = balance_error(&third_octaves(&out), &third_octaves(&reference));
    println!("seed {seed}: before max {:.2} mean {:.2}; matched max {max:.2} mean {mean:.2} dB", before.0, before.1);
    assert!(max <= 1.0 && mean <= 0.4, "max {max:.2} mean {mean:.2} dB; settings {:?}", m.eq);
}

#[test]
fn issue_example_eq_is_matched() {
    check(
        &[(Kind::LowShelf, 120.0, 4.0, 0.707), (Kind::Bell, 2500.0, -3.0, 1.0), (Kind::HighShelf, 9000.0, 3.0, 0.707)],
        1,
    );
}

#[test]
fn other_known_eqs_are_matched() {
    check(
        &[(Kind::LowShelf, 80.0, -3.0, 0.707), (Kind::Bell, 400.0, 2.5, 1.4), (Kind::HighShelf, 6000.0, -2.0, 0.707)],
        2,
    );
    check(&[(Kind::Bell, 200.0, -4.0, 0.8), (Kind::Bell, 5000.0, 3.0, 2.0)], 3);
}
