//! Behaviour of `LoudnessMeter` beyond the EBU cases: channel weighting, window lengths by
//! definition, `finish`, true peak on/off, chunking and reset invariance, hostile input.

use crate::dsp::meter::ebu_tests::{run_stereo, tone_sequence, Piece};
use crate::dsp::meter::loudness::LoudnessMeter;
use crate::dsp::util::rng::XorShift32;
use std::f64::consts::PI;

const SR: f64 = 48_000.0;

fn tone(seconds: f64, level: f64) -> Piece {
    (seconds, Some(level))
}

fn silence(seconds: f64) -> Piece {
    (seconds, None)
}

#[test]
fn mono_counts_once_and_dual_mono_stereo_counts_twice() {
    // BS.1770 sums channel powers: one channel of a stereo -23 tone is 3.01 dB quieter.
    let mut mono = LoudnessMeter::new(SR as f32, 1);
    let mut stereo = LoudnessMeter::new(SR as f32, 2);
    tone_sequence(SR, &[tone(5.0, -23.0)], 480, |x, _| {
        mono.process(x, &[]); // mono ignores `right`, whatever its length
        stereo.process(x, x);
    });
    let expected_mono = -23.0 + 10.0 * 0.5f32.log10();
    for value in [mono.momentary_lufs(), mono.short_term_lufs(), mono.integrated_lufs()] {
        assert!((value - expected_mono).abs() < 0.02, "{value}");
    }
    for value in [stereo.momentary_lufs(), stereo.short_term_lufs(), stereo.integrated_lufs()] {
        assert!((value + 23.0).abs() < 0.02, "{value}");
    }
    assert_eq!(mono.correlation(), 1.0);
    assert!((stereo.correlation() - 1.0).abs() < 1e-6);
    assert_eq!(mono.true_peak_dbtp(1), f32::NEG_INFINITY);
}

#[test]
fn window_lengths_by_definition() {
    // A 200 ms burst: Max M = L + 10 log10(200/400), Max S = L + 10 log10(0.2/3).
    let m = run_stereo(SR, &[silence(1.0), tone(0.2, -20.0), silence(4.0)], |_, _, _| {});
    let max_m = m.momentary_max_lufs() as f64;
    let max_s = m.short_term_max_lufs() as f64;
    assert!((max_m - (-20.0 + 10.0 * 0.5f64.log10())).abs() < 0.03, "{max_m}");
    assert!((max_s - (-20.0 + 10.0 * (0.2f64 / 3.0).log10())).abs() < 0.03, "{max_s}");
    // The windows have moved past the burst: both read -inf after 4 s of digital silence.
    assert_eq!(m.momentary_lufs(), f32::NEG_INFINITY);
    assert_eq!(m.short_term_lufs(), f32::NEG_INFINITY);
}

#[test]
fn burst_off_the_update_grid_reads_at_most_0055_db_low() {
    // 400 ms burst starting 5 ms into a 10 ms sub-block (the worst alignment): the best window
    // holds 395 ms of it, 10 log10(395/400) = -0.055 dB.
    let m = run_stereo(SR, &[silence(1.005), tone(0.4, -23.0), silence(1.0)], |_, _, _| {});
    let err = m.momentary_max_lufs() + 23.0;
    let bound = 10.0 * (395.0f32 / 400.0).log10();
    assert!(err <= 0.01 && err >= bound - 0.01, "{err}");
}

#[test]
fn nothing_to_report_reads_minus_infinity() {
    let mut m = LoudnessMeter::new(SR as f32, 2);
    let quiet = [0.0f32; 4800];
    m.process(&quiet, &quiet);
    for v in [
        m.momentary_lufs(),
        m.short_term_lufs(),
        m.integrated_lufs(),
        m.loudness_range_lu(),
        m.momentary_max_lufs(),
        m.true_peak_dbtp(0),
        m.true_peak_max_dbtp(),
        m.sample_peak_dbfs(1),
    ] {
        assert_eq!(v, f32::NEG_INFINITY);
    }
    assert_eq!(m.correlation(), 0.0);
    // A tone: integrated after the first 400 ms gating block, LRA only after 3 s.
    let m = run_stereo(SR, &[tone(0.4, -23.0)], |_, _, _| {});
    assert!((m.integrated_lufs() + 23.0).abs() < 0.1);
    assert_eq!(m.loudness_range_lu(), f32::NEG_INFINITY);
}

