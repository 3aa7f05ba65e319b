//! The EQ drawn over the analyser: the summed magnitude response of the enabled bands, exactly as
//! the DSP runs them (`dsp::eq::EqCurve`), on its own ±24 dB scale (labelled on the right), and one
//! node per band to edit it.
//!
//! Every edit is a host gesture through [`ParamEdit`], so hosts record it as automation:
//! - **drag** a node: horizontally = frequency, vertically = gain (bands that have one). One
//!   begin/end gesture per parameter per drag; the drag is relative to where it was grabbed, so
//!   grabbing off-centre never makes the band jump. Dragging a disabled band switches it on first
//!   (its own short gesture): moving a band you cannot hear is never what was meant.
//!   **Shift-drag** or **ctrl-drag** moves at a tenth of the speed (`widgets::FINE`), re-anchored
//!   when the modifier changes mid-drag.
//! - **wheel** over a node: Q, a quarter octave of Q per notch (up = narrower; a tenth of that
//!   with shift), one short begin/set/end gesture per frame that has wheel input.
//! - **double-click**: a small entry to type frequency, gain and Q (Tab between them, Enter
//!   applies through each parameter's own parser, Escape or a click elsewhere cancels).
//! - **ctrl/cmd-click or alt-click**: frequency, gain and Q back to their defaults (on/off and
//!   mode untouched).
//! - **right-click**: band on/off.
//! - **hover or drag**: a readout with the band's name, frequency, gain and Q, and their IDs.
//!
//! The overlay finds the EQ by its stable parameter IDs in the generic parameter list (the same
//! list the stage strips use), so it needs no concrete params type, and draws nothing if those
//! IDs are absent. The curves are recomputed only when the settings or the sample rate change.

mod draw;
mod params;

use egui::{Color32, Id, Pos2, Rect, Sense, Ui, Vec2};

use super::controls::Controls;
use super::spectrum::{self, Analyzer, POINTS};
use super::widgets::{self, EntryResult, FINE};
use super::ParamEdit;
use crate::dsp::eq::{ChannelMode, EqCurve, EqSettings, BAND_COUNT};
use crate::meter_bus::MeterBus;
use params::{normalized_for, set_once, BandHandles, EqSlots};

/// The curve's scale: ±24 dB over the plot height, so the ±18 dB gain range of the shelves and
/// bells stays clear of the edges and a few stacked bands still fit.
pub const RANGE_DB: f32 = 24.0;
/// Drawn radius of a node, and the half-size of the square that catches the pointer around it.
pub const NODE_RADIUS: f32 = 7.0;
const HIT_HALF_SIZE: f32 = 10.0;
/// Wheel notches that double (or halve) Q.
const NOTCHES_PER_Q_DOUBLING: f32 = 4.0;

/// The curve of the stereo- and mid-mode bands (what a centred source hears).
pub const CURVE_COLOR: Color32 = Color32::from_rgb(190, 240, 120);
/// The side channel's curve, drawn dashed when any band is in mid or side mode.
pub const SIDE_COLOR: Color32 = Color32::from_rgb(235, 130, 220);

/// What the overlay knows about a band: its ID prefix (`params/eq.rs`), its name, a short tag
/// drawn by its node, whether it has gain, and its node colour.
pub struct BandInfo {
    pub prefix: &'static str,
    pub name: &'static str,
    pub tag: &'static str,
    pub has_gain: bool,
    color: Color32,
}

const fn band(prefix: &'static str, name: &'static str, tag: &'static str, has_gain: bool, rgb: [u8; 3]) -> BandInfo {
    BandInfo { prefix, name, tag, has_gain, color: Color32::from_rgb(rgb[0], rgb[1], rgb[2]) }
}

/// In processing order, the order of [`EqSettings::bands`].
pub const BANDS: [BandInfo; BAND_COUNT] = [
    band("eq_hp", "HP", "HP", false, [150, 160, 175]),
    band("eq_ls", "Low Shelf", "LS", true, [240, 110, 100]),
    band("eq1", "Bell 1", "1", true, [245, 170, 80]),
    band("eq2", "Bell 2", "2", true, [235, 225, 90]),
    band("eq3", "Bell 3", "3", true, [110, 215, 130]),
    band("eq4", "Bell 4", "4", true, [90, 200, 235]),
    band("eq_hs", "High Shelf", "HS", true, [150, 140, 250]),
    band("eq_lp", "LP", "LP", false, [150, 160, 175]),
];

