//! Headless editor tests (egui_kittest, no GPU): widgets are reachable by their accessible labels,
//! dragging a control changes its parameter through the setter with a begin/set/end gesture, the
//! analyser finds a 1 kHz sine where it is and draws what it computed, and the meters show what
//! the bus holds.

use std::sync::{Arc, Mutex};

use egui::accesskit::Role;
use egui::epaint::ColorMode;
use egui::{Pos2, Shape, Vec2};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use lacquer::chain::{ChainMeters, LoudnessReadings};
use lacquer::editor::controls::ParamHandle;
use lacquer::editor::eq_overlay;
use lacquer::editor::history::{self, LevelHistory};
use lacquer::editor::spectrum::{self, Analyzer};
use lacquer::editor::{DirectEdit, LacquerEditor, ParamEdit};
use lacquer::meter_bus::MeterBus;
use lacquer::params::{LacquerParams, ParamWriter};
use nice_plug::prelude::Params;

#[derive(Debug, Clone, PartialEq)]
enum Gesture {
    Begin(String),
    Set(String, f32),
    End(String),
}

/// Test double for the host: records every gesture, then applies it like a host would.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Gesture>>>);

impl ParamEdit for Recorder {
    fn begin_set(&self, p: &ParamHandle) {
        self.0.lock().unwrap().push(Gesture::Begin(p.id.clone()));
    }
    fn set_normalized(&self, p: &ParamHandle, normalized: f32) {
        self.0.lock().unwrap().push(Gesture::Set(p.id.clone(), normalized));
        DirectEdit.set_normalized(p, normalized);
    }
    fn end_set(&self, p: &ParamHandle) {
        self.0.lock().unwrap().push(Gesture::End(p.id.clone()));
    }
}

struct Fixture {
    params: Arc<LacquerParams>,
    bus: Arc<MeterBus>,
    log: Recorder,
}

fn harness() -> (Harness<'static, LacquerEditor>, Fixture) {
    harness_at(Vec2::new(1000.0, 640.0))
}

fn harness_at(size: Vec2) -> (Harness<'static, LacquerEditor>, Fixture) {
    let params = Arc::new(LacquerParams::default());
    // The window as saved at this size (the editor restores the saved size when it opens).
    *params.editor_size.lock().unwrap() = lacquer::params::EditorSize { width: size.x, height: size.y, zoom: 1.0 };
    let bus = Arc::new(MeterBus::new());
    let log = Recorder::default();
    // The plugin's editor, preset bar included; user presets go to a scratch folder.
    std::env::set_var(lacquer::presets::user::DIR_ENV, std::env::temp_dir().join("lacquer-editor-test-presets"));
    let app = LacquerEditor::new(params.clone(), bus.clone(), Box::new(log.clone())).with_presets(params.clone());
    let harness = Harness::builder()
        .with_size(size)
        .with_max_steps(8)
        .build_ui_state(|ui, app: &mut LacquerEditor| app.draw(ui), app);
    (harness, Fixture { params, bus, log })
}

fn sine(freq_hz: f32, amplitude: f32, rate: f32, n: usize) -> Vec<f32> {
    (0..n).map(|i| amplitude * (2.0 * std::f32::consts::PI * freq_hz * i as f32 / rate).sin()).collect()
}

/// Opens a stage's page from the chain strip.
fn open_stage(harness: &mut Harness<'static, LacquerEditor>, stage: &str) {
    harness.get_by_role_and_label(Role::Tab, stage).click();
    harness.run_steps(2);
}

#[test]
fn widgets_have_accessible_labels() {
    let (mut harness, _f) = harness();
    harness.run_steps(2);
    for label in ["Spectrum", "Bypass", "Ceiling", "Drive", "Release"] {
        assert!(!harness.query_all_by_label(label).collect::<Vec<_>>().is_empty(), "no widget labelled {label}");
    }
    for label in ["Reset loudness", "GR history", "Loudness history", "In clip", "Out clip"] {
        harness.get_by_label(label);
    }
    // The chain strip in signal order, each stage's switch beside it.
    let stages: Vec<(String, f32)> = harness
        .query_all_by_role(Role::Tab)
        .filter_map(|n| Some((n.accesskit_node().label()?, n.rect().center().x)))
        .filter(|(l, _)| {
            ["Input", "EQ", "Compressor", "Stereo", "Saturation", "Limiter", "Output"].contains(&l.as_str())
        })
        .collect();
    let names: Vec<&str> = stages.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(names, ["Input", "EQ", "Compressor", "Stereo", "Saturation", "Limiter", "Output"]);
    assert!(stages.windows(2).all(|w| w[0].1 < w[1].1), "stages left to right in signal order: {stages:?}");
    for switch in ["EQ Bypass", "Comp Bypass", "Stereo Bypass", "Saturation Bypass", "Limiter Bypass"] {
        harness.get_by_role_and_label(Role::CheckBox, switch);
    }
    // Each stage's controls open in the one panel.
    for (stage, label) in
        [("Input", "Input Gain"), ("Output", "Output Gain"), ("Limiter", "Oversampling"), ("Stereo", "Width")]
    {
        open_stage(&mut harness, stage);
        assert!(
            !harness.query_all_by_label(label).collect::<Vec<_>>().is_empty(),
            "{stage}: no widget labelled {label}"
        );
    }
    for label in EQ_NODE_LABELS {
        harness.get_by_role_and_label(Role::Slider, label);
    }
}

#[test]
fn dragging_a_slider_sets_the_parameter_with_a_gesture() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    let before = f.params.input.gain_db.value();
    let rect = harness.get_by_role_and_label(Role::Slider, "Input Gain").rect();
    let start = rect.center();
    let end = Pos2::new(rect.left() + 0.9 * rect.width(), rect.center().y);
    harness.hover_at(start);
    harness.run_steps(1);
    harness.drag_at(start);
    harness.run_steps(1);
    for i in 1..=5 {
        harness.hover_at(start + (end - start) * (i as f32 / 5.0));
        harness.run_steps(1);
    }
    harness.drop_at(end);
    harness.run_steps(2);
    let after = f.params.input.gain_db.value();
    assert!(after > before + 1.0, "input gain moved from {before} to {after}");
    let log = f.log.0.lock().unwrap().clone();
    let ours: Vec<&Gesture> = log
        .iter()
        .filter(|g| matches!(g, Gesture::Begin(id) | Gesture::Set(id, _) | Gesture::End(id) if id == "in_gain"))
        .collect();
    assert_eq!(ours.first(), Some(&&Gesture::Begin("in_gain".into())), "{log:?}");
    assert_eq!(ours.last(), Some(&&Gesture::End("in_gain".into())), "{log:?}");
    assert!(ours.iter().any(|g| matches!(g, Gesture::Set(_, _))), "{log:?}");
    assert_eq!(ours.iter().filter(|g| matches!(g, Gesture::Begin(_))).count(), 1, "one gesture: {log:?}");
}

#[test]
fn clicking_a_toggle_sets_the_switch() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    assert!(!f.params.eq.bypass.value());
    harness.get_by_label("EQ Bypass").click();
    harness.run_steps(2);
    assert!(f.params.eq.bypass.value());
    let log = f.log.0.lock().unwrap().clone();
    assert_eq!(
        log,
        vec![
            Gesture::Begin("eq_bypass".into()),
            Gesture::Set("eq_bypass".into(), 1.0),
            Gesture::End("eq_bypass".into())
        ]
    );
}

/// Peak of the post curve: (frequency, level).
fn curve_peak(db: &[f32]) -> (f32, f32) {
    let (i, &level) = db.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
    (Analyzer::point_hz(i), level)
}

#[test]
fn analyser_finds_a_1k_sine_at_its_frequency_and_level() {
    for (rate, amplitude) in [(48_000.0f32, 0.5f32), (44_100.0, 0.1), (96_000.0, 0.9)] {
        let bus = MeterBus::new();
        bus.sample_rate.store(rate, std::sync::atomic::Ordering::Relaxed);
        let s = sine(1000.0, amplitude, rate, spectrum::FFT_SIZE * 2);
        bus.push_spectrum(&s, &s);
        let mut analyzer = Analyzer::new();
        analyzer.update(&bus, 1.0 / 60.0);
        let (hz, level) = curve_peak(analyzer.post_db());
        let expected_db = 20.0 * amplitude.log10();
        let octaves = (hz / 1000.0).log2().abs();
        assert!(octaves < 1.0 / 12.0, "{rate} Hz: peak at {hz} Hz");
        assert!((level - expected_db).abs() < 1.0, "{rate} Hz: peak {level} dB, expected {expected_db}");
        // Away from the tone the curve is far down (window sidelobes only).
        let (low, _) = analyzer.post_db().split_at(spectrum::POINTS / 4);
        assert!(low.iter().all(|&d| d < expected_db - 60.0), "{rate} Hz: leakage at low frequencies");
    }
}

