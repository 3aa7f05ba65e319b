//! The habits of the field, shared by every control of the editor (stage sliders, the top bar's
//! limiter controls, the EQ nodes), so they all answer the same hands the same way:
//!
//! - **drag** is relative: the value moves with the pointer from where it was grabbed (the full
//!   width of the control is the full range), it never jumps to the click;
//! - **shift-drag** or **ctrl-drag** (cmd-drag on macOS) is fine adjustment at [`FINE`] of the
//!   speed; pressing or releasing the modifier mid-drag re-anchors, so the value never jumps;
//! - **double-click** opens a text entry with the current value selected: type, Enter applies it
//!   through the parameter's own text-to-value conversion (units optional, out-of-range values
//!   clamp to the range); text it cannot read changes nothing; Escape or clicking elsewhere
//!   cancels;
//! - **ctrl-click / cmd-click or alt-click** resets to the default;
//! - **wheel** over a control: one step per notch ([`WHEEL_STEP`] of the range, a tenth of that
//!   with shift, on the parameter's own value grid and at least one step of it, so a 0.1 dB
//!   parameter of 48 dB range moves 0.5 dB per notch, 0.1 dB with shift; one choice per notch on
//!   stepped parameters); the control takes the wheel from the scroll area around it while
//!   hovered; ctrl/cmd + wheel stays egui's zoom;
//! - **hover**: a tooltip with the parameter's name, stable ID, range with unit and default.
//!
//! Every change is a host gesture through [`ParamEdit`]: a drag is one begin/set…/end, every
//! other change (typed value, reset, one wheel notch) a short begin/set/end of its own.

use egui::text::CCursorRange;
use egui::{Event, Id, Key, Modifiers, MouseWheelUnit, Response, Ui, Vec2};

use super::controls::ParamHandle;
use super::ParamEdit;
use crate::params::ptr::Kind;

/// Fine adjustment moves the value at this fraction of the normal speed.
pub const FINE: f32 = 0.1;
/// One wheel notch on a continuous control moves it by this fraction of its range.
pub const WHEEL_STEP: f32 = 0.01;
/// Pixel-precise wheels (trackpads) report points; this many make one notch.
pub const POINTS_PER_NOTCH: f32 = 50.0;
/// How the controls tell the user what they answer to (the last line of every tooltip).
pub const HINT: &str =
    "drag · shift/ctrl-drag fine · double-click to type · ctrl/alt-click default · wheel steps (shift fine)";

/// Whether the modifiers ask for fine adjustment (shift, ctrl, or cmd on macOS).
pub fn is_fine(m: Modifiers) -> bool {
    m.shift || m.ctrl || m.mac_cmd
}

/// Whether a click with these modifiers resets to the default (ctrl/cmd-click or alt-click).
pub fn is_reset_click(m: Modifiers) -> bool {
    m.command || m.ctrl || m.alt
}

/// A full begin/set/end gesture for one discrete change.
pub fn set_once(edit: &dyn ParamEdit, p: &ParamHandle, normalized: f32) {
    edit.begin_set(p);
    edit.set_normalized(p, normalized);
    edit.end_set(p);
}

/// Where a relative drag was anchored: the pointer position along the drag axis, the value
/// (normalized, before snapping) there, and whether fine adjustment was on.
#[derive(Clone, Copy, Debug)]
pub struct Anchor {
    pub pos: f32,
    pub value: f32,
    pub fine: bool,
}

impl Anchor {
    pub fn new(pos: f32, value: f32, fine: bool) -> Self {
        Self { pos, value, fine }
    }

    /// The value at pointer position `pos`, when `span` pixels cover the whole range (unclamped).
    pub fn value_at(&self, pos: f32, span: f32) -> f32 {
        let speed = if self.fine { FINE } else { 1.0 };
        self.value + (pos - self.pos) / span.max(1.0) * speed
    }

    /// Follows the modifiers: when fine adjustment switches on or off, re-anchors at `pos`, so
    /// the value carries on from where it is.
    pub fn follow(&mut self, pos: f32, span: f32, fine: bool) {
        if fine != self.fine {
            *self = Self::new(pos, self.value_at(pos, span), fine);
        }
    }
}

