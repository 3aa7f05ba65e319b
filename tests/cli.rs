//! The `lacquer` CLI end to end: round trips at several rates, layouts and formats, and every
//! bad-input case (one-line error, non-zero exit, no output file left behind).

mod common;
#[path = "common/decode.rs"]
mod decode;
use decode::decode_integers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lacquer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lacquer")).args(args).output().expect("run lacquer")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write_wav(path: &Path, rate: u32, channels: u16, bits: u16, float: bool, frames: usize) -> Vec<Vec<f32>> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut data = vec![Vec::with_capacity(frames); channels as usize];
    for i in 0..frames {
        for (ch, column) in data.iter_mut().enumerate() {
            let t = i as f32 / rate as f32;
            // -14 dBFS programme: below the default ceiling, so the chain is transparent.
            let v = 0.2 * (2.0 * std::f32::consts::PI * (220.0 + 110.0 * ch as f32) * t).sin();
            if float {
                w.write_sample(v).unwrap();
                column.push(v);
            } else {
                let scale = (1i32 << (bits - 1)) as f32;
                let q = (v * scale).round() as i32;
                w.write_sample(q).unwrap();
                column.push(q as f32 / scale);
            }
        }
    }
    w.finalize().unwrap();
    data
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let ch = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|v| v.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>().map(|v| v.unwrap() as f32 / scale).collect()
        }
    };
    let mut out = vec![Vec::new(); ch];
    for frame in samples.chunks(ch) {
        for (c, &v) in frame.iter().enumerate() {
            out[c].push(v);
        }
    }
    (spec, out)
}

fn only_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn round_trips_keep_length_alignment_and_format() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [44_100u32, 48_000, 96_000] {
        for channels in [1u16, 2] {
            for (bits, float) in [(16u16, false), (24, false), (32, true)] {
                let input = dir.path().join(format!("in_{rate}_{channels}_{bits}.wav"));
                let frames = rate as usize / 2 + 123;
                let original = write_wav(&input, rate, channels, bits, float, frames);
                for format in ["32f", "24", "16"] {
                    let output = dir.path().join(format!("out_{rate}_{channels}_{bits}_{format}.wav"));
                    let out = lacquer(&["master", s(&input), s(&output), "--format", format]);
                    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                    let (spec, data) = read_wav(&output);
                    assert_eq!(spec.sample_rate, rate);
                    assert_eq!(spec.channels, channels);
                    assert_eq!(data[0].len(), frames, "length must be kept");
                    // Transparent defaults: the output lines up with the input sample for
                    // sample, within the word length's dither (1.5 LSB) or exactly for float.
                    let tol = match format {
                        "32f" => 1e-6,
                        "24" => 1.5 / 8_388_608.0 + 1e-7,
                        _ => 1.5 / 32_768.0 + 1e-7,
                    };
                    for ch in 0..channels as usize {
                        for i in 0..frames {
                            let d = (data[ch][i] - original[ch][i]).abs();
                            assert!(d <= tol, "{rate} {channels}ch {bits}->{format}: sample {i} off by {d}");
                        }
                    }
                    if format != "32f" {
                        assert_eq!(spec.bits_per_sample.to_string(), format);
                    }
                }
            }
        }
    }
}

