//! Presets: factory data, user preset files, A/B slots, click-free switching and level match.
//! Audio checks run the real chain on the demo mix and on sines, with the independent 16x
//! true-peak reference from `common`.

mod common;

use std::sync::Arc;

use common::{true_peak_16x, TestRng};
use lacquer::chain::{Chain, Settings};
use lacquer::demo::{demo_mix, DEMO_SAMPLE_RATE};
use lacquer::params::LacquerParams;
use lacquer::presets::session::{PresetSession, Slot};
use lacquer::presets::user::UserStore;
use lacquer::presets::{self, factory, Origin, Preset, PresetValue};
use nice_plug::prelude::Params;

fn settings_of(preset: &Preset) -> Settings {
    let params = LacquerParams::default();
    presets::apply_direct(&params, &preset.resolved());
    params.settings()
}

fn run_blocks(chain: &mut Chain, left: &mut [f32], right: &mut [f32], rng: &mut TestRng) {
    let mut start = 0;
    while start < left.len() {
        let len = (1 + rng.below(2048)).min(left.len() - start);
        chain.process(&mut [&mut left[start..start + len], &mut right[start..start + len]]);
        start += len;
    }
}

#[test]
fn factory_presets_are_complete_and_named_by_slug() {
    let list = factory::presets();
    assert_eq!(list.len(), factory::files().len(), "a factory preset file failed to parse");
    assert!(list.len() >= 12, "only {} factory presets", list.len());
    for ((file, text), p) in factory::files().iter().zip(&list) {
        Preset::parse(text, Origin::Factory).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(*file, format!("{}.json", p.slug), "file name must be the slug");
        assert!(!p.intent.is_empty() && !p.category.is_empty(), "{}: intent and category required", p.slug);
        assert!(p.slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
    let mut slugs: Vec<_> = list.iter().map(|p| p.slug.clone()).collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), list.len(), "duplicate slugs");
}

#[test]
fn every_factory_preset_renders_the_demo_mix_finite_and_under_its_ceiling() {
    let [dl, dr] = demo_mix();
    let mut rng = TestRng(7);
    for preset in factory::presets() {
        let settings = settings_of(&preset);
        let ceiling_db = settings.limiter.ceiling_db as f64;
        let mut chain = Chain::new(DEMO_SAMPLE_RATE as f32, 2);
        chain.set_settings(&settings);
        chain.reset();
        let (mut left, mut right) = (dl.clone(), dr.clone());
        run_blocks(&mut chain, &mut left, &mut right, &mut rng);
        let ceiling = 10f64.powf(ceiling_db / 20.0) as f32;
        for (ch, x) in [&left, &right].into_iter().enumerate() {
            assert!(x.iter().all(|v| v.is_finite()), "{}: non-finite output", preset.slug);
            let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak <= ceiling, "{} ch{ch}: sample peak {peak} over ceiling {ceiling}", preset.slug);
            let tp = true_peak_16x(x).into_iter().fold(0.0f32, f32::max);
            let tp_db = 20.0 * (tp as f64).log10();
            assert!(
                tp_db <= ceiling_db + 0.1,
                "{} ch{ch}: 16x true peak {tp_db:.3} dBTP over {ceiling_db}",
                preset.slug
            );
            let energy: f64 = x.iter().map(|v| (*v as f64).powi(2)).sum();
            assert!(energy > 1.0, "{}: output is (nearly) silent", preset.slug);
        }
        assert_eq!(chain.take_meters().safety_clips, 0, "{}: the safety clip acted on music", preset.slug);
    }
}

fn random_params(seed: u64) -> LacquerParams {
    let params = LacquerParams::default();
    let mut rng = TestRng(seed);
    for (id, ptr, _) in params.param_map() {
        if presets::in_presets(&id) {
            let n = (rng.uniform() * 0.5 + 0.5) as f32;
            // SAFETY: `ptr` points into `params`, alive here.
            unsafe {
                ptr._internal_set_normalized_value(n);
            }
        }
    }
    params
}

