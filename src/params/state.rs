//! Host state versioning and repair, run by `Plugin::filter_state` just before nice-plug applies a
//! saved state. The state is nice-plug's (`params`: ID → plain value, `fields`: `#[persist]` JSON
//! strings); Lacquer adds a `state-format` field that numbers its own layout.
//!
//! - Format 1: everything saved before the presets work (parameters only, no fields).
//! - Format 2: adds the `presets`, `level-match`, `editor-size` and `state-format` fields.
//!
//! Older formats are migrated step by step to the current one. A newer format loads what this
//! build understands (parameter IDs are never renamed, so known values keep their meaning) and
//! logs a warning. Damaged parts are repaired, each with a logged warning: unknown IDs dropped,
//! wrong-typed values dropped (the parameter keeps its current value), out-of-range or
//! non-finite numbers clamped or dropped, unreadable fields dropped (their defaults stay). A blob
//! that is not JSON at all never reaches this code: nice-plug refuses it and the instance keeps
//! its parameters (the defaults, for a fresh instance).

use std::collections::BTreeMap;

use nice_plug::plugin::ParamValue;
use nice_plug::prelude::PluginState;

use super::ptr::{params_of, Kind, Param};
use super::value::{resolve_value, Input, Refusal};
use super::LacquerParams;
use crate::persist::{EditorSize, PresetSession};

/// The state layout this build writes.
pub const STATE_FORMAT: u32 = 2;
const FORMAT_FIELD: &str = "state-format";

/// Migrates and repairs `state` in place; returns one message per change (empty for a clean,
/// current state). `Lacquer::filter_state` logs them as warnings.
pub fn repair(state: &mut PluginState) -> Vec<String> {
    let mut notes = Vec::new();
    let format = match state.fields.get(FORMAT_FIELD) {
        None => 1,
        Some(text) => match serde_json::from_str::<u32>(text) {
            Ok(f) if f >= 1 => f,
            _ => {
                notes.push(format!("unreadable state format {text:?}; treating it as format 1"));
                1
            }
        },
    };
    if format > STATE_FORMAT {
        notes.push(format!(
            "this session was saved by a newer Lacquer (state format {format}, this build knows {STATE_FORMAT}); \
             loading the settings this version understands"
        ));
    }
    // Migrations, oldest first. Format 1 → 2 only added fields whose defaults (no preset loaded,
    // level match off, default editor size) are exactly what a format-1 session had, so no value
    // needs rewriting; a later layout change adds its rewrite step here, keyed on `format`.
    repair_params(&mut state.params, &mut notes);
    repair_fields(&mut state.fields, &mut notes);
    state.fields.insert(FORMAT_FIELD.to_string(), STATE_FORMAT.to_string());
    notes
}

fn repair_params(params: &mut BTreeMap<String, ParamValue>, notes: &mut Vec<String>) {
    let scratch = LacquerParams::default();
    let map = params_of(&scratch);
    params.retain(|id, value| {
        let Some((_, param, _)) = map.iter().find(|(pid, _, _)| pid == id) else {
            notes.push(format!("dropped unknown parameter '{id}'"));
            return false;
        };
        match check_value(id, *param, value) {
            Check::Keep => true,
            Check::Replace(fixed) => {
                notes.push(format!("parameter '{id}': {value:?} out of range, clamped to {fixed:?}"));
                *value = fixed;
                true
            }
            Check::Drop(why) => {
                notes.push(format!("parameter '{id}': {why}; keeping its current value"));
                false
            }
        }
    });
}

enum Check {
    Keep,
    Replace(ParamValue),
    Drop(String),
}

/// A saved value against the parameter, with the validator presets and the CLI use; what it
/// refuses as out of range is clamped (a session should load what it can), other refusals
/// drop the value. Enum choices must be stable IDs here (nice-plug restores them by ID).
fn check_value(id: &str, param: Param<'_>, value: &ParamValue) -> Check {
    let input = match (param.kind(), value) {
        (Kind::Float, ParamValue::F32(v)) if !v.is_finite() => return Check::Drop(format!("non-finite value {v}")),
        (Kind::Float, ParamValue::F32(v)) => Input::Number(*v as f64),
        (Kind::Bool, ParamValue::Bool(on)) => Input::Switch(*on),
        (Kind::Enum, ParamValue::String(choice)) => {
            return match param.choice_by_id(choice) {
                Some(_) => Check::Keep,
                None => Check::Drop(format!("unknown choice {choice:?}")),
            }
        }
        (Kind::Enum, ParamValue::I32(index)) => {
            return match param.choice_count() {
                Some(len) if (0..len as i32).contains(index) => Check::Keep,
                _ => Check::Drop(format!("choice index {index} out of range")),
            }
        }
        (_, value) => return Check::Drop(format!("wrong value type {value:?}")),
    };
    match resolve_value(id, param, &input) {
        // A number within the validator's rounding slack of the range is still clamped exactly.
        Ok(resolved) => match (resolved.plain, value) {
            (Some(plain), ParamValue::F32(v)) if plain != *v => Check::Replace(ParamValue::F32(plain)),
            _ => Check::Keep,
        },
        Err(Refusal::OutOfRange { value, lo, hi }) => Check::Replace(ParamValue::F32(value.clamp(lo, hi))),
        Err(refusal) => Check::Drop(refusal.message(id)),
    }
}

fn repair_fields(fields: &mut BTreeMap<String, String>, notes: &mut Vec<String>) {
    fields.retain(|key, text| {
        let readable = match key.as_str() {
            "presets" => serde_json::from_str::<PresetSession>(text).is_ok(),
            "level-match" => serde_json::from_str::<bool>(text).is_ok(),
            "editor-size" => serde_json::from_str::<EditorSize>(text)
                .is_ok_and(|s| s.width.is_finite() && s.height.is_finite() && s.zoom.is_finite() && s.zoom > 0.0),
            FORMAT_FIELD => true,
            // Fields of a newer build: harmless, nice-plug ignores keys it has no field for.
            _ => true,
        };
        if !readable {
            notes.push(format!("dropped unreadable '{key}' data; using its default"));
        }
        readable
    });
}
