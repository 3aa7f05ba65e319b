//! Fixed-memory store of gating-block (or short-term) loudness values, for the gated integrated
//! loudness of ITU-R BS.1770-4 and the loudness range of EBU Tech 3342.
//!
//! Both measures need every value since the start of the programme, but only through two
//! questions: the mean energy of the values above a threshold, and percentiles of the values
//! above a threshold. A histogram of 0.01 LU bins answers both with memory fixed at construction,
//! however long the programme runs. Each bin also keeps the exact sum of its values' energies:
//! means (the absolute-gated mean that sets the relative gate, and the gated mean that is the
//! integrated loudness) are therefore exact, not rounded to bin centres. The only approximation
//! is which side of the relative gate the values inside the one bin straddling it fall on: the
//! whole bin goes with its own mean. That shifts a result by at most the effect of a few values
//! lying within 0.01 LU of the gate (tested below against an exact sort-based computation).
//! Percentiles read the mean energy of the bin holding the wanted rank: within 0.01 LU of the
//! exact value, and exact when the values in that bin are equal (steady tones).

use crate::dsp::meter::k_weighting::LOUDNESS_OFFSET_DB;

/// BS.1770-4 absolute gate: blocks at or below -70 LKFS never count (Tech 3342 uses the same).
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Top of the histogram. Louder values (only hostile input gets there: a full-scale stereo square
/// wave reads about +3 LUFS) land in the top bin with their exact energy, so means stay exact.
pub const HISTOGRAM_MAX_LUFS: f64 = 10.0;
pub const HISTOGRAM_BIN_LU: f64 = 0.01;
const BINS: usize = ((HISTOGRAM_MAX_LUFS - ABSOLUTE_GATE_LUFS) / HISTOGRAM_BIN_LU) as usize;

/// Loudness (LUFS) of a channel-weighted mean square, BS.1770-4 eq. (2). Zero reads -inf.
#[inline]
pub fn energy_to_lufs(energy: f64) -> f64 {
    LOUDNESS_OFFSET_DB + 10.0 * energy.log10()
}

#[inline]
pub fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs - LOUDNESS_OFFSET_DB) / 10.0)
}

#[derive(Debug, Clone)]
pub struct LoudnessHistogram {
    /// Values per bin; bin i holds loudness in [-70 + 0.01 i, -70 + 0.01 (i + 1)).
    counts: Vec<u32>,
    /// Sum of the energies (mean squares) of the values in each bin.
    energies: Vec<f64>,
    total_count: u64,
    total_energy: f64,
    /// Occupied span, so queries touch only the bins a programme actually uses.
    lowest_bin: usize,
    highest_bin: usize,
}

/// The values that pass both gates: their bins start at `first_bin`.
#[derive(Debug, Clone, Copy)]
struct Gated {
    first_bin: usize,
    count: u64,
    energy: f64,
}

impl Default for LoudnessHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LoudnessHistogram {
    /// Allocates the bins (8000 counts and energy sums, 96 kB).
    pub fn new() -> Self {
        Self {
            counts: vec![0; BINS],
            energies: vec![0.0; BINS],
            total_count: 0,
            total_energy: 0.0,
            lowest_bin: BINS,
            highest_bin: 0,
        }
    }

    pub fn reset(&mut self) {
        self.counts.fill(0);
        self.energies.fill(0.0);
        self.total_count = 0;
        self.total_energy = 0.0;
        self.lowest_bin = BINS;
        self.highest_bin = 0;
    }

    /// Values that passed the absolute gate so far.
    pub fn count(&self) -> u64 {
        self.total_count
    }

    /// Adds one block's energy; applies the absolute gate (l > -70 LUFS, BS.1770-4 eq. (5)).
    /// Non-finite and negative energies are ignored.
    pub fn add(&mut self, energy: f64) {
        if !(energy.is_finite() && energy > 0.0) {
            return;
        }
        let lufs = energy_to_lufs(energy);
        if lufs <= ABSOLUTE_GATE_LUFS {
            return;
        }
        let bin = Self::bin_of(lufs);
        self.counts[bin] = self.counts[bin].saturating_add(1);
        self.energies[bin] += energy;
        self.total_count += 1;
        self.total_energy += energy;
        self.lowest_bin = self.lowest_bin.min(bin);
        self.highest_bin = self.highest_bin.max(bin);
    }

