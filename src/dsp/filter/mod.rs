//! Filters shared by the stages: the trapezoidal state-variable filters and the fixed delay line.

pub mod delay;
pub mod svf;
pub mod svf_lanes;
