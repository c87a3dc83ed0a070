//! The generated cases of `tests/secrets_spellings.rs`: key formats, the spellings a file may
//! write a key in, and the places a packet may hold it, each combination one file with its
//! own random key and the spot where the file spells it.

use super::support::PASSING_TRACE as FIELDS;

/// A small deterministic generator: the keys are random-looking and the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick(&mut self, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..n)
            .map(|_| chars[(self.next() % chars.len() as u64) as usize])
            .collect()
    }
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &str = "0123456789abcdef";
const DIGITS: &str = "0123456789";

/// A key as a file writes it (`text`) and the secret in it (`secret`, a range of `text`: the
/// value of a parameter, the whole key otherwise).
struct Key {
    text: String,
    secret: std::ops::Range<usize>,
}

impl Key {
    fn whole(text: String) -> Key {
        let secret = 0..text.len();
        Key { text, secret }
    }

    fn param(name: &str, value: String) -> Key {
        let text = format!("{name}={value}");
        Key {
            secret: name.len() + 1..text.len(),
            text,
        }
    }

    fn secret(&self) -> &str {
        &self.text[self.secret.clone()]
    }

    /// The character a spelling rewrites: inside the format's prefix for a key (so the key is
    /// not in the file as written), inside the value for a parameter.
    fn turn(&self) -> usize {
        if self.secret.start == 0 {
            2
        } else {
            self.secret.start + 5
        }
    }
}

/// Makes one random key of a format.
type Maker = fn(&mut Rng) -> Key;

fn formats() -> Vec<(&'static str, Maker)> {
    vec![
        ("openai", |r| {
            Key::whole(format!("sk-{}", r.pick(ALNUM, 48)))
        }),
        ("openai-project", |r| {
            Key::whole(format!("sk-proj-{}", r.pick(ALNUM, 48)))
        }),
        ("anthropic", |r| {
            Key::whole(format!("sk-ant-api03-{}AA", r.pick(ALNUM, 80)))
        }),
        ("groq", |r| Key::whole(format!("gsk_{}", r.pick(ALNUM, 52)))),
        ("huggingface", |r| {
            Key::whole(format!("hf_{}", r.pick(ALNUM, 34)))
        }),
        ("xai", |r| Key::whole(format!("xai-{}", r.pick(ALNUM, 80)))),
        ("perplexity", |r| {
            Key::whole(format!("pplx-{}", r.pick(ALNUM, 48)))
        }),
        ("google", |r| {
            Key::whole(format!("AIza{}", r.pick(ALNUM, 35)))
        }),
        ("aws", |r| {
            Key::whole(format!("AKIA{}", r.pick(UPPER_DIGITS, 16)))
        }),
        ("github", |r| {
            Key::whole(format!("ghp_{}", r.pick(ALNUM, 36)))
        }),
        ("github-fine-grained", |r| {
            Key::whole(format!(
                "github_pat_{}_{}",
                r.pick(ALNUM, 22),
                r.pick(ALNUM, 59)
            ))
        }),
        ("gitlab", |r| {
            Key::whole(format!("glpat-{}", r.pick(ALNUM, 20)))
        }),
        ("slack", |r| {
            Key::whole(format!(
                "xoxb-{}-{}-{}",
                r.pick(DIGITS, 12),
                r.pick(DIGITS, 13),
                r.pick(ALNUM, 24)
            ))
        }),
        ("stripe", |r| {
            Key::whole(format!("sk_live_{}", r.pick(ALNUM, 24)))
        }),
        ("npm", |r| Key::whole(format!("npm_{}", r.pick(ALNUM, 36)))),
        ("databricks", |r| {
            Key::whole(format!("dapi{}", r.pick(HEX, 32)))
        }),
        ("api-key-param", |r| Key::param("api_key", r.pick(HEX, 32))),
        ("access-token-param", |r| {
            Key::param("access_token", r.pick(ALNUM, 40))
        }),
    ]
}

/// How a spelled key must be written in YAML to read as intended.
#[derive(Clone, Copy, PartialEq)]
enum Quote {
    /// In double quotes, where YAML decodes its escapes.
    Double,
    /// In single quotes, where nothing is decoded (or as is, outside YAML).
    Single,
    /// As base64 under a `!!binary` tag.
    Binary,
}

