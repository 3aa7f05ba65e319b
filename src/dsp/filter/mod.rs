//! Filters shared by the stages: the trapezoidal state-variable filters (a general biquad in SVF
//! form, and N lanes of one standard response for crossovers), the ring buffer and the delay line
//! built on it.

pub mod delay;
pub mod ring;
pub mod svf;
pub mod svf_lanes;
