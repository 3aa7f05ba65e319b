//! Filters shared by the stages: the trapezoidal state-variable filters (a general biquad in SVF
//! form, and N lanes of one standard response), the Linkwitz-Riley split built on the lanes (for
//! the crossover and the mono bass), the ring buffer and the delay line built on it.

pub mod delay;
pub mod linkwitz_riley;
pub mod ring;
pub mod svf;
pub mod svf_lanes;
