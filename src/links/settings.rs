//! The `links:` section of `.packetgate.yml`: limits, timeouts, retries, the safety switch,
//! exclusions, the cache and per-host settings. Read and validated with the rest of the
//! config, so a typo here is a config error with its line (exit 2), like any other.

use super::guard::{Allow, Network};
use crate::config::decode::{Entries, Entry, Problems};
use regex::Regex;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) const KEYS: &[&str] = &[
    "concurrency",
    "per_host",
    "timeout_secs",
    "connect_timeout_secs",
    "retries",
    "backoff_ms",
    "retry_after_max_secs",
    "budget_secs",
    "max_redirects",
    "body_bytes",
    "allow_private",
    "exclude",
    "cache",
    "hosts",
];
const CACHE_KEYS: &[&str] = &["path", "max_age_hours"];
const HOST_KEYS: &[&str] = &["per_host", "headers"];

/// Settings for one host (`links.hosts.NAME`).
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// Host name, or `host:port`, lower-cased (an `https://` in the key is left out).
    pub host: String,
    /// The one origin the headers go to: `https://host:port` (port 443 unless the key names
    /// one), as the URL parser writes it.
    pub origin: Option<url::Origin>,
    pub per_host: Option<usize>,
    /// Extra request headers; `${VAR}` in a value is read from the environment at run time.
    /// Sent only over https, to [`HostSettings::origin`], on a chain of hops that never left it.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub path: PathBuf,
    pub max_age: Duration,
}

#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub concurrency: usize,
    pub per_host: usize,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub retry_after_max: Duration,
    pub budget: Duration,
    pub max_redirects: usize,
    pub body_bytes: usize,
    pub allow: Allow,
    pub exclude: Vec<Regex>,
    pub cache: Option<CacheSettings>,
    pub hosts: Vec<HostSettings>,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            concurrency: 32,
            per_host: 4,
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(500),
            retry_after_max: Duration::from_secs(30),
            budget: Duration::from_secs(300),
            max_redirects: 10,
            body_bytes: 64 * 1024,
            allow: Allow::None,
            exclude: Vec::new(),
            cache: None,
            hosts: Vec::new(),
        }
    }
}

impl LinkSettings {
    pub fn host(&self, host: &str) -> Option<&HostSettings> {
        self.hosts.iter().find(|h| h.host == host)
    }

    /// The headers configured for exactly this origin (https only), if any.
    pub fn headers_for(&self, origin: &url::Origin) -> &[(String, String)] {
        self.hosts
            .iter()
            .find(|h| h.origin.as_ref() == Some(origin))
            .map_or(&[], |h| h.headers.as_slice())
    }

    pub fn excluded(&self, url: &str) -> bool {
        self.exclude.iter().any(|r| r.is_match(url))
    }
}

/// A duration in seconds, fractions allowed (`0.5`).
fn seconds(e: Entry<'_>, p: &mut Problems) -> Option<Duration> {
    let n = e
        .value
        .as_str()
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 0.0 && *n <= 86_400.0);
    if n.is_none() {
        e.problem(
            p,
            format!(
                "`{}` must be a number of seconds (0 to 86400), found `{}`",
                e.name(),
                e.value.as_str().unwrap_or(e.value.type_name())
            ),
        );
    }
    n.map(Duration::from_secs_f64)
}

fn positive(m: &mut Entries<'_>, key: &str, p: &mut Problems) -> Option<usize> {
    let e = m.take(key)?;
    let n = e.number(p)?;
    if n == 0 {
        e.problem(p, format!("`{key}` must be at least 1"));
        return None;
    }
    Some(n.min(100_000) as usize)
}

