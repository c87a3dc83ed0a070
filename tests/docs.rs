//! The documentation is run, not trusted (the trycmd habit): every command README.md and
//! docs/*.md show is run by the real binary and its output compared with what the page shows,
//! and every relative link is followed.
//!
//! The conventions the pages follow:
//!
//! - A ```` ```console ```` block holds commands and what they print. A line starting `$ ` is a
//!   command; the lines after it, up to the next `$ ` line or the end of the block, are its
//!   stdout (blank lines at the end do not count). A command that exits with anything but 0
//!   shows it as a last line `[exit N]`. A command ending in `2>&1` is compared with its stdout
//!   followed by its stderr.
//! - A line `...` in a shown output stands for any number of lines (at most one such line per
//!   output), so a long output can be shown by its first and last lines.
//! - Commands are `packetgate` and its arguments, nothing else: no pipes, no redirections. They
//!   run as the built binary, from the repository root, with `NO_COLOR=1` and none of the
//!   variables that change colour or paths (`FORCE_COLOR`, `CLICOLOR_FORCE`, `GITHUB_*`).
//!   They must be offline and deterministic: `packetgate check` needs `--offline` and
//!   `--today`, and `packetgate github` cannot run here at all.
//! - A `packetgate` command that cannot run here (it needs GitHub or the network, or writes a
//!   file) carries a comment `# not run: REASON`, in a ```` ```console ```` block (with no
//!   output under it) or a ```` ```sh ```` block. It is not run, but its arguments are still
//!   parsed by the binary (`--help` appended), so a renamed flag or value fails here. Any other
//!   `packetgate` command in a ```` ```sh ```` block fails the test: show it in a
//!   ```` ```console ```` block with its output, or mark it.
//! - A code block whose first line is a comment naming a file of the repository
//!   (`# docs/examples/acme/.packetgate.yml`) shows that file: the rest of the block is the
//!   file, whole, or its first lines when the block's last line starts with `# …`.
//! - `UPDATE_DOCS=1 cargo test --test docs` rewrites every shown output from the real run
//!   instead of comparing (an elided output keeps as many first and last lines as it showed),
//!   and every shown file from the file, so sample outputs are generated, never typed. Review
//!   the diff.
//!
//! Links: every relative link (`[text](path)`, `[text](path#anchor)`, `[text](#anchor)`, and
//! reference definitions) in these pages and SECURITY.md must name a file or folder inside the
//! repository, and an anchor a heading of that file (GitHub's slugs). `docs/packet-format.md` is the format's
//! specification and links nowhere outside the repository.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, then docs/*.md in name order.
fn pages() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    let mut all = vec![root().join("README.md")];
    all.extend(docs);
    all
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Fenced blocks

/// One fenced code block: its info string's first word, the fence's indentation, the file lines
/// of the opening and closing fences (0-based), and its lines with the indentation removed.
#[derive(Debug)]
struct Block {
    lang: String,
    indent: usize,
    open: usize,
    close: usize,
    lines: Vec<String>,
}

/// A fence line: its indentation, its run of backticks (three or more) and its info string.
fn fence(line: &str) -> Option<(usize, usize, &str)> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
    (ticks >= 3).then(|| (indent, ticks, trimmed[ticks..].trim()))
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((indent, ticks, info)) = fence(lines[i]) else {
            i += 1;
            continue;
        };
        let lang = info.split_whitespace().next().unwrap_or("").to_string();
        let mut j = i + 1;
        while j < lines.len() {
            if let Some((_, t, rest)) = fence(lines[j]) {
                if t >= ticks && rest.is_empty() {
                    break;
                }
            }
            j += 1;
        }
        let body = lines[i + 1..j.min(lines.len())]
            .iter()
            .map(|l| {
                let strip = l.len() - l.trim_start_matches(' ').len();
                l[strip.min(indent)..].to_string()
            })
            .collect();
        out.push(Block {
            lang,
            indent,
            open: i,
            close: j,
            lines: body,
        });
        i = j + 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Shell words

