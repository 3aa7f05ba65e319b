//! Compressor parameters (`cmp_*`): global detector/mode settings and three bands
//! (`cmp1_*` is the whole signal in single-band mode, or the low band in 3-band mode).

use nice_plug::prelude::*;

use super::{db_param, freq_param, ms_param, pct_param};
use crate::dsp::compressor::band::CompressorBandSettings;
use crate::dsp::compressor::envelope::Detector;
use crate::dsp::compressor::CompressorSettings;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectorChoice {
    #[id = "peak"]
    #[name = "Peak"]
    Peak,
    #[id = "rms"]
    #[name = "RMS"]
    Rms,
}

#[derive(Params)]
pub struct CompressorBandParams {
    #[id = "thresh"]
    pub threshold_db: FloatParam,
    #[id = "ratio"]
    pub ratio: FloatParam,
    #[id = "knee"]
    pub knee_db: FloatParam,
    #[id = "attack"]
    pub attack_ms: FloatParam,
    #[id = "release"]
    pub release_ms: FloatParam,
    #[id = "makeup"]
    pub makeup_db: FloatParam,
    #[id = "bypass"]
    pub bypass: BoolParam,
    #[id = "solo"]
    pub solo: BoolParam,
}

impl CompressorBandParams {
    fn new(name: &str, b: &CompressorBandSettings) -> Self {
        Self {
            threshold_db: db_param(&format!("{name} Threshold"), b.threshold_db, -60.0, 0.0),
            ratio: FloatParam::new(
                format!("{name} Ratio"),
                b.ratio,
                FloatRange::Skewed { min: 1.0, max: 20.0, factor: FloatRange::skew_factor(-1.5) },
            )
            .with_value_to_string(formatters::v2s_compression_ratio(1))
            .with_string_to_value(formatters::s2v_compression_ratio()),
            knee_db: db_param(&format!("{name} Knee"), b.knee_db, 0.0, 24.0),
            attack_ms: ms_param(&format!("{name} Attack"), b.attack_ms, 0.1, 300.0),
            release_ms: ms_param(&format!("{name} Release"), b.release_ms, 5.0, 3000.0),
            makeup_db: db_param(&format!("{name} Makeup"), b.makeup_db, -12.0, 24.0),
            bypass: BoolParam::new(format!("{name} Bypass"), b.bypass),
            solo: BoolParam::new(format!("{name} Solo"), b.solo),
        }
    }

    fn settings(&self) -> CompressorBandSettings {
        CompressorBandSettings {
            threshold_db: self.threshold_db.value(),
            ratio: self.ratio.value(),
            knee_db: self.knee_db.value(),
            attack_ms: self.attack_ms.value(),
            release_ms: self.release_ms.value(),
            makeup_db: self.makeup_db.value(),
            bypass: self.bypass.value(),
            solo: self.solo.value(),
        }
    }
}

#[derive(Params)]
pub struct CompressorParams {
    #[id = "cmp_bypass"]
    pub bypass: BoolParam,
    #[id = "cmp_multiband"]
    pub multiband: BoolParam,
    #[id = "cmp_xover_lo"]
    pub crossover_low_hz: FloatParam,
    #[id = "cmp_xover_hi"]
    pub crossover_high_hz: FloatParam,
    #[id = "cmp_detector"]
    pub detector: EnumParam<DetectorChoice>,
    #[id = "cmp_link"]
    pub link_pct: FloatParam,
    #[id = "cmp_sc_hp"]
    pub sidechain_hp: BoolParam,
    #[id = "cmp_sc_hp_freq"]
    pub sidechain_hp_hz: FloatParam,
    #[id = "cmp_ms"]
    pub mid_side: BoolParam,
    #[nested(id_prefix = "cmp1", group = "Band 1")]
    pub band1: CompressorBandParams,
    #[nested(id_prefix = "cmp2", group = "Band 2")]
    pub band2: CompressorBandParams,
    #[nested(id_prefix = "cmp3", group = "Band 3")]
    pub band3: CompressorBandParams,
}

impl Default for CompressorParams {
    fn default() -> Self {
        let d = CompressorSettings::default();
        Self {
            bypass: BoolParam::new("Comp Bypass", d.bypass),
            multiband: BoolParam::new("Multiband", d.multiband),
            crossover_low_hz: freq_param("Crossover Low", d.crossover_low_hz, 40.0, 1000.0),
            crossover_high_hz: freq_param("Crossover High", d.crossover_high_hz, 1000.0, 10_000.0),
            detector: EnumParam::new(
                "Detector",
                if d.detector == Detector::Peak { DetectorChoice::Peak } else { DetectorChoice::Rms },
            ),
            link_pct: pct_param("Comp Link", d.link_pct, 0.0, 100.0),
            sidechain_hp: BoolParam::new("Sidechain HP", d.sidechain_hp),
            sidechain_hp_hz: freq_param("Sidechain HP Freq", d.sidechain_hp_hz, 20.0, 300.0),
            mid_side: BoolParam::new("Mid/Side", d.mid_side),
            band1: CompressorBandParams::new("Band 1", &d.bands[0]),
            band2: CompressorBandParams::new("Band 2", &d.bands[1]),
            band3: CompressorBandParams::new("Band 3", &d.bands[2]),
        }
    }
}

impl CompressorParams {
    pub fn settings(&self) -> CompressorSettings {
        CompressorSettings {
            bypass: self.bypass.value(),
            multiband: self.multiband.value(),
            crossover_low_hz: self.crossover_low_hz.value(),
            crossover_high_hz: self.crossover_high_hz.value(),
            detector: match self.detector.value() {
                DetectorChoice::Peak => Detector::Peak,
                DetectorChoice::Rms => Detector::Rms,
            },
            link_pct: self.link_pct.value(),
            sidechain_hp: self.sidechain_hp.value(),
            sidechain_hp_hz: self.sidechain_hp_hz.value(),
            mid_side: self.mid_side.value(),
            bands: [self.band1.settings(), self.band2.settings(), self.band3.settings()],
        }
    }
}
