//! `lacquer album` end to end. The tracks are generated here (tone-plus-noise programmes of
//! different loudness, at 44.1, 48 and 96 kHz, mono and stereo, 16-bit, 24-bit and float), and
//! everything the album promises is checked on the files it writes, with independent tools:
//! symphonia decodes them, the `ebur128` crate (a port of libebur128, not Lacquer's meter)
//! measures them, and the positions are found in the audio itself.

mod common;
#[path = "common/decode.rs"]
mod decode;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lacquer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lacquer")).args(args).output().expect("run lacquer")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// CD frames per second (the CUE sheet's unit).
const CUE_FPS: u64 = 75;

/// One generated track: a sine at `freq` whose level alternates between `amp` and 0.7 `amp`
/// every second, over noise about 15 dB below (low-passed at 2 kHz by two one-pole filters, so
/// that no converter removes any of it and the loudness of every track survives the conversion
/// to the delivery rate), at full level from the first sample (so the
/// first sample of the track is not silence). The last `quiet_s` seconds hold only a 441 Hz
/// sine at `quiet_amp`: a passage whose low bits the dither decides.
struct Track {
    name: &'static str,
    rate: u32,
    channels: usize,
    /// 16 or 24 (integer) or 32 (float).
    bits: u16,
    seconds: f64,
    amp: f64,
    freq: f64,
    quiet_s: f64,
    quiet_amp: f64,
}

impl Track {
    fn frames(&self) -> usize {
        (self.seconds * self.rate as f64).round() as usize
    }

    /// The samples as written (quantised like the file), planar.
    fn write(&self, path: &Path, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = common::TestRng(seed);
        let fs = self.rate as f64;
        let quiet_from = self.frames() - (self.quiet_s * fs).round() as usize;
        let spec = hound::WavSpec {
            channels: self.channels as u16,
            sample_rate: self.rate,
            bits_per_sample: self.bits,
            sample_format: if self.bits == 32 { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        let mut data = vec![Vec::with_capacity(self.frames()); self.channels];
        let a = 1.0 - (-std::f64::consts::TAU * 2_000.0 / fs).exp();
        let mut lp = vec![[0.0f64; 2]; self.channels];
        for i in 0..self.frames() {
            let t = i as f64 / fs;
            for (ch, column) in data.iter_mut().enumerate() {
                let state = &mut lp[ch];
                state[0] += a * (rng.uniform() - state[0]);
                state[1] += a * (state[0] - state[1]);
                let v = if i >= quiet_from {
                    self.quiet_amp * (std::f64::consts::TAU * 441.0 * t).sin()
                } else {
                    let level = if (t as usize).is_multiple_of(2) { 1.0 } else { 0.7 };
                    let phase = 0.5 + ch as f64;
                    level * self.amp * (std::f64::consts::TAU * self.freq * t + phase).sin() + self.amp * state[1]
                };
                let stored = if self.bits == 32 {
                    w.write_sample(v as f32).unwrap();
                    v as f32 as f64
                } else {
                    let scale = (1i64 << (self.bits - 1)) as f64;
                    let q = (v * scale).round() as i32;
                    w.write_sample(q).unwrap();
                    q as f64 / scale
                };
                column.push(stored);
            }
        }
        w.finalize().unwrap();
        data
    }
}

/// A decoded file: rate, channel count and interleaved integer samples at `bits`.
struct Decoded {
    rate: u32,
    channels: usize,
    samples: Vec<i32>,
    bits: u32,
}

impl Decoded {
    fn frames(&self) -> usize {
        self.samples.len() / self.channels
    }
    fn frame(&self, i: usize) -> &[i32] {
        &self.samples[i * self.channels..(i + 1) * self.channels]
    }
    fn frames_range(&self, from: usize, to: usize) -> &[i32] {
        &self.samples[from * self.channels..to * self.channels]
    }
    fn interleaved_f32(&self, from: usize, to: usize) -> Vec<f32> {
        let scale = (1i64 << (self.bits - 1)) as f32;
        self.frames_range(from, to).iter().map(|&v| v as f32 / scale).collect()
    }
}

/// WAV or FLAC decoded with symphonia, shifted back to `bits`.
fn decode(path: &Path, bits: u32) -> Decoded {
    let (rate, channels, samples) = decode::decode_integers(path, bits);
    Decoded { rate, channels, samples, bits }
}

/// Independent loudness figures.
#[derive(Debug, Clone, Copy)]
struct Loudness {
    integrated: f64,
    lra: f64,
    momentary_max: f64,
    short_term_max: f64,
    true_peak_db: f64,
}

/// The `ebur128` crate's figures of interleaved f32 audio. As Tech 3342 asks of file-based
/// meters, 1.5 s of silence is appended before the LRA is taken, so the last short-term
/// windows cover the end of the file (libebur128 itself does not). The integrated loudness is
/// read before that (the gating blocks that would overlap the silence are not the file's).
fn ebu(interleaved: &[f32], channels: usize, rate: u32) -> Loudness {
    use ebur128::{EbuR128, Mode};
    let mut m = EbuR128::new(channels as u32, rate, Mode::I | Mode::LRA | Mode::M | Mode::S | Mode::TRUE_PEAK).unwrap();
    // Fed in 10 ms pieces, reading the momentary and short-term values after each one, so the
    // maxima are taken on a 10 ms grid.
    let (mut m_max, mut s_max) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for piece in interleaved.chunks(channels * rate as usize / 100) {
        m.add_frames_f32(piece).unwrap();
        m_max = m_max.max(m.loudness_momentary().unwrap());
        s_max = s_max.max(m.loudness_shortterm().unwrap());
    }
    // Integrated before the silence: its partial blocks at the end would count otherwise.
    let integrated = m.loudness_global().unwrap();
    m.add_frames_f32(&vec![0.0; channels * rate as usize * 3 / 2]).unwrap();
    let tp = (0..channels as u32).map(|c| m.true_peak(c).unwrap()).fold(0.0, f64::max);
    Loudness {
        integrated,
        lra: m.loudness_range().unwrap(),
        momentary_max: m_max,
        short_term_max: s_max,
        true_peak_db: 20.0 * tp.log10(),
    }
}

/// Source loudness as the album sees it: a mono track as the same signal in both channels.
fn ebu_source(planar: &[Vec<f64>], rate: u32) -> Loudness {
    let left = &planar[0];
    let right = planar.get(1).unwrap_or(left);
    let interleaved: Vec<f32> = left.iter().zip(right).flat_map(|(&l, &r)| [l as f32, r as f32]).collect();
    ebu(&interleaved, 2, rate)
}

/// The `INDEX 01` positions of album.cue, in CD frames, with the file it names.
fn cue_starts(path: &Path) -> (String, Vec<u64>) {
    let text = std::fs::read_to_string(path).unwrap();
    let file = text.lines().next().unwrap().to_string();
    let mut starts = Vec::new();
    for (k, line) in text.lines().filter(|l| l.trim_start().starts_with("TRACK")).enumerate() {
        assert_eq!(line.trim(), format!("TRACK {:02} AUDIO", k + 1), "{text}");
    }
    for line in text.lines() {
        if let Some(t) = line.trim().strip_prefix("INDEX 01 ") {
            let p: Vec<u64> = t.split(':').map(|v| v.parse().unwrap()).collect();
            assert_eq!(p.len(), 3, "{line}");
            assert!(p[1] < 60 && p[2] < CUE_FPS, "{line}");
            starts.push((p[0] * 60 + p[1]) * CUE_FPS + p[2]);
        }
    }
    (file, starts)
}

/// The track files of an album folder, in order (`01 …`, `02 …`).
fn track_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.as_bytes()[0].is_ascii_digit() && name.ends_with(&format!(".{ext}"))
        })
        .collect();
    v.sort();
    v
}

