//! Whole-chain behaviour: bypass and unity null tests against the delayed input, smoothed gain
//! changes, constant latency, every stage on under hostile and hot input.

// Settings are built by changing a few fields of the defaults, which reads best in tests.
#![allow(clippy::field_reassign_with_default, clippy::manual_is_multiple_of)]

mod common;

use common::{drums, everything_on, TestRng};
use lacquer::chain::{Chain, Settings};

fn stereo_noise(n: usize, amp: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = TestRng(seed);
    let l = (0..n).map(|i| (amp * (0.6 * (i as f64 * 0.013).sin() + 0.4 * rng.uniform())) as f32).collect();
    let r = (0..n).map(|i| (amp * (0.6 * (i as f64 * 0.011).cos() + 0.4 * rng.uniform())) as f32).collect();
    (l, r)
}

fn run(chain: &mut Chain, left: &mut [f32], right: &mut [f32], block: usize) {
    let mut pos = 0;
    while pos < left.len() {
        let end = (pos + block).min(left.len());
        chain.process(&mut [&mut left[pos..end], &mut right[pos..end]]);
        pos = end;
    }
}

fn assert_null_against_delayed(input: &[f32], output: &[f32], latency: usize, label: &str) {
    for i in latency..output.len() {
        let d = (output[i] - input[i - latency]).abs();
        assert!(d <= 1e-6, "{label}: sample {i} differs by {d}");
    }
}

#[test]
fn global_bypass_nulls_against_the_delayed_input_with_every_stage_on() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let mut chain = Chain::new(fs, 2);
        let mut s = everything_on();
        s.bypass = true;
        chain.set_settings(&s);
        chain.reset();
        let (l, r) = stereo_noise(30_000, 0.9, 1);
        let (mut ol, mut or) = (l.clone(), r.clone());
        run(&mut chain, &mut ol, &mut or, 333);
        let latency = chain.latency_samples();
        assert_null_against_delayed(&l, &ol, latency, "bypass L");
        assert_null_against_delayed(&r, &or, latency, "bypass R");
    }
}

#[test]
fn unity_settings_null_against_the_delayed_input() {
    // Defaults: EQ flat, compressor and saturation off, width 100 %, limiter above the signal.
    let mut chain = Chain::new(48_000.0, 2);
    let (l, r) = stereo_noise(30_000, 0.2, 2);
    let (mut ol, mut or) = (l.clone(), r.clone());
    run(&mut chain, &mut ol, &mut or, 512);
    let latency = chain.latency_samples();
    assert_null_against_delayed(&l, &ol, latency, "unity L");
    assert_null_against_delayed(&r, &or, latency, "unity R");
}

#[test]
fn latency_is_fixed_whatever_the_settings() {
    for fs in [44_100.0, 48_000.0, 192_000.0] {
        let reference = Chain::new(fs, 2).latency_samples();
        println!("chain latency at {fs} Hz: {reference} samples");
        let mut chain = Chain::new(fs, 2);
        chain.set_settings(&everything_on());
        assert_eq!(chain.latency_samples(), reference);
        // And an impulse below threshold comes out exactly that late with unity settings.
        let mut chain = Chain::new(fs, 2);
        let mut l = vec![0.0f32; reference + 64];
        l[5] = 0.25;
        let mut r = l.clone();
        run(&mut chain, &mut l, &mut r, 64);
        assert_eq!(l.iter().position(|&v| v != 0.0), Some(5 + reference));
    }
}

