//! Finding the inputs of `fnguard scan PATH`: walk folders (respecting
//! `.gitignore`, skipping hidden and tool-output folders and user excludes)
//! and identify each file's format by its content, so a CloudFormation
//! template called `stack.txt.yaml` or a Serverless file called `app.yml` is
//! found, and a random YAML file is not mistaken for one.
//!
//! Two levels: [`walk`] lists candidate files cheaply (names only), and
//! [`read_candidate`] + [`sniff`] classify one file by content. The scan
//! engine runs the second level in parallel and loads each file from the
//! same read; [`discover`] chains both serially for callers that only want
//! the list of inputs.

use crate::LoadError;
use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Folders written by tools (dependencies, caches, build output) that hold
/// copies or generated versions of what the user wrote: scanning them
/// doubles findings and costs time.
pub const DEFAULT_EXCLUDED_DIRS: &[&str] = &[
    "node_modules",
    ".terraform",
    ".serverless",
    ".aws-sam",
    "cdk.out",
];

/// Default cap on the size of one input file (100 MB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;

/// How much of a file the format test looks at before deciding; the keys
/// that identify a format sit near the top of real templates.
const SNIFF_WINDOW: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Gitignore-style globs, matched against paths relative to the root.
    pub excludes: Vec<String>,
    pub max_file_size: u64,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            excludes: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// A file on disk and how users see it (relative to the scan root, with
/// forward slashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub display: String,
}

/// A file worth opening, before its content is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    /// YAML or JSON: its content decides what it is.
    Document {
        file: SourceFile,
        /// The user named this file on the command line: not recognising it
        /// is an error instead of a silent skip.
        explicit: bool,
    },
    /// Every `.tf` file of one folder: Terraform's unit of loading.
    TerraformModule { dir: String, files: Vec<SourceFile> },
}

/// Formats recognised by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CloudFormation, including SAM (`Transform: AWS::Serverless`).
    CloudFormation,
    Serverless,
    TerraformPlan,
}

/// One deployment unit to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    CloudFormation(SourceFile),
    Serverless(SourceFile),
    TerraformModule { dir: String, files: Vec<SourceFile> },
    TerraformPlan(SourceFile),
}

/// The result of walking the scan roots.
#[derive(Debug, Default)]
pub struct Walk {
    pub candidates: Vec<Candidate>,
    /// Files seen that cannot be inputs by their name.
    pub skipped: usize,
    /// Things the user should know about but that are not errors (an
    /// unsupported `serverless.ts`).
    pub notes: Vec<String>,
    /// Roots that do not exist, unreadable folders, bad exclude globs.
    pub errors: Vec<LoadError>,
}

/// The result of [`discover`].
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    pub skipped: usize,
    pub notes: Vec<String>,
    pub errors: Vec<LoadError>,
}

/// List the candidate files under `roots`. Display paths keep the root as
/// the user gave it (`fnguard scan examples/sam` shows
/// `examples/sam/template.yaml`, like ripgrep), so that they stay
/// meaningful from where the command ran: SARIF uploads and editors resolve
/// them against the working directory.
pub fn walk(roots: &[PathBuf], opts: &DiscoverOptions) -> Walk {
    let mut out = Walk::default();
    let mut modules: BTreeMap<String, (String, Vec<SourceFile>)> = BTreeMap::new();
    for root in roots {
        let meta = match std::fs::metadata(root) {
            Ok(meta) => meta,
            Err(err) => {
                out.errors.push(LoadError::new(
                    slash(root),
                    0,
                    0,
                    format!("cannot read: {err}"),
                ));
                continue;
            }
        };
        if meta.is_file() {
            let file = SourceFile {
                path: root.clone(),
                display: slash(root),
            };
            classify_name(file, true, &mut out, &mut modules);
            continue;
        }
        let mut overrides = OverrideBuilder::new(root);
        for glob in &opts.excludes {
            if let Err(err) = overrides.add(&format!("!{glob}")) {
                out.errors.push(LoadError::new(
                    "<exclude>",
                    0,
                    0,
                    format!("bad exclude pattern `{glob}`: {err}"),
                ));
            }
        }
        let overrides = match overrides.build() {
            Ok(o) => o,
            Err(err) => {
                out.errors.push(LoadError::new(
                    "<exclude>",
                    0,
                    0,
                    format!("bad exclude patterns: {err}"),
                ));
                continue;
            }
        };
        let walker = WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .ignore(true)
            // A checkout copied out of git, or a CI workspace without
            // `.git`, still means what its .gitignore says.
            .require_git(false)
            .overrides(overrides)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && entry.depth() > 0
                    && entry
                        .file_name()
                        .to_str()
                        .is_some_and(|n| DEFAULT_EXCLUDED_DIRS.contains(&n)))
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    out.errors
                        .push(LoadError::new(slash(root), 0, 0, err.to_string()));
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(path);
            let joined = slash(&root.join(relative));
            let display = joined
                .strip_prefix("./")
                .map(str::to_string)
                .unwrap_or(joined);
            let file = SourceFile {
                path: path.to_path_buf(),
                display,
            };
            classify_name(file, false, &mut out, &mut modules);
        }
    }
    for (_, (dir, files)) in modules {
        out.candidates
            .push(Candidate::TerraformModule { dir, files });
    }
    out
}

