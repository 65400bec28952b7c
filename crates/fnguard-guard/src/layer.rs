//! `fnguard guard package`: the Lambda layer that installs the guard.
//!
//! Lambda extracts a layer to `/opt`, starts every executable in
//! `/opt/extensions/` as an external extension, and runs a managed runtime
//! through `AWS_LAMBDA_EXEC_WRAPPER` when the function sets it. The layer is:
//!
//! ```text
//! extensions/fnguard-guard   starts `/opt/fnguard/fnguard guard run`
//! fnguard/fnguard            the binary (this one, or --binary for another architecture)
//! fnguard/wrapper            AWS_LAMBDA_EXEC_WRAPPER=/opt/fnguard/wrapper
//! fnguard/guard.toml         the configuration (--config, or the defaults written out)
//! fnguard/keys/NAME.pub      the public keys that may sign the function's manifest
//! ```
//!
//! The wrapper points the runtime at the guard's Runtime API proxy, and the
//! function's HTTP(S) clients at the egress proxy, only once the guard said
//! it is ready (its ready file). If it is not, the wrapper fails the runtime's
//! start (fail closed, the default) or, with `FNGUARD_FAIL=open`, starts the
//! runtime unguarded and says so on stdout in the security log's shape: never
//! silently.

use std::io::{self, Write};
use std::path::Path;

/// The extension's launcher: Lambda starts it with no arguments.
pub const EXTENSION_LAUNCHER: &str = "#!/bin/sh\n\
# fnguard guard, the Lambda extension: see /opt/fnguard.\n\
exec /opt/fnguard/fnguard guard run\n";

/// The exec wrapper. `set -e` is not used: every failure is decided on.
pub const WRAPPER: &str = r#"#!/bin/sh
# fnguard guard's exec wrapper (AWS_LAMBDA_EXEC_WRAPPER=/opt/fnguard/wrapper).
# The guard registered as an extension before the runtime starts, and writes
# its ready file (proxy ports) once it serves. Without it: fail closed
# (default) or, with FNGUARD_FAIL=open, run unguarded and say so.
ready="${FNGUARD_TMP:-/tmp}/.fnguard/ready"
proxy_port=""
egress_port=""
if [ -r "$ready" ]; then
  while IFS='=' read -r key value; do
    case "$key" in
      proxy_port) proxy_port=$value ;;
      egress_port) egress_port=$value ;;
    esac
  done < "$ready"
fi
case "$proxy_port" in
  ''|*[!0-9]*)
    if [ "${FNGUARD_FAIL:-closed}" = "open" ]; then
      printf '{"schema":"fnguard.guard/1","control":"guard","decision":"report","mode":"report","function":"%s","details":{"reason":"guard not ready: the runtime runs unguarded (FNGUARD_FAIL=open)"}}\n' "${AWS_LAMBDA_FUNCTION_NAME:-}"
      exec "$@"
    fi
    printf '{"schema":"fnguard.guard/1","control":"guard","decision":"deny","mode":"enforce","function":"%s","details":{"reason":"guard not ready: the runtime is not started (FNGUARD_FAIL=closed)"}}\n' "${AWS_LAMBDA_FUNCTION_NAME:-}"
    exit 1
    ;;
esac
export FNGUARD_UPSTREAM_RUNTIME_API="$AWS_LAMBDA_RUNTIME_API"
export AWS_LAMBDA_RUNTIME_API="127.0.0.1:$proxy_port"
case "$egress_port" in
  ''|*[!0-9]*) ;;
  *)
    export HTTP_PROXY="http://127.0.0.1:$egress_port" HTTPS_PROXY="http://127.0.0.1:$egress_port"
    export http_proxy="$HTTP_PROXY" https_proxy="$HTTPS_PROXY"
    export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
    ;;
esac
exec "$@"
"#;

/// What goes into a layer.
pub struct LayerSpec<'a> {
    /// The fnguard binary for the layer's architecture.
    pub binary: &'a [u8],
    /// guard.toml's text.
    pub config: &'a str,
    /// (file name without `.pub`, minisign public key file text).
    pub keys: &'a [(String, String)],
}

