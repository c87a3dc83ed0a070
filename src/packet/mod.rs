//! Packet files → spanned packet values.
//!
//! Second stage of the flow (after discovery): reads one file, decides its form (YAML or
//! Markdown with front matter), parses it with positions kept in the file's own line
//! numbering, and names its kind. Anything wrong with the *file* — too large, not text,
//! not YAML, not a mapping, no kind — becomes a finding here; it never panics and never
//! stops the run.

mod detect;
mod hidden;
mod html;
mod markdown;
mod prose;
pub use detect::{declares, may_declare, KEY};
pub use hidden::{strip as strip_hidden, Removed, Stripped};
pub use html::entity as html_entity;
pub use markdown::starts_block;
pub use prose::{Cell, Paragraph};

use crate::finding::{Finding, Severity};
use crate::rules::core;
use crate::suggest;
use crate::yaml::{self, ErrorKind, Limits, Node, Pos};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Yaml,
    Markdown,
}

impl Form {
    pub fn of(path: &str) -> Option<Form> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Form::Yaml)
        } else if lower.ends_with(".md") || lower.ends_with(".markdown") {
            Some(Form::Markdown)
        } else {
            None
        }
    }
}

/// A parsed packet: its tree, its text (for snippets and text-wide scans) and, for
/// Markdown, where the prose starts.
#[derive(Debug, Clone)]
pub struct Packet {
    pub path: String,
    pub form: Form,
    /// The decoded file with its hidden characters taken out: what every rule reads.
    pub text: String,
    /// Where hidden characters were taken out of `text`: positions found in `text` go back
    /// to the file's columns through it.
    pub removed: Removed,
    pub root: Node,
    /// First line of Markdown prose (1-based), `None` for YAML packets.
    pub prose_start: Option<u32>,
    /// The packet kind and where it was named (`None` position when the config assigned it).
    pub kind: String,
    pub kind_pos: Option<Pos>,
}

impl Packet {
    /// The root of a file whose YAML could not be read at all: an empty list.
    pub fn empty_root() -> Node {
        Node {
            pos: Pos::new(1, 1),
            end_line: 1,
            value: yaml::Value::Seq(Vec::new()),
        }
    }

    /// Sets where a Markdown file's prose starts, for a file the loader refused: after its
    /// front matter, or from the first line when there is none to split off (reading too
    /// much as prose only finds and masks more).
    pub fn with_prose(mut self) -> Self {
        if self.form == Form::Markdown {
            self.prose_start = Some(markdown::split(&self.text).map_or(1, |fm| fm.prose_start));
        }
        self
    }

    /// Prose lines with their 1-based numbers.
    pub fn prose(&self) -> impl Iterator<Item = (u32, &str)> {
        let start = self.prose_start.unwrap_or(u32::MAX);
        self.text
            .lines()
            .enumerate()
            .map(|(i, l)| (i as u32 + 1, l))
            .filter(move |(n, _)| *n >= start)
    }

    /// The prose as a reader sees it, piece by piece (paragraphs with their wrapped lines
    /// joined, headings, list items, table cells, code lines), for rules that read sentences.
    pub fn paragraphs(&self) -> Vec<Paragraph> {
        match self.prose_start {
            Some(start) => prose_from(&self.text, start),
            None => Vec::new(),
        }
    }
}

/// The text from line `start` (1-based) on, rendered as Markdown prose.
fn prose_from(text: &str, start: u32) -> Vec<Paragraph> {
    let offset = match start {
        0 | 1 => 0,
        n => text
            .match_indices('\n')
            .nth(n as usize - 2)
            .map_or(text.len(), |(i, _)| i + 1),
    };
    prose::render(&text[offset..], start.max(1), offset)
}

/// What the loader made of a file.
#[derive(Debug)]
pub enum Loaded {
    /// A packet, plus findings about its YAML that do not stop evaluation (duplicate keys).
    Packet(Box<Packet>, Vec<Finding>),
    /// A packet that cannot be evaluated; the findings say why. `text` is kept for snippets
    /// (hidden characters taken out, as in [`Packet::text`], and `removed` says where), and
    /// `root` holds what its YAML could be read as: the whole tree when only the packet's
    /// kind or shape is wrong, the values read before a syntax error as a list otherwise.
    /// Secrets in it are still found, and masked in whatever is printed of the file.
    Rejected {
        kind: Option<String>,
        text: Option<String>,
        removed: Removed,
        root: Option<Node>,
        findings: Vec<Finding>,
    },
    /// Not a packet (only when the file was found by a folder scan).
    NotPacket,
}

