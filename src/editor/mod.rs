//! The egui editor. It only reads the meter bus and writes parameters (through host gestures);
//! the analyser's FFT runs here, on the GUI thread, and only while the window paints.
//!
//! One screen, no scrolling, from the minimum size up: the top bar (globals, the limiter's main
//! controls, presets); on the right the meters (`meters`) and the loudness panel (`loudness`);
//! in the middle the analyser with the EQ nodes (`spectrum`, `eq_overlay`), the level/GR
//! history (`history`), the chain strip and the one controls panel (`panel`, from the generic
//! widgets in `controls`). The assistant (issue 16) is a page of that panel (`match_panel`,
//! opened by the top bar's "Match" toggle) and draws a loaded reference's curves over the
//! analyser (`match_overlay`).

pub mod controls;
pub mod eq_overlay;
pub mod history;
pub mod loudness;
pub mod match_overlay;
pub mod match_panel;
pub mod meters;
pub mod panel;
pub mod presets;
pub mod spectrum;
pub mod widgets;

use std::sync::Arc;

use egui::{Color32, RichText, Ui, Vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::Params;
use nice_plug_egui::{EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};

use crate::meter_bus::MeterBus;
use crate::params::{EditorSize, LacquerParams};
use controls::{Controls, ParamHandle};
use eq_overlay::EqOverlay;
use history::LevelHistory;
use loudness::LoudnessPanel;
use match_overlay::MatchOverlay;
use match_panel::MatchPanel;
use meters::Meters;
use panel::{ControlsPanel, PanelPage};
use presets::PresetBar;
use spectrum::Analyzer;

/// The rectangles of the editor's panels in the last frame.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub top: egui::Rect,
    pub meters: egui::Rect,
    pub central: egui::Rect,
    /// The controls panel inside the central one.
    pub controls: egui::Rect,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            top: egui::Rect::NOTHING,
            meters: egui::Rect::NOTHING,
            central: egui::Rect::NOTHING,
            controls: egui::Rect::NOTHING,
        }
    }
}

/// The meter column's narrowest width (its bars, scales and readouts).
const METERS_MIN_WIDTH: f32 = 292.0;

/// Default and minimum logical window sizes.
pub const DEFAULT_SIZE: (f32, f32) = crate::persist::DEFAULT_EDITOR_SIZE;
pub const MIN_SIZE: (f32, f32) = (820.0, 540.0);
const ZOOM_STEPS: [f32; 6] = [0.75, 0.9, 1.0, 1.25, 1.5, 2.0];

/// How the editor changes parameters. The plugin's implementation is the host's `GuiContext`
/// (begin/set/end gestures, so hosts record automation); tests use a recorder, the screenshot
/// tool [`DirectEdit`].
pub trait ParamEdit: Send {
    fn begin_set(&self, param: &ParamHandle);
    fn set_normalized(&self, param: &ParamHandle, normalized: f32);
    fn end_set(&self, param: &ParamHandle);
}

impl ParamEdit for GuiContext {
    fn begin_set(&self, param: &ParamHandle) {
        param.param().host_begin(self);
    }

    fn set_normalized(&self, param: &ParamHandle, normalized: f32) {
        param.param().host_set(self, normalized);
    }

    fn end_set(&self, param: &ParamHandle) {
        param.param().host_end(self);
    }
}

/// Writes values straight into the parameters, for use outside a host (tests, the screenshot
/// tool) where nothing else owns them.
pub struct DirectEdit;

impl ParamEdit for DirectEdit {
    fn begin_set(&self, _param: &ParamHandle) {}

    fn set_normalized(&self, param: &ParamHandle, normalized: f32) {
        param.param().set_normalized_direct(normalized);
    }

    fn end_set(&self, _param: &ParamHandle) {}
}

/// Before `build` hands over the host context, edits go nowhere.
struct NoEdit;

impl ParamEdit for NoEdit {
    fn begin_set(&self, _param: &ParamHandle) {}
    fn set_normalized(&self, _param: &ParamHandle, _normalized: f32) {}
    fn end_set(&self, _param: &ParamHandle) {}
}