/// Where each track really is in the album file, checked against album.cue.
struct Sequence {
    album: Decoded,
    tracks: Vec<Decoded>,
    /// First sample of each track in the album.
    starts: Vec<usize>,
    /// Silent samples before each track (0 for the first).
    silences: Vec<usize>,
}

/// Checks the album sample by sample: every track file's samples are found in album.<ext>
/// (searched over every position, found exactly once, at the CUE's `INDEX 01`); the album is
/// digital silence from the end of one track to the start of the next, and the first sample that
/// is not silent is the track's first; each track starts on the first CD frame after the end of
/// the previous one plus `gap_frames`; the album ends with the last track.
fn check_sequence(dir: &Path, ext: &str, rate: u32, bits: u32, gap_frames: u64) -> Sequence {
    let album = decode(&dir.join(format!("album.{ext}")), bits);
    assert_eq!((album.rate, album.channels), (rate, 2), "album format");
    let (file_line, cue) = cue_starts(&dir.join("album.cue"));
    assert_eq!(file_line, format!("FILE \"album.{ext}\" WAVE"));
    let tracks: Vec<Decoded> = track_files(dir, ext).iter().map(|p| decode(p, bits)).collect();
    assert_eq!(cue.len(), tracks.len(), "one INDEX 01 per track");
    // At 44.1 and 48 kHz a CD frame is a whole number of samples (588, 640).
    assert_eq!(rate as u64 % CUE_FPS, 0);
    let per_frame = (rate as u64 / CUE_FPS) as usize;
    let (mut starts, mut silences) = (Vec::new(), Vec::new());
    let mut previous_end = 0usize;
    for (k, (track, &frame)) in tracks.iter().zip(&cue).enumerate() {
        assert_eq!((track.rate, track.channels), (rate, 2), "track {} format", k + 1);
        let expected_frame = if k == 0 { 0 } else { previous_end.div_ceil(per_frame) as u64 + gap_frames };
        assert_eq!(frame, expected_frame, "track {}: CUE frame", k + 1);
        let start = frame as usize * per_frame;
        // The track file is the album's samples from the CUE position on, exactly.
        assert_eq!(
            album.frames_range(start, start + track.frames()),
            &track.samples[..],
            "track {}: album samples at the CUE position differ from the track file",
            k + 1
        );
        // ... and nowhere else: its opening 32 frames occur once in the whole album.
        let head = track.frames_range(0, 32);
        let found: Vec<usize> = (0..=album.frames() - 32).filter(|&o| album.frames_range(o, o + 32) == head).collect();
        assert_eq!(found, [start], "track {}: opening found at {found:?}, CUE says {start}", k + 1);
        // The gap is digital silence and the track's first sample is the first that is not.
        let first_sound = (previous_end..album.frames()).find(|&i| album.frame(i).iter().any(|&v| v != 0)).unwrap();
        assert_eq!(first_sound, start, "track {}: sound begins at {first_sound}, CUE says {start}", k + 1);
        silences.push(start - previous_end);
        starts.push(start);
        previous_end = start + track.frames();
    }
    assert_eq!(album.frames(), previous_end, "the album ends with its last track");
    Sequence { album, tracks, starts, silences }
}

