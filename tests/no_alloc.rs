//! The audio path allocates nothing: the whole chain with every stage and option on, parameter
//! changes every block (including ceiling steps, stage and mode toggles, oversampling and
//! lookahead changes, word length), meter taking and meter-bus publishing all run under
//! `assert_no_alloc`, which aborts the test binary on any allocation.

// Settings are built by changing a few fields of the defaults, which reads best in tests.
#![allow(clippy::field_reassign_with_default, clippy::manual_is_multiple_of)]

mod common;

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use common::TestRng;
use lacquer::chain::{Chain, Settings};
use lacquer::dsp::dither::WordLength;
use lacquer::dsp::limiter::{Limiter, LimiterSettings, LimiterStyle, Oversampling};
use lacquer::dsp::resample::oversampler::OversamplingFactor;
use lacquer::meter_bus::MeterBus;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

fn settings_for_block(k: usize, rng: &mut TestRng) -> Settings {
    let mut s = Settings::default();
    s.input_gain_db = (rng.uniform() * 12.0) as f32;
    s.eq.high_pass.enabled = k % 3 != 0;
    s.eq.bells[1].enabled = true;
    s.eq.bells[1].gain_db = (rng.uniform() * 18.0) as f32;
    s.eq.bells[1].freq_hz = 200.0 + 5000.0 * (rng.uniform().abs() as f32);
    s.compressor.bypass = k % 7 == 0;
    s.compressor.multiband = k % 2 == 0;
    s.compressor.mid_side = k % 5 == 0;
    s.compressor.sidechain_hp = true;
    s.stereo.width_pct = 100.0 + 100.0 * rng.uniform() as f32;
    s.stereo.mono_bass = k % 4 < 2;
    s.saturation.bypass = k % 6 == 0;
    s.saturation.oversampling = if k % 8 < 4 { OversamplingFactor::X2 } else { OversamplingFactor::X4 };
    s.limiter.ceiling_db = if k % 2 == 0 { -1.0 } else { -12.0 };
    s.limiter.lookahead_ms = [0.5, 1.5, 5.0][k % 3];
    s.limiter.oversampling = [Oversampling::X1, Oversampling::X2, Oversampling::X4, Oversampling::X8][k % 4];
    s.limiter.true_peak = k % 9 != 0;
    s.limiter.auto_release = k % 2 == 1;
    s.limiter.style = LimiterStyle::ALL[(k / 3) % 4];
    s.dither.word_length = [WordLength::Float, WordLength::Bits24, WordLength::Bits16][k % 3];
    s.dither.noise_shaping = k % 2 == 0;
    s.delta = k % 11 == 0;
    s.bypass = k % 13 == 0;
    s
}

#[test]
fn chain_process_with_every_option_allocates_nothing() {
    for (fs, channels) in [(44_100.0, 2), (48_000.0, 1), (96_000.0, 2), (192_000.0, 2)] {
        let mut chain = Chain::new(fs, channels);
        let bus = MeterBus::new();
        let mut rng = TestRng(77);
        let blocks: Vec<Settings> = (0..120).map(|k| settings_for_block(k, &mut rng)).collect();
        let mut left = vec![0.0f32; 4096];
        let mut right = vec![0.0f32; 4096];
        let mut pre = [0.0f32; 1024];
        let mut post = [0.0f32; 1024];
        let mut sizes = TestRng(5);
        let sizes: Vec<usize> = (0..120).map(|_| sizes.below(4097)).collect();
        let mut signal = TestRng(6);
        let noise: Vec<f32> = (0..4096).map(|_| signal.uniform() as f32 * 1.5).collect();
        assert_no_alloc(|| {
            for (k, settings) in blocks.iter().enumerate() {
                let n = sizes[k];
                left[..n].copy_from_slice(&noise[..n]);
                right[..n].copy_from_slice(&noise[..n]);
                if k == 40 {
                    left[3] = f32::NAN;
                    right[9] = f32::INFINITY;
                }
                chain.set_settings(settings);
                if channels == 2 {
                    chain.process(&mut [&mut left[..n], &mut right[..n]]);
                } else {
                    chain.process(&mut [&mut left[..n]]);
                }
                let m = chain.take_meters();
                bus.publish(&m);
                let tap = n.min(1024);
                pre[..tap].copy_from_slice(&noise[..tap]);
                post[..tap].copy_from_slice(&left[..tap]);
                bus.push_spectrum(&pre[..tap], &post[..tap]);
                if k % 30 == 0 {
                    chain.reset_loudness();
                    chain.set_loudness_running(k % 60 == 0);
                }
                if k == 100 {
                    chain.reset();
                }
            }
        });
        assert!(left.iter().all(|v| v.is_finite()));
    }
}