fn plain_values(params: &LacquerParams) -> Vec<(String, u32, u32)> {
    params
        .param_map()
        .into_iter()
        .filter(|(id, _, _)| presets::in_presets(id))
        // SAFETY: the pointers point into `params`.
        .map(|(id, ptr, _)| unsafe {
            (id, ptr.unmodulated_plain_value().to_bits(), ptr.unmodulated_normalized_value().to_bits())
        })
        .collect()
}

#[test]
fn user_preset_save_load_round_trips_every_parameter_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = UserStore::at(dir.path());
    for seed in 1..=5 {
        let original = random_params(seed);
        let name = format!("Round Trip {seed}");
        let saved = store.save(&name, "User", "test", presets::capture(&original)).unwrap();
        let (listed, errors) = store.list();
        assert!(errors.is_empty(), "{errors:?}");
        let loaded = listed.into_iter().find(|p| p.slug == saved.slug).expect("saved preset listed");
        let restored = LacquerParams::default();
        presets::apply_direct(&restored, &loaded.resolved());
        for (a, b) in plain_values(&original).iter().zip(plain_values(&restored)) {
            if *a != b {
                println!(
                    "DIFF {} {} {} / {} {}",
                    a.0,
                    f32::from_bits(a.1),
                    f32::from_bits(b.1),
                    f32::from_bits(a.2),
                    f32::from_bits(b.2)
                );
            }
        }
        assert_eq!(plain_values(&original), plain_values(&restored), "seed {seed}");
        assert_eq!(original.settings(), restored.settings(), "seed {seed}: settings differ");
    }
}

#[test]
fn user_presets_rename_delete_import_export() {
    let dir = tempfile::tempdir().unwrap();
    let store = UserStore::at(dir.path().join("presets"));
    let values = presets::capture(&random_params(11));
    let p = store.save("My Master", "User", "", values.clone()).unwrap();
    assert_eq!(p.slug, "my-master");
    let renamed = store.rename("my-master", "Final Master").unwrap();
    assert_eq!(renamed.slug, "final-master");
    assert_eq!(renamed.values, values);
    assert!(!dir.path().join("presets/my-master.json").exists());
    let export = dir.path().join("exported.json");
    presets::user::export(&renamed, &export).unwrap();
    store.delete("final-master").unwrap();
    assert!(store.list().0.is_empty());
    let imported = store.import(&export).unwrap();
    assert_eq!(imported.values, values);
    assert!(store.import(&export).unwrap_err().contains("already exists"));
    // Factory names are reserved.
    assert!(store.save("Gentle Glue", "User", "", values).unwrap_err().contains("factory"));
}