/// Input and output gain move in linear ramps: no sample-to-sample step on a constant input
/// may exceed the per-sample share of the change.
#[test]
fn gain_changes_are_smoothed() {
    let fs = 48_000.0;
    for (input_gain, output_gain) in [(12.0f32, 0.0f32), (-24.0, 0.0), (0.0, -24.0), (24.0, -24.0)] {
        let mut chain = Chain::new(fs, 2);
        let mut s = Settings::default();
        s.limiter.bypass = true; // isolate the gain stages (the limiter fade is separate)
        chain.set_settings(&s);
        chain.reset();
        let level = 0.01f32;
        let n = 6000;
        let mut l = vec![level; n];
        let mut r = vec![level; n];
        run(&mut chain, &mut l[..3000], &mut r[..3000], 256);
        s.input_gain_db = input_gain;
        s.output_gain_db = output_gain;
        chain.set_settings(&s);
        run(&mut chain, &mut l[3000..], &mut r[3000..], 7);
        let end = lacquer::dsp::util::math::db_to_gain(input_gain) * lacquer::dsp::util::math::db_to_gain(output_gain);
        // 20 ms ramps; with both gains moving the product's slope is at most the sum of both.
        let ramp = 0.020 * fs;
        let g_in = lacquer::dsp::util::math::db_to_gain(input_gain);
        let g_out = lacquer::dsp::util::math::db_to_gain(output_gain);
        let bound = level * ((g_in - 1.0).abs() * g_out.max(1.0) + (g_out - 1.0).abs() * g_in.max(1.0)) / ramp;
        let mut worst = 0.0f32;
        for w in l[3000..].windows(2) {
            worst = worst.max((w[1] - w[0]).abs());
        }
        assert!(worst <= bound * 1.01 + 1e-7, "gains {input_gain}/{output_gain}: step {worst} > {bound}");
        assert!((l[n - 1] - level * end).abs() < 1e-5, "settles at {} not {}", l[n - 1], level * end);
    }
}

#[test]
fn every_stage_on_stays_finite_and_under_the_ceiling() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let mut chain = Chain::new(fs, 2);
        chain.set_settings(&everything_on());
        chain.reset();
        let hot = drums(fs as f64, 2.0, 9);
        let mut l = hot.clone();
        let mut r: Vec<f32> = hot.iter().map(|v| v * 0.8).collect();
        let mut rng = TestRng(4);
        let mut pos = 0;
        while pos < l.len() {
            let end = (pos + 1 + rng.below(4096)).min(l.len());
            chain.process(&mut [&mut l[pos..end], &mut r[pos..end]]);
            pos = end;
        }
        let ceiling = 10f32.powf(-1.0 / 20.0);
        for &v in l.iter().chain(&r) {
            assert!(v.is_finite() && v.abs() <= ceiling * (1.0 + 1e-6), "{v}");
        }
        assert_eq!(chain.take_meters().safety_clips, 0);
    }
}

#[test]
fn mono_layout_processes_one_channel() {
    let mut chain = Chain::new(48_000.0, 1);
    let input: Vec<f32> = (0..4000).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
    let mut buf = input.clone();
    chain.process(&mut [&mut buf[..]]);
    let latency = chain.latency_samples();
    assert_null_against_delayed(&input, &buf, latency, "mono");
}

/// The quantiser after the limiter can move a sample by up to `Dither::max_error`, so the chain
/// lowers the limiter's target by that much. At the lowest ceiling (-20 dBFS, sample-peak mode,
/// where the limiter's output sits right at its target) the lowered target lies outside the
/// ceiling parameter's range and must still reach the limiter: no quantised sample may exceed
/// the ceiling, with or without noise shaping, at 16 and 24 bits.
#[test]
fn dither_margin_holds_at_the_lowest_ceiling() {
    use lacquer::dsp::dither::WordLength;
    use lacquer::dsp::limiter::MIN_CEILING_DB;
    let fs = 48_000.0;
    let n = 96_000;
    let ceiling = 10f32.powf(MIN_CEILING_DB / 20.0);
    for word_length in [WordLength::Bits16, WordLength::Bits24] {
        for shaping in [false, true] {
            let mut s = Settings::default();
            s.limiter.ceiling_db = MIN_CEILING_DB;
            s.limiter.true_peak = false;
            s.limiter.drive_db = 12.0;
            s.dither.word_length = word_length;
            s.dither.noise_shaping = shaping;
            let mut chain = Chain::new(fs, 2);
            chain.set_settings(&s);
            chain.reset();
            let (mut l, mut r) = stereo_noise(n, 0.9, 40);
            run(&mut chain, &mut l, &mut r, 512);
            let peak = l.iter().chain(&r).fold(0f32, |m, v| m.max(v.abs()));
            // The limiter does work right at the ceiling (so the margin matters) ...
            assert!(peak > 0.999 * ceiling, "{word_length:?} shaping {shaping}: peak {peak} not at the ceiling");
            // ... and quantisation never carries a sample over it.
            let overs = l.iter().chain(&r).filter(|v| v.abs() > ceiling).count();
            assert_eq!(overs, 0, "{word_length:?} shaping {shaping}: {overs} samples over {ceiling} (peak {peak})");
        }
    }
}
