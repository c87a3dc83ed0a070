//! The terminal report, in the style of rustc and ruff: `severity[rule]: message`, the
//! location, the source line with a marker, the field and the fix; then one verdict line
//! per packet and a summary. Colour only when asked (a terminal, and `NO_COLOR` unset).

use super::Look;
use crate::engine::Report;
use crate::finding::{Severity, Verdict};
use crate::links::{LinkReport, Status};
use crate::text::plural;
use std::fmt::Write as _;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Notice => "1;36",
        };
        self.wrap(code, s.as_str())
    }
}

/// Characters of a source line shown around a finding; a longer line is cut to this window
/// so a 1 MiB line with thousands of findings prints a short line under each.
const SNIPPET_BEFORE: usize = 60;
const SNIPPET_AFTER: usize = 100;

/// The source line as shown under a finding (cut around the column when long, control
/// characters shown as `?` so a line cannot write terminal or workflow commands), and the
/// indentation that puts the caret under the column.
fn snippet(
    src: &str,
    line: u32,
    column: u32,
    starts: &mut Option<(u32, Vec<usize>)>,
) -> (String, String) {
    let col = column.saturating_sub(1) as usize;
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
            .collect()
    };
    let pad = |s: &str| -> String {
        s.chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect()
    };
    if src.len() <= SNIPPET_BEFORE + SNIPPET_AFTER {
        let before: String = src.chars().take(col).collect();
        return (clean(src), pad(&before));
    }
    if starts.as_ref().is_none_or(|(l, _)| *l != line) {
        let mut v: Vec<usize> = src.char_indices().map(|(i, _)| i).collect();
        v.push(src.len());
        *starts = Some((line, v));
    }
    let v = starts.as_ref().map(|(_, v)| v.as_slice()).unwrap_or(&[]);
    let chars = v.len().saturating_sub(1);
    let col = col.min(chars);
    let from = col.saturating_sub(SNIPPET_BEFORE);
    let to = (col + SNIPPET_AFTER).min(chars);
    let byte = |i: usize| v.get(i).copied().unwrap_or(src.len());
    let (lead, tail) = (
        if from > 0 { "…" } else { "" },
        if to < chars { "…" } else { "" },
    );
    let shown = format!("{lead}{}{tail}", clean(&src[byte(from)..byte(to)]));
    let before = format!("{lead}{}", &src[byte(from)..byte(col)]);
    (shown, pad(&before))
}

/// How many characters to underline from char `at` of a shown line: the token there, as
/// rustc and ruff mark a whole span. A quoted scalar to its closing quote; otherwise to the end
/// of the line, stopping before a comment, and (in a flow collection) before `,`, `]` or `}`.
/// At least one.
fn underline(shown: &str, at: usize) -> usize {
    let chars: Vec<char> = shown.chars().collect();
    let Some(&first) = chars.get(at) else {
        return 1;
    };
    let rest = &chars[at..];
    if first == '"' || first == '\'' {
        let mut i = 1;
        while i < rest.len() {
            if rest[i] == '\\' && first == '"' {
                i += 2;
                continue;
            }
            if rest[i] == first {
                if first == '\'' && rest.get(i + 1) == Some(&'\'') {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i += 1;
        }
        return rest.len().max(1);
    }
    let in_flow = chars[..at].iter().any(|c| matches!(c, '[' | '{'));
    let mut end = rest.len();
    for (i, w) in rest.iter().enumerate() {
        let space_before = i == 0 || rest[i - 1].is_whitespace();
        if *w == '#' && space_before && i > 0 {
            end = i;
            break;
        }
        if in_flow && matches!(w, ',' | ']' | '}') && i > 0 {
            end = i;
            break;
        }
    }
    let trimmed = rest[..end].iter().rposition(|c| !c.is_whitespace());
    trimmed.map_or(1, |i| i + 1)
}

pub(crate) fn write(
    report: &Report,
    look: Look,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let paint = Paint { on: look.color };
    let mut out = String::new();
    // Where each character of the last long line starts, found once for all its findings.
    for packet in &report.packets {
        w.write_all(out.as_bytes())?;
        out.clear();
        let mut starts: Option<(u32, Vec<usize>)> = None;
        for f in &packet.findings {
            let _ = writeln!(
                out,
                "{}{}{}: {}",
                if f.waived.is_some() {
                    paint.wrap("2", "waived ")
                } else {
                    String::new()
                },
                paint.severity(f.severity),
                paint.wrap("1", &format!("[{}]", f.rule)),
                paint.wrap("1", &f.message)
            );
            let gutter = f.line.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(
                out,
                "{pad}{} {}:{}:{}",
                paint.wrap("34", "-->"),
                packet.path,
                f.line,
                f.column
            );
            if let Some(src) = packet.lines.get(&f.line) {
                let bar = paint.wrap("34", "|");
                let (shown, caret) = snippet(src, f.line, f.column, &mut starts);
                let marks = "^".repeat(underline(&shown, caret.chars().count()));
                let _ = writeln!(out, "{pad} {bar}");
                let _ = writeln!(
                    out,
                    "{} {bar} {shown}",
                    paint.wrap("34", &f.line.to_string()),
                );
                let _ = writeln!(out, "{pad} {bar} {caret}{}", paint.wrap("1;31", &marks));
            }
            if let Some(field) = &f.field {
                let _ = writeln!(out, "{pad} = field: {field}");
            }
            if let Some(w) = &f.waived {
                let _ = writeln!(
                    out,
                    "{pad} = {} by {} until {} ({}): {}",
                    paint.wrap("1", "waived"),
                    w.owner,
                    w.expires,
                    w.source,
                    w.reason
                );
            }
            let _ = writeln!(out, "{pad} = {} {}\n", paint.wrap("1", "fix:"), f.fix);
            // Written as it goes: a packet with thousands of findings is not held whole.
            if out.len() > 1 << 16 {
                w.write_all(out.as_bytes())?;
                out.clear();
            }
        }
    }
    for packet in report
        .packets
        .iter()
        .filter(|p| !look.quiet || p.verdict == Verdict::Fail)
    {
        let mark = match packet.verdict {
            Verdict::Pass => paint.wrap("1;32", "PASS"),
            Verdict::Fail => paint.wrap("1;31", "FAIL"),
        };
        let count = |s| {
            packet
                .findings
                .iter()
                .filter(|f| f.severity == s && f.counts())
                .count()
        };
        let mut parts = Vec::new();
        for (s, word) in [
            (Severity::Error, "error"),
            (Severity::Warning, "warning"),
            (Severity::Notice, "notice"),
        ] {
            if count(s) > 0 {
                parts.push(plural(count(s), word));
            }
        }
        let waived = packet.findings.iter().filter(|f| !f.counts()).count();
        if waived > 0 {
            parts.push(format!("{waived} waived"));
        }
        let kind = packet.kind.as_deref().unwrap_or("unknown kind");
        let detail = if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(", "))
        };
        let _ = writeln!(out, "{mark} {} ({kind}){detail}", packet.path);
    }
    if let Some(links) = report.links.as_ref().filter(|_| !look.quiet) {
        link_table(links, &paint, &mut out);
    }
    let total = report.packets.len();
    let failed = report.failed();
    let _ = writeln!(
        out,
        "\n{}: {} checked, {} passed, {} failed; {}, {}, {}",
        match report.verdict {
            Verdict::Pass => paint.wrap("1;32", "pass"),
            Verdict::Fail => paint.wrap("1;31", "fail"),
        },
        plural(total, "packet"),
        total - failed,
        failed,
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.count(Severity::Notice), "notice"),
    );
    if report.waived() > 0 {
        out.pop();
        let _ = writeln!(out, "; {} waived", report.waived());
    }
    if look.quiet {
        return w.write_all(out.as_bytes());
    }
    if total == 0 {
        let _ = writeln!(
            out,
            "no packets found (a packet is a .yaml/.yml/.md file that declares `packet:`)"
        );
    }
    let _ = writeln!(
        out,
        "config: {}",
        report.config.as_deref().unwrap_or("built-in")
    );
    let _ = writeln!(
        out,
        "dates judged as of {} (fail level: {})",
        report.today, report.fail_on
    );
    if let Some(why) = &report.links_not_opened {
        let _ = writeln!(out, "links were not opened: {why}");
    }
    w.write_all(out.as_bytes())
}