#[test]
fn analyser_falls_slowly_after_the_signal_stops() {
    let bus = MeterBus::new();
    let s = sine(1000.0, 0.5, 48_000.0, spectrum::FFT_SIZE);
    bus.push_spectrum(&s, &s);
    let mut analyzer = Analyzer::new();
    analyzer.update(&bus, 0.1);
    let (_, level) = curve_peak(analyzer.post_db());
    let silence = vec![0.0; spectrum::FFT_SIZE];
    bus.push_spectrum(&silence, &silence);
    analyzer.update(&bus, 0.2);
    let (_, fallen) = curve_peak(analyzer.post_db());
    assert!((level - fallen - 4.0).abs() < 0.01, "fell {} dB in 0.2 s", level - fallen);
    let (_, held) = curve_peak(analyzer.post_peak_db());
    assert!((held - level).abs() < 1e-3, "peak hold keeps {level}, got {held}");
}

#[test]
fn the_drawn_post_curve_is_the_computed_curve() {
    let (mut harness, f) = harness();
    let s = sine(1000.0, 0.5, 48_000.0, spectrum::FFT_SIZE);
    f.bus.push_spectrum(&s, &s);
    harness.run_steps(1);
    let rect = harness.get_by_label("Spectrum").rect();
    let expected = spectrum::curve_points(harness.state().analyzer().post_db(), rect);
    let (hz, level) = curve_peak(harness.state().analyzer().post_db());
    assert!((hz / 1000.0).log2().abs() < 1.0 / 12.0 && (level + 6.02).abs() < 1.0, "{hz} Hz {level} dB");
    let mut found = false;
    let mut stack: Vec<Shape> = harness.output().shapes.iter().map(|c| c.shape.clone()).collect();
    while let Some(shape) = stack.pop() {
        match shape {
            Shape::Vec(v) => stack.extend(v),
            Shape::Path(path) if matches!(path.stroke.color, ColorMode::Solid(c) if c == spectrum::POST_COLOR) => {
                assert_eq!(path.points.len(), expected.len());
                for (a, b) in path.points.iter().zip(&expected) {
                    assert!((*a - *b).length() < 0.01, "drawn {a:?}, computed {b:?}");
                }
                found = true;
            }
            _ => {}
        }
    }
    assert!(found, "no post-chain curve among the painted shapes");
}

fn loud_readings() -> (LoudnessReadings, LoudnessReadings) {
    let loud_in = LoudnessReadings {
        momentary_lufs: -11.3,
        short_term_lufs: -12.4,
        integrated_lufs: -13.5,
        loudness_range_lu: 6.7,
        true_peak_dbtp: [-0.4, -0.8],
        block_true_peak_dbtp: [-2.2, -3.3],
        correlation: 0.87,
    };
    let loud_out = LoudnessReadings {
        momentary_lufs: -8.1,
        short_term_lufs: -9.2,
        integrated_lufs: -10.3,
        loudness_range_lu: 4.4,
        true_peak_dbtp: [-1.1, -1.2],
        block_true_peak_dbtp: [-1.6, -1.7],
        correlation: -0.25,
    };
    (loud_in, loud_out)
}

fn publish_typical(bus: &MeterBus) {
    let (input_loudness, output_loudness) = loud_readings();
    bus.publish(&ChainMeters {
        input_peak: [0.5, 0.25],
        output_peak: [1.2, 0.125],
        limiter_gain_reduction_db: -4.2,
        limiter_max_gain_reduction_db: -7.9,
        safety_clips: 0,
        compressor_gain_reduction_db: [2.5, 0.0, 6.5],
        input_loudness,
        output_loudness,
    });
}

#[test]
fn meters_show_the_values_on_the_bus() {
    let (mut harness, f) = harness();
    publish_typical(&f.bus);
    harness.run_steps(1);
    for text in [
        // Maxima over both channels: 0.5 = -6.02 dBFS, 1.2 = +1.58 dBFS.
        "In peak max -6.0",
        "Out peak max 1.6",
        "In TP max -2.2",
        "Out TP max -1.6",
        "GR now 4.2",
        "GR max 4.2",
        "Limiter GR 4.2 dB",
        "Band 1 GR 2.5 dB",
        "Band 2 GR 0.0 dB",
        "Band 3 GR 6.5 dB",
        // The output's loudness, big; the input's underneath.
        "Out I -10.3 LUFS",
        "Out S -9.2 LUFS",
        "Out M -8.1 LUFS",
        "Out LRA 4.4 LU",
        "Out TP max -1.1 dBTP",
        "Out corr -0.25",
        "In corr +0.87",
        "In  I -13.5  S -12.4  M -11.3  LRA 6.7  TP -0.4",
    ] {
        harness.get_by_label(text);
    }
    // An output sample at +1.6 dBFS latched the output clip light, not the input's.
    let toggled = |label: &str| harness.get_by_label(label).accesskit_node().toggled();
    assert_eq!(toggled("Out clip"), Some(egui::accesskit::Toggled::True));
    assert_eq!(toggled("In clip"), Some(egui::accesskit::Toggled::False));
}

#[test]
fn clicking_a_maximum_resets_it() {
    let (mut harness, f) = harness();
    publish_typical(&f.bus);
    harness.run_steps(1);
    harness.get_by_label("In peak max -6.0").click();
    harness.run_steps(2);
    // Nothing new has played: the input's maxima are empty, the output's untouched.
    harness.get_by_label("In peak max -inf");
    harness.get_by_label("In TP max -inf");
    harness.get_by_label("Out peak max 1.6");
    assert_eq!(harness.state().meters().maxima().0[0], f32::NEG_INFINITY);
    // The next block sets it again, from its own peak (0.25 = -12.04 dBFS).
    f.bus.publish(&ChainMeters { input_peak: [0.25, 0.1], ..ChainMeters::default() });
    harness.run_steps(1);
    harness.get_by_label("In peak max -12.0");
    harness.get_by_label("GR max 4.2").click();
    harness.run_steps(2);
    harness.get_by_label("GR max 0.0");
    // Resetting a meter's maximum leaves the loudness measurement alone.
    assert!(!f.bus.reset_requested.load(std::sync::atomic::Ordering::Relaxed));
}

#[test]
fn peak_hold_holds_for_one_and_a_half_seconds_then_falls_at_20_db_per_second() {
    use lacquer::editor::meters::{Ballistic, HOLD_FALL_DB_PER_S, HOLD_S};
    assert_eq!((HOLD_S, HOLD_FALL_DB_PER_S), (1.5, 20.0));
    let mut hold = Ballistic::new();
    let dt = 0.01;
    hold.feed(-6.0, dt, HOLD_S, HOLD_FALL_DB_PER_S);
    let mut t = 0.0;
    while t < 1.49 {
        hold.feed(-40.0, dt, HOLD_S, HOLD_FALL_DB_PER_S);
        t += dt;
    }
    assert_eq!(hold.db, -6.0, "still held at {t} s");
    while t < 2.5 - dt / 2.0 {
        hold.feed(-40.0, dt, HOLD_S, HOLD_FALL_DB_PER_S);
        t += dt;
    }
    // One second of falling at 20 dB/s (give or take the step the hold ended in).
    assert!((hold.db - -26.0).abs() <= 20.0 * dt + 1e-3, "{} dB after {t} s", hold.db);
    // It never falls below the signal.
    for _ in 0..200 {
        hold.feed(-40.0, dt, HOLD_S, HOLD_FALL_DB_PER_S);
    }
    assert_eq!(hold.db, -40.0);
}

/// Picks a loudness target in the panel's box.
fn pick_target(harness: &mut Harness<'static, LacquerEditor>, current: &str, entry: &str) {
    harness.get_by_value(current).click();
    harness.run_steps(2);
    harness.get_by_label(entry).click();
    harness.run_steps(2);
}

