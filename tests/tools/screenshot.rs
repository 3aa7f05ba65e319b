//! Renders the real editor offscreen to a PNG (`cargo xtask screenshot` → `tests/tools/editor.png`).
//!
//! No GPU or display is needed: the editor's egui frames are tessellated as usual and the
//! triangles are filled by a small CPU rasteriser below (egui's meshes are already anti-aliased by
//! feathering, so plain per-pixel coverage is enough). The meters are fed by the real chain
//! processing a synthetic mix for 16 seconds; the assistant has a reference loaded (a brighter,
//! louder master of the same kind of mix) and has heard the mix, so its curves show over the
//! spectrum.

use std::collections::HashMap;
use std::sync::Arc;

use egui::epaint::{ClippedPrimitive, ImageData, Primitive, TextureId, Vertex};
use egui::{Color32, Pos2, RawInput, Rect, Vec2};
use lacquer::assist::learn::{Capture, CaptureSlot};
use lacquer::chain::Chain;
use lacquer::editor::match_panel::MatchPanel;
use lacquer::editor::{DirectEdit, LacquerEditor, DEFAULT_SIZE};
use lacquer::meter_bus::MeterBus;
use lacquer::params::{LacquerParams, ParamWriter};

const RATE: f32 = 48_000.0;
const FRAME_SAMPLES: usize = 800; // 60 frames per second

/// A deterministic stand-in for a mix: kick, bass, a chord and noise-like hats.
struct Mix {
    n: usize,
    seed: u32,
}

impl Mix {
    fn next(&mut self) -> (f32, f32) {
        let t = self.n as f32 / RATE;
        self.n += 1;
        self.seed = self.seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (self.seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        let beat = t % 0.5;
        let tau = std::f32::consts::TAU;
        let kick = (tau * (50.0 + 120.0 * (-beat * 30.0).exp()) * beat).sin() * (-beat * 9.0).exp();
        let bass = (tau * 55.0 * t).sin() * 0.35;
        let chord: f32 = [220.0, 277.2, 329.6, 440.0, 880.0].iter().map(|f| (tau * f * t).sin()).sum::<f32>() * 0.08;
        let hats = noise * 0.12 * (-((t % 0.25) * 40.0)).exp();
        let mono = 0.8 * kick + bass + chord;
        (mono + hats + 0.05 * noise, mono - hats * 0.5 + 0.05 * noise)
    }
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "tests/tools/editor.png".to_string());
    let params = Arc::new(LacquerParams::default());
    let writer = ParamWriter::new(params.clone());
    // A typical light mastering EQ, so the curve and its nodes show: a side-only air lift draws
    // the dashed side curve.
    let eq = [
        ("eq_hp_on", "on"),
        ("eq_ls_on", "on"),
        ("eq_ls_gain", "2"),
        ("eq1_on", "on"),
        ("eq1_freq", "320"),
        ("eq1_gain", "-3"),
        ("eq1_q", "1.4"),
        ("eq3_on", "on"),
        ("eq3_gain", "2.5"),
        ("eq3_q", "0.8"),
        ("eq_hs_on", "on"),
        ("eq_hs_freq", "12000"),
        ("eq_hs_gain", "3"),
        ("eq_hs_mode", "Side"),
    ];
    // A gentle three-band compression, so the per-band gain-reduction meters move.
    let comp = [
        ("cmp_bypass", "off"),
        ("cmp_multiband", "on"),
        ("cmp1_thresh", "-22"),
        ("cmp2_thresh", "-26"),
        ("cmp3_thresh", "-30"),
        ("cmp1_ratio", "2"),
        ("cmp2_ratio", "2"),
        ("cmp3_ratio", "2"),
    ];
    for (id, value) in [("lim_drive", "6"), ("lim_ceiling", "-1"), ("in_gain", "2")].into_iter().chain(eq).chain(comp) {
        if let Err(e) = writer.set(id, value) {
            eprintln!("screenshot: {e}");
        }
    }
    let bus = Arc::new(MeterBus::new());
    bus.sample_rate.store(RATE, std::sync::atomic::Ordering::Relaxed);
    let mut chain = Chain::new(RATE, 2);
    chain.set_settings(&params.settings());
    chain.reset();
    chain.set_loudness_running(true);
    let mut mix = Mix { n: 0, seed: 1 };
    // The assistant, as in the plugin: a reference loaded and the mix heard, so its curves are
    // drawn over the spectrum.
    let slot = Arc::new(CaptureSlot::default());
    let capture = Capture::new(RATE, 4.0);
    slot.set(capture.clone());
    let mut app = LacquerEditor::new(params.clone(), bus.clone(), Box::new(DirectEdit))
        .with_presets(params.clone())
        .with_match_panel(MatchPanel::new(params.clone(), slot));
    // The compressor's page open, and a streaming target for the loudness panel.
    app.open_stage("Compressor");
    if let Some(bar) = app.preset_bar() {
        bar.set_target(Some(-14.0));
    }
    let reference = std::env::temp_dir().join("lacquer-screenshot-reference.wav");
    if let Err(e) = write_reference(&reference) {
        eprintln!("screenshot: cannot write the reference {}: {e}", reference.display());
        std::process::exit(1);
    }
    if let Some(panel) = app.match_panel() {
        panel.path = reference.display().to_string();
        panel.load();
        panel.listen();
    }

