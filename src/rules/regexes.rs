//! Policy regexes: checked while a policy is decoded (a mistake is a config problem with its
//! line), compiled once per process, and rewritten where Unicode word boundaries would make
//! the regex engine slow. Shared by the rule kinds and the policy's `placeholders:`.

use crate::config::decode::{Entry, Problems};
use crate::yaml::Pos;
use regex::Regex;

/// Compiles a policy regex; `anchored` wraps it so it must match the whole value.
pub fn decode_regex(
    e: Entry<'_>,
    text: &str,
    pos: Pos,
    anchored: bool,
    p: &mut Problems,
) -> Option<Regex> {
    let source = if anchored {
        format!("^(?:{text})$")
    } else {
        text.to_string()
    };
    match compiled(&source, || {
        regex::RegexBuilder::new(&source)
            .size_limit(1 << 20)
            .build()
    }) {
        Ok(r) => Some(r),
        Err(err) => {
            let first = err.to_string();
            let first = first.lines().last().unwrap_or("invalid").trim().to_string();
            p.push(
                e.file,
                pos,
                format!("`{}` is not a valid regex: {first}", e.name()),
            );
            None
        }
    }
}

/// `pattern` with each word boundary (`\b`, `\B`) read between ASCII word characters
/// (`(?-u:\b)`). Claim words and keys are ASCII, so the same matches are found; and a Unicode
/// boundary makes the regex engine leave its fast automaton at the first non-ASCII byte: one
/// claim in a megabyte of `ß` took seconds.
pub fn ascii_word_boundaries(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(b @ ('b' | 'B')) => {
                out.push_str("(?-u:\\");
                out.push(b);
                out.push(')');
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Compiles a regex once per process. Policies that extend another re-read its rules, so
/// the same pattern comes back once per policy; compiling is the costly part of loading the
/// config (Unicode classes make large automata) and a compiled regex is cheap to clone.
pub fn compiled<T: Clone + Send + 'static>(
    source: &str,
    build: impl FnOnce() -> Result<T, regex::Error>,
) -> Result<T, regex::Error> {
    use std::any::Any;
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Cache = HashMap<(String, std::any::TypeId), Box<dyn Any + Send>>;
    static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
    let key = (source.to_string(), std::any::TypeId::of::<T>());
    if let Some(hit) = CACHE
        .lock()
        .ok()
        .and_then(|c| c.as_ref()?.get(&key)?.downcast_ref::<T>().cloned())
    {
        return Ok(hit);
    }
    let built = build()?;
    if let Ok(mut c) = CACHE.lock() {
        c.get_or_insert_with(HashMap::new)
            .insert(key, Box::new(built.clone()));
    }
    Ok(built)
}

/// A regex whose syntax was checked when the policy was read, compiled on first use (or by
/// [`warm`]). Claim patterns are large case-insensitive automata: compiling them off the
/// start-up path lets the link phase begin sooner.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    source: String,
    cell: std::sync::OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// Checks the syntax now; a mistake is a config problem with its line.
    pub fn decode(e: Entry<'_>, source: String, p: &mut Problems) -> Option<Self> {
        // Checking the syntax of the built-ins' large case-insensitive patterns is most of
        // the cost of decoding a policy: a source once found valid is not checked again.
        use std::collections::HashSet;
        use std::sync::Mutex;
        static VALID: Mutex<Option<HashSet<String>>> = Mutex::new(None);
        let known = |s: &str| {
            VALID
                .lock()
                .is_ok_and(|v| v.as_ref().is_some_and(|v| v.contains(s)))
        };
        let checked = if known(&source) {
            Ok(())
        } else {
            regex_syntax::ParserBuilder::new()
                .build()
                .parse(&source)
                .map(|_| {
                    if let Ok(mut v) = VALID.lock() {
                        let v = v.get_or_insert_with(HashSet::new);
                        // Bounded: a long-running caller (a fuzzer) may see endless sources.
                        if v.len() < 256 {
                            v.insert(source.clone());
                        }
                    }
                })
        };
        match checked {
            Ok(()) => Some(LazyRegex {
                source,
                cell: std::sync::OnceLock::new(),
            }),
            Err(err) => {
                let first = err.to_string();
                let first = first.lines().last().unwrap_or("invalid").trim().to_string();
                e.problem(p, format!("`{}` is not a valid regex: {first}", e.name()));
                None
            }
        }
    }

    /// The compiled regex; `None` only if it outgrows the size limit (reported once).
    pub fn get(&self) -> Option<&Regex> {
        self.cell
            .get_or_init(|| {
                let built = compiled(&self.source, || {
                    regex::RegexBuilder::new(&self.source)
                        .size_limit(1 << 20)
                        .build()
                });
                built
                    .map_err(|e| {
                        eprintln!("packetgate: a policy regex is too large to use ({e}); its rule is skipped")
                    })
                    .ok()
            })
            .as_ref()
    }
}
