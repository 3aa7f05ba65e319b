//! The Match page through the kittest harness (issue 16): the top bar's "Match" opens it in the
//! controls panel, a generated reference file loads and is analysed on a background thread
//! while the audio thread keeps filling the capture without allocating, Apply sends the fitted
//! EQ as host gestures (every begin, then every value, then every end: one change), and the
//! amount scales the gains it sends. The reference's curves over the main spectrum appear with
//! the reference, level-aligned and shaped as an independent FFT measurement says, and leave
//! with it. Learn, clicked in the GUI and fed through the capture's audio-thread API, changes
//! nothing until Accept, then sets the drive through gestures to a loudness the `ebur128` crate
//! confirms; Discard changes nothing.

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
use lacquer::editor::match_overlay::{self, MatchOverlay};
use lacquer::editor::match_panel::MatchPanel;
use lacquer::editor::panel::PanelPage;
use lacquer::editor::spectrum::{self, hz_to_x};
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
    // The page opens inside the controls panel, not in a window of its own.
    assert_eq!(harness.state().panel().page, PanelPage::Match);
    let controls_rect = harness.state().layout().controls;
    for label in ["Load", "Listen to mix", "Apply"] {
        let r = harness.get_by_label(label).rect();
        assert!(controls_rect.contains_rect(r), "{label} at {r:?} outside the controls panel {controls_rect:?}");
    }

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

// ---- The reference curves over the main spectrum ----

/// Every painted path of one solid colour.
fn painted_paths(harness: &Harness<'static, LacquerEditor>, color: egui::Color32) -> Vec<Vec<egui::Pos2>> {
    let mut found = Vec::new();
    let mut stack: Vec<egui::Shape> = harness.output().shapes.iter().map(|c| c.shape.clone()).collect();
    while let Some(shape) = stack.pop() {
        match shape {
            egui::Shape::Vec(v) => stack.extend(v),
            egui::Shape::Path(path) if matches!(path.stroke.color, egui::epaint::ColorMode::Solid(c) if c == color) => {
                found.push(path.points)
            }
            _ => {}
        }
    }
    found
}

/// Every painted text.
fn painted_texts(harness: &Harness<'static, LacquerEditor>) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack: Vec<egui::Shape> = harness.output().shapes.iter().map(|c| c.shape.clone()).collect();
    while let Some(shape) = stack.pop() {
        match shape {
            egui::Shape::Vec(v) => stack.extend(v),
            egui::Shape::Text(t) => found.push(t.galley.job.text.clone()),
            _ => {}
        }
    }
    found
}

/// The analyser level (dB) at height `y` of its `rect` (the inverse of its scale).
fn y_to_db(y: f32, rect: egui::Rect) -> f32 {
    spectrum::TOP_DB - (y - rect.top()) / rect.height() * (spectrum::TOP_DB - spectrum::BOTTOM_DB)
}

/// The one path drawn in `color`, as (x, dB) pairs.
fn curve_db(harness: &Harness<'static, LacquerEditor>, color: egui::Color32) -> Vec<(f32, f32)> {
    let rect = harness.get_by_label("Spectrum").rect();
    let paths = painted_paths(harness, color);
    assert_eq!(paths.len(), 1, "one {color:?} curve expected, found {}", paths.len());
    paths[0].iter().map(|p| (p.x, y_to_db(p.y, rect))).collect()
}

fn editor_with_match(
    params: &Arc<LacquerParams>,
    log: &Recorder,
    capture: &Arc<Capture>,
    size: Vec2,
) -> Harness<'static, LacquerEditor> {
    let slot = Arc::new(CaptureSlot::default());
    slot.set(capture.clone());
    let app = LacquerEditor::new(params.clone(), Arc::new(MeterBus::new()), Box::new(log.clone()))
        .with_match_panel(MatchPanel::new(params.clone(), slot));
    let mut harness = Harness::builder()
        .with_size(size)
        .with_max_steps(8)
        .build_ui_state(|ui, app: &mut LacquerEditor| app.draw(ui), app);
    harness.run_steps(2);
    harness.get_by_label("Match").click();
    harness.run_steps(2);
    harness
}

