//! Each stage alone and the whole chain, stereo 48 kHz, 512-sample blocks: ns per stereo frame
//! (criterion's time per block / 512) and real-time multiple (20833 ns / that). Stages at their
//! defaults, engaged: compressor single-band, EQ with four bells, saturation 2x, limiter 4x
//! true peak. Also the whole chain on a silent (denormal-level) tail, and without the live
//! input/output loudness meters (the CLI's configuration).

// Settings are built by changing a few fields of the defaults, which reads best in tests.
#![allow(clippy::field_reassign_with_default, clippy::manual_is_multiple_of)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lacquer::chain::{Chain, Settings};
use lacquer::dsp::compressor::{Compressor, CompressorSettings};
use lacquer::dsp::eq::{Eq, EqSettings};
use lacquer::dsp::limiter::{Limiter, LimiterSettings};
use lacquer::dsp::saturation::{Saturation, SaturationSettings};
use lacquer::dsp::stereo::{StereoSettings, StereoWidth};

const BLOCK: usize = 512;
const FS: f32 = 48_000.0;

fn programme(n: usize, amp: f32, seed: u32) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state >> 8) as f32 / 16_777_216.0 - 0.5;
            amp * ((i as f32 * 0.031).sin() * 0.7 + noise * 0.6)
        })
        .collect()
}

fn eq_settings() -> EqSettings {
    let mut s = EqSettings::default();
    for (i, b) in s.bells.iter_mut().enumerate() {
        b.enabled = true;
        b.gain_db = if i % 2 == 0 { 2.0 } else { -2.0 };
    }
    s
}

fn engaged() -> Settings {
    let mut s = Settings::default();
    s.eq = eq_settings();
    s.compressor = CompressorSettings { bypass: false, ..CompressorSettings::default() };
    s.stereo = StereoSettings { width_pct: 120.0, ..StereoSettings::default() };
    s.saturation = SaturationSettings::default();
    s.limiter.drive_db = 6.0;
    s
}

fn bench_stage(c: &mut Criterion, name: &str, mut process: impl FnMut(&mut [f32], &mut [f32])) {
    let left_in = programme(BLOCK * 64, 1.0, 0x1234_5678);
    let right_in = programme(BLOCK * 64, 1.0, 0x9876_5432);
    let mut left = vec![0.0f32; BLOCK];
    let mut right = vec![0.0f32; BLOCK];
    let mut offset = 0;
    let mut group = c.benchmark_group("stereo_48k_block512");
    group.throughput(Throughput::Elements(BLOCK as u64));
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| {
            left.copy_from_slice(&left_in[offset..offset + BLOCK]);
            right.copy_from_slice(&right_in[offset..offset + BLOCK]);
            process(&mut left, &mut right);
            offset = (offset + BLOCK) % (left_in.len() - BLOCK);
        })
    });
    group.finish();
}

fn stages(c: &mut Criterion) {
    let mut eq = Eq::new(FS);
    eq.set(&eq_settings());
    bench_stage(c, "eq_4_bells", |l, r| eq.process(l, r));
    let mut comp = Compressor::new(FS);
    comp.set(&CompressorSettings { bypass: false, ..CompressorSettings::default() });
    bench_stage(c, "compressor_single", |l, r| comp.process(l, r));
    let mut comp3 = Compressor::new(FS);
    comp3.set(&CompressorSettings { bypass: false, multiband: true, ..CompressorSettings::default() });
    bench_stage(c, "compressor_3band", |l, r| comp3.process(l, r));
    let mut width = StereoWidth::new(FS);
    width.set(&StereoSettings { width_pct: 120.0, mono_bass: true, ..StereoSettings::default() });
    bench_stage(c, "stereo_width_mono_bass", |l, r| width.process(l, r));
    let mut sat = Saturation::new(FS);
    sat.set(&SaturationSettings::default());
    bench_stage(c, "saturation_2x", |l, r| sat.process(l, r));
    let mut lim = Limiter::new(FS);
    lim.set(&LimiterSettings { drive_db: 6.0, ..LimiterSettings::default() });
    bench_stage(c, "limiter_4x_tp", |l, r| lim.process(l, r));
    let mut chain = Chain::new(FS, 2);
    chain.set_settings(&engaged());
    bench_stage(c, "chain_all_stages", |l, r| chain.process(&mut [l, r]));
    let mut chain_default = Chain::new(FS, 2);
    bench_stage(c, "chain_defaults_limiter_only", |l, r| chain_default.process(&mut [l, r]));
    let mut offline = Chain::new(FS, 2);
    offline.set_settings(&engaged());
    offline.set_loudness_running(false); // as the CLI renders: no live loudness meters
    bench_stage(c, "chain_all_stages_without_meters", |l, r| offline.process(&mut [l, r]));
    let mut silent = Chain::new(FS, 2);
    silent.set_settings(&engaged());
    bench_stage(c, "chain_all_stages_denormal_tail", |l, r| {
        l.fill(1e-39);
        r.fill(-1e-39);
        silent.process(&mut [l, r])
    });
}

criterion_group!(benches, stages);
criterion_main!(benches);
