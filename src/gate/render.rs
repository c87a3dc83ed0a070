//! What the gate says about a change, rendered from a finished [`Report`] as Markdown: the
//! title, the summary (the check run's and the job summary's), the sticky comment. Rendering
//! only — the verdicts are already in the report — and every text is cut to the size its
//! caller passes (the forge's limit) with a count of what was left out, never silently.
//! Nothing here calls a forge's API; GitHub's own shapes (the check run's conclusion and
//! annotations) are in `github::check`.

use super::markdown::{code, message, text, Place};
use crate::engine::{PacketReport, Report};
use crate::finding::{Finding, Severity, Verdict};
use crate::place::uri_reference;
use crate::text::plural;
use std::fmt::Write as _;

/// Everything a rendering needs besides the report.
#[derive(Debug, Clone)]
pub(crate) struct View<'a> {
    pub report: &'a Report,
    pub check_name: &'a str,
    /// `https://github.com/OWNER/REPO/blob/SHA`: line links point into the judged commit.
    pub blob_url: String,
    pub head_sha: &'a str,
    /// What was judged: "pull request #12", "push to main", "scheduled audit".
    pub scope: String,
    /// Things the reader must know (config taken from the base branch, a capped file list…).
    pub notices: &'a [String],
    pub run_url: Option<String>,
    /// Where the full JSON report was written.
    pub report_path: Option<String>,
}

/// The figures every text opens with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub packets: usize,
    pub failed: usize,
    /// Findings at the fail level that name a missing field.
    pub missing: usize,
    /// Findings at the fail level about a value that is there but wrong.
    pub invalid: usize,
    /// Findings below the fail level.
    pub advisory: usize,
    /// Findings a waiver accepted.
    pub waived: usize,
}

impl Counts {
    pub(crate) fn of(report: &Report) -> Counts {
        let mut c = Counts {
            packets: report.packets.len(),
            failed: report.failed(),
            ..Counts::default()
        };
        for p in &report.packets {
            let [missing, invalid, advisory, waived] = packet_counts(p, report.fail_on);
            c.missing += missing;
            c.invalid += invalid;
            c.advisory += advisory;
            c.waived += waived;
        }
        c
    }
}

fn problems(c: &Counts) -> String {
    let mut parts = Vec::new();
    if c.missing > 0 {
        parts.push(plural(c.missing, "missing field"));
    }
    if c.invalid > 0 {
        parts.push(plural(c.invalid, "invalid value"));
    }
    parts.join(", ")
}

/// "2 of 3 packets fail: 5 missing fields, 1 invalid value".
pub(crate) fn title(report: &Report) -> String {
    let c = Counts::of(report);
    if c.packets == 0 {
        return "No packet to judge".into();
    }
    if c.failed > 0 {
        let verb = if c.failed == 1 { "fails" } else { "fail" };
        let mut t = format!("{} of {} {verb}", c.failed, plural(c.packets, "packet"));
        let p = problems(&c);
        if !p.is_empty() {
            t = format!("{t}: {p}");
        }
        return t;
    }
    let mut t = if c.packets == 1 {
        "1 packet passes".to_string()
    } else {
        format!("All {} packets pass", c.packets)
    };
    if c.advisory > 0 {
        t.push_str(&format!(" ({})", plural(c.advisory, "warning")));
    }
    t
}

/// `s` in at most `max` bytes, with the count of characters left out at the end.
pub(crate) fn cut_bytes(s: &str, max: usize) -> String {
    cut_to(s, max, str::len)
}

/// `s` in at most `max` characters, with the count of characters left out at the end.
pub(crate) fn cut_chars(s: &str, max: usize) -> String {
    cut_to(s, max, |t| t.chars().count())
}

fn cut_to(s: &str, max: usize, size: impl Fn(&str) -> usize) -> String {
    if size(s) <= max {
        return s.to_string();
    }
    let total = s.chars().count();
    // The note's own size depends on the count; a 10-digit count bounds it.
    let room = max.saturating_sub(size(&left_out(u32::MAX as usize)));
    let mut end = 0;
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let n = size(c.encode_utf8(&mut [0; 4]));
        if used + n > room {
            break;
        }
        used += n;
        end = i + c.len_utf8();
    }
    let kept = s[..end].chars().count();
    format!("{}{}", &s[..end], left_out(total - kept))
}

fn left_out(n: usize) -> String {
    format!("… [{n} more characters left out for GitHub's size limit]")
}

