//! `lacquer`: the offline mastering CLI. It runs the plugin's own chain on files.
//!
//! Every failure is one line on stderr and a non-zero exit; no command ever leaves a partial
//! output file behind.

mod album;
mod analyze;
mod audio_io;
mod codec;
mod deliver;
mod matching;
mod plot;
mod presets;
mod render;
mod report;
mod resample;
mod target;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use lacquer::chain::Settings;
use lacquer::dsp::dither::WordLength;
use lacquer::params::{LacquerParams, ParamWriter};

use audio_io::OutputFormat;

#[derive(Parser)]
#[command(name = "lacquer", version, about = "Lacquer mastering chain, offline")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Master IN into OUT (.wav, or .flac for 16/24-bit) with the same chain as the plugin.
    Master {
        input: PathBuf,
        output: PathBuf,
        /// Start from a factory or user preset (see `lacquer presets`); --set values apply on top.
        #[arg(long, value_name = "SLUG")]
        preset: Option<String>,
        /// Set a parameter by its stable ID, e.g. --set lim_ceiling=-1.0 (repeatable).
        #[arg(long = "set", value_name = "ID=VALUE")]
        set: Vec<String>,
        /// Output sample format: 16, 24 (TPDF-dithered integer) or 32f (float); 24 by default.
        #[arg(long)]
        format: Option<String>,
        /// Deliver for a destination: cd, streaming, apple, broadcast or vinyl (sample rate,
        /// word length, container, loudness target and ceiling; see the README).
        #[arg(long, value_name = "PROFILE")]
        deliver: Option<String>,
        /// Render again with the limiter lowered until an MP3 320 kbps round trip of the master
        /// also stays under the ceiling (at most 4 renders).
        #[arg(long)]
        codec_safe: bool,
        /// Master to a loudness target: a number in LUFS, or streaming (-14 LUFS, -1 dBTP),
        /// apple (-16, -1), ebu (-23, -1), club (-9, -0.3). Sets the limiter drive (or the output
        /// trim for quieter targets) from measured renders.
        #[arg(long, value_name = "LUFS|NAME", allow_negative_numbers = true)]
        target_lufs: Option<String>,
        /// Ignore the loudness target a preset carries (render its settings as they are).
        #[arg(long, conflicts_with = "target_lufs")]
        no_target: bool,
        /// Overwrite OUT if it exists.
        #[arg(long)]
        force: bool,
        /// Also write report.json (loudness, peaks, codec true peak, gain) and report.png (short-term
        /// loudness over time, true peak against the ceiling) into DIR.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Match a reference: fit the EQ and width to REF's long-term balance and master to its
        /// loudness (unless --target-lufs or --deliver says otherwise). See docs/assist.md.
        #[arg(long = "match", value_name = "REF")]
        match_ref: Option<PathBuf>,
        /// How far --match moves toward the reference, 0–100 % (100 by default).
        #[arg(long, value_name = "PERCENT", requires = "match_ref")]
        match_amount: Option<String>,
    },
    /// Master TRACK... as one album into OUT_DIR: numbered track files, one continuous album
    /// file with the gaps, album.cue and report.json.
    Album(album::AlbumArgs),
    /// Choose settings that move IN toward the reference REF (EQ, width, loudness) and print them
    /// as --set arguments (optionally as a preset file); no audio is written.
    Match(matching::MatchArgs),
    /// Measure loudness and peaks of one or more files.
    Analyze {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per file (an array for several).
        #[arg(long)]
        json: bool,
    },
    /// List the parameters with their IDs, ranges and defaults.
    Params,
    /// List presets (slug, name, intent), or manage user presets.
    Presets {
        #[command(subcommand)]
        action: Option<presets::PresetAction>,
    },
    /// Write the built-in demo mix (a few bars of synthesised drums, bass and chords) to OUT.
    Demo {
        output: PathBuf,
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Master {
            input,
            output,
            preset,
            set,
            format,
            deliver,
            codec_safe,
            target_lufs,
            no_target,
            force,
            report,
            match_ref,
            match_amount,
        } => {
            let job = MasterJob {
                preset: preset.as_deref(),
                set: &set,
                format: format.as_deref(),
                deliver: deliver.as_deref(),
                codec_safe,
                no_target,
                force,
            };
            match match_ref.map(|r| matching::Request::new(r, match_amount.as_deref())).transpose() {
                Ok(request) => {
                    master(&input, &output, &job, target_lufs.as_deref(), report.as_deref(), request.as_ref())
                }
                Err(e) => Err(e),
            }
        }
        Command::Match(args) => matching::run(&args),
        Command::Album(args) => album::run(&args),
        Command::Presets { action } => presets::run(action),
        Command::Analyze { files, json } => analyze_files(&files, json),
        Command::Params => {
            list_params();
            Ok(())
        }
        Command::Demo { output, force } => write_demo(&output, force),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lacquer: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Refuses to overwrite without --force, and refuses to write over the input in any case.
fn check_output(input: Option<&Path>, output: &Path, force: bool) -> Result<(), String> {
    if let Some(input) = input {
        let same = match (std::fs::canonicalize(input), canonical_output(output)) {
            (Ok(a), Some(b)) => a == b,
            _ => false,
        };
        if same {
            return Err(format!("{}: output path is the input file; choose another output", output.display()));
        }
    }
    if output.exists() && !force {
        return Err(format!("{}: already exists (use --force to overwrite)", output.display()));
    }
    Ok(())
}

fn canonical_output(output: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(output) {
        return Some(p);
    }
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(output.file_name()?))
}

