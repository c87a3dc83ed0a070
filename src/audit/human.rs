//! The audit for a terminal: by owner, the failing packets with each field to fix, evidence
//! going stale, waivers running out or out of force; then one summary line. Values from
//! packets are printed with control characters shown as escapes, so a packet cannot move
//! the cursor or colour the terminal.

use super::model::Audit;
use super::model::Owner;
use std::fmt::Write;

/// `s` with control characters escaped.
fn plain(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A packet's path, with its repository when the report spans more than one.
fn path(multi: bool, repository: Option<&str>, path: &str) -> String {
    match repository.filter(|_| multi) {
        Some(r) => format!("{}:{}", plain(r), plain(path)),
        None => plain(path),
    }
}

fn owner(o: &Owner, multi: bool, out: &mut String) {
    let name = o.owner.as_deref().map_or("(no owner)".into(), plain);
    let mention = o
        .mention
        .as_deref()
        .map(|m| format!(" [{}]", plain(m)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{name}{mention}: {}, {} failing",
        crate::text::plural(o.counts.packets, "packet"),
        o.counts.failing
    );
    for f in &o.failing {
        let kind = f.kind.as_deref().map(plain).unwrap_or_else(|| "?".into());
        let _ = writeln!(
            out,
            "  FAIL {} ({kind})",
            path(multi, f.repository.as_deref(), &f.path)
        );
        for x in &f.fix {
            let field = x
                .field
                .as_deref()
                .map_or_else(|| format!("line {}", x.line), plain);
            let _ = writeln!(
                out,
                "       {field} [{}]: {}",
                plain(&x.rule),
                plain(&x.fix)
            );
        }
    }
    for e in &o.evidence_expiring {
        let _ = writeln!(
            out,
            "  STALE SOON {} {}: checked {}, stale on {} (in {} day{})",
            path(multi, e.repository.as_deref(), &e.path),
            plain(&e.field),
            e.date,
            e.stale_on,
            e.days_left,
            if e.days_left == 1 { "" } else { "s" }
        );
    }
    for (what, list) in [
        ("WAIVER ENDS", &o.waivers_expiring),
        ("WAIVER OUT OF FORCE", &o.waivers_out_of_force),
    ] {
        for w in list {
            let state = serde_json::to_value(w.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let field = w
                .field
                .as_deref()
                .map(|f| format!(" on {}", plain(f)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {what} {} [{}]{field}: accepted by {}, expires {} ({state})",
                path(multi, w.repository.as_deref(), &w.path),
                plain(&w.rule),
                if w.owner.is_empty() {
                    "nobody".into()
                } else {
                    plain(&w.owner)
                },
                if w.expires.is_empty() {
                    "never".into()
                } else {
                    plain(&w.expires)
                },
            );
        }
    }
}

pub(crate) fn render(a: &Audit) -> String {
    let mut out = String::new();
    let multi = a
        .packets
        .iter()
        .any(|p| p.repository != a.packets[0].repository);
    for o in &a.health.owners {
        owner(o, multi, &mut out);
        out.push('\n');
    }
    let h = &a.health.counts;
    let _ = writeln!(
        out,
        "{}: {} audited, {} passed, {} failed; {} going stale within {}, {} running out, {} out of force",
        a.verdict.as_str(),
        crate::text::plural(h.packets, "packet"),
        h.packets - h.failing,
        h.failing,
        crate::text::plural(h.evidence_expiring, "evidence date"),
        crate::text::plural(a.health.warn_before_days as usize, "day"),
        crate::text::plural(h.waivers_expiring, "waiver"),
        h.waivers_out_of_force,
    );
    let shard = a
        .audit
        .shard
        .map(|s| format!(", shard {s}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "dates judged as of {} (fail level: {}{shard})",
        a.today, a.summary.fail_on
    );
    match (&a.links.reason, a.links.opened) {
        (Some(r), false) => {
            let _ = writeln!(out, "links were not opened: {}", plain(r));
        }
        _ => {
            if let Some(s) = &a.links.summary {
                let _ = writeln!(
                    out,
                    "links: {} checked, {} ok, {} dead, {} unverified",
                    s.checked, s.ok, s.dead, s.unverified
                );
            }
        }
    }
    out
}
