//! K-weighting of ITU-R BS.1770-4 (Annex 1): a high-frequency shelf (the acoustic effect of the
//! head) followed by the "RLB" high-pass, derived for the actual sample rate.
//!
//! The standard only tabulates the two biquads at 48 kHz and asks other rates to realise the same
//! response. We rebuild them from analog prototypes (the widely used figures of libebur128, listed
//! in `shared/reference/loudness-standards.md`) with the bilinear transform prewarped at each
//! prototype's corner frequency. At 48 kHz this reproduces the published table to ~1e-14; from
//! 44.1 to 192 kHz the response stays within 0.01 dB of the 48 kHz table's from 20 Hz to 20 kHz
//! (tested). Below 44.1 kHz the shelf (1.68 kHz) sits close enough to Nyquist that warping shows:
//! 0.02 dB at 1 kHz for 22.05 kHz, 0.2 dB for 8 kHz.
//!
//! The published high-pass keeps `b = [1, -2, 1]` unnormalised, so at 48 kHz its pass-band gain is
//! `1 + K/Q + K^2` (about +0.043 dB) and the -0.691 dB loudness offset compensates that too. We
//! keep exactly that pass-band gain at every rate (instead of letting it drift with K as a naive
//! port would: +0.047 dB at 44.1 kHz, +0.26 dB at 8 kHz), so a 997 Hz tone reads the same
//! loudness at every rate.
//!
//! Filter states are f64: the high-pass corner is at 0.0008 fs at 48 kHz (0.0002 fs at 192 kHz),
//! where f32 direct-form states would add audible-level noise to a -70 LUFS gate decision.

use crate::dsp::simd::F64x2;
use std::f64::consts::PI;

/// BS.1770-4 eq. (2): L = -0.691 + 10 log10(sum G_i z_i). The offset makes a 997 Hz sine read its
/// RMS level, i.e. it cancels the K-weighting gain at 997 Hz.
pub const LOUDNESS_OFFSET_DB: f64 = -0.691;

/// Shelf prototype (libebur128's fit of the BS.1770 table): corner, Q, high-frequency gain and the
/// exponent that places the shelf's mid-point.
const SHELF_FREQ_HZ: f64 = 1681.974450955533;
const SHELF_Q: f64 = 0.7071752369554196;
const SHELF_GAIN_DB: f64 = 3.999843853973347;
const SHELF_MID_EXPONENT: f64 = 0.4996667741545416;
/// RLB high-pass prototype.
const HIGHPASS_FREQ_HZ: f64 = 38.13547087602444;
const HIGHPASS_Q: f64 = 0.5003270373238773;
/// The sample rate at which BS.1770 tabulates the filters (the reference for the pass-band gain).
const TABLE_RATE_HZ: f64 = 48_000.0;

/// States below this are flushed to zero (about -3000 dB): far below anything a meter can show,
/// and far above the f64 denormal range (1e-308), so a silent tail never goes denormal.
const TINY_STATE: f64 = 1e-150;

/// One biquad, `a0` normalised to 1 (H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiquadCoefficients {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

/// Sample rates are clamped to the range the chain supports; a non-finite rate falls back to 48 kHz
/// so a bad host value cannot produce NaN coefficients.
pub fn sanitize_sample_rate(sample_rate: f64) -> f64 {
    if sample_rate.is_finite() {
        sample_rate.clamp(8_000.0, 768_000.0)
    } else {
        TABLE_RATE_HZ
    }
}

/// Stage 1: second-order high shelf, bilinear transform of
/// H(s) = (Vh s^2 + (Vb/Q) s + 1) / (s^2 + s/Q + 1), s normalised to the corner.
pub fn shelf_coefficients(sample_rate: f64) -> BiquadCoefficients {
    let k = (PI * SHELF_FREQ_HZ / sanitize_sample_rate(sample_rate)).tan();
    let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
    let vb = vh.powf(SHELF_MID_EXPONENT);
    let a0 = 1.0 + k / SHELF_Q + k * k;
    BiquadCoefficients {
        b0: (vh + vb * k / SHELF_Q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / SHELF_Q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / SHELF_Q + k * k) / a0,
    }
}

