//! Loudness and peak metering per ITU-R BS.1770-4 and EBU R128 (Tech 3341 / Tech 3342):
//! momentary, short-term, integrated loudness, loudness range, their maxima, true and sample peak
//! per channel and a stereo correlation reading. Read-only on the audio; no allocation after `new`.
//!
//! Structure: K-weighted energy (sum over channels of y^2, f64) is summed per 10 ms sub-block into
//! a ring of the last 300 sub-blocks. Every sub-block, momentary (last 40 = 400 ms) and
//! short-term (last 300 = 3 s) loudness are recomputed; both are ungated sliding windows
//! (Tech 3341 §2.2) updated at 100 Hz. The 10 ms hop (rather than the 100 ms minimum the EBU asks
//! for live display) is what lets Max M read a 400 ms tone burst that starts anywhere: with a
//! 100 ms hop, Tech 3341 case 13/14's bursts at 20 ms offsets would read up to 0.46 dB low, with
//! 10 ms at most 10 log10(395/400) = -0.055 dB. Every 100 ms (10 sub-blocks):
//! - the momentary energy is one BS.1770 gating block (400 ms, 75 % overlap) for the integrated
//!   loudness, kept in a fixed histogram (see `loudness_histogram.rs`);
//! - the short-term energy is one Tech 3342 short-term value (3 s windows 0.1 s apart, i.e.
//!   2.9 s overlap) for the loudness range, in a second histogram.
//!
//! Before a window has filled, it is read as if silence preceded the start (momentary and
//! short-term under-read for the first 0.4 s / 3 s, as on any meter that starts with empty
//! windows). Gating blocks count only from 400 ms on and short-term values for LRA only from 3 s
//! on (complete windows only, BS.1770 / Tech 3342). A trailing incomplete gating block is dropped.
//!
//! Channel weighting: `channels == 1` reads only `left` (BS.1770 sums channel powers, so a mono
//! programme counts once; -23 dBFS-peak 1 kHz mono reads -26.0 LUFS). `channels == 2` sums left
//! and right with weight 1.0 each, so the same slice passed twice is a dual-mono stereo
//! programme and reads 3 dB louder, as BS.1770 requires.
//!
//! Hostile input: every sample goes through `math::sanitize` (NaN/Inf read as 0.0, magnitudes
//! clamp to 1000 = +60 dBFS) and values below 1e-30 read as 0.0, so no state can be poisoned or go
//! denormal; a NaN burst simply meters as silence.

use crate::dsp::meter::correlation::CorrelationMeter;
use crate::dsp::meter::histogram::{energy_to_lufs, LoudnessHistogram};
use crate::dsp::meter::k_weighting::{sanitize_sample_rate, stereo_energy, KWeighting};
use crate::dsp::meter::true_peak::{peak_to_db, TruePeakMeter};
use crate::dsp::util::math::{sanitize, MIN_DB};

/// Sub-block length: the update period of momentary / short-term loudness and correlation.
pub const SUB_BLOCK_MS: f64 = 10.0;
/// 400 ms momentary window (BS.1770 gating block length).
pub const MOMENTARY_SUB_BLOCKS: usize = 40;
/// 3 s short-term window.
pub const SHORT_TERM_SUB_BLOCKS: usize = 300;
/// 100 ms: the gating-block step (75 % overlap) and the LRA short-term value spacing.
pub const GATING_STEP_SUB_BLOCKS: usize = 10;
/// BS.1770-4 relative gate for integrated loudness.
pub const INTEGRATED_RELATIVE_GATE_LU: f64 = -10.0;
/// EBU Tech 3342 relative gate and percentiles for loudness range.
pub const LRA_RELATIVE_GATE_LU: f64 = -20.0;
pub const LRA_LOW_PERCENTILE: f64 = 10.0;
pub const LRA_HIGH_PERCENTILE: f64 = 95.0;
/// EBU Tech 3342: file-based meters append at least 1.5 s of silence before the final LRA.
pub const END_OF_FILE_SILENCE_S: f64 = 1.5;
/// Input below this magnitude (-600 dBFS) is read as zero: keeps the f32 interpolator and the
/// filters out of the denormal range.
const TINY_INPUT: f32 = 1e-30;
/// Samples cleaned and metered per step (stack buffers of this size).
const PIECE: usize = 256;

