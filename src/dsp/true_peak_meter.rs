//! True-peak (ITU-R BS.1770-4 Annex 2) and sample-peak metering of one channel.
//!
//! The band-limited reconstruction comes from the shared [`PeakInterpolator`] (also used by the
//! limiter's detector, so meter and limiter agree on what a true peak is). We run it at 4x at
//! every sample rate: BS.1770 allows 2x from 96 kHz, but 4x everywhere keeps one code path, and
//! its parabolic refinement keeps the under-read below 0.1 dB up to 0.45 fs (the interpolator's
//! tests), inside EBU Tech 3341's +0.2/-0.4 dB budget with room to spare.

use super::interpolator::PeakInterpolator;

/// Oversampling ratio of the true-peak reconstruction.
pub const TRUE_PEAK_OVERSAMPLING: usize = 4;

#[derive(Debug, Clone)]
pub struct TruePeakMeter {
    interpolator: PeakInterpolator,
    /// Largest reconstructed magnitude since the last reset / hold reset (linear).
    true_peak_max: f32,
    /// Largest |sample| since the last reset / hold reset (linear).
    sample_peak_max: f32,
    /// The same over the current block only, for meters that publish per host block.
    block_true_peak: f32,
    block_sample_peak: f32,
}

impl Default for TruePeakMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl TruePeakMeter {
    pub fn new() -> Self {
        Self {
            interpolator: PeakInterpolator::new(TRUE_PEAK_OVERSAMPLING),
            true_peak_max: 0.0,
            sample_peak_max: 0.0,
            block_true_peak: 0.0,
            block_sample_peak: 0.0,
        }
    }

    pub fn reset(&mut self) {
        self.interpolator.reset();
        self.reset_hold();
        self.begin_block();
    }

    /// Forgets the maxima but keeps the interpolator's history (a "peak hold reset" button).
    pub fn reset_hold(&mut self) {
        self.true_peak_max = 0.0;
        self.sample_peak_max = 0.0;
    }

    /// Clears the reconstruction and the true-peak readings, keeping the sample peaks.
    pub fn reset_true_peak(&mut self) {
        self.interpolator.reset();
        self.true_peak_max = 0.0;
        self.block_true_peak = 0.0;
    }

    /// Starts a new block for [`block_true_peak`](Self::block_true_peak).
    pub fn begin_block(&mut self) {
        self.block_true_peak = 0.0;
        self.block_sample_peak = 0.0;
    }

    /// The true peak of a sample is known [`latency_samples`](Self::latency_samples) later (the
    /// reconstruction needs the samples after it).
    pub const fn latency_samples() -> usize {
        PeakInterpolator::latency_samples()
    }

    /// `x` must be finite (the loudness meter sanitises it).
    #[inline]
    pub fn push(&mut self, x: f32) {
        let sample = x.abs();
        let reconstructed = self.interpolator.push(x);
        self.block_sample_peak = self.block_sample_peak.max(sample);
        self.block_true_peak = self.block_true_peak.max(reconstructed);
    }

    /// Sample peak only, for meters with true peak switched off; the interpolator's history goes
    /// stale, so [`reset`](Self::reset) it before pushing with [`push`](Self::push) again.
    #[inline]
    pub fn push_sample_peak_only(&mut self, x: f32) {
        self.block_sample_peak = self.block_sample_peak.max(x.abs());
    }

    /// Folds the current block's peaks into the maxima (call at the end of every block).
    pub fn end_block(&mut self) {
        self.true_peak_max = self.true_peak_max.max(self.block_true_peak);
        self.sample_peak_max = self.sample_peak_max.max(self.block_sample_peak);
    }

    /// Largest reconstructed magnitude since the last reset (linear; 0 for silence).
    pub fn true_peak(&self) -> f32 {
        self.true_peak_max
    }

    pub fn sample_peak(&self) -> f32 {
        self.sample_peak_max
    }

    pub fn block_true_peak(&self) -> f32 {
        self.block_true_peak
    }

    pub fn block_sample_peak(&self) -> f32 {
        self.block_sample_peak
    }
}

