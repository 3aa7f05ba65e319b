//! What an EQ band is made of: its shape, its clamped parameters, and the digital sections that
//! realise it (one matched section for shelves and bells, a cascade for the pass filters).

use crate::dsp::eq::analog::{butterworth_q, AnalogSection};
use crate::dsp::eq::matched::{design_section, FitGrid};
use crate::dsp::filter::svf::SvfCoefs;

/// Analog sections of the steepest band (48 dB/oct high-pass), each realised as two SVFs.
pub const MAX_SECTIONS: usize = 4;
pub const MAX_SVFS: usize = 2 * MAX_SECTIONS;
/// Frequencies are kept at or below this fraction of the sample rate (the design needs the band
/// frequency below Nyquist; 0.48 keeps 20 kHz untouched from 44.1 kHz up).
pub const MAX_FREQ_RATIO: f32 = 0.48;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    HighPass,
    LowShelf,
    Bell,
    HighShelf,
    LowPass,
}

/// Clamped design inputs of a band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EqDesignInputs {
    pub freq_hz: f32,
    pub gain_db: f32,
    pub q: f32,
}

impl EqDesignInputs {
    /// Ranges from the brief: 20 Hz..20 kHz (and ≤ 0.48·fs), ±18 dB, Q 0.1..10. Non-finite
    /// values fall back to a neutral setting rather than poisoning the smoothers.
    pub fn clamped(freq_hz: f32, gain_db: f32, q: f32, sample_rate: f32) -> Self {
        let finite_or = |v: f32, d: f32| if v.is_finite() { v } else { d };
        Self {
            freq_hz: finite_or(freq_hz, 1000.0).clamp(20.0, 20_000.0).min(MAX_FREQ_RATIO * sample_rate),
            gain_db: finite_or(gain_db, 0.0).clamp(-18.0, 18.0),
            q: finite_or(q, std::f32::consts::FRAC_1_SQRT_2).clamp(0.1, 10.0),
        }
    }
}

/// The analog sections of a band: one for shelves and bells; for the pass filters one with the
/// user's Q (12 dB/oct) or a Butterworth cascade (24/48 dB/oct).
fn prototypes(shape: Shape, sections: usize, p: &EqDesignInputs) -> [Option<AnalogSection>; MAX_SECTIONS] {
    let (g, q) = (p.gain_db as f64, p.q as f64);
    let pass_q = |i: usize| {
        if sections == 1 {
            q
        } else {
            butterworth_q(2 * sections, i)
        }
    };
    std::array::from_fn(|i| {
        (i < sections).then(|| match shape {
            Shape::HighPass => AnalogSection::high_pass(pass_q(i)),
            Shape::LowPass => AnalogSection::low_pass(pass_q(i)),
            Shape::LowShelf => AnalogSection::low_shelf(g, q),
            Shape::Bell => AnalogSection::bell(g, q),
            Shape::HighShelf => AnalogSection::high_shelf(g, q),
        })
    })
}

/// Digital coefficients of a band (unused SVFs are identities).
pub fn design_band(
    shape: Shape,
    sections: usize,
    p: &EqDesignInputs,
    sample_rate: f32,
    grid: &FitGrid,
) -> [SvfCoefs; MAX_SVFS] {
    let mut out = [SvfCoefs::IDENTITY; MAX_SVFS];
    for (i, proto) in prototypes(shape, sections, p).iter().enumerate() {
        if let Some(proto) = proto {
            let pair = design_section(proto, p.freq_hz as f64, sample_rate as f64, grid);
            out[2 * i] = pair[0];
            out[2 * i + 1] = pair[1];
        }
    }
    out
}
