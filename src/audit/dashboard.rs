//! The packet-health dashboard: the body of the sticky issue an organisation's audit keeps
//! (`--format markdown`). By owner: failing packets with the fields to fix, evidence going
//! stale, waivers running out or out of force; a Mermaid `gantt` chart of every dated
//! source's validity window with the judged day marked; links to each packet at its commit.
//!
//! Everything a packet brought is escaped by [`crate::gate::markdown`], as in the
//! pull-request comment; chart labels keep only characters Mermaid reads as text. An owner
//! the config maps to a GitHub user or team (`owners:`) is mentioned once per run, in its
//! heading. The body stays under GitHub's 65,536-character limit for an issue: lists, the
//! chart and at last whole owners' details are cut, each with a note saying so.

use super::model::Audit;
use super::model::{Expiring, Failing, Owner, WaiverDue};
use crate::gate::markdown::{code, message, text, Place};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The hidden first line the sticky issue is found by.
pub(crate) const MARKER: &str = "<!-- packetgate:health -->";
/// The issue's title.
pub(crate) const TITLE: &str = "Packet health";
/// GitHub's limit on an issue body, in characters.
const MAX_BODY: usize = 65_536;
/// What the body aims for, leaving room for the notes about what was cut.
const BUDGET: usize = 60_000;
const _: () = assert!(BUDGET < MAX_BODY);
/// Items per list per owner.
const MAX_ITEMS: usize = 50;
/// Rows in the table of owners.
const MAX_TABLE_ROWS: usize = 200;
/// Bars in the chart.
const MAX_BARS: usize = 150;