/// dB of a linear peak; silence reads `-inf` (the meters show "no signal", not a number).
pub fn peak_to_db(peak: f32) -> f32 {
    if peak > 0.0 {
        20.0 * peak.log10()
    } else {
        f32::NEG_INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn run(meter: &mut TruePeakMeter, signal: &[f32]) {
        meter.begin_block();
        signal.iter().for_each(|&x| meter.push(x));
        // Flush the interpolator so the last samples' intervals are included.
        (0..TruePeakMeter::latency_samples()).for_each(|_| meter.push(0.0));
        meter.end_block();
    }

    /// EBU Tech 3341 cases 15-19: stereo sine at fs/`divisor`, `amplitude` FFS, start phase
    /// `phase_deg`, 10 ms raised-cosine fades; 1 s is plenty for a peak reading.
    fn tone(sample_rate: f64, divisor: f64, amplitude: f64, phase_deg: f64) -> Vec<f32> {
        let n = sample_rate as usize;
        let fade = (0.010 * sample_rate) as usize;
        (0..n)
            .map(|i| {
                let env = if i < fade {
                    0.5 - 0.5 * (PI * i as f64 / fade as f64).cos()
                } else if i >= n - fade {
                    0.5 - 0.5 * (PI * (n - 1 - i) as f64 / fade as f64).cos()
                } else {
                    1.0
                };
                let phase = 2.0 * PI * i as f64 / divisor + phase_deg.to_radians();
                (env * amplitude * phase.sin()) as f32
            })
            .collect()
    }

    fn true_peak_dbtp(signal: &[f32]) -> f32 {
        let mut m = TruePeakMeter::new();
        run(&mut m, signal);
        peak_to_db(m.true_peak())
    }

    /// EBU Tech 3341 tolerance for true peak: +0.2 / -0.4 dB.
    fn assert_tp(case: u32, measured: f32, expected: f32) {
        let err = measured - expected;
        assert!((-0.4..=0.2).contains(&err), "case {case}: {measured} dBTP, expected {expected}");
    }

    #[test]
    fn ebu_3341_cases_15_to_19() {
        for sr in [44_100.0, 48_000.0, 96_000.0] {
            let cases = [
                (15, 4.0, 0.50, 0.0, -6.0),
                (16, 4.0, 0.50, 45.0, -6.0),
                (17, 6.0, 0.50, 60.0, -6.0),
                (18, 8.0, 0.50, 67.5, -6.0),
                (19, 4.0, 1.41, 45.0, 3.0),
            ];
            for (case, divisor, amp, phase, expected) in cases {
                let measured = true_peak_dbtp(&tone(sr, divisor, amp, phase));
                assert_tp(case, measured, expected);
                // Tighter than the EBU budget: the peak of a sine is its amplitude.
                let exact = 20.0 * (amp as f32).log10();
                assert!((measured - exact).abs() < 0.1, "case {case}: {measured} vs {exact}");
            }
        }
    }

    /// Windowed-sinc low-pass (Blackman-Harris window), cutoff `cutoff` in cycles per sample,
    /// odd length, unity DC gain; f64 throughout.
    fn lowpass_kernel(taps: usize, cutoff: f64) -> Vec<f64> {
        let m = (taps - 1) as f64;
        let mut h: Vec<f64> = (0..taps)
            .map(|i| {
                let t = i as f64 - m / 2.0;
                let sinc = if t == 0.0 { 2.0 * cutoff } else { (2.0 * PI * cutoff * t).sin() / (PI * t) };
                let x = 2.0 * PI * i as f64 / m;
                let w = 0.35875 - 0.48829 * x.cos() + 0.14128 * (2.0 * x).cos() - 0.01168 * (3.0 * x).cos();
                sinc * w
            })
            .collect();
        let dc: f64 = h.iter().sum();
        h.iter_mut().for_each(|c| *c /= dc);
        h
    }

    /// EBU Tech 3341 cases 20-23 source at 4 fs: fs/6 at 0.50 FFS with one period of fs/4 at
    /// 1.00 FFS, phase-continuous (the burst starts and ends at a zero crossing of the phase).
    fn burst_at_4fs(len: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(len);
        let mut phase = 0.0f64;
        let burst_start = len / 2 - len / 2 % 24; // a whole number of fs/6 periods: phase 0
        for i in 0..len {
            let in_burst = (burst_start..burst_start + 16).contains(&i);
            let (freq, amp) = if in_burst { (1.0 / 16.0, 1.0) } else { (1.0 / 24.0, 0.5) };
            out.push(amp * (2.0 * PI * phase).sin());
            phase = (phase + freq).fract();
        }
        out
    }

    #[test]
    fn ebu_3341_cases_20_to_23() {
        let hi_rate = burst_at_4fs(4 * 4800);
        // Long low-pass at 4 fs, cutoff just under the base-rate Nyquist (fs/2 = 0.125 of 4 fs).
        let h = lowpass_kernel(1023, 0.115);
        let half = h.len() / 2;
        let filtered: Vec<f64> = (0..hi_rate.len())
            .map(|n| {
                (0..h.len())
                    .filter_map(|k| (n + k).checked_sub(half).and_then(|j| hi_rate.get(j)))
                    .zip(h.iter().rev())
                    .map(|(x, c)| x * c)
                    .sum()
            })
            .collect();
        // Independent reference: the band-limited signal on the 4 fs grid, away from the edges.
        let reference = filtered[half..filtered.len() - half].iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let reference_db = 20.0 * reference.log10() as f32;
        for offset in 0..4 {
            let decimated: Vec<f32> =
                filtered[half + offset..filtered.len() - half].iter().step_by(4).map(|&x| x as f32).collect();
            let measured = true_peak_dbtp(&decimated);
            assert_tp(20 + offset as u32, measured, 0.0);
            assert!(
                (measured - reference_db).abs() < 0.1,
                "offset {offset}: {measured} vs 4x-grid reference {reference_db}"
            );
        }
    }

    #[test]
    fn sample_peak_and_block_peaks() {
        let mut m = TruePeakMeter::new();
        m.begin_block();
        for x in [0.1f32, -0.7, 0.3] {
            m.push(x);
        }
        m.end_block();
        assert_eq!(m.sample_peak(), 0.7);
        assert_eq!(m.block_sample_peak(), 0.7);
        m.begin_block();
        m.push(0.2);
        m.end_block();
        assert_eq!(m.block_sample_peak(), 0.2);
        assert_eq!(m.sample_peak(), 0.7);
        m.reset_hold();
        assert_eq!(m.sample_peak(), 0.0);
        assert_eq!(peak_to_db(0.0), f32::NEG_INFINITY);
        assert!((peak_to_db(0.5) + 6.0206).abs() < 1e-3);
    }
}
