//! Interoperability with the real `minisign` (Debian's package, 0.11):
//! its keys and signatures read and verified here, ours read, used and
//! verified by it, and tampering refused by both.
//!
//! Skipped with a loud message when `minisign` is not installed, unless
//! `FNGUARD_REQUIRE_TOOLS` is set: then a missing binary fails them.
//! scripts/setup-test-tools.sh (run by scripts/test.sh) installs it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use fnguard_sign::minisign::{
    sign, verify, Kdf, Message, Prehasher, PublicKey, SecretKey, SecretKeyError, Signature,
    VerifyError, TRUSTED_COMMENT_MAX, UNTRUSTED_COMMENT_MAX,
};

/// Cheap scrypt for keys minisign reads back: libsodium's smallest limits.
const CHEAP: Kdf = Kdf::Scrypt {
    opslimit: 32_768,
    memlimit: 16 << 20,
};

/// Whether `minisign` can run; panics if it cannot and the environment
/// demands the tools.
fn minisign_available() -> bool {
    let found = Command::new("minisign")
        .arg("-v")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        if std::env::var_os("FNGUARD_REQUIRE_TOOLS").is_some() {
            panic!("minisign is required (FNGUARD_REQUIRE_TOOLS is set) but does not run");
        }
        eprintln!(
            "\n*** SKIPPED: `minisign` is not installed; the minisign interop tests did not run \
             (scripts/setup-test-tools.sh installs it) ***\n"
        );
    }
    found
}

/// A fresh, empty folder for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fnguard-minisign-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs minisign with `args` in `dir`, `stdin` as its standard input (the
/// password, when it asks for one: it reads it from a non-terminal stdin).
fn minisign(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new("minisign")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // minisign may exit without reading its input (a command that needs no
    // password): a broken pipe then is no error.
    if let Err(error) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().unwrap()
}

fn ok(output: &Output) -> bool {
    output.status.success()
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), contents).unwrap();
}

