//! One reading for every text rule: packets that read the same to a reviewer get the same
//! verdict. The real binary judges packets that differ only in how a claim or a field is
//! written — Markdown markup around an unsupported price (bold, a code span, a table cell,
//! an entity, an escape, inline HTML, a link, a wrapped line, a heading …), or an invisible
//! character inside a claim, a key or a value — and each must get the plain packet's
//! findings, at the place the file shows (plus a `file-encoding` finding for the invisible
//! character).

mod support;

use support::{check, check_json, finding_lines, scratch, PASSING_TRACE as FIELDS};

/// The file's line where the prose starts: `---`, 20 fields, `---`, a blank line.
const PROSE: u32 = 24;

fn markdown(prose: &str) -> String {
    format!("---\n{FIELDS}---\n\n{prose}\n")
}

/// Judges `files` (name, text) in one run; each packet's findings as `LINE:COL RULE FIELD`.
fn judge(dir_name: &str, files: &[(String, String)]) -> Vec<(Vec<String>, serde_json::Value)> {
    let dir = scratch(dir_name);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let (code, json) = check_json(&dir, &names);
    assert!(code == 0 || code == 1, "exit code {code}");
    let packets = json["packets"].as_array().expect("packets").clone();
    assert_eq!(packets.len(), files.len());
    packets
        .into_iter()
        .zip(&names)
        .map(|(p, name)| {
            assert_eq!(p["path"].as_str(), Some(*name));
            (finding_lines(&p), p)
        })
        .collect()
}

/// Each way of writing `Input costs $0.40 per 1M tokens.` in Markdown, and where its figure
/// stands: (lines after the first prose line, column).
fn renderings() -> Vec<(&'static str, &'static str, (u32, u32))> {
    vec![
        ("plain", "Input costs $0.40 per 1M tokens.", (0, 13)),
        (
            "bold-figure",
            "Input costs **$0.40** per 1M tokens.",
            (0, 15),
        ),
        (
            "bold-sentence",
            "**Input costs $0.40 per 1M tokens.**",
            (0, 15),
        ),
        (
            "emphasis-across",
            "Input costs *$0.40 per* 1M tokens.",
            (0, 14),
        ),
        (
            "strikethrough",
            "Input costs ~~$0.40~~ per 1M tokens.",
            (0, 15),
        ),
        ("code-span", "Input costs `$0.40` per 1M tokens.", (0, 14)),
        (
            "table-cell",
            "| Area | Note |\n|---|---|\n| Pricing | Input costs $0.40 per 1M tokens. |",
            (2, 25),
        ),
        (
            "entity-decimal",
            "Input costs &#36;0.40 per 1M tokens.",
            (0, 13),
        ),
        (
            "entity-hex",
            "Input costs &#x24;0.40 per 1M tokens.",
            (0, 13),
        ),
        (
            "entity-named",
            "Input costs &dollar;0.40 per 1M tokens.",
            (0, 13),
        ),
        (
            "entity-invisible",
            "Input costs $0.&#8203;40 per 1M tokens.",
            (0, 13),
        ),
        (
            "backslash-escape",
            "Input costs \\$0.40 per 1M tokens.",
            (0, 14),
        ),
        (
            "inline-html",
            "Input costs <b>$0.40</b> per 1M tokens.",
            (0, 16),
        ),
        (
            "inline-html-split",
            "Input costs <span>$0.40</span> per <i>1M</i> tokens.",
            (0, 19),
        ),
        (
            "html-block",
            "<div>\n<p>Input costs &#36;0.40\nper 1M tokens.</p>\n</div>",
            (1, 16),
        ),
        (
            "link-text",
            "[Input costs $0.40 per 1M tokens.](https://apidoc.cometapi.com/)",
            (0, 14),
        ),
        (
            "wrapped-before-figure",
            "Input costs\n$0.40 per 1M tokens.",
            (1, 1),
        ),
        (
            "wrapped-after-figure",
            "Input costs $0.40 per\n1M tokens.",
            (0, 13),
        ),
        (
            "wrapped-in-a-quote",
            "> Input costs\n>   $0.40 per 1M tokens.",
            (1, 5),
        ),
        ("heading", "## Input costs $0.40 per 1M tokens.", (0, 16)),
        (
            "setext-heading",
            "Input costs $0.40 per 1M tokens.\n---",
            (0, 13),
        ),
        (
            "list-item",
            "- Input costs $0.40\n  per 1M tokens.",
            (0, 15),
        ),
        (
            "fenced-code",
            "```text\nInput costs $0.40 per 1M tokens.\n```",
            (1, 13),
        ),
        (
            "indented-code",
            "    Input costs $0.40 per 1M tokens.",
            (0, 17),
        ),
    ]
}

