//! The first-order filters that follow the saturation curve: a DC blocker (a biased curve makes
//! DC) and a tilt EQ (the "tone" control), run together in one stereo pass ([`PostFilter`]) with
//! coefficients from the actual sample rate.

/// Pivot of the tilt: the level at 1 kHz never changes, so tone moves the balance of lows against
/// highs without moving the perceived loudness much.
pub const TILT_PIVOT_HZ: f32 = 1000.0;

/// DC blocker corner: low enough to leave 20 Hz within 0.27 dB and 30 Hz within 10 degrees of
/// phase (so a partial dry/wet mix does not thin the bass), high enough to settle the DC of a
/// biased curve within a few hundred milliseconds (time constant 32 ms).
pub const DC_BLOCK_HZ: f32 = 5.0;

/// DC-blocker states below this are flushed to zero between blocks, so a decaying tail never
/// reaches the subnormal range: its pole is above 0.996 at any rate from 8 kHz, so a state that
/// passes this check loses less than a factor of 2 before the next 64-sample block.
const FLUSH_BELOW: f32 = 1e-20;

/// Added to every tilt output: the tilt's pole can be as small as 0.26 (8 kHz, +6 dB), fast
/// enough to fall from 1e-20 to a subnormal inside one block once its input is exactly zero; this
/// offset (-340 dBFS) keeps its state normal without a per-sample branch on the recursion.
const ANTI_SUBNORMAL: f32 = 1e-17;

/// First-order tilt coefficients (direct form I).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TiltCoefs {
    b0: f32,
    b1: f32,
    a1: f32,
}

impl TiltCoefs {
    /// `tilt_db` is the total tilt: highs at `+tilt_db / 2`, lows at `-tilt_db / 2`, 0 dB at the
    /// pivot. Analog prototype `H(s) = (sqrt(g) s/w0 + 1) / (s/w0 + sqrt(g))`, `g = 10^(tilt/20)`
    /// (|H| = 1/sqrt(g) at DC, sqrt(g) at infinity, exactly 1 at w0), mapped by the bilinear
    /// transform prewarped at the pivot: `s/w0 = (1/k)(1 - z^-1)/(1 + z^-1)`, `k = tan(pi f0/fs)`.
    /// At 0 dB, b0 = 1 and b1 = a1: the identity.
    pub fn new(tilt_db: f32, prewarp_k: f32) -> Self {
        let root_g = crate::dsp::util::math::db_to_gain(0.5 * tilt_db);
        let k = prewarp_k;
        let a0 = 1.0 + k * root_g;
        Self { b0: (root_g + k) / a0, b1: (k - root_g) / a0, a1: (k * root_g - 1.0) / a0 }
    }

    /// `tan(pi f0 / fs)` for the pivot, kept below the Nyquist singularity at very low rates.
    pub fn prewarp(sample_rate: f32) -> f32 {
        let f0 = TILT_PIVOT_HZ.min(0.45 * sample_rate);
        (std::f32::consts::PI * f0 / sample_rate).tan()
    }
}

/// Tilt coefficients for a block: fixed, or one set per sample while the tone control moves.
pub enum TiltBlock<'a> {
    Fixed(TiltCoefs),
    PerSample(&'a [TiltCoefs]),
}

/// Stereo DC blocker, gain and tilt in one pass. The DC blocker is
/// `H(z) = (1 - z^-1) / (1 - R z^-1)`, `R = exp(-2 pi fc / fs)` (the pole of the one-pole
/// high-pass whose impulse response decays with time constant 1/(2 pi fc)). Both recursions are
/// in direct form I, so each sample's critical path is one multiply and one add, and the two
/// filters' recursions overlap in one loop.
#[derive(Debug, Clone)]
pub struct PostFilter {
    pole: f32,
    /// Per channel: DC blocker input and output, tilt input and output, one sample back.
    state: [[f32; 4]; 2],
}

