//! `fnguard dns check`: a DNS firewall policy decided offline;
//! `fnguard dns serve`: the firewall itself.

use crate::args::{DnsCommand, ListFormat};
use crate::output;
use crate::ExitCode;
use fnguard_dns::{Decision, Policy};
use serde::Serialize;
use std::fmt::Write as _;

pub fn run(command: DnsCommand) -> ExitCode {
    match command {
        DnsCommand::Check {
            config,
            names,
            format,
        } => check(&config, &names, format),
        DnsCommand::Serve { config } => serve(&config),
    }
}

fn serve(config: &std::path::Path) -> ExitCode {
    let server = match fnguard_dns::server::Server::start(config) {
        Ok(server) => server,
        Err(e) => {
            output::stderr_line(&format!("error: {e}"));
            return ExitCode::Error;
        }
    };
    let list = |addresses: &[std::net::SocketAddr]| {
        addresses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut started = format!(
        "fnguard dns: listening on udp {} and tcp {}",
        list(&server.udp),
        list(&server.tcp)
    );
    if let Some(metrics) = server.metrics {
        let _ = write!(started, "; metrics on http://{metrics}/metrics");
    }
    output::stderr_line(&started);
    let outcome = server.run_until_signalled(|reloaded| match reloaded {
        Ok(()) => output::stderr_line("fnguard dns: policy reloaded"),
        Err(e) => output::stderr_line(&format!(
            "fnguard dns: reload failed, the previous policy stays: {e}"
        )),
    });
    match outcome {
        Ok(()) => ExitCode::Clean,
        Err(e) => {
            output::stderr_line(&format!("error: {e}"));
            ExitCode::Error
        }
    }
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    decision: &'static str,
    action: Option<String>,
    rule: &'a str,
    vendor: Option<&'a str>,
    product: Option<&'a str>,
    tenant: Option<&'a str>,
}

fn check(config: &std::path::Path, names: &[String], format: ListFormat) -> ExitCode {
    let policy = match Policy::load(config) {
        Ok(policy) => policy,
        Err(e) => {
            output::stderr_line(&format!("error: {e}"));
            return ExitCode::Error;
        }
    };
    let kb = match crate::intel::knowledge_base() {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    let decisions: Vec<(&String, Decision)> = names
        .iter()
        .map(|name| (name, policy.decide(kb, name)))
        .collect();
    let rows: Vec<Row> = decisions
        .iter()
        .map(|(name, d)| Row {
            name,
            decision: if d.allowed { "allow" } else { "block" },
            action: d.action.map(|a| a.to_string()),
            rule: &d.rule,
            vendor: d.vendor.as_deref(),
            product: d.product.as_deref(),
            tenant: d.tenant.as_deref(),
        })
        .collect();
    let text = match format {
        ListFormat::Json => {
            let mut text = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
            text.push('\n');
            text
        }
        ListFormat::Table => {
            let mut text = String::new();
            for row in &rows {
                let endpoint = match (row.vendor, row.product) {
                    (Some(vendor), Some(product)) => format!(
                        "  [{vendor} {product}{}]",
                        row.tenant
                            .map(|t| format!(" tenant {t}"))
                            .unwrap_or_default()
                    ),
                    _ => String::new(),
                };
                let _ = writeln!(
                    text,
                    "{}  {}{}  {}{endpoint}",
                    row.name,
                    row.decision,
                    row.action
                        .as_ref()
                        .map(|a| format!(" ({a})"))
                        .unwrap_or_default(),
                    row.rule
                );
            }
            text
        }
    };
    output::print(&text)
}
