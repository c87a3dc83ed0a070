//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per
//! finding, on the exact file and line, then a plain summary line.

use crate::engine::Report;
use crate::finding::Severity;
use std::fmt::Write as _;

/// Escapes a command's message (`%`, CR, LF).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property: the message escapes plus `:` and `,`.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(crate) fn write(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = String::new();
    for packet in &report.packets {
        w.write_all(out.as_bytes())?;
        out.clear();
        for f in &packet.findings {
            // A waived finding stays visible, as a notice that says who accepted it.
            let cmd = match f.severity {
                _ if f.waived.is_some() => "notice",
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Notice => "notice",
            };
            let mut title = match &f.field {
                Some(field) => format!("{} ({field})", f.rule),
                None => f.rule.clone(),
            };
            let mut message = format!("{}\nfix: {}", f.message, f.fix);
            if let Some(w) = &f.waived {
                title = format!("waived {}: {title}", f.severity);
                message.push_str(&format!(
                    "\nwaived by {} until {} ({}): {}",
                    w.owner, w.expires, w.source, w.reason
                ));
            }
            let _ = writeln!(
                out,
                "::{cmd} file={},line={},col={},title={}::{}",
                escape_property(&crate::place::from_root(&packet.path)),
                f.line,
                f.column,
                escape_property(&title),
                escape_data(&message)
            );
        }
    }
    let failed = report.failed();
    let waived = match report.waived() {
        0 => String::new(),
        n => format!(", {n} waived"),
    };
    let _ = writeln!(
        out,
        "packetgate: {failed} of {} failed ({}, {}, {}{waived})",
        crate::text::plural(report.packets.len(), "packet"),
        crate::text::plural(report.count(Severity::Error), "error"),
        crate::text::plural(report.count(Severity::Warning), "warning"),
        crate::text::plural(report.count(Severity::Notice), "notice")
    );
    w.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_runner_expects() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
