//! Rules the engine applies before any policy: problems with the file itself. Their ids are
//! fixed (a policy cannot be chosen for a file that cannot be read), and their docs live here
//! so `packetgate explain` and SARIF describe them like policy rules.

pub(crate) const FILE_TOO_LARGE: &str = "file-too-large";
pub(crate) const FILE_ENCODING: &str = "file-encoding";
pub(crate) const FILE_UNREADABLE: &str = "file-unreadable";
pub(crate) const FRONT_MATTER: &str = "front-matter";
pub(crate) const YAML_SYNTAX: &str = "yaml-syntax";
pub(crate) const YAML_LIMITS: &str = "yaml-limits";
pub(crate) const YAML_DUPLICATE_KEY: &str = "yaml-duplicate-key";
pub(crate) const PACKET_SHAPE: &str = "packet-shape";
pub(crate) const PACKET_KIND: &str = "packet-kind";
pub(crate) const LIMIT_PACKETS: &str = "limit-packets";
pub(crate) const LIMIT_LINKS: &str = "limit-links";
pub(crate) const LIMIT_TIME: &str = "limit-time";
pub(crate) const REPOSITORY_UNREADABLE: &str = "repository-unreadable";

#[derive(Debug, Clone, Copy)]
pub(crate) struct CoreRule {
    pub id: &'static str,
    pub summary: &'static str,
    pub doc: &'static str,
}

pub(crate) const CORE_RULES: &[CoreRule] = &[
    CoreRule {
        id: FILE_UNREADABLE,
        summary: "The packet file could not be read",
        doc: "What: the file named as a packet could not be opened or read (missing, a folder, \
              no permission).\nWhy: a packet the gate cannot read cannot be approved.\n\
              Example: `packetgate check budget-changes/missing.md` on a path that does not exist.",
    },
    CoreRule {
        id: FILE_TOO_LARGE,
        summary: "The packet file is larger than the size cap",
        doc: "What: the file is over the size cap (default 1 MiB, `limits.max_file_bytes` in the \
              config).\nWhy: a packet is one short page a budget owner reads in a review; a huge \
              file is a mistake or an attack on the gate.\nExample: a packet with a pasted billing \
              export. Move the data to a linked document.",
    },
    CoreRule {
        id: FILE_ENCODING,
        summary: "The packet is not UTF-8 text, or holds characters that display as nothing",
        doc: "What: the file is binary (NUL bytes) or not valid UTF-8 (UTF-16 with a byte-order \
              mark is accepted), or a line holds a character that displays as nothing (a \
              zero-width space, a bidirectional override, a soft hyphen, any Unicode format \
              character). The packet is still judged, read without those characters.\nWhy: \
              reviewers and the gate must read the same text.\nExample: a packet saved in \
              Latin-1 with an accented owner name; `owner` written with a zero-width space \
              inside.",
    },
    CoreRule {
        id: FRONT_MATTER,
        summary: "Markdown packet front matter is missing or not closed",
        doc: "What: a Markdown packet must start with a line `---`, then the packet fields in \
              YAML, then a closing `---` (or `...`).\nWhy: without it the fields cannot be told \
              from the prose.\nExample:\n    ---\n    packet: budget-change\n    change_id: \
              CHG-2026-0142\n    ---\n    Prose follows.",
    },
    CoreRule {
        id: YAML_SYNTAX,
        summary: "The packet's YAML does not parse",
        doc: "What: the YAML (the whole file, or the Markdown front matter) is malformed; the \
              finding points at the line where the parser stopped.\nWhy: fields that cannot be \
              read cannot be checked.\nExample: `owner: [finops` (unclosed list), or a value \
              starting with `<` or containing `: ` that is not quoted.",
    },
    CoreRule {
        id: YAML_LIMITS,
        summary: "The packet's YAML is nested too deep or expands too far",
        doc: "What: more than 64 levels of nesting, or more than 50,000 values counting every \
              alias expansion.\nWhy: a packet is a short list of fields; deeper structures are \
              either mistakes or a denial-of-service attempt on the gate (\"billion laughs\").\n\
              Example: `a: &a [x, x]` `b: &b [*a, *a]` … repeated ten times.",
    },
    CoreRule {
        id: YAML_DUPLICATE_KEY,
        summary: "A field is written twice",
        doc: "What: the same key appears twice in one mapping; YAML forbids it and most tools \
              silently keep one of the values.\nWhy: the reviewer may read one value while the \
              tooling reads another. packetgate reads the first and reports the second.\n\
              Example: two `owner:` lines in one packet.",
    },
    CoreRule {
        id: PACKET_SHAPE,
        summary: "The packet is empty, not a mapping, or holds several documents",
        doc: "What: a packet is one YAML mapping (`field: value` lines). An empty file, a \
              top-level list or scalar, or several `---` documents in one file is not.\nWhy: the \
              gate judges one packet per file.\nExample: a file starting with `- packet: \
              budget-change`.",
    },
    CoreRule {
        id: PACKET_KIND,
        summary: "The packet does not name a known kind",
        doc: "What: every packet names its kind in `packet:` (`budget-change` or `cost-trace`, \
              plus any kind a repository policy adds), unless the config assigns a kind to its \
              path. A misspelt kind gets a suggestion.\nWhy: the kind chooses the policy; a \
              packet with no policy would pass unchecked.\nExample: `packet: budget-chnage`.",
    },
    CoreRule {
        id: LIMIT_PACKETS,
        summary: "More packets than one run judges",
        doc: "What: the run found more candidate files than `limits.max_packets` (default \
              20,000); the ones past the limit are not judged, and each is this finding.\nWhy: \
              a run must end in bounded time and memory, and a file it did not judge must not \
              pass.\nExample: a pull request that adds 50,000 generated files. Raise the limit \
              in `.packetgate.yml` if the repository really holds that many packets.",
    },
    CoreRule {
        id: LIMIT_LINKS,
        summary: "More links in one packet than are opened",
        doc: "What: the packet cites more distinct links than `limits.max_links_per_packet` \
              (default 100); the links past the limit are not opened.\nWhy: evidence that was \
              not checked cannot count as checked, and one packet must not turn the link \
              checker into a crawler.\nExample: a packet that pastes a whole bookmark export \
              into its prose. Cite the few sources the change rests on.",
    },
    CoreRule {
        id: REPOSITORY_UNREADABLE,
        summary: "A repository the audit reads, or its packetgate config, could not be read",
        doc: "What: `packetgate audit --repos` could not download a repository's default branch \
              (missing, no access, an archive past the caps, a hostile archive), or the \
              repository's `.packetgate.yml` or policies are invalid. The repository's packets \
              were not judged.\nWhy: packets an audit did not read cannot count as healthy.\n\
              Example: a token without `contents: read` on one of the org's repositories.",
    },
    CoreRule {
        id: LIMIT_TIME,
        summary: "A time budget ran out before the packet or one of its links was checked",
        doc: "What: the run took longer than `limits.run_budget_secs` (default 900), or the link \
              phase longer than `links.budget_secs` (default 300); packets not yet judged then, \
              a packet whose judging the budget cut short part-way, and every cited link the \
              link phase could not finish checking are this finding, at the citation.\nWhy: a gate that never answers blocks every merge; one \
              that answers \"pass\" for what it did not judge lets anything in.\nExample: a \
              run on a slow, overloaded runner. Raise the budget, or split the packets.",
    },
];
