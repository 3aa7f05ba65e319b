//! Stereo width, mono bass and balance.
//!
//! Mid/side: M = (L+R)/2, S = (L-R)/2, out L = M + S', R = M - S'.
//! - Width scales S (0 % = mono, 100 % = unchanged, 200 % = side doubled).
//! - Mono bass removes S below a frequency with an LR4 split; the mid gets the matching
//!   all-pass so mid and side stay in phase (see `mono_bass.rs`).
//! - Balance attenuates the far channel linearly in gain (gain = 1 - |balance|) and never
//!   boosts the near one: unity at 0 % (transparent, the null test holds), no extra headroom
//!   needed in front of the limiter, and ±10 % trims move the far side by a predictable
//!   -0.9 dB. An equal-power law would drop the centre by 3 dB or boost one side.
//! - The output correlation the editor shows is measured by the output loudness meter
//!   (`meter::correlation`), after the limiter, where the listener hears it.

pub mod mono_bass;

use crate::dsp::stereo::mono_bass::MonoBass;
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StereoSettings {
    pub bypass: bool,
    /// Side level in percent, 0..200 (default 100 = unchanged).
    pub width_pct: f32,
    /// Remove side content below `mono_bass_hz` (default off).
    pub mono_bass: bool,
    /// Mono-bass split frequency, 20..300 Hz (default 120 Hz).
    pub mono_bass_hz: f32,
    /// -100 (left only) .. +100 (right only) percent, default 0.
    pub balance_pct: f32,
}

impl Default for StereoSettings {
    fn default() -> Self {
        Self { bypass: false, width_pct: 100.0, mono_bass: false, mono_bass_hz: 120.0, balance_pct: 0.0 }
    }
}

/// Ramp time of width and balance.
const SMOOTHING_MS: f32 = 20.0;
/// Bypass crossfade length (the brief asks for 10–20 ms).
const BYPASS_MS: f32 = 15.0;

pub struct StereoWidth {
    settings: StereoSettings,
    /// The first `set` after `new` jumps to its settings instead of ramping from the defaults.
    fresh: bool,
    /// Side gain, 0..2.
    width: LinearSmoother,
    /// -1..+1.
    balance: LinearSmoother,
    mono_bass: MonoBass,
    /// 1 = processed, 0 = dry; the bypass crossfade.
    wet: LinearSmoother,
}

impl StereoWidth {
    pub fn new(sample_rate: f32) -> Self {
        let s = StereoSettings::default();
        let smoother = |v: f32| LinearSmoother::new(sample_rate, SMOOTHING_MS, v);
        Self {
            settings: s,
            fresh: true,
            width: smoother(1.0),
            balance: smoother(0.0),
            mono_bass: MonoBass::new(sample_rate, s.mono_bass_hz),
            wet: LinearSmoother::new(sample_rate, BYPASS_MS, 1.0),
        }
    }

    pub fn latency_samples(&self) -> usize {
        0
    }

    pub fn reset(&mut self) {
        for s in [&mut self.width, &mut self.balance, &mut self.wet] {
            s.reset(s.target());
        }
        self.mono_bass.reset();
    }

    pub fn set(&mut self, s: &StereoSettings) {
        if !self.fresh && *s == self.settings {
            return;
        }
        self.settings = *s;
        let finite_or = |v: f32, d: f32| if v.is_finite() { v } else { d };
        self.width.set_target(finite_or(s.width_pct, 100.0).clamp(0.0, 200.0) / 100.0);
        self.balance.set_target(finite_or(s.balance_pct, 0.0).clamp(-100.0, 100.0) / 100.0);
        self.mono_bass.set(s.mono_bass, s.mono_bass_hz);
        self.wet.set_target(if s.bypass { 0.0 } else { 1.0 });
        if self.fresh {
            self.fresh = false;
            self.reset();
        }
    }

