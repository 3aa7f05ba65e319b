//! The meter bus under concurrent use: the GUI never reads a torn or invented value, the writer
//! finishes its publishes while a reader hammers the bus (it never waits), and the audio-side
//! calls allocate nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use lacquer::chain::{ChainMeters, LoudnessReadings};
use lacquer::meter_bus::{HistoryPoint, MeterBus, HISTORY_READ_MAX};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const PUBLISHES: usize = 20_000;
const BLOCK: usize = 64;

/// The k-th value the writer publishes: a distinct, exactly representable f32 with a known set.
fn value(k: usize) -> f32 {
    -((k % 4096) as f32) / 64.0 - 1.0
}

fn is_written(v: f32) -> bool {
    // Values are -(j/64) - 1 for j in 0..4096: exact in f32, so membership is exact.
    let j = (-v - 1.0) * 64.0;
    (0.0..4096.0).contains(&j) && j.fract() == 0.0
}

fn meters(k: usize) -> ChainMeters {
    let v = value(k);
    let loudness = LoudnessReadings {
        momentary_lufs: v,
        short_term_lufs: v,
        integrated_lufs: v,
        loudness_range_lu: v,
        true_peak_dbtp: [v, v],
        block_true_peak_dbtp: [v, v],
        correlation: v,
    };
    ChainMeters {
        input_peak: [0.0, 0.0],
        output_peak: [0.0, 0.0],
        limiter_gain_reduction_db: v,
        limiter_max_gain_reduction_db: v,
        safety_clips: k as u64,
        compressor_gain_reduction_db: [v, v, v],
        input_loudness: loudness,
        output_loudness: loudness,
    }
}

#[test]
fn readers_never_see_torn_or_unwritten_values_and_the_writer_never_waits() {
    let bus = Arc::new(MeterBus::new());
    let done = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let reader = {
        let bus = bus.clone();
        let done = done.clone();
        let started = started.clone();
        thread::spawn(move || {
            started.store(true, Ordering::Release);
            let mut pre = vec![0.0f32; 4096];
            let mut post = vec![0.0f32; 4096];
            let mut reads = 0u64;
            while !done.load(Ordering::Acquire) {
                let r = bus.output_loudness.load();
                for v in [r.momentary_lufs, r.short_term_lufs, r.integrated_lufs, r.loudness_range_lu, r.correlation]
                    .into_iter()
                    .chain(r.true_peak_dbtp)
                    .chain(r.block_true_peak_dbtp)
                {
                    assert!(v == f32::NEG_INFINITY || v == 0.0 || is_written(v), "torn or unknown value {v}");
                }
                let gr = bus.limiter_gain_reduction_db.load(Ordering::Relaxed);
                assert!(gr == 0.0 || is_written(gr), "gain reduction {gr}");
                bus.copy_spectrum(&mut pre, &mut post);
                for (&a, &b) in pre.iter().zip(&post) {
                    assert!(a == 0.0 || is_written(a), "spectrum pre sample {a}");
                    assert!(b == 0.0 || is_written(b), "spectrum post sample {b}");
                }
                reads += 1;
            }
            reads
        })
    };
    // Publish only while the reader is already hammering the bus.
    while !started.load(Ordering::Acquire) {
        thread::yield_now();
    }
    let mut block = [0.0f32; BLOCK];
    for k in 0..PUBLISHES {
        bus.publish(&meters(k));
        for (i, s) in block.iter_mut().enumerate() {
            *s = value(k * BLOCK + i);
        }
        bus.push_spectrum(&block, &block);
    }
    // The writer got through every publish while the reader ran: it never waited on it.
    done.store(true, Ordering::Release);
    let reads = reader.join().expect("reader panicked");
    assert!(reads > 0, "the reader never ran");
    assert_eq!(bus.safety_clips.load(Ordering::Relaxed), (PUBLISHES - 1) as u64);
    // After the writer stops, the copy is exactly the last samples written, oldest first.
    let mut pre = vec![0.0f32; 256];
    let mut post = vec![0.0f32; 256];
    bus.copy_spectrum(&mut pre, &mut post);
    let end = PUBLISHES * BLOCK;
    for (i, (&a, &b)) in pre.iter().zip(&post).enumerate() {
        assert_eq!(a, value(end - 256 + i));
        assert_eq!(b, a);
    }
}

#[test]
fn peaks_accumulate_until_taken() {
    let bus = MeterBus::new();
    let mut m = meters(0);
    for peak in [0.25, 0.75, 0.5] {
        m.input_peak = [peak, peak / 2.0];
        bus.publish(&m);
    }
    assert_eq!(MeterBus::take_peak(&bus.input_peak[0]), 0.75);
    assert_eq!(MeterBus::take_peak(&bus.input_peak[1]), 0.375);
    assert_eq!(MeterBus::take_peak(&bus.input_peak[0]), 0.0);
}

#[test]
fn publish_and_push_spectrum_do_not_allocate() {
    let bus = MeterBus::new();
    let m = meters(7);
    let block = [0.25f32; 1024];
    assert_no_alloc(|| {
        for _ in 0..100 {
            bus.publish(&m);
            bus.push_spectrum(&block, &block);
            bus.record_history(block.len(), &m, -1.0);
        }
    });
}

