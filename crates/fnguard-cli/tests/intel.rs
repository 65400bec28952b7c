//! `fnguard intel classify`: arguments, files of hosts and JSON logs,
//! table and JSON output, exit codes.

mod common;

use common::{fnguard, TempDir};
use serde_json::Value;

const TENCENT: &str = "service-h0jbiq9b-1300814016.sh.apigw.tencentcs.com";
const LAMBDA_URL: &str =
    "https://jb6uzlmmok5wxyr2nzdci3wdfi0rcush.lambda-url.us-west-2.on.aws/c2?x=1";
const ALIBABA: &str = "1077739472743245.cn-hangzhou.fc.aliyuncs.com";

#[test]
fn hosts_and_urls_are_attributed_to_vendor_and_tenant() {
    let run = fnguard(["intel", "classify", TENCENT, LAMBDA_URL, "www.example.com"]);
    assert_eq!(run.code, 1, "endpoints found: {}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[1].contains("tencent") && lines[1].contains("1300814016"));
    assert!(lines[2].contains("aws") && lines[2].contains("us-west-2"));
    assert!(lines[3].contains("not a known"));

    let run = fnguard([
        "intel", "classify", "--format", "json", "--lang", "zh", ALIBABA,
    ]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let endpoint = &doc[0]["endpoint"];
    assert_eq!(endpoint["vendor"], "alibaba");
    assert_eq!(endpoint["tenant"], "1077739472743245");
    assert_eq!(endpoint["region"], "cn-hangzhou");
    assert!(
        endpoint["product"].as_str().unwrap().contains("阿里云"),
        "{endpoint}"
    );

    let clean = fnguard(["intel", "classify", "www.example.com", "localhost."]);
    assert_eq!(clean.code, 0, "nothing to report");
    let none = fnguard(["intel", "classify"]);
    assert_eq!(none.code, 2);
}

#[test]
fn logs_are_read_by_line_by_json_field_and_as_cloudtrail_documents() {
    let dir = TempDir::new("intel-logs");
    let plain = dir.write(
        "hosts.txt",
        &format!("# proxy log hosts\n{TENCENT}\nwww.example.com\n{TENCENT}.\n{ALIBABA}:443\n"),
    );
    let run = fnguard([
        "intel",
        "classify",
        "--format",
        "json",
        "--input",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = doc.as_array().unwrap();
    assert_eq!(rows.len(), 3, "only endpoints from a file: {doc:#}");
    let tencent: Vec<&Value> = rows
        .iter()
        .filter(|r| r["endpoint"]["vendor"] == "tencent")
        .collect();
    assert_eq!(tencent.len(), 2, "two spellings, one host each");

    let jsonl = dir.write(
        "dns.jsonl",
        &format!(
            "{{\"query_name\": \"{ALIBABA}.\", \"srcaddr\": \"10.0.0.5\"}}\n{{\"tls\": {{\"sni\": \"{TENCENT}\"}}}}\n{{\"query_name\": \"www.example.com\"}}\n"
        ),
    );
    let run = fnguard([
        "intel",
        "classify",
        "--format",
        "json",
        "--input",
        jsonl.to_str().unwrap(),
    ]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let vendors: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["endpoint"]["vendor"].as_str().unwrap())
        .collect();
    assert_eq!(vendors.len(), 2, "{doc:#}");
    assert!(vendors.contains(&"alibaba") && vendors.contains(&"tencent"));

    // A chosen field only.
    let run = fnguard([
        "intel",
        "classify",
        "--format",
        "json",
        "--field",
        "tls.sni",
        "--input",
        jsonl.to_str().unwrap(),
    ]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc.as_array().unwrap().len(), 1);
    assert_eq!(doc[0]["endpoint"]["vendor"], "tencent");

    let trail = dir.write(
        "trail.json",
        &format!(
            "{{\"Records\": [\n  {{\"eventName\": \"CreateFunctionUrlConfig\", \"responseElements\": {{\"url\": \"{LAMBDA_URL}\"}}}}\n]}}\n"
        ),
    );
    let run = fnguard(["intel", "classify", "--input", trail.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("lambda-url.us-west-2.on.aws"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_broken_json_line_is_an_error_with_its_line_and_the_rest_is_read() {
    let dir = TempDir::new("intel-broken");
    let file = dir.write(
        "log.jsonl",
        &format!("{{\"host\": \"{TENCENT}\"}}\n{{\"host\": \n"),
    );
    let run = fnguard(["intel", "classify", "--input", file.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("log.jsonl:2:"), "{}", run.stderr);
    assert!(
        run.stdout.contains("1300814016"),
        "the good line is still classified"
    );
}

/// A DNS query for `name` (type A, recursion desired) with id 0x4647.
fn dns_query(name: &str) -> Vec<u8> {
    let mut packet = vec![0x46, 0x47, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.trim_end_matches('.').split('.') {
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.extend_from_slice(&[0, 0, 1, 0, 1]);
    packet
}

/// The response code unbound gives `name`, retried while it starts.
fn rcode_from(port: u16, name: &str) -> Option<u8> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    let query = dns_query(name);
    let mut buf = [0u8; 512];
    for _ in 0..50 {
        socket.send_to(&query, ("127.0.0.1", port)).unwrap();
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            if n >= 4 && buf[0] == 0x46 && buf[1] == 0x47 {
                return Some(buf[3] & 0x0f);
            }
        }
    }
    None
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tool(name: &str) -> std::path::PathBuf {
    let sbin = std::path::Path::new("/usr/sbin").join(name);
    if sbin.exists() {
        sbin
    } else {
        std::path::PathBuf::from(name)
    }
}

/// Runs unbound with `blocklist` (in `server:` through an include, or as
/// an RPZ zone) and returns the rcode of each name.
fn through_unbound(dir: &TempDir, rpz: bool, blocklist: &str, names: &[&str]) -> Vec<Option<u8>> {
    let list = dir.write(if rpz { "fnguard.rpz" } else { "local.conf" }, blocklist);
    let port = free_udp_port();
    let root = dir.root().display().to_string();
    let mut conf = format!(
        "server:\n    interface: 127.0.0.1\n    port: {port}\n    do-ip6: no\n    do-tcp: no\n    use-syslog: no\n    logfile: \"\"\n    chroot: \"\"\n    username: \"\"\n    directory: \"{root}\"\n    pidfile: \"{root}/unbound.pid\"\n    do-daemonize: no\n    access-control: 127.0.0.0/8 allow\n    module-config: \"respip iterator\"\n"
    );
    if rpz {
        conf.push_str(&format!(
            "rpz:\n    name: \"fnguard.rpz.\"\n    zonefile: \"{}\"\n",
            list.display()
        ));
    } else {
        conf.push_str(&format!("include: \"{}\"\n", list.display()));
    }
    let conf_path = dir.write(if rpz { "rpz.conf" } else { "unbound.conf" }, &conf);
    let check = std::process::Command::new(tool("unbound-checkconf"))
        .arg(&conf_path)
        .output()
        .expect("unbound-checkconf runs (scripts/setup-test-tools.sh installs unbound)");
    assert!(
        check.status.success(),
        "unbound-checkconf: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let mut server = std::process::Command::new(tool("unbound"))
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("unbound starts");
    let codes = names.iter().map(|name| rcode_from(port, name)).collect();
    let _ = server.kill();
    let _ = server.wait();
    codes
}

#[test]
fn exported_blocklists_load_in_unbound_and_answer_nxdomain() {
    const NXDOMAIN: Option<u8> = Some(3);
    let dir = TempDir::new("intel-unbound");
    let names = [
        "savesurvey-wdzwrthfoe.cn-hangzhou.fcapp.run",
        "jb6uzlmmok5wxyr2nzdci3wdfi0rcush.lambda-url.us-west-2.on.aws",
        "service-h0jbiq9b-1300814016.sh.apigw.tencentcs.com",
    ];
    // Control: without the blocklist the same server does not say NXDOMAIN
    // (it has no upstream here: SERVFAIL).
    let control = through_unbound(&dir, false, "server:\n", &names[..1]);
    assert_ne!(control, [NXDOMAIN], "the blocklist is what answers");
    let unbound = fnguard(["intel", "export", "--format", "unbound"]);
    assert_eq!(unbound.code, 0, "{}", unbound.stderr);
    assert_eq!(
        through_unbound(&dir, false, &unbound.stdout, &names),
        [NXDOMAIN; 3]
    );
    let rpz = fnguard(["intel", "export", "--format", "rpz"]);
    assert_eq!(rpz.code, 0, "{}", rpz.stderr);
    assert_eq!(
        through_unbound(&dir, true, &rpz.stdout, &names),
        [NXDOMAIN; 3]
    );
    // A vendor filter leaves the others out.
    let only_aws = fnguard(["intel", "export", "--format", "unbound", "--vendor", "aws"]);
    assert!(only_aws.stdout.contains("lambda-url.us-west-2.on.aws"));
    assert!(!only_aws.stdout.contains("fcapp.run"));
    let bad = fnguard(["intel", "export", "--format", "bind9"]);
    assert_eq!(bad.code, 2);
}

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn abuse_reports_name_the_tenant_redact_samples_and_validate_as_xarf() {
    let dir = TempDir::new("intel-report");
    let log = dir.write(
        "proxy.log",
        &format!(
            "2026-12-01T10:00:00Z 10.0.0.5 CONNECT {TENCENT}:443\n2026-12-02T11:30:00Z 10.0.0.5 POST https://{TENCENT}/?key=s3cr3tvalue \"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9\"\n2026-12-02T12:00:00Z 10.0.0.9 GET https://www.example.com/\n"
        ),
    );
    let text = fnguard([
        "intel",
        "report",
        TENCENT,
        "--evidence",
        log.to_str().unwrap(),
    ]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    for expected in [
        "To: https://cloud.tencent.com/act/event/report-platform",
        "Tenant (account): 1300814016",
        "Times seen: 2",
        "First seen: 2026-12-01T10:00:00Z",
        "Last seen: 2026-12-02T11:30:00Z",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected}\n{}",
            text.stdout
        );
    }
    assert!(!text.stdout.contains("s3cr3tvalue") && !text.stdout.contains("eyJhbGci"));
    let zh = fnguard([
        "intel",
        "report",
        TENCENT,
        "--evidence",
        log.to_str().unwrap(),
        "--lang",
        "zh",
    ]);
    assert!(
        zh.stdout.contains("租户（账号）: 1300814016"),
        "{}",
        zh.stdout
    );

    let xarf = fnguard([
        "intel",
        "report",
        &format!("https://{TENCENT}/"),
        "--evidence",
        log.to_str().unwrap(),
        "--format",
        "xarf",
        "--reporter-org",
        "Example Corp",
        "--reporter-contact",
        "abuse@example.com",
        "--reporter-domain",
        "example.com",
    ]);
    assert_eq!(xarf.code, 0, "{}", xarf.stderr);
    let report: Value = serde_json::from_str(&xarf.stdout).unwrap();
    assert_eq!(report["source_identifier"], TENCENT);
    assert_eq!(report["timestamp"], "2026-12-02T11:30:00Z");
    assert!(report["tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("tenant:1300814016")));
    let file = dir.write("report.json", &xarf.stdout);
    let validated = std::process::Command::new("python3")
        .arg(repo_root().join("scripts/validate-xarf.py"))
        .arg(&file)
        .output()
        .expect("python3 (scripts/setup-test-tools.sh installs the xarf package)");
    assert!(
        validated.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );
    // A broken report does not validate: the check can fail.
    let mut broken = report.clone();
    broken["category"] = Value::from("nonsense");
    let file = dir.write("broken.json", &broken.to_string());
    let refused = std::process::Command::new("python3")
        .arg(repo_root().join("scripts/validate-xarf.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(!refused.status.success());

    let no_reporter = fnguard([
        "intel",
        "report",
        TENCENT,
        "--evidence",
        log.to_str().unwrap(),
        "--format",
        "xarf",
    ]);
    assert_eq!(no_reporter.code, 2);
    let not_endpoint = fnguard([
        "intel",
        "report",
        "www.example.com",
        "--evidence",
        log.to_str().unwrap(),
    ]);
    assert_eq!(not_endpoint.code, 2);
    assert!(
        not_endpoint.stderr.contains("not a known"),
        "{}",
        not_endpoint.stderr
    );
}

#[test]
fn dns_check_decides_names_with_the_documented_policy() {
    let policy = repo_root().join("docs/dns-policy.toml");
    let run = fnguard([
        "dns",
        "check",
        "--config",
        policy.to_str().unwrap(),
        "--format",
        "json",
        TENCENT,
        "service-69kfaex1-1312645837.bj.apigw.tencentcs.com",
        "mxkb7e6wih.execute-api.us-east-1.amazonaws.com",
        "s3.amazonaws.com",
        "evil.example.net",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Value = serde_json::from_str(&run.stdout).unwrap();
    let decided: Vec<(&str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["decision"].as_str().unwrap(), r["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        decided,
        [
            ("allow", "exception:tencent/1300814016"),
            ("block", "category:gateway"),
            ("block", "category:gateway"),
            ("allow", "allow:amazonaws.com"),
            ("block", "default"),
        ]
    );
    assert_eq!(rows[1]["tenant"], "1312645837");
    // Actions per rule, as docs/dns-policy.toml sets them.
    assert_eq!(rows[1]["action"], "NXDOMAIN", "category");
    assert_eq!(rows[4]["action"], "REFUSED", "default");

    let dir = TempDir::new("dns-bad");
    let bad = dir.write(
        "p.toml",
        "[policy]\nmode = \"allowlist\"\nupstream = \"8.8.8.8\"\n",
    );
    let run = fnguard(["dns", "check", "--config", bad.to_str().unwrap(), "x.com"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("p.toml:3:1"), "{}", run.stderr);
}
