//! The built plugin through the real CLAP ABI (see `clap_harness`): descriptor, extensions,
//! activation at every common rate, random block sizes (including zero) with random
//! sample-accurate parameter events, the ceiling in force, state round trip, latency and flush.

mod clap_harness;
mod common;

use std::collections::HashSet;

use clack_host::prelude::*;
use clap_harness::{load_entry, param_event, param_hash, run_blocks, Instance, ParamInfo, PLUGIN_ID};
use common::{db, sine, true_peak_4x, TestRng};
use nice_plug::prelude::Params;

const RATES: [f64; 7] = [22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0, 384_000.0];

fn noise(n: usize, amp: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut rng = TestRng(seed);
    let mut ch = |k: f64| -> Vec<f32> {
        (0..n).map(|i| (amp * (0.5 * (i as f64 * k).sin() + 0.5 * rng.uniform())) as f32).collect()
    };
    [ch(0.0123), ch(0.0071)]
}

fn assert_finite(out: &[Vec<f32>; 2], label: &str) {
    for (c, x) in out.iter().enumerate() {
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            panic!("{label}: non-finite output {} at channel {c} sample {i}", x[i]);
        }
    }
}

fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0f32, |m, v| m.max(v.abs()))
}

/// Leading number of a formatted value ("-3.2 dBTP" -> -3.2).
fn leading_number(text: &str) -> f64 {
    let token: String =
        text.trim().chars().take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')).collect();
    token.parse().unwrap_or_else(|_| panic!("cannot parse a number from {text:?}"))
}

#[test]
fn descriptor_has_id_and_features() {
    let entry = load_entry();
    let factory = entry.get_plugin_factory().expect("no plugin factory");
    let descriptor = factory
        .plugin_descriptors()
        .find(|d| d.id().map(|id| id.to_bytes() == PLUGIN_ID.as_bytes()).unwrap_or(false))
        .unwrap_or_else(|| panic!("no descriptor with id {PLUGIN_ID}"));
    let features: Vec<String> = descriptor.features().map(|f| f.to_string_lossy().into_owned()).collect();
    println!("features: {features:?}");
    for wanted in ["audio-effect", "mastering", "limiter", "stereo"] {
        assert!(features.iter().any(|f| f == wanted), "feature {wanted} missing from {features:?}");
    }
    assert_eq!(descriptor.name().map(|n| n.to_string_lossy().into_owned()).as_deref(), Some("Lacquer"));
}

#[test]
fn audio_ports_and_params_extensions() {
    let entry = load_entry();
    let inst = Instance::new(&entry);
    let inputs = inst.audio_ports(true);
    let outputs = inst.audio_ports(false);
    println!("audio ports: in {inputs:?}, out {outputs:?}");
    assert_eq!(inputs.len(), 1, "one main input");
    assert_eq!(outputs.len(), 1, "one main output");
    assert_eq!(inputs[0].1, 2, "stereo input by default");
    assert_eq!(outputs[0].1, 2, "stereo output by default");

    let params = inst.params();
    let expected = lacquer::params::LacquerParams::default().param_map().len();
    assert_eq!(params.len(), expected, "CLAP param count vs the plugin's parameter tree");
    let mut ids = HashSet::new();
    for p in &params {
        assert!(!p.name.trim().is_empty(), "param {} has no name", p.id);
        assert!(ids.insert(p.id), "duplicate param id {} ({})", p.id, p.name);
        assert!(
            p.min <= p.default && p.default <= p.max,
            "{}: default {} outside {}..{}",
            p.name,
            p.default,
            p.min,
            p.max
        );
        let v = inst.param_value(p.id);
        assert!(v.is_finite() && v >= p.min && v <= p.max, "{}: value {v} outside its range", p.name);
    }
    for id in ["lim_ceiling", "out_gain", "bypass", "delta", "lim_bypass"] {
        assert!(ids.contains(&param_hash(id)), "param {id} not found by its hashed id");
    }
    // The ceiling spans -20..0 dBTP, and the output trim after the limiter can only lower it.
    let range_db = |id: &str| {
        let p = params.iter().find(|p| p.id == param_hash(id)).unwrap();
        (leading_number(&inst.value_to_text(p.id, p.min)), leading_number(&inst.value_to_text(p.id, p.max)))
    };
    assert_eq!(range_db("lim_ceiling"), (-20.0, 0.0), "lim_ceiling range");
    let (_, out_gain_max) = range_db("out_gain");
    assert!(out_gain_max <= 0.0, "out_gain can boost by {out_gain_max} dB after the limiter");
    println!("{} params, ids unique, all named", params.len());
}

