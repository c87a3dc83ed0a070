//! The crate's files import one way: no file reaches (through `crate::…` or `super::…`
//! paths) a file that reaches back to it. Read from the source, as a reviewer reads it:
//! every path naming a module of the crate is an edge from the file that writes it to the
//! file that defines that module. A parent module's `mod` items and its relative paths to
//! its own children are the module tree, not imports; a child naming its parent (`super::`,
//! `crate::parent::…`) is one. Unit-test modules are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file defines, as a path below the crate root (`""` for lib.rs and main.rs).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file's code without comments and without its unit tests (`#[cfg(test)] mod tests`).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let line = match line.find("//") {
            // A `//` inside a string (a URL) is rare in paths' lines; cut at the first one
            // that is not part of `://`.
            Some(i) if !line[..i].ends_with(':') => &line[..i],
            _ => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The identifiers of each `crate::a::b…` or `super::…::a::b…` path in `code`, resolved
/// against `here` (the module that writes them).
fn paths(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let start_ok = i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':');
        let rest = &code[i..];
        let (mut base, mut j) = if start_ok && rest.starts_with("crate::") {
            (Vec::new(), i + "crate::".len())
        } else if start_ok && rest.starts_with("super::") {
            let mut base = here.to_vec();
            let mut j = i;
            while code[j..].starts_with("super::") {
                base.pop();
                j += "super::".len();
            }
            (base, j)
        } else {
            i += 1;
            continue;
        };
        loop {
            let len = code[j..].bytes().take_while(|b| ident(*b)).count();
            base.extend((len > 0).then(|| code[j..j + len].to_string()));
            j += len;
            if code[j..].starts_with("::") && code[j + 2..].bytes().next().is_some_and(ident) {
                j += 2;
            } else {
                break;
            }
        }
        // `crate::a::{b, c::d}` names each path in the braces (nested braces by their prefix).
        let brace = code[j..].strip_prefix("::").unwrap_or(&code[j..]);
        if brace.starts_with('{') {
            let open = code.len() - brace.len();
            let (mut depth, mut item, mut end) = (0, String::new(), code.len());
            for (k, c) in code[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = open + k;
                    break;
                }
                if c == ',' && depth == 1 {
                    out.push(item_path(&base, &item));
                    item.clear();
                } else if !(c == '{' && depth == 1) {
                    item.push(c);
                }
            }
            out.push(item_path(&base, &item));
            i = end.max(i + 1);
            continue;
        }
        out.push(base);
        i = j.max(i + 1);
    }
    out
}

/// `base` followed by the leading `a::b` of one brace item (`a::b::{…}` counts as `a::b`).
fn item_path(base: &[String], item: &str) -> Vec<String> {
    let mut full = base.to_vec();
    full.extend(
        item.split("::")
            .map(str::trim)
            .take_while(|s| {
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .map(str::to_string),
    );
    full
}

type Graph = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

/// Each cycle a depth-first search meets (a back edge), as the path around it.
fn cycles(edges: &Graph) -> Vec<String> {
    // Depth-first search; a back edge is a cycle, reported with its path.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark: BTreeMap<&Vec<String>, Mark> = edges.keys().map(|k| (k, Mark::New)).collect();
    let mut cycles = Vec::new();
    fn visit<'a>(
        node: &'a Vec<String>,
        edges: &'a Graph,
        mark: &mut BTreeMap<&'a Vec<String>, Mark>,
        stack: &mut Vec<&'a Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        mark.insert(node, Mark::Open);
        stack.push(node);
        for next in &edges[node] {
            match mark[next] {
                Mark::New => visit(next, edges, mark, stack, cycles),
                Mark::Open => {
                    let from = stack.iter().position(|n| *n == next).unwrap();
                    let names: Vec<String> = stack[from..]
                        .iter()
                        .chain([&next])
                        .map(|m| format!("crate::{}", m.join("::")))
                        .collect();
                    cycles.push(names.join(" → "));
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        mark.insert(node, Mark::Done);
    }
    for node in edges.keys() {
        if mark[node] == Mark::New {
            visit(node, edges, &mut mark, &mut Vec::new(), &mut cycles);
        }
    }
    cycles
}

#[test]
fn a_cycle_is_found_and_named() {
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
    let graph = |pairs: &[(&str, &str)]| {
        let mut g = Graph::new();
        for (a, b) in pairs {
            g.entry(m(a)).or_default().insert(m(b));
            g.entry(m(b)).or_default();
        }
        g
    };
    let acyclic = graph(&[("app", "engine"), ("engine", "rules"), ("app", "rules")]);
    assert!(cycles(&acyclic).is_empty());
    let cyclic = graph(&[
        ("app", "engine"),
        ("engine", "rules::kind"),
        ("rules::kind", "engine"),
    ]);
    assert_eq!(
        cycles(&cyclic),
        ["crate::engine → crate::rules::kind → crate::engine"]
    );
}

#[test]
fn the_use_graph_between_files_has_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let modules: BTreeMap<Vec<String>, PathBuf> = all
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let mut edges = Graph::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        let mut deps = BTreeSet::new();
        for path in paths(&code(&text), module) {
            // The longest prefix that is a file of the crate.
            let Some(target) = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains_key(p))
            else {
                continue;
            };
            // A parent reaching into its own child is the module tree.
            let is_own_child = target.len() > module.len() && target.starts_with(module);
            if target != *module && !is_own_child {
                deps.insert(target);
            }
        }
        edges.insert(module.clone(), deps);
    }
    assert!(
        edges.len() > 50 && edges.values().map(BTreeSet::len).sum::<usize>() > 100,
        "the scan found too few files or imports to mean anything: {edges:?}"
    );

    let cycles = cycles(&edges);
    assert!(
        cycles.is_empty(),
        "files that import each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_scan_sees_the_paths_a_file_writes() {
    let here = vec!["audit".to_string(), "merge".to_string()];
    let code = code(
        "use crate::config::{self, Config};\nuse crate::{place, rules::{self, kind::Kind}};\nuse super::model::Audit;\n// crate::engine in a comment\nlet x = crate::rules::secrets::scan(y);\n#[cfg(test)]\nmod tests {\n    use crate::github::api;\n}\n",
    );
    let found = paths(&code, &here);
    let names: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        names,
        [
            "config::self",
            "config::Config",
            "place",
            "rules",
            "audit::model::Audit",
            "rules::secrets::scan"
        ]
    );
}