fn classify_name(
    file: SourceFile,
    explicit: bool,
    out: &mut Walk,
    modules: &mut BTreeMap<String, (String, Vec<SourceFile>)>,
) {
    let name = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Terraform's JSON syntax (`main.tf.json`, CDK for Terraform output)
    // belongs to the folder's module like `.tf` files.
    let ext = if name.ends_with(".tf.json") {
        "tf"
    } else {
        name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
    };
    match ext {
        "yaml" | "yml" | "json" | "template" => {
            out.candidates.push(Candidate::Document { file, explicit })
        }
        "tf" => {
            let dir_key = file
                .path
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dir_display = match file.display.rsplit_once('/') {
                Some((dir, _)) => dir.to_string(),
                None => ".".to_string(),
            };
            modules
                .entry(dir_key)
                .or_insert_with(|| (dir_display, Vec::new()))
                .1
                .push(file);
        }
        _ if name.starts_with("serverless.") && matches!(ext, "ts" | "js" | "cjs" | "mjs") => {
            out.skipped += 1;
            out.notes.push(format!(
                "{}: Serverless Framework configuration written in JavaScript/TypeScript is not supported (only YAML/JSON); skipped",
                file.display
            ));
        }
        _ if explicit => out.errors.push(LoadError::new(
            file.display,
            0,
            0,
            "not a CloudFormation, SAM, Serverless Framework or Terraform file",
        )),
        _ => out.skipped += 1,
    }
}

/// Read a candidate document and decide its format. `Ok(None)`: not an
/// input (a random YAML/JSON file). Errors: too big, unreadable, or an
/// input that is not UTF-8.
pub fn read_candidate(
    file: &SourceFile,
    max_file_size: u64,
) -> Result<Option<(Kind, String)>, LoadError> {
    let text = read_text(file, max_file_size, true)?;
    match text {
        Some(text) => Ok(sniff(&text).map(|kind| (kind, text))),
        None => Ok(None),
    }
}

/// Read a file that is known to be an input (a `.tf` file, or a document
/// already recognised).
pub fn read_source(file: &SourceFile, max_file_size: u64) -> Result<String, LoadError> {
    match read_text(file, max_file_size, false)? {
        Some(text) => Ok(text),
        // Unreachable with `only_if_input = false`; kept total anyway.
        None => Err(LoadError::new(&file.display, 0, 0, "cannot read file")),
    }
}

/// `only_if_input`: a non-UTF-8 file that does not look like an input is
/// not worth an error (binary JSON-named blobs exist), so give `None`.
fn read_text(
    file: &SourceFile,
    max_file_size: u64,
    only_if_input: bool,
) -> Result<Option<String>, LoadError> {
    let err = |line: u32, col: u32, message: String| {
        LoadError::new(file.display.clone(), line, col, message)
    };
    let size = std::fs::metadata(&file.path)
        .map_err(|e| err(0, 0, format!("cannot read: {e}")))?
        .len();
    if size > max_file_size {
        return Err(err(
            0,
            0,
            format!(
                "file is {} bytes, above the {} byte limit (--max-file-size); skipped",
                size, max_file_size
            ),
        ));
    }
    let mut bytes =
        std::fs::read(&file.path).map_err(|e| err(0, 0, format!("cannot read: {e}")))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        if only_if_input && !looks_like_input_utf16(&bytes) {
            return Ok(None);
        }
        return Err(err(
            1,
            1,
            "file is UTF-16; save it as UTF-8 to scan it".to_string(),
        ));
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    // Converting in place: no copy of a file that may be tens of megabytes.
    let invalid = match String::from_utf8(bytes) {
        Ok(text) => return Ok(Some(text)),
        Err(invalid) => invalid,
    };
    let valid_up_to = invalid.utf8_error().valid_up_to();
    let body = invalid.into_bytes();
    if only_if_input {
        let lossy = String::from_utf8_lossy(&body[..body.len().min(SNIFF_WINDOW)]);
        if sniff(&lossy).is_none() {
            return Ok(None);
        }
    }
    let valid = &body[..valid_up_to];
    let line = valid.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let line_start = valid
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|p| p + 1)
        .unwrap_or(0);
    let col = String::from_utf8_lossy(&valid[line_start..])
        .chars()
        .count() as u32
        + 1;
    Err(err(line, col, "file is not valid UTF-8".to_string()))
}

