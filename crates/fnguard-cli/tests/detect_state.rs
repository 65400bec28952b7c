//! `fnguard detect` with its stateful parts: what one run learns survives
//! into the next through --state, --follow reads logs as they grow and
//! saves on SIGTERM, and the detectors' options (--inventory,
//! --allow-endpoint, --no-detectors).

mod common;

use common::{fnguard, TempDir};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "ASIAQWERTYUIOPASDFGH";

fn call(time: &str, ip: &str, agent: &str) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEROLEID:thumbs",
            "arn": "arn:aws:sts::111122223333:assumed-role/thumbs-role/thumbs",
            "accountId": "111122223333",
            "accessKeyId": KEY,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/thumbs-role", "userName": "thumbs-role"}}
        },
        "eventTime": time,
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": agent,
        "eventID": format!("id-{time}"),
        "recipientAccountId": "111122223333"
    })
}

const INSIDE: &str = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux lang/python#3.12.4 exec-env/AWS_Lambda_python3.12";
const LAPTOP: &str = "aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64";

fn ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let alert: Value = serde_json::from_str(l).expect("JSON lines");
            alert["rule_id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn state_carries_what_a_run_learned_into_the_next() {
    let dir = TempDir::new("detect-state");
    let inside = dir.write(
        "day1.jsonl",
        &format!("{}\n", call("2026-12-05T10:00:00Z", "3.210.4.7", INSIDE)),
    );
    let outside = dir.write(
        "day2.jsonl",
        &format!("{}\n", call("2026-12-05T10:30:00Z", "203.0.113.50", LAPTOP)),
    );
    let state = dir.path("state.db");
    let jsonl = ["--format", "jsonl", "--state"];
    // Without a state, the second file alone says nothing.
    let alone = fnguard([
        "detect".as_ref(),
        outside.as_os_str(),
        "--format".as_ref(),
        "jsonl".as_ref(),
    ]);
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    assert!(ids(&alone.stdout).is_empty(), "{}", alone.stdout);
    let first = fnguard(
        ["detect".as_ref(), inside.as_os_str()]
            .into_iter()
            .chain(jsonl.iter().map(|s| s.as_ref()))
            .chain([state.as_os_str()]),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(state.exists());
    let second = fnguard(
        ["detect".as_ref(), outside.as_os_str()]
            .into_iter()
            .chain(jsonl.iter().map(|s| s.as_ref()))
            .chain([state.as_os_str()]),
    );
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert_eq!(ids(&second.stdout), ["FG-DET-101"], "{}", second.stdout);
    // A file that is not a state store is refused, naming it.
    let bogus = dir.write("bogus.db", "not sqlite at all, just text\n");
    let refused = fnguard([
        "detect".as_ref(),
        outside.as_os_str(),
        "--state".as_ref(),
        bogus.as_os_str(),
    ]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("bogus.db"), "{}", refused.stderr);
}

#[test]
fn no_detectors_and_allowed_endpoints() {
    let dir = TempDir::new("detect-options");
    let query = |name: &str| {
        json!({"version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
            "vpc_id": "vpc-1", "query_timestamp": "2026-12-05T10:00:00Z", "query_name": name,
            "query_type": "A", "query_class": "IN", "rcode": "NOERROR", "answers": [],
            "srcaddr": "10.0.1.5", "srcport": "5353", "transport": "UDP",
            "srcids": {"instance": "i-0abc"}})
        .to_string()
    };
    let log = dir.write(
        "resolver.jsonl",
        &format!(
            "{}\n{}\n",
            query("k3x9vq2m7hdw4zfqe5l6ytn8ca0ogbrs.lambda-url.eu-west-1.on.aws."),
            query("service-abcd1234-1257786608.gz.apigw.tencentcs.com.")
        ),
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "detect".to_string(),
            log.display().to_string(),
            "--format".into(),
            "jsonl".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        fnguard(args)
    };
    let all = run(&[]);
    assert_eq!(
        ids(&all.stdout),
        ["FG-DET-132", "FG-DET-132"],
        "{}",
        all.stderr
    );
    let allowed = run(&["--allow-endpoint", "tencent:1257786608"]);
    assert_eq!(ids(&allowed.stdout), ["FG-DET-132"], "{}", allowed.stderr);
    assert!(allowed.stdout.contains("lambda-url"), "{}", allowed.stdout);
    let none = run(&["--allow-endpoint", "aws", "--allow-endpoint", "tencent"]);
    assert!(ids(&none.stdout).is_empty(), "{}", none.stdout);
    let rules_only = run(&["--no-detectors"]);
    assert!(ids(&rules_only.stdout).is_empty(), "{}", rules_only.stdout);
    assert!(
        rules_only.stderr.contains("0 detectors"),
        "{}",
        rules_only.stderr
    );
    let bad = run(&["--allow-endpoint", ":x"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--allow-endpoint"), "{}", bad.stderr);
}

#[test]
fn inventory_names_the_roles_functions_use() {
    let dir = TempDir::new("detect-inventory");
    // fnguard scan's own JSON report of the vulnerable SAM example.
    let example =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sam/vulnerable");
    let scan = fnguard([
        "scan".as_ref(),
        example.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let inventory = dir.write("inventory.json", &scan.stdout);
    let report: Value = serde_json::from_str(&scan.stdout).expect("scan JSON");
    assert!(report.is_object());
    let loaded = fnguard_detect::detectors::inventory::load(&inventory).expect("inventory loads");
    let (function, role) = loaded
        .function_roles
        .iter()
        .next()
        .map(|(f, r)| (f.clone(), r.clone()))
        .expect("the example's functions have roles");
    let role_name = role.rsplit('/').next().unwrap().to_string();
    let change = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEEXAMPLE12", "userName": "mallory"},
        "eventTime": "2026-12-05T10:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": "AttachRolePolicy",
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9", "userAgent": LAPTOP,
        "requestParameters": {"roleName": role_name, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        "eventID": "e1", "recipientAccountId": "111122223333"
    });
    let log = dir.write("trail.jsonl", &format!("{change}\n"));
    let without = fnguard([
        "detect".as_ref(),
        log.as_os_str(),
        "--format".as_ref(),
        "jsonl".as_ref(),
    ]);
    assert!(
        ids(&without.stdout).is_empty(),
        "{function}: {}",
        without.stdout
    );
    let with = fnguard([
        "detect".as_ref(),
        log.as_os_str(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--inventory".as_ref(),
        inventory.as_os_str(),
    ]);
    assert_eq!(
        ids(&with.stdout),
        ["FG-DET-103"],
        "{}{}",
        with.stdout,
        with.stderr
    );
    let broken = dir.write("broken.json", "{\"findings\": [");
    let refused = fnguard([
        "detect".as_ref(),
        log.as_os_str(),
        "--inventory".as_ref(),
        broken.as_os_str(),
    ]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("broken.json"), "{}", refused.stderr);
}

#[test]
fn follow_reads_appended_lines_and_saves_state_on_sigterm() {
    let dir = TempDir::new("detect-follow");
    let log = dir.write(
        "trail.jsonl",
        &format!("{}\n", call("2026-12-05T10:00:00Z", "3.210.4.7", INSIDE)),
    );
    let state = dir.path("state.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fnguard"))
        .args([
            "detect".as_ref(),
            log.as_os_str(),
            "--format".as_ref(),
            "jsonl".as_ref(),
        ])
        .args(["--follow", "--poll", "50ms", "--state"])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fnguard starts");
    std::thread::sleep(Duration::from_millis(300));
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    // Half a line first: not read until it is whole.
    let outside = call("2026-12-05T10:20:00Z", "203.0.113.50", LAPTOP).to_string();
    let (head, tail) = outside.split_at(40);
    file.write_all(head.as_bytes()).unwrap();
    file.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    writeln!(file, "{tail}").unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = stdout.read_line(&mut line);
        let _ = sender.send(line);
    });
    let alert = receiver
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .expect("an alert while following");
    assert!(alert.contains("FG-DET-101"), "{alert}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    // Alerts were output: exit 1, after a clean stop.
    assert_eq!(exit.code(), Some(1));
    let store = fnguard_detect::state::StateStore::open(&state).expect("state saved");
    let saved = store
        .load("stolen-credentials")
        .unwrap()
        .expect("detector state");
    assert!(saved.to_string().contains(KEY), "{saved}");
}