/// The editor application. `ui` is all the plugin needs; tests drive [`LacquerEditor::draw`].
pub struct LacquerEditor {
    bus: Arc<MeterBus>,
    controls: Controls,
    edit: Box<dyn ParamEdit>,
    analyzer: Analyzer,
    /// EQ curve and band nodes over the analyser.
    eq: EqOverlay,
    meters: Meters,
    /// Level and gain-reduction history (10 s), fed from the bus's 10 ms points.
    history: LevelHistory,
    loudness: LoudnessPanel,
    /// The chain strip's selection and the controls panel.
    panel: ControlsPanel,
    /// Where the last frame put its panels (for the layout tests).
    layout: Layout,
    /// Whether our theme has been applied to the current egui context.
    themed: bool,
    /// Loudness target when there is no preset session (tests); otherwise the session keeps it.
    target_lufs: Option<f32>,
    /// The preset bar and the persisted window size (the plugin's editor has them; tests may
    /// build the editor without).
    session: Option<EditorSession>,
    /// The Match/Learn page of the controls panel (the plugin's editor has it).
    match_panel: Option<MatchPanel>,
    /// The loaded reference's curves over the spectrum.
    overlay: MatchOverlay,
    /// The stage the controls panel showed before the Match page opened (closing it returns
    /// there).
    stage_before_match: usize,
}

struct EditorSession {
    bar: PresetBar,
    params: Arc<LacquerParams>,
    /// Whether the saved size and zoom were re-applied since the window opened.
    size_restored: bool,
}

impl LacquerEditor {
    pub fn new(params: Arc<dyn Params>, bus: Arc<MeterBus>, edit: Box<dyn ParamEdit>) -> Self {
        let controls = Controls::new(params);
        Self {
            bus,
            panel: ControlsPanel::new(&controls),
            loudness: LoudnessPanel::new(),
            layout: Layout::default(),
            eq: EqOverlay::new(&controls),
            controls,
            edit,
            analyzer: Analyzer::new(),
            meters: Meters::new(),
            history: LevelHistory::new(),
            themed: false,
            target_lufs: None,
            session: None,
            match_panel: None,
            overlay: MatchOverlay::new(),
            stage_before_match: 0,
        }
    }

    /// Adds the preset bar and window-size persistence (the plugin's editor).
    pub fn with_presets(mut self, params: Arc<LacquerParams>) -> Self {
        self.session = Some(EditorSession { bar: PresetBar::new(params.clone()), params, size_restored: false });
        self
    }

    /// Adds the Match/Learn page (the top bar's "Match" toggle opens it in the controls panel).
    pub fn with_match_panel(mut self, panel: MatchPanel) -> Self {
        self.match_panel = Some(panel);
        self
    }

    pub fn match_panel(&mut self) -> Option<&mut MatchPanel> {
        self.match_panel.as_mut()
    }

    /// The reference curves over the spectrum.
    pub fn overlay(&self) -> &MatchOverlay {
        &self.overlay
    }

