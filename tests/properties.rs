//! Randomized property tests of the whole chain (fixed seeds, bounded): random settings (every
//! field of `Settings` and the nested stage settings over their documented ranges) × random
//! signals × random block sizes, settings changing between blocks.
//!
//! Properties: output finite; output under the ceiling in force when the sample entered (the
//! max over a window, since ceiling moves are smoothed); latency constant whatever the settings;
//! global bypass nulls against the input delayed by the latency (≤ 1e-6).

#![allow(clippy::field_reassign_with_default)]

mod common;

use common::TestRng;
use lacquer::chain::{Chain, Settings};
use lacquer::dsp::compressor::band::CompressorBandSettings as CompressorBand;
use lacquer::dsp::compressor::envelope::Detector;
use lacquer::dsp::dither::WordLength;
use lacquer::dsp::eq::settings::{ChannelMode, EqBandSettings as EqBand, HighPassSlope, LowPassSlope};
use lacquer::dsp::limiter::Oversampling;
use lacquer::dsp::resample::oversampler::OversamplingFactor;

const RATES: [f32; 5] = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0];

struct Gen(TestRng);

impl Gen {
    fn unit(&mut self) -> f32 {
        (0.5 * (self.0.uniform() + 1.0)) as f32
    }
    fn lin(&mut self, lo: f32, hi: f32) -> f32 {
        // Hit the ends of the range now and then.
        match self.0.below(10) {
            0 => lo,
            1 => hi,
            _ => lo + (hi - lo) * self.unit(),
        }
    }
    fn log(&mut self, lo: f32, hi: f32) -> f32 {
        match self.0.below(10) {
            0 => lo,
            1 => hi,
            _ => lo * (hi / lo).powf(self.unit()),
        }
    }
    fn flag(&mut self) -> bool {
        self.0.below(2) == 1
    }
    fn pick<T: Copy>(&mut self, options: &[T]) -> T {
        options[self.0.below(options.len())]
    }
    fn eq_band(&mut self) -> EqBand {
        EqBand {
            enabled: self.flag(),
            freq_hz: self.log(20.0, 20_000.0),
            gain_db: self.lin(-18.0, 18.0),
            q: self.log(0.1, 10.0),
            mode: self.pick(&[ChannelMode::Stereo, ChannelMode::Mid, ChannelMode::Side]),
        }
    }
    fn compressor_band(&mut self) -> CompressorBand {
        CompressorBand {
            threshold_db: self.lin(-60.0, 0.0),
            ratio: self.lin(1.0, 20.0),
            knee_db: self.lin(0.0, 24.0),
            attack_ms: self.log(0.1, 300.0),
            release_ms: self.log(5.0, 3000.0),
            makeup_db: self.lin(-12.0, 24.0),
            bypass: self.0.below(4) == 0,
            solo: self.0.below(6) == 0,
        }
    }

