//! Distortion and loudness of the limiter's automatic release in each style, measured by FFT on
//! the output (issue 13, items 1 and 2): THD of harmonics 2-10 on sustained bass, SMPTE IMD, and
//! the integrated loudness (the `ebur128` crate) on dense programmes, compared with a figure
//! recorded from the previous auto release (see `RECORDED_OLD_LUFS`) and between styles.
//! `cargo test --test limiter_distortion -- --nocapture` prints the table of docs/limiter.md.

mod common;

use common::{drums, TestRng};
use lacquer::dsp::limiter::{Limiter, LimiterSettings, LimiterStyle};
use realfft::RealFftPlanner;
use std::f64::consts::PI;

const FS: f64 = 48_000.0;

/// Runs the limiter at its defaults (plus `style` and `drive_db`) on a stereo signal in
/// 1024-frame blocks; returns the output with the latency removed.
fn limit(left: &[f32], right: &[f32], style: LimiterStyle, drive_db: f32, fs: f64) -> (Vec<f32>, Vec<f32>) {
    let mut lim = Limiter::new(fs as f32);
    lim.set(&LimiterSettings { drive_db, style, ..LimiterSettings::default() });
    lim.reset();
    let latency = lim.latency_samples();
    let pad = |x: &[f32]| x.iter().cloned().chain(std::iter::repeat_n(0.0, latency)).collect::<Vec<f32>>();
    let (mut l, mut r) = (pad(left), pad(right));
    for (bl, br) in l.chunks_mut(1024).zip(r.chunks_mut(1024)) {
        lim.process(bl, br);
    }
    (l[latency..].to_vec(), r[latency..].to_vec())
}

/// Power spectrum of `x` under a Hann window (the window spans whole periods of every tone
/// used here, so each tone's energy sits in its bin and the two next to it).
fn power_spectrum(x: &[f32]) -> Vec<f64> {
    let n = x.len();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut input: Vec<f64> =
        x.iter().enumerate().map(|(i, &v)| v as f64 * (0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos())).collect();
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).expect("fft sizes match");
    out.iter().map(|c| c.norm_sqr()).collect()
}

/// Energy of the tone at `hz` (bins within two of it); the window is one second long, so
/// bin k is k Hz.
fn tone_energy(spectrum: &[f64], hz: f64, bin_hz: f64) -> f64 {
    let k = (hz / bin_hz).round() as usize;
    spectrum[k.saturating_sub(2)..=(k + 2).min(spectrum.len() - 1)].iter().sum()
}

/// Peak amplitude 6 dB over the default -1 dBTP ceiling.
fn hot_peak() -> f64 {
    10f64.powf(5.0 / 20.0)
}

/// THD (harmonics 2-10, amplitude ratio) of a sine at `hz` driven 6 dB into the ceiling,
/// measured over one second starting one second in.
fn thd(hz: f64, style: LimiterStyle) -> f64 {
    let n = (3.0 * FS) as usize;
    let x: Vec<f32> = (0..n).map(|i| (hot_peak() * (2.0 * PI * hz * i as f64 / FS).sin()) as f32).collect();
    let (out, _) = limit(&x, &x, style, 0.0, FS);
    let spec = power_spectrum(&out[FS as usize..2 * FS as usize]);
    let fundamental = tone_energy(&spec, hz, 1.0);
    let harmonics: f64 = (2..=10).map(|k| tone_energy(&spec, k as f64 * hz, 1.0)).sum();
    (harmonics / fundamental).sqrt()
}

