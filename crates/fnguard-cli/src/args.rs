//! Command-line arguments. Every flag is a promise to users: add one only
//! when someone needs it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use fnguard_core::report::Format;
use fnguard_core::severity::Severity;
use fnguard_core::{Date, Lang};
use fnguard_engine::FailOn;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "fnguard",
    version,
    about = "Secure cloud functions: misconfigurations in serverless infrastructure-as-code, secrets, dependencies and supply-chain indicators in the code it deploys, and cloud-function endpoint intelligence",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan CloudFormation, SAM, Serverless Framework and Terraform files,
    /// and the code they deploy (folders and archives, layers).
    Scan(Box<ScanArgs>),
    /// List or explain the rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Cloud-function endpoint intelligence: which vendor, product and
    /// tenant a host belongs to.
    Intel {
        #[command(subcommand)]
        command: IntelCommand,
    },
    /// The default-deny DNS firewall's policy.
    Dns {
        #[command(subcommand)]
        command: DnsCommand,
    },
    /// Find attacks in logs with Sigma rules (fnguard's Lambda pack and
    /// yours): CloudTrail ({"Records":[...]} files, arrays, JSON lines),
    /// gzip or not, folders walked, `-` for standard input.
    Detect(DetectArgs),
    /// Make a signing key pair in minisign's formats (a public key file and
    /// a password-encrypted secret key file).
    Keygen(KeygenArgs),
    /// Sign a function package (a folder or a .zip: a manifest of every
    /// file, signed) or any other file (a minisign signature beside it).
    Sign(SignArgs),
    /// Check a package against its signed manifest, or a file against its
    /// minisign signature. Exit 0 intact, 1 integrity failure, 2 usage or
    /// input error.
    Verify(VerifyArgs),
    /// Runtime protection: the Lambda extension and the layer that
    /// installs it.
    Guard {
        #[command(subcommand)]
        command: GuardCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum GuardCommand {
    /// Run as the Lambda extension (started by Lambda from the layer's
    /// /opt/extensions/fnguard-guard; settings from FNGUARD_* variables
    /// and /opt/fnguard/guard.toml).
    Run,
    /// Build the layer zip: this binary (or --binary), the extension
    /// launcher, the exec wrapper, the configuration and the public keys.
    Package {
        /// The layer's architecture (Lambda's x86_64 or arm64).
        #[arg(long, value_enum, default_value_t = LayerArch::X86_64)]
        arch: LayerArch,
        /// The binary to ship, built for --arch and statically linked:
        /// fnguard or the smaller fnguard-guard (default: this one, when it
        /// is for --arch).
        #[arg(long, value_name = "FILE")]
        binary: Option<PathBuf>,
        /// Ship a dynamically linked binary anyway. By default the binary
        /// must be static (scripts/build-guard-binary.sh builds one): a
        /// dynamic one may need a newer glibc than Lambda's runtimes carry,
        /// and then fails at every cold start.
        #[arg(long)]
        allow_dynamic: bool,
        /// guard.toml to ship (default: the defaults, written out).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A public key that may sign the function's manifest, repeatable.
        #[arg(long, short = 'p', value_name = "FILE")]
        pubkey: Vec<PathBuf>,
        /// The layer zip to write.
        #[arg(
            long,
            short = 'o',
            value_name = "FILE",
            default_value = "fnguard-guard-layer.zip"
        )]
        output: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayerArch {
    #[value(name = "x86_64")]
    X86_64,
    #[value(name = "arm64")]
    Arm64,
}

/// Where a secret key's password comes from. Without either flag it is
/// asked on the terminal (twice for a new key).
#[derive(Debug, Clone, Args)]
pub struct PasswordArgs {
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Read the password from this environment variable (for CI secrets).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The public key file to write.
    #[arg(long, short = 'p', value_name = "FILE", default_value = "fnguard.pub")]
    pub pubkey: PathBuf,
    /// The secret key file to write (created with mode 0600).
    #[arg(long, short = 's', value_name = "FILE", default_value = "fnguard.key")]
    pub seckey: PathBuf,
    /// Write the secret key without a password (minisign -W). Anyone who
    /// reads the file can sign.
    #[arg(long)]
    pub unencrypted: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Replace existing key files.
    #[arg(long, short = 'f')]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// A package (folder or .zip) or any file.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The secret key file.
    #[arg(long, short = 's', value_name = "FILE", default_value = "fnguard.key")]
    pub seckey: PathBuf,
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Sign a .zip or any file as bytes (PATH.minisig, as minisign does),
    /// without a manifest.
    #[arg(long)]
    pub raw: bool,
    /// Legacy minisign signature (Ed, over the whole file in memory) instead
    /// of the prehashed default (ED); for --raw or plain files only.
    #[arg(long)]
    pub legacy: bool,
    /// Write the manifest and its signature into this folder instead of the
    /// package (a .zip is otherwise rewritten with both at its root).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// The trusted comment of a plain file's signature (signed too).
    #[arg(long, value_name = "TEXT")]
    pub trusted_comment: Option<String>,
    /// Bind the manifest to this function name.
    #[arg(long, value_name = "NAME")]
    pub function_name: Option<String>,
    /// Bind the manifest to this runtime (python3.12, nodejs20.x, ...).
    #[arg(long, value_name = "RUNTIME")]
    pub runtime: Option<String>,
    /// Bind the manifest to this runtime version ARN, so that a runtime
    /// update is visible at verification.
    #[arg(long, value_name = "ARN")]
    pub runtime_version_arn: Option<String>,
    /// A layer the function runs with (name or ARN), repeatable.
    #[arg(long, value_name = "LAYER")]
    pub layer: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestChoice {
    Blake3,
    Sha256,
    Both,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A package (folder or .zip) or any file.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// A trusted public key file, repeatable (any of them may have signed).
    #[arg(long, short = 'p', value_name = "FILE")]
    pub pubkey: Vec<PathBuf>,
    /// A trusted public key given as its base64 line (minisign -P), repeatable.
    #[arg(long, short = 'P', value_name = "BASE64")]
    pub pubkey_base64: Vec<String>,
    /// The manifest, when it is not inside the package.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The signature, when it is not beside the manifest or the file
    /// (MANIFEST.minisig, FILE.minisig).
    #[arg(long, short = 'x', value_name = "FILE")]
    pub signature: Option<PathBuf>,
    /// Check PATH as bytes against a minisign signature, without a manifest.
    #[arg(long)]
    pub raw: bool,
    /// Which digest of each file to check: BLAKE3 (fastest), SHA-256 or both.
    #[arg(long, value_enum, default_value_t = DigestChoice::Blake3)]
    pub digest: DigestChoice,
    #[arg(long, value_enum, default_value_t = VerifyFormat::Table)]
    pub format: VerifyFormat,
}

#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Log files or folders; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,
    /// More Sigma rule files or folders of them (.yml, .yaml), repeatable;
    /// fnguard's own pack (rules/detect) is always loaded unless
    /// --no-builtin.
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<std::path::PathBuf>,
    /// Leave out fnguard's own rules (run only --rules).
    #[arg(long)]
    pub no_builtin: bool,
    /// table (for people: severity first, a summary at the end), jsonl
    /// (one alert JSON object per line) or ocsf (one OCSF 1.3.0 Detection
    /// Finding per line).
    #[arg(long, value_enum, default_value = "table")]
    pub format: DetectFormat,
    /// Titles of the table and of Slack messages: en, or zh (fnguard's
    /// rules have Chinese titles; others stay in English). JSON and OCSF
    /// carry both.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,
    /// Exit 1 when an alert at or above this level was output (alerts
    /// below --min-severity, suppressed or folded by --dedup do not count):
    /// informational, low, medium, high or critical.
    #[arg(long, value_name = "LEVEL", default_value = "informational", value_parser = parse_level)]
    pub fail_on: Severity,
    /// Output only alerts at or above this level (the others are counted in
    /// the summary).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub min_severity: Option<Severity>,
    /// Fold repeats: the same rule and key within WINDOW of event time
    /// (10m, 30s, 2h, 1d) gives one alert, at the first occurrence; the
    /// summary counts the repeats.
    #[arg(long, value_name = "WINDOW", value_parser = fnguard_detect::output::dedup::parse_window)]
    pub dedup: Option<i64>,
    /// The facts that make the --dedup key with the rule id (default:
    /// principal,event_name,source_ip).
    #[arg(
        long,
        value_name = "FACT,...",
        value_delimiter = ',',
        requires = "dedup"
    )]
    pub dedup_key: Vec<String>,
    /// Suppressions (TOML or YAML): rule id, facts to match (`*` globs),
    /// optional expiry date; matching alerts are not output, only counted.
    #[arg(long, value_name = "FILE")]
    pub suppress: Option<std::path::PathBuf>,
    /// POST alerts to this URL (http or https), in batches, retried on
    /// errors; repeatable. `env:NAME` reads the URL from the environment
    /// variable NAME, so that a secret URL (Slack's) stays out of the
    /// process list and shell history.
    #[arg(long, value_name = "URL|env:NAME")]
    pub webhook: Vec<String>,
    /// json ({"alerts": [...]}) or slack ({"text": ...}, one line per alert).
    #[arg(long, value_enum, default_value = "json", requires = "webhook")]
    pub webhook_format: WebhookFormatArg,
    /// A header sent to every webhook (`Authorization: Bearer ...`);
    /// repeatable; values are never printed.
    #[arg(long, value_name = "NAME: VALUE", requires = "webhook")]
    pub webhook_header: Vec<String>,
    /// Bytes read from one log file after decompression (a gzip bomb stops
    /// there).
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_file_bytes: u64,
    /// Leave out the stateful detectors (stolen function credentials,
    /// function roles, anomalies, destinations) and run the rules only.
    #[arg(long)]
    pub no_detectors: bool,
    /// Keep reading the logs as they grow (appended lines, new files in the
    /// folders, rotation), until interrupted (Ctrl-C, SIGTERM), which saves
    /// --state and flushes the outputs.
    #[arg(long)]
    pub follow: bool,
    /// How often --follow looks at the files (500ms, 2s, 1m).
    #[arg(long, value_name = "INTERVAL", default_value = "1s", value_parser = fnguard_detect::output::dedup::parse_window, requires = "follow")]
    pub poll: i64,
    /// Keep what the detectors and correlations learned (baselines, windows,
    /// keys seen inside functions) in this SQLite file across runs; created
    /// when missing, saved at the end (and every minute with --follow).
    #[arg(long, value_name = "FILE")]
    pub state: Option<std::path::PathBuf>,
    /// `fnguard scan --format json` output: which role each function uses
    /// and which roles are privileged, for the function-role detectors.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<std::path::PathBuf>,
    /// A cloud-function endpoint owner the functions may query (others
    /// raise FG-DET-132): VENDOR as `fnguard intel` names them (aws,
    /// alibaba, tencent, huawei, azure, gcp, cloudflare...) or
    /// VENDOR:TENANT-OR-FUNCTION-ID; repeatable.
    #[arg(long, value_name = "VENDOR[:ID]")]
    pub allow_endpoint: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DetectFormat {
    Table,
    Jsonl,
    Ocsf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhookFormatArg {
    Json,
    Slack,
}

/// A Sigma level (`informational` or `info`, low, medium, high, critical).
fn parse_level(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>()
        .map_err(|_| format!("unknown level `{s}` (informational, low, medium, high or critical)"))
}

#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Decide names with a policy file, offline: allowed or blocked, with
    /// the answer and the rule that decided.
    Check {
        /// The policy (TOML; see docs/dns-policy.toml).
        #[arg(long, value_name = "FILE")]
        config: std::path::PathBuf,
        /// Query names.
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        /// table or json.
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Run the DNS firewall: answer queries on UDP and TCP with the policy,
    /// forward allowed ones upstream. SIGHUP reloads the policy; SIGINT or
    /// SIGTERM stops.
    Serve {
        /// The policy with its [server] table (TOML; see
        /// docs/dns-policy.toml).
        #[arg(long, value_name = "FILE")]
        config: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Classify hosts or URLs as cloud-function, API-gateway or edge
    /// endpoints: vendor, product, kind, region, tenant, function,
    /// confidence. Exit 1 when at least one is an endpoint.
    Classify {
        /// Hosts or URLs (`x.fcapp.run`, `https://abc.lambda-url.us-east-1.on.aws/path`).
        #[arg(value_name = "HOST|URL")]
        hosts: Vec<String>,
        /// Also read FILE: one host or URL per line, JSON lines, or a JSON
        /// document (an array of records, CloudTrail's `Records`); only the
        /// endpoints are listed, each once with its count.
        #[arg(long, value_name = "FILE")]
        input: Option<std::path::PathBuf>,
        /// In JSON records, the dot path of the field holding the host,
        /// URL or SNI name [default: any field named host, hostname,
        /// server_name, sni, query_name, url...].
        #[arg(long, value_name = "PATH")]
        field: Option<String>,
        /// table or json.
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
        /// Language: en or zh.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Write a blocklist of the endpoints in the knowledge base: rpz,
    /// route53, hosts, dnsmasq, unbound, squid, suricata or sigma.
    Export {
        /// rpz, route53, hosts, dnsmasq, unbound, squid, suricata or sigma.
        #[arg(long, value_name = "FORMAT")]
        format: String,
        /// Only this vendor (tencent, alibaba, huawei, baidu, volcengine, aws,
        /// azure, gcp, cloudflare, vercel, netlify, deno...); repeatable.
        #[arg(long, value_name = "VENDOR")]
        vendor: Vec<String>,
        /// Only this kind: function, gateway or edge; repeatable.
        #[arg(long, value_name = "KIND")]
        kind: Vec<String>,
    },
    /// Write an abuse report about one endpoint for its vendor's channel:
    /// what the evidence shows (count, first and last seen, redacted sample
    /// lines) and the attributed tenant, as text (en or zh) or XARF v4 JSON.
    Report {
        /// The endpoint, as a host or URL.
        #[arg(value_name = "HOST|URL")]
        target: String,
        /// Log files that show it (any text or JSON-lines log); repeatable.
        #[arg(long, value_name = "FILE", required = true)]
        evidence: Vec<std::path::PathBuf>,
        /// text or xarf.
        #[arg(long, default_value = "text")]
        format: String,
        /// Language of the text report: en or zh.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
        /// Your organisation (XARF `reporter.org`; required with xarf).
        #[arg(long, value_name = "ORG")]
        reporter_org: Option<String>,
        /// Your abuse contact address (XARF `reporter.contact`).
        #[arg(long, value_name = "EMAIL")]
        reporter_contact: Option<String>,
        /// Your organisation's domain (XARF `reporter.domain`).
        #[arg(long, value_name = "DOMAIN")]
        reporter_domain: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan (folders are searched recursively). The
    /// code the IaC points at is scanned too; an archive (.zip, .jar,
    /// .tar.gz, .whl...) or a folder without IaC is scanned as a package.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format: table, json, sarif, junit or markdown.
    #[arg(long, default_value = "table", value_parser = parse_format)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also draw every open attack path (rule FG-PATH-001) as one graph in
    /// FILE: FORMAT is dot (Graphviz) or mermaid.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
    pub graph: Option<Vec<String>>,

    /// Language of messages: en or zh.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,

    /// Exit 1 when an unsuppressed finding is at least this severe:
    /// critical, high, medium, low, info or none [default: high, or the
    /// config's scan.fail_on].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,

    /// Config file [default: fnguard.toml in the (first) scanned folder].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Skip paths matching this gitignore-style glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Mark findings recorded in this baseline file as suppressed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current unsuppressed findings in a baseline file and exit 0
    /// (2 on input errors).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// List suppressed findings in human formats too (machine formats always
    /// include them, marked).
    #[arg(long)]
    pub show_suppressed: bool,

    /// Date to evaluate date-dependent rules at (YYYY-MM-DD) [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub scan_date: Option<Date>,

    /// Skip files larger than this (bytes, or with a K, M or G suffix).
    #[arg(long, value_name = "SIZE", default_value = "100M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Scan only the IaC, not the code and layers it deploys.
    #[arg(long)]
    pub no_packages: bool,

    /// Offline OSV advisory database: osv-scanner's layout
    /// (DIR/<Ecosystem>/all.zip) or a folder of OSV JSON files. Without it
    /// dependencies are inventoried but not matched.
    #[arg(long, value_name = "DIR")]
    pub osv_db: Option<PathBuf>,

    /// Write a CycloneDX 1.6 JSON SBOM of every package scanned to FILE.
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,

    /// Bytes one package may unpack to in total (archives nested in it
    /// count twice).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub package_max_bytes: u64,

    /// Bytes one file of a package may unpack to.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    pub package_max_file_bytes: u64,

    /// Files, folders and links one package may hold.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub package_max_entries: u64,

    /// Largest decompression ratio of an archive entry (zip bombs exceed it).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub package_max_ratio: u64,

    /// How many archives deep a file may sit (fn.zip!/lib/a.jar is 2).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub package_max_depth: u32,

    /// Never use colours (also: the NO_COLOR environment variable).
    #[arg(long)]
    pub no_color: bool,

    /// Print nothing on standard error but errors.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print loader warnings (parts of inputs that were not understood).
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule.
    List {
        /// table or json.
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
        /// Language: en or zh.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Explain one rule: risk, remediation, references.
    Explain {
        /// Rule id, e.g. FG-TRIG-002.
        id: String,
        /// Language: en or zh.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Check the secret rules (rules/secrets): every example is found with
    /// its declared secret, no negative example is, ids are unique and
    /// well-formed, every text (title, description, risk, remediation) is
    /// there in English and Chinese; and the endpoint knowledge base
    /// (rules/intel): every example host classifies as its product with its
    /// captures, no negative example does.
    Check,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>().map_err(|e| e.to_string())
}

/// `1048576`, `512K`, `100M`, `1G`, `100MB` (binary multiples).
fn parse_size(s: &str) -> Result<u64, String> {
    let upper = s.trim().to_ascii_uppercase();
    let digits_end = upper
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(upper.len());
    let (digits, unit) = upper.split_at(digits_end);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size `{s}` (e.g. 100M)"))?;
    let multiplier: u64 = match unit.trim().trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("invalid size `{s}` (e.g. 100M)")),
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("size `{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("100MB"), Ok(100 << 20));
        assert_eq!(parse_size("2kib"), Ok(2048));
        assert_eq!(parse_size("77"), Ok(77));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5T").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }
}
