//! File measurement: loudness (BS.1770-4 / EBU R128), true peak, sample peak, RMS.

use lacquer::dsp::meter::loudness::LoudnessMeter;
use serde::Serialize;

use crate::audio_io::Audio;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    pub integrated_lufs: Option<f64>,
    pub loudness_range_lu: Option<f64>,
    pub momentary_max_lufs: Option<f64>,
    pub short_term_max_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub sample_peak_dbfs: Option<f64>,
    pub rms_dbfs: Option<f64>,
    pub sample_rate: u32,
    pub channels: usize,
    pub duration_s: f64,
}

/// JSON has no infinities: silence and "not enough audio" are `null`.
fn finite(v: f32) -> Option<f64> {
    v.is_finite().then_some((v as f64 * 100.0).round() / 100.0)
}

pub fn measure(name: &str, audio: &Audio) -> Report {
    let channels = audio.channels.len();
    let mut meter = LoudnessMeter::new(audio.sample_rate as f32, channels);
    let left = &audio.channels[0];
    let right = audio.channels.get(1).unwrap_or(left);
    for (l, r) in left.chunks(4096).zip(right.chunks(4096)) {
        meter.process(l, r);
    }
    meter.finish();
    let sample_peak = (0..channels).map(|ch| meter.sample_peak_dbfs(ch)).fold(f32::NEG_INFINITY, f32::max);
    let sum_sq: f64 = audio.channels.iter().flatten().map(|&v| (v as f64) * (v as f64)).sum();
    let count = (audio.frames() * channels).max(1) as f64;
    let rms = (sum_sq / count).sqrt();
    Report {
        file: name.to_string(),
        integrated_lufs: finite(meter.integrated_lufs()),
        loudness_range_lu: finite(meter.loudness_range_lu()),
        momentary_max_lufs: finite(meter.momentary_max_lufs()),
        short_term_max_lufs: finite(meter.short_term_max_lufs()),
        true_peak_dbtp: finite(meter.true_peak_max_dbtp()),
        sample_peak_dbfs: finite(sample_peak),
        rms_dbfs: finite(if rms > 0.0 { (20.0 * rms.log10()) as f32 } else { f32::NEG_INFINITY }),
        sample_rate: audio.sample_rate,
        channels,
        duration_s: audio.frames() as f64 / audio.sample_rate as f64,
    }
}

pub fn print_text(r: &Report) {
    let show = |v: Option<f64>, unit: &str| v.map_or("-inf".to_string(), |v| format!("{v:.1} {unit}"));
    println!("{}", r.file);
    println!("  integrated        {}", show(r.integrated_lufs, "LUFS"));
    println!("  loudness range    {}", show(r.loudness_range_lu, "LU"));
    println!("  momentary max     {}", show(r.momentary_max_lufs, "LUFS"));
    println!("  short-term max    {}", show(r.short_term_max_lufs, "LUFS"));
    println!("  true peak         {}", show(r.true_peak_dbtp, "dBTP"));
    println!("  sample peak       {}", show(r.sample_peak_dbfs, "dBFS"));
    println!("  RMS               {}", show(r.rms_dbfs, "dBFS"));
    println!("  format            {} Hz, {} ch, {:.2} s", r.sample_rate, r.channels, r.duration_s);
}