/// The painted texts: (text, colour of its first section, rect, clip rect).
fn painted_texts(harness: &Harness<'static, LacquerEditor>) -> Vec<(String, egui::Color32, egui::Rect, egui::Rect)> {
    let mut found = Vec::new();
    let mut stack: Vec<(Shape, egui::Rect)> =
        harness.output().shapes.iter().map(|c| (c.shape.clone(), c.clip_rect)).collect();
    while let Some((shape, clip)) = stack.pop() {
        match shape {
            Shape::Vec(v) => stack.extend(v.into_iter().map(|s| (s, clip))),
            Shape::Text(t) => {
                let color = t.galley.job.sections.first().map_or(t.fallback_color, |s| s.format.color);
                let color = if color == egui::Color32::PLACEHOLDER { t.fallback_color } else { color };
                found.push((t.galley.job.text.clone(), color, t.galley.rect.translate(t.pos.to_vec2()), clip));
            }
            _ => {}
        }
    }
    found
}

#[test]
fn integrated_loudness_reads_against_the_target_in_colour() {
    use lacquer::editor::meters::{AMBER, GREEN, RED};
    let (mut harness, f) = harness();
    harness.run_steps(1);
    pick_target(&mut harness, "no target", "-14 LUFS  streaming");
    for (integrated, text, color) in [(-12.5, "+1.5 LU", AMBER), (-14.6, "-0.6 LU", GREEN), (-18.0, "-4.0 LU", RED)] {
        f.bus.output_loudness.integrated_lufs.store(integrated, std::sync::atomic::Ordering::Relaxed);
        harness.run_steps(2);
        harness.get_by_label(&format!("Out I {integrated:.1} LUFS"));
        harness.get_by_label(&format!("{text} from target"));
        let texts = painted_texts(&harness);
        let (_, painted, _, _) = texts.iter().find(|(t, ..)| t == text).unwrap_or_else(|| panic!("{text} not painted"));
        assert_eq!(*painted, color, "{text}");
    }
}

#[test]
fn loudness_history_draws_short_term_with_the_target_line() {
    use lacquer::editor::loudness::{self, LoudnessPanel};
    let (mut harness, f) = harness();
    harness.run_steps(1);
    pick_target(&mut harness, "no target", "-14 LUFS  streaming");
    f.bus.sample_rate.store(48_000.0, std::sync::atomic::Ordering::Relaxed);
    let mut m = ChainMeters::default();
    for lufs in [-20.0, -20.0, -20.0, -10.0, -10.0, -10.0] {
        m.output_loudness.short_term_lufs = lufs;
        for _ in 0..1000 {
            f.bus.record_history(480, &m, -1.0);
        }
        // A frame every 10 s of audio (the bus keeps about 18 s for a GUI that falls behind).
        harness.run_steps(1);
    }
    // Sixty seconds at five points per second.
    let history = harness.state().loudness().history();
    assert_eq!(history.len(), 300);
    assert!(history.iter().take(150).all(|&l| l == -20.0) && history.iter().skip(150).all(|&l| l == -10.0));
    let rect = harness.get_by_label("Loudness history").rect();
    let y = |lufs: f32| LoudnessPanel::y_of_lufs(rect, lufs);
    let line = painted_paths(&harness, loudness::SHORT_TERM_COLOR);
    assert_eq!(line.len(), 1);
    assert!((line[0].first().unwrap().y - y(-20.0)).abs() < 0.01);
    assert!((line[0].last().unwrap().y - y(-10.0)).abs() < 0.01);
    assert!((line[0].last().unwrap().x - rect.right()).abs() < 0.01, "newest at the right edge");
    // Sixty of the 120 seconds shown: the line starts half way across.
    let start = (line[0].first().unwrap().x - rect.left()) / rect.width();
    assert!((start - 0.5).abs() < 0.01, "starts at {start}");
    let target = painted_paths(&harness, loudness::TARGET_COLOR);
    assert!(target.iter().any(|l| l.len() == 2 && l.iter().all(|p| (p.y - y(-14.0)).abs() < 0.01)), "{target:?}");
    // Reset loudness clears the history with the measurement.
    harness.get_by_label("Reset loudness").click();
    harness.run_steps(1);
    assert!(harness.state().loudness().history().is_empty());
}

/// Writes `seconds` of 10 ms history points straight onto the bus, as the shell would.
fn write_history(bus: &MeterBus, seconds: f32, input_peak: f32, gr_db: f32, ceiling_db: f32) {
    let mut m = ChainMeters { input_peak: [input_peak; 2], output_peak: [0.5; 2], ..ChainMeters::default() };
    m.limiter_gain_reduction_db = -gr_db;
    for _ in 0..(seconds * 100.0) as usize {
        bus.record_history(480, &m, ceiling_db);
    }
}

#[test]
fn level_history_draws_levels_gain_reduction_and_the_moving_ceiling() {
    let (mut harness, f) = harness();
    harness.run_steps(1);
    write_history(&f.bus, 6.0, 0.25, 3.0, -1.0);
    write_history(&f.bus, 6.0, 0.25, 9.0, -6.0);
    harness.run_steps(1);
    // Twelve seconds written, ten kept.
    assert_eq!(harness.state().history().points().len(), history::POINTS);
    let rect = harness.get_by_label("GR history").rect();
    let screen = egui::Rect::from_min_size(Pos2::ZERO, Vec2::new(1000.0, 640.0));
    assert!(screen.contains_rect(rect), "history at {rect:?}");
    let y = |db: f32| LevelHistory::y_of_db(rect, db);
    let ceiling = painted_paths(&harness, history::CEILING_COLOR);
    assert_eq!(ceiling.len(), 1, "{ceiling:?}");
    // The ceiling steps from -1 to -6 dB four tenths of the way across (6 s of 10 s ago).
    let line = &ceiling[0];
    let split = line.iter().position(|p| (p.y - y(-6.0)).abs() < 0.01).expect("ceiling reaches -6 dB");
    assert!(line[..split].iter().all(|p| (p.y - y(-1.0)).abs() < 0.01));
    assert!(line[split..].iter().all(|p| (p.y - y(-6.0)).abs() < 0.01));
    let at = (line[split].x - rect.left()) / rect.width();
    assert!((at - 0.4).abs() < 0.01, "ceiling moved at {at}");
    // Gain reduction hangs from the top: 3 dB, then 9 dB down.
    let gr = painted_paths(&harness, history::GR_COLOR);
    assert_eq!(gr.len(), 1);
    assert!((gr[0].first().unwrap().y - y(-3.0)).abs() < 0.01);
    assert!((gr[0].last().unwrap().y - y(-9.0)).abs() < 0.01);
    // The output line sits at the output peak (0.5 = -6.02 dBFS).
    let out = painted_paths(&harness, history::OUTPUT_COLOR);
    assert!((out[0].last().unwrap().y - y(20.0 * 0.5f32.log10())).abs() < 0.01);
}

#[test]
fn reset_button_requests_a_loudness_reset() {
    let (mut harness, f) = harness();
    harness.run_steps(1);
    assert!(!f.bus.reset_requested.load(std::sync::atomic::Ordering::Relaxed));
    harness.get_by_label("Reset loudness").click();
    harness.run_steps(1);
    assert!(f.bus.reset_requested.load(std::sync::atomic::Ordering::Relaxed));
}

