//! Fixed delay line (power-of-two ring): latency alignment of dry paths.

use crate::dsp::filter::ring::Ring;
use crate::dsp::MAX_CHUNK;

#[derive(Debug, Clone)]
pub struct DelayLine {
    ring: Ring,
    pos: usize,
    delay: usize,
}

impl DelayLine {
    pub fn new(delay: usize) -> Self {
        // Room for a whole chunk beyond the delay: `push_block` writes a chunk before reading.
        Self { ring: Ring::new(delay + MAX_CHUNK, 0.0), pos: 0, delay }
    }

    pub fn delay(&self) -> usize {
        self.delay
    }

    pub fn reset(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
    }

    /// Writes `x`, returns the sample written `delay` pushes ago.
    #[inline]
    pub fn push(&mut self, x: f32) -> f32 {
        self.ring.set(self.pos, x);
        let out = self.ring.get(self.pos.wrapping_sub(self.delay));
        self.pos = self.pos.wrapping_add(1);
        out
    }

    /// [`push`](Self::push) for each sample of `input` (at most `MAX_CHUNK`; longer input is
    /// walked in chunks), with the delayed samples written to `output` when one is given (the
    /// same length as `input`): two ring copies instead of a loop.
    pub fn push_block(&mut self, input: &[f32], mut output: Option<&mut [f32]>) {
        for (k, chunk) in input.chunks(MAX_CHUNK).enumerate() {
            let n = chunk.len();
            self.ring.write_block(self.pos, chunk);
            if let Some(out) = output.as_deref_mut() {
                // Written before read: the ring holds delay + MAX_CHUNK, so nothing read here
                // was overwritten.
                self.ring.read_block(self.pos.wrapping_sub(self.delay), &mut out[k * MAX_CHUNK..k * MAX_CHUNK + n]);
            }
            self.pos = self.pos.wrapping_add(n);
        }
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

    #[test]
    fn blocks_equal_single_pushes() {
        for delay in [0usize, 1, 7, 63, 64, 65, 200] {
            let mut single = DelayLine::new(delay);
            let mut blocks = DelayLine::new(delay);
            let input: Vec<f32> = (0..1000).map(|i| i as f32 + 1.0).collect();
            let expected: Vec<f32> = input.iter().map(|&x| single.push(x)).collect();
            let mut out = vec![0.0f32; input.len()];
            let mut at = 0;
            for (k, len) in [1usize, 64, 3, 130, 64, 17, 0, 63].iter().cycle().enumerate() {
                let len = (*len).min(input.len() - at);
                // Every third block is written without being read.
                let read = (k % 3 != 2).then_some(&mut out[at..at + len]);
                let wanted = read.is_some();
                blocks.push_block(&input[at..at + len], read);
                if wanted {
                    assert_eq!(out[at..at + len], expected[at..at + len], "delay {delay} at {at}");
                }
                at += len;
                if at == input.len() {
                    break;
                }
            }
            assert_eq!(blocks.push(0.5), single.push(0.5));
        }
    }
}
