//! "Did you mean" suggestions for misspelt keys, kinds and rule ids.

/// The closest candidate to `word`, when one is close enough to be a likely typo.
pub(crate) fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)` or nothing.
pub(crate) fn hint<'a, I>(word: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    closest(word, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let kinds = ["budget-change", "cost-trace"];
        assert_eq!(closest("budget-chnage", kinds), Some("budget-change"));
        assert_eq!(closest("cost_trace", kinds), Some("cost-trace"));
        assert_eq!(closest("invoice", kinds), None);
    }
}
