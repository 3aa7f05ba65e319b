//! A tiny deterministic PRNG for dither and for test signals. xorshift32 is enough for TPDF
//! dither (the noise only has to be white and uncorrelated with the signal) and is a handful of
//! integer operations per sample, with no allocation and a fixed seed for reproducible renders.

#[derive(Debug, Clone)]
pub struct XorShift32 {
    state: u32,
}

impl XorShift32 {
    pub fn new(seed: u32) -> Self {
        Self { state: if seed == 0 { 0x9E37_79B9 } else { seed } }
    }

    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        x
    }

    /// Uniform in [-0.5, 0.5).
    #[inline]
    pub fn next_centered(&mut self) -> f32 {
        // 24 high bits give an exactly representable f32 in [0, 1).
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0) - 0.5
    }
}