/// The drag in progress: where it was grabbed (or re-anchored when fine adjustment switched) and
/// where the node was then (unclamped pixels).
struct Drag {
    band: usize,
    origin: Pos2,
    freq_x: f32,
    gain_y: f32,
    fine: bool,
}

impl Drag {
    fn speed(&self) -> f32 {
        if self.fine {
            FINE
        } else {
            1.0
        }
    }

    /// Where the node goes for the pointer at `pos` (unclamped pixels).
    fn target(&self, pos: Pos2) -> Pos2 {
        let delta = (pos - self.origin) * self.speed();
        Pos2::new(self.freq_x + delta.x, self.gain_y + delta.y)
    }
}

/// GUI-side EQ overlay state. The curves are kept here and recomputed only when the settings or
/// the sample rate change; a frame only turns them into egui shapes.
pub struct EqOverlay {
    /// `None` when the parameter tree has no EQ (the overlay then draws nothing).
    slots: Option<EqSlots>,
    /// The settings and sample rate `mid_db` and `side_db` were computed for.
    computed_for: Option<(EqSettings, f32)>,
    /// Stereo- plus mid-mode bands at each analyser display point (dB); with no band in mid or
    /// side mode, this is the whole EQ.
    mid_db: Vec<f32>,
    /// Stereo- plus side-mode bands at each display point (dB).
    side_db: Vec<f32>,
    state: draw::CurveState,
    drag: Option<Drag>,
    /// The band whose typed-value entry is open, and whether it opened this frame (the
    /// double-click that opened it is not a click elsewhere).
    entry: Option<(usize, bool)>,
}

/// y position of an EQ gain in the plot, not clamped.
pub fn db_to_y(db: f32, rect: Rect) -> f32 {
    rect.center().y - db / RANGE_DB * 0.5 * rect.height()
}

/// EQ gain at a y position in the plot (the inverse of [`db_to_y`]).
pub fn y_to_db(y: f32, rect: Rect) -> f32 {
    (rect.center().y - y) / (0.5 * rect.height()).max(1.0) * RANGE_DB
}

/// The polyline drawn for an EQ curve: one point per analyser display point, clamped to the plot.
pub fn curve_points(db: &[f32], rect: Rect) -> Vec<Pos2> {
    let step = rect.width() / (db.len().max(2) - 1) as f32;
    db.iter()
        .enumerate()
        .map(|(i, &d)| {
            let y = if d.is_nan() { rect.bottom() } else { db_to_y(d, rect).clamp(rect.top(), rect.bottom()) };
            Pos2::new(rect.left() + i as f32 * step, y)
        })
        .collect()
}

/// Where band `band` (index into [`BANDS`]) has its node: (frequency, gain), at 0 dB for the pass
/// filters, kept inside the plot.
pub fn node_center(settings: &EqSettings, band: usize, rect: Rect) -> Pos2 {
    let b = settings.bands()[band].1;
    let db = if BANDS[band].has_gain { b.gain_db } else { 0.0 };
    let inner = rect.shrink(NODE_RADIUS);
    Pos2::new(
        spectrum::hz_to_x(b.freq_hz, rect).clamp(inner.left(), inner.right()),
        db_to_y(db, rect).clamp(inner.top(), inner.bottom()),
    )
}

impl EqOverlay {
    pub fn new(controls: &Controls) -> Self {
        Self {
            slots: EqSlots::resolve(controls),
            computed_for: None,
            mid_db: vec![0.0; POINTS],
            side_db: vec![0.0; POINTS],
            state: draw::CurveState { bypassed: false, any_on: false, split: false },
            drag: None,
            entry: None,
        }
    }

    /// The EQ settings as the parameters hold them now (the snapshot `params/eq.rs` makes, read
    /// by ID), or `None` without an EQ.
    pub fn settings(&self, controls: &Controls) -> Option<EqSettings> {
        self.slots.as_ref()?.read(controls)
    }

    /// The stereo + mid curve (dB at each analyser display point): the whole EQ unless a band is
    /// in mid or side mode.
    pub fn mid_db(&self) -> &[f32] {
        &self.mid_db
    }

