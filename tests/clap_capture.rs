//! The plugin's process() feeding the Learn/Match capture, through the real CLAP ABI (see
//! `clap_harness`): with Learn armed, the chain's input reaches the capture only while the
//! host's transport plays, frame for frame as sent (before the chain; a non-finite sample is
//! stored as 0, as `Capture::push` documents), and stops at the capture's length.
//!
//! Arming: the editor arms the capture through the plugin's shared state (`CaptureSlot`),
//! which a CLAP host cannot reach. The narrowest honest route is the `test_hooks` feature
//! (`assist::learn::test_hooks`): C entry points in the built plugin to the capture of the
//! instance activated last, doing the editor's own steps (arm as `Learner::start` does, take
//! the programme once full as `Learner::poll` does). Hence this file's own binary (one
//! instance at a time) and `required-features = ["test_hooks"]`. `cargo xtask test` runs it
//! with nice-plug's `assert_process_allocs` as well, so the capture branch of process() is
//! also checked not to allocate.

mod clap_harness;

use clack_host::events::event_types::{TransportEvent, TransportFlags};
use clack_host::events::{EventFlags, EventHeader};
use clack_host::prelude::EventBuffer;
use clack_host::utils::FixedPoint;
use clap_harness::{load_entry, plugin_path, Instance};

const RATE: f64 = 48_000.0;
/// Blocks of several sizes, below, at and above the shell's 1024-frame pieces.
const BLOCKS: [usize; 5] = [37, 512, 4096, 1000, 1];

/// The test hooks' symbols in the plugin library the harness loaded (the same mapping: the
/// dynamic loader hands out the already loaded library again).
struct Hooks {
    lib: libloading::Library,
}

impl Hooks {
    fn load() -> Self {
        // SAFETY: the library is the plugin this crate builds (already loaded by the harness).
        let lib = unsafe { libloading::Library::new(plugin_path()) }.expect("cannot open the plugin library");
        Hooks { lib }
    }

    fn arm(&self) -> bool {
        // SAFETY: the symbol is `extern "C" fn() -> bool` in `assist::learn::test_hooks`.
        unsafe { self.lib.get::<unsafe extern "C" fn() -> bool>(b"lacquer_test_capture_arm").unwrap()() }
    }

    fn capacity(&self) -> usize {
        // SAFETY: as in `arm`, `extern "C" fn() -> usize`.
        unsafe { self.lib.get::<unsafe extern "C" fn() -> usize>(b"lacquer_test_capture_capacity").unwrap()() }
    }

    fn progress(&self) -> f32 {
        // SAFETY: as in `arm`, `extern "C" fn() -> f32`.
        unsafe { self.lib.get::<unsafe extern "C" fn() -> f32>(b"lacquer_test_capture_progress").unwrap()() }
    }

    /// The full capture, or `None` while it is not full.
    fn take(&self) -> Option<[Vec<f32>; 2]> {
        let n = self.capacity();
        let (mut l, mut r) = (vec![f32::NAN; n], vec![f32::NAN; n]);
        // SAFETY: `extern "C" fn(*mut f32, *mut f32, usize) -> usize`, given two buffers of `n`.
        let copied = unsafe {
            self.lib
                .get::<unsafe extern "C" fn(*mut f32, *mut f32, usize) -> usize>(b"lacquer_test_capture_take")
                .unwrap()(l.as_mut_ptr(), r.as_mut_ptr(), n)
        };
        (copied > 0).then(|| {
            assert_eq!(copied, n, "a full capture hands over all of itself");
            [l, r]
        })
    }
}

/// The host's transport for a block: playing or stopped at a steady 120 BPM in 4/4.
fn transport(playing: bool) -> TransportEvent {
    let flags = TransportFlags::HAS_TEMPO
        | TransportFlags::HAS_BEATS_TIMELINE
        | TransportFlags::HAS_SECONDS_TIMELINE
        | TransportFlags::HAS_TIME_SIGNATURE
        | if playing { TransportFlags::IS_PLAYING } else { TransportFlags::empty() };
    TransportEvent {
        header: EventHeader::new_core(0, EventFlags::empty()),
        flags,
        song_pos_beats: FixedPoint::from_int(0),
        song_pos_seconds: FixedPoint::from_int(0),
        tempo: 120.0,
        tempo_inc: 0.0,
        loop_start_beats: FixedPoint::from_int(0),
        loop_end_beats: FixedPoint::from_int(0),
        loop_start_seconds: FixedPoint::from_int(0),
        loop_end_seconds: FixedPoint::from_int(0),
        bar_start: FixedPoint::from_int(0),
        bar_number: 0,
        time_signature_numerator: 4,
        time_signature_denominator: 4,
    }
}

