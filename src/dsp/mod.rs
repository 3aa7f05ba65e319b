//! Framework-free DSP: every file is one stage or one building block. Nothing here knows about
//! the plugin framework, so the plugin, the CLI, the tests and the benchmarks drive it alike.

pub mod delay;
pub mod dither;
pub mod gain_path;
pub mod interpolator;
pub mod limiter;
pub mod math;
pub mod rng;
pub mod sliding_min;
pub mod smoother;

/// The chain walks every host block in chunks of at most this many samples, so stages can keep
/// fixed-size scratch buffers and update smoothed coefficients once per chunk where per-sample
/// updates would be wasteful.
pub const MAX_CHUNK: usize = 64;
