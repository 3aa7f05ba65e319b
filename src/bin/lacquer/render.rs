//! Offline render: runs the plugin's own `Chain` over a file in host-like blocks, removes the
//! latency so the output lines up sample for sample with the input, and keeps the length.

use indicatif::{ProgressBar, ProgressStyle};
use lacquer::chain::{Chain, Settings};

use crate::audio_io::Audio;

/// Host-like block size for offline renders.
pub const RENDER_BLOCK: usize = 1024;

/// Renders `input` with `settings`. `progress` shows a bar on a terminal.
pub fn render(input: &Audio, settings: &Settings, progress: bool) -> Audio {
    let channels = input.channels.len();
    let frames = input.frames();
    let mut chain = Chain::new(input.sample_rate as f32, channels);
    chain.set_settings(settings);
    chain.reset();
    // The CLI measures the files itself; the plugin's live meters are not needed here.
    chain.set_loudness_running(false);
    let latency = chain.latency_samples();
    let total = frames + latency;
    let mut output: Vec<Vec<f32>> = vec![Vec::with_capacity(frames); channels];
    let bar = progress.then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} mastering [{bar:40}] {percent:>3}% {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar
    });
    let mut block: Vec<Vec<f32>> = vec![vec![0.0; RENDER_BLOCK]; channels];
    let mut pos = 0;
    while pos < total {
        let len = RENDER_BLOCK.min(total - pos);
        for (ch, buf) in block.iter_mut().enumerate() {
            for (i, v) in buf[..len].iter_mut().enumerate() {
                *v = input.channels[ch].get(pos + i).copied().unwrap_or(0.0);
            }
        }
        {
            let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|b| &mut b[..len]).collect();
            chain.process(&mut slices);
        }
        // Drop the first `latency` output samples: output[i] then aligns with input[i].
        for i in 0..len {
            let out_index = pos + i;
            if out_index >= latency && out_index - latency < frames {
                for (ch, buf) in block.iter().enumerate() {
                    output[ch].push(buf[i]);
                }
            }
        }
        pos += len;
        if let Some(bar) = &bar {
            bar.set_position(pos as u64);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Audio { sample_rate: input.sample_rate, channels: output }
}
