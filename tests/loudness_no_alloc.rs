//! The loudness meter never allocates after `new`: every audio-thread entry point runs under
//! `assert_no_alloc`, which aborts the test binary on any (de)allocation in debug builds (test
//! builds keep debug assertions on). Also checks the `ebur128` crate in histogram mode, for the
//! "could the plugin use it on the audio thread" decision recorded in the docs.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use lacquer::dsp::meter::loudness::LoudnessMeter;
use lacquer::dsp::util::rng::XorShift32;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut rng = XorShift32::new(seed);
    (0..n).map(|_| 0.4 * rng.next_centered()).collect()
}

#[test]
fn loudness_meter_process_and_getters_do_not_allocate() {
    let sr = 48_000.0;
    // 5 s: covers the first gating block, the first LRA value and many histogram updates.
    let left = noise(5 * 48_000, 1);
    let right = noise(5 * 48_000, 2);
    let mut hostile = vec![f32::NAN; 64];
    hostile[1] = f32::INFINITY;
    hostile[2] = 1e-40;
    hostile[3] = -1e30;
    for channels in [1, 2] {
        let mut meter = LoudnessMeter::new(sr, channels);
        let checksum = assert_no_alloc(|| {
            let mut checksum = 0.0f32;
            let mut pos = 0;
            let mut sizes = [64usize, 1, 511, 4800, 7, 0, 12_345].iter().cycle();
            while pos < left.len() {
                let n = (*sizes.next().unwrap()).min(left.len() - pos);
                meter.process(&left[pos..pos + n], &right[pos..pos + n]);
                pos += n;
                checksum += meter.momentary_lufs()
                    + meter.short_term_lufs()
                    + meter.integrated_lufs()
                    + meter.loudness_range_lu()
                    + meter.momentary_max_lufs()
                    + meter.short_term_max_lufs()
                    + meter.true_peak_dbtp(0)
                    + meter.true_peak_max_dbtp()
                    + meter.sample_peak_dbfs(1)
                    + meter.block_true_peak_dbtp(0)
                    + meter.block_sample_peak_dbfs(0)
                    + meter.correlation();
            }
            meter.process(&hostile, &hostile);
            meter.set_true_peak_enabled(false);
            meter.process(&left[..4800], &right[..4800]);
            meter.set_true_peak_enabled(true);
            meter.reset_max_hold();
            meter.finish();
            checksum += meter.loudness_range_lu();
            meter.reset();
            meter.process(&left[..48_000], &right[..48_000]);
            checksum
        });
        assert!(!checksum.is_nan());
        assert!(meter.integrated_lufs().is_finite());
    }
}

/// `ebur128` 0.1 in histogram mode (the only mode with fixed memory): feeding audio and
/// reading every result must not allocate either.
#[test]
fn ebur128_histogram_mode_does_not_allocate_in_steady_state() {
    use ebur128::{EbuR128, Mode};
    let left = noise(5 * 48_000, 3);
    let right = noise(5 * 48_000, 4);
    let mode = Mode::all();
    assert!(mode.contains(Mode::HISTOGRAM));
    let mut ebu = EbuR128::new(2, 48_000, mode).unwrap();
    let checksum = assert_no_alloc(|| {
        let mut checksum = 0.0f64;
        for (l, r) in left.chunks(512).zip(right.chunks(512)) {
            ebu.add_frames_planar_f32(&[l, r]).unwrap();
            checksum += ebu.loudness_momentary().unwrap()
                + ebu.loudness_shortterm().unwrap()
                + ebu.loudness_global().unwrap()
                + ebu.loudness_range().unwrap()
                + ebu.true_peak(0).unwrap()
                + ebu.sample_peak(1).unwrap();
        }
        ebu.reset();
        checksum
    });
    assert!(checksum.is_finite() || checksum == f64::NEG_INFINITY);
}
