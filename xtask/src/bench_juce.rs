//! `cargo xtask bench-juce`: Lacquer's default chain side by side with JUCE's bare `Limiter` in
//! one host (pedalboard, Spotify's Python wrapper around JUCE, from PyPI).
//!
//! Builds the release bundles, makes a virtual environment under `target/juce-bench/venv` with
//! the pinned pedalboard and numpy (installing Debian's `python3-venv` when `venv` is missing),
//! and runs `benches/juce/compare.py`, which prints both medians and the throughput ratio.

use crate::{bundle, install_packages, run, workspace_root, Result};

/// The pedalboard release the README's figure was measured with.
const PEDALBOARD: &str = "pedalboard==0.9.26";

pub fn bench_juce(extra: &[String]) -> Result<()> {
    let bundled = bundle()?;
    let venv = workspace_root().join("target").join("juce-bench").join("venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        let venv_str = venv.to_string_lossy().to_string();
        if run("python3", &["-m", "venv", &venv_str]).is_err() {
            install_packages(&["python3-venv"])?;
            run("python3", &["-m", "venv", &venv_str])?;
        }
    }
    let python = python.to_string_lossy().to_string();
    run(&python, &["-m", "pip", "install", "--quiet", PEDALBOARD, "numpy"])?;
    let script = workspace_root().join("benches").join("juce").join("compare.py");
    let vst3 = bundled.join("Lacquer.vst3");
    let (script, vst3) = (script.to_string_lossy().to_string(), vst3.to_string_lossy().to_string());
    let mut args = vec![script.as_str(), vst3.as_str()];
    args.extend(extra.iter().map(String::as_str));
    run(&python, &args)
}
