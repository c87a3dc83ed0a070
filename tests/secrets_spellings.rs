//! Secrets are found in every spelling and printed in none, proved by generation rather than
//! by examples: every key format the built-in policy knows × every way a file may spell a key
//! × every place a packet may hold it, each in its own file, with its own random key.
//!
//! - Formats: OpenAI (`sk-`, `sk-proj-`), Anthropic, Groq, Hugging Face, xAI, Perplexity,
//!   Google, AWS, GitHub (classic and fine-grained), GitLab, Slack, Stripe, npm, Databricks,
//!   and generic `api_key=` / `access_token=` parameters with a random value.
//! - Spellings: as is, in fullwidth letters, with one letter from another script (`ѕk-…`),
//!   YAML escapes (`\x73`, `\u0073`), HTML entities (decimal and hex),
//!   a backslash escape (`\-`), percent-encoding (`%2D`), `-redacted` after it, a zero-width
//!   space inside, an escaped blank inside (`\t`, `\0`, `\L`, `\N`, `\_`, `\x09`), split over
//!   two lines, over three (a short first line, `sk-pr`), over a blank line (YAML only) and at
//!   a Markdown hard break (prose only), base64 under `!!binary`, and Markdown bold around a
//!   piece of it.
//! - Places: a YAML value and a key, a comment, a literal block, a front-matter value,
//!   Markdown prose, an HTML comment in prose, a link's query, path and host (the url rules
//!   quote the link), an evidence `url`, an enumerated field (its rule quotes the value), the
//!   `packet:` value of a file of no known kind, and the line of a YAML syntax error (whose
//!   snippet is printed).
//!
//! The real binary judges all of them in one run per output: human (snippets included),
//! JSON, SARIF and GitHub workflow commands; the gate on a pull request adding every file
//! (`github --dry-run`: the check run's title and summary, the sticky comment, the JSON
//! report file); and the gate against the fake GitHub API for the files of three formats
//! (every request it sends: check run, annotations, comment, inline review comments; its log,
//! job summary, step outputs and report). Each file must give `secret-in-packet` where the
//! file spells the key, and no output may hold any 8 characters in a row of any key, in any
//! letter case.

#[path = "secrets_spellings/cases.rs"]
mod cases;
#[path = "support/github/mod.rs"]
mod fake;
#[path = "secrets_spellings/gate.rs"]
mod gate;
mod support;

use cases::{cases, Case};
use gate::{gate, pull_request};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use support::{check, scratch};

/// Every 8 characters in a row of every secret (lowercase), and the file it belongs to.
fn pieces(cases: &[Case]) -> HashMap<Vec<u8>, &str> {
    let mut all = HashMap::new();
    for c in cases {
        for w in c.secret.to_ascii_lowercase().as_bytes().windows(8) {
            all.insert(w.to_vec(), c.name.as_str());
        }
    }
    all
}

/// Every place in `output` that shows 8 characters of a secret, with the file it came from.
fn leaks(output: &str, pieces: &HashMap<Vec<u8>, &str>, what: &str) -> Vec<String> {
    // Read as a reader sees it: a key printed in look-alike letters is still printed.
    let lower = packetgate::confusables::fold(output).to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut found = Vec::new();
    let mut files = HashSet::new();
    for i in 0..bytes.len().saturating_sub(7) {
        if let Some(file) = pieces.get(&bytes[i..i + 8]) {
            if files.insert(*file) {
                let from = (0..=i.saturating_sub(60))
                    .rev()
                    .find(|j| output.is_char_boundary(*j))
                    .unwrap_or(0);
                let to = (i + 68..=output.len().min(i + 72))
                    .find(|j| output.is_char_boundary(*j))
                    .unwrap_or(output.len())
                    .min(output.len());
                found.push(format!(
                    "{what}: `{}` of a key (of {file}, or another key sharing it): …{}…",
                    String::from_utf8_lossy(&bytes[i..i + 8]),
                    output.get(from..to).unwrap_or("?").replace('\n', "⏎")
                ));
            }
        }
    }
    found
}

fn write_cases(dir: &Path, cases: &[Case]) {
    for c in cases {
        std::fs::write(dir.join(&c.name), &c.text).unwrap();
    }
}