/// How a file came to be checked, which decides what "not a packet" means.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// Named on the command line (or changed in a pull request and matched by config).
    pub explicit: bool,
    /// The kind the config assigns to this path, if any.
    pub assigned_kind: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
pub struct LoadLimits {
    pub max_file_bytes: u64,
    pub yaml: Limits,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_file_bytes: 1024 * 1024,
            yaml: Limits::default(),
        }
    }
}

fn finding(rule: &str, field: Option<&str>, pos: Pos, message: String, fix: &str) -> Finding {
    Finding::new(
        rule,
        Severity::Error,
        field.map(str::to_string),
        pos,
        message,
        fix,
    )
}

/// Decodes bytes as text: UTF-8 (BOM stripped) or UTF-16 with a BOM; anything else, or text
/// with NUL bytes, is not a packet file. Line endings are normalised to `\n` so every later
/// line number agrees with what an editor shows.
pub fn decode_text(bytes: &[u8]) -> Result<String, (Pos, String)> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        utf8(rest)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes)?
    } else {
        if looks_like_utf16(bytes) {
            return Err((
                Pos::new(1, 1),
                "file looks like UTF-16 without a byte-order mark; save it as UTF-8".into(),
            ));
        }
        // A NUL before the first invalid byte says "binary" better than "bad UTF-8".
        let valid = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |_| bytes.len());
        if let Some(i) = bytes[..valid].iter().position(|&b| b == 0) {
            return Err((
                pos_at(&String::from_utf8_lossy(&bytes[..i]), i),
                nul_message(),
            ));
        }
        utf8(bytes)?
    };
    if let Some(i) = text.find('\0') {
        return Err((pos_at(&text, i), nul_message()));
    }
    if !text.contains('\r') {
        return Ok(text);
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

fn nul_message() -> String {
    "file contains NUL bytes: it is binary, not a packet".into()
}

/// Text where every other byte of the first line is NUL: UTF-16 with its mark lost.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64) & !1];
    head.len() >= 4 && {
        let (even, odd): (Vec<u8>, Vec<u8>) = head.chunks_exact(2).map(|c| (c[0], c[1])).unzip();
        let zeros = |v: &[u8]| v.iter().filter(|&&b| b == 0).count();
        let ascii = |v: &[u8]| v.iter().all(|&b| b != 0 && b < 0x80);
        (zeros(&odd) == odd.len() && ascii(&even)) || (zeros(&even) == even.len() && ascii(&odd))
    }
}

fn utf8(bytes: &[u8]) -> Result<String, (Pos, String)> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let valid = String::from_utf8_lossy(good);
            Err((
                pos_at(&valid, valid.len()),
                format!(
                    "file is not valid UTF-8 (bad byte at offset {})",
                    e.valid_up_to()
                ),
            ))
        }
    }
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, (Pos, String)> {
    if !bytes.len().is_multiple_of(2) {
        return Err((
            Pos::new(1, 1),
            "UTF-16 file has an odd number of bytes".into(),
        ));
    }
    let units = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(e) => {
                // Where it stands, like a bad UTF-8 byte.
                return Err((
                    pos_at(&text, text.len()),
                    format!(
                        "file is not valid UTF-16 (a lone surrogate {:#06x})",
                        e.unpaired_surrogate()
                    ),
                ));
            }
        }
    }
    Ok(text)
}

/// The position of a byte in text whose line endings are not normalised yet: CR LF and a
/// lone CR each end a line, as they will once the text is read.
fn pos_at(text: &str, byte: usize) -> Pos {
    let before = &text[..byte.min(text.len())];
    let breaks =
        |s: &str| s.matches('\n').count() + s.matches('\r').count() - s.matches("\r\n").count();
    let last = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    Pos::new(
        breaks(before) as u32 + 1,
        before[last..].chars().count() as u32 + 1,
    )
}

