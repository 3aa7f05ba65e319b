//! Metering: loudness per ITU-R BS.1770-4 / EBU R128 (K-weighting, gated histogram), true and
//! sample peak, stereo correlation, and the sliding peak window of the monitoring level match.

pub mod correlation;
pub mod histogram;
pub mod k_weighting;
pub mod loudness;
pub mod peak_window;
pub mod true_peak;

#[cfg(test)]
mod ebu_tests;
#[cfg(test)]
mod ebur128_tests;
#[cfg(test)]
mod loudness_tests;
