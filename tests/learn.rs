//! Learn (issue 16): the capture the audio thread fills allocates nothing and hands the buffer
//! over only once it is full; Learn on the demo mix finds settings whose output, rendered by the
//! chain and measured by the `ebur128` crate (not Lacquer's meter), lands within 0.5 LU of the
//! target.

use std::time::{Duration, Instant};

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use lacquer::assist::learn::{Capture, LearnState, Learner, DEFAULT_LEARN_SECONDS};
use lacquer::chain::{Chain, Settings};
use lacquer::demo::{demo_mix, DEMO_SAMPLE_RATE};
use lacquer::dsp::limiter::LimiterSettings;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const BLOCK: usize = 480;

#[test]
fn capture_allocates_nothing_and_hands_over_only_when_full() {
    let capture = Capture::new(48_000.0, 1.0);
    let left: Vec<f32> = (0..BLOCK).map(|i| (i as f32 * 0.01).sin()).collect();
    let right: Vec<f32> = left.iter().map(|v| -0.5 * v).collect();
    capture.push(&[&left, &right]);
    assert_eq!(capture.progress(), 0.0, "writes only while armed");
    capture.arm();
    let blocks = 48_000 / BLOCK;
    assert_no_alloc(|| {
        for _ in 0..blocks - 1 {
            capture.push(&[&left, &right]);
        }
    });
    assert!(capture.take().is_none(), "not full yet");
    assert!((capture.progress() - (blocks - 1) as f32 / blocks as f32).abs() < 1e-6);
    assert_no_alloc(|| {
        capture.push(&[&left, &right]);
        // Once full, further blocks are ignored (the reader owns the buffer).
        capture.push(&[&right, &left]);
    });
    let [l, r] = capture.take().expect("full");
    assert_eq!(l.len(), 48_000);
    assert_eq!(&l[BLOCK * 7..BLOCK * 8], &left[..]);
    assert_eq!(&r[48_000 - BLOCK..], &right[..]);
    assert!(capture.take().is_none(), "handed over once");
}

/// Integrated loudness by the `ebur128` crate.
fn ebur128_lufs(channels: &[Vec<f32>; 2], rate: u32) -> f64 {
    let mut meter = ebur128::EbuR128::new(2, rate, ebur128::Mode::I).unwrap();
    meter.add_frames_planar_f32(&[&channels[0], &channels[1]]).unwrap();
    meter.loudness_global().unwrap()
}

/// The demo mix through the chain with `settings` (latency trimmed, tail flushed).
fn render(mix: &[Vec<f32>; 2], settings: &Settings) -> [Vec<f32>; 2] {
    let mut chain = Chain::new(DEMO_SAMPLE_RATE as f32, 2);
    chain.set_settings(settings);
    chain.reset();
    let latency = chain.latency_samples();
    let frames = mix[0].len();
    let mut out = [Vec::new(), Vec::new()];
    let mut pos = 0;
    while pos < frames + latency {
        let n = BLOCK.min(frames + latency - pos);
        let mut l: Vec<f32> = (pos..pos + n).map(|i| mix[0].get(i).copied().unwrap_or(0.0)).collect();
        let mut r: Vec<f32> = (pos..pos + n).map(|i| mix[1].get(i).copied().unwrap_or(0.0)).collect();
        chain.process(&mut [&mut l, &mut r]);
        out[0].extend_from_slice(&l);
        out[1].extend_from_slice(&r);
        pos += n;
    }
    out.map(|c| c[latency..].to_vec())
}

#[test]
fn learn_on_the_demo_mix_lands_on_the_target() {
    let mix = demo_mix();
    let capture = Capture::new(DEMO_SAMPLE_RATE as f32, DEFAULT_LEARN_SECONDS);
    let mut learner = Learner::new(capture.clone());
    for target in [-14.0, -10.0, -23.0] {
        learner.start(Settings::default(), target);
        // A host looping the demo, block by block, until Learn has heard 30 s.
        let mut pos = 0;
        while capture.is_listening() {
            let n = BLOCK.min(mix[0].len() - pos);
            assert_no_alloc(|| capture.push(&[&mix[0][pos..pos + n], &mix[1][pos..pos + n]]));
            // Listening until the block that fills the buffer; then the search starts.
            let state = learner.poll();
            assert!(
                matches!(state, LearnState::Listening(_))
                    || (!capture.is_listening() && state == LearnState::Searching(0.0)),
                "{state:?}"
            );
            pos = (pos + n) % mix[0].len();
        }
        let started = Instant::now();
        let result = loop {
            match learner.poll() {
                LearnState::Done(r) => break r,
                LearnState::Searching(_) => std::thread::sleep(Duration::from_millis(20)),
                other => panic!("unexpected state {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(300), "search did not finish");
        };
        let defaults = Settings::default();
        let settings = Settings {
            output_gain_db: result.output_gain_db,
            limiter: LimiterSettings { drive_db: result.drive_db, ..defaults.limiter },
            ..defaults
        };
        let got = ebur128_lufs(&render(&mix, &settings), DEMO_SAMPLE_RATE);
        println!(
            "target {target}: drive {:.2} dB, trim {:.2} dB, predicted {:.2} LUFS, ebur128 {got:.2} LUFS",
            result.drive_db, result.output_gain_db, result.predicted_lufs
        );
        assert!(result.reached && (got - target).abs() <= 0.5, "{result:?}: {got:.2} LUFS");
        learner.clear();
        assert_eq!(learner.poll(), LearnState::Idle);
    }
}
