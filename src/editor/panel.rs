//! The chain strip and the one controls panel under it. The strip shows the stages in signal
//! order (the order of the parameter tree), each with its on/bypass switch; clicking a stage opens
//! its controls in the panel. The panel flows a stage's controls into columns that fit its width
//! (no scrolling); a stage with sub-groups (EQ bands, compressor bands) gets a tab per sub-group.
//! Stages added to the parameter tree appear here without changes.

use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};

use super::controls::{param_widget, Controls, ParamHandle};
use super::ParamEdit;
use crate::params::ptr::Kind;

/// What the controls panel shows.
///
/// Hook for tool pages: add a variant here, its arm in [`ControlsPanel::show`], and a way to
/// open it (an entry in [`TOOL_TABS`], a tab at the right end of every stage's header, or a
/// button elsewhere, as the Match page has in the top bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelPage {
    /// A stage's controls: the index into [`Controls::groups`].
    Stage(usize),
    /// The mastering assistant (issue 16): Match a reference and Learn the loudness. The
    /// editor's top-bar "Match" toggle opens it (a header tab would crowd the EQ's eight band
    /// tabs at the minimum width, and editors built without the assistant would show it too).
    Match,
}

/// The Match page's frame colour: the reference curve's.
pub const MATCH_COLOR: Color32 = super::match_overlay::REFERENCE_COLOR;

/// Tool pages offered at the right end of the panel header: (page, tab label).
pub const TOOL_TABS: &[(PanelPage, &str)] = &[];

/// Size of the sub-group tabs' names.
const TAB_FONT: f32 = 11.0;
/// Size of the stage names on the strip.
const STRIP_FONT: f32 = 12.0;
/// Height of the chain strip.
pub const STRIP_HEIGHT: f32 = 26.0;
/// Narrowest column a control gets (the longest slider label plus its value fit).
const MIN_COLUMN_WIDTH: f32 = 160.0;
const COLUMN_GAP: f32 = 12.0;
/// Space the panel's frame takes around its contents.
const FRAME_MARGIN: f32 = 6.0;
/// Height of the header row (sub-group tabs, tool tabs).
const HEADER_HEIGHT: f32 = 20.0;
/// Vertical spacing between controls inside a column.
const ITEM_SPACING: f32 = 3.0;
/// Heights of the generic widgets (see `controls.rs`): a slider is a label row over its track,
/// a switch one button, an enum a label over rows of choices.
const SLIDER_HEIGHT: f32 = 18.0 + 2.0 + 14.0;
const TOGGLE_HEIGHT: f32 = 20.0;
const ENUM_ROW_HEIGHT: f32 = 18.0;
const SMALL_LABEL_HEIGHT: f32 = 13.0;

/// The colour each stage is drawn in, everywhere it appears (strip, panel frame, meters).
pub fn stage_color(group: &str) -> Color32 {
    match group {
        "Input" => Color32::from_rgb(150, 165, 185),
        "EQ" => super::eq_overlay::CURVE_COLOR,
        "Compressor" => COMPRESSOR_COLOR,
        "Stereo" => Color32::from_rgb(180, 140, 255),
        "Saturation" => Color32::from_rgb(250, 170, 70),
        "Limiter" => LIMITER_COLOR,
        "Output" => Color32::from_rgb(120, 210, 255),
        _ => Color32::from_rgb(200, 200, 200),
    }
}

/// The compressor's colour (its gain-reduction bars use it too).
pub const COMPRESSOR_COLOR: Color32 = Color32::from_rgb(80, 210, 200);
/// The limiter's colour: the same as its gain reduction in the history and the meters.
pub const LIMITER_COLOR: Color32 = super::history::GR_COLOR;

/// A stage's on/bypass switch: a top-level switch named "... Bypass" (lit when off) or "... On".
pub fn stage_switch<'a>(list: &'a [ParamHandle], group: &str) -> Option<&'a ParamHandle> {
    list.iter().find(|p| {
        p.group == group
            && matches!(p.kind(), Kind::Bool)
            && (p.name().ends_with(" Bypass") || p.name().ends_with(" On"))
    })
}

/// Whether the stage processes: its switch says so (or it has none).
fn stage_active(switch: Option<&ParamHandle>) -> bool {
    match switch {
        None => true,
        Some(p) if p.name().ends_with(" Bypass") => p.normalized() < 0.5,
        Some(p) => p.normalized() > 0.5,
    }
}

fn set_once(p: &ParamHandle, edit: &dyn ParamEdit, normalized: f32) {
    edit.begin_set(p);
    edit.set_normalized(p, normalized);
    edit.end_set(p);
}

/// The panel's state: which page is open and which sub-group tab each stage shows.
pub struct ControlsPanel {
    pub page: PanelPage,
    /// Per stage: the open sub-group, or `None` for the stage's own controls ("General") when
    /// they do not fit beside a sub-group.
    tabs: Vec<Option<usize>>,
}