fn icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
    }
}

impl View<'_> {
    fn line_url(&self, path: &str, line: u32) -> String {
        format!("{}/{}#L{line}", self.blob_url, uri_reference(path))
    }

    fn headline(&self) -> String {
        let c = Counts::of(self.report);
        let mut s = format!("**{}**", title(self.report));
        if c.failed > 0 && c.advisory > 0 {
            s.push_str(&format!(" · {}", plural(c.advisory, "warning")));
        }
        let links = match &self.report.links_not_opened {
            Some(why) => format!("links not opened ({why})"),
            None => "links opened".into(),
        };
        s.push_str(&format!(
            " — {}, judged on {}, failing at {} level, {links}.",
            self.scope, self.report.today, self.report.fail_on
        ));
        s
    }

    fn footer(&self) -> String {
        let mut s = format!(
            "<sub>packetgate {} · commit {}",
            env!("CARGO_PKG_VERSION"),
            crate::git::short(self.head_sha)
        );
        if let Some(url) = &self.run_url {
            s.push_str(&format!(" · [workflow run]({url})"));
        }
        if let Some(p) = &self.report_path {
            s.push_str(&format!(" · JSON report: {}", code(p, Place::Line)));
        }
        s.push_str("</sub>\n");
        s
    }
}

/// Appends `piece` if it fits under `max` with `reserve` bytes left for the closing lines.
fn fits(out: &str, piece: &str, max: usize, reserve: usize) -> bool {
    out.len() + piece.len() + reserve <= max
}

/// The check run's (and the job summary's) Markdown: a table of packets, then one table of
/// findings per packet with line links and fixes. Cut at `max` with a count of the rest.
pub(crate) fn summary(view: &View<'_>, max: usize, rest_is_in: &str) -> String {
    let report = view.report;
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", view.headline());
    for n in view.notices {
        let _ = writeln!(out, "> [!NOTE]\n> {}\n", message(n, Place::Line));
    }
    if report.packets.is_empty() {
        out.push_str("No file this run judges is a packet.\n\n");
        out.push_str(&view.footer());
        return out;
    }
    out.push_str("| Packet | Kind | Verdict | Missing | Invalid | Warnings | Waived |\n|---|---|---|---:|---:|---:|---:|\n");
    let mut shown_rows = 0;
    for p in &report.packets {
        let c = packet_counts(p, report.fail_on);
        let row = format!(
            "| [{}]({}) | {} | {} {} | {} | {} | {} | {} |\n",
            code(&p.path, Place::Cell),
            view.line_url(&p.path, 1),
            p.kind
                .as_deref()
                .map(|k| code(k, Place::Cell))
                .unwrap_or_else(|| "—".into()),
            icon(p.verdict),
            p.verdict.as_str(),
            c[0],
            c[1],
            c[2],
            c[3]
        );
        if !fits(&out, &row, max, 2000) {
            break;
        }
        out.push_str(&row);
        shown_rows += 1;
    }
    if shown_rows < report.packets.len() {
        let _ = writeln!(
            out,
            "| … {} more, {rest_is_in} | | | | | | |",
            plural(report.packets.len() - shown_rows, "packet")
        );
    }
    out.push('\n');
    let total: usize = report.packets.iter().map(|p| p.findings.len()).sum();
    let mut shown = 0;
    'packets: for p in report.packets.iter().filter(|p| !p.findings.is_empty()) {
        let head = format!(
            "### {} {}\n\n| Line | Field | Rule | Severity | Problem | Fix |\n|---:|---|---|---|---|---|\n",
            icon(p.verdict),
            code(&p.path, Place::Line)
        );
        if !fits(&out, &head, max, 600) {
            break;
        }
        out.push_str(&head);
        for f in &p.findings {
            let row = format!(
                "| [{}]({}) | {} | {} | {} | {} | {} |\n",
                f.line,
                view.line_url(&p.path, f.line),
                f.field
                    .as_deref()
                    .map(|x| code(x, Place::Cell))
                    .unwrap_or_else(|| "(text)".into()),
                code(&f.rule, Place::Cell),
                match &f.waived {
                    Some(w) => format!(
                        "{} (waived by {} until {}: {})",
                        f.severity,
                        message(&w.owner, Place::Cell),
                        message(&w.expires, Place::Cell),
                        message(&w.reason, Place::Cell)
                    ),
                    None => f.severity.to_string(),
                },
                message(&f.message, Place::Cell),
                message(&f.fix, Place::Cell)
            );
            if !fits(&out, &row, max, 600) {
                break 'packets;
            }
            out.push_str(&row);
            shown += 1;
        }
        out.push('\n');
    }
    if shown < total {
        let _ = writeln!(
            out,
            "\n**… {} not shown here** (of {total}); {rest_is_in}.\n",
            plural(total - shown, "more finding")
        );
    }
    out.push_str(&view.footer());
    out
}

