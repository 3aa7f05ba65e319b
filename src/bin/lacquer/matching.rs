//! Reference matching on the command line: `lacquer master IN OUT --match REF` and
//! `lacquer match IN REF`. The mix is first mastered with the user's settings (shelves and bells
//! flat) at the reference's loudness, so the fit sees what the chain itself does at that level;
//! the EQ and width are then fitted to the difference (`lacquer::assist`), and the mix is
//! mastered again with them to the same loudness. The result is an ordinary parameter set,
//! printed as `--set` arguments that render the same master again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use lacquer::assist::{analyse, match_reference, Analysis, MatchOptions};
use lacquer::chain::Settings;
use lacquer::dsp::eq::{ChannelMode, EqBandSettings, EqSettings};
use lacquer::params::{LacquerParams, ParamWriter};
use lacquer::presets::{self, user::UserStore, Origin, Preset};

use crate::audio_io::{self, Audio};
use crate::target::{self, Target};
use crate::{MasterJob, Plan, Rendered};

/// The range the balance is reported over: the 1/3-octave bands centred 50 Hz..12.5 kHz, whose
/// edges span 44.7 Hz..14.1 kHz (the 50 Hz to 14 kHz).
const REPORT_LO_HZ: f64 = 49.0;
const REPORT_HI_HZ: f64 = 12_600.0;

/// `lacquer match IN REF`: choose settings that move IN toward REF, print them, write nothing
/// but the preset you ask for.
#[derive(Args)]
pub struct MatchArgs {
    input: PathBuf,
    reference: PathBuf,
    /// How far to move toward the reference, 0–100 % (100 by default).
    #[arg(long, value_name = "PERCENT")]
    match_amount: Option<String>,
    /// Start from a factory or user preset; the match replaces its shelves, bells, width and level.
    #[arg(long, value_name = "SLUG")]
    preset: Option<String>,
    /// Set a parameter before matching (repeatable), as for `master`.
    #[arg(long = "set", value_name = "ID=VALUE")]
    set: Vec<String>,
    /// The output format the settings are for (16, 24 or 32f, as for `master`; 24 by default):
    /// its dither is part of what the loudness search measures.
    #[arg(long)]
    format: Option<String>,
    /// Also write the chosen settings as a preset file (load it with `lacquer presets import`).
    #[arg(long, value_name = "FILE")]
    preset_out: Option<PathBuf>,
    /// Also save the chosen settings as a user preset under NAME.
    #[arg(long, value_name = "NAME")]
    save_preset: Option<String>,
    /// Overwrite the --preset-out file if it exists.
    #[arg(long)]
    force: bool,
}

/// What `--match` asks for.
pub struct Request {
    pub reference: PathBuf,
    /// 0..=1.
    pub amount: f64,
}

impl Request {
    pub fn new(reference: PathBuf, amount: Option<&str>) -> Result<Self, String> {
        Ok(Request { reference, amount: parse_amount(amount)? })
    }
}

/// `--match-amount`: a percentage 0–100 (a trailing `%` is accepted), 100 when absent.
pub fn parse_amount(text: Option<&str>) -> Result<f64, String> {
    let Some(text) = text else { return Ok(1.0) };
    let digits = text.trim().trim_end_matches('%').trim();
    match digits.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p / 100.0),
        Ok(p) => Err(format!("--match-amount {p} is outside 0–100 %")),
        Err(_) => Err(format!("--match-amount expects a percentage 0–100, got '{text}'")),
    }
}

/// A reference file's analysis, checked: it must be readable (mono or stereo, any supported
/// rate: the bands are compared by frequency, not by bin) and hold programme above the gate.
pub struct Reference {
    pub path: PathBuf,
    pub analysis: Analysis,
    pub lufs: f64,
}

impl Reference {
    pub fn load(path: &Path) -> Result<Self, String> {
        let audio = audio_io::read(path).map_err(|e| format!("reference {e}"))?;
        let shown = path.display();
        let channels: Vec<&[f32]> = audio.channels.iter().map(Vec::as_slice).collect();
        let analysis = analyse(&channels, audio.sample_rate as f32);
        let Some(lufs) = analysis.integrated_lufs else {
            return Err(format!(
                "reference {shown}: silent (nothing above the -70 LUFS gate); choose a file with music in it"
            ));
        };
        if analysis.band_db.iter().all(|&b| b < -110.0) {
            return Err(format!("reference {shown}: too short to analyse (it needs at least a second of music)"));
        }
        Ok(Reference { path: path.to_path_buf(), analysis, lufs })
    }
}

/// The settings a match chose, and what they were chosen from.
pub struct Chosen {
    /// The plan to render: the job's settings with the matched EQ and width, aimed at `goal`.
    pub plan: Plan,
    /// The matched EQ and width as `ID=VALUE` (the level assignments come after the render).
    pub assignments: Vec<String>,
    /// The flat master at the goal loudness the fit started from.
    pub before: Analysis,
}

