//! `date`: evidence dates are real `YYYY-MM-DD` days, not in the future and not older than
//! the freshness window (the policy's `settings.max_age_days`, default 30, unless the rule or
//! the repository config sets its own).
//!
//! With `warn_before_days` the rule warns instead: it names each date that is fresh today but
//! leaves the window within that many days, with the day it goes stale (`evidence-expiring`).

use super::{decode_paths, Constraint, Ctx, Kind, KindSpec, Rule, Vars};
use crate::config::decode::{Entries, Problems};
use crate::dates::Date;
use crate::fieldpath::FieldPath;
use crate::finding::Finding;
use std::sync::Arc;

pub(crate) const KEYS: &[&str] = &["fields", "max_age_days", "allow_future", "warn_before_days"];

pub(crate) static DATE: KindSpec = KindSpec {
    id: "date",
    keys: KEYS,
    decode: |e, p| Some(Arc::new(DateRule::decode(e, p)?)),
};

#[derive(Debug, Clone)]
pub(crate) struct DateRule {
    pub fields: Vec<FieldPath>,
    pub max_age_days: Option<u32>,
    pub allow_future: bool,
    /// Report dates going stale within this many days (the config's
    /// `freshness.warn_before_days` wins), instead of dates that are wrong or stale.
    pub warn_before_days: Option<u32>,
}

/// The first day a source checked on `date` is older than `window` days; the calendar ends
/// at 9999-12-31 (a date the reports and charts can still write as YYYY-MM-DD).
pub(crate) fn stale_on(date: Date, window: i64) -> Date {
    let last = Date::parse("9999-12-31").map_or(i64::MAX, Date::days);
    Date::from_days(
        date.days()
            .saturating_add(window)
            .saturating_add(1)
            .min(last),
    )
}

/// One dated source: the day it was checked and the first day it is stale.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dated {
    pub field: String,
    pub line: u32,
    #[serde(
        serialize_with = "crate::dates::serialize",
        deserialize_with = "crate::dates::deserialize"
    )]
    pub date: Date,
    /// The first day the source is older than the freshness window.
    #[serde(
        serialize_with = "crate::dates::serialize",
        deserialize_with = "crate::dates::deserialize"
    )]
    pub stale_on: Date,
}

impl DateRule {
    pub(crate) fn decode(e: &mut Entries<'_>, p: &mut Problems) -> Option<Self> {
        let fields = e
            .require("fields", "a `date` rule", p)
            .and_then(|f| decode_paths(f, p));
        let max_age_days = e
            .number("max_age_days", p)
            .map(|n| n.min(u64::from(u32::MAX)) as u32);
        let allow_future = e.boolean("allow_future", p).unwrap_or(false);
        let warn_before_days = e
            .number("warn_before_days", p)
            .map(|n| n.min(u64::from(u32::MAX)) as u32);
        Some(DateRule {
            fields: fields?,
            max_age_days,
            allow_future,
            warn_before_days,
        })
    }

    /// The window this rule judges with in `ctx`.
    fn window(&self, ctx: &Ctx<'_>) -> u32 {
        self.max_age_days.unwrap_or(ctx.max_age_days)
    }

    /// Every date in the rule's fields that reads as a real day, with the day it goes stale.
    /// Only freshness rules (no `warn_before_days`) date evidence.
    pub(crate) fn dated(&self, ctx: &Ctx<'_>) -> Vec<Dated> {
        if self.warn_before_days.is_some() {
            return Vec::new();
        }
        let window = i64::from(self.window(ctx));
        ctx.scalars
            .iter()
            .filter(|(path, _)| self.fields.iter().any(|f| f.matches_concrete(path)))
            .filter_map(|(path, node)| {
                let date = Date::parse(node.as_str()?.trim())?;
                Some(Dated {
                    field: path.text.clone(),
                    line: node.pos.line,
                    date,
                    stale_on: stale_on(date, window),
                })
            })
            .collect()
    }

    /// `warn_before_days`: dates fresh today that go stale within the warning window.
    fn check_expiring(&self, warn: u32, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let warn = ctx.warn_before_days.unwrap_or(warn);
        let window = self.window(ctx);
        let today = ctx.today;
        for (path, node) in &ctx.scalars {
            if !self.fields.iter().any(|f| f.matches_concrete(path)) {
                continue;
            }
            let Some(written) = node.as_str().map(str::trim) else {
                continue;
            };
            let Some(d) = Date::parse(written) else {
                continue;
            };
            let stale_on = stale_on(d, i64::from(window));
            let left = stale_on.days() - today.days();
            // Stale already, or dated in the future: `evidence-date`'s findings, not this one's.
            if d > today || left <= 0 || left > i64::from(warn) {
                continue;
            }
            let field = &path.text;
            let days = if left == 1 { "day" } else { "days" };
            let window_text = window.to_string();
            out.push(ctx.emit(
                rule,
                Some(field),
                node.pos,
                format!(
                    "`{field}` is {d}: the evidence goes stale on {stale_on}, in {left} {days} (freshness window {window} days)"
                ),
                format!("re-check the evidence before {stale_on} and update `{field}`"),
                Vars {
                    field,
                    value: written,
                    expected: &window_text,
                },
            ));
        }
    }

    pub(crate) fn check(&self, rule: &Rule, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        if let Some(warn) = self.warn_before_days {
            return self.check_expiring(warn, rule, ctx, out);
        }
        let window = self.window(ctx);
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

impl Kind for DateRule {
    fn check(&self, rule: &Rule, ctx: &Ctx<'_>, _prior: &[Finding], out: &mut Vec<Finding>) {
        DateRule::check(self, rule, ctx, out);
    }

    fn schema(&self) -> Vec<Constraint<'_>> {
        self.fields.iter().map(Constraint::Date).collect()
    }
}