#[test]
fn finish_appends_silence_for_lra_only() {
    // 4 s at -20: live, the 11 short-term values (3.0 .. 4.0 s) are equal: LRA 0. With the
    // 1.5 s of Tech 3342 silence, 15 more windows hold (3 - 0.1 k) s of tone, k = 1..15; of the
    // 26 values the 10th percentile is rank round(25 * 0.1 + 1) = 4, the window with 1.8 s of
    // tone: LRA = -10 log10(1.8 / 3) = 2.218 LU.
    let mut m = run_stereo(SR, &[tone(4.0, -20.0)], |_, _, _| {});
    assert!(m.loudness_range_lu().abs() < 0.02, "{}", m.loudness_range_lu());
    let before = (m.integrated_lufs(), m.momentary_max_lufs(), m.short_term_max_lufs());
    m.finish();
    let lra = m.loudness_range_lu() as f64;
    assert!((lra + 10.0 * (1.8f64 / 3.0).log10()).abs() < 0.02, "{lra}");
    let after = (m.integrated_lufs(), m.momentary_max_lufs(), m.short_term_max_lufs());
    assert_eq!(before, after);
    m.finish(); // idempotent
    assert_eq!(m.loudness_range_lu() as f64, lra);
}

#[test]
fn finish_flushes_the_true_peak_of_the_last_samples() {
    let mut m = LoudnessMeter::new(SR as f32, 2);
    let mut x = vec![0.0f32; 1000];
    x[999] = 0.5;
    m.process(&x, &x);
    assert_eq!(m.sample_peak_dbfs(0), 20.0 * 0.5f32.log10());
    // The reconstruction lags 16 samples: so far only the far sinc tails of the last sample
    // (about -40 dB relative) have been read.
    assert!(m.true_peak_dbtp(0) < -20.0, "{}", m.true_peak_dbtp(0));
    m.finish();
    assert!(m.true_peak_dbtp(0) >= 20.0 * 0.5f32.log10());
}

#[test]
fn true_peak_on_and_off() {
    // fs/4 at 45 degrees, 0.5 FFS: samples at 0.354 (-9.03 dBFS), true peak 0.5 (-6.02 dBTP).
    let x: Vec<f32> = (0..48_000).map(|n| (0.5 * (PI / 2.0 * n as f64 + PI / 4.0).sin()) as f32).collect();
    let mut on = LoudnessMeter::new(SR as f32, 2);
    let mut off = LoudnessMeter::new(SR as f32, 2);
    off.set_true_peak_enabled(false);
    on.process(&x, &x);
    off.process(&x, &x);
    assert!((on.true_peak_dbtp(0) + 6.02).abs() < 0.1, "{}", on.true_peak_dbtp(0));
    assert!((on.true_peak_max_dbtp() - on.true_peak_dbtp(1)).abs() < 1e-6);
    assert_eq!(off.true_peak_dbtp(0), f32::NEG_INFINITY);
    assert_eq!(off.block_true_peak_dbtp(0), f32::NEG_INFINITY);
    assert!((off.sample_peak_dbfs(0) + 9.03).abs() < 0.01);
    assert_eq!(on.sample_peak_dbfs(0), off.sample_peak_dbfs(0));
    // The loudness path does not depend on it: bit-identical readings.
    assert_eq!(on.momentary_lufs(), off.momentary_lufs());
    assert_eq!(on.integrated_lufs(), off.integrated_lufs());
    assert_eq!(on.correlation(), off.correlation());
    off.set_true_peak_enabled(true);
    off.process(&x, &x);
    assert!((off.true_peak_dbtp(0) + 6.02).abs() < 0.1);
}

/// Deterministic stereo noise with level steps, as (left, right).
fn noise_programme(seconds: f64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = XorShift32::new(42);
    let n = (seconds * SR) as usize;
    let gain = |i: usize| [0.05f32, 0.3, 0.01, 0.5][(i / 24_000) % 4];
    let left = (0..n).map(|i| gain(i) * rng.next_centered()).collect();
    let right = (0..n).map(|i| gain(i) * rng.next_centered()).collect();
    (left, right)
}

fn readings(m: &LoudnessMeter) -> [f32; 10] {
    [
        m.momentary_lufs(),
        m.short_term_lufs(),
        m.integrated_lufs(),
        m.loudness_range_lu(),
        m.momentary_max_lufs(),
        m.short_term_max_lufs(),
        m.true_peak_dbtp(0),
        m.true_peak_dbtp(1),
        m.sample_peak_dbfs(0),
        m.correlation(),
    ]
}

