//! Tests of the stage's transitions and robustness: nulls against the delayed input, click-free
//! ramps, factor switching, hostile input.

use super::tests::{max_step, run, settings, sine, stage, FS};
use super::*;

fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut rng = crate::dsp::util::rng::XorShift32::new(seed);
    (0..len).map(|_| rng.next_centered()).collect()
}

/// Mix 0 % and bypass both give the input delayed by `latency_samples()`, whatever else is set.
#[test]
fn mix_zero_and_bypass_null_against_delayed_input() {
    let left = noise(9_000, 3);
    let right = noise(9_000, 4);
    let hot = settings(|s| {
        (s.drive_db, s.character, s.tone_tilt_db, s.oversampling) = (24.0, 1.0, 6.0, OversamplingFactor::X4);
    });
    for s in [SaturationSettings { mix_percent: 0.0, ..hot }, SaturationSettings { bypass: true, ..hot }] {
        let mut sat = stage(FS, &s);
        let latency = sat.latency_samples();
        let (l, r) = run(&mut sat, &left, Some(&right));
        for (out, input) in [(&l, &left), (&r, &right)] {
            let err = (latency..out.len()).map(|i| (out[i] - input[i - latency]).abs()).fold(0.0, f32::max);
            assert!(err <= 1e-6, "{s:?}: {err:e}");
            assert!(out[..latency].iter().all(|&v| v == 0.0));
        }
    }
}

/// Engaging bypass while playing fades to the delayed input and then nulls exactly; releasing it
/// fades back without a click (steps bounded as for a linear crossfade between the two signals).
#[test]
fn bypass_toggle_is_click_free_and_lands_on_a_null() {
    let input = sine(100.0, 0.5, 48_000, FS);
    let base = settings(|s| (s.drive_db, s.character, s.auto_gain) = (24.0, 1.0, false));
    let mut sat = stage(FS, &base);
    let latency = sat.latency_samples();
    let mut out = Vec::new();
    for (i, chunk) in input.chunks(MAX_CHUNK).enumerate() {
        sat.set(&SaturationSettings { bypass: (100..400).contains(&i), ..base });
        let (l, _) = run(&mut sat, chunk, None);
        out.extend(l);
    }
    // y = wet + w (dry - wet) with w stepping by 1/ramp: |dy| <= max(|d wet|, |d dry|) + |wet - dry| / ramp.
    let wet = &out[64..100 * 64];
    let peak = |y: &[f32]| y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let ramp = 0.010 * FS; // click-free: at least a 10 ms fade
    let bound = max_step(wet).max(max_step(&input)) + (peak(wet) + peak(&input)) / ramp;
    assert!(max_step(&out) <= bound, "step {} > {bound}", max_step(&out));
    // Fully bypassed once the fade is over (it must be over within 20 ms) until chunk 400.
    for i in (100 * 64 + (0.020 * FS) as usize)..400 * 64 {
        assert_eq!(out[i], input[i - latency], "sample {i}");
    }
}

/// Each continuous control jumps from its minimum to its maximum at a chunk boundary (and back).
/// The ramp must keep every step within what the two steady states imply: the larger of their
/// own largest steps plus their largest difference spread over the ramp (a jump without ramp
/// would step by up to that whole difference in one sample).
#[test]
fn every_control_ramps_without_clicks() {
    type Setter = fn(&mut SaturationSettings, bool);
    let controls: [(&str, Setter); 6] = [
        ("drive", |s, hi| s.drive_db = if hi { 24.0 } else { 0.0 }),
        ("character", |s, hi| s.character = if hi { 1.0 } else { -1.0 }),
        ("tone", |s, hi| s.tone_tilt_db = if hi { 6.0 } else { -6.0 }),
        ("mix", |s, hi| s.mix_percent = if hi { 100.0 } else { 0.0 }),
        ("trim", |s, hi| s.output_trim_db = if hi { 12.0 } else { -12.0 }),
        ("auto gain", |s, hi| s.auto_gain = hi),
    ];
    let input = sine(100.0, 0.5, 24_000, FS);
    // Click-free means spread over at least 10 ms (independent of the stage's own constant).
    let ramp = 0.010 * FS;
    for (name, apply) in controls {
        let base = settings(|s| (s.drive_db, s.character, s.auto_gain) = (12.0, 0.5, false));
        let at = |hi: bool| {
            let mut s = base;
            apply(&mut s, hi);
            s
        };
        let steady = |hi: bool| run(&mut stage(FS, &at(hi)), &input, None).0;
        let (low, high) = (steady(false), steady(true));
        let spread = low.iter().zip(&high).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        let natural = max_step(&low).max(max_step(&high));
        let bound = natural + 1.5 * spread / ramp + 1e-4;
        let mut sat = stage(FS, &at(false));
        let mut out = Vec::new();
        for (i, chunk) in input.chunks(MAX_CHUNK).enumerate() {
            sat.set(&at((100..250).contains(&i)));
            out.extend(run(&mut sat, chunk, None).0);
        }
        assert!(out.iter().all(|v| v.is_finite()), "{name}");
        let step = max_step(&out);
        eprintln!("{name}: step {step:.4}, bound {bound:.4}, natural {natural:.4}, unramped jump up to {spread:.4}");
        assert!(spread > 2.0 * natural, "{name}: the test needs a control whose jump would show");
        assert!(step <= bound, "{name}: step {step} > bound {bound} (jump would be {spread})");
    }
}

