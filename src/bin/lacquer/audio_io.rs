//! Reading audio files (WAV through `hound`; FLAC, MP3, Ogg Vorbis through `symphonia`) into
//! planar f32, and writing WAV atomically (temporary file in the target folder, renamed into place
//! only once complete, so a failed render never leaves a partial file).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

pub const MIN_SAMPLE_RATE: u32 = 8_000;
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// Planar audio: one Vec per channel, equal lengths.
pub struct Audio {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Float32,
    Int24,
    Int16,
}

impl OutputFormat {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "32f" | "f32" | "float" | "32" => Ok(Self::Float32),
            "24" => Ok(Self::Int24),
            "16" => Ok(Self::Int16),
            other => Err(format!("unknown output format '{other}' (use 16, 24 or 32f)")),
        }
    }
}

pub fn read(path: &Path) -> Result<Audio, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{shown}: file not found"),
        _ => format!("{shown}: cannot read ({e})"),
    })?;
    if !meta.is_file() {
        return Err(format!("{shown}: not a file"));
    }
    let is_wav = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    let audio = if is_wav { read_wav(path)? } else { read_other(path)? };
    validate(&audio, path)?;
    Ok(audio)
}

fn validate(audio: &Audio, path: &Path) -> Result<(), String> {
    let shown = path.display();
    let channels = audio.channels.len();
    if channels == 0 || channels > 2 {
        return Err(format!("{shown}: {channels} channels; Lacquer masters mono or stereo files only"));
    }
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&audio.sample_rate) {
        return Err(format!("{shown}: sample rate {} Hz is outside the supported 8000–768000 Hz", audio.sample_rate));
    }
    if audio.frames() == 0 {
        return Err(format!("{shown}: no audio in the file"));
    }
    Ok(())
}

fn read_wav(path: &Path) -> Result<Audio, String> {
    let shown = path.display();
    let reader = hound::WavReader::open(path).map_err(|e| format!("{shown}: not a readable WAV file ({e})"))?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    if channels == 0 || channels > 2 {
        return Err(format!("{shown}: {channels} channels; Lacquer masters mono or stereo files only"));
    }
    let expected = reader.len() as usize;
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.into_samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader.into_samples::<i32>().map(|s| s.map(|v| v as f32 * scale)).collect::<Result<_, _>>()
        }
    }
    .map_err(|e| format!("{shown}: corrupt or truncated WAV data ({e})"))?;
    if interleaved.len() < expected {
        return Err(format!("{shown}: truncated WAV file ({} of {expected} samples)", interleaved.len()));
    }
    Ok(deinterleave(&interleaved, channels, spec.sample_rate))
}

fn read_other(path: &Path) -> Result<Audio, String> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| format!("{shown}: cannot open ({e})"))?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| format!("{shown}: unsupported or unrecognised audio format ({e})"))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| format!("{shown}: no audio track"))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| format!("{shown}: unsupported codec ({e})"))?;
    let mut sample_rate = params.sample_rate.unwrap_or(0);
    let mut channels = params.channels.map(|c| c.count()).unwrap_or(0);
    let mut interleaved: Vec<f32> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("{shown}: corrupt audio data ({e})")),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymphoniaError::DecodeError(e)) => return Err(format!("{shown}: corrupt audio data ({e})")),
            Err(e) => return Err(format!("{shown}: cannot decode ({e})")),
        };
        let spec = *decoded.spec();
        sample_rate = spec.rate;
        channels = spec.channels.count();
        if channels > 2 {
            return Err(format!("{shown}: {channels} channels; Lacquer masters mono or stereo files only"));
        }
        let mut buf = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buf.copy_interleaved_ref(decoded);
        interleaved.extend_from_slice(buf.samples());
    }
    if channels == 0 {
        return Err(format!("{shown}: no decodable audio"));
    }
    Ok(deinterleave(&interleaved, channels, sample_rate))
}

fn deinterleave(interleaved: &[f32], channels: usize, sample_rate: u32) -> Audio {
    let frames = interleaved.len() / channels.max(1);
    let mut out = vec![Vec::with_capacity(frames); channels];
    for frame in interleaved.chunks_exact(channels) {
        for (ch, &v) in frame.iter().enumerate() {
            out[ch].push(v);
        }
    }
    Audio { sample_rate, channels: out }
}

/// The file type an output path asks for, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Wav,
    Flac,
}

