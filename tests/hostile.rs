//! The hostile-input suite: files built to break a parser or fool a gate. Malformed YAML of
//! every kind, alias bombs, 10,000-deep nesting, huge scalars and files over the size cap,
//! NUL bytes, invalid UTF-8, UTF-16 and UTF-32, every line ending, tabs, front-matter
//! variants, tags and merge keys, numbers and booleans where text belongs, foreign date
//! formats, homoglyphs, invisible and right-to-left characters, Markdown markup nested to
//! break a renderer, and secrets split or disguised.
//!
//! Every file is judged by the real binary, many files per run as a user would name them.
//! The suite checks the verdict and the exact findings (`LINE:COL RULE FIELD`), that nothing
//! panics (exit 0 or 1, never 101, no "panicked" on stderr), that no secret shows in the JSON
//! or in the human report's snippets, and that the huge inputs stay inside a time and memory
//! bound.
//!
//! `tests/fixtures/hostile/` holds the small files, each with a `.expect` file in the format of
//! `tests/cases.rs`; `UPDATE_EXPECT=1 cargo test --test hostile` rewrites them (review the
//! diff!). The huge ones are generated into a scratch folder at run time.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{
    compare_with_expect_files, expect_summary, finding_lines, root, scratch,
    PASSING_TRACE as PASSING, TODAY,
};

/// Substrings of the secrets the fixtures hold. A mask keeps at most four characters of a
/// secret, so none of these may ever be printed.
const SECRET_PARTS: &[&str] = &[
    "k-proj-",
    "378N4QvLVj",
    "63ITEaWXW2",
    "bWUzByWltY",
    "FNg6Dn896R",
    "o4pzQm81LxVr",
    "f2d1c0b9a8",
    // A token used as a clone URL's user name (secret--token-as-url-user-name.md).
    "mN5bL7kJ4hG1fD9s",
    // Markers inside the generated keys and tokens.
    "QQtail",
    "QQtok",
];

/// Each generated input is judged in its own process, two at a time. CPU time is the bound
/// that matters (a shared machine stretches wall time, not work): measured on the debug build,
/// at most 2.0 s for one input and 12.4 s for all of them, while a quadratic regression takes
/// minutes. The wall-clock limit only stops a hang.
const GENERATED_CPU_EACH: Duration = Duration::from_secs(10);
const GENERATED_CPU_ALL: Duration = Duration::from_secs(60);
const GENERATED_WALL_EACH: Duration = Duration::from_secs(60);
/// Each also runs within this much address space (`prlimit --as`; the biggest input needs
/// under 192 MiB) and this much resident memory (measured: at most 49.4 MiB, the nested
/// Markdown markup). Without the alias byte budget one of the bombs asks for 39 GB; reading
/// the 4 GiB file whole would ask for 4 GiB.
const GENERATED_ADDRESS_SPACE: u64 = 1 << 30;
const GENERATED_RSS_KIB: u64 = 256 * 1024;

fn hostile_dir() -> PathBuf {
    root().join("tests/fixtures/hostile")
}

/// What one run of the binary showed.
struct Judged {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// Peak resident set in KiB and CPU time (user and system), when `/usr/bin/time` is
    /// there to say.
    max_rss_kib: Option<u64>,
    cpu: Option<Duration>,
}

/// Runs `packetgate check --offline --today TODAY --format FORMAT FILES…` in `dir`, stdout to
/// a file (so a big report cannot block a pipe), under `prlimit --as=MEMORY` and
/// `/usr/bin/time` when they exist; kills it and fails if it outlives `limit`.
fn judge(
    dir: &Path,
    format: &str,
    files: &[String],
    limit: Duration,
    memory: Option<u64>,
) -> Judged {
    let tag = format!(
        "{}-{format}-{}",
        dir.file_name().unwrap().to_string_lossy(),
        files.first().map_or("none", String::as_str)
    )
    .replace(['/', '\\'], "_");
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let (out_path, err_path, rss_path) = (
        out_dir.join(format!("{tag}.out")),
        out_dir.join(format!("{tag}.err")),
        out_dir.join(format!("{tag}.rss")),
    );
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_packetgate"));
    let mut argv: Vec<String> = Vec::new();
    // GNU time and util-linux prlimit: Linux only (BSD time takes other flags).
    let linux = cfg!(target_os = "linux");
    if let Some(bytes) = memory.filter(|_| linux && Path::new("/usr/bin/prlimit").exists()) {
        argv.extend([
            "/usr/bin/prlimit".into(),
            format!("--as={bytes}"),
            "--".into(),
        ]);
    }
    let timed = linux && Path::new("/usr/bin/time").exists();
    if timed {
        argv.extend([
            "/usr/bin/time".into(),
            "-f".into(),
            "%M %U %S".into(),
            "-o".into(),
            rss_path.to_string_lossy().into_owned(),
        ]);
    }
    argv.push(exe.to_string_lossy().into_owned());
    argv.extend(
        ["check", "--offline", "--today", TODAY, "--format", format]
            .iter()
            .map(|s| s.to_string()),
    );
    argv.extend(files.iter().cloned());
    let start = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()))
        .spawn()
        .expect("run packetgate");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for packetgate") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "packetgate ran past {limit:?} on {} file(s) in {}",
                files.len(),
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let stderr = read(&err_path);
    // `time` reports a failed child's status on a line of its own before the figures.
    let figures = if timed {
        read(&rss_path)
    } else {
        String::new()
    };
    let figures: Vec<f64> = figures
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let stdout = read(&out_path);
    for p in [&out_path, &err_path, &rss_path] {
        let _ = std::fs::remove_file(p);
    }
    Judged {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
        elapsed,
        max_rss_kib: figures.first().map(|k| *k as u64),
        cpu: (figures.len() == 3).then(|| Duration::from_secs_f64(figures[1] + figures[2])),
    }
}

