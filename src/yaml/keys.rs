//! Root keys read straight off the event stream, for text that cannot be parsed whole.
//!
//! Discovery asks one question of a file a folder scan finds: does its YAML name a given key
//! (`packet`) at the root? [`super::parse`] answers it for a well-formed file, but a file that
//! is truncated at the size cap, lossily decoded, or broken further down is exactly the file
//! that must still be recognised as a packet, so that it fails instead of vanishing. The
//! parser hands out events until its first error; what the root mapping said before that
//! point is what the file declares. Nothing is built or expanded here: each open collection
//! is a few flags on a stack, so neither an alias bomb nor deep nesting costs more than the
//! text's own length.

use super::{binary_text, is_binary};
use saphyr_parser::{Event, Parser};
use std::collections::HashMap;

/// What a finished node says about the key, for its parent (and for aliases to it).
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    /// A scalar spelling the key.
    is_key: bool,
    /// A scalar spelling `<<`: the mapping's next value is merged into it.
    is_merge: bool,
    /// A mapping holding the key, or a list holding such a mapping (a merge list).
    holds_key: bool,
}

enum Frame {
    Map {
        anchor: usize,
        holds_key: bool,
        want_key: bool,
        merging: bool,
    },
    Seq {
        anchor: usize,
        holds_key: bool,
    },
}

/// Whether any document's root mapping has `key`, as far as the text parses: merge keys
/// (`<<`) and `!!binary` keys count as the tree built by [`super::parse`] counts them.
/// Stops at the first syntax error, and as soon as the key shows up.
pub fn root_has_key(text: &str, key: &str) -> bool {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Seen> = HashMap::new();
    while let Some(Ok((event, _))) = parser.next_event() {
        let (seen, anchor) = match event {
            Event::StreamEnd => break,
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map {
                    anchor,
                    holds_key: false,
                    want_key: true,
                    merging: false,
                });
                continue;
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq {
                    anchor,
                    holds_key: false,
                });
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Frame::Map {
                    anchor, holds_key, ..
                })
                | Some(Frame::Seq { anchor, holds_key }) => (
                    Seen {
                        holds_key,
                        ..Seen::default()
                    },
                    anchor,
                ),
                None => continue,
            },
            Event::Scalar(text, _, anchor, tag) => {
                let decoded = tag
                    .as_deref()
                    .filter(|t| is_binary(t))
                    .and_then(|_| binary_text(&text));
                let text = decoded.as_deref().unwrap_or(&text);
                (
                    Seen {
                        is_key: text == key,
                        is_merge: text == "<<",
                        holds_key: false,
                    },
                    anchor,
                )
            }
            Event::Alias(id) => (anchors.get(&id).copied().unwrap_or_default(), 0),
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, seen);
        }
        let root = stack.len() == 1;
        match stack.last_mut() {
            Some(Frame::Map {
                holds_key,
                want_key,
                merging,
                ..
            }) => {
                if *want_key {
                    *holds_key |= seen.is_key;
                    *merging = seen.is_merge;
                } else if *merging {
                    *holds_key |= seen.holds_key;
                }
                *want_key = !*want_key;
                if root && *holds_key {
                    return true;
                }
            }
            Some(Frame::Seq { holds_key, .. }) => *holds_key |= seen.holds_key,
            None => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_at_the_root_only() {
        let yes = [
            "packet: x\n",
            "a: 1\n\"packet\": x\n",
            "{a: 1, 'packet': x}\n",
            "  a: 1\n  packet: x\n",
            "? packet\n: x\n",
            "%YAML 1.2\n---\n!!str &k packet: x\n",
            "? !!binary cGFja2V0\n: x\n",
            "a: &m {packet: x}\n<<: *m\n",
            "<<: [{b: 1}, {packet: x}]\n",
            "a: 1\n---\npacket: x\n",
            "k: &k packet\n*k : x\n",
            // Broken after the declaration: the events before the error still say it.
            "packet: x\nowner: [a\n",
            "packet: x\nb: \"unclosed\n",
        ];
        for text in yes {
            assert!(root_has_key(text, "packet"), "{text:?}");
        }
        let no = [
            "a:\n  packet: x\n",
            "- packet: x\n",
            "a: [packet]\n",
            "a: packet\n",
            "packets: x\n",
            "b: [\npacket: x\n",
            "a: {<<: {packet: x}}\n",
            "# packet: x\n",
            "",
        ];
        for text in no {
            assert!(!root_has_key(text, "packet"), "{text:?}");
        }
    }

    #[test]
    fn alias_bombs_and_deep_nesting_cost_only_their_length() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='z' {
            bomb.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        assert!(!root_has_key(&bomb, "packet"));
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(!root_has_key(&deep, "packet"));
        assert!(root_has_key(&format!("packet: x\nd: {deep}"), "packet"));
    }
}
