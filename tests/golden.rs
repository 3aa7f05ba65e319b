//! Golden renders: the CLI masters generated programmes (and the demo mix) at 44.1, 48 and
//! 96 kHz with several presets and settings, limiter on and off, and each output is compared with
//! fingerprints recorded from an earlier build (`tests/golden/fingerprints.txt`).
//!
//! A render passes when its output is bit-identical to the recorded one (same hash), or, where a
//! change of implementation only changes rounding, when every 8192-frame block's sum and sum of
//! squares stay within what a per-sample difference of at most 1e-6 allows. The test reports
//! which renders were exact.
//!
//! The fingerprints describe behaviour, not the code: re-record them only on purpose, when a
//! change of sound is intended, with `LACQUER_GOLDEN_RECORD=1 cargo test --test golden`, and say
//! so in the commit. The generator below is self-contained on purpose, so no shared helper can
//! shift the inputs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const BLOCK: usize = 8192;
const PER_SAMPLE_TOLERANCE: f64 = 1e-6;
const SECONDS: f64 = 3.0;

fn fingerprint_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden").join("fingerprints.txt")
}

/// splitmix64: a fixed generator for the programme, independent of the crate's PRNGs.
struct Mix64(u64);

impl Mix64 {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// A dense stereo programme: kick every half second, noise hats with sharp attacks, a sustained
/// bass and a detuned chord pad, peaking a little under full scale (so drive and presets push
/// it into every stage), with a quiet gap in the middle for the release paths.
fn programme(rate: u32) -> [Vec<f32>; 2] {
    let n = (SECONDS * rate as f64) as usize;
    let fs = rate as f64;
    let tau = std::f64::consts::TAU;
    let mut rng = Mix64(0x1acc_0e12);
    let (mut left, mut right) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f64 / fs;
        let beat = t % 0.5;
        let kick = (tau * (50.0 + 90.0 * (-beat * 30.0).exp()) * beat).sin() * (-beat * 9.0).exp() * 0.7;
        let hat_t = (t + 0.25) % 0.25;
        let hat = rng.next() * (-hat_t * 80.0).exp() * 0.35;
        let bass = (tau * 41.2 * t).sin() * 0.35;
        let pad = [220.0, 277.2, 329.6].iter().map(|f| (tau * f * t).sin()).sum::<f64>() * 0.08;
        let pad_r = [220.7, 276.5, 330.4].iter().map(|f| (tau * f * t).sin()).sum::<f64>() * 0.08;
        let gate = if (1.6..1.9).contains(&t) { 0.05 } else { 1.0 };
        left.push(((kick + hat + bass + pad) * gate) as f32);
        right.push(((kick + 0.8 * hat + bass + pad_r) * gate) as f32);
    }
    [left, right]
}

fn write_float_wav(path: &Path, rate: u32, channels: &[Vec<f32>; 2]) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create input");
    for (&l, &r) in channels[0].iter().zip(&channels[1]) {
        w.write_sample(l).unwrap();
        w.write_sample(r).unwrap();
    }
    w.finalize().unwrap();
}

/// The samples of a WAV file as f64, interleaved, with the channel count; integer formats scaled
/// to ±1.
fn read_wav(path: &Path) -> (usize, Vec<f64>) {
    let mut r = hound::WavReader::open(path).expect("open output");
    let spec = r.spec();
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|v| v.unwrap() as f64).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f64;
            r.samples::<i32>().map(|v| v.unwrap() as f64 / scale).collect()
        }
    };
    (spec.channels as usize, samples)
}

struct Fingerprint {
    hash: u64,
    /// Per block and channel: (sum, sum of squares, frames in the block).
    blocks: Vec<(f64, f64, usize)>,
}

