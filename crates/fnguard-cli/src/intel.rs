//! `fnguard intel classify`: which cloud-function or gateway endpoint a
//! host is, whose it is, and where (guide §2.1, §4).

use crate::args::{IntelCommand, ListFormat};
use crate::output;
use crate::ExitCode;
use fnguard_core::Lang;
use fnguard_intel::{export, report, Classification, Kind, KnowledgeBase};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, Read as _};

/// Fields of JSON log records that hold a host, a URL or a TLS SNI name,
/// looked up (at any depth) when no `--field` is given: CloudTrail, VPC
/// DNS query logs, proxy and load-balancer logs, Zeek/Suricata.
const HOST_FIELDS: &[&str] = &[
    "host",
    "hostname",
    "Host",
    "http_host",
    "server_name",
    "sni",
    "tls_sni",
    "query_name",
    "rrname",
    "qname",
    "domain",
    "url",
    "uri",
    "request_url",
];

pub fn run(command: IntelCommand) -> ExitCode {
    match command {
        IntelCommand::Classify {
            hosts,
            input,
            field,
            format,
            lang,
        } => classify(&hosts, input.as_deref(), field.as_deref(), format, lang),
        IntelCommand::Export {
            format,
            vendor,
            kind,
        } => export(&format, vendor, &kind),
        IntelCommand::Report {
            target,
            evidence,
            format,
            lang,
            reporter_org,
            reporter_contact,
            reporter_domain,
        } => {
            let reporter = match (reporter_org, reporter_contact, reporter_domain) {
                (Some(org), Some(contact), Some(domain)) => Some(report::Reporter {
                    org,
                    contact,
                    domain,
                }),
                (None, None, None) => None,
                _ => {
                    output::stderr_line(
                        "error: give all of --reporter-org, --reporter-contact and --reporter-domain",
                    );
                    return ExitCode::Error;
                }
            };
            abuse_report(&target, &evidence, &format, lang, reporter)
        }
    }
}

fn abuse_report(
    target: &str,
    evidence: &[std::path::PathBuf],
    format: &str,
    lang: Lang,
    reporter: Option<report::Reporter>,
) -> ExitCode {
    let kb = match knowledge_base() {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    let endpoint = match report::endpoint(kb, target) {
        Ok(endpoint) => endpoint,
        Err(message) => {
            output::stderr_line(&format!("error: {message}"));
            return ExitCode::Error;
        }
    };
    let mut texts = Vec::new();
    for path in evidence {
        match std::fs::read(path) {
            Ok(bytes) => texts.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )),
            Err(e) => {
                output::stderr_line(&format!("error: cannot read {}: {e}", path.display()));
                return ExitCode::Error;
            }
        }
    }
    let seen = report::sightings(
        &endpoint.host,
        texts
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str())),
    );
    if seen.count == 0 {
        output::stderr_line(&format!(
            "error: the evidence never names {}: nothing to report",
            endpoint.host
        ));
        return ExitCode::Error;
    }
    let text = match format {
        "text" => report::text(&endpoint, &seen, lang == Lang::Zh),
        "xarf" => {
            let Some(reporter) = reporter else {
                output::stderr_line(
                    "error: an XARF report names its reporter: give --reporter-org, --reporter-contact and --reporter-domain",
                );
                return ExitCode::Error;
            };
            let now = std::env::var("FNGUARD_REPORT_TIME").unwrap_or_else(|_| {
                fnguard_core::date::rfc3339(std::time::SystemTime::now(), false)
            });
            let mut json =
                serde_json::to_string_pretty(&report::xarf(&endpoint, &seen, &reporter, &now))
                    .unwrap_or_default();
            json.push('\n');
            json
        }
        other => {
            output::stderr_line(&format!(
                "error: unknown report format `{other}` (text or xarf)"
            ));
            return ExitCode::Error;
        }
    };
    output::print(&text)
}

