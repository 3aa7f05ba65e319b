//! The trapezoidal (TPT) state-variable filter, N lanes at once.
//!
//! Formulation after A. Simper, "Solving the continuous SVF equations using trapezoidal
//! integration and equivalent currents" (Cytomic, 2013), equivalent to Zavalishin, "The Art of
//! VA Filter Design" (2012), ch. 4. Why this structure: its low, band and high outputs come from
//! one state update (a Linkwitz-Riley split shares its first section), it stays stable and
//! quiet when the cutoff moves every few samples (crossover and sidechain automation), and it
//! keeps its precision at low cutoffs in f32 where a direct-form biquad does not.
//!
//! Lanes: every lane shares one set of coefficients, so a stereo pair or two parallel sections
//! tick as one `[f32; N]` operation that the compiler turns into SIMD.

/// Quality factor of a 2nd-order Butterworth section (1/sqrt(2)); two in cascade make a
/// 4th-order Linkwitz-Riley slope.
pub const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// States below this magnitude are zeroed between chunks (about -300 dBFS), so a decaying tail
/// never reaches the denormal range where arithmetic gets slow.
const DENORMAL_FLOOR: f32 = 1e-15;

/// `Default` is all zeros: a placeholder for a filter that is not running.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LaneSvfCoefs {
    /// Damping, 1/Q.
    pub k: f32,
    /// State update in state-space form (see [`LaneSvf::tick`]): 2·a1 − 1, 2·a2, 2·a3 with
    /// Simper's a1 = 1/(1 + g(g + k)), a2 = g·a1, a3 = g·a2.
    m11: f32,
    b1: f32,
    b2: f32,
}

impl LaneSvfCoefs {
    /// Bilinear transform prewarped at `freq_hz`; the cutoff is kept inside (0, 0.49 fs) so
    /// `tan` stays finite at every sample rate.
    pub fn new(freq_hz: f32, q: f32, sample_rate: f32) -> Self {
        let freq_hz = freq_hz.clamp(1e-3, 0.49 * sample_rate);
        let g = (std::f64::consts::PI * freq_hz as f64 / sample_rate as f64).tan();
        let k = 1.0 / q as f64;
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        Self { k: k as f32, m11: (2.0 * a1 - 1.0) as f32, b1: (2.0 * a2) as f32, b2: (2.0 * a3) as f32 }
    }
}

/// Integrator states of N independent lanes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneSvf<const N: usize> {
    ic1: [f32; N],
    ic2: [f32; N],
}

impl<const N: usize> Default for LaneSvf<N> {
    fn default() -> Self {
        Self { ic1: [0.0; N], ic2: [0.0; N] }
    }
}

impl<const N: usize> LaneSvf<N> {
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// One sample for every lane; returns (band, low). High and allpass follow from them with
    /// [`highpass`] and [`allpass`].
    ///
    /// Simper's update `v1 = a1·ic1 + a2·(x − ic2)`, `v2 = ic2 + a2·ic1 + a3·(x − ic2)`,
    /// `ic' = 2v − ic`, rearranged so each new state is one multiply-add away from the old ones
    /// (shorter dependency chain, so consecutive filters overlap better), with `ic2` updated as
    /// `ic2 + small` to keep its precision at low cutoffs. The outputs are v = (ic + ic')/2.
    #[inline(always)]
    pub fn tick(&mut self, c: &LaneSvfCoefs, x: [f32; N]) -> ([f32; N], [f32; N]) {
        let mut band = [0.0; N];
        let mut low = [0.0; N];
        for l in 0..N {
            let (ic1, ic2) = (self.ic1[l], self.ic2[l]);
            let d = x[l] - ic2;
            let new1 = c.m11 * ic1 + c.b1 * d;
            let new2 = (ic2 + c.b1 * ic1) + c.b2 * d;
            band[l] = 0.5 * (ic1 + new1);
            low[l] = 0.5 * (ic2 + new2);
            (self.ic1[l], self.ic2[l]) = (new1, new2);
        }
        (band, low)
    }

    /// Puts back the lanes `lanes` from `earlier`, undoing a tick for lanes that had no input.
    pub fn keep_lanes(&mut self, earlier: &Self, lanes: std::ops::Range<usize>) {
        for l in lanes {
            (self.ic1[l], self.ic2[l]) = (earlier.ic1[l], earlier.ic2[l]);
        }
    }