impl ControlsPanel {
    pub fn new(controls: &Controls) -> Self {
        Self { page: PanelPage::Stage(0), tabs: vec![Some(0); controls.groups.len()] }
    }

    /// The chain strip: one cell per stage with its switch, in signal order, sharing the width.
    pub fn show_strip(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit) {
        let n = controls.groups.len();
        if n == 0 {
            return;
        }
        let font = FontId::proportional(STRIP_FONT);
        let led = 14.0;
        let chevron = 8.0;
        let natural: Vec<f32> = controls
            .groups
            .iter()
            .map(|(group, list)| {
                let text = ui.painter().layout_no_wrap(group.clone(), font.clone(), Color32::WHITE).size().x;
                text + 10.0 + if stage_switch(list, group).is_some() { led + 4.0 } else { 0.0 }
            })
            .collect();
        let (strip, _) = ui.allocate_exact_size(Vec2::new(ui.available_width(), STRIP_HEIGHT), Sense::hover());
        let total: f32 = natural.iter().sum::<f32>() + chevron * (n - 1) as f32;
        let extra = ((strip.width() - total) / n as f32).max(0.0);
        let mut x = strip.left();
        for (i, ((group, list), width)) in controls.groups.iter().zip(&natural).enumerate() {
            let cell = Rect::from_min_size(Pos2::new(x, strip.top()), Vec2::new(width + extra, STRIP_HEIGHT));
            x = cell.right() + chevron;
            self.strip_cell(ui, i, cell, group, list, edit);
            if i + 1 < n {
                let c = Pos2::new(cell.right() + chevron / 2.0, cell.center().y);
                let stroke = Stroke::new(1.5, Color32::from_gray(110));
                ui.painter().line_segment([c + Vec2::new(-2.5, -4.0), c + Vec2::new(1.5, 0.0)], stroke);
                ui.painter().line_segment([c + Vec2::new(-2.5, 4.0), c + Vec2::new(1.5, 0.0)], stroke);
            }
        }
    }