/// The `master` options besides the files and the target.
/// Most renders `--codec-safe` makes before it reports what it reached.
const CODEC_SAFE_PASSES: usize = 4;
/// Extra lowering per pass beyond the measured excess (dB).
const CODEC_SAFE_MARGIN_DB: f64 = 0.05;

#[derive(Clone, Copy)]
pub struct MasterJob<'a> {
    pub preset: Option<&'a str>,
    pub set: &'a [String],
    pub format: Option<&'a str>,
    pub deliver: Option<&'a str>,
    pub codec_safe: bool,
    pub no_target: bool,
    pub force: bool,
}

/// What a render is made with: the chain settings, the loudness target, the file format and the
/// delivery profile. `master` and `album` both build it here, so they render alike.
#[derive(Clone, Copy)]
pub struct Plan {
    pub profile: Option<deliver::Profile>,
    pub format: OutputFormat,
    pub settings: Settings,
    pub target: Option<target::Target>,
    pub codec_safe: bool,
}

/// The settings, target and format for `job` (before any audio is read; every bad value is
/// refused here).
fn plan(job: &MasterJob, target: Option<&str>) -> Result<Plan, String> {
    let profile = job.deliver.map(deliver::Profile::find).transpose()?;
    let format = match (profile, job.format) {
        (Some(p), Some(_)) => return Err(format!("--deliver {} sets the word length; drop --format", p.name)),
        (Some(p), None) => p.format,
        (None, format) => OutputFormat::parse(format.unwrap_or("24"))?,
    };
    let mut target = target.map(target::Target::parse).transpose()?;
    let writer = ParamWriter::new(Arc::new(LacquerParams::default()));
    if let Some(slug) = job.preset {
        let preset = lacquer::presets::find(slug)?;
        lacquer::presets::apply_direct(writer.params(), &preset.resolved());
        let profile_decides = profile.is_some_and(|p| p.target_lufs.is_some() || !p.loudness_push);
        if target.is_none() && !job.no_target && !profile_decides {
            if let Some(lufs) = preset.target_lufs {
                println!("preset '{}' aims at {lufs:.1} LUFS (--no-target renders it as set)", preset.slug);
                target = Some(target::Target { lufs, ceiling_dbtp: None });
            }
        }
    }
    if let Some(p) = profile {
        // The profile's ceiling (and, for vinyl, no limiter drive); --set values still override.
        writer.set("lim_ceiling", &p.ceiling_dbtp.to_string())?;
        if !p.loudness_push {
            writer.set("lim_drive", "0")?;
        }
        // A target the profile brings holds at the profile's ceiling (the parameter already says
        // it, so --set lim_ceiling can still change it); a named --target-lufs keeps its own.
        if let (None, Some(lufs), false) = (&target, p.target_lufs, job.no_target) {
            target = Some(target::Target { lufs, ceiling_dbtp: None });
        }
        println!("delivering for {}", p.description);
    }
    let mut explicit_word_length = false;
    for assignment in job.set {
        let (id, value) =
            assignment.split_once('=').ok_or_else(|| format!("--set expects ID=VALUE, got '{assignment}'"))?;
        writer.set(id.trim(), value)?;
        explicit_word_length |= id.trim() == "out_bits";
    }
    let mut settings = writer.params().settings();
    if !explicit_word_length {
        // The file's word length decides the dither, unless the user chose one explicitly.
        settings.dither.word_length = match format {
            OutputFormat::Float32 => WordLength::Float,
            OutputFormat::Int24 => WordLength::Bits24,
            OutputFormat::Int16 => WordLength::Bits16,
        };
    }
    Ok(Plan { profile, format, settings, target, codec_safe: job.codec_safe })
}

