//! `cargo xtask`: the project's entry points.
//!
//! - `cargo xtask install`: the main job. Installs missing system packages, builds the CLAP and
//!   VST3 bundles, copies them to ~/.clap and ~/.vst3, and masters the built-in demo mix to the
//!   streaming target with a factory preset (before/after figures, report.json and report.png).
//! - `cargo xtask test`: the full test suite (format, lints, all tests, bundle build).
//! - `cargo xtask setup`: only the system packages.
//! - `cargo xtask screenshot`: the headless editor screenshot (tests/tools/editor.png);
//!   `cargo xtask screenshot --window`: the editor in a real X11 window under Xvfb while the demo
//!   mix plays (docs/editor-window.png).
//! - `cargo xtask bench-juce [--seconds S] [--rounds N]`: the default chain side by side with
//!   JUCE's bare `Limiter` in pedalboard (benches/juce/compare.py), printing the throughput ratio.
//! - `cargo xtask bundle lacquer --release`: nice-plug's bundler.

mod bench_juce;

use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T> = std::result::Result<T, String>;

/// Debian/Ubuntu packages the build needs: ALSA and JACK headers (nice-plug's standalone
/// backends), X11/XCB/GL/xkbcommon (baseview + egui), pkg-config to find them, and Xvfb (with
/// xauth for `xvfb-run` and Mesa's software GL) for the editor-in-a-window test.
const SYSTEM_PACKAGES: &[&str] = &[
    "pkg-config",
    "libasound2-dev",
    "libjack-jackd2-dev",
    "libx11-xcb-dev",
    "libxcursor-dev",
    "libxcb-icccm4-dev",
    "libxcb-dri2-0-dev",
    "libgl1-mesa-dev",
    "libxkbcommon-dev",
    "xvfb",
    "xauth",
    "libgl1-mesa-dri",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("install") => install(),
        Some("test") => test(),
        Some("screenshot") => screenshot(&args[1..]),
        Some("bench-juce") => bench_juce::bench_juce(&args[1..]),
        _ => nice_plug_xtask::main().map_err(|e| format!("{e:#}")),
    };
    if let Err(message) = result {
        eprintln!("xtask: error: {message}");
        std::process::exit(1);
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    println!("xtask: running {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// What `cargo xtask screenshot --window` needs besides [`SYSTEM_PACKAGES`]: `xwd` (x11-apps)
/// to capture the window and ImageMagick's `convert` to turn it into a PNG.
const WINDOW_SCREENSHOT_PACKAGES: &[&str] = &["x11-apps", "imagemagick"];

/// Installs the missing system packages with apt-get (through sudo when not root).
fn setup() -> Result<()> {
    install_packages(SYSTEM_PACKAGES)
}

/// Installs those of `packages` that are missing, with apt-get (through sudo when not root).
fn install_packages(packages: &[&str]) -> Result<()> {
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        println!(
            "xtask: not a Debian/Ubuntu system; make sure the equivalents of these are installed: {}",
            packages.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !is_installed(p)).collect();
    if missing.is_empty() {
        println!("xtask: system packages present");
        return Ok(());
    }
    println!("xtask: installing missing system packages: {}", missing.join(" "));
    let sudo = !is_root();
    let apt = |args: &[&str]| -> Result<()> {
        let mut full: Vec<&str> = Vec::new();
        if sudo {
            full.extend(["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        } else {
            full.extend(["DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        }
        full.extend(args);
        if sudo {
            run("sudo", &full)
        } else {
            run("env", &full)
        }
    };
    let mut install_args = vec!["install", "-y", "--no-install-recommends"];
    install_args.extend(missing.iter());
    apt(&["update"]).and_then(|_| apt(&install_args)).map_err(|e| {
        format!(
            "{e}\nInstall these packages yourself, then run the command again: sudo apt-get install {}",
            missing.join(" ")
        )
    })
}

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| "HOME is not set".to_string())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("cannot replace {}: {e}", to.display()))?;
    }
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("cannot copy to {}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// Builds the bundles (release) and returns the folder they are in.
fn bundle() -> Result<PathBuf> {
    nice_plug_xtask::main_with_args("cargo xtask", ["bundle", "lacquer", "--release"].map(String::from))
        .map_err(|e| format!("bundling failed: {e:#}"))?;
    let bundled = workspace_root().join("target").join("bundled");
    for name in ["Lacquer.clap", "Lacquer.vst3"] {
        if !bundled.join(name).exists() {
            return Err(format!("bundle {name} was not produced in {}", bundled.display()));
        }
    }
    Ok(bundled)
}

/// The factory preset `install` masters the demo mix with.
const DEMO_PRESET: &str = "transparent-streaming";

fn install() -> Result<()> {
    setup()?;
    let bundled = bundle()?;
    let home = home()?;
    let clap_dir = home.join(".clap");
    let vst3_dir = home.join(".vst3");
    std::fs::create_dir_all(&clap_dir).map_err(|e| format!("cannot create {}: {e}", clap_dir.display()))?;
    let clap_target = clap_dir.join("Lacquer.clap");
    std::fs::copy(bundled.join("Lacquer.clap"), &clap_target)
        .map_err(|e| format!("cannot copy to {}: {e}", clap_target.display()))?;
    let vst3_target = vst3_dir.join("Lacquer.vst3");
    copy_dir(&bundled.join("Lacquer.vst3"), &vst3_target)?;

    let demo_dir = workspace_root().join("target").join("demo");
    std::fs::create_dir_all(&demo_dir).map_err(|e| format!("cannot create {}: {e}", demo_dir.display()))?;
    let cli = workspace_root().join("target").join("release").join("lacquer");
    let mix = demo_dir.join("demo-mix.wav");
    let master = demo_dir.join("demo-master.wav");
    let cli_str = cli.to_string_lossy().to_string();
    run(&cli_str, &["demo", &mix.to_string_lossy(), "--force"])?;
    // Show the product: master the demo to the streaming target with a factory preset, safe
    // for lossy codecs, with the report (the CLI prints the loudness and true peak before and
    // after, and the MP3 round trip).
    let demo_dir_str = demo_dir.to_string_lossy().to_string();
    let printed = run_capture(
        &cli_str,
        &[
            "master",
            &mix.to_string_lossy(),
            &master.to_string_lossy(),
            "--preset",
            DEMO_PRESET,
            "--codec-safe",
            "--report",
            &demo_dir_str,
            "--force",
        ],
    )?;
    // The before/after figures the CLI printed, repeated under the summary.
    let figures: Vec<&str> = printed
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("integrated ") || l.starts_with("after an MP3") || l.starts_with("codec-safe:"))
        .collect();
    println!();
    println!("Done.");
    println!("  CLAP plugin : {}", clap_target.display());
    println!("  VST3 plugin : {}", vst3_target.display());
    println!("  bundles     : {}", bundled.display());
    println!("  CLI         : {}", cli.display());
    println!("  demo mix    : {}", mix.display());
    println!("  demo master : {} (preset {DEMO_PRESET}: -14 LUFS, -1 dBTP, codec-safe)", master.display());
    for line in figures {
        println!("                {}", line.trim());
    }
    println!(
        "  report      : {} and {}",
        demo_dir.join("report.json").display(),
        demo_dir.join("report.png").display()
    );
    Ok(())
}

/// Runs a command like [`run`], echoing its output as it goes, and returns what it printed.
fn run_capture(program: &str, args: &[&str]) -> Result<String> {
    println!("xtask: running {program} {}", args.join(" "));
    let output = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{text}");
    if output.status.success() {
        Ok(text)
    } else {
        Err(format!("`{program} {}` failed ({})", args.join(" "), output.status))
    }
}

fn test() -> Result<()> {
    setup()?;
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    run("cargo", &["test", "--workspace"])?;
    // The plugin's own process path through the real CLAP ABI, built with nice-plug's
    // `assert_process_allocs` (a debug build whose allocator aborts on any allocation inside
    // `process`), driven by the host harness: random blocks, parameter events, state loads.
    run("cargo", &["test", "--features", "assert_process_allocs", "--test", "clap_host", "--test", "state"])?;
    // process() feeding the Learn capture (needs the test hooks), without and with the check.
    run("cargo", &["clippy", "--features", "test_hooks", "--test", "clap_capture", "--", "-D", "warnings"])?;
    run("cargo", &["test", "--features", "test_hooks", "--test", "clap_capture"])?;
    run("cargo", &["test", "--features", "assert_process_allocs,test_hooks", "--test", "clap_capture"])?;
    // The editor in a real X11 window through the CLAP GUI extension (OpenGL on Mesa), on a
    // virtual display; without a display that test would only skip, so require one here.
    run(
        "xvfb-run",
        &[
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            "env",
            "LACQUER_REQUIRE_DISPLAY=1",
            "cargo",
            "test",
            "--test",
            "gui_host",
        ],
    )?;
    // The bundles must build (release, as users get them).
    bundle()?;
    println!("xtask: all tests passed and the bundles build");
    Ok(())
}

/// `cargo xtask screenshot`: renders the editor offscreen (CPU rasteriser, no GPU or display
/// needed) to tests/tools/editor.png. With `--window`: [`window_screenshot`].
fn screenshot(args: &[String]) -> Result<()> {
    match args {
        [] => run("cargo", &["run", "--example", "screenshot", "--", "tests/tools/editor.png"]),
        [flag, rest @ ..] if flag == "--window" => window_screenshot(rest),
        _ => {
            Err(format!("unknown screenshot arguments {args:?}; use `cargo xtask screenshot [--window [--seconds N]]`"))
        }
    }
}

/// Where `screenshot --window` writes its PNG.
const WINDOW_SCREENSHOT: &str = "docs/editor-window.png";

/// `cargo xtask screenshot --window [--seconds N]`: the editor as it appears in a real X11
/// window. Installs what it needs (Xvfb, Mesa's software GL, xwd, ImageMagick), builds the
/// plugin and `tests/tools/window_screenshot.rs`, and runs that under a fresh Xvfb display: it
/// hosts the plugin through CLAP, embeds the editor (baseview + OpenGL on llvmpipe), plays the
/// demo mix through it in real time for N seconds (default 11, enough to fill the 10 s level/GR
/// history), with the host transport playing, captures the window with `xwd`
/// and converts it with ImageMagick to docs/editor-window.png.
fn window_screenshot(args: &[String]) -> Result<()> {
    let seconds = match args {
        [] => "11".to_string(),
        [flag, n] if flag == "--seconds" => n.clone(),
        _ => return Err(format!("unknown arguments {args:?}; use `cargo xtask screenshot --window [--seconds N]`")),
    };
    install_packages(SYSTEM_PACKAGES)?;
    install_packages(WINDOW_SCREENSHOT_PACKAGES)?;
    let started = std::time::Instant::now();
    // The example finds the plugin next to itself (target/debug/liblacquer.so); `cargo build`
    // builds both.
    run("cargo", &["build", "--lib", "--example", "window_screenshot"])?;
    let built = started.elapsed();
    let exe = workspace_root().join("target").join("debug").join("examples").join("window_screenshot");
    let exe = exe.to_string_lossy().to_string();
    // A 24-bit screen larger than the editor; Mesa's software rasteriser (no GPU under Xvfb).
    run(
        "xvfb-run",
        &[
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            "env",
            "LIBGL_ALWAYS_SOFTWARE=1",
            &exe,
            WINDOW_SCREENSHOT,
            "--seconds",
            &seconds,
        ],
    )?;
    println!(
        "xtask: {WINDOW_SCREENSHOT} written (build {:.0} s, capture {:.0} s)",
        built.as_secs_f64(),
        (started.elapsed() - built).as_secs_f64()
    );
    Ok(())
}
