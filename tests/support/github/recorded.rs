//! What a test reads back from the fake: every request as received ([`Recorded`]) and the
//! check runs as they stand after all requests ([`CheckRun`], [`Annotation`]).

use serde_json::Value;

use super::util::parse_query;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Without the `/api/v3` prefix (as sent when the prefix was missing) and the query.
    pub path: String,
    /// The raw query string without `?` (`""` if none).
    pub query: String,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The JSON body; `Null` if there was none, a `String` if it was not JSON.
    pub body: Value,
    /// The status answered; 0 while in flight or when the connection was dropped.
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        parse_query(&self.query)
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// A check run as it stands after all requests.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    /// queued | in_progress | completed
    pub status: String,
    pub conclusion: Option<String>,
    pub details_url: Option<String>,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    /// Every annotation sent, create and updates together (GitHub appends them).
    pub annotations: Vec<Annotation>,
    pub(super) started_at: String,
    pub(super) completed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub path: String,
    pub start_line: u64,
    pub end_line: u64,
    pub start_column: Option<u64>,
    pub end_column: Option<u64>,
    /// notice | warning | failure
    pub annotation_level: String,
    pub message: String,
    pub title: Option<String>,
    pub raw_details: Option<String>,
}

impl Annotation {
    /// From a request entry that already passed schema validation.
    pub(super) fn from_json(v: &Value) -> Annotation {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let n = |k: &str| v[k].as_u64();
        Annotation {
            path: s("path").unwrap_or_default(),
            start_line: n("start_line").unwrap_or(0),
            end_line: n("end_line").unwrap_or(0),
            start_column: n("start_column"),
            end_column: n("end_column"),
            annotation_level: s("annotation_level").unwrap_or_default(),
            message: s("message").unwrap_or_default(),
            title: s("title"),
            raw_details: s("raw_details"),
        }
    }
}
