//! Which process holds the other end of a loopback TCP connection: the
//! socket's inode, then the process with a `socket:[INODE]` descriptor in
//! `/proc/PID/fd`.
//!
//! The inode comes from an exact `sock_diag` netlink lookup (the kernel
//! finds the one socket by its addresses); reading `/proc/net/tcp` walks
//! every bucket of the kernel's TCP hash tables, 6 to 50 ms on this
//! machine whatever the number of sockets, and is only the fallback (a
//! sandbox that refuses netlink sockets).

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use rustix::net::{
    netlink, recv, sendto, socket, sockopt, AddressFamily, RecvFlags, SendFlags, SocketType,
};

use super::procfs;

/// `SOCK_DIAG_BY_FAMILY`, the netlink message type of a request and of
/// its answer (linux/sock_diag.h).
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 1;
const IPPROTO_TCP: u8 = 6;
/// `struct nlmsghdr`, then `struct inet_diag_req_v2`.
const NLMSG_HEADER: usize = 16;
const REQUEST_LEN: usize = NLMSG_HEADER + 56;
/// `struct inet_diag_msg`: the socket id at 4, the inode at 68.
const MESSAGE_LEN: usize = 72;

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
    match socket_inode_netlink(local, peer) {
        Ok(found) => found,
        Err(_) => socket_inode_proc(local, peer),
    }
}

/// The inode by `sock_diag`: `Ok(None)` when the kernel knows no such
/// socket, `Err` when netlink cannot be used.
fn socket_inode_netlink(local: SocketAddr, peer: SocketAddr) -> rustix::io::Result<Option<u64>> {
    let fd = socket(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        Some(netlink::SOCK_DIAG),
    )?;
    // The kernel answers at once; a bound keeps a surprise from hanging
    // the proxy.
    sockopt::set_socket_timeout(
        &fd,
        sockopt::Timeout::Recv,
        Some(Duration::from_millis(200)),
    )?;
    // An IPv4 caller may also use an IPv6 socket with mapped addresses.
    let mut queries = vec![(peer, local)];
    if let (IpAddr::V4(from), IpAddr::V4(to)) = (peer.ip(), local.ip()) {
        queries.push((
            SocketAddr::new(IpAddr::V6(from.to_ipv6_mapped()), peer.port()),
            SocketAddr::new(IpAddr::V6(to.to_ipv6_mapped()), local.port()),
        ));
    }
    for (sequence, (source, destination)) in (1u32..).zip(queries) {
        let request = diag_request(source, destination, sequence);
        sendto(
            &fd,
            &request,
            SendFlags::empty(),
            &netlink::SocketAddrNetlink::new(0, 0),
        )?;
        let mut answer = [0u8; 1024];
        let (_, length) = recv(&fd, &mut answer, RecvFlags::empty())?;
        if let Some(inode) = diag_inode(&answer[..length.min(answer.len())], &request) {
            return Ok(Some(inode));
        }
    }
    Ok(None)
}

/// A `SOCK_DIAG_BY_FAMILY` request for the one TCP socket `source` ->
/// `destination` (no dump: the kernel looks it up), in any state, without
/// a cookie.
fn diag_request(source: SocketAddr, destination: SocketAddr, sequence: u32) -> Vec<u8> {
    let family: u8 = if source.is_ipv4() { 2 } else { 10 };
    let address = |ip: IpAddr| -> [u8; 16] {
        let mut bytes = [0u8; 16];
        match ip {
            IpAddr::V4(v4) => bytes[..4].copy_from_slice(&v4.octets()),
            IpAddr::V6(v6) => bytes = v6.octets(),
        }
        bytes
    };
    let mut bytes = Vec::with_capacity(REQUEST_LEN);
    bytes.extend_from_slice(&(REQUEST_LEN as u32).to_ne_bytes());
    bytes.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    bytes.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    bytes.extend_from_slice(&sequence.to_ne_bytes());
    bytes.extend_from_slice(&0u32.to_ne_bytes());
    bytes.extend_from_slice(&[family, IPPROTO_TCP, 0, 0]);
    // Every TCP state.
    bytes.extend_from_slice(&u32::MAX.to_ne_bytes());
    // struct inet_diag_sockid: ports and addresses in network order, any
    // interface, INET_DIAG_NOCOOKIE.
    bytes.extend_from_slice(&source.port().to_be_bytes());
    bytes.extend_from_slice(&destination.port().to_be_bytes());
    bytes.extend_from_slice(&address(source.ip()));
    bytes.extend_from_slice(&address(destination.ip()));
    bytes.extend_from_slice(&0u32.to_ne_bytes());
    bytes.extend_from_slice(&u32::MAX.to_ne_bytes());
    bytes.extend_from_slice(&u32::MAX.to_ne_bytes());
    bytes
}

