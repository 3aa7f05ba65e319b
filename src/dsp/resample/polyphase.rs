//! Polyphase half-band FIR interpolator and decimator: the 2x building block of the oversampler.
//!
//! With the half-band's zero taps (see [`crate::dsp::resample::design`]), one polyphase branch is a
//! pure delay (the centre tap) and the other a symmetric FIR of 2K taps, which costs K multiplies
//! per output thanks to the symmetry. Linear phase: the delay is exactly `2K - 1` high-rate
//! samples per filter.
//!
//! Both structs are stereo and work on whole blocks: for each tap they accumulate a group of
//! outputs at once, so the inner loop runs over independent lanes and vectorises without the
//! compiler having to reassociate floating-point sums.

use crate::dsp::simd::{madd, run_fma, FmaKernel};

/// `out[n] = sum_p taps[p] * (buf[n + p] + buf[n + span - p])`, `span = 2 * taps.len() - 1`:
/// a symmetric FIR of `2 * taps.len()` taps given outer-first, evaluated over a block. Also the
/// first (long) stage of the true-peak meter's block reconstruction.
#[inline]
pub(crate) fn symmetric_fir(taps: &[f32], buf: &[f32], out: &mut [f32]) {
    symmetric_fir_span(taps, 2 * taps.len() - 1, buf, out);
}

/// `out[n] = sum_p taps[p] * (buf[n + p] + buf[n + span - p])` for any `span >= 2 * taps.len() - 1`
/// (an odd-length symmetric FIR is `span = 2 * taps.len()` plus its centre tap, added apart).
#[inline]
fn symmetric_fir_span(taps: &[f32], span: usize, buf: &[f32], out: &mut [f32]) {
    run_fma(SymmetricFir { taps, span, buf, out });
}

/// [`symmetric_fir_span`] as an FMA loop: 16 outputs at a time in the baseline build, 32 with
/// AVX2 (twice the register width).
struct SymmetricFir<'a> {
    taps: &'a [f32],
    span: usize,
    buf: &'a [f32],
    out: &'a mut [f32],
}

impl FmaKernel for SymmetricFir<'_> {
    type Output = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        if FMA {
            symmetric_fir_lanes::<32, FMA>(self.taps, self.span, self.buf, self.out);
        } else {
            symmetric_fir_lanes::<16, FMA>(self.taps, self.span, self.buf, self.out);
        }
    }
}

/// The kernel, accumulating `G` outputs at once (then groups of 8, then single outputs): for
/// each tap the inner loop runs over `G` independent lanes, so it vectorises and keeps enough
/// accumulators in flight to hide the add latency.
#[inline(always)]
fn symmetric_fir_lanes<const G: usize, const FMA: bool>(taps: &[f32], span: usize, buf: &[f32], out: &mut [f32]) {
    let done = fir_groups::<G, FMA>(taps, span, buf, out, 0);
    let done = fir_groups::<8, FMA>(taps, span, buf, out, done);
    for (n, y) in out.iter_mut().enumerate().skip(done) {
        *y = taps.iter().enumerate().fold(0.0, |acc, (p, &tap)| madd::<FMA>(tap, buf[n + p] + buf[n + span - p], acc));
    }
}

/// Computes whole groups of `G` outputs from `start`; returns where it stopped.
#[inline(always)]
fn fir_groups<const G: usize, const FMA: bool>(
    taps: &[f32],
    span: usize,
    buf: &[f32],
    out: &mut [f32],
    start: usize,
) -> usize {
    let groups = (out.len() - start) / G;
    for g in 0..groups {
        let first = start + g * G;
        let window = &buf[first..first + span + G];
        let mut acc = [0.0f32; G];
        // Tap p pairs the window's p-th G-sample view with its p-th from the end (span - p):
        // both walked by iterators, so the loop carries no index checks.
        let views = || window.windows(G).map(|v| -> &[f32; G] { v.try_into().expect("windows(G) are G long") });
        for ((&tap, near), far) in taps.iter().zip(views()).zip(views().rev()) {
            for j in 0..G {
                acc[j] = madd::<FMA>(tap, near[j] + far[j], acc[j]);
            }
        }
        out[first..first + G].copy_from_slice(&acc);
    }
    start + groups * G
}

