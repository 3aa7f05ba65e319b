//! Plugin state robustness through the real CLAP state extension: empty, truncated, corrupted,
//! garbage and hand-written old/future-version blobs must load (or be refused) without a crash,
//! leave every parameter finite and in range, and leave the plugin processing normally.
//!
//! The state format is nice-plug's: an 8-byte little-endian length, then JSON
//! `{"version": "...", "params": {id: {"f32"|"i32"|"bool"|"string": v}}, "fields": {...}}`.

mod clap_harness;
mod common;

use clack_host::prelude::*;
use clap_harness::{load_entry, param_event, param_hash, run_blocks, Instance};
use common::TestRng;

fn blob(json: &str) -> Vec<u8> {
    let mut b = (json.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(json.as_bytes());
    b
}

fn ceiling_db(inst: &Instance) -> f64 {
    let id = param_hash("lim_ceiling");
    let text = inst.value_to_text(id, inst.param_value(id));
    let token: String =
        text.trim().chars().take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')).collect();
    token.parse().unwrap_or_else(|_| panic!("cannot parse {text:?}"))
}

/// Every parameter finite and in range, and 50 ms of hot audio comes out finite and under the
/// ceiling the instance reports (unless a bypass/delta switch is on).
fn assert_healthy(inst: &mut Instance, label: &str) {
    for p in inst.params() {
        let v = inst.param_value(p.id);
        assert!(v.is_finite() && v >= p.min && v <= p.max, "{label}: {} = {v} outside {}..{}", p.name, p.min, p.max);
    }
    let switched = ["bypass", "delta", "lim_bypass"].iter().any(|id| inst.param_value(param_hash(id)) > 0.5);
    let ceiling = ceiling_db(inst);
    inst.activate(48_000.0, 1024);
    let mut rng = TestRng(3);
    let input = [
        (0..2400).map(|_| 2.0 * rng.uniform() as f32).collect(),
        (0..2400).map(|_| 2.0 * rng.uniform() as f32).collect(),
    ];
    let out = run_blocks(inst, &input, &[256, 0, 1024], |_, _| EventBuffer::new());
    inst.deactivate();
    for ch in &out {
        assert!(ch.iter().all(|v| v.is_finite()), "{label}: non-finite output");
        if !switched {
            let peak = ch.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
            assert!(peak <= 10f64.powf(ceiling / 20.0) * (1.0 + 1e-6), "{label}: peak {peak} above ceiling {ceiling}");
        }
    }
}

fn defaults(inst: &Instance) -> Vec<(u32, f64)> {
    inst.params().iter().map(|p| (p.id, inst.param_value(p.id))).collect()
}

/// A saved state with a few non-default values, and the values it holds.
fn saved_state(entry: &PluginEntry) -> (Vec<u8>, Vec<(u32, f64)>) {
    let inst = Instance::new(entry);
    let mut events = EventBuffer::new();
    events.push(&param_event(0, param_hash("lim_ceiling"), 0.7)); // -6 dBTP (normalised)
    events.push(&param_event(0, param_hash("in_gain"), 0.75));
    inst.flush(&events);
    (inst.save_state(), defaults(&inst))
}

#[test]
fn saved_state_format_is_length_prefixed_json() {
    let entry = load_entry();
    let (state, _) = saved_state(&entry);
    let len = u64::from_le_bytes(state[..8].try_into().unwrap()) as usize;
    assert_eq!(len, state.len() - 8);
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).expect("state is not JSON");
    println!(
        "state: {} bytes, version {:?}, {} params",
        state.len(),
        json["version"],
        json["params"].as_object().map_or(0, |m| m.len())
    );
    assert!(json["version"].is_string());
    assert!(json["params"]["lim_ceiling"].is_object());
}

