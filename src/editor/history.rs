//! The level and gain-reduction history (the view mastering limiters are read by): the last
//! ten seconds of input level, output level and limiter gain reduction on one dB scale, with the
//! ceiling drawn point by point so its automation shows as it moves. Points come from the meter
//! bus at 100 per second, each the maxima of its 10 ms, so nothing between GUI frames is lost.

use std::collections::VecDeque;

use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2};

use crate::meter_bus::{HistoryPoint, MeterBus, HISTORY_POINTS_PER_S};

/// Seconds shown.
pub const SPAN_S: f32 = 10.0;
/// Points shown (ten seconds at the bus's rate).
pub const POINTS: usize = (SPAN_S * HISTORY_POINTS_PER_S) as usize;
/// Level scale of the plot (dBFS); gain reduction hangs from the top on the same dB per pixel.
pub const TOP_DB: f32 = 0.0;
pub const BOTTOM_DB: f32 = -36.0;

pub const INPUT_COLOR: Color32 = Color32::from_rgb(70, 82, 100);
pub const OUTPUT_COLOR: Color32 = Color32::from_rgb(110, 190, 240);
pub const GR_COLOR: Color32 = Color32::from_rgb(240, 110, 70);
pub const CEILING_COLOR: Color32 = Color32::from_rgb(240, 200, 80);

/// GUI-side copy of the last `POINTS` history points.
pub struct LevelHistory {
    points: VecDeque<HistoryPoint>,
    /// Bus position read up to.
    cursor: usize,
}

impl Default for LevelHistory {
    fn default() -> Self {
        Self::new()
    }
}

fn lin_to_db(x: f32) -> f32 {
    if x > 0.0 {
        20.0 * x.log10()
    } else {
        f32::NEG_INFINITY
    }
}

impl LevelHistory {
    pub fn new() -> Self {
        Self { points: VecDeque::with_capacity(POINTS + 1), cursor: 0 }
    }

    /// Pulls every point the audio thread completed since the last frame.
    pub fn update(&mut self, bus: &MeterBus) {
        bus.read_history(&mut self.cursor, |p| {
            if self.points.len() == POINTS {
                self.points.pop_front();
            }
            self.points.push_back(p);
        });
    }

    pub fn points(&self) -> &VecDeque<HistoryPoint> {
        &self.points
    }

    /// The plot's y for a level in dBFS (clamped to the scale).
    pub fn y_of_db(rect: Rect, db: f32) -> f32 {
        let t = ((db - BOTTOM_DB) / (TOP_DB - BOTTOM_DB)).clamp(0.0, 1.0);
        rect.bottom() - t * rect.height()
    }

    /// The plot's x for the i-th of the shown points (newest at the right edge).
    fn x_of(&self, rect: Rect, i: usize) -> f32 {
        let age = self.points.len() - 1 - i;
        rect.right() - age as f32 / (POINTS - 1) as f32 * rect.width()
    }

    /// Draws the history into a plot of `size`; the accessible label is "GR history".
    pub fn show(&self, ui: &mut Ui, size: Vec2) -> Rect {
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "GR history"));
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_rgb(12, 14, 18));
        let font = egui::FontId::proportional(10.0);
        for db in [-6.0, -12.0, -18.0, -24.0, -30.0] {
            let y = Self::y_of_db(rect, db);
            painter.line_segment(
                [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
                Stroke::new(1.0, Color32::from_gray(34)),
            );
            painter.text(
                Pos2::new(rect.left() + 3.0, y - 1.0),
                egui::Align2::LEFT_BOTTOM,
                format!("{db:.0}"),
                font.clone(),
                Color32::from_gray(110),
            );
        }
        if self.points.len() >= 2 {
            self.paint_traces(&painter, rect);
        }
        rect
    }

    fn paint_traces(&self, painter: &egui::Painter, rect: Rect) {
        let mut input_fill = Vec::with_capacity(self.points.len() * 6);
        let mut output = Vec::with_capacity(self.points.len());
        let mut gr = Vec::with_capacity(self.points.len());
        let mut ceiling = Vec::with_capacity(self.points.len());
        for (i, p) in self.points.iter().enumerate() {
            let x = self.x_of(rect, i);
            let y_in = Self::y_of_db(rect, lin_to_db(p.input_peak));
            if y_in < rect.bottom() {
                let w = (rect.width() / (POINTS - 1) as f32).max(1.0);
                input_fill.push(Shape::rect_filled(
                    Rect::from_min_max(Pos2::new(x - w, y_in), Pos2::new(x, rect.bottom())),
                    0.0,
                    INPUT_COLOR,
                ));
            }
            output.push(Pos2::new(x, Self::y_of_db(rect, lin_to_db(p.output_peak))));
            // Gain reduction hangs from the top edge: n dB of reduction reaches n dB down.
            gr.push(Pos2::new(x, Self::y_of_db(rect, TOP_DB - p.gain_reduction_db.max(0.0))));
            ceiling.push(Pos2::new(x, Self::y_of_db(rect, p.ceiling_db)));
        }
        painter.extend(input_fill);
        painter.add(Shape::line(output, Stroke::new(1.2, OUTPUT_COLOR)));
        painter.add(Shape::line(ceiling, Stroke::new(1.0, CEILING_COLOR)));
        painter.add(Shape::line(gr, Stroke::new(1.5, GR_COLOR)));
    }
}
