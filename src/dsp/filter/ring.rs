//! The crate's one ring buffer: a power-of-two array of f32 addressed by an ever-growing sample
//! position (wrapping arithmetic), with single-value and block reads and writes. The delay line,
//! the limiter's audio and control histories and its gain path's pad and history are all this
//! ring with their own cursor. A block write or read costs at most two `copy_from_slice`.

#[derive(Debug, Clone)]
pub struct Ring {
    data: Vec<f32>,
    mask: usize,
}

impl Ring {
    /// Room for at least `capacity` values (rounded up to a power of two), all `fill`.
    pub fn new(capacity: usize, fill: f32) -> Self {
        let len = capacity.max(1).next_power_of_two();
        Self { data: vec![fill; len], mask: len - 1 }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn fill(&mut self, value: f32) {
        self.data.fill(value);
    }

    /// The same contents as `other` (a ring of the same length).
    pub fn copy_from(&mut self, other: &Ring) {
        self.data.copy_from_slice(&other.data);
    }

    /// The value at position `pos`.
    #[inline]
    pub fn get(&self, pos: usize) -> f32 {
        self.data[pos & self.mask]
    }

    #[inline]
    pub fn set(&mut self, pos: usize, value: f32) {
        self.data[pos & self.mask] = value;
    }

    /// Writes `values` at positions `pos..` (at most the ring's length).
    pub fn write_block(&mut self, pos: usize, values: &[f32]) {
        let start = pos & self.mask;
        let first = values.len().min(self.data.len() - start);
        self.data[start..start + first].copy_from_slice(&values[..first]);
        self.data[..values.len() - first].copy_from_slice(&values[first..]);
    }

    /// Writes `value` at positions `pos..pos + n` (at most the ring's length).
    pub fn fill_block(&mut self, pos: usize, n: usize, value: f32) {
        let start = pos & self.mask;
        let first = n.min(self.data.len() - start);
        self.data[start..start + first].fill(value);
        self.data[..n - first].fill(value);
    }

    /// `out[i]` = the value at position `pos + i` (at most the ring's length).
    pub fn read_block(&self, pos: usize, out: &mut [f32]) {
        let start = pos & self.mask;
        let first = out.len().min(self.data.len() - start);
        let (head, tail) = out.split_at_mut(first);
        head.copy_from_slice(&self.data[start..start + first]);
        tail.copy_from_slice(&self.data[..tail.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks written across the wrap read back as written, at any start position, and single
    /// values agree with them.
    #[test]
    fn blocks_wrap_around() {
        let mut ring = Ring::new(12, 0.0);
        assert_eq!(ring.len(), 16);
        for start in [0usize, 5, 14, usize::MAX - 3] {
            let values: Vec<f32> = (0..9).map(|i| start as f32 + i as f32).collect();
            ring.write_block(start, &values);
            let mut out = [0.0f32; 9];
            ring.read_block(start, &mut out);
            assert_eq!(out.to_vec(), values);
            for (i, &v) in values.iter().enumerate() {
                assert_eq!(ring.get(start.wrapping_add(i)), v);
            }
            ring.fill_block(start.wrapping_add(2), 3, -1.0);
            assert_eq!(ring.get(start.wrapping_add(3)), -1.0);
            assert_eq!(ring.get(start.wrapping_add(5)), values[5]);
        }
    }
}
