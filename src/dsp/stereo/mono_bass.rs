//! Mono bass: removes the side signal below a split frequency.
//!
//! The side goes through a Linkwitz–Riley high-pass (LR4: two Butterworth sections,
//! 24 dB/oct). Phase choice: LR4 low-pass + LR4 high-pass sum to the 2nd-order all-pass
//! (s² - √2·s + 1)/(s² + √2·s + 1), and the mid runs through exactly that all-pass. Mid and the
//! remaining side then share one phase response, so above the split L and R keep their exact
//! relation (same phase rotation on both, no comb effects between them, no latency). A
//! linear-phase split would need a long FIR and its latency for nothing audible at 20–300 Hz.

use crate::dsp::filter::linkwitz_riley::{Lr4Coefs, Lr4Split};
use crate::dsp::util::smoother::LinearSmoother;

const SMOOTHING_MS: f32 = 20.0;

/// Lanes of the split: the side is high-passed, the mid takes the all-pass.
const SIDE: usize = 0;
const MID: usize = 1;

pub struct MonoBass {
    sample_rate: f32,
    log2_split_hz: LinearSmoother,
    /// 0 = off, 1 = on: crossfades the filtered mid/side in and out.
    mix: LinearSmoother,
    coefs: Lr4Coefs,
    /// One LR4 split over [side, mid] (the crate's shared split, as in the crossover).
    split: Lr4Split<2>,
}

impl MonoBass {
    pub fn new(sample_rate: f32, split_hz: f32) -> Self {
        let mut m = Self {
            sample_rate,
            log2_split_hz: LinearSmoother::new(sample_rate, SMOOTHING_MS, split_hz.log2()),
            mix: LinearSmoother::new(sample_rate, SMOOTHING_MS, 0.0),
            coefs: Lr4Coefs::default(),
            split: Lr4Split::default(),
        };
        m.update_split();
        m
    }

    /// `split_hz` is clamped to 20..300 Hz (and below 0.45·fs).
    pub fn set(&mut self, on: bool, split_hz: f32) {
        let hz = if split_hz.is_finite() { split_hz } else { 120.0 };
        self.log2_split_hz.set_target(hz.clamp(20.0, 300.0).min(0.45 * self.sample_rate).log2());
        self.mix.set_target(if on { 1.0 } else { 0.0 });
    }

    pub fn reset(&mut self) {
        self.log2_split_hz.reset(self.log2_split_hz.target());
        self.mix.reset(self.mix.target());
        self.update_split();
        self.split.reset();
    }

    /// Off and settled: the stage may skip it.
    pub fn is_off(&self) -> bool {
        self.mix.current() == 0.0 && self.mix.target() == 0.0
    }

    fn update_split(&mut self) {
        self.coefs = Lr4Coefs::new(self.log2_split_hz.current().exp2(), self.sample_rate);
    }

    /// One sample of (mid, side).
    #[inline]
    pub fn tick(&mut self, mid: f32, side: f32) -> (f32, f32) {
        let amount = self.mix.next();
        if self.is_off() {
            return (mid, side);
        }
        if self.log2_split_hz.is_smoothing() {
            self.log2_split_hz.next();
            self.update_split();
        }
        let mut x = [0.0; 2];
        (x[SIDE], x[MID]) = (side, mid);
        let bands = self.split.tick(&self.coefs, x);
        let (high, all) = (bands.high[SIDE], bands.allpass[MID]);
        (mid + amount * (all - mid), side + amount * (high - side))
    }

