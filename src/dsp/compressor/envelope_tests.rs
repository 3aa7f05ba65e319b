//! The gain computer, one-pole and ballistics against their definitions, then the static curve
//! and the attack/release times measured through `Compressor::process`.

use crate::dsp::compressor::envelope::*;

/// Giannoulis et al. 2012 eq. (4) verbatim: output level y_G for input level x_G.
fn textbook_output_db(x: f64, t: f64, r: f64, w: f64) -> f64 {
    if 2.0 * (x - t) < -w {
        x
    } else if 2.0 * (x - t).abs() <= w && w > 0.0 {
        // (For W = 0 this branch is 0/0 at x = T; its limit is the hard knee below.)
        x + (1.0 / r - 1.0) * (x - t + w / 2.0).powi(2) / (2.0 * w)
    } else {
        t + (x - t) / r
    }
}

#[test]
fn gain_computer_matches_textbook_formula() {
    for (t, r, w) in [(-18.0, 2.0, 6.0), (-30.0, 4.0, 12.0), (-10.0, 20.0, 24.0), (-20.0, 3.0, 0.0)] {
        let mut x = -60.0f64;
        while x <= 10.0 {
            let gr = gain_reduction_db((x - t) as f32, (w / 2.0) as f32, (1.0 - 1.0 / r) as f32);
            let want = x - textbook_output_db(x, t, r, w);
            assert!((gr as f64 - want).abs() < 1e-4, "T{t} R{r} W{w} x{x}: {gr} vs {want}");
            x += 0.25;
        }
    }
}

#[test]
fn one_pole_reaches_63_percent_after_the_time_constant() {
    for (ms, fs) in [(1.0, 48_000.0), (150.0, 44_100.0), (3000.0, 768_000.0)] {
        let a = one_pole_coef(ms, fs);
        let n = (ms as f64 * 1e-3 * fs as f64).round() as usize;
        let mut y = 0.0f64;
        for _ in 0..n {
            y += a * (1.0 - y);
        }
        assert!((y - (1.0 - (-1.0f64).exp())).abs() < 2e-3, "{ms} ms: {y}");
    }
}

#[test]
fn ballistics_hold_a_crest_and_fall_with_release() {
    let (att, rel) = ([one_pole_coef(1.0, 48_000.0)], [one_pole_coef(100.0, 48_000.0)]);
    let mut b = Ballistics::<1>::default();
    // A 1-sample target of 10 dB: stage 1 holds it, the output rises by the attack only.
    let first = b.tick([10.0], &att, &rel)[0];
    assert!((first as f64 - 10.0 * att[0]).abs() < 1e-5);
    // 50 ms (50 attack times) later the attack stage has caught up with stage 1 and follows
    // its release exactly: 10·(1 − a_rel)^2400.
    let mut y = first;
    for _ in 0..2400 {
        y = b.tick([0.0], &att, &rel)[0];
    }
    let want = 10.0 * (1.0 - rel[0]).powi(2400);
    assert!((y as f64 - want).abs() < 1e-4, "{y} vs {want}");
    // 4 s of release leave ~1e-16 dB: still a normal f64, zeroed by the flush.
    for _ in 0..192_000 {
        b.tick([0.0], &att, &rel);
    }
    assert!(b.gain_reduction_db()[0] > 0.0);
    b.flush_denormals();
    assert_eq!(b, Ballistics::default());
}

