//! Cross-check against the `ebur128` crate (a port of libebur128, the de-facto reference
//! implementation), used as a dev-dependency only.
//!
//! - Integrated loudness: `ebur128` in its exact (non-histogram) mode, within 0.05 LU.
//! - LRA: libebur128 takes its short-term values for LRA 1 s apart, where Tech 3342 asks for at
//!   least every 0.1 s, so its own `loudness_range()` samples a different set of windows. The
//!   reference here is Tech 3342 computed in the test (sorting, the reference code's rank rule) on
//!   `ebur128`'s short-term loudness read every 100 ms, within 0.05 LU. The same test code on
//!   every 10th of those windows must reproduce `ebur128`'s own `loudness_range()` within
//!   0.05 LU, which validates the reference computation (and shows that the 1.1-1.4 LU by which
//!   libebur128's own LRA differs on these programmes is its sparser sampling alone).
//! - Sample peak exactly, true peak within 0.25 dB (its 48-tap interpolator is coarser than ours).

use crate::dsp::meter::loudness::LoudnessMeter;
use crate::dsp::util::rng::XorShift32;
use ebur128::{EbuR128, Mode};
use std::f64::consts::PI;

const TOL_LU: f64 = 0.05;

/// Pink-ish noise: white noise through three one-pole low-passes summed with weights (about
/// -3 dB/octave from 50 Hz to 10 kHz), independent per channel.
struct PinkishNoise {
    rng: XorShift32,
    poles: [f32; 3],
}

impl PinkishNoise {
    fn new(seed: u32) -> Self {
        Self { rng: XorShift32::new(seed), poles: [0.0; 3] }
    }

    fn next(&mut self) -> f32 {
        let white = self.rng.next_centered();
        let coefficients = [0.997f32, 0.97, 0.7];
        let weights = [0.06f32, 0.12, 0.35];
        let mut out = 0.2 * white;
        for k in 0..3 {
            self.poles[k] = coefficients[k] * self.poles[k] + (1.0 - coefficients[k]) * white;
            out += weights[k] * self.poles[k] * 8.0;
        }
        out
    }
}

/// Stereo noise in 4 s sections at different levels (including near-silence and a loud part).
fn noise_with_level_changes(sample_rate: f64) -> (Vec<f32>, Vec<f32>) {
    let levels_db = [-30.0, -18.0, -24.0, -45.0, -12.0, -26.0, -80.0, -20.0, -35.0, -16.0];
    let section = (4.0 * sample_rate) as usize;
    let (mut a, mut b) = (PinkishNoise::new(11), PinkishNoise::new(12));
    let mut left = Vec::with_capacity(section * levels_db.len());
    let mut right = Vec::with_capacity(section * levels_db.len());
    for (i, db) in levels_db.iter().enumerate() {
        let g = 10f32.powf(db / 20.0);
        for _ in 0..section {
            let (x, y) = (a.next(), b.next());
            // Sections alternate between partly correlated and independent channels.
            let mix = if i % 2 == 0 { 0.6 } else { 0.0 };
            left.push(g * (x + mix * y));
            right.push(g * (y + mix * x));
        }
    }
    (left, right)
}

/// sin(2 pi cycles) from a 4096-point table with linear interpolation (error < 3e-7): the test
/// signal only has to be the same for both meters, and libm's sin would dominate the run time.
struct SineTable(Vec<f64>);

impl SineTable {
    fn new() -> Self {
        Self((0..=4096).map(|i| (2.0 * PI * i as f64 / 4096.0).sin()).collect())
    }

    fn sin_cycles(&self, cycles: f64) -> f64 {
        let x = (cycles - cycles.floor()) * 4096.0;
        let i = x as usize;
        let f = x - i as f64;
        self.0[i] + f * (self.0[i + 1] - self.0[i])
    }
}