fn fingerprint(channels: usize, samples: &[f64]) -> Fingerprint {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &v in samples {
        for b in (v as f32).to_bits().to_le_bytes() {
            hash = (hash ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    let frames = samples.len() / channels;
    let mut blocks = Vec::new();
    for start in (0..frames).step_by(BLOCK) {
        let end = (start + BLOCK).min(frames);
        for ch in 0..channels {
            let (mut sum, mut squares) = (0.0, 0.0);
            for f in start..end {
                let v = samples[f * channels + ch];
                sum += v;
                squares += v * v;
            }
            blocks.push((sum, squares, end - start));
        }
    }
    Fingerprint { hash, blocks }
}

fn format_fingerprint(name: &str, f: &Fingerprint) -> String {
    let mut s = format!("render {name} {:016x} {}\n", f.hash, f.blocks.len());
    for (sum, squares, frames) in &f.blocks {
        writeln!(s, "  {sum:e} {squares:e} {frames}").unwrap();
    }
    s
}

fn parse_fingerprints(text: &str) -> Vec<(String, Fingerprint)> {
    let mut out: Vec<(String, Fingerprint)> = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["render", name, hash, _] => out.push((
                name.to_string(),
                Fingerprint { hash: u64::from_str_radix(hash, 16).expect("hash"), blocks: Vec::new() },
            )),
            [sum, squares, frames] => out.last_mut().expect("render line first").1.blocks.push((
                sum.parse().unwrap(),
                squares.parse().unwrap(),
                frames.parse().unwrap(),
            )),
            [] => {}
            _ => panic!("malformed fingerprint line: {line}"),
        }
    }
    out
}

/// Whether `got` is within what per-sample differences of at most 1e-6 allow of `want`:
/// |Δ sum| <= n·ε, and |Δ Σx²| = |Σ(2x + δ)δ| <= ε(2 Σ|x| + nε) <= ε(2 √(n Σx²) + nε).
fn within_rounding(want: &Fingerprint, got: &Fingerprint) -> Result<(), String> {
    if want.blocks.len() != got.blocks.len() {
        return Err(format!("{} blocks, recorded {}", got.blocks.len(), want.blocks.len()));
    }
    let eps = PER_SAMPLE_TOLERANCE;
    for (i, (w, g)) in want.blocks.iter().zip(&got.blocks).enumerate() {
        let n = w.2 as f64;
        if w.2 != g.2 {
            return Err(format!("block {i}: {} frames, recorded {}", g.2, w.2));
        }
        let sum_bound = n * eps * 1.0001 + 1e-9;
        let squares_bound = eps * (2.0 * (n * w.1.max(g.1)).sqrt() + n * eps) * 1.0001 + 1e-9;
        if (w.0 - g.0).abs() > sum_bound || (w.1 - g.1).abs() > squares_bound {
            return Err(format!(
                "block {i}: sum {} vs {} (bound {sum_bound:e}), sum of squares {} vs {} (bound {squares_bound:e})",
                g.0, w.0, g.1, w.1
            ));
        }
    }
    Ok(())
}

/// The CLI under test; `LACQUER_GOLDEN_BIN` may name another build (for example one of the
/// previous commit, to record the fingerprints from it).
fn lacquer(args: &[&str]) {
    let bin = std::env::var_os("LACQUER_GOLDEN_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_lacquer").into());
    let out = Command::new(bin).args(args).output().expect("run lacquer");
    assert!(out.status.success(), "lacquer {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// (name, arguments after `master IN OUT`). 32-bit float unless the case is about word length.
fn cases() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("defaults", vec!["--format", "32f"]),
        ("drive8", vec!["--format", "32f", "--set", "lim_drive=8"]),
        (
            "drive12-8x-release",
            vec!["--format", "32f", "--set", "lim_drive=12", "--set", "lim_os=8x", "--set", "lim_auto_rel=false"],
        ),
        ("punchy-pop", vec!["--format", "32f", "--preset", "punchy-pop", "--no-target"]),
        ("warm-tape", vec!["--format", "32f", "--preset", "warm-tape", "--no-target"]),
        ("wide-bright", vec!["--format", "32f", "--preset", "wide-bright", "--no-target"]),
        ("loud-edm", vec!["--format", "32f", "--preset", "loud-edm", "--no-target"]),
        (
            "glue-limiter-off",
            vec!["--format", "32f", "--preset", "gentle-glue", "--no-target", "--set", "lim_bypass=true"],
        ),
        ("vinyl", vec!["--format", "32f", "--preset", "vinyl-pre-master", "--no-target"]),
        ("cd16-shaped", vec!["--format", "16", "--set", "lim_drive=6", "--set", "out_shape=true"]),
    ]
}

