//! The parameter tree: one nested group per stage, with stable IDs (never renamed once
//! released; the README lists them and `tests/param_ids.rs` pins them). The plugin maps these to a
//! plain [`Settings`] snapshot each block; all smoothing happens inside the chain, so the host's
//! values are read unsmoothed here.

use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex};

use nice_plug::prelude::*;

use crate::chain::{self, Settings};
use crate::dsp::dither::{DitherSettings, WordLength};
use crate::dsp::limiter::{self, LimiterSettings, LimiterStyle, Oversampling};
pub use crate::persist::EditorSize;
use crate::persist::PresetSession;

mod color;
mod dynamics;
mod eq;
pub mod ptr;
pub mod state;
pub mod value;
mod writer;

pub use color::{SaturationParams, StereoParams};
pub use dynamics::CompressorParams;
pub use eq::EqParams;
pub use writer::ParamWriter;

#[derive(Params)]
pub struct LacquerParams {
    #[id = "bypass"]
    pub bypass: BoolParam,
    #[nested(group = "Input")]
    pub input: InputParams,
    #[nested(group = "EQ")]
    pub eq: EqParams,
    #[nested(group = "Compressor")]
    pub compressor: CompressorParams,
    #[nested(group = "Stereo")]
    pub stereo: StereoParams,
    #[nested(group = "Saturation")]
    pub saturation: SaturationParams,
    #[nested(group = "Limiter")]
    pub limiter: LimiterParams,
    #[nested(group = "Output")]
    pub output: OutputParams,

    /// Preset bar bookkeeping (loaded preset, A/B slots), restored with the host session.
    #[persist = "presets"]
    pub session: Arc<Mutex<PresetSession>>,
    /// Monitoring-only loudness match (see `Chain::set_level_match`). Not a parameter, so it can
    /// never be automated, rendered by the CLI or stored in a preset.
    #[persist = "level-match"]
    pub level_match: Arc<AtomicBool>,
    /// Editor window size and zoom, restored when the editor opens.
    #[persist = "editor-size"]
    pub editor_size: Arc<Mutex<EditorSize>>,
    /// Version of this state's layout, for `state::filter_state` migrations.
    #[persist = "state-format"]
    pub state_format: Arc<AtomicU32>,
}

#[derive(Params)]
pub struct InputParams {
    #[id = "in_gain"]
    pub gain_db: FloatParam,
}

#[derive(Params)]
pub struct LimiterParams {
    #[id = "lim_bypass"]
    pub bypass: BoolParam,
    #[id = "lim_ceiling"]
    pub ceiling_db: FloatParam,
    #[id = "lim_drive"]
    pub drive_db: FloatParam,
    #[id = "lim_lookahead"]
    pub lookahead_ms: FloatParam,
    #[id = "lim_release"]
    pub release_ms: FloatParam,
    #[id = "lim_auto_rel"]
    pub auto_release: BoolParam,
    #[id = "lim_link"]
    pub link_pct: FloatParam,
    #[id = "lim_tp"]
    pub true_peak: BoolParam,
    #[id = "lim_os"]
    pub oversampling: EnumParam<OversamplingChoice>,
    /// The automatic release's character (see `dsp/limiter/style.rs`).
    #[id = "lim_style"]
    pub style: EnumParam<LimiterStyleChoice>,
}

#[derive(Params)]
pub struct OutputParams {
    #[id = "out_gain"]
    pub gain_db: FloatParam,
    #[id = "out_bits"]
    pub word_length: EnumParam<WordLengthChoice>,
    #[id = "out_shape"]
    pub noise_shaping: BoolParam,
    #[id = "delta"]
    pub delta: BoolParam,
    /// Restart integrated loudness and LRA whenever the host transport starts.
    #[id = "meter_auto_reset"]
    pub meter_auto_reset: BoolParam,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OversamplingChoice {
    #[id = "1x"]
    #[name = "1x"]
    X1,
    #[id = "2x"]
    #[name = "2x"]
    X2,
    #[id = "4x"]
    #[name = "4x"]
    X4,
    #[id = "8x"]
    #[name = "8x"]
    X8,
}

/// `lim_style`'s choices; their stable IDs are what presets, sessions and `--set` use.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimiterStyleChoice {
    #[id = "transparent"]
    #[name = "Transparent"]
    Transparent,
    #[id = "punchy"]
    #[name = "Punchy"]
    Punchy,
    #[id = "aggressive"]
    #[name = "Aggressive"]
    Aggressive,
    #[id = "safe"]
    #[name = "Safe"]
    Safe,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordLengthChoice {
    #[id = "float"]
    #[name = "32-bit float"]
    Float,
    #[id = "24"]
    #[name = "24-bit"]
    Bits24,
    #[id = "16"]
    #[name = "16-bit"]
    Bits16,
}

pub(crate) fn db_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(" dB")
        .with_step_size(0.1)
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

pub(crate) fn freq_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Skewed { min, max, factor: FloatRange::skew_factor(-2.0) })
        .with_value_to_string(formatters::v2s_f32_hz_then_khz(1))
        .with_string_to_value(formatters::s2v_f32_hz_then_khz())
}

