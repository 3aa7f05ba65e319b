//! `report.png`: the delivery report at a glance, drawn with `plotters` into a bitmap.
//!
//! - Top: short-term loudness (3 s window, BS.1770-4 / EBU R128, Lacquer's meter) along the
//!   album, every 100 ms, one colour per track (the gaps in grey), with the loudness target as a
//!   red line.
//! - Bottom: the true peak of every track as a bar against the ceiling (red line), with the true
//!   peak after the MP3 320 kbps round trip as a black dot on each bar.
//!
//! Text is drawn with a font compiled into the binary (egui's Ubuntu Light, through
//! `epaint_default_fonts`, registered with plotters' `ab_glyph` backend), so no system font is
//! needed at run time.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::audio_io::Audio;
use crate::report::Report;

/// Size of report.png in pixels.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 760;
/// Spacing of the short-term loudness points (seconds): the meter's own update period.
pub const STEP_S: f64 = 0.1;
const FONT: &str = "sans-serif";

/// Track colours (cycled for albums of more tracks).
const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
];
const TARGET_RED: RGBColor = RGBColor(214, 39, 40);
const GAP_GREY: RGBColor = RGBColor(170, 170, 170);

/// A run of (time, LUFS) points that belong to one track (`Some(index)`) or to a gap.
type Segment = (Option<usize>, Vec<(f64, f64)>);

fn colour(k: usize) -> RGBColor {
    COLOURS[k % COLOURS.len()]
}

fn register_embedded_font() -> Result<(), String> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        result = register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT)
            .map_err(|_| "report.png: the embedded font cannot be read".to_string());
    });
    result
}

/// Short-term loudness (LUFS, -inf for silence) of `audio` every [`STEP_S`] seconds; value `i`
/// is the 3 s window ending at `(i + 1) * STEP_S`.
pub fn short_term_curve(audio: &Audio) -> Vec<f32> {
    let mut meter = lacquer::dsp::meter::loudness::LoudnessMeter::new(audio.sample_rate as f32, audio.channels.len());
    meter.set_true_peak_enabled(false);
    let step = ((audio.sample_rate as f64 * STEP_S).round() as usize).max(1);
    let left = &audio.channels[0];
    let right = audio.channels.get(1).unwrap_or(left);
    left.chunks(step)
        .zip(right.chunks(step))
        .filter(|(l, _)| l.len() == step)
        .map(|(l, r)| {
            meter.process(l, r);
            meter.short_term_lufs()
        })
        .collect()
}

fn draw_error<E: std::fmt::Display>(e: E) -> String {
    format!("report.png: cannot draw ({e})")
}

/// Writes `report.png` into `dir` (a temporary file renamed into place). `curve` is the
/// short-term loudness of the whole delivered programme (the album file with its gaps, or the
/// one master) from [`short_term_curve`].
pub fn write_png(dir: &Path, report: &Report, curve: &[f32], title: &str) -> Result<PathBuf, String> {
    register_embedded_font()?;
    let path = dir.join("report.png");
    let temp = tempfile::Builder::new()
        .prefix(".lacquer-")
        .suffix(".png")
        .tempfile_in(dir)
        .map_err(|e| format!("{}: cannot create a file ({e})", dir.display()))?;
    draw(temp.path(), report, curve, title)?;
    temp.persist(&path).map_err(|e| format!("{}: cannot move the report into place ({})", path.display(), e.error))?;
    Ok(path)
}

