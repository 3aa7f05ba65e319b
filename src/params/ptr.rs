//! The one module that touches nice-plug's `ParamPtr`, whose every method is `unsafe` because it
//! dereferences a raw pointer into a parameter set. Here each pointer is wrapped with what keeps
//! its set alive, so the rest of the crate (presets, state repair, the CLI's `--set`, the
//! editor) works with safe handles:
//!
//! - [`Param<'a>`]: a parameter of a set borrowed for `'a` ([`params_of`]).
//! - [`OwnedParam`]: a parameter together with an `Arc` of its set ([`owned_params`]), for the
//!   editor, which keeps its handles for as long as it runs.
//!
//! Writes come in two kinds. *Direct* writes ([`Param::set_normalized_direct`],
//! [`Param::set_plain_direct`]) are for parameter sets nothing else owns: a scratch set, the
//! CLI's, a test's. Inside a host, changes go through the host's gestures
//! ([`Param::host_begin`] ...), so it records automation and keeps its own copy in step.

use std::marker::PhantomData;
use std::sync::Arc;

use nice_plug::context::gui::GuiContext;
use nice_plug::params::{InternalParamMut, Param as _};
use nice_plug::prelude::{ParamFlags, ParamPtr, Params};

/// What kind of value a parameter holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Float,
    Int,
    Bool,
    Enum,
}

/// A parameter of a set that stays alive (and in place) for `'a`.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    ptr: ParamPtr,
    _set: PhantomData<&'a dyn Params>,
}

/// Every parameter of `set` as (stable ID, parameter, group path), in tree order.
pub fn params_of(set: &dyn Params) -> Vec<(String, Param<'_>, String)> {
    set.param_map().into_iter().map(|(id, ptr, group)| (id, Param { ptr, _set: PhantomData }, group)).collect()
}

/// A parameter together with the set it belongs to, kept alive by the handle itself.
#[derive(Clone)]
pub struct OwnedParam {
    ptr: ParamPtr,
    _set: Arc<dyn Params>,
}

impl OwnedParam {
    pub fn get(&self) -> Param<'_> {
        Param { ptr: self.ptr, _set: PhantomData }
    }
}

/// Every parameter of `set` as (stable ID, parameter, group path), in tree order, each handle
/// holding a reference to `set`.
pub fn owned_params(set: Arc<dyn Params>) -> Vec<(String, OwnedParam, String)> {
    set.param_map().into_iter().map(|(id, ptr, group)| (id, OwnedParam { ptr, _set: set.clone() }, group)).collect()
}

// SAFETY (every `unsafe` block below): a `Param<'a>` only comes from `params_of` (the set is
// borrowed for 'a) or `OwnedParam::get` (the handle holds an `Arc` of the set, borrowed for 'a),
// so the pointee is alive; nice-plug's parameters are atomics inside, so reading and writing
// them through shared references is how nice-plug itself uses them.
impl<'a> Param<'a> {
    pub fn kind(self) -> Kind {
        match self.ptr {
            ParamPtr::FloatParam(_) => Kind::Float,
            ParamPtr::IntParam(_) => Kind::Int,
            ParamPtr::BoolParam(_) => Kind::Bool,
            ParamPtr::EnumParam(_) => Kind::Enum,
        }
    }

