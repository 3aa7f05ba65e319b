//! Decoding written files with symphonia (an independent decoder, not the CLI's own reader),
//! for the CLI tests. Included with `#[path]` by the tests that need it.

use std::path::Path;

/// Decodes `path` (WAV or FLAC) into interleaved integer samples at `bits` (exact for 16/24-bit
/// PCM, whatever the container), with its sample rate and channel count.
pub fn decode_integers(path: &Path, bits: u32) -> (u32, usize, Vec<i32>) {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(path.extension().unwrap().to_str().unwrap());
    let probed = symphonia::default::get_probe()
        .format(&hint, mss, &FormatOptions::default(), &MetadataOptions::default())
        .unwrap();
    let mut format = probed.format;
    let track = format.default_track().unwrap().clone();
    let mut decoder = symphonia::default::get_codecs().make(&track.codec_params, &DecoderOptions::default()).unwrap();
    let (mut rate, mut channels, mut out) = (0, 0, Vec::new());
    while let Ok(packet) = format.next_packet() {
        let decoded = decoder.decode(&packet).unwrap();
        let spec = *decoded.spec();
        (rate, channels) = (spec.rate, spec.channels.count());
        let mut buf = SampleBuffer::<i32>::new(decoded.capacity() as u64, spec);
        buf.copy_interleaved_ref(decoded);
        // symphonia scales every integer format to the full i32 range.
        out.extend(buf.samples().iter().map(|&v| v >> (32 - bits)));
    }
    (rate, channels, out)
}