    /// Once per chunk: drops the states while off (so it restarts clean) or if poisoned.
    pub fn end_chunk(&mut self) {
        if self.is_off() {
            if self.log2_split_hz.is_smoothing() {
                self.log2_split_hz.reset(self.log2_split_hz.target());
                self.update_split();
            }
            // Cleared states stay clear while off (`tick` leaves them alone): nothing to check.
            self.split.reset();
            return;
        }
        if !self.split.recover() {
            self.split.flush_denormals();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::util::test_signals::{amplitude, sine};

    /// Level (dB) of a 0.5-amplitude sine fed as side (or mid) only, after 0.5 s settling.
    fn level_db(freq: f64, side: bool, split_hz: f32) -> f64 {
        let fs = 48_000.0;
        let mut m = MonoBass::new(fs as f32, split_hz);
        m.set(true, split_hz);
        m.reset();
        let x = sine(freq, 0.5, fs, 72_000, 0.0);
        let y: Vec<f32> = x
            .iter()
            .map(|&v| {
                let (mid, s) = if side { m.tick(0.0, v) } else { m.tick(v, 0.0) };
                if side {
                    s
                } else {
                    mid
                }
            })
            .collect();
        20.0 * (amplitude(&y[24_000..], freq, fs) / 0.5).log10()
    }

    #[test]
    fn removes_side_below_the_split_and_keeps_the_rest() {
        // LR4 high-pass, analog: |H| = r⁴/(1 + r⁴), r = f/fc.
        let lr4_db = |f: f64| 20.0 * ((f / 120.0).powi(4) / (1.0 + (f / 120.0).powi(4))).log10();
        let side40 = level_db(40.0, true, 120.0);
        println!("side at 40 Hz: {side40:.2} dB (LR4 analog {:.2})", lr4_db(40.0));
        assert!(side40 <= -30.0);
        assert!((side40 - lr4_db(40.0)).abs() < 0.1);
        for f in [1000.0, 2000.0, 5000.0, 15_000.0] {
            let db = level_db(f, true, 120.0);
            assert!(db.abs() < 0.1, "side at {f} Hz: {db}");
        }
        // The mid only turns phase (all-pass): its level is untouched everywhere.
        for f in [40.0, 120.0, 1000.0] {
            let db = level_db(f, false, 120.0);
            assert!(db.abs() < 0.01, "mid at {f} Hz: {db}");
        }
    }
    /// Against double precision: the side's LR4 high-pass (two Butterworth high-pass biquads in
    /// f64, transposed direct form, same bilinear prewarp) on bass, a 2 kHz tone and noise. The
    /// f32 filter at a 120 Hz split stays within 4e-6 (about −108 dBFS) of it at every rate.
    #[test]
    fn side_high_pass_tracks_a_double_precision_reference() {
        struct Biquad {
            b: [f64; 3],
            a: [f64; 2],
            z: [f64; 2],
        }
        impl Biquad {
            fn high_pass(fc: f64, fs: f64) -> Self {
                let k = (std::f64::consts::PI * fc / fs).tan();
                let q = std::f64::consts::FRAC_1_SQRT_2;
                let norm = 1.0 / (1.0 + k / q + k * k);
                Self {
                    b: [norm, -2.0 * norm, norm],
                    a: [2.0 * (k * k - 1.0) * norm, (1.0 - k / q + k * k) * norm],
                    z: [0.0; 2],
                }
            }
            fn tick(&mut self, x: f64) -> f64 {
                let y = self.b[0] * x + self.z[0];
                self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
                self.z[1] = self.b[2] * x - self.a[1] * y;
                y
            }
        }
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            let mut m = MonoBass::new(fs, 120.0);
            m.set(true, 120.0);
            m.reset();
            let split = m.log2_split_hz.current().exp2() as f64;
            let (mut first, mut second) = (Biquad::high_pass(split, fs as f64), Biquad::high_pass(split, fs as f64));
            let noise = crate::dsp::util::test_signals::noise(7, fs as usize * 5);
            let mut worst = 0.0f64;
            for (i, n) in noise.iter().enumerate() {
                let t = i as f64 / fs as f64;
                let tone = |f: f64, a: f64| a * (2.0 * std::f64::consts::PI * f * t).sin();
                let side = (tone(55.0, 0.4) + tone(2000.0, 0.2) + 0.15 * *n as f64) as f32;
                let (_, high) = m.tick(tone(80.0, 0.5) as f32, side);
                let want = second.tick(first.tick(side as f64));
                worst = worst.max((high as f64 - want).abs());
                if i % 64 == 63 {
                    m.end_chunk();
                }
            }
            println!("{fs} Hz: max |f32 − f64| {worst:.2e}");
            assert!(worst < 4e-6, "{fs} Hz: {worst:e}");
        }
    }
}
