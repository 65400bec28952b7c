//! `fnguard scan` on the code that ships: the folders and archives the IaC
//! points at, archives and folders given directly, the OSV database, the
//! SBOM, and the rules of the package scan in `fnguard rules`.

mod common;

use common::{findings, fnguard, TempDir};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A key id with the shape of a real one (not AWS's documented example).
const AWS_KEY: &str = "AKIAQ3EGRN2VZK7TWB5D";

const SAM: &str = "AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
";

fn scan_json(paths: &[&Path], extra: &[&str]) -> (Value, common::Run) {
    let mut args: Vec<std::ffi::OsString> = vec!["scan".into()];
    args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    for a in ["--format", "json", "--fail-on", "none"]
        .iter()
        .chain(extra)
    {
        args.push(a.into());
    }
    let run = fnguard(&args);
    (run.json(), run)
}

fn with_rule(doc: &Value, prefix: &str) -> Vec<Value> {
    findings(doc)
        .into_iter()
        .filter(|f| f["rule_id"].as_str().unwrap_or("").starts_with(prefix))
        .collect()
}

fn zip_file(path: &Path, files: &[(&str, &[u8])]) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).expect("create zip"));
    for (name, bytes) in files {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_code_a_template_deploys_is_scanned_and_secrets_never_printed() {
    let dir = TempDir::new("pkg-sam");
    dir.write("template.yaml", SAM);
    dir.write(
        "src/app.py",
        &format!("import boto3\nKEY = '{AWS_KEY}'\n\ndef handler(e, c):\n    return 1\n"),
    );
    dir.write(
        "src/vendor/lib/fixtures.py",
        &format!("SAMPLE = '{AWS_KEY}'\n"),
    );
    let (doc, run) = scan_json(&[dir.root()], &[]);
    let secrets = with_rule(&doc, "FG-SEC-1");
    assert_eq!(secrets.len(), 2, "{secrets:#?}");
    let own = secrets
        .iter()
        .find(|f| {
            f["location"]["path"]
                .as_str()
                .unwrap()
                .ends_with("src/app.py")
        })
        .expect("the handler's secret");
    assert_eq!(own["resource"], "Orders");
    assert_eq!(own["location"]["line"], 2);
    let vendored = secrets
        .iter()
        .find(|f| f["location"]["path"].as_str().unwrap().contains("vendor/"))
        .expect("the vendored copy");
    assert_ne!(
        own["severity"], vendored["severity"],
        "class lowers severity"
    );
    assert!(
        !run.stdout.contains(AWS_KEY),
        "secret printed in the report"
    );
    // The table shows the same findings without the secret either.
    let table = fnguard(
        [
            dir.root().as_os_str(),
            "--fail-on".as_ref(),
            "none".as_ref(),
        ]
        .iter()
        .fold(vec![std::ffi::OsString::from("scan")], |mut v, a| {
            v.push(a.into());
            v
        }),
    );
    assert!(table.stdout.contains("FG-SEC-101"), "{}", table.stdout);
    assert!(!table.stdout.contains(AWS_KEY));

    let (doc, _) = scan_json(&[dir.root()], &["--no-packages"]);
    assert!(
        with_rule(&doc, "FG-SEC-1").is_empty(),
        "--no-packages reads no code"
    );
}

#[test]
fn a_code_location_outside_the_scanned_tree_is_not_read() {
    let outer = TempDir::new("pkg-outside");
    outer.write("secrets/creds.py", &format!("K = '{AWS_KEY}'\n"));
    outer.write(
        "project/template.yaml",
        &SAM.replace("CodeUri: src/", "CodeUri: ../secrets/"),
    );
    let (doc, run) = scan_json(&[&outer.path("project")], &["--verbose"]);
    assert!(
        with_rule(&doc, "FG-SEC-1").is_empty(),
        "{:#?}",
        findings(&doc)
    );
    assert!(
        run.stderr.contains("outside the scanned folders"),
        "{}",
        run.stderr
    );
    // Named on the command line, the same folder is scanned.
    let (doc, _) = scan_json(&[outer.root()], &[]);
    assert_eq!(with_rule(&doc, "FG-SEC-1").len(), 1);
}

#[test]
fn archives_given_directly_are_packages_and_a_broken_one_is_an_error() {
    let dir = TempDir::new("pkg-zip");
    let good = dir.path("fn.zip");
    zip_file(
        &good,
        &[
            ("app.py", format!("KEY = '{AWS_KEY}'\n").as_bytes()),
            ("../../etc/cron.d/x", b"* * * * * root sh\n"),
        ],
    );
    let broken = dir.path("broken.zip");
    std::fs::write(&broken, b"PK\x03\x04 this is not really a zip").unwrap();
    let (doc, run) = scan_json(&[&good, &broken], &[]);
    assert_eq!(run.code, 2, "an unreadable package is an input error");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0]["location"]["path"]
        .as_str()
        .unwrap()
        .ends_with("broken.zip"));
    let secret = with_rule(&doc, "FG-SEC-101");
    assert_eq!(secret.len(), 1, "the good archive is still reported");
    assert!(secret[0]["location"]["path"]
        .as_str()
        .unwrap()
        .ends_with("fn.zip!/app.py"));
    assert_eq!(with_rule(&doc, "FG-SUP-013").len(), 1, "zip slip entry");
}

