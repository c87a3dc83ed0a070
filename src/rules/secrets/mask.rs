//! Masking: every secret a packet's rules found is replaced by a short prefix and `****`
//! wherever it would be printed. One pass over each text, however many secrets the packet
//! holds (a packet of 20,000 keys has 20,000 findings to mask): secrets are looked up by
//! their first bytes, not searched for one by one. Letters match in either case: a text that
//! prints a secret in small letters (a URL's host, as a URL parser writes it) still shows
//! none of it.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The masked form: a short prefix, then `****`. Short secrets show less.
pub(crate) fn mask(secret: &str) -> String {
    let keep = (secret.chars().count() / 4).min(4);
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}****")
}

/// Secrets shorter than this are masked only where they stand as a word of their own: a
/// one-letter URL password must not turn every `p` of a report into `****`.
const WORD_ONLY_BELOW: usize = 8;

/// With more secrets than this, they are looked up by their first bytes at each position of
/// a text (one pass, whatever their number); fewer are searched for one by one.
const INDEXED_FROM: usize = 8;

/// How many leading bytes index a secret.
const PREFIX: usize = 8;

/// A hasher for keys that are already well mixed bytes (a secret's first bytes): SipHash
/// costs more than the lookup it guards.
#[derive(Debug, Default, Clone, Copy)]
struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Fast = BuildHasherDefault<PrefixHasher>;

/// Up to eight bytes as one number (shorter runs are zero-padded; keys of one length only
/// ever meet keys of that length).
fn key(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .take(PREFIX)
        .enumerate()
        .fold(0, |k, (i, &b)| k | u64::from(b) << (8 * i))
}

/// With many secrets: where each may start, so one pass over a text finds them all.
#[derive(Debug, Default, Clone)]
struct Index {
    /// One bit per pair of leading bytes: most positions of a text start no secret, and a
    /// bit test says so without a lookup.
    pairs: Vec<u64>,
    /// Leading bytes of one-byte secrets.
    singles: Vec<bool>,
    /// Secrets of `PREFIX` bytes or more, by their first `PREFIX` bytes (longest first).
    long: HashMap<u64, Vec<usize>, Fast>,
    /// Shorter secrets, by length.
    short: Vec<(usize, HashSet<u64, Fast>)>,
}

