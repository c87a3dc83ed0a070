//! Words shared by the rules' messages and every output.

/// "3 errors", "1 warning", "0 notices".
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
