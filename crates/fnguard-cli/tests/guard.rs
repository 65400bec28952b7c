//! `fnguard guard package`: the layer a function adds to run the guard.

mod common;

use common::{fnguard, keys, TempDir};
use std::io::Read;

#[test]
fn the_layer_ships_this_binary_the_wrapper_config_and_keys() {
    let dir = TempDir::new("guard-layer");
    let (public, _) = keys(&dir, "ci");
    let layer = dir.path("layer.zip");
    // This test's fnguard is linked dynamically: refused unless allowed.
    let refused = fnguard([
        "guard",
        "package",
        "-p",
        &public,
        "-o",
        layer.to_str().unwrap(),
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("dynamically linked (interpreter /")
            && refused
                .stderr
                .contains("scripts/build-guard-binary.sh x86_64"),
        "{}",
        refused.stderr
    );
    assert!(!layer.exists());
    let run = fnguard([
        "guard",
        "package",
        "--allow-dynamic",
        "-p",
        &public,
        "-o",
        layer.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning: "), "{}", run.stderr);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&layer).unwrap()).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    for wanted in [
        "extensions/fnguard-guard",
        "fnguard/fnguard",
        "fnguard/wrapper",
        "fnguard/guard.toml",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("fnguard/keys/") && n.ends_with(".pub")),
        "{names:?}"
    );
    let mut binary = Vec::new();
    zip.by_name("fnguard/fnguard")
        .unwrap()
        .read_to_end(&mut binary)
        .unwrap();
    assert_eq!(
        binary,
        std::fs::read(env!("CARGO_BIN_EXE_fnguard")).unwrap()
    );
    let mut launcher = String::new();
    zip.by_name("extensions/fnguard-guard")
        .unwrap()
        .read_to_string(&mut launcher)
        .unwrap();
    assert!(
        launcher.contains("/opt/fnguard/fnguard guard run"),
        "{launcher}"
    );
}

#[test]
fn a_layer_for_another_architecture_needs_a_binary_built_for_it() {
    let dir = TempDir::new("guard-arch");
    let layer = dir.path("arm.zip");
    let other = if cfg!(target_arch = "x86_64") {
        "arm64"
    } else {
        "x86_64"
    };
    let run = fnguard([
        "guard",
        "package",
        "--arch",
        other,
        "-o",
        layer.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("not {other}")),
        "{}",
        run.stderr
    );
    assert!(!layer.exists());
    let script = dir.write("not-elf", "#!/bin/sh\n");
    let run = fnguard([
        "guard",
        "package",
        "--binary",
        script.to_str().unwrap(),
        "-o",
        layer.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not an ELF"), "{}", run.stderr);
}
