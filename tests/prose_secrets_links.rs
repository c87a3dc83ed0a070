//! Keys and links in Markdown prose are read as the prose displays, like claims
//! (`tests/normalise.rs`): a key spelled with an entity, an escape, or markup between its
//! pieces, in a link's text or destination, in a table cell or in code, is the key a reader
//! copies; a link whose scheme or query is written with an entity or an escape, or whose
//! destination sits in a reference definition, is the link a reader opens. The real binary
//! judges each spelling: the key gives `secret-in-packet` at the line and column where the
//! file writes it, and no output (human with its snippets, JSON, SARIF, GitHub annotations,
//! the gate's check run, comment and report) shows any 12 characters of it; the link gives
//! the plain link's url-* findings, once, where the file writes it.

mod support;

use support::{bin, check, check_json, finding_lines, scratch, PASSING_TRACE as FIELDS, TODAY};

/// The file's line where the prose starts: `---`, 20 fields, `---`, a blank line.
const PROSE: u32 = 24;

/// A fake key, invented for these tests.
const KEY: &str = "sk-proj-378N4QvLVj63ITEaWXW2bWUzByWltYFNg6Dn896R";

fn markdown(prose: &str) -> String {
    format!("---\n{FIELDS}---\n\n{prose}\n")
}

/// Where `needle` first stands in `prose`: (lines after the first prose line, column).
fn spot(prose: &str, needle: &str) -> (u32, u32) {
    let at = prose
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in {prose:?}"));
    let before = &prose[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() as u32,
        before[line_start..].chars().count() as u32 + 1,
    )
}

/// Writes `files` into a fresh folder; their names, in order.
fn write(dir_name: &str, files: &[(String, String)]) -> (std::path::PathBuf, Vec<String>) {
    let dir = scratch(dir_name);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    (dir, files.iter().map(|(n, _)| n.clone()).collect())
}

/// Each packet of a JSON report, in the order of `names`.
fn packets(json: &serde_json::Value, names: &[String]) -> Vec<serde_json::Value> {
    let packets = json["packets"].as_array().expect("packets").clone();
    assert_eq!(packets.len(), names.len());
    for (p, name) in packets.iter().zip(names) {
        assert_eq!(p["path"].as_str(), Some(name.as_str()));
    }
    packets
}

/// Fails if `text` holds any 12 characters in a row of `secret`.
fn assert_never_shown(secret: &str, text: &str, what: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for run in chars.windows(12) {
        let run: String = run.iter().collect();
        assert!(
            !text.contains(&run),
            "{what} shows `{run}` of the key:\n{text}"
        );
    }
}

/// Each way the prose may spell [`KEY`], and how the file's spelling starts (where the
/// finding must point).
fn key_spellings() -> Vec<(&'static str, String, String)> {
    let tail = &KEY[8..];
    let with = |spelled: &str| format!("The key is {spelled} here.");
    let entity = KEY.replacen("sk-", "sk&#45;", 1);
    vec![
        ("plain", with(KEY), "sk-proj".into()),
        ("entity", with(&entity), "sk&#45;".into()),
        (
            "numeric-entity-first",
            with(&format!("&#115;{}", &KEY[1..])),
            "&#115;".into(),
        ),
        (
            "hex-entity-first",
            with(&format!("&#x73;{}", &KEY[1..])),
            "&#x73;".into(),
        ),
        (
            "entity-last",
            with(&format!("{}&#82;", &KEY[..KEY.len() - 1])),
            "sk-proj".into(),
        ),
        (
            "escape",
            with(&KEY.replacen("sk-", "sk\\-", 1)),
            "sk\\-".into(),
        ),
        (
            "bold-split",
            with(&format!("sk-**proj**-{tail}")),
            "sk-**".into(),
        ),
        (
            "emphasis-split",
            with(&format!("sk-*proj*-{tail}")),
            "sk-*".into(),
        ),
        (
            "inline-html-split",
            with(&format!("sk-<b>proj</b>-{tail}")),
            "sk-<b>".into(),
        ),
        (
            "link-text",
            format!("See [{entity}](https://apidoc.cometapi.com/) here."),
            "sk&#45;".into(),
        ),
        (
            "link-destination",
            format!("See [the console](https://apidoc.cometapi.com/?key={entity}) here."),
            "sk&#45;".into(),
        ),
        (
            "reference-destination",
            format!("See [the console][c] here.\n\n[c]: https://apidoc.cometapi.com/?key={entity}"),
            "sk&#45;".into(),
        ),
        (
            "table-cell",
            format!("| Item | Value |\n|---|---|\n| key | sk-**proj**-{tail} |"),
            "sk-**".into(),
        ),
        (
            "table-cell-entity",
            format!("| Item | Value |\n|---|---|\n| key | `x` {entity} |"),
            "sk&#45;".into(),
        ),
        (
            "html-block",
            format!("<div>\n<p>The key is {entity}\nhere.</p>\n</div>"),
            "sk&#45;".into(),
        ),
        (
            "code-span",
            format!("The key is `{KEY}` here."),
            "sk-proj".into(),
        ),
        (
            "fenced-code",
            format!("```sh\nexport KEY={KEY}\n```"),
            "sk-proj".into(),
        ),
        (
            "wrapped-markup",
            format!("The key is\n**sk-proj**-{tail}\nhere."),
            "sk-proj".into(),
        ),
    ]
}

