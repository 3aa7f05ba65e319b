//! Running L/R correlation of a stereo signal, for the meter bus.
//!
//! ρ = ⟨L·R⟩ / √(⟨L²⟩·⟨R²⟩) with ⟨·⟩ a one-pole average of time constant 300 ms, the usual
//! integration of correlation meters: slow enough to read, fast enough to follow a mix.

/// Time constant τ of the averages.
pub const CORRELATION_MS: f32 = 300.0;
/// Below this mean square (-100 dBFS) a channel counts as silent: the correlation is undefined
/// there and reads 0 ("no information"), so silence never shows as a perfect mono +1.
const SILENCE_POWER: f32 = 1e-10;

#[derive(Debug, Clone)]
pub struct CorrelationMeter {
    coef: f32,
    lr: f32,
    ll: f32,
    rr: f32,
}

impl CorrelationMeter {
    pub fn new(sample_rate: f32) -> Self {
        Self { coef: (-1000.0 / (CORRELATION_MS * sample_rate)).exp(), lr: 0.0, ll: 0.0, rr: 0.0 }
    }

    pub fn reset(&mut self) {
        (self.lr, self.ll, self.rr) = (0.0, 0.0, 0.0);
    }

    #[inline]
    pub fn push(&mut self, l: f32, r: f32) {
        let c = self.coef;
        self.lr = c * self.lr + (1.0 - c) * l * r;
        self.ll = c * self.ll + (1.0 - c) * l * l;
        self.rr = c * self.rr + (1.0 - c) * r * r;
    }

    /// Once per chunk: clears non-finite averages and flushes tiny ones before they turn
    /// denormal (a 300 ms one-pole takes ~260 000 samples from 1e-30 to the denormal range).
    pub fn flush(&mut self) {
        for v in [&mut self.lr, &mut self.ll, &mut self.rr] {
            if !v.is_finite() || v.abs() < 1e-30 {
                *v = 0.0;
            }
        }
    }

    /// -1..+1; 0 while either channel is silent.
    pub fn value(&self) -> f32 {
        if self.ll < SILENCE_POWER || self.rr < SILENCE_POWER {
            return 0.0;
        }
        (self.lr / (self.ll * self.rr).sqrt()).clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::test_signals::noise;

    fn read(meter: &mut CorrelationMeter, l: &[f32], r: &[f32]) -> f32 {
        for (a, b) in l.iter().zip(r) {
            meter.push(*a, *b);
        }
        meter.flush();
        meter.value()
    }

    #[test]
    fn reads_in_phase_anti_phase_uncorrelated_and_silence() {
        let fs = 48_000.0;
        let (a, b) = (noise(7, 48_000), noise(8, 48_000));
        let minus_a: Vec<f32> = a.iter().map(|v| -v).collect();
        assert!(read(&mut CorrelationMeter::new(fs), &a, &a) > 0.999);
        assert!(read(&mut CorrelationMeter::new(fs), &a, &minus_a) < -0.999);
        let uncorrelated = read(&mut CorrelationMeter::new(fs), &a, &b);
        assert!(uncorrelated.abs() < 0.05, "uncorrelated: {uncorrelated}");
        assert_eq!(read(&mut CorrelationMeter::new(fs), &[0.0; 4800], &[0.0; 4800]), 0.0);
        assert_eq!(read(&mut CorrelationMeter::new(fs), &a, &vec![0.0; a.len()]), 0.0);
        let mut hostile = CorrelationMeter::new(fs);
        read(&mut hostile, &[f32::NAN, 1000.0], &[f32::INFINITY, -1000.0]);
        assert!((-1.0..=1.0).contains(&hostile.value()));
    }

    /// From the definition: when in-phase noise turns anti-phase, ⟨L·R⟩ = P·(2e^(-t/τ) - 1)
    /// while ⟨L²⟩, ⟨R²⟩ stay P, so ρ crosses zero at t = τ·ln 2 = 208 ms.
    #[test]
    fn integration_time_is_300_ms() {
        let fs = 48_000.0;
        let mut meter = CorrelationMeter::new(fs);
        let a = noise(9, 48_000);
        read(&mut meter, &a, &a);
        let b = noise(10, 24_000);
        let crossing = b.chunks(48).position(|c| {
            let minus: Vec<f32> = c.iter().map(|v| -v).collect();
            read(&mut meter, c, &minus) < 0.0
        });
        let ms = crossing.expect("never crossed zero") as f32;
        let expected = CORRELATION_MS * std::f32::consts::LN_2;
        assert!((ms - expected).abs() < 15.0, "crossed after {ms} ms, expected {expected}");
    }
}
