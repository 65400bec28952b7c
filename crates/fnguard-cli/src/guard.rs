//! `fnguard guard`: the Lambda extension (`run`) and the layer that
//! installs it (`package`). The controls live in `fnguard-guard`.

use crate::args::{GuardCommand, LayerArch};
use crate::ExitCode;
use fnguard_guard::layer::{self, LayerSpec};
use fnguard_sign::minisign::PublicKey;
use std::path::{Path, PathBuf};

/// The configuration a layer ships when none is given: every control on,
/// enforcing, and what each setting means.
const DEFAULT_CONFIG: &str =
    "# fnguard guard (see the README): every control enforce, report or off.\n\
# FNGUARD_* environment variables of the function override these.\n\
mode = \"enforce\"\n";

pub fn run(command: GuardCommand) -> ExitCode {
    match command {
        GuardCommand::Run => run_extension(),
        GuardCommand::Package {
            arch,
            binary,
            allow_dynamic,
            config,
            pubkey,
            output,
        } => match package(
            arch,
            binary.as_deref(),
            allow_dynamic,
            config.as_deref(),
            &pubkey,
            &output,
        ) {
            Ok(()) => ExitCode::Clean,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::Error
            }
        },
    }
}

fn run_extension() -> ExitCode {
    if fnguard_guard::run::main() == 0 {
        ExitCode::Clean
    } else {
        ExitCode::Error
    }
}

fn package(
    arch: LayerArch,
    binary: Option<&Path>,
    allow_dynamic: bool,
    config: Option<&Path>,
    pubkeys: &[PathBuf],
    output: &Path,
) -> Result<(), String> {
    let wanted = match arch {
        LayerArch::X86_64 => "x86_64",
        LayerArch::Arm64 => "arm64",
    };
    let binary_path = match binary {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?,
    };
    let bytes = std::fs::read(&binary_path)
        .map_err(|e| format!("{}: cannot read: {e}", binary_path.display()))?;
    match layer::elf_arch(&bytes) {
        Some(found) if found == wanted => {}
        Some(found) => {
            return Err(format!(
                "{} is built for {found}, not {wanted}: give --binary with a static fnguard-guard built for {wanted} (scripts/build-guard-binary.sh {wanted})",
                binary_path.display(),
            ))
        }
        None => return Err(format!("{}: not an ELF executable", binary_path.display())),
    }
    match layer::elf_interpreter(&bytes) {
        Ok(None) => {}
        Ok(Some(_)) if allow_dynamic => eprintln!(
            "warning: {} is dynamically linked: it runs only where Lambda's runtime has the libraries (and the glibc version) it was linked against",
            binary_path.display()
        ),
        Ok(Some(interpreter)) => {
            return Err(format!(
                "{} is dynamically linked (interpreter {interpreter}): Lambda's runtimes may carry an older glibc than it needs (Amazon Linux 2: 2.26, Amazon Linux 2023: 2.34), and the guard would then fail at every cold start; give --binary with a static build (scripts/build-guard-binary.sh {wanted}), or --allow-dynamic",
                binary_path.display()
            ))
        }
        Err(problem) => return Err(format!("{}: {problem}", binary_path.display())),
    }
    let config_text = match config {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?,
        None => DEFAULT_CONFIG.to_string(),
    };
    let mut keys = Vec::new();
    for path in pubkeys {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let key = PublicKey::parse(&text)
            .map_err(|e| format!("{}: not a minisign public key: {e}", path.display()))?;
        keys.push((key.key_id_hex(), text));
    }
    if keys.is_empty() {
        eprintln!("warning: no --pubkey: the guard can check the function's files only if FNGUARD_PUBKEY is set");
    }
    let spec = LayerSpec {
        binary: &bytes,
        config: &config_text,
        keys: &keys,
    };
    layer::write_layer(&spec, output)
        .map_err(|e| format!("{}: cannot write: {e}", output.display()))?;
    println!(
        "{}: layer for {wanted} ({} MB binary, {} keys). Publish it, add it to the function, and set AWS_LAMBDA_EXEC_WRAPPER=/opt/fnguard/wrapper.",
        output.display(),
        bytes.len() >> 20,
        keys.len()
    );
    Ok(())
}