impl Origin<'_> {
    /// Found by a folder scan (or a diff) and claimed by no config glob: judged only when its
    /// YAML declares `packet`.
    fn scanned(self) -> bool {
        !self.explicit && self.assigned_kind.is_none()
    }
}

/// Whether bytes that cannot be judged whole (cut at the size cap, or not valid text) declare
/// a packet, as far as they can be read.
fn bytes_declare(path: &str, bytes: &[u8]) -> bool {
    declares(
        Form::of(path).unwrap_or(Form::Yaml),
        // Read as a reviewer would see it: hidden characters out (`pack\u{200B}et:`).
        &hidden::strip(detect::lossy_text(bytes)).text,
    )
}

/// A file that cannot be judged as a packet, with the findings that say why.
fn rejected(origin: Origin<'_>, text: Option<String>, findings: Vec<Finding>) -> Loaded {
    rejected_with(origin, text, None, findings)
}

/// [`rejected`], with what the file's YAML could be read as.
fn rejected_with(
    origin: Origin<'_>,
    text: Option<String>,
    root: Option<Node>,
    findings: Vec<Finding>,
) -> Loaded {
    Loaded::Rejected {
        kind: origin.assigned_kind.map(str::to_string),
        text,
        removed: Removed::default(),
        root,
        findings,
    }
}

/// Loads one file's bytes as a packet.
pub fn load(
    path: &str,
    bytes: &[u8],
    origin: Origin<'_>,
    known_kinds: &[&str],
    limits: LoadLimits,
) -> Loaded {
    let reject = |text, findings| rejected(origin, text, findings);
    if bytes.len() as u64 > limits.max_file_bytes {
        // The declaration is read from the bytes under the cap (all a caller reads of a big
        // file): a 5 MB data file stays silent, a 5 MB packet fails.
        let head = usize::try_from(limits.max_file_bytes).map_or(bytes, |cap| &bytes[..cap]);
        if origin.scanned() && !bytes_declare(path, head) {
            return Loaded::NotPacket;
        }
        return reject(
            None,
            vec![finding(
                core::FILE_TOO_LARGE,
                None,
                Pos::new(1, 1),
                format!(
                    "file is {} bytes, over the {}-byte limit for a packet",
                    bytes.len(),
                    limits.max_file_bytes
                ),
                "keep a packet short: move long evidence to the linked documents",
            )],
        );
    }
    let text = match decode_text(bytes) {
        Ok(t) => t,
        Err((pos, msg)) => {
            if origin.scanned() && !bytes_declare(path, bytes) {
                return Loaded::NotPacket;
            }
            return reject(
                None,
                vec![finding(
                    core::FILE_ENCODING,
                    None,
                    pos,
                    msg,
                    "save the packet as UTF-8 text",
                )],
            );
        }
    };
    // Hidden characters go before anything is parsed, so keys, values and prose are all read
    // as they display; what was found in the stripped text goes back to the file's columns.
    let Stripped {
        text,
        removed,
        findings: hidden,
    } = hidden::strip(text);
    let mut loaded = load_text(path, text, origin, known_kinds, limits);
    let (findings, slot) = match &mut loaded {
        Loaded::Packet(p, findings) => (findings, &mut p.removed),
        Loaded::Rejected {
            findings,
            removed: slot,
            ..
        } => (findings, slot),
        Loaded::NotPacket => return loaded,
    };
    for f in findings.iter_mut() {
        removed.place(f);
    }
    findings.extend(hidden);
    *slot = removed;
    loaded
}