/// Deterministic noise, different per channel (so a swapped or mono-summed capture shows).
fn noise(frames: usize, seed: u64) -> [Vec<f32>; 2] {
    let mut state = seed.max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * 0.4
    };
    let mut out = [Vec::with_capacity(frames), Vec::with_capacity(frames)];
    for _ in 0..frames {
        out[0].push(next());
        out[1].push(next());
    }
    out
}

/// Plays `input` through the instance in [`BLOCKS`], each block with `transport` (or none).
fn play(inst: &mut Instance, input: &[Vec<f32>; 2], transport: Option<&TransportEvent>) {
    let n = input[0].len();
    let mut inp = input.clone();
    let mut out = [vec![0.0f32; n], vec![0.0f32; n]];
    let (mut pos, mut k) = (0, 0);
    while pos < n {
        let len = BLOCKS[k % BLOCKS.len()].min(n - pos);
        k += 1;
        let [il, ir] = &mut inp;
        let [ol, or] = &mut out;
        inst.process_with_transport(
            [&mut il[pos..pos + len], &mut ir[pos..pos + len]],
            [&mut ol[pos..pos + len], &mut or[pos..pos + len]],
            &EventBuffer::new(),
            transport,
        );
        pos += len;
    }
}

#[test]
fn process_captures_the_input_only_while_the_transport_plays() {
    let entry = load_entry();
    let mut inst = Instance::new(&entry);
    inst.activate(RATE, 4096);
    let hooks = Hooks::load();
    // Learn's default listening time at the host rate (assist::learn::DEFAULT_LEARN_SECONDS).
    let capacity = hooks.capacity();
    assert_eq!(capacity, (RATE * 30.0) as usize, "capture length");

    // Not armed: playing captures nothing.
    play(&mut inst, &noise(4800, 1), Some(&transport(true)));
    assert_eq!(hooks.progress(), 0.0, "captured while not armed");
    assert!(hooks.take().is_none());

    assert!(hooks.arm(), "no activated instance to arm");
    // Armed, transport stopped (and a host that sends no transport at all): nothing captured.
    play(&mut inst, &noise(RATE as usize, 2), Some(&transport(false)));
    play(&mut inst, &noise(RATE as usize / 2, 3), None);
    assert_eq!(hooks.progress(), 0.0, "captured while the transport was stopped");

    // Playing: the input, frame for frame, until the capture is full; one NaN stored as 0.
    let mut programme = noise(capacity + 3 * 4096 + 17, 4);
    let nan_at = capacity / 3 + 5;
    programme[1][nan_at] = f32::NAN;
    let half = capacity / 2;
    let first: [Vec<f32>; 2] = [programme[0][..half].to_vec(), programme[1][..half].to_vec()];
    play(&mut inst, &first, Some(&transport(true)));
    let progress = hooks.progress();
    assert!((progress - half as f32 / capacity as f32).abs() < 1e-6, "progress {progress} after {half} frames");
    assert!(hooks.take().is_none(), "handed over before full");
    // A pause in the middle adds nothing.
    play(&mut inst, &noise(RATE as usize / 4, 5), Some(&transport(false)));
    assert!((hooks.progress() - progress).abs() < 1e-9, "captured during the pause");
    let rest: [Vec<f32>; 2] = [programme[0][half..].to_vec(), programme[1][half..].to_vec()];
    play(&mut inst, &rest, Some(&transport(true)));
    assert_eq!(hooks.progress(), 1.0);
    let [l, r] = hooks.take().expect("full after the capture's length of playing");
    let mut expected = [programme[0][..capacity].to_vec(), programme[1][..capacity].to_vec()];
    expected[1][nan_at] = 0.0;
    let first_diff = |got: &[f32], want: &[f32]| got.iter().zip(want).position(|(a, b)| a.to_bits() != b.to_bits());
    assert_eq!(first_diff(&l, &expected[0]), None, "left differs from the input sent");
    assert_eq!(first_diff(&r, &expected[1]), None, "right differs from the input sent");

    // Handed over once; idle again until re-armed, so further playing captures nothing.
    assert!(hooks.take().is_none());
    play(&mut inst, &noise(4800, 6), Some(&transport(true)));
    assert_eq!(hooks.progress(), 0.0);
}