    let ctx = egui::Context::default();
    let size = Vec2::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1);
    let mut textures: HashMap<TextureId, Image> = HashMap::new();
    // 16 s of the mix; the editor draws the last 4 s of it (the loudness history gets the
    // whole 16 s from the bus, which keeps 20 s).
    let frames = 16 * 60;
    let drawn_from = frames - 4 * 60;
    let mut last = None;
    for frame in 0..frames {
        let (mut left, mut right) = (vec![0.0f32; FRAME_SAMPLES], vec![0.0f32; FRAME_SAMPLES]);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            (*l, *r) = mix.next();
        }
        let pre: Vec<f32> = left.iter().zip(&right).map(|(l, r)| 0.5 * (l + r)).collect();
        capture.push(&[&left, &right]);
        // Pieces end at the bus's 10 ms history points, as in the plugin shell.
        let ceiling_db = params.limiter.ceiling_db.value();
        let mut start = 0;
        while start < left.len() {
            let end = (start + bus.frames_to_next_history_point()).min(left.len());
            chain.process(&mut [&mut left[start..end], &mut right[start..end]]);
            let m = chain.take_meters();
            bus.publish(&m);
            bus.record_history(end - start, &m, ceiling_db);
            start = end;
        }
        let post: Vec<f32> = left.iter().zip(&right).map(|(l, r)| 0.5 * (l + r)).collect();
        bus.push_spectrum(&pre, &post);
        if frame < drawn_from {
            continue;
        }
        if frame == drawn_from {
            wait_for_the_match(&mut app);
        }

        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, size)),
            time: Some(frame as f64 / 60.0),
            predicted_dt: 1.0 / 60.0,
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| app.draw(ui));
        for (id, delta) in output.textures_delta.set.iter().flat_map(|(id, ds)| ds.iter().map(move |d| (id, d))) {
            let ImageData::Color(image) = &delta.image;
            let patch = Image { w: image.size[0], h: image.size[1], px: image.pixels.clone() };
            match delta.pos {
                None => {
                    textures.insert(*id, patch);
                }
                Some([x0, y0]) => {
                    if let Some(t) = textures.get_mut(id) {
                        for y in 0..patch.h {
                            for x in 0..patch.w {
                                t.px[(y0 + y) * t.w + x0 + x] = patch.px[y * patch.w + x];
                            }
                        }
                    }
                }
            }
        }
        // Applied above: tell epaint so (it checks that no texture update is dropped unseen).
        output.textures_delta.clear();
        last = Some(ctx.tessellate(output.shapes, output.pixels_per_point));
    }
    let primitives = last.expect("at least one frame");
    let (w, h) = (size.x as usize, size.y as usize);
    let mut canvas = Canvas { w, h, px: vec![[0.0; 4]; w * h] };
    for p in &primitives {
        canvas.draw(p, &textures);
    }
    if let Err(e) = write_png(&out, w, h, &canvas.to_rgba()) {
        eprintln!("screenshot: cannot write {out}: {e}");
        std::process::exit(1);
    }
    println!("screenshot: wrote {out} ({w}x{h})");
}

/// A brighter, louder master of another stretch of the mix, as a reference record: +4 dB of
/// air (high shelf at 8 kHz), 2 dB less low end (low shelf), 9 dB of limiter drive.
fn write_reference(path: &std::path::Path) -> Result<(), String> {
    let params = Arc::new(LacquerParams::default());
    let writer = ParamWriter::new(params.clone());
    for (id, value) in [
        ("eq_hs_on", "on"),
        ("eq_hs_freq", "8000"),
        ("eq_hs_gain", "4"),
        ("eq_ls_on", "on"),
        ("eq_ls_gain", "-2"),
        ("lim_drive", "9"),
    ] {
        writer.set(id, value).map_err(|e| e.to_string())?;
    }
    let mut chain = Chain::new(RATE, 2);
    chain.set_settings(&params.settings());
    chain.reset();
    let mut mix = Mix { n: 0, seed: 7 };
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE as u32,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(|e| e.to_string())?;
    for _ in 0..(8 * RATE as usize / 512) {
        let (mut left, mut right) = (vec![0.0f32; 512], vec![0.0f32; 512]);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            (*l, *r) = mix.next();
        }
        chain.process(&mut [&mut left, &mut right]);
        for (l, r) in left.iter().zip(&right) {
            w.write_sample(*l).map_err(|e| e.to_string())?;
            w.write_sample(*r).map_err(|e| e.to_string())?;
        }
    }
    w.finalize().map_err(|e| e.to_string())
}

