//! Learn: listen to the playing mix for a while, then find the limiter drive that puts the
//! chain's output on a loudness target under the ceiling, and offer it. Nothing is changed
//! while listening or searching; the result is applied only when the user accepts it.
//!
//! The audio thread's side is [`Capture::push`]: it copies the chain's input into a buffer
//! allocated up front (N seconds at the host rate), through relaxed atomic stores, and marks the
//! buffer full with a release store when it is. The reader only touches the samples after an
//! acquire load sees "full", and the audio thread never writes again until the reader re-arms
//! it, so neither side waits, locks or allocates. The search ([`learn_drive`]) runs on a
//! background thread ([`Learner`]), renders the capture with the real chain and measures it.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;

use crate::chain::{Chain, Settings, MIN_OUTPUT_GAIN_DB};
use crate::dsp::meter::loudness::LoudnessMeter;

/// How long Learn listens by default.
pub const DEFAULT_LEARN_SECONDS: f32 = 30.0;
/// Drive range of the limiter parameter (`lim_drive`).
const MAX_DRIVE_DB: f64 = 24.0;
/// The search stops within this of the target (the goal is 0.5 LU; aim tighter).
const TOLERANCE_LU: f64 = 0.1;
const MAX_RENDERS: usize = 10;
const RENDER_BLOCK: usize = 512;

const IDLE: u8 = 0;
const ARMED: u8 = 1;
const FULL: u8 = 2;

/// A preallocated capture of the chain's input, shared between the audio thread (writer) and
/// one reader.
pub struct Capture {
    /// Planar samples, stored as f32 atomics so both threads can hold the buffer safely.
    channels: [Box<[AtomicF32]>; 2],
    sample_rate: f32,
    /// Frames written since the last arm.
    written: AtomicUsize,
    state: AtomicU8,
}

impl Capture {
    /// Allocates `seconds` of stereo at `sample_rate` (outside the audio thread).
    pub fn new(sample_rate: f32, seconds: f32) -> Arc<Self> {
        let frames = (sample_rate.max(1.0) as f64 * seconds.max(0.1) as f64).ceil() as usize;
        let make = || (0..frames).map(|_| AtomicF32::new(0.0)).collect::<Vec<_>>().into_boxed_slice();
        Arc::new(Capture {
            channels: [make(), make()],
            sample_rate,
            written: AtomicUsize::new(0),
            state: AtomicU8::new(IDLE),
        })
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    pub fn capacity_frames(&self) -> usize {
        self.channels[0].len()
    }

    /// Starts (or restarts) listening. Reader side.
    pub fn arm(&self) {
        self.written.store(0, Ordering::Relaxed);
        self.state.store(ARMED, Ordering::Release);
    }

    /// Stops listening and drops what was captured. Reader side.
    pub fn cancel(&self) {
        self.state.store(IDLE, Ordering::Release);
    }

    pub fn is_listening(&self) -> bool {
        self.state.load(Ordering::Acquire) == ARMED
    }

    /// 0..=1 of the buffer filled.
    pub fn progress(&self) -> f32 {
        match self.state.load(Ordering::Acquire) {
            FULL => 1.0,
            ARMED => self.written.load(Ordering::Relaxed) as f32 / self.capacity_frames() as f32,
            _ => 0.0,
        }
    }

    /// Audio thread: appends the block (one slice per channel; mono is stored on both) while
    /// armed. No allocation, no locks, no panics.
    pub fn push(&self, block: &[&[f32]]) {
        if self.state.load(Ordering::Acquire) != ARMED {
            return;
        }
        let Some(left) = block.first() else { return };
        let right = block.get(1).unwrap_or(left);
        let start = self.written.load(Ordering::Relaxed);
        let capacity = self.capacity_frames();
        let n = left.len().min(right.len()).min(capacity.saturating_sub(start));
        for (dst, src) in [(&self.channels[0], left), (&self.channels[1], right)] {
            for (d, &s) in dst[start..start + n].iter().zip(&src[..n]) {
                d.store(if s.is_finite() { s } else { 0.0 }, Ordering::Relaxed);
            }
        }
        let written = start + n;
        self.written.store(written, Ordering::Relaxed);
        if written >= capacity {
            // Release: every sample store above is visible to whoever sees FULL.
            self.state.store(FULL, Ordering::Release);
        }
    }

    /// Reader: the captured programme once the buffer is full (copied out; the capture goes back
    /// to idle), else `None`.
    pub fn take(&self) -> Option<[Vec<f32>; 2]> {
        if self.state.load(Ordering::Acquire) != FULL {
            return None;
        }
        let copy = |ch: &[AtomicF32]| ch.iter().map(|v| v.load(Ordering::Relaxed)).collect::<Vec<f32>>();
        let out = [copy(&self.channels[0]), copy(&self.channels[1])];
        self.state.store(IDLE, Ordering::Release);
        Some(out)
    }
}

/// What Learn found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnResult {
    pub drive_db: f32,
    /// Output trim, for targets quieter than the mix at zero drive (0 otherwise).
    pub output_gain_db: f32,
    /// Integrated loudness of the chain's output over the capture with these settings.
    pub predicted_lufs: f64,
    pub target_lufs: f64,
    /// Within 0.5 LU of the target (false: the drive range ended first).
    pub reached: bool,
}

