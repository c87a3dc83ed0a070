//! `date`: evidence dates are real `YYYY-MM-DD` days, not in the future and not older than
//! the freshness window (the policy's `settings.max_age_days`, default 30, unless the rule or
//! the repository config sets its own).

use super::{decode_paths, Ctx, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::dates::Date;
use crate::fieldpath::FieldPath;
use crate::finding::Finding;

pub const KEYS: &[&str] = &["fields", "max_age_days", "allow_future"];

#[derive(Debug, Clone)]
pub struct DateRule {
    pub fields: Vec<FieldPath>,
    pub max_age_days: Option<u32>,
    pub allow_future: bool,
}

impl DateRule {
    pub fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = e
            .require("fields", "a `date` rule", p)
            .and_then(|f| decode_paths(f, p));
        let max_age_days = e
            .number("max_age_days", p)
            .map(|n| n.min(u64::from(u32::MAX)) as u32);
        let allow_future = e.boolean("allow_future", p).unwrap_or(false);
        Some(DateRule {
            fields: fields?,
            max_age_days,
            allow_future,
        })
    }

    pub fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let window = self.max_age_days.unwrap_or(ctx.max_age_days);
        let today = ctx.today;
        // Dates are scalars: match the packet's scalars (paths already split) against the
        // patterns instead of walking the tree once per pattern.
        let mut containers: Vec<String> = Vec::new();
        for (path, node) in &ctx.scalars {
            let Some(pattern) = self.fields.iter().find(|f| f.covers_concrete(path)) else {
                continue;
            };
            if !self.fields.iter().any(|f| f.matches_concrete(path)) {
                // Inside a date field: the field holds a list or a mapping.
                if let Some(parent) = pattern.matched_ancestor(path) {
                    if !containers.contains(&parent) {
                        containers.push(parent);
                    }
                }
                continue;
            }
            let field = &path.text;
            {
                if ctx.missing(field, Some(node)).is_some() {
                    continue;
                }
                let written = node.as_str().unwrap_or(node.type_name()).trim();
                let (message, fix) = match Date::parse(written) {
                    None => (
                        format!("`{field}` is `{written}`, not a real date in YYYY-MM-DD form"),
                        format!(
                            "write the day the evidence was checked as YYYY-MM-DD, e.g. `{today}`"
                        ),
                    ),
                    Some(d) if d > today && !self.allow_future => (
                        format!("`{field}` is {d}, in the future (today is {today})"),
                        "use the day the evidence was actually checked".to_string(),
                    ),
                    Some(d) => {
                        let age = today.days() - d.days();
                        if age <= i64::from(window) {
                            continue;
                        }
                        (
                            format!("`{field}` is {d}, {age} days old; evidence older than {window} days is stale"),
                            "re-check the evidence and update the date, or return the change for fresh evidence"
                                .to_string(),
                        )
                    }
                };
                let window_text = window.to_string();
                out.push(ctx.emit(
                    rule,
                    Some(field),
                    node.pos,
                    message,
                    fix,
                    Vars {
                        field,
                        value: written,
                        expected: &window_text,
                    },
                ));
            }
        }
        self.check_containers(rule, ctx, &containers, out);
    }

    /// A date field holding a list or a mapping (`review_date: [2026-11-14]`) is no date.
    fn check_containers(
        &self,
        rule: &Rule,
        ctx: &Ctx<'_>,
        containers: &[String],
        out: &mut Vec<Finding>,
    ) {
        for path in containers {
            let Ok(pattern) = FieldPath::parse(path) else {
                continue;
            };
            for (field, node) in pattern.select(ctx.root()) {
                if node.as_str().is_some() || ctx.missing(&field, Some(node)).is_some() {
                    continue;
                }
                let what = node.type_name();
                out.push(ctx.emit(
                    rule,
                    Some(&field),
                    node.pos,
                    format!("`{field}` is {what}, not a date in YYYY-MM-DD form"),
                    format!("write one date, e.g. `{field}: {}`", ctx.today),
                    Vars {
                        field: &field,
                        value: what,
                        expected: "",
                    },
                ));
            }
        }
    }
}
