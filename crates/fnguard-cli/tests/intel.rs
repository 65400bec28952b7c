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
