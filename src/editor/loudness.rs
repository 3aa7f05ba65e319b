//! The loudness panel, sized to be read from across the room: the output's integrated loudness
//! in big figures against the delivery target (the difference in LU, coloured), short-term,
//! momentary, LRA and the maximum true peak against the limiter ceiling; the short-term history
//! with the target line (the last two minutes); the input's figures small underneath.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Shape, Stroke, Ui, Vec2};

use super::meters::{fmt_db, AMBER, GREEN, RED};
use crate::chain::LoudnessReadings;
use crate::meter_bus::{MeterBus, HISTORY_POINTS_PER_S};

/// Loudness-history points per second: every 20th 10 ms bus point. Short-term loudness
/// integrates 3 s, so 0.2 s steps draw it without losing anything.
pub const HISTORY_DECIMATION: usize = 20;
/// Seconds of short-term history shown.
pub const HISTORY_SPAN_S: f32 = 120.0;
pub const HISTORY_POINTS: usize = (HISTORY_SPAN_S * HISTORY_POINTS_PER_S) as usize / HISTORY_DECIMATION;
/// The history's loudness scale (LUFS).
pub const HISTORY_TOP_LUFS: f32 = 0.0;
pub const HISTORY_BOTTOM_LUFS: f32 = -42.0;

/// Within this many LU of the target the integrated loudness reads green (EBU R128's tolerance
/// for live programme), within `AMBER_LU` amber, beyond red.
pub const GREEN_LU: f32 = 1.0;
pub const AMBER_LU: f32 = 2.0;

pub const SHORT_TERM_COLOR: Color32 = Color32::from_rgb(90, 160, 255);
pub const TARGET_COLOR: Color32 = Color32::from_rgb(240, 200, 80);

/// Common delivery targets offered in the loudness panel.
pub const LOUDNESS_TARGETS: [(f32, &str); 5] =
    [(-9.0, "club"), (-14.0, "streaming"), (-16.0, "Apple / podcasts"), (-18.0, "dynamic"), (-23.0, "EBU R128")];

/// The colour of a reading `off_lu` from its target.
pub fn target_color(off_lu: f32) -> Color32 {
    if off_lu.abs() <= GREEN_LU {
        GREEN
    } else if off_lu.abs() <= AMBER_LU {
        AMBER
    } else {
        RED
    }
}

/// GUI-side loudness state: the latest readings and the short-term history.
pub struct LoudnessPanel {
    input: LoudnessReadings,
    output: LoudnessReadings,
    history: VecDeque<f32>,
    cursor: usize,
    /// Bus points since the last kept one.
    skipped: usize,
}

impl Default for LoudnessPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl LoudnessPanel {
    pub fn new() -> Self {
        Self {
            input: LoudnessReadings::default(),
            output: LoudnessReadings::default(),
            history: VecDeque::with_capacity(HISTORY_POINTS + 1),
            cursor: 0,
            skipped: 0,
        }
    }

    pub fn update(&mut self, bus: &MeterBus) {
        self.input = bus.input_loudness.load();
        self.output = bus.output_loudness.load();
        bus.read_history(&mut self.cursor, |p| {
            self.skipped += 1;
            if self.skipped < HISTORY_DECIMATION {
                return;
            }
            self.skipped = 0;
            if self.history.len() == HISTORY_POINTS {
                self.history.pop_front();
            }
            self.history.push_back(p.short_term_lufs);
        });
    }

    /// The short-term history, oldest first (LUFS; `-inf` where nothing was measurable).
    pub fn history(&self) -> &VecDeque<f32> {
        &self.history
    }

    /// The history plot's y for a loudness.
    pub fn y_of_lufs(rect: Rect, lufs: f32) -> f32 {
        let t = ((lufs - HISTORY_BOTTOM_LUFS) / (HISTORY_TOP_LUFS - HISTORY_BOTTOM_LUFS)).clamp(0.0, 1.0);
        rect.bottom() - t * rect.height()
    }