/// Stereo 2x interpolator: `n` input samples in, `2n` out, unity passband gain.
#[derive(Debug, Clone)]
pub struct HalfbandUpsampler {
    /// Twice the design's side taps (the zero-stuffing halves the level), outer first.
    taps: Vec<f32>,
    /// Per channel: `2K - 1` samples of history followed by the current block.
    history: [Vec<f32>; 2],
    /// Even-phase outputs of the block being processed.
    even: Vec<f32>,
}

impl HalfbandUpsampler {
    /// `side_taps` from [`crate::dsp::resample::design::halfband_side_taps`]; `max_input_len` is the largest block accepted.
    pub fn new(side_taps: &[f64], max_input_len: usize) -> Self {
        let taps: Vec<f32> = side_taps.iter().rev().map(|&t| (2.0 * t) as f32).collect();
        let len = 2 * taps.len() - 1 + max_input_len;
        Self { taps, history: [vec![0.0; len], vec![0.0; len]], even: vec![0.0; max_input_len] }
    }

    pub fn reset(&mut self) {
        self.history.iter_mut().for_each(|h| h.fill(0.0));
    }

    /// Group delay in output (high-rate) samples: `2K - 1`.
    pub fn latency_high_rate(&self) -> usize {
        2 * self.taps.len() - 1
    }

    /// `output` must be twice as long as `input`, per channel.
    pub fn process(&mut self, input: [&[f32]; 2], output: [&mut [f32]; 2]) {
        for ((hist, x), y) in self.history.iter_mut().zip(input).zip(output) {
            upsample_channel(&self.taps, hist, &mut self.even, x, y);
        }
    }
}

fn upsample_channel(taps: &[f32], hist: &mut [f32], even: &mut [f32], input: &[f32], output: &mut [f32]) {
    let half_len = taps.len();
    let span = 2 * half_len - 1;
    let n = input.len().min(hist.len() - span).min(output.len() / 2);
    hist[span..span + n].copy_from_slice(&input[..n]);
    symmetric_fir(taps, &hist[..n + span], &mut even[..n]);
    // The odd phase only sees the centre tap: 2 * 1/2 * x[n - K + 1].
    let odd = &hist[half_len..half_len + n];
    for ((pair, &e), &o) in output[..2 * n].chunks_exact_mut(2).zip(&even[..n]).zip(odd) {
        pair[0] = e;
        pair[1] = o;
    }
    hist.copy_within(n..n + span, 0);
}

/// Stereo 2x decimator: `2n` input samples in, `n` out, unity passband gain.
#[derive(Debug, Clone)]
pub struct HalfbandDownsampler {
    /// The design's side taps, outer first.
    taps: Vec<f32>,
    /// Per channel: even-phase history (`2K - 1` samples) followed by the block's even samples.
    even: [Vec<f32>; 2],
    /// Per channel: odd-phase history (`K` samples) followed by the block's odd samples.
    odd: [Vec<f32>; 2],
}

impl HalfbandDownsampler {
    /// `max_output_len` is the largest block produced (half the largest input block).
    pub fn new(side_taps: &[f64], max_output_len: usize) -> Self {
        let taps: Vec<f32> = side_taps.iter().rev().map(|&t| t as f32).collect();
        let even_len = 2 * taps.len() - 1 + max_output_len;
        let odd_len = taps.len() + max_output_len;
        Self { taps, even: [vec![0.0; even_len], vec![0.0; even_len]], odd: [vec![0.0; odd_len], vec![0.0; odd_len]] }
    }

    pub fn reset(&mut self) {
        self.even.iter_mut().chain(self.odd.iter_mut()).for_each(|h| h.fill(0.0));
    }

    /// Group delay in input (high-rate) samples: `2K - 1`.
    pub fn latency_high_rate(&self) -> usize {
        2 * self.taps.len() - 1
    }