/// Test data over several BLAKE2b blocks and not a multiple of 128 bytes.
fn data() -> Vec<u8> {
    (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[test]
fn minisign_signatures_verify_here_and_tampering_is_refused() {
    if !minisign_available() {
        return;
    }
    let dir = temp_dir("their-signatures");
    assert!(ok(&minisign(
        &dir,
        &["-G", "-W", "-p", "k.pub", "-s", "k.key"],
        ""
    )));
    write(&dir, "file.bin", data());
    let public = PublicKey::parse(&read(&dir, "k.pub")).unwrap();
    // The key id we print is the one minisign prints in its comment.
    assert!(read(&dir, "k.pub").starts_with(&format!(
        "untrusted comment: minisign public key {}\n",
        public.key_id_hex()
    )));
    // minisign's unencrypted secret key (zero checksum in 0.11) is ours too.
    let secret = SecretKey::parse(&read(&dir, "k.key"), None).unwrap();
    assert_eq!(secret.public_key(), public);

    let digest = Prehasher::digest(&data());
    let keys = [SecretKey::generate().unwrap().public_key(), public];
    for (legacy, message) in [
        (false, Message::Prehashed(digest)),
        (true, Message::Raw(&data())),
    ] {
        let mut args = vec![
            "-S",
            "-s",
            "k.key",
            "-m",
            "file.bin",
            "-x",
            "file.sig",
            "-t",
            "made by minisign",
        ];
        if legacy {
            args.push("-l");
        }
        let signed = minisign(&dir, &args, "");
        assert!(ok(&signed), "{}", describe(&signed));
        let signature = Signature::parse(&read(&dir, "file.sig")).unwrap();
        assert_eq!(signature.trusted_comment, "made by minisign");
        assert_eq!(verify(&keys, &signature, message).unwrap(), &public);
        // The file as written is what we write back.
        assert_eq!(signature.to_file_string(), read(&dir, "file.sig"));

        // One byte of the file changed: both refuse.
        let mut changed = data();
        changed[54_321] ^= 0x20;
        write(&dir, "changed.bin", &changed);
        let theirs = minisign(
            &dir,
            &["-V", "-p", "k.pub", "-m", "changed.bin", "-x", "file.sig"],
            "",
        );
        assert!(!ok(&theirs), "minisign verified a changed file");
        let changed_message = if legacy {
            Message::Raw(&changed)
        } else {
            Message::Prehashed(Prehasher::digest(&changed))
        };
        assert_eq!(
            verify(&keys, &signature, changed_message).unwrap_err(),
            VerifyError::BadSignature
        );

        // The trusted comment changed: both refuse.
        let forged = read(&dir, "file.sig").replace("made by minisign", "made by minisigN");
        write(&dir, "forged.sig", &forged);
        let theirs = minisign(
            &dir,
            &["-V", "-p", "k.pub", "-m", "file.bin", "-x", "forged.sig"],
            "",
        );
        assert!(!ok(&theirs), "minisign verified a changed trusted comment");
        assert_eq!(
            verify(&keys, &Signature::parse(&forged).unwrap(), message).unwrap_err(),
            VerifyError::BadGlobalSignature
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn our_signatures_verify_with_minisign() {
    if !minisign_available() {
        return;
    }
    let dir = temp_dir("our-signatures");
    let secret = SecretKey::generate().unwrap();
    let public = secret.public_key();
    write(&dir, "k.pub", public.to_file_string("fnguard public key"));
    write(&dir, "file.bin", data());
    let digest = Prehasher::digest(&data());
    let data = data();
    for (name, message) in [
        ("prehashed", Message::Prehashed(digest)),
        ("legacy", Message::Raw(&data)),
    ] {
        let trusted = format!("timestamp:1700000000\tfile:file.bin\t{name}");
        let signature = sign(&secret, message, &trusted, "signature from fnguard").unwrap();
        write(&dir, "file.sig", signature.to_file_string());
        let theirs = minisign(
            &dir,
            &["-V", "-p", "k.pub", "-m", "file.bin", "-x", "file.sig"],
            "",
        );
        assert!(ok(&theirs), "{name}: {}", describe(&theirs));
        assert!(
            String::from_utf8_lossy(&theirs.stdout)
                .contains(&format!("Trusted comment: {trusted}")),
            "{}",
            describe(&theirs)
        );
        // The bare key of `-P`.
        let theirs = minisign(
            &dir,
            &[
                "-V",
                "-P",
                &public.to_base64(),
                "-m",
                "file.bin",
                "-x",
                "file.sig",
            ],
            "",
        );
        assert!(ok(&theirs), "{name} with -P: {}", describe(&theirs));

        // Our signature with a changed trusted comment: minisign refuses it.
        let mut forged = signature.clone();
        forged.trusted_comment.push('!');
        write(&dir, "forged.sig", forged.to_file_string());
        let theirs = minisign(
            &dir,
            &["-V", "-p", "k.pub", "-m", "file.bin", "-x", "forged.sig"],
            "",
        );
        assert!(
            !ok(&theirs),
            "{name}: minisign verified a forged trusted comment"
        );
        // And a changed file.
        write(&dir, "other.bin", b"other");
        let theirs = minisign(
            &dir,
            &["-V", "-p", "k.pub", "-m", "other.bin", "-x", "file.sig"],
            "",
        );
        assert!(!ok(&theirs), "{name}: minisign verified another file");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Comments at our limits are what minisign 0.11 still reads.
#[test]
fn comments_at_our_limits_verify_with_minisign() {
    if !minisign_available() {
        return;
    }
    let dir = temp_dir("limits");
    let secret = SecretKey::generate().unwrap();
    write(&dir, "k.pub", secret.public_key().to_file_string("k"));
    write(&dir, "file.bin", b"x");
    let signature = sign(
        &secret,
        Message::Prehashed(Prehasher::digest(b"x")),
        &"t".repeat(TRUSTED_COMMENT_MAX),
        &"u".repeat(UNTRUSTED_COMMENT_MAX),
    )
    .unwrap();
    write(&dir, "file.sig", signature.to_file_string());
    let theirs = minisign(
        &dir,
        &["-V", "-p", "k.pub", "-m", "file.bin", "-x", "file.sig"],
        "",
    );
    assert!(ok(&theirs), "{}", describe(&theirs));
    // One byte more in the untrusted comment and minisign no longer reads
    // the file: the limit is minisign's own.
    let mut longer = signature.clone();
    longer.untrusted_comment.push('u');
    write(&dir, "longer.sig", longer.to_file_string());
    let theirs = minisign(
        &dir,
        &["-V", "-p", "k.pub", "-m", "file.bin", "-x", "longer.sig"],
        "",
    );
    assert!(!ok(&theirs), "minisign read a longer untrusted comment");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn our_secret_keys_sign_with_minisign() {
    if !minisign_available() {
        return;
    }
    let dir = temp_dir("our-keys");
    let secret = SecretKey::generate().unwrap();
    write(&dir, "k.pub", secret.public_key().to_file_string("k"));
    write(&dir, "file.bin", data());
    let files = [
        (
            "plain.key",
            secret.to_file_string("plain", None, Kdf::None).unwrap(),
            "",
        ),
        (
            "cheap.key",
            secret
                .to_file_string("cheap", Some(b"s3cret pw"), CHEAP)
                .unwrap(),
            "s3cret pw\n",
        ),
        // libsodium's other branch (memory the tighter limit): N = 2^10,
        // p = 128.
        (
            "parallel.key",
            secret
                .to_file_string(
                    "parallel",
                    Some(b"s3cret pw"),
                    Kdf::Scrypt {
                        opslimit: 1 << 22,
                        memlimit: 1 << 20,
                    },
                )
                .unwrap(),
            "s3cret pw\n",
        ),
        (
            "default.key",
            secret
                .to_file_string("default", Some(b"s3cret pw"), Kdf::MINISIGN_DEFAULT)
                .unwrap(),
            "s3cret pw\n",
        ),
    ];
    let keys = [secret.public_key()];
    for (name, contents, password) in &files {
        write(&dir, name, contents);
        let signed = minisign(
            &dir,
            &["-S", "-s", name, "-m", "file.bin", "-x", "file.sig"],
            password,
        );
        assert!(ok(&signed), "{name}: {}", describe(&signed));
        let signature = Signature::parse(&read(&dir, "file.sig")).unwrap();
        assert!(verify(
            &keys,
            &signature,
            Message::Prehashed(Prehasher::digest(&data()))
        )
        .is_ok());
        // `minisign -R` rebuilds our public key from our secret key.
        let _ = std::fs::remove_file(dir.join("rebuilt.pub"));
        let rebuilt = minisign(&dir, &["-R", "-s", name, "-p", "rebuilt.pub"], password);
        assert!(ok(&rebuilt), "{name}: {}", describe(&rebuilt));
        assert_eq!(
            PublicKey::parse(&read(&dir, "rebuilt.pub")).unwrap(),
            keys[0]
        );
    }
    // A wrong password: minisign says so.
    let signed = minisign(
        &dir,
        &["-S", "-s", "cheap.key", "-m", "file.bin", "-x", "bad.sig"],
        "wrong\n",
    );
    assert!(!ok(&signed));
    assert!(
        String::from_utf8_lossy(&signed.stderr).contains("Wrong password"),
        "{}",
        describe(&signed)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An encrypted key from `minisign -G` (scrypt at minisign's default cost,
/// 1 GiB): opened with the password, refused with a wrong one or none.
#[test]
fn minisign_encrypted_keys_open_with_the_password() {
    if !minisign_available() {
        return;
    }
    let dir = temp_dir("their-encrypted-key");
    // -G asks for the password twice.
    let generated = minisign(
        &dir,
        &["-G", "-p", "k.pub", "-s", "k.key"],
        "pass phrase\npass phrase\n",
    );
    assert!(ok(&generated), "{}", describe(&generated));
    let file = read(&dir, "k.key");
    assert!(SecretKey::is_encrypted_file(&file).unwrap());
    assert_eq!(
        SecretKey::parse(&file, None).unwrap_err(),
        SecretKeyError::PasswordRequired
    );
    assert_eq!(
        SecretKey::parse(&file, Some(b"pass phrasE")).unwrap_err(),
        SecretKeyError::WrongPassword
    );
    let secret = SecretKey::parse(&file, Some(b"pass phrase")).unwrap();
    assert_eq!(secret.kdf(), Kdf::MINISIGN_DEFAULT);
    let public = PublicKey::parse(&read(&dir, "k.pub")).unwrap();
    assert_eq!(secret.public_key(), public);
    // It signs what minisign verifies.
    write(&dir, "file.bin", b"payload");
    let signature = sign(
        &secret,
        Message::Prehashed(Prehasher::digest(b"payload")),
        "t",
        "u",
    )
    .unwrap();
    write(&dir, "file.sig", signature.to_file_string());
    let theirs = minisign(
        &dir,
        &["-V", "-p", "k.pub", "-m", "file.bin", "-x", "file.sig"],
        "",
    );
    assert!(ok(&theirs), "{}", describe(&theirs));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The key id in minisign's public key comment is ours, for 100 keys (one
/// in sixteen prints with fewer than 16 digits, so leading zeros are
/// almost surely among them).
#[test]
fn key_ids_print_as_minisign_prints_them() {
    if !minisign_available() {
        return;
    }
    let dir = temp_dir("key-ids");
    let mut short = 0;
    for _ in 0..100 {
        let generated = minisign(&dir, &["-G", "-W", "-f", "-p", "k.pub", "-s", "k.key"], "");
        assert!(ok(&generated), "{}", describe(&generated));
        let file = read(&dir, "k.pub");
        let key_id = PublicKey::parse(&file).unwrap().key_id_hex();
        assert_eq!(
            file.lines().next().unwrap(),
            format!("untrusted comment: minisign public key {key_id}")
        );
        short += usize::from(key_id.len() < 16);
    }
    eprintln!("{short} of 100 key ids had leading zeros");
    std::fs::remove_dir_all(&dir).unwrap();
}
