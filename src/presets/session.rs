//! What the preset bar remembers with the host session: which preset is loaded (and the values
//! it had, for the modified marker) and the A/B compare slots. The live parameters are always
//! the active slot; the inactive slot is stored here. Plain data, persisted as a `#[persist]`
//! field, touched only on the GUI and host threads, never by the audio thread.

use nice_plug::prelude::Params;

use super::{apply_direct, capture, resolve, same_values, Preset, PresetValues, Resolved};
use crate::params::LacquerParams;
pub use crate::persist::{LoadedPreset, PresetSession, Slot, SlotContents};

impl PresetSession {
    /// Records that `preset` was loaded into the active slot.
    pub fn loaded(&mut self, preset: &Preset) {
        if preset.target_lufs.is_some() {
            self.target_lufs = preset.target_lufs;
        }
        self.current =
            Some(LoadedPreset { slug: preset.slug.clone(), name: preset.name.clone(), baseline: values_of(preset) });
    }

    /// Records that the live parameters were saved as `preset` (they are its baseline now).
    pub fn saved(&mut self, preset: &Preset, live: PresetValues) {
        self.current = Some(LoadedPreset { slug: preset.slug.clone(), name: preset.name.clone(), baseline: live });
    }

    /// The current preset's name, or "Default" when none was loaded.
    pub fn display_name(&self) -> &str {
        self.current.as_ref().map(|c| c.name.as_str()).unwrap_or("Default")
    }

    /// Whether the live parameters differ from the loaded preset (or from the defaults when
    /// no preset was loaded).
    pub fn is_modified(&self, params: &dyn Params) -> bool {
        let live = capture(params);
        match &self.current {
            Some(c) => !same_values(&live, &c.baseline),
            None => !same_values(&live, &capture(&LacquerParams::default())),
        }
    }

    /// Switches to the other slot: the live parameters go into the stored slot, and the values
    /// to apply (normalized, tree order) come back. An empty other slot starts as a copy of the
    /// live one. A stored slot that no longer validates (e.g. a damaged session) is refused and
    /// nothing changes.
    pub fn switch_slot(&mut self, params: &dyn Params) -> Result<Vec<Resolved>, String> {
        let live = SlotContents { values: capture(params), preset: self.current.clone() };
        let target = self.other.clone().unwrap_or_else(|| live.clone());
        let resolved =
            resolve(&target.values).map_err(|e| format!("slot {} is damaged: {e}", self.active.other().label()))?;
        self.other = Some(live);
        self.current = target.preset;
        self.active = self.active.other();
        Ok(resolved)
    }

    /// Copies the live parameters (the active slot) into the other slot.
    pub fn copy_to_other(&mut self, params: &dyn Params) {
        self.other = Some(SlotContents { values: capture(params), preset: self.current.clone() });
    }
}

/// The values a preset leaves the parameters at (its own plus defaults), as `capture` reports them.
pub fn values_of(preset: &Preset) -> PresetValues {
    let scratch = LacquerParams::default();
    apply_direct(&scratch, &preset.resolved());
    capture(&scratch)
}