    /// `input` must be twice as long as `output`, per channel.
    pub fn process(&mut self, input: [&[f32]; 2], output: [&mut [f32]; 2]) {
        let channels = self.even.iter_mut().zip(self.odd.iter_mut());
        for (((even, odd), x), y) in channels.zip(input).zip(output) {
            downsample_channel(&self.taps, even, odd, x, y);
        }
    }
}

fn downsample_channel(taps: &[f32], even: &mut [f32], odd: &mut [f32], input: &[f32], output: &mut [f32]) {
    let half_len = taps.len();
    let span = 2 * half_len - 1;
    let n = output.len().min(input.len() / 2).min(even.len() - span);
    for (i, pair) in input[..2 * n].chunks_exact(2).enumerate() {
        even[span + i] = pair[0];
        odd[half_len + i] = pair[1];
    }
    symmetric_fir(taps, &even[..n + span], &mut output[..n]);
    // Centre tap 1/2 on the odd phase, K input pairs back, lands on the same instant as the
    // symmetric branch's centre of mass.
    for (y, &o) in output[..n].iter_mut().zip(&odd[..n]) {
        *y += 0.5 * o;
    }
    even.copy_within(n..n + span, 0);
    odd.copy_within(n..n + half_len, 0);
}

/// Stereo 2x decimator with a general (not half-band) odd-length linear-phase low-pass: `2n`
/// input samples in, `n` out. Polyphase: the even-indexed taps (an even-length symmetric FIR)
/// run on the even input samples, the odd-indexed ones (odd length, with the centre tap) on the
/// odd samples, so each output costs one multiply per pair of equal taps.
#[derive(Debug, Clone)]
pub struct FirDecimator {
    /// Taps at even offsets from the start of the kernel, outer first (pairs only).
    even_taps: Vec<f32>,
    /// Taps at odd offsets, outer first (pairs only), and the centre tap.
    odd_taps: Vec<f32>,
    centre: f32,
    /// Per channel: even-phase history (`span` samples) followed by the block's even samples.
    even: [Vec<f32>; 2],
    /// Per channel: odd-phase history followed by the block's odd samples.
    odd: [Vec<f32>; 2],
    /// `c`, the centre's index: the kernel has `2c + 1` taps and delays `c` input samples.
    centre_index: usize,
}

impl FirDecimator {
    /// `half` holds the kernel centre first (`half[k]` is the tap at `+-k` from the centre), with
    /// an odd number of side taps so the centre falls on the odd phase (`half.len()` even).
    /// `max_output_len` is the largest block produced.
    pub fn new(half: &[f64], max_output_len: usize) -> Self {
        let c = half.len() - 1;
        assert!(c % 2 == 1, "the centre must sit at an odd offset");
        let tap = |k: usize| half[k.abs_diff(c)] as f32;
        // Even offsets 0, 2, ..., 2c: c + 1 of them (even count), symmetric about c.
        let even_taps: Vec<f32> = (0..c.div_ceil(2)).map(|j| tap(2 * j)).collect();
        // Odd offsets 1, 3, ..., 2c - 1: c of them (odd count), centre at offset c.
        let odd_taps: Vec<f32> = (0..c / 2).map(|j| tap(2 * j + 1)).collect();
        let even_len = c + max_output_len;
        Self {
            even_taps,
            odd_taps,
            centre: half[0] as f32,
            even: [vec![0.0; even_len], vec![0.0; even_len]],
            odd: [vec![0.0; even_len], vec![0.0; even_len]],
            centre_index: c,
        }
    }

    pub fn reset(&mut self) {
        self.even.iter_mut().chain(self.odd.iter_mut()).for_each(|h| h.fill(0.0));
    }

    /// Group delay in input (high-rate) samples: the centre's index.
    pub fn latency_high_rate(&self) -> usize {
        self.centre_index
    }