#[test]
fn malformed_and_future_preset_files_are_refused_and_change_nothing() {
    let good = factory::files()[0].1;
    let cases: Vec<(String, &str)> = vec![
        ("".to_string(), "not valid JSON"),
        ("{\"format\": \"lacquer-preset\", \"version\": 1".to_string(), "not valid JSON"),
        ("[1, 2, 3]".to_string(), "not a Lacquer preset"),
        (good.replace("lacquer-preset", "other-plugin"), "not a Lacquer preset"),
        (good.replace("\"version\": 1", "\"version\": 2"), "newer Lacquer"),
        (good.replace("\"version\": 1", "\"version\": 0"), "version"),
        (good.replace("\"lim_ceiling\"", "\"lim_ceilingz\""), "unknown parameter 'lim_ceilingz'"),
        (good.replace("\"lim_ceiling\": -1.0", "\"lim_ceiling\": 3.0"), "between"),
        (good.replace("\"lim_ceiling\": -1.0", "\"lim_ceiling\": true"), "cannot take"),
        (good.replace("\"cmp_detector\": \"rms\"", "\"cmp_detector\": \"loud\""), "no choice"),
        (good.replace("\"name\": \"Transparent Streaming\"", "\"name\": \"  !! \""), "letter or digit"),
        (good.replace("\"name\": \"Transparent Streaming\",", ""), "malformed"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = UserStore::at(dir.path().join("presets"));
    store.save("Keep Me", "User", "", presets::capture(&LacquerParams::default())).unwrap();
    let before: Vec<_> = std::fs::read_dir(dir.path().join("presets")).unwrap().map(|e| e.unwrap().path()).collect();
    let live = random_params(3);
    let live_before = plain_values(&live);
    for (i, (text, expected)) in cases.iter().enumerate() {
        let err = Preset::parse(text, Origin::Factory).expect_err(&format!("case {i} accepted"));
        assert!(err.contains(expected), "case {i}: message {err:?} lacks {expected:?}");
        assert!(!err.contains('\n'), "case {i}: message is not one line");
        let file = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&file, text).unwrap();
        assert!(store.import(&file).is_err(), "case {i} imported");
    }
    let after: Vec<_> = std::fs::read_dir(dir.path().join("presets")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(before, after, "a refused import touched the user folder");
    assert_eq!(plain_values(&live), live_before);
    // A malformed file among good ones is skipped with a message, the rest still load.
    std::fs::write(dir.path().join("presets/broken.json"), "{oops").unwrap();
    let (listed, errors) = store.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("broken.json"), "{errors:?}");
}

#[test]
fn monitoring_switches_are_never_part_of_a_preset() {
    let params = random_params(5);
    let values = presets::capture(&params);
    for id in presets::NOT_IN_PRESETS {
        assert!(!values.contains_key(*id), "{id} captured");
    }
    let mut text = factory::files()[0].1.to_string();
    text = text.replace("\"params\": {", "\"params\": {\n    \"bypass\": true,\n    \"delta\": true,");
    let p = Preset::parse(&text, Origin::Factory).unwrap();
    assert!(!p.values.contains_key("bypass") && !p.values.contains_key("delta"));
    let s = settings_of(&p);
    assert!(!s.bypass && !s.delta);
}

#[test]
fn ab_slots_switch_copy_and_report_modified() {
    let params = Arc::new(LacquerParams::default());
    let mut session = PresetSession::default();
    let glue = presets::find("gentle-glue").unwrap();
    presets::apply_direct(params.as_ref(), &glue.resolved());
    session.loaded(&glue);
    assert!(!session.is_modified(params.as_ref()));
    let a_values = presets::capture(params.as_ref());
    // Switch to the empty B: it starts as a copy of A.
    let b = session.switch_slot(params.as_ref()).unwrap();
    presets::apply_direct(params.as_ref(), &b);
    assert_eq!(session.active, Slot::B);
    assert_eq!(presets::capture(params.as_ref()), a_values);
    // Load another preset into B, switch back and forth.
    let club = presets::find("bass-heavy-club").unwrap();
    presets::apply_direct(params.as_ref(), &club.resolved());
    session.loaded(&club);
    let b_values = presets::capture(params.as_ref());
    let a = session.switch_slot(params.as_ref()).unwrap();
    presets::apply_direct(params.as_ref(), &a);
    assert_eq!(session.active, Slot::A);
    assert_eq!(presets::capture(params.as_ref()), a_values);
    assert_eq!(session.display_name(), "Gentle Glue");
    let b = session.switch_slot(params.as_ref()).unwrap();
    presets::apply_direct(params.as_ref(), &b);
    assert_eq!(presets::capture(params.as_ref()), b_values);
    assert_eq!(session.display_name(), "Bass-Heavy Club");
    // Edit B: modified; copy B → A, switch: A is now B's values.
    let writer = lacquer::params::ParamWriter::new(params.clone());
    writer.set("lim_ceiling", "-2.5").unwrap();
    assert!(session.is_modified(params.as_ref()));
    session.copy_to_other(params.as_ref());
    let edited = presets::capture(params.as_ref());
    let a = session.switch_slot(params.as_ref()).unwrap();
    presets::apply_direct(params.as_ref(), &a);
    assert_eq!(presets::capture(params.as_ref()), edited);
    // The session survives serialisation (it is a persisted field) exactly.
    let json = serde_json::to_string(&session).unwrap();
    assert_eq!(serde_json::from_str::<PresetSession>(&json).unwrap(), session);
    // A damaged stored slot is refused and changes nothing.
    let mut damaged = session.clone();
    damaged.other.as_mut().unwrap().values.insert("lim_ceiling".into(), PresetValue::Number(50.0));
    let before = damaged.clone();
    assert!(damaged.switch_slot(params.as_ref()).is_err());
    assert_eq!(damaged, before);
}

/// Largest second difference |y[n] - 2y[n-1] + y[n-2]|: a click or step shows up here far above
/// what a smooth (even gain-modulated or saturated) sine produces.
fn max_second_difference(x: &[f32]) -> f32 {
    x.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).abs()).fold(0.0, f32::max)
}

