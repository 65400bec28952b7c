//! Dependencies embedded in executables. No Go or cargo-auditable toolchain
//! is at hand offline, so the byte layouts are built here from their
//! documented formats: Go's build info as `src/debug/buildinfo/buildinfo.go`
//! reads it (32-byte header: the magic, pointer size, flags with bit 2 for
//! the inline strings; then uvarint-prefixed version and module info, the
//! latter framed by `cmd/go/internal/modload`'s 16-byte sentinels), and
//! cargo-auditable's zlib-compressed JSON in an ELF `.dep-v0` section.

use std::io::Write;

use fnguard_scan::deps::binary::{
    self, BinaryError, AUDITABLE_MAX_BYTES, GO_BUILDINFO_MAGIC, GO_INFO_END, GO_INFO_START,
};
use fnguard_scan::deps::osv::Db;
use fnguard_scan::deps::{Dependency, Ecosystem, Package, Scope};

fn uvarint(mut value: usize, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A Go >= 1.18 build info blob: header, version, framed module info.
fn go_blob(version: &str, module_info: &str) -> Vec<u8> {
    let mut blob = GO_BUILDINFO_MAGIC.to_vec();
    blob.push(8); // pointer size
    blob.push(0x2); // little endian, strings inline
    blob.extend([0u8; 16]); // the two pointer slots, zero in this format
    uvarint(version.len(), &mut blob);
    blob.extend(version.as_bytes());
    let mut framed = GO_INFO_START.to_vec();
    framed.extend(module_info.as_bytes());
    framed.extend(GO_INFO_END);
    uvarint(framed.len(), &mut blob);
    blob.extend(framed);
    blob
}

/// The blob in an ELF executable's `.go.buildinfo` section at byte 0x1000
/// (16-byte aligned, as the linker places it), after some "code".
fn in_executable(blob: &[u8]) -> Vec<u8> {
    let code = vec![0xcc; 0x1000 - 64];
    let file = elf64(&[(".text", &code), (".go.buildinfo", blob)]);
    assert_eq!(&file[0x1000..0x1000 + blob.len()], blob);
    file
}

const MODULE_INFO: &str = "path\texample.com/orders/cmd/bootstrap\n\
mod\texample.com/orders\t(devel)\t\n\
dep\tgithub.com/aws/aws-lambda-go\tv1.41.0\th1:AAAA=\n\
dep\tgolang.org/x/net\tv0.15.0\th1:BBBB=\n\
=>\tgolang.org/x/net\tv0.17.0\th1:CCCC=\n\
dep\texample.com/shared\tv0.0.0-00010101000000-000000000000\n\
=>\t../shared\t\t\n\
build\t-compiler=gc\n\
build\tCGO_ENABLED=0\n\
build\tGOOS=linux\n\
build\tGOARCH=arm64\n";

fn names(packages: &[Package]) -> Vec<(String, String)> {
    packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

#[test]
fn go_build_info_gives_modules_after_replacement_and_the_standard_library() {
    let file = in_executable(&go_blob("go1.21.3", MODULE_INFO));
    let info = binary::go_build_info(&file)
        .expect("readable")
        .expect("found");
    assert_eq!(info.go_version, "go1.21.3");
    assert_eq!(info.path, "example.com/orders/cmd/bootstrap");
    assert_eq!(
        info.main.as_ref().map(|m| m.path.as_str()),
        Some("example.com/orders")
    );
    assert_eq!(info.deps.len(), 3);
    assert_eq!(info.deps[0].sum, "h1:AAAA=");
    assert!(info
        .settings
        .contains(&("GOARCH".to_string(), "arm64".to_string())));
    assert!(info.problems.is_empty(), "{:?}", info.problems);

    let inventory = binary::read("dist/bootstrap", &file).expect("a Go binary");
    assert!(inventory.issues.is_empty(), "{:?}", inventory.issues);
    assert_eq!(
        names(&inventory.packages),
        [
            ("stdlib".to_string(), "1.21.3".to_string()),
            (
                "github.com/aws/aws-lambda-go".to_string(),
                "v1.41.0".to_string()
            ),
            // What was built: the replacement, not the required version.
            ("golang.org/x/net".to_string(), "v0.17.0".to_string()),
            // example.com/shared is a local directory: first-party, left out.
        ]
    );
    for package in &inventory.packages {
        assert_eq!(package.ecosystem, Ecosystem::Go);
        assert_eq!(package.source, "dist/bootstrap");
        assert_eq!(package.scope, None);
    }
}

#[test]
fn go_packages_from_a_binary_match_osv_advisories_including_the_standard_library() {
    let mut db = Db::new();
    db.add_record(
        br#"{"id":"GO-2023-2185","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.20.11"},{"introduced":"1.21.0-0"},{"fixed":"1.21.4"}]}]}]}"#,
        "GO-2023-2185.json",
    )
    .unwrap();
    db.add_record(
        br#"{"id":"GO-2023-2102","affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/net"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.17.0"}]}]}]}"#,
        "GO-2023-2102.json",
    )
    .unwrap();
    let file = in_executable(&go_blob("go1.21.3", MODULE_INFO));
    let inventory = binary::read("bootstrap", &file).unwrap();
    let hits: Vec<(&str, &str)> = inventory
        .packages
        .iter()
        .flat_map(|p| {
            db.vulnerabilities(p)
                .into_iter()
                .map(move |a| (p.name.as_str(), a.id.as_str()))
        })
        .collect();
    // x/net was replaced by the fixed v0.17.0, so only the toolchain is hit.
    assert_eq!(hits, [("stdlib", "GO-2023-2185")]);

    let patched = in_executable(&go_blob("go1.21.4", MODULE_INFO));
    let inventory = binary::read("bootstrap", &patched).unwrap();
    assert!(inventory
        .packages
        .iter()
        .all(|p| db.vulnerabilities(p).is_empty()));
}

#[test]
fn a_stray_magic_string_before_the_real_header_is_skipped() {
    // A binary linking debug/buildinfo holds the magic as a constant too.
    let mut file = b"\x7fELF".to_vec();
    file.extend(GO_BUILDINFO_MAGIC);
    file.extend(b"\x08\x02 rodata text follows here, no build info at all");
    file.resize(0x800, 0);
    file.extend(go_blob("go1.22.1", MODULE_INFO));
    let info = binary::go_build_info(&file).unwrap().unwrap();
    assert_eq!(info.go_version, "go1.22.1");
    assert_eq!(info.deps.len(), 3);
}

#[test]
fn a_binary_built_outside_module_mode_still_names_its_toolchain() {
    let mut blob = GO_BUILDINFO_MAGIC.to_vec();
    blob.extend([8, 2]);
    blob.extend([0u8; 16]);
    uvarint(6, &mut blob);
    blob.extend(b"go1.20");
    uvarint(0, &mut blob);
    let inventory = binary::read("bootstrap", &in_executable(&blob)).unwrap();
    assert_eq!(
        names(&inventory.packages),
        [("stdlib".to_string(), "1.20.0".to_string())]
    );
}

#[test]
fn the_pointer_format_of_old_go_is_reported_as_unsupported() {
    let mut blob = GO_BUILDINFO_MAGIC.to_vec();
    blob.extend([8, 0]); // flags without the inline bit
    blob.extend(0x4d_2000u64.to_le_bytes());
    blob.extend(0x4d_2010u64.to_le_bytes());
    let file = in_executable(&blob);
    assert_eq!(
        binary::go_build_info(&file),
        Err(BinaryError::GoPointerFormat { offset: 0x1000 })
    );
    let inventory = binary::read("bootstrap", &file).unwrap();
    assert!(inventory.packages.is_empty());
    assert_eq!(inventory.issues.len(), 1);
    assert!(
        inventory.issues[0]
            .to_string()
            .starts_with("bootstrap: Go build info at byte 4096 uses the pointer format"),
        "{}",
        inventory.issues[0]
    );
}

#[test]
fn damaged_module_info_is_an_issue_and_the_readable_lines_still_count() {
    let module_info =
        "path\tx\ndep\tgithub.com/a/b\tv1.0.0\th1:x=\ndep\tbroken\nbuild\tGOOS=linux\n";
    let inventory = binary::read(
        "bootstrap",
        &in_executable(&go_blob("go1.22.0", module_info)),
    )
    .unwrap();
    assert_eq!(inventory.packages.len(), 2, "{:?}", inventory.packages);
    assert_eq!(inventory.issues.len(), 1);
    assert!(
        inventory.issues[0]
            .message
            .contains("module info line 3: dep line with 1 columns"),
        "{}",
        inventory.issues[0]
    );

    // Without its sentinels the module info is not trusted at all.
    let mut blob = go_blob("go1.22.0", MODULE_INFO);
    let start = blob.windows(16).position(|w| w == GO_INFO_START).unwrap();
    blob[start] ^= 0xff;
    let error = binary::go_build_info(&in_executable(&blob)).unwrap_err();
    assert!(error.to_string().contains("sentinels"), "{error}");
}

#[test]
fn files_without_embedded_data_are_not_binaries_with_dependencies() {
    assert_eq!(
        binary::read("handler.py", b"def handler(e, c): pass\n"),
        None
    );
    assert_eq!(binary::read("empty", b""), None);
    // An ELF without sections (stripped of its section table).
    let mut elf = elf64(&[]);
    elf[0x28..0x30].copy_from_slice(&0u64.to_le_bytes());
    assert_eq!(binary::read("bootstrap", &elf), None);
    assert_eq!(
        binary::read("bootstrap", &elf64(&[(".text", &[0x90; 64])])),
        None
    );
}

#[test]
fn every_truncation_and_every_damaged_byte_of_a_go_binary_is_read_without_panic() {
    // The blob alone: a cut header is no header; any other cut is damage,
    // never a partial module list read as complete.
    let blob = go_blob("go1.21.3", MODULE_INFO);
    for end in 0..blob.len() {
        match binary::go_build_info(&blob[..end]) {
            Ok(None) => assert!(end < GO_BUILDINFO_MAGIC.len(), "cut at {end} unseen"),
            Ok(Some(info)) => panic!("cut at {end} read as {info:?}"),
            Err(error) => assert!(error.to_string().contains("cut short"), "{error}"),
        }
    }
    let file = in_executable(&blob);
    let blob_start = 0x1000;
    for end in blob_start..file.len() {
        let _ = binary::read("bootstrap", &file[..end]);
    }
    for at in blob_start..file.len() {
        for value in [0x00, 0x7f, 0x80, 0xff, b'\t', b'\n'] {
            let mut damaged = file.clone();
            damaged[at] = value;
            let _ = binary::read("bootstrap", &damaged);
        }
    }
    // A length varint claiming more than the file holds.
    let mut huge = GO_BUILDINFO_MAGIC.to_vec();
    huge.extend([8, 2]);
    huge.extend([0u8; 16]);
    huge.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
    huge.extend(b"go1.21");
    let error = binary::go_build_info(&in_executable(&huge)).unwrap_err();
    assert!(error.to_string().contains("cut short"), "{error}");
}

// --- cargo-auditable -------------------------------------------------------

/// A minimal ELF with the given sections (plus the null section and the
/// section name table), 64-bit little-endian.
fn elf64(sections: &[(&str, &[u8])]) -> Vec<u8> {
    elf(sections, true, false)
}

fn elf(sections: &[(&str, &[u8])], is_64: bool, big_endian: bool) -> Vec<u8> {
    let put = |out: &mut Vec<u8>, at: usize, value: u64, size: usize| {
        let bytes = value.to_be_bytes();
        let field = &bytes[8 - size..];
        for (index, byte) in field.iter().enumerate() {
            let position = if big_endian { index } else { size - 1 - index };
            out[at + position] = *byte;
        }
    };
    let header_len = if is_64 { 64 } else { 52 };
    let entry_len = if is_64 { 64 } else { 40 };
    let mut names = vec![0u8];
    let mut all: Vec<(usize, &[u8])> = Vec::new();
    for (name, data) in sections {
        all.push((names.len(), data));
        names.extend(name.as_bytes());
        names.push(0);
    }
    let names_name = names.len();
    names.extend(b".shstrtab\0");
    let names_copy = names.clone();
    all.push((names_name, &names_copy));

    let mut out = vec![0u8; header_len];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = if is_64 { 2 } else { 1 };
    out[5] = if big_endian { 2 } else { 1 };
    out[6] = 1;
    let mut offsets = Vec::new();
    for (_, data) in &all {
        offsets.push(out.len());
        out.extend(*data);
    }
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let table = out.len();
    out.resize(table + entry_len * (all.len() + 1), 0);
    for (index, ((name, data), offset)) in all.iter().zip(&offsets).enumerate() {
        let at = table + entry_len * (index + 1);
        put(&mut out, at, *name as u64, 4);
        put(
            &mut out,
            at + 4,
            if index + 1 == all.len() { 3 } else { 1 },
            4,
        );
        if is_64 {
            put(&mut out, at + 24, *offset as u64, 8);
            put(&mut out, at + 32, data.len() as u64, 8);
        } else {
            put(&mut out, at + 16, *offset as u64, 4);
            put(&mut out, at + 20, data.len() as u64, 4);
        }
    }
    let count = all.len() as u64 + 1;
    if is_64 {
        put(&mut out, 0x28, table as u64, 8);
        put(&mut out, 0x3a, entry_len as u64, 2);
        put(&mut out, 0x3c, count, 2);
        put(&mut out, 0x3e, count - 1, 2);
    } else {
        put(&mut out, 0x20, table as u64, 4);
        put(&mut out, 0x2e, entry_len as u64, 2);
        put(&mut out, 0x30, count, 2);
        put(&mut out, 0x32, count - 1, 2);
    }
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

const AUDIT_JSON: &str = r#"{"packages":[
  {"name":"orders","version":"0.1.0","source":"local","dependencies":[1,2,4],"root":true},
  {"name":"lambda_runtime","version":"0.8.1","source":"crates.io","dependencies":[3]},
  {"name":"serde_derive","version":"1.0.190","source":"crates.io","kind":"build"},
  {"name":"hyper","version":"0.14.27","source":"crates.io"},
  {"name":"shared","version":"0.1.0","source":"local"},
  {"name":"internal","version":"2.0.0","source":"registry"}
]}"#;

#[test]
fn cargo_auditable_data_gives_crates_io_crates_with_their_scope() {
    let compressed = zlib(AUDIT_JSON.as_bytes());
    let file = elf64(&[(".text", &[0x90; 32]), (".dep-v0", &compressed)]);
    let crates = binary::auditable_crates(&file).unwrap().unwrap();
    assert_eq!(crates.len(), 6);
    assert!(crates[0].root);
    assert_eq!(crates[3].kind, "runtime");

    let inventory = binary::read("target/lambda/orders/bootstrap", &file).unwrap();
    assert!(inventory.issues.is_empty(), "{:?}", inventory.issues);
    let found: Vec<(&str, &str, Option<Scope>)> = inventory
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.scope))
        .collect();
    assert_eq!(
        found,
        [
            ("lambda_runtime", "0.8.1", Some(Scope::Direct)),
            ("serde_derive", "1.0.190", Some(Scope::Dev)),
            ("hyper", "0.14.27", Some(Scope::Transitive)),
        ]
    );
    assert!(inventory
        .packages
        .iter()
        .all(|p| p.ecosystem == Ecosystem::CratesIo));
    // The crate list records every edge: lambda_runtime needs hyper, hyper
    // nothing.
    let edges: Vec<Option<Vec<Dependency>>> = inventory
        .packages
        .iter()
        .map(|p| p.dependencies.clone())
        .collect();
    assert_eq!(
        edges,
        [
            Some(vec![Dependency::exact("hyper", "0.14.27")]),
            Some(vec![]),
            Some(vec![]),
        ]
    );
    // An edge to a crate left out (a git crate) would make a list look
    // complete that is not: unknown instead.
    let with_git = r#"{"packages":[
        {"name":"a","version":"1.0.0","source":"crates.io","dependencies":[1]},
        {"name":"b","version":"0.1.0","source":"git"}]}"#;
    let file = elf64(&[(".dep-v0", &zlib(with_git.as_bytes()))]);
    let inventory = binary::read("bootstrap", &file).unwrap();
    assert_eq!(inventory.packages.len(), 1);
    assert_eq!(inventory.packages[0].dependencies, None);
}

