//! The report assembled from its packets: sorted, each verdict recomputed, the summary and
//! the health. An audit run and `audit merge` both end here.

use super::health;
use super::model::{Audit, Header, Links, Packet, Summary, VERSION};
use crate::finding::{Severity, Verdict};

impl Audit {
    /// The report over `packets`: sorted by repository and path, the summary, the verdict
    /// and the health computed from them. Both an audit run and `audit merge` end here.
    pub(crate) fn assemble(
        header: Header,
        today: crate::dates::Date,
        fail_on: Severity,
        config: Option<String>,
        links: Links,
        mut packets: Vec<Packet>,
    ) -> Audit {
        packets.sort_by(|a, b| (&a.repository, &a.path).cmp(&(&b.repository, &b.path)));
        // A packet whose findings fail it fails, whatever a report read back says of it.
        for p in &mut packets {
            if Verdict::of(&p.findings, fail_on) == Verdict::Fail {
                p.verdict = Verdict::Fail;
            }
        }
        let findings = || packets.iter().flat_map(|p| &p.findings);
        let count = |s: Severity| findings().filter(|f| f.severity == s && f.counts()).count();
        let failed = packets
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
            .count();
        let summary = Summary {
            packets: packets.len(),
            passed: packets.len() - failed,
            failed,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notices: count(Severity::Notice),
            waived: findings().filter(|f| !f.counts()).count(),
            fail_on,
        };
        let health = health::compute(&packets, today, fail_on, &header);
        Audit {
            version: VERSION,
            verdict: if failed > 0 {
                Verdict::Fail
            } else {
                Verdict::Pass
            },
            packets,
            summary,
            today: today.to_string(),
            config,
            links,
            audit: header,
            health,
        }
    }
}