#[test]
fn every_prose_spelling_of_a_key_is_found_where_written_and_never_shown() {
    let cases = key_spellings();
    let files: Vec<(String, String)> = cases
        .iter()
        .map(|(name, prose, _)| (format!("{name}.md"), markdown(prose)))
        .collect();
    let (dir, names) = write("prose-secrets", &files);
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    let (code, json) = check_json(&dir, &args);
    assert_eq!(code, 1);
    let mut wrong = Vec::new();
    for ((name, prose, start), p) in cases.iter().zip(packets(&json, &names)) {
        let (line, col) = spot(prose, start);
        let want = [format!("{}:{col} secret-in-packet -", PROSE + line)];
        if finding_lines(&p) != want {
            wrong.push(format!("{name}: {:?}, want {want:?}", finding_lines(&p)));
        }
        assert_eq!(
            p["findings"][0]["message"].as_str(),
            Some("API key (sk-…) in the packet: `sk-p****`"),
            "{name}"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for format in ["human", "json", "sarif", "github"] {
        let mut all = vec!["--format", format];
        all.extend(&args);
        let r = check(&dir, &all);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert_never_shown(KEY, &r.stdout, format);
        assert_never_shown(KEY, &r.stderr, format);
        if format == "human" {
            // The snippet is there, masked, for every packet.
            assert_eq!(
                r.stdout.matches("error[secret-in-packet]").count(),
                cases.len()
            );
        }
    }
}

#[test]
fn the_gate_never_shows_a_key_spelled_in_prose() {
    let files: Vec<(String, String)> = key_spellings()
        .into_iter()
        .map(|(name, prose, _)| (format!("{name}.md"), markdown(&prose)))
        .collect();
    let (dir, _) = write("prose-secrets-gate", &files);
    let runner = scratch("prose-secrets-gate-runner");
    let event = runner.join("event.json");
    std::fs::write(&event, r#"{"schedule": "0 6 * * 1"}"#).unwrap();
    let out = bin()
        .args([
            "github",
            "--dry-run",
            "--offline",
            "--today",
            TODAY,
            "--event",
        ])
        .arg(&event)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_EVENT_NAME", "schedule")
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
        .env("GITHUB_SHA", "0123456789012345678901234567890123456789")
        .env("GITHUB_STEP_SUMMARY", runner.join("summary.md"))
        .env("GITHUB_OUTPUT", runner.join("output.txt"))
        .env("RUNNER_TEMP", &runner)
        .output()
        .expect("run packetgate github");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // The comment escapes the message's Markdown and shows the masked key as a code span.
    assert!(
        stdout.contains(r"API key \(sk-…\) in the packet: `sk-p****`"),
        "{stdout}"
    );
    assert_never_shown(KEY, &stdout, "the gate's check run and comment");
    assert_never_shown(KEY, &String::from_utf8_lossy(&out.stderr), "the gate's log");
    let report = std::fs::read_to_string(runner.join("packetgate-report.json")).unwrap();
    assert!(report.contains("secret-in-packet"));
    assert_never_shown(KEY, &report, "the gate's JSON report");
    for written in ["summary.md", "output.txt"] {
        let text = std::fs::read_to_string(runner.join(written)).unwrap_or_default();
        assert_never_shown(KEY, &text, written);
    }
}

/// A packet the loader refuses (its front matter is broken) prints the lines its findings
/// point at; a key its prose spells with entities on such a line is masked there too.
#[test]
fn a_refused_markdown_packet_masks_a_key_spelled_in_its_prose() {
    let entity = KEY.replacen("sk-", "sk&#45;", 1);
    // The zero-width space puts a finding on the key's line.
    let text = format!(
        "---\npacket: cost-trace\nowner: [unclosed\n---\n\nThe key is {}\u{200b}{} here.\n",
        &entity[..20],
        &entity[20..]
    );
    let (dir, _) = write("prose-secrets-refused", &[("refused.md".into(), text)]);
    let r = check(&dir, &["refused.md"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("error[file-encoding]"), "{}", r.stdout);
    assert!(r.stdout.contains("6 | The key is sk&#****"), "{}", r.stdout);
    assert_never_shown(KEY, &r.stdout, "the refused packet's report");
}

/// Each way the prose may write one bad link (plain http with a tracking parameter), and how
/// the file's spelling of it starts.
fn link_spellings() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "plain",
            "See http://x.example/a?utm_source=b now.",
            "http://",
        ),
        (
            "inline-link",
            "See [docs](http://x.example/a?utm_source=b) now.",
            "http://",
        ),
        (
            "entity-scheme",
            "See [docs](http&#58;//x.example/a?utm_source=b) now.",
            "http&#58;",
        ),
        (
            "entity-query",
            "See [docs](http://x.example/a?utm&#95;source=b) now.",
            "http://",
        ),
        (
            "escaped-query",
            "See [docs](http://x.example/a?utm\\_source=b) now.",
            "http://",
        ),
        (
            "angle-destination",
            "See [docs](<http&#58;//x.example/a?utm_source=b>) now.",
            "http&#58;",
        ),
        (
            "entity-in-text",
            "See http&#58;//x.example/a?utm_source=b now.",
            "http&#58;",
        ),
        // The line alone reads a `tp://…` link here: the rendered `http://…` stands for it.
        (
            "entity-inside-scheme",
            "See [docs](h&#116;tp://x.example/a?utm_source=b) now.",
            "h&#116;",
        ),
        (
            "entity-inside-scheme-in-text",
            "See h&#x74;tp://x.example/a?utm&#95;source=b now.",
            "h&#x74;",
        ),
        (
            "bold-parameter",
            "See http://x.example/a?**utm_source**=b now.",
            "http://",
        ),
        (
            "reference",
            "See [docs][1] now.\n\n[1]: http://x.example/a?utm_source=b",
            "http://",
        ),
        (
            "reference-entities",
            "See [docs][1] now.\n\n[1]: http&#58;//x.example/a?utm&#95;source=b",
            "http&#58;",
        ),
        (
            "reference-used-twice",
            "See [docs][1] and [again][1].\n\n[1]: <http&#58;//x.example/a?utm_source=b>",
            "http&#58;",
        ),
        (
            "collapsed-reference",
            "See [docs][] now.\n\n[docs]: http&#58;//x.example/a?utm_source=b",
            "http&#58;",
        ),
        (
            "shortcut-reference",
            "See [docs] now.\n\n[docs]: http&#58;//x.example/a?utm_source=b \"Docs\"",
            "http&#58;",
        ),
        (
            "image",
            "![chart](http&#58;//x.example/a?utm_source=b)",
            "http&#58;",
        ),
        (
            "table-cell",
            "| Source | Link |\n|---|---|\n| docs | [d](http&#58;//x.example/a?utm&#95;source=b) |",
            "http&#58;",
        ),
        (
            "html-block",
            "<p>See http&#58;//x.example/a?utm_source=b now.</p>",
            "http&#58;",
        ),
    ]
}

#[test]
fn every_prose_spelling_of_a_bad_link_gets_the_plain_findings_once() {
    let cases = link_spellings();
    let files: Vec<(String, String)> = cases
        .iter()
        .map(|(name, prose, _)| (format!("{name}.md"), markdown(prose)))
        .collect();
    let (dir, names) = write("prose-links", &files);
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    let (code, json) = check_json(&dir, &args);
    assert_eq!(code, 1);
    let all = packets(&json, &names);
    let messages = |p: &serde_json::Value| -> Vec<String> {
        p["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["rule"], f["message"]))
            .collect()
    };
    let plain = messages(&all[0]);
    assert_eq!(plain.len(), 2, "{plain:?}");
    let mut wrong = Vec::new();
    for ((name, prose, start), p) in cases.iter().zip(&all) {
        let (line, col) = spot(prose, start);
        let at = PROSE + line;
        let want = [
            format!("{at}:{col} url-https -"),
            format!("{at}:{col} url-tracking -"),
        ];
        if finding_lines(p) != want || messages(p) != plain {
            wrong.push(format!(
                "{name}: {:?} {:?}, want {want:?}",
                finding_lines(p),
                messages(p)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn credentials_written_with_an_entity_are_found_and_masked() {
    let cases = [
        ("plain", "See https://bob:Zq8pW3xLm2Rt@x.example/a now."),
        (
            "entity",
            "See [d](https://bob&#58;Zq8pW3xLm2Rt@x.example/a) now.",
        ),
    ];
    let files: Vec<(String, String)> = cases
        .iter()
        .map(|(name, prose)| (format!("{name}.md"), markdown(prose)))
        .collect();
    let (dir, names) = write("prose-credentials", &files);
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_, json) = check_json(&dir, &args);
    for ((name, prose), p) in cases.iter().zip(packets(&json, &names)) {
        let (_, link) = spot(prose, "https://");
        let (_, password) = spot(prose, "Zq8p");
        assert_eq!(
            finding_lines(&p),
            [
                format!("{PROSE}:{link} url-credentials -"),
                format!("{PROSE}:{password} secret-in-packet -"),
            ],
            "{name}"
        );
        assert_eq!(
            p["findings"][0]["message"],
            "link `https://****:****@x.example/a` has credentials in it"
        );
    }
    for format in ["human", "json", "sarif", "github"] {
        let mut all = vec!["--format", format];
        all.extend(&args);
        let r = check(&dir, &all);
        assert!(
            !r.stdout.contains("Zq8pW3xLm2Rt"),
            "{format}:\n{}",
            r.stdout
        );
    }
}
