//! Fixed delay line (power-of-two ring): latency alignment of dry paths.

#[derive(Debug, Clone)]
pub struct DelayLine {
    data: Vec<f32>,
    mask: usize,
    pos: usize,
    delay: usize,
}

impl DelayLine {
    pub fn new(delay: usize) -> Self {
        let len = (delay + 1).next_power_of_two();
        Self { data: vec![0.0; len], mask: len - 1, pos: 0, delay }
    }

    pub fn delay(&self) -> usize {
        self.delay
    }

    pub fn reset(&mut self) {
        self.data.fill(0.0);
        self.pos = 0;
    }

    /// Writes `x`, returns the sample written `delay` pushes ago.
    #[inline]
    pub fn push(&mut self, x: f32) -> f32 {
        self.data[self.pos & self.mask] = x;
        let out = self.data[self.pos.wrapping_sub(self.delay) & self.mask];
        self.pos = self.pos.wrapping_add(1);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_exactly() {
        for delay in [0usize, 1, 7, 64] {
            let mut d = DelayLine::new(delay);
            let out: Vec<f32> = (0..200).map(|i| d.push(i as f32 + 1.0)).collect();
            for (i, &y) in out.iter().enumerate() {
                let expected = if i >= delay { (i - delay) as f32 + 1.0 } else { 0.0 };
                assert_eq!(y, expected);
            }
        }
    }
}