/// Switching 2x <-> 4x while playing: the output stays between the two steady outputs (it is a
/// crossfade of two aligned paths), does not click, and once switched equals an instance that
/// ran at the new factor all along (the warm-up replay leaves the same filter state).
#[test]
fn factor_switch_crossfades_and_matches_a_steady_instance() {
    let input = sine(1000.0, 0.5, 32_000, FS);
    let base = settings(|s| (s.drive_db, s.character) = (12.0, 0.0));
    let at = |f| SaturationSettings { oversampling: f, ..base };
    let x2 = run(&mut stage(FS, &at(OversamplingFactor::X2)), &input, None).0;
    let x4 = run(&mut stage(FS, &at(OversamplingFactor::X4)), &input, None).0;
    let mut sat = stage(FS, &at(OversamplingFactor::X2));
    let mut out = Vec::new();
    for (i, chunk) in input.chunks(MAX_CHUNK).enumerate() {
        let four = (100..300).contains(&i);
        sat.set(&at(if four { OversamplingFactor::X4 } else { OversamplingFactor::X2 }));
        out.extend(run(&mut sat, chunk, None).0);
    }
    let fade = (FACTOR_RAMP_MS / 1000.0 * FS) as usize + 1;
    let path_gap = x2.iter().zip(&x4).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    for (i, &y) in out.iter().enumerate() {
        let (lo, hi) = (x2[i].min(x4[i]), x2[i].max(x4[i]));
        assert!(y >= lo - 1e-5 && y <= hi + 1e-5, "sample {i}: {y} outside [{lo}, {hi}]");
        let settled_4x = (100 * 64 + fade..300 * 64).contains(&i);
        let settled_2x = i < 100 * 64 || i >= 300 * 64 + fade;
        if settled_4x {
            assert!((y - x4[i]).abs() <= 1e-6, "sample {i}: {y} vs 4x {}", x4[i]);
        }
        if settled_2x {
            assert!((y - x2[i]).abs() <= 1e-6, "sample {i}: {y} vs 2x {}", x2[i]);
        }
    }
    let bound = max_step(&x2).max(max_step(&x4)) + path_gap / (0.005 * FS) + 1e-6; // >= 5 ms fade
    assert!(max_step(&out) <= bound, "step {} > {bound}", max_step(&out));
}

/// Hostile input keeps every output finite, and afterwards the stage sounds exactly like a fresh
/// one (all recursive state recovered).
#[test]
fn hostile_input_stays_finite_and_recovers() {
    let hostile: Vec<Vec<f32>> = vec![
        vec![1000.0; 4096],
        vec![-1000.0; 4096],
        (0..4096).map(|i| if i % 2 == 0 { 1000.0 } else { -1000.0 }).collect(),
        vec![1.0; 4096],
        vec![1e-40; 4096],
        (0..4096)
            .map(|i| {
                if i % 3 == 0 {
                    f32::NAN
                } else if i % 3 == 1 {
                    f32::INFINITY
                } else {
                    -1e30
                }
            })
            .collect(),
    ];
    let tail = sine(440.0, 0.3, 48_000, FS);
    for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
        let s = settings(|s| (s.drive_db, s.character, s.tone_tilt_db, s.oversampling) = (24.0, 1.0, 6.0, factor));
        let s = SaturationSettings { mix_percent: 100.0, ..s };
        let mut sat = stage(FS, &s);
        for (k, block) in hostile.iter().enumerate() {
            let (l, r) = run(&mut sat, block, None);
            let finite_input = block.iter().all(|v| v.is_finite());
            if finite_input {
                assert!(l.iter().chain(&r).all(|v| v.is_finite()), "{factor:?} hostile block {k}");
            }
        }
        let (l, _) = run(&mut sat, &tail, None);
        let fresh = run(&mut stage(FS, &s), &tail, None).0;
        let err = l[24_000..].iter().zip(&fresh[24_000..]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(err < 1e-5, "{factor:?}: differs from a fresh stage by {err:e}");
    }
}

#[test]
fn set_with_unchanged_settings_does_not_restart_ramps() {
    let input = sine(300.0, 0.5, 8192, FS);
    let a = settings(|s| s.drive_db = 0.0);
    let b = settings(|s| s.drive_db = 24.0);
    let mut once = stage(FS, &a);
    let mut every_chunk = stage(FS, &a);
    once.set(&b);
    every_chunk.set(&b);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for chunk in input.chunks(MAX_CHUNK) {
        every_chunk.set(&b);
        x.extend(run(&mut once, chunk, None).0);
        y.extend(run(&mut every_chunk, chunk, None).0);
    }
    assert_eq!(x, y);
}
