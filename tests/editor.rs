//! Headless editor tests (egui_kittest, no GPU): widgets are reachable by their accessible labels,
//! dragging a control changes its parameter through the setter with a begin/set/end gesture, the
//! analyser finds a 1 kHz sine where it is and draws what it computed, and the meters show what
//! the bus holds.

use std::sync::{Arc, Mutex};

use egui::accesskit::Role;
use egui::epaint::ColorMode;
use egui::{Pos2, Shape, Vec2};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use lacquer::chain::{ChainMeters, LoudnessReadings};
use lacquer::editor::controls::ParamHandle;
use lacquer::editor::spectrum::{self, Analyzer};
use lacquer::editor::{DirectEdit, LacquerEditor, ParamEdit};
use lacquer::meter_bus::MeterBus;
use lacquer::params::LacquerParams;
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
    let params = Arc::new(LacquerParams::default());
    let bus = Arc::new(MeterBus::new());
    let log = Recorder::default();
    let app = LacquerEditor::new(params.clone(), bus.clone(), Box::new(log.clone()));
    let harness = Harness::builder()
        .with_size(Vec2::new(1000.0, 640.0))
        .with_max_steps(8)
        .build_ui_state(|ui, app: &mut LacquerEditor| app.draw(ui), app);
    (harness, Fixture { params, bus, log })
}

fn sine(freq_hz: f32, amplitude: f32, rate: f32, n: usize) -> Vec<f32> {
    (0..n).map(|i| amplitude * (2.0 * std::f32::consts::PI * freq_hz * i as f32 / rate).sin()).collect()
}

#[test]
fn widgets_have_accessible_labels() {
    let (mut harness, _f) = harness();
    harness.run_steps(2);
    for label in ["Spectrum", "Bypass", "Ceiling", "Drive", "Release", "Input Gain", "Output Gain", "Oversampling"] {
        assert!(!harness.query_all_by_label(label).collect::<Vec<_>>().is_empty(), "no widget labelled {label}");
    }
    for label in ["Limiter", "Input", "Output", "Reset loudness", "GR history", "In clip", "Out clip"] {
        harness.get_by_label(label);
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

#[test]
fn meters_show_the_values_on_the_bus() {
    let (mut harness, f) = harness();
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
    f.bus.publish(&ChainMeters {
        input_peak: [0.5, 0.25],
        output_peak: [1.2, 0.125],
        limiter_gain_reduction_db: -4.2,
        limiter_max_gain_reduction_db: -7.9,
        safety_clips: 0,
        compressor_gain_reduction_db: [2.5, 0.0, 6.5],
        stereo_correlation: 0.0,
        input_loudness: loud_in,
        output_loudness: loud_out,
    });
    harness.run_steps(1);
    for text in [
        "In L peak -6.0",
        "In R peak -12.0",
        "Out L peak 1.6",
        "Out R peak -18.1",
        "In L TP -2.2",
        "Out R TP -1.7",
        "-11.3 LUFS",
        "-12.4 LUFS",
        "-13.5 LUFS",
        "6.7 LU",
        "-0.4 dBTP",
        "+0.87",
        "-8.1 LUFS",
        "-9.2 LUFS",
        "-10.3 LUFS",
        "4.4 LU",
        "-1.1 dBTP",
        "-0.25",
        "GR 4.2 dB (max 7.9 dB)",
        "B1 2.5",
        "B3 6.5",
    ] {
        harness.get_by_label(text);
    }
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

#[test]
fn default_size_fits_without_cut_off_labels() {
    let (mut harness, _f) = harness();
    harness.run_steps(2);
    let screen = egui::Rect::from_min_size(Pos2::ZERO, Vec2::new(1000.0, 640.0));
    for label in ["LACQUER", "Zoom", "Loudness (EBU R128)", "Reset loudness", "Limiter gain reduction"] {
        let r = harness.get_by_label(label).rect();
        assert!(screen.contains_rect(r), "{label} at {r:?} is outside the window");
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
