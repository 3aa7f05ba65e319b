//! The mastering assistant: long-term analysis of a programme and matching it to a reference
//! with Lacquer's own stages. Framework-free and offline (it allocates); never on the audio
//! thread. See `docs/assist.md`.

pub mod analysis;
pub mod matching;

pub use analysis::{analyse, Analysis};
pub use matching::{match_reference, MatchOptions, MatchResult};
