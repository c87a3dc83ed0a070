//! Metamorphic tests: a packet rewritten so that it reads the same to a reviewer gets the same
//! verdict on the same rules. Every fixture of the corpus (`tests/fixtures/cases`) is rewritten
//! every way that applies to it — key quoting, flow style, indentation, an indented root, CRLF,
//! a BOM, comments between keys, emphasis around figures, an HTML entity, a wrapped sentence, a
//! sentence moved into a table cell, a zero-width character (which adds `file-encoding`), a
//! harmless negation elsewhere in the sentence — and the real binary judges the originals and
//! all rewrites in one run.
//!
//! Fixtures about broken files (file, YAML, front matter, packet shape or kind, limits) are left
//! out: their point is that the text is not a readable packet, so "reads the same" has no
//! meaning for them. The hostile suite covers their line endings.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;

use packetgate::yaml::{self, Limits, Node, ScalarKind, Value};
use support::{check_json, fixture_names, root, scratch};

/// Rules whose findings are about the file rather than what the packet says.
const ENGINE_RULES: &[&str] = &[
    "file-",
    "yaml-",
    "front-matter",
    "packet-shape",
    "packet-kind",
    "limit-",
];

const ZERO_WIDTH: char = '\u{200B}';

/// A fixture split into its YAML part and, for Markdown, the prose after the front matter.
struct Parts {
    markdown: bool,
    yaml: String,
    prose: String,
}

impl Parts {
    fn of(name: &str, text: &str) -> Option<Parts> {
        if !name.ends_with(".md") {
            return Some(Parts {
                markdown: false,
                yaml: text.to_string(),
                prose: String::new(),
            });
        }
        let rest = text.strip_prefix("---\n")?;
        let close = rest.find("\n---\n")?;
        Some(Parts {
            markdown: true,
            yaml: rest[..close + 1].to_string(),
            prose: rest[close + 5..].to_string(),
        })
    }

    fn join(&self) -> String {
        if self.markdown {
            format!("---\n{}---\n{}", self.yaml, self.prose)
        } else {
            self.yaml.clone()
        }
    }

    fn with_yaml(&self, yaml: String) -> String {
        Parts {
            markdown: self.markdown,
            yaml,
            prose: self.prose.clone(),
        }
        .join()
    }

    fn with_prose(&self, prose: String) -> Option<String> {
        (prose != self.prose).then(|| {
            Parts {
                markdown: self.markdown,
                yaml: self.yaml.clone(),
                prose,
            }
            .join()
        })
    }
}

// ---------------------------------------------------------------------------------------------
// YAML rewrites
// ---------------------------------------------------------------------------------------------

/// Lines of block YAML with, for each, whether it is the content of a block scalar.
fn yaml_lines(yaml: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut block_indent: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let content = match block_indent {
            Some(i) if line.trim().is_empty() || indent > i => true,
            _ => {
                block_indent = None;
                false
            }
        };
        if !content {
            let t = line.trim_end();
            let opens = ["|", ">", "|-", ">-", "|+", ">+"]
                .iter()
                .any(|m| t.ends_with(&format!(": {m}")) || t.ends_with(&format!("- {m}")));
            if opens {
                block_indent = Some(indent);
            }
        }
        out.push((line, content));
    }
    out
}

/// Every key written plain, quoted (`"owner":`, or `'owner':` in front matter).
fn quote_keys(yaml: &str, quote: char) -> Option<String> {
    let mut out = String::new();
    let mut changed = false;
    for (line, content) in yaml_lines(yaml) {
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        let (dash, body) = match rest.strip_prefix("- ") {
            Some(b) => ("- ", b),
            None => ("", rest),
        };
        let key_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let after = &body[key_len..];
        if !content
            && key_len > 0
            && !body.starts_with('#')
            && (after.starts_with(": ") || after == ":")
        {
            let _ = writeln!(
                out,
                "{}{dash}{quote}{}{quote}{after}",
                &line[..indent],
                &body[..key_len]
            );
            changed = true;
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    changed.then_some(out)
}

/// A comment line before every top-level key.
fn comments_between_keys(yaml: &str) -> Option<String> {
    let mut out = String::new();
    for (line, content) in yaml_lines(yaml) {
        if !content && line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.push_str("# reviewer note: unchanged\n");
        }
        let _ = writeln!(out, "{line}");
    }
    Some(out)
}

/// Every line indented by two spaces: the root mapping starts at column 3.
fn indented_root(yaml: &str) -> Option<String> {
    // Document markers and directives stay at the margin; with them the file is left alone.
    if yaml
        .lines()
        .any(|l| l.starts_with("---") || l.starts_with("...") || l.starts_with('%'))
    {
        return None;
    }
    let mut out = String::new();
    for line in yaml.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    Some(out)
}

fn scalar(text: &str, kind: ScalarKind) -> String {
    match kind {
        ScalarKind::Str => serde_json::to_string(text).expect("json string"),
        ScalarKind::Null => "null".into(),
        _ => text.to_string(),
    }
}

/// The tree written as one flow mapping (`{"packet": "cost-trace", …}`), a line per entry.
fn flow(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent + 2);
    match &node.value {
        Value::Scalar { text, kind } => out.push_str(&scalar(text, *kind)),
        Value::Seq(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                flow(item, indent + 2, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent + 1));
            out.push(']');
        }
        Value::Map(entries) => {
            out.push_str("{\n");
            for (i, (k, v)) in entries.iter().enumerate() {
                let _ = write!(out, "{pad}{}: ", scalar(&k.text, ScalarKind::Str));
                flow(v, indent + 2, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent + 1));
            out.push('}');
        }
    }
}