#[test]
fn empty_and_truncated_states_are_refused_without_a_crash() {
    let entry = load_entry();
    let (state, _) = saved_state(&entry);
    let mut accepted = 0;
    let cuts: Vec<usize> = (0..state.len()).step_by(7).chain([1, 7, 8, 9, state.len() - 1]).collect();
    for &cut in &cuts {
        let mut inst = Instance::new(&entry);
        let before = defaults(&inst);
        let ok = inst.load_state(&state[..cut]);
        if ok {
            accepted += 1;
        } else {
            assert_eq!(defaults(&inst), before, "cut at {cut}: a refused state changed parameters");
        }
        if cut % 70 == 0 || cut < 10 {
            assert_healthy(&mut inst, &format!("truncated to {cut} bytes"));
        }
    }
    println!("{} truncations tried, {accepted} accepted (all others refused, parameters untouched)", cuts.len());
    assert_eq!(accepted, 0, "a truncated state was accepted");
}

#[test]
fn corrupted_states_load_or_are_refused_without_a_crash() {
    let entry = load_entry();
    let (state, _) = saved_state(&entry);
    let mut rng = TestRng(0xC0FFEE);
    let (mut accepted, mut refused) = (0, 0);
    for trial in 0..200 {
        let mut bad = state.clone();
        for _ in 0..1 + rng.below(8) {
            let i = 8 + rng.below(bad.len() - 8);
            bad[i] = match rng.below(4) {
                0 => rng.next_u64() as u8,
                1 => b'9',
                2 => b'-',
                _ => bad[i] ^ (1 << rng.below(8)),
            };
        }
        let mut inst = Instance::new(&entry);
        if inst.load_state(&bad) {
            accepted += 1;
        } else {
            refused += 1;
        }
        if trial % 10 == 0 {
            assert_healthy(&mut inst, &format!("corruption trial {trial}"));
        } else {
            for p in inst.params() {
                let v = inst.param_value(p.id);
                assert!(v.is_finite() && v >= p.min && v <= p.max, "trial {trial}: {} = {v} out of range", p.name);
            }
        }
    }
    // Corrupted length prefixes: huge, larger than the data, zero.
    for len in [u64::MAX, 1 << 40, state.len() as u64, 0] {
        let mut bad = state.clone();
        bad[..8].copy_from_slice(&len.to_le_bytes());
        let mut inst = Instance::new(&entry);
        let ok = inst.load_state(&bad);
        println!("length prefix {len}: {}", if ok { "accepted" } else { "refused" });
        assert_healthy(&mut inst, &format!("length prefix {len}"));
    }
    println!("200 corrupted states: {accepted} accepted, {refused} refused, none crashed");
}

#[test]
fn garbage_json_is_refused_without_a_crash() {
    let entry = load_entry();
    let mut rng = TestRng(99);
    let random: String = (0..300).map(|_| (32 + rng.below(95)) as u8 as char).collect();
    let cases = [
        "",
        "{",
        "null",
        "[]",
        "42",
        "\"state\"",
        "{}",
        r#"{"params": 5, "fields": {}}"#,
        r#"{"params": {"lim_ceiling": 5}, "fields": {}}"#,
        r#"{"params": {"lim_ceiling": {"f64": -3.0}}, "fields": {}}"#,
        r#"{"version": 7, "params": {}, "fields": {}}"#,
        "\u{0}\u{1}\u{2}binary",
        random.as_str(),
    ];
    for json in cases {
        let mut inst = Instance::new(&entry);
        let before = defaults(&inst);
        let ok = inst.load_state(&blob(json));
        println!("{:?}: {}", json.chars().take(40).collect::<String>(), if ok { "accepted" } else { "refused" });
        if !ok {
            assert_eq!(defaults(&inst), before, "{json:?}: a refused state changed parameters");
        }
        assert_healthy(&mut inst, json);
    }
}

