//! Framework-free DSP: every file is one stage or one building block. Nothing here knows about
//! the plugin framework, so the plugin, the CLI, the tests and the benchmarks drive it alike.

pub mod analog;
pub mod block_interpolator;
pub mod compressor;
pub mod compressor_band;
pub mod compressor_bank;
pub mod correlation;
pub mod correlation_meter;
pub mod crossover;
pub mod delay;
pub mod dither;
pub mod envelope;
pub mod eq;
pub mod eq_band;
pub mod eq_curve;
pub mod eq_design;
pub mod eq_settings;
pub mod f4;
#[cfg(target_arch = "x86_64")]
pub mod f8;
pub mod gain_path;
pub mod half_band;
pub mod halfband;
pub mod halfband_design;
pub mod interpolator;
pub mod k_weighting;
pub mod limiter;
pub mod loudness;
pub mod loudness_histogram;
pub mod matched;
pub mod math;
pub mod mono_bass;
pub mod oversampler;
pub mod peak_window;
pub mod poly;
pub mod post_filter;
pub mod rng;
pub mod saturation;
pub mod shaper;
pub mod simd;
pub mod sliding_min;
pub mod smoother;
pub mod stereo;
pub mod svf;
pub mod svf_lanes;
pub mod true_peak_meter;

#[cfg(test)]
mod compressor_bank_tests;
#[cfg(test)]
mod compressor_test_util;
#[cfg(test)]
mod compressor_tests;
#[cfg(test)]
mod envelope_tests;
#[cfg(test)]
mod loudness_ebu_tests;
#[cfg(test)]
mod loudness_ebur128_tests;
#[cfg(test)]
mod loudness_tests;
#[cfg(test)]
pub mod test_signals;

/// The chain walks every host block in chunks of at most this many samples, so stages can keep
/// fixed-size scratch buffers and update smoothed coefficients once per chunk where per-sample
/// updates would be wasteful.
pub const MAX_CHUNK: usize = 64;