#[test]
fn every_key_format_in_every_spelling_and_place_is_found_and_never_printed() {
    let cases = cases();
    eprintln!("{} generated files", cases.len());
    assert!(cases.len() > 1_000, "only {} cases", cases.len());
    let dir = scratch("secrets-spellings");
    write_cases(&dir, &cases);
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let pieces = pieces(&cases);
    let mut problems = Vec::new();

    // Found: one run, the JSON report of every file.
    let mut args = vec!["--format", "json"];
    args.extend(&names);
    let json_run = check(&dir, &args);
    assert_eq!(json_run.code, 1, "{}", json_run.stderr);
    let json: serde_json::Value = serde_json::from_str(&json_run.stdout).expect("JSON report");
    let packets = json["packets"].as_array().expect("packets");
    assert_eq!(packets.len(), cases.len());
    for (c, p) in cases.iter().zip(packets) {
        assert_eq!(p["path"].as_str(), Some(c.name.as_str()));
        let secrets: Vec<(u64, u64)> = p["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["rule"] == "secret-in-packet")
            .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
            .collect();
        let want = (c.at.0 as u64, c.at.1 as u64);
        if p["verdict"] != "fail" || !secrets.contains(&want) {
            problems.push(format!(
                "{}: secret-in-packet at {secrets:?}, want {want:?}",
                c.name
            ));
        }
    }
    problems.extend(leaks(&json_run.stdout, &pieces, "json"));

    // Never printed: every other format.
    for format in ["human", "sarif", "github"] {
        let mut args = vec!["--format", format];
        args.extend(&names);
        let r = check(&dir, &args);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{format}: {}", r.stderr);
        problems.extend(leaks(&r.stdout, &pieces, format));
        problems.extend(leaks(&r.stderr, &pieces, format));
    }

    // The gate on a pull request adding every file, without a token (a dry run lists the
    // changed files with git): the check run's title and summary, the comment, the report.
    let all: Vec<&Case> = cases.iter().collect();
    let pr = pull_request("secrets-spellings-pr", &all);
    let (code, texts) = gate(&pr, &["--dry-run"], &[]);
    let printed = &texts[0].1;
    assert_eq!(code, 1, "{}", texts[1].1);
    assert!(printed.contains("=== comment on pull request"), "{printed}");
    assert!(printed.contains("secret-in-packet"), "{printed}");
    assert!(texts
        .iter()
        .any(|(name, text)| name == "packetgate-report.json" && text.contains("secret-in-packet")));
    for (name, text) in &texts {
        problems.extend(leaks(text, &pieces, &format!("gate dry-run {name}")));
    }

    // The gate against the fake GitHub API, for three formats' files (every spelling and
    // place): every request it sends, with the annotations and the inline comments.
    let some: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            ["openai-project--", "aws--", "api-key-param--"]
                .iter()
                .any(|f| c.name.starts_with(f))
        })
        .collect();
    let pr = pull_request("secrets-spellings-fake", &some);
    let server = fake::FakeGitHub::start(fake::Setup {
        head_sha: pr.head.clone(),
        files: pr.files.clone(),
        token: Some("test-token".into()),
        ..fake::Setup::default()
    });
    let env = [
        ("GITHUB_API_URL", server.api_url()),
        ("GITHUB_TOKEN", "test-token".to_string()),
    ];
    let (code, mut texts) = gate(&pr, &["--comment-mode", "inline"], &env);
    assert_eq!(code, 1, "{}", texts[1].1);
    let runs = server.check_runs();
    let secret_notes = runs[0]
        .annotations
        .iter()
        .filter(|a| {
            a.title
                .as_deref()
                .is_some_and(|t| t.starts_with("secret-in-packet"))
        })
        .count();
    assert!(
        secret_notes >= some.len(),
        "{secret_notes} of {}",
        some.len()
    );
    assert!(!server.comments().is_empty(), "the sticky comment was sent");
    for r in server.requests() {
        texts.push((format!("{} {}", r.method, r.path), r.body.to_string()));
    }
    for (name, text) in &texts {
        problems.extend(leaks(text, &pieces, &format!("gate {name}")));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) in {} files:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}
