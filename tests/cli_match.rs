//! `lacquer master --match` and `lacquer match` end to end (issue 16): a programme and a
//! reference made from it with a known EQ (independent RBJ biquads) must come out of the CLI
//! within 1.0 dB max / 0.4 dB mean of the reference's 1/3-octave balance from 50 Hz to 14 kHz
//! (plain FFT band power, not the assistant's analysis) and within 0.5 LU of its integrated
//! loudness (the `ebur128` crate, not Lacquer's meter); the printed `--set` line renders the
//! same file again; bad references are refused with one line and nothing written.

#[path = "common/known_eq.rs"]
mod known_eq;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use known_eq::{apply, balance_error, programme, third_octaves, Band, Kind, ISSUE_EXAMPLE};

const FS: u32 = 48_000;

fn lacquer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lacquer")).args(args).output().expect("run lacquer")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "lacquer failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn write_f32(path: &Path, rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            w.write_sample(c[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn read(path: &Path) -> (u32, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|v| v.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>().map(|v| v.unwrap() as f32 / scale).collect()
        }
    };
    let ch = spec.channels as usize;
    let mut out = vec![Vec::new(); ch];
    for frame in samples.chunks(ch) {
        for (c, &v) in frame.iter().enumerate() {
            out[c].push(v);
        }
    }
    (spec.sample_rate, out)
}

/// Integrated loudness by the `ebur128` crate (a port of libebur128).
fn lufs(rate: u32, channels: &[Vec<f32>]) -> f64 {
    let mut meter = ebur128::EbuR128::new(channels.len() as u32, rate, ebur128::Mode::I).unwrap();
    let planar: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planar).unwrap();
    meter.loudness_global().unwrap()
}

/// Writes the programme and its known-EQ reference into `dir`.
fn files(dir: &Path, prog: &[Vec<f32>], eq: &[Band]) -> (PathBuf, PathBuf) {
    let (input, reference) = (dir.join("mix.wav"), dir.join("reference.wav"));
    write_f32(&input, FS, prog);
    write_f32(&reference, FS, &apply(prog, FS as f64, eq));
    (input, reference)
}

/// Masters `input` with `--match reference` into `dir/matched.wav` and checks the goal figures
/// against the reference; returns the master's path.
fn check_goal(dir: &Path, input: &Path, reference: &Path, what: &str) -> PathBuf {
    let out = dir.join("matched.wav");
    let stdout = ok(&lacquer(&["master", s(input), s(&out), "--match", s(reference), "--format", "32f"]));
    let (rate, mastered) = read(&out);
    let (_, reference) = read(reference);
    let (_, mix) = read(input);
    let goal = third_octaves(&reference, rate as f64);
    let before = balance_error(&third_octaves(&mix, rate as f64), &goal);
    let (max, mean) = balance_error(&third_octaves(&mastered, rate as f64), &goal);
    let (got, want) = (lufs(rate, &mastered), lufs(rate, &reference));
    println!(
        "{what}: balance before max {:.2} mean {:.2} dB; matched max {max:.2} mean {mean:.2} dB; \
         loudness {got:.2} LUFS for a {want:.2} LUFS reference",
        before.0, before.1
    );
    assert!(max <= 1.0 && mean <= 0.4, "{what}: max {max:.2} mean {mean:.2} dB\n{stdout}");
    assert!((got - want).abs() <= 0.5, "{what}: {got:.2} LUFS against {want:.2}\n{stdout}");
    out
}

/// The `--set ...` line `lacquer` printed, as arguments.
fn set_args(stdout: &str) -> Vec<String> {
    let line = stdout.lines().find(|l| l.starts_with("--set ")).expect("a --set line");
    line.split_whitespace().map(str::to_string).collect()
}

#[test]
fn issue_example_is_matched_and_the_printed_settings_render_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let (input, reference) = files(dir.path(), &programme(12.0, FS as f64, 11), &ISSUE_EXAMPLE);
    check_goal(dir.path(), &input, &reference, "issue example");

    // `match` prints the settings `master --match` renders with (both at the default 24-bit
    // format: the word length's dither is part of what the loudness search measures).
    let matched = dir.path().join("matched24.wav");
    let master_out = ok(&lacquer(&["master", s(&input), s(&matched), "--match", s(&reference)]));
    let preset = dir.path().join("matched.json");
    let stdout = ok(&lacquer(&["match", s(&input), s(&reference), "--preset-out", s(&preset)]));
    let sets = set_args(&stdout);
    assert_eq!(sets, set_args(&master_out), "match and master --match chose differently");
    assert!(sets.iter().any(|a| a.starts_with("eq_ls_gain=")), "{stdout}");
    let again = dir.path().join("again.wav");
    let mut args = vec!["master", s(&input), s(&again)];
    args.extend(sets.iter().map(String::as_str));
    ok(&lacquer(&args));
    assert!(std::fs::read(&again).unwrap() == std::fs::read(&matched).unwrap(), "the --set line renders another file");

    // The preset file is an ordinary preset: it imports, and carries the chosen values.
    let text = std::fs::read_to_string(&preset).unwrap();
    assert!(text.contains("\"lacquer-preset\"") && text.contains("eq_ls_gain"), "{text}");
    let store = tempfile::tempdir().unwrap();
    let imported = Command::new(env!("CARGO_BIN_EXE_lacquer"))
        .args(["presets", "import", s(&preset)])
        .env("LACQUER_PRESET_DIR", store.path())
        .output()
        .unwrap();
    ok(&imported);
}