/// Stage 2: second-order high-pass, bilinear transform of g s^2 / (s^2 + s/Q + 1), with the
/// pass-band gain g that the 48 kHz table carries (see the module doc).
pub fn highpass_coefficients(sample_rate: f64) -> BiquadCoefficients {
    let denominator = |k: f64| 1.0 + k / HIGHPASS_Q + k * k;
    let k = (PI * HIGHPASS_FREQ_HZ / sanitize_sample_rate(sample_rate)).tan();
    let k_table = (PI * HIGHPASS_FREQ_HZ / TABLE_RATE_HZ).tan();
    let a0 = denominator(k);
    let g = denominator(k_table) / a0;
    BiquadCoefficients {
        b0: g,
        b1: -2.0 * g,
        b2: g,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / HIGHPASS_Q + k * k) / a0,
    }
}

/// Direct form I state of one biquad: its last two inputs and outputs. Direct form I because its
/// recursion is the shortest: every term but `a1 y[n-1]` is summed before the previous output is
/// needed, so each sample waits on one multiply and one subtract (transposed direct form II
/// chains an add, a multiply and a subtract). With f64 states its rounding noise is far below
/// anything a meter shows, whatever the form.
#[derive(Debug, Clone, Copy, Default)]
struct BiquadState {
    x1: f64,
    x2: f64,
    y1: f64,
    y2: f64,
}

impl BiquadState {
    /// `stereo_energy` performs the same operations in the same order.
    #[inline]
    fn tick(&mut self, c: &BiquadCoefficients, x: f64) -> f64 {
        let partial = ((c.b0 * x + c.b1 * self.x1) + c.b2 * self.x2) - c.a2 * self.y2;
        let y = partial - c.a1 * self.y1;
        (self.x2, self.x1, self.y2, self.y1) = (self.x1, x, self.y1, y);
        y
    }

    fn flush_tiny(&mut self) {
        for v in [&mut self.x1, &mut self.x2, &mut self.y1, &mut self.y2] {
            if v.abs() < TINY_STATE {
                *v = 0.0;
            }
        }
    }
}

/// The K-weighting filter of one channel.
#[derive(Debug, Clone)]
pub struct KWeighting {
    shelf: BiquadCoefficients,
    highpass: BiquadCoefficients,
    shelf_state: BiquadState,
    highpass_state: BiquadState,
}

impl KWeighting {
    pub fn new(sample_rate: f32) -> Self {
        Self {
            shelf: shelf_coefficients(sample_rate as f64),
            highpass: highpass_coefficients(sample_rate as f64),
            shelf_state: BiquadState::default(),
            highpass_state: BiquadState::default(),
        }
    }

    pub fn reset(&mut self) {
        self.shelf_state = BiquadState::default();
        self.highpass_state = BiquadState::default();
    }

    /// Input must be finite (the meter sanitises it); the output is then finite too, since both
    /// stages are stable.
    #[inline]
    pub fn process(&mut self, x: f64) -> f64 {
        let shelved = self.shelf_state.tick(&self.shelf, x);
        self.highpass_state.tick(&self.highpass, shelved)
    }

    /// Sum of the squared outputs over `samples` (finite, as for [`process`](Self::process)).
    pub fn energy(&mut self, samples: &[f32]) -> f64 {
        samples.iter().fold(0.0, |energy, &x| {
            let y = self.process(x as f64);
            energy + y * y
        })
    }

    /// Call now and then (the meter does it every sub-block): zeroes decayed states before they
    /// can become denormal and slow a silent tail down.
    pub fn flush_tiny_states(&mut self) {
        self.shelf_state.flush_tiny();
        self.highpass_state.flush_tiny();
    }
}

