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
//!
//! The same is done for the example filter that BS.1770-4 itself publishes (Annex 2: 48 taps,
//! 4x), which a meter written from the standard's text uses: its 12 taps per phase leak images
//! of broadband content near the Nyquist frequency, and on hot drums it read up to +0.09 dB over
//! the ceiling (+0.10 dB on noise bursts at 192 kHz) before its points were held too.

use crate::dsp::simd::{LaneKernel, LaneWidth, Lanes};

/// Driven input kept from the previous chunk: the 2x meter reaches 45 samples back from the
/// newest input (its point for interval s = n - 34 uses x[s - 11 ..= s + 12]).
pub const HISTORY: usize = 48;
/// The limiter's detector hands out the estimate of interval s when x[s + DETECTOR_DELAY] arrives.
const DETECTOR_DELAY: usize = crate::dsp::resample::peak_interpolator::LATENCY_SAMPLES;

/// ITU-R BS.1770-4 Annex 2's example interpolation filter (order 48, four phases), as published:
/// row k holds tap k of phases 0..=3. Phase p of output n, `sum_k h[k][p] x[n - k]`, lies between
/// x[n - 6] and x[n - 5], so in the convention of this file (interval s = n - 6, tap 0 weighting
/// the newest sample x[s + 6]) its span is s - 5 ..= s + 6, like libebur128's at 4x.
const BS1770_EXAMPLE: [[f64; 4]; 12] = [
    [0.0017089843750, -0.0291748046875, -0.0189208984375, -0.0083007812500],
    [0.0109863281250, 0.0292968750000, 0.0330810546875, 0.0148925781250],
    [-0.0196533203125, -0.0517578125000, -0.0582275390625, -0.0266113281250],
    [0.0332031250000, 0.0891113281250, 0.1015625000000, 0.0476074218750],
    [-0.0594482421875, -0.1665039062500, -0.2003173828125, -0.1022949218750],
    [0.1373291015625, 0.4650878906250, 0.7797851562500, 0.9721679687500],
    [0.9721679687500, 0.7797851562500, 0.4650878906250, 0.1373291015625],
    [-0.1022949218750, -0.2003173828125, -0.1665039062500, -0.0594482421875],
    [0.0476074218750, 0.1015625000000, 0.0891113281250, 0.0332031250000],
    [-0.0266113281250, -0.0582275390625, -0.0517578125000, -0.0196533203125],
    [0.0148925781250, 0.0330810546875, 0.0292968750000, 0.0109863281250],
    [-0.0083007812500, -0.0189208984375, -0.0291748046875, 0.0017089843750],
];

/// The example filter's phase `p`, newest sample first.
fn bs1770_phase(p: usize) -> [f32; 12] {
    std::array::from_fn(|k| BS1770_EXAMPLE[k][p] as f32)
}