    pub fn name(self) -> &'a str {
        // Through the parameter itself, so the name borrows the set ('a), not this handle.
        unsafe {
            match self.ptr {
                ParamPtr::FloatParam(p) => (*p).name(),
                ParamPtr::IntParam(p) => (*p).name(),
                ParamPtr::BoolParam(p) => (*p).name(),
                ParamPtr::EnumParam(p) => (*p).name(),
            }
        }
    }

    pub fn flags(self) -> ParamFlags {
        unsafe { self.ptr.flags() }
    }

    /// `None` for a continuous parameter, else the number of steps (choices − 1).
    pub fn step_count(self) -> Option<usize> {
        unsafe { self.ptr.step_count() }
    }

    /// The current value, normalized, without host modulation.
    pub fn normalized(self) -> f32 {
        unsafe { self.ptr.unmodulated_normalized_value() }
    }

    /// The current value, plain, without host modulation.
    pub fn plain(self) -> f32 {
        unsafe { self.ptr.unmodulated_plain_value() }
    }

    pub fn default_normalized(self) -> f32 {
        unsafe { self.ptr.default_normalized_value() }
    }

    pub fn default_plain(self) -> f32 {
        unsafe { self.ptr.default_plain_value() }
    }

    /// The plain value of a normalized one (snapped to the steps).
    pub fn plain_of(self, normalized: f32) -> f32 {
        unsafe { self.ptr.preview_plain(normalized) }
    }

    /// The normalized value of a plain one (clamped to the range).
    pub fn normalized_of(self, plain: f32) -> f32 {
        unsafe { self.ptr.preview_normalized(plain) }
    }

    /// The plain range, lowest to highest.
    pub fn range(self) -> (f32, f32) {
        (self.plain_of(0.0), self.plain_of(1.0))
    }

    /// The parameter's own display text of a normalized value.
    pub fn text(self, normalized: f32, with_unit: bool) -> String {
        unsafe { self.ptr.normalized_value_to_string(normalized, with_unit) }
    }

    /// The parameter's own parser (display text to normalized value).
    pub fn parse_text(self, text: &str) -> Option<f32> {
        unsafe { self.ptr.string_to_normalized_value(text) }
    }

    /// The stable ID of an enum parameter's current choice (`None` for other kinds).
    pub fn choice_id(self) -> Option<&'static str> {
        match self.ptr {
            ParamPtr::EnumParam(p) => unsafe { (*p).unmodulated_plain_id() },
            _ => None,
        }
    }

    /// Number of choices of an enum parameter (`None` for other kinds).
    pub fn choice_count(self) -> Option<usize> {
        match self.ptr {
            ParamPtr::EnumParam(p) => Some(unsafe { (*p).len() }),
            _ => None,
        }
    }

    /// The normalized value of an enum parameter's choice given by its stable ID, or `None` if
    /// it has no such ID (or is not an enum). nice-plug can only look an ID up by setting it, so
    /// this sets the parameter and restores it: use it on a set nothing else reads meanwhile
    /// (the scratch sets of validation).
    pub fn choice_by_id(self, id: &str) -> Option<f32> {
        let ParamPtr::EnumParam(p) = self.ptr else { return None };
        unsafe {
            let before = self.ptr.unmodulated_normalized_value();
            let known = (*p).set_from_id(id);
            let by_id = self.ptr.unmodulated_normalized_value();
            self.ptr._internal_set_normalized_value(before);
            known.then_some(by_id)
        }
    }

    /// Direct write of a normalized value, for a set nothing else owns (see the module notes).
    pub fn set_normalized_direct(self, normalized: f32) {
        unsafe {
            self.ptr._internal_set_normalized_value(normalized);
        }
    }

    /// Direct write of an exact plain value; for a float parameter this avoids the normalized
    /// round trip (not exactly invertible in f32 for skewed ranges), other kinds go through
    /// their normalized value.
    pub fn set_plain_direct(self, plain: f32) {
        unsafe {
            match self.ptr {
                ParamPtr::FloatParam(p) => {
                    (*p)._internal_set_plain_value(plain);
                }
                _ => {
                    self.ptr._internal_set_normalized_value(self.ptr.preview_normalized(plain));
                }
            }
        }
    }

    /// Starts a host gesture. The parameter must belong to the plugin instance `cx` serves (the
    /// editor's own set); a pointer the host does not know is ignored by nice-plug.
    pub fn host_begin(self, cx: &GuiContext) {
        unsafe { cx.raw_begin_set_parameter(self.ptr) }
    }

    /// Sets a value inside a host gesture (see [`host_begin`](Self::host_begin)).
    pub fn host_set(self, cx: &GuiContext, normalized: f32) {
        unsafe { cx.raw_set_parameter_normalized(self.ptr, normalized) }
    }

    /// Ends a host gesture (see [`host_begin`](Self::host_begin)).
    pub fn host_end(self, cx: &GuiContext) {
        unsafe { cx.raw_end_set_parameter(self.ptr) }
    }
}
