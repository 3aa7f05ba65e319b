//! Parameter smoothing used inside the chain, so the plugin, the CLI and the tests hear the same
//! ramps. A linear ramp of fixed duration: the largest per-sample step is known
//! (`|target - start| / ramp_samples`), which is what the click tests check against.

#[derive(Debug, Clone)]
pub struct LinearSmoother {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
    ramp_samples: u32,
}

impl LinearSmoother {
    /// `ramp_ms` is how long a change of any size takes to arrive.
    pub fn new(sample_rate: f32, ramp_ms: f32, initial: f32) -> Self {
        let ramp_samples = ((sample_rate * ramp_ms / 1000.0).round() as u32).max(1);
        Self { current: initial, target: initial, step: 0.0, remaining: 0, ramp_samples }
    }

    pub fn ramp_samples(&self) -> u32 {
        self.ramp_samples
    }

    /// Starts a ramp towards `target` (no-op when it is already the target).
    #[inline]
    pub fn set_target(&mut self, target: f32) {
        if target == self.target {
            return;
        }
        self.target = target;
        self.step = (target - self.current) / self.ramp_samples as f32;
        self.remaining = self.ramp_samples;
    }

    /// Jumps to `value` with no ramp (after a reset, or when the stream starts).
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.step = 0.0;
        self.remaining = 0;
    }

    #[inline]
    #[allow(clippy::should_implement_trait)] // a smoother is not an iterator: it never ends
    pub fn next(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = if self.remaining == 0 { self.target } else { self.current + self.step };
        }
        self.current
    }

    /// `n` calls of [`next`](Self::next), discarding the values (free once settled).
    #[inline]
    pub fn advance(&mut self, n: usize) {
        if self.remaining > 0 {
            for _ in 0..n {
                self.next();
            }
        }
    }

    #[inline]
    pub fn current(&self) -> f32 {
        self.current
    }

    #[inline]
    pub fn target(&self) -> f32 {
        self.target
    }

    #[inline]
    pub fn is_smoothing(&self) -> bool {
        self.remaining > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_linearly_and_lands_exactly() {
        let mut s = LinearSmoother::new(48_000.0, 1.0, 0.0);
        assert_eq!(s.ramp_samples(), 48);
        s.set_target(1.0);
        let mut prev = 0.0;
        for i in 0..48 {
            let v = s.next();
            assert!(v - prev <= 1.0 / 48.0 + 1e-6, "step {i}");
            prev = v;
        }
        assert_eq!(prev, 1.0);
        assert!(!s.is_smoothing());
        assert_eq!(s.next(), 1.0);
    }

    #[test]
    fn retarget_mid_ramp_keeps_bounded_steps() {
        let mut s = LinearSmoother::new(1000.0, 10.0, 0.0);
        s.set_target(1.0);
        for _ in 0..5 {
            s.next();
        }
        s.set_target(-1.0);
        let mut prev = s.current();
        for _ in 0..10 {
            let v = s.next();
            assert!((v - prev).abs() <= 1.5 / 10.0 + 1e-6);
            prev = v;
        }
        assert_eq!(prev, -1.0);
    }
}