/// The inode in the answer to `request`, when the answer is a socket whose
/// ports and addresses are the ones asked for (else it is an error message:
/// no such socket).
fn diag_inode(answer: &[u8], request: &[u8]) -> Option<u64> {
    let kind = u16::from_ne_bytes(answer.get(4..6)?.try_into().ok()?);
    if kind != SOCK_DIAG_BY_FAMILY {
        return None;
    }
    let message = answer.get(NLMSG_HEADER..NLMSG_HEADER + MESSAGE_LEN)?;
    // Ports and addresses (36 bytes) as asked: the lookup did not fall
    // back to another socket (a listener).
    let asked = request.get(NLMSG_HEADER + 8..NLMSG_HEADER + 8 + 36)?;
    if message.get(4..40)? != asked {
        return None;
    }
    let inode = u32::from_ne_bytes(message.get(68..72)?.try_into().ok()?);
    (inode != 0).then_some(u64::from(inode))
}

/// The inode from the `/proc/net/tcp{,6}` tables.
fn socket_inode_proc(local: SocketAddr, peer: SocketAddr) -> Option<u64> {
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
    fn a_diag_answer_counts_only_for_the_socket_asked_for() {
        let source: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        let destination: SocketAddr = "127.0.0.1:9009".parse().unwrap();
        let request = diag_request(source, destination, 1);
        assert_eq!(request.len(), REQUEST_LEN);
        // An answer: header, then family/state/timer/retrans, the same
        // socket id, four counters and the inode.
        let mut answer = vec![0u8; NLMSG_HEADER + MESSAGE_LEN];
        answer[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        answer[NLMSG_HEADER + 4..NLMSG_HEADER + 40]
            .copy_from_slice(&request[NLMSG_HEADER + 8..NLMSG_HEADER + 44]);
        answer[NLMSG_HEADER + 68..].copy_from_slice(&4242u32.to_ne_bytes());
        assert_eq!(diag_inode(&answer, &request), Some(4242));
        // Another socket (the listener, say) is not an answer.
        let other = diag_request(source, "127.0.0.1:9010".parse().unwrap(), 1);
        assert_eq!(diag_inode(&answer, &other), None);
        // An error message (NLMSG_ERROR) and a truncated answer are not.
        let mut error = answer.clone();
        error[4..6].copy_from_slice(&2u16.to_ne_bytes());
        assert_eq!(diag_inode(&error, &request), None);
        assert_eq!(diag_inode(&answer[..40], &request), None);
    }

    #[test]
    fn the_netlink_and_proc_lookups_agree_on_a_live_connection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(local).unwrap();
        let (_server, peer) = listener.accept().unwrap();
        let by_netlink = socket_inode_netlink(local, peer).unwrap();
        assert!(by_netlink.is_some());
        assert_eq!(by_netlink, socket_inode_proc(local, peer));
        // The proxy's own end is another socket.
        let own_end = socket_inode_netlink(peer, local).unwrap();
        assert!(own_end.is_some());
        assert_ne!(own_end, by_netlink);
        let nobody: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(socket_inode_netlink(local, nobody).unwrap(), None);
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
