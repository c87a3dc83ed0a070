//! `max-length`: a rule kind defined outside packetgate, as a library user would write one —
//! a field's text is at most `max` characters. This file and one line in a list of kinds
//! (`tests/rule_kind.rs`) are all it takes.

use packetgate::config::decode::{Entries, Problems};
use packetgate::fieldpath::FieldPath;
use packetgate::finding::Finding;
use packetgate::rules::{decode_path, Ctx, Kind, KindSpec, Rule, Vars};
use std::sync::Arc;

pub static MAX_LENGTH: KindSpec = KindSpec {
    id: "max-length",
    keys: &["field", "max"],
    decode: |e, p| Some(Arc::new(MaxLength::decode(e, p)?)),
};

#[derive(Debug)]
pub struct MaxLength {
    field: FieldPath,
    max: usize,
}

impl MaxLength {
    fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let field = e.require("field", "a `max-length` rule", p);
        let max = e.require("max", "a `max-length` rule", p);
        let max = max.and_then(|m| m.number(p));
        Some(MaxLength {
            field: decode_path(field?, p)?,
            max: usize::try_from(max?).unwrap_or(usize::MAX),
        })
    }
}

impl Kind for MaxLength {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        for (path, node) in self.field.select(ctx.root()) {
            let Some(text) = node.as_str() else { continue };
            let length = text.trim().chars().count();
            if length <= self.max {
                continue;
            }
            let max = self.max.to_string();
            out.push(ctx.emit(
                rule,
                Some(&path),
                node.pos,
                format!("`{path}` is {length} characters long; at most {max} fit"),
                format!("shorten `{path}` to {max} characters or fewer"),
                Vars {
                    field: &path,
                    value: text,
                    expected: &max,
                },
            ));
        }
    }
}