/// The tree written in block style with four-space indentation.
fn block(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let key = scalar(&k.text, ScalarKind::Str);
                match &v.value {
                    Value::Scalar { text, kind } => {
                        let _ = writeln!(out, "{pad}{key}: {}", scalar(text, *kind));
                    }
                    Value::Map(m) if m.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}: {{}}");
                    }
                    Value::Seq(s) if s.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}: []");
                    }
                    _ => {
                        let _ = writeln!(out, "{pad}{key}:");
                        block(v, indent + 4, out);
                    }
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                let mut inner = String::new();
                match &item.value {
                    Value::Scalar { text, kind } => {
                        let _ = writeln!(out, "{pad}-   {}", scalar(text, *kind));
                        continue;
                    }
                    _ => block(item, indent + 4, &mut inner),
                }
                // The item's first line goes after the dash.
                let body = inner
                    .strip_prefix(&" ".repeat(indent + 4))
                    .unwrap_or(&inner);
                let _ = write!(out, "{pad}-   {body}");
            }
        }
        Value::Scalar { text, kind } => {
            let _ = writeln!(out, "{pad}{}", scalar(text, *kind));
        }
    }
}

fn tree(yaml: &str) -> Option<Node> {
    // Comments would be lost by re-writing from the tree, and a comment may be the point of
    // the fixture (a key pasted into one).
    if yaml
        .lines()
        .any(|l| l.trim_start().starts_with('#') || l.contains(" #"))
    {
        return None;
    }
    yaml::parse(yaml, Limits::default()).ok()?.root
}

// ---------------------------------------------------------------------------------------------
// Prose rewrites (Markdown bodies)
// ---------------------------------------------------------------------------------------------

/// Prose lines a rewrite may touch: paragraph text outside code, not a heading, table, quote
/// or link-bearing line.
fn plain_prose_lines(prose: &str) -> Vec<usize> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in prose.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced
            || t.is_empty()
            || t.starts_with(['#', '|', '>', '<'])
            || line.contains("http")
            || line.contains('`')
            || line.contains('[')
            || line.starts_with("    ")
        {
            continue;
        }
        out.push(i);
    }
    out
}

fn map_lines(prose: &str, f: impl Fn(usize, &str) -> Option<String>) -> String {
    let mut out = String::new();
    for (i, line) in prose.lines().enumerate() {
        let _ = writeln!(out, "{}", f(i, line).unwrap_or_else(|| line.to_string()));
    }
    out
}