    /// `input` must be twice as long as `output`, per channel.
    pub fn process(&mut self, input: [&[f32]; 2], output: [&mut [f32]; 2]) {
        let c = self.centre_index;
        let channels = self.even.iter_mut().zip(self.odd.iter_mut());
        for (((even, odd), x), y) in channels.zip(input).zip(output) {
            let n = y.len().min(x.len() / 2).min(even.len() - c);
            for (i, pair) in x[..2 * n].chunks_exact(2).enumerate() {
                even[c + i] = pair[0];
                odd[c + i] = pair[1];
            }
            // y[m] = sum_k h[k] x[2m - k]: even k on even[m - k/2], odd k on odd[m - (k+1)/2];
            // with the histories c long, both branches start at index m of their buffers.
            symmetric_fir_span(&self.even_taps, c, &even[..n + c], &mut y[..n]);
            let mut odd_part = [0.0f32; MAX_OUTPUT];
            let odd_part = &mut odd_part[..n];
            symmetric_fir_span(&self.odd_taps, c - 1, &odd[..n + c - 1], odd_part);
            let mid = (c - 1) / 2;
            for (i, (y, &o)) in y[..n].iter_mut().zip(odd_part.iter()).enumerate() {
                *y += o + self.centre * odd[i + mid];
            }
            even.copy_within(n..n + c, 0);
            odd.copy_within(n..n + c, 0);
        }
    }
}