/// The dashboard for `a`.
pub(crate) fn render(a: &Audit) -> String {
    let h = &a.health;
    let mut head = String::new();
    let _ = writeln!(head, "{MARKER}");
    let _ = writeln!(head, "## {TITLE}: {}\n", a.verdict.as_str());
    let _ = writeln!(
        head,
        "**{}**: {} passing, {} failing · {} going stale within {} · {} running out · {} out of force\n",
        crate::text::plural(h.counts.packets, "packet"),
        h.counts.packets - h.counts.failing,
        h.counts.failing,
        crate::text::plural(h.counts.evidence_expiring, "evidence date"),
        crate::text::plural(h.warn_before_days as usize, "day"),
        crate::text::plural(h.counts.waivers_expiring, "waiver"),
        crate::text::plural(h.counts.waivers_out_of_force, "waiver"),
    );
    let _ = writeln!(
        head,
        "Judged as of {} (fail level: {}; links {}).\n",
        a.today,
        a.summary.fail_on,
        if a.links.opened {
            "opened".to_string()
        } else {
            format!(
                "not opened: {}",
                text(a.links.reason.as_deref().unwrap_or("?"))
            )
        }
    );
    if !h.owners.is_empty() {
        head.push_str("| owner | packets | failing | evidence going stale | waivers running out | waivers out of force |\n|---|--:|--:|--:|--:|--:|\n");
        for o in h.owners.iter().take(MAX_TABLE_ROWS) {
            let _ = writeln!(
                head,
                "| {} | {} | {} | {} | {} | {} |",
                owner_name(o),
                o.counts.packets,
                o.counts.failing,
                o.counts.evidence_expiring,
                o.counts.waivers_expiring,
                o.counts.waivers_out_of_force
            );
        }
        if h.owners.len() > MAX_TABLE_ROWS {
            let _ = writeln!(
                head,
                "\n… and {} more owner{}",
                h.owners.len() - MAX_TABLE_ROWS,
                if h.owners.len() - MAX_TABLE_ROWS == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
        head.push('\n');
    }
    let chart = gantt(a);
    // A mention counts only once its owner's details are in the body.
    let mut mentioned = BTreeSet::new();
    let links = Links::of(a);
    let mut body = head;
    let reserve = chart.len() + 400;
    let mut cut = 0;
    for o in &h.owners {
        let mut tentative = mentioned.clone();
        let full = owner_block(&links, o, &mut tentative);
        if body.len() + full.len() + reserve <= BUDGET {
            body.push_str(&full);
            mentioned = tentative;
            continue;
        }
        cut += 1;
        let short = owner_short(o);
        if body.len() + short.len() + reserve <= BUDGET {
            body.push_str(&short);
        }
    }
    if cut > 0 {
        let _ = writeln!(
            body,
            "_The details of {} were cut to keep this issue under GitHub's size limit; the JSON report (`packetgate audit --format json`) has everything._\n",
            crate::text::plural(cut, "owner"),
        );
    }
    if body.len() + chart.len() <= BUDGET {
        body.push_str(&chart);
    } else {
        body.push_str(
            "_The evidence chart was left out to keep this issue under GitHub's size limit._\n",
        );
    }
    body
}

/// An owner's name as text (`no owner` for packets without one).
fn owner_name(o: &Owner) -> String {
    match &o.owner {
        // text() escapes `|` too: the same in a table cell as on a line. A name is cut to
        // MAX_NAME characters, so 200 table rows cannot outgrow the issue.
        Some(name) if name.chars().count() > MAX_NAME => {
            let cut: String = name.chars().take(MAX_NAME).collect();
            format!("{}…", text(&cut))
        }
        Some(name) => text(name),
        None => "_no owner_".into(),
    }
}

/// The longest owner name shown; the JSON report has the whole one.
const MAX_NAME: usize = 100;

/// An owner's heading line, and the mention (once per GitHub user or team per run).
fn heading(o: &Owner, mentioned: &mut BTreeSet<String>) -> String {
    let mut line = format!("### {}", owner_name(o));
    if let Some(m) = &o.mention {
        // Validated when the config was read and again when a report is read back; text()
        // below is for the repeat, which must not notify again.
        if crate::config::valid_mention(m) && mentioned.insert(m.to_ascii_lowercase()) {
            let _ = write!(line, " · {m}");
        } else {
            let _ = write!(line, " · {}", text(m));
        }
    }
    line.push('\n');
    line
}

fn owner_short(o: &Owner) -> String {
    format!(
        "### {}\n\n{}, {} failing (details cut)\n\n",
        owner_name(o),
        crate::text::plural(o.counts.packets, "packet"),
        o.counts.failing
    )
}

/// Where packets link to: the server, and each packet's commit.
struct Links<'a> {
    server: &'a str,
    /// Packets of more than one repository: paths are shown with their repository.
    multi: bool,
    /// The packets of each owner, in report order.
    by_owner: BTreeMap<Option<&'a str>, Vec<&'a super::model::Packet>>,
    commits: BTreeMap<(Option<&'a str>, &'a str), &'a str>,
}

impl<'a> Links<'a> {
    fn of(a: &'a Audit) -> Self {
        let mut by_owner: BTreeMap<Option<&str>, Vec<&super::model::Packet>> = BTreeMap::new();
        for p in &a.packets {
            by_owner.entry(p.owner.as_deref()).or_default().push(p);
        }
        Links {
            by_owner,
            server: &a.audit.server,
            multi: a
                .packets
                .iter()
                .any(|p| p.repository != a.packets[0].repository),
            commits: a
                .packets
                .iter()
                .filter_map(|p| {
                    Some((
                        (p.repository.as_deref(), p.path.as_str()),
                        p.commit.as_deref()?,
                    ))
                })
                .collect(),
        }
    }

    /// A packet's path, linked to the file at its commit when the repository is known.
    fn packet(&self, path: &str, repository: Option<&str>, place: Place) -> String {
        let shown = match repository.filter(|_| self.multi) {
            Some(r) => code(&format!("{r}:{path}"), place),
            None => code(path, place),
        };
        let commit = self.commits.get(&(repository, path)).copied();
        match (repository, commit) {
            (Some(repo), Some(sha))
                if super::valid_repository(repo)
                    && super::valid_commit(sha)
                    && super::valid_server(self.server) =>
            {
                format!(
                    "[{shown}]({}/{repo}/blob/{sha}/{})",
                    self.server.trim_end_matches('/'),
                    crate::place::uri_reference(path)
                )
            }
            _ => shown,
        }
    }
}

fn more(n: usize) -> String {
    if n > MAX_ITEMS {
        format!("\n… and {} more\n", n - MAX_ITEMS)
    } else {
        String::new()
    }
}

fn owner_block(a: &Links<'_>, o: &Owner, mentioned: &mut BTreeSet<String>) -> String {
    let mut s = heading(o, mentioned);
    let _ = writeln!(
        s,
        "\n{}, {} failing.\n",
        crate::text::plural(o.counts.packets, "packet"),
        o.counts.failing
    );
    if !o.failing.is_empty() {
        let _ = writeln!(s, "**Failing packets**\n");
        for f in o.failing.iter().take(MAX_ITEMS) {
            failing(a, f, &mut s);
        }
        s.push_str(&more(o.failing.len()));
        s.push('\n');
    }
    if !o.evidence_expiring.is_empty() {
        let _ = writeln!(
            s,
            "**Evidence going stale**\n\n| packet | field | checked | stale on |\n|---|---|---|---|"
        );
        for e in o.evidence_expiring.iter().take(MAX_ITEMS) {
            expiring(a, e, &mut s);
        }
        s.push_str(&more(o.evidence_expiring.len()));
        s.push('\n');
    }
    for (title, list) in [
        ("Waivers running out", &o.waivers_expiring),
        ("Waivers out of force", &o.waivers_out_of_force),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "**{title}**\n\n| packet | rule | field | accepted by | expires | state |\n|---|---|---|---|---|---|"
        );
        for w in list.iter().take(MAX_ITEMS) {
            waiver(a, w, &mut s);
        }
        s.push_str(&more(list.len()));
        s.push('\n');
    }
    all_packets(a, o, &mut s);
    s
}

