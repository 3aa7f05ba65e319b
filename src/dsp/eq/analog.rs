//! Analog second-order prototypes of the corrective EQ, after R. Bristow-Johnson's "Cookbook
//! formulae for audio EQ biquad filter coefficients" (its s-domain transfer functions, before the
//! bilinear transform). These are the curves the EQ promises; the digital design in
//! `matched.rs` is fitted to them.

/// H(s) = (num[2]·s² + num[1]·s + num[0]) / (den[2]·s² + den[1]·s + den[0]), with s normalised
/// to the band frequency (s = jΩ/Ω0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalogSection {
    pub num: [f64; 3],
    pub den: [f64; 3],
}

/// A = 10^(gain/40): the cookbook's amplitude for peaking and shelving filters.
fn cookbook_amplitude(gain_db: f64) -> f64 {
    10f64.powf(gain_db / 40.0)
}

impl AnalogSection {
    /// Peaking EQ: (s² + s·A/Q + 1) / (s² + s/(A·Q) + 1). Boost and cut of the same size are exact
    /// inverses, which the design uses (a cut is designed as the inverse of a boost).
    pub fn bell(gain_db: f64, q: f64) -> Self {
        let a = cookbook_amplitude(gain_db);
        Self { num: [1.0, a / q, 1.0], den: [1.0, 1.0 / (a * q), 1.0] }
    }

    /// Low shelf: A·(s² + (√A/Q)·s + A) / (A·s² + (√A/Q)·s + 1); gain_db at DC, 0 dB at ∞,
    /// half the gain (in dB) at the band frequency.
    pub fn low_shelf(gain_db: f64, q: f64) -> Self {
        let a = cookbook_amplitude(gain_db);
        let b = a.sqrt() / q;
        Self { num: [a * a, a * b, a], den: [1.0, b, a] }
    }

    /// High shelf: A·(A·s² + (√A/Q)·s + 1) / (s² + (√A/Q)·s + A); 0 dB at DC, gain_db at ∞.
    pub fn high_shelf(gain_db: f64, q: f64) -> Self {
        let a = cookbook_amplitude(gain_db);
        let b = a.sqrt() / q;
        Self { num: [a, a * b, a * a], den: [a, b, 1.0] }
    }

    /// Second-order low-pass 1 / (s² + s/Q + 1).
    pub fn low_pass(q: f64) -> Self {
        Self { num: [1.0, 0.0, 0.0], den: [1.0, 1.0 / q, 1.0] }
    }

    /// Second-order high-pass s² / (s² + s/Q + 1).
    pub fn high_pass(q: f64) -> Self {
        Self { num: [0.0, 0.0, 1.0], den: [1.0, 1.0 / q, 1.0] }
    }

    /// |H(jw)|² at w = Ω/Ω0.
    pub fn magnitude_sq(&self, w: f64) -> f64 {
        poly_mag_sq(&self.num, w) / poly_mag_sq(&self.den, w)
    }

    /// 1/H: swaps poles and zeros.
    pub fn inverse(&self) -> Self {
        Self { num: self.den, den: self.num }
    }

    /// True for the s² numerator (double zero at DC), which the design keeps exact so that the
    /// stop band falls at the full 12 dB/oct per section.
    pub fn is_high_pass(&self) -> bool {
        self.num[0] == 0.0 && self.num[1] == 0.0
    }
}

/// Q of section `index` (0-based) of an even-order Butterworth filter: the poles sit at angles
/// (2i+1)·π/(2n) from the negative real axis, so Q = 1 / (2·cos θ).
pub fn butterworth_q(order: usize, index: usize) -> f64 {
    let theta = (2 * index + 1) as f64 * std::f64::consts::PI / (2 * order) as f64;
    0.5 / theta.cos()
}

