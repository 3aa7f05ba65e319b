//! The preset bar: previous/next, a browser by category, the current name with a modified
//! marker, A/B compare, user preset management, and the monitoring-only level match switch.
//! Presets reach the parameters through the same begin/set/end gestures as any edit, so the
//! host records them and the chain's smoothing makes the switch click-free.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use egui::{Color32, RichText, Ui};

use super::controls::Controls;
use super::ParamEdit;
use crate::meter_bus::MeterBus;
use crate::params::LacquerParams;
use crate::presets::session::PresetSession;
use crate::presets::user::{self, UserStore};
use crate::presets::{self, Origin, Preset, Resolved};

/// How often (frames) the modified marker is recomputed; comparing ~100 values is cheap, but
/// there is no need to do it at 60 fps.
const MODIFIED_CHECK_FRAMES: u32 = 10;

pub struct PresetBar {
    params: Arc<LacquerParams>,
    presets: Vec<Preset>,
    /// Last action's outcome, shown in the bar (errors in red).
    message: Option<(String, bool)>,
    /// Name for "Save" and "Rename".
    name: String,
    /// File for "Import" and "Export".
    path: String,
    modified: bool,
    frames: u32,
    confirm_delete: bool,
}

impl PresetBar {
    pub fn new(params: Arc<LacquerParams>) -> Self {
        let mut bar = Self {
            params,
            presets: Vec::new(),
            message: None,
            name: String::new(),
            path: String::new(),
            modified: false,
            frames: 0,
            confirm_delete: false,
        };
        bar.reload();
        bar
    }

    /// Rereads the factory list and the user folder.
    pub fn reload(&mut self) {
        let (presets, errors) = presets::all_presets();
        self.presets = presets;
        if let Some(first) = errors.first() {
            let more = if errors.len() > 1 { format!(" (and {} more)", errors.len() - 1) } else { String::new() };
            self.message = Some((format!("skipped a user preset: {first}{more}"), true));
        }
    }

    pub fn presets(&self) -> &[Preset] {
        &self.presets
    }

    pub fn message(&self) -> Option<&(String, bool)> {
        self.message.as_ref()
    }

