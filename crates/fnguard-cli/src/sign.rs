//! `fnguard keygen`, `sign` and `verify` (guide §3.2.3): files in and out,
//! passwords and printing. The formats, the manifest and every check live
//! in `fnguard-sign`, which `fnguard guard` reuses at run time.

use crate::args::{DigestChoice, KeygenArgs, PasswordArgs, SignArgs, VerifyArgs, VerifyFormat};
use crate::ExitCode;
use fnguard_sign::manifest::{Change, Finding};
use fnguard_sign::minisign::{self, Kdf, Message, Prehasher, PublicKey, SecretKey, Signature};
use fnguard_sign::package::{DigestChoice as Digest, Limits};
use fnguard_sign::seal::{self, SealOptions, VerifyError as SealVerifyError};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A legacy signature covers the whole file, which must then be held in
/// memory: refuse files past this size (minisign's prehashed default has no
/// such limit).
const LEGACY_MAX_BYTES: u64 = 1 << 30;

/// Key and signature files are a few hundred bytes; anything far larger is
/// not one (and is not read whole).
const KEY_FILE_MAX_BYTES: u64 = 64 << 10;

pub fn keygen(args: KeygenArgs) -> ExitCode {
    match try_keygen(&args) {
        Ok(()) => ExitCode::Clean,
        Err(message) => fail(&message),
    }
}

pub fn sign(args: SignArgs) -> ExitCode {
    let key = match load_secret_key(&args.seckey, &args.password) {
        Ok(key) => key,
        Err(message) => return fail(&message),
    };
    let mut code = ExitCode::Clean;
    // One bad path does not stop the others from being signed.
    for path in &args.paths {
        if let Err(message) = sign_one(path, &key, &args) {
            eprintln!("error: {message}");
            code = ExitCode::Error;
        }
    }
    code
}

pub fn verify(args: VerifyArgs) -> ExitCode {
    let keys = match load_public_keys(&args) {
        Ok(keys) => keys,
        Err(message) => return fail(&message),
    };
    if args.raw || !is_package(&args.path) {
        return verify_file(&args, &keys);
    }
    verify_package(&args, &keys)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::Error
}

fn try_keygen(args: &KeygenArgs) -> Result<(), String> {
    for path in [&args.pubkey, &args.seckey] {
        if path.exists() && !args.force {
            return Err(format!(
                "{}: already exists (use --force to replace it)",
                path.display()
            ));
        }
    }
    let password = if args.unencrypted {
        None
    } else {
        Some(password(&args.password, true)?)
    };
    let key = SecretKey::generate().map_err(|e| format!("cannot make a key: {e}"))?;
    let public = key.public_key();
    let key_id = public.key_id_hex();
    let (comment, kdf) = match password {
        Some(_) => ("minisign encrypted secret key", Kdf::MINISIGN_DEFAULT),
        None => ("minisign secret key (unencrypted)", Kdf::None),
    };
    let secret_text = key
        .to_file_string(comment, password.as_deref().map(str::as_bytes), kdf)
        .map_err(|e| format!("cannot write the secret key: {e}"))?;
    write_private(&args.seckey, secret_text.as_bytes(), args.force)?;
    let public_text = public.to_file_string(&format!("minisign public key {key_id}"));
    fs::write(&args.pubkey, public_text)
        .map_err(|e| format!("{}: cannot write: {e}", args.pubkey.display()))?;
    println!("Key id {key_id}");
    println!("Secret key: {}", args.seckey.display());
    println!("Public key: {}", args.pubkey.display());
    println!();
    println!("Verify with:");
    println!("  fnguard verify PACKAGE -P {}", public.to_base64());
    println!("  minisign -Vm FILE -P {}", public.to_base64());
    Ok(())
}