/// A music-like programme: kick, bass, chords and hats in sections (intro, verse, chorus,
/// breakdown, chorus, fade-out), 120 bpm, deterministic.
fn music_like(sample_rate: f64) -> (Vec<f32>, Vec<f32>) {
    // (seconds, kick, bass, chords, hats) gains.
    let sections = [
        (6.0, 0.0, 0.0, 0.25, 0.0),
        (10.0, 0.5, 0.3, 0.2, 0.05),
        (10.0, 0.9, 0.5, 0.35, 0.12),
        (6.0, 0.0, 0.0, 0.1, 0.08),
        (8.0, 0.9, 0.5, 0.4, 0.12),
        (6.0, 0.6, 0.3, 0.25, 0.06),
    ];
    let roots = [55.0, 43.65, 65.41, 49.0]; // A1, F1, C2, G1: one chord per bar
    let mut rng = XorShift32::new(2024);
    let table = SineTable::new();
    let sin = |cycles: f64| table.sin_cycles(cycles);
    let mut left = Vec::new();
    let mut right = Vec::new();
    let mut n = 0usize;
    for (si, &(seconds, kick, bass, chords, hats)) in sections.iter().enumerate() {
        let len = (seconds * sample_rate) as usize;
        for i in 0..len {
            let t = n as f64 / sample_rate;
            let beat = t * 2.0;
            let in_beat = beat.fract() / 2.0; // seconds since the beat
            let in_eighth = (beat * 2.0).fract() / 4.0;
            let root = roots[(beat / 4.0) as usize % 4];
            let fade = if si == sections.len() - 1 { 1.0 - i as f64 / len as f64 } else { 1.0 };
            let kick_cycles = 45.0 * in_beat + 12.0 * (1.0 - (-in_beat / 0.03).exp());
            let k = kick * (-in_beat / 0.15).exp() * sin(kick_cycles);
            let b = bass * (-in_eighth / 0.2).exp() * (1..=6).map(|h| sin(root * h as f64 * t) / h as f64).sum::<f64>();
            let chord = |detune: f64| {
                [4.0, 5.0, 6.0]
                    .iter()
                    .map(|ratio| {
                        let f = root * ratio * detune;
                        sin(f * t) + 0.3 * sin(2.0 * f * t)
                    })
                    .sum::<f64>()
                    * chords
                    / 3.0
            };
            let noise = rng.next_centered() as f64;
            let h = hats * (-(in_eighth - 0.125).abs() / 0.02).exp() * noise;
            let centre = k + b;
            // About -21 LUFS integrated, peaks around -6 dBFS.
            left.push((0.25 * fade * (centre + chord(1.0) + 0.4 * h)) as f32);
            right.push((0.25 * fade * (centre + chord(1.003) + h)) as f32);
            n += 1;
        }
    }
    (left, right)
}

/// Tech 3342 on a list of short-term values (LUFS): gates, sort, reference rank rule.
fn tech_3342_lra(short_term: &[f64]) -> f64 {
    let abs: Vec<f64> = short_term.iter().copied().filter(|&l| l > -70.0).collect();
    let mean_energy = abs.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>() / abs.len() as f64;
    let gate = 10.0 * mean_energy.log10() - 20.0;
    let mut rel: Vec<f64> = abs.into_iter().filter(|&l| l >= gate).collect();
    rel.sort_by(|a, b| a.total_cmp(b));
    let n = rel.len() as f64;
    let at = |p: f64| rel[((n - 1.0) * p / 100.0 + 1.0).round() as usize - 1];
    at(95.0) - at(10.0)
}

