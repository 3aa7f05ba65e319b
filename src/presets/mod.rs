//! Presets: the file format, validation against the parameter tree, and capture/apply of whole
//! parameter sets. Factory presets are data in `factory/*.json` (see [`factory`]), user presets
//! are the same format in the platform's config directory (see [`user`]), and [`session`] holds
//! what the editor's preset bar needs across sessions (current preset, A/B slots).
//!
//! A preset is a map from stable parameter ID to a plain value (number, switch, or an enum's
//! stable ID), so files stay readable and survive parameter reordering. Parameters a preset does
//! not name keep their defaults when it loads. Monitoring switches ([`NOT_IN_PRESETS`]) are never
//! stored or changed by a preset or an A/B switch.

use nice_plug::prelude::Params;
use serde::{Deserialize, Serialize};

use crate::params::ptr::{params_of, Kind};
pub use crate::params::value::{apply_direct, Resolved};
use crate::params::value::{resolve_value, Input};
use crate::params::LacquerParams;
pub use crate::persist::{PresetValue, PresetValues};

pub mod factory;
pub mod session;
pub mod user;

/// The `format` field every preset file carries.
pub const PRESET_FORMAT: &str = "lacquer-preset";
/// The newest preset file version this build reads and the one it writes.
pub const PRESET_VERSION: u32 = 1;
/// Longest accepted preset name (characters).
pub const MAX_NAME_CHARS: usize = 64;

/// Monitoring and session switches: a preset or an A/B switch never stores or changes them, so
/// loading a preset never bypasses the chain, solos a band or leaves delta listening on.
pub const NOT_IN_PRESETS: &[&str] = &["bypass", "delta", "meter_auto_reset", "cmp1_solo", "cmp2_solo", "cmp3_solo"];

/// The on-disk form of a preset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PresetFile {
    pub format: String,
    pub version: u32,
    pub name: String,
    #[serde(default)]
    pub category: String,
    /// What the preset is for, in one line.
    #[serde(default)]
    pub intent: String,
    /// Loudness the preset is meant to reach; the CLI aims for it when no `--target-lufs` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_lufs: Option<f32>,
    pub params: PresetValues,
}

/// Where a preset came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Factory,
    User(std::path::PathBuf),
}

/// A validated preset, ready to apply.
#[derive(Debug, Clone)]
pub struct Preset {
    /// CLI name: lowercase letters, digits and dashes (`gentle-glue`).
    pub slug: String,
    pub name: String,
    pub category: String,
    pub intent: String,
    pub target_lufs: Option<f32>,
    pub values: PresetValues,
    pub origin: Origin,
}

impl Preset {
    /// Parses and validates preset text. Every refusal is one line the user can act on, and
    /// nothing is applied anywhere: callers only get a preset once all of it is valid.
    pub fn parse(text: &str, origin: Origin) -> Result<Preset, String> {
        // Check the envelope first so a newer file gets the "update Lacquer" message, not a
        // complaint about a field this build does not know.
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e}); is this a Lacquer preset file?"))?;
        let format = raw.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != PRESET_FORMAT {
            return Err(format!("not a Lacquer preset (its \"format\" is {format:?}, expected \"{PRESET_FORMAT}\")"));
        }
        let version = raw.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > PRESET_VERSION as u64 {
            return Err(format!(
                "this preset was saved by a newer Lacquer (preset version {version}; this build reads up to \
                 {PRESET_VERSION}): update Lacquer to load it"
            ));
        }
        if version == 0 {
            return Err("preset has no valid \"version\" (expected a positive whole number)".to_string());
        }
        let file: PresetFile = serde_json::from_value(raw).map_err(|e| format!("malformed preset: {e}"))?;
        let name = file.name.trim().to_string();
        let slug = slugify(&name)?;
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!("preset name is longer than {MAX_NAME_CHARS} characters"));
        }
        if let Some(t) = file.target_lufs {
            if !(-40.0..=-3.0).contains(&t) {
                return Err(format!("preset target_lufs must be between -40 and -3 LUFS, got {t}"));
            }
        }
        let values: PresetValues =
            file.params.into_iter().filter(|(id, _)| !NOT_IN_PRESETS.contains(&id.as_str())).collect();
        resolve(&values)?;
        Ok(Preset {
            slug,
            name,
            category: file.category.trim().to_string(),
            intent: file.intent.trim().to_string(),
            target_lufs: file.target_lufs,
            values,
            origin,
        })
    }

    /// The file text for this preset (pretty JSON, current version).
    pub fn to_json(&self) -> String {
        let file = PresetFile {
            format: PRESET_FORMAT.to_string(),
            version: PRESET_VERSION,
            name: self.name.clone(),
            category: self.category.clone(),
            intent: self.intent.clone(),
            target_lufs: self.target_lufs,
            params: self.values.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("preset values always serialise");
        text.push('\n');
        text
    }

    /// Values for every preset-able parameter (defaults for those not named).
    pub fn resolved(&self) -> Vec<Resolved> {
        resolve(&self.values).expect("validated when the preset was parsed")
    }
}

