//! Mono bass: removes the side signal below a split frequency.
//!
//! The side goes through a Linkwitz–Riley high-pass (LR4: two Butterworth sections,
//! 24 dB/oct). Phase choice: LR4 low-pass + LR4 high-pass sum to the 2nd-order all-pass
//! (s² - √2·s + 1)/(s² + √2·s + 1), and the mid runs through exactly that all-pass. Mid and the
//! remaining side then share one phase response, so above the split L and R keep their exact
//! relation (same phase rotation on both, no comb effects between them, no latency). A
//! linear-phase split would need a long FIR and its latency for nothing audible at 20–300 Hz.

use crate::dsp::filter::svf::{Svf, SvfCoefs, SvfGains};
use crate::dsp::util::smoother::LinearSmoother;

const SMOOTHING_MS: f32 = 20.0;

pub struct MonoBass {
    sample_rate: f32,
    log2_split_hz: LinearSmoother,
    /// 0 = off, 1 = on: crossfades the filtered mid/side in and out.
    mix: LinearSmoother,
    hp_gains: SvfGains,
    ap_gains: SvfGains,
    side_hp: [Svf; 2],
    mid_ap: Svf,
}

impl MonoBass {
    pub fn new(sample_rate: f32, split_hz: f32) -> Self {
        let mut m = Self {
            sample_rate,
            log2_split_hz: LinearSmoother::new(sample_rate, SMOOTHING_MS, split_hz.log2()),
            mix: LinearSmoother::new(sample_rate, SMOOTHING_MS, 0.0),
            hp_gains: SvfGains::new(&SvfCoefs::IDENTITY),
            ap_gains: SvfGains::new(&SvfCoefs::IDENTITY),
            side_hp: [Svf::default(); 2],
            mid_ap: Svf::default(),
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
        self.clear();
    }

    fn clear(&mut self) {
        self.side_hp = [Svf::default(); 2];
        self.mid_ap = Svf::default();
    }

    /// Off and settled: the stage may skip it.
    pub fn is_off(&self) -> bool {
        self.mix.current() == 0.0 && self.mix.target() == 0.0
    }

    /// Butterworth sections (k = √2) at the smoothed split. LP² + HP² = all-pass survives the
    /// bilinear transform, so the identity holds digitally; cramping is negligible at ≤ 300 Hz.
    fn update_split(&mut self) {
        let hz = self.log2_split_hz.current().exp2();
        let g = (std::f32::consts::PI * hz / self.sample_rate).tan();
        let k = std::f32::consts::SQRT_2;
        self.hp_gains = SvfGains::new(&SvfCoefs { g, k, m0: 1.0, m1: 0.0, m2: 0.0 });
        self.ap_gains = SvfGains::new(&SvfCoefs { g, k, m0: 1.0, m1: -k, m2: 1.0 });
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
        let high = self.side_hp[0].tick(side, &self.hp_gains);
        let high = self.side_hp[1].tick(high, &self.hp_gains);
        let all = self.mid_ap.tick(mid, &self.ap_gains);
        (mid + amount * (all - mid), side + amount * (high - side))
    }

    /// Once per chunk: drops the states while off (so it restarts clean) or if poisoned.
    pub fn end_chunk(&mut self) {
        if self.is_off() {
            if self.log2_split_hz.is_smoothing() {
                self.log2_split_hz.reset(self.log2_split_hz.target());
                self.update_split();
            }
            self.clear();
        }
        let poisoned = self.side_hp.iter_mut().fold(false, |p, s| s.recover() | p) | self.mid_ap.recover();
        if poisoned {
            self.clear();
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
}
