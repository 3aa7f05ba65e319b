//! The Match panel: load a reference (typed path; decoded and analysed on a background thread),
//! listen to the playing mix (the Learn capture, analysed on a background thread), see both
//! balances, and Apply the fitted EQ and width through host gestures, scaled by the amount.
//! Learn: listen, search the drive on a background thread, show the predicted loudness, and
//! change the drive only on Accept. Nothing here runs on the audio thread.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;
use egui::{Color32, RichText, Sense, Stroke, Ui, Vec2};

use super::controls::Controls;
use super::ParamEdit;
use crate::assist::analysis::Analysis;
use crate::assist::learn::{CaptureSlot, LearnState, Learner};
use crate::assist::matching::{match_reference, MatchOptions, MatchResult};
use crate::assist::reference::load_reference;
use crate::dsp::eq::EqBandSettings;
use crate::params::LacquerParams;

/// A background job's progress and result.
struct Job<T> {
    progress: Arc<AtomicF32>,
    result: Arc<Mutex<Option<Result<T, String>>>>,
}

impl<T: Send + 'static> Job<T> {
    fn spawn(work: impl FnOnce(&dyn Fn(f32)) -> Result<T, String> + Send + 'static) -> Self {
        let (progress, result) = (Arc::new(AtomicF32::new(0.0)), Arc::new(Mutex::new(None)));
        let (p, r) = (progress.clone(), result.clone());
        std::thread::spawn(move || {
            let out = work(&|v| p.store(v, Ordering::Relaxed));
            *r.lock().unwrap_or_else(|e| e.into_inner()) = Some(out);
        });
        Job { progress, result }
    }

    fn take(&self) -> Option<Result<T, String>> {
        self.result.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

pub struct MatchPanel {
    params: Arc<LacquerParams>,
    slot: Arc<CaptureSlot>,
    /// The typed reference path.
    pub path: String,
    /// 0..=100: how much of the fitted gains and width change Apply sends.
    pub amount_pct: f32,
    reference: Option<Analysis>,
    reference_job: Option<Job<Analysis>>,
    mix: Option<Analysis>,
    mix_job: Option<Job<Analysis>>,
    /// The capture is listening for Match (not for Learn).
    listening_for_match: bool,
    fitted: Option<MatchResult>,
    learner: Option<Learner>,
    learn_state: LearnState,
    message: Option<(String, bool)>,
}

impl MatchPanel {
    pub fn new(params: Arc<LacquerParams>, slot: Arc<CaptureSlot>) -> Self {
        MatchPanel {
            params,
            slot,
            path: String::new(),
            amount_pct: 100.0,
            reference: None,
            reference_job: None,
            mix: None,
            mix_job: None,
            listening_for_match: false,
            fitted: None,
            learner: None,
            learn_state: LearnState::Idle,
            message: None,
        }
    }

    /// The fit, once both balances are known (100 %: the amount scales it at Apply).
    pub fn fitted(&self) -> Option<&MatchResult> {
        self.fitted.as_ref()
    }

    /// The last message (reference loaded, refusal, applied).
    pub fn message(&self) -> Option<String> {
        self.message.as_ref().map(|(m, _)| m.clone())
    }

    pub fn learn_state(&self) -> &LearnState {
        &self.learn_state
    }

    /// Polls the background work; call once per frame.
    fn poll(&mut self) {
        if let Some(result) = self.reference_job.as_ref().and_then(Job::take) {
            self.reference_job = None;
            match result {
                Ok(a) => {
                    self.message =
                        Some((format!("reference: {:.1} LUFS", a.integrated_lufs.unwrap_or(f64::NAN)), false));
                    self.reference = Some(a);
                }
                Err(e) => self.message = Some((e, true)),
            }
            self.refit();
        }
        if let Some(result) = self.mix_job.as_ref().and_then(Job::take) {
            self.mix_job = None;
            match result {
                Ok(a) => self.mix = Some(a),
                Err(e) => self.message = Some((e, true)),
            }
            self.refit();
        }
        if self.listening_for_match {
            if let Some(programme) = self.slot.get().and_then(|c| c.take().map(|p| (p, c.sample_rate()))) {
                self.listening_for_match = false;
                let ([l, r], rate) = programme;
                self.mix_job = Some(Job::spawn(move |progress| {
                    let a = crate::assist::analyse(&[&l, &r], rate);
                    progress(1.0);
                    match a.integrated_lufs {
                        Some(_) => Ok(a),
                        None => Err("nothing was playing while Match listened".to_string()),
                    }
                }));
            }
        }
        if let Some(learner) = &mut self.learner {
            self.learn_state = learner.poll();
        }
    }

    fn refit(&mut self) {
        self.fitted = match (&self.mix, &self.reference) {
            (Some(mix), Some(reference)) => {
                let s = self.params.settings();
                Some(match_reference(mix, reference, &s.eq, &s.stereo, &MatchOptions::default()))
            }
            _ => None,
        };
    }

    /// Starts decoding and analysing the typed reference on a background thread.
    pub fn load(&mut self) {
        let path = PathBuf::from(self.path.trim());
        self.message = None;
        self.reference_job = Some(Job::spawn(move |progress| load_reference(&path, progress)));
    }

    /// Starts listening to the playing mix for Match.
    pub fn listen(&mut self) {
        match self.slot.get() {
            Some(capture) => {
                capture.arm();
                self.listening_for_match = true;
            }
            None => self.message = Some(("the plugin is not processing audio yet".to_string(), true)),
        }
    }

    /// The values Apply sends: (parameter ID, plain value), gains and the width change scaled by
    /// the amount.
    pub fn values(&self) -> Vec<(String, f32)> {
        let Some(fit) = &self.fitted else { return Vec::new() };
        let amount = (self.amount_pct / 100.0).clamp(0.0, 1.0);
        let bands: [(&str, &EqBandSettings); 6] = [
            ("eq_ls", &fit.eq.low_shelf),
            ("eq1", &fit.eq.bells[0]),
            ("eq2", &fit.eq.bells[1]),
            ("eq3", &fit.eq.bells[2]),
            ("eq4", &fit.eq.bells[3]),
            ("eq_hs", &fit.eq.high_shelf),
        ];
        let mut out = Vec::new();
        for (prefix, b) in bands {
            let on = b.enabled && amount > 0.0;
            out.push((format!("{prefix}_on"), if on { 1.0 } else { 0.0 }));
            if on {
                out.push((format!("{prefix}_freq"), b.freq_hz));
                out.push((format!("{prefix}_gain"), b.gain_db * amount));
                out.push((format!("{prefix}_q"), b.q));
                out.push((format!("{prefix}_mode"), 0.0));
            }
        }
        let base = self.params.settings().stereo.width_pct.max(1e-3);
        out.push(("st_width".to_string(), base * (fit.stereo.width_pct / base).powf(amount)));
        out
    }

    /// Sends `values` as one change: every gesture begins, then every value, then every end
    /// (hosts that group overlapping gestures record one undo step).
    fn send(values: &[(String, f32)], controls: &Controls, edit: &dyn ParamEdit) {
        let handles: Vec<_> =
            values.iter().filter_map(|(id, plain)| controls.find(id).map(|p| (p, p.normalized_for(*plain)))).collect();
        for (p, _) in &handles {
            edit.begin_set(p);
        }
        for (p, n) in &handles {
            edit.set_normalized(p, *n);
        }
        for (p, _) in &handles {
            edit.end_set(p);
        }
    }

    pub fn apply(&self, controls: &Controls, edit: &dyn ParamEdit) {
        Self::send(&self.values(), controls, edit);
    }

    /// The panel. `target_lufs` is the loudness panel's target (Learn aims at it).
    pub fn show(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit, target_lufs: Option<f32>) {
        self.poll();
        ui.heading("Match a reference");
        ui.horizontal(|ui| {
            let label = ui.label("Reference file");
            ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(260.0)).labelled_by(label.id);
            if ui.add_enabled(self.reference_job.is_none(), egui::Button::new("Load")).clicked() {
                self.load();
            }
        });
        if let Some(job) = &self.reference_job {
            ui.add(egui::ProgressBar::new(job.progress.load(Ordering::Relaxed)).text("analysing the reference"));
        }
        ui.horizontal(|ui| {
            let learning = !matches!(self.learn_state, LearnState::Idle | LearnState::Done(_) | LearnState::Failed(_));
            let busy = self.listening_for_match || self.mix_job.is_some() || learning;
            if ui.add_enabled(!busy, egui::Button::new("Listen to mix")).clicked() {
                self.listen();
            }
            if self.listening_for_match {
                let p = self.slot.get().map_or(0.0, |c| c.progress());
                ui.add(egui::ProgressBar::new(p).text("listening (play the song)"));
            } else if self.mix.is_some() {
                ui.label("mix analysed");
            }
        });
        self.curves(ui);
        ui.add(egui::Slider::new(&mut self.amount_pct, 0.0..=100.0).suffix(" %").text("Amount"));
        if ui.add_enabled(self.fitted.is_some(), egui::Button::new("Apply")).clicked() {
            self.apply(controls, edit);
            self.message = Some((format!("applied the match at {:.0} %", self.amount_pct), false));
        }
        if let Some((text, error)) = &self.message {
            let colour = if *error { Color32::from_rgb(255, 120, 110) } else { Color32::GRAY };
            ui.label(RichText::new(text).color(colour));
        }
        ui.separator();
        self.learn(ui, controls, edit, target_lufs);
    }

    /// Mix and reference balances (each relative to its own mean, 40 Hz..16 kHz), and the mix with
    /// the fitted EQ.
    fn curves(&self, ui: &mut Ui) {
        let (response, painter) =
            ui.allocate_painter(Vec2::new(ui.available_width().min(420.0), 120.0), Sense::hover());
        let rect = response.rect;
        painter.rect_filled(rect, 2.0, Color32::from_rgb(12, 14, 18));
        let x = |f: f64| rect.left() + ((f / 40.0).log10() / (16_000.0f64 / 40.0).log10()) as f32 * rect.width();
        let y = |db: f64| rect.center().y - (db.clamp(-9.0, 9.0) / 9.0) as f32 * rect.height() * 0.5;
        let curve = |a: &Analysis, extra: Option<&[f64]>| -> Vec<egui::Pos2> {
            let pts: Vec<(f64, f64)> = a
                .centres_hz
                .iter()
                .zip(&a.band_db)
                .filter(|(c, _)| (40.0..=16_000.0).contains(*c))
                .map(|(&c, &d)| (c, d))
                .collect();
            let mean = pts.iter().map(|p| p.1).sum::<f64>() / pts.len().max(1) as f64;
            pts.iter()
                .enumerate()
                .map(|(i, &(c, d))| {
                    egui::pos2(x(c), y(d - mean + extra.and_then(|e| e.get(i)).copied().unwrap_or(0.0)))
                })
                .collect()
        };
        if let Some(mix) = &self.mix {
            painter.add(egui::Shape::line(curve(mix, None), Stroke::new(1.5, Color32::from_rgb(208, 138, 46))));
            if let Some(fit) = &self.fitted {
                let amount = self.amount_pct as f64 / 100.0;
                let scaled: Vec<f64> = fit.fitted_db.iter().map(|d| d * amount).collect();
                painter.add(egui::Shape::line(
                    curve(mix, Some(&scaled)),
                    Stroke::new(1.0, Color32::from_rgb(150, 220, 150)),
                ));
            }
        }
        if let Some(reference) = &self.reference {
            painter.add(egui::Shape::line(curve(reference, None), Stroke::new(1.5, Color32::from_rgb(58, 143, 216))));
        }
        ui.label(RichText::new("orange: mix, blue: reference, green: mix with the match").weak());
    }

    fn learn(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit, target_lufs: Option<f32>) {
        ui.heading("Learn the loudness");
        let Some(target) = target_lufs else {
            ui.label(RichText::new("choose a loudness target in the loudness panel to use Learn").weak());
            return;
        };
        let state = self.learn_state.clone();
        match state {
            LearnState::Idle | LearnState::Failed(_) => {
                if let LearnState::Failed(e) = &state {
                    ui.label(RichText::new(e).color(Color32::from_rgb(255, 120, 110)));
                }
                if ui.add_enabled(!self.listening_for_match, egui::Button::new("Learn")).clicked() {
                    match self.slot.get() {
                        Some(capture) => {
                            let mut learner = Learner::new(capture);
                            learner.start(self.params.settings(), target as f64);
                            self.learn_state = learner.poll();
                            self.learner = Some(learner);
                        }
                        None => self.message = Some(("the plugin is not processing audio yet".to_string(), true)),
                    }
                }
            }
            LearnState::Listening(p) => {
                ui.add(egui::ProgressBar::new(p).text(format!("listening for {target:.0} LUFS (play the song)")));
                if ui.button("Cancel").clicked() {
                    self.cancel_learn();
                }
            }
            LearnState::Searching(p) => {
                ui.add(egui::ProgressBar::new(p).text("finding the drive"));
            }
            LearnState::Done(r) => {
                let what = if r.output_gain_db < 0.0 {
                    format!("trim {:.1} dB", r.output_gain_db)
                } else {
                    format!("drive {:.1} dB", r.drive_db)
                };
                ui.label(format!(
                    "{what}: predicted {:.1} LUFS for a {:.1} LUFS target",
                    r.predicted_lufs, r.target_lufs
                ));
                ui.horizontal(|ui| {
                    if ui.button("Accept").clicked() {
                        Self::send(
                            &[("lim_drive".to_string(), r.drive_db), ("out_gain".to_string(), r.output_gain_db)],
                            controls,
                            edit,
                        );
                        self.cancel_learn();
                    }
                    if ui.button("Discard").clicked() {
                        self.cancel_learn();
                    }
                });
            }
        }
    }

    fn cancel_learn(&mut self) {
        if let Some(learner) = &mut self.learner {
            learner.cancel();
        }
        self.learner = None;
        self.learn_state = LearnState::Idle;
    }
}
