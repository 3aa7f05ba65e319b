//! The spectrum analyser. Runs on the GUI thread only, and only while the editor paints: it copies
//! the most recent samples out of the meter bus ring, windows them (Hann), transforms them with a
//! real FFT planned once, and turns the bins into a 1/6-octave curve on a log-frequency axis with
//! time ballistics (instant attack, 20 dB/s fall) and a peak hold.

use std::sync::Arc;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::meter_bus::MeterBus;

/// FFT length: 85 ms at 48 kHz, 11.7 Hz bins; a quarter of the bus ring so a copy is never lapped.
pub const FFT_SIZE: usize = 4096;
/// Display points between 20 Hz and 20 kHz (log spaced).
pub const POINTS: usize = 256;
pub const MIN_HZ: f32 = 20.0;
pub const MAX_HZ: f32 = 20_000.0;
/// Vertical range of the plot (dBFS, sine-calibrated).
pub const TOP_DB: f32 = 6.0;
pub const BOTTOM_DB: f32 = -96.0;
/// Floor of the computed curve (below the plot).
const FLOOR_DB: f32 = -140.0;
/// Fall rate of the displayed curve after a peak (ballistics).
pub const FALL_DB_PER_S: f32 = 20.0;
/// Peak hold: seconds a peak is held before it falls at `PEAK_FALL_DB_PER_S`.
const PEAK_HOLD_S: f32 = 2.0;
const PEAK_FALL_DB_PER_S: f32 = 10.0;
/// Equivalent noise bandwidth of the Hann window in bins: dividing band power by it makes a sine
/// read its true peak level whatever its position between bins (no scalloping loss).
const HANN_ENBW_BINS: f32 = 1.5;
/// Half the smoothing bandwidth in octaves (1/6 octave wide).
const HALF_BAND_OCT: f32 = 1.0 / 12.0;

pub const PRE_COLOR: Color32 = Color32::from_rgba_premultiplied(70, 95, 120, 160);
pub const POST_COLOR: Color32 = Color32::from_rgb(120, 210, 255);
pub const PEAK_COLOR: Color32 = Color32::from_rgb(255, 190, 90);

/// One analysed signal (pre or post chain): its smoothed, ballistic and peak-hold curves.
struct Trace {
    /// Raw 1/6-octave level at each display point for the latest frame (dB).
    raw_db: Vec<f32>,
    /// With ballistics applied: what is drawn.
    shown_db: Vec<f32>,
    peak_db: Vec<f32>,
    peak_age_s: Vec<f32>,
}

impl Trace {
    fn new() -> Self {
        Self {
            raw_db: vec![FLOOR_DB; POINTS],
            shown_db: vec![FLOOR_DB; POINTS],
            peak_db: vec![FLOOR_DB; POINTS],
            peak_age_s: vec![0.0; POINTS],
        }
    }

    fn apply_ballistics(&mut self, dt: f32) {
        for i in 0..POINTS {
            let raw = self.raw_db[i];
            let fallen = self.shown_db[i] - FALL_DB_PER_S * dt;
            self.shown_db[i] = raw.max(fallen);
            if self.shown_db[i] >= self.peak_db[i] {
                self.peak_db[i] = self.shown_db[i];
                self.peak_age_s[i] = 0.0;
            } else {
                self.peak_age_s[i] += dt;
                if self.peak_age_s[i] > PEAK_HOLD_S {
                    self.peak_db[i] = (self.peak_db[i] - PEAK_FALL_DB_PER_S * dt).max(self.shown_db[i]);
                }
            }
        }
    }
}