/// Which meter points a sample rate gets: libebur128's (its choice of factor per rate) and, at
/// every rate, those of BS.1770-4's own example filter at 4x, the filter a meter built from the
/// standard's text uses (it reads broadband peaks up to 0.1 dB over the ceiling otherwise).
#[derive(Debug, Clone)]
pub enum MeterMatch {
    /// Below 96 kHz: libebur128's phases 1/4, 2/4, 3/4 and the example filter's four phases, 12
    /// taps each, newest sample first, over the same span (one pass reads each sample once).
    Four([[f32; 12]; 7]),
    /// 96 kHz to under 192 kHz: libebur128's half-sample phase (24 taps, newest first) and the
    /// example filter's four phases.
    Two([f32; 24], [[f32; 12]; 4]),
    /// 192 kHz and up: libebur128 reads sample peaks, which the limiter's own bound covers; the
    /// example filter's phases.
    Example([[f32; 12]; 4]),
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
        let example: [[f32; 12]; 4] = std::array::from_fn(bs1770_phase);
        if sample_rate < 96_000.0 {
            Self::Four(std::array::from_fn(|p| {
                if p < 3 {
                    std::array::from_fn(|k| prototype(4 * k + p + 1, 4) as f32)
                } else {
                    example[p - 3]
                }
            }))
        } else if sample_rate < 192_000.0 {
            Self::Two(std::array::from_fn(|k| prototype(2 * k + 1, 2) as f32), example)
        } else {
            Self::Example(example)
        }
    }

    /// `peaks[i] = max(peaks[i], scale * meter reading of interval s_i)` where s_i is the
    /// interval the detector's estimate `peaks[i]` belongs to. `x` holds `HISTORY` older driven
    /// samples and then the chunk's (`peaks.len()` of them). `scale` takes back the part of the
    /// limiter's margin that exists for the meters this reading does not reproduce, so the
    /// meters' own readings are held at the ceiling (less the numeric margin), not under it.
    /// Runs on the lanes of `width`; every width gives the same result bit for bit.
    pub fn raise(&self, width: LaneWidth, x: &[f32], scale: f32, peaks: &mut [f32]) {
        let n = peaks.len();
        // Twelve taps for interval s = n_i - DETECTOR_DELAY: sum_k c[k] x[s + 6 - k].
        let newest12 = HISTORY - DETECTOR_DELAY + 6;
        let x12 = &x[newest12 + 1 - 12..newest12 + n];
        match self {
            Self::Four(phases) => width.run(RaiseByFir { phases, x: x12, scale, peaks }),
            Self::Two(taps, example) => {
                let newest = HISTORY - DETECTOR_DELAY + 12;
                let x24 = &x[newest + 1 - 24..newest + n];
                width.run(RaiseByFir { phases: std::array::from_ref(taps), x: x24, scale, peaks });
                width.run(RaiseByFir { phases: example, x: x12, scale, peaks });
            }
            Self::Example(example) => width.run(RaiseByFir { phases: example, x: x12, scale, peaks }),
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

    /// The example filter's points against a direct f64 evaluation of the published table (and
    /// libebur128's against the crate): the largest of the sample peaks and all the points, at
    /// every kind of rate, on every width.
    #[test]
    fn reads_what_both_meters_read() {
        let mut rng = crate::dsp::util::rng::XorShift32::new(11);
        for fs in [44_100u32, 48_000, 96_000, 192_000] {
            let n: usize = 600;
            let x: Vec<f32> = (0..n).map(|i| if (100..300).contains(&i) { rng.next_centered() } else { 0.0 }).collect();
            let mut meter = ebur128::EbuR128::new(1, fs, ebur128::Mode::TRUE_PEAK).unwrap();
            meter.add_frames_f32(&x).unwrap();
            let mut example = 0.0f64;
            for m in 0..n + 12 {
                let mut sums = [0.0f64; 4];
                for (k, taps) in BS1770_EXAMPLE.iter().enumerate() {
                    if let Some(&v) = m.checked_sub(k).and_then(|i| x.get(i)) {
                        for (sum, &c) in sums.iter_mut().zip(taps) {
                            *sum += c * v as f64;
                        }
                    }
                }
                example = sums.iter().fold(example, |e, s| e.max(s.abs()));
            }
            let expected = meter.true_peak(0).unwrap().max(example) as f32;
            let mm = MeterMatch::new(fs as f32);
            let mut padded = vec![0.0f32; HISTORY];
            padded.extend_from_slice(&x);
            padded.extend(std::iter::repeat_n(0.0, DETECTOR_DELAY + 12));
            let len = n + DETECTOR_DELAY + 12;
            let start: Vec<f32> =
                (0..len).map(|i| x.get(i.wrapping_sub(DETECTOR_DELAY)).map_or(0.0, |v| v.abs())).collect();
            let mut first: Option<Vec<u32>> = None;
            for width in LaneWidth::supported() {
                let mut peaks = start.clone();
                mm.raise(width, &padded, 1.0, &mut peaks);
                let got = peaks.iter().cloned().fold(0.0f32, f32::max);
                assert!(
                    (got - expected).abs() <= 1e-5 * expected,
                    "{fs}: {got} vs {expected} ({} lanes)",
                    width.lanes()
                );
                // Every width this CPU runs gives the same points, bit for bit.
                let bits: Vec<u32> = peaks.iter().map(|p| p.to_bits()).collect();
                assert_eq!(&bits, first.get_or_insert_with(|| bits.clone()), "{fs}: {} lanes differ", width.lanes());
            }
            assert!(example > meter.true_peak(0).unwrap() * 0.9, "{fs}: the burst exercises the example filter");
            // libebur128's points alone (the example filter's phases zeroed) read what it reads.
            let ebur_only = match mm {
                MeterMatch::Four(mut phases) => {
                    phases[3..].fill([0.0; 12]);
                    Some(MeterMatch::Four(phases))
                }
                MeterMatch::Two(taps, _) => Some(MeterMatch::Two(taps, [[0.0; 12]; 4])),
                MeterMatch::Example(_) => None,
            };
            if let Some(ebur_only) = ebur_only {
                let mut peaks = start.clone();
                ebur_only.raise(LaneWidth::detect(), &padded, 1.0, &mut peaks);
                let got = peaks.iter().cloned().fold(0.0f32, f32::max);
                let expected = meter.true_peak(0).unwrap() as f32;
                assert!((got - expected).abs() <= 1e-5 * expected, "{fs}: {got} vs libebur128 {expected}");
            }
        }
    }
}