fn draw(path: &Path, report: &Report, curve: &[f32], title: &str) -> Result<(), String> {
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_error)?;
    let (upper, lower) = root.split_vertically(HEIGHT * 60 / 100);

    // Short-term loudness along the album.
    let total_s = (curve.len() as f64 * STEP_S).max(STEP_S);
    let finite: Vec<f32> = curve.iter().copied().filter(|v| v.is_finite() && *v > -70.0).collect();
    let target = report.target_lufs;
    let hi = finite.iter().copied().fold(target.unwrap_or(-60.0) as f32, f32::max) as f64;
    let lo = finite.iter().copied().fold(target.unwrap_or(0.0) as f32, f32::min) as f64;
    let (y_hi, y_lo) = ((hi + 3.0).ceil(), (lo - 3.0).floor().max(hi - 40.0).min(hi - 10.0));
    let caption = match target {
        Some(t) => format!("{title}: short-term loudness (target {t:.1} LUFS)"),
        None => format!("{title}: short-term loudness"),
    };
    let mut chart = ChartBuilder::on(&upper)
        .caption(caption, (FONT, 22))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..total_s, y_lo..y_hi)
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("LUFS")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(draw_error)?;
    // Each point belongs to the track (or gap) its window ends in.
    let owner =
        |t: f64| report.tracks.iter().position(|tr| t >= tr.start_s && t <= tr.start_s + tr.duration_s + STEP_S / 2.0);
    let mut segment: Vec<(f64, f64)> = Vec::new();
    let mut segment_owner = None;
    let mut segments: Vec<Segment> = Vec::new();
    for (i, &v) in curve.iter().enumerate() {
        let t = (i + 1) as f64 * STEP_S;
        let who = owner(t);
        if who != segment_owner && !segment.is_empty() {
            // Join the segments so the line is continuous across a change of owner.
            let last = *segment.last().unwrap_or(&(t, y_lo));
            segments.push((segment_owner, std::mem::take(&mut segment)));
            segment.push(last);
        }
        segment_owner = who;
        segment.push((t, (v as f64).clamp(y_lo, y_hi)));
    }
    segments.push((segment_owner, segment));
    let mut labelled = vec![false; report.tracks.len()];
    for (who, points) in segments {
        let style = match who {
            Some(k) => colour(k).stroke_width(2),
            None => GAP_GREY.stroke_width(1),
        };
        let series = chart.draw_series(LineSeries::new(points, style)).map_err(draw_error)?;
        if let Some(k) = who {
            if !labelled[k] {
                labelled[k] = true;
                let name = format!("{:02} {}", k + 1, report.tracks[k].title);
                series
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour(k).stroke_width(2)));
            }
        }
    }
    if let Some(t) = target {
        chart
            .draw_series(LineSeries::new([(0.0, t), (total_s, t)], TARGET_RED.stroke_width(2)))
            .map_err(draw_error)?
            .label(format!("target {t:.1} LUFS"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], TARGET_RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(draw_error)?;

    // True peak per track against the ceiling.
    let n = report.tracks.len().max(1);
    let ceiling = report.ceiling_dbtp;
    let peaks: Vec<f64> = report.tracks.iter().map(|t| t.true_peak_dbtp.unwrap_or(-60.0)).collect();
    let codec: Vec<Option<f64>> = report.tracks.iter().map(|t| t.codec_true_peak_dbtp).collect();
    let top = peaks.iter().chain(codec.iter().flatten()).copied().fold(ceiling, f64::max);
    let bottom = peaks.iter().copied().fold(ceiling, f64::min);
    let (tp_hi, tp_lo) = ((top + 1.0).ceil(), (bottom - 3.0).floor().min(ceiling - 6.0));
    let mut bars = ChartBuilder::on(&lower)
        .caption(format!("true peak per track (ceiling {ceiling:.1} dBTP; dot: after MP3 320 kbps)"), (FONT, 20))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, tp_lo..tp_hi)
        .map_err(draw_error)?;
    bars.configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(40))
        .x_label_formatter(&|x| {
            let k = x.round();
            if (x - k).abs() < 0.01 && k >= 0.0 {
                format!("{:02}", k as usize + 1)
            } else {
                String::new()
            }
        })
        .x_desc("track")
        .y_desc("dBTP")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(draw_error)?;
    bars.draw_series(peaks.iter().enumerate().map(|(k, &tp)| {
        let x = k as f64;
        Rectangle::new([(x - 0.3, tp_lo), (x + 0.3, tp.max(tp_lo))], colour(k).mix(0.8).filled())
    }))
    .map_err(draw_error)?;
    bars.draw_series(peaks.iter().enumerate().map(|(k, &tp)| {
        Text::new(format!("{tp:.1}"), (k as f64 - 0.12, tp.max(tp_lo) + (tp_hi - tp_lo) * 0.08), (FONT, 14))
    }))
    .map_err(draw_error)?;
    bars.draw_series(
        codec.iter().enumerate().filter_map(|(k, c)| c.map(|c| Circle::new((k as f64, c), 4, BLACK.filled()))),
    )
    .map_err(draw_error)?;
    bars.draw_series(LineSeries::new([(-0.5, ceiling), (n as f64 - 0.5, ceiling)], TARGET_RED.stroke_width(2)))
        .map_err(draw_error)?;
    root.present().map_err(|e| format!("report.png: write failed ({e})"))?;
    Ok(())
}
