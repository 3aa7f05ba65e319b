//! The demo mix: a few bars of synthesised drums, bass and chords, made here so the main job
//! needs no download and no user file. It is deliberately "unmastered": about -18 LUFS with
//! drum transients near -3 dBFS, a little muddy low end and a stereo pad — something for every
//! stage of the chain to do.

use std::f64::consts::PI;

pub const DEMO_SAMPLE_RATE: u32 = 48_000;
const BPM: f64 = 112.0;
const BARS: usize = 4;

/// Deterministic noise (xorshift64) for snares and hats.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

fn midi_hz(note: f64) -> f64 {
    440.0 * 2f64.powf((note - 69.0) / 12.0)
}

/// Band-limited-enough sawtooth (8 harmonics) to keep the demo free of aliasing.
fn saw(phase: f64) -> f64 {
    (1..=8).map(|k| (2.0 * PI * k as f64 * phase).sin() / k as f64).sum::<f64>() * 0.55
}

/// The demo mix at [`DEMO_SAMPLE_RATE`]: planar stereo (left, right).
pub fn demo_mix() -> [Vec<f32>; 2] {
    let fs = DEMO_SAMPLE_RATE as f64;
    let beat = 60.0 / BPM;
    let frames = (fs * beat * 4.0 * BARS as f64) as usize;
    let mut left = vec![0.0f64; frames];
    let mut right = vec![0.0f64; frames];
    let mut noise = Noise(0x5EED_1234_ABCD_0001);

    // Drums: kick on 1 and 3, snare on 2 and 4, eighth-note hats.
    for step in 0..(BARS * 8) {
        let start = (step as f64 * beat / 2.0 * fs) as usize;
        let hit_len = (0.35 * fs) as usize;
        for i in 0..hit_len.min(frames - start) {
            let t = i as f64 / fs;
            let mut l = 0.0;
            let mut r = 0.0;
            if step % 4 == 0 {
                let f = 48.0 + 110.0 * (-t * 35.0).exp();
                let kick = (2.0 * PI * f * t).sin() * (-t * 9.0).exp() * 0.75;
                l += kick;
                r += kick;
            }
            if step % 4 == 2 {
                let body = (2.0 * PI * 190.0 * t).sin() * (-t * 30.0).exp() * 0.35;
                let snap = noise.next() * (-t * 22.0).exp() * 0.32;
                l += body + snap * 0.9;
                r += body + snap;
            }
            if t < 0.06 {
                let hat = noise.next() * (-t * 90.0).exp() * 0.12;
                l += hat * 0.6;
                r += hat;
            }
            left[start + i] += l;
            right[start + i] += r;
        }
    }

    // Bass: root notes of the progression, eighth notes, slightly overdriven sine + saw.
    let progression = [45.0, 41.0, 48.0, 43.0]; // A2, F2, C3, G2
    for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
        let t = i as f64 / fs;
        let bar = ((t / (beat * 4.0)) as usize).min(BARS - 1);
        let root = progression[bar % progression.len()] - 12.0;
        let f = midi_hz(root);
        let eighth = (t / (beat / 2.0)).fract();
        let env = (-(eighth * beat / 2.0) * 6.0).exp() * 0.8 + 0.2;
        let bass = ((2.0 * PI * f * t).sin() * 1.6).tanh() * 0.32 * env + saw(f * t) * 0.06 * env;
        *l += bass;
        *r += bass;

        // Chords: a minor-ish triad pad per bar, detuned left/right for width.
        let chord = [root + 24.0, root + 27.0 + if bar % 2 == 1 { 1.0 } else { 0.0 }, root + 31.0];
        let swell = 0.5 - 0.5 * (2.0 * PI * t / (beat * 4.0)).cos();
        let mut pad_l = 0.0;
        let mut pad_r = 0.0;
        for &note in &chord {
            let f = midi_hz(note);
            pad_l += saw(f * 0.997 * t);
            pad_r += saw(f * 1.003 * t + 0.25);
        }
        *l += pad_l * 0.045 * (0.6 + 0.4 * swell);
        *r += pad_r * 0.045 * (0.6 + 0.4 * swell);
    }

    // Gentle fade in/out so the file starts and ends cleanly.
    let fade = (0.01 * fs) as usize;
    for i in 0..fade {
        let g = i as f64 / fade as f64;
        left[i] *= g;
        right[i] *= g;
        left[frames - 1 - i] *= g;
        right[frames - 1 - i] *= g;
    }
    let scale = 0.7; // an unmastered mix with headroom
    [left.iter().map(|&v| (v * scale) as f32).collect(), right.iter().map(|&v| (v * scale) as f32).collect()]
}
