//! One key format of a `secret` rule, as a policy writes it: a name, a regex and, for a
//! generic credential parameter (`api_key=…`, `token: …`), how random its value must read to
//! count. A provider's key has a prefix of its own (`gsk_`, `hf_`, `AKIA`) and needs no more;
//! a parameter name says only that a value may be a credential, and `token: support-platform`
//! is not one, so such a pattern also asks for a value that looks drawn at random.

use crate::config::decode::{Entry, Problems};
use crate::rules::decode_regex;
use regex::Regex;

pub(super) const KEYS: &[&str] = &["name", "pattern", "min_entropy"];

#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub name: String,
    /// When the regex has a capture group, group 1 is the secret.
    pub regex: Regex,
    /// Bits of Shannon entropy per character the secret needs; such a secret must also mix
    /// letters and digits and hold a long run without separators (see `random_looking`).
    pub min_entropy: Option<f64>,
}

/// Characters in the longest run of letters and digits a random-looking value holds: words
/// joined by separators (`finops/cometapi-key-2026`) have short runs, keys and hex digests
/// long ones (a UUID's last group is 12).
const MIN_RUN: usize = 12;

/// Characters a random-looking value has at least.
const MIN_LEN: usize = 16;

/// Shannon entropy of the text, in bits per character.
fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut other = std::collections::HashMap::new();
    let mut n = 0u32;
    for c in text.chars() {
        n += 1;
        match u8::try_from(c) {
            Ok(b) => counts[usize::from(b)] += 1,
            Err(_) => *other.entry(c).or_insert(0u32) += 1,
        }
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .copied()
        .chain(other.into_values())
        .filter(|&k| k > 0)
        .map(|k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum()
}

/// Characters from which a value with no digit may still read as random, when small and
/// capital letters mix inside it (a 40-letter token; `SupportPlatformTeam` is shorter).
const MIN_LEN_WITHOUT_DIGITS: usize = 32;

/// Does the value read as drawn at random: at least [`MIN_LEN`] characters, a run of
/// [`MIN_RUN`] letters and digits without a separator, at least `min_bits` of entropy per
/// character, and letters with digits (or, from [`MIN_LEN_WITHOUT_DIGITS`] characters, small
/// and capital letters mixed)? 32 hex digits pass; `cost-per-request-2026`,
/// `finops/cometapi-key-2026` and `2026-11-20T10:00:00Z` do not.
pub(super) fn random_looking(value: &str, min_bits: f64) -> bool {
    let longest_run = value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::len)
        .max()
        .unwrap_or(0);
    let len = value.chars().count();
    let digits = value.chars().any(|c| c.is_ascii_digit());
    let lower = value.chars().any(|c| c.is_ascii_lowercase());
    let upper = value.chars().any(|c| c.is_ascii_uppercase());
    let mix = if digits {
        lower || upper
    } else {
        len >= MIN_LEN_WITHOUT_DIGITS && lower && upper
    };
    len >= MIN_LEN && mix && longest_run >= MIN_RUN && entropy(value) >= min_bits
}

impl Pattern {
    /// Reads one `{name, pattern, min_entropy}` item of a rule's `patterns`.
    pub(crate) fn decode(item: Entry<'_>, p: &mut Problems) -> Option<Pattern> {
        let what = "a secret pattern";
        let mut m = item.map(what, p)?;
        let name = m.require("name", what, p).and_then(|n| n.text(p));
        let regex = m.require("pattern", what, p).and_then(|r| {
            let t = r.text(p)?;
            decode_regex(
                r,
                &crate::rules::ascii_word_boundaries(t),
                r.value.pos,
                false,
                p,
            )
        });
        let mut entropy_ok = true;
        let min_entropy = m.take("min_entropy").and_then(|e| {
            let bits = e
                .value
                .as_str()
                .and_then(|t| t.trim().parse::<f64>().ok())
                .filter(|b| (0.0..=8.0).contains(b));
            if bits.is_none() {
                entropy_ok = false;
                e.problem(
                    p,
                    "`min_entropy` must be a number of bits per character, from 0 to 8 (e.g. 3.0)",
                );
            }
            bits
        });
        m.finish(KEYS, what, p);
        Some(Pattern {
            name: name?.to_string(),
            regex: regex?,
            min_entropy: if entropy_ok { min_entropy } else { return None },
        })
    }

    /// Is a match of the regex a secret by this pattern's own measure?
    pub(crate) fn accepts(&self, secret: &str) -> bool {
        self.min_entropy
            .is_none_or(|bits| random_looking(secret, bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_and_words() {
        for random in [
            "0123456789abcdef0123456789abcdef",
            "69472a8af83c2f22903cb186882ad828",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "123e4567-e89b-12d3-a456-426614174000",
            "NMnBzNobJOCHwfhySCynjwLkLTRDDMfAXirboduk",
        ] {
            assert!(random_looking(random, 3.0), "{random}");
        }
        for words in [
            "finops/cometapi-key-2026",
            "vault/finops/cometapi/2026key",
            "cost-per-request-2026",
            "CHG-2026-0142-support",
            "2026-11-20T10:00:00Z",
            "aaaaaaaaaaaa1111111111",
            "support-platform-team",
            "SupportPlatformTeamOwnerName",
        ] {
            assert!(!random_looking(words, 3.0), "{words}");
        }
    }

    #[test]
    fn word_boundaries_are_ascii() {
        assert_eq!(
            crate::rules::ascii_word_boundaries(r"\bsk-\\b[\w]\B"),
            r"(?-u:\b)sk-\\b[\w](?-u:\B)"
        );
        let re = Regex::new(&crate::rules::ascii_word_boundaries(r"\bsk-[a-z]+")).unwrap();
        assert_eq!(re.find("ésk-abc").map(|m| m.as_str()), Some("sk-abc"));
    }

    #[test]
    fn entropy_counts_bits_per_character() {
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abab") - 1.0).abs() < 1e-9);
        assert!((entropy("0123456789abcdef") - 4.0).abs() < 1e-9);
    }
}