/// Runs both meters on the programme (plus 1.5 s of silence for the file-based LRA) and
/// compares them.
/// `with_true_peak: false` skips the true-peak comparison (and its cost) for runs that only
/// check the loudness path.
fn cross_check(name: &str, sample_rate: f64, left: &[f32], right: &[f32], with_true_peak: bool) {
    let mut mode = Mode::I | Mode::LRA | Mode::M | Mode::S | Mode::SAMPLE_PEAK;
    if with_true_peak {
        mode |= Mode::TRUE_PEAK;
    }
    let mut reference = EbuR128::new(2, sample_rate as u32, mode).unwrap();
    let mut meter = LoudnessMeter::new(sample_rate as f32, 2);
    meter.set_true_peak_enabled(with_true_peak);
    let step = (sample_rate / 10.0) as usize; // 100 ms
    let mut short_term = Vec::new();
    let mut fed = 0usize;
    let mut worst_window_diff = 0.0f64;
    for (l, r) in left.chunks(step).zip(right.chunks(step)) {
        reference.add_frames_planar_f32(&[l, r]).unwrap();
        meter.process(l, r);
        fed += l.len();
        if fed >= 30 * step {
            let s = reference.loudness_shortterm().unwrap();
            short_term.push(s);
            // Momentary and short-term windows end at the same sample in both meters.
            let m = reference.loudness_momentary().unwrap();
            for (expected, ours) in [(m, meter.momentary_lufs()), (s, meter.short_term_lufs())] {
                if expected > -70.0 {
                    worst_window_diff = worst_window_diff.max((expected - ours as f64).abs());
                }
            }
        }
    }
    let integrated_ref = reference.loudness_global().unwrap();
    let integrated = meter.integrated_lufs() as f64;
    // File-based LRA: 1.5 s of appended silence on both sides.
    let silence = vec![0.0f32; step];
    for _ in 0..15 {
        reference.add_frames_planar_f32(&[&silence, &silence]).unwrap();
        short_term.push(reference.loudness_shortterm().unwrap());
    }
    meter.finish();
    let lra_ref = tech_3342_lra(&short_term);
    let lra_ebur128_own = reference.loudness_range().unwrap();
    // ebur128's own LRA takes every 10th of these windows (3 s, 4 s, ...): the same computation
    // on that subset must reproduce it, which validates `tech_3342_lra` independently.
    let every_second: Vec<f64> = short_term.iter().copied().step_by(10).collect();
    let lra_ref_1s = tech_3342_lra(&every_second);
    let lra = meter.loudness_range_lu() as f64;
    println!(
        "{name} @ {sample_rate}: I {integrated:.4} vs ebur128 {integrated_ref:.4}; LRA {lra:.4} vs \
         Tech 3342 on ebur128 S {lra_ref:.4} (ebur128's own 1 s-hop LRA {lra_ebur128_own:.4}, \
         test's on the 1 s subset {lra_ref_1s:.4}); worst M/S diff {worst_window_diff:.5} LU"
    );
    assert!((integrated - integrated_ref).abs() < TOL_LU, "{name}: I");
    assert!((lra - lra_ref).abs() < TOL_LU, "{name}: LRA");
    assert!((lra_ref_1s - lra_ebur128_own).abs() < TOL_LU, "{name}: 1 s-hop LRA");
    assert!(worst_window_diff < 0.01, "{name}: M/S differ by {worst_window_diff}");
    for ch in 0..2 {
        let sample_ref = 20.0 * reference.sample_peak(ch as u32).unwrap().log10();
        let sample = meter.sample_peak_dbfs(ch);
        println!("  ch {ch}: sample peak {sample:.3} vs {sample_ref:.3}");
        assert!((sample as f64 - sample_ref).abs() < 1e-4);
        if with_true_peak {
            let true_ref = 20.0 * reference.true_peak(ch as u32).unwrap().log10();
            let true_peak = meter.true_peak_dbtp(ch);
            println!("  ch {ch}: true peak {true_peak:.3} vs {true_ref:.3}");
            assert!((true_peak as f64 - true_ref).abs() < 0.25);
            assert!(true_peak >= sample);
        }
    }
}

#[test]
fn matches_ebur128_on_noise_with_level_changes() {
    for (sr, with_true_peak) in [(44_100.0, false), (48_000.0, false)] {
        let (left, right) = noise_with_level_changes(sr);
        cross_check("noise", sr, &left, &right, with_true_peak);
    }
}

#[test]
fn matches_ebur128_on_a_music_like_programme() {
    let (left, right) = music_like(48_000.0);
    cross_check("music-like", 48_000.0, &left, &right, true);
}

#[test]
fn matches_ebur128_on_the_demo_mix() {
    let [left, right] = crate::demo::demo_mix();
    cross_check("demo mix", crate::demo::DEMO_SAMPLE_RATE as f64, &left, &right, true);
}
