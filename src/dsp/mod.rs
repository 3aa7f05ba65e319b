//! Framework-free DSP: every file is one stage or one building block. Nothing here knows about
//! the plugin framework, so the plugin, the CLI, the tests and the benchmarks drive it alike.

pub mod correlation_meter;
pub mod delay;
pub mod dither;
pub mod gain_path;
pub mod half_band;
pub mod interpolator;
pub mod k_weighting;
pub mod limiter;
pub mod loudness;
pub mod loudness_histogram;
pub mod math;
pub mod rng;
pub mod sliding_min;
pub mod smoother;
pub mod true_peak_meter;

#[cfg(test)]
mod loudness_ebu_tests;
#[cfg(test)]
mod loudness_ebur128_tests;
#[cfg(test)]
mod loudness_tests;

/// The chain walks every host block in chunks of at most this many samples, so stages can keep
/// fixed-size scratch buffers and update smoothed coefficients once per chunk where per-sample
/// updates would be wasteful.
pub const MAX_CHUNK: usize = 64;