/// The CLI name of a preset name: lowercase ASCII letters and digits, everything else folded
/// into single dashes (`"Wide & Bright"` → `wide-bright`).
pub fn slugify(name: &str) -> Result<String, String> {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        return Err(format!("preset name {name:?} needs at least one letter or digit"));
    }
    Ok(slug)
}

/// Whether a parameter takes part in presets and A/B slots.
pub fn in_presets(id: &str) -> bool {
    !NOT_IN_PRESETS.contains(&id)
}

/// Checks preset values against the parameter tree and returns normalized values for every
/// preset-able parameter, in tree order (defaults where the preset is silent). Unknown IDs,
/// wrong types, unknown choices and out-of-range numbers are refused, never clamped.
pub fn resolve(values: &PresetValues) -> Result<Vec<Resolved>, String> {
    // A private parameter set does the conversions, so validation touches nothing live.
    let scratch = LacquerParams::default();
    let map = params_of(&scratch);
    for id in values.keys() {
        if !map.iter().any(|(pid, _, _)| pid == id) {
            return Err(format!("preset names an unknown parameter '{id}' (see `lacquer params`)"));
        }
    }
    let mut out = Vec::with_capacity(map.len());
    for (id, param, _) in map.iter().filter(|(id, _, _)| in_presets(id)) {
        let resolved = match values.get(id) {
            None => Resolved {
                id: id.clone(),
                normalized: param.default_normalized(),
                plain: (param.kind() == Kind::Float).then(|| param.default_plain()),
            },
            Some(value) => {
                let input = match value {
                    PresetValue::Switch(on) => Input::Switch(*on),
                    PresetValue::Number(v) => Input::Number(*v),
                    PresetValue::Choice(choice) => Input::Choice(choice),
                };
                resolve_value(id, *param, &input).map_err(|r| r.message(id))?
            }
        };
        out.push(resolved);
    }
    Ok(out)
}

/// The current values of every preset-able parameter of `params`, as preset values (exact: a
/// save → load round trip restores the same f32).
pub fn capture(params: &dyn Params) -> PresetValues {
    let mut values = PresetValues::new();
    for (id, param, _) in params_of(params).into_iter().filter(|(id, _, _)| in_presets(id)) {
        let value = match param.kind() {
            Kind::Bool => PresetValue::Switch(param.normalized() > 0.5),
            Kind::Float | Kind::Int => PresetValue::Number(readable(param.plain())),
            Kind::Enum => match param.choice_id() {
                Some(choice) => PresetValue::Choice(choice.to_string()),
                None => PresetValue::Choice(param.text(param.normalized(), false)),
            },
        };
        values.insert(id, value);
    }
    values
}

/// The f64 with the shortest decimal form that still reads back as exactly `v` in f32, so files
/// say `-11.6`, not `-11.600000381469727`.
fn readable(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(v as f64)
}

/// Whether two value sets match, allowing for the f32 rounding of a trip through normalized
/// values (how hosts and the editor's gestures carry them).
pub fn same_values(a: &PresetValues, b: &PresetValues) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
            ka == kb
                && match (va, vb) {
                    (PresetValue::Number(x), PresetValue::Number(y)) => {
                        (x - y).abs() <= 1e-5 * x.abs().max(y.abs()).max(1.0)
                    }
                    _ => va == vb,
                }
        })
}

/// Every preset the user can reach by slug: factory first, then the user's, sorted by name.
/// Malformed user files are skipped; their one-line messages come back alongside.
pub fn all_presets() -> (Vec<Preset>, Vec<String>) {
    let mut presets = factory::presets();
    let (mut user, errors) = match user::UserStore::open() {
        Ok(store) => store.list(),
        Err(e) => (Vec::new(), vec![e]),
    };
    user.sort_by_key(|p| p.name.to_lowercase());
    presets.append(&mut user);
    (presets, errors)
}

/// Finds a preset by slug (factory first, then user presets).
pub fn find(slug: &str) -> Result<Preset, String> {
    let (presets, errors) = all_presets();
    if let Some(p) = presets.into_iter().find(|p| p.slug == slug) {
        return Ok(p);
    }
    let mut msg = format!("no preset called '{slug}' (run `lacquer presets` for the list)");
    if let Some(first) = errors.first() {
        msg.push_str(&format!("; note: {first}"));
    }
    Err(msg)
}
