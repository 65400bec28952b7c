//! `fnguard dns serve` as a process: it says where it listens, answers a
//! real client (`dig`), reloads its policy on SIGHUP (a broken policy
//! leaves the running one in force), and on SIGTERM stops cleanly with its
//! decision log written out. Forwarding, caching and failover are tested
//! in fnguard-dns with an upstream of their own.

mod common;

use common::TempDir;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

fn policy(deny: &str, dead_upstream: u16) -> String {
    format!(
        "[policy]\nmode = \"denylist\"\ndeny = [\"{deny}\"]\n\
         [server]\nlisten = [\"127.0.0.1:0\"]\nupstreams = [\"127.0.0.1:{dead_upstream}\"]\n\
         timeout_ms = 200\nlog = \"decisions.jsonl\"\n"
    )
}

fn dig_status(port: u16, name: &str) -> String {
    let output = Command::new("dig")
        .args([
            "@127.0.0.1",
            "-p",
            &port.to_string(),
            "+tries=1",
            "+time=3",
            name,
        ])
        .output()
        .expect("dig runs (scripts/setup-test-tools.sh installs bind9-dnsutils)");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split("status: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or("no answer")
        .to_string()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Polls until `name` gets `status`, as a reload takes effect between
/// queries.
fn eventually(port: u16, name: &str, status: &str) -> bool {
    (0..50).any(|_| {
        let got = dig_status(port, name) == status;
        if !got {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        got
    })
}

#[test]
fn serve_reloads_on_sighup_and_stops_on_sigterm() {
    let dir = TempDir::new("dns-serve");
    // Nothing listens there: allowed names fail closed (SERVFAIL).
    let dead = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.write("fw.toml", &policy("evil.example", dead));
    let mut child = Command::new(env!("CARGO_BIN_EXE_fnguard"))
        .args(["dns", "serve", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fnguard starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port: u16 = line
        .split("udp 127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a listening line: {line}"));

    assert_eq!(dig_status(port, "www.evil.example"), "NXDOMAIN");
    assert_eq!(dig_status(port, "other.example"), "SERVFAIL", "fail closed");

    std::fs::write(&config, policy("other.example", dead)).unwrap();
    signal(&child, "HUP");
    assert!(eventually(port, "other.example", "NXDOMAIN"), "reloaded");
    line.clear();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("policy reloaded"), "{line}");
    assert_eq!(
        dig_status(port, "www.evil.example"),
        "SERVFAIL",
        "no longer denied"
    );

    std::fs::write(&config, "[policy]\nmode = 1\n").unwrap();
    signal(&child, "HUP");
    line.clear();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("reload failed"), "{line}");
    assert!(
        line.contains("fw.toml:2:"),
        "the error names its position: {line}"
    );
    assert_eq!(
        dig_status(port, "other.example"),
        "NXDOMAIN",
        "old policy stays"
    );

    signal(&child, "TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "exits 0 on SIGTERM: {status:?}");
    let log = std::fs::read_to_string(dir.path("decisions.jsonl")).unwrap();
    let blocked: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert!(blocked.len() >= 3, "{log}");
    assert!(
        blocked.iter().all(|l| l["decision"] == "block"),
        "blocked only by default: {log}"
    );
    assert_eq!(blocked[0]["name"], "www.evil.example");
    assert_eq!(blocked[0]["rule"], "deny:evil.example");
}

#[test]
fn serve_rejects_a_broken_config_with_its_position() {
    let dir = TempDir::new("dns-serve-bad");
    let config = dir.write(
        "fw.toml",
        "[policy]\n[server]\nupstreams = [\"127.0.0.1\"]\nlisten = [\"localhost:53\"]\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_fnguard"))
        .args(["dns", "serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("fw.toml:4:"), "{stderr}");
    assert!(stderr.contains("localhost:53"), "{stderr}");
}
