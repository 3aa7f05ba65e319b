//! The reading of the most used BS.1770 true-peak meter, computed inside the limiter's detector
//! so the limiter never reads over on it.
//!
//! libebur128 (and so ffmpeg's `ebur128=peak=true` and the `ebur128` crate) oversamples with a
//! 48-tap Hann-windowed sinc: 4x below 96 kHz (12 taps per phase), 2x from 96 kHz (24 taps per
//! phase), sample peak from 192 kHz. Its short window makes the half-sample phase read a tone at
//! a third of the rate 0.11 dB high, and on dense broadband material (noise bursts, bright hats)
//! its interpolation error adds up to +0.25 dB over an ideal reconstruction at some peaks: more
//! than a fixed margin could cover without costing loudness everywhere. So the detector computes
//! the points that meter computes (the same filter, derived here from its definition) and the
//! limiter's requirement uses the larger of its own estimate and the meter's. The meter's span
//! (at most 24 samples, s - 11 ..= s + 12 around the interval s) lies inside the gain path's
//! guard (±16 samples held flat at the peak's requirement), so the meter's reading of the output
//! is the reading of the driven input times that gain: at or under the threshold, by
//! construction and at no loudness cost where the meter does not over-read.

use crate::dsp::simd::{LaneKernel, LaneWidth, Lanes};

/// Driven input kept from the previous chunk: the 2x meter reaches 45 samples back from the
/// newest input (its point for interval s = n - 34 uses x[s - 11 ..= s + 12]).
pub const HISTORY: usize = 48;
/// The limiter's detector hands out the estimate of interval s when x[s + DETECTOR_DELAY] arrives.
const DETECTOR_DELAY: usize = crate::dsp::resample::peak_interpolator::LATENCY_SAMPLES;

/// Which meter points a sample rate gets (libebur128's choice of factor).
#[derive(Debug, Clone)]
pub enum MeterMatch {
    /// Below 96 kHz: phases 1/4, 2/4, 3/4, 12 taps each, newest sample first.
    Four([[f32; 12]; 3]),
    /// 96 kHz to under 192 kHz: the half-sample phase, 24 taps, newest first.
    Two([f32; 24]),
    /// 192 kHz and up: the meter reads sample peaks, which the limiter's own bound covers.
    Off,
}

/// Tap j (0..48) of the meter's prototype for `factor`: Hann window over 48 points times the
/// sinc with its zeros at multiples of `factor`, centred on tap 24 (unnormalised, as the meter).
fn prototype(j: usize, factor: usize) -> f64 {
    let window = 0.5 * (1.0 - (2.0 * std::f64::consts::PI * j as f64 / 48.0).cos());
    let m = j as f64 - 24.0;
    if m == 0.0 {
        window
    } else {
        let arg = m * std::f64::consts::PI / factor as f64;
        window * arg.sin() / arg
    }
}

impl MeterMatch {
    pub fn new(sample_rate: f32) -> Self {
        if sample_rate < 96_000.0 {
            Self::Four(std::array::from_fn(|p| std::array::from_fn(|k| prototype(4 * k + p + 1, 4) as f32)))
        } else if sample_rate < 192_000.0 {
            Self::Two(std::array::from_fn(|k| prototype(2 * k + 1, 2) as f32))
        } else {
            Self::Off
        }
    }

    /// `peaks[i] = max(peaks[i], scale * meter reading of interval s_i)` where s_i is the
    /// interval the detector's estimate `peaks[i]` belongs to. `x` holds `HISTORY` older driven
    /// samples and then the chunk's (`peaks.len()` of them). `scale` takes back the part of the
    /// limiter's margin that exists for the meters this reading does not reproduce, so the
    /// meter's own reading is held at the ceiling (less the numeric margin), not under it.
    /// Runs on the lanes of `width`; every width gives the same result bit for bit.
    pub fn raise(&self, width: LaneWidth, x: &[f32], scale: f32, peaks: &mut [f32]) {
        let n = peaks.len();
        match self {
            Self::Four(phases) => {
                // Phase p for interval s = n_i - DETECTOR_DELAY: sum_k c[k] x[s + 6 - k].
                let newest = HISTORY - DETECTOR_DELAY + 6;
                let x = &x[newest + 1 - 12..newest + n];
                width.run(RaiseByFir { phases, x, scale, peaks });
            }
            Self::Two(taps) => {
                let newest = HISTORY - DETECTOR_DELAY + 12;
                let x = &x[newest + 1 - 24..newest + n];
                width.run(RaiseByFir { phases: std::array::from_ref(taps), x, scale, peaks });
            }
            Self::Off => {}
        }
    }
}