/// Replaces every secret found in a packet wherever it appears in output text.
#[derive(Debug, Default, Clone)]
pub struct Masker {
    secrets: Vec<String>,
    /// The secrets in small ASCII letters, longest first: what is looked for, in a text also
    /// put in small letters.
    lower: Vec<String>,
    index: Option<Index>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Masker {
    pub fn new(mut secrets: Vec<String>) -> Self {
        secrets.retain(|s| !s.is_empty());
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        let mut lower: Vec<String> = secrets.iter().map(|s| s.to_ascii_lowercase()).collect();
        lower.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        lower.dedup();
        let index = (lower.len() > INDEXED_FROM).then(|| {
            let mut index = Index {
                pairs: vec![0; 1024],
                singles: vec![false; 256],
                ..Index::default()
            };
            for (i, s) in lower.iter().enumerate() {
                let b = s.as_bytes();
                match b {
                    [one] => index.singles[usize::from(*one)] = true,
                    [b0, b1, ..] => {
                        let pair = usize::from(*b0) << 8 | usize::from(*b1);
                        index.pairs[pair / 64] |= 1 << (pair % 64);
                    }
                    [] => {}
                }
                if b.len() >= PREFIX {
                    index.long.entry(key(b)).or_default().push(i);
                } else {
                    match index.short.iter_mut().find(|(len, _)| *len == b.len()) {
                        Some((_, set)) => {
                            set.insert(key(b));
                        }
                        None => index.short.push((b.len(), [key(b)].into_iter().collect())),
                    }
                }
            }
            index
        });
        Masker {
            secrets,
            lower,
            index,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Every occurrence of a secret in `text` (already in small ASCII letters), as byte
    /// ranges (overlapping ones included).
    fn occurrences(&self, text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        let Some(index) = &self.index else {
            for s in &self.lower {
                found.extend(
                    text.match_indices(s.as_str())
                        .map(|(i, _)| (i, i + s.len())),
                );
            }
            return found;
        };
        let bytes = text.as_bytes();
        for i in 0..bytes.len() {
            let b0 = bytes[i];
            let pair = bytes
                .get(i + 1)
                .map(|&b1| usize::from(b0) << 8 | usize::from(b1))
                .is_some_and(|p| index.pairs[p / 64] & (1 << (p % 64)) != 0);
            if !pair && !index.singles[usize::from(b0)] || !text.is_char_boundary(i) {
                continue;
            }
            let rest = &bytes[i..];
            if let Some(candidates) = rest.get(..PREFIX).and_then(|p| index.long.get(&key(p))) {
                // Longest first: the first that matches is the one to mask.
                if let Some(s) = candidates
                    .iter()
                    .map(|&c| self.lower[c].as_bytes())
                    .find(|s| rest.starts_with(s))
                {
                    found.push((i, i + s.len()));
                    continue;
                }
            }
            for (len, set) in &index.short {
                if rest.get(..*len).is_some_and(|p| set.contains(&key(p))) {
                    found.push((i, i + len));
                }
            }
        }
        found
    }

    /// Byte ranges of `text` to mask: every occurrence, overlapping ones merged so no part of
    /// either secret shows. A short secret counts only where it stands alone.
    fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        // Small ASCII letters keep every byte where it was, so the ranges hold for `text`.
        let mut found: Vec<(usize, usize)> = self
            .occurrences(&text.to_ascii_lowercase())
            .into_iter()
            .filter(|&(start, end)| {
                text[start..end].chars().count() >= WORD_ONLY_BELOW
                    || !text[..start].chars().next_back().is_some_and(is_word)
                        && !text[end..].chars().next().is_some_and(is_word)
            })
            .collect();
        found.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            match merged.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }

    pub fn apply(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in self.ranges(text) {
            out.push_str(&text[last..start]);
            out.push_str(&mask(&text[start..end]));
            last = end;
        }
        out.push_str(&text[last..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_with_a_short_prefix() {
        assert_eq!(
            mask("sk-proj-378N4QvLVj63ITEaWXW2bWUzByWltYFNg6Dn896R"),
            "sk-p****"
        );
        assert_eq!(mask("hunter2"), "h****");
        assert_eq!(mask("abc"), "****");
    }

    #[test]
    fn masks_every_occurrence() {
        let m = Masker::new(vec!["secret-value-123".into()]);
        assert_eq!(
            m.apply("a secret-value-123 b secret-value-123"),
            "a secr**** b secr****"
        );
    }

    #[test]
    fn letters_match_in_either_case() {
        for many in [false, true] {
            let mut secrets = vec!["sk-proj-AbCdEf123".to_string()];
            if many {
                secrets.extend((0..10).map(|i| format!("unrelated-secret-{i}")));
            }
            let m = Masker::new(secrets);
            assert_eq!(
                m.apply("http://sk-proj-abcdef123.example/ SK-PROJ-ABCDEF123"),
                "http://sk-p****.example/ SK-P****",
                "many: {many}"
            );
        }
    }

    #[test]
    fn short_secrets_only_where_they_stand_alone() {
        let m = Masker::new(vec!["p".into()]);
        assert_eq!(
            m.apply("https://u:p@apidoc.cometapi.com/p"),
            "https://u:****@apidoc.cometapi.com/****"
        );
    }

    #[test]
    fn overlapping_secrets_are_masked_together() {
        for many in [false, true] {
            let mut secrets = vec!["abcdefghij".to_string(), "defghijklmnop".to_string()];
            if many {
                secrets.extend((0..10).map(|i| format!("unrelated-secret-{i}")));
            }
            let m = Masker::new(secrets);
            assert_eq!(m.apply("<abcdefghijklmnop>"), "<abcd****>", "many: {many}");
        }
    }

    #[test]
    fn thousands_of_secrets_in_one_pass() {
        let secrets: Vec<String> = (0..5000).map(|i| format!("sk-test-{i:08}-key")).collect();
        let text: String = secrets.iter().map(|s| format!("[{s}] ")).collect();
        let m = Masker::new(secrets);
        let out = m.apply(&text);
        assert!(!out.contains("-key"), "{}", &out[..200]);
        assert_eq!(out.matches("sk-t****").count(), 5000);
    }
}