/// Drag, fine drag, reset click, double-click to type and the wheel for a horizontal control of
/// `span` pixels (the full range), on the response that senses click and drag.
pub fn continuous(ui: &mut Ui, response: &Response, p: &ParamHandle, edit: &dyn ParamEdit, span: f32) {
    drag(ui, response, p, edit, span);
    let modifiers = ui.input(|i| i.modifiers);
    if response.clicked() && is_reset_click(modifiers) {
        set_once(edit, p, p.default_normalized());
    } else if response.double_clicked() && !is_reset_click(modifiers) {
        open_entry(ui.ctx(), p);
    }
    wheel(ui, response, p, edit);
}

/// A relative horizontal drag: one begin/end gesture around it, a set whenever the snapped value
/// changes.
pub fn drag(ui: &Ui, response: &Response, p: &ParamHandle, edit: &dyn ParamEdit, span: f32) {
    let key = response.id.with("lacquer_drag");
    let fine = ui.input(|i| is_fine(i.modifiers));
    if response.drag_started() {
        edit.begin_set(p);
        let start = ui.input(|i| i.pointer.press_origin()).or(response.interact_pointer_pos());
        let x = start.map_or(response.rect.center().x, |p| p.x);
        ui.data_mut(|d| d.insert_temp(key, Anchor::new(x, p.normalized(), fine)));
    }
    let anchor = ui.data(|d| d.get_temp::<Anchor>(key));
    if let (true, Some(mut anchor), Some(pos)) = (response.dragged(), anchor, response.interact_pointer_pos()) {
        anchor.follow(pos.x, span, fine);
        ui.data_mut(|d| d.insert_temp(key, anchor));
        let target = p.snap(anchor.value_at(pos.x, span));
        if target != p.normalized() {
            edit.set_normalized(p, target);
        }
    }
    if response.drag_stopped() && anchor.is_some() {
        ui.data_mut(|d| d.remove::<Anchor>(key));
        edit.end_set(p);
    }
}

/// Wheel notches this frame (up positive) from the raw events, so one notch is one gesture, and
/// whether shift asks for fine steps. With ctrl/cmd the wheel belongs to egui's zoom and counts
/// nothing. Shift-wheel that the platform turned sideways still counts.
pub fn wheel_notches(ui: &Ui) -> (f32, bool) {
    ui.input(|i| {
        let mut fine = i.modifiers.shift;
        let notches = i
            .events
            .iter()
            .map(|e| match e {
                Event::MouseWheel { unit, delta, modifiers, .. } if !modifiers.ctrl && !modifiers.command => {
                    fine |= modifiers.shift;
                    let d = if delta.y == 0.0 && modifiers.shift { delta.x } else { delta.y };
                    match unit {
                        MouseWheelUnit::Line => d,
                        MouseWheelUnit::Point => d / POINTS_PER_NOTCH,
                        MouseWheelUnit::Page => d * 3.0,
                    }
                }
                _ => 0.0,
            })
            .sum();
        (notches, fine)
    })
}

/// Keeps the wheel from scrolling the area around a hovered control.
pub fn take_wheel(ui: &mut Ui) {
    ui.input_mut(|i| i.smooth_scroll_delta = Vec2::ZERO);
}

/// The wheel over a hovered control: one step per notch (see the module notes), one short
/// gesture per frame with wheel input.
pub fn wheel(ui: &mut Ui, response: &Response, p: &ParamHandle, edit: &dyn ParamEdit) {
    if !response.hovered() || response.dragged() {
        return;
    }
    take_wheel(ui);
    let (notches, fine) = wheel_notches(ui);
    if notches == 0.0 {
        return;
    }
    let step = match p.step_count() {
        Some(steps) if steps > 0 => 1.0 / steps as f32,
        _ => WHEEL_STEP * if fine { FINE } else { 1.0 },
    };
    // Whole notches one at a time, each snapped, so three notches are three steps; a
    // trackpad's fraction of a notch last.
    let whole = notches.trunc();
    let mut value = p.normalized();
    for _ in 0..(whole.abs() as usize).min(1000) {
        value = step_from(p, value, step * whole.signum()).unwrap_or(value);
    }
    let fraction = notches - whole;
    if fraction != 0.0 {
        value = p.snap(value + fraction * step);
    }
    if value != p.normalized() {
        set_once(edit, p, value);
    }
}