#[test]
fn golden_renders_match_recorded_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let mut rendered: Vec<(String, Fingerprint)> = Vec::new();
    let mut inputs: Vec<(String, PathBuf)> = Vec::new();
    for rate in [44_100u32, 48_000, 96_000] {
        let path = dir.path().join(format!("programme-{rate}.wav"));
        write_float_wav(&path, rate, &programme(rate));
        inputs.push((format!("programme{rate}"), path));
    }
    let demo = dir.path().join("demo.wav");
    lacquer(&["demo", demo.to_str().unwrap()]);
    inputs.push(("demo".into(), demo));

    for (input_name, input) in &inputs {
        for (case, args) in cases() {
            if input_name == "demo" && !matches!(case, "defaults" | "loud-edm" | "cd16-shaped") {
                continue;
            }
            let output = dir.path().join(format!("{input_name}-{case}.wav"));
            let mut full = vec!["master", input.to_str().unwrap(), output.to_str().unwrap()];
            full.extend(args.iter().copied());
            lacquer(&full);
            let (channels, samples) = read_wav(&output);
            rendered.push((format!("{input_name}/{case}"), fingerprint(channels, &samples)));
        }
    }
    // One render through the loudness search a preset's target starts.
    let output = dir.path().join("target-search.wav");
    lacquer(&[
        "master",
        inputs[1].1.to_str().unwrap(),
        output.to_str().unwrap(),
        "--format",
        "32f",
        "--preset",
        "transparent-streaming",
    ]);
    let (channels, samples) = read_wav(&output);
    rendered.push(("programme48000/transparent-streaming-target".into(), fingerprint(channels, &samples)));

    if std::env::var_os("LACQUER_GOLDEN_RECORD").is_some() {
        let text: String = rendered.iter().map(|(name, f)| format_fingerprint(name, f)).collect();
        std::fs::create_dir_all(fingerprint_path().parent().unwrap()).unwrap();
        std::fs::write(fingerprint_path(), text).unwrap();
        eprintln!("recorded {} golden fingerprints", rendered.len());
        return;
    }

    let recorded =
        parse_fingerprints(&std::fs::read_to_string(fingerprint_path()).expect("tests/golden/fingerprints.txt"));
    assert_eq!(recorded.len(), rendered.len(), "number of golden renders changed");
    let mut failures = Vec::new();
    let mut exact = 0;
    for ((want_name, want), (name, got)) in recorded.iter().zip(&rendered) {
        assert_eq!(want_name, name, "golden render order changed");
        if want.hash == got.hash {
            exact += 1;
        } else if let Err(why) = within_rounding(want, got) {
            failures.push(format!("{name}: {why}"));
        } else {
            eprintln!("{name}: not bit-identical, within the 1e-6 per-sample rounding bound");
        }
    }
    eprintln!("{exact} of {} golden renders bit-identical", rendered.len());
    assert!(failures.is_empty(), "golden renders changed:\n{}", failures.join("\n"));
}

#[test]
fn rounding_bound_rejects_a_real_change() {
    // The comparison must notice a change of sound: a 0.01 dB gain change on a -20 dBFS block.
    let a: Vec<f64> = (0..BLOCK * 2).map(|i| 0.1 * ((i as f64) * 0.01).sin()).collect();
    let b: Vec<f64> = a.iter().map(|v| v * 1.00115).collect();
    let c: Vec<f64> = a.iter().map(|v| v + 0.9e-6).collect();
    assert!(within_rounding(&fingerprint(2, &a), &fingerprint(2, &b)).is_err());
    assert!(within_rounding(&fingerprint(2, &a), &fingerprint(2, &c)).is_ok());
}