#[test]
fn chunking_and_reset_do_not_change_readings() {
    let (left, right) = noise_programme(6.0);
    let mut whole = LoudnessMeter::new(SR as f32, 2);
    whole.process(&left, &right);
    let mut chunked = LoudnessMeter::new(SR as f32, 2);
    let mut rng = XorShift32::new(5);
    let mut pos = 0;
    while pos < left.len() {
        let n = ((rng.next_u32() % 700) as usize).min(left.len() - pos);
        chunked.process(&left[pos..pos + n], &right[pos..pos + n]);
        pos += n;
    }
    assert_eq!(readings(&whole), readings(&chunked));
    // After reset the meter is indistinguishable from a new one.
    chunked.reset();
    chunked.process(&left, &right);
    assert_eq!(readings(&whole), readings(&chunked));
    // Mismatched slices: stereo reads the common length.
    let mut short = LoudnessMeter::new(SR as f32, 2);
    short.process(&left, &right[..right.len() - 1]);
    short.process(&left[..0], &right[..5]);
    assert!(short.integrated_lufs().is_finite());
}

#[test]
fn hostile_input_never_poisons_the_meter() {
    let mut m = LoudnessMeter::new(SR as f32, 2);
    let n = 4800;
    let nan = vec![f32::NAN; n];
    let inf: Vec<f32> = (0..n).map(|i| if i % 2 == 0 { f32::INFINITY } else { f32::NEG_INFINITY }).collect();
    let huge: Vec<f32> = (0..n).map(|i| if i % 2 == 0 { 1000.0 } else { -1000.0 }).collect();
    let dc = vec![1.0f32; n];
    let denormal = vec![1e-40f32; n];
    for block in [&nan, &inf, &huge, &dc, &denormal, &nan] {
        m.process(block, block);
        for v in readings(&m) {
            assert!(!v.is_nan(), "{:?}", readings(&m));
        }
    }
    // +-1000 at Nyquist: +60 dBFS peak, shelf +4 dB, two channels: far above any programme,
    // still a finite reading. Its abrupt edges really do overshoot between samples (Gibbs).
    assert!(m.momentary_max_lufs() > 60.0 && m.momentary_max_lufs().is_finite());
    let tp = m.true_peak_max_dbtp();
    assert!((60.0..70.0).contains(&tp), "{tp}");
    // NaN and denormal blocks read as digital silence.
    let mut quiet = LoudnessMeter::new(SR as f32, 2);
    for block in [&nan, &denormal, &inf] {
        for _ in 0..10 {
            quiet.process(block, block);
        }
    }
    assert_eq!(quiet.momentary_lufs(), f32::NEG_INFINITY);
    assert_eq!(quiet.integrated_lufs(), f32::NEG_INFINITY);
    // Recovery: 3 s of a -23 tone after the hostile input, the windows read it exactly.
    tone_sequence(SR, &[tone(3.5, -23.0)], 480, |x, _| m.process(x, x));
    assert!((m.momentary_lufs() + 23.0).abs() < 0.1);
    assert!((m.short_term_lufs() + 23.0).abs() < 0.1);
    assert!(m.integrated_lufs().is_finite());
}

#[test]
fn odd_sample_rates_and_channel_counts_do_not_panic() {
    for (sr, ch) in [(0.0f32, 0usize), (f32::NAN, 7), (8_000.0, 2), (768_000.0, 1)] {
        let mut m = LoudnessMeter::new(sr, ch);
        let x = vec![0.25f32; 20_000];
        m.process(&x, &x);
        m.finish();
        assert!(m.channels() >= 1 && m.channels() <= 2);
        assert!(m.sample_rate() >= 8_000.0);
        assert!(!m.momentary_max_lufs().is_nan());
    }
}

#[test]
fn live_readings_off_skips_only_the_correlation() {
    // Correlated stereo (right = 0.8 * left): correlation +1 while live.
    let (left, _) = noise_programme(8.0);
    let right: Vec<f32> = left.iter().map(|x| 0.8 * x).collect();
    let mut live = LoudnessMeter::new(SR as f32, 2);
    let mut quiet = LoudnessMeter::new(SR as f32, 2);
    quiet.set_live_readings(false);
    for (l, r) in left.chunks(512).zip(right.chunks(512)) {
        live.process(l, r);
        quiet.process(l, r);
    }
    let (a, b) = (readings(&live), readings(&quiet));
    // Everything but the correlation (the last reading) is bit-identical.
    assert_eq!(a[..9], b[..9]);
    assert!(a[2].is_finite() && a[3].is_finite() && a[6].is_finite());
    assert!(live.correlation() > 0.99, "{}", live.correlation());
    assert_eq!(quiet.correlation(), 0.0);
    // Back on, the correlation window refills from the next audio.
    quiet.set_live_readings(true);
    for (l, r) in left.chunks(512).zip(right.chunks(512)).take(100) {
        quiet.process(l, r);
    }
    assert!(quiet.correlation() > 0.99, "{}", quiet.correlation());
}