#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    sample_rate: f32,
    /// 1 (mono: `left` only) or 2.
    channels: usize,
    k_weighting: [KWeighting; 2],
    peaks: [TruePeakMeter; 2],
    /// True-peak reconstruction on (default) or off: it is ~90 % of the meter's cost, and a
    /// loudness-only analysis (a normalisation pass, an input meter) does not need it.
    true_peak_enabled: bool,
    correlation: CorrelationMeter,
    /// Display-only readings (correlation) are computed only while this is set; the plugin
    /// clears it while no editor is open. Loudness, LRA and the peaks never pause for it.
    live_readings: bool,
    sub_block_len: usize,
    /// Samples already in the current sub-block.
    sub_block_fill: usize,
    /// Sum of the K-weighted squares of the current sub-block, all channels.
    sub_block_energy: f64,
    /// The last 300 sub-blocks' energy sums; `ring_pos` is the next slot to write.
    energy_ring: [f64; SHORT_TERM_SUB_BLOCKS],
    ring_pos: usize,
    sub_blocks_done: u64,
    /// Latest window readings as mean squares (channel-weighted), and their maxima.
    momentary_energy: f64,
    short_term_energy: f64,
    momentary_max_energy: f64,
    short_term_max_energy: f64,
    gating_blocks: LoudnessHistogram,
    short_term_values: LoudnessHistogram,
    /// Cached results (recomputed every 100 ms, so the getters are O(1)).
    integrated_energy: f64,
    loudness_range_lu: f64,
    /// While `finish` appends its silence: only the LRA keeps counting.
    appending_end_silence: bool,
    finished: bool,
}

impl LoudnessMeter {
    /// Allocates everything (two 96 kB histograms). `channels` is clamped to 1..=2.
    pub fn new(sample_rate: f32, channels: usize) -> Self {
        let sample_rate = sanitize_sample_rate(sample_rate as f64) as f32;
        let sub_block_len = ((sample_rate as f64 * SUB_BLOCK_MS / 1000.0).round() as usize).max(1);
        Self {
            sample_rate,
            channels: channels.clamp(1, 2),
            k_weighting: [KWeighting::new(sample_rate), KWeighting::new(sample_rate)],
            peaks: [TruePeakMeter::new(), TruePeakMeter::new()],
            true_peak_enabled: true,
            correlation: CorrelationMeter::new(),
            live_readings: true,
            sub_block_len,
            sub_block_fill: 0,
            sub_block_energy: 0.0,
            energy_ring: [0.0; SHORT_TERM_SUB_BLOCKS],
            ring_pos: 0,
            sub_blocks_done: 0,
            momentary_energy: 0.0,
            short_term_energy: 0.0,
            momentary_max_energy: 0.0,
            short_term_max_energy: 0.0,
            gating_blocks: LoudnessHistogram::new(),
            short_term_values: LoudnessHistogram::new(),
            integrated_energy: 0.0,
            loudness_range_lu: f64::NEG_INFINITY,
            appending_end_silence: false,
            finished: false,
        }
    }

