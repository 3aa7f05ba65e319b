//! Loading a reference file for the plugin's Match panel: decode (symphonia: WAV, FLAC, MP3,
//! Ogg Vorbis) and analyse, on a background thread. The CLI reads files through its own
//! `audio_io`; the checks here say the same things in the same words.

use std::fs::File;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::analysis::{analyse, Analysis};

/// Decodes and analyses `path`; `progress` gets 0..=1 (decoding is the first 80 %). Refuses
/// unreadable files, more than two channels, and references with nothing above the gate.
pub fn load_reference(path: &Path, progress: &dyn Fn(f32)) -> Result<Analysis, String> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("reference {shown}: file not found"),
        _ => format!("reference {shown}: cannot read ({e})"),
    })?;
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|_| format!("reference {shown}: not a readable audio file (WAV, FLAC, MP3 or Ogg Vorbis)"))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| format!("reference {shown}: no audio track"))?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let total = params.n_frames.unwrap_or(0) as f64;
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| format!("reference {shown}: unsupported codec ({e})"))?;
    let (mut rate, mut channels) = (params.sample_rate.unwrap_or(0), 0usize);
    let mut planar: [Vec<f32>; 2] = [Vec::new(), Vec::new()];
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("reference {shown}: corrupt audio data ({e})")),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder.decode(&packet).map_err(|e| format!("reference {shown}: cannot decode ({e})"))?;
        let spec = *decoded.spec();
        rate = spec.rate;
        channels = spec.channels.count();
        if channels == 0 || channels > 2 {
            return Err(format!("reference {shown}: {channels} channels; references must be mono or stereo"));
        }
        let mut buf = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buf.copy_interleaved_ref(decoded);
        for frame in buf.samples().chunks_exact(channels) {
            for (ch, &v) in frame.iter().enumerate() {
                planar[ch].push(v);
            }
        }
        if total > 0.0 {
            progress((0.8 * planar[0].len() as f64 / total).min(0.8) as f32);
        }
    }
    if planar[0].is_empty() || rate == 0 {
        return Err(format!("reference {shown}: no audio in the file"));
    }
    progress(0.8);
    let slices: Vec<&[f32]> = planar[..channels].iter().map(Vec::as_slice).collect();
    let analysis = analyse(&slices, rate as f32);
    progress(1.0);
    if analysis.integrated_lufs.is_none() {
        return Err(format!(
            "reference {shown}: silent (nothing above the -70 LUFS gate); choose a file with music in it"
        ));
    }
    if analysis.band_db.iter().all(|&b| b < -110.0) {
        return Err(format!("reference {shown}: too short to analyse (it needs at least a second of music)"));
    }
    Ok(analysis)
}