    pub fn preset_bar(&mut self) -> Option<&mut PresetBar> {
        self.session.as_mut().map(|s| &mut s.bar)
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    pub fn history(&self) -> &LevelHistory {
        &self.history
    }

    pub fn eq(&self) -> &EqOverlay {
        &self.eq
    }

    pub fn meters(&self) -> &Meters {
        &self.meters
    }

    pub fn loudness(&self) -> &LoudnessPanel {
        &self.loudness
    }

    pub fn panel(&self) -> &ControlsPanel {
        &self.panel
    }

    /// Opens the named stage's page in the controls panel (as clicking it on the strip does);
    /// false if there is no such stage.
    pub fn open_stage(&mut self, name: &str) -> bool {
        match self.controls.groups.iter().position(|(g, _)| g == name) {
            Some(i) => {
                self.panel.page = PanelPage::Stage(i);
                true
            }
            None => false,
        }
    }

    /// Opens the assistant's page in the controls panel (as the top bar's Match toggle does);
    /// false if this editor has no assistant.
    pub fn open_match_page(&mut self) -> bool {
        if self.match_panel.is_none() {
            return false;
        }
        if let PanelPage::Stage(i) = self.panel.page {
            self.stage_before_match = i;
        }
        self.panel.page = PanelPage::Match;
        true
    }

    /// The rectangles the last frame laid its panels out in.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// One frame: reads the bus, advances the analyser and meters, lays out the panels.
    pub fn draw(&mut self, ui: &mut Ui) {
        if !self.themed {
            apply_theme(ui.ctx());
            self.themed = true;
        }
        let dt = ui.input(|i| i.stable_dt);
        self.analyzer.update(&self.bus, dt);
        self.meters.update(&self.bus, dt);
        self.history.update(&self.bus);
        self.loudness.update(&self.bus);
        self.overlay.update(self.analyzer.post_db(), dt);
        if let Some(assistant) = &mut self.match_panel {
            assistant.poll();
        }
        // Meters and spectrum move continuously.
        ui.ctx().request_repaint();
        self.persist_size(ui.ctx());

        let top = egui::Panel::top("top").show(ui, |ui| {
            self.top_bar(ui);
            if let Some(session) = &mut self.session {
                session.bar.show(ui, &self.controls, self.edit.as_ref(), &self.bus);
            }
        });
        self.layout.top = top.response.rect;
        let width = ui.available_width();
        let meters_width = (width * 0.3).clamp(METERS_MIN_WIDTH, 320.0);
        let ceiling_db = self.controls.find("lim_ceiling").map(|p| p.plain());
        let right = egui::Panel::right("meters").resizable(false).exact_size(meters_width).show(ui, |ui| {
            let meter_height = (ui.available_height() * 0.36).clamp(meters::METER_MIN_HEIGHT, 230.0);
            self.meters.show(ui, meter_height);
            ui.separator();
            match &mut self.session {
                Some(session) => {
                    let mut target = session.bar.target();
                    self.loudness.show(ui, &self.bus, &mut target, ceiling_db);
                    session.bar.set_target(target);
                }
                None => self.loudness.show(ui, &self.bus, &mut self.target_lufs, ceiling_db),
            }
        });
        self.layout.meters = right.response.rect;
        let target = self.session.as_ref().map_or(self.target_lufs, |s| s.bar.target());
        let central = egui::CentralPanel::default().show(ui, |ui| {
            let spacing = 4.0;
            let panel_height = (ui.available_height() * 0.42).clamp(190.0, 250.0);
            // Each of the five pieces below is followed by egui's item spacing and our own.
            let gaps = 3.0 * spacing + 5.0 * ui.spacing().item_spacing.y;
            let plots = ui.available_height() - panel_height - panel::STRIP_HEIGHT - gaps;
            let spectrum_height = (plots * 0.64).max(110.0);
            let plot = self.analyzer.show(ui, Vec2::new(ui.available_width(), spectrum_height));
            self.eq.show(ui, plot.rect, &self.controls, self.edit.as_ref(), &self.bus);
            if let Some(curves) = self.match_panel.as_ref().and_then(MatchPanel::curves) {
                self.overlay.show(ui, plot.rect, &curves);
            }
            ui.add_space(spacing);
            let history_height = (plots - spectrum_height).max(50.0);
            self.history.show(ui, Vec2::new(ui.available_width(), history_height));
            ui.add_space(spacing);
            self.panel.show_strip(ui, &self.controls, self.edit.as_ref());
            ui.add_space(spacing);
            let rest = Vec2::new(ui.available_width(), ui.available_height());
            let before = ui.cursor().min;
            let (controls, edit) = (&self.controls, self.edit.as_ref());
            match &mut self.match_panel {
                Some(assistant) => {
                    let mut page = |ui: &mut Ui| assistant.show(ui, controls, edit, target);
                    self.panel.show(ui, rest, controls, edit, Some(&mut page));
                }
                None => self.panel.show(ui, rest, controls, edit, None),
            }
            self.layout.controls = egui::Rect::from_min_size(before, rest);
        });
        self.layout.central = central.response.rect;
    }

    /// Restores the saved window size and zoom once after opening, then records changes.
    fn persist_size(&mut self, ctx: &egui::Context) {
        let Some(session) = &mut self.session else { return };
        let rect = ctx.content_rect();
        let now = EditorSize { width: rect.width(), height: rect.height(), zoom: ctx.zoom_factor() };
        let mut saved = session.params.editor_size.lock().unwrap_or_else(|p| p.into_inner());
        if !session.size_restored {
            session.size_restored = true;
            let width = saved.width.max(MIN_SIZE.0);
            let height = saved.height.max(MIN_SIZE.1);
            if (saved.zoom - now.zoom).abs() > 1e-3 && saved.zoom.is_finite() && saved.zoom > 0.0 {
                ctx.set_zoom_factor(saved.zoom);
            }
            if (width - now.width).abs() > 1.0 || (height - now.height).abs() > 1.0 {
                ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(Vec2::new(width, height)));
            }
            return;
        }
        if *saved != now && now.width > 0.0 && now.height > 0.0 {
            *saved = now;
        }
    }

