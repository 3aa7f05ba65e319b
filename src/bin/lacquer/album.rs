//! `lacquer album`: masters several tracks as one album. The tracks go through the same plan
//! as `master` (settings, delivery rate, target, codec check, writer), then are sequenced into
//! one continuous album file with gaps of silence, a CUE sheet and a report.
//!
//! Loudness: by default the album is one programme. The tracks, converted to the delivery rate,
//! are rendered back to back through one chain with one drive/trim, found so that the whole
//! album (gaps excluded) meets the target; every track keeps its loudness relative to the
//! others, and each track file is exactly its slice of that render. `--per-track` renders each
//! track on its own to the target instead.
//!
//! Positions: a CUE sheet counts in CD frames of 1/75 s, so every track starts on a frame
//! boundary (sample `frame * rate / 75`) for every profile. The gap is rounded to whole frames
//! and the end of each track padded with silence up to the next frame boundary, so the silence
//! between two tracks is the rounded gap plus less than one frame; the actual gaps are printed
//! and in the CUE's timing.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::audio_io::{self, Audio, Container};
use crate::report::{Report, TrackReport};
use crate::{codec, plan, render_plan, to_delivery_rate, MasterJob};

/// CD frames per second (Red Book; the CUE sheet's MM:SS:FF unit).
pub const CUE_FRAMES_PER_SECOND: u64 = 75;
const DEFAULT_GAP_S: &str = "2";

#[derive(clap::Args)]
pub struct AlbumArgs {
    /// The album folder to create (refused if it exists, unless --force).
    out_dir: PathBuf,
    /// The tracks in album order (WAV, FLAC, MP3, Ogg; any rates, mono or stereo).
    #[arg(required = true)]
    tracks: Vec<PathBuf>,
    /// Silence between the end of one track and the start of the next, seconds (default 2;
    /// rounded to whole CD frames of 1/75 s).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    gap: Option<String>,
    #[arg(long, value_name = "SLUG")]
    preset: Option<String>,
    #[arg(long = "set", value_name = "ID=VALUE")]
    set: Vec<String>,
    /// cd, streaming, apple, broadcast or vinyl (see `lacquer master --deliver`).
    #[arg(long, value_name = "PROFILE")]
    deliver: Option<String>,
    /// The album's loudness target (LUFS or a name, as for `master`).
    #[arg(long, value_name = "LUFS|NAME", allow_negative_numbers = true)]
    target_lufs: Option<String>,
    /// Fade in at the start of every track, seconds.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    fade_in: Option<String>,
    /// Fade out at the end of every track, seconds.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    fade_out: Option<String>,
    /// Bring every track to the target on its own (default: one gain for the whole album).
    #[arg(long)]
    per_track: bool,
    /// Render again with the limiter lowered until the MP3 320 kbps round trip stays under the
    /// ceiling (as for `master`; the album programme, or each track with --per-track).
    #[arg(long)]
    codec_safe: bool,
    /// Replace OUT_DIR if it exists (only once the new album is complete).
    #[arg(long)]
    force: bool,
    /// The report is always written into OUT_DIR; accepted for symmetry with `master`.
    #[arg(long)]
    report: bool,
}

fn seconds(flag: &str, text: Option<&str>, default: &str) -> Result<f64, String> {
    let text = text.unwrap_or(default);
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=600.0).contains(&v) => Ok(v),
        Ok(v) => Err(format!("--{flag} {v} is outside 0…600 seconds")),
        Err(_) => Err(format!("--{flag} expects a number of seconds, got '{text}'")),
    }
}

/// A file-name-safe title from the input's file stem.
pub fn title_of(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let clean: String =
        stem.chars().map(|c| if c.is_alphanumeric() || " -_.,()'&+".contains(c) { c } else { '_' }).collect();
    let clean = clean.trim().trim_start_matches('.').trim().to_string();
    if clean.is_empty() {
        "Track".to_string()
    } else {
        clean
    }
}

/// First sample of CD frame `frame` at `rate`.
fn frame_start(frame: u64, rate: u32) -> usize {
    (frame * rate as u64 / CUE_FRAMES_PER_SECOND) as usize
}

/// The first frame that starts at or after `sample`.
fn frame_at_or_after(sample: usize, rate: u32) -> u64 {
    let mut f = sample as u64 * CUE_FRAMES_PER_SECOND / rate as u64;
    while frame_start(f, rate) < sample {
        f += 1;
    }
    f
}

