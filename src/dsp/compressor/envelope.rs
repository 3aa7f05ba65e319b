//! Level detection, the static gain computer and the attack/release ballistics of the compressor.
//!
//! Signal flow per channel, the log-domain arrangement with the level detector after the gain
//! computer analysed by Giannoulis, Massberg & Reiss ("Digital Dynamic Range Compressor Design —
//! A Tutorial and Analysis", JAES 60(6), 2012): detector power → level in dB → static gain
//! computer → gain reduction in dB → ballistics in dB → linear gain. Smoothing the gain reduction in dB (not the linear envelope)
//! gives attack and release times that do not depend on the amount of reduction or the ratio,
//! and that can be stated exactly (see [`Ballistics`]).

/// What the level detector measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detector {
    /// Instantaneous sample magnitude: catches every peak; the ballistics alone decide the
    /// response. Attack and release times are exact in this mode.
    Peak,
    /// Mean square over a one-pole window of [`RMS_TIME_CONSTANT_MS`], reported per AES17
    /// (a sine reads its peak level: `10·log10(2·mean square)`), so a steady tone sits at the
    /// same place on the curve in both modes. Slower and rounder, the usual choice for glue on a
    /// master bus, hence the default.
    #[default]
    Rms,
}

/// Time constant of the RMS detector's mean-square one-pole. Its equivalent noise bandwidth,
/// 1/(4τ), equals that of a 2τ = 40 ms rectangular window: long enough that a 40 Hz tone's mean
/// square ripples by only ±10 % (±0.4 dB of level, before the ballistics smooth it further),
/// short enough to follow a mix's phrasing. It adds its own lag to the attack and release of
/// RMS mode (after a +10 dB step the level is within 1 dB of its final value after ~1.5τ).
pub const RMS_TIME_CONSTANT_MS: f32 = 20.0;

/// Power floor (-200 dB) so silence has a finite level.
pub const POWER_FLOOR: f32 = 1e-20;

/// dB per unit of log2(power): 10·log10(2).
pub const DB_PER_LOG2_POWER: f32 = 10.0 * std::f32::consts::LOG10_2;

/// log2(gain) per dB: log2(10)/20.
pub const LOG2_GAIN_PER_DB: f32 = std::f32::consts::LOG2_10 / 20.0;

/// Coefficient `a` of the one-pole `y += a·(x − y)` whose step response reaches 1 − 1/e (63.2 %)
/// of its final change after `time_ms`: a = 1 − exp(−1/(τ·fs)). Computed in f64: at 768 kHz
/// and 3 s the coefficient is 4e-7, which f32 state arithmetic would quantise by several percent.
pub fn one_pole_coef(time_ms: f32, sample_rate: f32) -> f64 {
    let samples = (time_ms as f64 * 1e-3 * sample_rate as f64).max(1e-6);
    1.0 - (-1.0 / samples).exp()
}

/// `max` for finite inputs as one instruction: `f32::max` also has to handle NaN, which costs
/// several more in the per-sample loops. A NaN `a` gives `b`.
#[inline(always)]
pub fn larger(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// Static curve: gain reduction in dB (>= 0) for a level `over_db` above the threshold.
///
/// Giannoulis et al. 2012, eq. (4), with slope = 1 − 1/R and knee width W = 2·`half_knee_db`:
/// - below the knee (over < −W/2): 0;
/// - in the knee (|over| <= W/2): slope·(over + W/2)² / (2W);
/// - above the knee: slope·over.
///
/// The knee branch is written as (over + W/2)²/(4·W/2) with W/2 floored at 1e-6 dB, so a hard
/// knee (W = 0) never divides by zero: there the clamp makes the quadratic exactly 0.
#[inline(always)]
pub fn gain_reduction_db(over_db: f32, half_knee_db: f32, slope: f32) -> f32 {
    let curve = if over_db >= half_knee_db {
        over_db
    } else {
        let k = larger(over_db + half_knee_db, 0.0);
        k * k / (4.0 * larger(half_knee_db, 1e-6))
    };
    slope * curve
}

/// Attack/release ballistics on the gain reduction in dB, for N independent lanes (channels or
/// bands), each with its own coefficients.
///
/// Two stages, in the spirit of the "smooth decoupled" peak detector of Giannoulis et al. 2012,
/// arranged so that each time constant is exact on its own:
/// 1. release stage: follows rises of the target instantly and falls with the release time;
/// 2. attack stage: follows rises of stage 1 with the attack time and falls instantly.
///
/// Definitions (tested through `Compressor::process` with a level step and the Peak detector):
/// - attack time: after an upward step, the gain reduction in dB covers 1 − 1/e (63.2 %) of its
///   change in `attack_ms`;
/// - release time: after a downward step from a steady state, it covers 63.2 % of its change in
///   `release_ms`.
///
/// Stage 1 also holds the peak of a steady tone between its crests (it sags by the release over
/// half a period only), so a Peak-mode sine is compressed by its crest level with little ripple.
/// State in f64 for the same reason as [`one_pole_coef`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ballistics<const N: usize> {
    release_stage_db: [f64; N],
    gain_reduction_db: [f64; N],
}

