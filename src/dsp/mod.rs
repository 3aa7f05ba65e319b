//! Framework-free DSP: one folder per stage (eq, compressor, stereo, saturation, limiter) or role (meter, resample,
//! filter, simd, util), plus the output word length (`dither`). Nothing here knows about
//! the plugin framework, so the plugin, the CLI, the tests and the benchmarks drive it alike.

pub mod compressor;
pub mod dither;
pub mod eq;
pub mod filter;
pub mod limiter;
pub mod meter;
pub mod resample;
pub mod saturation;
pub mod simd;
pub mod stereo;
pub mod util;

/// The chain walks every host block in chunks of at most this many samples, so stages can keep
/// fixed-size scratch buffers and update smoothed coefficients once per chunk where per-sample
/// updates would be wasteful.
pub const MAX_CHUNK: usize = 64;
