//! `fnguard keygen`, `sign` and `verify` from the command line: packages
//! (folders and zips) and plain files, exit codes, errors, the real
//! `minisign` in both directions, and `fnguard scan` on a package that no
//! longer matches its signed manifest.

mod common;

use common::{findings, fnguard, keys, Run, TempDir};
use std::io::Write;
use std::path::Path;
use std::process::Command;

fn package(dir: &TempDir) -> std::path::PathBuf {
    dir.write("pkg/app.py", "def handler(event, context):\n    return 1\n");
    dir.write("pkg/lib/util.py", "X = 1\n");
    dir.write("pkg/lib/data.bin", &"z".repeat(100_000));
    dir.path("pkg")
}

fn run(args: &[&str]) -> Run {
    fnguard(args)
}

fn zip_folder(folder: &Path, zip_path: &Path) {
    let file = std::fs::File::create(zip_path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let mut stack = vec![folder.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        let name = path
            .strip_prefix(folder)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let options = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
        zip.start_file(name, options).unwrap();
        zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_signed_folder_verifies_and_every_change_is_reported() {
    let dir = TempDir::new("sign-folder");
    let (public, secret) = keys(&dir, "k");
    let pkg = package(&dir);
    let pkg_s = pkg.to_str().unwrap();
    let signed = run(&["sign", pkg_s, "-s", &secret, "--function-name", "orders"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    assert!(pkg.join("fnguard.manifest.json").is_file());
    assert!(pkg.join("fnguard.manifest.json.minisig").is_file());

    let intact = run(&["verify", pkg_s, "-p", &public]);
    assert_eq!(intact.code, 0, "{}{}", intact.stdout, intact.stderr);
    assert!(intact.stdout.contains("intact"), "{}", intact.stdout);

    // A modified file, a new one and a removed one: exit 1, each named.
    std::fs::write(pkg.join("app.py"), "import os\nos.system('id')\n").unwrap();
    std::fs::write(pkg.join("lib/extra.py"), "evil = True\n").unwrap();
    std::fs::remove_file(pkg.join("lib/util.py")).unwrap();
    let tampered = run(&["verify", pkg_s, "-p", &public, "--format", "json"]);
    assert_eq!(tampered.code, 1, "{}{}", tampered.stdout, tampered.stderr);
    let report = tampered.json();
    assert_eq!(report["status"], "modified");
    let changes = report["changes"].as_array().unwrap();
    let kinds: Vec<(String, String)> = changes
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("app.py".into(), "modified".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("lib/extra.py".into(), "added".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("lib/util.py".into(), "missing".into())),
        "{kinds:?}"
    );
    assert_eq!(changes.len(), 3, "{kinds:?}");
}

#[test]
fn a_signed_zip_carries_its_manifest_and_a_flipped_byte_is_caught() {
    let dir = TempDir::new("sign-zip");
    let (public, secret) = keys(&dir, "k");
    let pkg = package(&dir);
    let zip_path = dir.path("fn.zip");
    zip_folder(&pkg, &zip_path);
    let zip_s = zip_path.to_str().unwrap();
    let signed = run(&["sign", zip_s, "-s", &secret]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let ok = run(&["verify", zip_s, "-p", &public]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);

    // The same manifest checks the unpacked folder (what Lambda runs).
    let manifest_dir = dir.path("out");
    std::fs::create_dir_all(&manifest_dir).unwrap();
    let beside = run(&[
        "sign",
        pkg.to_str().unwrap(),
        "-s",
        &secret,
        "--out-dir",
        manifest_dir.to_str().unwrap(),
    ]);
    assert_eq!(beside.code, 0, "{}", beside.stderr);
    let manifest = manifest_dir.join("fnguard.manifest.json");
    let folder_ok = run(&[
        "verify",
        pkg.to_str().unwrap(),
        "-p",
        &public,
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(
        folder_ok.code, 0,
        "{}{}",
        folder_ok.stdout, folder_ok.stderr
    );

    // Rebuild the zip with one byte of one file changed: caught.
    std::fs::write(pkg.join("lib/util.py"), "X = 2\n").unwrap();
    let evil = dir.path("evil.zip");
    zip_folder(&pkg, &evil);
    let bad = run(&[
        "verify",
        evil.to_str().unwrap(),
        "-p",
        &public,
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stdout.contains("lib/util.py"), "{}", bad.stdout);
}

#[test]
fn a_manifest_signed_by_another_key_or_edited_is_refused() {
    let dir = TempDir::new("sign-keys");
    let (public, secret) = keys(&dir, "good");
    let (other_public, _) = keys(&dir, "other");
    let pkg = package(&dir);
    let pkg_s = pkg.to_str().unwrap();
    assert_eq!(run(&["sign", pkg_s, "-s", &secret]).code, 0);
    let wrong_key = run(&["verify", pkg_s, "-p", &other_public]);
    assert_eq!(
        wrong_key.code, 1,
        "{}{}",
        wrong_key.stdout, wrong_key.stderr
    );
    assert!(
        wrong_key.stdout.contains("SIGNATURE INVALID"),
        "{}",
        wrong_key.stdout
    );
    // Any of several trusted keys may have signed.
    let either = run(&["verify", pkg_s, "-p", &other_public, "-p", &public]);
    assert_eq!(either.code, 0, "{}{}", either.stdout, either.stderr);

    // Someone edits the manifest to match their change: the signature fails.
    let manifest_path = pkg.join("fnguard.manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    std::fs::write(&manifest_path, manifest.replacen("app.py", "app.pz", 1)).unwrap();
    let edited = run(&["verify", pkg_s, "-p", &public]);
    assert_eq!(edited.code, 1, "{}{}", edited.stdout, edited.stderr);
}

#[test]
fn plain_files_are_signed_like_minisign_and_bad_inputs_are_usage_errors() {
    let dir = TempDir::new("sign-file");
    let (public, secret) = keys(&dir, "k");
    let file = dir.write("notes.txt", "hello\n");
    let file_s = file.to_str().unwrap();
    for legacy in [false, true] {
        let mut args = vec!["sign", file_s, "-s", &secret];
        if legacy {
            args.push("--legacy");
        }
        assert_eq!(run(&args).code, 0);
        let ok = run(&["verify", file_s, "-p", &public]);
        assert_eq!(ok.code, 0, "legacy={legacy}: {}{}", ok.stdout, ok.stderr);
        std::fs::write(&file, "hellO\n").unwrap();
        let bad = run(&["verify", file_s, "-p", &public]);
        assert_eq!(bad.code, 1, "legacy={legacy}: {}{}", bad.stdout, bad.stderr);
        std::fs::write(&file, "hello\n").unwrap();
    }
    // Garbage key, empty signature, a missing file: exit 2, the file named.
    let garbage = dir.write("garbage.pub", "untrusted comment: x\nnot base64 at all!\n");
    let run_garbage = run(&["verify", file_s, "-p", garbage.to_str().unwrap()]);
    assert_eq!(run_garbage.code, 2);
    assert!(
        run_garbage.stderr.contains("garbage.pub"),
        "{}",
        run_garbage.stderr
    );
    // A signature that is empty or garbage fails the check (1), named.
    let empty = dir.write("empty.minisig", "");
    let run_empty = run(&[
        "verify",
        file_s,
        "-p",
        &public,
        "-x",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(run_empty.code, 1, "{}", run_empty.stderr);
    assert!(
        run_empty.stdout.contains("empty.minisig"),
        "{}",
        run_empty.stdout
    );
    let absent = run(&[
        "verify",
        file_s,
        "-p",
        &public,
        "-x",
        dir.path("absent.minisig").to_str().unwrap(),
    ]);
    assert_eq!(absent.code, 2, "{}", absent.stderr);
    let missing = run(&["verify", dir.path("nope").to_str().unwrap(), "-p", &public]);
    assert_eq!(missing.code, 2);
    // An oversized "key" is refused before it is read whole.
    let huge = dir.write("huge.pub", &"A".repeat(1 << 20));
    let run_huge = run(&["verify", file_s, "-p", huge.to_str().unwrap()]);
    assert_eq!(run_huge.code, 2);
    assert!(
        run_huge.stderr.contains("huge.pub") && run_huge.stderr.contains("larger than"),
        "{}",
        run_huge.stderr
    );
    // A signature of an unknown algorithm is named as such.
    let signed = std::fs::read_to_string(format!("{file_s}.minisig")).unwrap();
    let mut lines: Vec<String> = signed.lines().map(str::to_string).collect();
    let mut raw = base64_decode(&lines[1]);
    raw[..2].copy_from_slice(b"Xx");
    lines[1] = base64_encode(&raw);
    let odd = dir.write("odd.minisig", &(lines.join("\n") + "\n"));
    let run_odd = run(&["verify", file_s, "-p", &public, "-x", odd.to_str().unwrap()]);
    assert_eq!(run_odd.code, 1, "{}", run_odd.stderr);
    assert!(
        run_odd.stdout.contains("odd.minisig")
            && run_odd.stdout.to_lowercase().contains("algorithm"),
        "{}",
        run_odd.stdout
    );
    let no_key = run(&["verify", file_s]);
    assert_eq!(no_key.code, 2);
    assert!(
        no_key.stderr.contains("no trusted key"),
        "{}",
        no_key.stderr
    );
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, for editing a signature's bytes in a test.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let value = BASE64.iter().position(|&b| b == c).expect("base64") as u32;
        acc = acc << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn rules_tell_users_to_sign_with_fnguard() {
    let explain = run(&["rules", "explain", "FG-SIGN-001"]);
    assert_eq!(explain.code, 0);
    assert!(
        explain.stdout.contains("fnguard sign"),
        "{}",
        explain.stdout
    );
    let list = run(&["rules", "list", "--format", "json"]);
    assert!(
        list.stdout.contains("FG-SIGN-003"),
        "the package-integrity rule is listed"
    );
}

#[test]
fn an_encrypted_key_needs_its_password() {
    let dir = TempDir::new("sign-password");
    let public = dir.path("k.pub");
    let secret = dir.path("k.key");
    let password = dir.write("password.txt", "correct horse battery\n");
    let made = run(&[
        "keygen",
        "-p",
        public.to_str().unwrap(),
        "-s",
        secret.to_str().unwrap(),
        "--password-file",
        password.to_str().unwrap(),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // keygen does not overwrite without --force.
    let again = run(&[
        "keygen",
        "-p",
        public.to_str().unwrap(),
        "-s",
        secret.to_str().unwrap(),
        "--unencrypted",
    ]);
    assert_eq!(again.code, 2);
    let file = dir.write("f.txt", "data");
    let wrong = dir.write("wrong.txt", "wrong\n");
    let refused = run(&[
        "sign",
        file.to_str().unwrap(),
        "-s",
        secret.to_str().unwrap(),
        "--password-file",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.to_lowercase().contains("password"),
        "{}",
        refused.stderr
    );
    let output = Command::new(env!("CARGO_BIN_EXE_fnguard"))
        .args([
            "sign",
            file.to_str().unwrap(),
            "-s",
            secret.to_str().unwrap(),
            "--password-env",
            "FNGUARD_TEST_PASSWORD",
        ])
        .env("FNGUARD_TEST_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ok = run(&[
        "verify",
        file.to_str().unwrap(),
        "-p",
        public.to_str().unwrap(),
    ]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
}

/// The real minisign (Debian's, installed by scripts/setup-test-tools.sh):
/// it verifies what fnguard signs, and fnguard verifies what it signs.
#[test]
fn minisign_and_fnguard_verify_each_other() {
    if Command::new("minisign").arg("-v").output().is_err() {
        assert!(
            std::env::var_os("FNGUARD_REQUIRE_TOOLS").is_none(),
            "minisign is required (scripts/setup-test-tools.sh installs it)"
        );
        eprintln!("SKIPPED: minisign is not installed (scripts/setup-test-tools.sh installs it)");
        return;
    }
    let dir = TempDir::new("sign-minisign");
    let (public, secret) = keys(&dir, "ours");
    let file = dir.write("artifact.bin", &"payload ".repeat(10_000));
    let file_s = file.to_str().unwrap();
    for legacy in [false, true] {
        let mut args = vec!["sign", file_s, "-s", &secret];
        if legacy {
            args.push("--legacy");
        }
        assert_eq!(run(&args).code, 0);
        let checked = Command::new("minisign")
            .args(["-V", "-m", file_s, "-p", &public])
            .output()
            .unwrap();
        assert!(
            checked.status.success(),
            "legacy={legacy}: minisign refused our signature: {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    // minisign's key and signature, checked by fnguard.
    let their_public = dir.path("theirs.pub");
    let their_secret = dir.path("theirs.key");
    let made = Command::new("minisign")
        .args([
            "-G",
            "-W",
            "-p",
            their_public.to_str().unwrap(),
            "-s",
            their_secret.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let signed = Command::new("minisign")
        .args([
            "-S",
            "-m",
            file_s,
            "-s",
            their_secret.to_str().unwrap(),
            "-t",
            "built by CI",
        ])
        .output()
        .unwrap();
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let ok = run(&["verify", file_s, "-p", their_public.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("built by CI"), "{}", ok.stdout);
    // fnguard signs with minisign's secret key file.
    let with_theirs = run(&["sign", file_s, "-s", their_secret.to_str().unwrap()]);
    assert_eq!(with_theirs.code, 0, "{}", with_theirs.stderr);
    let checked = Command::new("minisign")
        .args(["-V", "-m", file_s, "-p", their_public.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    // A changed byte: both refuse.
    std::fs::write(&file, "payload!".repeat(10_000)).unwrap();
    let theirs = Command::new("minisign")
        .args(["-V", "-m", file_s, "-p", their_public.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!theirs.status.success());
    assert_eq!(
        run(&["verify", file_s, "-p", their_public.to_str().unwrap()]).code,
        1
    );
}

#[test]
fn scan_reports_a_package_that_no_longer_matches_its_manifest() {
    let dir = TempDir::new("sign-scan");
    let (_, secret) = keys(&dir, "k");
    let pkg = package(&dir);
    assert_eq!(run(&["sign", pkg.to_str().unwrap(), "-s", &secret]).code, 0);
    let scan = |path: &Path| {
        let run = fnguard([
            "scan".as_ref(),
            path.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
            "--fail-on".as_ref(),
            "none".as_ref(),
        ]);
        findings(&run.json())
            .into_iter()
            .filter(|f| f["rule_id"] == "FG-SIGN-003")
            .collect::<Vec<_>>()
    };
    assert!(
        scan(&pkg).is_empty(),
        "an intact signed package is not reported"
    );
    std::fs::write(pkg.join("lib/util.py"), "X = 2\n").unwrap();
    let reported = scan(&pkg);
    assert_eq!(reported.len(), 1, "{reported:#?}");
    assert!(
        reported[0].to_string().contains("lib/util.py"),
        "{:#}",
        reported[0]
    );
}