pub(crate) fn ms_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Skewed { min, max, factor: FloatRange::skew_factor(-1.5) })
        .with_unit(" ms")
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

pub(crate) fn pct_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(" %")
        .with_step_size(1.0)
        .with_value_to_string(formatters::v2s_f32_rounded(0))
}

impl Default for LacquerParams {
    fn default() -> Self {
        let lim = LimiterSettings::default();
        Self {
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            input: InputParams {
                gain_db: db_param("Input Gain", 0.0, chain::MIN_INPUT_GAIN_DB, chain::MAX_INPUT_GAIN_DB),
            },
            eq: EqParams::default(),
            compressor: CompressorParams::default(),
            stereo: StereoParams::default(),
            saturation: SaturationParams::default(),
            limiter: LimiterParams {
                bypass: BoolParam::new("Limiter Bypass", false),
                ceiling_db: db_param("Ceiling", lim.ceiling_db, limiter::MIN_CEILING_DB, limiter::MAX_CEILING_DB)
                    .with_unit(" dBTP"),
                drive_db: db_param("Drive", lim.drive_db, 0.0, 24.0),
                lookahead_ms: FloatParam::new(
                    "Lookahead",
                    lim.lookahead_ms,
                    FloatRange::Linear { min: limiter::MIN_LOOKAHEAD_MS, max: limiter::MAX_LOOKAHEAD_MS },
                )
                .with_unit(" ms")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
                release_ms: ms_param("Release", lim.release_ms, 1.0, 1000.0),
                auto_release: BoolParam::new("Auto Release", lim.auto_release),
                link_pct: pct_param("Stereo Link", lim.link_pct, 0.0, 100.0),
                true_peak: BoolParam::new("True Peak", lim.true_peak),
                oversampling: EnumParam::new("Oversampling", OversamplingChoice::X4),
                style: EnumParam::new("Limiter Style", LimiterStyleChoice::Transparent),
            },
            output: OutputParams {
                gain_db: db_param("Output Gain", 0.0, chain::MIN_OUTPUT_GAIN_DB, chain::MAX_OUTPUT_GAIN_DB),
                word_length: EnumParam::new("Word Length", WordLengthChoice::Float),
                noise_shaping: BoolParam::new("Noise Shaping", false),
                delta: BoolParam::new("Delta Listen", false),
                meter_auto_reset: BoolParam::new("Reset Loudness On Play", false).non_automatable(),
            },
            session: Arc::default(),
            level_match: Arc::new(AtomicBool::new(false)),
            editor_size: Arc::default(),
            state_format: Arc::new(AtomicU32::new(state::STATE_FORMAT)),
        }
    }
}

impl LacquerParams {
    /// The plain-data snapshot the chain consumes. Cheap, allocation-free: called every block.
    pub fn settings(&self) -> Settings {
        let l = &self.limiter;
        Settings {
            bypass: self.bypass.value(),
            delta: self.output.delta.value(),
            input_gain_db: self.input.gain_db.value(),
            output_gain_db: self.output.gain_db.value(),
            eq: self.eq.settings(),
            compressor: self.compressor.settings(),
            stereo: self.stereo.settings(),
            saturation: self.saturation.settings(),
            limiter: LimiterSettings {
                bypass: l.bypass.value(),
                ceiling_db: l.ceiling_db.value(),
                drive_db: l.drive_db.value(),
                lookahead_ms: l.lookahead_ms.value(),
                release_ms: l.release_ms.value(),
                auto_release: l.auto_release.value(),
                link_pct: l.link_pct.value(),
                true_peak: l.true_peak.value(),
                oversampling: match l.oversampling.value() {
                    OversamplingChoice::X1 => Oversampling::X1,
                    OversamplingChoice::X2 => Oversampling::X2,
                    OversamplingChoice::X4 => Oversampling::X4,
                    OversamplingChoice::X8 => Oversampling::X8,
                },
                style: match l.style.value() {
                    LimiterStyleChoice::Transparent => LimiterStyle::Transparent,
                    LimiterStyleChoice::Punchy => LimiterStyle::Punchy,
                    LimiterStyleChoice::Aggressive => LimiterStyle::Aggressive,
                    LimiterStyleChoice::Safe => LimiterStyle::Safe,
                },
            },
            dither: DitherSettings {
                word_length: match self.output.word_length.value() {
                    WordLengthChoice::Float => WordLength::Float,
                    WordLengthChoice::Bits24 => WordLength::Bits24,
                    WordLengthChoice::Bits16 => WordLength::Bits16,
                },
                noise_shaping: self.output.noise_shaping.value(),
            },
        }
    }
}
