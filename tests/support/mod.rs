//! Shared helpers for the integration tests: run the real binary, parse its JSON.
#![allow(dead_code)]

pub mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The day the fixtures are written against, so date rules never drift with the clock.
pub const TODAY: &str = "2026-11-20";

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_packetgate"))
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// `packetgate ARGS…` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    bin()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run packetgate")
        .into()
}

/// `packetgate check --offline --today TODAY ARGS…` in `dir`.
pub fn check(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "--offline", "--today", TODAY];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// `packetgate check --offline --today TODAY --format json ARGS…` in `dir`, parsed.
pub fn check_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let r = check(dir, &all);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stdout:\n{}\nstderr:\n{}",
            r.stdout, r.stderr
        )
    });
    (r.code, v)
}

/// A fresh folder under the target dir (no tempfile crate needed).
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Findings of one packet as `LINE:COL RULE FIELD` lines, sorted as reported.
pub fn finding_lines(packet: &serde_json::Value) -> Vec<String> {
    packet["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    format!(
                        "{}:{} {} {}",
                        f["line"],
                        f["column"],
                        f["rule"].as_str().unwrap_or("?"),
                        f["field"].as_str().unwrap_or("-")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