    fn top_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let wide = ui.available_width() >= 960.0;
            ui.label(RichText::new("LACQUER").strong().size(18.0).color(Color32::from_rgb(120, 210, 255)));
            if wide {
                ui.label(RichText::new("mastering chain").weak());
            }
            ui.separator();
            for p in &self.controls.globals {
                controls::param_widget(ui, p, self.edit.as_ref());
            }
            ui.separator();
            // The zoom box takes about 140 px at the right, the Match toggle about 60; the three
            // sliders share the rest.
            let reserved = 150.0 + if self.match_panel.is_some() { 60.0 } else { 0.0 };
            let slider_width = ((ui.available_width() - reserved) / 3.0 - 8.0).clamp(110.0, 150.0);
            for id in ["lim_ceiling", "lim_drive", "lim_release"] {
                if let Some(p) = self.controls.find(id) {
                    ui.scope(|ui| {
                        ui.set_width(slider_width);
                        ui.vertical(|ui| controls::slider(ui, p, self.edit.as_ref()));
                    });
                }
            }
            if self.match_panel.is_some() {
                ui.separator();
                let was_open = self.panel.page == PanelPage::Match;
                // A framed toggle, like the bar's other switches (a bare selectable label reads as
                // text when off).
                let response = ui.add(egui::Button::new("Match").selected(was_open)).on_hover_text(
                    "The assistant: match a reference's balance, learn the loudness (a page of the controls panel)",
                );
                if response.clicked() {
                    if !was_open {
                        if let PanelPage::Stage(i) = self.panel.page {
                            self.stage_before_match = i;
                        }
                        self.panel.page = PanelPage::Match;
                    } else {
                        self.panel.page = PanelPage::Stage(self.stage_before_match);
                    }
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let zoom = ui.ctx().zoom_factor();
                egui::ComboBox::from_label("Zoom").selected_text(format!("{:.0}%", zoom * 100.0)).show_ui(ui, |ui| {
                    for z in ZOOM_STEPS {
                        if ui.selectable_label((z - zoom).abs() < 1e-3, format!("{:.0}%", z * 100.0)).clicked() {
                            ui.ctx().set_zoom_factor(z);
                        }
                    }
                });
            });
        });
    }
}

/// Dark theme with enough contrast to read small numbers.
pub fn apply_theme(ctx: &egui::Context) {
    let mut visuals = egui::Visuals::dark();
    visuals.panel_fill = Color32::from_rgb(20, 22, 27);
    visuals.window_fill = Color32::from_rgb(20, 22, 27);
    visuals.extreme_bg_color = Color32::from_rgb(12, 14, 18);
    visuals.override_text_color = Some(Color32::from_gray(225));
    ctx.set_visuals(visuals);
    ctx.global_style_mut(|style| {
        style.spacing.item_spacing = Vec2::new(6.0, 4.0);
    });
}

impl NiceEguiApp for LacquerEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.edit = Box::new(nice_gui_ctx);
        apply_theme(&egui_ctx);
        self.themed = true;
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        self.draw(ui);
    }

    fn editor_closed(&mut self) {
        self.edit = Box::new(NoEdit);
        self.themed = false;
        if let Some(session) = &mut self.session {
            session.size_restored = false;
        }
    }
}

/// The plugin's editor: resizable from `MIN_SIZE` up, starting at `DEFAULT_SIZE`.
pub fn create(
    params: Arc<LacquerParams>,
    bus: Arc<MeterBus>,
    state: Arc<EguiEditorState>,
    capture: Arc<crate::assist::learn::CaptureSlot>,
) -> Option<nice_plug_egui::EguiEditor<LacquerEditor>> {
    let min = nice_plug::editor::dpi::LogicalSize::new(MIN_SIZE.0, MIN_SIZE.1);
    let settings = EguiNiceSettings::new()
        .with_tile("Lacquer")
        .with_resize_hint(nice_plug::editor::ResizeHint::resizable().with_min_logical_size(min));
    let app = LacquerEditor::new(params.clone(), bus, Box::new(NoEdit))
        .with_presets(params.clone())
        .with_match_panel(MatchPanel::new(params, capture));
    nice_plug_egui::create_egui_editor(state, RepaintNotifier::new(), settings, app)
}

/// The editor state at the default size and zoom.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}