/// Hosts list only automatable parameters in their automation lanes (Ardour also hides the
/// others from its generic editor), so every parameter a user may want to change per song
/// section is automatable, lookahead and both oversampling choices included (the latency is the
/// same whatever they are set to). The one exception is the loudness-reset preference, a
/// session setting rather than a sound parameter; hidden placeholders do not count.
#[test]
fn every_sound_parameter_is_automatable() {
    let entry = load_entry();
    let inst = Instance::new(&entry);
    let params = inst.params();
    let preference = param_hash("meter_auto_reset");
    // Hidden parameters (placeholders such as the filters' unused gain) are not shown anywhere.
    for p in params.iter().filter(|p| !p.hidden) {
        assert_eq!(p.automatable, p.id != preference, "{} ({}): automatable {}", p.name, p.id, p.automatable);
    }
    for id in ["lim_lookahead", "lim_os", "lim_style", "sat_os"] {
        let p = params.iter().find(|p| p.id == param_hash(id)).unwrap_or_else(|| panic!("{id} missing"));
        assert!(p.automatable, "{id} not automatable");
    }
}

#[test]
fn activate_deactivate_cycles_at_every_rate() {
    let entry = load_entry();
    let mut inst = Instance::new(&entry);
    for cycle in 0..2 {
        for &rate in &RATES {
            inst.activate(rate, 512);
            let latency = inst.latency();
            let input = noise(300, 0.5, 1);
            let out = run_blocks(&mut inst, &input, &[37, 0, 263], |_, _| EventBuffer::new());
            assert_finite(&out, &format!("{rate} Hz"));
            inst.deactivate();
            if cycle == 0 {
                println!("{rate} Hz: latency {latency} samples");
            }
            assert!(latency > 0 && (latency as f64) < 0.01 * rate, "{rate} Hz: implausible latency {latency}");
        }
    }
}

/// Per-sample record of the settings that bound the output.
struct Tracker {
    ceiling_db: f64,
    /// Global bypass, delta listen or limiter bypass: no ceiling applies.
    unlimited: [bool; 3],
}

fn random_value(rng: &mut TestRng, p: &ParamInfo, switch: bool) -> f64 {
    if switch {
        // Rarely on, so most of the run is under the limiter.
        return if rng.below(10) == 0 { p.max } else { p.min };
    }
    let u = 0.5 * (rng.uniform() + 1.0);
    let v = match rng.below(8) {
        0 => p.min,
        1 => p.max,
        _ => p.min + u * (p.max - p.min),
    };
    if p.stepped {
        v.round()
    } else {
        v
    }
}

