//! The saturation transfer curve and its loudness compensation.
//!
//! Curve: the error function scaled to unit slope at zero, `erf(sqrt(pi)/2 * x)`. Like `tanh` it
//! is a symmetric soft clip to +-1 (odd harmonics only), but it is an entire function, so the
//! harmonics of a driven sine fall off faster than with `tanh` (whose poles at +-i pi/2 make them
//! decay only geometrically): for a sine peaking at 2.0 into the curve, the 9th harmonic is at
//! -62 dB with erf and -53 dB with tanh. Those high harmonics are what folds back as aliasing, so
//! this choice is worth about 10 dB of alias rejection at 2x for the same sound.
//!
//! Character adds even harmonics with a bias: `y = (c(x + b) - c(b)) / c'(b)`. Subtracting `c(b)`
//! keeps silence at zero and dividing by the slope at the bias keeps the small-signal gain at
//! exactly 1 for every character, so character changes colour, not level. The output of a biased
//! curve has a signal-dependent DC component; the stage removes it with a DC blocker after
//! decimation (no static curve can be DC-free for every level, since any even part of a curve
//! has a non-zero mean over a sine).

/// Bias at character +1, in units of the curve's input. 0.75 gives a second harmonic ~23 dB
/// below the fundamental for a -18 dBFS sine at 0 dB drive and ~11 dB below at +24 dB, a strong
/// "tube" colour, while the curve stays monotonic and the positive side still clips softly.
pub const BIAS_MAX: f32 = 0.75;

/// Level at which auto gain compensation matches output to input: -18 dBFS sine peak, the
/// EBU R68 alignment level, i.e. where typical programme material sits on average.
pub const COMPENSATION_REFERENCE_DBFS: f32 = -18.0;

/// Drive range covered by the compensation table.
pub const DRIVE_MAX_DB: f32 = 24.0;

use crate::dsp::simd::{madd, run_fma, FmaKernel};

const SQRT_PI_OVER_2: f32 = 0.886_226_9;

/// `e^z` for `z <= 0` (clamped below at `e^-86`): relative error under `2e-7 + 1e-7 |z|` (the
/// second term is the f32 rounding of `z log2(e)`, amplified by the exponent). Branch-free and
/// integer-only range reduction (the 1.5 * 2^23 rounding trick) so loops over it vectorise.
#[inline]
pub fn exp_neg(z: f32) -> f32 {
    exp_neg_with::<false>(z)
}

#[inline(always)]
fn exp_neg_with<const FMA: bool>(z: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer in the mantissa
    let y = (z * std::f32::consts::LOG2_E).clamp(-125.0, 0.0);
    let shifted = y + MAGIC;
    let whole = shifted - MAGIC;
    let frac = y - whole; // [-0.5, 0.5]
    let exponent = shifted.to_bits() as i32 - MAGIC.to_bits() as i32;
    let scale = f32::from_bits(((exponent + 127) << 23) as u32);
    // 2^f = e^(f ln 2), Taylor series to 6th order: remainder < 1.7e-7 for |f| <= 1/2.
    let mut p = 0.000_154_035_3;
    for c in [0.001_333_356, 0.009_618_129, 0.055_504_11, 0.240_226_5, std::f32::consts::LN_2, 1.0] {
        p = madd::<FMA>(p, frac, c);
    }
    p * scale
}

/// `erf(sqrt(pi)/2 * x)`: unit slope at zero, limits +-1. Absolute error under 1e-6 (-120 dB)
/// from Abramowitz & Stegun 7.1.26, `1 - (a1 t + ... + a5 t^5) e^(-u^2)` with `t = 1/(1 + p u)`
/// (1.5e-7), plus the f32 rounding of its polynomial. The formula is smooth for u >= 0 and the
/// odd extension adds no kink that matters (|erf(0)| < 1e-8 there), so it adds no aliasing.
#[inline]
pub fn soft_clip(x: f32) -> f32 {
    soft_clip_with::<false>(x)
}

#[inline(always)]
fn soft_clip_with<const FMA: bool>(x: f32) -> f32 {
    let u = x.abs() * SQRT_PI_OVER_2;
    let t = 1.0 / madd::<FMA>(0.327_591_1, u, 1.0);
    let mut poly = 1.061_405_4;
    for c in [-1.453_152, 1.421_413_8, -0.284_496_74, 0.254_829_6] {
        poly = madd::<FMA>(poly, t, c);
    }
    poly *= t;
    (1.0 - poly * exp_neg_with::<FMA>(-u * u)).copysign(x)
}

/// Curve coefficients for one character value: everything per-sample work needs, precomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    pub bias: f32,
    /// `c(bias)`, subtracted so zero in gives zero out.
    pub offset: f32,
    /// `1 / c'(bias) = e^(pi bias^2 / 4)`, restoring unit small-signal gain.
    pub norm: f32,
}

