//! Addresses: CIDR blocks and the ranges a function must not reach unless an
//! entry lists them (Smokescreen's "not global unicast" deny).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address block, `10.1.0.0/16` or `fd00::/8`; a single address is a
/// /32 or /128. IPv4-mapped IPv6 blocks are stored as IPv4 so that
/// `::ffff:10.0.0.1` and `10.0.0.1` are one address everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `prefix` must fit the family and the host bits must be zero, so
    /// that `10.1.2.3/16` (which network did the author mean?) is refused.
    pub(crate) fn new(network: IpAddr, prefix: u8) -> Result<Self, &'static str> {
        let (network, prefix) = match network {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), prefix - 96),
                None => (network, prefix),
            },
            _ => (network, prefix),
        };
        let bits = family_bits(network);
        if prefix > bits {
            return Err("prefix length longer than the address");
        }
        if mask(network, prefix) != network {
            return Err("host bits set after the prefix");
        }
        Ok(Self { network, prefix })
    }

    pub(crate) fn single(ip: IpAddr) -> Self {
        let ip = canonical(ip);
        Self {
            network: ip,
            prefix: family_bits(ip),
        }
    }

    /// `ip` must already be canonical (see [`canonical`]).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }

    pub(crate) fn is_single(&self) -> bool {
        self.prefix == family_bits(self.network)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn family_bits(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & keep))
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & keep))
        }
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it is: the
/// kernel connects it to the IPv4 host, so it is checked and listed as one.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Endpoints that hand out cloud credentials: the EC2/ECS/EKS metadata and
/// credential services. Only an entry naming the single address allows one
/// (a wide CIDR such as `169.254.0.0/16` does not).
pub(crate) fn is_credential_endpoint(ip: IpAddr) -> bool {
    const V4: [Ipv4Addr; 3] = [
        Ipv4Addr::new(169, 254, 169, 254),
        Ipv4Addr::new(169, 254, 170, 2),
        Ipv4Addr::new(169, 254, 170, 23),
    ];
    const V6: [Ipv6Addr; 2] = [
        Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
        Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23),
    ];
    match canonical(ip) {
        IpAddr::V4(v4) => V4.contains(&v4),
        IpAddr::V6(v6) => V6.contains(&v6),
    }
}

const V4_SPECIAL: &[(u32, u8, &str)] = &[
    (0x0000_0000, 8, "unspecified"),
    (0x0a00_0000, 8, "private"),
    (0x6440_0000, 10, "shared (CGNAT)"),
    (0x7f00_0000, 8, "loopback"),
    (0xa9fe_0000, 16, "link-local"),
    (0xac10_0000, 12, "private"),
    (0xc000_0000, 24, "IETF protocol assignments"),
    (0xc000_0200, 24, "documentation"),
    (0xc058_6300, 24, "6to4 relay anycast"),
    (0xc0a8_0000, 16, "private"),
    (0xc612_0000, 15, "benchmarking"),
    (0xc633_6400, 24, "documentation"),
    (0xcb00_7100, 24, "documentation"),
    (0xe000_0000, 4, "multicast"),
    (0xf000_0000, 4, "reserved"),
];

/// Why `ip` is not a public unicast destination, or `None` when it is.
/// Tunnels that embed an IPv4 address (NAT64, 6to4) are judged by that
/// address, so `64:ff9b::a9fe:a9fe` is the metadata service.
pub(crate) fn special_range(ip: IpAddr) -> Option<&'static str> {
    if is_credential_endpoint(ip) {
        return Some("cloud metadata/credentials");
    }
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            V4_SPECIAL.iter().find_map(|&(net, len, name)| {
                let keep = u32::MAX << (32 - u32::from(len));
                (bits & keep == net).then_some(name)
            })
        }
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v6(v6: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(v6);
    let in_net = |net: u128, len: u32| bits & (u128::MAX << (128 - len)) == net;
    if v6.is_unspecified() {
        return Some("unspecified");
    }
    if v6.is_loopback() {
        return Some("loopback");
    }
    // NAT64 well-known prefix: the last 32 bits are the IPv4 destination.
    if in_net(0x0064_ff9b << 96, 96) {
        let v4 = Ipv4Addr::from(bits as u32);
        return special_range(IpAddr::V4(v4));
    }
    // 6to4: bits 16..48 are the IPv4 address of the relay's destination.
    if in_net(0x2002 << 112, 16) {
        let v4 = Ipv4Addr::from((bits >> 80) as u32);
        return special_range(IpAddr::V4(v4));
    }
    const V6_SPECIAL: &[(u128, u32, &str)] = &[
        (0, 96, "IPv4-compatible (deprecated)"),
        (0x0064_ff9b_0001 << 80, 48, "NAT64 local use"),
        (0x0100 << 112, 64, "discard-only"),
        (0x2001 << 112, 32, "Teredo"),
        (0x2001_0db8 << 96, 32, "documentation"),
        (0xfc00 << 112, 7, "unique local (private)"),
        (0xfe80 << 112, 10, "link-local"),
        (0xfec0 << 112, 10, "site-local (deprecated)"),
        (0xff00 << 112, 8, "multicast"),
    ];
    V6_SPECIAL
        .iter()
        .find_map(|&(net, len, name)| in_net(net, len).then_some(name))
}
