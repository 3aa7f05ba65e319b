//! `lacquer album` end to end: bad input is refused with one line and leaves nothing behind.

use std::path::Path;
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn bad_album_input_is_one_line_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = d.join("demo.wav");
    let lacquer = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_lacquer")).args(args).output().unwrap();
    assert!(lacquer(&["demo", s(&demo)]).status.success());
    let existing = d.join("existing");
    std::fs::create_dir(&existing).unwrap();
    let out = d.join("album");
    for (args, expect) in [
        (vec!["album", s(&out), s(&demo), s(&d.join("missing.wav"))], "not found"),
        (vec!["album", s(&out), s(&demo), "--gap", "-1"], "outside"),
        (vec!["album", s(&out), s(&demo), "--gap", "abc"], "expects a number"),
        (vec!["album", s(&existing), s(&demo)], "already exists"),
    ] {
        let r = lacquer(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{args:?} succeeded");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        let mut left: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
        left.sort();
        assert_eq!(left, ["demo.wav", "existing"], "{args:?} left files behind");
        assert!(std::fs::read_dir(&existing).unwrap().next().is_none());
    }
}
