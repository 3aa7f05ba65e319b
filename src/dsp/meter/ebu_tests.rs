//! EBU Tech 3341 (cases 1-5, 9-14) and Tech 3342 (cases 1-4) conformance of `LoudnessMeter`,
//! with the signals synthesised here and the published expectations and tolerances
//! (`shared/reference/loudness-standards.md`). Every 1 kHz tone case runs at 44.1, 48 and 96 kHz.
//! True-peak cases 15-23 live in `true_peak_meter.rs`.

use crate::dsp::meter::loudness::LoudnessMeter;
use std::f64::consts::PI;

pub(super) const RATES: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];
/// Tech 3341: +-0.1 LU for M, S and I. Tech 3342: +-1 LU for LRA.
const LOUDNESS_TOL: f32 = 0.1;
const LRA_TOL: f32 = 1.0;

/// A piece of the test signal: duration and per-channel peak level of the stereo, in-phase
/// 1 kHz sine (`None` = digital silence).
pub(super) type Piece = (f64, Option<f64>);

/// Synthesises the pieces at `sample_rate` and hands them to `sink` in chunks of at most
/// `chunk` samples (the same slice serves as left and right); a chunk that completes piece `i`
/// comes with `Some(i)`. Boundaries fall at round(cumulative time * rate), the oscillator runs
/// on across pieces (as a generator switching level would) and is a renormalised f64 phasor.
pub(super) fn tone_sequence(
    sample_rate: f64,
    pieces: &[Piece],
    chunk: usize,
    mut sink: impl FnMut(&[f32], Option<usize>),
) {
    let step = 2.0 * PI * 1000.0 / sample_rate;
    let (rot_c, rot_s) = (step.cos(), step.sin());
    let (mut c, mut s) = (1.0f64, 0.0f64);
    let mut buf = vec![0.0f32; chunk];
    let mut elapsed_s = 0.0;
    let mut written = 0usize;
    for (index, &(seconds, level_dbfs)) in pieces.iter().enumerate() {
        elapsed_s += seconds;
        let end = (elapsed_s * sample_rate).round() as usize;
        let amplitude = level_dbfs.map_or(0.0, |db| 10f64.powf(db / 20.0));
        while written < end {
            let n = chunk.min(end - written);
            for x in &mut buf[..n] {
                *x = (amplitude * s) as f32;
                (c, s) = (c * rot_c - s * rot_s, s * rot_c + c * rot_s);
            }
            let norm = (c * c + s * s).sqrt();
            (c, s) = (c / norm, s / norm);
            written += n;
            sink(&buf[..n], (written == end).then_some(index));
        }
    }
}

/// Runs the pieces through a fresh stereo meter in 10 ms chunks; `after_chunk` sees the meter,
/// the time elapsed and the piece completed by that chunk, if any. True peak is off: these cases
/// measure loudness only, the loudness path does not depend on it (checked in
/// `loudness_tests.rs`), and it would be ~90 % of the run time.
pub(super) fn run_stereo(
    sample_rate: f64,
    pieces: &[Piece],
    mut after_chunk: impl FnMut(&mut LoudnessMeter, f64, Option<usize>),
) -> LoudnessMeter {
    let mut meter = LoudnessMeter::new(sample_rate as f32, 2);
    meter.set_true_peak_enabled(false);
    let chunk = (sample_rate / 100.0).round() as usize;
    let mut samples = 0usize;
    tone_sequence(sample_rate, pieces, chunk, |x, done| {
        meter.process(x, x);
        samples += x.len();
        after_chunk(&mut meter, samples as f64 / sample_rate, done);
    });
    meter
}

fn assert_lufs(what: &str, sr: f64, measured: f32, expected: f32) {
    assert!((measured - expected).abs() <= LOUDNESS_TOL, "{what} at {sr} Hz: {measured} LUFS, expected {expected}");
}

#[test]
fn tech_3341_cases_1_and_2_steady_tones() {
    for sr in RATES {
        for level in [-23.0, -33.0] {
            let m = run_stereo(sr, &[(20.0, Some(level))], |_, _, _| {});
            let expected = level as f32;
            assert_lufs("M", sr, m.momentary_lufs(), expected);
            assert_lufs("S", sr, m.short_term_lufs(), expected);
            assert_lufs("I", sr, m.integrated_lufs(), expected);
            assert_lufs("Max M", sr, m.momentary_max_lufs(), expected);
            assert_lufs("Max S", sr, m.short_term_max_lufs(), expected);
        }
    }
}

#[test]
fn tech_3341_cases_3_to_5_gated_integrated() {
    let case_3: &[Piece] = &[(10.0, Some(-36.0)), (60.0, Some(-23.0)), (10.0, Some(-36.0))];
    let case_4: &[Piece] =
        &[(10.0, Some(-72.0)), (10.0, Some(-36.0)), (60.0, Some(-23.0)), (10.0, Some(-36.0)), (10.0, Some(-72.0))];
    let case_5: &[Piece] = &[(20.0, Some(-26.0)), (20.1, Some(-20.0)), (20.0, Some(-26.0))];
    for sr in RATES {
        for (case, pieces) in [(3, case_3), (4, case_4), (5, case_5)] {
            let m = run_stereo(sr, pieces, |_, _, _| {});
            assert_lufs(&format!("case {case} I"), sr, m.integrated_lufs(), -23.0);
        }
    }
}

