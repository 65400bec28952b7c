//! The `fnguard` binary end to end, on folders made by each test. These
//! tests hold whatever checks exist: they assert wiring (discovery, errors,
//! config, baselines, exit codes), not particular findings (see e2e.rs).

mod common;

use common::*;

#[test]
fn version_names_the_tool() {
    let run = fnguard(["--version"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("fnguard "), "{}", run.stdout);
}

#[test]
fn nothing_to_scan_exits_0() {
    let dir = TempDir::new("empty");
    dir.write("README.md", "# hello\n");
    dir.write("ci.yml", "on: push\njobs: {}\n");
    let run = fnguard([std::ffi::OsStr::new("scan"), dir.root().as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    for args in [
        vec!["scan"],
        vec!["scan", "--bogus-flag", "."],
        vec!["scan", "--fail-on", "sometimes", "."],
        vec!["scan", "--format", "pdf", "."],
        vec!["scan", "--lang", "fr", "."],
        vec!["scan", "--scan-date", "2026-02-30", "."],
        vec!["scan", "--max-file-size", "lots", "."],
        vec!["frobnicate"],
    ] {
        let run = fnguard(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
    let missing = dir.path("does-not-exist");
    let run = fnguard([std::ffi::OsStr::new("scan"), missing.as_os_str()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does-not-exist"), "{}", run.stderr);
}

#[test]
fn bad_yaml_beside_a_good_file_exits_2_and_still_reports_the_good_one() {
    let dir = TempDir::new("bad-yaml");
    dir.write("good/template.yaml", CFN_FUNCTION);
    dir.write("broken/template.yaml", BROKEN_CFN);
    let run = fnguard([
        "scan".as_ref(),
        dir.root().as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("broken/template.yaml"))
        .unwrap_or_else(|| panic!("no error naming the file:\n{}", run.stderr));
    // error: broken/template.yaml:LINE:COL: message
    let expected_prefix = format!(
        "error: {}/broken/template.yaml:",
        dir.root().display().to_string().replace('\\', "/")
    );
    let rest = line
        .strip_prefix(&expected_prefix)
        .unwrap_or_else(|| panic!("badly formatted error: {line}"));
    let mut parts = rest.splitn(3, ':');
    let line_no: u32 = parts.next().and_then(|p| p.parse().ok()).expect("line");
    let col_no: u32 = parts.next().and_then(|p| p.parse().ok()).expect("col");
    assert!(line_no >= 3 && col_no >= 1, "{line}");
    assert!(!run.stderr.contains("good/template.yaml"), "{}", run.stderr);

    let doc = run.json();
    assert_eq!(stat(&doc, "files_scanned"), 2);
    assert_eq!(stat(&doc, "deployments_scanned"), 1);
    let errors = errors(&doc);
    assert_eq!(errors.len(), 1, "{doc:#}");
    let root = dir.root().display().to_string().replace('\\', "/");
    assert_eq!(errors[0].0, format!("{root}/broken/template.yaml"));
    assert!(findings(&doc)
        .iter()
        .all(|f| f["location"]["path"] == format!("{root}/good/template.yaml").as_str()));
}

#[test]
fn discovery_goes_by_content_not_name() {
    let dir = TempDir::new("content");
    dir.write("stack.txt.yaml", CFN_FUNCTION);
    dir.write("svc/app.yml", SERVERLESS_APP);
    dir.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: nginx\n",
    );
    dir.write(
        "package.json",
        "{\"name\": \"x\", \"version\": \"1.0.0\"}\n",
    );
    dir.write("node_modules/lib/template.yaml", BROKEN_CFN);
    dir.write(".aws-sam/build/template.yaml", BROKEN_CFN);
    dir.write("web/serverless.ts", "export default {}\n");
    // The IaC files only: the code they deploy is counted by other tests.
    let run = fnguard([
        "scan".as_ref(),
        dir.root().as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--fail-on".as_ref(),
        "none".as_ref(),
        "--no-packages".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(stat(&doc, "files_scanned"), 2, "{doc:#}");
    assert_eq!(stat(&doc, "deployments_scanned"), 2, "{doc:#}");
    assert!(run.stderr.contains("/web/serverless.ts"), "{}", run.stderr);
    let quiet = fnguard([
        "scan".as_ref(),
        dir.root().as_os_str(),
        "--quiet".as_ref(),
        "--fail-on".as_ref(),
        "none".as_ref(),
    ]);
    assert_eq!(quiet.code, 0);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
}

#[test]
fn a_named_file_that_is_no_input_is_an_error() {
    let dir = TempDir::new("named");
    let file = dir.write("notes.yaml", "title: notes\n");
    let run = fnguard([std::ffi::OsStr::new("scan"), file.as_os_str()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("notes.yaml"), "{}", run.stderr);
}

#[test]
fn exclude_globs_skip_files() {
    let dir = TempDir::new("exclude");
    dir.write("keep/template.yaml", CFN_FUNCTION);
    dir.write("legacy/old/template.yaml", BROKEN_CFN);
    dir.write("gen/x.generated.yaml", BROKEN_CFN);
    let base = [
        "scan".as_ref(),
        dir.root().as_os_str(),
        "--fail-on".as_ref(),
        "none".as_ref(),
    ];
    let all = fnguard(base);
    assert_eq!(all.code, 2, "both broken files are read without excludes");
    let mut args: Vec<&std::ffi::OsStr> = base.to_vec();
    args.extend(
        ["--exclude", "legacy/", "--exclude", "*.generated.yaml"].map(std::ffi::OsStr::new),
    );
    let run = fnguard(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The same from the config file found at the scan root.
    dir.write(
        "fnguard.toml",
        "[scan]\nexclude = [\"legacy/**\", \"gen/\"]\nfail_on = \"none\"\n",
    );
    let run = fnguard([std::ffi::OsStr::new("scan"), dir.root().as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn config_unknown_key_is_an_error_with_its_position() {
    let dir = TempDir::new("config");
    dir.write("template.yaml", CFN_FUNCTION);
    dir.write(
        "fnguard.toml",
        "[scan]\nfail_on = \"high\"\nexculde = [\"x\"]\n",
    );
    let run = fnguard([std::ffi::OsStr::new("scan"), dir.root().as_os_str()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("fnguard.toml:3:1: unknown field `exculde`"),
        "{}",
        run.stderr
    );

    let other = dir.write("other.toml", "[rules]\ndisable = [\"FG-NOPE-999\"]\n");
    let run = fnguard([
        "scan".as_ref(),
        dir.root().as_os_str(),
        "--config".as_ref(),
        other.as_os_str(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("other.toml:2:12: unknown rule id `FG-NOPE-999`"),
        "{}",
        run.stderr
    );

    let missing = dir.path("missing.toml");
    let run = fnguard([
        "scan".as_ref(),
        dir.root().as_os_str(),
        "--config".as_ref(),
        missing.as_os_str(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
}

#[test]
fn baseline_round_trip() {
    let dir = TempDir::new("baseline");
    dir.write("app/template.yaml", CFN_FUNCTION);
    dir.write("app/serverless.yml", SERVERLESS_APP);
    let baseline = dir.path("baseline.json");
    let root = dir.path("app");
    let run = fnguard([
        "scan".as_ref(),
        root.as_os_str(),
        "--fail-on".as_ref(),
        "info".as_ref(),
        "--write-baseline".as_ref(),
        baseline.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "writing a baseline succeeds: {}", run.stderr);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).expect("baseline written"))
            .expect("baseline is JSON");
    assert_eq!(written["schema_version"], "1.0.0");
    assert!(written["generated_by"]
        .as_str()
        .is_some_and(|s| s.starts_with("fnguard ")));
    let recorded = written["findings"].as_array().expect("findings").len();

    let run = fnguard([
        "scan".as_ref(),
        root.as_os_str(),
        "--fail-on".as_ref(),
        "info".as_ref(),
        "--baseline".as_ref(),
        baseline.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let found = findings(&doc);
    // Findings sharing a fingerprint are recorded once.
    assert!(found.len() >= recorded, "suppressed findings are kept");
    for finding in &found {
        assert_eq!(
            suppression_kind(finding).as_deref(),
            Some("baseline"),
            "{finding:#}"
        );
    }

    std::fs::write(
        &baseline,
        "{\"schema_version\": \"1.0.0\",\n \"findings\": 7}\n",
    )
    .expect("write");
    let run = fnguard([
        "scan".as_ref(),
        root.as_os_str(),
        "--baseline".as_ref(),
        baseline.as_os_str(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("baseline.json:2:"), "{}", run.stderr);
}

#[test]
fn output_file_receives_the_report() {
    let dir = TempDir::new("output");
    dir.write("template.yaml", CFN_FUNCTION);
    let out = dir.path("report.json");
    let run = fnguard([
        "scan".as_ref(),
        dir.path("template.yaml").as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--output".as_ref(),
        out.as_os_str(),
        "--fail-on".as_ref(),
        "none".as_ref(),
        "--lang".as_ref(),
        "zh".as_ref(),
        "--scan-date".as_ref(),
        "2026-01-15".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report")).expect("json");
    assert_eq!(stat(&doc, "files_scanned"), 1);
    let date = doc["scan"]["date"]
        .as_str()
        .or(doc["scan_date"].as_str())
        .expect("scan date");
    assert_eq!(date, "2026-01-15");
}

#[test]
fn every_format_renders() {
    let dir = TempDir::new("formats");
    dir.write("template.yaml", CFN_FUNCTION);
    for format in ["table", "json", "sarif", "junit", "markdown"] {
        let run = fnguard([
            "scan".as_ref(),
            dir.root().as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
            "--fail-on".as_ref(),
            "none".as_ref(),
            "--no-color".as_ref(),
        ]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert!(!run.stdout.is_empty(), "{format}");
        assert!(
            !run.stdout.contains('\u{1b}'),
            "{format}: colour without a terminal"
        );
    }
}

#[test]
fn rules_commands_work_in_both_languages() {
    for lang in ["en", "zh"] {
        let run = fnguard(["rules", "list", "--lang", lang]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let header = run.stdout.lines().next().unwrap_or("");
        assert!(
            header.contains(if lang == "en" { "ID" } else { "编号" }),
            "{header}"
        );
        let run = fnguard(["rules", "list", "--format", "json", "--lang", lang]);
        assert_eq!(run.code, 0);
        assert!(run.json().is_array());
    }
    let run = fnguard(["rules", "explain", "FG-NOPE-999"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown rule id `FG-NOPE-999`"),
        "{}",
        run.stderr
    );
}

#[test]
fn rules_check_proves_the_secret_rules() {
    let run = fnguard(["rules", "check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("secret rules checked")
            && run.stdout.contains("risk and remediation in en and zh"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_fnguard"))
        .args(["rules", "list", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