/// Writes the layer zip to `out` (atomically: a temporary file renamed).
pub fn write_layer(spec: &LayerSpec<'_>, out: &Path) -> io::Result<()> {
    let mut temporary = out.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = std::path::PathBuf::from(temporary);
    let result = write_zip(spec, &temporary).and_then(|()| std::fs::rename(&temporary, out));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn write_zip(spec: &LayerSpec<'_>, path: &Path) -> io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut zip = zip::ZipWriter::new(io::BufWriter::new(file));
    let executable = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    let data = executable.unix_permissions(0o644);
    let mut add = |name: &str, bytes: &[u8], options| -> io::Result<()> {
        zip.start_file(name, options).map_err(io::Error::other)?;
        zip.write_all(bytes)
    };
    add(
        "extensions/fnguard-guard",
        EXTENSION_LAUNCHER.as_bytes(),
        executable,
    )?;
    add("fnguard/fnguard", spec.binary, executable)?;
    add("fnguard/wrapper", WRAPPER.as_bytes(), executable)?;
    add("fnguard/guard.toml", spec.config.as_bytes(), data)?;
    for (name, text) in spec.keys {
        add(&format!("fnguard/keys/{name}.pub"), text.as_bytes(), data)?;
    }
    zip.finish().map_err(io::Error::other)?.flush()
}

/// Whether `bytes` are an ELF executable for `arch` (`x86_64` or `arm64`):
/// a layer for one architecture must not carry the other's binary.
pub fn elf_arch(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return None;
    }
    // e_machine, little-endian (Lambda's architectures both are).
    match u16::from_le_bytes([bytes[18], bytes[19]]) {
        0x3e => Some("x86_64"),
        0xb7 => Some("arm64"),
        _ => None,
    }
}