/// The value `delta` (normalized) away from `from`, snapped to `p`'s steps; when that snaps back
/// to `from` (a step finer than the parameter's own grid), the next value it can take in that
/// direction. `None` at the end of the range.
pub fn step_from(p: &ParamHandle, from: f32, delta: f32) -> Option<f32> {
    (1..=64).map(|k| p.snap(from + delta * k as f32)).find(|&t| t != from)
}

/// The tooltip of a parameter's control: name, stable ID, range with unit, default, and the
/// gestures it takes.
pub fn tooltip(p: &ParamHandle) -> String {
    let range = match p.kind() {
        Kind::Bool => "off / on".to_string(),
        Kind::Enum => {
            let steps = p.step_count().unwrap_or(0);
            (0..=steps).map(|s| p.text(s as f32 / steps.max(1) as f32)).collect::<Vec<_>>().join(" / ")
        }
        Kind::Float | Kind::Int => format!("{} to {}", p.text(0.0), p.text(1.0)),
    };
    let default = p.text(p.default_normalized());
    let hint = match p.kind() {
        Kind::Bool | Kind::Enum => "click to choose",
        Kind::Float | Kind::Int => HINT,
    };
    format!("{}\nID {}  ·  {range}\ndefault {default}\n{hint}", p.name(), p.id)
}

/// An open text entry: the value text it opened with, what has been typed so far, and whether
/// it still has to take the focus.
#[derive(Clone)]
struct Entry {
    initial: String,
    text: String,
    focus_pending: bool,
}

/// Where a parameter's text entry is drawn: its own control, or a group of entries (the EQ
/// node's). The same parameter may be open in both, each with its own text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    Control,
    Group,
}

/// The id of a parameter's text entry at `place` (opening it again replaces it).
pub fn entry_id(p: &ParamHandle, place: Place) -> Id {
    Id::unique(("lacquer_value_entry", p.id.as_str(), place))
}

/// Opens the text entry of `p`'s control with its current value text, all selected (typing
/// replaces it), and gives it the keyboard focus.
pub fn open_entry(ctx: &egui::Context, p: &ParamHandle) {
    open_entry_with(ctx, p, Place::Control, true);
}

/// [`open_entry`] at `place`, taking the focus only if `focus` (the first field of a group).
pub fn open_entry_with(ctx: &egui::Context, p: &ParamHandle, place: Place, focus: bool) {
    let id = entry_id(p, place);
    let text = p.text(p.normalized());
    ctx.data_mut(|d| d.insert_temp(id, Entry { initial: text.clone(), text, focus_pending: focus }));
}

/// Closes `p`'s text entry at `place` without applying it.
pub fn close_entry(ctx: &egui::Context, p: &ParamHandle, place: Place) {
    ctx.data_mut(|d| d.remove::<Entry>(entry_id(p, place)));
}

/// Whether `p`'s text entry at `place` is open.
pub fn is_editing(ctx: &egui::Context, p: &ParamHandle, place: Place) -> bool {
    ctx.data(|d| d.get_temp::<Entry>(entry_id(p, place)).is_some())
}

/// What a text entry did this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryResult {
    /// Not open: the caller draws its usual value text.
    Closed,
    /// Open, being typed into.
    Open,
    /// Enter pressed: the text was applied (if the parameter could read it) and the entry closed.
    Applied,
    /// Escape or focus lost elsewhere: closed, nothing changed.
    Cancelled,
}