#[test]
fn demo_mix_masters_under_the_ceiling_and_analyzes_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let mix = dir.path().join("mix.wav");
    let master = dir.path().join("master.wav");
    assert!(lacquer(&["demo", s(&mix)]).status.success());
    let out = lacquer(&["master", s(&mix), s(&master), "--set", "lim_drive=9", "--set", "lim_ceiling=-1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json = lacquer(&["analyze", "--json", s(&master)]);
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    for key in [
        "file",
        "integrated_lufs",
        "loudness_range_lu",
        "momentary_max_lufs",
        "short_term_max_lufs",
        "true_peak_dbtp",
        "sample_peak_dbfs",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert!(v["true_peak_dbtp"].as_f64().unwrap() <= -1.0);
    let (_, a) = read_wav(&mix);
    let (_, b) = read_wav(&master);
    assert_eq!(a[0].len(), b[0].len());
    // Several files: an array.
    let both = lacquer(&["analyze", "--json", s(&mix), s(&master)]);
    let v: serde_json::Value = serde_json::from_slice(&both.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(2));
}

/// Every failure: non-zero exit, a single line on stderr naming the problem, no output file and
/// no temporary file left in the folder.
fn assert_refused(dir: &Path, args: &[&str], expect: &str) {
    let before = only_files(dir);
    let out = lacquer(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.to_lowercase().contains(expect), "{args:?}: '{stderr}' should mention '{expect}'");
    assert_eq!(only_files(dir), before, "{args:?} left files behind");
}

#[test]
fn bad_input_is_refused_with_one_line_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.wav");
    let good = d.join("good.wav");
    write_wav(&good, 48_000, 2, 24, false, 48_000);

    assert_refused(d, &["master", s(&d.join("missing.wav")), s(&out)], "not found");
    assert_refused(d, &["master", s(d), s(&out)], "not a file");

    let garbage = d.join("garbage.wav");
    std::fs::write(&garbage, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunkjunk").unwrap();
    assert_refused(d, &["master", s(&garbage), s(&out)], "wav");

    let truncated = d.join("truncated.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2 + 1]).unwrap();
    assert_refused(d, &["master", s(&truncated), s(&out)], "truncated");

    let unknown = d.join("noise.flac");
    std::fs::write(&unknown, vec![0x5Au8; 4096]).unwrap();
    assert_refused(d, &["master", s(&unknown), s(&out)], "unsupported");

    let surround = d.join("three.wav");
    write_wav(&surround, 48_000, 3, 16, false, 1000);
    assert_refused(d, &["master", s(&surround), s(&out)], "channels");

    let low = d.join("low.wav");
    write_wav(&low, 4_000, 1, 16, false, 1000);
    assert_refused(d, &["master", s(&low), s(&out)], "sample rate");

    assert_refused(d, &["master", s(&good), s(&good), "--force"], "input");

    std::fs::write(&out, b"precious").unwrap();
    assert_refused(d, &["master", s(&good), s(&out)], "already exists");
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    assert!(lacquer(&["master", s(&good), s(&out), "--force"]).status.success());

    assert_refused(d, &["master", s(&good), s(&d.join("x.wav")), "--set", "lim_ceiling=5"], "between");
    assert_refused(d, &["master", s(&good), s(&d.join("x.wav")), "--set", "nope=1"], "unknown parameter");
    assert_refused(d, &["master", s(&good), s(&d.join("no/such/dir/x.wav"))], "does not exist");
}

/// Programme material unlike the demo: 44.1 kHz, 12 s of tones and noise with a quiet verse and
/// a loud chorus (a real loudness range), so the target search meets a limiter doing real work.
fn write_programme(path: &Path) {
    let rate = 44_100u32;
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut state = 0x2545_F491u32;
    for i in 0..rate as usize * 12 {
        let t = i as f32 / rate as f32;
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state >> 8) as f32 / 16_777_216.0 - 0.5;
        let section = if t < 6.0 { 0.25 } else { 0.7 };
        let beat = (-((t * 2.0).fract()) * 8.0).exp();
        let tone =
            (2.0 * std::f32::consts::PI * 110.0 * t).sin() * 0.5 + (2.0 * std::f32::consts::PI * 660.0 * t).sin() * 0.2;
        let v = section * (tone * (0.5 + 0.5 * beat) + noise * 0.4 * beat);
        w.write_sample(v).unwrap();
        w.write_sample(v * 0.9 + noise * 0.05).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn target_lufs_lands_within_half_a_lu_under_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    let programme = dir.path().join("programme.wav");
    write_programme(&programme);
    for input in [&demo, &programme] {
        for (name, lufs, ceiling) in
            [("streaming", -14.0, -1.0), ("apple", -16.0, -1.0), ("ebu", -23.0, -1.0), ("club", -9.0, -0.3)]
        {
            let out = dir.path().join(format!("{name}.wav"));
            let r = lacquer(&["master", s(input), s(&out), "--force", "--format", "32f", "--target-lufs", name]);
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            let json = lacquer(&["analyze", "--json", s(&out)]);
            let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
            let got = v["integrated_lufs"].as_f64().unwrap();
            let tp = v["true_peak_dbtp"].as_f64().unwrap();
            assert!((got - lufs).abs() <= 0.5, "{name} on {}: {got} LUFS", input.display());
            assert!(tp <= ceiling, "{name} on {}: true peak {tp} over {ceiling}", input.display());
        }
    }
    assert_refused(
        dir.path(),
        &["master", s(&demo), s(&dir.path().join("z.wav")), "--target-lufs", "loud"],
        "target-lufs",
    );
}

/// LUFS and dB values are almost always negative: every way of writing them on the command line
/// is read as a value, never as a flag, and lands where it says.
#[test]
fn negative_numbers_are_values_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    let loudness = |out: &Path| {
        let json = lacquer(&["analyze", "--json", s(out)]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        (v["integrated_lufs"].as_f64().unwrap(), v["true_peak_dbtp"].as_f64().unwrap())
    };
    for (k, target) in [["--target-lufs", "-14"].as_slice(), &["--target-lufs=-14"], &["--target-lufs", "-14.0"]]
        .into_iter()
        .enumerate()
    {
        let out = dir.path().join(format!("target{k}.wav"));
        let mut args = vec!["master", s(&demo), s(&out), "--format", "32f"];
        args.extend_from_slice(target);
        let r = lacquer(&args);
        assert!(r.status.success(), "{target:?}: {}", String::from_utf8_lossy(&r.stderr));
        let (lufs, tp) = loudness(&out);
        assert!((lufs + 14.0).abs() <= 0.5, "{target:?}: {lufs} LUFS");
        assert!(tp <= -1.0, "{target:?}: true peak {tp}");
    }
    // A negative parameter value, in both spellings of --set: the ceiling it names holds.
    for (k, set) in [["--set", "lim_ceiling=-3"].as_slice(), &["--set=lim_ceiling=-3"]].into_iter().enumerate() {
        let out = dir.path().join(format!("ceiling{k}.wav"));
        let mut args = vec!["master", s(&demo), s(&out), "--format", "32f", "--set", "lim_drive=8"];
        args.extend_from_slice(set);
        let r = lacquer(&args);
        assert!(r.status.success(), "{set:?}: {}", String::from_utf8_lossy(&r.stderr));
        let (_, tp) = loudness(&out);
        assert!(tp <= -3.0 && tp > -3.5, "{set:?}: true peak {tp}, expected just under -3 dBTP");
    }
    // A negative target with a negative ceiling on top.
    let out = dir.path().join("both.wav");
    let r =
        lacquer(&["master", s(&demo), s(&out), "--format", "32f", "--target-lufs", "-16", "--set", "lim_ceiling=-2"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let (lufs, tp) = loudness(&out);
    assert!((lufs + 16.0).abs() <= 0.5 && tp <= -2.0, "{lufs} LUFS, {tp} dBTP");
}

fn lacquer_with_presets(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lacquer"))
        .env(lacquer::presets::user::DIR_ENV, dir)
        .args(args)
        .output()
        .expect("run lacquer")
}

#[test]
fn presets_are_listed_slug_first_and_master_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let user_dir = dir.path().join("user");
    let out = lacquer_with_presets(&user_dir, &["presets"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 12, "{text}");
    for (line, preset) in lines.iter().zip(lacquer::presets::factory::presets()) {
        let mut cols = line.split_whitespace();
        assert_eq!(cols.next(), Some(preset.slug.as_str()), "slug first: {line}");
        assert!(line.contains(&preset.name) && line.contains(&preset.intent), "{line}");
    }
    let demo = dir.path().join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    // A preset with a loudness target aims at it; --set applies on top; --no-target renders as set.
    let master = dir.path().join("m.wav");
    let out = lacquer_with_presets(
        &user_dir,
        &["master", s(&demo), s(&master), "--preset", "podcast-voice", "--set", "lim_ceiling=-2", "--format", "32f"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = lacquer(&["analyze", "--json", s(&master)]);
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let lufs = json["integrated_lufs"].as_f64().unwrap();
    assert!((lufs + 16.0).abs() <= 0.5, "podcast preset aims at -16 LUFS, got {lufs}");
    assert!(json["true_peak_dbtp"].as_f64().unwrap() <= -2.0 + 0.1, "the --set ceiling applies: {json}");
    // A user preset saved from the CLI is listed and usable by slug.
    let out = lacquer_with_presets(
        &user_dir,
        &["presets", "save", "My Loud One", "--from", "loud-edm", "--set", "lim_ceiling=-1.5", "--intent", "test"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8(lacquer_with_presets(&user_dir, &["presets"]).stdout).unwrap();
    assert!(listed.lines().any(|l| l.starts_with("my-loud-one ") && l.contains("(user)")), "{listed}");
    let user_master = dir.path().join("u.wav");
    let out = lacquer_with_presets(&user_dir, &["master", s(&demo), s(&user_master), "--preset", "my-loud-one"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Export, delete, import round trip.
    let exported = dir.path().join("exported.json");
    assert!(lacquer_with_presets(&user_dir, &["presets", "export", "my-loud-one", s(&exported)]).status.success());
    assert!(lacquer_with_presets(&user_dir, &["presets", "delete", "my-loud-one"]).status.success());
    assert!(lacquer_with_presets(&user_dir, &["presets", "import", s(&exported)]).status.success());
    let shown = lacquer_with_presets(&user_dir, &["presets", "show", "my-loud-one"]);
    assert!(String::from_utf8(shown.stdout).unwrap().contains("\"lim_ceiling\": -1.5"));
}

#[test]
fn bad_presets_are_refused_with_one_line_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let user_dir = dir.path().join("user");
    std::fs::create_dir_all(&user_dir).unwrap();
    let demo = dir.path().join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    let out_wav = dir.path().join("out.wav");
    for (args, expect) in [
        (vec!["master", s(&demo), s(&out_wav), "--preset", "no-such-preset"], "no preset called 'no-such-preset'"),
        (vec!["presets", "show", "nope"], "no preset called 'nope'"),
        (vec!["presets", "delete", "gentle-glue"], "no user preset called 'gentle-glue'"),
        (vec!["presets", "save", "Gentle Glue"], "factory preset"),
    ] {
        let out = lacquer_with_presets(&user_dir, &args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!out_wav.exists());
    }
    // A future-version file is refused on import and skipped (with a warning) in the listing.
    let future = dir.path().join("future.json");
    let text = lacquer::presets::factory::files()[1].1.replace("\"version\": 1", "\"version\": 3");
    std::fs::write(&future, &text).unwrap();
    let out = lacquer_with_presets(&user_dir, &["presets", "import", s(&future)]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success() && err.contains("newer Lacquer"), "{err}");
    assert!(std::fs::read_dir(&user_dir).unwrap().next().is_none(), "a refused import wrote a file");
    std::fs::write(user_dir.join("future.json"), &text).unwrap();
    let out = lacquer_with_presets(&user_dir, &["presets"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("newer Lacquer"));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), lacquer::presets::factory::files().len());
}

/// FLAC output is lossless: the same master written as FLAC and as WAV decodes to the same
/// integer samples, at 16 and 24 bits, mono and stereo; FLAC cannot hold float samples and
/// other extensions are refused, with nothing left behind.
#[test]
fn flac_output_decodes_bit_identical_to_the_wav_master() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The demo mix driven hard is the material on which flacenc alone wrote gigabyte frames at
    // 24 bits (see `write_flac`); the generated signals cover mono and other rates.
    let demo = d.join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    for (channels, rate) in [(2u16, 48_000u32), (2, 44_100), (1, 96_000)] {
        let input = d.join(format!("in{channels}_{rate}.wav"));
        if rate == 48_000 {
            std::fs::copy(&demo, &input).unwrap();
        } else {
            write_wav(&input, rate, channels, 24, false, rate as usize);
        }
        for bits in [16u32, 24] {
            let (wav, flac) = (d.join(format!("m{rate}_{bits}.wav")), d.join(format!("m{rate}_{bits}.FLAC")));
            for out in [&wav, &flac] {
                let r = lacquer(&["master", s(&input), s(out), "--format", &bits.to_string(), "--set", "lim_drive=6"]);
                assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            }
            let (wr, wc, ws) = decode_integers(&wav, bits);
            let (fr, fc, fs) = decode_integers(&flac, bits);
            assert_eq!((fr, fc), (wr, wc), "{channels} ch {bits} bit: format");
            assert_eq!((fr, fc as u16), (rate, channels));
            assert_eq!(fs.len(), ws.len(), "{channels} ch {bits} bit: length");
            assert!(fs == ws, "{channels} ch {bits} bit: FLAC samples differ from the WAV master");
            assert!(ws.iter().any(|&v| v != 0), "silent master");
            assert!(std::fs::metadata(&flac).unwrap().len() < std::fs::metadata(&wav).unwrap().len());
        }
    }
    let input = d.join("in2_44100.wav");
    assert_refused(d, &["master", s(&input), s(&d.join("f.flac")), "--format", "32f"], "integer");
    assert_refused(d, &["master", s(&input), s(&d.join("f.mp3"))], "unsupported output");
}

/// A hot stereo programme at `rate`: drums over a sustained bass and a chord, peaking near full
/// scale (so every profile's limiter works), written as 24-bit WAV.
fn write_hot_programme(path: &Path, rate: u32, seconds: f64) {
    let fs = rate as f64;
    let drums = common::drums(fs, seconds, 5);
    let spec =
        hound::WavSpec { channels: 2, sample_rate: rate, bits_per_sample: 24, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for (i, d) in drums.iter().enumerate() {
        let t = i as f64 / fs;
        let bass = 0.3 * (std::f64::consts::TAU * 55.0 * t).sin();
        let chord: f64 =
            [261.6, 329.6, 392.0].iter().map(|f| (std::f64::consts::TAU * f * t).sin()).sum::<f64>() * 0.06;
        for v in [*d as f64 * 0.6 + bass + chord, *d as f64 * 0.5 + bass - chord] {
            w.write_sample((v.clamp(-1.0, 1.0) * 8_388_607.0).round() as i32).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Largest 16x true peak of a file (independent reconstruction, not the code under test), dB.
fn true_peak_16x_db(path: &Path) -> f64 {
    let (_, channels) = read_any(path);
    channels.iter().map(|c| common::true_peak_16x(c).into_iter().fold(0f32, f32::max)).fold(0f32, f32::max) as f64
}

/// Planar f32 samples of a WAV or FLAC file (decoded with symphonia), with its sample rate.
fn read_any(path: &Path) -> (u32, Vec<Vec<f32>>) {
    let (rate, channels, ints) = decode_integers(path, 24);
    let planar = (0..channels)
        .map(|c| ints.iter().skip(c).step_by(channels).map(|&v| v as f32 / 8_388_608.0).collect())
        .collect();
    (rate, planar)
}

/// Every delivery profile from sources at other rates: the delivered rate, word length and
/// container are the profile's, the loudness target is met within 0.5 LU, and the 16x true peak
/// of the delivered file is within 0.1 dB of the profile's ceiling (the conversion runs before
/// the chain, so the limiter controls the peaks at the delivered rate).
#[test]
fn delivery_profiles_deliver_their_format_loudness_and_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (hi48, hi44, cd_src) = (d.join("src96k.wav"), d.join("src88k.wav"), d.join("src48k.wav"));
    write_hot_programme(&hi48, 96_000, 6.0);
    write_hot_programme(&hi44, 88_200, 6.0);
    write_hot_programme(&cd_src, 48_000, 6.0);
    let low = d.join("src44k.wav");
    write_hot_programme(&low, 44_100, 6.0);
    // (profile, source, output, rate, bits, target LUFS, ceiling dBTP)
    type Case<'a> = (&'a str, &'a Path, &'a str, u32, u16, Option<f64>, f64);
    let cases: [Case; 6] = [
        ("cd", &cd_src, "cd.wav", 44_100, 16, None, -1.0),
        ("streaming", &hi48, "streaming48.flac", 48_000, 24, Some(-14.0), -1.0),
        ("streaming", &hi44, "streaming44.flac", 44_100, 24, Some(-14.0), -1.0),
        ("apple", &hi48, "apple.wav", 96_000, 24, Some(-16.0), -1.0),
        ("broadcast", &low, "broadcast.wav", 48_000, 24, Some(-23.0), -1.0),
        ("vinyl", &hi44, "vinyl.wav", 88_200, 24, None, -3.0),
    ];
    for (profile, source, name, rate, bits, lufs, ceiling) in cases {
        let out = d.join(name);
        let r = lacquer(&["master", s(source), s(&out), "--deliver", profile]);
        assert!(r.status.success(), "{profile}: {}", String::from_utf8_lossy(&r.stderr));
        let json = lacquer(&["analyze", "--json", s(&out)]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(v["sample_rate"].as_u64(), Some(rate as u64), "{profile}: rate");
        if name.ends_with(".wav") {
            let (spec, _) = read_wav(&out);
            assert_eq!(spec.bits_per_sample, bits, "{profile}: word length");
        } else {
            let (_, _, ints) = decode_integers(&out, 24);
            // 24-bit content: not all on a coarser grid.
            assert!(ints.iter().any(|v| v % 256 != 0), "{profile}: FLAC holds 24-bit samples");
        }
        if let Some(lufs) = lufs {
            let got = v["integrated_lufs"].as_f64().unwrap();
            assert!((got - lufs).abs() <= 0.5, "{profile}: {got} LUFS, target {lufs}");
        }
        let tp = true_peak_16x_db(&out);
        let tp_db = 20.0 * tp.log10();
        println!("{profile} -> {name}: 16x true peak {tp_db:.2} dBTP (ceiling {ceiling})");
        assert!(tp_db <= ceiling + 0.1, "{profile}: 16x true peak {tp_db:.3} dBTP over {ceiling}");
    }
    // Vinyl pushes no level: no limiter drive, so the pre-master is never louder than its mix.
    let integrated = |p: &Path| {
        let json = lacquer(&["analyze", "--json", s(p)]);
        serde_json::from_slice::<serde_json::Value>(&json.stdout).unwrap()["integrated_lufs"].as_f64().unwrap()
    };
    let (mix, vinyl) = (integrated(&hi44), integrated(&d.join("vinyl.wav")));
    assert!(vinyl <= mix + 0.1, "vinyl pre-master {vinyl} LUFS louder than its mix {mix}");
    // Refusals, one line each, nothing written.
    assert_refused(d, &["master", s(&hi48), s(&d.join("x.wav")), "--deliver", "streaming"], "name the output .flac");
    assert_refused(
        d,
        &["master", s(&hi48), s(&d.join("x.flac")), "--deliver", "streaming", "--format", "16"],
        "drop --format",
    );
    assert_refused(d, &["master", s(&hi48), s(&d.join("x.wav")), "--deliver", "dvd"], "unknown delivery profile");
}

/// Independent MP3 round trip for the test: LAME at 320 kbps (the encoder the CLI uses, driven
/// here directly), decoded with symphonia, measured with the `ebur128` crate's true-peak meter
/// (a port of libebur128, not Lacquer's meter). dBTP.
fn mp3_true_peak_independent(path: &Path) -> f64 {
    use mp3lame_encoder::{Bitrate, Builder, DualPcm, FlushNoGap, Quality};
    let (rate, planar) = read_any(path);
    let mut enc = Builder::new().unwrap();
    enc.set_num_channels(2).unwrap();
    enc.set_sample_rate(rate).unwrap();
    enc.set_brate(Bitrate::Kbps320).unwrap();
    enc.set_quality(Quality::Best).unwrap();
    let mut enc = enc.build().unwrap();
    let mut mp3 = Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(planar[0].len()));
    enc.encode_to_vec(DualPcm { left: &planar[0], right: &planar[1] }, &mut mp3).unwrap();
    mp3.reserve(mp3lame_encoder::max_required_buffer_size(8192));
    enc.flush_to_vec::<FlushNoGap>(&mut mp3).unwrap();
    let decoded_path = path.with_extension("roundtrip.mp3");
    std::fs::write(&decoded_path, &mp3).unwrap();
    let (_, channels, ints) = decode_integers(&decoded_path, 32);
    std::fs::remove_file(&decoded_path).unwrap();
    let interleaved: Vec<f32> = ints.iter().map(|&v| v as f32 / 2_147_483_648.0).collect();
    let mut meter = ebur128::EbuR128::new(channels as u32, rate, ebur128::Mode::TRUE_PEAK).unwrap();
    meter.add_frames_f32(&interleaved).unwrap();
    let peak = (0..channels as u32).map(|c| meter.true_peak(c).unwrap()).fold(0.0, f64::max);
    20.0 * peak.log10()
}

/// Lossy coding raises the peaks of a hard-limited master over its ceiling; the CLI says so, and
/// `--codec-safe` renders again with the limiter lowered until the MP3 round trip of the master
/// stays under the ceiling, as an independent encode, decode and meter confirm.
#[test]
fn codec_safe_keeps_the_mp3_round_trip_under_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let source = d.join("hot.wav");
    write_hot_programme(&source, 44_100, 6.0);
    let plain = d.join("plain.wav");
    let r = lacquer(&["master", s(&source), s(&plain), "--set", "lim_drive=10", "--format", "32f"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("MP3 320 kbps round trip"), "no codec report");
    let plain_mp3 = mp3_true_peak_independent(&plain);
    println!("plain master: MP3 round trip {plain_mp3:.2} dBTP");
    assert!(plain_mp3 > -1.0, "this material should overshoot after MP3 ({plain_mp3:.2} dBTP)");
    assert!(String::from_utf8_lossy(&r.stderr).contains("over the -1.0 dBTP ceiling"), "no warning");

    let safe = d.join("safe.wav");
    let r = lacquer(&["master", s(&source), s(&safe), "--set", "lim_drive=10", "--format", "32f", "--codec-safe"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("codec-safe:"), "{out}");
    let safe_mp3 = mp3_true_peak_independent(&safe);
    println!("codec-safe master: MP3 round trip {safe_mp3:.2} dBTP");
    assert!(safe_mp3 <= -1.0 + 0.1, "codec-safe MP3 round trip at {safe_mp3:.2} dBTP");
    assert!(!String::from_utf8_lossy(&r.stderr).contains("warning"), "{}", String::from_utf8_lossy(&r.stderr));
}

/// Amplitudes of the sines at `freqs` in `x`, fitted jointly (least squares on a sine and a
/// cosine per frequency plus DC, solved by Gaussian elimination), so no tone leaks into
/// another's estimate.
fn sine_amplitudes(x: &[f32], freqs: &[f64], rate: u32) -> Vec<f64> {
    let n = 2 * freqs.len() + 1;
    let mut a = vec![vec![0.0f64; n + 1]; n];
    let mut basis = vec![0.0f64; n];
    for (i, &y) in x.iter().enumerate() {
        basis[0] = 1.0;
        for (k, f) in freqs.iter().enumerate() {
            let (s, c) = (std::f64::consts::TAU * f * i as f64 / rate as f64).sin_cos();
            (basis[1 + 2 * k], basis[2 + 2 * k]) = (s, c);
        }
        for (r, row) in a.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().take(n).enumerate() {
                *cell += basis[r] * basis[c];
            }
            row[n] += basis[r] * y as f64;
        }
    }
    for col in 0..n {
        let pivot = (col..n).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs())).unwrap();
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let factor = row[col] / pivot_row[col];
                for (cell, p) in row.iter_mut().zip(&pivot_row) {
                    *cell -= factor * p;
                }
            }
        }
    }
    let coef: Vec<f64> = a.iter().enumerate().map(|(r, row)| row[n] / row[r]).collect();
    (0..freqs.len()).map(|k| coef[1 + 2 * k].hypot(coef[2 + 2 * k])).collect()
}

/// Sample-rate conversion through the CLI, measured on the delivered files: a 96 kHz source of
/// equal tones in the passband (1 kHz and 19.5 kHz) and above the new Nyquist frequency (24.1,
/// 30 and 40 kHz, which would alias to 20.0/23.9, 14.1/18.0 and 4.1/8.0 kHz) delivered for CD
/// (44.1 kHz, 16-bit) and streaming (48 kHz, 24-bit FLAC) with the chain otherwise transparent
/// (no target, peaks under the ceiling). Passband tones keep their level within 0.01 dB; every
/// alias into the audio band (up to 20 kHz) is at least 100 dB below the tone it comes from
/// (the stopband figure), which
/// the dithered 16-bit floor still lets a 2 s fit resolve.
#[test]
fn delivery_rate_conversion_keeps_the_passband_and_rejects_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rate, amp) = (96_000u32, 0.15);
    let tones = [1_000.0, 19_500.0, 24_100.0, 30_000.0, 40_000.0];
    let source = d.join("tones96k.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&source, spec).unwrap();
    for i in 0..2 * rate as usize {
        let t = i as f64 / rate as f64;
        let v: f64 = tones.iter().map(|f| amp * (std::f64::consts::TAU * f * t).sin()).sum();
        w.write_sample(v as f32).unwrap();
        w.write_sample(v as f32).unwrap();
    }
    w.finalize().unwrap();
    for (profile, name, out_rate) in [("cd", "cd.wav", 44_100u32), ("streaming", "streaming.flac", 48_000)] {
        let out = d.join(name);
        let r = lacquer(&["master", s(&source), s(&out), "--deliver", profile, "--no-target"]);
        assert!(r.status.success(), "{profile}: {}", String::from_utf8_lossy(&r.stderr));
        let (got_rate, channels) = read_any(&out);
        assert_eq!(got_rate, out_rate);
        let nyquist = out_rate as f64 / 2.0;
        let alias = |f: f64| if f > nyquist { out_rate as f64 - f } else { f };
        let fitted_freqs: Vec<f64> = tones.iter().map(|&f| alias(f)).collect();
        // Away from the ends (the converter's and the chain's edges).
        let x = &channels[0][out_rate as usize / 5..channels[0].len() - out_rate as usize / 5];
        let amps = sine_amplitudes(x, &fitted_freqs, out_rate);
        for (&f, &a) in tones.iter().zip(&amps) {
            let db = 20.0 * (a / amp).log10();
            println!("{profile}: {f} Hz -> {:.1} Hz at {db:+.4} dB", alias(f));
            if f < 20_001.0 {
                assert!(db.abs() <= 0.01, "{profile}: passband tone {f} Hz at {db:+.4} dB");
            } else if alias(f) <= 20_001.0 {
                // Into the audio band: the stopband. (At 48 kHz, 24.1 kHz folds to 23.9 kHz, in
                // the converter's transition band above the audio band; printed only.)
                assert!(db <= -100.0, "{profile}: {f} Hz aliased to {:.1} Hz at {db:.1} dB", alias(f));
            }
        }
    }
}

/// The limiter style is set by its stable ID or its name through the shared validator, reaches
/// the chain (each style renders differently, every one under the ceiling), and a style that
/// does not exist is refused in one line with nothing written.
#[test]
fn limiter_style_is_settable_by_id_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    let mut renders = Vec::new();
    for (k, style) in ["transparent", "punchy", "Aggressive", "safe"].into_iter().enumerate() {
        let out = dir.path().join(format!("style{k}.wav"));
        let set = format!("lim_style={style}");
        let r = lacquer(&["master", s(&demo), s(&out), "--format", "32f", "--set", "lim_drive=8", "--set", &set]);
        assert!(r.status.success(), "{style}: {}", String::from_utf8_lossy(&r.stderr));
        let (_, channels) = read_wav(&out);
        let tp = channels.iter().flat_map(|c| common::true_peak_16x(c)).fold(0f32, f32::max) as f64;
        assert!(20.0 * tp.log10() <= -1.0 + 0.1, "{style}: 16x true peak over the -1 dBTP ceiling");
        renders.push(channels);
    }
    for (k, render) in renders.iter().enumerate().skip(1) {
        assert_ne!(render, &renders[0], "style {k} renders the same as transparent");
    }
    let d = dir.path();
    assert_refused(d, &["master", s(&demo), s(&d.join("x.wav")), "--set", "lim_style=loudest"], "lim_style");
}
