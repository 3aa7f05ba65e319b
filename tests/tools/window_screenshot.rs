//! The editor as it appears in a real X11 window (`cargo xtask screenshot --window`, which runs
//! this under Xvfb and writes `docs/editor-window.png`).
//!
//! It is a small CLAP host, the same one `tests/gui_host.rs` uses: it loads the built plugin
//! (`target/debug/liblacquer.so`), creates an X11 window of its own at the editor's size, and
//! embeds the editor in it through the CLAP GUI extension (baseview + OpenGL; under Xvfb that is
//! Mesa's software rasteriser). Meanwhile the demo mix (`src/demo.rs`) plays through the
//! plugin's process call in real time, with the limiter driven and a light EQ set through the
//! CLAP parameter events (each value parsed by the plugin's own text-to-value), so meters,
//! spectrum, the level/GR history and the loudness move. After some seconds the window is
//! captured with `xwd` and converted to PNG with ImageMagick's `convert`. A capture that is one
//! flat colour (nothing rendered yet) is retried for a while before giving up.
//!
//! The host transport plays during the run, so the loudness meters (which run while the
//! transport plays) measure.
//!
//! Usage: `window_screenshot [OUT.png] [--seconds N]` (default `docs/editor-window.png`, 11 s:
//! enough to fill the 10 s level/GR history).

#[path = "../clap_harness/mod.rs"]
mod clap_harness;

