//! Level meters: input/output sample-peak and true-peak bars with readouts and clip latches, the
//! limiter's gain reduction (bar; its history is `history.rs`), and the loudness panel (EBU R128).

use std::sync::atomic::Ordering;

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};

use crate::chain::LoudnessReadings;
use crate::meter_bus::MeterBus;

/// Meter scale (dBFS).
const METER_TOP_DB: f32 = 3.0;
const METER_BOTTOM_DB: f32 = -60.0;
/// A displayed peak holds this long, then falls at `FALL_DB_PER_S`.
const HOLD_S: f32 = 1.5;
const FALL_DB_PER_S: f32 = 20.0;
/// Gain-reduction scale (dB of reduction, top of the bar).
const GR_RANGE_DB: f32 = 12.0;

const GREEN: Color32 = Color32::from_rgb(90, 200, 120);
const AMBER: Color32 = Color32::from_rgb(235, 190, 80);
const RED: Color32 = Color32::from_rgb(235, 80, 70);
const GR_COLOR: Color32 = Color32::from_rgb(240, 140, 60);

/// One bar: a decaying display value plus the held maximum shown as text.
#[derive(Clone, Copy)]
struct Held {
    db: f32,
    age_s: f32,
}

impl Held {
    const EMPTY: Self = Self { db: f32::NEG_INFINITY, age_s: 0.0 };

    fn feed(&mut self, db: f32, dt: f32) {
        if db >= self.db {
            self.db = db;
            self.age_s = 0.0;
        } else {
            self.age_s += dt;
            if self.age_s > HOLD_S {
                self.db = (self.db - FALL_DB_PER_S * dt).max(db);
            }
        }
    }
}

/// GUI-side meter state (ballistics, clip latches).
pub struct Meters {
    /// [input L, input R, output L, output R] sample peaks (dBFS).
    peak: [Held; 4],
    /// Same order, true peak of the last blocks (dBTP).
    true_peak: [Held; 4],
    /// Latched until clicked: any sample at or above 0 dBFS on input / output.
    clip: [bool; 2],
    gr_db: f32,
    loudness_in: LoudnessReadings,
    loudness_out: LoudnessReadings,
}

impl Default for Meters {
    fn default() -> Self {
        Self::new()
    }
}

pub fn fmt_db(db: f32) -> String {
    if db.is_finite() && db > -200.0 {
        format!("{db:.1}")
    } else {
        "-inf".to_string()
    }
}

fn lin_to_db(x: f32) -> f32 {
    if x > 0.0 {
        20.0 * x.log10()
    } else {
        f32::NEG_INFINITY
    }
}

impl Meters {
    pub fn new() -> Self {
        Self {
            peak: [Held::EMPTY; 4],
            true_peak: [Held::EMPTY; 4],
            clip: [false; 2],
            gr_db: 0.0,
            loudness_in: LoudnessReadings::default(),
            loudness_out: LoudnessReadings::default(),
        }
    }

    /// Reads the bus (taking the accumulated peaks) and advances ballistics by `dt` seconds.
    pub fn update(&mut self, bus: &MeterBus, dt: f32) {
        let dt = dt.clamp(0.0, 0.25);
        let peaks = [&bus.input_peak[0], &bus.input_peak[1], &bus.output_peak[0], &bus.output_peak[1]];
        for (i, p) in peaks.into_iter().enumerate() {
            let db = lin_to_db(MeterBus::take_peak(p));
            if db >= 0.0 {
                self.clip[i / 2] = true;
            }
            self.peak[i].feed(db, dt);
        }
        self.loudness_in = bus.input_loudness.load();
        self.loudness_out = bus.output_loudness.load();
        let tps = [
            self.loudness_in.block_true_peak_dbtp[0],
            self.loudness_in.block_true_peak_dbtp[1],
            self.loudness_out.block_true_peak_dbtp[0],
            self.loudness_out.block_true_peak_dbtp[1],
        ];
        for (held, db) in self.true_peak.iter_mut().zip(tps) {
            held.feed(db, dt);
        }
        self.gr_db = bus.limiter_gain_reduction_db.load(Ordering::Relaxed).abs();
    }