/// Every packet of the owner, linked, folded away.
fn all_packets(a: &Links<'_>, o: &Owner, s: &mut String) {
    let Some(packets) = a.by_owner.get(&o.owner.as_deref()) else {
        return;
    };
    let _ = writeln!(
        s,
        // Nothing from a packet inside the HTML line: GitHub reads no Markdown escapes there,
        // so an owner name could close the block or write a tag. The heading names the owner.
        "<details><summary>Packets ({})</summary>\n",
        packets.len()
    );
    for p in packets.iter().take(MAX_ITEMS) {
        let _ = writeln!(
            s,
            "- {} {}",
            a.packet(&p.path, p.repository.as_deref(), Place::Line),
            p.verdict.as_str()
        );
    }
    s.push_str(&more(packets.len()));
    s.push_str("\n</details>\n\n");
}

fn failing(a: &Links<'_>, f: &Failing, s: &mut String) {
    let kind = f
        .kind
        .as_deref()
        .map(|k| format!(" ({})", code(k, Place::Line)))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "- {}{kind}",
        a.packet(&f.path, f.repository.as_deref(), Place::Line)
    );
    for x in f.fix.iter().take(MAX_ITEMS) {
        let field = x
            .field
            .as_deref()
            .map_or_else(|| format!("line {}", x.line), |f| code(f, Place::Line));
        let _ = writeln!(
            s,
            "  - {field} {}: {}",
            code(&x.rule, Place::Line),
            message(&x.fix, Place::Line)
        );
    }
    if f.fix.len() > MAX_ITEMS {
        let _ = writeln!(s, "  - … and {} more", f.fix.len() - MAX_ITEMS);
    }
}

fn in_days(d: i64) -> String {
    match d {
        0 => "today".into(),
        1 => "in 1 day".into(),
        d if d > 1 => format!("in {d} days"),
        -1 => "1 day ago".into(),
        d => format!("{} days ago", -d),
    }
}

fn expiring(a: &Links<'_>, e: &Expiring, s: &mut String) {
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} ({}) |",
        a.packet(&e.path, e.repository.as_deref(), Place::Cell),
        code(&e.field, Place::Cell),
        e.date,
        e.stale_on,
        in_days(e.days_left)
    );
}

fn waiver(a: &Links<'_>, w: &WaiverDue, s: &mut String) {
    let expires = if w.expires.is_empty() {
        "_none_".to_string()
    } else {
        let when = w.days_left.map(|d| format!(" ({})", in_days(d)));
        format!(
            "{}{}",
            code(&w.expires, Place::Cell),
            when.unwrap_or_default()
        )
    };
    let state = serde_json::to_value(w.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {expires} | {state} |",
        a.packet(&w.path, w.repository.as_deref(), Place::Cell),
        code(&w.rule, Place::Cell),
        w.field
            .as_deref()
            .map_or_else(|| "_any_".to_string(), |f| code(f, Place::Cell)),
        if w.owner.is_empty() {
            "_nobody_".to_string()
        } else {
            text(&w.owner)
        },
    );
}