/// One line per distinct link: problems first, then the ones that opened.
fn link_table(links: &LinkReport, paint: &Paint, out: &mut String) {
    if links.results.is_empty() {
        let _ = writeln!(out, "\nlinks: none cited");
        return;
    }
    let _ = writeln!(
        out,
        "\nlinks: {} checked in {:.1} s: {} ok, {} dead, {} unverified, {} refused, {} excluded",
        links.results.len(),
        links.elapsed.as_secs_f64(),
        links.count(Status::Ok),
        links.count(Status::Dead),
        links.count(Status::Unverified),
        links.count(Status::Refused),
        links.count(Status::Excluded),
    );
    let rank = |s: Status| match s {
        Status::Dead => 0,
        Status::Unverified => 1,
        Status::Refused => 2,
        Status::Excluded => 3,
        Status::Ok => 4,
    };
    let mut rows: Vec<_> = links.results.values().collect();
    rows.sort_by(|a, b| (rank(a.status), &a.url).cmp(&(rank(b.status), &b.url)));
    for r in rows {
        let status = format!("{:<10}", r.status.as_str());
        let status = match r.status {
            Status::Ok => paint.wrap("32", &status),
            Status::Dead => paint.wrap("1;31", &status),
            Status::Unverified | Status::Refused => paint.wrap("33", &status),
            Status::Excluded => status,
        };
        let time = if r.cached {
            "cached".to_string()
        } else {
            format!("{} ms", r.ms)
        };
        let mut line = format!("  {status} {:>2}x {time:>8}  {}", r.attempts, r.url);
        if let Some(end) = r.final_url.as_deref().filter(|f| *f != r.url) {
            line.push_str(&format!(" -> {end}"));
        }
        if r.status != Status::Ok || r.tracking_hop.is_some() {
            line.push_str(&format!("  ({})", r.reason));
        }
        let _ = writeln!(out, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::underline;

    #[test]
    fn underlines_the_whole_token() {
        fn marks(line: &str, at: usize) -> &str {
            &line[at..at + underline(line, at)]
        }
        assert_eq!(
            marks("decision_note: \"needs more work\"", 15),
            "\"needs more work\""
        );
        assert_eq!(marks("a: 'it''s' # c", 3), "'it''s'");
        assert_eq!(marks("status: approved   # why", 8), "approved");
        assert_eq!(marks("url: http://x/#frag", 5), "http://x/#frag");
        assert_eq!(marks("k: [one, two]", 9), "two");
        assert_eq!(marks("packet: budget-change", 0), "packet: budget-change");
        assert_eq!(underline("x", 5), 1);
        assert_eq!(underline("k:   ", 3), 1);
    }
}