impl Curve {
    /// `character` in [-1, 1]: -1 is symmetric (bias 0), +1 is [`BIAS_MAX`], linear between.
    pub fn from_character(character: f32) -> Self {
        let bias = BIAS_MAX * 0.5 * (character.clamp(-1.0, 1.0) + 1.0);
        let u = bias * SQRT_PI_OVER_2;
        Self { bias, offset: soft_clip(bias), norm: 1.0 / exp_neg(-u * u) }
    }

    #[inline]
    pub fn apply(&self, x: f32) -> f32 {
        self.apply_with::<false>(x)
    }

    #[inline(always)]
    fn apply_with<const FMA: bool>(&self, x: f32) -> f32 {
        (soft_clip_with::<FMA>(x + self.bias) - self.offset) * self.norm
    }

    /// Applies the curve to a stereo block in place (the hot loop: runtime-dispatched to the
    /// AVX2 + FMA build where the CPU has it; results agree within rounding).
    pub fn process(&self, left: &mut [f32], right: &mut [f32]) {
        run_fma(CurveBlock { curve: self, left, right });
    }

    #[inline(always)]
    fn process_lanes<const FMA: bool>(&self, left: &mut [f32], right: &mut [f32]) {
        for block in [left, right] {
            for x in block.iter_mut() {
                *x = self.apply_with::<FMA>(*x);
            }
        }
    }
}

/// [`Curve::process`] as an FMA loop.
struct CurveBlock<'a> {
    curve: &'a Curve,
    left: &'a mut [f32],
    right: &'a mut [f32],
}

impl FmaKernel for CurveBlock<'_> {
    type Output = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        self.curve.process_lanes::<FMA>(self.left, self.right);
    }
}

const DRIVE_STEPS: usize = 25; // 1 dB apart over 0..24 dB
const CHARACTER_STEPS: usize = 17; // 0.125 apart over -1..1

/// Output gain that brings a reference-level sine back to its input RMS after the curve, per
/// (drive, character), measured once at construction on the curve itself and interpolated
/// bilinearly (the gain is smooth in both; 1 dB x 0.125 steps keep the error under 0.05 dB).
/// The DC that a biased curve produces is left out of the RMS because the DC blocker removes it.
#[derive(Debug, Clone)]
pub struct CompensationTable {
    gains: Vec<f32>,
}

impl Default for CompensationTable {
    fn default() -> Self {
        let amplitude = 10f64.powf(COMPENSATION_REFERENCE_DBFS as f64 / 20.0);
        let mut gains = Vec::with_capacity(DRIVE_STEPS * CHARACTER_STEPS);
        for d in 0..DRIVE_STEPS {
            let drive = 10f64.powf(d as f64 / 20.0);
            for c in 0..CHARACTER_STEPS {
                let curve = Curve::from_character(c as f32 / 8.0 - 1.0);
                let rms = ac_rms(|x| curve.apply(x as f32) as f64, drive * amplitude);
                gains.push((amplitude / 2f64.sqrt() / rms) as f32);
            }
        }
        Self { gains }
    }
}

impl CompensationTable {
    pub fn gain(&self, drive_db: f32, character: f32) -> f32 {
        let d = drive_db.clamp(0.0, DRIVE_MAX_DB);
        let c = (character.clamp(-1.0, 1.0) + 1.0) * 8.0;
        let (d0, c0) = ((d as usize).min(DRIVE_STEPS - 2), (c as usize).min(CHARACTER_STEPS - 2));
        let (fd, fc) = (d - d0 as f32, c - c0 as f32);
        let at = |i: usize, j: usize| self.gains[i * CHARACTER_STEPS + j];
        let low = at(d0, c0) + fc * (at(d0, c0 + 1) - at(d0, c0));
        let high = at(d0 + 1, c0) + fc * (at(d0 + 1, c0 + 1) - at(d0 + 1, c0));
        low + fd * (high - low)
    }
}