/// Preset switches (every factory preset's settings, switched every block) with monitoring
/// level match on: the settings are computed before, the audio path allocates nothing.
#[test]
fn preset_switching_with_level_match_allocates_nothing() {
    let presets: Vec<Settings> = lacquer::presets::factory::presets()
        .iter()
        .map(|p| {
            let params = lacquer::params::LacquerParams::default();
            lacquer::presets::apply_direct(&params, &p.resolved());
            params.settings()
        })
        .collect();
    let [dl, dr] = lacquer::demo::demo_mix();
    for fs in [44_100.0, 48_000.0] {
        let mut chain = Chain::new(fs, 2);
        let bus = MeterBus::new();
        let (mut left, mut right) = (dl.clone(), dr.clone());
        assert_no_alloc(|| {
            chain.set_level_match(true);
            for (k, start) in (0..left.len() - 1024).step_by(1024).enumerate() {
                chain.set_settings(&presets[k % presets.len()]);
                if k == 300 {
                    chain.set_level_match(false);
                }
                chain.process(&mut [&mut left[start..start + 1024], &mut right[start..start + 1024]]);
                bus.publish(&chain.take_meters());
            }
        });
        assert!(left.iter().all(|v| v.is_finite()));
    }
}

/// A falling ceiling revises the samples already inside the limiter (`ceiling_fall.rs`): that
/// path, with the link at 100 % (one gain path) and below (both), in falling steps and in a
/// falling ramp of small steps in blocks of every size from 1 frame, allocates nothing. That the
/// path ran is visible in the output: in the steps a tone 12 dB over the ceiling comes out under
/// each new ceiling from the block's first sample, although the samples at the block's start
/// entered under the old one, and the last-resort clip never acts (the gain path revised them;
/// the blocks there are at least 128 frames long, so each fall is revised at once).
#[test]
fn ceiling_falls_revise_the_limiter_without_allocating() {
    for fs in [48_000.0f32, 192_000.0] {
        for link_pct in [100.0f32, 40.0] {
            let mut lim = Limiter::new(fs);
            let mut s = LimiterSettings { drive_db: 12.0, link_pct, ceiling_db: 0.0, ..LimiterSettings::default() };
            lim.set(&s);
            lim.reset();
            let tone: Vec<f32> = (0..16_384).map(|i| 0.5 * (i as f32 * 0.05).sin()).collect();
            let (mut left, mut right) = (tone.clone(), tone.clone());
            let mut sizes = TestRng(3);
            let mut worst = f32::MIN;
            let mut clips_in_steps = u64::MAX;
            assert_no_alloc(|| {
                let mut pos = 0;
                for k in 0..600 {
                    let steps = k < 300;
                    let n = if steps {
                        128 + sizes.below(1920)
                    } else if k % 5 == 0 {
                        1
                    } else {
                        1 + sizes.below(300)
                    };
                    if pos + n > tone.len() {
                        left.copy_from_slice(&tone);
                        right.copy_from_slice(&tone);
                        pos = 0;
                    }
                    // Falls of 0.5 dB in the steps, of 0.01 dB every block in the ramp.
                    let fall = if steps { 0.5 } else { 0.01 };
                    s.ceiling_db = if s.ceiling_db - fall < -20.0 { 0.0 } else { s.ceiling_db - fall };
                    lim.set(&s);
                    lim.process(&mut left[pos..pos + n], &mut right[pos..pos + n]);
                    if steps && k == 299 {
                        clips_in_steps = lim.safety_clip_count();
                    }
                    if steps && s.ceiling_db < 0.0 && k % 40 > 2 {
                        let c = 10f32.powf(s.ceiling_db / 20.0);
                        let peak =
                            left[pos..pos + n].iter().chain(&right[pos..pos + n]).fold(0f32, |m, v| m.max(v.abs()));
                        worst = worst.max(peak / c);
                    }
                    pos += n;
                }
            });
            println!("{fs} Hz link {link_pct}: block peaks after falls at most {worst} x the new ceiling");
            assert!(worst <= 1.0 + 1e-6, "{fs} Hz link {link_pct}: a block peaks at {worst} x the new ceiling");
            assert!(worst > 0.9, "{fs} Hz link {link_pct}: the tone is not limited ({worst})");
            // The gain path did it, not the last-resort clip.
            assert_eq!(clips_in_steps, 0, "{fs} Hz link {link_pct}: the clip acted in the steps");
        }
    }
}