    fn strip_cell(
        &mut self,
        ui: &mut Ui,
        index: usize,
        cell: Rect,
        group: &str,
        list: &[ParamHandle],
        edit: &dyn ParamEdit,
    ) {
        let color = stage_color(group);
        let switch = stage_switch(list, group);
        let active = stage_active(switch);
        let selected = self.page == PanelPage::Stage(index);
        let led_rect = Rect::from_center_size(Pos2::new(cell.left() + 12.0, cell.center().y), Vec2::splat(14.0));
        let mut name_rect = cell;
        if switch.is_some() {
            name_rect.set_left(led_rect.right());
        }
        let response = ui.interact(name_rect, ui.scope_id().with(("stage", index)), Sense::click());
        response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Tab, true, selected, group));
        if response.clicked() {
            self.page = PanelPage::Stage(index);
        }
        let fill = if selected { color.gamma_multiply(0.28) } else { Color32::from_rgb(28, 31, 38) };
        ui.painter().rect_filled(cell, 4.0, fill);
        let border = if selected || response.hovered() { color } else { color.gamma_multiply(0.35) };
        ui.painter().rect_stroke(cell, 4.0, Stroke::new(1.0, border), egui::StrokeKind::Inside);
        let text_color = if active { Color32::from_gray(235) } else { Color32::from_gray(120) };
        ui.painter().text(
            name_rect.center(),
            Align2::CENTER_CENTER,
            group,
            FontId::proportional(STRIP_FONT),
            text_color,
        );
        if let Some(p) = switch {
            let response = ui.interact(led_rect, ui.scope_id().with(("stage_switch", index)), Sense::click());
            let on = p.normalized() > 0.5;
            response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, p.name()));
            let state = if active { "processing" } else { "bypassed" };
            let response = response.on_hover_text(format!("{} ({}): {state}; click to switch", p.name(), p.id));
            if response.clicked() {
                set_once(p, edit, if on { 0.0 } else { 1.0 });
            }
            paint_power(ui, led_rect, active.then_some(color), response.hovered());
        }
    }

    /// The open page inside a frame in its colour (the stage's, or [`MATCH_COLOR`]), sized
    /// `size`. `match_page` draws the Match page; without it (an editor built without the
    /// assistant) that page falls back to the first stage.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        size: Vec2,
        controls: &Controls,
        edit: &dyn ParamEdit,
        match_page: Option<&mut dyn FnMut(&mut Ui)>,
    ) {
        match (self.page, match_page) {
            (PanelPage::Match, Some(draw)) => {
                let mut child = framed(ui, size, MATCH_COLOR);
                draw(&mut child);
            }
            (PanelPage::Match, None) => {
                self.page = PanelPage::Stage(0);
                self.show(ui, size, controls, edit, None);
            }
            (PanelPage::Stage(index), _) => {
                let Some((group, list)) = controls.groups.get(index) else { return };
                let mut child = framed(ui, size, stage_color(group));
                let inner = child.max_rect();
                self.show_stage(&mut child, index, group, list, edit, inner);
            }
        }
    }

    fn show_stage(
        &mut self,
        ui: &mut Ui,
        index: usize,
        group: &str,
        list: &[ParamHandle],
        edit: &dyn ParamEdit,
        inner: Rect,
    ) {
        let switch = stage_switch(list, group).map(|p| p.id.clone());
        let own: Vec<&ParamHandle> =
            list.iter().filter(|p| p.group == group && Some(&p.id) != switch.as_ref()).collect();
        let mut subs: Vec<(&str, Vec<&ParamHandle>)> = Vec::new();
        for p in list.iter().filter(|p| p.group != group) {
            let name = p.group[group.len()..].trim_start_matches('/');
            let name = name.split('/').next().unwrap_or(name);
            match subs.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push(p),
                None => subs.push((name, vec![p])),
            }
        }
        let columns = ((inner.width() + COLUMN_GAP) / (MIN_COLUMN_WIDTH + COLUMN_GAP)).floor().max(1.0) as usize;
        let column_width = (inner.width() - COLUMN_GAP * (columns - 1) as f32) / columns as f32;
        let has_header = !subs.is_empty() || !TOOL_TABS.is_empty();
        let body_height = inner.height() - if has_header { HEADER_HEIGHT + ITEM_SPACING } else { 0.0 };
        let tab = &mut self.tabs[index];
        let own_columns = plan(ui, &own, column_width, body_height).len();
        let sub_columns = |i: usize| subs.get(i).map_or(0, |(_, v)| plan(ui, v, column_width, body_height).len());
        // The stage's own controls stay beside the open sub-group when both fit; otherwise they
        // get a tab of their own.
        let side_by_side =
            own.is_empty() || own_columns + (0..subs.len()).map(sub_columns).max().unwrap_or(0) <= columns;
        if side_by_side && tab.is_none() {
            *tab = Some(0);
        }
        if has_header {
            ui.horizontal(|ui| {
                ui.set_height(HEADER_HEIGHT);
                // Eight EQ bands share the row at the minimum width.
                ui.spacing_mut().item_spacing.x = 2.0;
                ui.spacing_mut().button_padding = Vec2::new(3.0, 1.0);
                if !side_by_side
                    && ui.selectable_label(tab.is_none(), RichText::new("General").size(TAB_FONT)).clicked()
                {
                    *tab = None;
                }
                for (i, (name, v)) in subs.iter().enumerate() {
                    let on = stage_active(stage_switch_in(v));
                    let text = RichText::new(*name).size(TAB_FONT).color(if on {
                        Color32::from_gray(230)
                    } else {
                        Color32::from_gray(130)
                    });
                    if ui.selectable_label(*tab == Some(i), text).clicked() {
                        *tab = Some(i);
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    for (page, label) in TOOL_TABS.iter().rev() {
                        if ui.selectable_label(self.page == *page, *label).clicked() {
                            self.page = *page;
                        }
                    }
                });
            });
        }
        let mut plans =
            if side_by_side || tab.is_none() { plan(ui, &own, column_width, body_height) } else { Vec::new() };
        if let Some(i) = *tab {
            if let Some((_, v)) = subs.get(i) {
                plans.extend(plan(ui, v, column_width, body_height));
            }
        }
        ui.horizontal_top(|ui| {
            ui.spacing_mut().item_spacing.x = COLUMN_GAP;
            for column in plans {
                ui.allocate_ui_with_layout(
                    Vec2::new(column_width, body_height),
                    egui::Layout::top_down(egui::Align::Min),
                    |ui| {
                        ui.set_width(column_width);
                        ui.spacing_mut().item_spacing.y = ITEM_SPACING;
                        for unit in column {
                            match unit {
                                Unit::One(p) => param_widget(ui, p, edit),
                                Unit::Toggles(ps) => {
                                    ui.horizontal_wrapped(|ui| {
                                        for p in ps {
                                            param_widget(ui, p, edit);
                                        }
                                    });
                                }
                            }
                        }
                    },
                );
            }
        });
    }
}

/// Allocates `size`, paints the panel's frame in `color` and returns the child ui inside it
/// (clipped to it, top-down).
fn framed(ui: &mut Ui, size: Vec2, color: Color32) -> Ui {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    ui.painter().rect_filled(rect, 4.0, Color32::from_rgb(24, 27, 33));
    ui.painter().rect_stroke(rect, 4.0, Stroke::new(1.0, color.gamma_multiply(0.6)), egui::StrokeKind::Inside);
    let inner = rect.shrink(FRAME_MARGIN);
    let mut child =
        ui.new_child(egui::UiBuilder::new().max_rect(inner).layout(egui::Layout::top_down(egui::Align::Min)));
    child.set_clip_rect(inner.expand(1.0));
    child.spacing_mut().item_spacing = Vec2::new(6.0, ITEM_SPACING);
    child
}