/// report.png decodes as a PNG of 1200 x 760 pixels (the size the README states) and shows
/// what it promises: a line in each track's colour, the red target/ceiling lines, text.
fn check_png(dir: &Path, tracks: usize) {
    let path = dir.join("report.png");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG image data");
    assert_eq!((info.width, info.height), (1200, 760), "report.png size");
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()].chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
    let count = |rgb: [u8; 3]| pixels.iter().filter(|&&p| p == rgb).count();
    // The first tracks' colours and the red of the target and ceiling lines, as drawn.
    let colours = [[31u8, 119, 180], [255, 127, 14], [44, 160, 44]];
    for (k, rgb) in colours.iter().enumerate().take(tracks) {
        assert!(count(*rgb) > 200, "track {} colour: {} pixels", k + 1, count(*rgb));
    }
    assert!(count([214, 39, 40]) > 500, "target/ceiling lines: {} pixels", count([214, 39, 40]));
    // Text and axes: dark pixels.
    assert!(pixels.iter().filter(|p| p.iter().all(|&c| c < 60)).count() > 2000, "no text or axes");
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// report.json agrees with the independent measurement of the written files: integrated and
/// the momentary/short-term maxima within Tech 3341's ±0.1 LU, LRA within Tech 3342's ±1 LU,
/// true peak within Tech 3341's +0.2/-0.4 dB, positions and durations to the sample (start
/// times are reported to the millisecond).
fn check_report_entry(
    what: &str,
    entry: &serde_json::Value,
    measured: Loudness,
    start: usize,
    frames: usize,
    rate: u32,
) {
    let (i, lra, m, st, tp) = (
        f(&entry["integrated_lufs"]),
        f(&entry["loudness_range_lu"]),
        f(&entry["momentary_max_lufs"]),
        f(&entry["short_term_max_lufs"]),
        f(&entry["true_peak_dbtp"]),
    );
    println!(
        "{what}: report I {i:.2} LRA {lra:.2} M {m:.2} S {st:.2} TP {tp:.2} | ebur128 I {:.2} LRA {:.2} M {:.2} S {:.2} TP {:.2}",
        measured.integrated, measured.lra, measured.momentary_max, measured.short_term_max, measured.true_peak_db
    );
    assert!((i - measured.integrated).abs() <= 0.1, "{what}: integrated");
    assert!((m - measured.momentary_max).abs() <= 0.1, "{what}: momentary max");
    assert!((st - measured.short_term_max).abs() <= 0.1, "{what}: short-term max");
    assert!((lra - measured.lra).abs() <= 1.0, "{what}: LRA");
    assert!((-0.4..=0.2).contains(&(tp - measured.true_peak_db)), "{what}: true peak");
    assert!((f(&entry["plr_db"]) - (tp - i)).abs() <= 0.011, "{what}: PLR");
    assert!((f(&entry["start_s"]) - start as f64 / rate as f64).abs() <= 0.0005, "{what}: start");
    assert!((f(&entry["duration_s"]) - frames as f64 / rate as f64).abs() <= 1e-6, "{what}: duration");
    assert!(f(&entry["codec_true_peak_dbtp"]).is_finite(), "{what}: codec true peak");
    let gain = f(&entry["limiter_drive_db"]) + f(&entry["output_trim_db"]);
    assert!((f(&entry["gain_applied_db"]) - gain).abs() <= 0.011, "{what}: gain");
}

