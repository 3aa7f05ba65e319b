//! EQ parameters: high-pass, low shelf, four bells, high shelf, low-pass. Each band's IDs are
//! its prefix plus `_on`, `_freq`, `_gain`, `_q`, `_mode` (and `_slope` for the pass filters).

use nice_plug::prelude::*;

use super::{db_param, freq_param};
use crate::dsp::eq::{ChannelMode, EqBandSettings, EqSettings, HighPassSlope, LowPassSlope};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeChoice {
    #[id = "stereo"]
    #[name = "Stereo"]
    Stereo,
    #[id = "mid"]
    #[name = "Mid"]
    Mid,
    #[id = "side"]
    #[name = "Side"]
    Side,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HighPassSlopeChoice {
    #[id = "12"]
    #[name = "12 dB/oct"]
    Db12,
    #[id = "24"]
    #[name = "24 dB/oct"]
    Db24,
    #[id = "48"]
    #[name = "48 dB/oct"]
    Db48,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowPassSlopeChoice {
    #[id = "12"]
    #[name = "12 dB/oct"]
    Db12,
    #[id = "24"]
    #[name = "24 dB/oct"]
    Db24,
}

/// One band. `gain` is ignored by the pass filters (kept so every band has the same shape).
#[derive(Params)]
pub struct EqBandParams {
    #[id = "on"]
    pub enabled: BoolParam,
    #[id = "freq"]
    pub freq_hz: FloatParam,
    #[id = "gain"]
    pub gain_db: FloatParam,
    #[id = "q"]
    pub q: FloatParam,
    #[id = "mode"]
    pub mode: EnumParam<ModeChoice>,
}

impl EqBandParams {
    /// `has_gain` is false for the pass filters: their gain parameter exists (same shape for
    /// every band, stable IDs) but is hidden from hosts and does nothing.
    fn new(name: &str, b: &EqBandSettings, has_gain: bool) -> Self {
        let gain_db = db_param(&format!("{name} Gain"), b.gain_db, -18.0, 18.0);
        Self {
            enabled: BoolParam::new(format!("{name} On"), b.enabled),
            freq_hz: freq_param(&format!("{name} Freq"), b.freq_hz, 20.0, 20_000.0),
            gain_db: if has_gain { gain_db } else { gain_db.hide() },
            q: FloatParam::new(
                format!("{name} Q"),
                b.q,
                FloatRange::Skewed { min: 0.1, max: 10.0, factor: FloatRange::skew_factor(-2.0) },
            )
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            mode: EnumParam::new(format!("{name} Mode"), ModeChoice::Stereo),
        }
    }

    fn settings(&self) -> EqBandSettings {
        EqBandSettings {
            enabled: self.enabled.value(),
            freq_hz: self.freq_hz.value(),
            gain_db: self.gain_db.value(),
            q: self.q.value(),
            mode: match self.mode.value() {
                ModeChoice::Stereo => ChannelMode::Stereo,
                ModeChoice::Mid => ChannelMode::Mid,
                ModeChoice::Side => ChannelMode::Side,
            },
        }
    }
}

#[derive(Params)]
pub struct EqParams {
    #[id = "eq_bypass"]
    pub bypass: BoolParam,
    #[nested(id_prefix = "eq_hp", group = "High-pass")]
    pub high_pass: EqBandParams,
    #[id = "eq_hp_slope"]
    pub high_pass_slope: EnumParam<HighPassSlopeChoice>,
    #[nested(id_prefix = "eq_ls", group = "Low shelf")]
    pub low_shelf: EqBandParams,
    #[nested(id_prefix = "eq1", group = "Bell 1")]
    pub bell1: EqBandParams,
    #[nested(id_prefix = "eq2", group = "Bell 2")]
    pub bell2: EqBandParams,
    #[nested(id_prefix = "eq3", group = "Bell 3")]
    pub bell3: EqBandParams,
    #[nested(id_prefix = "eq4", group = "Bell 4")]
    pub bell4: EqBandParams,
    #[nested(id_prefix = "eq_hs", group = "High shelf")]
    pub high_shelf: EqBandParams,
    #[nested(id_prefix = "eq_lp", group = "Low-pass")]
    pub low_pass: EqBandParams,
    #[id = "eq_lp_slope"]
    pub low_pass_slope: EnumParam<LowPassSlopeChoice>,
}

impl Default for EqParams {
    fn default() -> Self {
        let d = EqSettings::default();
        Self {
            bypass: BoolParam::new("EQ Bypass", d.bypass),
            high_pass: EqBandParams::new("HP", &d.high_pass, false),
            high_pass_slope: EnumParam::new("HP Slope", HighPassSlopeChoice::Db24),
            low_shelf: EqBandParams::new("Low Shelf", &d.low_shelf, true),
            bell1: EqBandParams::new("Bell 1", &d.bells[0], true),
            bell2: EqBandParams::new("Bell 2", &d.bells[1], true),
            bell3: EqBandParams::new("Bell 3", &d.bells[2], true),
            bell4: EqBandParams::new("Bell 4", &d.bells[3], true),
            high_shelf: EqBandParams::new("High Shelf", &d.high_shelf, true),
            low_pass: EqBandParams::new("LP", &d.low_pass, false),
            low_pass_slope: EnumParam::new("LP Slope", LowPassSlopeChoice::Db12),
        }
    }
}

impl EqParams {
    pub fn settings(&self) -> EqSettings {
        EqSettings {
            bypass: self.bypass.value(),
            high_pass: self.high_pass.settings(),
            high_pass_slope: match self.high_pass_slope.value() {
                HighPassSlopeChoice::Db12 => HighPassSlope::Db12,
                HighPassSlopeChoice::Db24 => HighPassSlope::Db24,
                HighPassSlopeChoice::Db48 => HighPassSlope::Db48,
            },
            low_shelf: self.low_shelf.settings(),
            bells: [self.bell1.settings(), self.bell2.settings(), self.bell3.settings(), self.bell4.settings()],
            high_shelf: self.high_shelf.settings(),
            low_pass: self.low_pass.settings(),
            low_pass_slope: match self.low_pass_slope.value() {
                LowPassSlopeChoice::Db12 => LowPassSlope::Db12,
                LowPassSlopeChoice::Db24 => LowPassSlope::Db24,
            },
        }
    }
}
