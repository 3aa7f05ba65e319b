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

/// A meter's phases over one window of `2 H` taps, folded on their symmetry so each point costs
/// about half the multiplies. Both meters' filters are symmetric prototypes, so their phases are
/// either mirrored pairs (one phase's taps are the other's reversed) or symmetric themselves.
/// With `u_k = x_k + x_{2H-1-k}` and `v_k = x_k - x_{2H-1-k}` (x_k the k-th newest sample of the
/// window), a pair's two points are `A + D` and `A - D` with `A = sum_k a_k u_k`,
/// `D = sum_k d_k v_k` over k < H (a, d half the sum and half the difference of tap k and its
/// mirror), so the larger magnitude of the two is `|A| + |D|`; a symmetric phase's point is
/// `sum_k c_k u_k`. `u` and `v` are shared by every phase of the window.
#[derive(Debug, Clone)]
pub struct Folded<const H: usize, const PAIRS: usize, const SYMS: usize> {
    /// Per mirrored pair: (a, d) as above.
    pairs: [([f32; H], [f32; H]); PAIRS],
    /// Per symmetric phase: its first H taps.
    syms: [[f32; H]; SYMS],
}

/// `(a, d)` of the pair whose first phase has `taps` (newest first; its mirror is their reverse).
fn fold_pair<const H: usize>(taps: impl Fn(usize) -> f64) -> ([f32; H], [f32; H]) {
    let mirror = |k: usize| taps(2 * H - 1 - k);
    (
        std::array::from_fn(|k| (0.5 * (taps(k) + mirror(k))) as f32),
        std::array::from_fn(|k| (0.5 * (taps(k) - mirror(k))) as f32),
    )
}

/// The first half of a symmetric phase's taps (newest first).
fn fold_sym<const H: usize>(taps: impl Fn(usize) -> f64) -> [f32; H] {
    std::array::from_fn(|k| taps(k) as f32)
}

/// The example filter's phases as two mirrored pairs: phase 3 is phase 0 reversed, phase 2 is
/// phase 1 reversed (exactly, in the published table).
fn example_folded() -> Folded<6, 2, 0> {
    Folded { pairs: [fold_pair(|k| BS1770_EXAMPLE[k][0]), fold_pair(|k| BS1770_EXAMPLE[k][1])], syms: [] }
}

/// Which meter points a sample rate gets: libebur128's (its choice of factor per rate) and, at
/// every rate, those of BS.1770-4's own example filter at 4x, the filter a meter built from the
/// standard's text uses (it reads broadband peaks up to 0.1 dB over the ceiling otherwise).
#[derive(Debug, Clone)]
pub enum MeterMatch {
    /// Below 96 kHz: libebur128's phases 1/4 and 3/4 (a mirrored pair) and 2/4 (symmetric), and
    /// the example filter's two pairs, all over the same 12-sample span (one pass).
    Four(Folded<6, 3, 1>),
    /// 96 kHz to under 192 kHz: libebur128's half-sample phase (24 taps, symmetric) and the
    /// example filter's phases.
    Two(Folded<12, 0, 1>, Folded<6, 2, 0>),
    /// 192 kHz and up: libebur128 reads sample peaks, which the limiter's own bound covers; the
    /// example filter's phases.
    Example(Folded<6, 2, 0>),
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
        let example = example_folded();
        if sample_rate < 96_000.0 {
            // Phase p/4 has taps prototype(4k + p), k = 0..12; prototype(j) = prototype(48 - j),
            // so 3/4 is 1/4 reversed and 2/4 is its own reverse.
            let [ex0, ex1] = example.pairs;
            Self::Four(Folded {
                pairs: [fold_pair(|k| prototype(4 * k + 1, 4)), ex0, ex1],
                syms: [fold_sym(|k| prototype(4 * k + 2, 4))],
            })
        } else if sample_rate < 192_000.0 {
            Self::Two(Folded { pairs: [], syms: [fold_sym(|k| prototype(2 * k + 1, 2))] }, example)
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
            Self::Four(bank) => width.run(RaiseFolded { bank, x: x12, scale, peaks }),
            Self::Two(half, example) => {
                let newest = HISTORY - DETECTOR_DELAY + 12;
                let x24 = &x[newest + 1 - 24..newest + n];
                width.run(RaiseFolded { bank: half, x: x24, scale, peaks });
                width.run(RaiseFolded { bank: example, x: x12, scale, peaks });
            }
            Self::Example(bank) => width.run(RaiseFolded { bank, x: x12, scale, peaks }),
        }
    }
}