/// The 44.1 kHz 24-bit single (24-bit so that its source quantisation adds nothing measurable
/// to the dither check), the 48 kHz 16-bit mono ballad (6 dB quieter) and the 96 kHz float
/// interlude.
fn album_tracks() -> [Track; 3] {
    [
        Track {
            name: "Single",
            rate: 44_100,
            channels: 2,
            bits: 24,
            seconds: 6.0,
            amp: 0.12,
            freq: 997.0,
            quiet_s: 1.5,
            quiet_amp: 3e-4,
        },
        Track {
            name: "Ballad",
            rate: 48_000,
            channels: 1,
            bits: 16,
            seconds: 5.0,
            amp: 0.06,
            freq: 330.0,
            quiet_s: 0.0,
            quiet_amp: 0.0,
        },
        Track {
            name: "Interlude",
            rate: 96_000,
            channels: 2,
            bits: 32,
            seconds: 4.0,
            amp: 0.08,
            freq: 660.0,
            quiet_s: 0.0,
            quiet_amp: 0.0,
        },
    ]
}

/// Least-squares fit of a + b sin + c cos at `freq` to `x` (in LSB); returns (DC, amplitude,
/// RMS of the residual).
fn fit_sine(x: &[f64], freq: f64, rate: u32) -> (f64, f64, f64) {
    let w = std::f64::consts::TAU * freq / rate as f64;
    // Normal equations of the 3x3 problem, solved by Cramer's rule.
    let basis = |i: usize| {
        let (s, c) = (w * i as f64).sin_cos();
        [1.0, s, c]
    };
    let mut ata = [[0.0f64; 3]; 3];
    let mut aty = [0.0f64; 3];
    for (i, &y) in x.iter().enumerate() {
        let b = basis(i);
        for r in 0..3 {
            for (c, bc) in b.iter().enumerate() {
                ata[r][c] += b[r] * bc;
            }
            aty[r] += b[r] * y;
        }
    }
    let det3 = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det3(ata);
    let mut coef = [0.0; 3];
    for (k, out) in coef.iter_mut().enumerate() {
        let mut m = ata;
        for (row, &v) in m.iter_mut().zip(&aty) {
            row[k] = v;
        }
        *out = det3(m) / d;
    }
    let residual = x
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let b = basis(i);
            let e = y - (coef[0] + coef[1] * b[1] + coef[2] * b[2]);
            e * e
        })
        .sum::<f64>()
        / x.len() as f64;
    (coef[0], coef[1].hypot(coef[2]), residual.sqrt())
}