#[test]
fn exp2_nonpositive_matches_libm() {
    let mut x = -126.0f32;
    while x <= 0.0 {
        let exact = (x as f64).exp2();
        let rel = ((exp2_nonpositive(x) as f64 - exact) / exact).abs();
        assert!(rel < 1e-6, "x={x} rel={rel}");
        x += 0.0137;
    }
    assert_eq!(exp2_nonpositive(0.0), 1.0);
    assert_eq!(exp2_nonpositive(-3.0), 0.125);
    assert!(exp2_nonpositive(-1e30) > 0.0);
    assert_eq!(exp2_nonpositive(f32::NAN), exp2_nonpositive(-126.0));
    assert!((exp2_nonpositive(-0.5) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-7);
}

// ---- Through `Compressor::process` ----
use crate::dsp::compressor::test_util::{db, engaged, run, sine, tone_amplitude};
use crate::dsp::compressor::{Compressor, CompressorSettings};

fn single_band(detector: Detector, t: f32, r: f32, w: f32, makeup: f32) -> CompressorSettings {
    let mut s = engaged();
    s.detector = detector;
    let b = &mut s.bands[0];
    (b.threshold_db, b.ratio, b.knee_db, b.makeup_db, b.attack_ms, b.release_ms) = (t, r, w, makeup, 1.0, 150.0);
    s
}

const CURVES: [(f32, f32, f32, f32); 4] =
    [(-18.0, 4.0, 12.0, 3.0), (-30.0, 20.0, 0.0, 0.0), (-10.0, 1.5, 24.0, -6.0), (-40.0, 2.0, 6.0, 24.0)];

/// Peak detector, constant-magnitude input (a ±A square wave): the detector level is exactly
/// 20·log10(A), so the output level must follow the textbook curve plus makeup.
#[test]
fn static_curve_peak_detector() {
    for (t, r, w, makeup) in CURVES {
        let mut level = -60.0f64;
        while level <= 6.0 {
            let mut c = Compressor::new(48_000.0);
            c.set(&single_band(Detector::Peak, t, r, w, makeup));
            let a = 10f64.powf(level / 20.0) as f32;
            let mut x: Vec<f32> = (0..9600).map(|n| if (n / 48) % 2 == 0 { a } else { -a }).collect();
            let mut y = x.clone();
            run(&mut c, &mut x, &mut y);
            let got = db(x[9599].abs() as f64);
            let want = textbook_output_db(level, t as f64, r as f64, w as f64) + makeup as f64;
            assert!((got - want).abs() < 0.1, "T{t} R{r} W{w} in {level}: {got} vs {want}");
            let meter = c.gain_reduction_db()[0] as f64;
            assert!((meter - (level - want + makeup as f64)).abs() < 0.1, "meter {meter}");
            level += 0.5;
        }
    }
}

/// RMS detector (AES17: a sine reads its peak level) and Peak detector with steady 1 kHz
/// sines: output amplitude against the textbook curve at the sine's level.
#[test]
fn static_curve_with_sines() {
    for detector in [Detector::Rms, Detector::Peak] {
        for (t, r, w, makeup) in CURVES {
            let mut level = -50.0f64;
            while level <= 0.0 {
                let mut c = Compressor::new(48_000.0);
                c.set(&single_band(detector, t, r, w, makeup));
                let mut x = sine(1000.0, 10f64.powf(level / 20.0), 24_000, 48_000.0);
                let mut y = x.clone();
                run(&mut c, &mut x, &mut y);
                let got = db(tone_amplitude(&x[14_400..], 1000.0, 48_000.0));
                let want = textbook_output_db(level, t as f64, r as f64, w as f64) + makeup as f64;
                assert!((got - want).abs() < 0.1, "{detector:?} T{t} R{r} W{w} in {level}: {got} vs {want}");
                level += 1.0;
            }
        }
    }
}

/// Gain reduction (dB) per sample, from output/input of a DC signal stepping between levels.
fn step_response(fs: f32, attack_ms: f32, release_ms: f32, up: bool, secs: f32) -> Vec<f64> {
    let mut s = single_band(Detector::Peak, -30.0, 4.0, 0.0, 0.0);
    (s.bands[0].attack_ms, s.bands[0].release_ms) = (attack_ms, release_ms);
    let mut c = Compressor::new(fs);
    c.set(&s);
    // -50 dB: no reduction; -10 dB: 0.75·20 = 15 dB of reduction.
    let (quiet, loud) = (10f32.powf(-2.5), 10f32.powf(-0.5));
    let (before, after) = if up { (quiet, loud) } else { (loud, quiet) };
    let settle = (fs * (0.05 + 10.0 * attack_ms.max(release_ms) / 1000.0)) as usize;
    let total = settle + (fs * secs) as usize;
    let input: Vec<f32> = (0..total).map(|n| if n < settle { before } else { after }).collect();
    let mut l = input.clone();
    let mut r = input.clone();
    run(&mut c, &mut l, &mut r);
    (settle..total).map(|n| -db((l[n] / input[n]) as f64)).collect()
}

/// Time (s) at which `gr` has covered 63.2 % of the way from `from` to its final value,
/// interpolated between samples. Sample k of `gr` is the first after the step (t = k+1).
fn time_to_63_percent(gr: &[f64], from: f64, fs: f32) -> f64 {
    let to = *gr.last().unwrap();
    let goal = from + (1.0 - (-1.0f64).exp()) * (to - from);
    let crossed = |v: f64| if to > from { v >= goal } else { v <= goal };
    let k = gr.iter().position(|&v| crossed(v)).expect("never reached 63 %");
    let prev = if k == 0 { from } else { gr[k - 1] };
    let frac = (goal - prev) / (gr[k] - prev);
    (k as f64 + frac) / fs as f64
}

#[test]
fn attack_and_release_times_match_definition() {
    for fs in [48_000.0f32, 96_000.0] {
        for attack_ms in [1.0f32, 10.0, 100.0] {
            let gr = step_response(fs, attack_ms, 150.0, true, 12.0 * attack_ms / 1000.0);
            assert!((gr.last().unwrap() - 15.0).abs() < 0.01, "final {}", gr.last().unwrap());
            let t = time_to_63_percent(&gr, 0.0, fs) * 1000.0;
            assert!((t / attack_ms as f64 - 1.0).abs() < 0.1, "fs {fs} attack {attack_ms} ms: measured {t} ms");
        }
        for release_ms in [50.0f32, 500.0] {
            let gr = step_response(fs, 10.0, release_ms, false, 12.0 * release_ms / 1000.0);
            assert!(gr.last().unwrap().abs() < 0.01);
            let t = time_to_63_percent(&gr, 15.0, fs) * 1000.0;
            assert!((t / release_ms as f64 - 1.0).abs() < 0.1, "fs {fs} release {release_ms} ms: measured {t} ms");
        }
    }
}
