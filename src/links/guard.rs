//! The SSRF guard: which addresses packetgate may open. A packet is untrusted input (it comes
//! from a pull request), so by default no request goes to an address the IANA special-purpose
//! registries call not globally reachable (loopback, private, link-local with the cloud
//! metadata at 169.254.169.254, CGNAT, unique-local, IPv4-mapped, local-use NAT64, …), nor to
//! multicast or IPv6 outside `2000::/3` ([`super::iana`] holds the rows). The check runs on the addresses DNS returns, inside the resolver the
//! HTTP client connects with, so there is no gap between checking a name and connecting to it.

use super::iana::{self, Reach};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address is not opened, or `None` when it is public: the most specific row of the
/// IANA special-purpose registries ([`super::iana`]) that covers it decides.
pub(crate) fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    match iana::row_v4(ip)?.reach {
        Reach::Global => None,
        Reach::Refused(why) => Some(why),
        // No IPv4 row embeds another address.
        Reach::Embeds(_) => Some("a reserved address"),
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    match iana::row_v6(ip).map(|r| r.reach) {
        Some(Reach::Global) => None,
        Some(Reach::Refused(why)) => Some(why),
        Some(Reach::Embeds(offset)) => forbidden_v4(iana::embedded(ip, offset)),
        None if ip.segments()[0] & 0xe000 != 0x2000 => Some(iana::NOT_GLOBAL_UNICAST),
        None => None,
    }
}

/// Addresses the repository allows despite the rules above (`links.allow_private`).
#[derive(Debug, Clone, Default)]
pub enum Allow {
    /// Nothing private is opened (the default).
    #[default]
    None,
    /// Every address is opened (intranet documentation).
    All,
    /// These networks are opened.
    Networks(Vec<Network>),
}

/// An address range in CIDR form (`10.0.0.0/8`, `::1/128`); a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl Allow {
    /// Why this address is refused, or `None` when it may be opened.
    pub fn refuses(&self, ip: IpAddr) -> Option<&'static str> {
        let why = forbidden(ip)?;
        match self {
            Allow::All => None,
            Allow::Networks(nets) if nets.iter().any(|n| n.contains(ip)) => None,
            _ => Some(why),
        }
    }
}

/// What the resolver says when it will not connect, found again in the client's error chain.
#[derive(Debug)]
pub(crate) enum DnsFailure {
    /// Every address the name resolves to is refused.
    Refused {
        host: String,
        ip: IpAddr,
        why: &'static str,
    },
    /// The name does not exist (or has no addresses).
    NotFound { host: String, detail: String },
}

impl std::fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DnsFailure::Refused { host, ip, why } => {
                write!(f, "`{host}` resolves to {ip}, {why}")
            }
            DnsFailure::NotFound { host, detail } => {
                write!(f, "DNS name `{host}` does not resolve ({detail})")
            }
        }
    }
}

impl std::error::Error for DnsFailure {}