/// Feeds `seconds` of 48 kHz audio in pieces cut the way the plugin shell cuts them (at most
/// `piece` frames, never across a history point), with one input peak of 0.9 at `peak_frame`
/// and the ceiling moved from -1 to -3 dB half way through.
fn feed_history(bus: &MeterBus, seconds: usize, piece: usize, peak_frame: usize) {
    let total = 48_000 * seconds;
    let mut start = 0;
    while start < total {
        let end = (start + piece.min(bus.frames_to_next_history_point())).min(total);
        let mut m = meters(0);
        m.input_peak = [0.1, 0.05];
        m.output_peak = [0.2, 0.2];
        m.limiter_gain_reduction_db = -1.5;
        if (start..end).contains(&peak_frame) {
            m.input_peak = [0.0, 0.9];
            m.limiter_gain_reduction_db = -6.0;
        }
        let ceiling_db = if start < total / 2 { -1.0 } else { -3.0 };
        bus.record_history(end - start, &m, ceiling_db);
        start = end;
    }
}

#[test]
fn history_has_100_points_per_second_and_keeps_every_peak() {
    // Odd piece sizes (host blocks rarely line up with 10 ms) give the same points.
    for piece in [64, 333, 1024] {
        let bus = MeterBus::new();
        bus.sample_rate.store(48_000.0, Ordering::Relaxed);
        // The peak sits in frame 123 of point 57 (points are 480 frames at 48 kHz).
        feed_history(&bus, 2, piece, 57 * 480 + 123);
        let mut cursor = 0;
        let mut points: Vec<HistoryPoint> = Vec::new();
        bus.read_history(&mut cursor, |p| points.push(p));
        assert_eq!(points.len(), 200, "piece {piece}");
        for (i, p) in points.iter().enumerate() {
            let (peak, gr) = if i == 57 { (0.9, 6.0) } else { (0.1, 1.5) };
            assert_eq!(p.input_peak, peak, "point {i}, piece {piece}");
            assert_eq!(p.gain_reduction_db, gr, "point {i}, piece {piece}");
            assert_eq!(p.output_peak, 0.2);
            assert_eq!(p.ceiling_db, if i < 100 { -1.0 } else { -3.0 }, "point {i}");
        }
        // Read again: nothing new until more audio arrives.
        bus.read_history(&mut cursor, |_| panic!("no new points were written"));
        feed_history(&bus, 1, piece, usize::MAX);
        let mut more = 0;
        bus.read_history(&mut cursor, |_| more += 1);
        assert_eq!(more, 100);
    }
}

#[test]
fn a_reader_far_behind_gets_only_the_newest_points() {
    let bus = MeterBus::new();
    bus.sample_rate.store(48_000.0, Ordering::Relaxed);
    feed_history(&bus, 30, 1024, 29 * 48_000 + 5);
    let mut cursor = 0;
    let mut points = Vec::new();
    bus.read_history(&mut cursor, |p| points.push(p));
    assert_eq!(points.len(), HISTORY_READ_MAX);
    // The peak one second before the end is the 100th point from the end.
    assert_eq!(points[points.len() - 100].input_peak, 0.9);
    assert_eq!(cursor, 3000);
}

#[test]
fn true_peaks_and_gain_reduction_accumulate_until_taken() {
    let bus = MeterBus::new();
    let mut m = meters(0);
    // Three blocks between two GUI frames: the loudest of each must reach the meters.
    for (tp_in, tp_out, gr) in [(-6.0, -1.5, -2.0), (-3.0, -4.0, -7.5), (-9.0, -0.5, -1.0)] {
        m.input_loudness.block_true_peak_dbtp = [tp_in, tp_in - 1.0];
        m.output_loudness.block_true_peak_dbtp = [tp_out, tp_out - 2.0];
        m.limiter_gain_reduction_db = gr;
        bus.publish(&m);
    }
    assert_eq!(MeterBus::take_max_db(&bus.input_true_peak_dbtp[0]), -3.0);
    assert_eq!(MeterBus::take_max_db(&bus.input_true_peak_dbtp[1]), -4.0);
    assert_eq!(MeterBus::take_max_db(&bus.output_true_peak_dbtp[0]), -0.5);
    assert_eq!(MeterBus::take_max_db(&bus.output_true_peak_dbtp[1]), -2.5);
    assert_eq!(MeterBus::take_peak(&bus.limiter_gain_reduction_peak_db), 7.5);
    // Taken: nothing until the next block.
    assert_eq!(MeterBus::take_max_db(&bus.output_true_peak_dbtp[0]), f32::NEG_INFINITY);
    assert_eq!(MeterBus::take_peak(&bus.limiter_gain_reduction_peak_db), 0.0);
    // The current gain reduction is still the latest block's, not the maximum.
    assert_eq!(bus.limiter_gain_reduction_db.load(Ordering::Relaxed), -1.0);
}

#[test]
fn history_points_carry_the_short_term_loudness_at_their_end() {
    let bus = MeterBus::new();
    bus.sample_rate.store(48_000.0, Ordering::Relaxed);
    let mut m = meters(0);
    // Ten points, each written in two pieces of 240 frames; the short-term value seen at the
    // end of a point is the one it keeps.
    for point in 0..10 {
        for half in 0..2 {
            m.output_loudness.short_term_lufs = -30.0 + point as f32 + if half == 0 { 0.5 } else { 0.0 };
            bus.record_history(240, &m, -1.0);
        }
    }
    let mut cursor = 0;
    let mut points = Vec::new();
    bus.read_history(&mut cursor, |p| points.push(p.short_term_lufs));
    let expected: Vec<f32> = (0..10).map(|p| -30.0 + p as f32).collect();
    assert_eq!(points, expected);
}