#[test]
fn dependencies_are_matched_with_an_osv_database_and_the_sbom_validates() {
    let dir = TempDir::new("pkg-deps");
    dir.write("template.yaml", SAM);
    dir.write("src/app.py", "def handler(e, c):\n    return 1\n");
    dir.write("src/requirements.txt", "requests==2.30.0\nurllib3==2.2.2\n");
    let db = dir.path("osv");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("GHSA-test-0001.json"),
        r#"{"id":"GHSA-test-0001","aliases":["CVE-2099-0001"],"summary":"header leak",
           "affected":[{"package":{"ecosystem":"PyPI","name":"requests"},
           "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.31.0"}]}]}],
           "database_specific":{"severity":"HIGH"}}"#,
    )
    .unwrap();

    let (doc, run) = scan_json(&[dir.root()], &[]);
    assert!(with_rule(&doc, "FG-DEP").is_empty());
    // Without a database the inventory is still listed, and says so.
    assert_eq!(doc["inventory"]["advisories_checked"], false);
    let listed: Vec<String> = doc["inventory"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} line {}",
                p["purl"].as_str().unwrap(),
                p["location"]["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap(),
                p["location"]["line"]
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            "pkg:pypi/requests@2.30.0 requirements.txt line 1",
            "pkg:pypi/urllib3@2.2.2 requirements.txt line 2"
        ]
    );
    assert!(
        run.stderr.contains("--osv-db"),
        "without a database the user is told: {}",
        run.stderr
    );

    let sbom = dir.path("bom.cdx.json");
    let (doc, _) = scan_json(
        &[dir.root()],
        &[
            "--osv-db",
            db.to_str().unwrap(),
            "--sbom",
            sbom.to_str().unwrap(),
        ],
    );
    let vulnerable = with_rule(&doc, "FG-DEP-001");
    assert_eq!(vulnerable.len(), 1, "{:#?}", findings(&doc));
    assert_eq!(vulnerable[0]["severity"], "high");
    assert_eq!(doc["inventory"]["advisories_checked"], true);
    assert!(vulnerable[0]["location"]["path"]
        .as_str()
        .unwrap()
        .ends_with("src/requirements.txt"));
    let bom: Value = serde_json::from_str(&std::fs::read_to_string(&sbom).unwrap()).unwrap();
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(purls.contains(&"pkg:pypi/requests@2.30.0"), "{purls:?}");
    assert!(purls.contains(&"pkg:pypi/urllib3@2.2.2"), "{purls:?}");
    assert_eq!(bom["vulnerabilities"][0]["id"], "GHSA-test-0001");
    let validated = std::process::Command::new("python3")
        .arg(repo_root().join("scripts/validate-cyclonedx.py"))
        .arg(&sbom)
        .output()
        .expect("python3 runs (scripts/setup-test-tools.sh installs the validator)");
    assert!(
        validated.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    let missing = fnguard(["scan", ".", "--osv-db", "/nonexistent/osv"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/nonexistent/osv"),
        "{}",
        missing.stderr
    );
}

#[test]
fn the_package_rules_are_listed_and_explained() {
    let list = fnguard(["rules", "list", "--format", "json"]);
    assert_eq!(list.code, 0);
    let rules: Value = serde_json::from_str(&list.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "FG-SEC-101",
        "FG-SEC-180",
        "FG-SUP-001",
        "FG-SUP-013",
        "FG-DEP-001",
        "FG-DEP-002",
        "FG-IAM-001",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let explain = fnguard(["rules", "explain", "fg-sec-101", "--lang", "zh"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(explain.stdout.contains("FG-SEC-101"));
    assert!(explain.stdout.contains("修复建议"));
}

#[test]
fn the_sbom_of_the_example_links_functions_layers_and_packages() {
    let dir = TempDir::new("pkg-example-sbom");
    let sbom = dir.path("bom.json");
    let example = repo_root().join("examples/sam/vulnerable");
    let (doc, _) = scan_json(&[&example], &["--sbom", sbom.to_str().unwrap()]);
    // The layer's typosquat and start-up hook are reported on the layer.
    let hooks = with_rule(&doc, "FG-SUP-001");
    assert_eq!(hooks.len(), 1, "{:#?}", findings(&doc));
    assert_eq!(hooks[0]["resource"], "OrdersCommonLayer");
    assert!(hooks[0]["location"]["path"].as_str().unwrap().ends_with(
        "layers/vulnerable/orders-common/python/lib/python3.12/site-packages/reqeusts-init.pth"
    ));
    let bom: Value = serde_json::from_str(&std::fs::read_to_string(&sbom).unwrap()).unwrap();
    let depends_on = |reference: &str| -> Vec<String> {
        bom["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"].as_str().unwrap().ends_with(reference))
            .and_then(|d| d["dependsOn"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    };
    let function = depends_on("#ProcessPaymentFunction");
    assert_eq!(function.len(), 1, "{function:?}");
    assert!(function[0].starts_with("layer:") && function[0].ends_with("#OrdersCommonLayer"));
    let layer = depends_on("#OrdersCommonLayer");
    assert_eq!(
        layer,
        ["pkg:pypi/reqeusts@2.31.0", "pkg:pypi/requests@2.30.0"]
    );
}

#[test]
fn the_example_osv_database_flags_the_layers_requests() {
    let example = repo_root().join("examples/sam/vulnerable");
    let db = repo_root().join("examples/osv");
    let (doc, _) = scan_json(&[&example], &["--osv-db", db.to_str().unwrap()]);
    let vulnerable = with_rule(&doc, "FG-DEP-001");
    assert_eq!(vulnerable.len(), 1, "{vulnerable:#?}");
    let message = vulnerable[0]["message"].as_str().unwrap();
    assert!(message.contains("requests 2.30.0"), "{message}");
    assert!(message.contains("GHSA-j8r2-6x86-q33q"), "{message}");
    assert!(message.contains("fixed in 2.31.0"), "{message}");
    assert_eq!(vulnerable[0]["resource"], "OrdersCommonLayer");
}

#[test]
fn config_ignores_and_baselines_apply_to_package_findings() {
    let dir = TempDir::new("pkg-suppress");
    dir.write("template.yaml", SAM);
    dir.write("src/app.py", &format!("KEY = '{AWS_KEY}'\n"));
    dir.write(
        "src/vendor/lib/fixtures.py",
        &format!("SAMPLE = '{AWS_KEY}'\n"),
    );
    dir.write(
        "fnguard.toml",
        "[[ignore]]\nid = \"FG-SEC-101\"\npath = \"**/vendor/**\"\nreason = \"library fixture\"\n",
    );
    let (doc, _) = scan_json(&[dir.root()], &[]);
    let secrets = with_rule(&doc, "FG-SEC-101");
    assert_eq!(secrets.len(), 2);
    for finding in &secrets {
        let vendored = finding["location"]["path"]
            .as_str()
            .unwrap()
            .contains("/vendor/");
        assert_eq!(
            common::suppression_kind(finding).as_deref(),
            vendored.then_some("config"),
            "{finding:#}"
        );
    }
    let baseline = dir.path("baseline.json");
    let written = fnguard([
        "scan".as_ref(),
        dir.root().as_os_str(),
        "--write-baseline".as_ref(),
        baseline.as_os_str(),
    ]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    // The line moves; the fingerprint does not.
    dir.write("src/app.py", &format!("import os\n\nKEY = '{AWS_KEY}'\n"));
    let (doc, _) = scan_json(&[dir.root()], &["--baseline", baseline.to_str().unwrap()]);
    let own = with_rule(&doc, "FG-SEC-101")
        .into_iter()
        .find(|f| {
            f["location"]["path"]
                .as_str()
                .unwrap()
                .ends_with("src/app.py")
        })
        .unwrap();
    assert_eq!(own["location"]["line"], 3);
    assert_eq!(common::suppression_kind(&own).as_deref(), Some("baseline"));
}

#[test]
fn a_jar_in_a_function_zip_is_an_sbom_component_with_its_hash() {
    let dir = TempDir::new("pkg-jar-sbom");
    let jar_path = dir.path("inner.jar");
    zip_file(
        &jar_path,
        &[(
            "META-INF/maven/com.example/util/pom.properties",
            b"groupId=com.example\nartifactId=util\nversion=1.2.3\n",
        )],
    );
    let jar = std::fs::read(&jar_path).unwrap();
    let function = dir.path("fn.zip");
    zip_file(
        &function,
        &[
            ("lib/util-1.2.3.jar", &jar),
            ("com/example/H.class", b"\xca\xfe\xba\xbe"),
        ],
    );
    let sbom = dir.path("bom.json");
    let (_, run) = scan_json(&[&function], &["--sbom", sbom.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bom: Value = serde_json::from_str(&std::fs::read_to_string(&sbom).unwrap()).unwrap();
    let component = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == "pkg:maven/com.example/util@1.2.3")
        .expect("the jar's package");
    let hash = &component["hashes"][0];
    assert_eq!(hash["alg"], "SHA-256");
    assert_eq!(hash["content"].as_str().unwrap().len(), 64);
    let validated = std::process::Command::new("python3")
        .arg(repo_root().join("scripts/validate-cyclonedx.py"))
        .arg(&sbom)
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "{}",
        String::from_utf8_lossy(&validated.stderr)
    );
}