/// Every check of one screen: each widget lies inside the window and inside one panel, each
/// painted text inside its clip rectangle (so nothing is cut off or scrolled away), laid out
/// whole (neither elided nor wrapped) and clear of every other text outside the plots.
fn assert_fits(harness: &Harness<'static, LacquerEditor>, size: Vec2, what: &str) {
    let screen = egui::Rect::from_min_size(Pos2::ZERO, size);
    let layout = *harness.state().layout();
    let panels = [layout.top, layout.meters, layout.central];
    let mut widgets = 0;
    for node in harness.query_all(egui_kittest::kittest::By::new()) {
        let ak = node.accesskit_node();
        if ak.bounding_box().is_none() || matches!(ak.role(), Role::Window | Role::GenericContainer | Role::ScrollView)
        {
            continue;
        }
        let r = node.rect();
        let name = ak.label().or(ak.value()).unwrap_or_default();
        assert!(screen.expand(0.5).contains_rect(r), "{what}: {:?} {name:?} at {r:?} is outside the window", ak.role());
        assert!(
            panels.iter().any(|p| p.expand(0.5).contains_rect(r)),
            "{what}: {:?} {name:?} at {r:?} straddles panels {panels:?}",
            ak.role()
        );
        widgets += 1;
    }
    assert!(widgets > 60, "{what}: only {widgets} widgets found");
    for p in panels {
        assert!(screen.expand(0.5).contains_rect(p), "{what}: panel {p:?} outside the window");
    }
    assert!(layout.central.expand(0.5).contains_rect(layout.controls), "{what}: controls panel {:?}", layout.controls);
    let plots: Vec<egui::Rect> =
        ["Spectrum", "GR history", "Loudness history"].iter().map(|l| harness.get_by_label(l).rect()).collect();
    // A text field scrolls what is typed into it (a long file path) inside its own box.
    let fields: Vec<egui::Rect> = harness.query_all_by_role(Role::TextInput).map(|n| n.rect().expand(1.0)).collect();
    let mut texts = Vec::new();
    let mut stack: Vec<(Shape, egui::Rect)> =
        harness.output().shapes.iter().map(|c| (c.shape.clone(), c.clip_rect)).collect();
    while let Some((shape, clip)) = stack.pop() {
        match shape {
            Shape::Vec(v) => stack.extend(v.into_iter().map(|s| (s, clip))),
            Shape::Text(t) if !t.galley.job.text.trim().is_empty() => {
                let text = t.galley.job.text.clone();
                let rect = t.galley.rect.translate(t.pos.to_vec2());
                assert!(!t.galley.elided, "{what}: {text:?} elided");
                let wrapped = t.galley.rows.iter().rev().skip(1).filter(|r| !r.ends_with_newline).count();
                assert_eq!(wrapped, 0, "{what}: {text:?} wrapped at {rect:?}");
                let in_field = fields.iter().any(|f| f.contains_rect(clip));
                assert!(
                    in_field || clip.expand(0.5).contains_rect(rect),
                    "{what}: {text:?} at {rect:?} cut off by {clip:?}"
                );
                assert!(screen.expand(0.5).contains_rect(rect), "{what}: {text:?} at {rect:?} outside the window");
                if !plots.iter().any(|p| p.intersects(rect)) {
                    texts.push((text, if in_field { rect.intersect(clip) } else { rect }));
                }
            }
            _ => {}
        }
    }
    for (i, (a, ra)) in texts.iter().enumerate() {
        for (b, rb) in &texts[i + 1..] {
            let overlap = ra.intersect(*rb);
            assert!(
                overlap.width() <= 0.5 || overlap.height() <= 0.5,
                "{what}: {a:?} at {ra:?} overlaps {b:?} at {rb:?}"
            );
        }
    }
}