/// The comment's groups, in order; [`group_of`] picks one.
const GROUPS: [&str; 4] = [
    "Missing fields",
    "Invalid fields",
    "Warnings (they do not fail the check)",
    "Waived (accepted on the record; they do not fail the check)",
];

fn group_of(f: &Finding, fail_on: Severity) -> usize {
    if f.waived.is_some() {
        return 3;
    }
    match (f.severity >= fail_on, f.missing) {
        (true, true) => 0,
        (true, false) => 1,
        (false, _) => 2,
    }
}

/// [missing, invalid, below the fail level, waived] of one packet.
fn packet_counts(p: &PacketReport, fail_on: Severity) -> [usize; 4] {
    let mut c = [0; 4];
    for f in &p.findings {
        c[group_of(f, fail_on)] += 1;
    }
    c
}

/// The sticky comment's body (without its hidden markers): per failing packet, every
/// missing field and every invalid one with a line link and the one-line fix; a short
/// passing state once everything passes.
pub(crate) fn comment(view: &View<'_>, max: usize) -> String {
    let report = view.report;
    let c = Counts::of(report);
    let mut out = String::new();
    if report.verdict == Verdict::Pass {
        let _ = writeln!(out, "## ✅ {}: {}\n", text(view.check_name), title(report));
        if report.packets.is_empty() {
            out.push_str("This change no longer touches a packet.\n\n");
        } else {
            out.push_str("Every required field is filled in and every value is valid. ");
            if c.waived > 0 {
                let are = if c.waived == 1 { "is" } else { "are" };
                let _ = writeln!(
                    out,
                    "{} {are} accepted by waivers, listed below.\n",
                    plural(c.waived, "finding")
                );
            } else {
                out.push_str("Nothing to fix.\n\n");
            }
        }
    } else {
        let _ = writeln!(out, "## ❌ {}: {}\n", text(view.check_name), title(report));
        let _ = writeln!(
            out,
            "Fix the fields below and push: this comment is updated on every run.\n"
        );
    }
    for n in view.notices {
        let _ = writeln!(out, "> [!NOTE]\n> {}\n", message(n, Place::Line));
    }
    let reserve = 1500;
    let mut left_out = 0;
    let mut stopped = false;
    for p in &report.packets {
        let at_fail: Vec<&Finding> = p.findings.iter().collect();
        if at_fail.is_empty() {
            continue;
        }
        if stopped {
            left_out += at_fail.len();
            continue;
        }
        let mut section = format!("### {} {}\n", icon(p.verdict), code(&p.path, Place::Line));
        let mut listed = 0;
        for (group, label) in GROUPS.iter().enumerate() {
            let items: Vec<&&Finding> = at_fail
                .iter()
                .filter(|f| group_of(f, report.fail_on) == group)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(section, "\n**{label}**\n");
            for f in items {
                let waived = f
                    .waived
                    .as_ref()
                    .map(|w| {
                        format!(
                            "  **Waived** by {} until {} ({}): {}\n",
                            message(&w.owner, Place::Line),
                            message(&w.expires, Place::Line),
                            w.source,
                            message(&w.reason, Place::Line)
                        )
                    })
                    .unwrap_or_default();
                let item = format!(
                    "- {} ([line {}]({})) {}: {}  \n  **Fix:** {}\n{waived}",
                    f.field
                        .as_deref()
                        .map(|x| format!("**{}**", code(x, Place::Line)))
                        .unwrap_or_else(|| "text".into()),
                    f.line,
                    view.line_url(&p.path, f.line),
                    code(&f.rule, Place::Line),
                    message(&f.message, Place::Line),
                    message(&f.fix, Place::Line)
                );
                if !fits(&out, &section, max, reserve + item.len()) {
                    stopped = true;
                    break;
                }
                section.push_str(&item);
                listed += 1;
            }
            if stopped {
                break;
            }
        }
        left_out += at_fail.len() - listed;
        section.push('\n');
        out.push_str(&section);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "**… {} not listed here for GitHub's size limit**; the check run and the job summary have them all.\n",
            plural(left_out, "more finding")
        );
    }
    let passing: Vec<&PacketReport> = report
        .packets
        .iter()
        .filter(|p| p.verdict == Verdict::Pass && p.findings.is_empty())
        .collect();
    if !passing.is_empty() && report.verdict == Verdict::Fail && c.packets > passing.len() {
        let mut list = format!(
            "<details><summary>{} with no finding</summary>\n\n",
            plural(passing.len(), "packet")
        );
        for p in &passing {
            let _ = writeln!(list, "- {}", code(&p.path, Place::Line));
        }
        list.push_str("\n</details>\n\n");
        if fits(&out, &list, max, 400) {
            out.push_str(&list);
        }
    }
    out.push_str(&view.footer());
    out
}

