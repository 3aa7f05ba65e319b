//! The Match panel through the kittest harness (issue 16): the top bar's "Match" opens it, a
//! generated reference file loads and is analysed on a background thread while the audio
//! thread keeps filling the capture without allocating, Apply sends the fitted EQ as host
//! gestures (every begin, then every value, then every end: one change), and the amount
//! scales the gains it sends.

#[path = "common/known_eq.rs"]
mod known_eq;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use egui::Vec2;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use known_eq::{apply, programme, ISSUE_EXAMPLE};
use lacquer::assist::learn::{Capture, CaptureSlot};
use lacquer::editor::controls::{Controls, ParamHandle};
use lacquer::editor::match_panel::MatchPanel;
use lacquer::editor::{DirectEdit, LacquerEditor, ParamEdit};
use lacquer::meter_bus::MeterBus;
use lacquer::params::LacquerParams;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const FS: u32 = 48_000;

#[derive(Debug, Clone, PartialEq)]
enum Gesture {
    Begin(String),
    Set(String, f32),
    End(String),
}

/// Records every gesture, then applies it like a host would.
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

fn write_reference(path: &std::path::Path, channels: &[Vec<f32>]) {
    let spec =
        hound::WavSpec { channels: 2, sample_rate: FS, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for (l, r) in channels[0].iter().zip(&channels[1]) {
        w.write_sample(*l).unwrap();
        w.write_sample(*r).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn load_listen_apply_as_gestures_and_amount_scales_the_gains() {
    let params = Arc::new(LacquerParams::default());
    let log = Recorder::default();
    let slot = Arc::new(CaptureSlot::default());
    let capture = Capture::new(FS as f32, 6.0);
    slot.set(capture.clone());
    let app = LacquerEditor::new(params.clone(), Arc::new(MeterBus::new()), Box::new(log.clone()))
        .with_match_panel(MatchPanel::new(params.clone(), slot));
    let mut harness = Harness::builder()
        .with_size(Vec2::new(1200.0, 800.0))
        .with_max_steps(8)
        .build_ui_state(|ui, app: &mut LacquerEditor| app.draw(ui), app);
    harness.run_steps(2);
    harness.get_by_label("Match").click();
    harness.run_steps(2);

    let dir = tempfile::tempdir().unwrap();
    let mix = programme(6.0, FS as f64, 21);
    let reference = dir.path().join("reference.wav");
    write_reference(&reference, &apply(&mix, FS as f64, &ISSUE_EXAMPLE));
    harness.state_mut().match_panel().unwrap().path = reference.display().to_string();
    harness.get_by_label("Listen to mix").click();
    harness.run_steps(2);
    assert!(capture.is_listening(), "Listen armed the capture");
    harness.get_by_label("Load").click();
    harness.run_steps(1);
    // The audio thread plays the mix while the reference loads: no allocation there.
    for (l, r) in mix[0].chunks(512).zip(mix[1].chunks(512)) {
        assert_no_alloc(|| capture.push(&[l, r]));
    }
    let started = Instant::now();
    while harness.state_mut().match_panel().unwrap().fitted().is_none() {
        let panel = harness.state_mut().match_panel().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no fit: {:?}, capture {}",
            panel.message(),
            capture.progress()
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
    let fitted = harness.state_mut().match_panel().unwrap().fitted().unwrap().eq;
    assert!(fitted.low_shelf.enabled && fitted.low_shelf.gain_db > 2.5, "{:?}", fitted.low_shelf);

    log.0.lock().unwrap().clear();
    harness.get_by_label("Apply").click();
    harness.run_steps(2);
    let gestures = log.0.lock().unwrap().clone();
    let first_set = gestures.iter().position(|g| matches!(g, Gesture::Set(..))).expect("values sent");
    let last_begin = gestures.iter().rposition(|g| matches!(g, Gesture::Begin(_))).unwrap();
    let first_end = gestures.iter().position(|g| matches!(g, Gesture::End(_))).unwrap();
    assert!(
        last_begin < first_set && gestures[first_set..first_end].iter().all(|g| matches!(g, Gesture::Set(..))),
        "{gestures:?}"
    );
    for id in ["eq_ls_on", "eq_ls_gain", "eq_ls_freq", "eq_hs_gain", "eq1_on", "st_width"] {
        assert!(
            gestures.contains(&Gesture::Begin(id.into())) && gestures.contains(&Gesture::End(id.into())),
            "{id}: {gestures:?}"
        );
    }
    let full = params.eq.low_shelf.gain_db.value();
    assert!(params.eq.low_shelf.enabled.value() && (full - fitted.low_shelf.gain_db).abs() < 0.05, "{full}");

    harness.state_mut().match_panel().unwrap().amount_pct = 50.0;
    harness.get_by_label("Apply").click();
    harness.run_steps(2);
    let half = params.eq.low_shelf.gain_db.value();
    assert!((half - 0.5 * full).abs() < 0.05, "{half} dB at 50 % for {full} dB at 100 %");
    let hs = params.eq.high_shelf.gain_db.value();
    assert!((hs - 0.5 * fitted.high_shelf.gain_db).abs() < 0.05 || !fitted.high_shelf.enabled, "{hs}");
}

#[test]
fn a_silent_reference_is_refused_in_the_panel() {
    let params = Arc::new(LacquerParams::default());
    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silent.wav");
    write_reference(&silent, &[vec![0.0; FS as usize * 2], vec![0.0; FS as usize * 2]]);
    let mut panel = MatchPanel::new(params.clone(), Arc::new(CaptureSlot::default()));
    panel.path = silent.display().to_string();
    let controls = Controls::new(params);
    let mut harness = Harness::builder()
        .with_size(Vec2::new(600.0, 500.0))
        .build_ui_state(move |ui, panel: &mut MatchPanel| panel.show(ui, &controls, &DirectEdit, None), panel);
    harness.run_steps(1);
    harness.get_by_label("Load").click();
    let started = Instant::now();
    while !harness.state().message().unwrap_or_default().contains("silent") {
        assert!(started.elapsed() < Duration::from_secs(30), "no refusal: {:?}", harness.state().message());
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
    assert!(harness.state().fitted().is_none());
}
