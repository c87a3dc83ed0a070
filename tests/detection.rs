//! Which files are packets, as the real binary finds them in a repository: a file is a packet
//! when its YAML has the root key `packet`, however that key is spelled; a declared file that
//! cannot be read whole fails with the rule that says why, in every discovery mode (folder
//! scan, `--only-packets`, `--changed-since`); a document that only shows a packet in a fenced
//! block, and a big file that never declares one, stay silent. A property test holds the
//! loader's cheap prefilter to every spelling the YAML parser accepts.

mod support;

use packetgate::packet::{declares, may_declare, Form};
use packetgate::yaml::{self, Limits};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use support::{check_json, finding_lines, root, scratch};

fn example(rel: &str) -> String {
    fs::read_to_string(root().join("examples").join(rel)).unwrap()
}

/// The report's packets by path.
fn by_path(json: &Value) -> BTreeMap<String, Value> {
    json["packets"]
        .as_array()
        .expect("packets array")
        .iter()
        .map(|p| (p["path"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

/// What each finding points at, wherever a spelling moved it: the rule, the field, the text
/// of the finding's line and the column counted from that line's indentation. The line the
/// root mapping starts on is `<root>` with no column: the spelling rewrites it, and a tag or
/// an anchor before the first key moves where the mapping starts.
fn pointed_at(text: &str, root_line: &str, packet: &Value) -> Vec<String> {
    let text = text.trim_start_matches('\u{feff}').replace('\r', "");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = packet["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let line = lines[f["line"].as_u64().unwrap() as usize - 1];
            let indent = line.len() - line.trim_start().len();
            let at = if line.trim() == root_line {
                "<root>".to_string()
            } else {
                let column = f["column"].as_u64().unwrap() as usize - indent;
                format!("`{}` +{column}", line.trim())
            };
            format!(
                "{} {} {at}",
                f["rule"].as_str().unwrap(),
                f["field"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    out.sort();
    out
}

/// Rules and fields only, for spellings that rearrange the whole packet (flow mappings).
fn rules_and_fields(packet: &Value) -> Vec<String> {
    let mut out: Vec<String> = finding_lines(packet)
        .iter()
        .map(|l| l.split_once(' ').unwrap().1.to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn every_spelling_of_the_key_is_found_by_a_folder_scan_and_judged_alike() {
    let dir = scratch("detection-spellings");
    let yaml = example("invalid/cost-trace-template-unfilled.yaml");
    let md = example("invalid/budget-change-approved-incomplete.md");
    let yaml_decl = "packet: cost-trace\n";
    let md_decl = "packet: budget-change\n";
    let indented: String = yaml
        .lines()
        .map(|l| format!("  {l}\n").replace("  \n", "\n"))
        .collect();
    // (file, text, the line the root mapping starts on, the plain file it must match)
    let mut cases: Vec<(String, String, String, &str)> = Vec::new();
    let mut respelled = |name: &str, plain: &str, decl: &str, spelled: &str, like: &'static str| {
        assert!(plain.contains(decl));
        let root_line = spelled.lines().next().unwrap().trim().to_string();
        cases.push((
            name.into(),
            plain.replacen(decl, spelled, 1),
            root_line,
            like,
        ));
    };
    for (name, spelled) in [
        ("double-quoted.yaml", "\"packet\": cost-trace\n"),
        ("single-quoted.yaml", "'packet': cost-trace\n"),
        ("hex-escape.yaml", "\"p\\x61cket\": cost-trace\n"),
        ("unicode-escape.yaml", "\"\\u0070acket\": cost-trace\n"),
        ("long-escape.yaml", "\"pac\\U0000006Bet\": cost-trace\n"),
        ("tagged.yaml", "!!str packet: cost-trace\n"),
        ("anchored.yaml", "&kind packet: cost-trace\n"),
        ("explicit-key.yaml", "? packet\n: cost-trace\n"),
        ("binary-key.yaml", "? !!binary cGFja2V0\n: cost-trace\n"),
    ] {
        respelled(name, &yaml, yaml_decl, spelled, "plain.yaml");
    }
    for (name, spelled) in [
        ("front-matter-single-quoted.md", "'packet': budget-change\n"),
        (
            "front-matter-double-quoted.md",
            "\"packet\": budget-change\n",
        ),
        ("front-matter-escaped.md", "\"\\x70acket\": budget-change\n"),
        ("front-matter-explicit.md", "? 'packet'\n: budget-change\n"),
    ] {
        respelled(name, &md, md_decl, spelled, "plain.md");
    }
    let root_of = |decl: &str| decl.trim().to_string();
    for (name, text) in [
        (
            "comments-first.yaml",
            format!("# first\n\n# second\n{yaml}"),
        ),
        ("directive.yaml", format!("%YAML 1.2\n---\n{yaml}")),
        ("indented.yaml", indented),
        (
            "bom-crlf.yaml",
            format!("\u{feff}{}", yaml.replace('\n', "\r\n")),
        ),
    ] {
        cases.push((name.into(), text, root_of(yaml_decl), "plain.yaml"));
    }
    cases.push((
        "bom-crlf.md".into(),
        format!("\u{feff}{}", md.replace('\n', "\r\n")),
        root_of(md_decl),
        "plain.md",
    ));
    fs::write(dir.join("plain.yaml"), &yaml).unwrap();
    fs::write(dir.join("plain.md"), &md).unwrap();
    for (name, text, ..) in &cases {
        fs::write(dir.join(name), text).unwrap();
    }
    // Flow mappings rearrange the packet: the same findings, on other lines and columns.
    let flow_plain = "packet: cost-trace\nworkload: summarizer\nowner: finops\n";
    let flows = [
        (
            "flow.yaml",
            "{packet: cost-trace, workload: summarizer, owner: finops}\n",
        ),
        (
            "flow-lines.yaml",
            "{\n  packet: cost-trace,\n  workload: summarizer,\n  owner: finops\n}\n",
        ),
        (
            "flow-indented.yaml",
            "# comment\n  {\"packet\": cost-trace, workload: summarizer, owner: finops}\n",
        ),
    ];
    // A merged-in key reorders the root mapping, which moves where missing fields point.
    let merged = yaml.replacen(yaml_decl, "<<: {packet: cost-trace}\n", 1);
    fs::write(dir.join("merged.yaml"), merged).unwrap();
    fs::create_dir_all(dir.join("flow")).unwrap();
    fs::write(dir.join("flow/plain.yaml"), flow_plain).unwrap();
    for (name, text) in flows {
        fs::write(dir.join("flow").join(name), text).unwrap();
    }

    let (code, json) = check_json(&dir, &[]);
    assert_eq!(code, 1, "{json}");
    let packets = by_path(&json);
    assert_eq!(packets.len(), cases.len() + 3 + flows.len() + 1, "{json}");
    for (like, decl) in [("plain.yaml", yaml_decl), ("plain.md", md_decl)] {
        let plain = &packets[like];
        assert!(finding_lines(plain).len() >= 5, "{plain}");
        let want = pointed_at(
            &fs::read_to_string(dir.join(like)).unwrap(),
            decl.trim(),
            plain,
        );
        for (name, text, root_line, _) in cases.iter().filter(|c| c.3 == like) {
            let p = packets
                .get(name)
                .unwrap_or_else(|| panic!("{name} not found"));
            assert_eq!(p["kind"], plain["kind"], "{name}");
            assert_eq!(pointed_at(text, root_line, p), want, "{name}");
        }
    }
    assert_eq!(
        rules_and_fields(&packets["merged.yaml"]),
        rules_and_fields(&packets["plain.yaml"])
    );
    let want = rules_and_fields(&packets["flow/plain.yaml"]);
    assert!(!want.is_empty());
    for (name, _) in flows {
        let p = &packets[&format!("flow/{name}")];
        assert_eq!(p["kind"], "cost-trace", "{name}");
        assert_eq!(rules_and_fields(p), want, "{name}");
    }
}

/// Writes the repository the discovery modes are compared on: three declared packets that
/// cannot be read whole, one good packet, and files that must stay silent.
fn write_mixed_repository(dir: &Path) {
    let write = |rel: &str, bytes: &[u8]| {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    };
    // Over the 1 MiB cap, declared with a quoted key.
    let mut big = String::from("\"packet\": budget-change\nnotes: |\n");
    while big.len() < 1_200_000 {
        big.push_str("  a long note that goes on and on, as evidence pasted whole would\n");
    }
    write("budgets/big.yaml", big.as_bytes());
    // Latin-1 in a comment.
    write(
        "budgets/latin1.yaml",
        b"'packet': cost-trace\nworkload: w\n# caf\xe9 notes\nowner: o\n",
    );
    // Broken YAML after an indented declaration, and in Markdown front matter.
    write(
        "budgets/broken.yaml",
        b"  packet: cost-trace\n  workload: w\n  owner: [unclosed\n",
    );
    write(
        "budgets/broken.md",
        b"---\n\"packet\": cost-trace\nowner: [x\n---\n\nprose\n",
    );
    write(
        "budgets/ok.yaml",
        example("valid/cost-trace-summarizer.yaml").as_bytes(),
    );
    // Silent: a 5 MB data file with `packet` keys only below the root, a big workflow that
    // mentions `packet:` in its commands, documents showing an example packet, a non-packet
    // with a bad byte, and broken YAML whose `packet` is nested.
    let mut data = String::from("# packet sizes per probe\nrecords:\n");
    let mut i = 0;
    while data.len() < 5_000_000 {
        data.push_str(&format!(
            "  - id: {i}\n    packet: {{bytes: {}, lost: false}}\n",
            i * 7
        ));
        i += 1;
    }
    write("docs/data.yaml", data.as_bytes());
    let mut workflow =
        String::from("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n");
    while workflow.len() < 1_500_000 {
        workflow.push_str("      - run: echo \"packet: budget-change\" >> packets.log\n");
    }
    write("ci/workflow.yml", workflow.as_bytes());
    let fenced = "```yaml\npacket: budget-change\nchange_id: CHG-2026-0001\n```\n";
    write(
        "docs/how-to.md",
        format!("# Writing a packet\n\nStart with the kind:\n\n{fenced}").as_bytes(),
    );
    write(
        "docs/site-page.md",
        format!("---\ntitle: Packets\nlayout: page\n---\n\nAn example:\n\n{fenced}").as_bytes(),
    );
    write("docs/notes.yaml", b"title: caf\xe9\nsizes:\n  packet: 3\n");
    write("docs/broken.yaml", b"a:\n  packet: cost-trace\nb: [x\n");
}

const MIXED_EXPECTED: &[(&str, &[&str])] = &[
    ("budgets/big.yaml", &["1:1 file-too-large -"]),
    ("budgets/broken.md", &["3:8 yaml-syntax -"]),
    ("budgets/broken.yaml", &["3:10 yaml-syntax -"]),
    ("budgets/latin1.yaml", &["3:6 file-encoding -"]),
    ("budgets/ok.yaml", &[]),
];

fn assert_mixed(json: &Value, mode: &str) {
    let packets = by_path(json);
    let got: Vec<(&str, Vec<String>)> = packets
        .iter()
        .map(|(path, p)| (path.as_str(), finding_lines(p)))
        .collect();
    let want: Vec<(&str, Vec<String>)> = MIXED_EXPECTED
        .iter()
        .map(|(path, lines)| (*path, lines.iter().map(|l| l.to_string()).collect()))
        .collect();
    assert_eq!(got, want, "{mode}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn declared_files_that_cannot_be_read_whole_fail_in_every_discovery_mode() {
    let dir = scratch("detection-unreadable");
    git(&dir, &["init", "-q", "-b", "main"]);
    fs::write(dir.join("README.md"), "# budgets\n").unwrap();
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "base"]);
    git(&dir, &["checkout", "-qb", "change"]);
    write_mixed_repository(&dir);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "change"]);

    let (code, json) = check_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_mixed(&json, "folder scan");

    let (code, json) = check_json(&dir, &["--changed-since", "main"]);
    assert_eq!(code, 1);
    assert_mixed(&json, "--changed-since");

    let mut named: Vec<String> = Vec::new();
    for sub in ["budgets", "ci", "docs"] {
        for e in fs::read_dir(dir.join(sub)).unwrap() {
            named.push(format!(
                "{sub}/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    named.sort();
    let mut args = vec!["--only-packets"];
    args.extend(named.iter().map(String::as_str));
    let (code, json) = check_json(&dir, &args);
    assert_eq!(code, 1);
    assert_mixed(&json, "--only-packets");

    // Named without the flag, a file that is no packet is still a finding.
    let (code, json) = check_json(&dir, &["docs/how-to.md", "docs/data.yaml"]);
    assert_eq!(code, 1);
    let packets = by_path(&json);
    assert_eq!(
        finding_lines(&packets["docs/how-to.md"]),
        ["1:1 front-matter -"]
    );
    assert_eq!(
        finding_lines(&packets["docs/data.yaml"]),
        ["1:1 file-too-large -"]
    );
}

/// Lines a reader takes for the declaration though the YAML does not (a tab or a no-break
/// space after the colon, another case, TOML front matter): found by a folder scan and failed,
/// never skipped. A nested `packet:` key and a fenced example stay silent.
#[test]
fn a_declaration_misspelt_at_the_margin_fails_instead_of_vanishing() {
    let dir = scratch("detection-margin");
    let body = "change_id: CHG-2026-0142\nowner: finops\n";
    let files = [
        ("tab.yaml", format!("packet:\tbudget-change\n{body}")),
        ("nbsp.yaml", format!("packet:\u{a0}budget-change\n{body}")),
        ("upper.yaml", format!("Packet: budget-change\n{body}")),
        ("shout.yaml", format!("PACKET: budget-change\n{body}")),
        (
            "toml.md",
            "+++\npacket = \"budget-change\"\n+++\n\nProse.\n".to_string(),
        ),
        (
            "heading.md",
            format!("# Change\n\n---\npacket: budget-change\n{body}---\n"),
        ),
    ];
    for (name, text) in &files {
        fs::write(dir.join(name), text).unwrap();
    }
    fs::write(dir.join("nested.yaml"), "jobs:\n  packet: 3\n").unwrap();
    fs::write(
        dir.join("docs.md"),
        "# Docs\n\n```yaml\npacket: budget-change\n```\n",
    )
    .unwrap();
    let (code, json) = check_json(&dir, &["."]);
    assert_eq!(code, 1);
    let packets = by_path(&json);
    for (name, _) in &files {
        let p = packets
            .get(*name)
            .unwrap_or_else(|| panic!("{name} vanished from the scan"));
        assert_eq!(p["verdict"], "fail", "{name}");
    }
    assert!(!packets.contains_key("nested.yaml"));
    assert!(!packets.contains_key("docs.md"));
}

#[test]
fn a_folder_scan_finds_every_hostile_fixture_that_declares_a_packet() {
    // The hostile corpus is judged by name in tests/hostile.rs. Scanned as a folder, every
    // file is judged the same, but for those that never say `packet`: a look-alike key, and
    // Markdown front matter holding nothing. Markdown that writes `packet:` at the margin
    // outside code without proper front matter (after a heading, `----`, `+++`, on the fence
    // line) means to be a packet and fails as one.
    let not_declared = [
        "front-matter--blank-lines-only.md",
        "front-matter--only-the-opening-fence.md",
        "homoglyph--cyrillic-a-in-packet-key.yaml",
    ];
    let from = root().join("tests/fixtures/hostile");
    let dir = scratch("detection-hostile");
    let mut names = Vec::new();
    for e in fs::read_dir(&from).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".expect") {
            fs::copy(from.join(&name), dir.join(&name)).unwrap();
            names.push(name);
        }
    }
    names.sort();
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_, named) = check_json(&dir, &args);
    let (_, scanned) = check_json(&dir, &[]);
    let named = by_path(&named);
    let scanned = by_path(&scanned);
    for (path, p) in &named {
        match scanned.get(path) {
            Some(s) => assert_eq!(finding_lines(s), finding_lines(p), "{path}"),
            None => assert!(
                not_declared.contains(&path.as_str()),
                "{path} is judged when named but not found by a folder scan"
            ),
        }
    }
    for path in not_declared {
        assert!(!scanned.contains_key(path), "{path}");
    }
}

/// splitmix64: a seeded sequence, the same on every machine, in a few lines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// `packet` written with some letters as YAML escapes (`\x61`, `\u0061`, `\U00000061`), inside
/// double quotes; with `broken`, an escaped line break joins two halves across lines.
fn escaped_key(rng: &mut Rng, broken: Option<usize>) -> String {
    let mut out = String::from("\"");
    let split = rng.below(5) + 1;
    for (i, c) in "packet".chars().enumerate() {
        if let (Some(indent), true) = (broken, i == split) {
            out.push_str(&format!("\\\n{}", " ".repeat(indent)));
        }
        let code = u32::from(c);
        out.push_str(&match rng.below(5) {
            0 => format!("\\x{code:02x}"),
            1 => format!("\\u{code:04X}"),
            2 => format!("\\U{code:08x}"),
            _ => c.to_string(),
        });
    }
    out.push('"');
    out
}

/// `packet` as base64, as a `!!binary` value: split by spaces, padded, or with the one spare
/// character base64 decoding drops; sometimes double-quoted with escapes.
fn binary_key(rng: &mut Rng, tag_handle: bool) -> String {
    let mut tags = vec!["!!binary", "!<tag:yaml.org,2002:binary>", "!!bin%61ry"];
    if tag_handle {
        tags.push("!e!binary");
    }
    let mut b64 = String::new();
    for c in "cGFja2V0".chars() {
        if !b64.is_empty() && rng.chance(15) {
            b64.push(' ');
        }
        b64.push(c);
    }
    b64.push_str(rng.pick(&["", "=", "==", "Q", "Q=="]));
    let value = if rng.chance(30) {
        let escaped: String = b64
            .chars()
            .map(|c| match rng.below(4) {
                0 => format!("\\x{:02x}", u32::from(c)),
                1 if c == ' ' => "\\t".to_string(),
                _ => c.to_string(),
            })
            .collect();
        format!("\"{escaped}\"")
    } else {
        b64
    };
    format!("{} {value}", rng.pick(&tags))
}

/// One spelling of the root key `packet`, with its family (for the coverage count) and
/// whether it spans lines (so only an explicit `? key` can hold it).
fn key_spelling(rng: &mut Rng, indent: usize, tag_handle: bool) -> (&'static str, String, bool) {
    let props = |rng: &mut Rng| {
        rng.pick(&[
            "",
            "",
            "!!str ",
            "&k1 ",
            "!!str &k2 ",
            "&k3 !!str ",
            "!<tag:yaml.org,2002:str> ",
        ])
    };
    match rng.below(7) {
        0 => ("plain", format!("{}packet", props(rng)), false),
        1 => ("single-quoted", format!("{}'packet'", props(rng)), false),
        2 => (
            "escaped",
            format!("{}{}", props(rng), escaped_key(rng, None)),
            false,
        ),
        3 => (
            "escaped-line-break",
            escaped_key(rng, Some(indent + 2)),
            true,
        ),
        4 => ("binary", binary_key(rng, tag_handle), false),
        5 => (
            "block-scalar",
            format!(
                "{}{}\n{}packet",
                props(rng),
                rng.pick(&["|-", ">-", "|2-"]),
                " ".repeat(indent + 2)
            ),
            true,
        ),
        _ => ("double-quoted", format!("{}\"packet\"", props(rng)), false),
    }
}

struct Generated {
    family: &'static str,
    text: String,
    /// The YAML part (the front matter of a Markdown file).
    yaml: String,
    form: Form,
    kind: &'static str,
}

/// A document whose root mapping has the key `packet`, spelled one of many ways, among other
/// entries, comments and blank lines, in block or flow style, at any indentation, after
/// directives or a document start, or as Markdown front matter.
fn generate(rng: &mut Rng) -> Generated {
    let markdown = rng.chance(20);
    let preamble = if markdown {
        ""
    } else {
        rng.pick(&[
            "",
            "",
            "# leading comment\n",
            "\n\n",
            "%YAML 1.2\n---\n",
            "---\n",
            "--- # a document\n",
            "%TAG !e! tag:yaml.org,2002:\n---\n",
        ])
    };
    let tag_handle = preamble.starts_with("%TAG");
    let flow = rng.chance(25);
    let indent = if flow { 0 } else { rng.pick(&[0, 0, 2, 4]) };
    let pad = " ".repeat(indent);
    let kind = rng.pick(&["budget-change", "cost-trace"]);
    let (mut family, key, multiline) = key_spelling(rng, indent, tag_handle);
    let flow = flow && !multiline;
    let filler_block = [
        format!("{pad}owner: team-{}", rng.below(100)),
        format!("{pad}notes: \"a # not a comment\""),
        format!("{pad}# a comment"),
        String::new(),
        format!("{pad}list:\n{pad}  - x\n{pad}  - y"),
        format!("{pad}nested:\n{pad}  packet: not-at-the-root"),
        format!("{pad}text: |\n{pad}  packet: inside a block scalar"),
        format!("{pad}url: https://example.com/packet"),
    ];
    let filler_flow = [
        "owner: team",
        "list: [a, b]",
        "nested: {packet: not-at-the-root}",
        "'quoted': x",
        "url: https://example.com/packet",
    ];
    let mut entries: Vec<String> = Vec::new();
    let filler = |rng: &mut Rng, entries: &mut Vec<String>| {
        for _ in 0..rng.below(3) {
            entries.push(if flow {
                rng.pick(&filler_flow).to_string()
            } else {
                filler_block[rng.below(filler_block.len())].clone()
            });
        }
    };
    filler(rng, &mut entries);
    let sep = rng.pick(&[": ", " : ", ":  "]);
    // Some keys arrive through an alias or a merge rather than written in place.
    let entry = match rng.below(10) {
        0 if !multiline => {
            family = "alias";
            let anchor = if flow {
                format!("name: &kk {key}")
            } else {
                format!("{pad}name: &kk {key}")
            };
            entries.push(anchor);
            format!("*kk : {kind}")
        }
        1 if !multiline => {
            family = "merge";
            format!("<<: {{{key}{sep}{kind}}}")
        }
        _ if flow => format!("{key}{sep}{kind}"),
        _ if multiline || rng.chance(15) => format!("? {key}\n{pad}: {kind}"),
        _ => format!("{key}{sep}{kind}"),
    };
    entries.push(if flow { entry } else { format!("{pad}{entry}") });
    filler(rng, &mut entries);
    let body = if flow {
        if rng.chance(50) {
            format!("{{{}}}\n", entries.join(", "))
        } else {
            format!("{{\n  {}\n}}\n", entries.join(",\n  "))
        }
    } else {
        entries.iter().map(|e| format!("{e}\n")).collect()
    };
    let yaml = format!("{preamble}{body}");
    let (text, form) = if markdown {
        (
            format!("---\n{yaml}---\n\n# Notes\n\nProse.\n"),
            Form::Markdown,
        )
    } else {
        (yaml.clone(), Form::Yaml)
    };
    Generated {
        family,
        text,
        yaml,
        form,
        kind,
    }
}

#[test]
fn the_prefilter_accepts_every_spelling_the_parser_accepts() {
    let mut rng = Rng(0x5EED_0011);
    let mut declared: Vec<Generated> = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let total = 4000;
    for _ in 0..total {
        let g = generate(&mut rng);
        let root_has_packet = yaml::parse(&g.yaml, Limits::default())
            .ok()
            .and_then(|d| d.root)
            .is_some_and(|r| r.entry("packet").is_some());
        if !root_has_packet {
            continue;
        }
        assert!(may_declare(&g.text), "prefilter misses:\n{}", g.text);
        assert!(declares(g.form, &g.text), "declaration missed:\n{}", g.text);
        *counts.entry(g.family).or_default() += 1;
        declared.push(g);
    }
    // The generator must mostly write valid YAML, and every family must be exercised.
    assert!(declared.len() * 10 >= total * 8, "{counts:?}");
    for family in [
        "plain",
        "single-quoted",
        "double-quoted",
        "escaped",
        "escaped-line-break",
        "binary",
        "block-scalar",
        "alias",
        "merge",
    ] {
        assert!(
            counts.get(family).copied().unwrap_or(0) >= 50,
            "{family}: {counts:?}"
        );
    }

    // Written to a folder (some with CRLF line ends or a byte-order mark), every one of them
    // is found by the binary's folder scan and read as the kind it declares.
    let dir = scratch("detection-property");
    let mut want = BTreeMap::new();
    for (i, g) in declared.iter().enumerate() {
        let ext = if g.form == Form::Markdown {
            "md"
        } else {
            "yaml"
        };
        let name = format!("{i:04}-{}.{ext}", g.family);
        let mut text = g.text.clone();
        if rng.chance(25) {
            text = text.replace('\n', "\r\n");
        }
        if rng.chance(10) {
            text.insert(0, '\u{feff}');
        }
        fs::write(dir.join(&name), text).unwrap();
        want.insert(name, g.kind.to_string());
    }
    let (_, json) = check_json(&dir, &[]);
    let got: BTreeMap<String, String> = by_path(&json)
        .into_iter()
        .map(|(path, p)| (path, p["kind"].as_str().unwrap_or("none").to_string()))
        .collect();
    let missing: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    assert!(missing.is_empty(), "not found by the scan: {missing:?}");
    assert_eq!(got, want);
}