/// A key as one spelling writes it: the text (a `\n` where it is split over lines, `\n\n`
/// over a blank line) and where the secret starts in it.
struct Spelled {
    text: String,
    quote: Quote,
    secret_at: usize,
}

type Spelling = fn(&Key) -> Option<Spelled>;

fn replace_char(key: &Key, at: usize, with: String, quote: Quote) -> Option<Spelled> {
    let c = key.text[at..].chars().next()?;
    let mut text = key.text.clone();
    text.replace_range(at..at + c.len_utf8(), &with);
    Some(Spelled {
        text,
        quote,
        secret_at: key.secret.start,
    })
}

fn turned(key: &Key) -> (usize, u32) {
    let at = key.turn();
    (at, u32::from(key.text.as_bytes()[at]))
}

fn base64(bytes: &[u8]) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Escapes a double-quoted YAML value decodes to white space or a control character.
const BLANK_ESCAPES: [&str; 6] = ["\\t", "\\0", "\\L", "\\N", "\\_", "\\x09"];

/// `key` with a line break before each of the byte offsets `at` (ascending).
fn split_at(key: &Key, at: &[usize], brk: &str) -> Option<Spelled> {
    let mut text = key.text.clone();
    for &i in at.iter().rev() {
        if !text.is_char_boundary(i) || i >= text.len() {
            return None;
        }
        text.insert_str(i, brk);
    }
    Some(Spelled {
        text,
        quote: Quote::Single,
        secret_at: key.secret.start,
    })
}

/// Where a key split over three lines breaks first: two characters past its prefix's `-` or
/// `_` (`sk-pr`, `ghp_Gg`: a first line too short to read as a key on its own), else past
/// its first digit and at least eight characters in (a prefix without a separator, `AIza…`,
/// reads as a word on its own line: not covered).
fn first_break(key: &Key) -> usize {
    let secret = key.secret();
    match secret[..secret.len().min(12)].find(['-', '_']) {
        Some(sep) if sep >= 2 => key.secret.start + sep + 3,
        _ => {
            let digit = secret.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
            key.secret.start + (digit + 1).max(8)
        }
    }
}

