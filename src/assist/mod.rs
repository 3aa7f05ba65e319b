//! The mastering assistant: long-term analysis of a programme, matching it to a reference with
//! Lacquer's own stages, and Learn (the loudness search on a captured stretch of the playing
//! mix). Framework-free. Everything here runs offline or on background threads and allocates,
//! except [`learn::Capture::push`], the one audio-thread entry point. See `docs/assist.md`.

pub mod analysis;
pub mod learn;
pub mod matching;
pub mod reference;

pub use analysis::{analyse, Analysis};
pub use matching::{match_reference, MatchOptions, MatchResult};