    /// Starts a new measurement (Tech 3341: reset acts on everything together).
    pub fn reset(&mut self) {
        self.k_weighting.iter_mut().for_each(KWeighting::reset);
        self.peaks.iter_mut().for_each(TruePeakMeter::reset);
        self.correlation.reset();
        self.sub_block_fill = 0;
        self.sub_block_energy = 0.0;
        self.energy_ring = [0.0; SHORT_TERM_SUB_BLOCKS];
        self.ring_pos = 0;
        self.sub_blocks_done = 0;
        self.momentary_energy = 0.0;
        self.short_term_energy = 0.0;
        self.gating_blocks.reset();
        self.short_term_values.reset();
        self.integrated_energy = 0.0;
        self.loudness_range_lu = f64::NEG_INFINITY;
        self.appending_end_silence = false;
        self.finished = false;
        self.reset_max_hold();
    }

    /// Forgets Max M, Max S and the peak maxima, keeping the windows, integrated loudness and LRA
    /// (a meter's "reset peak hold"; also how the tests read Max M/S per segment).
    pub fn reset_max_hold(&mut self) {
        self.momentary_max_energy = 0.0;
        self.short_term_max_energy = 0.0;
        self.peaks.iter_mut().for_each(TruePeakMeter::reset_hold);
    }

    /// Switches true-peak metering on or off (on by default). Off, `true_peak_dbtp` and
    /// `block_true_peak_dbtp` read -inf and sample peaks are still measured; switching it back on
    /// restarts the true-peak maxima. No allocation, callable between any two blocks.
    pub fn set_true_peak_enabled(&mut self, enabled: bool) {
        if enabled != self.true_peak_enabled {
            self.true_peak_enabled = enabled;
            self.peaks.iter_mut().for_each(TruePeakMeter::reset_true_peak);
        }
    }

    /// Computes the display-only correlation reading (on by default) or skips it: nothing else
    /// changes, so integrated loudness, LRA, momentary/short-term and every peak stay exact
    /// while it is off. Switching it back on restarts the correlation window (it reads 0 until
    /// its 400 ms have filled again). No allocation, callable between any two blocks.
    pub fn set_live_readings(&mut self, live: bool) {
        if live != self.live_readings {
            self.live_readings = live;
            self.correlation.reset();
        }
    }

    pub fn true_peak_enabled(&self) -> bool {
        self.true_peak_enabled
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Meters one block. Any length; stereo reads the first `min(left.len(), right.len())`
    /// samples, mono reads `left` and ignores `right`. The true peak of the last
    /// `TruePeakMeter::latency_samples()` samples is included once later samples (or `finish`)
    /// arrive.
    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        if !self.appending_end_silence && !left.is_empty() {
            self.finished = false;
        }
        let stereo = self.channels == 2;
        let len = if stereo { left.len().min(right.len()) } else { left.len() };
        self.peaks.iter_mut().for_each(TruePeakMeter::begin_block);
        // Cleaned copies of a piece of the block: the peaks take the piece whole, the loudness
        // and correlation sums split it at the sub-block ends.
        let mut clean_left = [0.0f32; PIECE];
        let mut clean_right = [0.0f32; PIECE];
        for start in (0..len).step_by(PIECE) {
            let end = (start + PIECE).min(len);
            let n = end - start;
            let l = clean_block(&left[start..end], &mut clean_left[..n]);
            let r = if stereo { clean_block(&right[start..end], &mut clean_right[..n]) } else { l };
            let channels: &[&[f32]] = if stereo { &[l, r] } else { &[l] };
            for (peak, samples) in self.peaks.iter_mut().zip(channels) {
                if self.true_peak_enabled {
                    peak.push_block(samples);
                } else {
                    peak.push_block_sample_peak_only(samples);
                }
            }
            let mut at = 0;
            while at < n {
                let take = (self.sub_block_len - self.sub_block_fill).min(n - at);
                let energy = if stereo {
                    let (l, r) = (&l[at..at + take], &r[at..at + take]);
                    if self.live_readings {
                        self.correlation.push_block(l, r);
                    }
                    stereo_energy(&mut self.k_weighting, l, r)
                } else {
                    let l = &l[at..at + take];
                    if self.live_readings {
                        self.correlation.push_block(l, l);
                    }
                    self.k_weighting[0].energy(l)
                };
                self.sub_block_energy += energy;
                self.sub_block_fill += take;
                at += take;
                if self.sub_block_fill == self.sub_block_len {
                    self.end_sub_block();
                }
            }
        }
        self.peaks.iter_mut().for_each(TruePeakMeter::end_block);
    }