/// Words Mermaid's gantt grammar reads as a statement at the start of a line.
const KEYWORDS: &[&str] = &[
    "gantt",
    "title",
    "section",
    "dateformat",
    "axisformat",
    "tickinterval",
    "todaymarker",
    "includes",
    "excludes",
    "inclusiveenddates",
    "topaxis",
    "weekday",
    "weekend",
    "acctitle",
    "accdescr",
    "click",
    "displaymode",
];

/// `s` as a Mermaid gantt label: only letters, digits, space and `-_./[]()` (no `:`, `#`,
/// `;`, `%` or line break, which are Mermaid syntax), at most 80 characters, and never
/// starting with a word Mermaid reads as a statement.
pub(crate) fn label(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -_./[]()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    out = out.trim().to_string();
    // The first word as Mermaid's lexer sees it (`inclusiveEndDates.yaml` starts with the
    // statement `inclusiveEndDates`), and a leading digit (a date starts a statement too).
    let first = out
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("");
    if out.is_empty()
        || out.starts_with(|c: char| !c.is_ascii_alphabetic())
        || KEYWORDS.contains(&first.to_ascii_lowercase().as_str())
    {
        out.insert(0, '_');
    }
    out
}

/// The chart: a section per owner, a bar per dated source from the day it was checked to
/// the day it goes stale (`crit` when stale or going stale within the window), and the
/// judged day as a milestone (Mermaid also marks the viewer's today).
fn gantt(a: &Audit) -> String {
    let today = crate::dates::Date::parse(&a.today);
    let warn = i64::from(a.health.warn_before_days);
    let mut bars = 0usize;
    let mut left_out = 0usize;
    let mut sections = String::new();
    for o in &a.health.owners {
        let mut section = String::new();
        for p in a.packets.iter().filter(|p| p.owner == o.owner) {
            let file = p.path.rsplit('/').next().unwrap_or(&p.path);
            for e in &p.evidence {
                if bars >= MAX_BARS {
                    left_out += 1;
                    continue;
                }
                bars += 1;
                let crit = today.is_some_and(|t| e.stale_on.days() - t.days() <= warn);
                let _ = writeln!(
                    section,
                    "    {} :{}{}, {}",
                    label(&format!("{file} {}", e.field)),
                    if crit { "crit, " } else { "" },
                    e.date,
                    e.stale_on
                );
            }
        }
        if !section.is_empty() {
            let name = o.owner.as_deref().unwrap_or("no owner");
            let _ = writeln!(sections, "    section {}", label(name));
            sections.push_str(&section);
        }
    }
    if bars == 0 {
        return String::new();
    }
    let mut s = String::from("### Evidence validity\n\nEach bar runs from the day a source was checked to the day it goes stale; red bars are stale or go stale within the warning window.\n\n```mermaid\ngantt\n    dateFormat YYYY-MM-DD\n    axisFormat %Y-%m-%d\n");
    let _ = writeln!(
        s,
        "    section judged\n    {} :milestone, {}, 0d",
        label(&format!("as of {}", a.today)),
        a.today
    );
    s.push_str(&sections);
    s.push_str("```\n");
    if left_out > 0 {
        let _ = writeln!(
            s,
            "\n_{} not charted (the chart shows at most {MAX_BARS})._",
            crate::text::plural(left_out, "dated source")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_hold_no_mermaid_syntax() {
        assert_eq!(label("a: b # c; d\ne%%f"), "a_ b _ c_ d_e__f");
        assert_eq!(label("section x.yaml"), "_section x.yaml");
        assert_eq!(label("Title x"), "_Title x");
        assert_eq!(label(""), "_");
        assert_eq!(label(&"x".repeat(200)).len(), 80);
        // A label never starts with anything but a letter or `_`.
        assert_eq!(label("ä<b>"), "___b_");
        assert_eq!(
            label("inclusiveEndDates.yaml x"),
            "_inclusiveEndDates.yaml x"
        );
        assert_eq!(label("2026-01-01 x.yaml"), "_2026-01-01 x.yaml");
    }
}