/// The names of a stage's sub-group tabs, in tree order.
fn sub_tabs(harness: &Harness<'static, LacquerEditor>, stage: usize) -> Vec<String> {
    let (group, list) = &harness.state().controls().groups[stage];
    let mut names: Vec<String> = Vec::new();
    for p in list.iter().filter(|p| p.group != *group) {
        let name = p.group[group.len() + 1..].split('/').next().unwrap_or("").to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[test]
fn every_page_fits_at_the_default_and_minimum_sizes() {
    for size in [Vec2::new(1000.0, 640.0), Vec2::new(820.0, 540.0)] {
        let (mut harness, f) = harness_at(size);
        // Realistic figures, two digits and a sign wide.
        publish_typical(&f.bus);
        write_history(&f.bus, 3.0, 0.25, 3.0, -1.0);
        harness.run_steps(2);
        harness.get_by_label("Manage presets");
        harness.get_by_label("Level match");
        harness.get_by_label("Zoom");
        let stages: Vec<String> = harness.state().controls().groups.iter().map(|(g, _)| g.clone()).collect();
        for (index, stage) in stages.iter().enumerate() {
            open_stage(&mut harness, stage);
            let tabs = sub_tabs(&harness, index);
            assert_fits(&harness, size, &format!("{size:?} {stage}"));
            if harness.query_by_label("General").is_some() {
                harness.get_by_label("General").click();
                harness.run_steps(2);
                assert_fits(&harness, size, &format!("{size:?} {stage} General"));
            }
            // The stage's own controls (on the first page or the General tab).
            let (group, list) = &harness.state().controls().groups[index];
            let missing: Vec<String> = list
                .iter()
                .filter(|p| p.group == *group && harness.query_all_by_label(p.name()).next().is_none())
                .map(|p| p.name().to_string())
                .collect();
            assert!(missing.is_empty(), "{size:?} {stage}: not shown {missing:?}");
            for tab in tabs {
                harness.get_by_label(&tab).click();
                harness.run_steps(2);
                assert_fits(&harness, size, &format!("{size:?} {stage} {tab}"));
                // Every control of the open tab is there.
                let (_, list) = &harness.state().controls().groups[index];
                let missing: Vec<String> = list
                    .iter()
                    .filter(|p| p.group.ends_with(&format!("/{tab}")))
                    .filter(|p| harness.query_all_by_label(p.name()).next().is_none())
                    .map(|p| p.name().to_string())
                    .collect();
                assert!(missing.is_empty(), "{size:?} {stage} {tab}: not shown {missing:?}");
            }
        }
    }
}

/// A stage the editor has never heard of, as the lead adds them to `params.rs`.
#[derive(Params)]
struct WithNewStage {
    #[nested(group = "Saturation")]
    saturation: SaturationParams,
}

#[derive(Params)]
struct SaturationParams {
    #[id = "sat_drive"]
    drive: nice_plug::prelude::FloatParam,
    #[id = "sat_on"]
    enabled: nice_plug::prelude::BoolParam,
}

#[test]
fn new_stages_get_a_strip_without_editor_changes() {
    use nice_plug::prelude::{BoolParam, FloatParam, FloatRange};
    let params = Arc::new(WithNewStage {
        saturation: SaturationParams {
            drive: FloatParam::new("Saturation Drive", 0.0, FloatRange::Linear { min: 0.0, max: 12.0 })
                .with_unit(" dB"),
            enabled: BoolParam::new("Saturation On", false),
        },
    });
    let app = LacquerEditor::new(params.clone(), Arc::new(MeterBus::new()), Box::new(DirectEdit));
    let mut harness = Harness::builder()
        .with_size(Vec2::new(1000.0, 640.0))
        .build_ui_state(|ui, app: &mut LacquerEditor| app.draw(ui), app);
    harness.run_steps(2);
    harness.get_by_label("Saturation");
    harness.get_by_role_and_label(Role::Slider, "Saturation Drive");
    harness.get_by_label("Saturation On").click();
    harness.run_steps(2);
    assert!(params.saturation.enabled.value());
}

// ---- EQ curve and band nodes over the spectrum ----

/// Sets parameters by ID the way a preset or the host would (not through the editor).
fn set_params(f: &Fixture, values: &[(&str, &str)]) {
    let writer = ParamWriter::new(f.params.clone());
    for (id, value) in values {
        writer.set(id, value).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Index of the display point nearest `hz`.
fn nearest_point(hz: f32) -> usize {
    (0..spectrum::POINTS)
        .min_by(|&a, &b| {
            let da = (Analyzer::point_hz(a) / hz).log2().abs();
            let db = (Analyzer::point_hz(b) / hz).log2().abs();
            da.total_cmp(&db)
        })
        .unwrap()
}

/// RBJ cookbook peaking-EQ magnitude in dB (analog prototype, the bell's definition) at `hz`.
fn analog_bell_db(hz: f32, centre_hz: f32, gain_db: f32, q: f32) -> f32 {
    let a = 10f64.powf(gain_db as f64 / 40.0);
    let s = (hz as f64 / centre_hz as f64).powi(2); // w² with w = f/f0
    let q = q as f64;
    // |H(jw)|² for H(s) = (s² + s·A/Q + 1) / (s² + s/(A·Q) + 1)
    let num = (1.0 - s).powi(2) + s * (a / q).powi(2);
    let den = (1.0 - s).powi(2) + s / (a * q).powi(2);
    (10.0 * (num / den).log10()) as f32
}

/// Every painted path of one solid colour, shapes nested in `Shape::Vec` included.
fn painted_paths(harness: &Harness<'static, LacquerEditor>, color: egui::Color32) -> Vec<Vec<Pos2>> {
    let mut found = Vec::new();
    let mut stack: Vec<Shape> = harness.output().shapes.iter().map(|c| c.shape.clone()).collect();
    while let Some(shape) = stack.pop() {
        match shape {
            Shape::Vec(v) => stack.extend(v),
            Shape::Path(path) if matches!(path.stroke.color, ColorMode::Solid(c) if c == color) => {
                found.push(path.points)
            }
            Shape::LineSegment { points, stroke } if stroke.color == color => found.push(points.to_vec()),
            _ => {}
        }
    }
    found
}

#[test]
fn eq_curve_follows_an_enabled_bell_and_is_what_is_drawn() {
    let (mut harness, f) = harness();
    harness.run_steps(1);
    assert!(harness.state().eq().mid_db().iter().all(|&d| d.abs() < 1e-3), "all bands off: flat");
    set_params(&f, &[("eq2_on", "on"), ("eq2_freq", "1000"), ("eq2_gain", "6"), ("eq2_q", "1")]);
    harness.run_steps(1);
    let eq = harness.state().eq();
    let at_1k = eq.mid_db()[nearest_point(1000.0)];
    assert!((at_1k - 6.0).abs() < 0.1, "curve at 1 kHz: {at_1k} dB");
    for (i, &db) in eq.mid_db().iter().enumerate() {
        let hz = Analyzer::point_hz(i);
        let expected = analog_bell_db(hz, 1000.0, 6.0, 1.0);
        assert!((db - expected).abs() < 0.1, "{hz} Hz: curve {db} dB, bell formula {expected} dB");
    }
    assert!(eq.mid_db()[0].abs() < 0.05, "far below the bell the curve is flat");
    assert!(!eq.is_split(), "no band in mid or side mode");

    let rect = harness.get_by_label("Spectrum").rect();
    let expected = eq_overlay::curve_points(eq.mid_db(), rect);
    let drawn = painted_paths(&harness, eq_overlay::CURVE_COLOR);
    assert_eq!(drawn.len(), 1, "one EQ curve");
    assert_eq!(drawn[0].len(), expected.len());
    for (a, b) in drawn[0].iter().zip(&expected) {
        assert!((*a - *b).length() < 0.01, "drawn {a:?}, computed {b:?}");
    }
    let peak = drawn[0].iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
    assert!((peak - eq_overlay::db_to_y(6.0, rect)).abs() < 1.0, "drawn peak at y {peak}");
}

#[test]
fn eq_side_band_gets_its_own_dashed_curve_and_bypass_flattens() {
    let (mut harness, f) = harness();
    set_params(&f, &[("eq2_on", "on"), ("eq2_gain", "6")]);
    set_params(&f, &[("eq3_on", "on"), ("eq3_freq", "3000"), ("eq3_gain", "-4"), ("eq3_mode", "Side")]);
    harness.run_steps(1);
    let eq = harness.state().eq();
    assert!(eq.is_split());
    let i = nearest_point(3000.0);
    // Side hears the stereo bands plus the side band; mid only the stereo bands here.
    let side_only = eq.side_db()[i] - eq.mid_db()[i];
    assert!((side_only - -4.0).abs() < 0.1, "side band at 3 kHz: {side_only} dB");
    let expected_mid = analog_bell_db(3000.0, 1000.0, 6.0, 1.0);
    assert!((eq.mid_db()[i] - expected_mid).abs() < 0.1, "mid at 3 kHz {} dB", eq.mid_db()[i]);
    assert!(painted_paths(&harness, eq_overlay::SIDE_COLOR).len() > 10, "side curve drawn dashed");

    set_params(&f, &[("eq_bypass", "on")]);
    harness.run_steps(1);
    let eq = harness.state().eq();
    assert!(eq.mid_db().iter().chain(eq.side_db()).all(|&d| d.abs() < 1e-3), "bypassed EQ draws flat");
    assert!(!eq.is_split());
    assert!(painted_paths(&harness, eq_overlay::CURVE_COLOR).is_empty(), "no bright curve when bypassed");
}

#[test]
fn eq_settings_read_by_id_match_the_params_snapshot() {
    let (mut harness, f) = harness();
    let cases: [&[(&str, &str)]; 3] = [
        &[],
        &[
            ("eq_hp_on", "on"),
            ("eq_hp_freq", "45"),
            ("eq_hp_q", "0.9"),
            ("eq_hp_slope", "12 dB/oct"),
            ("eq_ls_on", "on"),
            ("eq_ls_gain", "2.5"),
            ("eq_ls_mode", "Mid"),
            ("eq1_freq", "180"),
            ("eq1_gain", "-3"),
            ("eq3_q", "4.2"),
            ("eq3_mode", "Side"),
            ("eq4_on", "on"),
            ("eq_hs_gain", "1.5"),
            ("eq_lp_on", "on"),
            ("eq_lp_freq", "15000"),
            ("eq_lp_slope", "24 dB/oct"),
        ],
        &[("eq_bypass", "on"), ("eq_hp_slope", "48 dB/oct"), ("eq_lp_slope", "12 dB/oct"), ("eq_ls_mode", "Stereo")],
    ];
    for values in cases {
        set_params(&f, values);
        harness.run_steps(1);
        let app = harness.state();
        assert_eq!(app.eq().settings(app.controls()), Some(f.params.eq.settings()), "after {values:?}");
    }
}

const EQ_NODE_LABELS: [&str; 8] = [
    "EQ node HP",
    "EQ node Low Shelf",
    "EQ node Bell 1",
    "EQ node Bell 2",
    "EQ node Bell 3",
    "EQ node Bell 4",
    "EQ node High Shelf",
    "EQ node LP",
];

#[test]
fn eq_nodes_have_labels_and_sit_at_their_band() {
    let (mut harness, f) = harness();
    set_params(&f, &[("eq4_freq", "5000"), ("eq4_gain", "-9")]);
    harness.run_steps(2);
    let plot = harness.get_by_label("Spectrum").rect();
    let settings = f.params.eq.settings();
    for (band, label) in EQ_NODE_LABELS.iter().enumerate() {
        let node = harness.get_by_role_and_label(Role::Slider, label);
        let center = eq_overlay::node_center(&settings, band, plot);
        assert!((node.rect().center() - center).length() < 0.5, "{label} at {:?}, expected {center:?}", node.rect());
        assert!(plot.contains(node.rect().center()), "{label} inside the plot");
    }
    let bell4 = harness.get_by_label("EQ node Bell 4").rect().center();
    assert!((bell4.x - spectrum::hz_to_x(5000.0, plot)).abs() < 0.5);
    assert!((bell4.y - eq_overlay::db_to_y(-9.0, plot)).abs() < 0.5);
    assert!(bell4.y > plot.center().y, "a cut sits below the 0 dB line");
}

/// Presses at `from`, moves to `to` in five steps, releases.
fn drag(harness: &mut Harness<'static, LacquerEditor>, from: Pos2, to: Pos2) {
    harness.hover_at(from);
    harness.run_steps(1);
    harness.drag_at(from);
    harness.run_steps(1);
    for i in 1..=5 {
        harness.hover_at(from + (to - from) * (i as f32 / 5.0));
        harness.run_steps(1);
    }
    harness.drop_at(to);
    harness.run_steps(2);
}

fn gestures_for(log: &Recorder, id: &str) -> Vec<Gesture> {
    let log = log.0.lock().unwrap();
    log.iter()
        .filter(|g| matches!(g, Gesture::Begin(i) | Gesture::Set(i, _) | Gesture::End(i) if i == id))
        .cloned()
        .collect()
}

/// One begin, at least one set, one end, in that order.
fn assert_one_gesture(log: &Recorder, id: &str) {
    let ours = gestures_for(log, id);
    assert_eq!(ours.first(), Some(&Gesture::Begin(id.into())), "{id}: {ours:?}");
    assert_eq!(ours.last(), Some(&Gesture::End(id.into())), "{id}: {ours:?}");
    assert_eq!(ours.iter().filter(|g| matches!(g, Gesture::Begin(_))).count(), 1, "{id}: one gesture: {ours:?}");
    assert!(ours.iter().any(|g| matches!(g, Gesture::Set(..))), "{id}: {ours:?}");
}

#[test]
fn dragging_an_eq_node_sets_frequency_then_gain_through_gestures() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    assert!(!f.params.eq.bell2.enabled.value());
    let start = harness.get_by_label("EQ node Bell 2").rect().center();
    drag(&mut harness, start, start + Vec2::new(80.0, 0.0));
    let freq = f.params.eq.bell2.freq_hz.value();
    assert!(freq > 1500.0, "80 px to the right raised 1 kHz to {freq} Hz");
    assert_eq!(f.params.eq.bell2.gain_db.value(), 0.0, "a horizontal drag leaves the gain alone");
    assert!(f.params.eq.bell2.enabled.value(), "dragging a band that was off switches it on");
    assert_eq!(
        gestures_for(&f.log, "eq2_on"),
        vec![Gesture::Begin("eq2_on".into()), Gesture::Set("eq2_on".into(), 1.0), Gesture::End("eq2_on".into())]
    );
    assert_one_gesture(&f.log, "eq2_freq");
    f.log.0.lock().unwrap().clear();

    let start = harness.get_by_label("EQ node Bell 2").rect().center();
    drag(&mut harness, start, start - Vec2::new(0.0, 40.0));
    let plot = harness.get_by_label("Spectrum").rect();
    let expected_db = eq_overlay::y_to_db(plot.center().y - 40.0, plot);
    let gain = f.params.eq.bell2.gain_db.value();
    assert!((gain - expected_db).abs() < 0.11, "40 px up: gain {gain} dB, expected {expected_db} dB");
    assert!(gain > 3.0);
    assert!((f.params.eq.bell2.freq_hz.value() - freq).abs() < freq * 1e-3, "a vertical drag keeps the frequency");
    assert_one_gesture(&f.log, "eq2_gain");
    assert!(gestures_for(&f.log, "eq2_on").is_empty(), "already on: no switch gesture");
}

#[test]
fn dragging_a_pass_filter_node_moves_only_its_frequency() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    let start = harness.get_by_label("EQ node HP").rect().center();
    drag(&mut harness, start, start + Vec2::new(40.0, -60.0));
    assert!(f.params.eq.high_pass.freq_hz.value() > 40.0, "HP moved up from 30 Hz");
    assert!(f.params.eq.high_pass.enabled.value());
    assert_one_gesture(&f.log, "eq_hp_freq");
    assert!(gestures_for(&f.log, "eq_hp_gain").is_empty(), "pass filters have no gain to drag");
}

fn wheel(harness: &mut Harness<'static, LacquerEditor>, at: Pos2, notches: f32) {
    harness.hover_at(at);
    harness.run_steps(1);
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: Vec2::new(0.0, notches),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run_steps(1);
}

#[test]
fn wheel_over_an_eq_node_changes_q_with_a_short_gesture() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    let node = harness.get_by_label("EQ node Bell 3").rect().center();
    assert_eq!(f.params.eq.bell3.q.value(), 1.0);
    wheel(&mut harness, node, 4.0);
    let q = f.params.eq.bell3.q.value();
    assert!((q - 2.0).abs() < 0.02, "four notches up double Q: {q}");
    let ours = gestures_for(&f.log, "eq3_q");
    assert_eq!(ours.len(), 3, "{ours:?}");
    assert_eq!(ours[0], Gesture::Begin("eq3_q".into()));
    assert_eq!(ours[2], Gesture::End("eq3_q".into()));
    wheel(&mut harness, node, -8.0);
    let q = f.params.eq.bell3.q.value();
    assert!((q - 0.5).abs() < 0.01, "eight notches down quarter it: {q}");
    assert_eq!(gestures_for(&f.log, "eq3_q").len(), 6);
    // Away from the nodes the wheel changes nothing.
    wheel(&mut harness, node + Vec2::new(0.0, 60.0), 4.0);
    assert_eq!(gestures_for(&f.log, "eq3_q").len(), 6);
}

#[test]
fn ctrl_or_alt_clicking_an_eq_node_resets_the_band() {
    let (mut harness, f) = harness();
    for modifiers in [egui::Modifiers::CTRL, egui::Modifiers::ALT] {
        set_params(&f, &[("eq1_on", "on"), ("eq1_freq", "400"), ("eq1_gain", "-7.5"), ("eq1_q", "3")]);
        f.log.0.lock().unwrap().clear();
        harness.run_steps(2);
        harness.get_by_label("EQ node Bell 1").click_modifiers(modifiers);
        harness.run_steps(2);
        let b = &f.params.eq.bell1;
        let values = (b.freq_hz.value(), b.gain_db.value(), b.q.value());
        let defaults = (250.0, 0.0, 1.0);
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * b.abs().max(1.0);
        assert!(
            close(values.0, defaults.0) && close(values.1, defaults.1) && close(values.2, defaults.2),
            "{modifiers:?}: {values:?}"
        );
        assert!(b.enabled.value(), "reset keeps the band on");
        for id in ["eq1_freq", "eq1_gain", "eq1_q"] {
            let ours = gestures_for(&f.log, id);
            assert_eq!(ours.first(), Some(&Gesture::Begin(id.into())), "{id}: {ours:?}");
            assert_eq!(ours.last(), Some(&Gesture::End(id.into())), "{id}: {ours:?}");
            assert_balanced(&f.log, id);
        }
    }
}

#[test]
fn double_clicking_an_eq_node_types_its_values() {
    let (mut harness, f) = harness();
    set_params(&f, &[("eq2_on", "on")]);
    harness.run_steps(2);
    let node = harness.get_by_label("EQ node Bell 2").rect().center();
    double_click(&mut harness, node);
    assert_eq!(f.params.eq.bell2.freq_hz.value(), 1000.0, "double-click no longer resets");
    // Frequency has the focus, all selected: type, Tab to gain, type, Enter applies both.
    harness.get_by_label("Bell 2 Freq value").type_text("2.5 kHz");
    harness.run_steps(1);
    harness.key_press(egui::Key::Tab);
    harness.run_steps(1);
    harness.get_by_label("Bell 2 Gain value").type_text("-4.5");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    let b = &f.params.eq.bell2;
    assert!((b.freq_hz.value() - 2500.0).abs() < 0.05, "freq {}", b.freq_hz.value());
    assert!((b.gain_db.value() + 4.5).abs() < 1e-5, "gain {}", b.gain_db.value());
    assert_eq!(b.q.value(), 1.0, "Q left as it was");
    assert!(gestures_for(&f.log, "eq2_q").is_empty(), "untouched Q: no gesture");
    for id in ["eq2_freq", "eq2_gain"] {
        assert_eq!(gestures_for(&f.log, id).len(), 3, "{id}: one short gesture");
    }
    assert!(harness.query_by_label("Bell 2 Freq value").is_none(), "Enter closes the entry");
    // Unreadable text changes nothing.
    f.log.0.lock().unwrap().clear();
    let node = harness.get_by_label("EQ node Bell 2").rect().center();
    double_click(&mut harness, node);
    harness.get_by_label("Bell 2 Freq value").type_text("bright");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert!((b.freq_hz.value() - 2500.0).abs() < 0.05);
    assert!(f.log.0.lock().unwrap().is_empty(), "{:?}", f.log.0.lock().unwrap());
}

#[test]
fn shift_dragging_an_eq_node_moves_a_tenth_as_far() {
    let (mut harness, f) = harness();
    set_params(&f, &[("eq3_on", "on")]);
    harness.run_steps(2);
    let plot = harness.get_by_label("Spectrum").rect();
    let start = harness.get_by_label("EQ node Bell 3").rect().center();
    set_modifiers(&mut harness, egui::Modifiers::SHIFT);
    drag(&mut harness, start, start + Vec2::new(0.0, -100.0));
    set_modifiers(&mut harness, egui::Modifiers::NONE);
    // 100 px up at a tenth of the speed: as far as 10 px up at normal speed.
    let expected_db = eq_overlay::y_to_db(plot.center().y - 10.0, plot);
    let gain = f.params.eq.bell3.gain_db.value();
    assert!((gain - expected_db).abs() < 0.11, "gain {gain} dB, expected {expected_db} dB");
    assert!(gain > 0.5);
    assert_one_gesture(&f.log, "eq3_gain");
    assert_balanced(&f.log, "eq3_freq");
}

#[test]
fn hovering_an_eq_node_shows_its_values_and_right_click_switches_it() {
    let (mut harness, f) = harness();
    set_params(&f, &[("eq_hs_gain", "3")]);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("High Shelf (off)").is_none(), "no readout before hovering");
    let node = harness.get_by_label("EQ node High Shelf");
    node.hover();
    harness.run_steps(2);
    harness.get_by_label("High Shelf (off)");
    let p = &f.params.eq.high_shelf;
    let values = format!("{}  {}  Q {}", p.freq_hz, p.gain_db, p.q);
    harness.get_by_label(&values);
    harness.get_by_label("EQ node High Shelf").click_secondary();
    harness.run_steps(2);
    assert!(p.enabled.value(), "right-click switched the band on");
    harness.get_by_label("High Shelf");
    harness.get_by_label("EQ node High Shelf").click_secondary();
    harness.run_steps(2);
    assert!(!p.enabled.value(), "and off again");
}