    fn session(&self) -> MutexGuard<'_, PresetSession> {
        // A poisoned lock only means another thread panicked mid-update of plain data; the data
        // is still usable, and the GUI must not go down with it.
        lock(&self.params.session)
    }

    pub fn target(&self) -> Option<f32> {
        self.session().target_lufs
    }

    pub fn set_target(&self, target: Option<f32>) {
        self.session().target_lufs = target;
    }

    fn current_index(&self) -> Option<usize> {
        let slug = self.session().current.as_ref().map(|c| c.slug.clone())?;
        self.presets.iter().position(|p| p.slug == slug)
    }

    /// Loads preset `index` into the active slot.
    pub fn load(&mut self, index: usize, controls: &Controls, edit: &dyn ParamEdit) {
        let Some(preset) = self.presets.get(index).cloned() else { return };
        apply(&preset.resolved(), controls, edit);
        self.session().loaded(&preset);
        self.modified = false;
        self.message = Some((format!("loaded {}", preset.name), false));
    }

    /// Steps through the list (wrapping); from no preset, forward starts at the first.
    pub fn step(&mut self, forward: bool, controls: &Controls, edit: &dyn ParamEdit) {
        let n = self.presets.len();
        if n == 0 {
            return;
        }
        let next = match self.current_index() {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None if forward => 0,
            None => n - 1,
        };
        self.load(next, controls, edit);
    }

    /// Switches to the other A/B slot.
    pub fn switch_slot(&mut self, controls: &Controls, edit: &dyn ParamEdit) {
        let result = self.session().switch_slot(self.params.as_ref());
        match result {
            Ok(values) => {
                apply(&values, controls, edit);
                self.modified = false;
                self.frames = 0;
            }
            Err(e) => self.message = Some((e, true)),
        }
    }

    pub fn copy_to_other(&mut self) {
        let mut session = self.session();
        session.copy_to_other(self.params.as_ref());
        let (from, to) = (session.active.label(), session.active.other().label());
        drop(session);
        self.message = Some((format!("copied {from} to {to}"), false));
    }

    /// Saves the live parameters as a user preset called `name`.
    pub fn save_as(&mut self, name: &str) {
        let live = presets::capture(self.params.as_ref());
        let result = UserStore::open().and_then(|store| store.save(name, "User", "", live.clone()));
        match result {
            Ok(preset) => {
                self.session().saved(&preset, live);
                self.message = Some((format!("saved {}", preset.name), false));
                self.reload();
                self.modified = false;
            }
            Err(e) => self.message = Some((e, true)),
        }
    }

    fn current_user_preset(&self) -> Option<Preset> {
        self.current_index().map(|i| self.presets[i].clone()).filter(|p| matches!(p.origin, Origin::User(_)))
    }

    fn rename_current(&mut self, new_name: &str) {
        let Some(preset) = self.current_user_preset() else {
            self.message = Some(("only user presets can be renamed; load one first".to_string(), true));
            return;
        };
        match UserStore::open().and_then(|store| store.rename(&preset.slug, new_name)) {
            Ok(renamed) => {
                if let Some(current) = self.session().current.as_mut() {
                    current.slug = renamed.slug.clone();
                    current.name = renamed.name.clone();
                }
                self.message = Some((format!("renamed to {}", renamed.name), false));
                self.reload();
            }
            Err(e) => self.message = Some((e, true)),
        }
    }

    fn delete_current(&mut self) {
        let Some(preset) = self.current_user_preset() else {
            self.message = Some(("only user presets can be deleted; load one first".to_string(), true));
            return;
        };
        match UserStore::open().and_then(|store| store.delete(&preset.slug)) {
            Ok(()) => {
                self.session().current = None;
                self.message = Some((format!("deleted {}", preset.name), false));
                self.reload();
            }
            Err(e) => self.message = Some((e, true)),
        }
    }

    fn import(&mut self, path: &str) {
        match UserStore::open().and_then(|store| store.import(&PathBuf::from(path.trim()))) {
            Ok(preset) => {
                self.message = Some((format!("imported {} (now in the list)", preset.name), false));
                self.reload();
            }
            Err(e) => self.message = Some((e, true)),
        }
    }

    fn export(&mut self, path: &str) {
        let name = self.session().display_name().to_string();
        let preset = Preset {
            slug: presets::slugify(&name).unwrap_or_else(|_| "preset".to_string()),
            name,
            category: "User".to_string(),
            intent: String::new(),
            target_lufs: None,
            values: presets::capture(self.params.as_ref()),
            origin: Origin::Factory,
        };
        match user::export(&preset, &PathBuf::from(path.trim())) {
            Ok(()) => self.message = Some((format!("exported to {}", path.trim()), false)),
            Err(e) => self.message = Some((e, true)),
        }
    }

    /// The bar itself (one row).
    pub fn show(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit, bus: &MeterBus) {
        self.frames = self.frames.wrapping_add(1);
        if self.frames % MODIFIED_CHECK_FRAMES == 1 {
            let modified = self.session().is_modified(self.params.as_ref());
            self.modified = modified;
        }
        ui.horizontal(|ui| {
            if ui.button("<").on_hover_text("Previous preset").clicked() {
                self.step(false, controls, edit);
            }
            self.browser(ui, controls, edit);
            if ui.button(">").on_hover_text("Next preset").clicked() {
                self.step(true, controls, edit);
            }
            ui.separator();
            self.ab(ui, controls, edit);
            ui.separator();
            self.manage_menu(ui);
            ui.separator();
            self.level_match(ui, bus);
            if let Some((text, error)) = &self.message {
                let color = if *error { Color32::from_rgb(255, 110, 100) } else { Color32::from_gray(150) };
                ui.label(RichText::new(text).small().color(color));
            }
        });
    }

    fn browser(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit) {
        let name = self.session().display_name().to_string();
        let marker = if self.modified { " *" } else { "" };
        let mut chosen = None;
        egui::ComboBox::from_id_salt("preset_browser")
            .width(190.0)
            .selected_text(RichText::new(format!("{name}{marker}")).strong())
            .show_ui(ui, |ui| {
                let mut category = "";
                for (i, p) in self.presets.iter().enumerate() {
                    let cat = if matches!(p.origin, Origin::User(_)) { "User" } else { p.category.as_str() };
                    if cat != category {
                        ui.label(RichText::new(cat).small().color(Color32::from_rgb(120, 210, 255)));
                        category = cat;
                    }
                    if ui.selectable_label(p.name == name, &p.name).on_hover_text(&p.intent).clicked() {
                        chosen = Some(i);
                    }
                }
            })
            .response
            .on_hover_text(if self.modified { "Preset (modified)" } else { "Preset" });
        if let Some(i) = chosen {
            self.load(i, controls, edit);
        }
    }

    fn ab(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit) {
        let active = self.session().active;
        for slot in [crate::presets::session::Slot::A, crate::presets::session::Slot::B] {
            let clicked =
                ui.selectable_label(slot == active, slot.label()).on_hover_text("A/B compare: switch slot").clicked();
            if clicked && slot != active {
                self.switch_slot(controls, edit);
            }
        }
        let copy = format!("Copy {} to {}", active.label(), active.other().label());
        if ui.button(copy).on_hover_text("Copy the active slot into the other one").clicked() {
            self.copy_to_other();
        }
    }

    fn manage_menu(&mut self, ui: &mut Ui) {
        ui.menu_button("Manage presets", |ui| {
            ui.set_min_width(300.0);
            ui.label(RichText::new("Name").small());
            ui.text_edit_singleline(&mut self.name);
            ui.horizontal(|ui| {
                if ui.button("Save as user preset").clicked() {
                    let name = self.name.clone();
                    self.save_as(&name);
                }
                if ui.button("Rename current").clicked() {
                    let name = self.name.clone();
                    self.rename_current(&name);
                }
            });
            let delete_label = if self.confirm_delete { "Really delete?" } else { "Delete current" };
            if ui.button(delete_label).clicked() {
                if self.confirm_delete {
                    self.delete_current();
                }
                self.confirm_delete = !self.confirm_delete;
            }
            ui.separator();
            ui.label(RichText::new("Preset file").small());
            ui.text_edit_singleline(&mut self.path);
            ui.horizontal(|ui| {
                if ui.button("Import").clicked() {
                    let path = self.path.clone();
                    self.import(&path);
                }
                if ui.button("Export current").clicked() {
                    let path = self.path.clone();
                    self.export(&path);
                }
            });
            ui.separator();
            if ui.button("Rescan user presets").clicked() {
                self.reload();
            }
            if let Ok(store) = UserStore::open() {
                ui.label(RichText::new(format!("User presets: {}", store.dir().display())).small().weak());
            }
        });
    }

    fn level_match(&mut self, ui: &mut Ui, bus: &MeterBus) {
        let on = self.params.level_match.load(Ordering::Relaxed);
        let gain = bus.level_match_gain_db.load(Ordering::Relaxed);
        let text = if on { format!("Level match {gain:+.1} dB") } else { "Level match".to_string() };
        let fill = if on { Color32::from_rgb(240, 190, 90) } else { Color32::from_gray(45) };
        let color = if on { Color32::BLACK } else { Color32::from_gray(200) };
        let response = ui.add(egui::Button::new(RichText::new(text).color(color)).fill(fill)).on_hover_text(
            "Monitoring only: plays the output at the input's short-term loudness so bypass, A/B and \
                 presets compare fairly. Never part of a render, a preset or the CLI.",
        );
        response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, "Level match"));
        if response.clicked() {
            self.params.level_match.store(!on, Ordering::Relaxed);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sends each changed value as its own begin/set/end gesture.
fn apply(values: &[Resolved], controls: &Controls, edit: &dyn ParamEdit) {
    for r in values {
        if let Some(p) = controls.find(&r.id) {
            if p.normalized() != r.normalized {
                edit.begin_set(p);
                edit.set_normalized(p, r.normalized);
                edit.end_set(p);
            }
        }
    }
}