/// An album of tracks at 44.1, 48 (mono) and 96 kHz delivered for CD with a gap of 1.234 s and
/// a -14 LUFS target, one album gain: positions, gaps, format, dither, loudness and report.
#[test]
fn cd_album_of_mixed_rates_is_sample_exact_at_one_album_gain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tracks = album_tracks();
    let mut paths = Vec::new();
    let mut sources = Vec::new();
    for (k, t) in tracks.iter().enumerate() {
        let p = d.join(format!("{}.wav", t.name));
        sources.push(t.write(&p, 11 + k as u64));
        paths.push(p);
    }
    let src_loudness: Vec<f64> =
        tracks.iter().zip(&sources).map(|(t, data)| ebu_source(data, t.rate).integrated).collect();
    println!("sources: {src_loudness:.2?} LUFS");
    let out = d.join("cd");
    let mut args = vec!["album", s(&out)];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--deliver", "cd", "--target-lufs", "-14", "--gap", "1.234"]);
    let r = lacquer(&args);
    let stdout = String::from_utf8_lossy(&r.stdout).into_owned();
    assert!(r.status.success(), "{stdout}{}", String::from_utf8_lossy(&r.stderr));
    println!("{stdout}");
    // The files, named by track number and title.
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        ["01 Single.wav", "02 Ballad.wav", "03 Interlude.wav", "album.cue", "album.wav", "report.json", "report.png"]
    );
    // CD format: 44.1 kHz, 16-bit integer, stereo (the mono ballad upmixed, and said so).
    for name in ["album.wav", "01 Single.wav", "02 Ballad.wav", "03 Interlude.wav"] {
        let spec = hound::WavReader::open(out.join(name)).unwrap().spec();
        assert_eq!(
            (spec.sample_rate, spec.bits_per_sample, spec.channels, spec.sample_format),
            (44_100, 16, 2, hound::SampleFormat::Int),
            "{name}"
        );
    }
    assert!(stdout.contains("Ballad.wav: mono, upmixed to stereo"), "{stdout}");
    // Gap: round(1.234 s x 75) = 93 frames (1.24 s), as reported.
    let gap_frames = (1.234f64 * CUE_FPS as f64).round() as u64;
    assert_eq!(gap_frames, 93);
    assert!(stdout.contains("gap 1.234 s -> 93 CD frames (1.2400 s)"), "{stdout}");
    let seq = check_sequence(&out, "wav", 44_100, 16, gap_frames);
    for (k, &silence) in seq.silences.iter().enumerate().skip(1) {
        // The rounded gap plus the padding of the previous track to a frame boundary.
        assert!((93 * 588..94 * 588).contains(&silence), "gap before track {}: {silence}", k + 1);
        assert!(stdout.contains(&format!("gap before track {:02}: {silence} samples", k + 1)), "{stdout}");
    }
    println!(
        "starts {:?} (CD frames {:?}), gaps {:?} samples",
        seq.starts,
        seq.starts.iter().map(|s| s / 588).collect::<Vec<_>>(),
        seq.silences
    );
    // Every track whole: its length at 44.1 kHz is its source's duration.
    for (t, decoded) in tracks.iter().zip(&seq.tracks) {
        assert_eq!(decoded.frames(), (t.seconds * 44_100.0) as usize, "{}: length", t.name);
    }
    // The ballad was mono: both channels carry the same signal, each dithered on its own
    // (independent TPDF per channel), so they differ by at most 2 LSB and not always.
    let ballad = &seq.tracks[1].samples;
    assert!(ballad.chunks(2).all(|fr| (fr[0] - fr[1]).abs() <= 2), "ballad not dual mono");
    assert!(ballad.chunks(2).any(|fr| fr[0] != fr[1]), "ballad channels dithered alike");
    // The single (44.1 kHz, no conversion) lines up with its source sample for sample: the
    // cross-correlation of the loud part peaks at lag 0.
    {
        let master: Vec<f64> = seq.tracks[0].samples.iter().step_by(2).map(|&v| v as f64).collect();
        let src = &sources[0][0];
        let n = 44_100 * 4;
        let corr = |lag: i64| -> f64 { (1000..n).map(|i| master[i] * src[(i as i64 + lag) as usize]).sum() };
        let best = (-200..=200).max_by(|&a, &b| corr(a).total_cmp(&corr(b))).unwrap();
        assert_eq!(best, 0, "the single is offset by {best} samples from its source");
    }
    // Dither: in the single's quiet tail (a 441 Hz sine a few LSB high), the 16-bit samples
    // minus the fitted sine leave 0.5 LSB RMS of error with no DC, the signature of TPDF dither
    // (LSB^2/12 rounding + LSB^2/6 dither); plain rounding would leave at most 0.29 LSB and
    // truncation a DC of -0.5 LSB.
    {
        let t = &seq.tracks[0];
        let len = t.frames();
        let (from, to) = (len - (1.3 * 44_100.0) as usize, len - (0.1 * 44_100.0) as usize);
        for ch in 0..2 {
            let x: Vec<f64> = (from..to).map(|i| t.frame(i)[ch] as f64).collect();
            let (dc, amp, rms) = fit_sine(&x, 441.0, 44_100);
            println!("quiet tail ch {ch}: sine {amp:.2} LSB, DC {dc:+.3} LSB, error {rms:.3} LSB RMS");
            assert!(amp > 4.0, "the quiet passage should be a few LSB high ({amp:.2})");
            assert!((0.45..=0.55).contains(&rms), "error {rms:.3} LSB RMS: not TPDF dither");
            assert!(dc.abs() < 0.05, "DC {dc:.3} LSB: truncation?");
            // The period is 100 samples: a dithered sine does not repeat itself exactly.
            let differ = x.windows(101).filter(|w| w[0] != w[100]).count() as f64 / (x.len() - 100) as f64;
            assert!(differ > 0.3, "only {differ:.2} of the samples differ from one period to the next");
        }
    }
    // Loudness: the album file (gaps included, as a listener plays it) within 0.5 LU of the
    // target; one album gain, so every track moved by the same amount (no limiting happens on
    // these programmes at this gain: the relative loudness is kept to within dither noise).
    let album_l = ebu(&seq.album.interleaved_f32(0, seq.album.frames()), 2, 44_100);
    println!("album.wav: {:.2} LUFS (target -14)", album_l.integrated);
    assert!((album_l.integrated + 14.0).abs() <= 0.5, "album at {:.2} LUFS", album_l.integrated);
    let out_l: Vec<Loudness> = seq.tracks.iter().map(|t| ebu(&t.interleaved_f32(0, t.frames()), 2, 44_100)).collect();
    let moved: Vec<f64> = out_l.iter().zip(&src_loudness).map(|(o, s)| o.integrated - s).collect();
    println!("tracks: {:.2?} LUFS, moved by {moved:.2?} LU", out_l.iter().map(|l| l.integrated).collect::<Vec<_>>());
    for (t, m) in tracks.iter().zip(&moved) {
        assert!((m - moved[0]).abs() <= 0.1, "{}: moved {m:.2} LU, the single {:.2}", t.name, moved[0]);
    }
    assert!(src_loudness[0] - src_loudness[1] > 4.0, "the ballad should be much quieter than the single");
    // report.json against the same independent figures.
    let rep = report(&out);
    assert_eq!(rep["loudness_mode"], "album");
    assert_eq!(f(&rep["target_lufs"]), -14.0);
    assert_eq!(f(&rep["ceiling_dbtp"]), -1.0);
    let entries = rep["tracks"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for (k, (entry, t)) in entries.iter().zip(&tracks).enumerate() {
        assert_eq!(entry["title"], t.name);
        check_report_entry(t.name, entry, out_l[k], seq.starts[k], seq.tracks[k].frames(), 44_100);
        assert_eq!(entry["gain_applied_db"], entries[0]["gain_applied_db"], "one album gain");
        let clipped = seq.tracks[k].samples.iter().filter(|&&v| v.abs() >= 32_767).count();
        assert_eq!(entry["clip_count"].as_u64(), Some(clipped as u64));
    }
    // The album entry: the tracks back to back, gaps excluded.
    let programme: Vec<f32> = seq.tracks.iter().flat_map(|t| t.interleaved_f32(0, t.frames())).collect();
    let programme_l = ebu(&programme, 2, 44_100);
    let total: usize = seq.tracks.iter().map(Decoded::frames).sum();
    check_report_entry("album", &rep["album"], programme_l, 0, total, 44_100);
    check_png(&out, 3);
}