    /// Level meters for input and output, side by side.
    pub fn show_levels(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            for (side, name) in [(0usize, "In"), (1, "Out")] {
                ui.vertical(|ui| {
                    ui.label(RichText::new(name).strong());
                    ui.horizontal(|ui| {
                        for ch in 0..2 {
                            let i = side * 2 + ch;
                            bar(ui, self.peak[i].db, self.true_peak[i].db);
                        }
                    });
                    for (ch, chname) in [(0usize, "L"), (1, "R")] {
                        let i = side * 2 + ch;
                        ui.label(format!("{name} {chname} peak {}", fmt_db(self.peak[i].db)));
                        ui.label(format!("{name} {chname} TP {}", fmt_db(self.true_peak[i].db)));
                    }
                    let clip_text = format!("{name} clip");
                    let color = if self.clip[side] { RED } else { Color32::from_gray(60) };
                    let button = egui::Button::new(RichText::new(clip_text).color(Color32::WHITE).small()).fill(color);
                    if ui.add(button).on_hover_text("Latched at 0 dBFS; click to clear").clicked() {
                        self.clip[side] = false;
                    }
                });
                ui.add_space(6.0);
            }
        });
    }

    /// Gain-reduction bar with readout.
    pub fn show_gain_reduction(&self, ui: &mut Ui, bus: &MeterBus) {
        let max_gr = bus.limiter_max_gain_reduction_db.load(Ordering::Relaxed).abs();
        let clips = bus.safety_clips.load(Ordering::Relaxed);
        ui.label(RichText::new("Limiter gain reduction").strong());
        ui.label(format!("GR {} dB (max {} dB)", fmt_db(self.gr_db), fmt_db(max_gr)));
        let width = ui.available_width();
        let (rect, response) = ui.allocate_exact_size(Vec2::new(width, 10.0), Sense::hover());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, "GR bar"));
        let painter = ui.painter().clone();
        painter.rect_filled(rect, 2.0, Color32::from_gray(30));
        let t = (self.gr_db / GR_RANGE_DB).clamp(0.0, 1.0);
        let filled = Rect::from_min_max(Pos2::new(rect.right() - t * rect.width(), rect.top()), rect.max);
        painter.rect_filled(filled, 2.0, GR_COLOR);
        if clips > 0 {
            ui.label(RichText::new(format!("Safety clips {clips}")).color(RED));
        }
    }

    /// Compressor gain reduction per band in one compact row (band 1 is the whole signal in
    /// single-band mode): a readout and a small bar each.
    pub fn show_compressor(&self, ui: &mut Ui, bus: &MeterBus) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Comp GR dB").strong());
            for (band, atomic) in bus.compressor_gain_reduction_db.iter().enumerate() {
                let gr = atomic.load(Ordering::Relaxed).abs();
                ui.label(format!("B{} {}", band + 1, fmt_db(gr)));
                let (rect, response) = ui.allocate_exact_size(Vec2::new(8.0, 14.0), Sense::hover());
                let name = format!("Band {} GR bar", band + 1);
                response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, &name));
                let painter = ui.painter();
                painter.rect_filled(rect, 2.0, Color32::from_gray(30));
                let t = (gr / GR_RANGE_DB).clamp(0.0, 1.0);
                let filled = Rect::from_min_max(
                    Pos2::new(rect.left(), rect.top()),
                    Pos2::new(rect.right(), rect.top() + t * rect.height()),
                );
                painter.rect_filled(filled, 2.0, GR_COLOR);
            }
        });
    }

    /// Loudness readouts for the output (input in the second column) and the reset button.
    /// The loudness panel. `target` is the loudness the master is aiming at (the user's pick or
    /// the loaded preset's); the output's integrated loudness is shown against it.
    pub fn show_loudness(&self, ui: &mut Ui, bus: &MeterBus, target: &mut Option<f32>) {
        ui.label(RichText::new("Loudness (EBU R128)").strong());
        egui::Grid::new("loudness").num_columns(3).spacing([10.0, 2.0]).show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("In").weak());
            ui.label(RichText::new("Out").weak());
            ui.end_row();
            let rows: [(&str, &str, Reading); 5] = [
                ("M", "LUFS", |r| r.momentary_lufs),
                ("S", "LUFS", |r| r.short_term_lufs),
                ("I", "LUFS", |r| r.integrated_lufs),
                ("LRA", "LU", |r| r.loudness_range_lu),
                ("TP", "dBTP", |r| r.true_peak_dbtp[0].max(r.true_peak_dbtp[1])),
            ];
            for (name, unit, get) in rows {
                ui.label(name);
                ui.label(format!("{} {unit}", fmt_db(get(&self.loudness_in))));
                ui.label(format!("{} {unit}", fmt_db(get(&self.loudness_out))));
                ui.end_row();
            }
            ui.label("Corr");
            ui.label(format!("{:+.2}", self.loudness_in.correlation));
            ui.label(format!("{:+.2}", self.loudness_out.correlation));
            ui.end_row();
        });
        ui.horizontal(|ui| {
            if ui.button("Reset loudness").on_hover_text("Restart integrated loudness, LRA and true-peak max").clicked()
            {
                bus.reset_requested.store(true, Ordering::Relaxed);
            }
            let text = target.map_or("no target".to_string(), |t| format!("target {t:.0} LUFS"));
            egui::ComboBox::from_id_salt("loudness_target").selected_text(text).show_ui(ui, |ui| {
                ui.selectable_value(target, None, "no target");
                for (lufs, name) in LOUDNESS_TARGETS {
                    ui.selectable_value(target, Some(lufs), format!("{lufs:.0} LUFS  {name}"));
                }
            });
        });
        if let Some(t) = *target {
            let i = self.loudness_out.integrated_lufs;
            if i.is_finite() {
                let off = i - t;
                let color = if off.abs() <= 1.0 { GREEN } else { AMBER };
                ui.label(RichText::new(format!("Out I {i:.1} LUFS, {off:+.1} LU from target")).color(color));
            } else {
                ui.label(RichText::new("Out I: play to measure against the target").weak());
            }
        }
    }
}