/// What every run must show: a verdict exit code (never a crash), no panic, no secret.
fn assert_sane(run: &Judged, what: &str) {
    assert!(
        run.code == 0 || run.code == 1,
        "{what}: exit code {} (0 or 1 expected); stderr:\n{}",
        run.code,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "{what}: a panic:\n{}",
        run.stderr
    );
    for part in SECRET_PARTS {
        if let Some(at) = run.stdout.find(part) {
            let from = run.stdout[..at]
                .char_indices()
                .rev()
                .nth(120)
                .map_or(0, |(i, _)| i);
            panic!(
                "{what}: secret text `{part}` printed: …{}…",
                &run.stdout[from..at + part.len()]
            );
        }
    }
}

fn parse(run: &Judged) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}); stderr:\n{}", run.stderr))
}

fn fixture_names() -> Vec<String> {
    support::fixture_names(&hostile_dir())
}

#[test]
fn every_hostile_file_matches_its_expectation() {
    let dir = hostile_dir();
    let names = fixture_names();
    assert!(names.len() >= 40, "only {} hostile files", names.len());
    let run = judge(&dir, "json", &names, Duration::from_secs(60), None);
    assert_sane(&run, "hostile files (json)");
    let json = parse(&run);
    let packets = json["packets"].as_array().expect("packets array");
    let any_fail = packets.iter().any(|p| p["verdict"] == "fail");
    assert_eq!(
        run.code,
        i32::from(any_fail),
        "exit code follows the verdicts"
    );
    compare_with_expect_files(&dir, &names, packets);

    // The human report prints the lines findings point at: the secrets must be masked there
    // too, in every spelling the file uses (escaped, split, with invisible characters). The
    // other formats render the same findings.
    for format in ["human", "sarif", "github"] {
        let other = judge(&dir, format, &names, Duration::from_secs(60), None);
        assert_sane(&other, &format!("hostile files ({format})"));
    }

    // A one-letter URL password is masked where it stands, not in every word.
    let url = packets
        .iter()
        .find(|p| {
            p["path"]
                .as_str()
                .is_some_and(|s| s.ends_with("secret--one-letter-url-password.yaml"))
        })
        .and_then(|p| p["findings"].as_array())
        .and_then(|fs| fs.iter().find(|f| f["rule"] == "url-credentials"))
        .expect("url-credentials finding");
    assert!(
        url["message"]
            .as_str()
            .unwrap()
            // The user name is masked as well: it is often the token itself.
            .contains("`https://****:****@apidoc.cometapi.com/support/help-center`"),
        "{url}"
    );
    // `!!python/object/apply` ran nothing.
    assert!(!dir.join("hostile-tag-ran").exists());
}

/// Text fixtures whose line breaks can be rewritten without changing their meaning: UTF-8
/// or binary-but-not-UTF-16, LF only.
fn lf_fixtures() -> Vec<(String, Vec<u8>)> {
    fixture_names()
        .into_iter()
        .filter(|n| !n.contains("utf16") && !n.contains("utf32"))
        .map(|n| {
            let bytes = std::fs::read(hostile_dir().join(&n)).unwrap();
            (n, bytes)
        })
        .filter(|(_, b)| !b.contains(&b'\r'))
        .collect()
}

/// The same bytes with every LF written as `style` says: `crlf`, `cr`, or `mixed` (LF, CRLF
/// and CR in turn; never CR before an empty line, which would read as one CRLF).
fn with_line_endings(bytes: &[u8], style: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'\n' {
            out.push(b);
            continue;
        }
        let next_empty = bytes.get(i + 1) == Some(&b'\n');
        let line = bytes[..i].iter().filter(|&&c| c == b'\n').count();
        let ending: &[u8] = match (style, line % 3) {
            ("crlf", _) | ("mixed", 1) => b"\r\n",
            ("mixed", 2) if next_empty => b"\r\n",
            ("cr", _) | ("mixed", 2) => b"\r",
            _ => b"\n",
        };
        out.extend_from_slice(ending);
    }
    out
}