    /// Every field over its documented range.
    fn settings(&mut self) -> Settings {
        let mut s = Settings::default();
        s.bypass = self.0.below(8) == 0;
        s.delta = self.0.below(8) == 0;
        s.input_gain_db = self.lin(-24.0, 24.0);
        s.output_gain_db = self.lin(-24.0, 0.0);
        s.eq.bypass = self.0.below(4) == 0;
        s.eq.high_pass = self.eq_band();
        s.eq.high_pass_slope = self.pick(&[HighPassSlope::Db12, HighPassSlope::Db24, HighPassSlope::Db48]);
        s.eq.low_shelf = self.eq_band();
        for b in 0..4 {
            s.eq.bells[b] = self.eq_band();
        }
        s.eq.high_shelf = self.eq_band();
        s.eq.low_pass = self.eq_band();
        s.eq.low_pass_slope = self.pick(&[LowPassSlope::Db12, LowPassSlope::Db24]);
        let c = &mut s.compressor;
        c.bypass = self.flag();
        c.multiband = self.flag();
        c.crossover_low_hz = self.log(40.0, 1000.0);
        c.crossover_high_hz = self.log(1000.0, 10_000.0);
        c.detector = self.pick(&[Detector::Peak, Detector::Rms]);
        c.link_pct = self.lin(0.0, 100.0);
        c.sidechain_hp = self.flag();
        c.sidechain_hp_hz = self.log(20.0, 300.0);
        c.mid_side = self.flag();
        for b in 0..3 {
            c.bands[b] = self.compressor_band();
        }
        let st = &mut s.stereo;
        st.bypass = self.0.below(4) == 0;
        st.width_pct = self.lin(0.0, 200.0);
        st.mono_bass = self.flag();
        st.mono_bass_hz = self.log(20.0, 300.0);
        st.balance_pct = self.lin(-100.0, 100.0);
        let sat = &mut s.saturation;
        sat.bypass = self.flag();
        sat.drive_db = self.lin(0.0, 24.0);
        sat.character = self.lin(-1.0, 1.0);
        sat.tone_tilt_db = self.lin(-6.0, 6.0);
        sat.mix_percent = self.lin(0.0, 100.0);
        sat.auto_gain = self.flag();
        sat.output_trim_db = self.lin(-12.0, 12.0);
        sat.oversampling = self.pick(&[OversamplingFactor::X2, OversamplingFactor::X4]);
        let lim = &mut s.limiter;
        lim.bypass = self.0.below(8) == 0;
        lim.ceiling_db = self.lin(-20.0, 0.0);
        lim.drive_db = self.lin(0.0, 24.0);
        lim.lookahead_ms = self.lin(0.5, 5.0);
        lim.release_ms = self.log(1.0, 1000.0);
        lim.auto_release = self.flag();
        lim.link_pct = self.lin(0.0, 100.0);
        lim.true_peak = self.flag();
        lim.oversampling = self.pick(&[Oversampling::X1, Oversampling::X2, Oversampling::X4, Oversampling::X8]);
        s.dither.word_length = self.pick(&[WordLength::Float, WordLength::Bits24, WordLength::Bits16]);
        s.dither.noise_shaping = self.flag();
        s
    }

    /// A random stereo signal: noise, sines, squares, impulses, silence or DC, -40..+12 dBFS.
    fn signal(&mut self, n: usize, sample_rate: f32) -> [Vec<f32>; 2] {
        let amp = 10f64.powf(self.lin(-40.0, 12.0) as f64 / 20.0);
        let kind = self.0.below(6);
        let f = self.log(20.0, 0.45 * sample_rate) as f64 / sample_rate as f64;
        let mut ch = |phase: f64| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    let p = 2.0 * std::f64::consts::PI * f * i as f64 + phase;
                    let v = match kind {
                        0 => self.0.uniform(),
                        1 => p.sin(),
                        2 => p.sin().signum(),
                        3 => {
                            if self.0.below(500) == 0 {
                                self.0.uniform().signum()
                            } else {
                                0.0
                            }
                        }
                        4 => 0.0,
                        _ => 1.0,
                    };
                    (amp * v) as f32
                })
                .collect()
        };
        [ch(0.0), ch(1.0)]
    }
}

fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Output must respect the ceiling while neither the global bypass, the delta mode nor the
/// limiter bypass is (or was recently) in force.
fn ceiling_applies(s: &Settings) -> bool {
    !s.bypass && !s.delta && !s.limiter.bypass
}