/// [`load`] once the bytes are text.
fn load_text(
    path: &str,
    text: String,
    origin: Origin<'_>,
    known_kinds: &[&str],
    limits: LoadLimits,
) -> Loaded {
    let reject = |text, findings| rejected(origin, text, findings);
    if origin.scanned() && !may_declare(&text) {
        return Loaded::NotPacket;
    }
    let form = Form::of(path).unwrap_or(Form::Yaml);
    let (yaml_text, line_offset, prose_start) = match form {
        Form::Yaml => (text.as_str(), 0, None),
        Form::Markdown => match markdown::split(&text) {
            Ok(fm) => (fm.yaml, fm.line_offset, Some(fm.prose_start)),
            Err(e) => {
                // Only front matter declares: a fenced example in a document's body does not,
                // while a front matter left unclosed still does.
                if origin.scanned() && !declares(Form::Markdown, &text) {
                    return Loaded::NotPacket;
                }
                return reject(
                    Some(text.clone()),
                    vec![finding(core::FRONT_MATTER, None, e.pos, e.message, e.fix)],
                );
            }
        },
    };
    // The event stream settles a file nobody named before a tree is built for it: most YAML
    // that mentions the word is no packet, and a packet names its kind among its first keys.
    // It reads the events up to a syntax error, so a packet broken further down still declares.
    if origin.scanned()
        && !yaml::root_has_key(yaml_text, KEY)
        && !detect::written_at_margin(form, &text)
    {
        return Loaded::NotPacket;
    }
    let doc = match yaml::parse(yaml_text, limits.yaml) {
        Ok(d) => d,
        Err(e) => {
            let pos = e.pos.offset_lines(line_offset);
            let (rule, fix) = match e.kind {
                ErrorKind::TooDeep(_)
                | ErrorKind::TooManyNodes(_)
                | ErrorKind::TooMuchAliasedText(_) => (
                    core::YAML_LIMITS,
                    "a packet is a flat list of fields: remove the deep nesting or repeated aliases",
                ),
                ErrorKind::MultipleDocuments => (
                    core::PACKET_SHAPE,
                    "keep one packet per file: split the documents into separate files",
                ),
                ErrorKind::OutOfTime(_) => (
                    core::LIMIT_TIME,
                    "raise `limits.run_budget_secs` in the config, or shorten the packet",
                ),
                _ => (
                    core::YAML_SYNTAX,
                    "fix the YAML at this line (quote values that contain `: `, `#` or start with `<`)",
                ),
            };
            let mut read = Node {
                pos: Pos::new(1, 1),
                end_line: 1,
                value: yaml::Value::Seq(yaml::scalars_read(yaml_text, limits.yaml, &e)),
            };
            read.shift_lines(line_offset);
            return rejected_with(
                origin,
                Some(text.clone()),
                Some(read),
                vec![finding(rule, None, pos, e.to_string(), fix)],
            );
        }
    };
    if origin.scanned()
        && doc.root.as_ref().is_none_or(|r| r.entry(KEY).is_none())
        && !detect::written_at_margin(form, &text)
    {
        return Loaded::NotPacket;
    }
    let Some(mut root) = doc.root else {
        return reject(
            Some(text.clone()),
            vec![finding(
                core::PACKET_SHAPE,
                None,
                Pos::new(1 + line_offset, 1),
                "packet is empty".into(),
                "start from `packetgate new budget-change` (or cost-trace) and fill in every field",
            )],
        );
    };
    root.shift_lines(line_offset);
    if root.as_map().is_none() {
        let pos = root.pos;
        let found = root.type_name();
        return rejected_with(
            origin,
            Some(text.clone()),
            Some(root),
            vec![finding(
                core::PACKET_SHAPE,
                None,
                pos,
                format!("a packet must be a mapping of fields, found {found}"),
                "write the packet as `field: value` lines, one field per line",
            )],
        );
    }
    let mut findings: Vec<Finding> = doc
        .duplicates
        .iter()
        .map(|d| {
            finding(
                core::YAML_DUPLICATE_KEY,
                Some(&d.path),
                d.pos.offset_lines(line_offset),
                format!(
                    "`{}` is written twice (first at line {}); only the first value is read",
                    d.path,
                    d.first.line + line_offset
                ),
                "keep one value for the field and delete the other line",
            )
        })
        .collect();
    // Hidden characters that only a decoded value holds (`"\u200B"`, `!!binary`) go too.
    findings.extend(hidden::strip_decoded(&mut root));

    let (kind, kind_pos) = match root.entry("packet") {
        // Kinds are enumerated values: matched case-insensitively like the others.
        Some((key, value)) => match value.as_str().map(|k| {
            known_kinds
                .iter()
                .find(|known| known.eq_ignore_ascii_case(k.trim()))
                .copied()
                .unwrap_or(k)
        }) {
            Some(k) if known_kinds.contains(&k) => (k.to_string(), Some(key.pos)),
            Some(k) if origin.assigned_kind.is_some() && !k.is_empty() => {
                let assigned = origin.assigned_kind.unwrap_or_default();
                findings.push(finding(
                    core::PACKET_KIND,
                    Some("packet"),
                    value.pos,
                    format!("packet declares kind `{k}` but the config assigns `{assigned}` to this path"),
                    "make `packet:` match the folder's kind, or move the file",
                ));
                (assigned.to_string(), Some(key.pos))
            }
            other => {
                let written = other.unwrap_or("");
                let hint = suggest::hint(written, known_kinds.iter().copied());
                findings.push(finding(
                    core::PACKET_KIND,
                    Some("packet"),
                    value.pos,
                    format!("unknown packet kind `{written}`{hint}"),
                    &format!("set `packet:` to one of: {}", known_kinds.join(", ")),
                ));
                return rejected_with(origin, Some(text.clone()), Some(root), findings);
            }
        },
        None => match origin.assigned_kind {
            Some(k) => (k.to_string(), None),
            None => {
                findings.push(finding(
                    core::PACKET_KIND,
                    Some("packet"),
                    root.pos,
                    "file does not say which kind of packet it is".into(),
                    &format!("add `packet:` with one of: {}", known_kinds.join(", ")),
                ));
                return rejected_with(origin, Some(text.clone()), Some(root), findings);
            }
        },
    };
    Loaded::Packet(
        Box::new(Packet {
            path: path.to_string(),
            form,
            text,
            removed: Removed::default(),
            root,
            prose_start,
            kind,
            kind_pos,
        }),
        findings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: &[&str] = &["budget-change", "cost-trace"];

    fn explicit() -> Origin<'static> {
        Origin {
            explicit: true,
            assigned_kind: None,
        }
    }

    fn rejected(l: Loaded) -> Vec<Finding> {
        match l {
            Loaded::Rejected { findings, .. } => findings,
            other => panic!("expected rejection, got {other:?}"),
        }
    }

    #[test]
    fn markdown_positions_are_file_lines() {
        let md = "---\npacket: cost-trace\nowner: finops\n---\n\n# Trace\nprose here\n";
        let Loaded::Packet(p, f) = load(
            "a.md",
            md.as_bytes(),
            explicit(),
            KINDS,
            LoadLimits::default(),
        ) else {
            panic!()
        };
        assert!(f.is_empty());
        assert_eq!(p.root.entry("owner").unwrap().0.pos, Pos::new(3, 1));
        assert_eq!(p.prose().next(), Some((5, "")));
        assert_eq!(p.prose().nth(2), Some((7, "prose here")));
    }

    #[test]
    fn crlf_and_bom_keep_line_numbers() {
        let y = "\u{feff}packet: cost-trace\r\n\r\nowner: x\r\n";
        let Loaded::Packet(p, _) = load(
            "a.yaml",
            y.as_bytes(),
            explicit(),
            KINDS,
            LoadLimits::default(),
        ) else {
            panic!()
        };
        assert_eq!(p.root.entry("owner").unwrap().0.pos, Pos::new(3, 1));
    }

    #[test]
    fn utf16_with_bom_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "packet: cost-trace\nowner: x\n".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        assert!(matches!(
            load("a.yaml", &bytes, explicit(), KINDS, LoadLimits::default()),
            Loaded::Packet(..)
        ));
    }

    #[test]
    fn bad_files_become_findings() {
        let cases: &[(&str, &[u8], &str, u32)] = &[
            (
                "a.yaml",
                b"packet: cost-trace\nowner: [a\n",
                core::YAML_SYNTAX,
                2,
            ),
            ("a.yaml", b"", core::PACKET_SHAPE, 1),
            ("a.yaml", b"- packet: cost-trace\n", core::PACKET_SHAPE, 1),
            (
                "a.yaml",
                b"packet: cost-trace\x00\n",
                core::FILE_ENCODING,
                1,
            ),
            ("a.yaml", b"owner: x\n\xff\xfe\n", core::FILE_ENCODING, 2),
            ("a.yaml", b"packet: budget-chnage\n", core::PACKET_KIND, 1),
            ("a.yaml", b"owner: x\n", core::PACKET_KIND, 1),
            (
                "a.md",
                b"---\npacket: cost-trace\nno closer\n",
                core::FRONT_MATTER,
                1,
            ),
            ("a.md", b"# no front matter\n", core::FRONT_MATTER, 1),
        ];
        for (path, bytes, rule, line) in cases {
            let f = rejected(load(path, bytes, explicit(), KINDS, LoadLimits::default()));
            assert_eq!(f[0].rule, *rule, "{bytes:?}: {f:?}");
            assert_eq!(f[0].line, *line, "{bytes:?}: {f:?}");
        }
        let f = rejected(load(
            "a.yaml",
            b"packet: budget-chnage\n",
            explicit(),
            KINDS,
            LoadLimits::default(),
        ));
        assert!(
            f[0].message.contains("did you mean `budget-change`"),
            "{f:?}"
        );
    }

    #[test]
    fn bad_bytes_are_placed_whatever_the_line_endings() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = ["packet: cost-trace", "a: 1", "owner: X", ""].join(ending);
            let bytes = text.replace('X', "\u{1}").into_bytes();
            let bad = |b: u8| {
                let mut v = bytes.clone();
                let i = v.iter().position(|&c| c == 1).unwrap();
                v[i] = b;
                rejected(load("a.yaml", &v, explicit(), KINDS, LoadLimits::default()))
            };
            for b in [0xFF, 0x00] {
                let f = bad(b);
                assert_eq!((f[0].line, f[0].column), (3, 8), "{ending:?} {b:#x}: {f:?}");
            }
        }
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "packet: cost-trace\nowner: ".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        utf16.extend([0x00, 0xD8, 0x0A, 0x00]);
        let f = rejected(load(
            "a.yaml",
            &utf16,
            explicit(),
            KINDS,
            LoadLimits::default(),
        ));
        assert_eq!(
            (f[0].rule.as_str(), f[0].line, f[0].column),
            (core::FILE_ENCODING, 2, 8)
        );
    }

    #[test]
    fn hidden_characters_are_findings_and_read_as_absent() {
        let text = "pack\u{200B}et: cost-trace\nowner: a\u{202E}b\nnote: x\u{200B}y \u{200B}\n";
        let Loaded::Packet(p, f) = load(
            "a.yaml",
            text.as_bytes(),
            explicit(),
            KINDS,
            LoadLimits::default(),
        ) else {
            panic!()
        };
        assert_eq!(p.kind, "cost-trace");
        assert_eq!(p.root.get("owner").unwrap().as_str(), Some("ab"));
        assert_eq!(p.text, "packet: cost-trace\nowner: ab\nnote: xy \n");
        let at: Vec<(u32, u32)> = f.iter().map(|f| (f.line, f.column)).collect();
        assert_eq!(
            at,
            [(1, 5), (2, 9), (3, 8)],
            "one per line, at the first: {f:?}"
        );
        assert!(f.iter().all(|f| f.rule == core::FILE_ENCODING));
        assert!(
            f[1].message.contains("U+202E (RIGHT-TO-LEFT OVERRIDE)"),
            "{f:?}"
        );
    }

    #[test]
    fn loader_findings_on_a_stripped_line_point_at_the_file_column() {
        let Loaded::Packet(_, f) = load(
            "a.yaml",
            "packet: cost-trace\nowner: a\n\u{200B}\u{200B}owner: b\n".as_bytes(),
            explicit(),
            KINDS,
            LoadLimits::default(),
        ) else {
            panic!()
        };
        let at: Vec<(&str, u32, u32)> = f
            .iter()
            .map(|f| (f.rule.as_str(), f.line, f.column))
            .collect();
        assert_eq!(
            at,
            [
                (core::YAML_DUPLICATE_KEY, 3, 3),
                (core::FILE_ENCODING, 3, 1)
            ]
        );
        let f = rejected(load(
            "a.yaml",
            "packet: cost-trace\n\u{2060}owner: [a\n".as_bytes(),
            explicit(),
            KINDS,
            LoadLimits::default(),
        ));
        assert_eq!((f[0].rule.as_str(), f[0].line), (core::YAML_SYNTAX, 2));
    }

    #[test]
    fn too_large_is_a_finding() {
        let limits = LoadLimits {
            max_file_bytes: 10,
            ..LoadLimits::default()
        };
        let f = rejected(load(
            "a.yaml",
            b"packet: cost-trace\n",
            explicit(),
            KINDS,
            limits,
        ));
        assert_eq!(f[0].rule, core::FILE_TOO_LARGE);
    }

    #[test]
    fn a_deadline_passed_while_the_yaml_is_read_fails_the_packet() {
        let mut limits = LoadLimits::default();
        limits.yaml.deadline = Some(std::time::Instant::now());
        let text: String = std::iter::once("packet: cost-trace\n".to_string())
            .chain((0..2_000).map(|i| format!("k{i}: v\n")))
            .collect();
        let f = rejected(load("a.yaml", text.as_bytes(), explicit(), KINDS, limits));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, core::LIMIT_TIME);
        // A short packet is read whole: the rules' own deadline check reports it.
        assert!(matches!(
            load("a.yaml", b"packet: cost-trace\n", explicit(), KINDS, limits),
            Loaded::Packet(..)
        ));
    }

    #[test]
    fn folder_scans_skip_files_that_are_not_packets() {
        let scan = Origin {
            explicit: false,
            assigned_kind: None,
        };
        for (path, bytes) in [
            ("ci.yml", &b"on: push\njobs: {}\n"[..]),
            ("README.md", b"# hello\n"),
            ("bin.yaml", b"\x00\x01"),
        ] {
            assert!(matches!(
                load(path, bytes, scan, KINDS, LoadLimits::default()),
                Loaded::NotPacket
            ));
        }
    }

    #[test]
    fn folder_scans_judge_what_the_yaml_declares_even_when_it_cannot_be_read_whole() {
        let scan = Origin {
            explicit: false,
            assigned_kind: None,
        };
        let small = LoadLimits {
            max_file_bytes: 64,
            ..LoadLimits::default()
        };
        let big = format!("'packet': cost-trace\nnotes: \"{}\"\n", "x".repeat(100));
        let undeclared = format!("notes: \"{}\"\npacket: cost-trace\n", "x".repeat(100));
        let default = LoadLimits::default();
        let cases: &[(&str, &[u8], LoadLimits, &str)] = &[
            ("a.yaml", b"\"p\\x61cket\": cost-trace\n", default, "packet"),
            ("a.yaml", big.as_bytes(), small, "file-too-large@1"),
            ("a.yaml", undeclared.as_bytes(), small, "skipped"),
            (
                "a.yaml",
                b"{packet: cost-trace}\n# \xff\n",
                default,
                "file-encoding@2",
            ),
            ("a.yaml", b"notes: x\n# \xff\n", default, "skipped"),
            (
                "a.yaml",
                b"  packet: cost-trace\n  owner: [x\n",
                default,
                "yaml-syntax@2",
            ),
            (
                "a.yaml",
                b"a:\n  packet: cost-trace\nb: [x\n",
                default,
                "skipped",
            ),
            (
                "a.md",
                b"# Docs\n\n```yaml\npacket: cost-trace\n```\n",
                default,
                "skipped",
            ),
            (
                "a.md",
                b"---\npacket: cost-trace\nno closer\n",
                default,
                "front-matter@1",
            ),
        ];
        for (path, bytes, limits, want) in cases {
            let got = match load(path, bytes, scan, KINDS, *limits) {
                Loaded::NotPacket => "skipped".to_string(),
                Loaded::Packet(..) => "packet".to_string(),
                Loaded::Rejected { findings, .. } => {
                    format!("{}@{}", findings[0].rule, findings[0].line)
                }
            };
            assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn duplicate_keys_are_reported_but_evaluated() {
        let Loaded::Packet(_, f) = load(
            "a.yaml",
            b"packet: cost-trace\nowner: a\nowner: b\n",
            explicit(),
            KINDS,
            LoadLimits::default(),
        ) else {
            panic!()
        };
        assert_eq!(f[0].rule, core::YAML_DUPLICATE_KEY);
        assert_eq!((f[0].line, f[0].field.as_deref()), (3, Some("owner")));
    }
}