/// RMS of the AC part of `curve(amplitude * sin)` over one period. 128 points per period are
/// exact for every harmonic below the 64th, and the curve's harmonics are under -200 dB there.
fn ac_rms(curve: impl Fn(f64) -> f64, amplitude: f64) -> f64 {
    const POINTS: usize = 128;
    let ys: Vec<f64> =
        (0..POINTS).map(|i| curve(amplitude * (2.0 * std::f64::consts::PI * i as f64 / POINTS as f64).sin())).collect();
    let mean = ys.iter().sum::<f64>() / POINTS as f64;
    (ys.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / POINTS as f64).sqrt()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// erf by its Maclaurin series (exact to ~1e-13 for |x| <= 3.5), 1 beyond 6 (erfc(6) < 3e-17),
    /// and the asymptotic erfc series in between.
    pub(crate) fn erf(x: f64) -> f64 {
        let a = x.abs();
        let value = if a <= 3.5 {
            let (mut sum, mut term, mut n) = (0.0, a, 0.0);
            while term.abs() > 1e-17 {
                sum += term / (2.0 * n + 1.0);
                n += 1.0;
                term *= -a * a / n;
            }
            sum * 2.0 / PI.sqrt()
        } else if a < 6.0 {
            let (mut sum, mut term) = (1.0, 1.0);
            for n in 1..8 {
                term *= -((2 * n - 1) as f64) / (2.0 * a * a);
                sum += term;
            }
            1.0 - (-a * a).exp() / (a * PI.sqrt()) * sum
        } else {
            1.0
        };
        value.copysign(x)
    }

    /// The textbook curve the stage implements, in f64.
    pub(crate) fn reference_curve(x: f64, character: f64) -> f64 {
        let b = BIAS_MAX as f64 * 0.5 * (character + 1.0);
        let c = |v: f64| erf(PI.sqrt() / 2.0 * v);
        (c(x + b) - c(b)) * (PI * b * b / 4.0).exp()
    }

    #[test]
    fn exp_neg_matches_libm() {
        let mut z = -86.0f32;
        while z <= 0.0 {
            let exact = (z as f64).exp();
            let rel = ((exp_neg(z) as f64 - exact) / exact).abs();
            assert!(rel < 2e-7 + 1e-7 * z.abs() as f64, "z={z} rel={rel}");
            z += 0.00731;
        }
        assert_eq!(exp_neg(0.0), 1.0);
        assert!(exp_neg(-1e9) >= 0.0 && exp_neg(-1e9) < 1e-37);
    }

    #[test]
    fn soft_clip_is_the_scaled_error_function() {
        let mut x = -8.0f32;
        while x <= 8.0 {
            let exact = erf(PI.sqrt() / 2.0 * x as f64);
            let err = (soft_clip(x) as f64 - exact).abs();
            assert!(err < 1e-6, "x={x} err={err}");
            x += 0.001_37;
        }
        assert_eq!(soft_clip(1e6), 1.0);
        assert_eq!(soft_clip(-1e6), -1.0);
        assert!(soft_clip(0.0).abs() < 1e-7);
    }

    #[test]
    fn curve_is_the_textbook_formula_with_unit_slope() {
        for character in [-1.0f32, -0.3, 0.0, 0.5, 1.0] {
            let curve = Curve::from_character(character);
            assert_eq!(curve.apply(0.0), 0.0);
            let slope = (curve.apply(1e-3) - curve.apply(-1e-3)) as f64 / 2e-3;
            assert!((slope - 1.0).abs() < 1e-3, "character {character}: slope {slope}");
            for x in [-3.0f32, -1.0, -0.2, 0.1, 0.7, 2.5] {
                let expected = reference_curve(x as f64, character as f64);
                let got = curve.apply(x) as f64;
                assert!((got - expected).abs() < 2e-6, "character {character} x {x}: {got} vs {expected}");
            }
        }
    }

    /// The table, between and on its grid points, equals the RMS ratio computed from the f64
    /// textbook curve (dense sampling, independent of the table's own 128-point sum).
    #[test]
    fn compensation_restores_reference_rms() {
        let table = CompensationTable::default();
        let amplitude = 10f64.powf(COMPENSATION_REFERENCE_DBFS as f64 / 20.0);
        for drive_db in [0.0f32, 3.0, 7.5, 12.0, 18.3, 24.0] {
            for character in [-1.0f32, -0.44, 0.0, 0.81, 1.0] {
                let a = amplitude * 10f64.powf(drive_db as f64 / 20.0);
                let points = 4000;
                let ys: Vec<f64> = (0..points)
                    .map(|i| reference_curve(a * (2.0 * PI * i as f64 / points as f64).sin(), character as f64))
                    .collect();
                let mean = ys.iter().sum::<f64>() / points as f64;
                let rms = (ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / points as f64).sqrt();
                let expected = amplitude / 2f64.sqrt() / rms;
                let got = table.gain(drive_db, character) as f64;
                let err_db = 20.0 * (got / expected).log10();
                assert!(err_db.abs() < 0.05, "drive {drive_db} character {character}: {err_db:.3} dB");
            }
        }
    }

    /// The block build (AVX2 + FMA where available) and the portable build agree with the
    /// scalar curve.
    #[test]
    fn block_builds_match_the_scalar_curve() {
        let curve = Curve::from_character(0.3);
        let input: Vec<f32> = (0..301).map(|i| (i as f32 - 150.0) * 0.037).collect();
        let (mut l, mut r) = (input.clone(), input.iter().map(|v| -v).collect::<Vec<_>>());
        curve.process(&mut l, &mut r);
        let (mut pl, mut pr) = (input.clone(), input.iter().map(|v| -v).collect::<Vec<_>>());
        curve.process_lanes::<false>(&mut pl, &mut pr);
        for (i, &x) in input.iter().enumerate() {
            for (got, x) in [(l[i], x), (r[i], -x), (pl[i], x), (pr[i], -x)] {
                assert!((got - curve.apply(x)).abs() < 1e-6, "x {x}: {got} vs {}", curve.apply(x));
            }
        }
    }
}
