//! The SSRF guard's address ranges, copied from IANA's special-purpose address registries
//! (<https://www.iana.org/assignments/iana-ipv4-special-registry/> and
//! <https://www.iana.org/assignments/iana-ipv6-special-registry/>), plus multicast and, for
//! IPv6, everything outside the global unicast space `2000::/3` (the IPv6 address space
//! registry). Kept as data so a registry update is a row here and a row in the test table.
//!
//! The most specific row covering an address decides, as the registry's "Globally Reachable"
//! column reads: `192.0.0.9/32` (PCP anycast) is reachable inside the unreachable
//! `192.0.0.0/24`. Rows that carry an IPv4 address inside an IPv6 one (NAT64 `64:ff9b::/96`,
//! 6to4 `2002::/16`) hand the verdict to the embedded IPv4 address.

use std::net::{Ipv4Addr, Ipv6Addr};

/// What a registry row says about addresses in its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Globally reachable: opened.
    Global,
    /// Not globally reachable (or deprecated, "N/A"): refused, with this reason.
    Refused(&'static str),
    /// Carries an IPv4 address in the bits given (offset from the top): judge that address.
    Embeds(u32),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<A> {
    pub(crate) net: A,
    pub(crate) prefix: u8,
    pub(crate) reach: Reach,
}

const fn v4(net: [u8; 4], prefix: u8, reach: Reach) -> Row<Ipv4Addr> {
    Row {
        net: Ipv4Addr::new(net[0], net[1], net[2], net[3]),
        prefix,
        reach,
    }
}

const fn v6(seg: [u16; 8], prefix: u8, reach: Reach) -> Row<Ipv6Addr> {
    Row {
        net: Ipv6Addr::new(
            seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], seg[7],
        ),
        prefix,
        reach,
    }
}

use Reach::{Embeds, Global, Refused};

const UNSPECIFIED: Reach = Refused("an unspecified address");
const PRIVATE: Reach = Refused("a private address");
const LOOPBACK: Reach = Refused("a loopback address");
const DOCS: Reach = Refused("a documentation address");
const PROTOCOL: Reach = Refused("an IETF protocol address (not globally reachable)");

/// IANA IPv4 Special-Purpose Address Registry (and the multicast block, RFC 5771).
pub(crate) const V4: &[Row<Ipv4Addr>] = &[
    v4([0, 0, 0, 0], 8, UNSPECIFIED), // "this network", RFC 791
    v4([0, 0, 0, 0], 32, UNSPECIFIED),
    v4([10, 0, 0, 0], 8, PRIVATE), // RFC 1918
    v4([100, 64, 0, 0], 10, Refused("a carrier-grade NAT address")), // RFC 6598
    v4([127, 0, 0, 0], 8, LOOPBACK),
    v4(
        [169, 254, 0, 0],
        16,
        Refused("a link-local address (cloud metadata lives here)"),
    ),
    v4([172, 16, 0, 0], 12, PRIVATE),
    v4([192, 0, 0, 0], 24, PROTOCOL),   // RFC 6890
    v4([192, 0, 0, 0], 29, PROTOCOL),   // DS-Lite, RFC 7335
    v4([192, 0, 0, 8], 32, PROTOCOL),   // dummy address, RFC 7600
    v4([192, 0, 0, 9], 32, Global),     // PCP anycast, RFC 7723
    v4([192, 0, 0, 10], 32, Global),    // TURN anycast, RFC 8155
    v4([192, 0, 0, 170], 32, PROTOCOL), // NAT64/DNS64 discovery, RFC 7050
    v4([192, 0, 0, 171], 32, PROTOCOL),
    v4([192, 0, 2, 0], 24, DOCS),      // TEST-NET-1, RFC 5737
    v4([192, 31, 196, 0], 24, Global), // AS112-v4, RFC 7535
    v4([192, 52, 193, 0], 24, Global), // AMT, RFC 7450
    v4(
        [192, 88, 99, 0],
        24,
        Refused("a deprecated 6to4 relay anycast address"),
    ), // RFC 7526
    v4([192, 168, 0, 0], 16, PRIVATE),
    v4([192, 175, 48, 0], 24, Global), // AS112 direct delegation, RFC 7534
    v4([198, 18, 0, 0], 15, Refused("a benchmarking address")), // RFC 2544
    v4([198, 51, 100, 0], 24, DOCS),   // TEST-NET-2
    v4([203, 0, 113, 0], 24, DOCS),    // TEST-NET-3
    v4([224, 0, 0, 0], 4, Refused("a multicast address")), // RFC 5771
    v4([240, 0, 0, 0], 4, Refused("a reserved address")), // RFC 1112
    v4(
        [255, 255, 255, 255],
        32,
        Refused("the limited broadcast address"),
    ), // RFC 919
];