/// `lacquer master --report DIR` writes report.json and report.png for one master; the
/// figures agree with the `ebur128` crate's measurement of the written file. A report folder
/// that does not exist is refused before any work.
#[test]
fn master_report_matches_the_written_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = d.join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    let reports = d.join("reports");
    std::fs::create_dir(&reports).unwrap();
    let master = d.join("demo-master.flac");
    let r = lacquer(&["master", s(&demo), s(&master), "--deliver", "streaming", "--report", s(&reports)]);
    let stdout = String::from_utf8_lossy(&r.stdout).into_owned();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(stdout.contains("report.json") && stdout.contains("report.png"), "{stdout}");
    let decoded = decode(&master, 24);
    let l = ebu(&decoded.interleaved_f32(0, decoded.frames()), 2, decoded.rate);
    let rep = report(&reports);
    assert_eq!(f(&rep["target_lufs"]), -14.0);
    assert!(rep.get("album").is_none() && rep.get("loudness_mode").is_none());
    assert_eq!(rep["tracks"][0]["title"], "demo-master");
    check_report_entry("master", &rep["tracks"][0], l, 0, decoded.frames(), decoded.rate);
    assert!((l.integrated + 14.0).abs() <= 0.5, "{:.2} LUFS", l.integrated);
    check_png(&reports, 1);
    let mut names: Vec<String> =
        std::fs::read_dir(&reports).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["report.json", "report.png"], "nothing else in the report folder");
    // A missing report folder: one line, no master written.
    let other = d.join("other.flac");
    let r = lacquer(&["master", s(&demo), s(&other), "--deliver", "streaming", "--report", s(&d.join("nope"))]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("report folder does not exist"), "{err}");
    assert!(!other.exists());
}

/// `--per-track` brings every track to the target on its own; the streaming profile makes a
/// FLAC album at 48 kHz (the family of the 96 kHz source) with the default 2 s gap.
#[test]
fn per_track_loudness_and_a_streaming_album() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tracks = album_tracks();
    let mut paths = Vec::new();
    for (k, t) in tracks.iter().enumerate() {
        let p = d.join(format!("{}.wav", t.name));
        t.write(&p, 21 + k as u64);
        paths.push(p);
    }
    let out = d.join("per-track");
    let mut args = vec!["album", s(&out)];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--deliver", "cd", "--target-lufs=-14", "--gap", "0.5", "--per-track"]);
    let r = lacquer(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let seq = check_sequence(&out, "wav", 44_100, 16, 38);
    let rep = report(&out);
    assert_eq!(rep["loudness_mode"], "per-track");
    let mut gains = Vec::new();
    for (k, (t, decoded)) in tracks.iter().zip(&seq.tracks).enumerate() {
        let l = ebu(&decoded.interleaved_f32(0, decoded.frames()), 2, 44_100);
        println!("per-track {}: {:.2} LUFS", t.name, l.integrated);
        assert!((l.integrated + 14.0).abs() <= 0.5, "{}: {:.2} LUFS", t.name, l.integrated);
        let entry = &rep["tracks"][k];
        check_report_entry(t.name, entry, l, seq.starts[k], decoded.frames(), 44_100);
        gains.push(f(&entry["gain_applied_db"]));
    }
    // Each track got its own gain: the ballad, 6 dB quieter at the source, the most.
    assert!(gains[1] > gains[0] + 4.0, "gains {gains:?}");

    let out = d.join("streaming");
    let mut args = vec!["album", s(&out)];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--deliver", "streaming"]);
    let r = lacquer(&args);
    let stdout = String::from_utf8_lossy(&r.stdout).into_owned();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(stdout.contains("gap 2 s -> 150 CD frames"), "{stdout}");
    let seq = check_sequence(&out, "flac", 48_000, 24, 150);
    // 24-bit content (not all on a coarser grid).
    assert!(seq.album.samples.iter().any(|v| v % 256 != 0));
    let album_l = ebu(&seq.album.interleaved_f32(0, seq.album.frames()), 2, 48_000);
    println!("streaming album.flac: {:.2} LUFS (target -14), gaps {:?}", album_l.integrated, seq.silences);
    assert!((album_l.integrated + 14.0).abs() <= 0.5, "album at {:.2} LUFS", album_l.integrated);
}

