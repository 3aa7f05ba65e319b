//! Matching a reference: choose settings of Lacquer's own EQ and stereo stages that move the
//! programme's long-term balance toward the reference's. The EQ is fitted against its real
//! digital response ([`EqCurve`], the coefficient code the EQ runs), averaged over each
//! 1/3-octave band the way the analysis measures it, by coordinate descent with shrinking steps.
//! The level is left to the loudness search (the limiter drive), so the fit ignores a constant.

use crate::assist::analysis::{band_edges, Analysis};
use crate::dsp::eq::{ChannelMode, EqBandSettings, EqCurve, EqSettings};
use crate::dsp::stereo::StereoSettings;

/// The range the balance is matched over (the goal: 50 Hz to 14 kHz), with one band of
/// margin so the shelves' corners outside it are fitted too.
pub const FIT_LO_HZ: f64 = 40.0;
pub const FIT_HI_HZ: f64 = 16_000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchOptions {
    /// 0..=1: how far to move toward the reference (the difference curve is scaled by it).
    pub amount: f64,
    /// Largest gain of any band, in dB.
    pub max_gain_db: f64,
    pub match_width: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        Self { amount: 1.0, max_gain_db: 6.0, match_width: true }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatchResult {
    pub eq: EqSettings,
    pub stereo: StereoSettings,
    /// The (amount-scaled) difference curve the EQ was fitted to, per band of the analysis.
    pub target_db: Vec<f64>,
    /// What the fitted EQ does to each band (band-averaged, constant removed).
    pub fitted_db: Vec<f64>,
    /// Largest |target − fitted| over the fitted range.
    pub residual_max_db: f64,
}

/// Points per band over which the EQ's power response is averaged.
const POINTS_PER_BAND: usize = 7;

struct Fitter {
    centres: Vec<f64>,
    target: Vec<f64>,
    sample_rate: f32,
}

impl Fitter {
    /// The EQ's band-averaged power response (dB) at each fitted band.
    fn response(&self, eq: &EqSettings) -> Vec<f64> {
        let curve = EqCurve::new(eq, self.sample_rate);
        self.centres
            .iter()
            .map(|&c| {
                let (lo, hi) = band_edges(c);
                let mean: f64 = (0..POINTS_PER_BAND)
                    .map(|i| {
                        let f = lo * (hi / lo).powf((i as f64 + 0.5) / POINTS_PER_BAND as f64);
                        10f64.powf(curve.db_at(f as f32, ChannelMode::Stereo) as f64 / 10.0)
                    })
                    .sum::<f64>()
                    / POINTS_PER_BAND as f64;
                10.0 * mean.log10()
            })
            .collect()
    }

    /// Squared error with the best constant removed, plus the worst band (so one band far off
    /// costs more than many slightly off: the goal has a max as well as a mean).
    fn cost(&self, eq: &EqSettings) -> f64 {
        let r = self.response(eq);
        let diff: Vec<f64> = r.iter().zip(&self.target).map(|(a, b)| a - b).collect();
        let offset = diff.iter().sum::<f64>() / diff.len() as f64;
        let sq = diff.iter().map(|d| (d - offset).powi(2)).sum::<f64>() / diff.len() as f64;
        let worst = diff.iter().map(|d| (d - offset).abs()).fold(0.0, f64::max);
        sq + 0.1 * worst * worst
    }
}

/// One adjustable parameter: which band (0 = low shelf, 1..=4 bells, 5 = high shelf) and which
/// field, with its limits.
#[derive(Clone, Copy)]
enum Field {
    Freq,
    Gain,
    Q,
}

fn band_mut(eq: &mut EqSettings, band: usize) -> &mut EqBandSettings {
    match band {
        0 => &mut eq.low_shelf,
        5 => &mut eq.high_shelf,
        b => &mut eq.bells[b - 1],
    }
}

fn limits(band: usize, field: Field, max_gain: f64) -> (f64, f64) {
    match (band, field) {
        (_, Field::Gain) => (-max_gain, max_gain),
        (0, Field::Freq) => (30.0, 1000.0),
        (5, Field::Freq) => (1500.0, 18_000.0),
        (_, Field::Freq) => (40.0, 16_000.0),
        (0 | 5, Field::Q) => (0.5, 1.0),
        (_, Field::Q) => (0.3, 4.0),
    }
}

/// Moves one field by `step` (log-scaled for frequency and Q), clamped to its limits.
fn nudge(eq: &EqSettings, band: usize, field: Field, step: f64, max_gain: f64) -> EqSettings {
    let mut out = *eq;
    let b = band_mut(&mut out, band);
    let (lo, hi) = limits(band, field, max_gain);
    match field {
        Field::Freq => b.freq_hz = (b.freq_hz as f64 * 2f64.powf(step)).clamp(lo, hi) as f32,
        Field::Q => b.q = (b.q as f64 * 2f64.powf(step)).clamp(lo, hi) as f32,
        Field::Gain => b.gain_db = (b.gain_db as f64 + step).clamp(lo, hi) as f32,
    }
    out
}

/// Coordinate descent over the given bands until no step of the current size helps, then
/// halves the steps.
fn descend(fitter: &Fitter, mut eq: EqSettings, bands: &[usize], max_gain: f64, rounds: usize) -> EqSettings {
    let mut cost = fitter.cost(&eq);
    // Steps: frequency in octaves, gain in dB, Q in octaves of Q.
    let mut steps = [0.5, 1.0, 0.5];
    for _ in 0..rounds {
        let mut improved = false;
        for &band in bands {
            for (field, step) in [Field::Freq, Field::Gain, Field::Q].into_iter().zip(steps) {
                for dir in [1.0, -1.0] {
                    let trial = nudge(&eq, band, field, dir * step, max_gain);
                    let c = fitter.cost(&trial);
                    if c < cost - 1e-9 {
                        (eq, cost, improved) = (trial, c, true);
                        break;
                    }
                }
            }
        }
        if !improved {
            steps = steps.map(|s| s * 0.5);
            if steps[1] < 0.01 {
                break;
            }
        }
    }
    eq
}

fn enable_all(eq: &mut EqSettings) {
    for band in 0..6 {
        let b = band_mut(eq, band);
        b.enabled = true;
        b.mode = ChannelMode::Stereo;
    }
}

/// The EQ and stereo settings that move `programme` toward `reference`, starting from `base`
/// (its high-pass, low-pass and bypass are kept; shelves and bells are replaced).
pub fn match_reference(
    programme: &Analysis,
    reference: &Analysis,
    base: &EqSettings,
    base_stereo: &StereoSettings,
    options: &MatchOptions,
) -> MatchResult {
    let amount = options.amount.clamp(0.0, 1.0);
    let chosen: Vec<usize> = (0..programme.centres_hz.len())
        .filter(|&i| (FIT_LO_HZ..=FIT_HI_HZ).contains(&programme.centres_hz[i]))
        .collect();
    let centres: Vec<f64> = chosen.iter().map(|&i| programme.centres_hz[i]).collect();
    // A band empty in either file says nothing about balance: it is left out of the fit's
    // curve by giving it the neighbours' mean (here simply zero difference).
    let target: Vec<f64> = chosen
        .iter()
        .map(|&i| {
            let (p, r) = (programme.band_db[i], reference.band_db[i]);
            if p < -110.0 || r < -110.0 {
                0.0
            } else {
                amount * (r - p)
            }
        })
        .collect();
    let mean = target.iter().sum::<f64>() / target.len().max(1) as f64;
    let target: Vec<f64> = target.iter().map(|t| t - mean).collect();
    let fitter = Fitter { centres, target, sample_rate: programme.sample_rate };
    let max_gain = options.max_gain_db.abs();

    let mut eq = *base;
    eq.low_shelf = EqBandSettings { freq_hz: 120.0, gain_db: 0.0, q: std::f32::consts::FRAC_1_SQRT_2, ..eq.low_shelf };
    eq.high_shelf =
        EqBandSettings { freq_hz: 8000.0, gain_db: 0.0, q: std::f32::consts::FRAC_1_SQRT_2, ..eq.high_shelf };
    for (bell, f) in eq.bells.iter_mut().zip([250.0, 1000.0, 3000.0, 8000.0]) {
        *bell = EqBandSettings { freq_hz: f, gain_db: 0.0, q: 1.0, ..*bell };
    }
    enable_all(&mut eq);
    if amount > 0.0 {
        // Shelves first (the broad tilt), then each bell placed on the largest residual and
        // fitted alone, then everything together.
        eq = descend(&fitter, eq, &[0, 5], max_gain, 60);
        for bell in 1..=4 {
            let r = fitter.response(&eq);
            let offset = r.iter().zip(&fitter.target).map(|(a, b)| a - b).sum::<f64>() / r.len() as f64;
            let (worst, err) = r
                .iter()
                .zip(&fitter.target)
                .map(|(a, b)| b - (a - offset))
                .enumerate()
                .fold((0, 0.0f64), |acc, (i, e)| if e.abs() > acc.1.abs() { (i, e) } else { acc });
            let b = band_mut(&mut eq, bell);
            b.freq_hz = fitter.centres[worst] as f32;
            b.gain_db = err.clamp(-max_gain, max_gain) as f32;
            eq = descend(&fitter, eq, &[bell], max_gain, 40);
        }
        eq = descend(&fitter, eq, &[0, 1, 2, 3, 4, 5], max_gain, 200);
    }
    // Bands that ended (nearly) flat are switched off so the preset reads cleanly.
    for band in 0..6 {
        let b = band_mut(&mut eq, band);
        if b.gain_db.abs() < 0.05 {
            b.enabled = false;
            b.gain_db = 0.0;
        }
    }
    let fitted = fitter.response(&eq);
    let offset = fitted.iter().zip(&fitter.target).map(|(a, b)| a - b).sum::<f64>() / fitted.len().max(1) as f64;
    let fitted_db: Vec<f64> = fitted.iter().map(|f| f - offset).collect();
    let residual_max_db = fitted_db.iter().zip(&fitter.target).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);

    let mut stereo = *base_stereo;
    if options.match_width {
        // The stage scales the side by width/100: side/mid moves by 20·log10(width/100).
        let delta_db = amount * (reference.wide_side_mid_db - programme.wide_side_mid_db);
        if programme.wide_side_mid_db > -60.0 && reference.wide_side_mid_db > -60.0 {
            let width = base_stereo.width_pct as f64 * 10f64.powf(delta_db / 20.0);
            stereo.width_pct = width.clamp(0.0, 200.0) as f32;
        }
    }
    MatchResult { eq, stereo, target_db: fitter.target, fitted_db, residual_max_db }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::analysis::third_octave_centres;

    /// A synthetic analysis: flat programme, reference with a tilt and a dip.
    fn synthetic(curve: impl Fn(f64) -> f64) -> Analysis {
        let centres_hz = third_octave_centres();
        Analysis {
            sample_rate: 48_000.0,
            band_db: centres_hz.iter().map(|&c| curve(c) - 30.0).collect(),
            side_mid_db: vec![-10.0; centres_hz.len()],
            centres_hz,
            integrated_lufs: Some(-20.0),
            sample_peak_dbfs: -3.0,
            plr_db: Some(17.0),
            crest_db: Some(14.0),
            low_side_mid_db: -20.0,
            wide_side_mid_db: -10.0,
        }
    }

    /// Matches from default EQ and stereo settings.
    fn match_flat(prog: &Analysis, reference: &Analysis, options: MatchOptions) -> MatchResult {
        match_reference(prog, reference, &EqSettings::default(), &StereoSettings::default(), &options)
    }

    #[test]
    fn fits_a_smooth_difference_and_scales_with_amount() {
        let prog = synthetic(|_| 0.0);
        // A broad bump: 3 dB·exp(−(log2 f/2k)²): a bell-like shape with a smooth skirt.
        let reference = synthetic(|f| 3.0 * (-(f / 2000.0).log2().powi(2)).exp());
        let full = match_flat(&prog, &reference, MatchOptions::default());
        assert!(full.residual_max_db < 0.5, "{}", full.residual_max_db);
        let half = match_flat(&prog, &reference, MatchOptions { amount: 0.5, ..Default::default() });
        let peak = |r: &MatchResult| {
            r.fitted_db.iter().cloned().fold(f64::MIN, f64::max) - r.fitted_db.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!((peak(&half) / peak(&full) - 0.5).abs() < 0.1, "{} {}", peak(&half), peak(&full));
        let none = match_flat(&prog, &reference, MatchOptions { amount: 0.0, ..Default::default() });
        assert!([none.eq.low_shelf, none.eq.high_shelf].iter().chain(&none.eq.bells).all(|b| !b.enabled));
    }

    #[test]
    fn gains_stay_inside_the_limit() {
        let prog = synthetic(|_| 0.0);
        let reference = synthetic(|f| if f < 200.0 { 15.0 } else { 0.0 });
        let r = match_flat(&prog, &reference, MatchOptions::default());
        for b in [r.eq.low_shelf, r.eq.high_shelf].iter().chain(&r.eq.bells) {
            assert!(b.gain_db.abs() <= 6.0 + 1e-4, "{b:?}");
        }
    }

    #[test]
    fn width_moves_toward_the_reference_side_mid_ratio() {
        let prog = synthetic(|_| 0.0);
        let mut reference = synthetic(|_| 0.0);
        reference.wide_side_mid_db = -16.0; // 6 dB narrower: side × 0.5
        let r = match_flat(&prog, &reference, MatchOptions::default());
        assert!((r.stereo.width_pct - 50.1).abs() < 0.5, "{}", r.stereo.width_pct);
    }
}
