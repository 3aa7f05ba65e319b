//! Mastering to a loudness target: find the limiter drive (or, for targets quieter than the
//! mix, the output trim) that lands the rendered master's integrated loudness on the target,
//! measuring the real render each time so the limiter's own effect on loudness is included.

use lacquer::chain::Settings;

use crate::analyze::{self, Report};
use crate::audio_io::Audio;
use crate::render;

/// A loudness target and the true-peak ceiling that goes with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub lufs: f32,
    /// `None`: keep the ceiling from the parameters.
    pub ceiling_dbtp: Option<f32>,
}

/// Accepted error of the final render (the requirement is ±0.5 LU; aim tighter).
const TOLERANCE_LU: f64 = 0.1;
const MAX_RENDERS: usize = 10;

impl Target {
    /// `streaming` (-14 LUFS, -1 dBTP), `apple` (-16, -1), `ebu` (-23, -1), `club` (-9, -0.3), or
    /// a number in LUFS.
    pub fn parse(text: &str) -> Result<Self, String> {
        let named = |lufs, tp| Ok(Target { lufs, ceiling_dbtp: Some(tp) });
        match text.trim().to_ascii_lowercase().as_str() {
            "streaming" => named(-14.0, -1.0),
            "apple" => named(-16.0, -1.0),
            "ebu" => named(-23.0, -1.0),
            "club" => named(-9.0, -0.3),
            other => match other.parse::<f32>() {
                Ok(v) if (-40.0..=-3.0).contains(&v) => Ok(Target { lufs: v, ceiling_dbtp: None }),
                Ok(v) => Err(format!("--target-lufs {v} is outside -40…-3 LUFS")),
                Err(_) => Err(format!(
                    "--target-lufs expects a number in LUFS or one of streaming, apple, ebu, club; got '{text}'"
                )),
            },
        }
    }
}

pub struct Outcome {
    pub audio: Audio,
    pub report: Report,
    pub settings: Settings,
    pub reached: bool,
}

fn render_and_measure(input: &Audio, settings: &Settings, progress: bool) -> (Audio, Report) {
    let audio = render::render(input, settings, progress);
    let report = analyze::measure("master", &audio);
    (audio, report)
}

/// Iterates on the measured loudness (secant steps, bounded to the parameter ranges).
pub fn master_to_target(input: &Audio, base: &Settings, target: Target, progress: bool) -> Result<Outcome, String> {
    let mut settings = *base;
    if let Some(tp) = target.ceiling_dbtp {
        settings.limiter.ceiling_db = tp;
    }
    let goal = target.lufs as f64;
    let (mut audio, mut report) = render_and_measure(input, &settings, progress);
    let loudness = |r: &Report| {
        r.integrated_lufs.ok_or_else(|| "the file is too quiet or too short to measure its loudness".to_string())
    };
    let mut current = loudness(&report)?;
    if current > goal {
        // Quieter than the mix as it stands: trim the output (after the limiter, so the
        // ceiling is kept), which is exactly linear in loudness.
        let trim = (goal - current) as f32;
        settings.output_gain_db = (settings.output_gain_db + trim).max(lacquer::chain::MIN_OUTPUT_GAIN_DB);
        (audio, report) = render_and_measure(input, &settings, progress);
        current = loudness(&report)?;
    } else {
        // Louder: push the limiter's drive. The limiter makes the response sub-linear, so
        // take secant steps on the measured curve.
        let mut previous: Option<(f64, f64)> = None;
        for _ in 0..MAX_RENDERS {
            if (current - goal).abs() <= TOLERANCE_LU {
                break;
            }
            let drive = settings.limiter.drive_db as f64;
            let slope = match previous {
                Some((d0, l0)) if (drive - d0).abs() > 1e-3 => ((current - l0) / (drive - d0)).clamp(0.05, 1.0),
                _ => 1.0,
            };
            let next = (drive + (goal - current) / slope).clamp(0.0, 24.0);
            if (next - drive).abs() < 1e-3 {
                break; // at the end of the drive range
            }
            previous = Some((drive, current));
            settings.limiter.drive_db = next as f32;
            (audio, report) = render_and_measure(input, &settings, progress);
            current = loudness(&report)?;
        }
    }
    let reached = (current - goal).abs() <= 0.5;
    Ok(Outcome { audio, report, settings, reached })
}