#[test]
fn old_version_state_loads_known_values_and_keeps_defaults_for_the_rest() {
    let entry = load_entry();
    // A state from before the version field existed, from an older build with a parameter that
    // has since gone, and with values of the wrong type or out of range.
    let cases = [
        r#"{"params": {"lim_ceiling": {"f32": -3.0}}, "fields": {}}"#,
        r#"{"version": "0.0.1", "params": {"lim_ceiling": {"f32": -3.0}, "lim_old_knee": {"f32": 2.0}}, "fields": {}}"#,
        r#"{"version": "0.0.1", "params": {"lim_ceiling": {"f32": -3.0}, "in_gain": {"bool": true}, "lim_os": {"string": "X16"}}, "fields": {}}"#,
    ];
    for json in cases {
        let mut inst = Instance::new(&entry);
        let fresh = Instance::new(&entry);
        assert!(inst.load_state(&blob(json)), "old state refused: {json}");
        let ceiling = ceiling_db(&inst);
        assert!((ceiling + 3.0).abs() < 1e-6, "{json}: ceiling {ceiling}, expected -3");
        for p in inst.params().iter().filter(|p| p.id != param_hash("lim_ceiling")) {
            assert_eq!(inst.param_value(p.id), fresh.param_value(p.id), "{json}: {} not at its default", p.name);
        }
        assert_healthy(&mut inst, json);
    }
    // Out-of-range plain values (e.g. from a version with wider ranges) must end up in range.
    for json in [
        r#"{"version": "0.0.1", "params": {"lim_ceiling": {"f32": 6.0}, "out_gain": {"f32": 12.0}, "lim_drive": {"f32": 100.0}}, "fields": {}}"#,
        r#"{"version": "0.0.1", "params": {"lim_ceiling": {"f32": -1e30}, "in_gain": {"f32": 1e30}, "lim_os": {"i32": 99}}, "fields": {}}"#,
    ] {
        let mut inst = Instance::new(&entry);
        let ok = inst.load_state(&blob(json));
        println!(
            "out of range {json}: {} ceiling now {:.1} dBTP",
            if ok { "accepted," } else { "refused," },
            ceiling_db(&inst)
        );
        assert_healthy(&mut inst, json);
    }
}

#[test]
fn future_version_state_loads_known_values() {
    let entry = load_entry();
    let json = r#"{"version": "99.0.0", "format": 7, "params": {"lim_ceiling": {"f32": -4.0}, "lim_ceiling_v2": {"f32": -4.0},
        "new_stage_on": {"bool": true}}, "fields": {"future_blob": "{\"x\": 1}"}, "extra": [1, 2, 3]}"#;
    let mut inst = Instance::new(&entry);
    let ok = inst.load_state(&blob(json));
    println!("future-version state: {}", if ok { "accepted" } else { "refused" });
    assert!(ok, "future-version state with extra keys refused");
    assert!((ceiling_db(&inst) + 4.0).abs() < 1e-6, "known value not applied");
    assert_healthy(&mut inst, "future version");
}

#[test]
fn state_loads_delivered_in_small_pieces() {
    // Hosts may hand the stream over a few bytes at a time.
    let entry = load_entry();
    let (state, values) = saved_state(&entry);
    for chunk in [1, 3, 8, 64] {
        let inst = Instance::new(&entry);
        let ok = inst.load_state_chunked(&state, chunk);
        println!("state in {chunk}-byte reads: {}", if ok { "loaded" } else { "refused" });
        assert!(ok, "state delivered in {chunk}-byte reads refused");
        assert_eq!(defaults(&inst), values, "{chunk}-byte reads: values differ");
    }
}

/// The JSON of a saved state (after the 8-byte length).
fn state_json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(&bytes[8..]).expect("saved state is JSON")
}

/// A persisted field's value, parsed (fields are JSON strings inside the state).
fn field(state: &serde_json::Value, key: &str) -> serde_json::Value {
    let text = state["fields"][key].as_str().unwrap_or_else(|| panic!("no field {key} in {state}"));
    serde_json::from_str(text).unwrap()
}

const SESSION: &str = r#"{"current":{"slug":"gentle-glue","name":"Gentle Glue","baseline":{"lim_ceiling":-1.0}},"active":"B","other":{"values":{"lim_ceiling":-3.5,"lim_os":"8x","st_mono_bass":true},"preset":null},"target_lufs":-14.0}"#;

#[test]
fn session_fields_restore_exactly() {
    let entry = load_entry();
    let fields = serde_json::json!({
        "presets": SESSION,
        "level-match": "true",
        "editor-size": r#"{"width":1180.0,"height":760.0,"zoom":1.25}"#,
        "state-format": "2",
    });
    let json = serde_json::json!({"version": "0.1.0", "params": {"lim_ceiling": {"f32": -2.0}}, "fields": fields});
    let inst = Instance::new(&entry);
    assert!(inst.load_state(&blob(&json.to_string())));
    let saved = state_json(&inst.save_state());
    for key in ["presets", "level-match", "editor-size", "state-format"] {
        let want: serde_json::Value = serde_json::from_str(fields[key].as_str().unwrap()).unwrap();
        assert_eq!(field(&saved, key), want, "field {key} did not restore exactly");
    }
    // And once more through a fresh instance: the saved state reloads to the same bytes.
    let again = Instance::new(&entry);
    let bytes = inst.save_state();
    assert!(again.load_state(&bytes));
    assert_eq!(again.save_state(), bytes);
}

