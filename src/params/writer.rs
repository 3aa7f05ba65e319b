//! Setting parameters by stable ID outside a host: the CLI's `--set ID=VALUE` and preset files.

use std::sync::Arc;

use super::ptr::params_of;
use super::value::{apply_direct, resolve_value, Input};
use super::LacquerParams;

/// Sets parameters by stable ID from plain values (the CLI's `--set ID=VALUE`, preset files).
/// Outside a host nothing else owns the parameters, so writing them directly is safe here; inside
/// the plugin, parameter changes go through the host (GUI gestures or state restore).
pub struct ParamWriter {
    params: Arc<LacquerParams>,
}

impl ParamWriter {
    pub fn new(params: Arc<LacquerParams>) -> Self {
        Self { params }
    }

    pub fn params(&self) -> &LacquerParams {
        &self.params
    }

    /// Accepts plain numbers (`-1.5`, `-1.5 dB`), the parameter's own text (`4x`, `16-bit`,
    /// `On`), and `true`/`false`/`on`/`off` for switches (see [`Input::Text`]). Out-of-range
    /// numbers are refused, not clamped, so a typo never silently renders something else.
    pub fn set(&self, id: &str, value: &str) -> Result<(), String> {
        let map = params_of(self.params.as_ref());
        let (_, param, _) = map
            .iter()
            .find(|(pid, _, _)| pid == id)
            .ok_or_else(|| format!("unknown parameter '{id}' (run `lacquer params` for the list)"))?;
        let resolved = resolve_value(id, *param, &Input::Text(value)).map_err(|r| r.message(id))?;
        apply_direct(self.params.as_ref(), &[resolved]);
        Ok(())
    }

    /// Current plain value of a parameter, as its display text (for listings).
    pub fn describe(&self, id: &str) -> Option<String> {
        let map = params_of(self.params.as_ref());
        let (_, param, _) = map.iter().find(|(pid, _, _)| pid == id)?;
        Some(param.text(param.normalized(), true))
    }

    /// (id, display name, group, text of the range) for every parameter.
    pub fn table(&self) -> Vec<(String, String, String, String)> {
        params_of(self.params.as_ref())
            .into_iter()
            .map(|(id, param, group)| {
                let range = match param.step_count() {
                    Some(steps) => (0..=steps)
                        .map(|s| param.text(s as f32 / steps.max(1) as f32, true))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    None => format!("{} … {}", param.text(0.0, true), param.text(1.0, true)),
                };
                (id, param.name().to_string(), group, range)
            })
            .collect()
    }
}