#[test]
fn tech_3341_case_9_short_term_constant_after_3_s() {
    let pieces: Vec<Piece> = (0..5).flat_map(|_| [(1.34, Some(-20.0)), (1.66, Some(-30.0))]).collect();
    for sr in RATES {
        let mut checked = 0;
        run_stereo(sr, &pieces, |m, t, _| {
            if t >= 3.0 - 1e-9 {
                assert_lufs(&format!("S at {t:.2} s"), sr, m.short_term_lufs(), -23.0);
                checked += 1;
            }
        });
        assert!(checked >= 1200, "{checked}");
    }
}

#[test]
fn tech_3341_case_12_momentary_constant_after_1_s() {
    let pieces: Vec<Piece> = (0..25).flat_map(|_| [(0.18, Some(-20.0)), (0.22, Some(-30.0))]).collect();
    for sr in RATES {
        let mut checked = 0;
        run_stereo(sr, &pieces, |m, t, _| {
            if t >= 1.0 - 1e-9 {
                assert_lufs(&format!("M at {t:.2} s"), sr, m.momentary_lufs(), -23.0);
                checked += 1;
            }
        });
        assert!(checked >= 900, "{checked}");
    }
}

/// Runs groups of three pieces and returns (Max M, Max S) of each group, resetting the hold at
/// every group boundary.
fn max_per_group(sr: f64, pieces: &[Piece]) -> Vec<(f32, f32)> {
    let mut maxima = Vec::new();
    run_stereo(sr, pieces, |m, _, done| {
        if done.is_some_and(|i| i % 3 == 2) {
            maxima.push((m.momentary_max_lufs(), m.short_term_max_lufs()));
            m.reset_max_hold();
        }
    });
    maxima
}

#[test]
fn tech_3341_cases_10_and_11_max_short_term_per_segment() {
    let file_based: Vec<Piece> =
        (0..20).flat_map(|i| [(i as f64 * 0.15, None), (3.0, Some(-23.0)), (1.0, None)]).collect();
    let live: Vec<Piece> = (0..20)
        .flat_map(|i| {
            let i = i as f64;
            [(i * 0.15, None), (3.0, Some(-38.0 + i)), (3.0 - i * 0.15, None)]
        })
        .collect();
    for sr in RATES {
        let maxima = max_per_group(sr, &file_based);
        assert_eq!(maxima.len(), 20);
        for (i, &(_, max_s)) in maxima.iter().enumerate() {
            assert_lufs(&format!("case 10 segment {i} Max S"), sr, max_s, -23.0);
        }
        let maxima = max_per_group(sr, &live);
        assert_eq!(maxima.len(), 20);
        for (i, &(_, max_s)) in maxima.iter().enumerate() {
            let expected = -38.0 + i as f32;
            assert_lufs(&format!("case 11 segment {i} Max S"), sr, max_s, expected);
        }
    }
}

#[test]
fn tech_3341_cases_13_and_14_max_momentary_per_segment() {
    let file_based: Vec<Piece> =
        (0..20).flat_map(|i| [(i as f64 * 0.02, None), (0.4, Some(-23.0)), (1.0, None)]).collect();
    let live: Vec<Piece> = (0..20)
        .flat_map(|i| {
            let i = i as f64;
            [(i * 0.02, None), (0.4, Some(-38.0 + i)), (0.4 - i * 0.02, None)]
        })
        .collect();
    for sr in RATES {
        let maxima = max_per_group(sr, &file_based);
        assert_eq!(maxima.len(), 20);
        for (i, &(max_m, _)) in maxima.iter().enumerate() {
            assert_lufs(&format!("case 13 segment {i} Max M"), sr, max_m, -23.0);
        }
        let maxima = max_per_group(sr, &live);
        assert_eq!(maxima.len(), 20);
        for (i, &(max_m, _)) in maxima.iter().enumerate() {
            let expected = -38.0 + i as f32;
            assert_lufs(&format!("case 14 segment {i} Max M"), sr, max_m, expected);
        }
    }
}

#[test]
fn tech_3342_cases_1_to_4_loudness_range() {
    let cases: [(&[Piece], f32); 4] = [
        (&[(20.0, Some(-20.0)), (20.0, Some(-30.0))], 10.0),
        (&[(20.0, Some(-20.0)), (20.0, Some(-15.0))], 5.0),
        (&[(20.0, Some(-40.0)), (20.0, Some(-20.0))], 20.0),
        (
            &[(20.0, Some(-50.0)), (20.0, Some(-35.0)), (20.0, Some(-20.0)), (20.0, Some(-35.0)), (20.0, Some(-50.0))],
            15.0,
        ),
    ];
    for sr in RATES {
        for (case, (pieces, expected)) in cases.iter().enumerate() {
            let mut m = run_stereo(sr, pieces, |_, _, _| {});
            m.finish();
            let lra = m.loudness_range_lu();
            assert!(
                (lra - expected).abs() <= LRA_TOL,
                "Tech 3342 case {} at {sr} Hz: LRA {lra}, expected {expected}",
                case + 1
            );
            // Analysis: both percentiles fall inside steady sections, whose short-term values
            // equal the tone levels, so the range is the level difference itself.
            assert!((lra - expected).abs() < 0.05, "case {}: {lra}", case + 1);
        }
    }
}