#[test]
fn line_numbers_survive_every_line_ending() {
    let dir = scratch("hostile-line-endings");
    let fixtures = lf_fixtures();
    assert!(fixtures.len() >= 40, "only {} LF fixtures", fixtures.len());
    let styles = ["lf", "crlf", "cr", "mixed"];
    let mut paths = Vec::new();
    for style in styles {
        std::fs::create_dir_all(dir.join(style)).unwrap();
        for (name, bytes) in &fixtures {
            std::fs::write(dir.join(style).join(name), with_line_endings(bytes, style)).unwrap();
            paths.push(format!("{style}/{name}"));
        }
    }
    let run = judge(&dir, "json", &paths, Duration::from_secs(60), None);
    assert_sane(&run, "line endings");
    let json = parse(&run);
    let packets = json["packets"].as_array().expect("packets array");
    assert_eq!(packets.len(), paths.len());
    let n = fixtures.len();
    let mut failures = String::new();
    for (i, (name, _)) in fixtures.iter().enumerate() {
        let lf = expect_summary(&packets[i]);
        for (s, style) in styles.iter().enumerate().skip(1) {
            let other = expect_summary(&packets[s * n + i]);
            if other != lf {
                let _ = write!(failures, "--- {name} ({style})\nLF:\n{lf}{style}:\n{other}");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "line endings change findings:\n{failures}"
    );
}

/// A generated input and what must be found in it.
struct Generated {
    name: &'static str,
    bytes: Vec<u8>,
    verdict: &'static str,
    /// Findings that must be there, as `LINE:COL RULE` (or `LINE:* RULE` when the column is
    /// not the point).
    expect: Vec<String>,
    /// A rule and how many findings of it (for the inputs that make thousands).
    count: Option<(&'static str, usize)>,
}

const CAP: usize = 1024 * 1024;

/// Deterministic key-like text (a linear congruential generator; no rand crate needed).
fn random_chars(seed: u64, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZabcdefghijkmnoprstuvwxyz23456789";
    let mut x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ALPHABET[(x >> 33) as usize % ALPHABET.len()] as char
        })
        .collect()
}

fn key(i: u64) -> String {
    format!("sk-proj-{}", random_chars(i, 32))
}

fn generated() -> Vec<Generated> {
    let s = |t: &str| t.as_bytes().to_vec();
    let expect = |items: &[&str]| items.iter().map(|i| i.to_string()).collect::<Vec<_>>();
    let mut all = Vec::new();

    // 10,000-deep nesting, flow and block.
    all.push(Generated {
        name: "deep-flow-sequences.yaml",
        bytes: s(&format!(
            "packet: cost-trace\nowner: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        )),
        verdict: "fail",
        expect: expect(&["2:71 yaml-limits"]),
        count: None,
    });
    all.push(Generated {
        name: "deep-flow-mappings.yaml",
        bytes: s(&format!(
            "packet: cost-trace\nowner: {}x{}\n",
            "{a: ".repeat(10_000),
            "}".repeat(10_000)
        )),
        verdict: "fail",
        expect: expect(&["2:* yaml-limits"]),
        count: None,
    });
    all.push(Generated {
        name: "deep-flow-never-closed.yaml",
        bytes: s(&format!(
            "packet: cost-trace\nowner: {}\n",
            "[".repeat(10_000)
        )),
        verdict: "fail",
        expect: expect(&["2:71 yaml-limits"]),
        count: None,
    });
    all.push(Generated {
        name: "deep-flow-in-front-matter.md",
        bytes: s(&format!(
            "---\npacket: cost-trace\nowner: {}{}\n---\nprose\n",
            "[{a: ".repeat(5_000),
            "}]".repeat(5_000)
        )),
        verdict: "fail",
        expect: expect(&["3:* yaml-limits"]),
        count: None,
    });
    all.push(Generated {
        name: "deep-block-sequences.yaml",
        bytes: s(&format!(
            "packet: cost-trace\nowner:\n  {}x\n",
            "- ".repeat(10_000)
        )),
        verdict: "fail",
        expect: expect(&["3:129 yaml-limits"]),
        count: None,
    });
    // Indented block mappings: 1,400 levels fit under the size cap, 10,000 do not.
    let block = |levels: usize| {
        let mut t = String::from("packet: cost-trace\nowner:\n");
        for i in 1..=levels {
            t.push_str(&" ".repeat(i));
            t.push_str("k:\n");
        }
        t
    };
    all.push(Generated {
        name: "deep-block-mappings-1400.yaml",
        bytes: s(&block(1_400)),
        verdict: "fail",
        expect: expect(&["66:65 yaml-limits"]),
        count: None,
    });
    all.push(Generated {
        name: "deep-block-mappings-10000.yaml",
        bytes: s(&block(10_000)),
        verdict: "fail",
        expect: expect(&["1:1 file-too-large"]),
        count: None,
    });

    // Alias bombs by size, not count: 49,000 copies of an 800 KB value are 39 GB.
    let mut bomb = format!(
        "packet: cost-trace\na: &a \"{}\"\nb: [",
        "x".repeat(800_000)
    );
    bomb.push_str(&vec!["*a"; 49_000].join(","));
    bomb.push_str("]\n");
    all.push(Generated {
        name: "alias-bomb-big-value.yaml",
        bytes: s(&bomb),
        verdict: "fail",
        expect: expect(&["3:* yaml-limits"]),
        count: None,
    });
    // The classic, ten levels deep, in flow mappings.
    let mut laughs = String::from("packet: cost-trace\nl0: &l0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol, j: lol}\n");
    for level in 1..10 {
        let refs: Vec<String> = (0..10).map(|k| format!("k{k}: *l{}", level - 1)).collect();
        let _ = writeln!(laughs, "l{level}: &l{level} {{{}}}", refs.join(", "));
    }
    all.push(Generated {
        name: "alias-bomb-ten-levels.yaml",
        bytes: s(&laughs),
        verdict: "fail",
        expect: expect(&["6:41 yaml-limits"]),
        count: None,
    });

    // Huge scalars and files over the cap.
    let padding = CAP - PASSING.len() - 200;
    let mut line = PASSING.to_string();
    let _ = writeln!(
        line,
        "notes: \"{} the key was {}\"",
        "a".repeat(padding),
        key(1)
    );
    let key_col = 8 + padding + 13 + 1;
    all.push(Generated {
        name: "one-megabyte-line.yaml",
        bytes: s(&line),
        verdict: "fail",
        expect: vec![format!("21:{key_col} secret-in-packet")],
        count: Some(("secret-in-packet", 1)),
    });
    let words = "budget ".repeat((CAP - PASSING.len() - 100) / 7);
    all.push(Generated {
        name: "one-megabyte-plain-value.yaml",
        bytes: s(&format!("{PASSING}notes: {words}\n")),
        verdict: "pass",
        expect: Vec::new(),
        count: None,
    });
    let mut over = PASSING.to_string();
    over.push('#');
    over.push_str(&"x".repeat(CAP - over.len()));
    over.push('\n');
    assert_eq!(over.len(), CAP + 1);
    all.push(Generated {
        name: "one-byte-over-the-cap.yaml",
        bytes: s(&over),
        verdict: "fail",
        expect: expect(&["1:1 file-too-large"]),
        count: None,
    });
    let mut at_cap = over;
    at_cap.pop();
    all.push(Generated {
        name: "exactly-at-the-cap.yaml",
        bytes: s(&at_cap),
        verdict: "pass",
        expect: Vec::new(),
        count: None,
    });

    // Volume: thousands of keys, duplicates, anchors, tags, secrets, hidden characters.
    let keys: String = (0..24_000).map(|i| format!("k{i}: {i}\n")).collect();
    all.push(Generated {
        name: "many-keys.yaml",
        bytes: s(&format!("{PASSING}{keys}")),
        verdict: "pass",
        expect: expect(&["21:1 unknown-field"]),
        count: Some(("unknown-field", 24_000)),
    });
    let dups: String = (0..20_000).map(|_| "decision: PASS\n").collect();
    all.push(Generated {
        name: "many-duplicate-keys.yaml",
        bytes: s(&format!("{PASSING}{dups}")),
        verdict: "fail",
        expect: expect(&["21:1 yaml-duplicate-key"]),
        count: Some(("yaml-duplicate-key", 20_000)),
    });
    let flow_keys: Vec<String> = (0..40_000).map(|i| format!("k{i}")).collect();
    all.push(Generated {
        name: "many-keys-in-one-flow-mapping.yaml",
        bytes: s(&format!(
            "packet: cost-trace\nowner: {{{}}}\n",
            flow_keys.join(", ")
        )),
        verdict: "fail",
        expect: expect(&["2:* yaml-limits"]),
        count: None,
    });
    let anchors: String = (0..12_000).map(|i| format!("  - &a{i} x\n")).collect();
    let aliases: Vec<String> = (0..12_000).map(|i| format!("*a{i}")).collect();
    all.push(Generated {
        name: "many-anchors-and-aliases.yaml",
        bytes: s(&format!(
            "{PASSING}x-anchors:\n{anchors}x-aliases: [{}]\n",
            aliases.join(",")
        )),
        verdict: "pass",
        expect: expect(&["21:1 unknown-field"]),
        count: Some(("unknown-field", 2)),
    });
    // Empty anchored nodes in one flow list, one line long: placing each value once read
    // the rest of the line, so 175,000 of them took 90 s (the attack's `[&a,&b,…]`). Under
    // the value budget the packet passes; filling the size cap with them, and with empty
    // tags and anchored values, meets the budget.
    let empty: Vec<String> = (0..40_000).map(|i| format!("&a{i}")).collect();
    all.push(Generated {
        name: "many-empty-anchors-on-one-line.yaml",
        bytes: s(&format!("{PASSING}x-anchors: [{}]\n", empty.join(","))),
        verdict: "pass",
        expect: expect(&["21:1 unknown-field"]),
        count: Some(("unknown-field", 1)),
    });
    let mut props = format!("{PASSING}x-anchors: [");
    for i in 0.. {
        let item = match i % 3 {
            0 => format!("&a{i},"),
            1 => format!("!t{i},"),
            _ => format!("&a{i} v,"),
        };
        if props.len() + item.len() + 2 > CAP {
            break;
        }
        props.push_str(&item);
    }
    props.push_str("]\n");
    all.push(Generated {
        name: "anchors-and-tags-up-to-the-cap.yaml",
        bytes: s(&props),
        verdict: "fail",
        expect: expect(&["21:* yaml-limits"]),
        count: None,
    });
    all.push(Generated {
        name: "many-tags-on-one-line.yaml",
        bytes: s(&format!(
            "{PASSING}x-tags: [{}]\n",
            vec!["!!str a"; 24_000].join(", ")
        )),
        verdict: "pass",
        expect: expect(&["21:1 unknown-field"]),
        count: None,
    });
    let comments: String = (0..20_000).map(|i| format!("# {}\n", key(i))).collect();
    all.push(Generated {
        name: "many-secrets.yaml",
        bytes: s(&format!("{PASSING}{comments}")),
        verdict: "fail",
        expect: expect(&["21:3 secret-in-packet", "20020:3 secret-in-packet"]),
        count: Some(("secret-in-packet", 20_000)),
    });
    // Keys split over two lines of a literal block, each: the splice path at scale.
    let split: String = (0..8_000)
        .map(|i| {
            let k = key(i);
            format!("  {}\n  QQtail{}\n", &k[..24], &k[24..])
        })
        .collect();
    all.push(Generated {
        name: "many-split-secrets.yaml",
        bytes: s(&format!("{PASSING}notes: |\n{split}")),
        verdict: "fail",
        expect: expect(&["22:3 secret-in-packet", "16020:3 secret-in-packet"]),
        count: Some(("secret-in-packet", 8_000)),
    });
    // Escaped keys in one double-quoted line: the decoded path at scale.
    let escaped: Vec<String> = (0..14_000)
        .map(|i| format!("\\x73{}", &key(i)[1..]))
        .collect();
    all.push(Generated {
        name: "many-escaped-secrets-on-one-line.yaml",
        bytes: s(&format!("{PASSING}notes: \"{}\"\n", escaped.join(" "))),
        verdict: "fail",
        expect: expect(&["21:9 secret-in-packet"]),
        count: Some(("secret-in-packet", 14_000)),
    });
    // Escaped blanks: keys split by `\t` in one double-quoted line, each read through; and a
    // megabyte of `\t` after a letter that no key follows, each run looked at once.
    let tabbed: Vec<String> = (0..12_000)
        .map(|i| {
            let k = key(i);
            format!("{}\\tQQtail{}", &k[..24], &k[24..])
        })
        .collect();
    all.push(Generated {
        name: "many-keys-split-by-escaped-tabs.yaml",
        bytes: s(&format!("{PASSING}notes: \"{}\"\n", tabbed.join(" "))),
        verdict: "fail",
        expect: expect(&["21:9 secret-in-packet"]),
        count: Some(("secret-in-packet", 12_000)),
    });
    all.push(Generated {
        name: "escaped-tabs-on-one-line.yaml",
        bytes: s(&format!(
            "{PASSING}# x{} y\n",
            "\\t".repeat((CAP - PASSING.len() - 20) / 2)
        )),
        verdict: "pass",
        expect: Vec::new(),
        count: None,
    });
    let tokens: Vec<String> = (0..30_000)
        .map(|i| format!("x8y7QQtok{i:08}{}", random_chars(i, 8)))
        .collect();
    let with_tokens = PASSING.replace(
        "request_ref: \"req-sample-7f3a (from the request log, no headers)\"",
        &format!("request_ref: \"{}\"", tokens.join(" ")),
    );
    all.push(Generated {
        name: "many-tokens-in-one-field.yaml",
        bytes: s(&with_tokens),
        verdict: "fail",
        expect: expect(&["13:15 ct-request-ref-safe"]),
        count: Some(("ct-request-ref-safe", 30_000)),
    });
    let hidden: String = (0..20_000)
        .map(|i| format!("# note {i}\u{200b}\n"))
        .collect();
    all.push(Generated {
        name: "many-hidden-characters.yaml",
        bytes: s(&format!("{PASSING}{hidden}")),
        verdict: "fail",
        expect: expect(&["21:9 file-encoding"]),
        count: Some(("file-encoding", 20_000)),
    });
    let prose: String = (0..10_000)
        .map(|i| format!("Run {i}: http://x{i}.example/?utm_source=a costs $0.40 per 1M tokens.\n"))
        .collect();
    all.push(Generated {
        name: "many-links-and-claims.md",
        bytes: s(&format!("---\n{PASSING}---\n\n{prose}")),
        verdict: "fail",
        expect: expect(&["24:8 url-https", "24:8 url-tracking", "24:* claim-price"]),
        count: Some(("claim-price", 10_000)),
    });
    // Claim-, URL- and key-dense packets near the size cap: the cost of reading claims must
    // grow with the text, not with its square.
    let sentence = "and 10,000 RPM costs $0.40 per 1M tokens uptime 99.9% ";
    let one_sentence = sentence.repeat((CAP - 2048) / sentence.len());
    all.push(Generated {
        name: "dense-claims-one-sentence.md",
        bytes: s(&format!("---\n{PASSING}---\n\n{one_sentence}\n")),
        verdict: "fail",
        expect: expect(&[
            "24:5 claim-rate-limit",
            "24:* claim-price",
            "24:* claim-uptime",
        ]),
        count: Some(("claim-price", (CAP - 2048) / sentence.len())),
    });
    let claim = "The key allows 10,000 RPM and costs $0.40 per 1M tokens with 99.9% uptime, p95 under 300 ms. ";
    let many = (CAP - 2048) / claim.len();
    all.push(Generated {
        name: "dense-claims-in-one-value.yaml",
        bytes: s(&format!("{PASSING}notes: \"{}\"\n", claim.repeat(many))),
        verdict: "fail",
        expect: expect(&[
            "21:24 claim-rate-limit",
            "21:* claim-price",
            "21:* claim-latency",
        ]),
        count: Some(("claim-latency", many)),
    });
    let link = "https://x.example/a?utm_source=b ";
    all.push(Generated {
        name: "dense-links-on-one-line.md",
        bytes: s(&format!(
            "---\n{PASSING}---\n\n{}\n",
            link.repeat((CAP - 2048) / link.len())
        )),
        verdict: "fail",
        expect: expect(&["24:1 url-tracking"]),
        count: Some(("url-tracking", (CAP - 2048) / link.len())),
    });
    // Claims in the keys and values of one flow mapping on one line: each is placed by a
    // lookup at its column, not by walking the line once per key.
    let pairs: Vec<String> = (0..12_000)
        .map(|i| format!("\"k{i} costs $0.40 per 1M tokens\": \"$0.30 per 1M tokens\""))
        .collect();
    all.push(Generated {
        name: "claims-in-flow-keys-and-values.yaml",
        bytes: s(&format!("{PASSING}extra: {{{}}}\n", pairs.join(", "))),
        verdict: "fail",
        expect: expect(&[
            "21:19 claim-price",
            "21:42 claim-price",
            "21:1 unknown-field",
        ]),
        count: Some(("claim-price", 24_000)),
    });
    // One claim in a megabyte of non-ASCII words: a Unicode word boundary in a topic regex
    // once made this take seconds in the release build.
    let words = "ß ".repeat((CAP - 2048) / "ß ".len());
    all.push(Generated {
        name: "claim-in-non-ascii-text.md",
        bytes: s(&format!("---\n{PASSING}---\n\nuptime 99.9% {words}\n")),
        verdict: "fail",
        expect: expect(&["24:8 claim-uptime"]),
        count: Some(("claim-uptime", 1)),
    });
    let pad = "x".repeat(100);
    let nested: String = (0..7_000)
        .map(|i| format!("k{i}_{pad}:\n  a:\n    b: $0.40 per 1M tokens\n"))
        .collect();
    all.push(Generated {
        name: "dense-nested-keys.yaml",
        bytes: s(&format!("{PASSING}{nested}")),
        verdict: "fail",
        expect: expect(&["23:8 claim-price"]),
        count: Some(("claim-price", 7_000)),
    });
    // Keys the prose spells with an entity and splits with markup, one paragraph of them:
    // each is found through the rendered text and placed where the file writes it.
    let marked: String = (0..12_000)
        .map(|i| {
            let k = key(i);
            format!(
                "Key {i}: sk&#45;{}**{}**<b>{}</b>\n",
                &k[3..14],
                &k[14..24],
                &k[24..]
            )
        })
        .collect();
    all.push(Generated {
        name: MARKED_KEYS_INPUT,
        bytes: s(&format!("---\n{PASSING}---\n\n{marked}")),
        verdict: "fail",
        expect: expect(&["24:8 secret-in-packet", "12023:12 secret-in-packet"]),
        count: Some(("secret-in-packet", 12_000)),
    });
    // Links written in reference definitions with entities, used twice each and out of
    // order: each definition is read once, each link found once, where the definition is.
    let uses: String = (0..6_000)
        .map(|i| format!("See [d{i}][{i}] and [again][{}].\n", 5_999 - i))
        .collect();
    let defs: String = (0..6_000)
        .map(|i| format!("[{i}]: http&#58;//x{i}.example/?utm&#95;source=a\n"))
        .collect();
    all.push(Generated {
        name: REFERENCE_LINKS_INPUT,
        bytes: s(&format!("---\n{PASSING}---\n\n{uses}\n{defs}")),
        verdict: "fail",
        expect: expect(&["6025:6 url-https", "12024:9 url-tracking"]),
        count: Some(("url-tracking", 6_000)),
    });
    // Markup the prose renderer must read in linear time: a line of emphasis and links that
    // never close, brackets and images nested 20,000 deep, then a table of rows whose cells
    // hold bold claims, links, entities and code spans, and a last claim behind an entity.
    let (markup, claim_rows) = nested_markup();
    all.push(Generated {
        name: MARKUP_INPUT,
        bytes: s(&markup),
        verdict: "fail",
        expect: vec![
            format!("{}:5 claim-price", MARKUP_TABLE_LINE + 2),
            format!("{}:13 claim-price", markup.lines().count()),
        ],
        count: Some(("claim-price", claim_rows + 1)),
    });
    // One 1 MiB line of claims: placing each must not count the line from its start.
    let sentence = "Entrée: input costs **$0.40** per 1M tokens. ";
    let n = (CAP - PASSING.len() - 20) / sentence.len();
    let line = sentence.repeat(n);
    let last = line[..line.rfind('$').unwrap()].chars().count() + 1;
    all.push(Generated {
        name: MARKUP_LINE_INPUT,
        bytes: s(&format!("---\n{PASSING}---\n\n{line}\n")),
        verdict: "fail",
        expect: vec!["24:23 claim-price".into(), format!("24:{last} claim-price")],
        count: Some(("claim-price", n)),
    });
    // A returned change's note of a megabyte of field names as bystanders, with lists and
    // marks around them: whether a name is named as what is missing is judged with a bounded
    // look either way of each name, not with a look at every other name.
    let bc =
        std::fs::read_to_string(root().join("examples/valid/budget-change-new-request-class.yaml"))
            .expect("example");
    let unit = "the owner mapping and retry behaviour, see notes -- per the approval status ";
    let note = unit.repeat((CAP - bc.len() - 200) / unit.len());
    let returned = bc.replace(
        "approval_status: pending\n",
        &format!("approval_status: returned\ndecision_note: \"{note}\"\n"),
    );
    let note_line = returned
        .lines()
        .position(|l| l.starts_with("decision_note:"))
        .expect("note")
        + 1;
    all.push(Generated {
        name: "long-returned-note.yaml",
        bytes: s(&returned),
        verdict: "fail",
        expect: vec![format!("{note_line}:16 bc-returned-note-names-fields")],
        count: Some(("bc-returned-note-names-fields", 1)),
    });
    // A table of one-character cells under a topic header: each cell reads as a claim by its
    // column, but a packet's cells add at most 1,000 of them (not a finding per two bytes).
    let columns = 40;
    let header = format!(
        "|{}|\n|{}\n",
        vec!["rate limit"; columns].join("|"),
        "-|".repeat(columns)
    );
    let row: String = format!(
        "|{}|\n",
        (0..columns)
            .map(|i| (i % 10).to_string())
            .collect::<Vec<_>>()
            .join("|")
    );
    // A quarter of the cap is a hundred times the bound (rendering a megabyte of cells costs
    // seconds of CPU in the debug build whatever the claims do).
    let rows = (CAP / 4) / row.len();
    all.push(Generated {
        name: "table-of-tiny-cells.md",
        bytes: s(&format!(
            "---\n{PASSING}---\n\n{header}{}",
            row.repeat(rows)
        )),
        verdict: "fail",
        expect: expect(&["26:4 claim-rate-limit"]),
        count: Some(("claim-rate-limit", 1_000)),
    });
    all
}

/// A human report of a long line with thousands of findings shows a window of the line under
/// each (with the caret under the figure), not the whole line again and again: a 128 KiB line
/// of claims once printed 679 MB.
#[test]
fn human_snippets_of_a_long_line_stay_short() {
    let dir = scratch("hostile-long-line-human");
    let claim = "The key allows 10,000 RPM and costs $0.40 per 1M tokens. ";
    let n = 128 * 1024 / claim.len();
    std::fs::write(
        dir.join("long.md"),
        format!("---\n{PASSING}---\n\n{}\n", claim.repeat(n)),
    )
    .unwrap();
    let run = judge(
        &dir,
        "human",
        &["long.md".to_string()],
        GENERATED_WALL_EACH,
        Some(GENERATED_ADDRESS_SPACE),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.len() < 8 << 20,
        "{} bytes of report",
        run.stdout.len()
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    let snippet = lines
        .iter()
        .position(|l| l.starts_with("24 | "))
        .expect("a snippet of line 24");
    assert!(lines[snippet].chars().count() < 200, "{}", lines[snippet]);
    // The caret stands under the figure the finding names.
    let caret = lines[snippet + 1].find('^').expect("caret");
    assert!(
        lines[snippet][caret..].starts_with("10,000"),
        "{}",
        lines[snippet]
    );
}

/// The run's deadline reaches inside one packet: a 1 MiB sentence of figures read with a
/// one-second budget stops part-way with a failing `limit-time` finding, soon after the
/// budget ends.
#[test]
fn the_deadline_stops_a_packet_part_way() {
    let dir = scratch("hostile-deadline");
    std::fs::write(
        dir.join(".packetgate.yml"),
        "limits:\n  run_budget_secs: 1\n",
    )
    .unwrap();
    let sentence = "and 10,000 RPM costs $0.40 per 1M tokens uptime 99.9% ";
    let text = format!(
        "---\n{PASSING}---\n\n{}\n",
        sentence.repeat((CAP - 2048) / sentence.len())
    );
    std::fs::write(dir.join("slow.md"), &text).unwrap();
    let files = ["slow.md".to_string()];
    let run = judge(
        &dir,
        "json",
        &files,
        GENERATED_WALL_EACH,
        Some(GENERATED_ADDRESS_SPACE),
    );
    let json = parse(&run);
    let packet = &json["packets"][0];
    assert_eq!(packet["verdict"], "fail");
    let rules: Vec<&str> = packet["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    let complete = (CAP - 2048) / sentence.len();
    let judged = rules.iter().filter(|r| **r == "claim-price").count();
    if rules.contains(&"limit-time") {
        assert!(judged < complete, "stopped, yet every claim was read");
        assert!(
            run.elapsed < Duration::from_secs(5),
            "the budget was 1 s, the run took {:?}",
            run.elapsed
        );
    } else {
        // A machine fast enough to read it all inside the budget.
        assert_eq!(judged, complete, "no limit-time, yet claims are missing");
    }
}

const MARKUP_LINE_INPUT: &str = "markdown-one-line-of-claims.md";

const MARKUP_INPUT: &str = "markdown-nested-markup.md";
const MARKED_KEYS_INPUT: &str = "markdown-marked-up-keys.md";
const REFERENCE_LINKS_INPUT: &str = "markdown-reference-links.md";
/// Where the table of [`nested_markup`] starts.
const MARKUP_TABLE_LINE: usize = 28;

/// A Markdown packet just under the size cap, and how many table rows hold a claim.
fn nested_markup() -> (String, usize) {
    let mut t = format!("---\n{PASSING}---\n\n");
    t.push_str(&"*a **b [c](https://e.example/) _d ".repeat(6_000));
    t.push_str("\n\n");
    t.push_str(&"[".repeat(20_000));
    t.push_str(&"![".repeat(20_000));
    t.push('x');
    t.push_str(&"](y)".repeat(20_000));
    t.push_str("\n\n| price | link | note |\n|---|---|---|\n");
    assert_eq!(t.lines().count() + 1, MARKUP_TABLE_LINE + 2);
    let row = "| **$0.40** per 1M tokens | [a](https://a.example/ \"t\") | &#36;1 `c` ~~d~~ |\n";
    let last = "\nInput costs &#36;0.40 per 1M tokens.\n";
    let rows = (CAP - t.len() - last.len()) / row.len();
    t.push_str(&row.repeat(rows));
    t.push_str(last);
    assert!(t.len() <= CAP);
    (t, rows)
}

/// Inputs held to a tighter CPU bound than [`GENERATED_CPU_EACH`]. On the debug build the
/// nested markup takes 1.6 s of CPU (the same before prose keys and links were read), the
/// marked-up keys 0.44 s and the reference links 0.39 s; the bound leaves room for a slow
/// shared machine, and a renderer gone quadratic takes minutes.
fn cpu_budget(name: &str) -> Duration {
    match name {
        MARKUP_INPUT | MARKUP_LINE_INPUT | MARKED_KEYS_INPUT | REFERENCE_LINKS_INPUT => {
            Duration::from_secs(4)
        }
        _ => GENERATED_CPU_EACH,
    }
}

#[test]
fn huge_deep_and_bomb_inputs_stay_bounded() {
    let dir = scratch("hostile-generated");
    let mut inputs = generated();
    for g in &inputs {
        std::fs::write(dir.join(g.name), &g.bytes).unwrap();
    }
    // A 4 GiB file, sparse: only the size cap may ever be read.
    let sparse = dir.join("four-gib-sparse.yaml");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    #[cfg(unix)]
    let sparse_ok = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&sparse).unwrap().blocks() * 512 < 16 << 20
    };
    #[cfg(not(unix))]
    let sparse_ok = false;
    if sparse_ok {
        inputs.push(Generated {
            name: "four-gib-sparse.yaml",
            bytes: Vec::new(),
            verdict: "fail",
            expect: vec!["1:1 file-too-large".into()],
            count: None,
        });
    } else {
        let _ = std::fs::remove_file(&sparse);
        eprintln!("this file system has no sparse files: the 4 GiB case is skipped");
    }

    // Two at a time, each in its own process with its own bounds.
    let start = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut runs: Vec<(usize, Judged)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(g) = inputs.get(i) else { break };
                        let files = [g.name.to_string()];
                        let limit = GENERATED_WALL_EACH;
                        done.push((
                            i,
                            judge(&dir, "json", &files, limit, Some(GENERATED_ADDRESS_SPACE)),
                        ));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let all = start.elapsed();
    runs.sort_by_key(|(i, _)| *i);
    let _ = std::fs::remove_file(&sparse);
    let _ = std::fs::remove_file(dir.join("deep-block-mappings-10000.yaml"));

    let mut failures = String::new();
    let mut table = String::new();
    let mut cpu_all = Duration::ZERO;
    for (g, (_, run)) in inputs.iter().zip(&runs) {
        let rss = run
            .max_rss_kib
            .map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0));
        let cpu = run
            .cpu
            .map_or("?".into(), |c| format!("{:.2}", c.as_secs_f64()));
        let wall = run.elapsed.as_secs_f64();
        let _ = writeln!(
            table,
            "  {:<38} {wall:>6.2} s wall {cpu:>6} s cpu {rss:>6} MiB",
            g.name
        );
        assert_sane(run, g.name);
        if let Some(kib) = run.max_rss_kib.filter(|k| *k >= GENERATED_RSS_KIB) {
            let _ = writeln!(failures, "{}: peak RSS {kib} KiB", g.name);
        }
        if let Some(cpu) = run.cpu {
            cpu_all += cpu;
            if cpu >= cpu_budget(g.name) {
                let _ = writeln!(failures, "{}: {cpu:?} of CPU", g.name);
            }
        }
        let json = parse(run);
        let packet = &json["packets"][0];
        assert_eq!(packet["path"].as_str(), Some(g.name));
        let findings = packet["findings"].as_array().cloned().unwrap_or_default();
        if packet["verdict"] != g.verdict {
            let _ = writeln!(
                failures,
                "{}: verdict {} (want {})",
                g.name, packet["verdict"], g.verdict
            );
        }
        for want in &g.expect {
            let (at, rule) = want.split_once(' ').unwrap();
            let (line, col) = at.split_once(':').unwrap();
            let found = findings.iter().any(|f| {
                f["rule"] == rule
                    && f["line"].as_u64().is_some_and(|l| l.to_string() == line)
                    && (col == "*" || f["column"].as_u64().is_some_and(|c| c.to_string() == col))
            });
            if !found {
                let first: Vec<String> = finding_lines(packet).into_iter().take(5).collect();
                let _ = writeln!(failures, "{}: no `{want}` among {first:?}", g.name);
            }
        }
        if let Some((rule, n)) = g.count {
            let got = findings.iter().filter(|f| f["rule"] == rule).count();
            if got != n {
                let _ = writeln!(failures, "{}: {got} `{rule}` findings (want {n})", g.name);
            }
        }
    }
    eprintln!(
        "generated inputs, {} files: {:.2} s wall, {:.2} s cpu in all\n{table}",
        inputs.len(),
        all.as_secs_f64(),
        cpu_all.as_secs_f64()
    );
    assert!(
        cpu_all < GENERATED_CPU_ALL,
        "all generated inputs took {cpu_all:?} of CPU"
    );
    assert!(failures.is_empty(), "{failures}");
}

/// A key used as a field name reaches the `field` of the unknown-field finding: it is masked
/// there as in messages, fixes and snippets.
#[test]
fn a_key_used_as_a_field_name_is_masked_in_field() {
    let dir = scratch("hostile-key-as-field");
    let text = format!("{PASSING}{}: x\n", key(7));
    std::fs::write(dir.join("key-as-field.yaml"), text).unwrap();
    let run = judge(
        &dir,
        "json",
        &["key-as-field.yaml".into()],
        Duration::from_secs(30),
        None,
    );
    assert_sane(&run, "a key as a field name");
    let json = parse(&run);
    let line = PASSING.lines().count() + 1;
    assert_eq!(
        finding_lines(&json["packets"][0]),
        [
            format!("{line}:1 secret-in-packet -"),
            format!("{line}:1 unknown-field sk-p****"),
        ]
    );
}