/// Random blocks (0..8192, some empty) with random parameter events at random offsets in
/// every block, over every parameter and its full range. Output finite always; under the
/// ceiling in force when the sample entered whenever no bypass/delta was in force nearby.
fn random_automation_run(rate: f64, seconds: f64, seed: u64) {
    let entry = load_entry();
    let mut inst = Instance::new(&entry);
    let params = inst.params();
    let switches = [param_hash("bypass"), param_hash("delta"), param_hash("lim_bypass")];
    let ceiling_id = param_hash("lim_ceiling");
    inst.activate(rate, 8192);
    let latency = inst.latency() as usize;
    let n = (seconds * rate) as usize;
    let input = noise(n, 2.0, seed);
    let mut rng = TestRng(seed ^ 0xA5A5);
    let mut tracker = Tracker { ceiling_db: -1.0, unlimited: [false; 3] };
    let mut ceiling_at = vec![0f64; n];
    let mut unlimited_at = vec![false; n];
    let mut out = [vec![0f32; n], vec![0f32; n]];
    let mut inp = input.clone();
    let (mut pos, mut blocks, mut empty_blocks, mut events_sent, mut ceiling_events) = (0, 0, 0, 0, 0);
    while pos < n {
        let len = if rng.below(8) == 0 { 0 } else { (1 + rng.below(8192)).min(n - pos) };
        blocks += 1;
        empty_blocks += usize::from(len == 0);
        // Random events at random offsets, sorted by time (CLAP requires it).
        let mut evs: Vec<(u32, u32, f64)> = (0..1 + rng.below(6))
            .map(|_| {
                let p = &params[rng.below(params.len())];
                let t = if len == 0 { 0 } else { rng.below(len) as u32 };
                (t, p.id, random_value(&mut rng, p, switches.contains(&p.id)))
            })
            .collect();
        if rng.below(3) == 0 {
            // A ceiling step in most blocks, since it is the bound being checked.
            let p = params.iter().find(|p| p.id == ceiling_id).unwrap();
            let t = if len == 0 { 0 } else { rng.below(len) as u32 };
            evs.push((t, ceiling_id, random_value(&mut rng, p, false)));
        }
        evs.sort_by_key(|e| e.0);
        let mut buffer = EventBuffer::new();
        let mut k = 0;
        for i in 0..len.max(1) {
            while k < evs.len() && evs[k].0 as usize == i {
                let (t, id, v) = evs[k];
                buffer.push(&param_event(t, id, v));
                events_sent += 1;
                if id == ceiling_id {
                    tracker.ceiling_db = leading_number(&inst.value_to_text(id, v));
                    ceiling_events += 1;
                } else if let Some(s) = switches.iter().position(|&s| s == id) {
                    tracker.unlimited[s] = v > 0.5 * (params.iter().find(|p| p.id == id).unwrap().max);
                }
                k += 1;
            }
            if len > 0 {
                ceiling_at[pos + i] = tracker.ceiling_db;
                unlimited_at[pos + i] = tracker.unlimited.iter().any(|&u| u);
            }
        }
        let [il, ir] = &mut inp;
        let [ol, or] = &mut out;
        inst.process(
            [&mut il[pos..pos + len], &mut ir[pos..pos + len]],
            [&mut ol[pos..pos + len], &mut or[pos..pos + len]],
            &buffer,
        );
        pos += len;
    }
    assert_finite(&out, &format!("{rate} Hz random automation"));
    // Bypass/delta crossfades (15 ms) act at the output; give them 30 ms either side.
    let fade = (0.03 * rate) as usize;
    let (mut checked, mut worst_db) = (0usize, f64::NEG_INFINITY);
    for i in latency..n {
        let entered = i - latency;
        if unlimited_at[entered.saturating_sub(fade)..(i + fade).min(n)].iter().any(|&u| u) {
            continue;
        }
        let ceiling_db = ceiling_at[entered];
        let bound = 10f64.powf(ceiling_db / 20.0) * (1.0 + 1e-6);
        for (c, x) in out.iter().enumerate() {
            let v = x[i].abs() as f64;
            worst_db = worst_db.max(20.0 * v.max(1e-30).log10() - ceiling_db);
            assert!(
                v <= bound,
                "{rate} Hz: channel {c} output sample {i} = {} exceeds the ceiling {ceiling_db} dBTP in force at input sample {entered}",
                x[i]
            );
        }
        checked += 1;
    }
    println!(
        "{rate} Hz: {n} samples, {blocks} blocks ({empty_blocks} empty), {events_sent} events ({ceiling_events} ceiling); \
         {checked} samples checked against the ceiling, worst {worst_db:.4} dB relative to it"
    );
    assert!(checked > n / 4, "too little of the run was under the limiter ({checked} of {n})");
}

#[test]
fn random_blocks_and_param_events_44k1() {
    random_automation_run(44_100.0, 3.0, 1);
}

#[test]
fn random_blocks_and_param_events_96k() {
    random_automation_run(96_000.0, 1.5, 2);
}

#[test]
fn random_blocks_and_param_events_384k() {
    random_automation_run(384_000.0, 0.5, 3);
}

#[test]
fn state_round_trip_gives_bit_identical_output() {
    let entry = load_entry();
    let mut rng = TestRng(77);
    let mut a = Instance::new(&entry);
    let params = a.params();
    let skip = [param_hash("bypass"), param_hash("delta")];
    // Move every parameter away from its default (while inactive: flush on the main thread).
    let mut events = EventBuffer::new();
    for p in params.iter().filter(|p| !skip.contains(&p.id)) {
        events.push(&param_event(0, p.id, random_value(&mut rng, p, false)));
    }
    a.flush(&events);
    let state = a.save_state();
    println!("state: {} bytes", state.len());
    let mut b = Instance::new(&entry);
    assert!(b.load_state(&state), "fresh instance refused the saved state");
    for p in &params {
        assert_eq!(a.param_value(p.id), b.param_value(p.id), "{} differs after the round trip", p.name);
    }
    let input = noise(48_000, 1.5, 5);
    let sizes = [1, 512, 0, 4096, 77, 8192, 300];
    a.activate(48_000.0, 8192);
    b.activate(48_000.0, 8192);
    let out_a = run_blocks(&mut a, &input, &sizes, |_, _| EventBuffer::new());
    let out_b = run_blocks(&mut b, &input, &sizes, |_, _| EventBuffer::new());
    assert_finite(&out_a, "original");
    for c in 0..2 {
        let diff = out_a[c].iter().zip(&out_b[c]).position(|(x, y)| x.to_bits() != y.to_bits());
        assert!(diff.is_none(), "channel {c}: outputs differ from sample {diff:?}");
    }
    assert_eq!(a.save_state(), b.save_state(), "re-saved states differ");
}