/// Shelves and bells switched off: the starting point the fit replaces.
fn flat_eq(eq: &EqSettings) -> EqSettings {
    let mut flat = *eq;
    for band in [&mut flat.low_shelf, &mut flat.high_shelf].into_iter().chain(flat.bells.iter_mut()) {
        band.enabled = false;
    }
    flat
}

fn analysis_of(audio: &Audio) -> Analysis {
    let channels: Vec<&[f32]> = audio.channels.iter().map(Vec::as_slice).collect();
    analyse(&channels, audio.sample_rate as f32)
}

/// Chooses the EQ and width for `audio` (already at the rendering rate) against `reference`.
/// The loudness goal is an explicit `--target-lufs` or a delivery profile's choice when there is
/// one, else the reference's integrated loudness.
pub fn choose(
    audio: &Audio,
    job: &MasterJob,
    target_arg: Option<&str>,
    reference: &Reference,
    amount: f64,
    progress: bool,
) -> Result<Chosen, String> {
    let base = crate::plan(job, target_arg)?;
    let goal = if target_arg.is_some() || base.profile.is_some() {
        base.target
    } else {
        Some(Target { lufs: reference.lufs as f32, ceiling_dbtp: None })
    };
    let mut flat = base.settings;
    flat.eq = flat_eq(&base.settings.eq);
    println!(
        "reference {}: {:.1} LUFS integrated; mastering once flat to measure the mix at that loudness",
        reference.path.display(),
        reference.lufs
    );
    let first = render_to(audio, &flat, goal, progress)?;
    let before = analysis_of(&first);
    let options = MatchOptions { amount, ..MatchOptions::default() };
    let result = match_reference(&before, &reference.analysis, &flat.eq, &flat.stereo, &options);
    let mut assignments = eq_assignments(&result.eq);
    if (result.stereo.width_pct - flat.stereo.width_pct).abs() > 0.05 {
        if flat.stereo.bypass {
            assignments.push("st_bypass=off".to_string());
        }
        assignments.push(format!("st_width={}", result.stereo.width_pct));
    }
    let sets: Vec<String> = job.set.iter().cloned().chain(assignments.iter().cloned()).collect();
    let mut plan = crate::plan(&MasterJob { set: &sets, ..*job }, target_arg)?;
    plan.target = goal;
    Ok(Chosen { plan, assignments, before })
}

fn render_to(audio: &Audio, settings: &Settings, goal: Option<Target>, progress: bool) -> Result<Audio, String> {
    Ok(match goal {
        Some(goal) => target::master_to_target(audio, settings, goal, progress)?.audio,
        None => crate::render::render(audio, settings, progress),
    })
}

/// `ID=VALUE` for every shelf and bell: switched-off bands by their switch alone.
fn eq_assignments(eq: &EqSettings) -> Vec<String> {
    let bands: [(&str, &EqBandSettings); 6] = [
        ("eq_ls", &eq.low_shelf),
        ("eq1", &eq.bells[0]),
        ("eq2", &eq.bells[1]),
        ("eq3", &eq.bells[2]),
        ("eq4", &eq.bells[3]),
        ("eq_hs", &eq.high_shelf),
    ];
    let mut out = Vec::new();
    for (prefix, band) in bands {
        if !band.enabled {
            out.push(format!("{prefix}_on=off"));
            continue;
        }
        let mode = match band.mode {
            ChannelMode::Stereo => "stereo",
            ChannelMode::Mid => "mid",
            ChannelMode::Side => "side",
        };
        out.push(format!("{prefix}_on=on"));
        out.push(format!("{prefix}_freq={}", band.freq_hz));
        out.push(format!("{prefix}_gain={}", band.gain_db));
        out.push(format!("{prefix}_q={}", band.q));
        out.push(format!("{prefix}_mode={mode}"));
    }
    out
}

/// The level the render settled on (drive, trim, ceiling) as `ID=VALUE`.
pub fn level_assignments(used: &Settings, planned: &Settings) -> Vec<String> {
    let mut out = vec![format!("lim_drive={}", used.limiter.drive_db), format!("out_gain={}", used.output_gain_db)];
    if used.limiter.ceiling_db != planned.limiter.ceiling_db {
        out.push(format!("lim_ceiling={}", used.limiter.ceiling_db));
    }
    out
}

/// Every assignment of the match (base `--set` values first), and the plan they make without a
/// loudness target: what `lacquer master IN OUT --set ...` renders.
pub fn replay_plan(job: &MasterJob, all: &[String]) -> Result<Plan, String> {
    let sets: Vec<String> = job.set.iter().cloned().chain(all.iter().cloned()).collect();
    crate::plan(&MasterJob { set: &sets, no_target: true, ..*job }, None)
}