impl Container {
    /// `.wav` or `.flac` (any case); anything else is refused with one line, before any work.
    pub fn of(path: &Path, format: OutputFormat) -> Result<Self, String> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "wav" => Ok(Container::Wav),
            "flac" if format == OutputFormat::Float32 => {
                Err(format!("{}: FLAC holds integer samples; use --format 24 or --format 16", path.display()))
            }
            "flac" => Ok(Container::Flac),
            _ => Err(format!("{}: unsupported output type; name it .wav or .flac", path.display())),
        }
    }
}

/// Writes `audio` to `path` atomically as WAV or FLAC (by the extension, see [`Container::of`]).
pub fn write(path: &Path, audio: &Audio, format: OutputFormat) -> Result<(), String> {
    match Container::of(path, format)? {
        Container::Wav => write_wav(path, audio, format),
        Container::Flac => write_flac(path, audio, format),
    }
}

/// The folder `path` goes into, which must exist, and a temporary file in it (renamed into place
/// when complete, so an interrupted or failed write never leaves a half-written file).
fn temporary_beside(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile, String> {
    let shown = path.display();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(format!("{shown}: output folder {} does not exist", dir.display()));
    }
    tempfile::Builder::new()
        .prefix(".lacquer-")
        .suffix(suffix)
        .tempfile_in(&dir)
        .map_err(|e| format!("{shown}: cannot create a file in {} ({e})", dir.display()))
}

/// Integer samples of `audio`, interleaved. The chain's dither has already put them on the grid
/// of `bits`, so the scaling is exact; anything else is rounded and clamped.
fn integer_samples(audio: &Audio, bits: u32) -> Vec<i32> {
    let scale = (1i64 << (bits - 1)) as f32;
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    let mut out = Vec::with_capacity(audio.frames() * audio.channels.len());
    for i in 0..audio.frames() {
        for ch in &audio.channels {
            out.push(((ch[i] * scale).round() as i64).clamp(lo, hi) as i32);
        }
    }
    out
}

/// FLAC through `flacenc` (pure Rust, the reference encoder's default settings: block size 4096,
/// LPC order up to 8, stereo decorrelation). Lossless: decoding gives back exactly the integer
/// samples written (tested with symphonia's decoder).
fn write_flac(path: &Path, audio: &Audio, format: OutputFormat) -> Result<(), String> {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    let shown = path.display();
    let bits = match format {
        OutputFormat::Int24 => 24,
        OutputFormat::Int16 => 16,
        OutputFormat::Float32 => return Err(format!("{shown}: FLAC holds integer samples")),
    };
    let temp = temporary_beside(path, ".flac.part")?;
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|e| format!("{shown}: FLAC encoder setup failed ({e:?})"))?;
    let samples = integer_samples(audio, bits);
    let source = flacenc::source::MemSource::from_samples(
        &samples,
        audio.channels.len(),
        bits as usize,
        audio.sample_rate as usize,
    );
    let encoded = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
        .map_err(|e| format!("{shown}: FLAC encoding failed ({e:?})"))?;
    let stream = checked_flac_stream(&encoded, &samples, audio.channels.len(), bits as usize, audio.sample_rate)
        .map_err(|e| format!("{shown}: FLAC encoding failed ({e})"))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).map_err(|e| format!("{shown}: FLAC encoding failed ({e:?})"))?;
    {
        let mut file = temp.as_file().try_clone().map_err(|e| format!("{shown}: {e}"))?;
        std::io::Write::write_all(&mut file, sink.as_slice()).map_err(|e| format!("{shown}: write failed ({e})"))?;
    }
    temp.as_file().sync_all().map_err(|e| format!("{shown}: write failed ({e})"))?;
    temp.persist(path).map_err(|e| format!("{shown}: cannot move the finished file into place ({})", e.error))?;
    Ok(())
}

