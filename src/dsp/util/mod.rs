//! Small helpers every stage uses: decibel and fast log/exp math, parameter smoothing, the
//! deterministic PRNG, and (tests only) shared test signals.

pub mod math;
pub mod rng;
pub mod smoother;

#[cfg(test)]
pub mod test_signals;
