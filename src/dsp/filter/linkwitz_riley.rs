//! The 4th-order Linkwitz-Riley (LR4) split, shared by the multiband crossover and the mono-bass
//! stage.
//!
//! An LR4 split at fc is a 2nd-order Butterworth section squared: low = LP², high = HP², and
//! LP² + HP² = (s² − √2·s + 1)/(s² + √2·s + 1), the Butterworth section's own all-pass
//! (Linkwitz & Riley, JAES 1976). The identity survives the bilinear transform, so it holds
//! digitally at every cutoff. It gives the cheap form used here: only the low-pass is filtered
//! twice; the all-pass comes from the first section's state for free and the high band follows as
//! HP² = AP − LP². Two sections per lane and split, nothing else.
//!
//! [`Lr4Split`] is the plain, one-frame-at-a-time form. The crossover runs the same sections and
//! the same output formulas ([`Lr4Coefs::high`]), software-pipelined over a chunk; its tests check
//! it against a composition of [`Lr4Split`]s bit for bit.

use crate::dsp::filter::svf_lanes::{allpass, LaneSvf, LaneSvfCoefs, BUTTERWORTH_Q};

/// Coefficients of one LR4 split point: both Butterworth sections share them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Lr4Coefs(pub LaneSvfCoefs);

impl Lr4Coefs {
    /// Prewarped at `freq_hz` (kept inside (0, 0.49·fs) by [`LaneSvfCoefs::new`]).
    pub fn new(freq_hz: f32, sample_rate: f32) -> Self {
        Self(LaneSvfCoefs::new(freq_hz, BUTTERWORTH_Q, sample_rate))
    }

    /// The first section's all-pass output from its input and band state.
    #[inline(always)]
    pub fn allpass<const N: usize>(&self, x: [f32; N], band: [f32; N]) -> [f32; N] {
        allpass(&self.0, x, band)
    }

    /// HP² = AP − LP², lane by lane.
    #[inline(always)]
    pub fn high<const N: usize>(ap: [f32; N], low: [f32; N]) -> [f32; N] {
        let mut y = [0.0; N];
        for ((y, a), l) in y.iter_mut().zip(ap).zip(low) {
            *y = a - l;
        }
        y
    }
}

/// One frame's outputs of a split: the bands and their sum (the all-pass).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lr4Bands<const N: usize> {
    pub low: [f32; N],
    pub high: [f32; N],
    pub allpass: [f32; N],
}

/// An LR4 split of N independent lanes, one frame per call, no latency.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Lr4Split<const N: usize> {
    first: LaneSvf<N>,
    second: LaneSvf<N>,
}

impl<const N: usize> Lr4Split<N> {
    pub fn reset(&mut self) {
        self.first.reset();
        self.second.reset();
    }

    #[inline(always)]
    pub fn tick(&mut self, c: &Lr4Coefs, x: [f32; N]) -> Lr4Bands<N> {
        let (band, lp) = self.first.tick(&c.0, x);
        let allpass = c.allpass(x, band);
        let (_, low) = self.second.tick(&c.0, lp);
        Lr4Bands { low, high: Lr4Coefs::high(allpass, low), allpass }
    }

    /// Zeroes states that have decayed to about −300 dBFS (between chunks).
    pub fn flush_denormals(&mut self) {
        self.first.flush_denormals();
        self.second.flush_denormals();
    }

    /// Clears the states if any has become non-finite; returns whether it did.
    pub fn recover(&mut self) -> bool {
        let finite = self.first.is_finite() && self.second.is_finite();
        if !finite {
            self.reset();
        }
        !finite
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::util::test_signals::{amplitude, sine};

    /// Analog LR4 magnitudes at Ω = tan(πf/fs)/tan(πfc/fs) (the bilinear map).
    fn analog(f: f64, fc: f64, fs: f64) -> (f64, f64) {
        let w = (std::f64::consts::PI * f / fs).tan() / (std::f64::consts::PI * fc / fs).tan();
        (1.0 / (1.0 + w.powi(4)), w.powi(4) / (1.0 + w.powi(4)))
    }

    #[test]
    fn bands_follow_lr4_and_sum_to_the_allpass() {
        let (fs, fc) = (48_000.0, 300.0);
        let c = Lr4Coefs::new(fc as f32, fs as f32);
        for f in [40.0, 150.0, 300.0, 600.0, 3000.0] {
            let mut split = Lr4Split::<1>::default();
            let x = sine(f, 0.5, fs, 48_000, 0.0);
            let out: Vec<Lr4Bands<1>> = x.iter().map(|&v| split.tick(&c, [v])).collect();
            let tail = 24_000..;
            let band_db = |pick: fn(&Lr4Bands<1>) -> f32| {
                let y: Vec<f32> = out[tail.clone()].iter().map(pick).collect();
                20.0 * (amplitude(&y, f, fs) / 0.5).log10()
            };
            let (lp, hp) = analog(f, fc, fs);
            let (low_db, high_db, ap_db) = (band_db(|b| b.low[0]), band_db(|b| b.high[0]), band_db(|b| b.allpass[0]));
            assert!((low_db - 20.0 * lp.log10()).abs() < 0.02, "{f} Hz low {low_db}");
            assert!((high_db - 20.0 * hp.log10()).abs() < 0.02, "{f} Hz high {high_db}");
            assert!(ap_db.abs() < 0.01, "{f} Hz all-pass {ap_db}");
            // The sum of the bands is the all-pass exactly as computed (up to one rounding).
            for b in &out {
                assert!((b.low[0] + b.high[0] - b.allpass[0]).abs() <= 1e-6);
            }
        }
    }

    #[test]
    fn lanes_are_independent() {
        let c = Lr4Coefs::new(120.0, 44_100.0);
        let (mut pair, mut a, mut b) = (Lr4Split::<2>::default(), Lr4Split::<1>::default(), Lr4Split::<1>::default());
        let x = sine(90.0, 0.7, 44_100.0, 4410, 0.0);
        let y = sine(5000.0, 0.3, 44_100.0, 4410, 0.5);
        for (&u, &v) in x.iter().zip(&y) {
            let both = pair.tick(&c, [u, v]);
            let (one, two) = (a.tick(&c, [u]), b.tick(&c, [v]));
            assert_eq!([both.low[0], both.high[0], both.allpass[0]], [one.low[0], one.high[0], one.allpass[0]]);
            assert_eq!([both.low[1], both.high[1], both.allpass[1]], [two.low[0], two.high[0], two.allpass[0]]);
        }
    }
}