impl<const N: usize> Default for Ballistics<N> {
    fn default() -> Self {
        Self { release_stage_db: [0.0; N], gain_reduction_db: [0.0; N] }
    }
}

impl<const N: usize> Ballistics<N> {
    /// Starts from a steady reduction (used to hand state over between single and multiband).
    pub fn settled_at(gain_reduction_db: [f32; N]) -> Self {
        let g = gain_reduction_db.map(|g| g.max(0.0) as f64);
        Self { release_stage_db: g, gain_reduction_db: g }
    }

    /// One sample: `attack` and `release` are [`one_pole_coef`]s per lane.
    #[inline(always)]
    pub fn tick(&mut self, target_db: [f32; N], attack: &[f64; N], release: &[f64; N]) -> [f32; N] {
        let mut out = [0.0; N];
        for l in 0..N {
            let target = target_db[l] as f64;
            let r = self.release_stage_db[l];
            let released = r + release[l] * (target - r);
            let stage1 = if released > target { released } else { target };
            self.release_stage_db[l] = stage1;
            // Branch-free `if stage1 > g { g + attack·(stage1 − g) } else { stage1 }`: a branch
            // would be unpredictable whenever the reduction ripples.
            let rise = stage1 - self.gain_reduction_db[l];
            let rise = if rise > 0.0 { rise } else { 0.0 };
            self.gain_reduction_db[l] = stage1 - (1.0 - attack[l]) * rise;
            out[l] = self.gain_reduction_db[l] as f32;
        }
        out
    }

    /// True when every lane holds the same state, bit for bit.
    pub fn lanes_equal(&self) -> bool {
        let same = |v: &[f64; N]| v.iter().all(|&x| x == v[0]);
        same(&self.release_stage_db) && same(&self.gain_reduction_db)
    }

    pub fn gain_reduction_db(&self) -> [f32; N] {
        self.gain_reduction_db.map(|g| g as f32)
    }

    /// Zeroes fully released lanes so the exponential tail never turns denormal.
    pub fn flush_denormals(&mut self) {
        for l in 0..N {
            if self.release_stage_db[l] < 1e-12 {
                (self.release_stage_db[l], self.gain_reduction_db[l]) = (0.0, 0.0);
            }
        }
    }
}

/// 2^x for x in [-126, 0] (NaN reads as -126), relative error below 1e-6. Same series as
/// `math::fast_exp2`, but with no float-to-int conversion: `f32::floor` is a libm call on
/// baseline x86-64 (no SSE4.1) and Rust's saturating `as i32` needs fix-up code; either can
/// stop this from vectorising in the gain loops. Adding 1.5·2^23 rounds x to an integer that
/// then sits in the low mantissa bits, giving both the integer part and its bits.
#[inline(always)]
pub fn exp2_nonpositive(x: f32) -> f32 {
    const ROUNDER: f32 = 12_582_912.0; // 1.5·2^23
    let x = larger(x, -126.0); // also turns NaN into -126
    let x = if x < 0.0 { x } else { 0.0 };
    let shifted = x + ROUNDER;
    let nearest = shifted - ROUNDER;
    let nearest_int = shifted.to_bits().wrapping_sub(ROUNDER.to_bits()) as i32;
    let (floor, floor_int) = if nearest > x { (nearest - 1.0, nearest_int - 1) } else { (nearest, nearest_int) };
    let y = (x - floor) * std::f32::consts::LN_2; // [0, ln 2)
    let p = 1.0
        + y * (1.0
            + y * (0.5
                + y * (1.0 / 6.0 + y * (1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0 + y * (1.0 / 5040.0)))))));
    p * f32::from_bits(((floor_int + 127) as u32) << 23)
}
