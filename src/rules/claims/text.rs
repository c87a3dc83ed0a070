//! The text a claim is read from: typographic variants folded (full-width digits and letters,
//! no-break and thin spaces, Unicode dashes and quotes) so `９９.９％` reads as `99.9%`, then cut
//! into tokens. Every byte of the folded text maps back to a byte of the original, so a claim is
//! still reported where the author wrote it.

/// Folded text with a map back to the original.
#[derive(Debug)]
pub(crate) struct Folded {
    pub text: String,
    /// For each byte of `text`, the byte offset in the original text it came from.
    origin: Vec<u32>,
}

impl Folded {
    pub(crate) fn new(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        for (i, c) in original.char_indices() {
            let folded = fold(c);
            let before = text.len();
            text.push(folded);
            origin.extend(std::iter::repeat_n(i as u32, text.len() - before));
        }
        Folded { text, origin }
    }

    /// Where the web addresses (`https://…`, `www.…`) are, as byte ranges: a link's words
    /// are no words of the sentence ("example.com" hedges nothing), though a figure written
    /// into one is still read.
    pub(crate) fn urls_in(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(at) = find_url(&text[from..]).map(|i| i + from) {
            let end = text[at..]
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>' | '"' | '<'))
                .map_or(text.len(), |e| at + e);
            out.push((at, end));
            from = end.max(at + 1);
        }
        out
    }

    /// The offset in the original text of byte `i` of the folded text.
    pub(crate) fn original(&self, i: usize) -> usize {
        self.origin.get(i).map_or_else(
            || self.origin.last().map_or(0, |&o| o as usize + 1),
            |&o| o as usize,
        )
    }
}

/// Where the next web address starts.
fn find_url(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len()).find(|&i| {
        (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && ["http://", "https://", "www."].iter().any(|p| {
                b[i..].len() >= p.len() && b[i..i + p.len()].eq_ignore_ascii_case(p.as_bytes())
            })
    })
}

fn fold(c: char) -> char {
    match c {
        // Full-width ASCII forms (`９９．９％`, `＄０．４０`).
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => ' ',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => '-',
        '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
        '\u{201C}' | '\u{201D}' => '"',
        '\u{FE6A}' => '%',
        '\u{FE69}' => '$',
        // `uptime_sla`, `p95_latency_ms`, `rpm_limit`: words joined in an identifier.
        '_' => ' ',
        _ => confusable(c).unwrap_or(c),
    }
}

/// Cyrillic and Greek letters drawn like Latin ones: `discоunt` with a Cyrillic `о` reads as
/// "discount" to a reviewer, so it does to the claim rules.
fn confusable(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'е' | 'ε' => 'e',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'с' | 'ϲ' => 'c',
        'у' | 'γ' => 'y',
        'х' | 'χ' => 'x',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'һ' => 'h',
        'ν' => 'v',
        'κ' | 'к' => 'k',
        'т' | 'τ' => 't',
        'м' => 'm',
        'п' => 'n',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'Е' | 'Ε' => 'E',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Н' | 'Η' => 'H',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'С' => 'C',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'У' | 'Υ' => 'Y',
        'І' | 'Ι' => 'I',
        'Ѕ' => 'S',
        'Ζ' => 'Z',
        'Ν' => 'N',
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Letters (and apostrophes inside): `latency`, `doesn't`. Lower-cased in `Token::lower`.
    Word,
    /// Digits with `,`/`.` separators (`10,000`, `0.40`), or number words merged (`ten
    /// thousand`); `value` holds the number.
    Number,
    /// Letters and digits mixed (`p95`, `gpt-4o`, `CHG-2026-0142`, `v2.3.1`, `2XX`): never a figure.
    Ident,
    /// One character of punctuation or a symbol (`$`, `%`, `.`, `,`, `(`, `/`).
    Mark,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub lower: String,
    /// The number a `Number` token stands for.
    pub value: f64,
}

impl Token {
    pub(crate) fn is(&self, word: &str) -> bool {
        self.lower == word
    }

    pub(crate) fn mark(&self) -> Option<char> {
        (self.kind == Kind::Mark).then(|| self.lower.chars().next().unwrap_or(' '))
    }
}

/// Suffixes that may stick to digits and still leave a number: scale letters and units
/// (`10k`, `5M`, `300ms`, `2s`, `500rpm`, `0.40usd`).
const STUCK_SUFFIXES: &[&str] = &[
    "k", "m", "b", "bn", "mm", "ms", "s", "sec", "secs", "min", "mins", "h", "hr", "hrs", "x",
    "rpm", "tpm", "rps", "qps", "rpd", "tpd", "usd", "eur", "gbp", "jpy", "cny", "inr", "aud",
    "cad", "chf", "pct", "c",
];

