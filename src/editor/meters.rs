//! Level meters on dB scales: input and output sample-peak and true-peak bars per channel with
//! peak-hold lines and clip latches, the limiter's gain reduction and the compressor's per band
//! (their 10 s history is `history.rs`), and numeric maxima that reset when clicked. The
//! loudness panel is `loudness.rs`.

use std::sync::atomic::Ordering;

use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};

use super::panel::{COMPRESSOR_COLOR, LIMITER_COLOR};
use crate::meter_bus::MeterBus;

/// Level scale (dBFS / dBTP).
pub const METER_TOP_DB: f32 = 3.0;
pub const METER_BOTTOM_DB: f32 = -60.0;
/// Labelled level ticks.
const LEVEL_TICKS: [f32; 9] = [0.0, -6.0, -12.0, -18.0, -24.0, -30.0, -40.0, -50.0, -60.0];
/// Gain-reduction scale (dB of reduction, hanging from the top).
pub const GR_RANGE_DB: f32 = 12.0;
const GR_TICKS: [f32; 5] = [0.0, 3.0, 6.0, 9.0, 12.0];
/// A peak-hold line holds this long, then falls at `HOLD_FALL_DB_PER_S`.
pub const HOLD_S: f32 = 1.5;
pub const HOLD_FALL_DB_PER_S: f32 = 20.0;
/// The bars themselves fall at this rate (instant rise), like a digital peak meter.
const BAR_FALL_DB_PER_S: f32 = 26.0;
/// Shortest bar area (scales, bars and their captions).
pub const METER_MIN_HEIGHT: f32 = 150.0;

pub const GREEN: Color32 = Color32::from_rgb(90, 200, 120);
pub const AMBER: Color32 = Color32::from_rgb(235, 190, 80);
pub const RED: Color32 = Color32::from_rgb(235, 80, 70);
const TP_COLOR: Color32 = Color32::from_rgb(150, 200, 255);
const HOLD_COLOR: Color32 = Color32::from_gray(235);
const SCALE_COLOR: Color32 = Color32::from_gray(120);

/// A value with ballistics: it rises at once; after `hold_s` it falls at `fall_db_per_s`.
#[derive(Clone, Copy, Debug)]
pub struct Ballistic {
    pub db: f32,
    age_s: f32,
}

impl Default for Ballistic {
    fn default() -> Self {
        Self::new()
    }
}

impl Ballistic {
    const EMPTY: Self = Self { db: f32::NEG_INFINITY, age_s: 0.0 };

    /// Empty (`-inf`): the first value fed sets it.
    pub fn new() -> Self {
        Self::EMPTY
    }

    pub fn feed(&mut self, db: f32, dt: f32, hold_s: f32, fall_db_per_s: f32) {
        if db >= self.db || !self.db.is_finite() {
            self.db = db;
            self.age_s = 0.0;
        } else {
            self.age_s += dt;
            if self.age_s > hold_s {
                self.db = (self.db - fall_db_per_s * dt).max(db);
            }
        }
    }
}

/// One channel's meter: sample peak and true peak, each a bar and a hold line.
#[derive(Clone, Copy)]
struct Channel {
    peak: Ballistic,
    peak_hold: Ballistic,
    true_peak: Ballistic,
    true_peak_hold: Ballistic,
}

impl Channel {
    const EMPTY: Self = Self {
        peak: Ballistic::EMPTY,
        peak_hold: Ballistic::EMPTY,
        true_peak: Ballistic::EMPTY,
        true_peak_hold: Ballistic::EMPTY,
    };

    fn feed(&mut self, peak_db: f32, tp_db: f32, dt: f32) {
        self.peak.feed(peak_db, dt, 0.0, BAR_FALL_DB_PER_S);
        self.peak_hold.feed(peak_db, dt, HOLD_S, HOLD_FALL_DB_PER_S);
        self.true_peak.feed(tp_db, dt, 0.0, BAR_FALL_DB_PER_S);
        self.true_peak_hold.feed(tp_db, dt, HOLD_S, HOLD_FALL_DB_PER_S);
    }
}