fn looks_like_input_utf16(bytes: &[u8]) -> bool {
    let little_endian = bytes.starts_with(&[0xFF, 0xFE]);
    let units: Vec<u16> = bytes[2..bytes.len().min(SNIFF_WINDOW)]
        .chunks_exact(2)
        .map(|c| {
            if little_endian {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .collect();
    sniff(&String::from_utf16_lossy(&units)).is_some()
}

/// Decide a document's format from its text with substring tests over the
/// first [`SNIFF_WINDOW`] bytes (the whole file when the window is
/// inconclusive). Never parses the document: the loader does that once.
pub fn sniff(text: &str) -> Option<Kind> {
    let window = prefix(text, SNIFF_WINDOW);
    if let Some(kind) = sniff_window(window) {
        return Some(kind);
    }
    if window.len() < text.len() {
        return sniff_window(text);
    }
    None
}

fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn sniff_window(text: &str) -> Option<Kind> {
    let trimmed = text.trim_start();
    let is_json = trimmed.starts_with('{');
    if is_json {
        let terraform_json =
            text.contains("\"format_version\"") && text.contains("\"terraform_version\"");
        if text.contains("\"format_version\"")
            && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
        {
            return Some(Kind::TerraformPlan);
        }
        // `terraform show -json` without a plan prints the state, which the
        // plan loader reads the same way.
        if terraform_json && text.contains("\"root_module\"") {
            return Some(Kind::TerraformPlan);
        }
        if text.contains("\"AWSTemplateFormatVersion\"")
            || text.contains("AWS::Serverless")
            || (text.contains("\"Resources\"") && text.contains("\"AWS::"))
        {
            // A Serverless Framework JSON config also carries CloudFormation
            // under `resources.Resources`: its top-level keys tell them apart.
            if json_has_serverless_keys(text) {
                return Some(Kind::Serverless);
            }
            return Some(Kind::CloudFormation);
        }
        if json_has_serverless_keys(text) {
            return Some(Kind::Serverless);
        }
        return None;
    }
    let keys = yaml_top_level_keys(text);
    let has = |k: &str| keys.contains(&k);
    if has("service") && has("provider") {
        return Some(Kind::Serverless);
    }
    if has("AWSTemplateFormatVersion") {
        return Some(Kind::CloudFormation);
    }
    if has("Transform") && text.contains("AWS::Serverless") {
        return Some(Kind::CloudFormation);
    }
    if has("Resources") && text.contains("AWS::") && text.contains("Type") {
        return Some(Kind::CloudFormation);
    }
    None
}

/// Keys of the top-level YAML mapping: lines starting at column 0 with
/// `key:`. Quoted keys are unquoted. Good enough to tell formats apart
/// without parsing.
fn yaml_top_level_keys(text: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let Some(first) = line.chars().next() else {
            continue;
        };
        if first.is_whitespace() || matches!(first, '#' | '-' | '%' | '}' | ']' | '.') {
            continue;
        }
        let Some((key, _)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
        if !key.is_empty() && !key.contains(' ') {
            keys.push(key);
        }
    }
    keys
}

/// A JSON object with top-level `service` and `provider`. Only parsed when
/// both words occur, so unrelated JSON costs a substring test.
fn json_has_serverless_keys(text: &str) -> bool {
    if !(text.contains("\"service\"") && text.contains("\"provider\"")) {
        return false;
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => {
            map.contains_key("service") && map.contains_key("provider")
        }
        _ => false,
    }
}

/// Walk and classify serially: the list of inputs under `roots`.
pub fn discover(roots: &[PathBuf], opts: &DiscoverOptions) -> Discovery {
    let walk = walk(roots, opts);
    let mut out = Discovery {
        inputs: Vec::new(),
        skipped: walk.skipped,
        notes: walk.notes,
        errors: walk.errors,
    };
    for candidate in walk.candidates {
        match candidate {
            Candidate::TerraformModule { dir, files } => {
                out.inputs.push(Input::TerraformModule { dir, files })
            }
            Candidate::Document { file, explicit } => {
                match read_candidate(&file, opts.max_file_size) {
                    Ok(Some((kind, _))) => out.inputs.push(match kind {
                        Kind::CloudFormation => Input::CloudFormation(file),
                        Kind::Serverless => Input::Serverless(file),
                        Kind::TerraformPlan => Input::TerraformPlan(file),
                    }),
                    Ok(None) if explicit => out.errors.push(not_an_input(&file)),
                    Ok(None) => out.skipped += 1,
                    Err(err) => out.errors.push(err),
                }
            }
        }
    }
    out
}

/// The error for a file named on the command line that is no input.
pub fn not_an_input(file: &SourceFile) -> LoadError {
    LoadError::new(
        file.display.clone(),
        0,
        0,
        "not a CloudFormation, SAM, Serverless Framework or Terraform plan document",
    )
}

fn slash(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// `root` as it should appear in displays: the path given, or `.`.
pub fn display_root(root: &Path) -> String {
    let s = slash(root);
    if s.is_empty() {
        ".".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn temp_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fnguard-discover-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn write(dir: &Path, rel: &str, text: &[u8]) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    const CFN: &str = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n";
    const SAM: &str = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n";
    const SLS: &str = "service: orders\nprovider:\n  name: aws\nfunctions:\n  a:\n    handler: h\nresources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n";

    #[test]
    fn sniff_tells_formats_apart_by_content() {
        assert_eq!(sniff(CFN), Some(Kind::CloudFormation));
        assert_eq!(sniff(SAM), Some(Kind::CloudFormation));
        assert_eq!(
            sniff("Resources:\n  B:\n    Type: AWS::S3::Bucket\n"),
            Some(Kind::CloudFormation)
        );
        assert_eq!(sniff(SLS), Some(Kind::Serverless));
        assert_eq!(
            sniff("---\n\"service\": x\nprovider: {name: aws}\n"),
            Some(Kind::Serverless)
        );
        assert_eq!(
            sniff(r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}"#),
            Some(Kind::CloudFormation)
        );
        assert_eq!(
            sniff(
                r#"{"service":"s","provider":{"name":"aws"},"resources":{"Resources":{"Q":{"Type":"AWS::SQS::Queue"}}}}"#
            ),
            Some(Kind::Serverless)
        );
        assert_eq!(
            sniff(r#"{"format_version":"1.2","planned_values":{}}"#),
            Some(Kind::TerraformPlan)
        );
        assert_eq!(
            sniff(
                r#"{"format_version":"1.0","terraform_version":"1.9.5","values":{"root_module":{"resources":[]}}}"#
            ),
            Some(Kind::TerraformPlan),
            "state JSON from `terraform show -json` without a plan"
        );
        assert_eq!(
            sniff(r#"{"format_version":"1.0","terraform_version":"1.9.5"}"#),
            None
        );
        // Look-alikes that are not inputs.
        assert_eq!(sniff("name: build\non: push\njobs: {}\n"), None);
        assert_eq!(sniff(r#"{"name":"pkg","version":"1.0.0"}"#), None);
        assert_eq!(sniff("config:\n  service: x\n  provider: y\n"), None);
        assert_eq!(sniff("Resources:\n  - just a list\n"), None);
        assert_eq!(sniff(""), None);
    }

    #[test]
    fn sniff_looks_past_the_window_when_needed() {
        let mut text = String::from("Parameters:\n");
        while text.len() < SNIFF_WINDOW + 10 {
            text.push_str("  # padding padding padding padding\n");
        }
        text.push_str("Resources:\n  F:\n    Type: AWS::Lambda::Function\n");
        assert_eq!(sniff(&text), Some(Kind::CloudFormation));
    }

    #[test]
    fn walk_finds_inputs_by_content_and_skips_the_rest() {
        let dir = temp_dir("walk");
        write(&dir, "stack.txt.yaml", CFN.as_bytes());
        write(&dir, "svc/app.yml", SLS.as_bytes());
        write(
            &dir,
            "infra/main.tf",
            b"resource \"aws_lambda_function\" \"f\" {}\n",
        );
        write(&dir, "infra/iam.tf", b"\n");
        write(&dir, "infra/cdk.tf.json", b"{}\n");
        write(
            &dir,
            "plan.json",
            br#"{"format_version":"1.2","resource_changes":[]}"#,
        );
        write(&dir, "ci.yml", b"on: push\n");
        write(&dir, "README.md", b"# hi\n");
        write(&dir, "node_modules/dep/template.yaml", CFN.as_bytes());
        write(&dir, ".aws-sam/build/template.yaml", CFN.as_bytes());
        write(&dir, "cdk.out/Stack.template.json", CFN.as_bytes());
        write(&dir, ".hidden/template.yaml", CFN.as_bytes());
        write(&dir, "ignored/template.yaml", CFN.as_bytes());
        write(&dir, ".gitignore", b"ignored/\n");
        write(&dir, "vendor/x/template.yaml", CFN.as_bytes());
        write(&dir, "web/serverless.ts", b"export default {}\n");
        let found = discover(
            std::slice::from_ref(&dir),
            &DiscoverOptions {
                excludes: vec!["vendor/**".into()],
                ..DiscoverOptions::default()
            },
        );
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let names: Vec<String> = found
            .inputs
            .iter()
            .map(|input| match input {
                Input::CloudFormation(f) => format!("cfn {}", f.display),
                Input::Serverless(f) => format!("sls {}", f.display),
                Input::TerraformPlan(f) => format!("plan {}", f.display),
                Input::TerraformModule { dir, files } => format!(
                    "tf {dir} {}",
                    files
                        .iter()
                        .map(|f| f.display.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            })
            .collect();
        let prefix = format!("{}/", slash(&dir));
        let mut names: Vec<String> = names.iter().map(|n| n.replace(&prefix, "")).collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                "cfn stack.txt.yaml",
                "plan plan.json",
                "sls svc/app.yml",
                "tf infra infra/cdk.tf.json,infra/iam.tf,infra/main.tf",
            ]
        );
        assert_eq!(found.notes.len(), 1, "{:?}", found.notes);
        assert!(found.notes[0].contains("web/serverless.ts"));
        // ci.yml, README.md, .gitignore? (hidden: not walked), serverless.ts
        assert!(found.skipped >= 3, "skipped {}", found.skipped);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn size_cap_and_encoding_errors_name_the_file() {
        let dir = temp_dir("limits");
        write(&dir, "big.yaml", CFN.as_bytes());
        let mut latin1 = CFN.as_bytes().to_vec();
        latin1.extend_from_slice(b"    Description: caf\xe9\n");
        write(&dir, "latin1.yaml", &latin1);
        write(&dir, "binary.json", b"\xff\x00\x13garbage");
        let found = discover(
            &[dir.join("latin1.yaml"), dir.join("binary.json")],
            &DiscoverOptions::default(),
        );
        assert_eq!(found.errors.len(), 2, "{:?}", found.errors);
        let latin = &found.errors[0];
        assert!(latin.path.ends_with("latin1.yaml"));
        assert_eq!((latin.line, latin.col), (5, 21));
        assert!(latin.message.contains("UTF-8"));
        // Named on the command line but not an input: an error too.
        assert!(found.errors[1].path.ends_with("binary.json"));

        let capped = discover(
            &[dir.join("big.yaml")],
            &DiscoverOptions {
                max_file_size: 10,
                ..DiscoverOptions::default()
            },
        );
        assert_eq!(capped.errors.len(), 1);
        assert!(capped.errors[0].message.contains("limit"));
        assert!(capped.inputs.is_empty());

        let missing = discover(&[dir.join("nope")], &DiscoverOptions::default());
        assert_eq!(missing.errors.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_non_utf8_file_that_is_no_input_is_skipped_quietly() {
        let dir = temp_dir("binary");
        write(&dir, "blob.json", b"\xff\xfe\x00garbage\xc3");
        write(&dir, "data.json", b"{\"k\": \"\xe9\"}");
        let found = discover(std::slice::from_ref(&dir), &DiscoverOptions::default());
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert_eq!(found.skipped, 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bom_is_stripped() {
        let dir = temp_dir("bom");
        let mut text = b"\xEF\xBB\xBF".to_vec();
        text.extend_from_slice(CFN.as_bytes());
        write(&dir, "t.yaml", &text);
        let file = SourceFile {
            path: dir.join("t.yaml"),
            display: "t.yaml".into(),
        };
        let (kind, text) = read_candidate(&file, DEFAULT_MAX_FILE_SIZE)
            .expect("read")
            .expect("input");
        assert_eq!(kind, Kind::CloudFormation);
        assert!(text.starts_with("AWSTemplateFormatVersion"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