/// Reads `links:` into `s`, reporting every problem.
pub(crate) fn decode(entry: Entry<'_>, s: &mut LinkSettings, p: &mut Problems) {
    let Some(mut m) = entry.map("`links`", p) else {
        return;
    };
    if let Some(n) = positive(&mut m, "concurrency", p) {
        s.concurrency = n;
    }
    if let Some(n) = positive(&mut m, "per_host", p) {
        s.per_host = n;
    }
    for (key, slot) in [
        ("timeout_secs", &mut s.timeout),
        ("connect_timeout_secs", &mut s.connect_timeout),
        ("retry_after_max_secs", &mut s.retry_after_max),
        ("budget_secs", &mut s.budget),
    ] {
        if let Some(d) = m.take(key).and_then(|e| seconds(e, p)) {
            *slot = d;
        }
    }
    if let Some(n) = m.number("retries", p) {
        s.retries = n.min(10) as u32;
    }
    if let Some(n) = m.number("backoff_ms", p) {
        s.backoff = Duration::from_millis(n.min(60_000));
    }
    if let Some(n) = m.number("max_redirects", p) {
        s.max_redirects = n.min(50) as usize;
    }
    if let Some(n) = positive(&mut m, "body_bytes", p) {
        s.body_bytes = n;
    }
    if let Some(e) = m.take("allow_private") {
        s.allow = match e.value.as_bool() {
            Some(true) => Allow::All,
            Some(false) => Allow::None,
            None => {
                let mut nets = Vec::new();
                for (text, pos) in e.texts(p).unwrap_or_default() {
                    match Network::parse(text) {
                        Ok(n) => nets.push(n),
                        Err(msg) => p.push(e.file, pos, format!("`allow_private`: {msg}")),
                    }
                }
                Allow::Networks(nets)
            }
        };
    }
    if let Some(e) = m.take("exclude") {
        for (text, pos) in e.texts(p).unwrap_or_default() {
            match Regex::new(text) {
                Ok(r) => s.exclude.push(r),
                Err(err) => p.push(e.file, pos, format!("`exclude`: bad regex: {err}")),
            }
        }
    }
    if let Some(e) = m.take("cache") {
        if let Some(mut c) = e.map("`links.cache`", p) {
            let path = c
                .require("path", "`links.cache`", p)
                .and_then(|x| x.text(p));
            let hours = c.number("max_age_hours", p).unwrap_or(24);
            c.finish(CACHE_KEYS, "`links.cache`", p);
            if let Some(path) = path {
                s.cache = Some(CacheSettings {
                    path: PathBuf::from(path),
                    max_age: Duration::from_secs(hours.min(24 * 365) * 3600),
                });
            }
        }
    }
    if let Some(e) = m.take("hosts") {
        if let Some(hosts) = e.map("`links.hosts`", p) {
            for item in hosts.items.clone() {
                let Some(mut h) = item.map("a `links.hosts` entry", p) else {
                    continue;
                };
                let per_host = positive(&mut h, "per_host", p);
                let mut headers = Vec::new();
                if let Some(he) = h.take("headers") {
                    if let Some(hm) = he.map("`headers`", p) {
                        for header in &hm.items {
                            let name = header.name();
                            let valid_name =
                                reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok();
                            match header.text(p) {
                                Some(v) if valid_name => {
                                    headers.push((name.to_string(), v.to_string()))
                                }
                                Some(_) => header
                                    .problem(p, format!("`{name}` is not a valid header name")),
                                None => {}
                            }
                        }
                    }
                }
                h.finish(HOST_KEYS, "a `links.hosts` entry", p);
                let name = item.name().to_ascii_lowercase();
                let host = name.strip_prefix("https://").unwrap_or(&name);
                let origin = url::Url::parse(&format!("https://{host}/"))
                    .ok()
                    .filter(|u| u.path() == "/" && !host.contains(['/', '@', '?', '#']))
                    .map(|u| u.origin());
                if origin.is_none() {
                    item.problem(
                        p,
                        format!(
                            "`{name}` is not a host (`docs.example.com`, `docs.example.com:8443` or `https://docs.example.com`); headers are only ever sent over https"
                        ),
                    );
                    continue;
                }
                s.hosts.push(HostSettings {
                    host: host.to_string(),
                    origin,
                    per_host,
                    headers,
                });
            }
        }
    }
    m.finish(KEYS, "`links`", p);
}

/// `${VAR}` in a header value, from the environment (an unset variable is empty).
pub(crate) fn expand_env(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find('}') {
            Some(end) => {
                let name = &rest[start + 2..start + 2 + end];
                out.push_str(&std::env::var(name).unwrap_or_default());
                rest = &rest[start + 3 + end..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_expand() {
        std::env::set_var("PG_TEST_TOKEN", "abc");
        assert_eq!(expand_env("Bearer ${PG_TEST_TOKEN}!"), "Bearer abc!");
        assert_eq!(expand_env("${PG_UNSET_VAR_X}x"), "x");
        assert_eq!(expand_env("a ${b"), "a ${b");
    }
}