/// Integrated loudness of `settings`' output over `programme` (BS.1770, the chain's own meter).
pub fn rendered_lufs(programme: &[Vec<f32>; 2], sample_rate: f32, settings: &Settings) -> Option<f64> {
    let mut chain = Chain::new(sample_rate, 2);
    chain.set_settings(settings);
    chain.reset();
    chain.set_loudness_running(false);
    let mut meter = LoudnessMeter::new(sample_rate, 2);
    meter.set_true_peak_enabled(false);
    let (mut l, mut r) = (vec![0.0f32; RENDER_BLOCK], vec![0.0f32; RENDER_BLOCK]);
    for (a, b) in programme[0].chunks(RENDER_BLOCK).zip(programme[1].chunks(RENDER_BLOCK)) {
        let n = a.len();
        l[..n].copy_from_slice(a);
        r[..n].copy_from_slice(b);
        chain.process(&mut [&mut l[..n], &mut r[..n]]);
        meter.process(&l[..n], &r[..n]);
    }
    let lufs = meter.integrated_lufs() as f64;
    lufs.is_finite().then_some(lufs)
}

/// The limiter drive (or, for a target quieter than the mix at zero drive, the output trim) that
/// puts the output of `base` on `target_lufs`: secant steps on measured renders, the limiter's
/// own effect on loudness included. `progress` gets 0..=1 after each render.
pub fn learn_drive(
    programme: &[Vec<f32>; 2],
    sample_rate: f32,
    base: &Settings,
    target_lufs: f64,
    progress: &dyn Fn(f32),
) -> Result<LearnResult, String> {
    let mut settings = *base;
    settings.limiter.drive_db = 0.0;
    settings.output_gain_db = 0.0;
    let measure = |s: &Settings| {
        rendered_lufs(programme, sample_rate, s).ok_or_else(|| "nothing was playing while Learn listened".to_string())
    };
    let mut current = measure(&settings)?;
    progress(1.0 / MAX_RENDERS as f32);
    if current > target_lufs {
        // Exactly linear: a trim after the limiter keeps the ceiling.
        settings.output_gain_db = ((target_lufs - current) as f32).max(MIN_OUTPUT_GAIN_DB);
        current = measure(&settings)?;
    } else {
        let mut previous: Option<(f64, f64)> = None;
        for render in 0..MAX_RENDERS {
            if (current - target_lufs).abs() <= TOLERANCE_LU {
                break;
            }
            let drive = settings.limiter.drive_db as f64;
            let slope = match previous {
                Some((d0, l0)) if (drive - d0).abs() > 1e-3 => ((current - l0) / (drive - d0)).clamp(0.05, 1.0),
                _ => 1.0,
            };
            let next = (drive + (target_lufs - current) / slope).clamp(0.0, MAX_DRIVE_DB);
            if (next - drive).abs() < 1e-3 {
                break;
            }
            previous = Some((drive, current));
            settings.limiter.drive_db = next as f32;
            current = measure(&settings)?;
            progress((render + 2) as f32 / MAX_RENDERS as f32);
        }
    }
    progress(1.0);
    Ok(LearnResult {
        drive_db: settings.limiter.drive_db,
        output_gain_db: settings.output_gain_db,
        predicted_lufs: current,
        target_lufs,
        reached: (current - target_lufs).abs() <= 0.5,
    })
}

/// Where a background Learn stands.
#[derive(Debug, Clone, PartialEq)]
pub enum LearnState {
    Idle,
    Listening(f32),
    Searching(f32),
    Done(LearnResult),
    Failed(String),
}

/// The GUI's handle: arms the capture, starts the search when it is full, reports the state.
pub struct Learner {
    capture: Arc<Capture>,
    search_progress: Arc<AtomicF32>,
    outcome: Arc<Mutex<Option<Result<LearnResult, String>>>>,
    /// Bumped by every start, cancel and clear: a search started before it drops its result.
    generation: Arc<AtomicUsize>,
    searching: bool,
    target_lufs: f64,
    settings: Settings,
}

impl Learner {
    pub fn new(capture: Arc<Capture>) -> Self {
        Learner {
            capture,
            search_progress: Arc::new(AtomicF32::new(0.0)),
            outcome: Arc::new(Mutex::new(None)),
            generation: Arc::new(AtomicUsize::new(0)),
            searching: false,
            target_lufs: -14.0,
            settings: Settings::default(),
        }
    }