/// A line split into words as a shell would (quotes and backslashes), with the comment after
/// an unquoted `#` returned apart.
fn shell_words(line: &str) -> (Vec<String>, Option<String>) {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '#' if !in_word => return (words, Some(line[at + 1..].trim().to_string())),
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for (_, c) in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                word.push(n);
                            }
                        }
                        _ => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some((_, n)) = chars.next() {
                    word.push(n);
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    (words, None)
}

fn is_operator(word: &str) -> bool {
    matches!(word, "|" | "||" | "&&" | ";" | "&" | "<" | "2>&1")
        || word.starts_with('>')
        || word.starts_with("2>")
}

/// A redirection whose file name is the next word.
fn takes_file(word: &str) -> bool {
    matches!(word, "<" | ">" | ">>" | "2>" | "2>>")
}

/// The reason of a `# not run: REASON` comment, if the comment is one.
fn not_run(comment: &Option<String>) -> Option<&str> {
    let reason = comment.as_deref()?.strip_prefix("not run:")?.trim();
    (!reason.is_empty()).then_some(reason)
}

/// The arguments of every `packetgate` invocation in command position on a shell line
/// (first word, after an operator, after `VAR=value` assignments).
fn packetgate_invocations(words: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut at_command = true;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if is_operator(w) {
            if takes_file(w) {
                i += 1;
            } else if !w.starts_with('>') && !w.starts_with("2>") {
                at_command = true;
            }
            continue;
        }
        if at_command && w.contains('=') && !w.starts_with('-') {
            continue; // `VAR=value` before the command
        }
        if at_command && (w == "packetgate" || w.ends_with("/packetgate")) {
            let args: Vec<String> = words[i..]
                .iter()
                .take_while(|w| !is_operator(w))
                .cloned()
                .collect();
            i += args.len();
            found.push(args);
        }
        at_command = false;
    }
    found
}