/// `--fade-in` / `--fade-out` are quarter-sine ramps over the first and last seconds of every
/// track, applied before the chain so that its TPDF dither quantises the faded signal. With the
/// chain transparent (CD profile, no target, peaks far under the ceiling, no conversion), each
/// track file is its source times the ramp plus 0.5 LSB RMS of dither error over the fades too
/// (a fade applied after the dither is re-rounded without it: 0.46 LSB measured there).
#[test]
fn fades_are_quarter_sines_dithered_with_the_track() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut paths = Vec::new();
    let mut sources = Vec::new();
    for (k, name) in ["A", "B"].iter().enumerate() {
        let t = Track {
            name,
            rate: 44_100,
            channels: 2,
            bits: 24,
            seconds: 3.0,
            amp: 0.1,
            freq: 440.0 + 220.0 * k as f64,
            quiet_s: 0.0,
            quiet_amp: 0.0,
        };
        let p = d.join(format!("{name}.wav"));
        sources.push(t.write(&p, 41 + k as u64));
        paths.push(p);
    }
    let out = d.join("faded");
    let mut args = vec!["album", s(&out)];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--deliver", "cd", "--fade-in", "0.5", "--fade-out", "1", "--gap", "1"]);
    let r = lacquer(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let files = track_files(&out, "wav");
    assert_eq!(files.len(), 2);
    let (fin, fout) = (22_050usize, 44_100usize);
    for (file, source) in files.iter().zip(&sources) {
        let track = decode(file, 16);
        let n = track.frames();
        assert_eq!(n, 3 * 44_100);
        let ramp = |i: usize| {
            let a = if i < fin { (std::f64::consts::FRAC_PI_2 * i as f64 / fin as f64).sin() } else { 1.0 };
            let from_end = n - 1 - i;
            let b =
                if from_end < fout { (std::f64::consts::FRAC_PI_2 * from_end as f64 / fout as f64).sin() } else { 1.0 };
            a * b
        };
        let error_rms = |range: std::ops::Range<usize>| {
            let mut sum = 0.0;
            let mut count = 0;
            for i in range {
                for (ch, src) in source.iter().enumerate() {
                    let e = track.frame(i)[ch] as f64 - src[i] * ramp(i) * 32_768.0;
                    sum += e * e;
                    count += 1;
                }
            }
            (sum / count as f64).sqrt()
        };
        let (e_in, e_mid, e_out) = (error_rms(0..fin), error_rms(fin..n - fout), error_rms(n - fout..n));
        println!(
            "{}: error vs source x ramp: fade-in {e_in:.3}, middle {e_mid:.3}, fade-out {e_out:.3} LSB RMS",
            file.display()
        );
        for (what, e) in [("fade-in", e_in), ("middle", e_mid), ("fade-out", e_out)] {
            assert!((0.47..=0.53).contains(&e), "{what}: {e:.3} LSB RMS from source x quarter-sine ramp");
        }
    }
}

