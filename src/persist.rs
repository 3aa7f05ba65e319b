//! Plain data that outlives a session: what the plugin stores in the host's project next to
//! the parameters (`#[persist]` fields: the preset bar's session, the editor's size) and the
//! value types of preset files. A leaf module: serde only, no framework types and no other part
//! of the crate, so the parameter tree, the presets, the editor and the CLI can all use it
//! without depending on each other.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The editor's size when it first opens (logical pixels).
pub const DEFAULT_EDITOR_SIZE: (f32, f32) = (1000.0, 640.0);

/// The editor's logical window size (before zoom) and zoom factor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EditorSize {
    pub width: f32,
    pub height: f32,
    pub zoom: f32,
}

impl Default for EditorSize {
    fn default() -> Self {
        Self { width: DEFAULT_EDITOR_SIZE.0, height: DEFAULT_EDITOR_SIZE.1, zoom: 1.0 }
    }
}

/// A parameter's plain value as stored in a preset file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PresetValue {
    Switch(bool),
    Number(f64),
    /// An enum parameter's stable ID (e.g. `"4x"`, `"rms"`); display names are accepted too.
    Choice(String),
}

/// Parameter ID → plain value.
pub type PresetValues = BTreeMap<String, PresetValue>;

/// One of the preset bar's two A/B compare slots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Slot {
    #[default]
    A,
    B,
}

impl Slot {
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Slot::A => "A",
            Slot::B => "B",
        }
    }
}

/// A preset as loaded: its identity and the values it set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedPreset {
    pub slug: String,
    pub name: String,
    /// Every preset-able parameter's value right after loading; the modified marker compares
    /// the live parameters with these.
    pub baseline: PresetValues,
}

/// One A/B slot's complete parameter set and the preset it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotContents {
    pub values: PresetValues,
    pub preset: Option<LoadedPreset>,
}

/// What the preset bar remembers with the host session: the preset loaded into the active slot
/// and the inactive slot's contents (the live parameters are always the active slot). Its
/// behaviour (`loaded`, `switch_slot`, ...) lives with the presets, in `presets::session`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PresetSession {
    /// The preset loaded into the active slot, if any.
    pub current: Option<LoadedPreset>,
    pub active: Slot,
    /// The inactive slot; `None` until the user first switches or copies.
    pub other: Option<SlotContents>,
    /// Loudness target shown in the loudness panel (set by the user or by a preset that has one).
    #[serde(default)]
    pub target_lufs: Option<f32>,
}
