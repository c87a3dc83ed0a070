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

/// `script` running `packetgate ARGS…` in `dir` with a pseudo-terminal for its stdin, stdout
/// and stderr. What is written to the returned child's stdin is typed at that terminal.
fn spawn_at_terminal(dir: &Path, args: &[&str]) -> std::process::Child {
    let bin = env!("CARGO_BIN_EXE_packetgate");
    let command = std::iter::once(bin)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(dir)
        // What a person's shell has: no CI marker, colour allowed.
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs")
}

/// `packetgate ARGS…` in `dir` at a pseudo-terminal; killed (and reported as `code: None`) if
/// it has not finished within `limit`.
fn at_terminal(dir: &Path, args: &[&str], limit: Duration) -> Tty {
    let start = Instant::now();
    let mut child = spawn_at_terminal(dir, args);
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

#[test]
fn quiet_hides_the_bar() {
    let server = TestServer::start(|_, _| Reply::ok("evidence").after(Duration::from_millis(30)));
    let urls: Vec<String> = (0..40).map(|i| server.url(&format!("/doc/{i}"))).collect();
    let dir = repo("quiet", &urls);
    let run = at_terminal(
        &dir,
        &["check", "--quiet", "--today", TODAY, "packet.yaml"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(0), "screen:\n{}", run.screen);
    assert_eq!(server.total_hits(), 40);
    assert!(!run.screen.contains("links ["), "{}", run.screen);
    // A passing packet prints only the verdict line.
    assert!(!run.screen.contains("PASS"), "{}", run.screen);
    assert!(
        run.screen.contains("1 packet checked, 1 passed"),
        "{}",
        run.screen
    );
}

/// Ctrl-C while links are being opened: the run stops at once with exit code 130, the bar is
/// cleared, and the link cache is left as it was (a whole file, never half of one).
#[test]
fn ctrl_c_stops_at_once_with_130_and_writes_nothing_half() {
    use std::io::{Read, Write};
    let server = TestServer::start(|_, _| Reply::ok("evidence").after(Duration::from_secs(20)));
    let urls: Vec<String> = (0..30).map(|i| server.url(&format!("/doc/{i}"))).collect();
    let dir = repo("ctrl-c", &urls);
    let cache = r#"{"version":1,"links":{}}"#;
    fs::write(dir.join("cache.json"), cache).unwrap();
    let mut child = spawn_at_terminal(
        &dir,
        &[
            "check",
            "--today",
            TODAY,
            "--link-cache",
            "cache.json",
            "packet.yaml",
        ],
    );
    // Read the screen as it comes, until the bar shows.
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Vec::new();
    let start = Instant::now();
    while !String::from_utf8_lossy(&screen).contains("links [") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no bar:\n{}",
            String::from_utf8_lossy(&screen)
        );
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            screen.extend(chunk);
        }
    }
    // Ctrl-C, typed at the terminal (the line discipline turns it into SIGINT).
    let pressed = Instant::now();
    child.stdin.as_mut().unwrap().write_all(b"\x03").unwrap();
    child.stdin.as_mut().unwrap().flush().unwrap();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            pressed.elapsed() < Duration::from_secs(10),
            "still running 10 s after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let stopped = pressed.elapsed();
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        screen.extend(chunk);
    }
    let screen = String::from_utf8_lossy(&screen);
    assert_eq!(code, Some(130), "screen:\n{screen}");
    assert!(stopped < Duration::from_secs(3), "took {stopped:?}");
    assert!(screen.contains("interrupted"), "{screen}");
    assert_eq!(fs::read_to_string(dir.join("cache.json")).unwrap(), cache);
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}