impl PostFilter {
    pub fn new(sample_rate: f32) -> Self {
        let pole = (-2.0 * std::f64::consts::PI * DC_BLOCK_HZ as f64 / sample_rate as f64).exp() as f32;
        Self { pole, state: [[0.0; 4]; 2] }
    }

    pub fn reset(&mut self) {
        self.state = [[0.0; 4]; 2];
    }

    /// `y = tilt(gain[i] * dc_block(x))`, in place; `gain` holds one value per sample.
    pub fn process(&mut self, tilt: &TiltBlock, gain: &[f32], left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len()).min(gain.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        match tilt {
            TiltBlock::Fixed(coefs) => self.run(|_| *coefs, gain, left, right),
            TiltBlock::PerSample(per_sample) => {
                self.run(|i| per_sample[i.min(per_sample.len() - 1)], gain, left, right)
            }
        }
        for v in self.state.iter_mut().flat_map(|s| &mut s[..2]) {
            if v.abs() < FLUSH_BELOW {
                *v = 0.0;
            }
        }
    }

    #[inline(always)]
    fn run(&mut self, coefs_at: impl Fn(usize) -> TiltCoefs, gain: &[f32], left: &mut [f32], right: &mut [f32]) {
        let pole = self.pole;
        let [mut sl, mut sr] = self.state;
        for (i, ((l, r), &g)) in left.iter_mut().zip(right.iter_mut()).zip(gain).enumerate() {
            let c = coefs_at(i);
            for (x, s) in [(l, &mut sl), (r, &mut sr)] {
                let dc = (*x - s[0]) + pole * s[1];
                s[0] = *x;
                s[1] = dc;
                let v = dc * g;
                let y = (c.b0 * v + c.b1 * s[2] + ANTI_SUBNORMAL) - c.a1 * s[3];
                s[2] = v;
                s[3] = y;
                *x = y;
            }
        }
        self.state = [sl, sr];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Amplitude of the `freq` (cycles/sample) component of `y`, by a least-squares fit of
    /// `a sin + b cos` (exact for any window length, no whole-cycle requirement).
    pub(crate) fn sine_amplitude(y: &[f64], freq: f64, start: usize) -> f64 {
        let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, &v) in y.iter().enumerate() {
            let w = 2.0 * PI * freq * (start + i) as f64;
            let (s, c) = w.sin_cos();
            ss += s * s;
            cc += c * c;
            sc += s * c;
            ys += v * s;
            yc += v * c;
        }
        let det = ss * cc - sc * sc;
        let a = (ys * cc - yc * sc) / det;
        let b = (yc * ss - ys * sc) / det;
        (a * a + b * b).sqrt()
    }

    /// Steady-state gain of a PostFilter (unit gain) at `freq_hz`, from the second half of
    /// `seconds` of a sine.
    fn measure(fs: f32, tilt_db: f32, freq_hz: f64, seconds: f64) -> f64 {
        let mut filter = PostFilter::new(fs);
        let coefs = TiltBlock::Fixed(TiltCoefs::new(tilt_db, TiltCoefs::prewarp(fs)));
        let len = (seconds * fs as f64) as usize;
        let f = freq_hz / fs as f64;
        let mut y: Vec<f64> = Vec::with_capacity(len);
        let mut i = 0;
        while i < len {
            let n = (len - i).min(64);
            let mut l: Vec<f32> = (i..i + n).map(|k| (2.0 * PI * f * k as f64).sin() as f32).collect();
            let mut r = l.clone();
            filter.process(&coefs, &[1.0; 64][..n], &mut l, &mut r);
            assert_eq!(l, r);
            y.extend(l.iter().map(|&v| v as f64));
            i += n;
        }
        sine_amplitude(&y[len / 2..], f, len / 2)
    }

    /// |H| of the DC blocker from its definition, (1 - z^-1)/(1 - R z^-1) on the unit circle.
    fn dc_blocker_gain(fs: f64, freq_hz: f64) -> f64 {
        let r = (-2.0 * PI * 5.0 / fs).exp();
        let w = 2.0 * PI * freq_hz / fs;
        let num = ((1.0 - w.cos()).powi(2) + w.sin().powi(2)).sqrt();
        let den = ((1.0 - r * w.cos()).powi(2) + (r * w.sin()).powi(2)).sqrt();
        num / den
    }