/// Runs frames until `done` holds (background work), at most `limit`.
fn run_until(
    harness: &mut Harness<'static, LacquerEditor>,
    limit: Duration,
    done: impl Fn(&mut LacquerEditor) -> bool,
) {
    let started = Instant::now();
    while !done(harness.state_mut()) {
        let message = harness.state_mut().match_panel().unwrap().message();
        assert!(started.elapsed() < limit, "timed out; panel says {message:?}");
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
}

#[test]
fn reference_curves_over_the_spectrum_follow_the_reference_and_leave_with_it() {
    let params = Arc::new(LacquerParams::default());
    let log = Recorder::default();
    let capture = Capture::new(FS as f32, 6.0);
    let mut harness = editor_with_match(&params, &log, &capture, Vec2::new(1000.0, 640.0));
    assert!(harness.query_by_label(match_overlay::TOGGLE_LABEL).is_none(), "no switch without a reference");
    assert!(painted_paths(&harness, match_overlay::REFERENCE_COLOR).is_empty());

    let dir = tempfile::tempdir().unwrap();
    let mix = programme(6.0, FS as f64, 33);
    let reference_audio = apply(&mix, FS as f64, &ISSUE_EXAMPLE);
    let reference = dir.path().join("reference.wav");
    write_reference(&reference, &reference_audio);
    harness.state_mut().match_panel().unwrap().path = reference.display().to_string();
    harness.get_by_label("Load").click();
    harness.run_steps(1);
    // The curves arrive whichever page is open: switch to a stage while the reference loads.
    harness.get_by_role_and_label(egui::accesskit::Role::Tab, "Limiter").click();
    harness.run_steps(1);
    run_until(&mut harness, Duration::from_secs(60), |app| app.match_panel().unwrap().curves().is_some());
    harness.run_steps(1);
    harness.get_by_label(match_overlay::TOGGLE_LABEL);
    harness.get_by_label("Match").click();
    harness.run_steps(2);
    assert_eq!(harness.state().panel().page, PanelPage::Match);
    // The reference alone: its curve, its legend and the switch (whose tooltip explains the
    // alignment).
    harness.get_by_label(match_overlay::TOGGLE_LABEL);
    assert!(painted_texts(&harness).contains(&"reference".to_string()));
    let spectrum_rect = harness.get_by_label("Spectrum").rect();
    let reference_curve = curve_db(&harness, match_overlay::REFERENCE_COLOR);
    // One point per 1/3-octave band from 50 Hz to 16 kHz (IEC 61260 base-10 centres), at the
    // analyser's own frequency scale.
    let centres: Vec<f64> = (-13..=12).map(|k| 1000.0 * 10f64.powf(k as f64 / 10.0)).collect();
    assert_eq!(reference_curve.len(), centres.len());
    for ((x, _), c) in reference_curve.iter().zip(&centres) {
        assert!((x - hz_to_x(*c as f32, spectrum_rect)).abs() < 0.01, "{c} Hz drawn at x {x}");
    }

    // Match listens to the mix: the mix's curve and the matched one join.
    harness.get_by_label("Listen to mix").click();
    harness.run_steps(2);
    for (l, r) in mix[0].chunks(512).zip(mix[1].chunks(512)) {
        capture.push(&[l, r]);
    }
    run_until(&mut harness, Duration::from_secs(60), |app| app.match_panel().unwrap().fitted().is_some());
    harness.run_steps(1);
    let texts = painted_texts(&harness);
    for legend in ["reference", "mix", "mix + match"] {
        assert!(texts.contains(&legend.to_string()), "legend {legend:?} missing");
    }
    let reference_curve = curve_db(&harness, match_overlay::REFERENCE_COLOR);
    let mix_curve = curve_db(&harness, match_overlay::MIX_COLOR);
    let matched_curve = curve_db(&harness, match_overlay::MATCHED_COLOR);
    // Level alignment: each curve's mean sits at the same level, the overlay's anchor (with a
    // silent bus, its default).
    let anchor = harness.state().overlay().anchor_db();
    assert_eq!(anchor, match_overlay::DEFAULT_ANCHOR_DB);
    let mean = |c: &[(f32, f32)]| c.iter().map(|p| p.1).sum::<f32>() / c.len() as f32;
    for (name, c) in [("reference", &reference_curve), ("mix", &mix_curve)] {
        assert!((mean(c) - anchor).abs() < 0.01, "{name} curve's mean {} dB, anchor {anchor} dB", mean(c));
    }
    // Shape: reference minus mix, relative to the 1 kHz band, is what an independent whole-file
    // FFT measurement of the two signals says (known_eq::third_octaves, 50 Hz..12.5 kHz).
    let measured: Vec<f64> = known_eq::third_octaves(&reference_audio, FS as f64)
        .iter()
        .zip(&known_eq::third_octaves(&mix, FS as f64))
        .map(|(a, b)| a - b)
        .collect();
    let goal = known_eq::goal_centres();
    let at = |c: f64| centres.iter().position(|x| (x / c - 1.0).abs() < 1e-6).unwrap();
    let k1 = goal.iter().position(|c| (c / 1000.0 - 1.0).abs() < 1e-6).unwrap();
    let drawn = |i: usize| (reference_curve[i].1 - mix_curve[i].1) as f64;
    let mut worst = 0.0f64;
    for (g, c) in goal.iter().enumerate() {
        let want = measured[g] - measured[k1];
        let got = drawn(at(*c)) - drawn(at(1000.0));
        assert!((got - want).abs() < 0.3, "{c:.0} Hz: drawn {got:.2} dB, measured {want:.2} dB");
        worst = worst.max((got - want).abs());
    }
    // The matched curve lands on the reference within the issue's 1 dB from 50 Hz to 14 kHz.
    let mut worst_matched = 0.0f32;
    for (i, c) in centres.iter().enumerate().filter(|(_, c)| **c <= 12_600.0) {
        let off = matched_curve[i].1 - reference_curve[i].1;
        assert!(off.abs() <= 1.0, "{c:.0} Hz: mix + match is {off:.2} dB off the reference");
        worst_matched = worst_matched.max(off.abs());
    }
    println!(
        "drawn shape vs FFT measurement: worst {worst:.3} dB; mix + match vs reference: worst {worst_matched:.3} dB"
    );

    // The switch's tooltip explains the alignment.
    harness.get_by_label(match_overlay::TOGGLE_LABEL).hover();
    harness.run_steps(60);
    assert!(painted_texts(&harness).iter().any(|t| t == match_overlay::ALIGNMENT_NOTE), "no alignment tooltip");
    // The switch hides and shows the curves.
    harness.get_by_label(match_overlay::TOGGLE_LABEL).click();
    harness.run_steps(2);
    assert!(painted_paths(&harness, match_overlay::REFERENCE_COLOR).is_empty(), "hidden");
    assert!(!painted_texts(&harness).contains(&"reference".to_string()));
    harness.get_by_label(match_overlay::TOGGLE_LABEL).click();
    harness.run_steps(2);
    assert_eq!(painted_paths(&harness, match_overlay::REFERENCE_COLOR).len(), 1, "shown again");

    // Clear: the reference, its curves, legend and switch go.
    harness.get_by_label("Clear").click();
    harness.run_steps(2);
    assert!(harness.query_by_label(match_overlay::TOGGLE_LABEL).is_none(), "switch left after Clear");
    let texts = painted_texts(&harness);
    assert!(!texts.iter().any(|t| t == "reference" || t == "mix + match"), "legend left: {texts:?}");
    for color in [match_overlay::REFERENCE_COLOR, match_overlay::MIX_COLOR, match_overlay::MATCHED_COLOR] {
        assert!(painted_paths(&harness, color).is_empty(), "{color:?} curve left after Clear");
    }
    assert!(harness.state_mut().match_panel().unwrap().fitted().is_none());
    assert!(log.0.lock().unwrap().is_empty(), "showing curves changed parameters");
}

#[test]
fn the_overlay_anchor_follows_the_live_mean_and_holds_through_silence() {
    let mut overlay = MatchOverlay::new();
    let live = vec![-20.0f32; spectrum::POINTS];
    // One time constant: 1 - 1/e of the way (63.2 %).
    for _ in 0..100 {
        overlay.update(&live, match_overlay::ANCHOR_TAU_S / 100.0);
    }
    let expected =
        match_overlay::DEFAULT_ANCHOR_DB + (-20.0 - match_overlay::DEFAULT_ANCHOR_DB) * (1.0 - (-1.0f32).exp());
    assert!((overlay.anchor_db() - expected).abs() < 0.01, "{} vs {expected}", overlay.anchor_db());
    let held = overlay.anchor_db();
    overlay.update(&vec![-140.0; spectrum::POINTS], 1.0);
    assert_eq!(overlay.anchor_db(), held, "silence moves nothing");
}

// ---- Learn driven through the GUI ----

/// Every parameter the editor shows, by ID, as a normalized value.
fn snapshot(harness: &Harness<'static, LacquerEditor>) -> Vec<(String, f32)> {
    let controls = harness.state().controls();
    controls
        .globals
        .iter()
        .chain(controls.groups.iter().flat_map(|(_, list)| list.iter()))
        .map(|p| (p.id.clone(), p.normalized()))
        .collect()
}

/// The accessible labels of every node that starts with `prefix`.
fn labels_starting(harness: &Harness<'static, LacquerEditor>, prefix: &str) -> Vec<String> {
    use egui_kittest::kittest::NodeT;
    harness
        .query_all(egui_kittest::kittest::By::new())
        .filter_map(|n| n.accesskit_node().label().or(n.accesskit_node().value()).map(|l| l.to_string()))
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// Integrated loudness by the `ebur128` crate.
fn ebur128_lufs(channels: &[Vec<f32>; 2]) -> f64 {
    let mut meter = ebur128::EbuR128::new(2, FS, ebur128::Mode::I).unwrap();
    meter.add_frames_planar_f32(&[&channels[0], &channels[1]]).unwrap();
    meter.loudness_global().unwrap()
}

/// `mix` through the chain with `settings`, latency trimmed and the tail flushed.
fn render(mix: &[Vec<f32>], settings: &lacquer::chain::Settings) -> [Vec<f32>; 2] {
    let mut chain = lacquer::chain::Chain::new(FS as f32, 2);
    chain.set_settings(settings);
    chain.reset();
    let latency = chain.latency_samples();
    let total = mix[0].len() + latency;
    let mut out = [Vec::with_capacity(total), Vec::with_capacity(total)];
    let mut pos = 0;
    while pos < total {
        let n = 512.min(total - pos);
        let mut l: Vec<f32> = (pos..pos + n).map(|i| mix[0].get(i).copied().unwrap_or(0.0)).collect();
        let mut r: Vec<f32> = (pos..pos + n).map(|i| mix[1].get(i).copied().unwrap_or(0.0)).collect();
        chain.process(&mut [&mut l, &mut r]);
        out[0].extend_from_slice(&l);
        out[1].extend_from_slice(&r);
        pos += n;
    }
    out.map(|c| c[latency..].to_vec())
}

/// Clicks Learn and plays `mix` into the capture as the plugin's process() does (blocks of
/// 512 through `Capture::push`, no allocation), drawing frames between blocks, until the
/// result is offered. Checks on the way that listening and searching show their progress and
/// that no parameter moves and no gesture is sent. Returns the predicted loudness read from
/// the page.
fn learn_through_the_gui(
    harness: &mut Harness<'static, LacquerEditor>,
    capture: &Capture,
    mix: &[Vec<f32>],
    log: &Recorder,
) -> f64 {
    let before = snapshot(harness);
    harness.get_by_label("Learn").click();
    harness.run_steps(2);
    assert!(capture.is_listening(), "Learn armed the capture");
    let mut progress_seen = Vec::new();
    for (k, (l, r)) in mix[0].chunks(512).zip(mix[1].chunks(512)).enumerate() {
        assert_no_alloc(|| capture.push(&[l, r]));
        if k % 100 == 0 {
            harness.run_steps(1);
            progress_seen.extend(labels_starting(harness, "listening "));
            assert_eq!(snapshot(harness), before, "a parameter moved while Learn listened");
        }
    }
    assert!(
        progress_seen.iter().any(|l| l.starts_with("listening 3 / 6 s")),
        "listening progress not shown: {progress_seen:?}"
    );
    let started = Instant::now();
    let mut searching_seen = false;
    loop {
        harness.run_steps(1);
        searching_seen |= harness.query_by_label("finding the drive").is_some();
        assert_eq!(snapshot(harness), before, "a parameter moved while Learn searched");
        if harness.query_by_label("Accept").is_some() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no result: {:?}", labels_starting(harness, ""));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(searching_seen, "the search's progress was not shown");
    assert!(log.0.lock().unwrap().is_empty(), "gestures before Accept: {:?}", log.0.lock().unwrap());
    let mut predicted = labels_starting(harness, "predicted ");
    // A label's node and its text run both carry the text.
    predicted.dedup();
    assert_eq!(predicted.len(), 1, "{predicted:?}");
    predicted[0]["predicted ".len()..].split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn learn_in_the_gui_changes_nothing_until_accept_then_sets_the_drive_through_gestures() {
    let params = Arc::new(LacquerParams::default());
    let log = Recorder::default();
    let capture = Capture::new(FS as f32, 6.0);
    let mut harness = editor_with_match(&params, &log, &capture, Vec2::new(1000.0, 640.0));
    // Learn aims at the loudness panel's target: pick -14 LUFS there.
    assert!(!labels_starting(&harness, "pick a loudness target").is_empty(), "Learn without a target");
    harness.get_by_value("no target").click();
    harness.run_steps(2);
    harness.get_by_label("-14 LUFS  streaming").click();
    harness.run_steps(2);
    const TARGET: f64 = -14.0;
    // A quiet mix (about -26 LUFS), so reaching the target takes drive.
    let mix: Vec<Vec<f32>> =
        programme(6.0, FS as f64, 5).into_iter().map(|c| c.iter().map(|v| v * 0.25).collect()).collect();
    let quiet = ebur128_lufs(&[mix[0].clone(), mix[1].clone()]);
    assert!(quiet < TARGET - 6.0, "mix at {quiet:.1} LUFS");

    let predicted = learn_through_the_gui(&mut harness, &capture, &mix, &log);
    assert!((predicted - TARGET).abs() <= 0.5, "predicted {predicted} LUFS");
    let drive_before = params.limiter.drive_db.value();
    harness.get_by_label("Accept").click();
    harness.run_steps(2);
    let gestures = log.0.lock().unwrap().clone();
    for id in ["lim_drive", "out_gain"] {
        let mine: Vec<&Gesture> = gestures
            .iter()
            .filter(|g| matches!(g, Gesture::Begin(i) | Gesture::End(i) | Gesture::Set(i, _) if i == id))
            .collect();
        assert!(matches!(mine[..], [Gesture::Begin(_), Gesture::Set(..), Gesture::End(_)]), "{id}: {gestures:?}");
    }
    let ids: Vec<&str> = gestures
        .iter()
        .map(|g| match g {
            Gesture::Begin(i) | Gesture::End(i) | Gesture::Set(i, _) => i.as_str(),
        })
        .collect();
    assert!(ids.iter().all(|i| *i == "lim_drive" || *i == "out_gain"), "Accept touched {ids:?}");
    let first_set = gestures.iter().position(|g| matches!(g, Gesture::Set(..))).unwrap();
    let last_begin = gestures.iter().rposition(|g| matches!(g, Gesture::Begin(_))).unwrap();
    assert!(last_begin < first_set, "one change: every begin before any value {gestures:?}");
    let drive = params.limiter.drive_db.value();
    assert!(drive > drive_before + 3.0, "drive {drive_before} -> {drive} dB");
    // Independent check: the mix rendered with the accepted settings, measured by ebur128.
    let got = ebur128_lufs(&render(&mix, &params.settings()));
    println!(
        "Learn in the GUI: mix {quiet:.2} LUFS, drive {drive:.2} dB, predicted {predicted:.2}, ebur128 {got:.2} LUFS"
    );
    assert!((got - TARGET).abs() <= 0.5, "{got:.2} LUFS after Accept for a {TARGET} LUFS target");
    harness.get_by_label("Learn");

    // Discard: a second learn (on a louder mix) ends with nothing changed.
    log.0.lock().unwrap().clear();
    let louder: Vec<Vec<f32>> = mix.iter().map(|c| c.iter().map(|v| v * 2.0).collect()).collect();
    let after_accept = snapshot(&harness);
    learn_through_the_gui(&mut harness, &capture, &louder, &log);
    harness.get_by_label("Discard").click();
    harness.run_steps(2);
    assert!(log.0.lock().unwrap().is_empty(), "Discard sent {:?}", log.0.lock().unwrap());
    assert_eq!(snapshot(&harness), after_accept, "Discard changed a parameter");
    harness.get_by_label("Learn");
    assert!(!capture.is_listening());
}