fn gestures_on(log: &Recorder, id: &str) -> usize {
    log.0.lock().unwrap().iter().filter(|g| matches!(g, Gesture::Begin(g_id) if g_id == id)).count()
}

#[test]
fn preset_bar_loads_presets_through_gestures_and_marks_edits() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    harness.get_by_value("Default");
    harness.get_by_label(">").click();
    harness.run_steps(2);
    let first = lacquer::presets::factory::presets().remove(0);
    // Every parameter the preset moves arrives as its own host gesture.
    let ceiling = f.params.limiter.drive_db.value();
    assert!((ceiling - 5.5).abs() < 1e-4, "drive {ceiling} after loading {}", first.slug);
    assert_eq!(gestures_on(&f.log, "lim_drive"), 1);
    assert_eq!(gestures_on(&f.log, "cmp_bypass"), 1);
    assert_eq!(gestures_on(&f.log, "bypass"), 0, "a preset must not touch the global bypass");
    harness.run_steps(12);
    harness.get_by_value(&first.name);
    // Its loudness target goes to the loudness panel, with the output measured against it.
    harness.get_by_value("target -14 LUFS");
    f.bus.output_loudness.integrated_lufs.store(-12.5, std::sync::atomic::Ordering::Relaxed);
    harness.run_steps(4);
    harness.get_by_label("Out I -12.5 LUFS");
    harness.get_by_label("+1.5 LU from target");
    // An edit marks the preset modified.
    ParamWriter::new(f.params.clone()).set("lim_ceiling", "-3").unwrap();
    harness.run_steps(12);
    harness.get_by_value(&format!("{} *", first.name));
    // Previous from the first wraps to the last.
    harness.get_by_label("<").click();
    harness.run_steps(12);
    let last = lacquer::presets::factory::presets().pop().unwrap();
    harness.get_by_value(&last.name);
}