    /// Starts listening; `settings` is the chain as it will run, `target_lufs` the goal.
    pub fn start(&mut self, settings: Settings, target_lufs: f64) {
        self.settings = settings;
        self.target_lufs = target_lufs;
        self.clear();
        self.capture.arm();
    }

    pub fn cancel(&mut self) {
        self.capture.cancel();
        self.clear();
    }

    /// Polls (GUI thread, each frame): hands a full capture to a background search.
    pub fn poll(&mut self) -> LearnState {
        if let Some(done) = self.outcome.lock().ok().and_then(|o| o.clone()) {
            return match done {
                Ok(r) => LearnState::Done(r),
                Err(e) => LearnState::Failed(e),
            };
        }
        if self.searching {
            return LearnState::Searching(self.search_progress.load(Ordering::Relaxed));
        }
        if let Some(programme) = self.capture.take() {
            self.searching = true;
            self.search_progress.store(0.0, Ordering::Relaxed);
            let (progress, outcome) = (self.search_progress.clone(), self.outcome.clone());
            let (rate, settings, target) = (self.capture.sample_rate(), self.settings, self.target_lufs);
            let (generation, started) = (self.generation.clone(), self.generation.load(Ordering::Acquire));
            std::thread::spawn(move || {
                let result =
                    learn_drive(&programme, rate, &settings, target, &|p| progress.store(p, Ordering::Relaxed));
                if let Ok(mut o) = outcome.lock() {
                    if generation.load(Ordering::Acquire) == started {
                        *o = Some(result);
                    }
                }
            });
            return LearnState::Searching(0.0);
        }
        if self.capture.is_listening() {
            LearnState::Listening(self.capture.progress())
        } else {
            LearnState::Idle
        }
    }

    /// Forgets a finished result (after Accept or Discard).
    pub fn clear(&mut self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.searching = false;
        if let Ok(mut o) = self.outcome.lock() {
            *o = None;
        }
    }
}

/// Where the plugin puts its capture for the editor. The plugin builds the capture when it
/// knows the host rate (`activate`) and keeps its own `Arc` for the audio thread, which never
/// touches this slot; the GUI thread reads it here.
#[derive(Default)]
pub struct CaptureSlot(Mutex<Option<Arc<Capture>>>);

impl CaptureSlot {
    pub fn set(&self, capture: Arc<Capture>) {
        #[cfg(feature = "test_hooks")]
        test_hooks::register(&capture);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(capture);
    }

    pub fn get(&self) -> Option<Arc<Capture>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The capture of the plugin instance activated last, for the host-level test
/// (`tests/clap_capture.rs`), which loads the built plugin through the CLAP ABI and has no other
/// way to reach the editor's side of the capture. Built only with the `test_hooks` feature,
/// never into a bundle. The functions are the editor's own steps: arm as `Learner::start` does,
/// read progress, take the programme once full as `Learner::poll` does. Main thread only, as
/// the editor's side is.
#[cfg(feature = "test_hooks")]
pub mod test_hooks {
    use std::sync::{Arc, Mutex};

    use super::Capture;

    static LAST: Mutex<Option<Arc<Capture>>> = Mutex::new(None);

    pub(super) fn register(capture: &Arc<Capture>) {
        *LAST.lock().unwrap_or_else(|p| p.into_inner()) = Some(capture.clone());
    }

    fn last() -> Option<Arc<Capture>> {
        LAST.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Arms the capture (false: no instance has been activated).
    #[no_mangle]
    pub extern "C" fn lacquer_test_capture_arm() -> bool {
        last().map(|c| c.arm()).is_some()
    }

    /// Frames the capture holds when full (0: none).
    #[no_mangle]
    pub extern "C" fn lacquer_test_capture_capacity() -> usize {
        last().map_or(0, |c| c.capacity_frames())
    }

    /// [`Capture::progress`] (-1: none).
    #[no_mangle]
    pub extern "C" fn lacquer_test_capture_progress() -> f32 {
        last().map_or(-1.0, |c| c.progress())
    }

    /// [`Capture::take`]: copies the full programme into `left` and `right` (each `frames`
    /// long) and returns the frames copied; 0 if the capture is not full.
    ///
    /// # Safety
    /// `left` and `right` must each point to `frames` writable floats.
    #[no_mangle]
    pub unsafe extern "C" fn lacquer_test_capture_take(left: *mut f32, right: *mut f32, frames: usize) -> usize {
        let Some([l, r]) = last().and_then(|c| c.take()) else { return 0 };
        let n = frames.min(l.len());
        // SAFETY: the caller provides `frames` writable floats behind each pointer.
        let (dst_l, dst_r) =
            unsafe { (std::slice::from_raw_parts_mut(left, n), std::slice::from_raw_parts_mut(right, n)) };
        dst_l.copy_from_slice(&l[..n]);
        dst_r.copy_from_slice(&r[..n]);
        n
    }
}
