//! Plain-data settings of the corrective EQ (see `eq.rs`).

use crate::dsp::eq::design::Shape;

/// Which part of the stereo signal a band filters. Mid filters (L+R)/2 and keeps the side,
/// Side filters (L-R)/2 and keeps the mid; Stereo filters L and R alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelMode {
    #[default]
    Stereo,
    Mid,
    Side,
}

/// High-pass steepness; 24 and 48 dB/oct are Butterworth cascades (maximally flat pass band),
/// 12 dB/oct uses the band's Q.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HighPassSlope {
    Db12,
    #[default]
    Db24,
    Db48,
}

/// Low-pass steepness, as [`HighPassSlope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LowPassSlope {
    #[default]
    Db12,
    Db24,
}

/// One band. Ranges (clamped by the EQ): `freq_hz` 20..20 000 (and at most 0.48·fs),
/// `gain_db` ±18 (shelves and bells; ignored by the pass filters), `q` 0.1..10.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EqBandSettings {
    pub enabled: bool,
    pub freq_hz: f32,
    pub gain_db: f32,
    pub q: f32,
    pub mode: ChannelMode,
}

impl EqBandSettings {
    /// A disabled, flat band at `freq_hz`.
    pub const fn off(freq_hz: f32, q: f32) -> Self {
        Self { enabled: false, freq_hz, gain_db: 0.0, q, mode: ChannelMode::Stereo }
    }
}

/// Q of a Butterworth second-order section: the neutral shelf/pass shape.
const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EqSettings {
    pub bypass: bool,
    pub high_pass: EqBandSettings,
    pub high_pass_slope: HighPassSlope,
    pub low_shelf: EqBandSettings,
    pub bells: [EqBandSettings; 4],
    pub high_shelf: EqBandSettings,
    pub low_pass: EqBandSettings,
    pub low_pass_slope: LowPassSlope,
}

impl Default for EqSettings {
    /// All bands off (flat) at the usual starting points of a mastering EQ.
    fn default() -> Self {
        Self {
            bypass: false,
            high_pass: EqBandSettings::off(30.0, BUTTERWORTH_Q),
            high_pass_slope: HighPassSlope::default(),
            low_shelf: EqBandSettings::off(100.0, BUTTERWORTH_Q),
            bells: [250.0, 1000.0, 3000.0, 8000.0].map(|f| EqBandSettings::off(f, 1.0)),
            high_shelf: EqBandSettings::off(10_000.0, BUTTERWORTH_Q),
            low_pass: EqBandSettings::off(20_000.0, BUTTERWORTH_Q),
            low_pass_slope: LowPassSlope::default(),
        }
    }
}

pub const BAND_COUNT: usize = 8;

impl EqSettings {
    /// The bands in processing order, with their shape and number of analog sections.
    pub(crate) fn bands(&self) -> [(Shape, EqBandSettings, usize); BAND_COUNT] {
        let hp = match self.high_pass_slope {
            HighPassSlope::Db12 => 1,
            HighPassSlope::Db24 => 2,
            HighPassSlope::Db48 => 4,
        };
        let lp = match self.low_pass_slope {
            LowPassSlope::Db12 => 1,
            LowPassSlope::Db24 => 2,
        };
        [
            (Shape::HighPass, self.high_pass, hp),
            (Shape::LowShelf, self.low_shelf, 1),
            (Shape::Bell, self.bells[0], 1),
            (Shape::Bell, self.bells[1], 1),
            (Shape::Bell, self.bells[2], 1),
            (Shape::Bell, self.bells[3], 1),
            (Shape::HighShelf, self.high_shelf, 1),
            (Shape::LowPass, self.low_pass, lp),
        ]
    }
}