/// Common delivery targets offered in the loudness panel.
const LOUDNESS_TARGETS: [(f32, &str); 5] =
    [(-9.0, "club"), (-14.0, "streaming"), (-16.0, "Apple / podcasts"), (-18.0, "dynamic"), (-23.0, "EBU R128")];

/// Picks one reading out of a loudness snapshot.
type Reading = fn(&LoudnessReadings) -> f32;

/// One vertical meter bar: sample peak filled, true peak as a tick.
fn bar(ui: &mut Ui, peak_db: f32, tp_db: f32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(12.0, 84.0), Sense::hover());
    let painter = ui.painter();
    painter.rect_filled(rect, 2.0, Color32::from_gray(30));
    let y = |db: f32| {
        let t = ((db - METER_BOTTOM_DB) / (METER_TOP_DB - METER_BOTTOM_DB)).clamp(0.0, 1.0);
        rect.bottom() - t * rect.height()
    };
    let color = if peak_db >= 0.0 {
        RED
    } else if peak_db >= -6.0 {
        AMBER
    } else {
        GREEN
    };
    if peak_db.is_finite() {
        painter.rect_filled(Rect::from_min_max(Pos2::new(rect.left(), y(peak_db)), rect.max), 2.0, color);
    }
    if tp_db.is_finite() {
        let ty = y(tp_db);
        painter
            .line_segment([Pos2::new(rect.left(), ty), Pos2::new(rect.right(), ty)], Stroke::new(2.0, Color32::WHITE));
    }
    let zero = y(0.0);
    painter.line_segment(
        [Pos2::new(rect.left() - 2.0, zero), Pos2::new(rect.right() + 2.0, zero)],
        Stroke::new(1.0, Color32::from_gray(120)),
    );
}