/// `encoded` rebuilt frame by frame with its metadata checked, because flacenc 0.5.1 has two
/// faults a master must not inherit: (1) on loud 24-bit material some frames come out
/// gigabytes long (valid, but its Rice parameters stop at 14 and its size estimate misses it),
/// so any frame larger than the same samples stored verbatim is replaced by the verbatim frame;
/// (2) STREAMINFO counts the last, shorter block in the minimum block size and can record wrong
/// frame sizes, which makes decoders that check them (symphonia) skip frames, so both are set
/// from the frames as written. The MD5 signature and total length are kept.
fn checked_flac_stream(
    encoded: &flacenc::component::Stream,
    interleaved: &[i32],
    channels: usize,
    bits: usize,
    sample_rate: u32,
) -> Result<flacenc::component::Stream, String> {
    use flacenc::component::{BitRepr, ChannelAssignment, Frame, FrameHeader, FrameOffset, Stream, SubFrame, Verbatim};
    let err = |e: &dyn std::fmt::Debug| format!("{e:?}");
    let bytes_of = |frame: &Frame| -> Result<usize, String> {
        let mut sink = flacenc::bitsink::ByteSink::new();
        frame.write(&mut sink).map_err(|e| err(&e))?;
        Ok(sink.as_slice().len())
    };
    let info = encoded.stream_info();
    let mut out = Stream::new(sample_rate as usize, channels, bits).map_err(|e| err(&e))?;
    let (mut min_frame, mut max_frame, mut start) = (usize::MAX, 0usize, 0usize);
    for n in 0..encoded.frame_count() {
        let frame = encoded.frame(n).ok_or_else(|| format!("frame {n} missing"))?;
        let block = frame.block_size();
        // Header (at most 16 bytes), one byte per subframe header, the samples, the CRC-16.
        let verbatim_bytes = 16 + channels + (block * channels * bits).div_ceil(8) + 2;
        let mut frame = frame.clone();
        if bytes_of(&frame)? > verbatim_bytes {
            let samples = &interleaved[start * channels..(start + block) * channels];
            let subframes = (0..channels)
                .map(|ch| {
                    let one: Vec<i32> = samples.iter().skip(ch).step_by(channels).copied().collect();
                    Verbatim::new(&one, bits).map(SubFrame::from).map_err(|e| err(&e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let header = FrameHeader::new(
                block,
                ChannelAssignment::Independent(channels as u8),
                bits,
                sample_rate as usize,
                FrameOffset::Frame(n as u32),
            )
            .map_err(|e| err(&e))?;
            frame = Frame::new(header, subframes.into_iter()).map_err(|e| err(&e))?;
        }
        let size = bytes_of(&frame)?;
        (min_frame, max_frame) = (min_frame.min(size), max_frame.max(size));
        out.add_frame(frame);
        start += block;
    }
    let block = if encoded.frame_count() > 1 { info.max_block_size() } else { start.max(16) };
    let out_info = out.stream_info_mut();
    out_info.set_block_sizes(block, block).map_err(|e| err(&e))?;
    if max_frame > 0 {
        out_info.set_frame_sizes(min_frame, max_frame).map_err(|e| err(&e))?;
    }
    out_info.set_total_samples(info.total_samples());
    out_info.set_md5_digest(info.md5_digest());
    Ok(out)
}

/// Writes `audio` to `path` atomically as WAV. Integer formats expect samples already quantised
/// by the chain's dither (they are on the grid, so the conversion is exact); anything else is
/// rounded.
fn write_wav(path: &Path, audio: &Audio, format: OutputFormat) -> Result<(), String> {
    let shown = path.display();
    let temp = temporary_beside(path, ".wav.part")?;
    let (bits, sample_format) = match format {
        OutputFormat::Float32 => (32, hound::SampleFormat::Float),
        OutputFormat::Int24 => (24, hound::SampleFormat::Int),
        OutputFormat::Int16 => (16, hound::SampleFormat::Int),
    };
    let spec = hound::WavSpec {
        channels: audio.channels.len() as u16,
        sample_rate: audio.sample_rate,
        bits_per_sample: bits,
        sample_format,
    };
    let write_err = |e: hound::Error| format!("{shown}: write failed ({e})");
    {
        let file = temp.as_file().try_clone().map_err(|e| format!("{shown}: {e}"))?;
        let mut writer = hound::WavWriter::new(BufWriter::new(file), spec).map_err(write_err)?;
        if format == OutputFormat::Float32 {
            for i in 0..audio.frames() {
                for ch in &audio.channels {
                    writer.write_sample(ch[i]).map_err(write_err)?;
                }
            }
        } else {
            for q in integer_samples(audio, bits as u32) {
                writer.write_sample(q).map_err(write_err)?;
            }
        }
        writer.finalize().map_err(write_err)?;
    }
    temp.as_file().sync_all().map_err(|e| format!("{shown}: write failed ({e})"))?;
    temp.persist(path).map_err(|e| format!("{shown}: cannot move the finished file into place ({})", e.error))?;
    Ok(())
}