/// Largest block a [`FirDecimator`] produces in one call (its callers work in chunks).
const MAX_OUTPUT: usize = crate::dsp::MAX_CHUNK;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::resample::design::halfband_side_taps;
    use crate::dsp::resample::design::tests::full_response;

    /// Polyphase interpolation must equal zero-stuffing (times 2) followed by direct convolution.
    #[test]
    fn upsampler_matches_direct_convolution() {
        let side = halfband_side_taps(0.2, 70.0);
        let h = full_response(&side);
        let mut up = HalfbandUpsampler::new(&side, 64);
        let mut rng = crate::dsp::util::rng::XorShift32::new(7);
        let x: Vec<f32> = (0..300).map(|_| rng.next_centered()).collect();
        let mut y = vec![0.0f32; 600];
        let mut pos = 0;
        for len in [64, 1, 37, 64, 64, 7, 63].iter().cycle() {
            let len = (*len).min(300 - pos);
            let mut right = vec![0.0f32; 2 * len];
            let input = &x[pos..pos + len];
            up.process([input, input], [&mut y[2 * pos..2 * (pos + len)], &mut right]);
            assert_eq!(&right[..], &y[2 * pos..2 * (pos + len)]);
            pos += len;
            if pos == 300 {
                break;
            }
        }
        for (m, &got) in y.iter().enumerate() {
            let expected: f64 =
                (0..h.len()).filter(|&i| i <= m && (m - i) % 2 == 0).map(|i| 2.0 * h[i] * x[(m - i) / 2] as f64).sum();
            assert!((got as f64 - expected).abs() < 1e-5, "m={m} got={got} expected={expected}");
        }
    }

    /// Runs a 2:1 decimator over `x` in awkward block sizes (the same input on both channels,
    /// which must come out equal) and returns the left output.
    fn decimate_in_odd_blocks(x: &[f32], mut process: impl FnMut(&[f32], &mut [f32], &mut [f32])) -> Vec<f32> {
        let n = x.len() / 2;
        let mut y = vec![0.0f32; n];
        let mut pos = 0;
        for len in [64, 3, 41, 64, 1, 64, 63].iter().cycle() {
            let len = (*len).min(n - pos);
            let mut right = vec![0.0f32; len];
            process(&x[2 * pos..2 * (pos + len)], &mut y[pos..pos + len], &mut right);
            assert_eq!(&right[..], &y[pos..pos + len]);
            pos += len;
            if pos == n {
                break;
            }
        }
        y
    }

    /// Output sample n equals the full kernel `h` convolved with `x` at input sample 2n.
    fn assert_decimation_is_direct_convolution(x: &[f32], y: &[f32], h: &[f64]) {
        for (n, &got) in y.iter().enumerate() {
            let m = 2 * n;
            let expected: f64 = (0..h.len()).filter(|&i| i <= m).map(|i| h[i] * x[m - i] as f64).sum();
            assert!((got as f64 - expected).abs() < 1e-5, "n={n} got={got} expected={expected}");
        }
    }

    /// Polyphase decimation must equal direct convolution followed by keeping the even samples.
    #[test]
    fn downsampler_matches_direct_convolution() {
        let side = halfband_side_taps(0.2, 70.0);
        let h = full_response(&side);
        let mut down = HalfbandDownsampler::new(&side, 64);
        let mut rng = crate::dsp::util::rng::XorShift32::new(11);
        let x: Vec<f32> = (0..600).map(|_| rng.next_centered()).collect();
        let y = decimate_in_odd_blocks(&x, |input, left, right| down.process([input, input], [left, right]));
        assert_decimation_is_direct_convolution(&x, &y, &h);
    }

    #[test]
    fn latency_is_the_centre_of_the_filter() {
        let side = halfband_side_taps(20.0 / 88.2, 80.0);
        let up = HalfbandUpsampler::new(&side, 64);
        let down = HalfbandDownsampler::new(&side, 64);
        assert_eq!(up.latency_high_rate(), 2 * side.len() - 1);
        assert_eq!(down.latency_high_rate(), 2 * side.len() - 1);
        // An impulse through interpolation peaks (value 1, the centre tap times 2) at the latency.
        let mut up = up;
        let mut x = [0.0f32; 64];
        x[0] = 1.0;
        let (mut l, mut r) = ([0.0f32; 128], [0.0f32; 128]);
        up.process([&x, &x], [&mut l, &mut r]);
        let peak = l.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).map(|p| p.0);
        assert_eq!(peak, Some(up.latency_high_rate()));
        assert_eq!(l[up.latency_high_rate()], 1.0);
    }

    /// The polyphase FIR decimator equals direct convolution with the whole kernel followed by
    /// keeping the even samples, whatever the block sizes.
    #[test]
    fn fir_decimator_matches_direct_convolution() {
        use crate::dsp::resample::design::DECIMATOR_2X_TAPS;
        let half = &DECIMATOR_2X_TAPS;
        let c = half.len() - 1;
        let h: Vec<f64> = (0..=2 * c).map(|k| half[k.abs_diff(c)]).collect();
        let mut down = FirDecimator::new(half, 64);
        assert_eq!(down.latency_high_rate(), c);
        let mut rng = crate::dsp::util::rng::XorShift32::new(13);
        let x: Vec<f32> = (0..800).map(|_| rng.next_centered()).collect();
        let y = decimate_in_odd_blocks(&x, |input, left, right| down.process([input, input], [left, right]));
        assert_decimation_is_direct_convolution(&x, &y, &h);
    }

    /// Both builds of the FIR kernel (portable, and AVX2 + FMA where the CPU has it) equal the
    /// direct sum, for block lengths that exercise the 32-, 16- and 8-lane groups and the tail,
    /// for the half-band's span and for the longer spans of odd-length kernels.
    #[test]
    fn fir_kernels_match_the_direct_sum() {
        let taps: Vec<f32> = halfband_side_taps(0.22, 80.0).iter().map(|&t| t as f32).collect();
        let mut rng = crate::dsp::util::rng::XorShift32::new(5);
        for span in [2 * taps.len() - 1, 2 * taps.len(), 2 * taps.len() + 3] {
            let buf: Vec<f32> = (0..span + 128).map(|_| rng.next_centered()).collect();
            for len in [1, 7, 8, 15, 16, 31, 32, 37, 64, 100, 128] {
                let expected: Vec<f64> = (0..len)
                    .map(|n| {
                        let pair = |p: usize| (buf[n + p] + buf[n + span - p]) as f64;
                        taps.iter().enumerate().map(|(p, &t)| t as f64 * pair(p)).sum()
                    })
                    .collect();
                let mut portable = vec![0.0f32; len];
                symmetric_fir_lanes::<16, false>(&taps, span, &buf, &mut portable);
                let mut outputs = vec![portable];
                if crate::dsp::simd::has_avx2_fma() {
                    let mut fast = vec![0.0f32; len];
                    symmetric_fir_span(&taps, span, &buf, &mut fast);
                    outputs.push(fast);
                }
                for out in &outputs {
                    for (n, (&got, &want)) in out.iter().zip(&expected).enumerate() {
                        assert!((got as f64 - want).abs() < 1e-6, "span {span} len {len} n {n}: {got} vs {want}");
                    }
                }
            }
        }
    }
}
