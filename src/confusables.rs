//! Characters that read as an ASCII letter, digit or sign but are not one: fullwidth forms
//! (`ＡＫＩＡ`, `ｓｋ－`), the Cyrillic and Greek letters drawn like Latin ones (`ѕ`, `р`,
//! `α`), the Kelvin sign, the long s, and the dashes read as `-`. A reader sees `sk-proj-…`
//! or `TBD`; the checks that must see what the reader sees (secret formats, template values)
//! read the text through [`fold`]. One character always stands for one, so columns hold.

use std::borrow::Cow;

/// The ASCII character `c` is drawn like, when it is a confusable one.
pub fn fold_char(c: char) -> Option<char> {
    let u = c as u32;
    if c.is_ascii() {
        return None;
    }
    // Fullwidth ASCII: U+FF01..U+FF5E is U+0021..U+007E, in order.
    if (0xFF01..=0xFF5E).contains(&u) {
        return char::from_u32(u - 0xFF01 + 0x21);
    }
    Some(match c {
        // Cyrillic
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'ѕ' => 's',
        'і' => 'i',
        'ј' => 'j',
        'ԁ' => 'd',
        'һ' => 'h',
        'ӏ' => 'l',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ү' => 'y',
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'Х' => 'X',
        'У' => 'Y',
        'Ѕ' => 'S',
        'І' => 'I',
        'Ј' => 'J',
        'Ԁ' => 'D',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        // Greek
        'α' => 'a',
        'ο' => 'o',
        'ν' => 'v',
        'ρ' => 'p',
        'ι' => 'i',
        'κ' => 'k',
        'υ' => 'u',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        // Letterlike and Latin extensions
        '\u{212A}' => 'K', // Kelvin sign
        'ſ' => 's',
        'ı' => 'i',
        'ȷ' => 'j',
        'ɡ' => 'g',
        // Dashes and minus signs
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
        _ => return None,
    })
}

/// Could the text hold a confusable character at all? (Cheap: every one is outside ASCII.)
pub fn may_hold(text: &str) -> bool {
    !text.is_ascii() && text.chars().any(|c| fold_char(c).is_some())
}

/// `text` with every confusable character read as the ASCII one it is drawn like; borrowed
/// unchanged in the common case.
pub fn fold(text: &str) -> Cow<'_, str> {
    if !may_hold(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| fold_char(c).unwrap_or(c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_look_alikes_as_ascii() {
        assert_eq!(fold("ＡＫＩＡ－ｘ"), "AKIA-x");
        assert_eq!(fold("ѕk-рrоj"), "sk-proj");
        assert_eq!(fold("\u{212A}ey ſecret α"), "Key secret a");
        assert_eq!(fold("ТBD"), "TBD");
        assert_eq!(fold("team‐placeholder"), "team-placeholder");
        assert!(matches!(fold("plain text, ünïcode"), Cow::Borrowed(_)));
        assert_eq!(fold("ünïcode"), "ünïcode");
    }
}