    /// Measured sine gain equals the analog tilt prototype evaluated at the bilinear-warped
    /// frequency, times the DC blocker's response.
    #[test]
    fn tilt_matches_prototype() {
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            for tilt_db in [-6.0f32, -2.5, 0.0, 3.0, 6.0] {
                for freq_hz in [30.0, 300.0, 1000.0, 3000.0, 15_000.0] {
                    let got = measure(fs, tilt_db, freq_hz, 1.0);
                    let omega = (PI * freq_hz / fs as f64).tan() / (PI * 1000.0 / fs as f64).tan();
                    let root_g = 10f64.powf(tilt_db as f64 / 40.0);
                    let tilt = ((root_g * omega).powi(2) + 1.0).sqrt() / (omega * omega + root_g * root_g).sqrt();
                    let expected = tilt * dc_blocker_gain(fs as f64, freq_hz);
                    let err_db = 20.0 * (got / expected).log10();
                    assert!(err_db.abs() < 0.01, "fs {fs} tilt {tilt_db} f {freq_hz}: {err_db:.4} dB");
                }
            }
        }
    }

    #[test]
    fn dc_blocker_corner_and_rejection() {
        for fs in [44_100.0f32, 48_000.0, 192_000.0] {
            // The one-pole high-pass |H| = f / sqrt(f^2 + fc^2) (fc << fs): -3 dB at 5 Hz.
            for freq_hz in [5.0, 20.0, 100.0] {
                let got = measure(fs, 0.0, freq_hz, 4.0);
                let expected = freq_hz / (freq_hz * freq_hz + 25.0f64).sqrt();
                assert!((20.0 * (got / expected).log10()).abs() < 0.05, "fs {fs} f {freq_hz}: {got} vs {expected}");
            }
            // A DC step decays with time constant 1/(2 pi 5 Hz): below 1e-4 after 9.2 of them.
            let mut filter = PostFilter::new(fs);
            let settle = (9.3 * fs as f64 / (2.0 * PI * 5.0)) as usize;
            let (mut l, mut r) = ([1.0f32; 64], [-1.0f32; 64]);
            for _ in 0..settle.div_ceil(64) {
                (l, r) = ([1.0; 64], [-1.0; 64]);
                filter.process(&TiltBlock::Fixed(TiltCoefs::new(0.0, 0.1)), &[1.0; 64], &mut l, &mut r);
            }
            assert!(l[63].abs() < 1e-4 && r[63].abs() < 1e-4, "fs {fs}: {} {}", l[63], r[63]);
        }
    }

    /// After a loud impulse and a long silence, no output or state is ever subnormal, at the
    /// slowest (DC blocker at 768 kHz) and fastest (tilt at 8 kHz, +6 dB) decays.
    #[test]
    fn silent_tails_never_go_subnormal() {
        for (fs, tilt_db) in [(8_000.0f32, 6.0f32), (8_000.0, -6.0), (768_000.0, 6.0)] {
            let mut filter = PostFilter::new(fs);
            let coefs = TiltBlock::Fixed(TiltCoefs::new(tilt_db, TiltCoefs::prewarp(fs)));
            let (mut l, mut r) = ([0.0f32; 64], [0.0f32; 64]);
            l[0] = 1000.0;
            r[0] = -1000.0;
            for _ in 0..100_000 {
                filter.process(&coefs, &[1.0; 64], &mut l, &mut r);
                for v in l.iter().chain(&r).chain(filter.state.iter().flatten()) {
                    assert!(*v == 0.0 || v.is_normal(), "fs {fs} tilt {tilt_db}: {v:e}");
                }
                (l, r) = ([0.0; 64], [0.0; 64]);
            }
        }
    }
}