/// The switch of a sub-group ("Band 1 Bypass", "HP On").
fn stage_switch_in<'a>(list: &[&'a ParamHandle]) -> Option<&'a ParamHandle> {
    list.iter()
        .copied()
        .find(|p| matches!(p.kind(), Kind::Bool) && (p.name().ends_with(" Bypass") || p.name().ends_with(" On")))
}

/// One placed thing in a column: a control, or a row of switches that share it.
enum Unit<'a> {
    One(&'a ParamHandle),
    Toggles(Vec<&'a ParamHandle>),
}

/// Splits controls into columns of at most `height`, in order; consecutive switches share rows.
fn plan<'a>(ui: &Ui, list: &[&'a ParamHandle], width: f32, height: f32) -> Vec<Vec<Unit<'a>>> {
    let mut units: Vec<(Unit<'a>, f32)> = Vec::new();
    let mut i = 0;
    while i < list.len() {
        if matches!(list[i].kind(), Kind::Bool) {
            let mut run = Vec::new();
            while i < list.len() && matches!(list[i].kind(), Kind::Bool) {
                run.push(list[i]);
                i += 1;
            }
            let widths: Vec<f32> = run.iter().map(|p| button_width(ui, p.name(), 12.5)).collect();
            let h = rows(&widths, width, 6.0) as f32 * (TOGGLE_HEIGHT + ITEM_SPACING) - ITEM_SPACING;
            units.push((Unit::Toggles(run), h));
        } else {
            let p = list[i];
            let h = match p.kind() {
                Kind::Enum => {
                    let steps = p.step_count().unwrap_or(1).max(1);
                    let widths: Vec<f32> =
                        (0..=steps).map(|s| button_width(ui, &p.text(s as f32 / steps as f32), 12.5)).collect();
                    SMALL_LABEL_HEIGHT
                        + ITEM_SPACING
                        + rows(&widths, width, 2.0) as f32 * (ENUM_ROW_HEIGHT + ITEM_SPACING)
                        - ITEM_SPACING
                }
                _ => SLIDER_HEIGHT,
            };
            units.push((Unit::One(p), h));
            i += 1;
        }
    }
    let mut columns: Vec<Vec<Unit<'a>>> = Vec::new();
    let mut used = f32::INFINITY;
    for (unit, h) in units {
        if used + ITEM_SPACING + h > height {
            columns.push(Vec::new());
            used = -ITEM_SPACING;
        }
        used += ITEM_SPACING + h;
        if let Some(c) = columns.last_mut() {
            c.push(unit);
        }
    }
    columns
}

/// Width of a button or selectable label showing `text` (egui's default padding of 4 each side).
fn button_width(ui: &Ui, text: &str, size: f32) -> f32 {
    ui.painter().layout_no_wrap(text.to_string(), FontId::proportional(size), Color32::WHITE).size().x + 8.0
}

/// Rows needed to wrap items of `widths` into `width` with `gap` between them.
fn rows(widths: &[f32], width: f32, gap: f32) -> usize {
    let mut rows = 1;
    let mut x = 0.0;
    for &w in widths {
        if x > 0.0 && x + gap + w > width {
            rows += 1;
            x = 0.0;
        }
        x += if x > 0.0 { gap + w } else { w };
    }
    rows
}

/// A power symbol: lit, a disc in the stage's colour with the symbol cut out in dark; off, the
/// symbol drawn in grey.
fn paint_power(ui: &Ui, rect: Rect, lit: Option<Color32>, hovered: bool) {
    let painter = ui.painter();
    let c = rect.center();
    let r = rect.width() / 2.0;
    let glyph = match lit {
        Some(color) => {
            painter.circle_filled(c, r, color);
            Color32::from_rgb(20, 22, 27)
        }
        None => Color32::from_gray(if hovered { 170 } else { 110 }),
    };
    let stroke = Stroke::new(1.5, glyph);
    let ring = r - 3.5;
    let points: Vec<Pos2> = (0..=20)
        .map(|k| {
            // The ring leaves a gap of 70 degrees at the top for the bar.
            let a = (-90.0f32 + 35.0 + k as f32 * (290.0 / 20.0)).to_radians();
            c + Vec2::new(a.cos(), a.sin()) * ring
        })
        .collect();
    painter.add(egui::Shape::line(points, stroke));
    painter.line_segment([c + Vec2::new(0.0, -ring - 1.0), c + Vec2::new(0.0, -0.5)], stroke);
}
