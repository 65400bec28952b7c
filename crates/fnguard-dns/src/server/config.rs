//! The `[server]` table of the policy file: where `dns serve` listens,
//! where it forwards, and how it fails.

use crate::{error_at, toml_error, PolicyError};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    #[serde(default)]
    listen: Vec<Spanned<String>>,
    #[serde(default)]
    upstreams: Vec<Spanned<String>>,
    timeout_ms: Option<Spanned<u64>>,
    fail: Option<Spanned<String>>,
    cache_entries: Option<Spanned<u64>>,
    max_ttl: Option<Spanned<u32>>,
    threads: Option<Spanned<u64>>,
    tcp_connections: Option<Spanned<u64>>,
    metrics: Option<Spanned<String>>,
    log: Option<Spanned<String>>,
    log_queries: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct RawServerFile {
    server: Option<RawServer>,
}

/// When no upstream answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    /// SERVFAIL: nothing resolves that the firewall cannot vouch for now.
    Closed,
    /// Expired cached answers are served (RFC 8767, TTL 30) while the
    /// upstreams are down; SERVFAIL when there is none.
    Open,
}

/// Which queries the decision log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogQueries {
    Blocked,
    All,
}

/// Where the decision log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    Stdout,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// UDP and TCP on each address.
    pub listen: Vec<SocketAddr>,
    /// Tried in order; one that fails is skipped for a back-off time.
    pub upstreams: Vec<SocketAddr>,
    /// Per upstream attempt.
    pub timeout: Duration,
    pub fail: FailMode,
    pub cache_entries: usize,
    /// Answers are kept no longer than this, whatever their TTL.
    pub max_ttl: u32,
    /// Threads answering UDP queries.
    pub threads: usize,
    /// Open TCP connections at most; more wait in the kernel's backlog.
    pub tcp_connections: usize,
    /// Prometheus metrics over HTTP (`GET /metrics`).
    pub metrics: Option<SocketAddr>,
    pub log: Option<LogTarget>,
    pub log_queries: LogQueries,
}

impl ServerConfig {
    /// The `[server]` table of a policy file; `log` is relative to the file.
    pub fn parse(display: &str, text: &str, base: &Path) -> Result<ServerConfig, PolicyError> {
        let at = |offset: usize, message: String| error_at(display, text, offset, message);
        let raw: RawServerFile = toml::from_str(text).map_err(|e| toml_error(display, text, &e))?;
        let Some(raw) = raw.server else {
            return Err(PolicyError {
                file: display.to_string(),
                line: 0,
                col: 0,
                message: "no [server] table (listen and upstreams): see docs/dns-policy.toml"
                    .into(),
            });
        };
        let address = |value: &Spanned<String>, default_port: u16| {
            parse_address(value.get_ref(), default_port).ok_or_else(|| {
                at(
                    value.span().start,
                    format!(
                        "`{}` is not an IP address with an optional port (`127.0.0.1:53`, `[::1]:53`)",
                        value.get_ref()
                    ),
                )
            })
        };
        let listen = if raw.listen.is_empty() {
            vec![SocketAddr::from(([127, 0, 0, 1], 53))]
        } else {
            raw.listen
                .iter()
                .map(|l| address(l, 53))
                .collect::<Result<_, _>>()?
        };
        if raw.upstreams.is_empty() {
            return Err(PolicyError {
                file: display.to_string(),
                line: 0,
                col: 0,
                message: "[server] needs `upstreams = [\"ADDRESS\", ...]`: the resolvers allowed queries are forwarded to".into(),
            });
        }
        let upstreams = raw
            .upstreams
            .iter()
            .map(|u| address(u, 53))
            .collect::<Result<_, _>>()?;
        let positive =
            |value: &Option<Spanned<u64>>, default: u64, name: &str, max: u64| match value {
                None => Ok(default),
                Some(v) if (1..=max).contains(v.get_ref()) => Ok(*v.get_ref()),
                Some(v) => Err(at(
                    v.span().start,
                    format!("`{name}` must be between 1 and {max}"),
                )),
            };
        let timeout = Duration::from_millis(positive(&raw.timeout_ms, 1500, "timeout_ms", 60_000)?);
        let cache_entries =
            positive(&raw.cache_entries, 100_000, "cache_entries", 100_000_000)? as usize;
        let threads = match &raw.threads {
            None => std::thread::available_parallelism().map_or(2, |n| n.get()),
            Some(_) => positive(&raw.threads, 0, "threads", 256)? as usize,
        };
        let tcp_connections =
            positive(&raw.tcp_connections, 512, "tcp_connections", 65_536)? as usize;
        let max_ttl = match &raw.max_ttl {
            None => 86_400,
            Some(v) => *v.get_ref(),
        };
        let fail = match raw.fail.as_ref().map(|f| (f.get_ref().as_str(), f.span())) {
            None | Some(("closed", _)) => FailMode::Closed,
            Some(("open", _)) => FailMode::Open,
            Some((other, span)) => {
                return Err(at(
                    span.start,
                    format!("unknown `fail` value `{other}` (closed or open)"),
                ))
            }
        };
        let metrics = raw.metrics.as_ref().map(|m| address(m, 9153)).transpose()?;
        let log = raw.log.as_ref().map(|l| match l.get_ref().as_str() {
            "-" => LogTarget::Stdout,
            path => LogTarget::File(base.join(path)),
        });
        let log_queries = match raw
            .log_queries
            .as_ref()
            .map(|l| (l.get_ref().as_str(), l.span()))
        {
            None | Some(("blocked", _)) => LogQueries::Blocked,
            Some(("all", _)) => LogQueries::All,
            Some((other, span)) => {
                return Err(at(
                    span.start,
                    format!("unknown `log_queries` value `{other}` (blocked or all)"),
                ))
            }
        };
        Ok(ServerConfig {
            listen,
            upstreams,
            timeout,
            fail,
            cache_entries,
            max_ttl,
            threads,
            tcp_connections,
            metrics,
            log,
            log_queries,
        })
    }
}