fn spellings() -> Vec<(&'static str, Spelling)> {
    vec![
        ("plain", |k| {
            Some(Spelled {
                text: k.text.clone(),
                quote: Quote::Single,
                secret_at: k.secret.start,
            })
        }),
        ("fullwidth", |k| {
            // Every character of the secret in its fullwidth form (`ｓｋ－ｐｒｏｊ…`).
            let wide: String = k
                .secret()
                .chars()
                .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
                .collect();
            let mut text = k.text.clone();
            text.replace_range(k.secret.clone(), &wide);
            Some(Spelled {
                text,
                quote: Quote::Single,
                secret_at: k.secret.start,
            })
        }),
        ("look-alike", |k| {
            // One letter of the secret drawn from another script (Cyrillic `ѕ`, Greek `Α`…).
            let (i, c) = k.secret().char_indices().find_map(|(i, c)| {
                let alike = match c {
                    'a' => 'а',
                    'e' => 'е',
                    'o' => 'о',
                    'p' => 'р',
                    'c' => 'с',
                    's' => 'ѕ',
                    'x' => 'х',
                    'i' => 'і',
                    'A' => 'Α',
                    'K' => '\u{212A}',
                    'T' => 'Т',
                    _ => return None,
                };
                Some((i, alike))
            })?;
            replace_char(k, k.secret.start + i, c.to_string(), Quote::Single)
        }),
        ("yaml-hex-escape", |k| {
            let (at, c) = turned(k);
            replace_char(k, at, format!("\\x{c:02x}"), Quote::Double)
        }),
        ("yaml-unicode-escape", |k| {
            let (at, c) = turned(k);
            replace_char(k, at, format!("\\u{c:04x}"), Quote::Double)
        }),
        ("entity", |k| {
            let (at, c) = turned(k);
            replace_char(k, at, format!("&#{c};"), Quote::Single)
        }),
        ("hex-entity", |k| {
            let (at, c) = turned(k);
            replace_char(k, at, format!("&#x{c:x};"), Quote::Single)
        }),
        ("backslash-escape", |k| {
            // Markdown's (and the shell's) escape of a punctuation character in the key.
            let at = k.secret.start
                + k.secret()
                    .find(|c: char| c.is_ascii_punctuation())
                    .filter(|i| *i > 0)?;
            let c = &k.text[at..=at];
            replace_char(k, at, format!("\\{c}"), Quote::Single)
        }),
        ("percent", |k| {
            let (at, c) = turned(k);
            replace_char(k, at, format!("%{c:02X}"), Quote::Single)
        }),
        ("redacted-suffix", |k| {
            // A real key with a placeholder word after it is still a key.
            Some(Spelled {
                text: format!("{}-redacted", k.text),
                quote: Quote::Single,
                secret_at: k.secret.start,
            })
        }),
        ("zero-width-space", |k| {
            let at = k.turn() + 2;
            let mut text = k.text.clone();
            text.insert(at, '\u{200B}');
            Some(Spelled {
                text,
                quote: Quote::Single,
                secret_at: k.secret.start,
            })
        }),
        ("split-over-two-lines", |k| {
            let at = k.secret.start + k.secret.len() / 2;
            let mut text = k.text.clone();
            text.insert(at, '\n');
            Some(Spelled {
                text,
                quote: Quote::Single,
                secret_at: k.secret.start,
            })
        }),
        ("split-over-three-lines", |k| {
            let first = first_break(k);
            let second = k.secret.start + k.secret.len() * 2 / 3;
            split_at(k, &[first, second.max(first + 8)], "\n")
        }),
        ("split-over-a-blank-line", |k| {
            // In YAML only: a blank line in a value is a line break of the value.
            split_at(k, &[k.secret.start + k.secret.len() / 2], "\n\n")
        }),
        ("markdown-hard-break", |k| {
            // In prose only: a `\` at the end of a line breaks it where it displays.
            split_at(k, &[k.secret.start + k.secret.len() / 2], "\\\n")
        }),
        ("yaml-blank-escape", |k| {
            // A tab, NUL, line or paragraph separator, next line or no-break space between
            // two characters of the key, one of them chosen by the key.
            let at = k.secret.start + k.secret.len() / 2;
            let e = BLANK_ESCAPES[usize::from(k.text.as_bytes()[at]) % BLANK_ESCAPES.len()];
            let mut text = k.text.clone();
            text.insert_str(at, e);
            Some(Spelled {
                text,
                quote: Quote::Double,
                secret_at: k.secret.start,
            })
        }),
        ("binary", |k| {
            Some(Spelled {
                text: base64(k.text.as_bytes()),
                quote: Quote::Binary,
                secret_at: 0,
            })
        }),
        ("bold-piece", |k| {
            // `**` around four letters or digits in the middle of the secret.
            let at = k.secret.start + k.secret.len() / 2 - 2;
            let piece = k.text.get(at - 1..at + 5)?;
            if !piece.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            let text = format!(
                "{}**{}**{}",
                &k.text[..at],
                &k.text[at..at + 4],
                &k.text[at + 4..]
            );
            Some(Spelled {
                text,
                quote: Quote::Single,
                secret_at: k.secret.start,
            })
        }),
    ]
}

/// A generated file: its name, its text, where the key's spelling starts (the finding's
/// line and column) and the key's secret.
pub struct Case {
    pub name: String,
    pub text: String,
    pub at: (usize, usize),
    pub secret: String,
}

/// The line and column (1-based, in characters) of byte `byte` of `text`.
fn position(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// A spelled key as a YAML scalar; `more` is the indentation a continuation line needs.
fn yaml_scalar(s: &Spelled, more: &str) -> Option<String> {
    let lines: Vec<&str> = s.text.split('\n').collect();
    let indented = |sep: &str| {
        lines
            .iter()
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{more}{l}")
                }
            })
            .collect::<Vec<_>>()[1..]
            .join(sep)
    };
    Some(match (s.quote, lines.len()) {
        (Quote::Binary, _) => format!("!!binary {}", s.text),
        // An escaped line break: the value reads on without a space.
        (Quote::Double, 2..) => format!("\"{}\\\n{}\"", lines[0], indented("\\\n")),
        (Quote::Double, _) => format!("\"{}\"", lines[0]),
        // A plain scalar folded over lines (a reader joins the pieces), or over a blank line
        // (a line break in the value) in single quotes.
        (Quote::Single, 2..) if lines.contains(&"") => {
            format!("'{}\n{}'", lines[0], indented("\n"))
        }
        (Quote::Single, 2..) => format!("{}\n{}", lines[0], indented("\n")),
        (Quote::Single, _) => format!("'{}'", lines[0]),
    })
}

