//! Framework-free DSP: one folder per stage (eq, compressor, stereo, saturation, limiter) or
//! role (meter, resample, filter, simd, util), plus the output word length (`dither`). Nothing
//! here knows about the plugin framework, so the plugin, the CLI, the tests and the benchmarks
//! drive it alike.
//!
//! Every stage has the same lifecycle: `new(sample_rate)` allocates all it will ever need,
//! `set(&Settings)` takes a settings snapshot (continuous values are smoothed inside, so it may
//! be called every block), `reset()` clears the signal state, `process(left, right)` runs one
//! chunk in place and `latency_samples()` is constant for the sample rate. [`Stage`] states the
//! part the chain drives generically. No stage takes a block size: the chain hands them chunks
//! of at most [`MAX_CHUNK`] frames whatever the host's block, so their scratch is sized by that.

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

/// The part of a stage's lifecycle the chain drives without knowing the stage (see the module
/// notes; `new` and `set` take each stage's own types). `process` gets at most [`MAX_CHUNK`]
/// frames, both channels the same length, and never allocates, locks or panics.
pub trait Stage {
    fn reset(&mut self);
    fn process(&mut self, left: &mut [f32], right: &mut [f32]);
    /// Constant for the sample rate, whatever the settings.
    fn latency_samples(&self) -> usize;
}

/// Implements [`Stage`] by the stage's own inherent methods of the same names.
macro_rules! impl_stage {
    ($($stage:ty),*) => {$(
        impl Stage for $stage {
            fn reset(&mut self) {
                <$stage>::reset(self)
            }
            fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
                <$stage>::process(self, left, right)
            }
            fn latency_samples(&self) -> usize {
                <$stage>::latency_samples(self)
            }
        }
    )*};
}

impl_stage!(
    eq::Eq,
    compressor::Compressor,
    stereo::StereoWidth,
    saturation::Saturation,
    limiter::Limiter,
    dither::Dither
);
