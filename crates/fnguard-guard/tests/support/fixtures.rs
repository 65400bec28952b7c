//! Fixtures for the emulator tests: the Python runtime (awslambdaric), the
//! function directories under `tests/data/functions`, extensions installed
//! like a layer's `/opt/extensions`, and temporary directories.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// True when missing test tools must fail the tests instead of skipping
/// them (scripts/test.sh and CI set it).
pub fn tools_required() -> bool {
    std::env::var_os("FNGUARD_REQUIRE_TOOLS").is_some()
}

/// Skips (loudly) or fails, per [`tools_required`], when a tool is missing.
pub fn missing_tool(what: &str) {
    if tools_required() {
        panic!("{what} is required (FNGUARD_REQUIRE_TOOLS is set) but missing: run scripts/setup-test-tools.sh");
    }
    eprintln!("SKIPPED: {what} is missing (scripts/setup-test-tools.sh installs it)");
}

/// The Python interpreter that has `awslambdaric` (its absolute path, so
/// that no shim runs in between), or `None` after [`missing_tool`].
pub fn python_with_awslambdaric() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args(["-c", "import awslambdaric, sys; print(sys.executable)"])
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
            Some(PathBuf::from(path))
        }
        _ => {
            missing_tool("python3 with awslambdaric 3.1.1");
            None
        }
    }
}

/// Where scripts/setup-test-tools.sh installs aws-lambda-ric, AWS's
/// runtime interface client for Node.js (`FNGUARD_NODE_RIC_DIR`, else
/// `$HOME/.cache/fnguard-test-tools/node-ric`).
pub fn node_ric_dir() -> PathBuf {
    std::env::var_os("FNGUARD_NODE_RIC_DIR").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/fnguard-test-tools/node-ric")
        },
        PathBuf::from,
    )
}

/// The bootstrap command of the Node.js runtime (`node` running
/// aws-lambda-ric's entry point; the handler comes from `_HANDLER`), or
/// `None` after [`missing_tool`].
pub fn node_runtime() -> Option<Vec<String>> {
    let entry = node_ric_dir().join("node_modules/aws-lambda-ric/index.mjs");
    let node = Command::new("node").arg("--version").output();
    match node {
        Ok(output) if output.status.success() && entry.is_file() => Some(vec![
            "node".to_string(),
            entry.to_string_lossy().into_owned(),
        ]),
        _ => {
            missing_tool("node with aws-lambda-ric 4.0.2 (scripts/setup-test-tools.sh)");
            None
        }
    }
}

/// `curl`, or `None` after [`missing_tool`].
pub fn curl() -> Option<PathBuf> {
    match Command::new("curl").arg("--version").output() {
        Ok(output) if output.status.success() => Some(PathBuf::from("curl")),
        _ => {
            missing_tool("curl");
            None
        }
    }
}

/// `tests/data/functions/NAME`.
pub fn function_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/functions")
        .join(name)
}

/// The bootstrap command of the Python runtime for `handler` (`app.handler`).
pub fn python_runtime(python: &Path, handler: &str) -> Vec<String> {
    vec![
        python.to_string_lossy().into_owned(),
        "-m".to_string(),
        "awslambdaric".to_string(),
        handler.to_string(),
    ]
}

/// Variables every Python process of the tests gets: no `.pyc` written
/// into the source tree.
pub fn python_env() -> Vec<(String, String)> {
    vec![("PYTHONDONTWRITEBYTECODE".to_string(), "1".to_string())]
}

/// Installs a script of tests/support/extensions as `DIR/extensions/NAME`
/// (executable, its `#!` line pointing at `interpreter`), as a layer puts
/// an extension in `/opt/extensions`.
pub fn install_extension(dir: &Path, script: &str, name: &str, interpreter: &Path) -> PathBuf {
    let source_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/extensions")
        .join(script);
    let source = std::fs::read_to_string(&source_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", source_path.display()));
    let body = match source.split_once('\n') {
        Some((first, rest)) if first.starts_with("#!") => rest,
        _ => source.as_str(),
    };
    let extensions = dir.join("extensions");
    std::fs::create_dir_all(&extensions)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", extensions.display()));
    let path = extensions.join(name);
    std::fs::write(&path, format!("#!{}\n{body}", interpreter.display()))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    set_executable(&path);
    path
}

/// Installs `DIR/extensions/NAME` as a shell script that execs `program`
/// with `args` (Lambda starts an extension without arguments: this is how
/// a binary with a subcommand, `fnguard guard`, becomes one).
pub fn install_command_as_extension(
    dir: &Path,
    name: &str,
    program: &Path,
    args: &[&str],
) -> PathBuf {
    let extensions = dir.join("extensions");
    std::fs::create_dir_all(&extensions)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", extensions.display()));
    let quoted: Vec<String> = std::iter::once(program.to_string_lossy().into_owned())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|word| format!("'{}'", word.replace('\'', "'\\''")))
        .collect();
    let path = extensions.join(name);
    std::fs::write(&path, format!("#!/bin/sh\nexec {}\n", quoted.join(" ")))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    set_executable(&path);
    path
}

pub fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "fnguard-{label}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The guard binary the emulator installs as the extension: this build's,
/// or `FNGUARD_GUARD_BIN` (the static build of scripts/build-guard-binary.sh,
/// which runs these tests against it).
pub fn guard_binary() -> PathBuf {
    std::env::var_os("FNGUARD_GUARD_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_fnguard-guard")),
        PathBuf::from,
    )
}