/// Max and mean |difference| (dB, mean offset removed) of two analyses' balance over the
/// reported range.
pub fn balance_error(a: &Analysis, b: &Analysis) -> (f64, f64) {
    let d: Vec<f64> = a
        .centres_hz
        .iter()
        .zip(a.band_db.iter().zip(&b.band_db))
        .filter(|(c, _)| (REPORT_LO_HZ..=REPORT_HI_HZ).contains(*c))
        .map(|(_, (x, y))| x - y)
        .collect();
    let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
    let e: Vec<f64> = d.iter().map(|v| (v - mean).abs()).collect();
    (e.iter().cloned().fold(0.0, f64::max), e.iter().sum::<f64>() / e.len().max(1) as f64)
}

/// After the matched render: the level it settled on joins the chosen settings, and the master
/// is the one those settings render without a target (rendered again only if the search's
/// values do not come back identical through the parameters), so the printed `--set` line
/// reproduces it exactly.
pub fn settle(
    audio: &Audio,
    job: &MasterJob,
    chosen: &Chosen,
    rendered: Rendered,
    reference: &Reference,
    progress: bool,
) -> Result<Rendered, String> {
    let mut all = chosen.assignments.clone();
    all.extend(level_assignments(&rendered.settings, &chosen.plan.settings));
    let replay = replay_plan(job, &all)?;
    let rendered = if replay.settings == rendered.settings {
        rendered
    } else {
        let audio = crate::render::render(audio, &replay.settings, progress);
        let codec_tp_dbtp = crate::codec::mp3_true_peak_dbtp(&audio)?;
        Rendered { audio, codec_tp_dbtp, settings: replay.settings, ..rendered }
    };
    print_summary(chosen, &rendered.audio, reference, &all);
    Ok(rendered)
}

/// Prints what the match chose and how close the master came.
pub fn print_summary(chosen: &Chosen, after: &Audio, reference: &Reference, all: &[String]) {
    let (b_max, b_mean) = balance_error(&chosen.before, &reference.analysis);
    let (a_max, a_mean) = balance_error(&analysis_of(after), &reference.analysis);
    println!(
        "balance against the reference, 1/3 octaves 50 Hz-14 kHz: before max {b_max:.2} dB mean {b_mean:.2} dB, \
         matched max {a_max:.2} dB mean {a_mean:.2} dB"
    );
    println!("chosen settings (same master again: lacquer master IN OUT with these):");
    println!("{}", set_line(all));
}

pub fn set_line(all: &[String]) -> String {
    all.iter().map(|a| format!("--set {a}")).collect::<Vec<_>>().join(" ")
}

/// `lacquer match IN REF`.
pub fn run(args: &MatchArgs) -> Result<(), String> {
    let amount = parse_amount(args.match_amount.as_deref())?;
    if let Some(file) = &args.preset_out {
        if file.exists() && !args.force {
            return Err(format!("{}: already exists (use --force to overwrite)", file.display()));
        }
    }
    if let Some(name) = &args.save_preset {
        presets::slugify(name)?;
    }
    let job = MasterJob {
        preset: args.preset.as_deref(),
        set: &args.set,
        format: args.format.as_deref(),
        deliver: None,
        codec_safe: false,
        no_target: false,
        force: false,
    };
    crate::plan(&job, None)?;
    let reference = Reference::load(&args.reference)?;
    let audio = audio_io::read(&args.input)?;
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let chosen = choose(&audio, &job, None, &reference, amount, progress)?;
    let rendered = crate::render_plan(&audio, &chosen.plan, progress, &[])?;
    let rendered = settle(&audio, &job, &chosen, rendered, &reference, progress)?;
    let mut all = chosen.assignments.clone();
    all.extend(level_assignments(&rendered.settings, &chosen.plan.settings));
    if args.preset_out.is_some() || args.save_preset.is_some() {
        let writer = ParamWriter::new(Arc::new(LacquerParams::default()));
        if let Some(slug) = &args.preset {
            presets::apply_direct(writer.params(), &presets::find(slug)?.resolved());
        }
        for assignment in args.set.iter().chain(&all) {
            let (id, value) =
                assignment.split_once('=').ok_or_else(|| format!("--set expects ID=VALUE, got '{assignment}'"))?;
            writer.set(id.trim(), value)?;
        }
        let stem = reference.path.file_stem().map_or("reference".to_string(), |s| s.to_string_lossy().into_owned());
        let intent = format!("matched to {} at {:.1} LUFS", reference.path.display(), reference.lufs);
        if let Some(file) = &args.preset_out {
            let name: String = format!("Match {stem}").chars().take(presets::MAX_NAME_CHARS).collect();
            let preset = Preset {
                slug: presets::slugify(&name).unwrap_or_else(|_| "match".to_string()),
                name,
                category: "Match".to_string(),
                intent: intent.clone(),
                target_lufs: None,
                values: presets::capture(writer.params()),
                origin: Origin::User(file.clone()),
            };
            presets::user::export(&preset, file)?;
            println!("wrote the preset to {}", file.display());
        }
        if let Some(name) = &args.save_preset {
            let saved = UserStore::open()?.save(name, "Match", &intent, presets::capture(writer.params()))?;
            println!("saved user preset '{}'", saved.slug);
        }
    }
    Ok(())
}
