//! Limiter alone, stereo 48 kHz, default settings (4x true-peak detection), on programme that
//! keeps it limiting, and on a quiet signal (the cost must not depend on gain reduction).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lacquer::dsp::limiter::{Limiter, LimiterSettings, Oversampling};

const BLOCK: usize = 512;

fn programme(n: usize, amp: f32) -> Vec<f32> {
    let mut state = 0x1234_5678u32;
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

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("limiter_48k_stereo");
    group.throughput(Throughput::Elements(BLOCK as u64));
    for (label, os, amp) in [
        ("4x_limiting", Oversampling::X4, 4.0),
        ("4x_quiet", Oversampling::X4, 0.05),
        ("1x_limiting", Oversampling::X1, 4.0),
        ("8x_limiting", Oversampling::X8, 4.0),
    ] {
        let mut lim = Limiter::new(48_000.0);
        lim.set(&LimiterSettings { oversampling: os, true_peak: os != Oversampling::X1, ..LimiterSettings::default() });
        let input = programme(BLOCK * 64, amp);
        let mut left = vec![0.0f32; BLOCK];
        let mut right = vec![0.0f32; BLOCK];
        let mut offset = 0;
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| {
                left.copy_from_slice(&input[offset..offset + BLOCK]);
                right.copy_from_slice(&input[offset..offset + BLOCK]);
                lim.process(&mut left, &mut right);
                offset = (offset + BLOCK) % (input.len() - BLOCK);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