/// The program interpreter an ELF executable names (`PT_INTERP`, such as
/// `/lib64/ld-linux-x86-64.so.2`): `Some` for a dynamically linked
/// program, `None` for a static one. Lambda's runtimes carry an older glibc
/// (Amazon Linux 2: 2.26; Amazon Linux 2023: 2.34) than a binary linked on
/// a newer system may need, so the layer ships a static one.
/// `Err` when the bytes are not a 64-bit little-endian ELF file or its
/// program headers lie outside it.
pub fn elf_interpreter(bytes: &[u8]) -> Result<Option<String>, &'static str> {
    const PT_INTERP: u32 = 3;
    let field = |at: usize, plus: usize, width: usize| -> Result<u64, &'static str> {
        let start = at.checked_add(plus).ok_or("ELF offsets out of range")?;
        let slice = start
            .checked_add(width)
            .and_then(|end| bytes.get(start..end))
            .ok_or("the ELF file is cut short")?;
        let mut buffer = [0u8; 8];
        buffer[..width].copy_from_slice(slice);
        Ok(u64::from_le_bytes(buffer))
    };
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF file");
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return Err("not a 64-bit little-endian ELF file");
    }
    let table = usize::try_from(field(0x20, 0, 8)?).map_err(|_| "program headers out of range")?;
    let entry_size = usize::try_from(field(0x36, 0, 2)?).unwrap_or(0);
    let count = usize::try_from(field(0x38, 0, 2)?).unwrap_or(0);
    if count > 0 && entry_size < 56 {
        return Err("program header entries too small");
    }
    for index in 0..count {
        let header = table
            .checked_add(index * entry_size)
            .ok_or("program headers out of range")?;
        if field(header, 0, 4)? != u64::from(PT_INTERP) {
            continue;
        }
        let offset = usize::try_from(field(header, 8, 8)?).map_err(|_| "PT_INTERP out of range")?;
        let size = usize::try_from(field(header, 32, 8)?).map_err(|_| "PT_INTERP out of range")?;
        let path = offset
            .checked_add(size)
            .and_then(|end| bytes.get(offset..end))
            .ok_or("PT_INTERP out of range")?;
        let path = path.split(|&b| b == 0).next().unwrap_or_default();
        return Ok(Some(String::from_utf8_lossy(path).into_owned()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::process::Command;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("fnguard-layer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_layer_holds_launcher_binary_wrapper_config_and_keys_with_their_modes() {
        let dir = temp_dir("zip");
        let out = dir.join("layer.zip");
        let keys = [("ci".to_string(), "untrusted comment: k\nRWQ=\n".to_string())];
        let spec = LayerSpec {
            binary: b"\x7fELF binary",
            config: "[integrity]\nmode = \"enforce\"\n",
            keys: &keys,
        };
        write_layer(&spec, &out).unwrap();
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut names: Vec<String> = archive.file_names().map(str::to_string).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "extensions/fnguard-guard",
                "fnguard/fnguard",
                "fnguard/guard.toml",
                "fnguard/keys/ci.pub",
                "fnguard/wrapper"
            ]
        );
        for (name, mode) in [
            ("extensions/fnguard-guard", 0o755),
            ("fnguard/fnguard", 0o755),
            ("fnguard/wrapper", 0o755),
            ("fnguard/guard.toml", 0o644),
        ] {
            let entry = archive.by_name(name).unwrap();
            assert_eq!(entry.unix_mode().unwrap() & 0o777, mode, "{name}");
        }
        let mut text = String::new();
        archive
            .by_name("fnguard/keys/ci.pub")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, keys[0].1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn elf_architectures_are_told_apart() {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(b"\x7fELF");
        header[18] = 0x3e;
        assert_eq!(elf_arch(&header), Some("x86_64"));
        header[18] = 0xb7;
        assert_eq!(elf_arch(&header), Some("arm64"));
        assert_eq!(elf_arch(b"#!/bin/sh\n"), None);
        let this = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let expected = if cfg!(target_arch = "x86_64") {
            "x86_64"
        } else {
            "arm64"
        };
        assert_eq!(elf_arch(&this), Some(expected));
    }

    /// Runs the wrapper with sh: it exports the proxies once the guard is
    /// ready, and otherwise fails closed, or open when told to, saying so.
    #[test]
    fn the_wrapper_points_the_runtime_at_the_guard_or_fails_as_configured() {
        let dir = temp_dir("wrapper");
        let wrapper = dir.join("wrapper");
        // The ready file is $FNGUARD_TMP/.fnguard/ready (/tmp in Lambda).
        std::fs::create_dir_all(dir.join(".fnguard")).unwrap();
        let ready = dir.join(".fnguard/ready");
        std::fs::write(&wrapper, WRAPPER).unwrap();
        let run = |env: &[(&str, &str)]| {
            let output = Command::new("sh")
                .arg(&wrapper)
                .args(["sh", "-c", "echo API=$AWS_LAMBDA_RUNTIME_API UP=$FNGUARD_UPSTREAM_RUNTIME_API HTTPS=$HTTPS_PROXY NO=$NO_PROXY"])
                .env_clear()
                .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
                .env("AWS_LAMBDA_FUNCTION_NAME", "orders")
                .env("FNGUARD_TMP", &dir)
                .envs(env.iter().copied())
                .output()
                .unwrap();
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
            )
        };
        // Not ready: closed by default, open when asked; both logged.
        let (code, out) = run(&[]);
        assert_eq!(code, Some(1));
        assert!(
            out.contains("\"decision\":\"deny\"") && out.contains("orders"),
            "{out}"
        );
        let (code, out) = run(&[("FNGUARD_FAIL", "open")]);
        assert_eq!(code, Some(0));
        assert!(
            out.contains("unguarded") && out.contains("API=127.0.0.1:9001"),
            "{out}"
        );
        // Ready with both proxies.
        std::fs::write(&ready, "proxy_port=9009\negress_port=9010\n").unwrap();
        let (code, out) = run(&[]);
        assert_eq!(code, Some(0));
        assert!(
            out.contains("API=127.0.0.1:9009 UP=127.0.0.1:9001"),
            "{out}"
        );
        assert!(
            out.contains("HTTPS=http://127.0.0.1:9010 NO=127.0.0.1,localhost"),
            "{out}"
        );
        // Ready without egress: no proxy variables; garbage ports refused.
        std::fs::write(&ready, "proxy_port=9009\n").unwrap();
        let (_, out) = run(&[]);
        assert!(out.contains("HTTPS= "), "{out}");
        std::fs::write(&ready, "proxy_port=90;rm -rf /\n").unwrap();
        let (code, _) = run(&[]);
        assert_eq!(code, Some(1));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A minimal ELF64 executable header with one program header of `kind`.
    fn elf_with_program_header(kind: u32, interpreter: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0u8; 64 + 56];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2; // 64-bit
        bytes[5] = 1; // little-endian
        bytes[18..20].copy_from_slice(&0x3eu16.to_le_bytes());
        bytes[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        bytes[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        bytes[64..68].copy_from_slice(&kind.to_le_bytes());
        let offset = bytes.len() as u64;
        bytes[64 + 8..64 + 16].copy_from_slice(&offset.to_le_bytes());
        bytes[64 + 32..64 + 40].copy_from_slice(&(interpreter.len() as u64).to_le_bytes());
        bytes.extend_from_slice(interpreter);
        bytes
    }

    #[test]
    fn a_dynamic_executable_names_its_interpreter_and_a_static_one_none() {
        let this = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let interpreter = elf_interpreter(&this).unwrap();
        // This test binary is linked the default way: dynamically.
        assert!(
            interpreter.as_deref().is_some_and(|p| p.contains("ld-")),
            "{interpreter:?}"
        );
        let dynamic = elf_with_program_header(3, b"/lib/ld-musl-x86_64.so.1\0");
        assert_eq!(
            elf_interpreter(&dynamic).unwrap().as_deref(),
            Some("/lib/ld-musl-x86_64.so.1")
        );
        let load_only = elf_with_program_header(1, b"");
        assert_eq!(elf_interpreter(&load_only).unwrap(), None);
    }

    #[test]
    fn a_broken_elf_file_is_an_error_not_a_panic() {
        assert!(elf_interpreter(b"#!/bin/sh\n").is_err());
        let mut cut = elf_with_program_header(3, b"/lib/ld.so\0");
        cut.truncate(100);
        assert!(elf_interpreter(&cut).is_err());
        let mut far = elf_with_program_header(3, b"/lib/ld.so\0");
        far[64 + 8..64 + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(elf_interpreter(&far).is_err());
        let mut table = elf_with_program_header(1, b"");
        table[0x20..0x28].copy_from_slice(&(u64::MAX - 10).to_le_bytes());
        assert!(elf_interpreter(&table).is_err());
        let mut big_endian = elf_with_program_header(1, b"");
        big_endian[5] = 2;
        assert!(elf_interpreter(&big_endian).is_err());
    }
}