/// Reports to render in tests, here and in the forges' own renderings.
#[cfg(test)]
pub(crate) mod sample {
    use super::*;
    use crate::dates::Date;

    pub(crate) fn finding(
        rule: &str,
        field: &str,
        line: u32,
        missing: bool,
        severity: Severity,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            field: Some(field.into()),
            line,
            column: 1,
            message: format!("{field} | is wrong\nreally"),
            fix: "fill it in".into(),
            missing,
            waived: None,
        }
    }

    pub(crate) fn report(findings: Vec<Vec<Finding>>) -> Report {
        let packets: Vec<PacketReport> = findings
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                PacketReport::new(
                    format!("budgets/p {i}.md"),
                    Some("budget-change".into()),
                    f,
                    Severity::Error,
                )
            })
            .collect();
        let verdict = if packets.iter().any(|p| p.verdict == Verdict::Fail) {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        Report {
            packets,
            verdict,
            today: Date::parse("2026-11-20").unwrap(),
            fail_on: Severity::Error,
            links_not_opened: Some("--offline".into()),
            config: None,
            links: None,
        }
    }

    pub(crate) fn view(r: &Report) -> View<'_> {
        View {
            report: r,
            check_name: "packetgate",
            blob_url: "https://github.com/o/r/blob/abc".into(),
            head_sha: "abcdef0123",
            scope: "pull request #2".into(),
            notices: &[],
            run_url: None,
            report_path: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sample::{finding, report, view};
    use super::*;

    #[test]
    fn title_counts_missing_and_invalid_fields() {
        let r = report(vec![
            vec![
                finding("bc-required", "unit_metric", 2, true, Severity::Error),
                finding("bc-required", "owner", 3, true, Severity::Error),
                finding("bc-environment", "environment", 4, false, Severity::Error),
            ],
            vec![finding("url-tracking", "u", 5, false, Severity::Warning)],
            vec![],
        ]);
        assert_eq!(
            title(&r),
            "1 of 3 packets fails: 2 missing fields, 1 invalid value"
        );
        let pass = report(vec![
            vec![finding("w", "u", 5, false, Severity::Warning)],
            vec![],
        ]);
        assert_eq!(title(&pass), "All 2 packets pass (1 warning)");
    }

    #[test]
    fn comment_names_each_field_with_a_line_link_and_fix() {
        let r = report(vec![vec![
            finding("bc-required", "unit_metric", 2, true, Severity::Error),
            finding("bc-environment", "environment", 9, false, Severity::Error),
        ]]);
        let body = comment(&view(&r), 65_536);
        assert!(body.contains("**Missing fields**"), "{body}");
        assert!(
            body.contains(
                "**`unit_metric`** ([line 2](https://github.com/o/r/blob/abc/budgets/p%200.md#L2))"
            ),
            "{body}"
        );
        assert!(body.contains("**Invalid fields**"));
        assert!(body.contains("unit\\_metric \\| is wrong really"), "{body}");
        assert!(body.contains("**Fix:** fill it in"));
    }

    #[test]
    fn texts_are_cut_to_the_limit_with_a_count() {
        let many: Vec<Finding> = (1..=400)
            .map(|i| finding("bc-required", &format!("f{i}"), i, true, Severity::Error))
            .collect();
        let r = report(vec![many]);
        let s = summary(&view(&r), 8_000, "see the job summary");
        assert!(s.len() <= 8_000, "{}", s.len());
        assert!(s.contains("more findings not shown here** (of 400)"), "{s}");
        let c = comment(&view(&r), 6_000);
        assert!(c.len() <= 6_000);
        assert!(c.contains("more findings not listed here"));
    }
}
