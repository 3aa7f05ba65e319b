//! Tests of the saturation stage against analysis: the curve's Fourier series, the filters'
//! definitions, delayed-input nulls and alias levels measured with a low-sidelobe FFT.

use super::*;
use crate::dsp::saturation::curve::tests::reference_curve;
use realfft::RealFftPlanner;
use std::f64::consts::PI;

pub(super) const FS: f32 = 48_000.0;

pub(super) fn settings(f: impl FnOnce(&mut SaturationSettings)) -> SaturationSettings {
    let mut s = SaturationSettings::default();
    f(&mut s);
    s
}

/// A stage with `s` applied and every ramp landed (as at the start of a stream).
pub(super) fn stage(fs: f32, s: &SaturationSettings) -> Saturation {
    let mut stage = Saturation::new(fs);
    stage.set(s);
    stage.reset();
    stage
}

/// Runs `input` (same on both channels unless `right` is given) through in 64-sample chunks.
pub(super) fn run(stage: &mut Saturation, left: &[f32], right: Option<&[f32]>) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (left.to_vec(), right.unwrap_or(left).to_vec());
    for (cl, cr) in l.chunks_mut(MAX_CHUNK).zip(r.chunks_mut(MAX_CHUNK)) {
        stage.process(cl, cr);
    }
    (l, r)
}

pub(super) fn sine(freq_hz: f64, amplitude: f64, len: usize, fs: f32) -> Vec<f32> {
    (0..len).map(|i| (amplitude * (2.0 * PI * freq_hz * i as f64 / fs as f64).sin()) as f32).collect()
}

/// Complex amplitude (phasor) of the `freq` (cycles/sample) component, by a least-squares fit
/// of `a sin + b cos`; `start` is the sample index of `y[0]`.
fn phasor(y: &[f32], freq: f64, start: usize) -> (f64, f64) {
    let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        let (s, c) = (2.0 * PI * freq * (start + i) as f64).sin_cos();
        (ss, cc, sc) = (ss + s * s, cc + c * c, sc + s * c);
        (ys, yc) = (ys + v as f64 * s, yc + v as f64 * c);
    }
    let det = ss * cc - sc * sc;
    ((ys * cc - yc * sc) / det, (yc * ss - ys * sc) / det)
}

/// Magnitude spectrum of the last `len` samples with a 4-term Blackman-Harris window
/// (sidelobes below -92 dB, so leakage cannot mask a -70 dB alias).
fn spectrum(y: &[f32], len: usize) -> Vec<f64> {
    let tail = &y[y.len() - len..];
    let mut buf: Vec<f32> = tail
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let t = 2.0 * PI * i as f64 / len as f64;
            let w = 0.35875 - 0.48829 * t.cos() + 0.14128 * (2.0 * t).cos() - 0.01168 * (3.0 * t).cos();
            (v as f64 * w) as f32
        })
        .collect();
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(len);
    let mut out = fft.make_output_vec();
    fft.process(&mut buf, &mut out).expect("FFT lengths match");
    out.iter().map(|c| c.norm() as f64).collect()
}

/// Largest step between consecutive samples.
pub(super) fn max_step(y: &[f32]) -> f32 {
    y.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

#[test]
fn latency_is_fixed_for_every_setting_and_rate() {
    let design = OversamplerDesign::default();
    let expected = design.latency_samples(OversamplingFactor::X4);
    assert!(expected >= design.latency_samples(OversamplingFactor::X2));
    for fs in [8_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 768_000.0] {
        for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
            let mut s = Saturation::new(fs);
            s.set(&settings(|s| s.oversampling = factor));
            assert_eq!(s.latency_samples(), expected);
        }
    }
}

