//! FileGuard on real folders signed with fnguard-sign: init refuses what is
//! not signed by a trusted key, quick_check sees metadata changes, full_check
//! sees content changes that metadata hides.

mod integrity_util;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::time::Instant;

use fnguard_guard::integrity::files::{FileGuard, RootSpec};
use fnguard_guard::integrity::{Violation, CONTROL_FILES};
use fnguard_sign::minisign::{PublicKey, SecretKey};
use fnguard_sign::seal::{self, SealOptions};
use integrity_util::TempDir;

fn sign(root: &Path, key: &SecretKey) {
    let options = SealOptions {
        created: "2026-12-06T03:00:00Z".into(),
        created_unix: 1_796_526_000,
        ..SealOptions::default()
    };
    let sealed = seal::seal(root, key, &options).unwrap();
    seal::write_into(&sealed, root).unwrap();
}

/// A small function package: files in folders, a symlink, an executable.
fn package(root: &Path) {
    fs::create_dir_all(root.join("lib/deep")).unwrap();
    fs::write(
        root.join("handler.py"),
        b"def handler(event, ctx):\n    return 1\n",
    )
    .unwrap();
    fs::write(root.join("lib/util.py"), b"X = 1\n").unwrap();
    fs::write(root.join("lib/deep/data.json"), b"{\"a\": 1}\n").unwrap();
    fs::write(
        root.join("bootstrap"),
        b"#!/bin/sh\nexec python3 handler.py\n",
    )
    .unwrap();
    fs::set_permissions(root.join("bootstrap"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("lib/util.py", root.join("util.py")).unwrap();
}

fn signed_root(label: &str) -> (TempDir, PublicKey) {
    let dir = TempDir::new(label);
    package(dir.path());
    let key = SecretKey::generate().unwrap();
    sign(dir.path(), &key);
    (dir, key.public_key())
}

fn spec(root: &Path) -> RootSpec {
    RootSpec {
        path: root.to_path_buf(),
        manifest: None,
        required: true,
    }
}

/// (reason, path) of each violation, sorted, for comparisons.
fn summary(violations: &[Violation]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = violations
        .iter()
        .map(|v| {
            assert_eq!(v.control, CONTROL_FILES);
            (
                v.reason.clone(),
                v.details["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn an_intact_signed_root_passes_every_check() {
    let (dir, key) = signed_root("intact");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    assert_eq!(guard.entries(), 5);
    assert!(guard.notes().is_empty(), "{:?}", guard.notes());
    assert_eq!(guard.quick_check(), vec![]);
    assert_eq!(guard.full_check(), vec![]);
    assert_eq!(guard.check(), vec![]);
}

#[test]
fn recheck_is_quiet_until_something_changes_then_names_it_every_time() {
    let (dir, key) = signed_root("recheck");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    assert_eq!(guard.check(), vec![]);
    assert_eq!(guard.recheck(), vec![]);
    fs::write(dir.path().join("handler.py"), b"print('implant')\n").unwrap();
    // The change came after the last full check (the post-invoke phase):
    // the recheck on the event's path sees it through inotify.
    let expected = vec![(
        "file metadata changed".to_string(),
        "handler.py".to_string(),
    )];
    assert_eq!(summary(&guard.recheck()), expected);
    // Once anything changed, every check compares everything again.
    assert_eq!(summary(&guard.recheck()), expected);
    assert_eq!(summary(&guard.check()), expected);
}

#[test]
fn a_modified_file_is_caught_by_both_checks() {
    let (dir, key) = signed_root("modified");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    fs::write(
        dir.path().join("handler.py"),
        b"import os; os.system('x')\n",
    )
    .unwrap();
    let quick = guard.quick_check();
    assert_eq!(
        summary(&quick),
        vec![("file metadata changed".into(), "handler.py".into())]
    );
    let fields = quick[0].details["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f == "size"), "{fields:?}");
    let full = guard.full_check();
    assert_eq!(
        summary(&full),
        vec![(
            "file differs from the signed manifest".into(),
            "handler.py".into()
        )]
    );
    assert!(full[0].details["change"]
        .as_str()
        .unwrap()
        .starts_with("modified"));
}

#[test]
fn an_added_file_in_a_subfolder_is_named() {
    let (dir, key) = signed_root("added");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    fs::write(dir.path().join("lib/deep/backdoor.py"), b"evil\n").unwrap();
    assert_eq!(
        summary(&guard.quick_check()),
        vec![("entry added".into(), "lib/deep/backdoor.py".into())]
    );
    assert_eq!(
        summary(&guard.full_check()),
        vec![(
            "file differs from the signed manifest".into(),
            "lib/deep/backdoor.py".into()
        )]
    );
}

#[test]
fn a_removed_file_and_a_removed_folder_are_named() {
    let (dir, key) = signed_root("removed");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    fs::remove_file(dir.path().join("lib/util.py")).unwrap();
    assert_eq!(
        summary(&guard.quick_check()),
        vec![("entry removed".into(), "lib/util.py".into())]
    );
    fs::remove_dir_all(dir.path().join("lib/deep")).unwrap();
    let reasons = summary(&guard.quick_check());
    assert!(
        reasons.contains(&("entry removed".into(), "lib/deep".into())),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("folder removed or unreadable".into(), "lib/deep".into())),
        "{reasons:?}"
    );
}

#[test]
fn a_chmod_is_caught_as_a_mode_change() {
    let (dir, key) = signed_root("chmod");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    fs::set_permissions(
        dir.path().join("lib/util.py"),
        fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let quick = guard.quick_check();
    assert_eq!(
        summary(&quick),
        vec![("file metadata changed".into(), "lib/util.py".into())]
    );
    let fields = quick[0].details["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f == "mode"), "{fields:?}");
    assert!(!fields.iter().any(|f| f == "size"), "{fields:?}");
}

#[test]
fn a_same_size_rewrite_with_its_mtime_restored_is_caught_by_full_check() {
    let (dir, key) = signed_root("mtime");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    let path = dir.path().join("lib/util.py");
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    fs::write(&path, b"Y = 2\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    // Size and mtime as signed: only the ctime, which no unprivileged
    // process can set back, tells metadata apart.
    let quick = guard.quick_check();
    assert_eq!(quick.len(), 1, "{quick:?}");
    assert_eq!(quick[0].details["fields"], serde_json::json!(["ctime"]));
    let full = guard.full_check();
    assert_eq!(
        summary(&full),
        vec![(
            "file differs from the signed manifest".into(),
            "lib/util.py".into()
        )]
    );
    assert_eq!(full[0].details["change"], "modified (blake3 differs)");
}

#[test]
fn a_replaced_symlink_is_caught() {
    let (dir, key) = signed_root("symlink");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    fs::remove_file(dir.path().join("util.py")).unwrap();
    symlink("/etc/passwd", dir.path().join("util.py")).unwrap();
    let reasons = summary(&guard.quick_check());
    assert!(
        reasons.contains(&("file metadata changed".into(), "util.py".into())),
        "{reasons:?}"
    );
    let full = guard.full_check();
    assert!(full[0].details["change"]
        .as_str()
        .unwrap()
        .starts_with("symlink target changed"));
}

#[test]
fn check_hashes_everything_every_full_every_calls() {
    let (dir, key) = signed_root("schedule");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 2).unwrap();
    fs::write(dir.path().join("handler.py"), b"changed\n").unwrap();
    let is_full = |v: &Violation| v.details["check"] == "full";
    assert!(!guard.check().iter().any(is_full));
    assert!(guard.check().iter().any(is_full));
    assert!(!guard.check().iter().any(is_full));
}

#[test]
fn an_unsigned_required_root_is_refused() {
    let dir = TempDir::new("unsigned");
    package(dir.path());
    let key = SecretKey::generate().unwrap().public_key();
    let violations = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap_err();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].reason, "manifest missing");
    assert_eq!(violations[0].control, CONTROL_FILES);
}

#[test]
fn a_root_signed_by_an_untrusted_key_is_refused() {
    let (dir, _) = signed_root("wrongkey");
    let other = SecretKey::generate().unwrap().public_key();
    let violations = FileGuard::init(&[spec(dir.path())], &[other], 0).unwrap_err();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].reason, "manifest signature not valid");
}

#[test]
fn a_root_changed_after_signing_is_refused_at_init() {
    let (dir, key) = signed_root("tampered");
    fs::write(dir.path().join("lib/util.py"), b"X = 666\n").unwrap();
    fs::write(dir.path().join("extra.py"), b"\n").unwrap();
    let violations = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap_err();
    assert_eq!(
        summary(&violations),
        vec![
            (
                "file differs from the signed manifest".into(),
                "extra.py".into()
            ),
            (
                "file differs from the signed manifest".into(),
                "lib/util.py".into()
            ),
        ]
    );
}

#[test]
fn a_tampered_manifest_is_refused() {
    let (dir, key) = signed_root("manifest");
    let path = dir.path().join("fnguard.manifest.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("2026-12-06T03:00:00Z", "2026-12-07T03:00:00Z"),
    )
    .unwrap();
    let violations = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap_err();
    assert_eq!(violations[0].reason, "manifest signature not valid");
}

#[test]
fn optional_roots_are_skipped_only_when_absent_or_unsigned() {
    let (signed, key) = signed_root("optional-signed");
    let unsigned = TempDir::new("optional-unsigned");
    package(unsigned.path());
    let absent = unsigned.path().join("nothing-here");
    let optional = |path: &Path| RootSpec {
        path: path.to_path_buf(),
        manifest: None,
        required: false,
    };
    let guard = FileGuard::init(
        &[
            spec(signed.path()),
            optional(unsigned.path()),
            optional(&absent),
        ],
        std::slice::from_ref(&key),
        0,
    )
    .unwrap();
    assert_eq!(guard.notes().len(), 2, "{:?}", guard.notes());
    assert_eq!(guard.entries(), 5);
    // A required root that is absent is refused.
    let violations = FileGuard::init(&[spec(&absent)], std::slice::from_ref(&key), 0).unwrap_err();
    assert_eq!(violations[0].reason, "root cannot be read");
    // An optional root whose manifest does not verify is refused too.
    let other = SecretKey::generate().unwrap();
    sign(unsigned.path(), &other);
    let violations = FileGuard::init(&[optional(unsigned.path())], &[key], 0).unwrap_err();
    assert_eq!(violations[0].reason, "manifest signature not valid");
}

#[test]
fn a_manifest_kept_outside_the_root_is_used() {
    let (dir, key) = signed_root("outside");
    let elsewhere = TempDir::new("outside-manifest");
    for name in ["fnguard.manifest.json", "fnguard.manifest.json.minisig"] {
        fs::rename(dir.path().join(name), elsewhere.path().join(name)).unwrap();
    }
    let root = RootSpec {
        path: dir.path().to_path_buf(),
        manifest: Some(elsewhere.path().join("fnguard.manifest.json")),
        required: true,
    };
    let mut guard = FileGuard::init(&[root], &[key], 0).unwrap();
    assert_eq!(guard.quick_check(), vec![]);
    assert_eq!(guard.full_check(), vec![]);
}

#[test]
fn a_file_written_through_a_hard_link_outside_the_root_is_caught() {
    // inotify reports a write to the folder of the name it was made
    // through: a file with another name outside the root is looked at on
    // every check instead.
    let dir = TempDir::new("hardlink");
    let outside = TempDir::new("hardlink-outside");
    package(dir.path());
    fs::hard_link(dir.path().join("lib/util.py"), outside.path().join("alias")).unwrap();
    let key = SecretKey::generate().unwrap();
    sign(dir.path(), &key);
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key.public_key()], 0).unwrap();
    assert_eq!(guard.quick_check(), vec![]);
    fs::write(outside.path().join("alias"), b"X = 'evil'\n").unwrap();
    assert_eq!(
        summary(&guard.quick_check()),
        vec![("file metadata changed".into(), "lib/util.py".into())]
    );
}

#[test]
fn a_change_is_reported_at_every_check_not_once() {
    let (dir, key) = signed_root("again");
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key], 0).unwrap();
    fs::write(dir.path().join("lib/new.py"), b"\n").unwrap();
    for _ in 0..3 {
        assert_eq!(
            summary(&guard.quick_check()),
            vec![("entry added".into(), "lib/new.py".into())]
        );
    }
}