/// Where the scalar's text starts inside what [`yaml_scalar`] wrote.
fn scalar_offset(s: &Spelled) -> usize {
    match (s.quote, s.text.contains('\n')) {
        (Quote::Binary, _) => "!!binary ".len(),
        (Quote::Double, _) | (Quote::Single, false) => 1,
        (Quote::Single, true) if s.text.contains("\n\n") => 1,
        (Quote::Single, true) => 0,
    }
}

/// Builds the file for one place, or `None` where the spelling has no meaning there.
type Place = fn(&Spelled) -> Option<(&'static str, String, usize)>;

/// Each place: its file's text and the byte where the key's spelling starts in it.
fn places() -> Vec<(&'static str, Place)> {
    vec![
        ("value", |s| {
            let head = format!("{FIELDS}notes: ");
            let at = head.len() + scalar_offset(s) + s.secret_at;
            Some(("yaml", format!("{head}{}\n", yaml_scalar(s, "  ")?), at))
        }),
        ("key", |s| {
            if s.text.contains('\n') {
                // An explicit key over two lines.
                let head = format!("{FIELDS}? ");
                let at = head.len() + scalar_offset(s) + s.secret_at;
                return Some((
                    "yaml",
                    format!("{head}{}\n: x\n", yaml_scalar(s, "  ")?),
                    at,
                ));
            }
            let at = FIELDS.len() + scalar_offset(s) + s.secret_at;
            Some((
                "yaml",
                format!("{FIELDS}{}: x\n", yaml_scalar(s, "  ")?),
                at,
            ))
        }),
        ("comment", |s| {
            if s.quote == Quote::Binary {
                return None;
            }
            let head = format!("{FIELDS}# see ");
            let at = head.len() + s.secret_at;
            let text = s.text.replace('\n', "\n# ");
            Some(("yaml", format!("{head}{text}\n"), at))
        }),
        ("literal-block", |s| {
            // A block scalar's lines, as written (`|`: nothing is decoded or folded).
            if s.quote == Quote::Binary {
                return None;
            }
            let head = format!("{FIELDS}notes: |\n  ");
            let at = head.len() + s.secret_at;
            let text = s.text.replace('\n', "\n  ");
            Some(("yaml", format!("{head}{text}\n"), at))
        }),
        ("front-matter-value", |s| {
            let head = format!("---\n{FIELDS}notes: ");
            let at = head.len() + scalar_offset(s) + s.secret_at;
            let value = yaml_scalar(s, "  ")?;
            Some(("md", format!("{head}{value}\n---\n\nBody.\n"), at))
        }),
        ("prose", |s| {
            if s.quote == Quote::Binary {
                return None;
            }
            let head = format!("---\n{FIELDS}---\n\nThe key is ");
            let at = head.len() + s.secret_at;
            Some(("md", format!("{head}{} here.\n", s.text), at))
        }),
        ("html-comment", |s| {
            if s.quote == Quote::Binary || s.text.contains("**") {
                return None;
            }
            let head = format!("---\n{FIELDS}---\n\n<!-- see ");
            let at = head.len() + s.secret_at;
            Some(("md", format!("{head}{} -->\n", s.text), at))
        }),
        ("link-query", |s| {
            if s.quote == Quote::Binary {
                return None;
            }
            let link = Spelled {
                text: format!("http://x.example/a?q=1&{}", s.text),
                quote: s.quote,
                secret_at: 0,
            };
            let head = format!("{FIELDS}notes: ");
            let at =
                head.len() + scalar_offset(&link) + "http://x.example/a?q=1&".len() + s.secret_at;
            Some(("yaml", format!("{head}{}\n", yaml_scalar(&link, "  ")?), at))
        }),
        ("link-path", |s| {
            if s.quote == Quote::Binary {
                return None;
            }
            link_in_notes(s, "http://x.example/", "/a")
        }),
        ("link-host", |s| {
            if s.quote == Quote::Binary || s.text.contains('\n') {
                return None;
            }
            link_in_notes(s, "http://", ".example/a")
        }),
        ("evidence-url", |s| {
            if s.quote == Quote::Binary {
                return None;
            }
            let link = Spelled {
                text: format!("http://x.example/a?q=1&{}", s.text),
                quote: s.quote,
                secret_at: 0,
            };
            let value = yaml_scalar(&link, "      ")?;
            let at = scalar_offset(&link) + "http://x.example/a?q=1&".len() + s.secret_at;
            Some(field_replaced(
                "  - url: https://www.finops.org/",
                &value,
                at,
            ))
        }),
        ("enum-value", |s| {
            let value = yaml_scalar(s, "  ")?;
            let at = scalar_offset(s) + s.secret_at;
            Some(field_replaced("request_status_class: ", &value, at))
        }),
        ("packet-value", |s| {
            let head = "packet: ";
            let at = head.len() + scalar_offset(s) + s.secret_at;
            Some((
                "yaml",
                format!("{head}{}\nowner: x\n", yaml_scalar(s, "  ")?),
                at,
            ))
        }),
        ("syntax-error-line", |s| {
            // An unclosed `[`: the error is reported on the line that opens it.
            let head = format!("{FIELDS}notes: [");
            let at = head.len() + scalar_offset(s) + s.secret_at;
            Some((
                "yaml",
                format!("{head}{}\nowner: y\n", yaml_scalar(s, "  ")?),
                at,
            ))
        }),
    ]
}

/// A link holding the spelled key between `before` and `after`, as the `notes` value.
fn link_in_notes(s: &Spelled, before: &str, after: &str) -> Option<(&'static str, String, usize)> {
    let (first, rest) = s.text.split_once('\n').unwrap_or((&s.text, ""));
    let text = if rest.is_empty() {
        format!("{before}{first}{after}")
    } else {
        format!("{before}{first}\n{rest}{after}")
    };
    let link = Spelled {
        text,
        quote: s.quote,
        secret_at: 0,
    };
    let head = format!("{FIELDS}notes: ");
    let at = head.len() + scalar_offset(&link) + before.len() + s.secret_at;
    Some(("yaml", format!("{head}{}\n", yaml_scalar(&link, "  ")?), at))
}

/// The passing trace with the line starting `line` (its value) replaced by `value`: the
/// file, and where `at` (an offset in `value`) stands in it.
fn field_replaced(line: &str, value: &str, at: usize) -> (&'static str, String, usize) {
    let start = FIELDS.find(line).expect("a line of the trace");
    let key_end = start + line.find(": ").expect("a field") + 2;
    let line_end = start + FIELDS[start..].find('\n').expect("a line");
    let text = format!("{}{value}{}", &FIELDS[..key_end], &FIELDS[line_end..]);
    ("yaml", text, key_end + at)
}

pub fn cases() -> Vec<Case> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    for (format, make) in formats() {
        for (spelling, spell) in spellings() {
            for (place, build) in places() {
                let key = make(&mut rng);
                let Some(spelled) = spell(&key) else { continue };
                // Bold and a hard line break are Markdown: they mean nothing in YAML or a
                // comment. A blank line breaks a value in YAML, but ends a paragraph of
                // prose or a comment.
                if matches!(spelling, "bold-piece" | "markdown-hard-break") && place != "prose" {
                    continue;
                }
                if spelling == "split-over-a-blank-line"
                    && matches!(place, "comment" | "prose" | "html-comment")
                {
                    continue;
                }
                let Some((ext, text, at)) = build(&spelled) else {
                    continue;
                };
                out.push(Case {
                    name: format!("{format}--{spelling}--{place}.{ext}"),
                    at: position(&text, at),
                    text,
                    secret: key.secret().to_string(),
                });
            }
        }
    }
    out
}
