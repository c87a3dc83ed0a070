//! The SSRF guard: which addresses packetgate may open. A packet is untrusted input (it comes
//! from a pull request), so by default no request goes to loopback, private, link-local
//! (cloud metadata at 169.254.169.254), CGNAT, unique-local, multicast, reserved or
//! unspecified addresses. The check runs on the addresses DNS returns, inside the resolver the
//! HTTP client connects with, so there is no gap between checking a name and connecting to it.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address is not opened, or `None` when it is public.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b) {
        _ if ip.is_unspecified() || a == 0 => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        (10, _) | (192, 168) => "a private address",
        (172, b) if (16..=31).contains(&b) => "a private address",
        (169, 254) => "a link-local address (cloud metadata lives here)",
        (100, b) if (64..=127).contains(&b) => "a carrier-grade NAT address",
        (192, 0) if c == 0 || c == 2 => "a reserved address",
        (198, 18 | 19) => "a benchmarking address",
        (198, 51) if c == 100 => "a documentation address",
        (203, 0) if c == 113 => "a documentation address",
        _ if ip.is_multicast() => "a multicast address",
        _ if a >= 240 => "a reserved address",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    // Addresses that carry an IPv4 address inside: judge the IPv4 one.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    if seg[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        // IPv4-compatible (deprecated) `::a.b.c.d`.
        return forbidden_v4(Ipv4Addr::from(u128::from(ip) as u32));
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 `64:ff9b::a.b.c.d`.
        let v4 = (u32::from(seg[6]) << 16) | u32::from(seg[7]);
        return forbidden_v4(Ipv4Addr::from(v4));
    }
    Some(match seg[0] {
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        s if s & 0xfe00 == 0xfc00 => "a unique-local address",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xffc0 == 0xfec0 => "a site-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        0x2001 if seg[1] == 0x0db8 => "a documentation address",
        _ => return None,
    })
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
pub enum DnsFailure {
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
pub struct GuardedResolver {
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

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(forbidden(ip(bad)).is_some(), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "8.8.8.8",
        ] {
            assert_eq!(forbidden(ip(good)), None, "{good}");
        }
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