#[test]
fn old_format_state_is_migrated_and_damaged_fields_fall_back_to_defaults() {
    let entry = load_entry();
    // Format 1 (no fields at all): loads, and is saved back as the current format.
    let inst = Instance::new(&entry);
    assert!(inst.load_state(&blob(r#"{"version": "0.1.0", "params": {"lim_ceiling": {"f32": -4.0}}, "fields": {}}"#)));
    let saved = state_json(&inst.save_state());
    assert_eq!(field(&saved, "state-format"), serde_json::json!(2));
    assert!((ceiling_db(&inst) + 4.0).abs() < 1e-6);
    // Damaged fields: dropped (defaults stay), the parameters still load.
    let damaged = serde_json::json!({
        "version": "0.1.0",
        "params": {"lim_ceiling": {"f32": -5.0}, "lim_drive": {"f32": 1e30}},
        "fields": {"presets": "{\"active\": 7}", "level-match": "\"yes\"", "editor-size": "[1, 2]", "state-format": "\"two\""}
    });
    let mut inst = Instance::new(&entry);
    assert!(inst.load_state(&blob(&damaged.to_string())));
    assert!((ceiling_db(&inst) + 5.0).abs() < 1e-6);
    let saved = state_json(&inst.save_state());
    assert_eq!(field(&saved, "level-match"), serde_json::json!(false));
    assert_eq!(field(&saved, "presets")["other"], serde_json::Value::Null);
    assert_eq!(field(&saved, "editor-size")["zoom"], serde_json::json!(1.0));
    assert_healthy(&mut inst, "damaged fields");
}

#[test]
fn state_repair_reports_every_change() {
    use lacquer::params::state::{repair, STATE_FORMAT};
    use nice_plug::plugin::{ParamValue, PluginState};
    let mut state = PluginState {
        version: "0.1.0".into(),
        params: [
            ("lim_ceiling".to_string(), ParamValue::F32(-3.0)),
            ("lim_drive".to_string(), ParamValue::F32(99.0)),
            ("in_gain".to_string(), ParamValue::F32(f32::NAN)),
            ("lim_os".to_string(), ParamValue::String("16x".into())),
            ("eq_hp_on".to_string(), ParamValue::F32(1.0)),
            ("gone_param".to_string(), ParamValue::F32(1.0)),
        ]
        .into_iter()
        .collect(),
        fields: [("state-format".to_string(), "9".to_string()), ("level-match".to_string(), "nope".to_string())]
            .into_iter()
            .collect(),
    };
    let notes = repair(&mut state);
    for needle in ["newer Lacquer", "lim_drive", "in_gain", "lim_os", "eq_hp_on", "gone_param", "level-match"] {
        assert!(notes.iter().any(|n| n.contains(needle)), "no note about {needle}: {notes:?}");
    }
    assert!(matches!(state.params["lim_ceiling"], ParamValue::F32(v) if v == -3.0));
    assert!(matches!(state.params["lim_drive"], ParamValue::F32(v) if v == 24.0), "clamped into range");
    for gone in ["in_gain", "lim_os", "eq_hp_on", "gone_param"] {
        assert!(!state.params.contains_key(gone), "{gone} kept");
    }
    assert!(!state.fields.contains_key("level-match"));
    assert_eq!(state.fields["state-format"], STATE_FORMAT.to_string());
    // A clean current state needs no change.
    let mut clean = PluginState {
        version: "0.1.0".into(),
        params: [("lim_ceiling".to_string(), ParamValue::F32(-1.0))].into_iter().collect(),
        fields: [("state-format".to_string(), STATE_FORMAT.to_string())].into_iter().collect(),
    };
    assert!(repair(&mut clean).is_empty());
}