    /// The panel. `target` is the loudness the master aims at (the user's pick or the loaded
    /// preset's); `ceiling_db` the limiter's ceiling the maximum true peak is held against.
    pub fn show(&mut self, ui: &mut Ui, bus: &MeterBus, target: &mut Option<f32>, ceiling_db: Option<f32>) {
        let out = self.output;
        ui.horizontal(|ui| {
            ui.label(RichText::new("Loudness").strong());
            ui.label(RichText::new("out, EBU R128").small().weak());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| target_picker(ui, target));
        });
        // Integrated loudness, big, and its distance from the target.
        ui.horizontal(|ui| {
            let i = out.integrated_lufs;
            let off = target.filter(|_| i.is_finite()).map(|t| i - t);
            let color = off.map_or(Color32::from_gray(235), target_color);
            big(ui, &fmt_db(i), 30.0, color, &format!("Out I {} LUFS", fmt_db(i)));
            ui.vertical(|ui| {
                ui.add_space(6.0);
                ui.label(RichText::new("LUFS").size(12.0));
                ui.label(RichText::new("integrated").small().weak());
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| match (off, *target) {
                (Some(off), _) => {
                    let text = format!("{off:+.1} LU");
                    big(ui, &text, 20.0, target_color(off), &format!("{text} from target"));
                }
                (None, Some(_)) => {
                    ui.label(RichText::new("play to measure").small().weak());
                }
                (None, None) => {}
            });
        });
        // Short-term, momentary, LRA, and the true-peak maximum against the ceiling.
        ui.columns(4, |cols| {
            small_reading(
                &mut cols[0],
                "Short-term",
                "S",
                &fmt_db(out.short_term_lufs),
                "LUFS",
                Color32::from_gray(235),
            );
            small_reading(&mut cols[1], "Momentary", "M", &fmt_db(out.momentary_lufs), "LUFS", Color32::from_gray(235));
            small_reading(
                &mut cols[2],
                "LRA (LU)",
                "LRA",
                &fmt_db(out.loudness_range_lu),
                "LU",
                Color32::from_gray(235),
            );
            let tp = out.true_peak_dbtp[0].max(out.true_peak_dbtp[1]);
            // A tenth of a dB over is the display's rounding, not an over.
            let color = match ceiling_db {
                Some(c) if tp > c + 0.1 => RED,
                Some(_) if tp.is_finite() => GREEN,
                _ => Color32::from_gray(235),
            };
            small_reading(&mut cols[3], "TP max", "TP max", &fmt_db(tp), "dBTP", color);
        });
        if let Some(c) = ceiling_db {
            ui.label(RichText::new(format!("ceiling {c:.1} dBTP")).small().weak());
        }
        let input_line = 16.0;
        let buttons = 22.0;
        let spacing = ui.spacing().item_spacing.y;
        let height = (ui.available_height() - input_line - buttons - 3.0 * spacing).max(40.0);
        self.show_history(ui, Vec2::new(ui.available_width(), height), *target);
        let inp = self.input;
        let text = format!(
            "In  I {}  S {}  M {}  LRA {}  TP {}",
            fmt_db(inp.integrated_lufs),
            fmt_db(inp.short_term_lufs),
            fmt_db(inp.momentary_lufs),
            fmt_db(inp.loudness_range_lu),
            fmt_db(inp.true_peak_dbtp[0].max(inp.true_peak_dbtp[1])),
        );
        ui.label(RichText::new(text).size(10.5).color(Color32::from_gray(170)));
        ui.horizontal(|ui| {
            if ui
                .button("Reset loudness")
                .on_hover_text("Restart integrated loudness, LRA, true-peak max and the history")
                .clicked()
            {
                bus.reset_requested.store(true, Ordering::Relaxed);
                self.history.clear();
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let corr = |c: f32| format!("{c:+.2}");
                ui.label(RichText::new(corr(out.correlation)).monospace().size(11.0)).widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Label, true, format!("Out corr {}", corr(out.correlation)))
                });
                ui.label(RichText::new("out").small().weak());
                ui.label(RichText::new(corr(self.input.correlation)).monospace().size(11.0)).widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Label, true, format!("In corr {}", corr(inp.correlation)))
                });
                ui.label(RichText::new("Corr in").small().weak());
            });
        });
    }

    /// The short-term history (newest at the right) with the target line; accessible as
    /// "Loudness history".
    fn show_history(&self, ui: &mut Ui, size: Vec2, target: Option<f32>) {
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Loudness history"));
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_rgb(12, 14, 18));
        let font = FontId::proportional(9.0);
        for lufs in [-6.0, -12.0, -18.0, -24.0, -30.0, -36.0] {
            let y = Self::y_of_lufs(rect, lufs);
            painter.line_segment(
                [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
                Stroke::new(1.0, Color32::from_gray(32)),
            );
            painter.text(
                Pos2::new(rect.left() + 2.0, y),
                Align2::LEFT_CENTER,
                format!("{lufs:.0}"),
                font.clone(),
                Color32::from_gray(100),
            );
        }
        let step = rect.width() / (HISTORY_POINTS - 1) as f32;
        let n = self.history.len();
        let mut line = Vec::with_capacity(n);
        let mut fill = Vec::with_capacity(n);
        for (i, &lufs) in self.history.iter().enumerate() {
            if !lufs.is_finite() {
                continue;
            }
            let x = rect.right() - (n - 1 - i) as f32 * step;
            let y = Self::y_of_lufs(rect, lufs);
            line.push(Pos2::new(x, y));
            fill.push(Shape::rect_filled(
                Rect::from_min_max(Pos2::new(x - step, y), Pos2::new(x, rect.bottom())),
                0.0,
                SHORT_TERM_COLOR.gamma_multiply(0.25),
            ));
        }
        painter.extend(fill);
        if line.len() >= 2 {
            painter.add(Shape::line(line, Stroke::new(1.5, SHORT_TERM_COLOR)));
        }
        if let Some(t) = target {
            let y = Self::y_of_lufs(rect, t);
            painter
                .line_segment([Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)], Stroke::new(1.0, TARGET_COLOR));
            painter.text(
                Pos2::new(rect.right() - 2.0, y - 1.0),
                Align2::RIGHT_BOTTOM,
                format!("target {t:.0}"),
                font,
                TARGET_COLOR,
            );
        }
        painter.text(
            Pos2::new(rect.right() - 2.0, rect.top() + 1.0),
            Align2::RIGHT_TOP,
            format!("short-term, last {:.0} s", HISTORY_SPAN_S),
            FontId::proportional(9.0),
            Color32::from_gray(120),
        );
    }
}

fn target_picker(ui: &mut Ui, target: &mut Option<f32>) {
    let text = target.map_or("no target".to_string(), |t| format!("target {t:.0} LUFS"));
    egui::ComboBox::from_id_salt("loudness_target").selected_text(text).show_ui(ui, |ui| {
        ui.selectable_value(target, None, "no target");
        for (lufs, name) in LOUDNESS_TARGETS {
            ui.selectable_value(target, Some(lufs), format!("{lufs:.0} LUFS  {name}"));
        }
    });
}

/// A big figure with its own accessible label.
fn big(ui: &mut Ui, text: &str, size: f32, color: Color32, label: &str) {
    ui.label(RichText::new(text).size(size).strong().color(color))
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, label));
}

/// A caption (naming the unit) over a value; the accessible label carries the unit.
fn small_reading(ui: &mut Ui, caption: &str, name: &str, value: &str, unit: &str, color: Color32) {
    ui.spacing_mut().item_spacing.y = 0.0;
    ui.label(RichText::new(caption).small().weak());
    ui.label(RichText::new(value).size(16.0).strong().color(color))
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, format!("Out {name} {value} {unit}")));
}