/// GUI-side meter state (ballistics, maxima, clip latches).
pub struct Meters {
    /// [input L, input R, output L, output R].
    channels: [Channel; 4],
    /// Highest sample peak and true peak since the last click, per side ([input, output]),
    /// over both channels; fed from the bus's accumulators, so no block is missed.
    peak_max_db: [f32; 2],
    true_peak_max_db: [f32; 2],
    /// Latched until clicked: any sample at or above 0 dBFS on input / output.
    clip: [bool; 2],
    gr_db: f32,
    /// Largest limiter gain reduction since the last click.
    gr_max_db: f32,
    compressor_gr_db: [f32; 3],
    safety_clips: u64,
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

pub fn lin_to_db(x: f32) -> f32 {
    if x > 0.0 {
        20.0 * x.log10()
    } else {
        f32::NEG_INFINITY
    }
}

/// Side names as shown and in accessible labels.
const SIDES: [&str; 2] = ["In", "Out"];

impl Meters {
    pub fn new() -> Self {
        Self {
            channels: [Channel::EMPTY; 4],
            peak_max_db: [f32::NEG_INFINITY; 2],
            true_peak_max_db: [f32::NEG_INFINITY; 2],
            clip: [false; 2],
            gr_db: 0.0,
            gr_max_db: 0.0,
            compressor_gr_db: [0.0; 3],
            safety_clips: 0,
        }
    }

    /// Reads the bus (taking the accumulated peaks) and advances ballistics by `dt` seconds.
    pub fn update(&mut self, bus: &MeterBus, dt: f32) {
        let dt = dt.clamp(0.0, 0.25);
        let peaks = [&bus.input_peak[0], &bus.input_peak[1], &bus.output_peak[0], &bus.output_peak[1]];
        let tps = [
            &bus.input_true_peak_dbtp[0],
            &bus.input_true_peak_dbtp[1],
            &bus.output_true_peak_dbtp[0],
            &bus.output_true_peak_dbtp[1],
        ];
        for (i, (p, tp)) in peaks.into_iter().zip(tps).enumerate() {
            let db = lin_to_db(MeterBus::take_peak(p));
            let tp_db = MeterBus::take_max_db(tp);
            let side = i / 2;
            if db >= 0.0 {
                self.clip[side] = true;
            }
            self.peak_max_db[side] = self.peak_max_db[side].max(db);
            self.true_peak_max_db[side] = self.true_peak_max_db[side].max(tp_db);
            self.channels[i].feed(db, tp_db, dt);
        }
        self.gr_db = bus.limiter_gain_reduction_db.load(Ordering::Relaxed).abs();
        self.gr_max_db = self.gr_max_db.max(MeterBus::take_peak(&bus.limiter_gain_reduction_peak_db));
        for (gr, atomic) in self.compressor_gr_db.iter_mut().zip(&bus.compressor_gain_reduction_db) {
            *gr = atomic.load(Ordering::Relaxed).abs();
        }
        self.safety_clips = bus.safety_clips.load(Ordering::Relaxed);
    }

    /// The maxima shown as numbers: ([input, output] sample peak, true peak, limiter GR).
    pub fn maxima(&self) -> ([f32; 2], [f32; 2], f32) {
        (self.peak_max_db, self.true_peak_max_db, self.gr_max_db)
    }

    /// Bars `height` tall with their scales on the left, the numeric maxima on the right.
    pub fn show(&mut self, ui: &mut Ui, height: f32) {
        ui.horizontal_top(|ui| {
            self.show_bars(ui, height.max(METER_MIN_HEIGHT));
            ui.vertical(|ui| self.show_readouts(ui));
        });
    }

