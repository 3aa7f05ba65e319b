//! Corrective EQ: high-pass, low shelf, four bells, high shelf, low-pass, each in stereo, mid
//! or side. Every band follows its analog (RBJ cookbook) prototype within 0.1 dB up to 0.45·fs
//! (see `matched.rs`), is realised as trapezoidal SVFs that stay click-free while automated
//! (see `eq_band.rs`), and adds no latency. Settings live in `eq_settings.rs`, the editor's
//! curve in `eq_curve.rs`.

pub mod analog;
pub mod band;
pub mod curve;
pub mod design;
pub mod matched;
pub mod poly;
pub mod settings;

use crate::dsp::eq::band::Band;
pub use crate::dsp::eq::curve::{response_db, EqCurve};
use crate::dsp::eq::design::EqDesignInputs;
use crate::dsp::eq::matched::FitGrid;
pub use crate::dsp::eq::settings::*;
use crate::dsp::util::smoother::LinearSmoother;
use crate::dsp::MAX_CHUNK;

/// Bypass crossfade length (the brief asks for 10–20 ms).
const BYPASS_MS: f32 = 15.0;

pub struct Eq {
    sample_rate: f32,
    grid: FitGrid,
    bands: [Band; BAND_COUNT],
    /// 1 = EQ heard, 0 = dry; the bypass crossfade.
    wet: LinearSmoother,
    settings: EqSettings,
    /// The first `set` after `new` jumps to its settings instead of ramping from the defaults.
    fresh: bool,
}

impl Eq {
    pub fn new(sample_rate: f32) -> Self {
        let settings = EqSettings::default();
        let bands = settings.bands().map(|(shape, b, sections)| {
            Band::new(shape, sample_rate, &EqDesignInputs::clamped(b.freq_hz, b.gain_db, b.q, sample_rate), sections)
        });
        Self {
            sample_rate,
            grid: FitGrid::new(),
            bands,
            wet: LinearSmoother::new(sample_rate, BYPASS_MS, 1.0),
            settings,
            fresh: true,
        }
    }

    /// Zero: every band is minimum-phase IIR, no look-ahead.
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Clears filter states and lands every ramp on its target.
    pub fn reset(&mut self) {
        for band in &mut self.bands {
            band.snap(&self.grid);
        }
        self.wet.reset(self.wet.target());
    }