/// Sum over both channels of the squared K-weighted outputs (`filters[0]` on `left`,
/// `filters[1]` on `right`, the shorter length). The same arithmetic as [`KWeighting::process`]
/// per channel, run on both channels at once on two f64 lanes (each lane gives bit for bit what
/// the scalar filter gives); only the order of the energy sum differs.
pub fn stereo_energy(filters: &mut [KWeighting; 2], left: &[f32], right: &[f32]) -> f64 {
    let [f0, f1] = &mut *filters;
    let pair = F64x2::new;
    let coefs = |c0: &BiquadCoefficients, c1: &BiquadCoefficients| {
        [pair(c0.b0, c1.b0), pair(c0.b1, c1.b1), pair(c0.b2, c1.b2), pair(c0.a1, c1.a1), pair(c0.a2, c1.a2)]
    };
    let stages = [coefs(&f0.shelf, &f1.shelf), coefs(&f0.highpass, &f1.highpass)];
    let state = |s0: &BiquadState, s1: &BiquadState| {
        [pair(s0.x1, s1.x1), pair(s0.x2, s1.x2), pair(s0.y1, s1.y1), pair(s0.y2, s1.y2)]
    };
    let mut states = [state(&f0.shelf_state, &f1.shelf_state), state(&f0.highpass_state, &f1.highpass_state)];
    let mut energy = pair(0.0, 0.0);
    for (&l, &r) in left.iter().zip(right) {
        let mut v = pair(l as f64, r as f64);
        // BiquadState::tick, shelf then high-pass.
        for ([b0, b1, b2, a1, a2], [x1, x2, y1, y2]) in stages.iter().zip(states.iter_mut()) {
            let feed = *b0 * v + *b1 * *x1 + *b2 * *x2;
            let partial = feed - *a2 * *y2;
            let y = partial - *a1 * *y1;
            (*x2, *x1, *y2, *y1) = (*x1, v, *y1, y);
            v = y;
        }
        energy = energy + v * v;
    }
    let [shelf, highpass] = states;
    for (lanes_of, (s0, s1)) in [shelf, highpass]
        .iter()
        .zip([(&mut f0.shelf_state, &mut f1.shelf_state), (&mut f0.highpass_state, &mut f1.highpass_state)])
    {
        let [x1, x2, y1, y2] = lanes_of.map(F64x2::to_array);
        (s0.x1, s1.x1) = (x1[0], x1[1]);
        (s0.x2, s1.x2) = (x2[0], x2[1]);
        (s0.y1, s1.y1) = (y1[0], y1[1]);
        (s0.y2, s1.y2) = (y2[0], y2[1]);
    }
    let [e0, e1] = energy.to_array();
    e0 + e1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BS.1770-4 Annex 1, Tables 1 and 2 (48 kHz).
    const TABLE_SHELF: BiquadCoefficients = BiquadCoefficients {
        b0: 1.53512485958697,
        b1: -2.69169618940638,
        b2: 1.19839281085285,
        a1: -1.69065929318241,
        a2: 0.73248077421585,
    };
    const TABLE_HIGHPASS: BiquadCoefficients =
        BiquadCoefficients { b0: 1.0, b1: -2.0, b2: 1.0, a1: -1.99004745483398, a2: 0.99007225036621 };

    fn assert_close(a: &BiquadCoefficients, b: &BiquadCoefficients, tol: f64) {
        let pairs = [(a.b0, b.b0), (a.b1, b.b1), (a.b2, b.b2), (a.a1, b.a1), (a.a2, b.a2)];
        for (x, y) in pairs {
            assert!((x - y).abs() < tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn coefficients_at_48k_reproduce_the_bs1770_table() {
        assert_close(&shelf_coefficients(48_000.0), &TABLE_SHELF, 1e-8);
        assert_close(&highpass_coefficients(48_000.0), &TABLE_HIGHPASS, 1e-8);
    }

    /// |H(e^jw)| of the published 48 kHz cascade at `freq_hz`, evaluated in the test.
    fn table_response_db(freq_hz: f64) -> f64 {
        let w = 2.0 * PI * freq_hz / 48_000.0;
        let biquad = |c: &BiquadCoefficients| {
            // Numerator and denominator as complex numbers (re, im) at z^-1 = e^-jw.
            let (c1, s1, c2, s2) = (w.cos(), -w.sin(), (2.0 * w).cos(), -(2.0 * w).sin());
            let num = (c.b0 + c.b1 * c1 + c.b2 * c2, c.b1 * s1 + c.b2 * s2);
            let den = (1.0 + c.a1 * c1 + c.a2 * c2, c.a1 * s1 + c.a2 * s2);
            ((num.0 * num.0 + num.1 * num.1) / (den.0 * den.0 + den.1 * den.1)).sqrt()
        };
        20.0 * (biquad(&TABLE_SHELF) * biquad(&TABLE_HIGHPASS)).log10()
    }

    /// Measured gain of the filter: drive it with cos and sin of the same frequency; once the
    /// transient has decayed, sqrt(y_cos^2 + y_sin^2) is exactly |H| at every sample.
    fn measured_response_db(sample_rate: f32, freq_hz: f64) -> f64 {
        let mut with_cos = KWeighting::new(sample_rate);
        let mut with_sin = KWeighting::new(sample_rate);
        let w = 2.0 * PI * freq_hz / sample_rate as f64;
        let settle = (sample_rate as usize) / 2; // >20 time constants of the 38 Hz high-pass
        let mut worst = (f64::MAX, f64::MIN);
        for n in 0..settle + 256 {
            let yc = with_cos.process((w * n as f64).cos());
            let ys = with_sin.process((w * n as f64).sin());
            if n >= settle {
                let m = (yc * yc + ys * ys).sqrt();
                worst = (worst.0.min(m), worst.1.max(m));
            }
        }
        assert!((worst.1 / worst.0 - 1.0) < 1e-6, "not settled: {worst:?}");
        20.0 * worst.0.log10()
    }

    #[test]
    fn response_at_every_rate_matches_the_48k_table_within_a_hundredth_of_a_db() {
        let freqs = [
            20.0, 30.0, 50.0, 100.0, 200.0, 500.0, 997.0, 1500.0, 2000.0, 3000.0, 5000.0, 8000.0, 12000.0, 16000.0,
            20000.0,
        ];
        for sr in [44_100.0f32, 48_000.0, 88_200.0, 96_000.0, 192_000.0] {
            for &f in &freqs {
                let err = measured_response_db(sr, f) - table_response_db(f);
                assert!(err.abs() < 0.01, "sr={sr} f={f}: {err} dB");
            }
        }
    }

    #[test]
    fn gain_at_997_hz_is_what_the_loudness_offset_cancels() {
        // BS.1770-4: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS, i.e.
        // -0.691 + 10 log10(0.5) + gain_997 = -3.0103 => gain_997 = +0.691 dB (to the table's 3 digits).
        for sr in [44_100.0f32, 48_000.0, 96_000.0, 192_000.0] {
            let gain = measured_response_db(sr, 997.0);
            assert!((gain + LOUDNESS_OFFSET_DB).abs() < 0.006, "sr={sr}: {gain}");
        }
    }

    #[test]
    fn low_rates_and_hostile_rates_stay_finite() {
        for sr in [8_000.0f32, 11_025.0, 22_050.0, 768_000.0, 0.0, -5.0, f32::NAN] {
            let mut k = KWeighting::new(sr);
            let mut peak = 0.0f64;
            for n in 0..20_000 {
                let x = if n % 2 == 0 { 1000.0 } else { -1000.0 };
                peak = peak.max(k.process(x).abs());
            }
            assert!(peak.is_finite() && peak < 1e5, "sr={sr} peak={peak}");
        }
        // The 8 kHz shelf is visibly warped, but the 1 kHz loudness stays within 0.25 dB.
        let gain = measured_response_db(8_000.0, 997.0);
        assert!((gain + LOUDNESS_OFFSET_DB).abs() < 0.25, "{gain}");
    }

    /// Both channels at once give what each channel's own filter gives, bit for bit.
    #[test]
    fn stereo_energy_equals_the_scalar_filters() {
        let mut rng = crate::dsp::util::rng::XorShift32::new(21);
        let left: Vec<f32> = (0..3000).map(|_| rng.next_centered()).collect();
        let right: Vec<f32> = (0..3000).map(|_| 0.3 * rng.next_centered()).collect();
        let mut pair = [KWeighting::new(44_100.0), KWeighting::new(44_100.0)];
        let mut single = [KWeighting::new(44_100.0), KWeighting::new(44_100.0)];
        for (l, r) in left.chunks(480).zip(right.chunks(480)) {
            let energy = stereo_energy(&mut pair, l, r);
            let expected = single[0].energy(l) + single[1].energy(r);
            assert!((energy - expected).abs() <= 1e-12 * expected, "{energy} vs {expected}");
        }
        assert_eq!(pair[0].process(0.25), single[0].process(0.25));
        assert_eq!(pair[1].process(-0.5), single[1].process(-0.5));
    }

    #[test]
    fn silent_tail_is_flushed_to_exact_zero() {
        let mut k = KWeighting::new(48_000.0);
        k.process(1.0);
        let mut last = 1.0;
        for _ in 0..200 {
            for _ in 0..480 {
                last = k.process(0.0);
            }
            k.flush_tiny_states();
        }
        assert_eq!(last, 0.0);
        assert_eq!(k.process(0.0), 0.0);
    }
}