/// `peaks[i] = max(peaks[i], scale * |point|)` for every point `bank` computes on the window
/// `x[i ..= i + 2H - 1]` (its newest sample last). Per lane the operations are the scalar
/// tail's, in the same order (sums from k = 0, multiply then add), so the result does not
/// depend on the width.
struct RaiseFolded<'a, const H: usize, const PAIRS: usize, const SYMS: usize> {
    bank: &'a Folded<H, PAIRS, SYMS>,
    x: &'a [f32],
    scale: f32,
    peaks: &'a mut [f32],
}

impl<const H: usize, const PAIRS: usize, const SYMS: usize> LaneKernel for RaiseFolded<'_, H, PAIRS, SYMS> {
    type Output = ();
    #[inline(always)]
    fn run<V: Lanes>(self) {
        raise_lanes::<V, H, PAIRS, SYMS>(self.bank, self.x, self.scale, self.peaks);
    }
}

#[inline(always)]
fn raise_lanes<V: Lanes, const H: usize, const PAIRS: usize, const SYMS: usize>(
    bank: &Folded<H, PAIRS, SYMS>,
    x: &[f32],
    scale: f32,
    peaks: &mut [f32],
) {
    let taps = 2 * H;
    let n = peaks.len().min((x.len() + 1).saturating_sub(taps));
    let groups = n - n % V::N;
    let lane_scale = V::splat(scale);
    for i in (0..groups).step_by(V::N) {
        let mut even = [V::splat(0.0); PAIRS];
        let mut odd = [V::splat(0.0); PAIRS];
        let mut sym = [V::splat(0.0); SYMS];
        for k in 0..H {
            let (newer, older) = (V::load(x, i + taps - 1 - k), V::load(x, i + k));
            let (u, v) = (newer + older, newer - older);
            for ((e, o), (a, d)) in even.iter_mut().zip(odd.iter_mut()).zip(&bank.pairs) {
                *e = *e + V::splat(a[k]) * u;
                *o = *o + V::splat(d[k]) * v;
            }
            for (s, c) in sym.iter_mut().zip(&bank.syms) {
                *s = *s + V::splat(c[k]) * u;
            }
        }
        let mut peak = V::load(peaks, i);
        for (e, o) in even.into_iter().zip(odd) {
            peak = peak.max(lane_scale * (e.abs() + o.abs()));
        }
        for s in sym {
            peak = peak.max(lane_scale * s.abs());
        }
        peak.store(peaks, i);
    }
    for (i, p) in peaks[..n].iter_mut().enumerate().skip(groups) {
        let mut even = [0.0f32; PAIRS];
        let mut odd = [0.0f32; PAIRS];
        let mut sym = [0.0f32; SYMS];
        for k in 0..H {
            let (newer, older) = (x[i + taps - 1 - k], x[i + k]);
            let (u, v) = (newer + older, newer - older);
            for ((e, o), (a, d)) in even.iter_mut().zip(odd.iter_mut()).zip(&bank.pairs) {
                *e += a[k] * u;
                *o += d[k] * v;
            }
            for (s, c) in sym.iter_mut().zip(&bank.syms) {
                *s += c[k] * u;
            }
        }
        for (e, o) in even.into_iter().zip(odd) {
            *p = p.max(scale * (e.abs() + o.abs()));
        }
        for s in sym {
            *p = p.max(scale * s.abs());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The symmetry the folding relies on: the published table's phases 3 and 2 are phases 0
    /// and 1 reversed, and libebur128's prototype is symmetric about its centre tap.
    #[test]
    fn the_folded_phases_are_mirrors() {
        for k in 0..12 {
            assert_eq!(BS1770_EXAMPLE[k][3], BS1770_EXAMPLE[11 - k][0]);
            assert_eq!(BS1770_EXAMPLE[k][2], BS1770_EXAMPLE[11 - k][1]);
        }
        for factor in [2, 4] {
            for j in 0..=48 {
                assert!((prototype(j, factor) - prototype(48 - j, factor)).abs() < 1e-15, "{factor}: tap {j}");
            }
        }
    }

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
                MeterMatch::Four(mut bank) => {
                    bank.pairs[1..].fill(([0.0; 6], [0.0; 6]));
                    Some(MeterMatch::Four(bank))
                }
                MeterMatch::Two(half, _) => {
                    Some(MeterMatch::Two(half, Folded { pairs: [([0.0; 6], [0.0; 6]); 2], syms: [] }))
                }
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