/// Draws `p`'s open entry (`None` if it is not open) and keeps what was typed. Returns the
/// field's response and whether Enter was pressed in it this frame.
fn field(ui: &mut Ui, p: &ParamHandle, place: Place, width: f32) -> Option<(Response, bool)> {
    let id = entry_id(p, place);
    let mut e = ui.data(|d| d.get_temp::<Entry>(id))?;
    let before = e.text.clone();
    let output =
        egui::TextEdit::singleline(&mut e.text).id(id).desired_width(width).font(egui::TextStyle::Monospace).show(ui);
    let response = output.response.response;
    let mut state = output.state;
    let label = format!("{} value", p.name());
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::text_edit(true, &before, &e.text, "");
        info.label = Some(label.clone());
        info
    });
    let take_focus = e.focus_pending;
    if take_focus {
        response.request_focus();
        e.focus_pending = false;
    }
    if take_focus || response.gained_focus() {
        // Everything selected while the field has the focus and nothing was typed yet (Tab
        // into a field selects it too), so typing replaces the value.
        state.cursor.set_char_range(Some(CCursorRange::select_all_str(&e.text)));
        state.store(ui.ctx(), id);
    }
    let entered = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
    ui.data_mut(|d| d.insert_temp(id, e));
    Some((response, entered))
}

/// Applies the text typed into `p`'s entry (if it was changed and the parameter can read it) and
/// closes the entry. Text left as it opened changes nothing, even where the display rounds.
fn apply(ctx: &egui::Context, p: &ParamHandle, place: Place, edit: &dyn ParamEdit) {
    let id = entry_id(p, place);
    if let Some(e) = ctx.data(|d| d.get_temp::<Entry>(id)).filter(|e| e.text != e.initial) {
        if let Some(normalized) = parse(p, &e.text) {
            if normalized != p.normalized() {
                set_once(edit, p, normalized);
            }
        }
    }
    close_entry(ctx, p, place);
}

/// Shows `p`'s text entry if it is open, `width` wide. Enter applies the text through the
/// parameter's own parser in one short gesture (unreadable text changes nothing); losing the
/// focus any other way (Escape, a click elsewhere) cancels.
pub fn entry(ui: &mut Ui, p: &ParamHandle, edit: &dyn ParamEdit, width: f32) -> EntryResult {
    let Some((response, entered)) = field(ui, p, Place::Control, width) else { return EntryResult::Closed };
    if entered {
        apply(ui.ctx(), p, Place::Control, edit);
        EntryResult::Applied
    } else if response.has_focus() {
        EntryResult::Open
    } else {
        close_entry(ui.ctx(), p, Place::Control);
        EntryResult::Cancelled
    }
}

/// Entries edited together, one row each with its parameter's name (an EQ node's frequency,
/// gain and Q; Tab moves between them): Enter in any applies every field's text (each its own
/// short gesture; a field the parameter cannot read changes nothing), Escape closes them without
/// change. The caller closes them on a click elsewhere ([`close_entry`]).
pub fn entry_group(ui: &mut Ui, params: &[&ParamHandle], edit: &dyn ParamEdit, width: f32) -> EntryResult {
    let mut open = false;
    let mut entered = false;
    let first = params.first().map_or("", |p| p.id.as_str());
    egui::Grid::new(("lacquer_entry_group", first)).num_columns(2).show(ui, |ui| {
        for p in params {
            ui.label(p.name());
            if let Some((_, e)) = field(ui, p, Place::Group, width) {
                open = true;
                entered |= e;
            }
            ui.end_row();
        }
    });
    if !open {
        return EntryResult::Closed;
    }
    if entered {
        for p in params {
            apply(ui.ctx(), p, Place::Group, edit);
        }
        EntryResult::Applied
    } else if ui.input(|i| i.key_pressed(Key::Escape)) {
        for p in params {
            close_entry(ui.ctx(), p, Place::Group);
        }
        EntryResult::Cancelled
    } else {
        EntryResult::Open
    }
}

/// The normalized value of typed text by the parameter's own conversion, snapped to its steps;
/// `None` when it cannot read it.
pub fn parse(p: &ParamHandle, text: &str) -> Option<f32> {
    let normalized = p.param().parse_text(text.trim())?;
    normalized.is_finite().then(|| p.snap(normalized))
}