/// Largest relative change of a gain between two settings, `max(g1/g0, g0/g1) - 1`.
fn ratio_change(db_a: f32, db_b: f32) -> f32 {
    10f32.powf((db_a - db_b).abs() / 20.0) - 1.0
}

/// The smoothing bound for a switch from `a` to `b`: the chain's gains move on linear ramps of
/// at least 15 ms, and a ramp that starts or stops bends the output's slope by at most
/// (relative gain change / ramp length) × output amplitude, which adds that much to the second
/// difference. The gains a preset moves are the limiter drive, the compressor makeup and the
/// output gain; the output amplitude is at most the higher ceiling.
fn ramp_allowance(a: &Settings, b: &Settings, fs: f32) -> f32 {
    let ramp_samples = 0.015 * fs;
    let amp = 10f32.powf(a.limiter.ceiling_db.max(b.limiter.ceiling_db) / 20.0);
    let makeup = |s: &Settings, band: usize| if s.compressor.bypass { 0.0 } else { s.compressor.bands[band].makeup_db };
    let makeup_change = (0..3).map(|band| ratio_change(makeup(a, band), makeup(b, band))).fold(0.0, f32::max);
    let relative = ratio_change(a.limiter.drive_db, b.limiter.drive_db)
        + makeup_change
        + ratio_change(a.output_gain_db, b.output_gain_db);
    amp * relative / ramp_samples
}

#[test]
fn switching_presets_every_10_ms_on_a_sine_is_click_free_and_never_over() {
    let fs = 48_000.0;
    let presets = factory::presets();
    let settings: Vec<Settings> = presets.iter().map(settings_of).collect();
    let sine = |n: usize| common::sine(220.0, fs as f64, 0.25, 0.0, n);
    // Steady state of each preset: the smoothness a held preset itself has.
    let mut steady_max = 0.0f32;
    for s in &settings {
        let mut chain = Chain::new(fs, 2);
        chain.set_settings(s);
        chain.reset();
        let (mut l, mut r) = (sine(96_000), sine(96_000));
        chain.process(&mut [&mut l, &mut r]);
        steady_max = steady_max.max(max_second_difference(&l[48_000..])).max(max_second_difference(&r[48_000..]));
    }
    // Switch every 10 ms: through the list in order, alternating with random jumps.
    let mut chain = Chain::new(fs, 2);
    chain.set_settings(&settings[0]);
    chain.reset();
    let (mut l, mut r) = (sine(48_000), sine(48_000));
    chain.process(&mut [&mut l, &mut r]);
    let block = 480;
    let n = 4 * 48_000;
    let (mut l, mut r) = (sine(n), sine(n));
    let mut rng = TestRng(99);
    let mut previous = 0;
    let mut allowance = 0.0f32;
    for (k, start) in (0..n).step_by(block).enumerate() {
        let idx = if k % 2 == 0 { k / 2 % settings.len() } else { rng.below(settings.len()) };
        allowance = allowance.max(ramp_allowance(&settings[previous], &settings[idx], fs));
        previous = idx;
        chain.set_settings(&settings[idx]);
        chain.process(&mut [&mut l[start..start + block], &mut r[start..start + block]]);
    }
    let max_ceiling = 10f32.powf(settings.iter().map(|s| s.limiter.ceiling_db).fold(-20.0, f32::max) / 20.0);
    assert!(l.iter().chain(&r).all(|v| v.is_finite()));
    let peak = l.iter().chain(&r).fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak <= max_ceiling, "peak {peak} over the highest ceiling in use {max_ceiling}");
    let switching = max_second_difference(&l).max(max_second_difference(&r));
    let bound = steady_max + allowance;
    println!(
        "max second difference: held presets {steady_max:.5}, ramp allowance {allowance:.5}, \
         switching every 10 ms {switching:.5} (bound {bound:.5})"
    );
    assert!(switching <= bound, "switching made a discontinuity: second difference {switching} > bound {bound}");
    assert_eq!(chain.take_meters().safety_clips, 0);
}