    fn show_bars(&mut self, ui: &mut Ui, height: f32) {
        const SCALE_W: f32 = 22.0;
        const PEAK_W: f32 = 8.0;
        const TP_W: f32 = 3.0;
        const CH_W: f32 = PEAK_W + 1.0 + TP_W;
        const PAIR_W: f32 = 2.0 * CH_W + 3.0;
        const GR_W: f32 = 10.0;
        const BAND_W: f32 = 7.0;
        const GR_SCALE_W: f32 = 16.0;
        let width =
            SCALE_W + 3.0 + PAIR_W + 8.0 + PAIR_W + 10.0 + GR_W + 6.0 + 3.0 * BAND_W + 2.0 * 3.0 + 3.0 + GR_SCALE_W;
        let (area, _) = ui.allocate_exact_size(Vec2::new(width, height), Sense::hover());
        let caption_h = 12.0;
        let led_h = 8.0;
        let bars = Rect::from_min_max(
            Pos2::new(area.left(), area.top() + led_h + 4.0),
            Pos2::new(area.right(), area.bottom() - caption_h - 2.0),
        );
        let level_y = |db: f32| {
            let t = ((db - METER_BOTTOM_DB) / (METER_TOP_DB - METER_BOTTOM_DB)).clamp(0.0, 1.0);
            bars.bottom() - t * bars.height()
        };
        let gr_y = |db: f32| bars.top() + (db / GR_RANGE_DB).clamp(0.0, 1.0) * bars.height();
        let font = FontId::proportional(9.0);
        let painter = ui.painter().clone();
        for db in LEVEL_TICKS {
            let y = level_y(db);
            painter.text(
                Pos2::new(area.left() + SCALE_W, y),
                Align2::RIGHT_CENTER,
                format!("{db:.0}"),
                font.clone(),
                SCALE_COLOR,
            );
        }
        let mut x = area.left() + SCALE_W + 3.0;
        for (side, side_name) in SIDES.iter().enumerate() {
            let pair = Rect::from_min_max(Pos2::new(x, bars.top()), Pos2::new(x + PAIR_W, bars.bottom()));
            for db in LEVEL_TICKS {
                let y = level_y(db);
                painter.line_segment(
                    [Pos2::new(pair.left() - 2.0, y), Pos2::new(pair.right() + 2.0, y)],
                    Stroke::new(1.0, Color32::from_gray(if db == 0.0 { 90 } else { 40 })),
                );
            }
            for ch in 0..2 {
                let left = x + ch as f32 * (CH_W + 3.0);
                let c = &self.channels[side * 2 + ch];
                let peak = Rect::from_min_max(Pos2::new(left, bars.top()), Pos2::new(left + PEAK_W, bars.bottom()));
                let tp = Rect::from_min_max(
                    Pos2::new(left + PEAK_W + 1.0, bars.top()),
                    Pos2::new(left + CH_W, bars.bottom()),
                );
                level_bar(&painter, peak, c.peak.db, c.peak_hold.db, level_y, level_color(c.peak.db));
                level_bar(&painter, tp, c.true_peak.db, c.true_peak_hold.db, level_y, TP_COLOR);
            }
            // Clip latch over the pair.
            let led = Rect::from_min_size(Pos2::new(x, area.top()), Vec2::new(PAIR_W, led_h));
            let name = format!("{side_name} clip");
            let response = ui.interact(led, ui.scope_id().with(("clip", side)), Sense::click());
            response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, self.clip[side], &name));
            if response.on_hover_text("Latched at 0 dBFS; click to clear").clicked() {
                self.clip[side] = false;
            }
            painter.rect_filled(led, 2.0, if self.clip[side] { RED } else { Color32::from_gray(45) });
            painter.text(
                Pos2::new(pair.center().x, area.bottom()),
                Align2::CENTER_BOTTOM,
                format!("{side_name} L R"),
                font.clone(),
                Color32::from_gray(170),
            );
            x += PAIR_W + 8.0;
        }
        x += 2.0;
        // Gain reduction: the limiter, then the compressor's bands, on one scale.
        let gr_left = x;
        for db in GR_TICKS {
            let y = gr_y(db);
            painter.line_segment(
                [Pos2::new(gr_left - 2.0, y), Pos2::new(gr_left + GR_W + 6.0 + 3.0 * BAND_W + 6.0 + 2.0, y)],
                Stroke::new(1.0, Color32::from_gray(40)),
            );
        }
        let lim = Rect::from_min_max(Pos2::new(x, bars.top()), Pos2::new(x + GR_W, bars.bottom()));
        let response = ui.interact(lim, ui.scope_id().with("lim_gr"), Sense::hover());
        let label = format!("Limiter GR {} dB", fmt_db(self.gr_db));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, &label));
        gr_bar(&painter, lim, self.gr_db, gr_y, LIMITER_COLOR);
        painter.text(
            Pos2::new(lim.center().x, area.bottom()),
            Align2::CENTER_BOTTOM,
            "Lim",
            font.clone(),
            LIMITER_COLOR,
        );
        x += GR_W + 6.0;
        let bands_left = x;
        for (band, &gr) in self.compressor_gr_db.iter().enumerate() {
            let r = Rect::from_min_max(Pos2::new(x, bars.top()), Pos2::new(x + BAND_W, bars.bottom()));
            let response = ui.interact(r, ui.scope_id().with(("band_gr", band)), Sense::hover());
            let label = format!("Band {} GR {} dB", band + 1, fmt_db(gr));
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, &label));
            gr_bar(&painter, r, gr, gr_y, COMPRESSOR_COLOR);
            x += BAND_W + 3.0;
        }
        painter.text(
            Pos2::new((bands_left + x - 3.0) / 2.0, area.bottom()),
            Align2::CENTER_BOTTOM,
            "Comp",
            font.clone(),
            COMPRESSOR_COLOR,
        );
        for db in GR_TICKS {
            painter.text(
                Pos2::new(area.right(), gr_y(db)),
                Align2::RIGHT_CENTER,
                format!("{db:.0}"),
                font.clone(),
                SCALE_COLOR,
            );
        }
    }

    fn show_readouts(&mut self, ui: &mut Ui) {
        ui.spacing_mut().item_spacing = Vec2::new(3.0, 2.0);
        const NAME_W: f32 = 24.0;
        const VALUE_W: f32 = 35.0;
        ui.horizontal(|ui| {
            ui.add_sized([NAME_W, 14.0], egui::Label::new(RichText::new("max").small().weak()));
            ui.add_sized([VALUE_W, 14.0], egui::Label::new(RichText::new("Peak").small().weak()));
            ui.add_sized([VALUE_W, 14.0], egui::Label::new(RichText::new("TP").small().weak()));
        });
        for (side, side_name) in SIDES.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.add_sized([NAME_W, 18.0], egui::Label::new(RichText::new(*side_name).strong()));
                let values = [("peak", self.peak_max_db[side]), ("TP", self.true_peak_max_db[side])];
                let mut reset = false;
                for (kind, db) in values {
                    let color = if db >= 0.0 { RED } else { Color32::from_gray(225) };
                    let button = egui::Button::new(RichText::new(fmt_db(db)).monospace().size(11.0).color(color))
                        .fill(Color32::from_rgb(30, 33, 40));
                    let response = ui.add_sized([VALUE_W, 18.0], button);
                    let label = format!("{side_name} {kind} max {}", fmt_db(db));
                    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                    reset |= response.on_hover_text("Highest since the last click; click to reset").clicked();
                }
                if reset {
                    self.peak_max_db[side] = f32::NEG_INFINITY;
                    self.true_peak_max_db[side] = f32::NEG_INFINITY;
                }
            });
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.add_sized([NAME_W, 18.0], egui::Label::new(RichText::new("GR").strong().color(LIMITER_COLOR)));
            ui.add_sized([VALUE_W, 18.0], egui::Label::new(RichText::new(fmt_db(self.gr_db)).monospace().size(11.0)))
                .widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Label, true, format!("GR now {}", fmt_db(self.gr_db)))
                });
            let button = egui::Button::new(RichText::new(fmt_db(self.gr_max_db)).monospace().size(11.0))
                .fill(Color32::from_rgb(30, 33, 40));
            let response = ui.add_sized([VALUE_W, 18.0], button);
            let label = format!("GR max {}", fmt_db(self.gr_max_db));
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            if response.on_hover_text("Largest limiter gain reduction since the last click; click to reset").clicked() {
                self.gr_max_db = 0.0;
            }
        });
        ui.horizontal(|ui| {
            ui.add_sized([NAME_W, 16.0], egui::Label::new(RichText::new("Comp").small().color(COMPRESSOR_COLOR)));
            let text = self.compressor_gr_db.iter().map(|&g| fmt_gr(g)).collect::<Vec<_>>().join(" ");
            ui.label(RichText::new(text).monospace().size(10.0));
        });
        if self.safety_clips > 0 {
            ui.label(RichText::new(format!("Safety clips {}", self.safety_clips)).small().color(RED));
        }
    }
}