const UNITS: &[(&str, f64)] = &[
    ("zero", 0.0),
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("thirteen", 13.0),
    ("fourteen", 14.0),
    ("fifteen", 15.0),
    ("sixteen", 16.0),
    ("seventeen", 17.0),
    ("eighteen", 18.0),
    ("nineteen", 19.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("fifty", 50.0),
    ("sixty", 60.0),
    ("seventy", 70.0),
    ("eighty", 80.0),
    ("ninety", 90.0),
    ("half", 0.5),
    ("quarter", 0.25),
    ("third", 1.0 / 3.0),
    ("fifth", 0.2),
    ("tenth", 0.1),
    ("tenths", 0.1),
    ("quarters", 0.25),
    ("thirds", 1.0 / 3.0),
    ("fifths", 0.2),
    ("hundredths", 0.01),
    ("hundredth", 0.01),
    ("dozen", 12.0),
];

const SCALES: &[(&str, f64)] = &[
    ("hundred", 100.0),
    ("thousand", 1e3),
    ("million", 1e6),
    ("billion", 1e9),
];

fn word_value(w: &str) -> Option<f64> {
    UNITS.iter().find(|(n, _)| *n == w).map(|(_, v)| *v)
}

fn scale_value(w: &str) -> Option<f64> {
    SCALES.iter().find(|(n, _)| *n == w).map(|(_, v)| *v)
}

/// Cuts folded text into tokens. Linear in the text; a run of number words becomes one
/// `Number` token (`ten thousand`, `two hundred and fifty`).
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let bytes = text.as_bytes();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c.is_alphanumeric() {
            // A run of letters, digits and the joiners that keep an identifier or a number
            // whole: `.`/`,` between digits, `-` between letters or digits, `'` inside words.
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                let next_alnum = |k: usize| {
                    text[k..]
                        .chars()
                        .nth(1)
                        .is_some_and(|n| n.is_alphanumeric())
                };
                let joins = match d {
                    _ if d.is_alphanumeric() => true,
                    '.' | ',' => {
                        bytes[j - 1].is_ascii_digit()
                            && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
                    }
                    '-' | '_' => {
                        next_alnum(j) && !bytes[j - 1].is_ascii_digit() || {
                            // `CHG-2026-0142`, `gpt-4o`: a hyphen inside an identifier.
                            let word_so_far = &text[i..j];
                            word_so_far.chars().any(char::is_alphabetic) && next_alnum(j)
                        }
                    }
                    '\'' => {
                        bytes[j - 1].is_ascii_alphabetic()
                            && bytes.get(j + 1).is_some_and(u8::is_ascii_alphabetic)
                    }
                    _ => false,
                };
                if !joins {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            push_run(&text[i..end], i, &mut out);
        } else {
            out.push(Token {
                kind: Kind::Mark,
                start: i,
                end: i + c.len_utf8(),
                lower: c.to_string(),
                value: 0.0,
            });
        }
    }
    merge_number_words(out)
}

/// Classifies one run of letters/digits: a word, a number (possibly with a stuck suffix,
/// which becomes its own word token), or an identifier.
fn push_run(run: &str, start: usize, out: &mut Vec<Token>) {
    let lower = run.to_lowercase();
    let has_digit = lower.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = lower.chars().any(char::is_alphabetic);
    let number_word = |w: &str| word_value(w).is_some() || scale_value(w).is_some();
    if !has_digit && lower.contains('-') && lower.split('-').next().is_some_and(number_word) {
        // `twenty-five`, `three-nines`: number words joined by hyphens are read apart.
        let mut at = 0;
        for part in lower.split('-') {
            if !part.is_empty() {
                out.push(Token {
                    kind: Kind::Word,
                    start: start + at,
                    end: start + at + part.len(),
                    lower: part.to_string(),
                    value: 0.0,
                });
            }
            at += part.len() + 1;
        }
        return;
    }
    if !has_digit {
        out.push(Token {
            kind: Kind::Word,
            start,
            end: start + run.len(),
            lower,
            value: 0.0,
        });
        return;
    }
    for code in ["usd", "eur", "gbp", "us$", "sub-"] {
        let rest = lower.strip_prefix(code).unwrap_or("");
        if rest.starts_with(|c: char| c.is_ascii_digit()) && rest.len() == run.len() - code.len() {
            // `USD0.40`: the code, then the number.
            out.push(Token {
                kind: Kind::Word,
                start,
                end: start + code.len(),
                lower: code.to_string(),
                value: 0.0,
            });
            push_run(&run[code.len()..], start + code.len(), out);
            return;
        }
    }
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(lower.len());
    let (num, suffix) = lower.split_at(digits_end);
    let numeric = !num.is_empty() && num.as_bytes()[0].is_ascii_digit();
    if numeric && (!has_alpha || STUCK_SUFFIXES.contains(&suffix)) {
        let value = num.replace(',', "").parse::<f64>().unwrap_or(0.0);
        out.push(Token {
            kind: Kind::Number,
            start,
            end: start + digits_end,
            lower: num.to_string(),
            value,
        });
        if !suffix.is_empty() {
            out.push(Token {
                kind: Kind::Word,
                start: start + digits_end,
                end: start + run.len(),
                lower: suffix.to_string(),
                value: 0.0,
            });
        }
        return;
    }
    out.push(Token {
        kind: Kind::Ident,
        start,
        end: start + run.len(),
        lower,
        value: 0.0,
    });
}

