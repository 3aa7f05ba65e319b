//! Generic stage strips built from the parameter tree: every nested group becomes a strip, floats
//! become sliders (their own value-to-string), switches toggles and enums segmented buttons. New
//! stages added to `params.rs` appear without touching this file.

use egui::{Color32, RichText, Sense, Stroke, Ui, Vec2};
use nice_plug::prelude::{ParamFlags, Params};

use crate::params::ptr::{owned_params, Kind, OwnedParam, Param};

use super::{widgets, ParamEdit};

/// One parameter as the editor sees it (the handle keeps the parameter set alive).
pub struct ParamHandle {
    pub id: String,
    pub group: String,
    param: OwnedParam,
}

impl ParamHandle {
    pub fn param(&self) -> Param<'_> {
        self.param.get()
    }

    pub fn kind(&self) -> Kind {
        self.param().kind()
    }

    pub fn name(&self) -> &str {
        self.param().name()
    }

    pub fn normalized(&self) -> f32 {
        self.param().normalized()
    }

    /// The current plain value.
    pub fn plain(&self) -> f32 {
        self.param().plain()
    }

    pub fn default_normalized(&self) -> f32 {
        self.param().default_normalized()
    }

    pub fn text(&self, normalized: f32) -> String {
        self.param().text(normalized, true)
    }

    pub fn step_count(&self) -> Option<usize> {
        self.param().step_count()
    }

    fn flags(&self) -> ParamFlags {
        self.param().flags()
    }

    /// Snaps a normalized value to the parameter's steps.
    pub fn snap(&self, normalized: f32) -> f32 {
        let p = self.param();
        p.normalized_of(p.plain_of(normalized.clamp(0.0, 1.0)))
    }

    /// The normalized value of a plain one, clamped to the range and snapped to the steps.
    pub fn normalized_for(&self, plain: f32) -> f32 {
        self.snap(self.param().normalized_of(plain))
    }
}

/// All parameters, grouped by their top-level group, in tree order.
pub struct Controls {
    pub globals: Vec<ParamHandle>,
    pub groups: Vec<(String, Vec<ParamHandle>)>,
}

impl Controls {
    pub fn new(params: std::sync::Arc<dyn Params>) -> Self {
        let mut globals = Vec::new();
        let mut groups: Vec<(String, Vec<ParamHandle>)> = Vec::new();
        for (id, param, group) in owned_params(params) {
            let top = group.split('/').next().unwrap_or("").to_string();
            let handle = ParamHandle { id, group: group.clone(), param };
            if handle.flags().intersects(ParamFlags::HIDDEN | ParamFlags::HIDE_IN_GENERIC_UI) {
                continue;
            }
            if top.is_empty() {
                globals.push(handle);
            } else if let Some((_, list)) = groups.iter_mut().find(|(g, _)| *g == top) {
                list.push(handle);
            } else {
                groups.push((top, vec![handle]));
            }
        }
        Self { globals, groups }
    }

    pub fn find(&self, id: &str) -> Option<&ParamHandle> {
        self.globals.iter().chain(self.groups.iter().flat_map(|(_, l)| l.iter())).find(|p| p.id == id)
    }
}

/// The widget that fits the parameter's kind.
pub fn param_widget(ui: &mut Ui, p: &ParamHandle, edit: &dyn ParamEdit) {
    match p.kind() {
        Kind::Bool => toggle(ui, p, edit),
        Kind::Enum => segmented(ui, p, edit),
        _ => slider(ui, p, edit),
    }
}

/// A full begin/set/end gesture for one discrete change (clicks, resets).
fn set_once(p: &ParamHandle, edit: &dyn ParamEdit, normalized: f32) {
    edit.begin_set(p);
    edit.set_normalized(p, normalized);
    edit.end_set(p);
}

pub fn toggle(ui: &mut Ui, p: &ParamHandle, edit: &dyn ParamEdit) {
    let on = p.normalized() > 0.5;
    let text = RichText::new(p.name()).color(if on { Color32::BLACK } else { Color32::from_gray(200) });
    let fill = if on { Color32::from_rgb(120, 200, 255) } else { Color32::from_gray(45) };
    let response =
        ui.add(egui::Button::new(text).fill(fill).min_size(Vec2::new(0.0, 20.0))).on_hover_text(widgets::tooltip(p));
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, p.name()));
    if response.clicked() {
        set_once(p, edit, if on { 0.0 } else { 1.0 });
    }
}

fn segmented(ui: &mut Ui, p: &ParamHandle, edit: &dyn ParamEdit) {
    let steps = p.step_count().unwrap_or(1).max(1);
    let current = (p.normalized() * steps as f32).round() as usize;
    let tip = widgets::tooltip(p);
    ui.label(RichText::new(p.name()).small()).on_hover_text(&tip);
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        for s in 0..=steps {
            let n = s as f32 / steps as f32;
            let response = ui.selectable_label(s == current, p.text(n)).on_hover_text(&tip);
            if response.clicked() && s != current {
                set_once(p, edit, n);
            }
        }
    });
}

/// Horizontal slider with the habits of the field (`widgets.rs`): relative drag (fine with
/// shift/ctrl), double-click to type a value, ctrl/cmd- or alt-click for the default, the wheel
/// steps it, the tooltip names its ID and range. The accessible label is the parameter's name.
pub fn slider(ui: &mut Ui, p: &ParamHandle, edit: &dyn ParamEdit) {
    let normalized = p.normalized();
    let tip = widgets::tooltip(p);
    ui.horizontal(|ui| {
        ui.label(RichText::new(p.name()).small()).on_hover_text(&tip);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if widgets::entry(ui, p, edit, 72.0) == widgets::EntryResult::Closed {
                let value =
                    egui::Label::new(RichText::new(p.text(normalized)).small().monospace()).sense(Sense::click());
                if ui.add(value).on_hover_text(&tip).double_clicked() {
                    widgets::open_entry(ui.ctx(), p);
                }
            }
        });
    });
    let width = ui.available_width();
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, 14.0), Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::slider(true, normalized as f64, p.name()));
    widgets::continuous(ui, &response, p, edit, rect.width());
    let response = response.on_hover_text(tip);
    let painter = ui.painter();
    let track = rect.shrink2(Vec2::new(0.0, 4.0));
    painter.rect_filled(track, 3.0, Color32::from_gray(40));
    let mut filled = track;
    filled.set_right(track.left() + normalized * track.width());
    painter.rect_filled(filled, 3.0, Color32::from_rgb(70, 140, 200));
    let x = track.left() + normalized * track.width();
    let handle_color = if response.hovered() || response.dragged() { Color32::WHITE } else { Color32::from_gray(210) };
    painter.circle(egui::pos2(x, rect.center().y), 6.0, handle_color, Stroke::new(1.0, Color32::BLACK));
}