/// The resolver the HTTP client connects through: the system's lookup, then the guard.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    pub allow: Arc<Allow>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = Arc::clone(&self.allow);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let lookup = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect::<Vec<SocketAddr>>());
            let found = match lookup {
                Ok(addrs) => addrs,
                Err(e) => {
                    return Err(Box::new(DnsFailure::NotFound {
                        host,
                        detail: e.to_string(),
                    })
                        as Box<dyn std::error::Error + Send + Sync>)
                }
            };
            let mut refused = None;
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| match allow.refuses(a.ip()) {
                    Some(why) => {
                        refused.get_or_insert((a.ip(), why));
                        false
                    }
                    None => true,
                })
                .collect();
            match (kept.is_empty(), refused) {
                (false, _) => Ok(Box::new(kept.into_iter()) as Addrs),
                (true, Some((ip, why))) => {
                    Err(Box::new(DnsFailure::Refused { host, ip, why }) as _)
                }
                (true, None) => Err(Box::new(DnsFailure::NotFound {
                    host,
                    detail: "no addresses".into(),
                }) as _),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// The guard as a table: every row of the IANA registries (an address inside it, and
    /// one at each edge where the edge is not another row), and what becomes of it.
    const TABLE: &[(&str, Option<&str>)] = &[
        // IPv4 special-purpose registry
        ("0.0.0.0", Some("an unspecified address")),
        ("0.255.255.255", Some("an unspecified address")),
        ("1.0.0.0", None),
        ("10.0.0.0", Some("a private address")),
        ("10.255.255.255", Some("a private address")),
        ("11.0.0.0", None),
        ("100.63.255.255", None),
        ("100.64.0.0", Some("a carrier-grade NAT address")),
        ("100.127.255.255", Some("a carrier-grade NAT address")),
        ("100.128.0.0", None),
        ("127.0.0.1", Some("a loopback address")),
        ("127.255.255.254", Some("a loopback address")),
        (
            "169.254.169.254",
            Some("a link-local address (cloud metadata lives here)"),
        ),
        ("172.15.255.255", None),
        ("172.16.0.1", Some("a private address")),
        ("172.31.255.255", Some("a private address")),
        ("172.32.0.0", None),
        (
            "192.0.0.1",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        (
            "192.0.0.8",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        ("192.0.0.9", None),
        ("192.0.0.10", None),
        (
            "192.0.0.11",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        (
            "192.0.0.170",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        (
            "192.0.0.171",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        ("192.0.1.0", None),
        ("192.0.2.1", Some("a documentation address")),
        ("192.31.196.1", None),
        ("192.52.193.1", None),
        (
            "192.88.99.1",
            Some("a deprecated 6to4 relay anycast address"),
        ),
        (
            "192.88.99.2",
            Some("a deprecated 6to4 relay anycast address"),
        ),
        ("192.168.1.1", Some("a private address")),
        ("192.175.48.1", None),
        ("198.17.255.255", None),
        ("198.18.0.1", Some("a benchmarking address")),
        ("198.19.255.255", Some("a benchmarking address")),
        ("198.20.0.0", None),
        ("198.51.100.7", Some("a documentation address")),
        ("203.0.113.7", Some("a documentation address")),
        ("223.255.255.255", None),
        ("224.0.0.1", Some("a multicast address")),
        ("239.255.255.255", Some("a multicast address")),
        ("240.0.0.1", Some("a reserved address")),
        ("255.255.255.254", Some("a reserved address")),
        ("255.255.255.255", Some("the limited broadcast address")),
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        // IPv6 special-purpose registry
        ("::1", Some("a loopback address")),
        ("::", Some("an unspecified address")),
        (
            "::ffff:8.8.8.8",
            Some("an IPv4-mapped address (not globally reachable)"),
        ),
        (
            "::ffff:127.0.0.1",
            Some("an IPv4-mapped address (not globally reachable)"),
        ),
        (
            "::ffff:169.254.169.254",
            Some("an IPv4-mapped address (not globally reachable)"),
        ),
        ("64:ff9b::8.8.8.8", None),
        ("64:ff9b::a00:1", Some("a private address")),
        (
            "64:ff9b::169.254.169.254",
            Some("a link-local address (cloud metadata lives here)"),
        ),
        (
            "64:ff9b:1::8.8.8.8",
            Some("a local-use IPv4/IPv6 translation address"),
        ),
        (
            "64:ff9b:1:ffff::1",
            Some("a local-use IPv4/IPv6 translation address"),
        ),
        ("100::1", Some("a discard-only address")),
        ("100:0:0:1::1", Some("a dummy address")),
        ("2001::1", Some("a Teredo address (not globally reachable)")),
        (
            "2001:0:4136:e378::1",
            Some("a Teredo address (not globally reachable)"),
        ),
        ("2001:1::1", None),
        ("2001:1::2", None),
        ("2001:1::3", None),
        (
            "2001:1::4",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        ("2001:2::1", Some("a benchmarking address")),
        ("2001:3::1", None),
        ("2001:4:112::1", None),
        (
            "2001:4:113::1",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        ("2001:10::1", Some("a deprecated ORCHID address")),
        ("2001:20::1", None),
        ("2001:30::1", None),
        (
            "2001:1ff::1",
            Some("an IETF protocol address (not globally reachable)"),
        ),
        ("2001:200::1", None),
        ("2001:db8::1", Some("a documentation address")),
        ("2002:808:808::1", None),
        ("2002:7f00:1::1", Some("a loopback address")),
        (
            "2002:a9fe:a9fe::",
            Some("a link-local address (cloud metadata lives here)"),
        ),
        ("2620:4f:8000::1", None),
        ("3fff::1", Some("a documentation address")),
        ("3fff:fff::1", Some("a documentation address")),
        ("3fff:1000::1", None),
        ("5f00::1", Some("a segment-routing address")),
        ("fc00::1", Some("a unique-local address")),
        ("fd12:3456::1", Some("a unique-local address")),
        ("fe80::1", Some("a link-local address")),
        ("febf::1", Some("a link-local address")),
        ("ff02::1", Some("a multicast address")),
        // The IPv6 address space outside 2000::/3
        ("::ffff:0:7f00:1", Some(iana::NOT_GLOBAL_UNICAST)), // IPv4-translated 127.0.0.1
        ("::ffff:0:808:808", Some(iana::NOT_GLOBAL_UNICAST)),
        ("::a00:1", Some(iana::NOT_GLOBAL_UNICAST)), // IPv4-compatible 10.0.0.1
        ("::8.8.8.8", Some(iana::NOT_GLOBAL_UNICAST)),
        ("fec0::1", Some(iana::NOT_GLOBAL_UNICAST)),
        ("4000::1", Some(iana::NOT_GLOBAL_UNICAST)),
        ("1fff:ffff::1", Some(iana::NOT_GLOBAL_UNICAST)),
        ("2606:4700::1111", None),
        ("2a00:1450:4001::200e", None),
    ];

    #[test]
    fn the_guard_follows_the_iana_registries() {
        let wrong: Vec<String> = TABLE
            .iter()
            .filter(|(addr, want)| forbidden(ip(addr)) != *want)
            .map(|(addr, want)| format!("{addr}: want {want:?}, got {:?}", forbidden(ip(addr))))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn no_registry_row_is_written_twice_or_with_host_bits() {
        // A duplicate would shadow its twin; host bits past the prefix would be a typo.
        let mut rows: Vec<(u128, u8)> = iana::V4
            .iter()
            .map(|r| (u128::from(u32::from(r.net)), r.prefix))
            .collect();
        for (bits, prefix) in &rows {
            assert_eq!(
                bits & (u128::from(u32::MAX) >> prefix),
                0,
                "{bits:x}/{prefix}"
            );
        }
        let v6: Vec<(u128, u8)> = iana::V6
            .iter()
            .map(|r| (u128::from(r.net), r.prefix))
            .collect();
        for (bits, prefix) in &v6 {
            let host = u128::MAX.checked_shr(u32::from(*prefix)).unwrap_or(0);
            assert_eq!(bits & host, 0, "{bits:x}/{prefix}");
        }
        let n = rows.len();
        rows.sort_unstable();
        rows.dedup();
        assert_eq!(rows.len(), n, "a duplicated IPv4 row");
        let mut v6 = v6;
        let n = v6.len();
        v6.sort_unstable();
        v6.dedup();
        assert_eq!(v6.len(), n, "a duplicated IPv6 row");
    }

    #[test]
    fn allow_lists_open_only_their_networks() {
        let allow = Allow::Networks(vec![
            Network::parse("127.0.0.1").unwrap(),
            Network::parse("10.0.0.0/8").unwrap(),
        ]);
        assert_eq!(allow.refuses(ip("127.0.0.1")), None);
        assert_eq!(allow.refuses(ip("::ffff:127.0.0.1")), None);
        assert_eq!(allow.refuses(ip("10.200.1.1")), None);
        assert!(allow.refuses(ip("127.0.0.2")).is_some());
        assert!(allow.refuses(ip("169.254.169.254")).is_some());
        assert_eq!(allow.refuses(ip("8.8.8.8")), None);
        assert_eq!(Allow::All.refuses(ip("169.254.169.254")), None);
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("intranet").is_err());
        assert!(Network::parse("::/0").unwrap().contains(ip("fe80::1")));
    }
}