    /// The stereo + side curve (dB at each display point).
    pub fn side_db(&self) -> &[f32] {
        &self.side_db
    }

    /// Whether mid and side curves differ (and both are drawn).
    pub fn is_split(&self) -> bool {
        self.state.split
    }

    /// Recomputes the curves if the settings or the sample rate changed since the last call.
    pub fn update(&mut self, settings: &EqSettings, sample_rate: f32) {
        if self.computed_for == Some((*settings, sample_rate)) {
            return;
        }
        self.computed_for = Some((*settings, sample_rate));
        let curve = EqCurve::new(settings, sample_rate);
        for i in 0..POINTS {
            let hz = Analyzer::point_hz(i);
            self.mid_db[i] = curve.db_at(hz, ChannelMode::Mid);
            self.side_db[i] = curve.db_at(hz, ChannelMode::Side);
        }
        let bands = settings.bands();
        let any_on = !settings.bypass && bands.iter().any(|(_, b, _)| b.enabled);
        let split = any_on && bands.iter().any(|(_, b, _)| b.enabled && b.mode != ChannelMode::Stereo);
        self.state = draw::CurveState { bypassed: settings.bypass, any_on, split };
    }

    /// Draws the curve and the nodes over the analyser's plot `rect` and handles node edits.
    pub fn show(&mut self, ui: &mut Ui, rect: Rect, controls: &Controls, edit: &dyn ParamEdit, bus: &MeterBus) {
        let Some(settings) = self.settings(controls) else { return };
        let rate = bus.sample_rate.load(std::sync::atomic::Ordering::Relaxed).max(1.0);
        self.update(&settings, rate);
        let painter = ui.painter_at(rect);
        draw::scale(&painter, rect);
        draw::curves(&painter, rect, &self.mid_db, &self.side_db, &self.state);
        let mut dragging = false;
        let all = settings.bands();
        for (band, (info, (_, b, _))) in BANDS.iter().zip(all).enumerate() {
            let Some(handles) = self.slots.as_ref().and_then(|s| s.band(controls, band)) else { continue };
            let center = node_center(&settings, band, rect);
            let hit = Rect::from_center_size(center, Vec2::splat(2.0 * HIT_HALF_SIZE));
            let response = ui.interact(hit, Id::unique(("lacquer_eq_node", band)), Sense::click_and_drag());
            response.widget_info(|| {
                let mut w = egui::WidgetInfo::labeled(egui::Role::Slider, true, format!("EQ node {}", info.name));
                w.value = Some(b.freq_hz as f64);
                w.selected = Some(b.enabled);
                w
            });
            let dragged = self.edit_band(ui, &response, rect, edit, &settings, band, &handles);
            dragging |= dragged;
            let active = response.hovered() || dragged;
            draw::node(&painter, center, info, b.enabled && !settings.bypass, active);
            if active && self.entry.map(|(b, _)| b) != Some(band) {
                draw::readout(ui, center, info, b.enabled, &handles);
            }
        }
        self.show_entry(ui, rect, controls, edit, &settings);
        // A drag whose node stopped answering (parameters swapped under it) still ends its
        // gestures, so the host is never left inside one.
        if !dragging {
            if let Some(d) = self.drag.take() {
                if let Some(handles) = self.slots.as_ref().and_then(|s| s.band(controls, d.band)) {
                    end_drag(edit, &handles);
                }
            }
        }
    }

