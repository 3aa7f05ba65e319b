//! The Match page of the controls panel: load a reference (typed path; decoded and analysed on a
//! background thread), listen to the playing mix (the Learn capture, analysed on a background
//! thread), and Apply the fitted EQ and width through host gestures, scaled by the amount; the
//! balances are drawn over the main spectrum (`match_overlay`). Learn: listen, search the drive
//! on a background thread, show the predicted loudness, and change the drive only on Accept.
//! Nothing here runs on the audio thread.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;
use egui::{Color32, RichText, Ui};

use super::controls::Controls;
use super::match_overlay::Curves;
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

    /// Polls the background work: the editor calls it every frame, whichever page is open, so
    /// a reference loaded before switching to a stage still reaches the spectrum.
    pub fn poll(&mut self) {
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

    /// Forgets the reference (and the fit); the curves leave the spectrum.
    pub fn clear_reference(&mut self) {
        self.reference = None;
        self.reference_job = None;
        self.message = None;
        self.refit();
    }

    /// The curves for the spectrum overlay, while a reference is loaded.
    pub fn curves(&self) -> Option<Curves<'_>> {
        let amount = (self.amount_pct as f64 / 100.0).clamp(0.0, 1.0);
        Some(Curves {
            reference: self.reference.as_ref()?,
            mix: self.mix.as_ref(),
            matched_db: self.fitted.as_ref().map(|f| f.fitted_db.iter().map(|d| d * amount).collect()),
        })
    }

    /// The page: Match on the left, Learn on the right. `target_lufs` is the loudness panel's
    /// target (Learn aims at it).
    pub fn show(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit, target_lufs: Option<f32>) {
        self.poll();
        ui.columns(2, |columns| {
            if let [left, right] = columns {
                // Columns justify their contents; buttons keep their own width here.
                let layout = egui::Layout::top_down(egui::Align::Min);
                left.with_layout(layout, |ui| self.match_column(ui, controls, edit));
                right.with_layout(layout, |ui| self.learn(ui, controls, edit, target_lufs));
            }
        });
    }

    fn match_column(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit) {
        ui.label(RichText::new("Match a reference").strong());
        ui.horizontal(|ui| {
            let label = ui.label("File");
            let width = (ui.available_width() - 96.0).max(60.0);
            ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(width)).labelled_by(label.id);
            if ui.add_enabled(self.reference_job.is_none(), egui::Button::new("Load")).clicked() {
                self.load();
            }
            if ui.add_enabled(self.reference.is_some(), egui::Button::new("Clear")).clicked() {
                self.clear_reference();
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
                ui.add(egui::ProgressBar::new(p).text("play the song"));
            } else if let Some(job) = &self.mix_job {
                ui.add(egui::ProgressBar::new(job.progress.load(Ordering::Relaxed)).text("analysing the mix"));
            } else if self.mix.is_some() {
                ui.label("mix analysed");
            }
        });
        ui.add(egui::Slider::new(&mut self.amount_pct, 0.0..=100.0).suffix(" %").text("Amount"));
        if ui.add_enabled(self.fitted.is_some(), egui::Button::new("Apply")).clicked() {
            self.apply(controls, edit);
            self.message = Some((format!("applied the match at {:.0} %", self.amount_pct), false));
        }
        if let Some((text, error)) = &self.message {
            let colour = if *error { Color32::from_rgb(255, 120, 110) } else { Color32::GRAY };
            // The column is narrow: a long refusal is cut with its whole text in the tooltip.
            ui.add(egui::Label::new(RichText::new(text).color(colour)).truncate());
        }
    }

    fn learn(&mut self, ui: &mut Ui, controls: &Controls, edit: &dyn ParamEdit, target_lufs: Option<f32>) {
        ui.label(RichText::new("Learn the loudness").strong());
        let Some(target) = target_lufs else {
            ui.label(RichText::new("pick a loudness target first").weak())
                .on_hover_text("Learn aims at the target chosen in the loudness panel");
            return;
        };
        let seconds = self.slot.get().map_or(crate::assist::learn::DEFAULT_LEARN_SECONDS, |c| {
            c.capacity_frames() as f32 / c.sample_rate().max(1.0)
        });
        let state = self.learn_state.clone();
        match state {
            LearnState::Idle | LearnState::Failed(_) => {
                if let LearnState::Failed(e) = &state {
                    ui.add(egui::Label::new(RichText::new(e).color(Color32::from_rgb(255, 120, 110))).truncate());
                }
                ui.label(format!("target {target:.0} LUFS, listens {seconds:.0} s"));
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
                ui.label(format!("target {target:.0} LUFS: play the song"));
                let heard = format!("listening {:.0} / {seconds:.0} s", p * seconds);
                ui.add(egui::ProgressBar::new(p).text(heard));
                if ui.button("Cancel").clicked() {
                    self.cancel_learn();
                }
            }
            LearnState::Searching(p) => {
                ui.label(format!("target {target:.0} LUFS"));
                ui.add(egui::ProgressBar::new(p).text("finding the drive"));
            }
            LearnState::Done(r) => {
                let what = if r.output_gain_db < 0.0 {
                    format!("trim {:.1} dB", r.output_gain_db)
                } else {
                    format!("drive {:+.1} dB", r.drive_db)
                };
                ui.label(what);
                ui.label(format!("predicted {:.1} LUFS (target {:.0})", r.predicted_lufs, r.target_lufs))
                    .on_hover_text("the chain's output over what Learn heard, measured with these settings");
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