/// A gain reduction in at most four characters (one decimal below 10 dB).
fn fmt_gr(db: f32) -> String {
    if db < 9.95 {
        format!("{db:.1}")
    } else {
        format!("{db:.0}")
    }
}

fn level_color(db: f32) -> Color32 {
    if db >= 0.0 {
        RED
    } else if db >= -6.0 {
        AMBER
    } else {
        GREEN
    }
}

/// A level bar filled from the bottom to `db`, with the hold line at `hold_db`.
fn level_bar(painter: &egui::Painter, rect: Rect, db: f32, hold_db: f32, y: impl Fn(f32) -> f32, color: Color32) {
    painter.rect_filled(rect, 1.0, Color32::from_gray(28));
    if db.is_finite() && db > METER_BOTTOM_DB {
        painter.rect_filled(Rect::from_min_max(Pos2::new(rect.left(), y(db)), rect.max), 1.0, color);
    }
    if hold_db.is_finite() && hold_db > METER_BOTTOM_DB {
        let hy = y(hold_db);
        painter.line_segment([Pos2::new(rect.left(), hy), Pos2::new(rect.right(), hy)], Stroke::new(1.5, HOLD_COLOR));
    }
}

/// A gain-reduction bar hanging from the top.
fn gr_bar(painter: &egui::Painter, rect: Rect, db: f32, y: impl Fn(f32) -> f32, color: Color32) {
    painter.rect_filled(rect, 1.0, Color32::from_gray(28));
    if db > 0.0 {
        painter.rect_filled(Rect::from_min_max(rect.min, Pos2::new(rect.right(), y(db))), 1.0, color);
    }
}
