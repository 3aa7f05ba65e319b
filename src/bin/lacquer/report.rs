//! The delivery report (`report.json`): per track and for the whole album, the loudness
//! (BS.1770-4 / EBU R128 through Lacquer's own meter, `analyze::measure`), the true peak and
//! the peak-to-loudness ratio, the true peak after the MP3 320 kbps round trip, the gain the
//! render applied, the clipped samples, the duration and where the track starts in the album.

use std::path::{Path, PathBuf};

use lacquer::chain::Settings;
use serde::Serialize;

use crate::analyze;
use crate::audio_io::Audio;
use crate::Rendered;

/// A sample counts as clipped at or above the largest 16-bit code (|x| >= 1 - 2^-15): the
/// level at which integer delivery formats can hold nothing louder.
const CLIP_LEVEL: f32 = 1.0 - 1.0 / 32_768.0;

#[derive(Debug, Clone, Serialize)]
pub struct TrackReport {
    pub title: String,
    pub start_s: f64,
    pub duration_s: f64,
    pub integrated_lufs: Option<f64>,
    pub loudness_range_lu: Option<f64>,
    pub momentary_max_lufs: Option<f64>,
    pub short_term_max_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    /// Peak-to-loudness ratio: true peak minus integrated loudness (dB).
    pub plr_db: Option<f64>,
    pub codec_true_peak_dbtp: Option<f64>,
    /// Limiter drive and output trim of the render (dB); their sum is the gain applied.
    pub limiter_drive_db: f64,
    pub output_trim_db: f64,
    pub gain_applied_db: f64,
    pub clip_count: usize,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn clip_count(audio: &Audio) -> usize {
    audio.channels.iter().flatten().filter(|v| v.abs() >= CLIP_LEVEL).count()
}

impl TrackReport {
    /// Measures `audio` (the master as delivered). `base` is the settings before any loudness
    /// search, so the gain applied is what the search added on top of them plus their own drive
    /// and trim.
    pub fn measure(title: &str, audio: &Audio, used: &Settings, codec_tp: Option<f64>, start_s: f64) -> Self {
        let m = analyze::measure(title, audio);
        let drive = used.limiter.drive_db as f64;
        let trim = used.output_gain_db as f64;
        TrackReport {
            title: title.to_string(),
            start_s: round2(start_s * 1000.0) / 1000.0,
            duration_s: m.duration_s,
            integrated_lufs: m.integrated_lufs,
            loudness_range_lu: m.loudness_range_lu,
            momentary_max_lufs: m.momentary_max_lufs,
            short_term_max_lufs: m.short_term_max_lufs,
            true_peak_dbtp: m.true_peak_dbtp,
            plr_db: m.true_peak_dbtp.zip(m.integrated_lufs).map(|(tp, i)| round2(tp - i)),
            codec_true_peak_dbtp: codec_tp.filter(|v| v.is_finite()).map(round2),
            limiter_drive_db: round2(drive),
            output_trim_db: round2(trim),
            gain_applied_db: round2(drive + trim),
            clip_count: clip_count(audio),
        }
    }

    /// One rendered master as its own report entry.
    pub fn of(title: &str, rendered: &Rendered, _base: &Settings, start_s: f64) -> Self {
        Self::measure(title, &rendered.audio, &rendered.settings, Some(rendered.codec_tp_dbtp), start_s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target_lufs: Option<f64>,
    pub ceiling_dbtp: f64,
    /// `album` (one gain for the whole album) or `per-track`; absent for a single master.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loudness_mode: Option<String>,
    pub tracks: Vec<TrackReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<TrackReport>,
}

impl Report {
    pub fn new(
        target_lufs: Option<f64>,
        ceiling_dbtp: f64,
        tracks: Vec<TrackReport>,
        album: Option<TrackReport>,
    ) -> Self {
        Report { target_lufs, ceiling_dbtp: round2(ceiling_dbtp), loudness_mode: None, tracks, album }
    }

    /// Writes `report.json` into `dir` (atomically: a temporary file renamed into place).
    pub fn write_into(&self, dir: &Path) -> Result<PathBuf, String> {
        let path = dir.join("report.json");
        let text = serde_json::to_string_pretty(self).map_err(|e| format!("cannot format the report ({e})"))?;
        let temp = tempfile::Builder::new()
            .prefix(".lacquer-")
            .suffix(".json.part")
            .tempfile_in(dir)
            .map_err(|e| format!("{}: cannot create a file ({e})", dir.display()))?;
        std::fs::write(temp.path(), text).map_err(|e| format!("{}: write failed ({e})", path.display()))?;
        temp.persist(&path)
            .map_err(|e| format!("{}: cannot move the report into place ({})", path.display(), e.error))?;
        Ok(path)
    }
}

/// The report folder must exist (checked before any work, so a typo costs nothing).
pub fn check_dir(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(format!("{}: report folder does not exist", dir.display()))
    }
}