/// At -60 dBFS with no compensation the curve is linear to 1e-6 (unit slope at zero for every
/// character), so the whole stage must be: the DC blocker's response (from its definition) times
/// the input delayed by exactly `latency_samples()`, within +-0.01 dB up to 20 kHz at 44.1 kHz.
#[test]
fn linear_path_is_flat_and_latency_aligned() {
    let fs = 44_100.0;
    for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
        for character in [-1.0, 0.0, 1.0] {
            let s = settings(|s| {
                (s.drive_db, s.character, s.auto_gain, s.oversampling) = (0.0, character, false, factor);
            });
            for freq_hz in [20.0, 100.0, 1000.0, 5000.0, 10_000.0, 15_000.0, 19_000.0, 20_000.0] {
                let mut sat = stage(fs, &s);
                let len = 4 * fs as usize;
                let (out, _) = run(&mut sat, &sine(freq_hz, 1e-3, len, fs), None);
                let f = freq_hz / fs as f64;
                let (a, b) = phasor(&out[len / 2..], f, len / 2 - sat.latency_samples());
                let w = 2.0 * PI * f;
                let r = (-2.0 * PI * 5.0 / fs as f64).exp();
                // H(e^jw) = (1 - e^-jw) / (1 - R e^-jw), as a complex quotient.
                let (nr, ni) = (1.0 - w.cos(), w.sin());
                let (dr, di) = (1.0 - r * w.cos(), r * w.sin());
                let d2 = dr * dr + di * di;
                let (hr, hi) = ((nr * dr + ni * di) / d2, (ni * dr - nr * di) / d2);
                let expected = 1e-3 * (hr * hr + hi * hi).sqrt();
                let gain_db = 20.0 * ((a * a + b * b).sqrt() / expected).log10();
                let phase_err = (b.atan2(a) - hi.atan2(hr) + PI).rem_euclid(2.0 * PI) - PI;
                let tag = format!("{factor:?} character {character} {freq_hz} Hz");
                assert!(gain_db.abs() <= 0.01, "{tag}: {gain_db:.4} dB");
                assert!(phase_err.abs() < 1e-3, "{tag}: phase {phase_err:.2e} rad");
            }
        }
    }
}

/// Worst non-harmonic component below `max_hz`, relative to the fundamental, for a 9 kHz sine
/// at 48 kHz, -18 dBFS, +24 dB drive (peak 2.0 into the curve: +6 dB past its knee). Every
/// harmonic above 24 kHz must be removed before it folds; anything left that is not at DC, 9 or
/// 18 kHz is aliasing. All aliases of 9 kHz land on multiples of 3 kHz, exact bins of the
/// 32768-point FFT, as do the harmonics; bins within 8 of a harmonic are its window main lobe.
fn worst_alias(factor: OversamplingFactor, character: f32, max_hz: f64) -> (f64, f64) {
    let len = 32_768;
    let bin_9k = 6144; // 9000 / 48000 * 32768
    let s = settings(|s| (s.drive_db, s.character, s.oversampling) = (24.0, character, factor));
    let mut sat = stage(FS, &s);
    let (out, _) = run(&mut sat, &sine(9000.0, 10f64.powf(-18.0 / 20.0), 48_000 + len, FS), None);
    let mag = spectrum(&out, len);
    let near_harmonic = |k: usize| [0, bin_9k, 2 * bin_9k].iter().any(|&h| k.abs_diff(h) <= 8);
    let last = ((max_hz / 48_000.0 * len as f64) as usize).min(mag.len() - 1);
    let (bin, worst) =
        (0..=last)
            .filter(|&k| !near_harmonic(k))
            .map(|k| (k, mag[k]))
            .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    (20.0 * (worst / mag[bin_9k]).log10(), bin as f64 * 48_000.0 / len as f64)
}

const CHARACTER_GRID: [f32; 9] = [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0];

