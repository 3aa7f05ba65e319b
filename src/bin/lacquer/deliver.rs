//! Delivery profiles (`--deliver`): what a master is handed over as. Each profile is one row of
//! [`PROFILES`]: sample rate, word length, container, loudness target and true-peak ceiling.
//! Sample-rate conversion happens before the chain (see `resample`), so the ceiling holds at the
//! delivered rate. Sources of the figures: the Red Book (CD: 44.1 kHz, 16-bit PCM); EBU R128 /
//! Tech 3343 (broadcast: -23 LUFS, at most -1 dBTP; 48 kHz is the broadcast rate); YouTube's
//! published -14 LUFS playback reference, which Spotify and Tidal are reported to share, with
//! Spotify's request for at most -1 dBTP (streaming); Apple Music's reported -16 LUFS
//! normalisation, also AES TD1004's track loudness for music, with -1 dBTP (apple; Apple does
//! not publish the figure); vinyl cutting engineers' usual request for a master with headroom
//! and no brickwall loudness push (here -3 dBTP and no limiter drive).

use crate::audio_io::{Container, OutputFormat};

/// The output sample rate of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// Exactly this rate.
    Fixed(u32),
    /// 44.1 or 48 kHz: the source's rate if it is one of them, else the one of the same family
    /// (88.2 and 176.4 kHz go to 44.1, everything else to 48).
    Streaming,
    /// The source's own rate.
    Source,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub name: &'static str,
    pub rate: Rate,
    pub format: OutputFormat,
    pub container: Container,
    /// Integrated loudness the master is brought to (`None`: left as the settings make it).
    pub target_lufs: Option<f32>,
    pub ceiling_dbtp: f32,
    /// Whether the limiter may push level (drive); `false` renders with no limiter drive.
    pub loudness_push: bool,
    pub description: &'static str,
}

pub const PROFILES: [Profile; 5] = [
    Profile {
        name: "cd",
        rate: Rate::Fixed(44_100),
        format: OutputFormat::Int16,
        container: Container::Wav,
        target_lufs: None,
        ceiling_dbtp: -1.0,
        loudness_push: true,
        description: "CD: 44.1 kHz 16-bit WAV with TPDF dither (noise shaping with --set out_shape=on)",
    },
    Profile {
        name: "streaming",
        rate: Rate::Streaming,
        format: OutputFormat::Int24,
        container: Container::Flac,
        target_lufs: Some(-14.0),
        ceiling_dbtp: -1.0,
        loudness_push: true,
        description: "streaming: FLAC 24-bit at 44.1 or 48 kHz, -14 LUFS, -1 dBTP",
    },
    Profile {
        name: "apple",
        rate: Rate::Source,
        format: OutputFormat::Int24,
        container: Container::Wav,
        target_lufs: Some(-16.0),
        ceiling_dbtp: -1.0,
        loudness_push: true,
        description: "Apple: 24-bit WAV at the source rate, -16 LUFS, -1 dBTP",
    },
    Profile {
        name: "broadcast",
        rate: Rate::Fixed(48_000),
        format: OutputFormat::Int24,
        container: Container::Wav,
        target_lufs: Some(-23.0),
        ceiling_dbtp: -1.0,
        loudness_push: true,
        description: "broadcast (EBU R128): 48 kHz 24-bit WAV, -23 LUFS, -1 dBTP",
    },
    Profile {
        name: "vinyl",
        rate: Rate::Source,
        format: OutputFormat::Int24,
        container: Container::Wav,
        target_lufs: None,
        ceiling_dbtp: -3.0,
        loudness_push: false,
        description: "vinyl pre-master: 24-bit WAV at the source rate, no limiter drive, -3 dBTP safety",
    },
];

impl Profile {
    pub fn find(name: &str) -> Result<Profile, String> {
        PROFILES.iter().find(|p| p.name.eq_ignore_ascii_case(name.trim())).copied().ok_or_else(|| {
            let names: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
            format!("unknown delivery profile '{name}' (one of: {})", names.join(", "))
        })
    }

    /// The delivered sample rate for a source at `source_rate`.
    pub fn rate_for(&self, source_rate: u32) -> u32 {
        match self.rate {
            Rate::Fixed(rate) => rate,
            Rate::Source => source_rate,
            Rate::Streaming if source_rate == 44_100 || source_rate == 48_000 => source_rate,
            Rate::Streaming if source_rate.is_multiple_of(44_100) => 44_100,
            Rate::Streaming => 48_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_found_by_name_and_pick_their_rates() {
        assert_eq!(Profile::find("CD").unwrap().rate_for(96_000), 44_100);
        let streaming = Profile::find("streaming").unwrap();
        assert_eq!(
            [44_100, 48_000, 88_200, 96_000, 192_000].map(|r| streaming.rate_for(r)),
            [44_100, 48_000, 44_100, 48_000, 48_000]
        );
        assert_eq!(Profile::find("vinyl").unwrap().rate_for(96_000), 96_000);
        assert_eq!(Profile::find("broadcast").unwrap().rate_for(44_100), 48_000);
        assert!(Profile::find("dvd").unwrap_err().contains("one of: cd, streaming, apple, broadcast, vinyl"));
    }
}
