//! Stereo width (`st_*`) and harmonic saturation (`sat_*`) parameters.

use nice_plug::prelude::*;

use super::{db_param, freq_param, pct_param};
use crate::dsp::resample::oversampler::OversamplingFactor;
use crate::dsp::saturation::SaturationSettings;
use crate::dsp::stereo::StereoSettings;

#[derive(Params)]
pub struct StereoParams {
    #[id = "st_bypass"]
    pub bypass: BoolParam,
    #[id = "st_width"]
    pub width_pct: FloatParam,
    #[id = "st_mono_bass"]
    pub mono_bass: BoolParam,
    #[id = "st_mono_freq"]
    pub mono_bass_hz: FloatParam,
    #[id = "st_balance"]
    pub balance_pct: FloatParam,
}

impl Default for StereoParams {
    fn default() -> Self {
        let d = StereoSettings::default();
        Self {
            bypass: BoolParam::new("Stereo Bypass", d.bypass),
            width_pct: pct_param("Width", d.width_pct, 0.0, 200.0),
            mono_bass: BoolParam::new("Mono Bass", d.mono_bass),
            mono_bass_hz: freq_param("Mono Bass Freq", d.mono_bass_hz, 20.0, 300.0),
            balance_pct: pct_param("Balance", d.balance_pct, -100.0, 100.0),
        }
    }
}

impl StereoParams {
    pub fn settings(&self) -> StereoSettings {
        StereoSettings {
            bypass: self.bypass.value(),
            width_pct: self.width_pct.value(),
            mono_bass: self.mono_bass.value(),
            mono_bass_hz: self.mono_bass_hz.value(),
            balance_pct: self.balance_pct.value(),
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaturationOversampling {
    #[id = "2x"]
    #[name = "2x"]
    X2,
    #[id = "4x"]
    #[name = "4x"]
    X4,
}

#[derive(Params)]
pub struct SaturationParams {
    #[id = "sat_bypass"]
    pub bypass: BoolParam,
    #[id = "sat_drive"]
    pub drive_db: FloatParam,
    #[id = "sat_character"]
    pub character: FloatParam,
    #[id = "sat_tone"]
    pub tone_tilt_db: FloatParam,
    #[id = "sat_mix"]
    pub mix_pct: FloatParam,
    #[id = "sat_auto_gain"]
    pub auto_gain: BoolParam,
    #[id = "sat_trim"]
    pub output_trim_db: FloatParam,
    #[id = "sat_os"]
    pub oversampling: EnumParam<SaturationOversampling>,
}

impl Default for SaturationParams {
    fn default() -> Self {
        let d = SaturationSettings::default();
        Self {
            // Saturation colours the sound: off until the user asks for it.
            bypass: BoolParam::new("Saturation Bypass", true),
            drive_db: db_param("Sat Drive", d.drive_db, 0.0, 24.0),
            character: FloatParam::new("Character", d.character, FloatRange::Linear { min: -1.0, max: 1.0 })
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
            tone_tilt_db: db_param("Tone", d.tone_tilt_db, -6.0, 6.0),
            mix_pct: pct_param("Sat Mix", d.mix_percent, 0.0, 100.0),
            auto_gain: BoolParam::new("Sat Auto Gain", d.auto_gain),
            output_trim_db: db_param("Sat Trim", d.output_trim_db, -12.0, 12.0),
            oversampling: EnumParam::new("Sat Oversampling", SaturationOversampling::X2),
        }
    }
}

impl SaturationParams {
    pub fn settings(&self) -> SaturationSettings {
        SaturationSettings {
            bypass: self.bypass.value(),
            drive_db: self.drive_db.value(),
            character: self.character.value(),
            tone_tilt_db: self.tone_tilt_db.value(),
            mix_percent: self.mix_pct.value(),
            auto_gain: self.auto_gain.value(),
            output_trim_db: self.output_trim_db.value(),
            oversampling: match self.oversampling.value() {
                SaturationOversampling::X2 => OversamplingFactor::X2,
                SaturationOversampling::X4 => OversamplingFactor::X4,
            },
        }
    }
}
