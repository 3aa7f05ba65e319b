//! What the chain measures for the editor and the meter bus: sample peaks in and out, the
//! stages' gain reduction, and loudness (BS.1770-4 / EBU R128) at the input and the output.

use crate::dsp::meter::loudness::LoudnessMeter;

/// Loudness readings of one metering point (BS.1770-4 / EBU R128); `-inf` until measurable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReadings {
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
    pub integrated_lufs: f32,
    pub loudness_range_lu: f32,
    /// Highest true peak per channel since the last loudness reset.
    pub true_peak_dbtp: [f32; 2],
    /// True peak per channel over the last block (for the meter bars).
    pub block_true_peak_dbtp: [f32; 2],
    pub correlation: f32,
}

impl Default for LoudnessReadings {
    fn default() -> Self {
        let ninf = f32::NEG_INFINITY;
        Self {
            momentary_lufs: ninf,
            short_term_lufs: ninf,
            integrated_lufs: ninf,
            loudness_range_lu: ninf,
            true_peak_dbtp: [ninf; 2],
            block_true_peak_dbtp: [ninf; 2],
            correlation: 0.0,
        }
    }
}

impl LoudnessReadings {
    pub(super) fn read(meter: &LoudnessMeter) -> Self {
        Self {
            momentary_lufs: meter.momentary_lufs(),
            short_term_lufs: meter.short_term_lufs(),
            integrated_lufs: meter.integrated_lufs(),
            loudness_range_lu: meter.loudness_range_lu(),
            true_peak_dbtp: [meter.true_peak_dbtp(0), meter.true_peak_dbtp(1)],
            block_true_peak_dbtp: [meter.block_true_peak_dbtp(0), meter.block_true_peak_dbtp(1)],
            correlation: meter.correlation(),
        }
    }
}

/// Readings since the last [`Chain::take_meters`] (peaks are linear sample peaks).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChainMeters {
    pub input_peak: [f32; 2],
    pub output_peak: [f32; 2],
    pub limiter_gain_reduction_db: f32,
    pub limiter_max_gain_reduction_db: f32,
    pub safety_clips: u64,
    /// Per-band compressor gain reduction (positive dB; band 0 = whole signal in single-band).
    pub compressor_gain_reduction_db: [f32; 3],
    pub input_loudness: LoudnessReadings,
    pub output_loudness: LoudnessReadings,
}
