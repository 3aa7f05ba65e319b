//! Painting of the EQ overlay: its dB scale, the curves, the nodes and the hover readout.

use egui::epaint::Mesh;
use egui::{Align2, Color32, FontId, Id, Painter, Pos2, Rect, RichText, Shape, Stroke, Ui, Vec2};

use super::params::BandHandles;
use super::{curve_points, db_to_y, BandInfo, CURVE_COLOR, HIT_HALF_SIZE, NODE_RADIUS, SIDE_COLOR};

const BYPASSED_COLOR: Color32 = Color32::from_gray(110);
/// Columns at the right edge kept free of scale labels, so a node at 20 kHz never sits on one.
const LABEL_INSET: f32 = 2.0 * NODE_RADIUS + 4.0;

/// What the curves show this frame.
pub struct CurveState {
    /// The whole EQ stage is bypassed.
    pub bypassed: bool,
    /// Some band is on (and the stage not bypassed).
    pub any_on: bool,
    /// Mid and side differ (some enabled band is in mid or side mode).
    pub split: bool,
}

/// The EQ's dB scale: ticks and labels on the right, and a faint 0 dB line.
pub fn scale(painter: &Painter, rect: Rect) {
    let color = CURVE_COLOR.gamma_multiply(0.55);
    let font = FontId::proportional(10.0);
    let zero_y = db_to_y(0.0, rect);
    painter.line_segment(
        [Pos2::new(rect.left(), zero_y), Pos2::new(rect.right(), zero_y)],
        Stroke::new(1.0, CURVE_COLOR.gamma_multiply(0.18)),
    );
    for (db, text) in
        [(18.0, "+18"), (12.0, "+12"), (6.0, "+6"), (0.0, "0"), (-6.0, "-6"), (-12.0, "-12"), (-18.0, "-18")]
    {
        let y = db_to_y(db, rect);
        let x = rect.right() - LABEL_INSET;
        painter.line_segment([Pos2::new(x + 2.0, y), Pos2::new(x + 6.0, y)], Stroke::new(1.0, color));
        painter.text(Pos2::new(x, y), Align2::RIGHT_CENTER, text, font.clone(), color);
    }
}

/// The stereo + mid curve bright with a translucent fill to 0 dB, the side curve dashed when it
/// differs, and their legend; a thin dim line when nothing is heard.
pub fn curves(painter: &Painter, rect: Rect, mid_db: &[f32], side_db: &[f32], state: &CurveState) {
    if state.bypassed || !state.any_on {
        let color = if state.bypassed { BYPASSED_COLOR } else { CURVE_COLOR.gamma_multiply(0.4) };
        painter.add(Shape::line(curve_points(mid_db, rect), Stroke::new(1.0, color)));
        return;
    }
    let points = curve_points(mid_db, rect);
    painter.add(fill_to(&points, db_to_y(0.0, rect), CURVE_COLOR.gamma_multiply(0.12)));
    if state.split {
        let side = curve_points(side_db, rect);
        painter.extend(Shape::dashed_line(&side, Stroke::new(1.5, SIDE_COLOR), 6.0, 4.0));
    }
    painter.add(Shape::line(points, Stroke::new(2.0, CURVE_COLOR)));
    // Left of the analyser's "peak pre post" legend.
    let font = FontId::proportional(11.0);
    let corner = rect.right_top() + Vec2::new(-100.0, 6.0);
    let label = if state.split { "EQ mid" } else { "EQ" };
    let drawn = painter.text(corner, Align2::RIGHT_TOP, label, font.clone(), CURVE_COLOR);
    if state.split {
        painter.text(drawn.left_top() - Vec2::new(10.0, 0.0), Align2::RIGHT_TOP, "EQ side", font, SIDE_COLOR);
    }
}

/// Translucent band between the 0 dB line and the curve, so boosts and cuts read at a glance.
fn fill_to(points: &[Pos2], zero_y: f32, color: Color32) -> Shape {
    let mut mesh = Mesh::default();
    mesh.reserve_vertices(2 * points.len());
    mesh.reserve_triangles(2 * points.len());
    for (i, p) in points.iter().enumerate() {
        mesh.colored_vertex(*p, color);
        mesh.colored_vertex(Pos2::new(p.x, zero_y), color);
        if i > 0 {
            let k = 2 * i as u32;
            mesh.add_triangle(k - 2, k - 1, k);
            mesh.add_triangle(k - 1, k + 1, k);
        }
    }
    Shape::mesh(mesh)
}

/// A node: filled in its band's colour when heard, hollow and dim when off or bypassed; white
/// outline while hovered or dragged; its short tag above it.
pub fn node(painter: &Painter, center: Pos2, info: &BandInfo, lit: bool, active: bool) {
    if lit {
        let outline = if active { Color32::WHITE } else { Color32::from_gray(20) };
        painter.circle(center, NODE_RADIUS, info.color, Stroke::new(1.5, outline));
    } else {
        let ring = if active { Color32::WHITE } else { info.color.gamma_multiply(0.6) };
        let fill = Color32::from_rgba_unmultiplied(14, 17, 22, 200);
        painter.circle(center, NODE_RADIUS - 0.5, fill, Stroke::new(1.5, ring));
    }
    let tag_color = if lit { info.color } else { info.color.gamma_multiply(0.6) };
    let tag_pos = center - Vec2::new(0.0, NODE_RADIUS + 1.0);
    painter.text(tag_pos, Align2::CENTER_BOTTOM, info.tag, FontId::proportional(9.5), tag_color);
}

/// The hover/drag readout beside a node: band name, then its values in the parameters' own
/// text, then the gestures it takes. Shown at once (no tooltip delay) and kept during drags.
pub fn readout(ui: &Ui, center: Pos2, info: &BandInfo, enabled: bool, p: &BandHandles) {
    egui::Area::new(Id::unique("lacquer_eq_readout"))
        .order(egui::Order::Tooltip)
        .fixed_pos(center + Vec2::new(HIT_HALF_SIZE + 4.0, -HIT_HALF_SIZE - 4.0))
        .pivot(Align2::LEFT_BOTTOM)
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                let name = if enabled { info.name.to_string() } else { format!("{} (off)", info.name) };
                ui.label(RichText::new(name).strong().color(info.color));
                let mut values = p.freq.text(p.freq.normalized());
                if let Some(g) = p.gain {
                    values.push_str("  ");
                    values.push_str(&g.text(g.normalized()));
                }
                values.push_str("  Q ");
                values.push_str(&p.q.text(p.q.normalized()));
                ui.label(RichText::new(values).monospace());
                let ids: Vec<String> = [Some(p.freq), p.gain, Some(p.q)]
                    .into_iter()
                    .flatten()
                    .map(|h| format!("{} {}–{}", h.id, h.text(0.0), h.text(1.0)))
                    .collect();
                ui.label(RichText::new(ids.join("  ·  ")).small().weak());
                ui.label(
                    RichText::new(
                        "drag (shift/ctrl fine) · wheel Q · double-click to type · ctrl/alt-click reset · right-click on/off",
                    )
                    .small()
                    .weak(),
                );
            });
        });
}