    fn end_sub_block(&mut self) {
        self.energy_ring[self.ring_pos] = self.sub_block_energy;
        self.ring_pos = (self.ring_pos + 1) % SHORT_TERM_SUB_BLOCKS;
        self.sub_block_energy = 0.0;
        self.sub_block_fill = 0;
        self.sub_blocks_done += 1;
        self.k_weighting.iter_mut().for_each(KWeighting::flush_tiny_states);
        if self.live_readings {
            self.correlation.end_sub_block(self.sub_block_len);
        }
        self.momentary_energy = self.window_energy(MOMENTARY_SUB_BLOCKS);
        self.short_term_energy = self.window_energy(SHORT_TERM_SUB_BLOCKS);
        if !self.appending_end_silence {
            self.momentary_max_energy = self.momentary_max_energy.max(self.momentary_energy);
            self.short_term_max_energy = self.short_term_max_energy.max(self.short_term_energy);
        }
        if !self.sub_blocks_done.is_multiple_of(GATING_STEP_SUB_BLOCKS as u64) {
            return;
        }
        if !self.appending_end_silence && self.sub_blocks_done >= MOMENTARY_SUB_BLOCKS as u64 {
            self.gating_blocks.add(self.momentary_energy);
            self.integrated_energy = self.gating_blocks.gated_mean_energy(INTEGRATED_RELATIVE_GATE_LU).unwrap_or(0.0);
        }
        if self.sub_blocks_done >= SHORT_TERM_SUB_BLOCKS as u64 {
            self.short_term_values.add(self.short_term_energy);
            self.loudness_range_lu = self
                .short_term_values
                .percentile_range_lu(LRA_RELATIVE_GATE_LU, LRA_LOW_PERCENTILE, LRA_HIGH_PERCENTILE)
                .unwrap_or(f64::NEG_INFINITY);
        }
    }

    /// Mean square (summed over channels) of the last `sub_blocks` sub-blocks.
    fn window_energy(&self, sub_blocks: usize) -> f64 {
        // The newest slots end just before ring_pos; older ones wrap round to the ring's end.
        let (latest, wrapped) = self.energy_ring.split_at(self.ring_pos);
        let from_wrapped = wrapped.len().min(sub_blocks.saturating_sub(latest.len()));
        let from_latest = sub_blocks - from_wrapped;
        let sum: f64 = latest[latest.len() - from_latest..].iter().sum::<f64>()
            + wrapped[wrapped.len() - from_wrapped..].iter().sum::<f64>();
        sum / (sub_blocks * self.sub_block_len) as f64
    }