/// |c2·(jw)² + c1·(jw) + c0|².
fn poly_mag_sq(c: &[f64; 3], w: f64) -> f64 {
    let re = c[0] - c[2] * w * w;
    let im = c[1] * w;
    re * re + im * im
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug)]
    pub(crate) enum Kind {
        Bell,
        LowShelf,
        HighShelf,
        LowPass,
        HighPass,
    }

    /// The cookbook's analog transfer functions evaluated at s = j·f/f0 with complex arithmetic,
    /// written from the cookbook text, not from `AnalogSection`.
    pub(crate) fn cookbook_db(kind: Kind, f: f64, f0: f64, gain_db: f64, q: f64) -> f64 {
        type C = (f64, f64);
        let mul = |a: C, b: C| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let add = |a: C, b: C| (a.0 + b.0, a.1 + b.1);
        let k = |v: f64| (v, 0.0);
        let s: C = (0.0, f / f0);
        let s2 = mul(s, s);
        let a = 10f64.powf(gain_db / 40.0);
        let (num, den) = match kind {
            Kind::Bell => (add(add(s2, mul(s, k(a / q))), k(1.0)), add(add(s2, mul(s, k(1.0 / (a * q)))), k(1.0))),
            Kind::LowShelf => (
                mul(k(a), add(add(s2, mul(s, k(a.sqrt() / q))), k(a))),
                add(add(mul(k(a), s2), mul(s, k(a.sqrt() / q))), k(1.0)),
            ),
            Kind::HighShelf => (
                mul(k(a), add(add(mul(k(a), s2), mul(s, k(a.sqrt() / q))), k(1.0))),
                add(add(s2, mul(s, k(a.sqrt() / q))), k(a)),
            ),
            Kind::LowPass => (k(1.0), add(add(s2, mul(s, k(1.0 / q))), k(1.0))),
            Kind::HighPass => (s2, add(add(s2, mul(s, k(1.0 / q))), k(1.0))),
        };
        10.0 * ((num.0 * num.0 + num.1 * num.1) / (den.0 * den.0 + den.1 * den.1)).log10()
    }

    fn db(section: &AnalogSection, w: f64) -> f64 {
        10.0 * section.magnitude_sq(w).log10()
    }

    #[test]
    fn cookbook_landmarks() {
        // Bell: full gain at f0, unity far away.
        assert!((db(&AnalogSection::bell(12.0, 2.0), 1.0) - 12.0).abs() < 1e-9);
        assert!(db(&AnalogSection::bell(12.0, 2.0), 1e4).abs() < 1e-3);
        // Shelves: full gain at the shelf end, half at f0.
        assert!((db(&AnalogSection::low_shelf(-10.0, 0.7), 1e-5) + 10.0).abs() < 1e-6);
        assert!((db(&AnalogSection::low_shelf(-10.0, 0.7), 1.0) + 5.0).abs() < 1e-9);
        assert!((db(&AnalogSection::high_shelf(9.0, 1.3), 1e5) - 9.0).abs() < 1e-6);
        assert!((db(&AnalogSection::high_shelf(9.0, 1.3), 1.0) - 4.5).abs() < 1e-9);
        // Pass filters: gain Q at f0, -12 dB/oct asymptotes.
        let q = std::f64::consts::FRAC_1_SQRT_2;
        assert!((db(&AnalogSection::low_pass(q), 1.0) + 3.0103).abs() < 1e-3);
        assert!((db(&AnalogSection::high_pass(q), 1e-3) + 120.0).abs() < 1e-3);
    }

    #[test]
    fn butterworth_sections_multiply_to_maximally_flat() {
        for order in [2usize, 4, 8] {
            for w in [0.1, 0.5, 1.0, 2.0, 10.0] {
                let total: f64 = (0..order / 2).map(|i| db(&AnalogSection::low_pass(butterworth_q(order, i)), w)).sum();
                let expected = -10.0 * (1.0 + f64::powi(w, 2 * order as i32)).log10();
                assert!((total - expected).abs() < 1e-9, "order {order} w {w}");
            }
        }
    }
}