#[test]
fn reported_latency_equals_impulse_delay_at_defaults() {
    let entry = load_entry();
    for &rate in &RATES {
        let mut inst = Instance::new(&entry);
        inst.activate(rate, 4096);
        let latency = inst.latency() as usize;
        let n = latency + 2048;
        let mut input = [vec![0f32; n], vec![0f32; n]];
        input[0][100] = 0.25;
        input[1][100] = 0.25;
        let out = run_blocks(&mut inst, &input, &[4096], |_, _| EventBuffer::new());
        assert_finite(&out, "impulse");
        for (c, ch) in out.iter().enumerate() {
            let peak_at =
                ch.iter().enumerate().fold((0, 0f32), |m, (i, v)| if v.abs() > m.1 { (i, v.abs()) } else { m }).0;
            assert_eq!(peak_at - 100, latency, "{rate} Hz channel {c}: impulse delay vs reported latency");
            assert!((ch[peak_at] - 0.25).abs() < 1e-6, "{rate} Hz: impulse not passed at unity ({})", ch[peak_at]);
        }
        println!("{rate} Hz: reported latency {latency} = measured impulse delay");
    }
}

#[test]
fn flush_applies_params_without_audio() {
    let entry = load_entry();
    let mut inst = Instance::new(&entry);
    let ceiling_id = param_hash("lim_ceiling");
    let ceiling = inst.params().into_iter().find(|p| p.id == ceiling_id).unwrap();
    // -12 dBTP on the plain -20..0 range.
    let value = ceiling.min + (ceiling.max - ceiling.min) * 0.4;
    let mut events = EventBuffer::new();
    events.push(&param_event(0, ceiling_id, value));
    inst.flush(&events);
    let text = inst.value_to_text(ceiling_id, inst.param_value(ceiling_id));
    assert!((leading_number(&text) + 12.0).abs() < 1e-6, "after flush the ceiling reads {text}");
    // An empty flush is harmless too.
    inst.flush(&EventBuffer::new());
    inst.activate(48_000.0, 1024);
    let out = run_blocks(&mut inst, &noise(24_000, 2.0, 9), &[1024], |_, _| EventBuffer::new());
    assert_finite(&out, "after flush");
    let p = peak(&out[0]).max(peak(&out[1]));
    println!("after flushing the ceiling to {text}: output peak {:.3} dBFS", 20.0 * p.log10());
    assert!(p <= 10f32.powf(-12.0 / 20.0) * (1.0 + 1e-6), "flushed ceiling not in force: peak {p}");
}

#[test]
fn remote_control_pages_cover_every_stage() {
    let entry = load_entry();
    let inst = Instance::new(&entry);
    let pages = inst.remote_control_pages();
    let names: Vec<&str> = pages.iter().map(|(_, name, _)| name.as_str()).collect();
    println!("remote-control pages: {names:?}");
    for wanted in ["Limiter", "EQ", "Compressor", "Stereo & Saturation", "Input & Output"] {
        assert!(names.contains(&wanted), "no remote page {wanted} in {names:?}");
    }
    let known: Vec<u32> = inst.params().iter().map(|p| p.id).collect();
    for (_, name, ids) in &pages {
        assert!(!ids.is_empty() && ids.len() <= 8, "page {name}: {} controls", ids.len());
        assert!(ids.iter().all(|id| known.contains(id)), "page {name} names an unknown parameter");
    }
    let limiter = &pages.iter().find(|(_, n, _)| n == "Limiter").unwrap().2;
    assert_eq!(limiter[0], param_hash("lim_ceiling"), "the ceiling leads the limiter page");
}

/// How a host delivers automation to a plugin that reports latency.
#[derive(Debug, Clone, Copy)]
enum Delivery {
    /// With the input: the event for timeline point T comes with input sample T.
    AtInput,
    /// As Ardour does: at the plugin's output time, i.e. with input sample T + latency, when the
    /// audio at T is about to leave the plugin.
    AtOutput,
}