#[test]
fn cargo_auditable_is_read_from_32_bit_and_big_endian_elf_too() {
    let compressed = zlib(AUDIT_JSON.as_bytes());
    for (is_64, big_endian) in [(false, false), (false, true), (true, true)] {
        let file = elf(&[(".dep-v0", &compressed)], is_64, big_endian);
        let inventory = binary::read("bootstrap", &file).unwrap();
        assert_eq!(
            inventory.packages.len(),
            3,
            "64-bit {is_64}, big-endian {big_endian}"
        );
    }
}

#[test]
fn damaged_cargo_auditable_data_is_an_issue_naming_the_problem() {
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("not zlib", b"plain text".to_vec(), "not zlib data"),
        ("not JSON", zlib(b"{\"packages\": [oops]}"), "invalid JSON at line 1"),
        ("a bomb", zlib(&vec![b' '; AUDITABLE_MAX_BYTES as usize + 10]), "cap"),
        (
            "a dangling index",
            zlib(br#"{"packages":[{"name":"a","version":"1.0.0","source":"crates.io","dependencies":[7]}]}"#),
            "depends on package 7, past the 1 listed",
        ),
    ];
    for (what, section, expected) in cases {
        let inventory = binary::read("bootstrap", &elf64(&[(".dep-v0", &section)])).unwrap();
        assert_eq!(inventory.issues.len(), 1, "{what}: {:?}", inventory.issues);
        assert!(
            inventory.issues[0].message.contains(expected),
            "{what}: {}",
            inventory.issues[0]
        );
    }
}

#[test]
fn every_truncation_and_every_damaged_header_byte_of_an_elf_is_read_without_panic() {
    let file = elf64(&[
        (".text", &[0x90; 16]),
        (".dep-v0", &zlib(AUDIT_JSON.as_bytes())),
    ]);
    for end in 0..file.len() {
        let _ = binary::read("bootstrap", &file[..end]);
    }
    for at in 0..file.len() {
        for value in [0x00, 0x01, 0x7f, 0xff] {
            let mut damaged = file.clone();
            damaged[at] = value;
            let _ = binary::read("bootstrap", &damaged);
        }
    }
    // A section table claiming more headers than the file holds.
    let mut lying = file.clone();
    lying[0x3c..0x3e].copy_from_slice(&0xfff0u16.to_le_bytes());
    let inventory = binary::read("bootstrap", &lying).unwrap();
    assert!(
        inventory.issues[0].message.contains("section headers"),
        "{}",
        inventory.issues[0]
    );
}