/// 4x: below -70 dB over the whole band. 2x: below -55 dB over the audible band (to 20 kHz);
/// the full-band 2x requirement is `aliasing_2x_full_band_requirement`.
#[test]
fn aliasing_stays_below_target() {
    let mut failures = Vec::new();
    for (factor, max_hz, limit_db) in
        [(OversamplingFactor::X4, 24_000.0, -70.0), (OversamplingFactor::X2, 20_000.0, -55.0)]
    {
        let mut worst = (f64::MIN, 0.0, 0.0);
        for character in CHARACTER_GRID {
            let (db, hz) = worst_alias(factor, character, max_hz);
            if db > worst.0 {
                worst = (db, hz, character);
            }
        }
        eprintln!(
            "{factor:?} up to {max_hz} Hz: worst alias {:.1} dB at {:.0} Hz (character {})",
            worst.0, worst.1, worst.2
        );
        if worst.0 >= limit_db {
            failures.push(worst);
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

/// The brief's 2x requirement over the whole band. The 8th harmonic (72 kHz) of a biased curve
/// folds to exactly 24 kHz on the 96 kHz grid, where a half-band decimator has -6 dB by
/// construction (H(f) + H(fs/2 - f) = 1): -53.3 dB at character +0.5 with one. The 2x path's
/// decimator (`DECIMATOR_2X_TAPS`) is -21 dB there.
#[test]
fn aliasing_2x_full_band_requirement() {
    let mut worst = (f64::MIN, 0.0, 0.0);
    for character in CHARACTER_GRID {
        let (db, hz) = worst_alias(OversamplingFactor::X2, character, 24_000.0);
        assert!(db < -55.0, "character {character}: {db:.1} dB at {hz:.0} Hz");
        if db > worst.0 {
            worst = (db, hz, character);
        }
    }
    eprintln!("X2 up to 24000 Hz: worst alias {:.1} dB at {:.0} Hz (character {})", worst.0, worst.1, worst.2);
}

/// Harmonic levels of the processed sine equal the Fourier series of the textbook curve
/// (computed here in f64), and the character extremes have the promised balance.
#[test]
fn harmonic_balance_follows_character() {
    let len = 32_768;
    let bin = 1024; // 1500 Hz
    let amplitude = 10f64.powf(-18.0 / 20.0);
    let drive = 10f64.powf(12.0 / 20.0);
    for character in [-1.0f32, 0.0, 1.0] {
        let s = settings(|s| (s.drive_db, s.character) = (12.0, character));
        let mut sat = stage(FS, &s);
        let (out, _) = run(&mut sat, &sine(1500.0, amplitude, 24_000 + len, FS), None);
        let mag = spectrum(&out, len);
        let measured = |k: usize| 20.0 * (mag[k * bin] / mag[bin]).log10();
        // Fourier coefficients of curve(a sin) by direct summation over one period.
        let analytic = |k: usize| {
            let points = 4096;
            let coef = |h: usize| {
                let (mut re, mut im) = (0.0, 0.0);
                for i in 0..points {
                    let t = 2.0 * PI * i as f64 / points as f64;
                    let y = reference_curve(drive * amplitude * t.sin(), character as f64);
                    (re, im) = (re + y * (h as f64 * t).cos(), im + y * (h as f64 * t).sin());
                }
                (re * re + im * im).sqrt()
            };
            20.0 * (coef(k) / coef(1)).log10()
        };
        let (h2, h3) = (measured(2), measured(3));
        eprintln!(
            "character {character}: H2 {h2:.1} dB, H3 {h3:.1} dB (analytic {:.1}, {:.1})",
            analytic(2),
            analytic(3)
        );
        assert!((h3 - analytic(3)).abs() < 0.5, "character {character}: H3 {h3:.2} vs {:.2}", analytic(3));
        if character == -1.0 {
            assert!(h2 < h3 - 30.0, "symmetric curve: H2 {h2:.1} dB, H3 {h3:.1} dB");
        } else {
            assert!((h2 - analytic(2)).abs() < 0.5, "character {character}: H2 {h2:.2} vs {:.2}", analytic(2));
        }
        if character == 1.0 {
            assert!(h2 > -20.0 && h2 > h3, "biased curve: H2 {h2:.1} dB, H3 {h3:.1} dB");
        }
    }
}

/// Auto gain compensation: a -18 dBFS sine leaves at its input RMS (within 1 dB) at any drive
/// and character, at both factors.
#[test]
fn auto_gain_keeps_reference_rms() {
    let amplitude = 10f64.powf(-18.0 / 20.0);
    let mut worst = 0.0f64;
    for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
        for drive_db in [0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0] {
            for character in [-1.0, -0.5, 0.0, 0.5, 1.0] {
                let s = settings(|s| (s.drive_db, s.character, s.oversampling) = (drive_db, character, factor));
                let mut sat = stage(FS, &s);
                let (out, _) = run(&mut sat, &sine(1000.0, amplitude, 48_000, FS), None);
                let tail = &out[out.len() - 24_000..]; // 500 whole periods, DC blocker settled
                let rms = (tail.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
                let err_db = 20.0 * (rms / (amplitude / 2f64.sqrt())).log10();
                worst = worst.max(err_db.abs());
                assert!(err_db.abs() < 1.0, "{factor:?} drive {drive_db} character {character}: {err_db:.2} dB");
            }
        }
    }
    eprintln!("auto gain: worst RMS error {worst:.3} dB");
}

#[test]
fn no_dc_at_output_for_a_biased_curve() {
    let amplitude = 0.5;
    let drive = 10f64.powf(24.0 / 20.0);
    // Without the DC blocker the biased curve's output would carry this mean (analytic).
    let points = 4096;
    let raw_dc = (0..points)
        .map(|i| reference_curve(drive * amplitude * (2.0 * PI * i as f64 / points as f64).sin(), 1.0))
        .sum::<f64>()
        / points as f64;
    assert!(raw_dc.abs() > 0.1, "the test needs a curve that makes DC: {raw_dc}");
    for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
        let s = settings(|s| (s.drive_db, s.character, s.auto_gain, s.oversampling) = (24.0, 1.0, false, factor));
        let mut sat = stage(FS, &s);
        let (out, _) = run(&mut sat, &sine(1000.0, amplitude, 2 * 48_000, FS), None);
        let tail = &out[out.len() - 24_000..]; // 500 whole periods
        let mean = tail.iter().map(|&v| v as f64).sum::<f64>() / tail.len() as f64;
        assert!(mean.abs() < 1e-4, "{factor:?}: mean {mean:e} (raw curve DC {raw_dc:.3})");
    }
}
