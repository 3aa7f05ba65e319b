//! Output word length: quantisation to 24 or 16 bits with TPDF dither and optional first-order
//! noise shaping. The plugin's output stage and the CLI's integer WAV writer both use this one
//! implementation, so a 16-bit render from the CLI is what the plugin would have produced.
//!
//! TPDF dither (the sum of two independent uniform values of one LSB each) makes the total error
//! independent of the signal and of constant power (LSB²/6 of dither plus LSB²/12 of rounding,
//! so 0.5 LSB RMS), which is why it is the mastering default. Noise shaping feeds the previous
//! error back through (1 - z⁻¹), moving the noise away from low frequencies towards Nyquist.

use crate::dsp::util::rng::XorShift32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordLength {
    /// No quantisation: the 32-bit float path passes untouched.
    #[default]
    Float,
    Bits24,
    Bits16,
}

impl WordLength {
    /// Size of one quantisation step relative to full scale, or `None` for float.
    pub fn lsb(self) -> Option<f32> {
        match self {
            WordLength::Float => None,
            WordLength::Bits24 => Some(1.0 / 8_388_608.0),
            WordLength::Bits16 => Some(1.0 / 32_768.0),
        }
    }

    pub fn bits(self) -> Option<u16> {
        match self {
            WordLength::Float => None,
            WordLength::Bits24 => Some(24),
            WordLength::Bits16 => Some(16),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DitherSettings {
    pub word_length: WordLength,
    pub noise_shaping: bool,
}

#[derive(Debug, Clone)]
pub struct Dither {
    settings: DitherSettings,
    rng: XorShift32,
    /// Quantisation error of the previous sample per channel, for the noise shaper.
    error: [f32; 2],
}

impl Dither {
    /// The seed is fixed so that renders are reproducible sample for sample. The sample rate is
    /// part of the stages' common constructor; the quantiser and its first-order error-feedback
    /// shaper (a zero at DC, noise pushed towards Nyquist) work the same at every rate.
    pub fn new(_sample_rate: f32) -> Self {
        Self { settings: DitherSettings::default(), rng: XorShift32::new(0x1ACC_0E12), error: [0.0; 2] }
    }

    pub fn reset(&mut self) {
        self.rng = XorShift32::new(0x1ACC_0E12);
        self.error = [0.0; 2];
    }

    pub fn set(&mut self, settings: &DitherSettings) {
        if settings.word_length != self.settings.word_length || settings.noise_shaping != self.settings.noise_shaping {
            self.error = [0.0; 2];
        }
        self.settings = *settings;
    }

    /// Largest amount by which quantisation can move a sample away from its input: one LSB of
    /// dither, half an LSB of rounding, and with shaping the fed-back error (at most 1.5 LSB).
    /// The chain lowers the limiter's target by this much so the quantised output still respects
    /// the ceiling.
    pub fn max_error(settings: &DitherSettings) -> f32 {
        match settings.word_length.lsb() {
            None => 0.0,
            Some(lsb) if settings.noise_shaping => 3.0 * lsb,
            Some(lsb) => 1.5 * lsb,
        }
    }

    /// Quantisation adds no delay.
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Quantises a stereo chunk in place: the left channel's samples draw their dither first,
    /// then the right's (renders depend on this order).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.process_channel(0, left);
        self.process_channel(1, right);
    }

    fn process_channel(&mut self, ch: usize, samples: &mut [f32]) {
        let Some(lsb) = self.settings.word_length.lsb() else {
            return;
        };
        let ch = ch.min(1);
        let inv = 1.0 / lsb;
        let shaping = if self.settings.noise_shaping { 1.0 } else { 0.0 };
        let mut error = self.error[ch];
        for x in samples.iter_mut() {
            let wanted = *x - shaping * error;
            let tpdf = self.rng.next_centered() + self.rng.next_centered();
            let q = ((wanted * inv + tpdf).round() * lsb).clamp(-1.0, 1.0 - lsb);
            error = q - wanted;
            *x = q;
        }
        self.error[ch] = error;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantised(settings: DitherSettings, input: impl Fn(usize) -> f32, n: usize) -> (Vec<f32>, Vec<f32>) {
        let mut d = Dither::new(48_000.0);
        d.set(&settings);
        let original: Vec<f32> = (0..n).map(input).collect();
        let mut out = original.clone();
        d.process(&mut out, &mut []);
        (original, out)
    }

    #[test]
    fn float_is_untouched() {
        let (a, b) = quantised(DitherSettings::default(), |i| (i as f32 * 0.01).sin(), 1000);
        assert_eq!(a, b);
    }

    #[test]
    fn sixteen_bit_lands_on_grid_with_half_lsb_rms_error() {
        let settings = DitherSettings { word_length: WordLength::Bits16, noise_shaping: false };
        let n = 200_000;
        let (a, b) = quantised(settings, |i| 0.3 * (i as f32 * 0.0123).sin(), n);
        let lsb = 1.0 / 32768.0;
        let mut sum_sq = 0.0f64;
        for (x, q) in a.iter().zip(&b) {
            let steps = q / lsb;
            assert_eq!(steps, steps.round(), "not on the 16-bit grid");
            let e = (q - x) as f64 / lsb as f64;
            assert!(e.abs() <= 1.5 + 1e-3);
            sum_sq += e * e;
        }
        // TPDF theory: dither variance 1/6 + rounding 1/12 = 1/4 LSB², RMS 0.5 LSB.
        let rms = (sum_sq / n as f64).sqrt();
        assert!((rms - 0.5).abs() < 0.01, "rms {rms} LSB");
    }

    #[test]
    fn dither_decorrelates_a_low_level_tone() {
        // A tone at a quarter LSB vanishes without dither; with TPDF its mean is preserved.
        let settings = DitherSettings { word_length: WordLength::Bits16, noise_shaping: false };
        let lsb = 1.0 / 32768.0f32;
        let (_, b) = quantised(settings, |_| 0.25 * lsb, 400_000);
        let mean = b.iter().map(|&v| v as f64).sum::<f64>() / b.len() as f64 / lsb as f64;
        assert!((mean - 0.25).abs() < 0.01, "mean {mean} LSB");
    }

    #[test]
    fn noise_shaping_moves_error_out_of_the_low_band() {
        let n = 1 << 16;
        let band_error = |shaping: bool| {
            let settings = DitherSettings { word_length: WordLength::Bits16, noise_shaping: shaping };
            let (a, b) = quantised(settings, |i| 0.2 * (i as f32 * 0.05).sin(), n);
            // Error low-passed by a 64-sample moving average (first null at fs/64): what remains
            // is the error below ~fs/128, which shaping should have pushed up in frequency.
            let e: Vec<f64> = a.iter().zip(&b).map(|(x, q)| (q - x) as f64).collect();
            let mut acc = 0.0;
            let mut power = 0.0;
            for i in 0..n {
                acc += e[i];
                if i >= 64 {
                    acc -= e[i - 64];
                    power += (acc / 64.0).powi(2);
                }
            }
            power
        };
        let flat = band_error(false);
        let shaped = band_error(true);
        assert!(shaped < flat * 0.1, "shaped {shaped} flat {flat}");
    }

    #[test]
    fn max_error_bounds_every_sample() {
        for shaping in [false, true] {
            let settings = DitherSettings { word_length: WordLength::Bits16, noise_shaping: shaping };
            let (a, b) = quantised(settings, |i| 0.9 * (i as f32 * 0.3).sin(), 100_000);
            let bound = Dither::max_error(&settings);
            for (x, q) in a.iter().zip(&b) {
                assert!((q - x).abs() <= bound * 1.0001, "{x} {q}");
            }
        }
    }
}
