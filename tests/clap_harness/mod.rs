//! A minimal CLAP host for the integration tests: loads the `liblacquer.so` that cargo built
//! next to the test executable through the real CLAP ABI (clack-host for the entry, instance,
//! activation and processing; the raw `clap-sys` vtables for the params, state, latency and
//! audio-ports extensions). No mocks: every call goes through the plugin's exported entry.
#![allow(dead_code)]

use std::ffi::{c_char, c_void, CStr};
use std::path::PathBuf;

use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::extensions::prelude::HostError;
use clack_host::prelude::*;
use clap_sys::ext::audio_ports::{clap_audio_port_info, clap_plugin_audio_ports, CLAP_EXT_AUDIO_PORTS};
use clap_sys::ext::latency::{clap_plugin_latency, CLAP_EXT_LATENCY};
use clap_sys::ext::params::{
    clap_param_info, clap_plugin_params, CLAP_EXT_PARAMS, CLAP_PARAM_IS_AUTOMATABLE, CLAP_PARAM_IS_HIDDEN,
    CLAP_PARAM_IS_STEPPED,
};
use clap_sys::ext::remote_controls::{
    clap_plugin_remote_controls, clap_remote_controls_page, CLAP_EXT_REMOTE_CONTROLS,
};
use clap_sys::ext::state::{clap_plugin_state, CLAP_EXT_STATE};
use clap_sys::plugin::clap_plugin;
use clap_sys::stream::{clap_istream, clap_ostream};

pub const PLUGIN_ID: &str = "org.lacquer.mastering";

pub struct TestShared;

impl SharedHandler<'_> for TestShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

/// The host side of the GUI extension (a GUI-capable host offers it; nice-plug needs it to
/// embed its editor). The test host accepts resizes and ignores show/hide requests.
impl HostGuiImpl for TestShared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = TestShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<HostGui>();
    }
}

