//! The binary at a terminal: `check` run under a pseudo-terminal (util-linux `script`, part of
//! every Debian base system), the way a budget owner runs the dry-run before pushing. Stdout
//! and stderr are then terminals, so the link phase draws its progress bar; no other test
//! sees that path, which is how a run that never returned once went unnoticed.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::http::{Reply, TestServer};
use support::{scratch, TODAY};

/// A repository whose config opens links on 127.0.0.1 quickly and turns off `url-https`
/// (the loopback server is plain http), with one budget-change packet citing `urls`.
fn repo(name: &str, urls: &[String]) -> std::path::PathBuf {
    let dir = scratch(&format!("terminal-{name}"));
    fs::write(
        dir.join(".packetgate.yml"),
        "policies: [no-https.yml]\nlinks:\n  allow_private: [127.0.0.1]\n  timeout_secs: 2\n  \
         connect_timeout_secs: 1\n  backoff_ms: 10\n  exclude: ['cometapi\\.com', 'finops\\.org']\n",
    )
    .unwrap();
    fs::write(
        dir.join("no-https.yml"),
        "policy: budget-change\nextends: budget-change\nrules:\n  - id: url-https\n    enabled: false\n",
    )
    .unwrap();
    let mut packet = String::from(support::LINKS_PACKET_HEAD);
    packet.push_str("sources:\n");
    for (i, url) in urls.iter().enumerate() {
        packet.push_str(&format!(
            "  - area: Link {i}\n    verify: The page opens.\n    url: {url}\n    accessed: 2026-11-16\n"
        ));
    }
    fs::write(dir.join("packet.yaml"), packet).unwrap();
    dir
}

struct Tty {
    code: Option<i32>,
    screen: String,
    elapsed: Duration,
}

/// `packetgate ARGS…` in `dir` with a pseudo-terminal for stdin, stdout and stderr; killed
/// (and reported as `code: None`) if it has not finished within `limit`.
fn at_terminal(dir: &Path, args: &[&str], limit: Duration) -> Tty {
    let bin = env!("CARGO_BIN_EXE_packetgate");
    let command = std::iter::once(bin)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let start = Instant::now();
    let mut child = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(dir)
        // What a person's shell has: no CI marker, colour allowed.
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for script") {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("script output");
    Tty {
        code,
        screen: String::from_utf8_lossy(&out.stdout).into_owned(),
        elapsed: start.elapsed(),
    }
}

#[test]
fn check_with_live_links_returns_at_a_terminal() {
    let server = TestServer::start(|_, _| Reply::ok("evidence"));
    let dir = repo("one-link", &[server.url("/doc")]);
    let run = at_terminal(
        &dir,
        &["check", "--today", TODAY, "packet.yaml"],
        Duration::from_secs(30),
    );
    assert_eq!(
        run.code,
        Some(0),
        "after {:?}, screen:\n{}",
        run.elapsed,
        run.screen
    );
    assert_eq!(server.hits("/doc"), 1, "the link was opened");
    assert!(run.screen.contains("packet.yaml"), "{}", run.screen);
}

#[test]
fn a_hundred_links_draw_the_bar_and_clear_it() {
    let server = TestServer::start(|_, _| Reply::ok("evidence").after(Duration::from_millis(30)));
    let urls: Vec<String> = (0..100).map(|i| server.url(&format!("/doc/{i}"))).collect();
    let dir = repo("hundred-links", &urls);
    let run = at_terminal(
        &dir,
        &["check", "--today", TODAY, "packet.yaml"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(0), "screen:\n{}", run.screen);
    assert_eq!(server.total_hits(), 100);
    assert!(
        run.screen.contains("links ["),
        "no progress bar:\n{}",
        run.screen
    );
}

#[test]
fn offline_check_returns_at_a_terminal() {
    let dir = repo("offline", &["https://example.invalid/doc".to_string()]);
    let run = at_terminal(
        &dir,
        &["check", "--offline", "--today", TODAY, "packet.yaml"],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, Some(0), "screen:\n{}", run.screen);
    assert!(!run.screen.contains("links ["), "{}", run.screen);
}