/// SMPTE IMD: 60 Hz and 7 kHz at 4:1 amplitude, the sum 6 dB over the ceiling; sidebands
/// 7 kHz ± k·60 Hz (k = 1..4) relative to the 7 kHz tone, as an amplitude ratio.
fn smpte_imd(style: LimiterStyle) -> f64 {
    let n = (3.0 * FS) as usize;
    let (low, high) = (0.8 * hot_peak(), 0.2 * hot_peak());
    let x: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / FS;
            (low * (2.0 * PI * 60.0 * t).sin() + high * (2.0 * PI * 7000.0 * t).sin()) as f32
        })
        .collect();
    let (out, _) = limit(&x, &x, style, 0.0, FS);
    let spec = power_spectrum(&out[FS as usize..2 * FS as usize]);
    let carrier = tone_energy(&spec, 7000.0, 1.0);
    let sidebands: f64 = (1..=4)
        .flat_map(|k| [7000.0 - 60.0 * k as f64, 7000.0 + 60.0 * k as f64])
        .map(|hz| tone_energy(&spec, hz, 1.0))
        .sum();
    (sidebands / carrier).sqrt()
}

#[test]
fn sustained_bass_is_not_distorted() {
    for hz in [30.0, 50.0, 80.0] {
        let thd = thd(hz, LimiterStyle::Transparent);
        println!("THD {hz} Hz: {:.4} %", 100.0 * thd);
        assert!(thd <= 0.001, "{hz} Hz: THD {:.4} %", 100.0 * thd);
    }
}

#[test]
fn smpte_intermodulation_stays_low() {
    let imd = smpte_imd(LimiterStyle::Transparent);
    println!("SMPTE IMD: {:.4} %", 100.0 * imd);
    assert!(imd <= 0.003, "IMD {:.4} %", 100.0 * imd);
}

/// Drums, a sustained bass line and a chord pad: the dense material where the auto release
/// earns its loudness.
fn dense_programme(fs: f64, seconds: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let n = (fs * seconds) as usize;
    let kit = drums(fs, seconds, seed);
    let mut rng = TestRng(seed ^ 0xBA55);
    let notes = [41.2, 55.0, 49.0, 36.7];
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut phase = 0.0f64;
    for (i, &drum) in kit.iter().enumerate().take(n) {
        let t = i as f64 / fs;
        let note = notes[(t / 2.0) as usize % notes.len()];
        phase += note / fs;
        let bass = 0.35 * (2.0 * PI * phase).sin() + 0.1 * (4.0 * PI * phase).sin();
        let pad: f64 = [220.0, 277.2, 329.6, 440.0].iter().map(|f| 0.04 * (2.0 * PI * f * t).sin()).sum();
        let air = 0.01 * rng.uniform();
        let d = drum as f64;
        l.push((d + bass + pad + air) as f32);
        r.push((d + bass + 0.9 * pad - air) as f32);
    }
    (l, r)
}

fn integrated_lufs(fs: f64, l: &[f32], r: &[f32]) -> f64 {
    let mut meter = ebur128::EbuR128::new(2, fs as u32, ebur128::Mode::I).expect("meter");
    meter.add_frames_planar_f32(&[l, r]).expect("frames");
    meter.loudness_global().expect("loudness")
}

/// Integrated loudness (LUFS) of the previous auto release (no release hold) at +8 dB drive,
/// recorded from commit 895ec84 with this file's own programmes and meter, in the order of
/// `programmes()`.
const RECORDED_OLD_LUFS: [f64; 3] = [-11.2802, -8.0948, -8.1248];

fn programmes() -> Vec<(&'static str, f64, Vec<f32>, Vec<f32>)> {
    let [dl, dr] = lacquer::demo::demo_mix();
    let demo_fs = lacquer::demo::DEMO_SAMPLE_RATE as f64;
    let (al, ar) = dense_programme(44_100.0, 12.0, 7);
    let (bl, br) = dense_programme(48_000.0, 12.0, 21);
    vec![("demo", demo_fs, dl, dr), ("dense 44.1k", 44_100.0, al, ar), ("dense 48k", 48_000.0, bl, br)]
}