#[test]
fn ab_compare_and_level_match_in_the_editor() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    let writer = ParamWriter::new(f.params.clone());
    writer.set("lim_ceiling", "-2").unwrap();
    harness.get_by_label("B").click();
    harness.run_steps(2);
    writer.set("lim_ceiling", "-6").unwrap();
    harness.get_by_label("A").click();
    harness.run_steps(2);
    assert!((f.params.limiter.ceiling_db.value() + 2.0).abs() < 1e-4, "A restored");
    harness.get_by_label("B").click();
    harness.run_steps(2);
    assert!((f.params.limiter.ceiling_db.value() + 6.0).abs() < 1e-4, "B restored");
    assert!(!f.params.level_match.load(std::sync::atomic::Ordering::Relaxed));
    harness.get_by_label("Level match").click();
    harness.run_steps(2);
    assert!(f.params.level_match.load(std::sync::atomic::Ordering::Relaxed));
}

// ---- Habits of the field: fine drag, typed values, wheel, tooltips (src/editor/widgets.rs) ----

fn set_modifiers(harness: &mut Harness<'static, LacquerEditor>, modifiers: egui::Modifiers) {
    harness.event(egui::Event::ModifiersChanged(modifiers));
    harness.run_steps(1);
}

/// Two presses and releases inside one frame: a double-click (the harness advances 0.25 s per
/// event, longer than egui's double-click window).
fn double_click(harness: &mut Harness<'static, LacquerEditor>, at: Pos2) {
    harness.hover_at(at);
    harness.run_steps(1);
    for pressed in [true, false, true, false] {
        harness.input_mut().events.push(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.run_steps(2);
}

/// Begins and ends of `id` pair up, in order, never nested.
fn assert_balanced(log: &Recorder, id: &str) {
    let mut open = false;
    for g in gestures_for(log, id) {
        match g {
            Gesture::Begin(_) => {
                assert!(!open, "{id}: begin inside a gesture");
                open = true;
            }
            Gesture::Set(..) => assert!(open, "{id}: set outside a gesture"),
            Gesture::End(_) => {
                assert!(open, "{id}: end without begin");
                open = false;
            }
        }
    }
    assert!(!open, "{id}: gesture left open");
}

/// Input Gain's slider track: −24 to +24 dB, linear, 0.1 dB steps.
fn input_gain_track(harness: &Harness<'static, LacquerEditor>) -> egui::Rect {
    harness.get_by_role_and_label(Role::Slider, "Input Gain").rect()
}

#[test]
fn shift_and_ctrl_drag_move_a_tenth_as_far() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    let track = input_gain_track(&harness);
    let from = Pos2::new(track.left() + 0.25 * track.width(), track.center().y);
    let px = 0.4 * track.width();
    // Normal drag: the track's width is the whole 48 dB range.
    drag(&mut harness, from, from + Vec2::new(px, 0.0));
    let normal = f.params.input.gain_db.value();
    let expected = px / track.width() * 48.0;
    assert!((normal - expected).abs() <= 0.051, "normal drag: {normal} dB, geometry says {expected} dB");
    assert_balanced(&f.log, "in_gain");
    for modifiers in [egui::Modifiers::SHIFT, egui::Modifiers::CTRL] {
        ParamWriter::new(f.params.clone()).set("in_gain", "0").unwrap();
        f.log.0.lock().unwrap().clear();
        harness.run_steps(1);
        set_modifiers(&mut harness, modifiers);
        drag(&mut harness, from, from + Vec2::new(px, 0.0));
        set_modifiers(&mut harness, egui::Modifiers::NONE);
        let fine = f.params.input.gain_db.value();
        assert!(
            (fine - expected * 0.1).abs() <= 0.051,
            "{modifiers:?} drag: {fine} dB, a tenth of {expected} dB expected"
        );
        assert!((fine / normal - 0.1).abs() < 0.01, "{modifiers:?}: ratio {}", fine / normal);
        assert_one_gesture(&f.log, "in_gain");
    }
}

#[test]
fn double_click_and_type_sets_the_exact_value_and_bad_text_changes_nothing() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    let at = input_gain_track(&harness).center();
    double_click(&mut harness, at);
    assert_eq!(f.params.input.gain_db.value(), 0.0, "double-click no longer resets or moves the value");
    assert!(gestures_for(&f.log, "in_gain").is_empty(), "opening the entry is no edit");
    let field = harness.get_by_label("Input Gain value");
    assert_eq!(field.value().as_deref(), Some("0.0 dB"), "the entry starts at the current value");
    field.type_text("-3.7");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert!((f.params.input.gain_db.value() + 3.7).abs() < 1e-5, "typed -3.7: {}", f.params.input.gain_db.value());
    let ours = gestures_for(&f.log, "in_gain");
    assert_eq!(ours.len(), 3, "one short gesture: {ours:?}");
    assert_balanced(&f.log, "in_gain");
    assert!(harness.query_by_label("Input Gain value").is_none(), "Enter closes the entry");

    // Units are optional, as the parameter's own parser reads them.
    let at = input_gain_track(&harness).center();
    double_click(&mut harness, at);
    harness.get_by_label("Input Gain value").type_text("5.2 dB");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert!((f.params.input.gain_db.value() - 5.2).abs() < 1e-5);

    // Text the parameter cannot read changes nothing and sends no gesture.
    f.log.0.lock().unwrap().clear();
    for bad in ["loud", "", "nan", "-"] {
        let at = input_gain_track(&harness).center();
        double_click(&mut harness, at);
        harness.get_by_label("Input Gain value").type_text(bad);
        harness.run_steps(1);
        harness.key_press(egui::Key::Enter);
        harness.run_steps(2);
        assert!((f.params.input.gain_db.value() - 5.2).abs() < 1e-5, "after {bad:?}");
    }
    // Escape cancels what was typed.
    let at = input_gain_track(&harness).center();
    double_click(&mut harness, at);
    harness.get_by_label("Input Gain value").type_text("9");
    harness.run_steps(1);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!((f.params.input.gain_db.value() - 5.2).abs() < 1e-5, "Escape cancels");
    assert!(harness.query_by_label("Input Gain value").is_none());
    assert!(gestures_for(&f.log, "in_gain").is_empty(), "{:?}", gestures_for(&f.log, "in_gain"));
}

#[test]
fn ctrl_or_alt_click_resets_a_slider_to_its_default() {
    let (mut harness, f) = harness();
    for modifiers in [egui::Modifiers::CTRL, egui::Modifiers::ALT, egui::Modifiers::COMMAND] {
        ParamWriter::new(f.params.clone()).set("in_gain", "7").unwrap();
        harness.run_steps(2);
        harness.get_by_role_and_label(Role::Slider, "Input Gain").click_modifiers(modifiers);
        harness.run_steps(2);
        assert_eq!(f.params.input.gain_db.value(), 0.0, "{modifiers:?}-click resets to 0 dB");
    }
    // A plain click changes nothing (the drag is relative: no jump to the pointer).
    ParamWriter::new(f.params.clone()).set("in_gain", "7").unwrap();
    f.log.0.lock().unwrap().clear();
    harness.run_steps(2);
    let track = input_gain_track(&harness);
    harness.hover_at(Pos2::new(track.left() + 5.0, track.center().y));
    harness.run_steps(1);
    harness.get_by_role_and_label(Role::Slider, "Input Gain").click();
    harness.run_steps(2);
    assert_eq!(f.params.input.gain_db.value(), 7.0);
    assert!(gestures_for(&f.log, "in_gain").is_empty());
}