/// The GUI-side analyser. Everything it needs is allocated in `new`, so a frame allocates nothing
/// but egui's own shapes.
pub struct Analyzer {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    time_pre: Vec<f32>,
    time_post: Vec<f32>,
    scratch_in: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    fft_scratch: Vec<Complex<f32>>,
    power: Vec<f32>,
    /// Fractional bin edges of each display point's band, for the sample rate in `rate`.
    band_edges: Vec<(f32, f32)>,
    rate: f32,
    pre: Trace,
    post: Trace,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_SIZE);
        let spectrum = fft.make_output_vec();
        let fft_scratch = fft.make_scratch_vec();
        // Periodic Hann (DFT-even), the usual choice for spectral analysis.
        let window = (0..FFT_SIZE)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / FFT_SIZE as f32).cos())
            .collect();
        Self {
            fft,
            window,
            time_pre: vec![0.0; FFT_SIZE],
            time_post: vec![0.0; FFT_SIZE],
            scratch_in: vec![0.0; FFT_SIZE],
            power: vec![0.0; FFT_SIZE / 2 + 1],
            spectrum,
            fft_scratch,
            band_edges: Vec::with_capacity(POINTS),
            rate: 0.0,
            pre: Trace::new(),
            post: Trace::new(),
        }
    }

    /// Frequency of display point `i` (log spaced from 20 Hz to 20 kHz).
    pub fn point_hz(i: usize) -> f32 {
        MIN_HZ * (MAX_HZ / MIN_HZ).powf(i as f32 / (POINTS - 1) as f32)
    }

    /// Reads the bus and advances the curves by `dt` seconds.
    pub fn update(&mut self, bus: &MeterBus, dt: f32) {
        let rate = bus.sample_rate.load(std::sync::atomic::Ordering::Relaxed).max(1.0);
        if rate != self.rate {
            self.rate = rate;
            self.band_edges.clear();
            let hz_per_bin = rate / FFT_SIZE as f32;
            for i in 0..POINTS {
                let f = Self::point_hz(i);
                let lo = f * (-HALF_BAND_OCT).exp2() / hz_per_bin;
                let hi = f * HALF_BAND_OCT.exp2() / hz_per_bin;
                self.band_edges.push((lo, hi));
            }
        }
        bus.copy_spectrum(&mut self.time_pre, &mut self.time_post);
        let dt = dt.clamp(0.0, 0.25);
        self.transform(true);
        self.pre.apply_ballistics(dt);
        self.transform(false);
        self.post.apply_ballistics(dt);
    }

    /// FFT of one signal, then its 1/6-octave band levels into the trace's `raw_db`.
    fn transform(&mut self, pre: bool) {
        let time = if pre { &self.time_pre } else { &self.time_post };
        for ((s, &x), &w) in self.scratch_in.iter_mut().zip(time).zip(&self.window) {
            *s = if x.is_finite() { x * w } else { 0.0 };
        }
        if self.fft.process_with_scratch(&mut self.scratch_in, &mut self.spectrum, &mut self.fft_scratch).is_err() {
            return;
        }
        // Single-sided amplitude scaling: a full-scale sine centred on a bin gives 1.0 there
        // (Hann coherent gain 0.5, two sides).
        let scale = 2.0 / (FFT_SIZE as f32 * 0.5);
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr() * scale * scale;
        }
        let trace = if pre { &mut self.pre } else { &mut self.post };
        for (i, &(lo, hi)) in self.band_edges.iter().enumerate() {
            trace.raw_db[i] = band_level_db(&self.power, lo, hi);
        }
    }

    /// The drawn post-chain curve (dB at each display point).
    pub fn post_db(&self) -> &[f32] {
        &self.post.shown_db
    }

    pub fn pre_db(&self) -> &[f32] {
        &self.pre.shown_db
    }

    pub fn post_peak_db(&self) -> &[f32] {
        &self.post.peak_db
    }

    /// Draws the plot into the space the `ui` offers and returns its rectangle.
    pub fn show(&self, ui: &mut Ui, size: Vec2) -> egui::Response {
        let (response, painter) = ui.allocate_painter(size, Sense::hover());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Spectrum"));
        let rect = response.rect;
        painter.rect_filled(rect, 4.0, Color32::from_rgb(14, 17, 22));
        draw_grid(&painter, rect);
        painter.add(Shape::line(curve_points(&self.pre.shown_db, rect), Stroke::new(1.0, PRE_COLOR)));
        painter.add(Shape::line(curve_points(&self.post.peak_db, rect), Stroke::new(1.0, PEAK_COLOR)));
        painter.add(Shape::line(curve_points(&self.post.shown_db, rect), Stroke::new(1.8, POST_COLOR)));
        let legend = FontId::proportional(11.0);
        let corner = rect.right_top() + Vec2::new(-8.0, 6.0);
        painter.text(corner, Align2::RIGHT_TOP, "post", legend.clone(), POST_COLOR);
        painter.text(corner + Vec2::new(-34.0, 0.0), Align2::RIGHT_TOP, "pre", legend.clone(), PRE_COLOR);
        painter.text(corner + Vec2::new(-62.0, 0.0), Align2::RIGHT_TOP, "peak", legend, PEAK_COLOR);
        response
    }
}

