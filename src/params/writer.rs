//! Setting parameters by stable ID outside a host: the CLI's `--set ID=VALUE` and preset files.

use std::sync::Arc;

use nice_plug::prelude::*;

use super::LacquerParams;

/// Sets parameters by stable ID from plain values (the CLI's `--set ID=VALUE`, preset files).
/// Outside a host nothing else owns the parameters, so writing them directly is safe here; inside
/// the plugin, parameter changes go through the host (GUI gestures or state restore).
pub struct ParamWriter {
    params: Arc<LacquerParams>,
    map: Vec<(String, ParamPtr, String)>,
}

impl ParamWriter {
    pub fn new(params: Arc<LacquerParams>) -> Self {
        let map = params.param_map();
        Self { params, map }
    }

    pub fn params(&self) -> &LacquerParams {
        &self.params
    }

    /// Every parameter ID in tree order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.map.iter().map(|(id, _, _)| id.as_str())
    }

    /// Accepts plain numbers (`-1.5`), the parameter's own text (`4x`, `16-bit`, `On`), and
    /// `true`/`false`/`on`/`off` for switches. Out-of-range numbers are refused, not clamped, so
    /// a typo never silently renders something else.
    pub fn set(&self, id: &str, value: &str) -> Result<(), String> {
        let (_, ptr, _) = self
            .map
            .iter()
            .find(|(pid, _, _)| pid == id)
            .ok_or_else(|| format!("unknown parameter '{id}' (run `lacquer params` for the list)"))?;
        // SAFETY: `ptr` points into `self.params`, which this struct keeps alive.
        unsafe {
            let steps = ptr.step_count();
            let normalized = match steps {
                Some(_) => {
                    let lowered = value.trim().to_ascii_lowercase();
                    let text = match lowered.as_str() {
                        "true" | "on" | "yes" => "On".to_string(),
                        "false" | "off" | "no" => "Off".to_string(),
                        _ => value.trim().to_string(),
                    };
                    ptr.string_to_normalized_value(&text)
                        .or_else(|| text.parse::<f32>().ok().map(|v| ptr.preview_normalized(v)))
                }
                None => {
                    let plain: f32 = value
                        .trim()
                        .trim_end_matches(|c: char| c.is_alphabetic() || c == '%' || c == ' ')
                        .parse()
                        .map_err(|_| format!("parameter '{id}' needs a number, got '{value}'"))?;
                    let normalized = ptr.preview_normalized(plain);
                    if (ptr.preview_plain(normalized) - plain).abs() > 1e-3 * plain.abs().max(1.0) {
                        let (lo, hi) = (ptr.preview_plain(0.0), ptr.preview_plain(1.0));
                        return Err(format!("parameter '{id}' must be between {lo} and {hi}, got {plain}"));
                    }
                    Some(normalized)
                }
            }
            .ok_or_else(|| format!("parameter '{id}' does not accept '{value}'"))?;
            ptr._internal_set_normalized_value(normalized);
        }
        Ok(())
    }

    /// Current plain value of a parameter, as its display text (for listings).
    pub fn describe(&self, id: &str) -> Option<String> {
        let (_, ptr, _) = self.map.iter().find(|(pid, _, _)| pid == id)?;
        // SAFETY: as in `set`.
        unsafe { Some(ptr.normalized_value_to_string(ptr.unmodulated_normalized_value(), true)) }
    }

    /// (id, display name, group, text of the range) for every parameter.
    pub fn table(&self) -> Vec<(String, String, String, String)> {
        self.map
            .iter()
            .map(|(id, ptr, group)| {
                // SAFETY: as in `set`.
                unsafe {
                    let range = match ptr.step_count() {
                        Some(steps) => (0..=steps)
                            .map(|s| ptr.normalized_value_to_string(s as f32 / steps.max(1) as f32, true))
                            .collect::<Vec<_>>()
                            .join(" / "),
                        None => format!(
                            "{} … {}",
                            ptr.normalized_value_to_string(0.0, true),
                            ptr.normalized_value_to_string(1.0, true)
                        ),
                    };
                    (id.clone(), ptr.name().to_string(), group.clone(), range)
                }
            })
            .collect()
    }
}