fn wheel_with(harness: &mut Harness<'static, LacquerEditor>, at: Pos2, notches: f32, modifiers: egui::Modifiers) {
    harness.hover_at(at);
    harness.run_steps(1);
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: Vec2::new(0.0, notches),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers,
    });
    harness.run_steps(1);
}

#[test]
fn wheel_steps_a_slider_one_step_per_notch() {
    let (mut harness, f) = harness();
    harness.run_steps(2);
    let at = input_gain_track(&harness).center();
    // 1 % of the 48 dB range is 0.48 dB, on the parameter's 0.1 dB grid 0.5 dB.
    wheel_with(&mut harness, at, 1.0, egui::Modifiers::NONE);
    assert_eq!(f.params.input.gain_db.value(), 0.5, "one notch up");
    assert_eq!(gestures_for(&f.log, "in_gain").len(), 3, "one short gesture per notch");
    wheel_with(&mut harness, at, -3.0, egui::Modifiers::NONE);
    assert!((f.params.input.gain_db.value() + 1.0).abs() < 1e-5, "three down: {}", f.params.input.gain_db.value());
    assert_eq!(gestures_for(&f.log, "in_gain").len(), 6, "three notches in one frame: one gesture");
    // Fine: a tenth of a step, 0.048 dB, is finer than the parameter's grid: its 0.1 dB step.
    wheel_with(&mut harness, at, 1.0, egui::Modifiers::SHIFT);
    assert!((f.params.input.gain_db.value() + 0.9).abs() < 1e-5, "shift: {}", f.params.input.gain_db.value());
    assert_balanced(&f.log, "in_gain");
}

#[test]
fn tooltips_name_the_parameter_id_and_range() {
    let (mut harness, _f) = harness();
    harness.run_steps(2);
    harness.hover_at(input_gain_track(&harness).center());
    harness.run_steps(6);
    // One tooltip label holds it all: the name, the ID, the range with unit, the default.
    let tip = harness.get_by_label_contains("ID in_gain").rect();
    for part in ["Input Gain\n", "-24.0 dB to 24.0 dB", "default 0.0 dB", "shift/ctrl-drag fine"] {
        assert_eq!(harness.get_by_label_contains(part).rect(), tip, "{part:?} is in the same tooltip");
    }
}

// ---- The assistant's Match page and the reference curves (issue 16) ----

/// The plugin's editor with the assistant: [`harness_at`]'s, plus the Match page fed by a
/// capture of `capture_s` seconds.
fn harness_with_match(
    size: Vec2,
    capture_s: f32,
) -> (Harness<'static, LacquerEditor>, Fixture, Arc<lacquer::assist::learn::Capture>) {
    use lacquer::assist::learn::{Capture, CaptureSlot};
    let params = Arc::new(LacquerParams::default());
    *params.editor_size.lock().unwrap() = lacquer::params::EditorSize { width: size.x, height: size.y, zoom: 1.0 };
    let bus = Arc::new(MeterBus::new());
    let log = Recorder::default();
    std::env::set_var(lacquer::presets::user::DIR_ENV, std::env::temp_dir().join("lacquer-editor-test-presets"));
    let slot = Arc::new(CaptureSlot::default());
    let capture = Capture::new(48_000.0, capture_s);
    slot.set(capture.clone());
    let app = LacquerEditor::new(params.clone(), bus.clone(), Box::new(log.clone()))
        .with_presets(params.clone())
        .with_match_panel(lacquer::editor::match_panel::MatchPanel::new(params.clone(), slot));
    let harness = Harness::builder()
        .with_size(size)
        .with_max_steps(8)
        .build_ui_state(|ui, app: &mut LacquerEditor| app.draw(ui), app);
    (harness, Fixture { params, bus, log }, capture)
}

/// Frames until `done` holds (background work), at most a minute.
fn run_until_state(harness: &mut Harness<'static, LacquerEditor>, done: impl Fn(&mut LacquerEditor) -> bool) {
    let started = std::time::Instant::now();
    while !done(harness.state_mut()) {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "background work did not finish");
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.run_steps(1);
    }
    harness.run_steps(2);
}

#[test]
fn the_match_page_and_the_reference_curves_fit_at_the_default_and_minimum_sizes() {
    use lacquer::assist::learn::LearnState;
    use lacquer::editor::match_overlay;
    let rate = 48_000.0;
    let seconds = 4.0;
    let n = (rate * seconds) as usize;
    // A broadband programme: a few tones over a noise floor (deterministic).
    let mut seed = 7u64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
    };
    let tone = |hz: f32, i: usize| (2.0 * std::f32::consts::PI * hz * i as f32 / rate).sin();
    let mix: Vec<f32> = (0..n)
        .map(|i| 0.05 * noise() + 0.1 * tone(110.0, i) + 0.05 * tone(1500.0, i) + 0.02 * tone(7000.0, i))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&reference, spec).unwrap();
    for (i, v) in mix.iter().enumerate() {
        let brighter = v + 0.03 * tone(9000.0, i);
        w.write_sample(brighter).unwrap();
        w.write_sample(brighter).unwrap();
    }
    w.finalize().unwrap();
    for size in [Vec2::new(1000.0, 640.0), Vec2::new(820.0, 540.0)] {
        let (mut harness, f, capture) = harness_with_match(size, seconds);
        publish_typical(&f.bus);
        write_history(&f.bus, 3.0, 0.25, 3.0, -1.0);
        harness.run_steps(2);
        // The stage pages still fit with the Match toggle in the top bar.
        open_stage(&mut harness, "Limiter");
        assert_fits(&harness, size, &format!("{size:?} Limiter beside the Match toggle"));
        harness.get_by_label("Match").click();
        harness.run_steps(2);
        assert_fits(&harness, size, &format!("{size:?} Match page"));
        // Learn with a target, listening.
        harness.state_mut().preset_bar().unwrap().set_target(Some(-14.0));
        harness.run_steps(2);
        assert_fits(&harness, size, &format!("{size:?} Match page with a target"));
        harness.get_by_label("Learn").click();
        harness.run_steps(2);
        assert_fits(&harness, size, &format!("{size:?} Learn listening"));
        // A reference loaded (its curves over the spectrum), the mix heard (Listen and Learn
        // share the capture: Learn's fill hands the programme to Learn only, so listen after).
        harness.state_mut().match_panel().unwrap().path = reference.display().to_string();
        harness.get_by_label("Load").click();
        for chunk in mix.chunks(512) {
            capture.push(&[chunk, chunk]);
        }
        run_until_state(&mut harness, |app| {
            let panel = app.match_panel().unwrap();
            panel.curves().is_some() && matches!(panel.learn_state(), LearnState::Done(_))
        });
        harness.get_by_label(match_overlay::TOGGLE_LABEL);
        assert_fits(&harness, size, &format!("{size:?} reference loaded, Learn done"));
        // The switch over the spectrum moves nothing: the plots and the panel keep their places.
        let spectrum = harness.get_by_label("Spectrum").rect();
        let history = harness.get_by_label("GR history").rect();
        let layout = *harness.state().layout();
        assert!(
            history.top() >= spectrum.bottom() && layout.controls.top() >= history.bottom(),
            "{size:?}: spectrum {spectrum:?}, history {history:?}, controls {:?}",
            layout.controls
        );
        harness.get_by_label("Listen to mix").click();
        harness.run_steps(2);
        for chunk in mix.chunks(512) {
            capture.push(&[chunk, chunk]);
        }
        run_until_state(&mut harness, |app| app.match_panel().unwrap().fitted().is_some());
        assert_fits(&harness, size, &format!("{size:?} matched"));
        // Back to the stage the panel showed before.
        harness.get_by_label("Match").click();
        harness.run_steps(2);
        let limiter = harness.state().controls().groups.iter().position(|(g, _)| g == "Limiter").unwrap();
        assert_eq!(harness.state().panel().page, lacquer::editor::panel::PanelPage::Stage(limiter));
    }
}