/// A latency-compensating host automating the ceiling per section on loud material (a tone and
/// noise bursts with sharp attacks, 12 dB of drive, a burst across every boundary): it reads
/// the plugin's latency, feeds the timeline plus that many samples of silence in 512-frame
/// blocks, sends each ceiling change as a sample-accurate event by its convention and trims the
/// latency off the output. On the aligned output every section is under its own ceiling from
/// its first sample (sample peak at every sample; the independent 4x meter per interval around
/// each boundary) and each section sits within 0.3 dB of its ceiling.
#[test]
fn latency_compensating_host_gets_each_ceiling_from_its_section_start() {
    let rate = 48_000.0;
    let sec = 19_200; // 0.4 s
    let ceilings = [-1.0f64, -9.0, -3.0, -3.5, -12.0];
    let n = sec * ceilings.len();
    let ceiling_id = param_hash("lim_ceiling");
    let drive_id = param_hash("lim_drive");
    let tone = sine(1000.0, rate, 0.5, 0.0, n);
    let mut rng = TestRng(13);
    let burst = 1200;
    let in_burst = |i: usize| {
        i % 4800 >= 2880 && i % 4800 < 2880 + burst || (1..5).any(|k| i + 300 >= k * sec && i < k * sec + burst)
    };
    let mut timeline = [vec![0f32; n], vec![0f32; n]];
    for (c, ch) in timeline.iter_mut().enumerate() {
        let k = [1.0, 0.8][c];
        for (i, v) in ch.iter_mut().enumerate() {
            *v = k * tone[i] + if in_burst(i) { (rng.uniform() * 0.9) as f32 } else { 0.0 };
        }
    }
    for delivery in [Delivery::AtInput, Delivery::AtOutput] {
        let entry = load_entry();
        let mut inst = Instance::new(&entry);
        inst.activate(rate, 512);
        let latency = inst.latency() as usize;
        // Both ranges are linear in dB (ceiling -20..0 dBTP, drive 0..24 dB); checked by the text.
        let ceiling_value = |c: f64| (c + 20.0) / 20.0;
        let drive_value = 12.0 / 24.0;
        for c in ceilings {
            assert_eq!(leading_number(&inst.value_to_text(ceiling_id, ceiling_value(c))), c, "ceiling value for {c}");
        }
        assert_eq!(leading_number(&inst.value_to_text(drive_id, drive_value)), 12.0, "drive value");
        let total = n + latency;
        let input = [0, 1].map(|c| timeline[c].iter().cloned().chain(std::iter::repeat_n(0.0, latency)).collect());
        // (input index, ceiling) for every section start, by the host's convention.
        let changes: Vec<(usize, f64)> = ceilings
            .iter()
            .enumerate()
            .map(|(k, &c)| match (k, delivery) {
                (0, _) | (_, Delivery::AtInput) => (k * sec, ceiling_value(c)),
                (_, Delivery::AtOutput) => (k * sec + latency, ceiling_value(c)),
            })
            .collect();
        let out = run_blocks(&mut inst, &input, &[512], |start, len| {
            let mut events = EventBuffer::new();
            if start == 0 {
                events.push(&param_event(0, drive_id, drive_value));
            }
            for &(at, c) in &changes {
                if (start..start + len).contains(&at) {
                    events.push(&param_event((at - start) as u32, ceiling_id, c));
                }
            }
            events
        });
        assert_finite(&out, &format!("{delivery:?}"));
        let (mut worst_sample, mut worst_4x) = (f64::MIN, f64::MIN);
        let mut section_peak = vec![0f64; ceilings.len()];
        for ch in &out {
            let y = &ch[latency..total];
            let tp4 = true_peak_4x(y);
            for t in 0..n {
                let k = t / sec;
                let c = ceilings[k];
                let over = db(y[t].abs() as f64) - c;
                assert!(
                    y[t].abs() as f64 <= 10f64.powf(c / 20.0) * (1.0 + 1e-6),
                    "{delivery:?}: timeline sample {t} (section {k}) is {over:+.3} dB over its ceiling {c}"
                );
                worst_sample = worst_sample.max(over);
                if (1..5).any(|b| t + 2 * latency >= b * sec && t < b * sec + 2 * latency) {
                    worst_4x = worst_4x.max(db(tp4[t] as f64) - c);
                }
                section_peak[k] = section_peak[k].max(tp4[t] as f64);
            }
        }
        let sits: Vec<String> = section_peak.iter().zip(ceilings).map(|(&p, c)| format!("{:+.2}", db(p) - c)).collect();
        println!(
            "{delivery:?} (latency {latency}): worst vs section ceiling: sample {worst_sample:+.3} dB, \
             4x around the boundaries {worst_4x:+.3} dB; section 4x peaks vs ceiling {}",
            sits.join(" ")
        );
        assert!(worst_4x <= 0.0, "{delivery:?}: the 4x meter reads {worst_4x:+.3} dB over a section's ceiling");
        for (k, (&p, c)) in section_peak.iter().zip(ceilings).enumerate() {
            assert!(db(p) >= c - 0.3, "{delivery:?}: section {k} peaks at {:.2} dBTP, ceiling {c}", db(p));
        }
    }
}