/// Waits (at most a minute) for the reference's and the mix's analyses and the fit, so every
/// drawn frame shows the curves.
fn wait_for_the_match(app: &mut LacquerEditor) {
    let started = std::time::Instant::now();
    while let Some(panel) = app.match_panel() {
        panel.poll();
        if panel.fitted().is_some() {
            return;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            eprintln!("screenshot: the match did not finish: {:?}", panel.message());
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

struct Image {
    w: usize,
    h: usize,
    px: Vec<Color32>,
}

impl Image {
    /// Bilinear sample at normalized `uv`, premultiplied RGBA in 0..=1.
    fn sample(&self, u: f32, v: f32) -> [f32; 4] {
        let x = (u * self.w as f32 - 0.5).clamp(0.0, (self.w - 1) as f32);
        let y = (v * self.h as f32 - 0.5).clamp(0.0, (self.h - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.w - 1), (y0 + 1).min(self.h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let get = |x: usize, y: usize| self.px[y * self.w + x].to_array().map(|c| c as f32 / 255.0);
        let (a, b, c, d) = (get(x0, y0), get(x1, y0), get(x0, y1), get(x1, y1));
        std::array::from_fn(|i| {
            let top = a[i] + (b[i] - a[i]) * fx;
            let bottom = c[i] + (d[i] - c[i]) * fx;
            top + (bottom - top) * fy
        })
    }
}

/// Premultiplied RGBA canvas, blended in gamma space like egui's own renderers.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[f32; 4]>,
}

impl Canvas {
    fn draw(&mut self, p: &ClippedPrimitive, textures: &HashMap<TextureId, Image>) {
        let Primitive::Mesh(mesh) = &p.primitive else { return };
        let Some(tex) = textures.get(&mesh.texture_id) else { return };
        let clip = p.clip_rect.intersect(Rect::from_min_size(Pos2::ZERO, Vec2::new(self.w as f32, self.h as f32)));
        for tri in mesh.indices.chunks_exact(3) {
            let v = [&mesh.vertices[tri[0] as usize], &mesh.vertices[tri[1] as usize], &mesh.vertices[tri[2] as usize]];
            self.triangle(v, clip, tex);
        }
    }

    fn triangle(&mut self, v: [&Vertex; 3], clip: Rect, tex: &Image) {
        let (a, b, c) = (v[0].pos, v[1].pos, v[2].pos);
        let area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        if area.abs() < 1e-9 {
            return;
        }
        let x0 = a.x.min(b.x).min(c.x).max(clip.left()).floor().max(0.0) as usize;
        let x1 = a.x.max(b.x).max(c.x).min(clip.right()).ceil().min(self.w as f32) as usize;
        let y0 = a.y.min(b.y).min(c.y).max(clip.top()).floor().max(0.0) as usize;
        let y1 = a.y.max(b.y).max(c.y).min(clip.bottom()).ceil().min(self.h as f32) as usize;
        let colors = v.map(|v| v.color.to_array().map(|c| c as f32 / 255.0));
        for y in y0..y1 {
            for x in x0..x1 {
                let p = Pos2::new(x as f32 + 0.5, y as f32 + 0.5);
                if !clip.contains(p) {
                    continue;
                }
                let w0 = ((b.x - p.x) * (c.y - p.y) - (b.y - p.y) * (c.x - p.x)) / area;
                let w1 = ((c.x - p.x) * (a.y - p.y) - (c.y - p.y) * (a.x - p.x)) / area;
                let w2 = 1.0 - w0 - w1;
                if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                    continue;
                }
                let u = w0 * v[0].uv.x + w1 * v[1].uv.x + w2 * v[2].uv.x;
                let t = w0 * v[0].uv.y + w1 * v[1].uv.y + w2 * v[2].uv.y;
                let texel = tex.sample(u, t);
                let src: [f32; 4] =
                    std::array::from_fn(|i| (w0 * colors[0][i] + w1 * colors[1][i] + w2 * colors[2][i]) * texel[i]);
                let dst = &mut self.px[y * self.w + x];
                for i in 0..4 {
                    dst[i] = src[i] + dst[i] * (1.0 - src[3]);
                }
            }
        }
    }

    fn to_rgba(&self) -> Vec<u8> {
        self.px
            .iter()
            .flat_map(|p| {
                // Opaque output: the editor paints its own background everywhere.
                [p[0], p[1], p[2], 1.0].map(|c| (c.clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
            })
            .collect()
    }
}

fn write_png(path: &str, w: usize, h: usize, rgba: &[u8]) -> std::io::Result<()> {
    let mut raw = Vec::with_capacity(h * (w * 4 + 1));
    for row in rgba.chunks_exact(w * 4) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 8));
    chunk(&mut png, b"IEND", &[]);
    std::fs::write(path, png)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in kind.iter().chain(data) {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}
