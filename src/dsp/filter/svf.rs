//! Trapezoidal (TPT) state-variable filter after A. Simper (Cytomic, "Solving the continuous SVF
//! equation using trapezoidal integration", 2013), used as a general biquad.
//!
//! Why an SVF rather than a direct-form biquad: its two states are integrator states of the
//! analog network, so they stay meaningful when g, k or the output mix change from one sample
//! to the next. A sweep cannot pump energy into the filter the way a direct form's delayed
//! outputs do, and the structure is stable for every g > 0, k > 0 (also while they move).

/// One biquad in SVF form: transfer function (m0·s² + m1·s + m2) / (s² + k·s + 1) with
/// s = s'/g and s' = (1 - z⁻¹)/(1 + z⁻¹) (the bilinear domain). Any biquad with stable poles has
/// this form, so the EQ design hands its result over as these five numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SvfCoefs {
    pub g: f32,
    pub k: f32,
    pub m0: f32,
    pub m1: f32,
    pub m2: f32,
}

impl SvfCoefs {
    /// A pass-through (H = 1) with well-conditioned internal states.
    pub const IDENTITY: SvfCoefs =
        SvfCoefs { g: 1.0, k: std::f32::consts::SQRT_2, m0: 1.0, m1: std::f32::consts::SQRT_2, m2: 1.0 };

    /// From `(β0·s'² + β1·s' + β2) / (α0·s'² + α1·s' + α2)` with α > 0. Scaling s' by g makes
    /// the denominator s² + k·s + 1: g = √(α2/α0), k = α1/√(α0·α2).
    pub fn from_bilinear(beta: [f64; 3], alpha: [f64; 3]) -> Self {
        let [a0, a1, a2] = alpha;
        let [b0, b1, b2] = beta;
        let root = (a0 * a2).sqrt();
        Self {
            g: (a2 / a0).sqrt() as f32,
            k: (a1 / root) as f32,
            m0: (b0 / a0) as f32,
            m1: (b1 / root) as f32,
            m2: (b2 / a2) as f32,
        }
    }

    /// |H(e^jw)| of this biquad, w in rad/sample (0..π): the bilinear-domain formula above.
    pub fn magnitude(&self, w: f64) -> f64 {
        let s = (0.5 * w).tan() / self.g as f64; // the normalised s is j·s here
        let (k, m0, m1, m2) = (self.k as f64, self.m0 as f64, self.m1 as f64, self.m2 as f64);
        let num = (m2 - m0 * s * s).powi(2) + (m1 * s).powi(2);
        let den = (1.0 - s * s).powi(2) + (k * s).powi(2);
        (num / den).sqrt()
    }

    /// Linear blend from `self` (t = 0) to `to` (t = 1). Blending keeps g, k > 0, so every
    /// intermediate filter is stable.
    #[inline]
    pub fn lerp(&self, to: &SvfCoefs, t: f32) -> SvfCoefs {
        let mix = |a: f32, b: f32| a + (b - a) * t;
        SvfCoefs {
            g: mix(self.g, to.g),
            k: mix(self.k, to.k),
            m0: mix(self.m0, to.m0),
            m1: mix(self.m1, to.m1),
            m2: mix(self.m2, to.m2),
        }
    }
}

/// The per-sample multipliers derived from [`SvfCoefs`] (one division), shared by both channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SvfGains {
    a1: f32,
    a2: f32,
    a3: f32,
    /// Output mix of input, band and low states: m0·high + m1·band + m2·low rewritten with
    /// high = v0 - k·band - low.
    c0: f32,
    c1: f32,
    c2: f32,
}

impl SvfGains {
    #[inline]
    pub fn new(c: &SvfCoefs) -> Self {
        let a1 = 1.0 / (1.0 + c.g * (c.g + c.k));
        let a2 = c.g * a1;
        Self { a1, a2, a3: c.g * a2, c0: c.m0, c1: c.m1 - c.k * c.m0, c2: c.m2 - c.m0 }
    }
}

/// States below this are flushed by an add/subtract round trip: it keeps every state a normal
/// float (denormals cost up to 100× on x86) without a branch, and only touches values 400 dB
/// under full scale.
const DENORMAL_GUARD: f32 = 1e-18;

/// The two integrator states of one SVF channel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Svf {
    ic1: f32,
    ic2: f32,
}

