//! The editor in a real window through the CLAP GUI extension, the way a Linux host embeds it:
//! the harness loads the built plugin, creates an X11 parent window of its own, and asks the
//! plugin to create, parent, show, hide and destroy its editor (baseview + OpenGL). Needs an X
//! display: `cargo xtask test` runs this file under Xvfb with `LACQUER_REQUIRE_DISPLAY=1`, which
//! turns a missing display into a failure instead of a skip.

mod clap_harness;
mod common;

use std::ffi::{c_ulong, c_void};
use std::time::Duration;

use clap_harness::{load_entry, Instance};
use clap_sys::ext::gui::{clap_plugin_gui, clap_window, clap_window_handle, CLAP_EXT_GUI, CLAP_WINDOW_API_X11};

#[path = "clap_harness/x11.rs"]
mod x11;
use x11::*;

fn child_windows(display: *mut c_void, window: c_ulong) -> usize {
    let (mut root, mut parent, mut children, mut count) = (0, 0, std::ptr::null_mut(), 0);
    // SAFETY: a live display and window; the children list is freed with XFree as Xlib asks.
    unsafe {
        XSync(display, 0);
        if XQueryTree(display, window, &mut root, &mut parent, &mut children, &mut count) == 0 {
            return 0;
        }
        if !children.is_null() {
            XFree(children as *mut c_void);
        }
    }
    count as usize
}

#[test]
fn editor_opens_in_a_host_window_and_closes_cleanly() {
    if std::env::var_os("DISPLAY").is_none() {
        assert!(
            std::env::var_os("LACQUER_REQUIRE_DISPLAY").is_none(),
            "no X display: run under xvfb-run (cargo xtask test does)"
        );
        println!("skipped: no X display (cargo xtask test runs this under Xvfb)");
        return;
    }
    // SAFETY: plain Xlib calls on a display this test owns.
    let display = unsafe { XOpenDisplay(std::ptr::null()) };
    assert!(!display.is_null(), "cannot open the X display");
    let parent = unsafe {
        let w = XCreateSimpleWindow(display, XDefaultRootWindow(display), 0, 0, 1200, 800, 0, 0, 0);
        XMapWindow(display, w);
        XFlush(display);
        w
    };

    let entry = load_entry();
    let mut inst = Instance::new(&entry);
    let gui: clap_plugin_gui = *inst.extension::<clap_plugin_gui>(CLAP_EXT_GUI).expect("no CLAP GUI extension");
    let plugin = inst.raw();
    let api = CLAP_WINDOW_API_X11.as_ptr();
    // SAFETY: the vtable comes from the plugin; the calls follow the CLAP GUI life cycle.
    unsafe {
        assert!(gui.is_api_supported.unwrap()(plugin, api, false), "X11 embedding not supported");
        assert!(gui.create.unwrap()(plugin, api, false), "gui.create failed");
        let (mut w, mut h) = (0u32, 0u32);
        assert!(gui.get_size.unwrap()(plugin, &mut w, &mut h));
        println!("editor size {w}x{h}");
        assert!((w, h) == (1000, 640), "default editor size {w}x{h}");
        assert!(gui.can_resize.unwrap()(plugin), "the editor should be resizable");
        let window = clap_window { api, specific: clap_window_handle { x11: parent } };
        assert!(gui.set_parent.unwrap()(plugin, &window), "gui.set_parent failed");
        assert!(gui.show.unwrap()(plugin), "gui.show failed");
    }
    // Let it draw for a while, with audio running so the meters and spectrum move.
    inst.activate(48_000.0, 512);
    let mut rng = common::TestRng(1);
    let input = [
        (0..48_000).map(|_| 0.5 * rng.uniform() as f32).collect(),
        (0..48_000).map(|_| 0.5 * rng.uniform() as f32).collect(),
    ];
    for _ in 0..6 {
        clap_harness::run_blocks(&mut inst, &input, &[512], |_, _| clack_host::prelude::EventBuffer::new());
        std::thread::sleep(Duration::from_millis(200));
    }
    let children = child_windows(display, parent);
    println!("child windows under the host window: {children}");
    assert!(children >= 1, "the editor did not create a window inside the host's window");
    unsafe {
        assert!(gui.hide.unwrap()(plugin), "gui.hide failed");
        gui.destroy.unwrap()(plugin);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(child_windows(display, parent), 0, "the editor window outlived gui.destroy");
    inst.deactivate();
    unsafe {
        XDestroyWindow(display, parent);
        XCloseDisplay(display);
    }
}