fn export(format: &str, vendors: Vec<String>, kinds: &[String]) -> ExitCode {
    let kb = match knowledge_base() {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    let format: export::Format = match format.parse() {
        Ok(format) => format,
        Err(message) => {
            output::stderr_line(&format!("error: {message}"));
            return ExitCode::Error;
        }
    };
    let mut filter = export::Filter {
        vendors,
        kinds: Vec::new(),
    };
    for kind in kinds {
        match kind.to_ascii_lowercase().as_str() {
            "function" => filter.kinds.push(Kind::Function),
            "gateway" => filter.kinds.push(Kind::Gateway),
            "edge" => filter.kinds.push(Kind::Edge),
            other => {
                output::stderr_line(&format!(
                    "error: unknown kind `{other}` (function, gateway or edge)"
                ));
                return ExitCode::Error;
            }
        }
    }
    match export::export(kb, format, &filter) {
        Ok(text) => output::print(&text),
        Err(message) => {
            output::stderr_line(&format!("error: {message}"));
            ExitCode::Error
        }
    }
}

/// The built-in knowledge base, or `Error` after listing what is wrong
/// with its data.
pub(crate) fn knowledge_base() -> Result<&'static KnowledgeBase, ExitCode> {
    fnguard_intel::builtin().map_err(|errors| {
        for error in errors {
            output::stderr_line(&format!("error: {error}"));
        }
        ExitCode::Error
    })
}

/// One distinct host seen, with how often.
struct Seen {
    host: String,
    count: u64,
}

fn classify(
    hosts: &[String],
    input: Option<&std::path::Path>,
    field: Option<&str>,
    format: ListFormat,
    lang: Lang,
) -> ExitCode {
    let kb = match knowledge_base() {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    if hosts.is_empty() && input.is_none() {
        output::stderr_line("error: give hosts or URLs, or --input FILE");
        return ExitCode::Error;
    }
    // Hosts given as arguments are all shown, classified or not; hosts
    // read from a file are shown when they classify, each once with its
    // count.
    let mut rows: Vec<(Seen, Option<Classification<'static>>)> = hosts
        .iter()
        .map(|h| {
            (
                Seen {
                    host: h.clone(),
                    count: 1,
                },
                kb.classify(h),
            )
        })
        .collect();
    let mut errors = 0usize;
    if let Some(path) = input {
        match read_hosts(path, field) {
            Ok((counts, bad_lines)) => {
                errors += bad_lines.len();
                for (line, message) in bad_lines.iter().take(20) {
                    output::stderr_line(&format!("error: {}:{line}: {message}", path.display()));
                }
                if bad_lines.len() > 20 {
                    output::stderr_line(&format!(
                        "error: {} more unreadable line(s) in {}",
                        bad_lines.len() - 20,
                        path.display()
                    ));
                }
                for (host, count) in counts {
                    if let Some(found) = kb.classify(&host) {
                        rows.push((Seen { host, count }, Some(found)));
                    }
                }
            }
            Err(e) => {
                output::stderr_line(&format!("error: cannot read {}: {e}", path.display()));
                return ExitCode::Error;
            }
        }
    }
    let text = match format {
        ListFormat::Table => table(&rows, lang),
        ListFormat::Json => json(&rows, lang),
    };
    if output::print(&text) == ExitCode::Error {
        return ExitCode::Error;
    }
    if errors > 0 {
        ExitCode::Error
    } else if rows.iter().any(|(_, found)| found.is_some()) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    }
}

/// Distinct candidate hosts of a file, with counts, and the lines that
/// could not be read (1-based line, message).
type HostCounts = (BTreeMap<String, u64>, Vec<(usize, String)>);

/// Plain lines (a host or URL each), or JSON lines (also a whole JSON
/// document: an array of records, or CloudTrail's `{"Records": [...]}`),
/// from which `field` (a dot path) or the usual host fields are taken.
fn read_hosts(path: &std::path::Path, field: Option<&str>) -> std::io::Result<HostCounts> {
    let file = std::fs::File::open(path)?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut bad = Vec::new();
    let mut reader = std::io::BufReader::new(file);
    let mut first = String::new();
    // A document starting with `[` or a `{` that does not close on its
    // line is one JSON value, not JSON lines.
    let mut whole = String::new();
    let mut line_no = 0usize;
    loop {
        first.clear();
        if reader.read_line(&mut first)? == 0 {
            break;
        }
        line_no += 1;
        let line = first.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line_no == 1
            && (line.starts_with('[') || (line.starts_with('{') && !line.ends_with('}')))
        {
            whole.push_str(&first);
            reader.read_to_string(&mut whole)?;
            match serde_json::from_str::<Value>(&whole) {
                Ok(value) => {
                    let records: Vec<&Value> = match &value {
                        Value::Array(items) => items.iter().collect(),
                        Value::Object(map) => match map.get("Records") {
                            Some(Value::Array(items)) => items.iter().collect(),
                            _ => vec![&value],
                        },
                        _ => Vec::new(),
                    };
                    for record in records {
                        collect(record, field, &mut counts);
                    }
                }
                Err(e) => bad.push((e.line(), format!("invalid JSON: {e}"))),
            }
            break;
        }
        if line.starts_with('{') {
            match serde_json::from_str::<Value>(line) {
                Ok(record) => collect(&record, field, &mut counts),
                Err(e) => bad.push((line_no, format!("invalid JSON: {e}"))),
            }
        } else {
            *counts.entry(line.to_string()).or_default() += 1;
        }
    }
    Ok((counts, bad))
}

fn collect(record: &Value, field: Option<&str>, counts: &mut BTreeMap<String, u64>) {
    match field {
        Some(path) => {
            let mut at = record;
            for key in path.split('.') {
                match at.get(key) {
                    Some(next) => at = next,
                    None => return,
                }
            }
            if let Some(text) = at.as_str() {
                *counts.entry(text.to_string()).or_default() += 1;
            }
        }
        None => {
            let mut found = Vec::new();
            host_fields(record, &mut found, 0);
            found.sort_unstable();
            found.dedup();
            for text in found {
                *counts.entry(text.to_string()).or_default() += 1;
            }
        }
    }
}

/// The values of the usual host fields anywhere in `value` (nested at most
/// a few levels: log records are shallow).
fn host_fields<'a>(value: &'a Value, found: &mut Vec<&'a str>, depth: usize) {
    if depth > 6 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match inner {
                    Value::String(text) if HOST_FIELDS.contains(&key.as_str()) => found.push(text),
                    Value::Object(_) | Value::Array(_) => host_fields(inner, found, depth + 1),
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                host_fields(item, found, depth + 1);
            }
        }
        _ => {}
    }
}

