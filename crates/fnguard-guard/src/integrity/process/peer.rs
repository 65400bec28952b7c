//! Which process holds the other end of a loopback TCP connection: the
//! socket's inode from `/proc/net/tcp{,6}`, then the process with a
//! `socket:[INODE]` descriptor in `/proc/PID/fd`.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::procfs;

/// The pid of the process that owns the client end of the TCP connection
/// `peer` -> `local` (as the proxy's accepted stream sees it: `local` its
/// own address, `peer` the caller's). `None` when no socket or owner is
/// found (the connection closed, or the owner's descriptors cannot be
/// read). When several processes share the socket, `first` are tried
/// before the others and the first holder found is returned.
pub fn pid_of_peer(local: SocketAddr, peer: SocketAddr, first: &[u32]) -> Option<u32> {
    let inode = socket_inode(local, peer)?;
    let target = format!("socket:[{inode}]");
    let holds = |pid: u32| -> bool {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            return false;
        };
        fds.flatten().any(|fd| {
            fs::read_link(fd.path())
                .map(|link| link.as_os_str() == target.as_str())
                .unwrap_or(false)
        })
    };
    if let Some(&pid) = first.iter().find(|&&pid| holds(pid)) {
        return Some(pid);
    }
    procfs::pids()
        .ok()?
        .into_iter()
        .filter(|pid| !first.contains(pid))
        .find(|&pid| holds(pid))
}

/// The inode of the socket whose local address is `peer` and remote address
/// `local` (the caller's side of the connection).
fn socket_inode(local: SocketAddr, peer: SocketAddr) -> Option<u64> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|table| {
            let text = fs::read_to_string(table).ok()?;
            text.lines()
                .skip(1)
                .find_map(|line| matching_inode(line, local, peer))
        })
}

/// The inode on one line of a `/proc/net/tcp{,6}` table when the line is
/// the socket `peer` -> `local`.
fn matching_inode(line: &str, local: SocketAddr, peer: SocketAddr) -> Option<u64> {
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    let own = parse_address(fields.get(1)?)?;
    let remote = parse_address(fields.get(2)?)?;
    let inode: u64 = fields.get(9)?.parse().ok()?;
    (inode != 0 && same(own, peer) && same(remote, local)).then_some(inode)
}

/// Equal, with an IPv4-mapped IPv6 address equal to its IPv4 address.
fn same(a: SocketAddr, b: SocketAddr) -> bool {
    let canonical = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    a.port() == b.port() && canonical(a.ip()) == canonical(b.ip())
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6): each 32-bit
/// word is printed as the kernel holds it in memory (network order read as
/// a native integer), the port in host order.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |hex: &str| u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes);
    let ip = match address.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(address)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (index, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(address.get(index * 8..index * 8 + 8)?)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_endian = "little")]
    fn kernel_addresses_parse_in_both_families() {
        assert_eq!(
            parse_address("0100007F:2329"),
            Some("127.0.0.1:9001".parse().unwrap())
        );
        assert_eq!(
            parse_address("00000000000000000000000001000000:1F90"),
            Some("[::1]:8080".parse().unwrap())
        );
        assert_eq!(
            parse_address("0000000000000000FFFF00000100007F:1F90"),
            Some("[::ffff:127.0.0.1]:8080".parse().unwrap())
        );
    }

    #[test]
    fn garbled_addresses_are_refused() {
        for bad in [
            "",
            "0100007F",
            "0100007G:1F90",
            "01007F:1F90",
            "0100007F:1FFFF",
        ] {
            assert_eq!(parse_address(bad), None, "{bad:?}");
        }
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn the_line_of_the_callers_socket_gives_its_inode() {
        let line = "   3: 0100007F:D431 0100007F:2329 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1";
        let local: SocketAddr = "127.0.0.1:9001".parse().unwrap();
        let peer: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        assert_eq!(matching_inode(line, local, peer), Some(123_456));
        // The proxy's own end of the same connection is not the caller's.
        assert_eq!(matching_inode(line, peer, local), None);
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:54321".parse().unwrap();
        assert_eq!(matching_inode(line, local, mapped), Some(123_456));
    }
}