    pub fn set(&mut self, settings: &EqSettings) {
        if !self.fresh && *settings == self.settings {
            return;
        }
        self.settings = *settings;
        for (band, (_, b, sections)) in self.bands.iter_mut().zip(settings.bands()) {
            let params = EqDesignInputs::clamped(b.freq_hz, b.gain_db, b.q, self.sample_rate);
            band.set(&params, sections, b.enabled, b.mode != ChannelMode::Side, b.mode != ChannelMode::Mid);
        }
        self.wet.set_target(if settings.bypass { 0.0 } else { 1.0 });
        if self.fresh {
            self.fresh = false;
            self.reset();
        }
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        debug_assert!(left.len() <= MAX_CHUNK && left.len() == right.len());
        let n = left.len().min(right.len());
        for start in (0..n).step_by(MAX_CHUNK) {
            let end = (start + MAX_CHUNK).min(n);
            self.process_chunk(&mut left[start..end], &mut right[start..end]);
        }
    }

    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        let bypassed = self.wet.current() == 0.0 && self.wet.target() == 0.0;
        let settled_wet = self.wet.current() == 1.0 && self.wet.target() == 1.0;
        // Fully bypassed, or nothing enabled: the input passes bit-exactly.
        if bypassed || (settled_wet && !self.bands.iter().any(Band::is_active)) {
            return;
        }
        let mut mid = [0.0f32; MAX_CHUNK];
        let mut side = [0.0f32; MAX_CHUNK];
        for i in 0..n {
            mid[i] = 0.5 * (left[i] + right[i]);
            side[i] = 0.5 * (left[i] - right[i]);
        }
        for band in &mut self.bands {
            band.process([&mut mid[..n], &mut side[..n]], &self.grid);
        }
        for i in 0..n {
            let wet = self.wet.next();
            let (l, r) = (mid[i] + side[i], mid[i] - side[i]);
            if wet >= 1.0 {
                (left[i], right[i]) = (l, r);
            } else {
                left[i] += wet * (l - left[i]);
                right[i] += wet * (r - right[i]);
            }
        }
        if self.wet.current() == 0.0 {
            // Bypass complete: start clean when the EQ comes back.
            self.bands.iter_mut().for_each(Band::reset_states);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dsp::eq::analog::tests::{cookbook_db, Kind};
    use crate::dsp::util::rng::XorShift32;
    use crate::dsp::util::test_signals::{amplitude, run_chunked, sine};

    pub(crate) fn run(eq: &mut Eq, left: &mut [f32], right: &mut [f32]) {
        run_chunked(|l, r| eq.process(l, r), left, right);
    }

    pub(crate) fn band(freq_hz: f32, gain_db: f32, q: f32) -> EqBandSettings {
        EqBandSettings { enabled: true, freq_hz, gain_db, q, mode: ChannelMode::Stereo }
    }

    /// A busy but realistic mastering curve.
    pub(crate) fn busy_settings() -> EqSettings {
        EqSettings {
            high_pass: band(40.0, 0.0, 0.7),
            low_shelf: band(120.0, 3.0, 0.7),
            bells: [
                band(400.0, -4.0, 1.5),
                band(2500.0, 6.0, 2.0),
                EqBandSettings::off(3000.0, 1.0),
                band(9000.0, 2.0, 0.7),
            ],
            high_shelf: band(12_000.0, -3.0, 0.707),
            low_pass: band(19_000.0, 0.0, 0.707),
            low_pass_slope: LowPassSlope::Db24,
            ..Default::default()
        }
    }

    /// The analog curve of `busy_settings`: cookbook sections and Butterworth |H|² = 1/(1+(f/fc)^2n).
    fn busy_analog_db(f: f64) -> f64 {
        let hp24 = -10.0 * (1.0 + (40.0 / f).powi(8)).log10();
        let lp24 = -10.0 * (1.0 + (f / 19_000.0).powi(8)).log10();
        hp24 + lp24
            + cookbook_db(Kind::LowShelf, f, 120.0, 3.0, 0.7)
            + cookbook_db(Kind::Bell, f, 400.0, -4.0, 1.5)
            + cookbook_db(Kind::Bell, f, 2500.0, 6.0, 2.0)
            + cookbook_db(Kind::Bell, f, 9000.0, 2.0, 0.7)
            + cookbook_db(Kind::HighShelf, f, 12_000.0, -3.0, 0.707)
    }

    #[test]
    fn sines_through_process_match_analog_curve_and_transfer_function() {
        let fs = 48_000.0;
        let settings = busy_settings();
        let curve = EqCurve::new(&settings, fs as f32);
        for f in [25.0, 40.0, 100.0, 400.0, 1000.0, 2500.0, 6000.0, 9000.0, 15_000.0, 19_000.0, 21_000.0] {
            let mut eq = Eq::new(fs as f32);
            eq.set(&settings);
            let n = 72_000; // 0.5 s to settle, then exactly 1 s (integer cycles) measured
            let mut l = sine(f, 0.25, fs, n, 0.3);
            let mut r = l.clone();
            run(&mut eq, &mut l, &mut r);
            let measured = 20.0 * (amplitude(&l[24_000..], f, fs) / 0.25).log10();
            let analog = busy_analog_db(f);
            let digital = curve.db_at(f as f32, ChannelMode::Stereo) as f64;
            println!("{f:6} Hz: measured {measured:8.4} dB, analog {analog:8.4}, transfer function {digital:8.4}");
            assert!((measured - analog).abs() < 0.1, "{f} Hz vs analog");
            assert!((measured - digital).abs() < 0.005, "{f} Hz vs transfer function");
            assert!((response_db(&settings, fs as f32, f as f32) as f64 - digital).abs() < 1e-6);
        }
    }

    #[test]
    fn flat_default_passes_input_bit_exactly() {
        let mut eq = Eq::new(44_100.0);
        eq.set(&EqSettings::default());
        let mut rng = XorShift32::new(3);
        let input: Vec<f32> = (0..4096).map(|_| rng.next_centered()).collect();
        let (mut l, mut r) = (input.clone(), input.iter().map(|v| -v).collect::<Vec<_>>());
        run(&mut eq, &mut l, &mut r);
        assert_eq!(l, input);
        assert_eq!(eq.latency_samples(), 0);
    }

    #[test]
    fn bypass_crossfades_then_nulls_exactly() {
        let fs = 48_000.0;
        let mut eq = Eq::new(fs);
        let mut s = busy_settings();
        eq.set(&s);
        let mut rng = XorShift32::new(5);
        let mut noise = |n: usize| (0..n).map(|_| 0.5 * rng.next_centered()).collect::<Vec<f32>>();
        let (mut l, mut r) = (noise(4800), noise(4800));
        run(&mut eq, &mut l, &mut r);
        s.bypass = true;
        eq.set(&s);
        // Bypass with a 1 kHz sine: the crossfade must not step more than the two paths imply.
        let input = sine(1000.0, 0.5, fs as f64, 4800, 0.0);
        let (mut l, mut r) = (input.clone(), input.clone());
        run(&mut eq, &mut l, &mut r);
        let max_gain = 10f64.powf(9.0 / 20.0) as f32; // the curve peaks below +9 dB
        let step_limit = max_gain * input.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
        assert!(l.windows(2).all(|w| (w[1] - w[0]).abs() <= step_limit));
        // 15 ms later the output is the input, exactly.
        let after = (0.016 * fs) as usize;
        assert!(l[after..].iter().zip(&input[after..]).all(|(a, b)| (a - b).abs() <= 1e-6));
        let (mut l2, mut r2) = (noise(1000), noise(1000));
        let (l_in, r_in) = (l2.clone(), r2.clone());
        run(&mut eq, &mut l2, &mut r2);
        assert_eq!((l2, r2), (l_in, r_in));
    }

    #[test]
    fn side_band_leaves_mid_untouched_and_mid_band_leaves_side() {
        let fs = 48_000.0;
        for (mode, keep_sum) in [(ChannelMode::Side, true), (ChannelMode::Mid, false)] {
            let mut s = EqSettings::default();
            s.bells[1] = EqBandSettings { mode, ..band(1000.0, -12.0, 1.0) };
            let mut eq = Eq::new(fs);
            eq.set(&s);
            let l_in: Vec<f32> = sine(1000.0, 0.3, fs as f64, 72_000, 0.0);
            let r_in: Vec<f32> = sine(1000.0, 0.1, fs as f64, 72_000, 1.0)
                .iter()
                .zip(sine(300.0, 0.2, fs as f64, 72_000, 0.0))
                .map(|(a, b)| a + b)
                .collect();
            let (mut l, mut r) = (l_in.clone(), r_in.clone());
            run(&mut eq, &mut l, &mut r);
            let combine =
                |a: &[f32], b: &[f32], sign: f32| a.iter().zip(b).map(|(x, y)| x + sign * y).collect::<Vec<f32>>();
            let (kept, cut) = if keep_sum { (1.0, -1.0) } else { (-1.0, 1.0) };
            let kept_err = combine(&l, &r, kept)
                .iter()
                .zip(combine(&l_in, &r_in, kept))
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(kept_err < 1e-6, "{mode:?}: untouched component moved by {kept_err}");
            let before = amplitude(&combine(&l_in, &r_in, cut)[24_000..], 1000.0, fs as f64);
            let after = amplitude(&combine(&l, &r, cut)[24_000..], 1000.0, fs as f64);
            let db = 20.0 * (after / before).log10();
            assert!((db + 12.0).abs() < 0.1, "{mode:?}: filtered component {db} dB");
        }
    }

    #[test]
    fn hostile_input_stays_finite_and_state_recovers() {
        let fs = 44_100.0;
        let mut s = busy_settings();
        s.high_pass_slope = HighPassSlope::Db48;
        let mut rng = XorShift32::new(11);
        let hostile: [Vec<f32>; 5] = [
            (0..8192).map(|_| 2000.0 * rng.next_centered()).collect(),
            (0..8192).map(|i| if i % 2 == 0 { 1000.0 } else { -1000.0 }).collect(),
            vec![1000.0; 8192],
            vec![1e-39; 8192],
            [f32::NAN, f32::INFINITY, 0.5].repeat(64),
        ];
        let probe = sine(997.0, 0.5, fs as f64, 4096, 0.0);
        let mut fresh = Eq::new(fs);
        fresh.set(&s);
        let (mut want_l, mut want_r) = (probe.clone(), probe.clone());
        run(&mut fresh, &mut want_l, &mut want_r);
        for input in hostile {
            let mut eq = Eq::new(fs);
            eq.set(&s);
            let (mut l, mut r) = (input.clone(), input.iter().map(|v| -0.5 * v).collect::<Vec<f32>>());
            run(&mut eq, &mut l, &mut r);
            if input.iter().all(|v| v.is_finite()) {
                assert!(l.iter().chain(&r).all(|v| v.is_finite()));
            }
            // Two seconds of silence, then the probe must sound as through a fresh EQ.
            let (mut zl, mut zr) = (vec![0.0f32; 88_200], vec![0.0f32; 88_200]);
            run(&mut eq, &mut zl, &mut zr);
            assert!(zl.iter().all(|v| v.is_finite()));
            let (mut l, mut r) = (probe.clone(), probe.clone());
            run(&mut eq, &mut l, &mut r);
            let err = l.iter().zip(&want_l).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(err < 1e-4, "state not recovered: {err}");
        }
    }

    #[test]
    fn any_sample_rate_is_stable_and_reset_clears_state() {
        for fs in [8000.0f32, 22_050.0, 768_000.0] {
            let mut s = busy_settings();
            s.bells[2] = band(20_000.0, 18.0, 10.0); // clamped to 0.48·fs at low rates
            s.high_pass_slope = HighPassSlope::Db48;
            let mut eq = Eq::new(fs);
            eq.set(&s);
            let mut rng = XorShift32::new(2);
            let (mut l, mut r): (Vec<f32>, Vec<f32>) =
                (0..20_000).map(|_| (rng.next_centered(), rng.next_centered())).unzip();
            run(&mut eq, &mut l, &mut r);
            assert!(l.iter().chain(&r).all(|v| v.is_finite() && v.abs() < 100.0), "fs {fs}");
            assert!(EqCurve::new(&s, fs).db_at(1000.0, ChannelMode::Mid).is_finite());
            eq.reset();
            let (mut zl, mut zr) = (vec![0.0f32; 256], vec![0.0f32; 256]);
            run(&mut eq, &mut zl, &mut zr);
            assert!(zl.iter().chain(&zr).all(|&v| v == 0.0), "fs {fs}: reset left state behind");
        }
    }
}