/// `audio` converted to the delivery rate of `profile` (unchanged without one).
fn to_delivery_rate(audio: audio_io::Audio, rate: u32) -> Result<audio_io::Audio, String> {
    if rate == audio.sample_rate {
        return Ok(audio);
    }
    println!("sample-rate conversion {} Hz -> {rate} Hz (before the chain)", audio.sample_rate);
    resample::resample(&audio, rate)
}

/// A finished render: the master, the ceiling it was made for, its MP3 round-trip true peak,
/// and the settings of the last render (drive and trim included).
pub struct Rendered {
    pub audio: audio_io::Audio,
    pub ceiling_db: f64,
    pub codec_tp_dbtp: f64,
    pub settings: Settings,
}

/// Renders `audio` (already at the delivery rate) by `plan`: to the target if there is one, then
/// the MP3 check and, with `--codec-safe`, the lowered re-renders. `progress` is the bar for
/// each render (false when a caller draws its own). `pieces` are the frame counts of the files
/// the render is cut into (an album's tracks; empty for one file): the MP3 check encodes each
/// piece as it will be delivered and takes the highest peak, so `--codec-safe` holds for every
/// file.
fn render_plan(audio: &audio_io::Audio, plan: &Plan, progress: bool, pieces: &[usize]) -> Result<Rendered, String> {
    let mut settings = plan.settings;
    let target = plan.target;
    let render_pass = |settings: &Settings,
                       target: Option<target::Target>|
     -> Result<(audio_io::Audio, Settings), String> {
        match target {
            None => Ok((render::render(audio, settings, progress), *settings)),
            Some(target) => {
                let outcome = target::master_to_target(audio, settings, target, progress)?;
                let got = outcome.report.integrated_lufs.unwrap_or(f64::NEG_INFINITY);
                println!(
                    "target {:.1} LUFS: limiter drive {:.2} dB, output trim {:.2} dB, ceiling {:.1} dBTP -> {got:.2} LUFS",
                    target.lufs,
                    outcome.settings.limiter.drive_db,
                    outcome.settings.output_gain_db,
                    outcome.settings.limiter.ceiling_db
                );
                if !outcome.reached {
                    eprintln!(
                        "lacquer: warning: target {:.1} LUFS not reached within 0.5 LU ({got:.2} LUFS at the end of the drive range)",
                        target.lufs
                    );
                }
                Ok((outcome.audio, outcome.settings))
            }
        }
    };
    let (mut mastered, mut used) = render_pass(&settings, target)?;
    // The ceiling the master was made for; --codec-safe lowers the limiter's below it.
    let ceiling_db = lacquer::dsp::limiter::ceiling_db(&lacquer::dsp::limiter::LimiterSettings {
        ceiling_db: used.limiter.ceiling_db,
        ..settings.limiter
    }) as f64;
    let mut codec_tp = codec::mp3_true_peak_of_pieces(&mastered, pieces)?;
    if plan.codec_safe {
        let mut passes = 1;
        let mut limiter_ceiling = ceiling_db;
        while codec_tp > ceiling_db && passes < CODEC_SAFE_PASSES {
            // Lower the limiter by the measured excess (and a little more, as the excess itself
            // moves a little from one encode to the next).
            limiter_ceiling = (limiter_ceiling - (codec_tp - ceiling_db) - CODEC_SAFE_MARGIN_DB)
                .max(lacquer::dsp::limiter::MIN_CEILING_DB as f64);
            settings.limiter.ceiling_db = limiter_ceiling as f32;
            let pass_target = target.map(|t| target::Target { ceiling_dbtp: Some(limiter_ceiling as f32), ..t });
            (mastered, used) = render_pass(&settings, pass_target)?;
            codec_tp = codec::mp3_true_peak_of_pieces(&mastered, pieces)?;
            passes += 1;
            println!(
                "codec-safe pass {passes}: limiter ceiling {limiter_ceiling:.2} dBTP -> MP3 true peak {codec_tp:.2} dBTP"
            );
        }
        println!("codec-safe: {passes} pass(es), limiter ceiling {limiter_ceiling:.2} dBTP for a {ceiling_db:.1} dBTP ceiling");
    }
    Ok(Rendered { audio: mastered, ceiling_db, codec_tp_dbtp: codec_tp, settings: used })
}

fn warn_codec(codec_tp: f64, ceiling_db: f64, what: &str) {
    if codec_tp > ceiling_db {
        eprintln!(
            "lacquer: warning: {what}the MP3 round trip peaks at {codec_tp:.2} dBTP, over the {ceiling_db:.1} dBTP ceiling \
             (--codec-safe lowers the limiter until it does not)"
        );
    }
}