/// Creates the secret key file readable by its owner only, from its first
/// byte (not chmod after the fact).
fn write_private(path: &Path, bytes: &[u8], replace: bool) -> Result<(), String> {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("{}: cannot create: {e}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// The password from a file, a variable or the terminal. Empty passwords
/// are refused: a key without one is made with --unencrypted, knowingly.
fn password(args: &PasswordArgs, confirm: bool) -> Result<String, String> {
    let password = if let Some(path) = &args.password_file {
        let text = read_capped(path, KEY_FILE_MAX_BYTES)?;
        let text = String::from_utf8(text)
            .map_err(|_| format!("{}: the password is not UTF-8", path.display()))?;
        text.lines().next().unwrap_or("").to_string()
    } else if let Some(var) = &args.password_env {
        std::env::var(var).map_err(|_| format!("the environment variable {var} is not set"))?
    } else {
        let first = rpassword::prompt_password("Password: ").map_err(|e| {
            format!("cannot read a password from the terminal ({e}); use --password-file or --password-env")
        })?;
        if confirm {
            let second = rpassword::prompt_password("Password (again): ")
                .map_err(|e| format!("cannot read a password from the terminal ({e})"))?;
            if first != second {
                return Err("the two passwords differ".into());
            }
        }
        first
    };
    if password.is_empty() {
        return Err("empty password (use --unencrypted for a key without one)".into());
    }
    Ok(password)
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    seal::read_capped(path, cap).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

fn read_text(path: &Path, what: &str) -> Result<String, String> {
    let bytes = read_capped(path, KEY_FILE_MAX_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not a {what}: byte {} is not UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn load_secret_key(path: &Path, password_args: &PasswordArgs) -> Result<SecretKey, String> {
    let text = read_text(path, "minisign secret key")?;
    let encrypted = SecretKey::is_encrypted_file(&text)
        .map_err(|e| format!("{}: not a minisign secret key: {e}", path.display()))?;
    let password = if encrypted {
        Some(password(password_args, false)?)
    } else {
        None
    };
    SecretKey::parse(&text, password.as_deref().map(str::as_bytes))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn load_public_keys(args: &VerifyArgs) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    for path in &args.pubkey {
        let text = read_text(path, "minisign public key")?;
        keys.push(
            PublicKey::parse(&text)
                .map_err(|e| format!("{}: not a minisign public key: {e}", path.display()))?,
        );
    }
    for (index, line) in args.pubkey_base64.iter().enumerate() {
        keys.push(PublicKey::parse(line).map_err(|e| {
            format!(
                "--pubkey-base64 #{}: not a minisign public key: {e}",
                index + 1
            )
        })?);
    }
    if keys.is_empty() {
        return Err("no trusted key: give --pubkey FILE or --pubkey-base64 KEY".into());
    }
    Ok(keys)
}

/// A folder, or a file whose first bytes are a zip's: signed with a
/// manifest. Anything else is signed as bytes.
fn is_package(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    let mut magic = [0u8; 4];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"PK\x03\x04" || &magic == b"PK\x05\x06")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn sign_one(path: &Path, key: &SecretKey, args: &SignArgs) -> Result<(), String> {
    if args.raw || !is_package(path) {
        return sign_file(path, key, args);
    }
    if args.legacy {
        return Err(format!(
            "{}: --legacy signs a file as bytes; a package's manifest is always signed prehashed (add --raw to sign the zip's bytes)",
            path.display()
        ));
    }
    let now = std::time::SystemTime::now();
    let options = SealOptions {
        function_name: args.function_name.clone(),
        runtime: args.runtime.clone(),
        runtime_version_arn: args.runtime_version_arn.clone(),
        layers: args.layer.clone(),
        created: fnguard_core::date::rfc3339(now, false),
        created_unix: unix_now(),
        limits: Limits::default(),
    };
    let sealed = seal::seal(path, key, &options).map_err(|e| format!("{}: {e}", path.display()))?;
    for note in &sealed.notes {
        eprintln!("warning: {}: {note}", path.display());
    }
    let written = match &args.out_dir {
        Some(dir) => seal::write_beside(&sealed, dir),
        None => seal::write_into(&sealed, path),
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "{}: {} files, manifest {} signed by key {} ({})",
        path.display(),
        sealed.files,
        sealed.digest_hex,
        key.public_key().key_id_hex(),
        written
    );
    Ok(())
}

fn sign_file(path: &Path, key: &SecretKey, args: &SignArgs) -> Result<(), String> {
    let message = if args.legacy {
        let bytes = read_capped(path, LEGACY_MAX_BYTES)?;
        Err(bytes)
    } else {
        Ok(prehash(path)?)
    };
    let name = file_name(path);
    let trusted = args.trusted_comment.clone().unwrap_or_else(|| {
        let mode = if args.legacy { "" } else { "\thashed" };
        format!("timestamp:{}\tfile:{name}{mode}", unix_now())
    });
    let untrusted = "signature from fnguard secret key";
    let signature = match &message {
        Ok(digest) => minisign::sign(key, Message::Prehashed(*digest), &trusted, untrusted),
        Err(bytes) => minisign::sign(key, Message::Raw(bytes), &trusted, untrusted),
    }
    .map_err(|e| format!("{}: cannot sign: {e}", path.display()))?;
    let target = match &args.out_dir {
        Some(dir) => dir.join(format!("{name}.minisig")),
        None => PathBuf::from(format!("{}.minisig", path.display())),
    };
    fs::write(&target, signature.to_file_string())
        .map_err(|e| format!("{}: cannot write: {e}", target.display()))?;
    println!("{}: signed ({})", path.display(), target.display());
    Ok(())
}

/// BLAKE2b-512 of a file, streamed: what a prehashed signature covers.
/// BLAKE2b is sequential, so the file is read on a second thread while this
/// one hashes (the read would otherwise add about a tenth to a large file's
/// time); buffers go back and forth, so memory stays at a few MiB.
fn prehash(path: &Path) -> Result<[u8; 64], String> {
    const BUFFER: usize = 1 << 20;
    const IN_FLIGHT: usize = 3;
    let mut file =
        fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let (full_tx, full_rx) =
        std::sync::mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(IN_FLIGHT);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    for _ in 0..IN_FLIGHT {
        let _ = empty_tx.send(vec![0u8; BUFFER]);
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // Ends when the file ends, on an error, or when the hashing side
            // hangs up.
            while let Ok(mut buffer) = empty_rx.recv() {
                let read = loop {
                    match file.read(&mut buffer) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let done = !matches!(read, Ok(n) if n > 0);
                if full_tx.send(read.map(|n| (buffer, n))).is_err() || done {
                    return;
                }
            }
        });
        let mut hasher = Prehasher::new();
        loop {
            match full_rx.recv() {
                Ok(Ok((_, 0))) | Err(_) => break,
                Ok(Ok((buffer, read))) => {
                    hasher.update(&buffer[..read]);
                    let _ = empty_tx.send(buffer);
                }
                Ok(Err(e)) => return Err(format!("{}: cannot read: {e}", path.display())),
            }
        }
        Ok(hasher.finalize())
    })
}

fn verify_file(args: &VerifyArgs, keys: &[PublicKey]) -> ExitCode {
    if let Err(e) = fs::metadata(&args.path) {
        return fail(&format!("{}: {e}", args.path.display()));
    }
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.minisig", args.path.display())));
    // The signature is part of what is checked: one that is missing beside
    // the file, unreadable or not minisign's is an integrity failure (1); a
    // --signature path that does not exist is the user's mistake (2).
    let text = match read_text(&signature_path, "minisign signature") {
        Ok(text) => text,
        Err(message) if args.signature.is_some() && !signature_path.exists() => {
            return fail(&message)
        }
        Err(message) => return file_failure(args, &message),
    };
    let signature = match Signature::parse(&text) {
        Ok(signature) => signature,
        Err(e) => {
            return file_failure(
                args,
                &format!(
                    "{}: not a minisign signature: {e}",
                    signature_path.display()
                ),
            )
        }
    };
    let outcome = match signature.algorithm {
        minisign::Algorithm::Prehashed => prehash(&args.path)
            .map(|digest| minisign::verify(keys, &signature, Message::Prehashed(digest)).cloned()),
        minisign::Algorithm::Legacy => read_capped(&args.path, LEGACY_MAX_BYTES)
            .map(|bytes| minisign::verify(keys, &signature, Message::Raw(&bytes)).cloned()),
    };
    match outcome {
        Err(message) => fail(&message),
        Ok(Ok(key)) => {
            print_file_verified(args, &key.key_id_hex(), &signature);
            ExitCode::Clean
        }
        Ok(Err(error)) => file_failure(args, &error.to_string()),
    }
}

fn file_failure(args: &VerifyArgs, message: &str) -> ExitCode {
    match args.format {
        VerifyFormat::Json => println!(
            "{}",
            serde_json::json!({
                "path": args.path.display().to_string(),
                "kind": "file",
                "status": "signature_invalid",
                "key_id": null,
                "trusted_comment": null,
                "error": message,
            })
        ),
        VerifyFormat::Table => println!("{}: SIGNATURE INVALID: {message}", args.path.display()),
    }
    ExitCode::Findings
}

fn print_file_verified(args: &VerifyArgs, key_id: &str, signature: &Signature) {
    match args.format {
        VerifyFormat::Json => {
            let value = serde_json::json!({
                "path": args.path.display().to_string(),
                "kind": "file",
                "status": "intact",
                "key_id": key_id,
                "trusted_comment": signature.trusted_comment,
                "error": null,
            });
            println!("{value}");
        }
        VerifyFormat::Table => {
            println!("{}: signature verified (key {key_id})", args.path.display());
            println!("Trusted comment: {}", signature.trusted_comment);
        }
    }
}

fn verify_package(args: &VerifyArgs, keys: &[PublicKey]) -> ExitCode {
    let digest = match args.digest {
        DigestChoice::Blake3 => Digest::Blake3,
        DigestChoice::Sha256 => Digest::Sha256,
        DigestChoice::Both => Digest::Both,
    };
    let sources = seal::Sources {
        manifest: args.manifest.clone(),
        signature: args.signature.clone(),
    };
    let verified = match seal::verify(&args.path, &sources, keys, digest, &Limits::default()) {
        Ok(verified) => verified,
        Err(SealVerifyError::Input(message)) => {
            return fail(&format!("{}: {message}", args.path.display()))
        }
        Err(SealVerifyError::Signature(message)) => {
            print_package_failure(args, "signature_invalid", &message);
            return ExitCode::Findings;
        }
        Err(SealVerifyError::Manifest(message)) => {
            print_package_failure(args, "manifest_invalid", &message);
            return ExitCode::Findings;
        }
    };
    let report = &verified.report;
    let intact = report.is_intact();
    match args.format {
        VerifyFormat::Json => {
            let changes: Vec<serde_json::Value> = report.findings.iter().map(change_json).collect();
            let value = serde_json::json!({
                "path": args.path.display().to_string(),
                "kind": "package",
                "status": if intact { "intact" } else { "modified" },
                "key_id": verified.key_id,
                "trusted_comment": verified.trusted_comment,
                "manifest_sha256": verified.manifest.digest.sha256,
                "manifest_blake3": verified.manifest.digest.blake3,
                "created": verified.manifest.created,
                "checked": report.checked,
                "intact": report.intact,
                "changes": changes,
            });
            println!("{value}");
        }
        VerifyFormat::Table => {
            for finding in &report.findings {
                println!(
                    "{:<16} {}  ({})",
                    change_name(&finding.change).to_uppercase(),
                    finding.path,
                    finding.change
                );
            }
            if intact {
                println!(
                    "{}: intact: {} entries match the manifest signed by key {}",
                    args.path.display(),
                    report.checked,
                    verified.key_id
                );
            } else {
                println!(
                    "{}: MODIFIED: {} changes; {} of {} entries intact (manifest signed by key {})",
                    args.path.display(),
                    report.findings.len(),
                    report.intact,
                    report.checked,
                    verified.key_id
                );
            }
            println!("Trusted comment: {}", verified.trusted_comment);
        }
    }
    if intact {
        ExitCode::Clean
    } else {
        ExitCode::Findings
    }
}

/// The change's kind as scripts match on it.
fn change_name(change: &Change) -> &'static str {
    match change {
        Change::Modified { .. } => "modified",
        Change::Missing => "missing",
        Change::Added { .. } => "added",
        Change::ModeChanged { .. } => "mode_changed",
        Change::SymlinkChanged { .. } => "symlink_changed",
        Change::KindChanged { .. } => "kind_changed",
    }
}

fn change_json(finding: &Finding) -> serde_json::Value {
    serde_json::json!({
        "path": finding.path,
        "change": change_name(&finding.change),
        "detail": finding.change.to_string(),
    })
}

fn print_package_failure(args: &VerifyArgs, status: &str, message: &str) {
    match args.format {
        VerifyFormat::Json => {
            let value = serde_json::json!({
                "path": args.path.display().to_string(),
                "kind": "package",
                "status": status,
                "error": message,
            });
            println!("{value}");
        }
        VerifyFormat::Table => {
            let what = if status == "signature_invalid" {
                "SIGNATURE INVALID"
            } else {
                "MANIFEST INVALID"
            };
            println!("{}: {what}: {message}", args.path.display());
        }
    }
}