    #[inline]
    fn bin_of(lufs: f64) -> usize {
        let index = ((lufs - ABSOLUTE_GATE_LUFS) / HISTOGRAM_BIN_LU).floor();
        if index >= 0.0 {
            (index as usize).min(BINS - 1)
        } else {
            0
        }
    }

    /// Applies the relative gate `relative_gate_lu` (negative) below the absolute-gated mean.
    fn relative_gated(&self, relative_gate_lu: f64) -> Option<Gated> {
        if self.total_count == 0 {
            return None;
        }
        let mean = self.total_energy / self.total_count as f64;
        let threshold_energy = mean * 10f64.powf(relative_gate_lu / 10.0);
        let threshold_lufs = energy_to_lufs(threshold_energy);
        let mut first_bin = self.lowest_bin;
        if threshold_lufs > ABSOLUTE_GATE_LUFS {
            first_bin = first_bin.max(Self::bin_of(threshold_lufs));
            // The straddling bin goes with its own mean (see the module doc).
            let c = self.counts[first_bin];
            if c > 0 && self.energies[first_bin] / (c as f64) < threshold_energy {
                first_bin += 1;
            }
        }
        let mut gated = Gated { first_bin, count: 0, energy: 0.0 };
        for bin in first_bin..=self.highest_bin {
            gated.count += self.counts[bin] as u64;
            gated.energy += self.energies[bin];
        }
        (gated.count > 0).then_some(gated)
    }

    /// Mean energy of the values passing the relative gate: BS.1770-4 gated loudness with
    /// `relative_gate_lu = -10`. `None` when nothing passes.
    pub fn gated_mean_energy(&self, relative_gate_lu: f64) -> Option<f64> {
        self.relative_gated(relative_gate_lu).map(|g| g.energy / g.count as f64)
    }

    /// Difference in LU between the `high_percent` and `low_percent` percentiles of the values
    /// passing the relative gate: EBU Tech 3342 LRA with (-20, 10, 95). Ranks follow the Tech 3342
    /// reference code: the value at 1-based index round((n - 1) p / 100 + 1) of the sorted values.
    pub fn percentile_range_lu(&self, relative_gate_lu: f64, low_percent: f64, high_percent: f64) -> Option<f64> {
        let gated = self.relative_gated(relative_gate_lu)?;
        let rank = |p: f64| ((gated.count - 1) as f64 * p / 100.0 + 1.0).round() as u64;
        let low = self.value_at_rank(gated.first_bin, rank(low_percent))?;
        let high = self.value_at_rank(gated.first_bin, rank(high_percent))?;
        Some(high - low)
    }