impl Svf {
    #[inline]
    pub fn tick(&mut self, v0: f32, g: &SvfGains) -> f32 {
        let v3 = v0 - self.ic2;
        let v1 = g.a1 * self.ic1 + g.a2 * v3;
        let v2 = self.ic2 + g.a2 * self.ic1 + g.a3 * v3;
        self.ic1 = ((2.0 * v1 - self.ic1) + DENORMAL_GUARD) - DENORMAL_GUARD;
        self.ic2 = ((2.0 * v2 - self.ic2) + DENORMAL_GUARD) - DENORMAL_GUARD;
        g.c0 * v0 + g.c1 * v1 + g.c2 * v2
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Clears the state if it has become non-finite; returns whether it did. A guard only: with
    /// inputs clamped to ±1000 and stable coefficients the states stay bounded.
    #[inline]
    pub fn recover(&mut self) -> bool {
        if (self.ic1 + self.ic2).is_finite() {
            false
        } else {
            self.reset();
            true
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Transfer function of the runtime [`Svf::tick`] measured by probing it: the tick is linear
    /// in (state, input), so feeding unit vectors yields its state-space matrices A, B, C, D, and
    /// H(z) = D + C·(zI - A)⁻¹·B is then evaluated in f64. Independent of
    /// [`SvfCoefs::magnitude`]'s closed form.
    pub fn probed_magnitude(coefs: &SvfCoefs, w: f64) -> f64 {
        let gains = SvfGains::new(coefs);
        let probe = |ic1: f32, ic2: f32, x: f32| {
            let mut s = Svf { ic1, ic2 };
            let y = s.tick(x, &gains);
            ([s.ic1 as f64, s.ic2 as f64], y as f64)
        };
        let (a_col0, c0) = probe(1.0, 0.0, 0.0);
        let (a_col1, c1) = probe(0.0, 1.0, 0.0);
        let (b, d) = probe(0.0, 0.0, 1.0);
        // (zI - A)⁻¹·B for the 2×2 case, complex z = e^jw.
        let (zr, zi) = (w.cos(), w.sin());
        let m = [[(zr - a_col0[0], zi), (-a_col1[0], 0.0)], [(-a_col0[1], 0.0), (zr - a_col1[1], zi)]];
        let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let sub = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0, a.1 - b.1);
        let det = sub(mul(m[0][0], m[1][1]), mul(m[0][1], m[1][0]));
        let dn = det.0 * det.0 + det.1 * det.1;
        let inv_det = (det.0 / dn, -det.1 / dn);
        let bv = [(b[0], 0.0), (b[1], 0.0)];
        let x0 = mul(inv_det, sub(mul(m[1][1], bv[0]), mul(m[0][1], bv[1])));
        let x1 = mul(inv_det, sub(mul(m[0][0], bv[1]), mul(m[1][0], bv[0])));
        let h = (d + c0 * x0.0 + c1 * x1.0, c0 * x0.1 + c1 * x1.1);
        (h.0 * h.0 + h.1 * h.1).sqrt()
    }

    #[test]
    fn runtime_tick_equals_bilinear_formula() {
        let cases = [
            SvfCoefs { g: 0.01, k: 0.1, m0: 1.0, m1: 0.7, m2: 1.0 },
            SvfCoefs { g: 0.8, k: 1.4, m0: 0.3, m1: 2.0, m2: 4.0 },
            SvfCoefs { g: 3.1, k: 2.3, m0: -0.5, m1: 1.0, m2: 1.1 },
            SvfCoefs::IDENTITY,
        ];
        for c in cases {
            for i in 1..60 {
                let w = std::f64::consts::PI * i as f64 / 61.0;
                let (p, f) = (probed_magnitude(&c, w), c.magnitude(w));
                assert!((20.0 * (p / f).log10()).abs() < 1e-4, "{c:?} w {w}: {p} vs {f}");
            }
        }
        for i in 1..60 {
            assert!((SvfCoefs::IDENTITY.magnitude(i as f64 * 0.05) - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn states_never_go_denormal_and_recover_from_poison() {
        let gains = SvfGains::new(&SvfCoefs { g: 3.1, k: 2.3, m0: 1.0, m1: 1.0, m2: 1.0 });
        let mut s = Svf::default();
        s.tick(1.0, &gains);
        for _ in 0..10_000 {
            s.tick(0.0, &gains);
            assert!(s.ic1 == 0.0 || s.ic1.abs() > f32::MIN_POSITIVE);
            assert!(s.ic2 == 0.0 || s.ic2.abs() > f32::MIN_POSITIVE);
        }
        let mut p = Svf { ic1: f32::NAN, ic2: 0.0 };
        assert!(p.recover());
        assert_eq!(p, Svf::default());
        assert!(!p.recover());
    }
}