/// Spans of figures in a line: digits with separators, a leading currency sign and a
/// trailing `%`.
fn figures(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let start = if i > 0 && b[i - 1] == b'$' { i - 1 } else { i };
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_digit()
                    || (matches!(b[j], b',' | b'.')
                        && b.get(j + 1).is_some_and(u8::is_ascii_digit)))
            {
                j += 1;
            }
            if b.get(j) == Some(&b'%') {
                j += 1;
            }
            // Not part of a word or a date (`p95`, `2026-11-12`).
            if !b
                .get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-')
            {
                out.push((start, j));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn emphasis(prose: &str) -> String {
    let lines = plain_prose_lines(prose);
    map_lines(prose, |i, line| {
        if !lines.contains(&i) || line.contains('*') || line.contains('_') {
            return None;
        }
        let spans = figures(line);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::new();
        let mut last = 0;
        for (a, b) in spans {
            let _ = write!(out, "{}**{}**", &line[last..a], &line[a..b]);
            last = b;
        }
        out.push_str(&line[last..]);
        Some(out)
    })
}

fn entity(prose: &str) -> String {
    let lines = plain_prose_lines(prose);
    map_lines(prose, |i, line| {
        if !lines.contains(&i) {
            return None;
        }
        for (c, e) in [('$', "&#36;"), ('%', "&#37;"), ('e', "&#101;")] {
            if let Some(at) = line.find(c) {
                return Some(format!("{}{e}{}", &line[..at], &line[at + 1..]));
            }
        }
        None
    })
}

fn wrap(prose: &str) -> String {
    let lines = plain_prose_lines(prose);
    map_lines(prose, |i, line| {
        if !lines.contains(&i) || line.len() < 40 {
            return None;
        }
        let mid = line.len() / 2;
        let at = line[..mid]
            .rfind(' ')
            .or_else(|| line[mid..].find(' ').map(|j| j + mid))?;
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        let item = t.starts_with("- ") || t.starts_with("* ");
        let cont = if item { indent + 2 } else { indent };
        Some(format!(
            "{}\n{}{}",
            &line[..at],
            " ".repeat(cont),
            &line[at + 1..]
        ))
    })
}

/// The first one-line paragraph with a figure, moved into a one-column table.
fn table_cell(prose: &str) -> Option<String> {
    let all: Vec<&str> = prose.lines().collect();
    let lines = plain_prose_lines(prose);
    let target = lines.into_iter().find(|&i| {
        let blank = |j: Option<&&str>| j.is_none_or(|l| l.trim().is_empty());
        let t = all[i].trim_start();
        !t.starts_with(['-', '*', '+'])
            && !t.starts_with(|c: char| c.is_ascii_digit())
            && blank(i.checked_sub(1).and_then(|j| all.get(j)))
            && blank(all.get(i + 1))
            && !figures(all[i]).is_empty()
    })?;
    Some(map_lines(prose, |i, line| {
        (i == target).then(|| format!("| Note |\n| --- |\n| {} |", line.trim()))
    }))
}

/// "Without further ado, " before each sentence that holds a figure.
fn negation_elsewhere(prose: &str) -> String {
    let lines = plain_prose_lines(prose);
    map_lines(prose, |i, line| {
        if !lines.contains(&i) || figures(line).is_empty() {
            return None;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        let (marker, body) = match t.strip_prefix("- ") {
            Some(b) => ("- ", b),
            None => ("", t),
        };
        Some(format!(
            "{}{marker}Without further ado, {body}",
            &line[..indent]
        ))
    })
}

/// A zero-width space after the first digit of the first figure in the prose, or of a value.
fn zero_width_in_figure(parts: &Parts) -> Option<String> {
    if parts.markdown {
        let lines = plain_prose_lines(&parts.prose);
        let all: Vec<&str> = parts.prose.lines().collect();
        let i = lines.into_iter().find(|&i| !figures(all[i]).is_empty())?;
        let (a, _) = figures(all[i])[0];
        let digit = a + usize::from(all[i].as_bytes()[a] == b'$');
        return parts.with_prose(map_lines(&parts.prose, |j, line| {
            (j == i).then(|| format!("{}{ZERO_WIDTH}{}", &line[..digit + 1], &line[digit + 1..]))
        }));
    }
    let (i, line) = parts
        .yaml
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(": ") && !figures(l).is_empty())?;
    let (a, _) = figures(line)[0];
    let digit = a + usize::from(line.as_bytes()[a] == b'$');
    Some(parts.with_yaml(map_lines(&parts.yaml, |j, l| {
        (j == i).then(|| format!("{}{ZERO_WIDTH}{}", &l[..digit + 1], &l[digit + 1..]))
    })))
}

// ---------------------------------------------------------------------------------------------

/// Every rewrite that applies to a fixture: (name, text, adds `file-encoding`).
fn rewrites(name: &str, text: &str) -> Vec<(&'static str, String, bool)> {
    let Some(parts) = Parts::of(name, text) else {
        return Vec::new();
    };
    let mut out: Vec<(&'static str, String, bool)> = Vec::new();
    let quote = if parts.markdown { '\'' } else { '"' };
    if let Some(y) = quote_keys(&parts.yaml, quote) {
        out.push(("quoted-keys", parts.with_yaml(y), false));
    }
    if let Some(root) = tree(&parts.yaml) {
        let mut f = String::new();
        flow(&root, 0, &mut f);
        f.push('\n');
        out.push(("flow-style", parts.with_yaml(f), false));
        let mut b = String::new();
        block(&root, 0, &mut b);
        out.push(("four-space-block", parts.with_yaml(b), false));
    }
    if let Some(y) = indented_root(&parts.yaml) {
        out.push(("indented-root", parts.with_yaml(y), false));
    }
    if let Some(y) = comments_between_keys(&parts.yaml) {
        out.push(("comments-between-keys", parts.with_yaml(y), false));
    }
    out.push(("crlf", text.replace('\n', "\r\n"), false));
    out.push(("bom", format!("\u{FEFF}{text}"), false));
    let packet_key = text.replacen("packet:", &format!("pack{ZERO_WIDTH}et:"), 1);
    if packet_key != text {
        out.push(("zero-width-in-key", packet_key, true));
    }
    if let Some(t) = zero_width_in_figure(&parts) {
        out.push(("zero-width-in-figure", t, true));
    }
    if parts.markdown {
        let prose = &parts.prose;
        for (rewrite, new) in [
            ("emphasis", Some(emphasis(prose))),
            ("entity", Some(entity(prose))),
            ("wrapped", Some(wrap(prose))),
            ("table-cell", table_cell(prose)),
            ("negation-elsewhere", Some(negation_elsewhere(prose))),
        ] {
            if let Some(t) = new.and_then(|p| parts.with_prose(p)) {
                out.push((rewrite, t, false));
            }
        }
    }
    out
}

fn rules_of(packet: &serde_json::Value) -> BTreeSet<String> {
    packet["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn rewrites_that_read_the_same_keep_the_verdict_and_rules() {
    let src = root().join("tests/fixtures/cases");
    let dir = scratch("metamorphic");
    let mut jobs: Vec<(String, String, &'static str, bool)> = Vec::new();
    for name in fixture_names(&src) {
        // Fixtures that are not UTF-8 are about bad bytes: nothing to rewrite.
        let Ok(text) = fs::read_to_string(src.join(&name)) else {
            continue;
        };
        let (stem, ext) = name.rsplit_once('.').expect("extension");
        let original = format!("{stem}__original.{ext}");
        fs::write(dir.join(&original), &text).unwrap();
        for (rewrite, new, hidden) in rewrites(&name, &text) {
            let file = format!("{stem}__{rewrite}.{ext}");
            fs::write(dir.join(&file), new).unwrap();
            jobs.push((original.clone(), file, rewrite, hidden));
        }
    }
    let mut args: Vec<String> = fixture_names(&dir);
    args.sort();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, json) = check_json(&dir, &args);
    let by_path: std::collections::HashMap<String, &serde_json::Value> = json["packets"]
        .as_array()
        .expect("packets")
        .iter()
        .map(|p| (p["path"].as_str().unwrap_or("").to_string(), p))
        .collect();

    let mut failures = Vec::new();
    let mut checked = 0;
    let mut per_rewrite: std::collections::BTreeMap<&str, usize> = Default::default();
    for (original, file, rewrite, hidden) in &jobs {
        let Some(before) = by_path.get(original.as_str()) else {
            failures.push(format!("{original}: not judged at all"));
            continue;
        };
        let before_rules = rules_of(before);
        if before_rules
            .iter()
            .any(|r| ENGINE_RULES.iter().any(|e| r.starts_with(e)))
        {
            continue;
        }
        let Some(after) = by_path.get(file.as_str()) else {
            failures.push(format!("{file}: not judged at all"));
            continue;
        };
        checked += 1;
        *per_rewrite.entry(rewrite).or_default() += 1;
        let mut expected = before_rules.clone();
        if *hidden {
            expected.insert("file-encoding".into());
        }
        let after_rules = rules_of(after);
        let verdict_same = *hidden || before["verdict"] == after["verdict"];
        if after_rules != expected || !verdict_same {
            let gained: Vec<_> = after_rules.difference(&expected).collect();
            let lost: Vec<_> = expected.difference(&after_rules).collect();
            failures.push(format!(
                "{file}: {} -> {}; gained {gained:?}, lost {lost:?}",
                before["verdict"], after["verdict"]
            ));
        }
    }
    println!("{checked} rewrites checked: {per_rewrite:?}");
    assert!(checked > 500, "only {checked} rewrites were checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} rewrites changed the judgement:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
