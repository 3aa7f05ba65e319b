//! Lacquer: a real-time mastering chain as a CLAP/VST3 plugin. This file is only the plugin
//! shell: it maps parameters to a settings snapshot, drives the framework-free [`chain::Chain`],
//! and publishes meter readings. DSP lives in `dsp/` and `chain.rs`.

use std::sync::Arc;

use nice_plug::prelude::*;

pub mod assist;
pub mod chain;
pub mod demo;
pub mod dsp;
pub mod editor;
pub mod meter_bus;
pub mod params;
pub mod persist;
pub mod presets;

use chain::Chain;
use meter_bus::MeterBus;
use params::LacquerParams;

/// Largest piece of a host block handled at once in the shell (sizes the stack buffers for the
/// spectrum tap; the chain itself accepts any length).
const SHELL_PIECE: usize = 1024;

pub struct Lacquer {
    params: Arc<LacquerParams>,
    meters: Arc<MeterBus>,
    /// Built in `activate` (the only place the chain allocates), `None` before.
    chain: Option<Chain>,
    /// Transport state of the previous block, to detect play starts.
    was_playing: bool,
    /// The host is rendering offline (a bounce): monitoring-only level match stays off.
    offline: bool,
    /// Editor window size and zoom (kept across editor openings).
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    /// Learn/Match capture of the chain's input, built in `activate` at the host rate; the audio
    /// thread writes it through atomics only (see `assist::learn`).
    capture: Option<Arc<assist::learn::Capture>>,
    /// The same capture for the editor.
    capture_slot: Arc<assist::learn::CaptureSlot>,
    /// Mono sums before and after the chain for the editor's spectrum (kept here so a block
    /// does not pay for zeroing them).
    spectrum_feed: Box<[[f32; SHELL_PIECE]; 2]>,
}

impl Default for Lacquer {
    fn default() -> Self {
        Self {
            params: Arc::new(LacquerParams::default()),
            meters: Arc::new(MeterBus::new()),
            chain: None,
            was_playing: false,
            offline: false,
            editor_state: editor::default_state(),
            capture: None,
            capture_slot: Arc::new(assist::learn::CaptureSlot::default()),
            spectrum_feed: Box::new([[0.0; SHELL_PIECE]; 2]),
        }
    }
}

impl Plugin for Lacquer {
    const NAME: &'static str = "Lacquer";
    const VENDOR: &'static str = "Lacquer contributors";
    const URL: &'static str = "https://example.invalid/lacquer";
    const EMAIL: &'static str = "lacquer@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = nice_plug_egui::EguiEditor<editor::LacquerEditor>;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    /// Migrates old layouts and repairs damaged values before nice-plug applies a saved state;
    /// every change is logged as a warning (see `params::state`).
    fn filter_state(state: &mut PluginState) {
        for note in params::state::repair(state) {
            nice_warn!("Lacquer state: {note}");
        }
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.meters.clone(), self.editor_state.clone(), self.capture_slot.clone())
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = layout.main_output_channels.map(|c| c.get() as usize).unwrap_or(2);
        self.offline = config.process_mode == ProcessMode::Offline;
        let rebuild = match &self.chain {
            Some(chain) => chain.sample_rate() != config.sample_rate || chain.channels() != channels,
            None => true,
        };
        if rebuild {
            self.chain = Some(Chain::new(config.sample_rate, channels));
        }
        let chain = self.chain.as_mut().expect("chain was just built");
        chain.set_settings(&self.params.settings());
        chain.reset();
        self.meters.sample_rate.store(config.sample_rate, std::sync::atomic::Ordering::Relaxed);
        context.set_latency_samples(chain.latency_samples() as u32);
        if self.capture.as_ref().is_none_or(|c| c.sample_rate() != config.sample_rate) {
            let capture = assist::learn::Capture::new(config.sample_rate, assist::learn::DEFAULT_LEARN_SECONDS);
            self.capture_slot.set(capture.clone());
            self.capture = Some(capture);
        }
        true
    }

    fn reset(&mut self) {
        if let Some(chain) = &mut self.chain {
            chain.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(chain) = self.chain.as_mut() else {
            return ProcessStatus::Normal;
        };
        // Loudness runs while the transport plays (EBU Tech 3341: start/pause/reset act on
        // integrated and LRA together); reset on request from the GUI or on play start.
        let playing = context.transport().playing;
        let play_started = playing && !self.was_playing;
        self.was_playing = playing;
        chain.set_loudness_running(playing);
        let reset_requested = self.meters.reset_requested.swap(false, std::sync::atomic::Ordering::Relaxed);
        if reset_requested || (play_started && self.params.output.meter_auto_reset.value()) {
            chain.reset_loudness();
        }
        // With sample-accurate automation the wrapper splits the block at every parameter
        // change, so this snapshot is exact for the whole (sub-)block.
        chain.set_settings(&self.params.settings());
        // Monitoring only: never part of an offline bounce.
        let level_match = self.params.level_match.load(std::sync::atomic::Ordering::Relaxed) && !self.offline;
        chain.set_level_match(level_match);
        // Display-only work (the spectrum feed, the correlation) runs while an editor is open;
        // loudness and the peak maxima always run, so they are right the moment it opens.
        let watched = self.editor_state.is_open();
        chain.set_live_meters(watched);
        let channels = buffer.as_slice();
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let ceiling_db = self.params.limiter.ceiling_db.value();
        let mut start = 0;
        while start < n {
            // Pieces end at history-point boundaries so each 10 ms point gets its own maxima.
            let end = (start + SHELL_PIECE.min(self.meters.frames_to_next_history_point())).min(n);
            let [pre, post] = &mut *self.spectrum_feed;
            if watched {
                mono_sum(channels, start, end, pre);
            }
            // Learn and Match listen to the playing mix, before the chain (atomics only).
            if let (true, Some(capture)) = (playing, &self.capture) {
                match channels {
                    [mono] => capture.push(&[&mono[start..end]]),
                    [left, right, ..] => capture.push(&[&left[start..end], &right[start..end]]),
                    [] => {}
                }
            }
            match channels {
                [mono] => chain.process(&mut [&mut mono[start..end]]),
                [left, right, ..] => chain.process(&mut [&mut left[start..end], &mut right[start..end]]),
                [] => {}
            }
            if watched {
                mono_sum(channels, start, end, post);
                self.meters.push_spectrum(&pre[..end - start], &post[..end - start]);
            }
            let piece_meters = chain.take_meters();
            self.meters.publish(&piece_meters);
            self.meters.record_history(end - start, &piece_meters, ceiling_db);
            start = end;
        }
        self.meters.level_match_gain_db.store(chain.level_match_gain_db(), std::sync::atomic::Ordering::Relaxed);
        ProcessStatus::Normal
    }
}

