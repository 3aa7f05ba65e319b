//! The few Xlib calls a test host needs to make a parent window for a plugin's editor (the CLAP
//! GUI extension embeds into it): open the display, create/map/destroy a simple window, and list
//! its children. Included with `#[path]` by `gui_host.rs` and the window screenshot tool.
#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

#[link(name = "X11")]
extern "C" {
    pub fn XOpenDisplay(name: *const c_char) -> *mut c_void;
    pub fn XDefaultRootWindow(display: *mut c_void) -> c_ulong;
    pub fn XCreateSimpleWindow(
        display: *mut c_void,
        parent: c_ulong,
        x: c_int,
        y: c_int,
        width: c_uint,
        height: c_uint,
        border_width: c_uint,
        border: c_ulong,
        background: c_ulong,
    ) -> c_ulong;
    pub fn XMapWindow(display: *mut c_void, window: c_ulong) -> c_int;
    pub fn XFlush(display: *mut c_void) -> c_int;
    pub fn XSync(display: *mut c_void, discard: c_int) -> c_int;
    pub fn XQueryTree(
        display: *mut c_void,
        window: c_ulong,
        root: *mut c_ulong,
        parent: *mut c_ulong,
        children: *mut *mut c_ulong,
        count: *mut c_uint,
    ) -> c_int;
    pub fn XFree(data: *mut c_void) -> c_int;
    pub fn XDestroyWindow(display: *mut c_void, window: c_ulong) -> c_int;
    pub fn XCloseDisplay(display: *mut c_void) -> c_int;
}
