//! The EQ's response curve for the editor: the digital filters exactly as the EQ runs them.

use crate::dsp::eq::design::{design_band, EqDesignInputs, Shape, MAX_SVFS};
use crate::dsp::eq::matched::FitGrid;
use crate::dsp::eq::settings::{ChannelMode, EqBandSettings, EqSettings, BAND_COUNT};
use crate::dsp::filter::svf::SvfCoefs;

/// The EQ's digital magnitude response, designed once per settings snapshot so the editor can
/// draw hundreds of points cheaply (no allocation; ~40 µs to build).
pub struct EqCurve {
    coefs: [[SvfCoefs; MAX_SVFS]; BAND_COUNT],
    svfs: [usize; BAND_COUNT],
    modes: [Option<ChannelMode>; BAND_COUNT],
    sample_rate: f32,
}

impl EqCurve {
    pub fn new(settings: &EqSettings, sample_rate: f32) -> Self {
        let grid = FitGrid::new();
        let bands = settings.bands();
        let on = |b: &EqBandSettings| (b.enabled && !settings.bypass).then_some(b.mode);
        Self {
            coefs: bands.map(|(shape, b, sections)| {
                let params = EqDesignInputs::clamped(b.freq_hz, b.gain_db, b.q, sample_rate);
                let params = if matches!(shape, Shape::HighPass | Shape::LowPass) {
                    EqDesignInputs { gain_db: 0.0, ..params }
                } else {
                    params
                };
                design_band(shape, sections, &params, sample_rate, &grid)
            }),
            svfs: bands.map(|(_, _, sections)| 2 * sections),
            modes: bands.map(|(_, b, _)| on(&b)),
            sample_rate,
        }
    }

    /// Summed response in dB at `freq_hz` of the bands that act on `channel`: `Stereo` = the
    /// stereo-mode bands only (the curve L and R share); `Mid` = stereo + mid-mode bands (what a
    /// centred source hears); `Side` = stereo + side-mode bands.
    pub fn db_at(&self, freq_hz: f32, channel: ChannelMode) -> f32 {
        let w =
            (std::f64::consts::TAU * freq_hz as f64 / self.sample_rate as f64).clamp(1e-9, std::f64::consts::PI - 1e-9);
        let mut db = 0.0;
        for b in 0..BAND_COUNT {
            let applies = matches!((self.modes[b], channel), (Some(ChannelMode::Stereo), _))
                || self.modes[b] == Some(channel) && channel != ChannelMode::Stereo;
            if applies {
                db += self.coefs[b][..self.svfs[b]].iter().map(|c| 20.0 * c.magnitude(w).log10()).sum::<f64>();
            }
        }
        db as f32
    }
}

/// Summed digital magnitude (dB) of the enabled stereo-mode bands at `freq_hz`, as designed for
/// `sample_rate` (0 dB when bypassed). Mid- and side-mode bands are not included: they act on one
/// component only; [`EqCurve::db_at`] draws those channels. Designs all bands on each call, so
/// an editor drawing a curve should build one [`EqCurve`] instead.
pub fn response_db(settings: &EqSettings, sample_rate: f32, freq_hz: f32) -> f32 {
    EqCurve::new(settings, sample_rate).db_at(freq_hz, ChannelMode::Stereo)
}

#[cfg(test)]
mod tests {
    use crate::dsp::eq::tests::band;
    use crate::dsp::eq::*;

    #[test]
    fn pass_filter_slopes_follow_butterworth() {
        for fs in [44_100.0f32, 96_000.0] {
            for fc in [30.0, 1000.0, 15_000.0] {
                for (hp, lp, order) in [
                    (None, Some(LowPassSlope::Db12), 2),
                    (None, Some(LowPassSlope::Db24), 4),
                    (Some(HighPassSlope::Db12), None, 2),
                    (Some(HighPassSlope::Db24), None, 4),
                    (Some(HighPassSlope::Db48), None, 8),
                ] {
                    let mut s = EqSettings::default();
                    if let Some(slope) = hp {
                        (s.high_pass, s.high_pass_slope) = (band(fc, 0.0, std::f32::consts::FRAC_1_SQRT_2), slope);
                    }
                    if let Some(slope) = lp {
                        (s.low_pass, s.low_pass_slope) = (band(fc, 0.0, std::f32::consts::FRAC_1_SQRT_2), slope);
                    }
                    let curve = EqCurve::new(&s, fs);
                    for i in 0..200 {
                        let f = 20.0 * (0.45 * fs as f64 / 20.0).powf(i as f64 / 199.0);
                        let ratio = if hp.is_some() { fc as f64 / f } else { f / fc as f64 };
                        let analog = -10.0 * (1.0 + ratio.powi(2 * order)).log10();
                        if analog > -90.0 {
                            let err = curve.db_at(f as f32, ChannelMode::Stereo) as f64 - analog;
                            assert!(err.abs() < 0.1, "fs {fs} fc {fc} order {order} hp {} at {f}: {err}", hp.is_some());
                        }
                    }
                }
            }
        }
    }
}
