//! Helpers shared by the CLI test binaries: run the built `fnguard` on
//! folders made for the test (no tempfile crate: unique names under the
//! system temp folder, removed on drop).

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fnguard-cli-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    pub fn root(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The JSON document on stdout.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn fnguard<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output: Output = Command::new(env!("CARGO_BIN_EXE_fnguard"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run fnguard");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The findings of a JSON report.
pub fn findings(doc: &Value) -> Vec<Value> {
    doc["findings"].as_array().cloned().unwrap_or_default()
}

/// The kind of a finding's suppression (`baseline`, `config`...), if any.
pub fn suppression_kind(finding: &Value) -> Option<String> {
    finding["suppressed"]["kind"].as_str().map(str::to_string)
}

/// Scan statistics wherever the JSON renderer puts them.
pub fn stat(doc: &Value, name: &str) -> u64 {
    doc["scan"][name]
        .as_u64()
        .or_else(|| doc[name].as_u64())
        .unwrap_or_else(|| panic!("no {name} in {doc:#}"))
}

/// (path, line, column) of each input error in a JSON report.
pub fn errors(doc: &Value) -> Vec<(String, u64, u64)> {
    doc["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let loc = &e["location"];
            (
                loc["path"].as_str().unwrap_or("").to_string(),
                loc["line"].as_u64().unwrap_or(0),
                loc["column"].as_u64().or(loc["col"].as_u64()).unwrap_or(0),
            )
        })
        .collect()
}

pub const CFN_FUNCTION: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  OrdersFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/orders
      Code:
        ZipFile: "def handler(event, context): return 1"
"#;

pub const BROKEN_CFN: &str = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn: [unclosed\n    Type: AWS::Lambda::Function\n";

pub const SERVERLESS_APP: &str = r#"service: orders
frameworkVersion: '3'
provider:
  name: aws
  runtime: nodejs20.x
functions:
  create:
    handler: handler.create
"#;

/// Makes an unencrypted key pair in `dir` and returns (pub, key) paths.
pub fn keys(dir: &TempDir, name: &str) -> (String, String) {
    let public = dir.path(&format!("{name}.pub"));
    let secret = dir.path(&format!("{name}.key"));
    let run = fnguard([
        "keygen",
        "--unencrypted",
        "-p",
        public.to_str().unwrap(),
        "-s",
        secret.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (
        public.to_string_lossy().into_owned(),
        secret.to_string_lossy().into_owned(),
    )
}
