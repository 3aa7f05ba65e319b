//! What a lossy codec does to a master's peaks. Encoding drops and smears spectral detail, and
//! the decoded waveform can peak higher than the master did (a master at -1 dBTP can read
//! +0.5 dBTP after MP3). Every master is run through an MP3 round trip at 320 kbps CBR (LAME
//! 3.100 through `mp3lame-encoder`, highest quality; decoded with symphonia) and the decoded
//! true peak is measured with the same BS.1770 meter as the master.
//!
//! MP3 only carries 32, 44.1 and 48 kHz (at this bitrate): a master at another rate is first
//! converted to 44.1 kHz (88.2, 176.4 kHz) or 48 kHz (anything else), as a distributor would.
//! Opus and AAC are not checked: there is no well-kept pure-Rust encoder for either that builds
//! on a fresh machine (the Opus and fdk-aac bindings need their C libraries and, for AAC, a
//! non-free one).

use std::io::Cursor;

use mp3lame_encoder::{Bitrate, Builder, DualPcm, FlushNoGap, MonoPcm, Quality};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::analyze;
use crate::audio_io::Audio;
use crate::resample::resample;

/// Frames handed to the encoder at a time.
const CHUNK: usize = 8192;

/// The rate an MP3 of a master at `rate` is made at.
fn mp3_rate(rate: u32) -> u32 {
    match rate {
        32_000 | 44_100 | 48_000 => rate,
        r if r.is_multiple_of(44_100) => 44_100,
        _ => 48_000,
    }
}

/// The master encoded as MP3 at 320 kbps and decoded again (at the MP3's rate).
pub fn mp3_round_trip(audio: &Audio) -> Result<Audio, String> {
    let fail = |what: &str, e: &dyn std::fmt::Debug| format!("MP3 check: {what} ({e:?})");
    let rate = mp3_rate(audio.sample_rate);
    let audio = resample(audio, rate)?;
    let channels = audio.channels.len();
    let mut encoder = Builder::new()
        .ok_or_else(|| "MP3 check: cannot start the LAME encoder".to_string())?
        .with_num_channels(channels as u8)
        .map_err(|e| fail("channels", &e))?
        .with_sample_rate(rate)
        .map_err(|e| fail("sample rate", &e))?
        .with_brate(Bitrate::Kbps320)
        .map_err(|e| fail("bitrate", &e))?
        .with_quality(Quality::Best)
        .map_err(|e| fail("quality", &e))?
        .build()
        .map_err(|e| fail("encoder setup", &e))?;
    let mut mp3 = Vec::new();
    let frames = audio.frames();
    for start in (0..frames).step_by(CHUNK) {
        let end = (start + CHUNK).min(frames);
        mp3.reserve(mp3lame_encoder::max_required_buffer_size(end - start));
        let left = &audio.channels[0][start..end];
        if channels == 1 {
            encoder.encode_to_vec(MonoPcm(left), &mut mp3).map_err(|e| fail("encoding", &e))?;
        } else {
            let right = &audio.channels[1][start..end];
            encoder.encode_to_vec(DualPcm { left, right }, &mut mp3).map_err(|e| fail("encoding", &e))?;
        }
    }
    mp3.reserve(mp3lame_encoder::max_required_buffer_size(CHUNK));
    encoder.flush_to_vec::<FlushNoGap>(&mut mp3).map_err(|e| fail("encoding", &e))?;
    decode_mp3(mp3)
}

fn decode_mp3(mp3: Vec<u8>) -> Result<Audio, String> {
    let fail = |e: &dyn std::fmt::Display| format!("MP3 check: cannot decode the round trip ({e})");
    let stream = MediaSourceStream::new(Box::new(Cursor::new(mp3)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| fail(&e))?;
    let mut format = probed.format;
    let track = format.default_track().ok_or_else(|| "MP3 check: no track".to_string())?.clone();
    let mut decoder =
        symphonia::default::get_codecs().make(&track.codec_params, &DecoderOptions::default()).map_err(|e| fail(&e))?;
    let (mut rate, mut planar): (u32, Vec<Vec<f32>>) = (0, Vec::new());
    while let Ok(packet) = format.next_packet() {
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // A damaged frame would only be skipped by a player too.
            Err(symphonia::core::errors::Error::DecodeError(_)) => continue,
            Err(e) => return Err(fail(&e)),
        };
        let spec = *decoded.spec();
        rate = spec.rate;
        let channels = spec.channels.count();
        planar.resize(channels, Vec::new());
        let mut buf = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buf.copy_interleaved_ref(decoded);
        for frame in buf.samples().chunks_exact(channels) {
            for (ch, &v) in frame.iter().enumerate() {
                planar[ch].push(v);
            }
        }
    }
    if planar.is_empty() {
        return Err("MP3 check: the round trip decoded to nothing".to_string());
    }
    Ok(Audio { sample_rate: rate, channels: planar })
}