    /// The typed-value entry of the band it was opened on, beside its node.
    fn show_entry(&mut self, ui: &Ui, rect: Rect, controls: &Controls, edit: &dyn ParamEdit, settings: &EqSettings) {
        let Some((band, fresh)) = self.entry else { return };
        let Some(p) = self.slots.as_ref().and_then(|s| s.band(controls, band)) else {
            self.entry = None;
            return;
        };
        let fields: Vec<&super::controls::ParamHandle> =
            [Some(p.freq), p.gain, Some(p.q)].into_iter().flatten().collect();
        let center = node_center(settings, band, rect);
        let area = egui::Area::new(Id::unique(("lacquer_eq_entry", band)))
            .order(egui::Order::Foreground)
            .fixed_pos(center + Vec2::new(HIT_HALF_SIZE + 4.0, -HIT_HALF_SIZE - 4.0))
            .pivot(egui::Align2::LEFT_BOTTOM)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style())
                    .show(ui, |ui| {
                        ui.label(egui::RichText::new(BANDS[band].name).strong().color(BANDS[band].color));
                        widgets::entry_group(ui, &fields, edit, 80.0)
                    })
                    .inner
            });
        let result = area.inner;
        if result == EntryResult::Open && !fresh && area.response.clicked_elsewhere() {
            fields.iter().for_each(|f| widgets::close_entry(ui.ctx(), f, widgets::Place::Group));
            self.entry = None;
        } else if result != EntryResult::Open {
            self.entry = None;
        } else {
            self.entry = Some((band, false));
        }
    }

    /// Turns one node's pointer input into parameter gestures. Returns whether it is being dragged.
    #[allow(clippy::too_many_arguments)]
    fn edit_band(
        &mut self,
        ui: &Ui,
        response: &egui::Response,
        rect: Rect,
        edit: &dyn ParamEdit,
        settings: &EqSettings,
        band: usize,
        p: &BandHandles,
    ) -> bool {
        let b = settings.bands()[band].1;
        if response.drag_started() {
            if !b.enabled {
                set_once(edit, p.on, 1.0);
            }
            edit.begin_set(p.freq);
            if let Some(g) = p.gain {
                edit.begin_set(g);
            }
            let center = node_center(settings, band, rect);
            let origin = ui.input(|i| i.pointer.press_origin()).unwrap_or(center);
            let gain_db = if p.gain.is_some() { b.gain_db } else { 0.0 };
            let freq_x = spectrum::hz_to_x(b.freq_hz, rect);
            let fine = ui.input(|i| widgets::is_fine(i.modifiers));
            self.drag = Some(Drag { band, origin, freq_x, gain_y: db_to_y(gain_db, rect), fine });
        }
        let fine = ui.input(|i| widgets::is_fine(i.modifiers));
        let ours = self.drag.as_mut().filter(|d| d.band == band);
        let dragging = response.dragged() && ours.is_some();
        if let (true, Some(d), Some(pos)) = (dragging, ours, response.interact_pointer_pos()) {
            if d.fine != fine {
                let at = d.target(pos);
                *d = Drag { band, origin: pos, freq_x: at.x, gain_y: at.y, fine };
            }
            let at = d.target(pos);
            let target = normalized_for(p.freq, spectrum::x_to_hz(at.x, rect));
            if target != p.freq.normalized() {
                edit.set_normalized(p.freq, target);
            }
            if let Some(g) = p.gain {
                let target = normalized_for(g, y_to_db(at.y, rect));
                if target != g.normalized() {
                    edit.set_normalized(g, target);
                }
            }
        }
        let ours = self.drag.as_ref().filter(|d| d.band == band);
        if response.drag_stopped() && ours.is_some() {
            self.drag = None;
            end_drag(edit, p);
        }
        let reset_click = ui.input(|i| widgets::is_reset_click(i.modifiers));
        if response.clicked() && reset_click {
            for param in [Some(p.freq), p.gain, Some(p.q)].into_iter().flatten() {
                set_once(edit, param, param.default_normalized());
            }
        } else if response.double_clicked() && !reset_click {
            for (i, param) in [Some(p.freq), p.gain, Some(p.q)].into_iter().flatten().enumerate() {
                widgets::open_entry_with(ui.ctx(), param, widgets::Place::Group, i == 0);
            }
            self.entry = Some((band, true));
        }
        if response.secondary_clicked() {
            set_once(edit, p.on, if b.enabled { 0.0 } else { 1.0 });
        }
        if response.hovered() && !dragging {
            let (notches, fine) = widgets::wheel_notches(ui);
            let notches = if fine { notches * FINE } else { notches };
            if notches != 0.0 {
                let target = normalized_for(p.q, b.q * (notches / NOTCHES_PER_Q_DOUBLING).exp2());
                if target != p.q.normalized() {
                    set_once(edit, p.q, target);
                }
            }
        }
        dragging
    }
}

fn end_drag(edit: &dyn ParamEdit, p: &BandHandles) {
    edit.end_set(p.freq);
    if let Some(g) = p.gain {
        edit.end_set(g);
    }
}