    /// Loudness of the `rank`-th (1-based) value counting upwards from `first_bin`.
    fn value_at_rank(&self, first_bin: usize, rank: u64) -> Option<f64> {
        let mut seen = 0u64;
        for bin in first_bin..=self.highest_bin {
            let c = self.counts[bin] as u64;
            seen += c;
            if c > 0 && seen >= rank {
                return Some(energy_to_lufs(self.energies[bin] / c as f64));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::util::rng::XorShift32;

    /// Reference: BS.1770-4 gating done exactly on a sorted list of the values.
    fn exact_gated_lufs(values_lufs: &[f64], relative_gate_lu: f64) -> f64 {
        let abs: Vec<f64> = values_lufs.iter().copied().filter(|&l| l > -70.0).collect();
        let mean = abs.iter().map(|&l| lufs_to_energy(l)).sum::<f64>() / abs.len() as f64;
        let gate = energy_to_lufs(mean) + relative_gate_lu;
        let rel: Vec<f64> = abs.iter().copied().filter(|&l| l >= gate).collect();
        energy_to_lufs(rel.iter().map(|&l| lufs_to_energy(l)).sum::<f64>() / rel.len() as f64)
    }

    /// Reference: Tech 3342 LRA on a sorted list (the reference code's rank rule).
    fn exact_lra(values_lufs: &[f64]) -> f64 {
        let abs: Vec<f64> = values_lufs.iter().copied().filter(|&l| l > -70.0).collect();
        let mean = abs.iter().map(|&l| lufs_to_energy(l)).sum::<f64>() / abs.len() as f64;
        let gate = energy_to_lufs(mean) - 20.0;
        let mut rel: Vec<f64> = abs.iter().copied().filter(|&l| l >= gate).collect();
        rel.sort_by(|a, b| a.total_cmp(b));
        let n = rel.len() as f64;
        let at = |p: f64| rel[((n - 1.0) * p / 100.0 + 1.0).round() as usize - 1];
        at(95.0) - at(10.0)
    }

    fn random_programme(seed: u32, n: usize) -> Vec<f64> {
        // Sections of different mean loudness with spread, plus a few silent stretches.
        let mut rng = XorShift32::new(seed);
        (0..n)
            .map(|i| {
                let section = (i / 500) % 5;
                let centre = [-23.0, -35.0, -18.0, -80.0, -28.0][section];
                centre + 12.0 * rng.next_centered() as f64
            })
            .collect()
    }

    #[test]
    fn integrated_and_range_match_exact_sorting() {
        for seed in [1, 7, 1234] {
            let values = random_programme(seed, 9_000);
            let mut h = LoudnessHistogram::new();
            values.iter().for_each(|&l| h.add(lufs_to_energy(l)));
            let gated = energy_to_lufs(h.gated_mean_energy(-10.0).unwrap());
            let exact = exact_gated_lufs(&values, -10.0);
            assert!((gated - exact).abs() < 0.005, "{gated} vs {exact}");
            let lra = h.percentile_range_lu(-20.0, 10.0, 95.0).unwrap();
            let exact = exact_lra(&values);
            assert!((lra - exact).abs() < 0.02, "{lra} vs {exact}");
        }
    }

    #[test]
    fn equal_values_read_exactly() {
        let mut h = LoudnessHistogram::new();
        for _ in 0..100 {
            h.add(lufs_to_energy(-23.004));
        }
        let l = energy_to_lufs(h.gated_mean_energy(-10.0).unwrap());
        assert!((l + 23.004).abs() < 1e-9, "{l}");
        assert_eq!(h.percentile_range_lu(-20.0, 10.0, 95.0), Some(0.0));
    }

    #[test]
    fn percentile_ranks_follow_the_tech_3342_rule() {
        // 11 values -30..-20: rank(10) = round(2.0) = 2 -> -29, rank(95) = round(10.5) = 11 -> -20.
        let mut h = LoudnessHistogram::new();
        for k in 0..=10 {
            h.add(lufs_to_energy(-30.0 + k as f64));
        }
        let lra = h.percentile_range_lu(-20.0, 10.0, 95.0).unwrap();
        assert!((lra - 9.0).abs() < 1e-9, "{lra}");
    }

    #[test]
    fn gates_and_hostile_values() {
        let mut h = LoudnessHistogram::new();
        h.add(lufs_to_energy(-70.000_001)); // just under the absolute gate (l > -70 counts)
        h.add(0.0);
        h.add(f64::NAN);
        h.add(f64::INFINITY);
        h.add(-1.0);
        assert_eq!(h.count(), 0);
        assert_eq!(h.gated_mean_energy(-10.0), None);
        assert_eq!(h.percentile_range_lu(-20.0, 10.0, 95.0), None);
        h.add(lufs_to_energy(-69.999_999));
        assert_eq!(h.count(), 1);
        h.reset();
        // Above the top bin: clamped, but the mean energy stays exact.
        h.add(lufs_to_energy(40.0));
        h.add(lufs_to_energy(30.0));
        let l = energy_to_lufs(h.gated_mean_energy(-10.0).unwrap());
        let exact = energy_to_lufs((lufs_to_energy(40.0) + lufs_to_energy(30.0)) / 2.0);
        assert!((l - exact).abs() < 1e-9);
        h.reset();
        assert_eq!(h.count(), 0);
    }

    #[test]
    fn relative_gate_drops_quiet_blocks() {
        // 100 blocks at -20 and 100 at -40: the -40 blocks sit below the -10 LU gate.
        let mut h = LoudnessHistogram::new();
        for _ in 0..100 {
            h.add(lufs_to_energy(-20.0));
            h.add(lufs_to_energy(-40.0));
        }
        let l = energy_to_lufs(h.gated_mean_energy(-10.0).unwrap());
        assert!((l + 20.0).abs() < 1e-9, "{l}");
    }
}