/// `ten thousand` → one Number token worth 10,000; `four nines` keeps `four` as 4. A digit
/// number followed by a scale word (`1.5 million`) is scaled too.
fn merge_number_words(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let article_scale = (t.is("a") || t.is("an"))
            && tokens.get(i + 1).is_some_and(|n| {
                n.kind == Kind::Word
                    && (scale_value(&n.lower).is_some()
                        || n.is("quarter")
                        || n.is("third")
                        || n.is("tenth")
                        || n.is("fifth")
                        || n.is("half"))
            });
        if article_scale {
            // `a hundred models`, `a quarter of a second`: the article is the number one.
            let n = &tokens[i + 1];
            let value = scale_value(&n.lower)
                .or_else(|| word_value(&n.lower))
                .unwrap_or(1.0);
            out.push(Token {
                kind: Kind::Number,
                start: t.start,
                end: n.end,
                lower: format!("{} {}", t.lower, n.lower),
                value,
            });
            i += 2;
            continue;
        }
        let starts = match t.kind {
            Kind::Word => word_value(&t.lower).is_some() || scale_value(&t.lower).is_some(),
            Kind::Number => tokens
                .get(i + 1)
                .is_some_and(|n| n.kind == Kind::Word && scale_value(&n.lower).is_some()),
            _ => false,
        };
        if !starts {
            out.push(t.clone());
            i += 1;
            continue;
        }
        let (mut total, mut current) = (0.0_f64, 0.0_f64);
        let mut j = i;
        let mut end = t.end;
        while let Some(n) = tokens.get(j) {
            if n.kind == Kind::Number && j == i {
                current = n.value;
            } else if n.kind != Kind::Word {
                break;
            } else if let Some(v) = word_value(&n.lower) {
                if n.lower == "half" && j > i {
                    break;
                }
                if v < 1.0 && j > i {
                    // `one tenth`, `two thirds`
                    current *= v;
                } else {
                    current += v;
                }
            } else if let Some(s) = scale_value(&n.lower) {
                if current == 0.0 {
                    current = 1.0;
                }
                current *= s;
                if s >= 1e3 {
                    total += current;
                    current = 0.0;
                }
            } else if n.lower == "and"
                && j > i
                && tokens
                    .get(j + 1)
                    .is_some_and(|m| m.kind == Kind::Word && word_value(&m.lower).is_some())
            {
                // `two hundred and fifty`
            } else {
                break;
            }
            end = n.end;
            j += 1;
        }
        // A lone scale word (`million` in `per million tokens`) is a unit, not a figure.
        let lone_scale = j == i + 1 && t.kind == Kind::Word && scale_value(&t.lower).is_some();
        if lone_scale {
            out.push(t.clone());
            i += 1;
            continue;
        }
        out.push(Token {
            kind: Kind::Number,
            start: t.start,
            end,
            lower: tokens[i..j]
                .iter()
                .map(|t| t.lower.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            value: total + current,
        });
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<(Kind, String)> {
        tokenize(t).into_iter().map(|t| (t.kind, t.lower)).collect()
    }

    #[test]
    fn folds_full_width_and_maps_back() {
        let f = Folded::new("up ９９.９％ now");
        assert_eq!(f.text, "up 99.9% now");
        assert_eq!(f.original(3), 3);
        assert_eq!(f.original(4), 6);
    }

    #[test]
    fn numbers_identifiers_and_words() {
        use Kind::*;
        assert_eq!(
            kinds("p95 is 300ms, CHG-2026-0142 costs $0.40/1M tokens"),
            [
                (Ident, "p95".into()),
                (Word, "is".into()),
                (Number, "300".into()),
                (Word, "ms".into()),
                (Mark, ",".into()),
                (Ident, "chg-2026-0142".into()),
                (Word, "costs".into()),
                (Mark, "$".into()),
                (Number, "0.40".into()),
                (Mark, "/".into()),
                (Number, "1".into()),
                (Word, "m".into()),
                (Word, "tokens".into()),
            ]
        );
        let t = tokenize("ten thousand requests and two hundred and fifty ms, 1.5 million");
        assert_eq!(t[0].value, 10_000.0);
        assert_eq!(t[3].value, 250.0);
        assert_eq!(t.last().unwrap().value, 1_500_000.0);
        assert_eq!(tokenize("doesn't")[0].lower, "doesn't");
        assert_eq!(tokenize("10,000 RPM")[0].value, 10_000.0);
        assert_eq!(tokenize("gpt-4o-mini")[0].kind, Ident);
        assert_eq!(tokenize("per million tokens")[1].kind, Word);
    }
}