/// `target/<profile>/liblacquer.so`, found from the test executable in `target/<profile>/deps/`.
pub fn plugin_path() -> PathBuf {
    let exe = std::env::current_exe().expect("cannot locate the test executable");
    let profile_dir =
        exe.parent().and_then(|deps| deps.parent()).expect("test executable has no target/<profile>/deps parent");
    let name = format!("{}lacquer{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    // Every build writes deps/ first; `cargo build` also copies (uplifts) it to
    // target/<profile>/, a `--test NAME` or `cargo test` build does not. Take the newer, so an
    // old uplifted copy never shadows the binary just built.
    let candidates = [profile_dir.join("deps").join(&name), profile_dir.join(&name)];
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    candidates.iter().filter(|p| p.is_file()).max_by_key(|p| modified(p)).cloned().unwrap_or_else(|| {
        panic!(
            "plugin binary {} is missing: build the cdylib first (`cargo build`, or `cargo test` builds it alongside the tests)",
            candidates[1].display()
        )
    })
}

pub fn load_entry() -> PluginEntry {
    let path = plugin_path();
    // SAFETY: the library is the plugin this crate builds; loading it runs its CLAP entry init.
    unsafe { PluginEntry::load(&path) }.unwrap_or_else(|e| panic!("cannot load {}: {e:?}", path.display()))
}

#[derive(Debug, Clone)]
pub struct ParamInfo {
    pub id: u32,
    pub name: String,
    pub module: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    pub stepped: bool,
    pub automatable: bool,
    pub hidden: bool,
}

/// nice-plug's CLAP parameter id: the 31-bit string hash of the stable string ID.
pub fn param_hash(id: &str) -> u32 {
    let mut hash: u32 = 0;
    for b in id.bytes() {
        hash = hash.wrapping_mul(31).wrapping_add(b as u32);
    }
    hash & !(1 << 31)
}

fn c_chars_to_string(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub struct Instance {
    instance: PluginInstance<TestHost>,
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    in_ports: AudioPorts,
    out_ports: AudioPorts,
    pub sample_rate: f64,
    steady_time: u64,
}

impl Instance {
    pub fn new(entry: &PluginEntry) -> Self {
        let host_info = HostInfo::new("lacquer-test-host", "Lacquer tests", "https://example.invalid", "0.1").unwrap();
        let id = std::ffi::CString::new(PLUGIN_ID).unwrap();
        let instance = PluginInstance::<TestHost>::new(|_| TestShared, |_| (), entry, &id, &host_info)
            .unwrap_or_else(|e| panic!("cannot instantiate {PLUGIN_ID}: {e:?}"));
        Self {
            instance,
            processor: None,
            in_ports: AudioPorts::with_capacity(2, 1),
            out_ports: AudioPorts::with_capacity(2, 1),
            sample_rate: 0.0,
            steady_time: 0,
        }
    }

    pub fn raw(&self) -> *const clap_plugin {
        self.instance.raw_instance() as *const clap_plugin
    }

    /// The plugin's vtable for extension `id`, or `None`.
    pub fn extension<T>(&self, id: &CStr) -> Option<&T> {
        let plugin = self.raw();
        // SAFETY: a valid plugin; the returned pointer (if any) has type T per the CLAP spec and
        // lives as long as the plugin.
        unsafe {
            let get = (*plugin).get_extension?;
            let ptr = get(plugin, id.as_ptr()) as *const T;
            ptr.as_ref()
        }
    }

    pub fn has_extension(&self, id: &CStr) -> bool {
        self.extension::<c_void>(id).is_some()
    }

    pub fn audio_ports(&self, is_input: bool) -> Vec<(String, u32)> {
        let ext: &clap_plugin_audio_ports = self.extension(CLAP_EXT_AUDIO_PORTS).expect("no audio-ports extension");
        let count = unsafe { ext.count.unwrap()(self.raw(), is_input) };
        (0..count)
            .map(|i| {
                let mut info: clap_audio_port_info = unsafe { std::mem::zeroed() };
                assert!(unsafe { ext.get.unwrap()(self.raw(), i, is_input, &mut info) }, "audio port {i} info failed");
                (c_chars_to_string(&info.name), info.channel_count)
            })
            .collect()
    }

    fn params_ext(&self) -> &clap_plugin_params {
        self.extension(CLAP_EXT_PARAMS).expect("no params extension")
    }

    pub fn params(&self) -> Vec<ParamInfo> {
        let ext = self.params_ext();
        let count = unsafe { ext.count.unwrap()(self.raw()) };
        (0..count)
            .map(|i| {
                let mut info: clap_param_info = unsafe { std::mem::zeroed() };
                assert!(unsafe { ext.get_info.unwrap()(self.raw(), i, &mut info) }, "param {i} info failed");
                ParamInfo {
                    id: info.id,
                    name: c_chars_to_string(&info.name),
                    module: c_chars_to_string(&info.module),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    stepped: info.flags & CLAP_PARAM_IS_STEPPED != 0,
                    automatable: info.flags & CLAP_PARAM_IS_AUTOMATABLE != 0,
                    hidden: info.flags & CLAP_PARAM_IS_HIDDEN != 0,
                }
            })
            .collect()
    }

    pub fn param_value(&self, id: u32) -> f64 {
        let mut v = f64::NAN;
        assert!(unsafe { self.params_ext().get_value.unwrap()(self.raw(), id, &mut v) }, "get_value({id}) failed");
        v
    }

    pub fn value_to_text(&self, id: u32, value: f64) -> String {
        let mut buf = [0 as c_char; 256];
        let ok = unsafe { self.params_ext().value_to_text.unwrap()(self.raw(), id, value, buf.as_mut_ptr(), 256) };
        assert!(ok, "value_to_text({id}, {value}) failed");
        c_chars_to_string(&buf)
    }

    /// Parameter changes without audio (the host calls this while not processing).
    pub fn flush(&self, events: &EventBuffer) {
        let mut out = EventBuffer::new();
        let input = events.as_input();
        let mut output = out.as_output();
        unsafe { self.params_ext().flush.unwrap()(self.raw(), input.as_raw(), output.as_raw()) };
    }

    pub fn latency(&self) -> u32 {
        let ext: &clap_plugin_latency = self.extension(CLAP_EXT_LATENCY).expect("no latency extension");
        unsafe { ext.get.unwrap()(self.raw()) }
    }

    /// Remote-control pages: (section, page name, parameter ids without the empty slots).
    pub fn remote_control_pages(&self) -> Vec<(String, String, Vec<u32>)> {
        let Some(ext) = self.extension::<clap_plugin_remote_controls>(CLAP_EXT_REMOTE_CONTROLS) else {
            return Vec::new();
        };
        let count = unsafe { ext.count.unwrap()(self.raw()) };
        (0..count)
            .map(|i| {
                let mut page: clap_remote_controls_page = unsafe { std::mem::zeroed() };
                assert!(unsafe { ext.get.unwrap()(self.raw(), i, &mut page) }, "remote page {i} failed");
                let ids = page.param_ids.iter().copied().filter(|&id| id != u32::MAX).collect();
                (c_chars_to_string(&page.section_name), c_chars_to_string(&page.page_name), ids)
            })
            .collect()
    }

    pub fn save_state(&self) -> Vec<u8> {
        let ext: &clap_plugin_state = self.extension(CLAP_EXT_STATE).expect("no state extension");
        let mut bytes: Vec<u8> = Vec::new();
        unsafe extern "C" fn write(stream: *const clap_ostream, buffer: *const c_void, size: u64) -> i64 {
            let bytes = unsafe { &mut *((*stream).ctx as *mut Vec<u8>) };
            bytes.extend_from_slice(unsafe { std::slice::from_raw_parts(buffer as *const u8, size as usize) });
            size as i64
        }
        let stream = clap_ostream { ctx: &mut bytes as *mut Vec<u8> as *mut c_void, write: Some(write) };
        assert!(unsafe { ext.save.unwrap()(self.raw(), &stream) }, "state save failed");
        bytes
    }

    /// Loads `bytes` as a state stream (delivered in pieces of at most `chunk` bytes, as hosts
    /// may); returns what the plugin returned.
    pub fn load_state_chunked(&self, bytes: &[u8], chunk: usize) -> bool {
        let ext: &clap_plugin_state = self.extension(CLAP_EXT_STATE).expect("no state extension");
        struct Reader<'a> {
            bytes: &'a [u8],
            pos: usize,
            chunk: usize,
        }
        unsafe extern "C" fn read(stream: *const clap_istream, buffer: *mut c_void, size: u64) -> i64 {
            let r = unsafe { &mut *((*stream).ctx as *mut Reader) };
            let n = (size as usize).min(r.bytes.len() - r.pos).min(r.chunk);
            unsafe { std::ptr::copy_nonoverlapping(r.bytes[r.pos..].as_ptr(), buffer as *mut u8, n) };
            r.pos += n;
            n as i64
        }
        let mut reader = Reader { bytes, pos: 0, chunk: chunk.max(1) };
        let stream = clap_istream { ctx: &mut reader as *mut Reader as *mut c_void, read: Some(read) };
        unsafe { ext.load.unwrap()(self.raw(), &stream) }
    }

    pub fn load_state(&self, bytes: &[u8]) -> bool {
        self.load_state_chunked(bytes, usize::MAX)
    }

    pub fn activate(&mut self, sample_rate: f64, max_frames: u32) {
        assert!(self.processor.is_none(), "already active");
        let config = PluginAudioConfiguration { sample_rate, min_frames_count: 1, max_frames_count: max_frames };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .unwrap_or_else(|e| panic!("activate at {sample_rate} Hz failed: {e:?}"));
        self.processor = Some(stopped.start_processing().unwrap_or_else(|e| panic!("start_processing failed: {e:?}")));
        self.sample_rate = sample_rate;
        self.steady_time = 0;
    }

    pub fn deactivate(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p.stop_processing());
        }
    }

    /// One process call: stereo in, stereo out (separate buffers), `events` sorted by time.
    pub fn process(&mut self, input: [&mut [f32]; 2], output: [&mut [f32]; 2], events: &EventBuffer) {
        self.process_with_transport(input, output, events, None);
    }

    /// [`process`](Self::process) with the host's transport (playing or not) for this block.
    pub fn process_with_transport(
        &mut self,
        input: [&mut [f32]; 2],
        output: [&mut [f32]; 2],
        events: &EventBuffer,
        transport: Option<&clack_host::events::event_types::TransportEvent>,
    ) {
        let frames = input[0].len() as u64;
        let processor = self.processor.as_mut().expect("process while inactive");
        let inputs = self.in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(input.into_iter().map(InputChannel::variable)),
        }]);
        let mut outputs = self.out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(output.into_iter()),
        }]);
        let mut out_events = EventBuffer::new();
        processor
            .process(
                &inputs,
                &mut outputs,
                &events.as_input(),
                &mut out_events.as_output(),
                Some(self.steady_time),
                transport,
            )
            .unwrap_or_else(|e| panic!("process failed: {e:?}"));
        self.steady_time += frames;
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.deactivate();
    }
}

pub fn param_event(time: u32, id: u32, value: f64) -> ParamValueEvent {
    ParamValueEvent::new(time, ClapId::new(id), Pckn::match_all(), value)
}

/// Runs `input` through the instance in blocks of the given sizes (cycled), events per block
/// from `events_for(block_start, block_len)`; returns the output.
pub fn run_blocks(
    inst: &mut Instance,
    input: &[Vec<f32>; 2],
    block_sizes: &[usize],
    mut events_for: impl FnMut(usize, usize) -> EventBuffer,
) -> [Vec<f32>; 2] {
    let n = input[0].len();
    let mut out = [vec![0f32; n], vec![0f32; n]];
    let mut inp = input.clone();
    let mut pos = 0;
    let mut k = 0;
    while pos < n {
        let len = block_sizes[k % block_sizes.len()].min(n - pos);
        k += 1;
        let events = events_for(pos, len);
        let [il, ir] = &mut inp;
        let [ol, or] = &mut out;
        inst.process(
            [&mut il[pos..pos + len], &mut ir[pos..pos + len]],
            [&mut ol[pos..pos + len], &mut or[pos..pos + len]],
            &events,
        );
        if len == 0 && k > 100_000 {
            panic!("no progress");
        }
        pos += len;
    }
    out
}