fn product_name(found: &Classification<'_>, lang: Lang) -> String {
    match lang {
        Lang::En => found.product.name_en.clone(),
        Lang::Zh => found.product.name_zh.clone(),
    }
}

fn table(rows: &[(Seen, Option<Classification<'static>>)], lang: Lang) -> String {
    let headers = match lang {
        Lang::En => [
            "HOST",
            "COUNT",
            "VENDOR",
            "PRODUCT",
            "KIND",
            "REGION",
            "TENANT",
            "FUNCTION",
            "CONFIDENCE",
        ],
        Lang::Zh => [
            "主机",
            "次数",
            "厂商",
            "产品",
            "类型",
            "地域",
            "租户",
            "函数",
            "可信度",
        ],
    };
    let none = match lang {
        Lang::En => "not a known cloud-function or gateway endpoint",
        Lang::Zh => "不是已知的云函数或网关端点",
    };
    let mut cells: Vec<Vec<String>> = vec![headers.map(String::from).to_vec()];
    cells.extend(rows.iter().map(|(seen, found)| match found {
        Some(found) => vec![
            found.host.clone(),
            seen.count.to_string(),
            found.vendor().to_string(),
            product_name(found, lang),
            found.kind().as_str().to_string(),
            found.region().unwrap_or("-").to_string(),
            found.tenant().unwrap_or("-").to_string(),
            found.function().unwrap_or("-").to_string(),
            found.confidence.as_str().to_string(),
        ],
        None => vec![
            seen.host.clone(),
            seen.count.to_string(),
            "-".into(),
            none.into(),
        ],
    }));
    output::columns(&cells)
}

#[derive(Serialize)]
struct JsonRow<'a> {
    input: &'a str,
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<JsonEndpoint<'a>>,
}

#[derive(Serialize)]
struct JsonEndpoint<'a> {
    host: &'a str,
    vendor: &'a str,
    product_id: &'a str,
    product: String,
    kind: &'static str,
    region: Option<&'a str>,
    tenant: Option<&'a str>,
    function: Option<&'a str>,
    confidence: &'static str,
    /// Every capture with its meaning.
    captures: BTreeMap<&'a str, &'a str>,
    abuse: &'a [String],
}

fn json(rows: &[(Seen, Option<Classification<'static>>)], lang: Lang) -> String {
    let out: Vec<JsonRow> = rows
        .iter()
        .map(|(seen, found)| JsonRow {
            input: &seen.host,
            count: seen.count,
            endpoint: found.as_ref().map(|found| JsonEndpoint {
                host: &found.host,
                vendor: found.vendor(),
                product_id: &found.product.id,
                product: product_name(found, lang),
                kind: found.kind().as_str(),
                region: found.region(),
                tenant: found.tenant(),
                function: found.function(),
                confidence: found.confidence.as_str(),
                captures: found
                    .captures()
                    .map(|(spec, value)| (spec.name.as_str(), value))
                    .collect(),
                abuse: &found.product.abuse,
            }),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}
