//! Band-limited rate changes: the Kaiser half-band design, the true-peak detector's folded
//! kernels and peak interpolators, the polyphase half-band up/down samplers and the oversampler
//! built from them.

pub mod block_peak_interpolator;
pub mod design;
pub mod detector_kernel;
pub mod oversampler;
pub mod peak_interpolator;
pub mod polyphase;