#[test]
fn other_known_eqs_are_matched() {
    let dir = tempfile::tempdir().unwrap();
    let eq =
        [(Kind::LowShelf, 80.0, -3.0, 0.707), (Kind::Bell, 400.0, 2.5, 1.4), (Kind::HighShelf, 6000.0, -2.0, 0.707)];
    let (input, reference) = files(dir.path(), &programme(12.0, FS as f64, 12), &eq);
    check_goal(dir.path(), &input, &reference, "shelves and a bell");
    let dir = tempfile::tempdir().unwrap();
    let eq = [(Kind::Bell, 200.0, -4.0, 0.8), (Kind::Bell, 5000.0, 3.0, 2.0)];
    let (input, reference) = files(dir.path(), &programme(12.0, FS as f64, 13), &eq);
    check_goal(dir.path(), &input, &reference, "two bells");
}

#[test]
fn demo_mix_is_matched_to_an_equalised_copy() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.wav");
    ok(&lacquer(&["demo", s(&demo)]));
    let (rate, mix) = read(&demo);
    let eq =
        [(Kind::LowShelf, 150.0, -2.5, 0.707), (Kind::Bell, 1000.0, 2.0, 0.9), (Kind::HighShelf, 7000.0, 2.5, 0.707)];
    let reference = dir.path().join("reference.wav");
    write_f32(&reference, rate, &apply(&mix, rate as f64, &eq));
    check_goal(dir.path(), &demo, &reference, "demo mix");
}

#[test]
fn match_amount_scales_the_chosen_gains() {
    let dir = tempfile::tempdir().unwrap();
    let (input, reference) = files(dir.path(), &programme(6.0, FS as f64, 14), &ISSUE_EXAMPLE);
    let gain = |amount: &str, id: &str| -> f64 {
        let stdout = ok(&lacquer(&["match", s(&input), s(&reference), "--match-amount", amount]));
        let sets = set_args(&stdout);
        sets.iter().find_map(|a| a.strip_prefix(&format!("{id}="))).map_or(0.0, |v| v.parse().unwrap())
    };
    let (full, half) = (gain("100", "eq_ls_gain"), gain("50%", "eq_ls_gain"));
    assert!(full > 3.0 && (half / full - 0.5).abs() < 0.15, "low shelf {full} dB at 100 %, {half} dB at 50 %");
    assert_eq!(gain("0", "eq_ls_gain"), 0.0);
}

#[test]
fn bad_references_are_refused_with_one_line_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let prog = programme(4.0, FS as f64, 15);
    let input = dir.path().join("mix.wav");
    write_f32(&input, FS, &prog);
    let silent = dir.path().join("silent.wav");
    write_f32(&silent, FS, &[vec![0.0; FS as usize * 3], vec![0.0; FS as usize * 3]]);
    let garbage = dir.path().join("garbage.wav");
    std::fs::write(&garbage, b"this is not a wav file at all").unwrap();
    let missing = dir.path().join("missing.wav");
    let out = dir.path().join("out.wav");
    let preset = dir.path().join("p.json");
    for (reference, says) in [(&silent, "silent"), (&garbage, "not a readable WAV"), (&missing, "not found")] {
        for args in [
            vec!["master", s(&input), s(&out), "--match", s(reference)],
            vec!["match", s(&input), s(reference), "--preset-out", s(&preset)],
        ] {
            let result = lacquer(&args);
            let stderr = String::from_utf8_lossy(&result.stderr);
            assert!(!result.status.success(), "{args:?} succeeded");
            assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
            assert!(stderr.contains(says) && stderr.contains("reference"), "{args:?}: {stderr}");
            assert!(!out.exists() && !preset.exists(), "{args:?} wrote a file");
        }
    }
    let bad_amount = lacquer(&["master", s(&input), s(&out), "--match", s(&silent), "--match-amount", "150"]);
    assert!(!bad_amount.status.success() && !out.exists());

    // Mono references and references at another rate are analysed by frequency: accepted.
    let mono = dir.path().join("mono.wav");
    let mid: Vec<f32> = prog[0].iter().zip(&prog[1]).map(|(l, r)| 0.5 * (l + r)).collect();
    write_f32(&mono, FS, &apply(&[mid], FS as f64, &ISSUE_EXAMPLE));
    let other_rate = dir.path().join("44k.wav");
    write_f32(&other_rate, 44_100, &apply(&programme(4.0, 44_100.0, 16), 44_100.0, &ISSUE_EXAMPLE));
    for reference in [&mono, &other_rate] {
        let out = dir.path().join(format!("{}.out.wav", reference.file_stem().unwrap().to_string_lossy()));
        ok(&lacquer(&["master", s(&input), s(&out), "--match", s(reference)]));
        assert!(out.exists());
    }
}