/// The budget: a few hundred µs for 2,000 files (release). Measured
/// here in the profile the tests run in, printed, and bounded loosely (the
/// machine is shared): the quiet check (no inotify event: one read and a
/// slice of 32 lstat) and the full comparison after a change.
#[test]
fn quick_check_of_two_thousand_files_is_cheap() {
    let dir = TempDir::new("perf");
    for folder in 0..40 {
        let path = dir.path().join(format!("pkg{folder}"));
        fs::create_dir(&path).unwrap();
        for file in 0..50 {
            fs::write(path.join(format!("m{file}.py")), format!("{folder}{file}")).unwrap();
        }
    }
    let key = SecretKey::generate().unwrap();
    sign(dir.path(), &key);
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key.public_key()], 0).unwrap();
    assert_eq!(guard.entries(), 2000);
    let best = |guard: &mut FileGuard, expected: usize| {
        let mut best = u128::MAX;
        for _ in 0..20 {
            let start = Instant::now();
            assert_eq!(guard.quick_check().len(), expected);
            best = best.min(start.elapsed().as_micros());
        }
        best
    };
    let quiet = best(&mut guard, 0);
    fs::write(dir.path().join("pkg7/m7.py"), b"changed").unwrap();
    let full = best(&mut guard, 1);
    eprintln!(
        "quick_check of 2,000 files in 41 folders, best of 20: {quiet} µs quiet, {full} µs after a change"
    );
    assert!(quiet < 5_000, "{quiet} µs");
    assert!(full < 100_000, "{full} µs");
}