    fn is_identity(&self) -> bool {
        let settled = |s: &LinearSmoother, v: f32| s.current() == v && s.target() == v;
        settled(&self.width, 1.0) && settled(&self.balance, 0.0) && self.mono_bass.is_off()
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        debug_assert!(left.len() <= MAX_CHUNK && left.len() == right.len());
        let n = left.len().min(right.len());
        let bypassed = self.wet.current() == 0.0 && self.wet.target() == 0.0;
        if bypassed || self.is_identity() {
            // Nothing to do (the identity settings null bit-exactly); keep the bypass ramp moving.
            self.wet.advance(n);
        } else {
            for i in 0..n {
                let (l, r) = self.tick(left[i], right[i]);
                let wet = self.wet.next();
                left[i] += wet * (l - left[i]);
                right[i] += wet * (r - right[i]);
            }
        }
        if self.wet.current() == 0.0 {
            self.mono_bass.reset();
        }
        self.mono_bass.end_chunk();
    }

    #[inline]
    fn tick(&mut self, l: f32, r: f32) -> (f32, f32) {
        let (mid, side) = self.mono_bass.tick(0.5 * (l + r), 0.5 * (l - r));
        let side = side * self.width.next();
        let bal = self.balance.next();
        let (gain_l, gain_r) = (1.0 - bal.max(0.0), 1.0 + bal.min(0.0));
        ((mid + side) * gain_l, (mid - side) * gain_r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::util::test_signals::{max_step, noise, run_chunked};

    fn run(st: &mut StereoWidth, l: &mut [f32], r: &mut [f32]) {
        run_chunked(|a, b| st.process(a, b), l, r);
    }

    fn sine(freq_hz: f64, amp: f64, n: usize) -> Vec<f32> {
        crate::dsp::util::test_signals::sine(freq_hz, amp, FS as f64, n, 0.0)
    }

    const FS: f32 = 48_000.0;

    fn stage(s: StereoSettings) -> StereoWidth {
        let mut st = StereoWidth::new(FS);
        st.set(&s);
        st
    }

    #[test]
    fn width_zero_is_exact_mono_and_identity_nulls_exactly() {
        let (l_in, r_in) = (noise(1, 4096), noise(2, 4096));
        let mut st = stage(StereoSettings { width_pct: 0.0, ..Default::default() });
        let (mut l, mut r) = (l_in.clone(), r_in.clone());
        run(&mut st, &mut l, &mut r);
        assert_eq!(l, r);
        let mut st = stage(StereoSettings::default());
        let (mut l, mut r) = (l_in.clone(), r_in.clone());
        run(&mut st, &mut l, &mut r);
        assert_eq!((l, r), (l_in.clone(), r_in.clone()));
        // Width 200 %: side doubled, mid kept.
        let mut st = stage(StereoSettings { width_pct: 200.0, ..Default::default() });
        let (mut l, mut r) = (l_in.clone(), r_in.clone());
        run(&mut st, &mut l, &mut r);
        for i in 0..4096 {
            assert!(((l[i] + r[i]) - (l_in[i] + r_in[i])).abs() < 1e-6);
            assert!(((l[i] - r[i]) - 2.0 * (l_in[i] - r_in[i])).abs() < 1e-6);
        }
        assert_eq!(st.latency_samples(), 0);
    }

    #[test]
    fn bypass_fades_then_nulls_exactly() {
        let mut s = StereoSettings { width_pct: 180.0, mono_bass: true, balance_pct: 40.0, ..Default::default() };
        let mut st = stage(s);
        let (mut l, mut r) = (noise(3, 4800), noise(4, 4800));
        run(&mut st, &mut l, &mut r);
        s.bypass = true;
        st.set(&s);
        let (l_in, r_in) = (sine(440.0, 0.5, 4800), sine(660.0, 0.5, 4800));
        let (mut l, mut r) = (l_in.clone(), r_in.clone());
        run(&mut st, &mut l, &mut r);
        assert!(max_step(&l) <= 2.0 * max_step(&l_in).max(max_step(&r_in)));
        let after = (0.016 * FS) as usize;
        assert!(l[after..]
            .iter()
            .zip(&l_in[after..])
            .chain(r[after..].iter().zip(&r_in[after..]))
            .all(|(a, b)| a == b));
    }

    #[test]
    fn balance_attenuates_the_far_side_linearly() {
        let (l_in, r_in) = (noise(5, 2048), noise(6, 2048));
        for (bal, gl, gr) in [(50.0, 0.5, 1.0), (-25.0, 1.0, 0.75), (100.0, 0.0, 1.0)] {
            let mut st = stage(StereoSettings { balance_pct: bal, ..Default::default() });
            let (mut l, mut r) = (l_in.clone(), r_in.clone());
            run(&mut st, &mut l, &mut r);
            for i in 0..2048 {
                assert!((l[i] - gl * l_in[i]).abs() < 1e-6 && (r[i] - gr * r_in[i]).abs() < 1e-6, "{bal}");
            }
        }
    }

    #[test]
    fn parameter_jumps_stay_smooth_and_finite() {
        type Edit = fn(&mut StereoSettings, bool);
        let edits: [(&str, Edit); 4] = [
            ("width", |s, hi| s.width_pct = if hi { 200.0 } else { 0.0 }),
            ("balance", |s, hi| s.balance_pct = if hi { 100.0 } else { -100.0 }),
            ("mono bass hz", |s, hi| (s.mono_bass, s.mono_bass_hz) = (true, if hi { 300.0 } else { 20.0 })),
            ("mono bass on", |s, hi| s.mono_bass = hi),
        ];
        for (name, edit) in edits {
            let mut s = StereoSettings { width_pct: 200.0, ..Default::default() };
            edit(&mut s, false);
            let mut st = stage(s);
            let (l_in, r_in) = (sine(100.0, 0.5, 9600), sine(73.0, 0.3, 9600));
            let (mut l, mut r) = (l_in.clone(), r_in.clone());
            run(&mut st, &mut l[..4800], &mut r[..4800]);
            edit(&mut s, true);
            st.set(&s);
            run(&mut st, &mut l[4800..], &mut r[4800..]);
            // |L'| ≤ (|1+w|/2 + |1-w|/2)·max(|L|, |R|) ≤ 2·max for w ≤ 2, for any balance.
            let limit = 2.0 * max_step(&l_in).max(max_step(&r_in));
            assert!(l.iter().chain(&r).all(|v| v.is_finite()), "{name}");
            assert!(
                max_step(&l) <= limit && max_step(&r) <= limit,
                "{name}: {} / {} > {limit}",
                max_step(&l),
                max_step(&r)
            );
        }
    }

    #[test]
    fn hostile_input_stays_finite_and_recovers() {
        let s = StereoSettings {
            width_pct: 150.0,
            mono_bass: true,
            mono_bass_hz: 80.0,
            balance_pct: -20.0,
            ..Default::default()
        };
        let hostile: [Vec<f32>; 5] = [
            noise(9, 8192).iter().map(|v| 2000.0 * v).collect(),
            (0..8192).map(|i| if i % 2 == 0 { 1000.0 } else { -1000.0 }).collect(),
            vec![1000.0; 8192],
            vec![1e-39; 8192],
            [f32::NAN, f32::INFINITY, 0.25].repeat(64),
        ];
        let probe = sine(997.0, 0.5, 4096);
        let mut fresh = stage(s);
        let (mut want_l, mut want_r) = (probe.clone(), probe.iter().map(|v| 0.3 * v).collect::<Vec<_>>());
        run(&mut fresh, &mut want_l, &mut want_r);
        for input in hostile {
            let mut st = stage(s);
            let (mut l, mut r) = (input.clone(), input.iter().map(|v| -0.7 * v).collect::<Vec<_>>());
            run(&mut st, &mut l, &mut r);
            if input.iter().all(|v| v.is_finite()) {
                assert!(l.iter().chain(&r).all(|v| v.is_finite()));
            }
            let (mut zl, mut zr) = (vec![0.0f32; 96_000], vec![0.0f32; 96_000]);
            run(&mut st, &mut zl, &mut zr);
            let (mut l, mut r) = (probe.clone(), probe.iter().map(|v| 0.3 * v).collect::<Vec<_>>());
            run(&mut st, &mut l, &mut r);
            let err =
                l.iter().zip(&want_l).chain(r.iter().zip(&want_r)).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(err < 1e-4, "not recovered: {err}");
        }
    }
}