fn cue_time(frame: u64) -> String {
    let (m, rest) = (frame / (60 * CUE_FRAMES_PER_SECOND), frame % (60 * CUE_FRAMES_PER_SECOND));
    format!("{m:02}:{:02}:{:02}", rest / CUE_FRAMES_PER_SECOND, rest % CUE_FRAMES_PER_SECOND)
}

/// Mono becomes dual-mono stereo (BS.1770 then reads it 3 dB louder, as a stereo player would
/// play it), so every track of the album has the same layout.
fn to_stereo(mut audio: Audio, path: &Path) -> Audio {
    if audio.channels.len() == 1 {
        println!("{}: mono, upmixed to stereo (the same signal in both channels)", path.display());
        let copy = audio.channels[0].clone();
        audio.channels.push(copy);
    }
    audio
}

/// Quarter-sine fades over the first `fade_in` and last `fade_out` seconds.
fn apply_fades(audio: &mut Audio, fade_in_s: f64, fade_out_s: f64) {
    let frames = audio.frames();
    let rate = audio.sample_rate as f64;
    let (fin, fout) = (((fade_in_s * rate) as usize).min(frames), ((fade_out_s * rate) as usize).min(frames));
    for ch in &mut audio.channels {
        for (i, x) in ch.iter_mut().take(fin).enumerate() {
            *x *= (std::f64::consts::FRAC_PI_2 * i as f64 / fin as f64).sin() as f32;
        }
        for (i, x) in ch[..frames].iter_mut().rev().take(fout).enumerate() {
            *x *= (std::f64::consts::FRAC_PI_2 * i as f64 / fout as f64).sin() as f32;
        }
    }
}

/// Refuses an existing OUT_DIR (without --force) and a missing parent, before any work.
fn check_out_dir(out_dir: &Path, force: bool) -> Result<PathBuf, String> {
    if out_dir.exists() && !force {
        return Err(format!("{}: already exists (use --force to replace it)", out_dir.display()));
    }
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(format!("{}: exists and is not a folder", out_dir.display()));
    }
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(format!("{}: parent folder {} does not exist", out_dir.display(), parent.display()));
    }
    Ok(parent)
}

fn slice(audio: &Audio, from: usize, to: usize) -> Audio {
    Audio { sample_rate: audio.sample_rate, channels: audio.channels.iter().map(|c| c[from..to].to_vec()).collect() }
}

fn concat(tracks: &[Audio]) -> Audio {
    let mut channels = vec![Vec::new(), Vec::new()];
    for t in tracks {
        for (out, ch) in channels.iter_mut().zip(&t.channels) {
            out.extend_from_slice(ch);
        }
    }
    Audio { sample_rate: tracks[0].sample_rate, channels }
}