    /// File-based end of measurement (EBU Tech 3342): appends 1.5 s of digital silence that only
    /// the LRA sees, so the last short-term windows slide past the end of the programme as the
    /// reference meter's do. Integrated loudness, Max M and Max S are frozen meanwhile (the
    /// silence is not part of the programme, and BS.1770 drops the incomplete last gating
    /// block); the silence also flushes the true-peak reconstruction of the last samples.
    /// Momentary, short-term and correlation afterwards describe the appended silence. Call once
    /// at the end of a file (a second call does nothing); `reset` before the next programme.
    /// Live meters never call it.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.appending_end_silence = true;
        let silence = [0.0f32; 64];
        let mut remaining = (END_OF_FILE_SILENCE_S * self.sample_rate as f64).ceil() as usize;
        while remaining > 0 {
            let n = remaining.min(silence.len());
            self.process(&silence[..n], &silence[..n]);
            remaining -= n;
        }
        self.appending_end_silence = false;
        self.finished = true;
    }

    /// Momentary loudness (last 400 ms, ungated), LUFS.
    pub fn momentary_lufs(&self) -> f32 {
        lufs_or_silence(self.momentary_energy)
    }

    /// Short-term loudness (last 3 s, ungated), LUFS.
    pub fn short_term_lufs(&self) -> f32 {
        lufs_or_silence(self.short_term_energy)
    }

    /// Gated integrated loudness since the last reset, LUFS; -inf until a gating block passes.
    pub fn integrated_lufs(&self) -> f32 {
        lufs_or_silence(self.integrated_energy)
    }

    /// Loudness range (EBU Tech 3342), LU; -inf until a short-term value passes the gates (the
    /// first needs 3 s of programme). File-based measurements call [`finish`](Self::finish) first.
    pub fn loudness_range_lu(&self) -> f32 {
        self.loudness_range_lu as f32
    }

    pub fn momentary_max_lufs(&self) -> f32 {
        lufs_or_silence(self.momentary_max_energy)
    }

    pub fn short_term_max_lufs(&self) -> f32 {
        lufs_or_silence(self.short_term_max_energy)
    }

    /// Maximum true peak of channel `ch` since the last reset, dBTP; -inf for silence or a
    /// channel the meter does not have.
    pub fn true_peak_dbtp(&self, ch: usize) -> f32 {
        if !self.true_peak_enabled {
            return f32::NEG_INFINITY;
        }
        self.peak_of(ch, TruePeakMeter::true_peak)
    }

    /// Maximum true peak over the channels, dBTP.
    pub fn true_peak_max_dbtp(&self) -> f32 {
        (0..self.channels).map(|ch| self.true_peak_dbtp(ch)).fold(f32::NEG_INFINITY, f32::max)
    }

    /// Maximum |sample| of channel `ch` since the last reset, dBFS.
    pub fn sample_peak_dbfs(&self, ch: usize) -> f32 {
        self.peak_of(ch, TruePeakMeter::sample_peak)
    }

    /// True peak of channel `ch` over the last `process` call only, dBTP (for per-block meters).
    pub fn block_true_peak_dbtp(&self, ch: usize) -> f32 {
        if !self.true_peak_enabled {
            return f32::NEG_INFINITY;
        }
        self.peak_of(ch, TruePeakMeter::block_true_peak)
    }

    /// Sample peak of channel `ch` over the last `process` call only, dBFS.
    pub fn block_sample_peak_dbfs(&self, ch: usize) -> f32 {
        self.peak_of(ch, TruePeakMeter::block_sample_peak)
    }

    fn peak_of(&self, ch: usize, get: fn(&TruePeakMeter) -> f32) -> f32 {
        if ch < self.channels {
            peak_to_db(get(&self.peaks[ch]))
        } else {
            f32::NEG_INFINITY
        }
    }

    /// Stereo correlation over the last 400 ms (see `correlation_meter.rs`): +1 for mono.
    pub fn correlation(&self) -> f32 {
        self.correlation.correlation()
    }
}

/// Sanitised samples with sub-denormal magnitudes read as zero, into `out` (returned). A plain
/// per-sample map with no early exits, so it vectorises.
#[inline]
fn clean_block<'a>(input: &[f32], out: &'a mut [f32]) -> &'a [f32] {
    for (y, &x) in out.iter_mut().zip(input) {
        let x = sanitize(x);
        *y = if x.abs() < TINY_INPUT { 0.0 } else { x };
    }
    out
}

/// Loudness of a mean square; below -200 LUFS (and for silence) reads -inf.
fn lufs_or_silence(energy: f64) -> f32 {
    let lufs = if energy > 0.0 { energy_to_lufs(energy) } else { f64::NEG_INFINITY };
    if lufs < MIN_DB as f64 {
        f32::NEG_INFINITY
    } else {
        lufs as f32
    }
}