/// `1.2.3.4`, `1.2.3.4:53`, `::1`, `[::1]:53`.
fn parse_address(text: &str, default_port: u16) -> Option<SocketAddr> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Some(address);
    }
    text.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, default_port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServerConfig, PolicyError> {
        ServerConfig::parse("fw.toml", text, Path::new("/etc/fnguard"))
    }

    #[test]
    fn addresses_take_default_ports_and_options_their_defaults() {
        let config = parse(
            "[policy]\n[server]\nlisten = [\"127.0.0.1:5353\", \"::1\"]\nupstreams = [\"10.0.0.2\"]\nlog = \"decisions.jsonl\"\n",
        )
        .unwrap();
        assert_eq!(
            config.listen,
            vec![
                "127.0.0.1:5353".parse().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        assert_eq!(config.upstreams, vec!["10.0.0.2:53".parse().unwrap()]);
        assert_eq!(config.fail, FailMode::Closed);
        assert_eq!(config.log_queries, LogQueries::Blocked);
        assert_eq!(
            config.log,
            Some(LogTarget::File(PathBuf::from(
                "/etc/fnguard/decisions.jsonl"
            )))
        );
        assert_eq!(config.timeout, Duration::from_millis(1500));
    }

    #[test]
    fn bad_values_and_unknown_keys_name_their_position() {
        let e = parse("[policy]\n[server]\nupstreams = [\"10.0.0.2\"]\nfail = \"maybe\"\n")
            .unwrap_err();
        assert_eq!((e.line, e.col), (4, 8), "{e}");
        let e = parse("[policy]\n[server]\nupstreams = [\"resolver.example\"]\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("not an IP address"), "{e}");
        let e = parse("[policy]\n[server]\nupstreams = [\"10.0.0.2\"]\nthreads = 0\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = parse("[policy]\n[server]\nupstream = [\"10.0.0.2\"]\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
        let e = parse("[policy]\n").unwrap_err();
        assert!(e.message.contains("no [server] table"), "{e}");
        let e = parse("[policy]\n[server]\nlisten = [\"127.0.0.1:53\"]\n").unwrap_err();
        assert!(e.message.contains("upstreams"), "{e}");
    }

    #[test]
    fn the_documented_server_table_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/dns-policy.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let config = ServerConfig::parse("dns-policy.toml", &text, Path::new(".")).unwrap();
        assert_eq!(config.upstreams.len(), 2);
        assert_eq!(config.fail, FailMode::Closed);
        assert_eq!(config.tcp_connections, 512);
    }
}