    /// Whether every state is finite (a guard after hostile input).
    pub fn is_finite(&self) -> bool {
        self.ic1.iter().chain(&self.ic2).all(|s| s.is_finite())
    }

    pub fn flush_denormals(&mut self) {
        for s in self.ic1.iter_mut().chain(self.ic2.iter_mut()) {
            if s.abs() < DENORMAL_FLOOR {
                *s = 0.0;
            }
        }
    }
}

/// High output: s²/(s² + ks + 1) = x - k·band - low.
#[inline(always)]
pub fn highpass<const N: usize>(c: &LaneSvfCoefs, x: [f32; N], band: [f32; N], low: [f32; N]) -> [f32; N] {
    let mut y = [0.0; N];
    for l in 0..N {
        y[l] = x[l] - c.k * band[l] - low[l];
    }
    y
}

/// Allpass output: (s² - ks + 1)/(s² + ks + 1) = x - 2k·band.
#[inline(always)]
pub fn allpass<const N: usize>(c: &LaneSvfCoefs, x: [f32; N], band: [f32; N]) -> [f32; N] {
    let mut y = [0.0; N];
    for l in 0..N {
        y[l] = x[l] - 2.0 * c.k * band[l];
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f32 = 48_000.0;

    /// Steady-state amplitude of a unit sine at `freq` through `f`, by projecting the last
    /// `period_samples * cycles` samples onto the sine and cosine of the test frequency.
    fn measure(freq: f64, mut f: impl FnMut(f32) -> f32) -> f64 {
        let n_measure = 48_000usize; // 1 s: an integer number of cycles for integer-Hz tones
        let settle = 24_000usize;
        let w = 2.0 * std::f64::consts::PI * freq / FS as f64;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for n in 0..settle + n_measure {
            let y = f((w * n as f64).sin() as f32) as f64;
            if n >= settle {
                re += y * (w * n as f64).cos();
                im += y * (w * n as f64).sin();
            }
        }
        2.0 * (re * re + im * im).sqrt() / n_measure as f64
    }

    /// Analog prototype |H|² with s = jΩ and Ω = tan(πf/fs)/tan(πfc/fs) (bilinear, prewarped).
    fn omega(f: f64, fc: f64) -> f64 {
        let t = |x: f64| (std::f64::consts::PI * x / FS as f64).tan();
        t(f) / t(fc)
    }

    #[test]
    fn butterworth_outputs_match_bilinear_prototype() {
        let fc = 1000.0f64;
        let c = LaneSvfCoefs::new(fc as f32, BUTTERWORTH_Q, FS);
        for f in [50.0, 300.0, 1000.0, 3000.0, 12_000.0] {
            let w = omega(f, fc);
            let k = std::f64::consts::SQRT_2;
            let den = ((1.0 - w * w).powi(2) + (k * w).powi(2)).sqrt();
            let mut s = LaneSvf::<1>::default();
            let lp = measure(f, |x| s.tick(&c, [x]).1[0]);
            let mut s = LaneSvf::<1>::default();
            let hp = measure(f, |x| {
                let (b, l) = s.tick(&c, [x]);
                highpass(&c, [x], b, l)[0]
            });
            let mut s = LaneSvf::<1>::default();
            let ap = measure(f, |x| allpass(&c, [x], s.tick(&c, [x]).0)[0]);
            let db = |a: f64| 20.0 * a.log10();
            assert!((db(lp) - db(1.0 / den)).abs() < 0.01, "lp {f}: {} vs {}", db(lp), db(1.0 / den));
            assert!((db(hp) - db(w * w / den)).abs() < 0.01, "hp {f}");
            assert!(db(ap).abs() < 0.01, "ap {f}: {}", db(ap));
        }
    }

    #[test]
    fn denormal_tail_is_flushed() {
        let c = LaneSvfCoefs::new(100.0, BUTTERWORTH_Q, FS);
        let mut s = LaneSvf::<2>::default();
        s.tick(&c, [1.0, -1.0]);
        // ~5000 samples decay a 100 Hz Butterworth to ~1e-20: tiny but still normal.
        for _ in 0..5_000 {
            s.tick(&c, [0.0, 0.0]);
        }
        assert_ne!(s, LaneSvf::default());
        s.flush_denormals();
        assert_eq!(s, LaneSvf::default());
    }
}