/// IANA IPv6 Special-Purpose Address Registry (and multicast, RFC 4291).
pub(crate) const V6: &[Row<Ipv6Addr>] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, LOOPBACK),
    v6([0; 8], 128, UNSPECIFIED),
    v6(
        [0, 0, 0, 0, 0, 0xffff, 0, 0],
        96,
        Refused("an IPv4-mapped address (not globally reachable)"),
    ), // RFC 4291
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, Embeds(96)), // NAT64, RFC 6052
    v6(
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        Refused("a local-use IPv4/IPv6 translation address"),
    ), // RFC 8215
    v6(
        [0x100, 0, 0, 0, 0, 0, 0, 0],
        64,
        Refused("a discard-only address"),
    ), // RFC 6666
    v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, Refused("a dummy address")), // RFC 9780
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, PROTOCOL),      // RFC 2928
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        32,
        Refused("a Teredo address (not globally reachable)"),
    ), // RFC 4380
    v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128, Global),       // PCP anycast
    v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128, Global),       // TURN anycast
    v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128, Global),       // DNS-SD SRP anycast
    v6(
        [0x2001, 2, 0, 0, 0, 0, 0, 0],
        48,
        Refused("a benchmarking address"),
    ), // RFC 5180
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, Global),        // AMT
    v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48, Global),    // AS112-v6
    v6(
        [0x2001, 0x10, 0, 0, 0, 0, 0, 0],
        28,
        Refused("a deprecated ORCHID address"),
    ), // RFC 4843
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, Global),     // ORCHIDv2, RFC 7343
    v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28, Global),     // DRIP, RFC 9374
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, DOCS),      // RFC 3849
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, Embeds(16)),    // 6to4, RFC 3056
    v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, Global), // AS112 direct delegation
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, DOCS),          // RFC 9637
    v6(
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        Refused("a segment-routing address"),
    ), // RFC 9602
    v6(
        [0xfc00, 0, 0, 0, 0, 0, 0, 0],
        7,
        Refused("a unique-local address"),
    ), // RFC 4193
    v6(
        [0xfe80, 0, 0, 0, 0, 0, 0, 0],
        10,
        Refused("a link-local address"),
    ), // RFC 4291
    v6(
        [0xff00, 0, 0, 0, 0, 0, 0, 0],
        8,
        Refused("a multicast address"),
    ), // RFC 4291
];

/// Outside `2000::/3` nothing is global unicast (IANA IPv6 Address Space registry): the
/// deprecated IPv4-compatible `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, site-local
/// `fec0::/10` and every unassigned block.
pub(crate) const NOT_GLOBAL_UNICAST: &str =
    "outside the IPv6 global unicast space 2000::/3 (reserved or unassigned)";

fn covers(bits: u128, net: u128, prefix: u8, width: u32) -> bool {
    let mask = match u32::from(prefix) {
        0 => 0,
        p => (u128::MAX >> (128 - width)) & !((1u128 << (width - p)) - 1),
    };
    bits & mask == net & mask
}

/// The most specific IPv4 row covering `ip`.
pub(crate) fn row_v4(ip: Ipv4Addr) -> Option<&'static Row<Ipv4Addr>> {
    let bits = u128::from(u32::from(ip));
    V4.iter()
        .filter(|r| covers(bits, u128::from(u32::from(r.net)), r.prefix, 32))
        .max_by_key(|r| r.prefix)
}

/// The most specific IPv6 row covering `ip`.
pub(crate) fn row_v6(ip: Ipv6Addr) -> Option<&'static Row<Ipv6Addr>> {
    let bits = u128::from(ip);
    V6.iter()
        .filter(|r| covers(bits, u128::from(r.net), r.prefix, 128))
        .max_by_key(|r| r.prefix)
}

/// The IPv4 address carried at `offset` bits from the top of `ip`.
pub(crate) fn embedded(ip: Ipv6Addr, offset: u32) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) >> (96 - offset)) as u32)
}