/// `peaks[i] = max(peaks[i], scale |sum_k c[k] x[i + K - 1 - k]|)` for each phase's taps `c`
/// (tap 0 weights the newest sample). All phases read the same input window, so each input
/// vector is loaded once for every phase; the sums stay in registers. Per lane the operations
/// are the scalar tail's, in the same order (sum from tap 0, multiply then add), so the result
/// does not depend on the width.
struct RaiseByFir<'a, const K: usize, const P: usize> {
    phases: &'a [[f32; K]; P],
    x: &'a [f32],
    scale: f32,
    peaks: &'a mut [f32],
}

impl<const K: usize, const P: usize> LaneKernel for RaiseByFir<'_, K, P> {
    type Output = ();
    #[inline(always)]
    fn run<V: Lanes>(self) {
        raise_lanes::<V, K, P>(self.phases, self.x, self.scale, self.peaks);
    }
}

#[inline(always)]
fn raise_lanes<V: Lanes, const K: usize, const P: usize>(
    phases: &[[f32; K]; P],
    x: &[f32],
    scale: f32,
    peaks: &mut [f32],
) {
    let n = peaks.len().min((x.len() + 1).saturating_sub(K));
    let groups = n - n % V::N;
    let lane_scale = V::splat(scale);
    // Two groups at a time: each coefficient is broadcast once for both, and the second group's
    // sample loads overlap the first's (the loads, not the arithmetic, bound this loop).
    let doubles = groups - groups % (2 * V::N);
    for i in (0..doubles).step_by(2 * V::N) {
        let mut first = [V::splat(0.0); P];
        let mut second = [V::splat(0.0); P];
        for k in 0..K {
            let (v, w) = (V::load(x, i + K - 1 - k), V::load(x, i + V::N + K - 1 - k));
            for ((a, b), taps) in first.iter_mut().zip(second.iter_mut()).zip(phases) {
                let c = V::splat(taps[k]);
                *a = *a + c * v;
                *b = *b + c * w;
            }
        }
        for (at, sums) in [(i, first), (i + V::N, second)] {
            let mut peak = V::load(peaks, at);
            for sum in sums {
                peak = peak.max(lane_scale * sum.abs());
            }
            peak.store(peaks, at);
        }
    }
    for i in (doubles..groups).step_by(V::N) {
        let mut sums = [V::splat(0.0); P];
        for k in 0..K {
            let v = V::load(x, i + K - 1 - k);
            for (sum, taps) in sums.iter_mut().zip(phases) {
                *sum = *sum + V::splat(taps[k]) * v;
            }
        }
        let mut peak = V::load(peaks, i);
        for sum in sums {
            peak = peak.max(lane_scale * sum.abs());
        }
        peak.store(peaks, i);
    }
    for (i, p) in peaks[..n].iter_mut().enumerate().skip(groups) {
        for taps in phases {
            let mut sum = 0.0f32;
            for (k, &c) in taps.iter().enumerate() {
                sum += c * x[i + K - 1 - k];
            }
            *p = p.max(scale * sum.abs());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the meter itself: the `ebur128` crate's true peak of a burst equals the largest
    /// of the sample peaks and these points, to f32 rounding.
    #[test]
    fn reads_what_libebur128_reads() {
        let mut rng = crate::dsp::util::rng::XorShift32::new(7);
        for fs in [44_100u32, 48_000, 96_000] {
            let n: usize = 600;
            let x: Vec<f32> = (0..n).map(|i| if (100..300).contains(&i) { rng.next_centered() } else { 0.0 }).collect();
            let mut meter = ebur128::EbuR128::new(1, fs, ebur128::Mode::TRUE_PEAK).unwrap();
            meter.add_frames_f32(&x).unwrap();
            let expected = meter.true_peak(0).unwrap() as f32;
            let mm = MeterMatch::new(fs as f32);
            let mut padded = vec![0.0f32; HISTORY];
            padded.extend_from_slice(&x);
            let start: Vec<f32> = (0..n).map(|i| x[i.saturating_sub(DETECTOR_DELAY)].abs()).collect();
            let mut first: Option<Vec<f32>> = None;
            // Every width this CPU runs gives the same points, bit for bit.
            for width in LaneWidth::supported() {
                let mut peaks = start.clone();
                mm.raise(width, &padded, 1.0, &mut peaks);
                let got = peaks.iter().cloned().fold(0.0f32, f32::max);
                assert!((got - expected).abs() <= 1e-5 * expected, "{fs}: {got} vs libebur128 {expected}");
                let bits: Vec<u32> = peaks.iter().map(|p| p.to_bits()).collect();
                let reference = first.get_or_insert_with(|| peaks.clone());
                let reference: Vec<u32> = reference.iter().map(|p| p.to_bits()).collect();
                assert_eq!(bits, reference, "{fs}: {} lanes differ from four", width.lanes());
            }
        }
    }
}
