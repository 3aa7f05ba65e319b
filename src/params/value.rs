//! Values for parameters by stable ID, checked once and set one way. Preset files, A/B slots,
//! host-state repair and the CLI's `--set ID=VALUE` all turn their input into an [`Input`] and
//! go through [`resolve_value`] (the one validator); sets nothing else owns are then written by
//! [`apply_direct`] (the one direct setter). The editor applies the same [`Resolved`] values
//! through host gestures instead.
//!
//! Out-of-range numbers are refused, never clamped, so a typo never silently renders something
//! else; state repair, which must load what it can, clamps on [`Refusal::OutOfRange`] itself.

use nice_plug::prelude::Params;

use super::ptr::{params_of, Kind, Param};

/// A value as a user or a file gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input<'s> {
    Switch(bool),
    Number(f64),
    /// An enum choice: its stable ID (`"4x"`, `"rms"`) or its display name.
    Choice(&'s str),
    /// Text as typed on a command line: a number with or without its unit (`-1.5`, `-1.5 dB`),
    /// a switch word (`on`, `off`, `true`, `false`, `yes`, `no`) or a choice.
    Text(&'s str),
}

/// One parameter's validated value: normalized (what hosts and the editor's gestures carry) and,
/// for continuous parameters, the exact plain value (normalized ↔ plain conversions of skewed
/// ranges are not exactly invertible in f32, so direct application uses the plain value).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub id: String,
    pub normalized: f32,
    pub plain: Option<f32>,
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A number outside the parameter's range.
    OutOfRange { value: f32, lo: f32, hi: f32 },
    /// Anything else, as the one-line message the user sees.
    Invalid(String),
}

impl Refusal {
    /// The one-line message for parameter `id`.
    pub fn message(&self, id: &str) -> String {
        match self {
            Refusal::OutOfRange { value, lo, hi } => {
                format!("parameter '{id}' must be between {lo} and {hi}, got {value}")
            }
            Refusal::Invalid(why) => why.clone(),
        }
    }
}

/// Checks `input` for parameter `id` (`param`) and returns the value to set.
pub fn resolve_value(id: &str, param: Param<'_>, input: &Input<'_>) -> Result<Resolved, Refusal> {
    let invalid = |why: String| Err(Refusal::Invalid(why));
    let normalized = match (param.kind(), *input) {
        (Kind::Bool, Input::Switch(on)) => bool_normalized(on),
        (Kind::Float | Kind::Int, Input::Number(v)) => return number(id, param, v),
        (Kind::Enum, Input::Choice(choice)) => match choice_normalized(param, choice) {
            Some(n) => n,
            None => return invalid(format!("parameter '{id}' has no choice {choice:?} (see `lacquer params`)")),
        },
        (kind, Input::Text(text)) => {
            let text = text.trim();
            let lowered = text.to_ascii_lowercase();
            match kind {
                Kind::Float => {
                    let digits = text.trim_end_matches(|c: char| c.is_alphabetic() || c == '%' || c == ' ');
                    return match digits.parse::<f64>() {
                        Ok(v) => number(id, param, v),
                        Err(_) => invalid(format!("parameter '{id}' needs a number, got '{text}'")),
                    };
                }
                Kind::Bool if matches!(lowered.as_str(), "true" | "on" | "yes") => bool_normalized(true),
                Kind::Bool if matches!(lowered.as_str(), "false" | "off" | "no") => bool_normalized(false),
                // A step parameter's own text (`On`, `16-bit`, a choice), else its plain number.
                _ => match choice_normalized(param, text).or_else(|| param.parse_text(text)) {
                    Some(n) => n,
                    None => match text.parse::<f64>() {
                        Ok(v) => return number(id, param, v),
                        Err(_) => return invalid(format!("parameter '{id}' does not accept '{text}'")),
                    },
                },
            }
        }
        (_, value) => return invalid(format!("parameter '{id}' cannot take the value {value:?}")),
    };
    Ok(Resolved { id: id.to_string(), normalized, plain: None })
}

fn bool_normalized(on: bool) -> f32 {
    if on {
        1.0
    } else {
        0.0
    }
}

/// An enum choice by stable ID, then by display name.
fn choice_normalized(param: Param<'_>, choice: &str) -> Option<f32> {
    if param.kind() != Kind::Enum {
        return None;
    }
    param.choice_by_id(choice).or_else(|| param.parse_text(choice))
}

/// A plain number inside the range (with a relative slack of 1e-4 of the range's magnitude for
/// values that went through decimal text), snapped to the steps of a stepped parameter.
fn number(id: &str, param: Param<'_>, v: f64) -> Result<Resolved, Refusal> {
    let v = v as f32;
    let (lo, hi) = param.range();
    let slack = 1e-4 * lo.abs().max(hi.abs()).max(1.0);
    if !v.is_finite() || v < lo - slack || v > hi + slack {
        return Err(Refusal::OutOfRange { value: v, lo, hi });
    }
    if param.kind() == Kind::Enum && v.fract() != 0.0 {
        return Err(Refusal::Invalid(format!("parameter '{id}' needs a whole choice number, got {v}")));
    }
    let plain = v.clamp(lo, hi);
    Ok(Resolved {
        id: id.to_string(),
        normalized: param.normalized_of(plain),
        plain: (param.kind() == Kind::Float).then_some(plain),
    })
}

/// Sets resolved values straight into `params`: the exact plain value for continuous parameters,
/// the normalized one otherwise. Only for parameter sets nothing else owns (the CLI, tests,
/// scratch sets); inside a host the editor goes through gestures instead. IDs the set does not
/// have are skipped (values are resolved against the same tree).
pub fn apply_direct(params: &dyn Params, resolved: &[Resolved]) {
    let map = params_of(params);
    for r in resolved {
        if let Some((_, param, _)) = map.iter().find(|(id, _, _)| *id == r.id) {
            match r.plain {
                Some(plain) => param.set_plain_direct(plain),
                None => param.set_normalized_direct(r.normalized),
            }
        }
    }
}