#[test]
fn every_rendering_of_a_claim_gets_the_plain_finding() {
    let cases = renderings();
    let mut files: Vec<(String, String)> = cases
        .iter()
        .map(|(name, prose, _)| (format!("{name}.md"), markdown(prose)))
        .collect();
    // A link's destination is read too, where it is written.
    let dest = "Pricing: [see](https://apidoc.cometapi.com/pricing/$0.40/tokens).";
    files.push(("link-destination.md".into(), markdown(dest)));
    // A heading never exempts its section, however it is written.
    let under_heading = [
        "## What this test does not prove\n\nInput costs $0.40 per 1M tokens.",
        "<h2>What this test does not prove</h2>\n\nInput costs $0.40 per 1M tokens.",
    ];
    for (i, prose) in under_heading.iter().enumerate() {
        files.push((format!("under-heading-{i}.md"), markdown(prose)));
    }
    // Negations still read as negations once rendered.
    let negated = [
        "This test does **not** prove that input costs $0.40 per 1M tokens.",
        "This test does not prove that input costs\n$0.40 per 1M tokens.",
    ];
    for (i, prose) in negated.iter().enumerate() {
        files.push((format!("negated-{i}.md"), markdown(prose)));
    }
    let judged = judge("normalise-markdown", &files);

    let message = |p: &serde_json::Value| p["findings"][0]["message"].as_str().map(str::to_string);
    let plain_message = message(&judged[0].1);
    assert_eq!(
        plain_message.as_deref(),
        Some("unsupported exact price stated as fact: \"$0.40 per 1M tokens\"")
    );
    let mut failures = Vec::new();
    for ((name, _, (down, col)), (found, packet)) in cases.iter().zip(&judged) {
        let want = vec![format!("{}:{col} claim-price -", PROSE + down)];
        if *found != want || message(packet) != plain_message {
            failures.push(format!(
                "{name}: {found:?} {:?} (want {want:?})",
                message(packet)
            ));
        }
    }
    let (found, _) = &judged[cases.len()];
    if *found != [format!("{PROSE}:52 claim-price -")] {
        failures.push(format!("link-destination: {found:?}"));
    }
    let headed = &judged[cases.len() + 1..cases.len() + 1 + under_heading.len()];
    for (i, (found, _)) in headed.iter().enumerate() {
        if found.len() != 1 || !found[0].ends_with("claim-price -") {
            failures.push(format!("under-heading-{i}: {found:?}"));
        }
    }
    for (i, (found, _)) in judged[cases.len() + 1 + under_heading.len()..]
        .iter()
        .enumerate()
    {
        if !found.is_empty() {
            failures.push(format!("negated-{i}: {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A representative of each kind of character that displays as nothing.
const INVISIBLE: &[char] = &[
    '\u{00AD}',  // soft hyphen
    '\u{034F}',  // combining grapheme joiner
    '\u{0600}',  // Arabic number sign
    '\u{061C}',  // Arabic letter mark
    '\u{06DD}',  // Arabic end of ayah
    '\u{070F}',  // Syriac abbreviation mark
    '\u{0890}',  // Arabic pound mark above
    '\u{08E2}',  // Arabic disputed end of ayah
    '\u{115F}',  // Hangul choseong filler
    '\u{1160}',  // Hangul jungseong filler
    '\u{17B4}',  // Khmer inherent vowel
    '\u{180B}',  // Mongolian free variation selector
    '\u{180E}',  // Mongolian vowel separator
    '\u{200B}',  // zero width space
    '\u{200C}',  // zero width non-joiner
    '\u{200D}',  // zero width joiner
    '\u{200E}',  // left-to-right mark
    '\u{200F}',  // right-to-left mark
    '\u{202A}',  // left-to-right embedding
    '\u{202E}',  // right-to-left override
    '\u{2060}',  // word joiner
    '\u{2062}',  // invisible times
    '\u{2065}',  // reserved, default-ignorable
    '\u{2066}',  // left-to-right isolate
    '\u{2069}',  // pop directional isolate
    '\u{206F}',  // nominal digit shapes
    '\u{2800}',  // Braille pattern blank
    '\u{3164}',  // Hangul filler
    '\u{FE0F}',  // variation selector 16, after a letter
    '\u{FEFF}',  // zero width no-break space, not at the file's start
    '\u{FFA0}',  // halfwidth Hangul filler
    '\u{FFF0}',  // reserved, default-ignorable
    '\u{FFFA}',  // interlinear annotation separator
    '\u{110BD}', // Kaithi number sign
    '\u{110CD}', // Kaithi number sign above
    '\u{13430}', // Egyptian hieroglyph vertical joiner
    '\u{1343F}', // Egyptian hieroglyph end walled enclosure
    '\u{1BCA0}', // shorthand format letter overlap
    '\u{1D173}', // musical symbol begin beam
    '\u{E0001}', // language tag
    '\u{E0041}', // tag latin capital letter a
    '\u{E0100}', // variation selector 17
    '\u{E0FFF}', // reserved, default-ignorable
];

/// A packet with `h` written at one place, and that place (line, column).
struct Variant {
    name: &'static str,
    ext: &'static str,
    build: fn(&str) -> String,
    at: (u32, u32),
}

fn variants() -> Vec<Variant> {
    vec![
        Variant {
            name: "inside-a-claim",
            ext: "md",
            build: |h| markdown(&format!("Input costs $0.{h}40 per 1M tokens.")),
            at: (PROSE, 16),
        },
        Variant {
            name: "before-a-claim",
            ext: "md",
            build: |h| markdown(&format!("Input costs {h}$0.40 per 1M tokens.")),
            at: (PROSE, 13),
        },
        Variant {
            name: "inside-the-packet-key",
            ext: "yaml",
            build: |h| FIELDS.replace("packet:", &format!("pack{h}et:")),
            at: (1, 5),
        },
        Variant {
            name: "inside-the-owner-key",
            ext: "yaml",
            build: |h| FIELDS.replace("\nowner:", &format!("\now{h}ner:")),
            at: (4, 3),
        },
        Variant {
            name: "inside-a-value",
            ext: "yaml",
            build: |h| FIELDS.replace("decision: PASS", &format!("decision: PA{h}SS")),
            at: (20, 13),
        },
        Variant {
            name: "before-a-bad-value",
            ext: "yaml",
            build: |h| FIELDS.replace("decision: PASS", &format!("decision: {h}PAS")),
            at: (20, 11),
        },
    ]
}

/// `LINE:COL RULE FIELD` → (line, column, rest).
fn parse(line: &str) -> (u32, u32, String) {
    let (at, rest) = line.split_once(' ').unwrap();
    let (l, c) = at.split_once(':').unwrap();
    (l.parse().unwrap(), c.parse().unwrap(), rest.to_string())
}

#[test]
fn invisible_characters_are_read_as_absent_and_reported() {
    let variants = variants();
    let mut files = Vec::new();
    for v in &variants {
        files.push((format!("{}-plain.{}", v.name, v.ext), (v.build)("")));
        for c in INVISIBLE {
            let name = format!("{}-{:04X}.{}", v.name, u32::from(*c), v.ext);
            files.push((name, (v.build)(&c.to_string())));
        }
    }
    let judged = judge("normalise-invisible", &files);
    let mut failures = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let base = i * (INVISIBLE.len() + 1);
        let plain = &judged[base].0;
        if v.name.starts_with("before-a-bad") || v.name.ends_with("claim") {
            assert!(
                !plain.is_empty(),
                "{}: the plain packet has a finding",
                v.name
            );
        } else {
            assert!(
                plain.is_empty(),
                "{}: the plain packet passes: {plain:?}",
                v.name
            );
        }
        // The plain findings, moved one column right where they stand after the character,
        // and the character's own finding.
        let mut want: Vec<(u32, u32, String)> = plain
            .iter()
            .map(|f| {
                let (line, col, rest) = parse(f);
                let moved = line == v.at.0 && col >= v.at.1;
                (line, col + u32::from(moved), rest)
            })
            .collect();
        want.push((v.at.0, v.at.1, "file-encoding -".into()));
        want.sort();
        let want: Vec<String> = want
            .into_iter()
            .map(|(l, c, rest)| format!("{l}:{c} {rest}"))
            .collect();
        for (k, c) in INVISIBLE.iter().enumerate() {
            let found = &judged[base + 1 + k].0;
            if *found != want {
                failures.push(format!(
                    "{} U+{:04X}: {found:?} (want {want:?})",
                    v.name,
                    u32::from(*c)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snippets_show_the_file_line_with_carets_in_place() {
    let dir = scratch("normalise-snippets");
    let text = markdown("Input \u{200B}costs \u{202E}$0.40 per 1M tokens.");
    std::fs::write(dir.join("hidden.md"), text).unwrap();
    let run = check(&dir, &["hidden.md"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let shown = format!("{PROSE} | Input \u{FFFD}costs \u{FFFD}$0.40 per 1M tokens.");
    let mut carets = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line == shown {
            let caret = lines[i + 1];
            let col = caret.chars().position(|c| c == '^').unwrap();
            carets.push(shown.chars().nth(col).unwrap());
        }
    }
    // The file-encoding finding at the first hidden character, the claim at its figure.
    assert_eq!(carets, ['\u{FFFD}', '$'], "{}", run.stdout);
    assert!(run.stdout.contains(&format!("hidden.md:{PROSE}:7")));
    assert!(run.stdout.contains(&format!("hidden.md:{PROSE}:15")));
}
