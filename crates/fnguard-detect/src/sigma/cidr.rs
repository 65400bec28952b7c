//! CIDR ranges of the `cidr` modifier (IPv4 and IPv6).

use std::net::IpAddr;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Cidr {
    network: u128,
    mask: u128,
    v4: bool,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u32>().ok()?)),
            None => (text, None),
        };
        let (bits, width, v4) = match address.trim().parse::<IpAddr>().ok()? {
            IpAddr::V4(ip) => (u128::from(u32::from(ip)), 32, true),
            IpAddr::V6(ip) => (u128::from(ip), 128, false),
        };
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return None;
        }
        let mask = match prefix {
            0 => 0,
            _ => (u128::MAX << (width - prefix)) & (u128::MAX >> (128 - width)),
        };
        Some(Cidr {
            network: bits & mask,
            mask,
            v4,
        })
    }

    pub(crate) fn contains(&self, text: &str) -> bool {
        match text.trim().parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) if self.v4 => u128::from(u32::from(ip)) & self.mask == self.network,
            Ok(IpAddr::V6(ip)) if !self.v4 => u128::from(ip) & self.mask == self.network,
            _ => false,
        }
    }
}