pub fn run(args: &AlbumArgs) -> Result<(), String> {
    let gap_s = seconds("gap", args.gap.as_deref(), DEFAULT_GAP_S)?;
    let fade_in_s = seconds("fade-in", args.fade_in.as_deref(), "0")?;
    let fade_out_s = seconds("fade-out", args.fade_out.as_deref(), "0")?;
    let parent = check_out_dir(&args.out_dir, args.force)?;
    let job = MasterJob {
        preset: args.preset.as_deref(),
        set: &args.set,
        format: None,
        deliver: args.deliver.as_deref(),
        codec_safe: args.codec_safe,
        no_target: false,
        force: true,
    };
    let plan = plan(&job, args.target_lufs.as_deref())?;
    let ext = match plan.profile.map(|p| p.container) {
        Some(Container::Flac) => "flac",
        _ => "wav",
    };
    // Every track is read before any rendering, so an unreadable one costs nothing.
    let mut inputs = Vec::with_capacity(args.tracks.len());
    for path in &args.tracks {
        inputs.push(to_stereo(audio_io::read(path)?, path));
    }
    // The delivery rate: the profile's for the highest source rate, or (without a profile) the
    // highest source rate, so no track loses bandwidth to another's lower rate.
    let highest = inputs.iter().map(|a| a.sample_rate).max().unwrap_or(48_000);
    let rate = plan.profile.map_or(highest, |p| p.rate_for(highest));
    let passes = if args.per_track { args.tracks.len() } else { 1 };
    let bar = progress_bar((args.tracks.len() + passes + args.tracks.len()) as u64);
    let mut converted = Vec::with_capacity(inputs.len());
    for audio in inputs {
        let mut audio = to_delivery_rate(audio, rate)?;
        // Fades go in before the chain, so the chain's dither quantises the faded signal (a
        // fade after it would be re-rounded without dither) and the loudness target is met by
        // the audio as delivered.
        apply_fades(&mut audio, fade_in_s, fade_out_s);
        converted.push(audio);
        bar.inc(1);
    }
    let titles: Vec<String> = args.tracks.iter().map(|p| title_of(p)).collect();
    // Render: one programme (album gain) or each track alone (--per-track).
    let mut masters: Vec<(Audio, lacquer::chain::Settings, Option<f64>)> = Vec::new();
    let ceiling_db;
    if args.per_track {
        let mut ceiling = f64::NEG_INFINITY;
        for (audio, title) in converted.iter().zip(&titles) {
            println!("track '{title}':");
            let r = render_plan(audio, &plan, false, &[])?;
            ceiling = r.ceiling_db;
            masters.push((r.audio, r.settings, Some(r.codec_tp_dbtp)));
            bar.inc(1);
        }
        ceiling_db = ceiling;
    } else {
        let whole = concat(&converted);
        println!("album as one programme ({} tracks, one gain):", converted.len());
        let lengths: Vec<usize> = converted.iter().map(Audio::frames).collect();
        let r = render_plan(&whole, &plan, false, &lengths)?;
        ceiling_db = r.ceiling_db;
        let mut at = 0;
        for t in &converted {
            masters.push((slice(&r.audio, at, at + t.frames()), r.settings, None));
            at += t.frames();
        }
        bar.inc(1);
    }
    // Sequence on CD frames.
    let gap_frames = (gap_s * CUE_FRAMES_PER_SECOND as f64).round() as u64;
    let mut starts = Vec::with_capacity(masters.len());
    let mut frame = 0u64;
    for (audio, _, _) in &masters {
        starts.push(frame);
        frame = frame_at_or_after(frame_start(frame, rate) + audio.frames(), rate) + gap_frames;
    }
    let album_len = frame_start(*starts.last().unwrap_or(&0), rate) + masters.last().map_or(0, |m| m.0.frames());
    let mut album = Audio { sample_rate: rate, channels: vec![vec![0.0; album_len]; 2] };
    for ((audio, _, _), &f) in masters.iter().zip(&starts) {
        let at = frame_start(f, rate);
        for (out, ch) in album.channels.iter_mut().zip(&audio.channels) {
            out[at..at + ch.len()].copy_from_slice(ch);
        }
    }
    println!(
        "gap {gap_s} s -> {gap_frames} CD frames ({:.4} s); tracks start on 1/75 s frame boundaries",
        gap_frames as f64 / CUE_FRAMES_PER_SECOND as f64
    );
    for k in 1..starts.len() {
        let silence = frame_start(starts[k], rate) - (frame_start(starts[k - 1], rate) + masters[k - 1].0.frames());
        println!("  gap before track {:02}: {silence} samples ({:.4} s)", k + 1, silence as f64 / rate as f64);
    }

    let temp = tempfile::Builder::new()
        .prefix(".lacquer-album-")
        .tempdir_in(&parent)
        .map_err(|e| format!("{}: cannot create a folder ({e})", parent.display()))?;
    let mut reports = Vec::with_capacity(masters.len());
    for (k, ((audio, used, codec_tp), title)) in masters.iter().zip(&titles).enumerate() {
        let path = temp.path().join(format!("{:02} {title}.{ext}", k + 1));
        audio_io::write(&path, audio, plan.format).map_err(|e| rename_in_message(e, temp.path(), &args.out_dir))?;
        let codec_tp = match codec_tp {
            Some(v) => *v,
            None => codec::mp3_true_peak_dbtp(audio)?,
        };
        crate::warn_codec(codec_tp, ceiling_db, &format!("track {:02}: ", k + 1));
        let start_s = frame_start(starts[k], rate) as f64 / rate as f64;
        reports.push(TrackReport::measure(title, audio, used, Some(codec_tp), start_s));
        bar.inc(1);
    }
    let album_path = temp.path().join(format!("album.{ext}"));
    audio_io::write(&album_path, &album, plan.format).map_err(|e| rename_in_message(e, temp.path(), &args.out_dir))?;
    write_cue(&temp.path().join("album.cue"), ext, &titles, &starts)?;
    // The album's own figures: the tracks back to back, gaps excluded (the programme the target
    // is for).
    let programme = concat(
        &masters.iter().map(|m| Audio { sample_rate: rate, channels: m.0.channels.clone() }).collect::<Vec<_>>(),
    );
    let album_report =
        TrackReport::measure("album", &programme, &masters[0].1, codec::mp3_true_peak_dbtp(&programme).ok(), 0.0);
    let mut report = Report::new(plan.target.map(|t| t.lufs as f64), ceiling_db, reports, Some(album_report));
    report.loudness_mode = Some(if args.per_track { "per-track" } else { "album" }.to_string());
    report.write_into(temp.path())?;
    crate::plot::write_png(temp.path(), &report, &crate::plot::short_term_curve(&album), "Album")?;
    bar.finish_and_clear();
    move_into_place(temp, &args.out_dir, &parent)?;
    print_summary(&report, &args.out_dir, ext);
    Ok(())
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{spinner} album [{bar:40}] {pos}/{len} {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar
}

/// Errors name the album folder, not the temporary one the files are written into.
fn rename_in_message(message: String, temp: &Path, out_dir: &Path) -> String {
    message.replace(&temp.display().to_string(), &out_dir.display().to_string())
}

fn write_cue(path: &Path, ext: &str, titles: &[String], starts: &[u64]) -> Result<(), String> {
    // CUE's file type for any PCM container a player decodes itself (WAV and FLAC alike).
    let mut text = format!("FILE \"album.{ext}\" WAVE\n");
    for (k, (title, &frame)) in titles.iter().zip(starts).enumerate() {
        text.push_str(&format!(
            "  TRACK {:02} AUDIO\n    TITLE \"{}\"\n    INDEX 01 {}\n",
            k + 1,
            title.replace('"', "'"),
            cue_time(frame)
        ));
    }
    std::fs::write(path, text).map_err(|e| format!("album.cue: write failed ({e})"))
}

/// Renames the finished temporary folder to `out_dir`; an old `out_dir` (with --force) is moved
/// aside first and removed only once the new one is in place.
fn move_into_place(temp: tempfile::TempDir, out_dir: &Path, parent: &Path) -> Result<(), String> {
    let shown = out_dir.display();
    let old = if out_dir.exists() {
        let aside = tempfile::Builder::new()
            .prefix(".lacquer-old-")
            .tempdir_in(parent)
            .map_err(|e| format!("{shown}: cannot replace ({e})"))?;
        let aside_path = aside.path().join("old");
        std::fs::rename(out_dir, &aside_path).map_err(|e| format!("{shown}: cannot replace ({e})"))?;
        Some((aside, aside_path))
    } else {
        None
    };
    let finished = temp.keep();
    if let Err(e) = std::fs::rename(&finished, out_dir) {
        let _ = std::fs::remove_dir_all(&finished);
        if let Some((_, aside_path)) = &old {
            let _ = std::fs::rename(aside_path, out_dir);
        }
        return Err(format!("{shown}: cannot move the finished album into place ({e})"));
    }
    Ok(())
}

fn print_summary(report: &Report, out_dir: &Path, ext: &str) {
    let show = |v: Option<f64>| v.map_or("-inf".to_string(), |v| format!("{v:.1}"));
    for (k, t) in report.tracks.iter().enumerate() {
        println!(
            "  {:02} {:<28} at {:>8.3} s  {} LUFS  {} dBTP  MP3 {} dBTP",
            k + 1,
            t.title,
            t.start_s,
            show(t.integrated_lufs),
            show(t.true_peak_dbtp),
            show(t.codec_true_peak_dbtp)
        );
    }
    if let Some(a) = &report.album {
        println!(
            "  album: {} LUFS, {} dBTP, LRA {} LU",
            show(a.integrated_lufs),
            show(a.true_peak_dbtp),
            show(a.loudness_range_lu)
        );
    }
    println!("wrote album.{ext}, album.cue, the tracks, report.json and report.png to {}", out_dir.display());
}
