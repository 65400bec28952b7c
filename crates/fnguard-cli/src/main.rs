//! The `fnguard` binary: parse arguments, call the libraries, print, exit.
//! Decisions live in `fnguard-engine` and the checks, not here.

mod args;
mod detect;
mod dns;
mod guard;
mod intel;
mod output;
mod rules;
mod sbom;
mod scan;
mod sign;

use clap::Parser;

/// The exit codes users script against (see README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// No unsuppressed finding at or above `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// Usage or input errors (the rest of the scan was still reported).
    Error = 2,
}

fn main() {
    // clap exits with 2 on usage errors and 0 for --help/--version.
    let cli = args::Cli::parse();
    let code = match cli.command {
        args::Command::Scan(scan_args) => scan::run(*scan_args),
        args::Command::Rules { command } => rules::run(command),
        args::Command::Intel { command } => intel::run(command),
        args::Command::Dns { command } => dns::run(command),
        args::Command::Detect(detect_args) => detect::run(detect_args),
        args::Command::Keygen(keygen_args) => sign::keygen(keygen_args),
        args::Command::Sign(sign_args) => sign::sign(sign_args),
        args::Command::Verify(verify_args) => sign::verify(verify_args),
        args::Command::Guard { command } => guard::run(command),
    };
    std::process::exit(code as i32);
}