fn master(
    input: &Path,
    output: &Path,
    job: &MasterJob,
    target: Option<&str>,
    report_dir: Option<&Path>,
    request: Option<&matching::Request>,
) -> Result<(), String> {
    let mut plan = plan(job, target)?;
    let container = audio_io::Container::of(output, plan.format)?;
    if let Some(p) = plan.profile {
        if container != p.container {
            let ext = if p.container == audio_io::Container::Flac { "flac" } else { "wav" };
            return Err(format!("{}: --deliver {} writes .{ext}; name the output .{ext}", output.display(), p.name));
        }
    }
    check_output(Some(input), output, job.force)?;
    if let Some(dir) = report_dir {
        report::check_dir(dir)?;
    }
    let reference = request.map(|r| matching::Reference::load(&r.reference)).transpose()?;
    let audio = audio_io::read(input)?;
    let before = analyze::measure(&input.display().to_string(), &audio);
    let rate = plan.profile.map_or(audio.sample_rate, |p| p.rate_for(audio.sample_rate));
    let audio = to_delivery_rate(audio, rate)?;
    let progress = std::io::stderr().is_terminal();
    let chosen = match (request, &reference) {
        (Some(r), Some(reference)) => Some(matching::choose(&audio, job, target, reference, r.amount, progress)?),
        _ => None,
    };
    if let Some(chosen) = &chosen {
        plan = chosen.plan;
    }
    let mut rendered = render_plan(&audio, &plan, progress, &[])?;
    if let (Some(chosen), Some(reference)) = (&chosen, &reference) {
        rendered = matching::settle(&audio, job, chosen, rendered, reference, progress)?;
    }
    audio_io::write(output, &rendered.audio, plan.format)?;
    let after = analyze::measure(&output.display().to_string(), &rendered.audio);
    let show = |v: Option<f64>| v.map_or("-inf".to_string(), |v| format!("{v:.1}"));
    println!(
        "mastered {} -> {}\n  integrated {} -> {} LUFS, true peak {} -> {} dBTP, LRA {} -> {} LU",
        input.display(),
        output.display(),
        show(before.integrated_lufs),
        show(after.integrated_lufs),
        show(before.true_peak_dbtp),
        show(after.true_peak_dbtp),
        show(before.loudness_range_lu),
        show(after.loudness_range_lu),
    );
    println!("  after an MP3 320 kbps round trip: true peak {:.1} dBTP", rendered.codec_tp_dbtp);
    warn_codec(rendered.codec_tp_dbtp, rendered.ceiling_db, "");
    if let Some(dir) = report_dir {
        let title = output.file_stem().map_or("master".to_string(), |s| s.to_string_lossy().into_owned());
        let track = report::TrackReport::of(&title, &rendered, &plan.settings, 0.0);
        let album = report::Report::new(plan.target.map(|t| t.lufs as f64), rendered.ceiling_db, vec![track], None);
        let path = album.write_into(dir)?;
        let png = plot::write_png(dir, &album, &plot::short_term_curve(&rendered.audio), &title)?;
        println!("  report: {} and {}", path.display(), png.display());
    }
    Ok(())
}

fn analyze_files(files: &[PathBuf], json: bool) -> Result<(), String> {
    let mut reports = Vec::with_capacity(files.len());
    for file in files {
        let audio = audio_io::read(file)?;
        reports.push(analyze::measure(&file.display().to_string(), &audio));
    }
    if json {
        let text = if reports.len() == 1 {
            serde_json::to_string_pretty(&reports[0])
        } else {
            serde_json::to_string_pretty(&reports)
        }
        .map_err(|e| format!("cannot format JSON ({e})"))?;
        println!("{text}");
    } else {
        reports.iter().for_each(analyze::print_text);
    }
    Ok(())
}

fn list_params() {
    let writer = ParamWriter::new(Arc::new(LacquerParams::default()));
    for (id, name, group, range) in writer.table() {
        let default = writer.describe(&id).unwrap_or_default();
        let group = if group.is_empty() { "Global".to_string() } else { group };
        println!("{id:<16} {group:<10} {name:<18} default {default:<14} range {range}");
    }
}

fn write_demo(output: &Path, force: bool) -> Result<(), String> {
    check_output(None, output, force)?;
    let audio = audio_io::Audio {
        sample_rate: lacquer::demo::DEMO_SAMPLE_RATE,
        channels: lacquer::demo::demo_mix().into_iter().collect(),
    };
    audio_io::write(output, &audio, OutputFormat::Int24)?;
    println!("wrote the demo mix to {}", output.display());
    Ok(())
}