#[test]
fn dense_music_keeps_the_old_auto_release_loudness() {
    for ((name, fs, l, r), old) in programmes().into_iter().zip(RECORDED_OLD_LUFS) {
        let (ol, or) = limit(&l, &r, LimiterStyle::Transparent, 8.0, fs);
        let lufs = integrated_lufs(fs, &ol, &or);
        println!("{name}: {lufs:.4} LUFS (recorded before the hold: {old:.2})");
        assert!(lufs >= old - 0.3, "{name}: {lufs:.2} LUFS vs {old:.2}");
    }
}

/// One style's figures: THD at 30/50/80 Hz, SMPTE IMD (amplitude ratios) and the integrated
/// loudness (LUFS) at +8 dB drive on each of `programmes()`.
struct StyleFigures {
    thd: [f64; 3],
    imd: f64,
    lufs: [f64; 3],
}

fn style_figures(style: LimiterStyle, programmes: &[(&'static str, f64, Vec<f32>, Vec<f32>)]) -> StyleFigures {
    let thd = [30.0, 50.0, 80.0].map(|hz| thd(hz, style));
    let imd = smpte_imd(style);
    let mut lufs = [0.0; 3];
    for (slot, (_, fs, l, r)) in lufs.iter_mut().zip(programmes) {
        let (ol, or) = limit(l, r, style, 8.0, *fs);
        *slot = integrated_lufs(*fs, &ol, &or);
    }
    StyleFigures { thd, imd, lufs }
}

/// Each style's stated bounds (docs/limiter.md): THD ≤ 0.1 % and IMD ≤ 0.3 % (the issue's
/// figures for the defaults) in every style, except Aggressive's 30 Hz, which it does not hold
/// by design (documented at about 8 %; bound 10 %). Loudness at +8 dB drive orders the styles
/// as designed, each step at least 0.1 LU on every programme: Safe at least 0.3 LU quieter than
/// Transparent (but no more than 1 LU), Punchy louder than Transparent, Aggressive louder than
/// Punchy. `-- --nocapture` prints the table.
#[test]
fn every_style_meets_its_stated_bounds() {
    let programmes = programmes();
    println!("| style | THD 30 Hz | THD 50 Hz | THD 80 Hz | SMPTE IMD | demo | dense 44.1k | dense 48k |");
    println!("|---|---|---|---|---|---|---|---|");
    let figures: Vec<StyleFigures> = LimiterStyle::ALL
        .iter()
        .map(|&style| {
            let f = style_figures(style, &programmes);
            let pct = |v: f64| format!("{:.5} %", 100.0 * v);
            println!(
                "| {style:?} | {} | {} | {} | {} | {:.2} LUFS | {:.2} LUFS | {:.2} LUFS |",
                pct(f.thd[0]),
                pct(f.thd[1]),
                pct(f.thd[2]),
                pct(f.imd),
                f.lufs[0],
                f.lufs[1],
                f.lufs[2]
            );
            f
        })
        .collect();
    for (style, f) in LimiterStyle::ALL.iter().zip(&figures) {
        for (hz, thd) in [30, 50, 80].iter().zip(f.thd) {
            let bound = if *style == LimiterStyle::Aggressive && *hz == 30 { 0.1 } else { 0.001 };
            assert!(thd <= bound, "{style:?} {hz} Hz: THD {:.4} %", 100.0 * thd);
        }
        assert!(f.imd <= 0.003, "{style:?}: IMD {:.4} %", 100.0 * f.imd);
    }
    let [transparent, punchy, aggressive, safe] = [0, 1, 2, 3].map(|k| &figures[k].lufs);
    for (k, (name, _, _, _)) in programmes.iter().enumerate() {
        let (t, p, a, s) = (transparent[k], punchy[k], aggressive[k], safe[k]);
        assert!(p >= t + 0.1, "{name}: Punchy {p:.2} LUFS not louder than Transparent {t:.2}");
        assert!(a >= p + 0.1, "{name}: Aggressive {a:.2} LUFS not louder than Punchy {p:.2}");
        assert!(s <= t - 0.3 && s >= t - 1.0, "{name}: Safe {s:.2} LUFS vs Transparent {t:.2}");
    }
}