#[test]
fn empty_folders_and_the_root_listing_are_guarded() {
    let dir = TempDir::new("empty-folder");
    package(dir.path());
    fs::create_dir_all(dir.path().join("cache/empty")).unwrap();
    let key = SecretKey::generate().unwrap();
    sign(dir.path(), &key);
    let mut guard = FileGuard::init(&[spec(dir.path())], &[key.public_key()], 0).unwrap();
    assert_eq!(guard.quick_check(), vec![]);
    fs::write(dir.path().join("cache/empty/dropped.so"), b"\x7fELF").unwrap();
    fs::write(dir.path().join("sitecustomize.py"), b"import evil\n").unwrap();
    // The manifest's own files at the root are expected there: only the
    // two new names are reported.
    assert_eq!(
        summary(&guard.quick_check()),
        vec![
            ("entry added".into(), "cache/empty/dropped.so".into()),
            ("entry added".into(), "sitecustomize.py".into()),
        ]
    );
    fs::remove_file(dir.path().join("cache/empty/dropped.so")).unwrap();
    fs::remove_file(dir.path().join("sitecustomize.py")).unwrap();
    fs::remove_dir(dir.path().join("cache/empty")).unwrap();
    let reasons = summary(&guard.quick_check());
    assert!(
        reasons.contains(&("entry removed".into(), "cache/empty".into())),
        "{reasons:?}"
    );
    // The root's listing is as signed again, but its ctime says it was
    // touched.
    assert!(
        reasons.contains(&("folder metadata changed".into(), String::new())),
        "{reasons:?}"
    );
}