#[test]
fn random_settings_signals_and_blocks_stay_finite_and_under_the_ceiling() {
    let mut gen = Gen(TestRng(0x1ACC_0E12));
    let mut worst_margin_db = f32::NEG_INFINITY;
    let mut checked_trials = 0;
    for trial in 0..48 {
        let sample_rate = gen.pick(&RATES);
        let n = (0.15 * sample_rate) as usize;
        let mut chain = Chain::new(sample_rate, 2);
        let latency = chain.latency_samples();
        let first = gen.settings();
        // The switches that decide whether a ceiling exists stay fixed for the whole trial.
        let (bypass, delta, lim_bypass) = (first.bypass, first.delta, first.limiter.bypass);
        chain.set_settings(&first);
        chain.reset();
        let input = gen.signal(n, sample_rate);
        let mut out = input.clone();
        let mut ceiling_at = vec![0f32; n];
        let mut pos = 0;
        let mut current = first;
        while pos < n {
            let len = gen.0.below(8193).min(n - pos);
            if gen.0.below(3) == 0 {
                current = gen.settings();
                current.bypass = bypass;
                current.delta = delta;
                current.limiter.bypass = lim_bypass;
                chain.set_settings(&current);
            }
            assert_eq!(chain.latency_samples(), latency, "trial {trial}: latency moved");
            ceiling_at[pos..pos + len].fill(current.limiter.ceiling_db);
            let [l, r] = &mut out;
            chain.process(&mut [&mut l[pos..pos + len], &mut r[pos..pos + len]]);
            pos += len;
        }
        for (c, x) in out.iter().enumerate() {
            if let Some(i) = x.iter().position(|v| !v.is_finite()) {
                panic!("trial {trial} ({sample_rate} Hz): non-finite output at channel {c} sample {i}: {current:?}");
            }
        }
        if !ceiling_applies(&first) {
            continue;
        }
        checked_trials += 1;
        // Ceiling moves are smoothed inside the limiter: bound output n by the largest ceiling
        // that was in force for inputs in the 50 ms before n - latency.
        let window = (0.05 * sample_rate) as usize;
        for i in latency..n {
            let entered = i - latency;
            let from = entered.saturating_sub(window);
            let ceiling_db = ceiling_at[from..=entered].iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            for (c, x) in out.iter().enumerate() {
                let level_db = 20.0 * x[i].abs().max(1e-30).log10();
                worst_margin_db = worst_margin_db.max(level_db - ceiling_db);
                assert!(
                    x[i].abs() <= db_to_gain(ceiling_db) * (1.0 + 1e-6),
                    "trial {trial} ({sample_rate} Hz): channel {c} sample {i} = {} above the ceiling {ceiling_db} dB",
                    x[i]
                );
            }
        }
    }
    println!("ceiling checked in {checked_trials} of 48 trials; worst sample peak relative to the ceiling: {worst_margin_db:.4} dB");
    assert!(checked_trials >= 20, "too few trials exercised the ceiling");
}

#[test]
fn latency_is_the_same_for_every_setting() {
    let mut gen = Gen(TestRng(0x5EED_0001));
    for &sample_rate in &RATES {
        let mut chain = Chain::new(sample_rate, 2);
        let latency = chain.latency_samples();
        let mut x = [vec![0.1f32; 256], vec![-0.1f32; 256]];
        for _ in 0..20 {
            chain.set_settings(&gen.settings());
            let [l, r] = &mut x;
            chain.process(&mut [&mut l[..], &mut r[..]]);
            assert_eq!(chain.latency_samples(), latency, "{sample_rate} Hz");
        }
        println!("{sample_rate} Hz: latency {latency} samples");
    }
}

#[test]
fn bypass_nulls_against_delayed_input_under_random_settings() {
    let mut gen = Gen(TestRng(0xB1BA55));
    let mut worst = 0f32;
    for trial in 0..12 {
        let sample_rate = gen.pick(&RATES);
        let n = (0.1 * sample_rate) as usize;
        let mut chain = Chain::new(sample_rate, 2);
        let latency = chain.latency_samples();
        let mut s = gen.settings();
        s.bypass = true;
        chain.set_settings(&s);
        chain.reset();
        let input = gen.signal(n, sample_rate);
        let mut out = input.clone();
        let mut pos = 0;
        while pos < n {
            let len = gen.0.below(8193).min(n - pos);
            // Everything else moves under the bypass.
            let mut next = gen.settings();
            next.bypass = true;
            chain.set_settings(&next);
            let [l, r] = &mut out;
            chain.process(&mut [&mut l[pos..pos + len], &mut r[pos..pos + len]]);
            pos += len;
        }
        for c in 0..2 {
            for i in 0..n {
                let expected = if i >= latency { input[c][i - latency] } else { 0.0 };
                let err = (out[c][i] - expected).abs();
                worst = worst.max(err);
                assert!(
                    err <= 1e-6,
                    "trial {trial} ({sample_rate} Hz): bypass differs by {err} at channel {c} sample {i} \
                     ({} vs {expected}); settings {s:?}",
                    out[c][i]
                );
            }
        }
    }
    println!("bypass null: worst difference {worst:e}");
}