fn mono_sum(channels: &[&mut [f32]], start: usize, end: usize, out: &mut [f32]) {
    match channels {
        [mono] => out[..end - start].copy_from_slice(&mono[start..end]),
        [left, right, ..] => {
            for (i, o) in out[..end - start].iter_mut().enumerate() {
                *o = 0.5 * (left[start + i] + right[start + i]);
            }
        }
        [] => {}
    }
}

impl ClapPlugin for Lacquer {
    const CLAP_ID: &'static str = "org.lacquer.mastering";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Mastering chain with a true-peak lookahead limiter, loudness metering and dither");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Mastering,
        ClapFeature::Limiter,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    /// Remote-control pages (hardware controllers, Bitwig's remote controls): one page of up to
    /// eight main controls per stage, in chain order.
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Lacquer", |section| {
            section.add_page("Limiter", |page| {
                page.add_param(&p.limiter.ceiling_db);
                page.add_param(&p.limiter.drive_db);
                page.add_param(&p.limiter.release_ms);
                page.add_param(&p.limiter.auto_release);
                page.add_param(&p.limiter.link_pct);
                page.add_param(&p.limiter.true_peak);
                page.add_param(&p.output.gain_db);
                page.add_param(&p.limiter.bypass);
            });
            section.add_page("EQ", |page| {
                page.add_param(&p.eq.low_shelf.gain_db);
                page.add_param(&p.eq.bell1.gain_db);
                page.add_param(&p.eq.bell2.gain_db);
                page.add_param(&p.eq.bell3.gain_db);
                page.add_param(&p.eq.bell4.gain_db);
                page.add_param(&p.eq.high_shelf.gain_db);
                page.add_param(&p.eq.high_pass.freq_hz);
                page.add_param(&p.eq.bypass);
            });
            section.add_page("Compressor", |page| {
                page.add_param(&p.compressor.band1.threshold_db);
                page.add_param(&p.compressor.band1.ratio);
                page.add_param(&p.compressor.band1.attack_ms);
                page.add_param(&p.compressor.band1.release_ms);
                page.add_param(&p.compressor.band1.makeup_db);
                page.add_param(&p.compressor.band1.knee_db);
                page.add_param(&p.compressor.multiband);
                page.add_param(&p.compressor.bypass);
            });
            section.add_page("Stereo & Saturation", |page| {
                page.add_param(&p.stereo.width_pct);
                page.add_param(&p.stereo.mono_bass);
                page.add_param(&p.stereo.mono_bass_hz);
                page.add_param(&p.stereo.balance_pct);
                page.add_param(&p.saturation.drive_db);
                page.add_param(&p.saturation.character);
                page.add_param(&p.saturation.mix_pct);
                page.add_param(&p.saturation.bypass);
            });
            section.add_page("Input & Output", |page| {
                page.add_param(&p.input.gain_db);
                page.add_param(&p.output.gain_db);
                page.add_param(&p.output.word_length);
                page.add_param(&p.output.noise_shaping);
                page.add_param(&p.bypass);
            });
        });
    }
}

impl Vst3Plugin for Lacquer {
    const VST3_CLASS_ID: [u8; 16] = *b"LacquerMasterFx1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Mastering, Vst3SubCategory::Dynamics, Vst3SubCategory::Stereo];
}

nice_export_clap!(Lacquer);
nice_export_vst3!(Lacquer);