/// Lines of a shell block with `\` continuations joined, each with its 0-based block line.
fn logical_lines(lines: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in lines.iter().enumerate() {
        let (start, mut text) = current.take().unwrap_or((n, String::new()));
        let piece = line.strip_prefix("$ ").unwrap_or(line);
        if let Some(cont) = piece.strip_suffix('\\') {
            text.push_str(cont);
            text.push(' ');
            current = Some((start, text));
        } else {
            text.push_str(piece);
            out.push((start, text));
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_packetgate"));
    cmd.current_dir(root()).env("NO_COLOR", "1");
    for var in [
        "FORCE_COLOR",
        "CLICOLOR_FORCE",
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_WORKSPACE",
        "GITHUB_TOKEN",
        "GITHUB_EVENT_PATH",
        "GITHUB_EVENT_NAME",
        "RUNNER_TEMP",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// A command the pages mark `# not run:` still has to parse: `--help` appended, exit 0.
fn parses(args: &[String]) -> Result<(), String> {
    let out = binary()
        .args(args)
        .arg("--help")
        .output()
        .expect("runs the binary");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Console blocks

#[derive(Debug)]
struct Shown {
    /// The line as written after `$ `.
    line: String,
    /// 1-based line of the command in its file.
    file_line: usize,
    /// What the page shows under it, trailing blank lines removed.
    output: Vec<String>,
    not_run: bool,
}

fn console_commands(block: &Block, file: &str, problems: &mut Vec<String>) -> Vec<Shown> {
    let mut shown: Vec<Shown> = Vec::new();
    for (n, line) in block.lines.iter().enumerate() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            let (_, comment) = shell_words(cmd);
            shown.push(Shown {
                line: cmd.to_string(),
                file_line: block.open + 2 + n,
                output: Vec::new(),
                not_run: not_run(&comment).is_some(),
            });
        } else if let Some(last) = shown.last_mut() {
            last.output.push(line.clone());
        } else if !line.trim().is_empty() {
            problems.push(format!(
                "{file}:{}: output before any `$ ` command in a console block",
                block.open + 2 + n
            ));
        }
    }
    for s in &mut shown {
        while s.output.last().is_some_and(|l| l.trim().is_empty()) {
            s.output.pop();
        }
    }
    shown
}

/// Does `actual` match `shown`, where one `...` line stands for any lines?
fn matches(shown: &[String], actual: &[String]) -> bool {
    match shown.iter().position(|l| l == "...") {
        None => shown == actual,
        Some(at) => {
            let (head, tail) = (&shown[..at], &shown[at + 1..]);
            actual.len() >= head.len() + tail.len()
                && actual.starts_with(head)
                && actual.ends_with(tail)
        }
    }
}

/// What an out-of-date output becomes: the real one, elided as the page elided it.
fn regenerate(shown: &[String], actual: &[String]) -> Vec<String> {
    match shown.iter().position(|l| l == "...") {
        Some(at) if actual.len() > shown.len() - 1 => {
            let tail = shown.len() - at - 1;
            let mut out = actual[..at].to_vec();
            out.push("...".into());
            out.extend_from_slice(&actual[actual.len() - tail..]);
            out
        }
        _ => actual.to_vec(),
    }
}

/// Runs one shown command: its words, checked; its stdout (and stderr after `2>&1`) and a last
/// line `[exit N]` when N is not 0.
fn run_shown(line: &str) -> Result<Vec<String>, String> {
    let (mut words, _) = shell_words(line);
    let merge = words.last().is_some_and(|w| w == "2>&1");
    if merge {
        words.pop();
    }
    if words.first().map(String::as_str) != Some("packetgate") {
        return Err("a console block runs `packetgate` commands only".into());
    }
    if let Some(op) = words.iter().find(|w| is_operator(w)) {
        return Err(format!(
            "`{op}`: a shown command is `packetgate` and its arguments (mark it `# not run: REASON` to show it anyway)"
        ));
    }
    let args = &words[1..];
    let has = |flag: &str| args.iter().any(|a| a == flag);
    match args.first().map(String::as_str) {
        Some("check") if !(has("--offline") && has("--today") || has("--help") || has("-h")) => {
            return Err(
                "`packetgate check` must run with `--offline --today YYYY-MM-DD` to be deterministic"
                    .into(),
            )
        }
        Some("github") => {
            return Err("`packetgate github` needs GitHub: mark it `# not run: REASON`".into())
        }
        _ => {}
    }
    let out = binary().args(args).output().expect("runs the binary");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if merge {
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    match out.status.code() {
        Some(0) => {}
        Some(n) => lines.push(format!("[exit {n}]")),
        None => return Err("killed by a signal".into()),
    }
    Ok(lines)
}

#[test]
fn every_shown_command_prints_what_the_page_shows() {
    let update = update_docs();
    let mut problems = Vec::new();
    let mut ran = 0;
    let mut rewritten = 0;
    for page in pages() {
        let file = rel(&page);
        let text = std::fs::read_to_string(&page).unwrap();
        let mut file_lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut changed = false;
        // Bottom up, so a rewritten block leaves the line numbers above it alone.
        for block in blocks(&text).iter().rev() {
            if block.lang != "console" {
                continue;
            }
            let shown = console_commands(block, &file, &mut problems);
            let mut new_body: Vec<String> = Vec::new();
            let mut block_changed = false;
            for (k, s) in shown.iter().enumerate() {
                let mut output = s.output.clone();
                if s.not_run {
                    if !s.output.is_empty() {
                        problems.push(format!(
                            "{file}:{}: a command marked `# not run` shows no output",
                            s.file_line
                        ));
                    }
                } else {
                    ran += 1;
                    match run_shown(&s.line) {
                        Err(e) => problems.push(format!("{file}:{}: {e}", s.file_line)),
                        Ok(actual) if matches(&s.output, &actual) => {}
                        Ok(actual) if update => {
                            output = regenerate(&s.output, &actual);
                            block_changed = true;
                            rewritten += 1;
                        }
                        Ok(actual) => problems.push(format!(
                            "{file}:{}: `$ {}` prints something else.\n--- the page shows:\n{}\n--- the binary prints:\n{}\n",
                            s.file_line,
                            s.line,
                            s.output.join("\n"),
                            actual.join("\n")
                        )),
                    }
                }
                new_body.push(format!("$ {}", s.line));
                new_body.extend(output);
                if k + 1 < shown.len() {
                    new_body.push(String::new());
                }
            }
            if block_changed {
                let pad = " ".repeat(block.indent);
                let body =
                    new_body.into_iter().map(
                        |l| {
                            if l.is_empty() {
                                l
                            } else {
                                format!("{pad}{l}")
                            }
                        },
                    );
                file_lines.splice(block.open + 1..block.close, body);
                changed = true;
            }
        }
        if changed {
            let mut out = file_lines.join("\n");
            out.push('\n');
            std::fs::write(&page, out).unwrap();
        }
    }
    assert!(ran > 0, "no console command found in the docs");
    if update && rewritten > 0 {
        eprintln!("UPDATE_DOCS: rewrote {rewritten} shown outputs; review the diff");
    }
    assert!(
        problems.is_empty(),
        "{} problems in the docs' commands (`UPDATE_DOCS=1 cargo test --test docs` rewrites outputs from the real run):\n\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_packetgate_command_in_a_shell_block_is_run_or_marked() {
    let mut problems = Vec::new();
    let mut marked = 0;
    for page in pages() {
        let file = rel(&page);
        let text = std::fs::read_to_string(&page).unwrap();
        for block in blocks(&text) {
            let console = block.lang == "console";
            if !console && !matches!(block.lang.as_str(), "sh" | "bash" | "shell" | "zsh") {
                continue;
            }
            let lines: Vec<(usize, String)> = if console {
                // Only the `$ ` lines of a console block are commands; the rest is output.
                block
                    .lines
                    .iter()
                    .enumerate()
                    .filter_map(|(n, l)| l.strip_prefix("$ ").map(|c| (n, c.to_string())))
                    .collect()
            } else {
                logical_lines(&block.lines)
            };
            for (n, line) in lines {
                let at = block.open + 2 + n;
                let (words, comment) = shell_words(&line);
                let calls = packetgate_invocations(&words);
                if calls.is_empty() {
                    continue;
                }
                match not_run(&comment) {
                    Some(_) => {
                        marked += 1;
                        for args in calls {
                            if let Err(e) = parses(&args) {
                                problems.push(format!(
                                    "{file}:{at}: `{}` (marked not run) does not parse: {e}",
                                    line.trim()
                                ));
                            }
                        }
                    }
                    None if console => {} // run and compared by the other test
                    None => problems.push(format!(
                        "{file}:{at}: `{}` is neither run nor marked: show it in a ```console block with its output, or end it with `# not run: REASON`",
                        line.trim()
                    )),
                }
            }
        }
    }
    assert!(marked > 0, "no command marked `# not run` was found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn update_docs() -> bool {
    std::env::var_os("UPDATE_DOCS").is_some_and(|v| !v.is_empty() && v != "0")
}

// ---------------------------------------------------------------------------------------------
// Shown files

#[test]
fn a_block_naming_a_file_shows_that_file() {
    let update = update_docs();
    let mut problems = Vec::new();
    let mut shown = 0;
    for page in pages() {
        let file = rel(&page);
        let text = std::fs::read_to_string(&page).unwrap();
        let mut file_lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut changed = false;
        for block in blocks(&text).iter().rev() {
            let Some(named) = block
                .lines
                .first()
                .and_then(|l| l.strip_prefix("# "))
                .and_then(|l| l.split_whitespace().next())
            else {
                continue;
            };
            let path = root().join(named);
            if !path.is_file() || resolve(&root(), named).is_none() {
                continue;
            }
            shown += 1;
            let real: Vec<String> = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            let cut = block.lines.len() > 1 && block.lines.last().unwrap().starts_with("# …");
            let body = &block.lines[1..block.lines.len() - usize::from(cut)];
            let want: &[String] = if cut {
                &real[..body.len().min(real.len())]
            } else {
                &real
            };
            if body == want {
                continue;
            }
            if update {
                let pad = " ".repeat(block.indent);
                let mut new: Vec<String> = vec![block.lines[0].clone()];
                new.extend(want.iter().cloned());
                if cut {
                    new.push(block.lines.last().unwrap().clone());
                }
                let new = new
                    .into_iter()
                    .map(|l| if l.is_empty() { l } else { format!("{pad}{l}") });
                file_lines.splice(block.open + 1..block.close, new);
                changed = true;
            } else {
                problems.push(format!(
                    "{file}:{}: the block shows `{named}`, but not as the file has it",
                    block.open + 1
                ));
            }
        }
        if changed {
            let mut out = file_lines.join("\n");
            out.push('\n');
            std::fs::write(&page, out).unwrap();
        }
    }
    assert!(shown > 0, "no block naming a file was found");
    assert!(
        problems.is_empty(),
        "{} (`UPDATE_DOCS=1 cargo test --test docs` rewrites them from the files)",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Links

/// GitHub's anchor for a heading: the text as displayed, lower-cased, with everything but
/// letters, digits, `_`, `-` and spaces removed, and spaces turned into `-`.
fn slug(heading: &str) -> String {
    let mut shown = String::new();
    let mut rest = heading;
    // `[text](target)` displays as `text`.
    while let Some(open) = rest.find('[') {
        shown.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match (after.find("]("), after.find(')')) {
            (Some(close), Some(end)) if close < end => {
                shown.push_str(&after[..close]);
                rest = &after[end + 1..];
            }
            _ => {
                shown.push('[');
                rest = after;
            }
        }
    }
    shown.push_str(rest);
    shown
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors a Markdown file's headings get, duplicates numbered as GitHub numbers them.
fn anchors(text: &str) -> Vec<String> {
    let in_code = code_lines(text);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if in_code[n] {
            continue;
        }
        let hashes = line.len() - line.trim_start_matches('#').len();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(line[hashes..].trim().trim_end_matches('#').trim());
        let count = seen.entry(base.clone()).or_insert(0);
        out.push(if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    out
}

/// For each line of the file: is it inside (or a fence of) a fenced code block?
fn code_lines(text: &str) -> Vec<bool> {
    let mut flags = vec![false; text.lines().count()];
    for b in blocks(text) {
        for f in flags.iter_mut().take(b.close + 1).skip(b.open) {
            *f = true;
        }
    }
    flags
}

/// A line with its inline code spans blanked out.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        let ticks = &rest[start..start + run];
        let after = &rest[start + run..];
        match after.find(ticks) {
            Some(end) => rest = &after[end + run..],
            None => {
                out.push_str(ticks);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every link target in the file, with its 1-based line: `[text](target)` and `[label]: target`.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let in_code = code_lines(text);
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        if in_code[n] {
            continue;
        }
        let line = without_code_spans(raw);
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            if let Some(close) = trimmed.find("]:") {
                let target = trimmed[close + 2..].split_whitespace().next();
                if let Some(t) = target {
                    out.push((n + 1, t.trim_matches(['<', '>']).to_string()));
                    continue;
                }
            }
        }
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let mut depth = 0usize;
            let mut end = after.len();
            for (i, c) in after.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = i;
                        break;
                    }
                    ')' => depth -= 1,
                    _ => {}
                }
            }
            let target = after[..end].split_whitespace().next().unwrap_or("");
            out.push((n + 1, target.trim_matches(['<', '>']).to_string()));
            rest = &after[end.min(after.len())..];
        }
    }
    out
}

fn has_scheme(target: &str) -> bool {
    target
        .split_once(':')
        .is_some_and(|(s, _)| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()))
}

/// `base/rel` with `.` and `..` resolved, or `None` when it climbs out of the repository.
fn resolve(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut parts: Vec<String> = base
        .strip_prefix(root())
        .ok()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().fold(root(), |p, s| p.join(s)))
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    // SECURITY.md links to these pages, and they to it: its links are followed too.
    for page in pages().into_iter().chain([root().join("SECURITY.md")]) {
        let file = rel(&page);
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for (line, target) in link_targets(&text) {
            if has_scheme(&target) {
                if file == "docs/packet-format.md" {
                    problems.push(format!(
                        "{file}:{line}: `{target}`: the format's specification links nowhere outside the repository"
                    ));
                }
                continue;
            }
            checked += 1;
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let dest = if path.is_empty() {
                page.clone()
            } else {
                match resolve(dir, path) {
                    Some(d) => d,
                    None => {
                        problems.push(format!("{file}:{line}: `{target}` leaves the repository"));
                        continue;
                    }
                }
            };
            if !dest.exists() {
                problems.push(format!(
                    "{file}:{line}: `{target}`: no such file `{}`",
                    rel(&dest)
                ));
                continue;
            }
            if anchor.is_empty() {
                continue;
            }
            let known = if dest.extension().is_some_and(|x| x == "md") {
                anchors(&std::fs::read_to_string(&dest).unwrap())
            } else {
                Vec::new()
            };
            if !known.iter().any(|a| a == anchor) {
                problems.push(format!(
                    "{file}:{line}: `{target}`: no heading `#{anchor}` in `{}`",
                    rel(&dest)
                ));
            }
        }
    }
    assert!(checked > 0, "no relative link found in the docs");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The README

#[test]
fn the_readme_is_short_and_names_the_test_command() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = text.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines: keep it at 250 or fewer, and move reference text to docs/"
    );
    // `.ci/run` runs "the README's test command", `cargo test`, and the examples' check.
    let sh: Vec<String> = blocks(&text)
        .into_iter()
        .filter(|b| b.lang == "sh")
        .flat_map(|b| b.lines)
        .collect();
    for start in [
        "cargo test",
        "cargo run --release -- check --offline --today 2026-11-20 examples/",
    ] {
        assert!(
            sh.iter().any(|l| l.starts_with(start)),
            "README.md no longer shows `{start}` in a ```sh block"
        );
    }
}

#[test]
fn the_conventions_read_as_documented() {
    // Shell words and invocations.
    let (w, c) = shell_words(r#"packetgate check "a b" 'c d' e\ f  # not run: needs GitHub"#);
    assert_eq!(w, ["packetgate", "check", "a b", "c d", "e f"]);
    assert_eq!(not_run(&c), Some("needs GitHub"));
    let (w, _) =
        shell_words("NO_COLOR=1 packetgate new cost-trace > t.md | cat && packetgate rules");
    assert_eq!(
        packetgate_invocations(&w),
        vec![
            vec!["new".to_string(), "cost-trace".into()],
            vec!["rules".into()]
        ]
    );
    let (w, _) = shell_words("cargo install --locked packetgate");
    assert!(packetgate_invocations(&w).is_empty());
    // Elision.
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&s(&["a", "...", "z"]), &s(&["a", "b", "c", "z"])));
    assert!(matches(&s(&["a", "...", "z"]), &s(&["a", "z"])));
    assert!(!matches(&s(&["a", "...", "z"]), &s(&["a", "b"])));
    assert_eq!(
        regenerate(&s(&["a", "...", "z"]), &s(&["A", "b", "c", "Z"])),
        s(&["A", "...", "Z"])
    );
    // GitHub's slugs.
    assert_eq!(
        slug("Repository config (`.packetgate.yml`)"),
        "repository-config-packetgateyml"
    );
    assert_eq!(
        slug("Forks, read-only tokens and `pull_request_target`"),
        "forks-read-only-tokens-and-pull_request_target"
    );
    assert_eq!(
        anchors("# A\n```\n# not a heading\n```\n## A\n"),
        ["a", "a-1"]
    );
    // Links.
    assert_eq!(
        link_targets("see [x](a.md#b) and `[y](no.md)`\n[r]: <c.md>\n"),
        vec![(1, "a.md#b".to_string()), (2, "c.md".into())]
    );
}