/// Power summed over the band [lo, hi) (fractional bins, each bin covering [k - 0.5, k + 0.5)),
/// divided by the window's ENBW. Bands narrower than a bin (low frequencies) take the mean of the
/// bins they overlap instead, so a sine still reads at its level there.
fn band_level_db(power: &[f32], lo: f32, hi: f32) -> f32 {
    let first = (lo + 0.5).floor().max(0.0) as usize;
    let last = ((hi + 0.5).floor() as usize).min(power.len() - 1);
    let mut sum = 0.0;
    let mut weight = 0.0;
    for (k, &p) in power.iter().enumerate().take(last + 1).skip(first) {
        let (b0, b1) = (k as f32 - 0.5, k as f32 + 0.5);
        let w = (hi.min(b1) - lo.max(b0)).max(0.0);
        sum += w * p;
        weight += w;
    }
    if weight <= 0.0 {
        return FLOOR_DB;
    }
    let band_power = sum / weight.min(1.0) / HANN_ENBW_BINS;
    (10.0 * band_power.max(1e-30).log10()).max(FLOOR_DB)
}

/// x position of a frequency in the plot.
pub fn hz_to_x(hz: f32, rect: Rect) -> f32 {
    let t = (hz / MIN_HZ).ln() / (MAX_HZ / MIN_HZ).ln();
    rect.left() + t * rect.width()
}

/// Frequency at an x position in the plot (the inverse of [`hz_to_x`], not clamped).
pub fn x_to_hz(x: f32, rect: Rect) -> f32 {
    let t = (x - rect.left()) / rect.width().max(1.0);
    MIN_HZ * (MAX_HZ / MIN_HZ).powf(t)
}

/// y position of a level in the plot (clamped to the plot).
pub fn db_to_y(db: f32, rect: Rect) -> f32 {
    let t = ((TOP_DB - db) / (TOP_DB - BOTTOM_DB)).clamp(0.0, 1.0);
    rect.top() + t * rect.height()
}

/// The polyline drawn for a curve: one point per display point.
pub fn curve_points(db: &[f32], rect: Rect) -> Vec<Pos2> {
    let step = rect.width() / (db.len().max(2) - 1) as f32;
    db.iter().enumerate().map(|(i, &d)| Pos2::new(rect.left() + i as f32 * step, db_to_y(d, rect))).collect()
}

fn draw_grid(painter: &egui::Painter, rect: Rect) {
    let grid = Stroke::new(1.0, Color32::from_gray(40));
    let text = Color32::from_gray(140);
    let font = FontId::proportional(10.5);
    for (hz, label) in [
        (30.0, "30"),
        (50.0, "50"),
        (100.0, "100"),
        (200.0, "200"),
        (500.0, "500"),
        (1000.0, "1k"),
        (2000.0, "2k"),
        (5000.0, "5k"),
        (10000.0, "10k"),
    ] {
        let x = hz_to_x(hz, rect);
        painter.line_segment([Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())], grid);
        painter.text(Pos2::new(x + 2.0, rect.bottom() - 2.0), Align2::LEFT_BOTTOM, label, font.clone(), text);
    }
    let mut db = 0.0;
    while db > BOTTOM_DB {
        let y = db_to_y(db, rect);
        painter.line_segment([Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)], grid);
        painter.text(Pos2::new(rect.left() + 3.0, y + 1.0), Align2::LEFT_TOP, format!("{db:.0}"), font.clone(), text);
        db -= 12.0;
    }
}