/// Regenerates docs/assist-match.svg, the README's before/after plot, from the issue example
/// mastered by the CLI: `cargo test --test cli_match -- --ignored write_match_plot`.
#[test]
#[ignore]
fn write_match_plot() {
    let dir = tempfile::tempdir().unwrap();
    let (input, reference) = files(dir.path(), &programme(12.0, FS as f64, 11), &ISSUE_EXAMPLE);
    let matched = check_goal(dir.path(), &input, &reference, "issue example");
    let band = |p: &Path| third_octaves(&read(p).1, FS as f64);
    let (mix, goal, out) = (band(&input), band(&reference), band(&matched));
    // Each curve relative to the reference, its mean difference removed (level is not balance).
    let relative = |a: &[f64]| -> Vec<f64> {
        let d: Vec<f64> = a.iter().zip(&goal).map(|(x, y)| x - y).collect();
        let m = d.iter().sum::<f64>() / d.len() as f64;
        d.iter().map(|v| v - m).collect()
    };
    let svg = plot_svg(
        &known_eq::goal_centres(),
        &[
            (&relative(&mix), "#d08a2e", "mix before matching"),
            (&relative(&out), "#3a8fd8", "after lacquer master --match"),
        ],
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/assist-match.svg");
    std::fs::write(&path, svg).unwrap();
    println!("wrote {}", path.display());
}

/// A small hand-written SVG: balance difference (dB) against frequency on a log axis, with the
/// goal's ±1 dB band shaded.
fn plot_svg(centres: &[f64], curves: &[(&Vec<f64>, &str, &str)]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 360.0, 60.0, 20.0, 30.0, 50.0);
    let (f_lo, f_hi, db_lo, db_hi) = (40.0f64, 16_000.0f64, -6.0, 6.0);
    let x = |f: f64| left + (f / f_lo).log10() / (f_hi / f_lo).log10() * (w - left - right);
    let y = |db: f64| top + (db_hi - db) / (db_hi - db_lo) * (h - top - bottom);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#1d1f22\"/>\n\
         <rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2e4a33\"/>\n",
        y(1.0),
        w - left - right,
        y(-1.0) - y(1.0)
    );
    for db in [-6.0, -3.0, 0.0, 3.0, 6.0] {
        s += &format!(
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#444\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#bbb\" text-anchor=\"end\">{db:+} dB</text>\n",
            w - right,
            y(db),
            y(db),
            left - 6.0,
            y(db) + 4.0
        );
    }
    for (f, label) in [
        (50.0, "50"),
        (100.0, "100"),
        (250.0, "250"),
        (500.0, "500"),
        (1000.0, "1k"),
        (2500.0, "2.5k"),
        (5000.0, "5k"),
        (10_000.0, "10k"),
        (14_000.0, "14k"),
    ] {
        s += &format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#bbb\" text-anchor=\"middle\">{label}</text>\n",
            x(f),
            x(f),
            h - bottom,
            x(f),
            h - bottom + 16.0
        );
    }
    s += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#bbb\" text-anchor=\"middle\">Hz (1/3-octave bands); the shaded band is the goal's ±1 dB</text>\n\
         <text x=\"{left}\" y=\"18\" fill=\"#ddd\">Balance relative to the reference (+4 dB shelf at 120 Hz, −3 dB bell at 2.5 kHz, +3 dB shelf at 9 kHz)</text>\n",
        (left + w - right) / 2.0,
        h - 12.0
    );
    for (i, (curve, colour, label)) in curves.iter().enumerate() {
        let points: Vec<String> = centres
            .iter()
            .zip(curve.iter())
            .map(|(&f, &d)| format!("{:.1},{:.1}", x(f), y(d.clamp(db_lo, db_hi))))
            .collect();
        s += &format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\" points=\"{}\"/>\n",
            points.join(" ")
        );
        let ly = top + 14.0 + 16.0 * i as f64;
        s += &format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"2.5\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#ddd\">{label}</text>\n",
            w - right - 230.0,
            w - right - 205.0,
            w - right - 198.0,
            ly + 4.0
        );
    }
    s + "</svg>\n"
}
