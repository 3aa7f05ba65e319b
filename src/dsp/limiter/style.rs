//! Limiter styles: named sets of release behaviour (`lim_style`).
//!
//! A style changes only how the gain recovers after the requirement has been met: how fast
//! short peaks release, how strongly peaks feed the sustained reduction, how long sustained
//! reduction takes to recover, and how long the gain is held between recurring peaks. The attack
//! (the S-shaped ramp over the lookahead, flat for the guard around each peak) is the same in
//! every style, for two reasons: the ceiling guarantee rests on it, and a style switch then only
//! changes coefficients of the release envelopes, whose output still goes through the same
//! smoothing, so a switch mid-stream can neither click nor let a peak over. The attack length
//! stays the user's Lookahead control.
//!
//! The styles shape the automatic (program-dependent) release. With Auto Release off the release
//! is the fixed time the user set, in every style.

/// The named limiter styles. `Transparent` is the default and the limiter's original sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimiterStyle {
    /// Clean, steady: short peaks recover at a tenth of the release time, sustained reduction
    /// at the full release time, recurring bass peaks held.
    #[default]
    Transparent,
    /// Transients recover quickly and barely count towards the sustained reduction, so drums
    /// stay in front; bass peaks are still held.
    Punchy,
    /// Loudest: the fastest recovery after peaks, the weakest sustained reduction, and bass
    /// held only from 40 Hz up, so sustained notes below that are allowed to distort (a 30 Hz
    /// sine 6 dB into the ceiling: about 8 % THD).
    Aggressive,
    /// Cleanest: slow, steady recovery, every touch held for 5 ms and bass held down to 10 Hz;
    /// the quietest style, for material that must not be coloured.
    Safe,
}

impl LimiterStyle {
    pub const ALL: [LimiterStyle; 4] =
        [LimiterStyle::Transparent, LimiterStyle::Punchy, LimiterStyle::Aggressive, LimiterStyle::Safe];

    /// The release behaviour this style stands for.
    pub fn shape(self) -> StyleShape {
        match self {
            LimiterStyle::Transparent => StyleShape {
                fast_release_divisor: 10.0,
                sustain_attack_scale: 0.5,
                sustain_release_scale: 1.0,
                max_learnt_hold_ms: 31.25,
                min_hold_ms: 0.0,
                true_peak_margin_db: 0.0,
            },
            LimiterStyle::Punchy => StyleShape {
                fast_release_divisor: 20.0,
                sustain_attack_scale: 2.0,
                sustain_release_scale: 1.0,
                max_learnt_hold_ms: 31.25,
                min_hold_ms: 0.0,
                true_peak_margin_db: 0.06,
            },
            LimiterStyle::Aggressive => StyleShape {
                fast_release_divisor: 40.0,
                sustain_attack_scale: 4.0,
                sustain_release_scale: 0.5,
                max_learnt_hold_ms: 12.5,
                min_hold_ms: 0.0,
                true_peak_margin_db: 0.15,
            },
            LimiterStyle::Safe => StyleShape {
                fast_release_divisor: 4.0,
                sustain_attack_scale: 0.25,
                sustain_release_scale: 1.5,
                max_learnt_hold_ms: 50.0,
                min_hold_ms: 5.0,
                true_peak_margin_db: 0.0,
            },
        }
    }
}

/// The numbers behind a style, all relative to the Release setting (`release_ms`) so the user's
/// release time still scales every style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StyleShape {
    /// Short peaks release with a time constant of `release_ms / fast_release_divisor` (at
    /// least 1 ms): the recovery after an isolated transient.
    pub fast_release_divisor: f32,
    /// The sustained-reduction envelope falls with a time constant of
    /// `release_ms * sustain_attack_scale`: how much a transient counts towards the sustained
    /// reduction (larger = transients are kept apart from it).
    pub sustain_attack_scale: f32,
    /// The sustained-reduction envelope recovers with `release_ms * sustain_release_scale`.
    pub sustain_release_scale: f32,
    /// Peaks recurring within this gap (ms) hold the gain for 17/16 of the gap, so a bass note
    /// whose rectified peaks recur every half period sees a flat gain (no ripple, no harmonic
    /// distortion). A half period of f Hz is 500/f ms: 31.25 ms covers notes from 16 Hz up,
    /// 12.5 ms from 40 Hz, 50 ms from 10 Hz. Longer gaps (kicks, snares) get no learnt hold.
    pub max_learnt_hold_ms: f32,
    /// Every touch holds the gain at least this long (ms) before any release starts.
    pub min_hold_ms: f32,
    /// Added to the detector's true-peak margin (dB, true-peak mode only). A faster release
    /// moves the gain faster between peaks, and a gain that moves within the reconstruction
    /// kernel's span adds inter-sample overshoot the detector did not see; this is the
    /// allowance measured for the style against the independent 16x reference and the BS.1770
    /// meter (`tests/limiter_ceiling.rs`). It costs the style as much loudness, a few
    /// hundredths of a dB.
    pub true_peak_margin_db: f32,
}