use std::ffi::{c_ulong, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clack_host::events::event_types::TransportEvent;
use clack_host::prelude::EventBuffer;
use clap_harness::{load_entry, param_event, param_hash, Instance};
use clap_sys::events::{
    clap_event_header, clap_event_transport, CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_TRANSPORT,
    CLAP_TRANSPORT_HAS_SECONDS_TIMELINE, CLAP_TRANSPORT_HAS_TEMPO, CLAP_TRANSPORT_HAS_TIME_SIGNATURE,
    CLAP_TRANSPORT_IS_PLAYING,
};
use clap_sys::ext::gui::{clap_plugin_gui, clap_window, clap_window_handle, CLAP_EXT_GUI, CLAP_WINDOW_API_X11};
use clap_sys::ext::params::{clap_plugin_params, CLAP_EXT_PARAMS};
use clap_sys::fixedpoint::CLAP_SECTIME_FACTOR;

#[path = "../clap_harness/x11.rs"]
mod x11;
use x11::*;

const RATE: f64 = 48_000.0;
const BLOCK: usize = 512;

/// What the screenshot shows: the limiter driven into gain reduction and a light mastering EQ
/// (the same settings as the headless screenshot), as text the plugin parses itself.
const SETTINGS: &[(&str, &str)] = &[
    ("lim_drive", "6"),
    ("lim_ceiling", "-1"),
    ("in_gain", "2"),
    ("eq_hp_on", "On"),
    ("eq_ls_on", "On"),
    ("eq_ls_gain", "2"),
    ("eq1_on", "On"),
    ("eq1_freq", "320"),
    ("eq1_gain", "-3"),
    ("eq1_q", "1.4"),
    ("eq3_on", "On"),
    ("eq3_gain", "2.5"),
    ("eq3_q", "0.8"),
    ("eq_hs_on", "On"),
    ("eq_hs_freq", "12000"),
    ("eq_hs_gain", "3"),
    ("eq_hs_mode", "Side"),
];

fn main() {
    if let Err(e) = run() {
        eprintln!("window screenshot: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut out = PathBuf::from("docs/editor-window.png");
    // Long enough to fill the 10 s level/GR history.
    let mut seconds = 11.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--seconds" {
            let v = args.next().ok_or("--seconds needs a value")?;
            seconds = v.parse().ok().filter(|s: &f64| s.is_finite() && *s > 0.0).ok_or(format!("bad --seconds {v}"))?;
        } else {
            out = PathBuf::from(a);
        }
    }
    if std::env::var_os("DISPLAY").is_none() {
        return Err("no X display: run it under Xvfb (`cargo xtask screenshot --window` does)".into());
    }
    // SAFETY: plain Xlib calls on a display this program owns.
    let display = unsafe { XOpenDisplay(std::ptr::null()) };
    if display.is_null() {
        return Err("cannot open the X display".into());
    }

    let entry = load_entry();
    let mut inst = Instance::new(&entry);
    let gui: clap_plugin_gui = *inst.extension::<clap_plugin_gui>(CLAP_EXT_GUI).ok_or("no CLAP GUI extension")?;
    let plugin = inst.raw();
    let api = CLAP_WINDOW_API_X11.as_ptr();
    let (mut w, mut h) = (0u32, 0u32);
    // SAFETY: the vtable comes from the plugin; the calls follow the CLAP GUI life cycle.
    let parent = unsafe {
        if !gui.create.unwrap()(plugin, api, false) {
            return Err("gui.create failed".into());
        }
        if !gui.get_size.unwrap()(plugin, &mut w, &mut h) {
            return Err("gui.get_size failed".into());
        }
        let parent = XCreateSimpleWindow(display, XDefaultRootWindow(display), 0, 0, w, h, 0, 0, 0);
        XMapWindow(display, parent);
        XFlush(display);
        let window = clap_window { api, specific: clap_window_handle { x11: parent } };
        if !gui.set_parent.unwrap()(plugin, &window) || !gui.show.unwrap()(plugin) {
            return Err("gui.set_parent or gui.show failed".into());
        }
        parent
    };
    println!("window screenshot: editor {w}x{h} in X window 0x{parent:x}");

    let settings = settings_events(&inst);
    inst.activate(RATE, BLOCK as u32);
    let mix = lacquer::demo::demo_mix();
    let mut player = Player { mix, pos: 0, started: Instant::now(), played: 0, settings: Some(settings) };
    player.play_until(&mut inst, Duration::from_secs_f64(seconds));

    // Capture; a flat frame means nothing was drawn yet: keep playing and try again.
    let xwd = out.with_extension("xwd");
    let mut result = Err("no capture".to_string());
    for attempt in 0..10 {
        result = capture(parent, &xwd, &out);
        match &result {
            Ok(_) => break,
            Err(e) => eprintln!("window screenshot: attempt {}: {e}", attempt + 1),
        }
        let more = player.started.elapsed() + Duration::from_millis(500);
        player.play_until(&mut inst, more);
    }
    let _ = std::fs::remove_file(&xwd);

    // SAFETY: the editor is torn down before its parent window and the display.
    unsafe {
        gui.hide.unwrap()(plugin);
        gui.destroy.unwrap()(plugin);
    }
    inst.deactivate();
    unsafe {
        XDestroyWindow(display, parent);
        XCloseDisplay(display);
    }
    let (colours, pw, ph) = result?;
    println!(
        "window screenshot: wrote {} ({pw}x{ph}, {colours} distinct colours in the sample), after {:.1} s of audio",
        out.display(),
        player.played as f64 / RATE
    );
    Ok(())
}

/// The demo mix played through the plugin in real time (looped), blocks of [`BLOCK`] frames.
struct Player {
    mix: [Vec<f32>; 2],
    pos: usize,
    started: Instant,
    played: usize,
    /// The parameter events of [`SETTINGS`], sent with the first block.
    settings: Option<EventBuffer>,
}

impl Player {
    /// Plays until `until` after the start, sleeping so audio runs no faster than real time.
    fn play_until(&mut self, inst: &mut Instance, until: Duration) {
        let n = self.mix[0].len();
        while self.started.elapsed() < until {
            let len = BLOCK.min(n - self.pos);
            let mut input =
                [self.mix[0][self.pos..self.pos + len].to_vec(), self.mix[1][self.pos..self.pos + len].to_vec()];
            let mut output = [vec![0.0f32; len], vec![0.0f32; len]];
            let events = self.settings.take().unwrap_or_default();
            let [il, ir] = &mut input;
            let [ol, or] = &mut output;
            // The transport plays: the plugin's loudness meters run only while it does.
            let transport = playing_transport(self.played as f64 / RATE);
            inst.process_with_transport([il, ir], [ol, or], &events, Some(&transport));
            self.pos = (self.pos + len) % n;
            self.played += len;
            let due = Duration::from_secs_f64(self.played as f64 / RATE);
            if let Some(wait) = due.checked_sub(self.started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
}

/// A host transport that plays (at the demo's 112 BPM, 4/4), at `seconds` into the song.
fn playing_transport(seconds: f64) -> TransportEvent {
    // SAFETY: clap_event_transport is plain data; every field that matters is set below.
    let mut raw: clap_event_transport = unsafe { std::mem::zeroed() };
    raw.header = clap_event_header {
        size: std::mem::size_of::<clap_event_transport>() as u32,
        time: 0,
        space_id: CLAP_CORE_EVENT_SPACE_ID,
        type_: CLAP_EVENT_TRANSPORT,
        flags: 0,
    };
    raw.flags = CLAP_TRANSPORT_IS_PLAYING
        | CLAP_TRANSPORT_HAS_TEMPO
        | CLAP_TRANSPORT_HAS_SECONDS_TIMELINE
        | CLAP_TRANSPORT_HAS_TIME_SIGNATURE;
    raw.song_pos_seconds = (seconds * CLAP_SECTIME_FACTOR as f64) as i64;
    raw.tempo = 112.0;
    raw.tsig_num = 4;
    raw.tsig_denom = 4;
    TransportEvent::from_raw(&raw)
}

/// Parameter events for [`SETTINGS`], each value parsed by the plugin (`params.text_to_value`).
fn settings_events(inst: &Instance) -> EventBuffer {
    let ext: &clap_plugin_params = inst.extension(CLAP_EXT_PARAMS).expect("no params extension");
    let mut events = EventBuffer::new();
    for (id, text) in SETTINGS {
        let hash = param_hash(id);
        let c_text = CString::new(*text).expect("no NUL in the settings");
        let mut value = f64::NAN;
        // SAFETY: a valid plugin and parameter id; the text is NUL-terminated.
        let ok = unsafe { ext.text_to_value.unwrap()(inst.raw(), hash, c_text.as_ptr(), &mut value) };
        if ok {
            events.push(&param_event(0, hash, value));
        } else {
            eprintln!("window screenshot: the plugin did not accept {id} = {text:?}; left at its default");
        }
    }
    events
}

/// Captures `window` with `xwd`, checks it is not one flat colour, converts it to PNG with
/// ImageMagick. Returns (distinct colours in a sample grid, width, height).
fn capture(window: c_ulong, xwd: &Path, png: &Path) -> Result<(usize, u32, u32), String> {
    let id = format!("0x{window:x}");
    let status = Command::new("xwd")
        .args(["-silent", "-id", &id, "-out"])
        .arg(xwd)
        .status()
        .map_err(|e| format!("cannot run xwd ({e}); install x11-apps"))?;
    if !status.success() {
        return Err(format!("xwd failed ({status})"));
    }
    let bytes = std::fs::read(xwd).map_err(|e| format!("cannot read {}: {e}", xwd.display()))?;
    let (colours, w, h) = xwd_colours(&bytes)?;
    if colours < 16 {
        return Err(format!("the capture has only {colours} colours: the editor has not drawn yet"));
    }
    if let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let partial = png.with_extension("png.part");
    let status = Command::new("convert")
        .arg(format!("xwd:{}", xwd.display()))
        .arg(format!("png:{}", partial.display()))
        .status()
        .map_err(|e| format!("cannot run convert ({e}); install imagemagick"))?;
    if !status.success() {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("convert failed ({status})"));
    }
    std::fs::rename(&partial, png).map_err(|e| format!("cannot write {}: {e}", png.display()))?;
    Ok((colours, w, h))
}

/// Reads an XWD file's header (X11 `XWDFileHeader`: big-endian 32-bit fields) and counts the
/// distinct pixel values on a 64×40 grid of samples. Returns (colours, width, height).
fn xwd_colours(b: &[u8]) -> Result<(usize, u32, u32), String> {
    let field = |i: usize| -> Result<u32, String> {
        b.get(4 * i..4 * i + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
            .ok_or_else(|| "truncated XWD header".to_string())
    };
    let header_size = field(0)? as usize;
    let (width, height) = (field(4)?, field(5)?);
    let bits_per_pixel = field(11)? as usize;
    let bytes_per_line = field(12)? as usize;
    let ncolors = field(19)? as usize;
    if ![8, 16, 24, 32].contains(&bits_per_pixel) || width == 0 || height == 0 {
        return Err(format!("unexpected XWD layout ({bits_per_pixel} bits per pixel, {width}x{height})"));
    }
    let data = header_size + 12 * ncolors;
    let bpp = bits_per_pixel / 8;
    let mut seen = std::collections::HashSet::new();
    for gy in 0..40 {
        for gx in 0..64 {
            let (x, y) = (gx * width as usize / 64, gy * height as usize / 40);
            let at = data + y * bytes_per_line + x * bpp;
            let px = b.get(at..at + bpp).ok_or("truncated XWD pixel data")?;
            seen.insert(px.to_vec());
        }
    }
    Ok((seen.len(), width, height))
}