/// Short-term loudness (BS.1770, last 3 s) of a stereo signal, by the `ebur128` crate.
fn short_term_lufs(l: &[f32], r: &[f32], fs: u32) -> f64 {
    let mut m = ebur128::EbuR128::new(2, fs, ebur128::Mode::S).unwrap();
    m.add_frames_planar_f32(&[l, r]).unwrap();
    m.loudness_shortterm().unwrap()
}

#[test]
fn level_match_brings_presets_within_half_a_lu_of_each_other_on_the_demo_mix() {
    let [dl, dr] = demo_mix();
    let fs = DEMO_SAMPLE_RATE as f32;
    // Three passes of the mix: the match settles during the first, is measured at the end.
    let looped = |x: &[f32]| x.iter().chain(x).chain(x).copied().collect::<Vec<f32>>();
    let mut matched = Vec::new();
    let mut unmatched = Vec::new();
    for preset in factory::presets() {
        for level_match in [false, true] {
            let mut chain = Chain::new(fs, 2);
            chain.set_settings(&settings_of(&preset));
            chain.reset();
            chain.set_level_match(level_match);
            let (mut l, mut r) = (looped(&dl), looped(&dr));
            for start in (0..l.len()).step_by(1024) {
                let end = (start + 1024).min(l.len());
                chain.process(&mut [&mut l[start..end], &mut r[start..end]]);
            }
            let s = short_term_lufs(&l, &r, fs as u32);
            if level_match {
                println!(
                    "{:<22} level-matched S {s:6.2} LUFS (gain {:+.2} dB)",
                    preset.slug,
                    chain.level_match_gain_db()
                );
                matched.push(s);
                // A cut never touches the ceiling; a boost is capped under it, or under -0.5 dBFS
                // for masters with a lower ceiling (monitoring headroom).
                let ceiling = 10f32.powf(settings_of(&preset).limiter.ceiling_db.max(-0.5) / 20.0);
                let peak = l.iter().chain(&r).fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(peak <= ceiling, "{}: level match crossed the ceiling: {peak} > {ceiling}", preset.slug);
                assert_eq!(
                    chain.level_match_clips(),
                    0,
                    "{}: the level-match boost cap let peaks through",
                    preset.slug
                );
            } else {
                unmatched.push(s);
            }
        }
    }
    let spread = |v: &[f64]| v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min);
    println!("short-term spread: {:.2} LU without level match, {:.2} LU with", spread(&unmatched), spread(&matched));
    assert!(spread(&unmatched) > 5.0, "the presets should differ in loudness without the match");
    assert!(spread(&matched) <= 0.5, "level-matched presets differ by {:.2} LU", spread(&matched));
}

#[test]
fn level_match_is_off_by_default_and_leaves_renders_alone() {
    let [dl, dr] = demo_mix();
    let settings = settings_of(&presets::find("loud-edm").unwrap());
    let render = |chain: &mut Chain| {
        let (mut l, mut r) = (dl.clone(), dr.clone());
        chain.process(&mut [&mut l, &mut r]);
        (l, r)
    };
    let mut a = Chain::new(DEMO_SAMPLE_RATE as f32, 2);
    a.set_settings(&settings);
    a.reset();
    assert!(!a.level_match());
    let mut b = Chain::new(DEMO_SAMPLE_RATE as f32, 2);
    b.set_settings(&settings);
    b.reset();
    b.set_level_match(true);
    b.set_level_match(false);
    assert_eq!(render(&mut a), render(&mut b));
}