/// Lossy coding raises the peaks of a hard-limited album: the report gives every track's true
/// peak after the MP3 round trip, the CLI warns when it is over the ceiling, and `--codec-safe`
/// renders the album again with the limiter lowered until every track's round trip (each track
/// encoded on its own, as delivered) stays under it. The figures are the report's; the master
/// test in tests/cli.rs confirms that measurement with an independent LAME + symphonia +
/// `ebur128` chain.
#[test]
fn codec_safe_album_keeps_every_track_under_the_ceiling_after_mp3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Drums over a sustained bass and a chord, near full scale: limited hard, this material
    // overshoots after MP3 (as in tests/cli.rs).
    let mut paths = Vec::new();
    for (k, name) in ["Loud", "Louder"].iter().enumerate() {
        let fs = 44_100.0;
        let drums = common::drums(fs, 4.0, 7 + k as u64);
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        let p = d.join(format!("{name}.wav"));
        let mut w = hound::WavWriter::create(&p, spec).unwrap();
        for (i, &dr) in drums.iter().enumerate() {
            let t = i as f64 / fs;
            let bass = 0.3 * (std::f64::consts::TAU * (55.0 + 11.0 * k as f64) * t).sin();
            let chord: f64 =
                [261.6, 329.6, 392.0].iter().map(|f| (std::f64::consts::TAU * f * t).sin()).sum::<f64>() * 0.06;
            for v in [dr as f64 * 0.6 + bass + chord, dr as f64 * 0.5 + bass - chord] {
                w.write_sample((v.clamp(-1.0, 1.0) * 8_388_607.0).round() as i32).unwrap();
            }
        }
        w.finalize().unwrap();
        paths.push(p);
    }
    let codec_peaks = |out: &Path, extra: &[&str]| {
        let mut args = vec!["album", s(out)];
        args.extend(paths.iter().map(|p| s(p)));
        args.extend(["--deliver", "cd", "--set", "lim_drive=10"]);
        args.extend(extra);
        let r = lacquer(&args);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let rep = report(out);
        let peaks: Vec<f64> = rep["tracks"].as_array().unwrap().iter().map(|t| f(&t["codec_true_peak_dbtp"])).collect();
        (peaks, String::from_utf8_lossy(&r.stdout).into_owned(), String::from_utf8_lossy(&r.stderr).into_owned())
    };
    let (plain, _, warnings) = codec_peaks(&d.join("plain"), &[]);
    println!("plain album: MP3 round trip per track {plain:.2?} dBTP");
    assert!(plain.iter().any(|&p| p > -1.0), "this material should overshoot after MP3: {plain:?}");
    assert!(warnings.contains("over the -1.0 dBTP ceiling"), "no warning: {warnings}");
    let (safe, stdout, warnings) = codec_peaks(&d.join("safe"), &["--codec-safe"]);
    println!("codec-safe album: MP3 round trip per track {safe:.2?} dBTP");
    assert!(stdout.contains("codec-safe:"), "{stdout}");
    assert!(safe.iter().all(|&p| p <= -1.0), "codec-safe album tracks at {safe:?} dBTP after MP3");
    assert!(!warnings.contains("warning"), "{warnings}");
}

#[test]
fn bad_album_input_is_one_line_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = d.join("demo.wav");
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    let existing = d.join("existing");
    std::fs::create_dir(&existing).unwrap();
    let corrupt = d.join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\x00\x00\x00WAVEfmt garbage, not audio").unwrap();
    let out = d.join("album");
    for (args, expect) in [
        (vec!["album", s(&out), s(&demo), s(&d.join("missing.wav"))], "not found"),
        (vec!["album", s(&out), s(&demo), s(&corrupt)], "corrupt.wav"),
        (vec!["album", s(&out), s(&demo), "--fade-in", "x"], "expects a number"),
        (vec!["album", s(&out), s(&demo), "--deliver", "dvd"], "unknown delivery profile"),
        (vec!["album", s(&out), s(&demo), "--gap", "-1"], "outside"),
        (vec!["album", s(&out), s(&demo), "--gap", "abc"], "expects a number"),
        (vec!["album", s(&existing), s(&demo)], "already exists"),
    ] {
        let r = lacquer(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{args:?} succeeded");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        let mut left: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
        left.sort();
        assert_eq!(left, ["corrupt.wav", "demo.wav", "existing"], "{args:?} left files behind");
        assert!(std::fs::read_dir(&existing).unwrap().next().is_none());
    }
}

/// A disk that fills while the album is written: simulated with the file-size limit
/// (RLIMIT_FSIZE through the shell's `ulimit -f`, with SIGXFSZ ignored so the write fails with
/// EFBIG as a full disk fails with ENOSPC). The limit lets the track files through and stops
/// album.wav halfway: one line, non-zero exit, and neither the album folder nor any temporary
/// file is left.
#[test]
fn a_disk_that_fills_leaves_no_half_written_album() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut paths = Vec::new();
    for (k, name) in ["One", "Two", "Three"].iter().enumerate() {
        let t = Track {
            name,
            rate: 44_100,
            channels: 2,
            bits: 16,
            seconds: 3.0,
            amp: 0.1,
            freq: 440.0 + 110.0 * k as f64,
            quiet_s: 0.0,
            quiet_amp: 0.0,
        };
        let p = d.join(format!("{name}.wav"));
        t.write(&p, 31 + k as u64);
        paths.push(p);
    }
    // Tracks of 3 s at 16-bit stereo are 529 kB; the album (13 s) 2.3 MB. 1500 blocks is
    // 768 kB (512-byte blocks, POSIX) or 1.5 MB (1024-byte blocks): between the two either way.
    let out = d.join("album");
    let mut args: Vec<&str> =
        vec!["-c", "trap '' XFSZ; ulimit -f 1500; exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_lacquer")];
    args.extend(["album", s(&out)]);
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--deliver", "cd"]);
    let r = Command::new("sh").args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    println!("{err}");
    assert!(!r.status.success(), "the album was written despite the limit");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("album.wav"), "the error names the file that failed: {err}");
    let mut left: Vec<_> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["One.wav", "Three.wav", "Two.wav"], "left behind");
}