/// True peak (dBTP, BS.1770 meter) of the master after the MP3 round trip.
pub fn mp3_true_peak_dbtp(audio: &Audio) -> Result<f64, String> {
    let decoded = mp3_round_trip(audio)?;
    Ok(analyze::measure("mp3 round trip", &decoded).true_peak_dbtp.unwrap_or(f64::NEG_INFINITY))
}

/// The highest MP3 round-trip true peak over consecutive pieces of `audio` of `lengths` frames,
/// each encoded on its own as it will be delivered (the whole of `audio` when `lengths` is
/// empty).
pub fn mp3_true_peak_of_pieces(audio: &Audio, lengths: &[usize]) -> Result<f64, String> {
    if lengths.is_empty() {
        return mp3_true_peak_dbtp(audio);
    }
    let mut at = 0;
    let mut highest = f64::NEG_INFINITY;
    for &len in lengths {
        let end = (at + len).min(audio.frames());
        let piece = Audio {
            sample_rate: audio.sample_rate,
            channels: audio.channels.iter().map(|c| c[at..end].to_vec()).collect(),
        };
        highest = highest.max(mp3_true_peak_dbtp(&piece)?);
        at = end;
    }
    Ok(highest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The round trip keeps the signal (a tone comes back at its level and rate) and lossy
    /// coding of a square wave at the ceiling does raise its true peak above the master's: the
    /// effect this check exists for.
    #[test]
    fn round_trip_keeps_the_signal_and_shows_the_overshoot_of_lossy_coding() {
        let rate = 44_100;
        let n = rate as usize * 2;
        let tone: Vec<f32> =
            (0..n).map(|i| 0.5 * (std::f32::consts::TAU * 1000.0 * i as f32 / rate as f32).sin()).collect();
        let decoded = mp3_round_trip(&Audio { sample_rate: rate, channels: vec![tone.clone(), tone] }).unwrap();
        assert_eq!(decoded.sample_rate, rate);
        assert_eq!(decoded.channels.len(), 2);
        let peak = decoded.channels[0].iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!((peak - 0.5).abs() < 0.02, "tone peak {peak}");
        // Hard-limited dense material at -1 dBTP comes back over its ceiling.
        let master = hot_master(rate);
        let before = analyze::measure("master", &master).true_peak_dbtp.unwrap();
        let after = mp3_true_peak_dbtp(&master).unwrap();
        println!("true peak {before:.2} dBTP -> {after:.2} dBTP after MP3");
        assert!(before <= -0.99, "master true peak {before}");
        assert!(after > before + 0.1, "MP3 raised the true peak only from {before:.2} to {after:.2} dBTP");
    }

    /// Noise bursts with sharp attacks over a bass line, limited 12 dB into -1 dBTP by the chain.
    fn hot_master(rate: u32) -> Audio {
        let n = rate as usize * 3;
        let mut seed = 0x9E37_79B9u32;
        let mut noise = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as f32 / u32::MAX as f32 * 2.0 - 1.0
        };
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                let burst = (-(t % 0.25) * 30.0).exp();
                0.5 * burst * noise() + 0.3 * (std::f32::consts::TAU * 55.0 * t).sin()
            })
            .collect();
        let mut settings = lacquer::chain::Settings::default();
        settings.limiter.drive_db = 12.0;
        let audio = Audio { sample_rate: rate, channels: vec![x.clone(), x] };
        crate::render::render(&audio, &settings, false)
    }

    #[test]
    fn rates_mp3_cannot_carry_are_converted_first() {
        assert_eq!(
            [32_000, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000].map(mp3_rate),
            [32_000, 44_100, 48_000, 44_100, 48_000, 44_100, 48_000]
        );
        let x: Vec<f32> = (0..96_000).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
        let decoded = mp3_round_trip(&Audio { sample_rate: 96_000, channels: vec![x] }).unwrap();
        assert_eq!(decoded.sample_rate, 48_000);
    }
}
