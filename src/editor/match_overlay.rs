//! The assistant's curves over the main spectrum (issue 16): while a reference is loaded, its
//! long-term 1/3-octave balance, the mix's (once Match has listened to it) and the mix with the
//! fitted EQ at the current amount, on the analyser's own frequency and dB axes.
//!
//! Level alignment, the same as the Match page's fit: a long-term curve is its band levels minus
//! their mean over [`FIT_LO_HZ`]..[`FIT_HI_HZ`] (the fitted range), so two programmes of
//! different loudness compare by shape alone (the loudness is Learn's and the limiter's job).
//! That 0 dB of balance is drawn at the live post-chain curve's own mean over the same range,
//! followed with a [`ANCHOR_TAU_S`] time constant, so the curves sit over the live spectrum
//! without jumping with it. One dB of balance is one dB of the analyser's scale.

use egui::{Align2, Color32, FontId, Pos2, Rect, Shape, Stroke, Ui, Vec2};

use super::spectrum::{db_to_y, hz_to_x, Analyzer, POINTS};
use crate::assist::analysis::Analysis;
use crate::assist::matching::{FIT_HI_HZ, FIT_LO_HZ};

/// Colours apart from the analyser's (blues, the peak's orange) and the EQ's (yellow-green,
/// magenta).
pub const REFERENCE_COLOR: Color32 = Color32::from_rgb(240, 240, 240);
pub const MIX_COLOR: Color32 = Color32::from_rgb(200, 160, 255);
pub const MATCHED_COLOR: Color32 = Color32::from_rgb(120, 255, 200);

/// Where 0 dB of balance sits before the analyser has seen a signal (and while it sees
/// silence): a typical 1/6-octave level of a mastered mix on the analyser's scale.
pub const DEFAULT_ANCHOR_DB: f32 = -36.0;
/// Below this the live curve counts as silence and the anchor stays where it is.
const SILENCE_DB: f32 = -90.0;
/// Time constant of the anchor following the live curve's mean.
pub const ANCHOR_TAU_S: f32 = 1.0;

/// The label of the show/hide switch (also its accessible name).
pub const TOGGLE_LABEL: &str = "Reference curves";
/// What the switch's tooltip says about the alignment.
pub const ALIGNMENT_NOTE: &str = "Long-term 1/3-octave balance, each curve minus its own mean from 40 Hz to \
16 kHz (as Match fits it), drawn with 0 dB at the live output's mean: compare shapes, not levels. Blue: \
reference; violet: the mix Match listened to; mint: that mix with the match at the current amount.";

/// A long-term curve's balance: (band centre in Hz, band level minus the mean of the bands in
/// the fitted range, dB), for the bands in that range.
pub fn balance(a: &Analysis) -> Vec<(f64, f64)> {
    let points: Vec<(f64, f64)> = a
        .centres_hz
        .iter()
        .zip(&a.band_db)
        .filter(|(c, _)| (FIT_LO_HZ..=FIT_HI_HZ).contains(*c))
        .map(|(&c, &d)| (c, d))
        .collect();
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len().max(1) as f64;
    points.into_iter().map(|(c, d)| (c, d - mean)).collect()
}

/// The mean of the live curve over the fitted range (its display points there), in dB.
pub fn live_mean_db(post_db: &[f32]) -> f32 {
    let (sum, n) = post_db
        .iter()
        .enumerate()
        .take(POINTS)
        .filter(|(i, _)| (FIT_LO_HZ as f32..=FIT_HI_HZ as f32).contains(&Analyzer::point_hz(*i)))
        .fold((0.0f32, 0usize), |(s, n), (_, &d)| (s + d, n + 1));
    if n == 0 {
        return f32::NEG_INFINITY;
    }
    sum / n as f32
}

/// What the overlay draws this frame (borrowed from the Match page).
pub struct Curves<'a> {
    pub reference: &'a Analysis,
    pub mix: Option<&'a Analysis>,
    /// The fitted EQ's effect per band of the fitted range, already scaled by the amount.
    pub matched_db: Option<Vec<f64>>,
}

/// The overlay's state: shown or hidden, and where 0 dB of balance sits.
pub struct MatchOverlay {
    /// The switch in the spectrum's corner.
    pub visible: bool,
    anchor_db: f32,
}

impl Default for MatchOverlay {
    fn default() -> Self {
        Self::new()
    }
}

impl MatchOverlay {
    pub fn new() -> Self {
        Self { visible: true, anchor_db: DEFAULT_ANCHOR_DB }
    }

    /// The level (analyser dB) 0 dB of balance is drawn at.
    pub fn anchor_db(&self) -> f32 {
        self.anchor_db
    }

    /// Follows the live post curve's mean by `dt` seconds.
    pub fn update(&mut self, post_db: &[f32], dt: f32) {
        let mean = live_mean_db(post_db);
        if mean.is_finite() && mean > SILENCE_DB {
            let k = 1.0 - (-dt.clamp(0.0, 1.0) / ANCHOR_TAU_S).exp();
            self.anchor_db += (mean - self.anchor_db) * k;
        }
    }

    /// Where a balance point is drawn in the analyser's `rect`.
    pub fn point(&self, hz: f64, balance_db: f64, rect: Rect) -> Pos2 {
        Pos2::new(hz_to_x(hz as f32, rect), db_to_y(self.anchor_db + balance_db as f32, rect))
    }

    /// The switch and, while it is on, the curves and their legend, over the analyser's `rect`.
    pub fn show(&mut self, ui: &mut Ui, rect: Rect, curves: &Curves) {
        let switch = Rect::from_min_size(rect.left_top() + Vec2::new(30.0, 4.0), Vec2::new(132.0, 18.0));
        // A child ui, not `put`: placed over the plot without moving the parent's cursor (the
        // history and the panels below keep their places).
        let mut corner = ui.new_child(
            egui::UiBuilder::new().max_rect(switch).layout(egui::Layout::left_to_right(egui::Align::Center)),
        );
        corner.add(egui::Checkbox::new(&mut self.visible, TOGGLE_LABEL)).on_hover_text(ALIGNMENT_NOTE);
        if !self.visible {
            return;
        }
        let painter = ui.painter_at(rect);
        let reference = balance(curves.reference);
        let line = |points: &[(f64, f64)], extra: Option<&[f64]>| -> Vec<Pos2> {
            points
                .iter()
                .enumerate()
                .map(|(i, &(hz, d))| self.point(hz, d + extra.and_then(|e| e.get(i)).copied().unwrap_or(0.0), rect))
                .collect()
        };
        let mut legend = vec![("reference", REFERENCE_COLOR)];
        if let Some(mix) = curves.mix {
            let mix = balance(mix);
            painter.add(Shape::line(line(&mix, None), Stroke::new(1.5, MIX_COLOR)));
            legend.push(("mix", MIX_COLOR));
            if let Some(matched) = &curves.matched_db {
                painter.add(Shape::line(line(&mix, Some(matched)), Stroke::new(1.2, MATCHED_COLOR)));
                legend.push(("mix + match", MATCHED_COLOR));
            }
        }
        painter.add(Shape::line(line(&reference, None), Stroke::new(2.0, REFERENCE_COLOR)));
        // Beside the switch, clear of the analyser's and the EQ's legends and scales.
        let font = FontId::proportional(11.0);
        let mut at = Pos2::new(switch.right() + 6.0, switch.center().y);
        for (text, color) in legend {
            let r = painter.text(at, Align2::LEFT_CENTER, text, font.clone(), color);
            at.x = r.right() + 10.0;
        }
    }
}
