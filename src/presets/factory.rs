//! Factory presets: JSON data in `factory/`, compiled in. Each file names only the parameters
//! it changes from the defaults; `tests/presets.rs` renders every one on the demo mix.

use super::{Origin, Preset};

/// (file, text) in browsing order.
const FILES: &[(&str, &str)] = &[
    ("transparent-streaming.json", include_str!("factory/transparent-streaming.json")),
    ("gentle-glue.json", include_str!("factory/gentle-glue.json")),
    ("punchy-pop.json", include_str!("factory/punchy-pop.json")),
    ("warm-tape.json", include_str!("factory/warm-tape.json")),
    ("wide-bright.json", include_str!("factory/wide-bright.json")),
    ("bass-heavy-club.json", include_str!("factory/bass-heavy-club.json")),
    ("loud-edm.json", include_str!("factory/loud-edm.json")),
    ("acoustic-jazz.json", include_str!("factory/acoustic-jazz.json")),
    ("podcast-voice.json", include_str!("factory/podcast-voice.json")),
    ("broadcast-ebu-r128.json", include_str!("factory/broadcast-ebu-r128.json")),
    ("vinyl-pre-master.json", include_str!("factory/vinyl-pre-master.json")),
    ("limiter-only.json", include_str!("factory/limiter-only.json")),
];

/// Every factory preset. The data is checked by the tests (each must parse, and its file name
/// must be its slug), so a broken file is caught before release; here it is skipped rather
/// than taking the host down.
pub fn presets() -> Vec<Preset> {
    FILES
        .iter()
        .filter_map(|(file, text)| {
            let parsed = Preset::parse(text, Origin::Factory);
            debug_assert!(parsed.is_ok(), "factory preset {file}: {:?}", parsed.as_ref().err());
            parsed.ok()
        })
        .collect()
}

/// (file name, text) of every factory preset, for the tests.
pub fn files() -> &'static [(&'static str, &'static str)] {
    FILES
}
