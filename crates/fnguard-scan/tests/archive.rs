//! Archives built in code, hostile and normal, walked with `archive::walk`.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use fnguard_scan::archive::{walk, walk_bytes, Entry, IssueKind, Limits, Summary};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// What a walk visited: (display, package path, depth, bytes).
type Visited = Vec<(String, String, u32, Vec<u8>)>;

fn walk_mem(name: &str, bytes: &[u8], limits: &Limits) -> (Visited, Summary) {
    let mut seen = Vec::new();
    let summary = walk_bytes(
        name,
        bytes,
        limits,
        &mut |entry: &Entry<'_>, data: &[u8]| {
            seen.push((
                entry.display.to_string(),
                entry.package_path.to_string(),
                entry.depth,
                data.to_vec(),
            ))
        },
    );
    (seen, summary)
}

fn walk_path(path: &Path, limits: &Limits) -> (Visited, Summary) {
    let mut seen = Vec::new();
    let summary = walk(path, limits, &mut |entry: &Entry<'_>, data: &[u8]| {
        seen.push((
            entry.display.to_string(),
            entry.package_path.to_string(),
            entry.depth,
            data.to_vec(),
        ))
    });
    (seen, summary)
}

fn displays(seen: &Visited) -> Vec<&str> {
    seen.iter().map(|(display, ..)| display.as_str()).collect()
}

fn kinds(summary: &Summary) -> Vec<&IssueKind> {
    summary.issues.iter().map(|issue| &issue.kind).collect()
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in files {
        if name.ends_with('/') {
            writer.add_directory(*name, options).unwrap();
        } else {
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

/// A tar member with any name and type, written byte by byte so that names
/// the `tar` builder refuses (`..`, absolute) can be made.
fn tar_member(out: &mut Vec<u8>, name: &str, kind: u8, link: &str, data: &[u8]) {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..107].copy_from_slice(b"0000644");
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    let size = format!("{:011o}", data.len());
    header[124..135].copy_from_slice(size.as_bytes());
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = kind;
    header[157..157 + link.len()].copy_from_slice(link.as_bytes());
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn tar_end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0u8; 1024]);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Bytes that do not compress (a xorshift stream), so that sizes and not
/// ratios decide.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fnguard-archive-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_layer_zip_is_visited_with_its_paths_and_bytes() {
    let zip = zip_of(&[
        ("python/", b""),
        (
            "python/lib/python3.12/site-packages/requests/api.py",
            b"def get(): pass\n",
        ),
        ("python/handler.py", b"import requests\n"),
    ]);
    let (seen, summary) = walk_mem("layer.zip", &zip, &Limits::default());
    assert_eq!(summary.issues, vec![]);
    assert_eq!(
        displays(&seen),
        [
            "layer.zip!/python/lib/python3.12/site-packages/requests/api.py",
            "layer.zip!/python/handler.py"
        ]
    );
    assert_eq!(seen[1].1, "python/handler.py");
    assert_eq!(seen[1].2, 1);
    assert_eq!(seen[1].3, b"import requests\n");
    assert_eq!(summary.files, 2);
    assert_eq!(summary.bytes, 16 + 16);
}

#[test]
fn jars_inside_a_zip_are_opened_and_named_with_bang() {
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("com/acme/A.class", b"\xca\xfe\xba\xbe"),
    ]);
    let zip = zip_of(&[
        ("com/example/Handler.class", b"\xca\xfe\xba\xbe1"),
        ("lib/acme.jar", &jar),
    ]);
    let (seen, summary) = walk_mem("fn.zip", &zip, &Limits::default());
    assert_eq!(summary.issues, vec![]);
    assert_eq!(
        displays(&seen),
        [
            "fn.zip!/com/example/Handler.class",
            "fn.zip!/lib/acme.jar",
            "fn.zip!/lib/acme.jar!/META-INF/MANIFEST.MF",
            "fn.zip!/lib/acme.jar!/com/acme/A.class"
        ]
    );
    assert_eq!(seen[3].1, "lib/acme.jar!/com/acme/A.class");
    assert_eq!(seen[3].2, 2);
    assert_eq!(seen[3].3, b"\xca\xfe\xba\xbe");
}

#[test]
fn a_tar_and_a_tar_gz_are_visited() {
    let mut tar = Vec::new();
    tar_member(&mut tar, "nodejs/", b'5', "", b"");
    tar_member(
        &mut tar,
        "nodejs/node_modules/x/index.js",
        b'0',
        "",
        b"module.exports = 1;\n",
    );
    tar_member(&mut tar, "index.js", b'0', "", b"exports.handler = 1;\n");
    tar_end(&mut tar);
    for (name, bytes) in [("layer.tar", tar.clone()), ("layer.tar.gz", gzip(&tar))] {
        let (seen, summary) = walk_mem(name, &bytes, &Limits::default());
        assert_eq!(summary.issues, vec![], "{name}");
        assert_eq!(
            displays(&seen),
            [
                format!("{name}!/nodejs/node_modules/x/index.js"),
                format!("{name}!/index.js")
            ]
        );
        assert_eq!(seen[1].3, b"exports.handler = 1;\n");
    }
}

#[test]
fn a_folder_is_walked_in_name_order_with_its_archives_opened() {
    let dir = temp_dir("folder");
    std::fs::create_dir_all(dir.join("src/lib")).unwrap();
    std::fs::write(dir.join("src/app.py"), b"app").unwrap();
    std::fs::write(dir.join("src/lib/util.py"), b"util").unwrap();
    std::fs::write(dir.join("a.txt"), b"a").unwrap();
    std::fs::write(dir.join("deps.zip"), zip_of(&[("x.py", b"x")])).unwrap();
    let (seen, summary) = walk_path(&dir, &Limits::default());
    assert_eq!(summary.issues, vec![]);
    let root = dir.display().to_string();
    let relative: Vec<_> = seen
        .iter()
        .map(|(_, package, depth, _)| (package.as_str(), *depth))
        .collect();
    assert_eq!(
        relative,
        [
            ("a.txt", 0),
            ("deps.zip", 0),
            ("deps.zip!/x.py", 1),
            ("src/app.py", 0),
            ("src/lib/util.py", 0)
        ]
    );
    assert_eq!(seen[2].0, format!("{root}/deps.zip!/x.py"));
    // A trailing slash and a link to the folder name the same walk.
    let (again, _) = walk_path(Path::new(&format!("{root}/")), &Limits::default());
    assert_eq!(again[2].0, format!("{root}/deps.zip!/x.py"));
    #[cfg(unix)]
    {
        let link = dir.with_extension("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let (linked, summary) = walk_path(&link, &Limits::default());
        assert_eq!(summary.issues, vec![]);
        assert_eq!(linked.len(), 5);
        std::fs::remove_file(link).unwrap();
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn folder_links_are_never_followed_and_those_leaving_the_root_are_reported() {
    let dir = temp_dir("links");
    std::fs::write(dir.join("real.py"), b"real").unwrap();
    std::os::unix::fs::symlink("/etc", dir.join("etc")).unwrap();
    std::os::unix::fs::symlink("real.py", dir.join("alias.py")).unwrap();
    std::os::unix::fs::symlink("../../outside", dir.join("up")).unwrap();
    let (seen, summary) = walk_path(&dir, &Limits::default());
    assert_eq!(
        seen.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        ["real.py"]
    );
    let outside: Vec<_> = summary
        .issues
        .iter()
        .map(|i| (i.entry.as_deref(), &i.kind))
        .collect();
    assert_eq!(
        outside,
        [
            (
                Some("up"),
                &IssueKind::LinkOutside {
                    target: "../../outside".into()
                }
            ),
            (
                Some("etc"),
                &IssueKind::LinkOutside {
                    target: "/etc".into()
                }
            ),
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_zip_bomb_entry_is_cut_by_the_ratio() {
    let zeros = vec![0u8; 8 << 20];
    let zip = zip_of(&[("bomb.txt", &zeros), ("ok.py", b"ok")]);
    assert!(
        zip.len() < 64 << 10,
        "the bomb compresses well: {}",
        zip.len()
    );
    let (seen, summary) = walk_mem("bomb.zip", &zip, &Limits::default());
    assert_eq!(displays(&seen), ["bomb.zip!/ok.py"]);
    assert_eq!(kinds(&summary), [&IssueKind::RatioExceeded { limit: 100 }]);
    assert_eq!(summary.issues[0].entry.as_deref(), Some("bomb.txt"));
    // Cut within a chunk of the point where the ratio was passed.
    assert!(summary.bytes <= 3 << 20, "read {}", summary.bytes);
}

#[test]
fn many_small_bombs_are_cut_by_the_archive_ratio() {
    let small = vec![0u8; 900 << 10];
    let names: Vec<String> = (0..64).map(|i| format!("part{i}.txt")).collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|name| (name.as_str(), small.as_slice()))
        .collect();
    let zip = zip_of(&files);
    let (seen, summary) = walk_mem("parts.zip", &zip, &Limits::default());
    assert_eq!(kinds(&summary), [&IssueKind::RatioExceeded { limit: 100 }]);
    assert_eq!(summary.issues[0].entry, None, "the whole archive stops");
    assert!(
        seen.len() < 64 && !seen.is_empty(),
        "{} visited",
        seen.len()
    );
}

#[test]
fn a_gzip_bomb_under_a_tar_name_is_cut() {
    let mut tar = Vec::new();
    tar_member(&mut tar, "big.bin", b'0', "", &vec![0u8; 16 << 20]);
    tar_end(&mut tar);
    let (seen, summary) = walk_mem("bomb.tar.gz", &gzip(&tar), &Limits::default());
    assert!(seen.is_empty());
    assert_eq!(kinds(&summary), [&IssueKind::RatioExceeded { limit: 100 }]);
}

#[test]
fn nested_zips_are_opened_down_to_the_depth_limit() {
    let mut inner = zip_of(&[("core.txt", b"core")]);
    for level in (1..=5).rev() {
        let name = format!("level{level}.zip");
        inner = zip_of(&[(name.as_str(), &inner)]);
    }
    let (seen, summary) = walk_mem("outer.zip", &inner, &Limits::default());
    assert_eq!(
        displays(&seen),
        [
            "outer.zip!/level1.zip",
            "outer.zip!/level1.zip!/level2.zip",
            "outer.zip!/level1.zip!/level2.zip!/level3.zip",
        ]
    );
    assert_eq!(kinds(&summary), [&IssueKind::TooDeep { limit: 3 }]);
    assert_eq!(
        summary.issues[0].archive,
        "outer.zip!/level1.zip!/level2.zip!/level3.zip"
    );
    let deeper = Limits {
        max_depth: 6,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("outer.zip", &inner, &deeper);
    assert_eq!(summary.issues, vec![]);
    assert_eq!(seen.last().unwrap().3, b"core");
}

#[test]
fn too_many_entries_stop_the_walk() {
    // A tar is read as a stream: its entries are visited up to the cap.
    let mut tar = Vec::new();
    for i in 0..20 {
        tar_member(&mut tar, &format!("f{i:02}.py"), b'0', "", b"x");
    }
    tar_end(&mut tar);
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("many.tar", &tar, &limits);
    assert_eq!(seen.len(), 10);
    assert_eq!(kinds(&summary), [&IssueKind::TooManyEntries { limit: 10 }]);
}

#[test]
fn a_zip_declaring_more_entries_than_the_walk_has_left_is_refused() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i:02}.py")).collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|name| (name.as_str(), b"x".as_slice()))
        .collect();
    let many = zip_of(&files);
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("many.zip", &many, &limits);
    assert!(seen.is_empty());
    assert_eq!(kinds(&summary), [&IssueKind::TooManyEntries { limit: 10 }]);
    // Nested: the outer zip's own entries count, the inner one is refused
    // and the walk goes on.
    let outer = zip_of(&[("a.py", b"a"), ("many.zip", &many), ("z.py", b"z")]);
    let limits = Limits {
        max_entries: 15,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("outer.zip", &outer, &limits);
    assert_eq!(
        displays(&seen),
        ["outer.zip!/a.py", "outer.zip!/many.zip", "outer.zip!/z.py"]
    );
    assert_eq!(kinds(&summary), [&IssueKind::TooManyEntries { limit: 15 }]);
    assert_eq!(summary.issues[0].archive, "outer.zip!/many.zip");
    // A zip whose record says 65,535 entries (zip64 saturated) but has no
    // zip64 locator: the classic count is taken.
    let mut lying = zip_of(&[("a.py", b"a")]);
    let eocd = lying.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    lying[eocd + 8..eocd + 12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    let (seen, summary) = walk_mem("lying.zip", &lying, &limits);
    assert!(seen.is_empty());
    assert_eq!(kinds(&summary), [&IssueKind::TooManyEntries { limit: 15 }]);
}

#[test]
fn total_and_entry_byte_caps_hold() {
    let big = noise(4096);
    let small = noise(100);
    let zip = zip_of(&[
        ("big.bin", &big),
        ("a.py", &small),
        ("b.py", &small),
        ("c.py", &small),
    ]);
    let limits = Limits {
        entry_bytes: 1000,
        total_bytes: 1_000 + 250,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("caps.zip", &zip, &limits);
    // big.bin is cut at 4096 bytes read (one chunk); that alone passes the total.
    assert!(seen.is_empty());
    assert_eq!(
        kinds(&summary),
        [&IssueKind::TotalBytesExceeded { limit: 1250 }]
    );
    let limits = Limits {
        entry_bytes: 1000,
        total_bytes: 4096 + 250,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("caps.zip", &zip, &limits);
    assert_eq!(displays(&seen), ["caps.zip!/a.py", "caps.zip!/b.py"]);
    assert_eq!(
        kinds(&summary),
        [
            &IssueKind::EntryTooLarge { limit: 1000 },
            &IssueKind::TotalBytesExceeded { limit: 4346 }
        ]
    );
}

#[test]
fn escaping_zip_entries_are_reported_and_not_visited() {
    let zip = zip_of(&[
        ("../../etc/passwd", b"root:x:0:0"),
        ("/etc/passwd", b"root:x:0:0"),
        ("C:\\Windows\\evil.dll", b"MZ"),
        ("..\\..\\evil.py", b"x"),
        ("safe/../ok.py", b"ok"),
    ]);
    let (seen, summary) = walk_mem("slip.zip", &zip, &Limits::default());
    assert_eq!(displays(&seen), ["slip.zip!/ok.py"]);
    let reported: Vec<_> = summary
        .issues
        .iter()
        .map(|i| (i.entry.as_deref().unwrap(), &i.kind))
        .collect();
    assert_eq!(
        reported,
        [
            ("../../etc/passwd", &IssueKind::PathTraversal),
            ("/etc/passwd", &IssueKind::AbsolutePath),
            ("C:\\Windows\\evil.dll", &IssueKind::DriveLetter),
            ("..\\..\\evil.py", &IssueKind::PathTraversal),
        ]
    );
    assert!(summary.issues.iter().all(|i| i.archive == "slip.zip"));
    assert_eq!(
        summary.issues[0].to_string(),
        "slip.zip: entry \"../../etc/passwd\": name escapes the root with `..`"
    );
}

#[test]
fn escaping_tar_entries_and_links_are_reported_and_not_followed() {
    let mut tar = Vec::new();
    tar_member(&mut tar, "../../etc/passwd", b'0', "", b"root");
    tar_member(&mut tar, "/etc/passwd", b'0', "", b"root");
    tar_member(&mut tar, "etc", b'2', "/etc", b"");
    tar_member(&mut tar, "lib/up", b'2', "../../home", b"");
    tar_member(&mut tar, "shadow", b'1', "../etc/shadow", b"");
    tar_member(&mut tar, "lib/alias.py", b'2', "../app.py", b"");
    tar_member(&mut tar, "copy.py", b'1', "app.py", b"");
    tar_member(&mut tar, "app.py", b'0', "", b"app");
    tar_end(&mut tar);
    let (seen, summary) = walk_mem("links.tar", &tar, &Limits::default());
    assert_eq!(displays(&seen), ["links.tar!/app.py"]);
    let reported: Vec<_> = summary
        .issues
        .iter()
        .map(|i| (i.entry.as_deref().unwrap(), &i.kind))
        .collect();
    assert_eq!(
        reported,
        [
            ("../../etc/passwd", &IssueKind::PathTraversal),
            ("/etc/passwd", &IssueKind::AbsolutePath),
            (
                "etc",
                &IssueKind::LinkOutside {
                    target: "/etc".into()
                }
            ),
            (
                "lib/up",
                &IssueKind::LinkOutside {
                    target: "../../home".into()
                }
            ),
            (
                "shadow",
                &IssueKind::HardLinkOutside {
                    target: "../etc/shadow".into()
                }
            ),
        ]
    );
}

#[test]
fn a_zip_symlink_leaving_the_root_is_reported() {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    writer
        .add_symlink("creds", "/root/.aws/credentials", options)
        .unwrap();
    writer.add_symlink("inside", "app.py", options).unwrap();
    writer.start_file("app.py", options).unwrap();
    writer.write_all(b"app").unwrap();
    let zip = writer.finish().unwrap().into_inner();
    let (seen, summary) = walk_mem("links.zip", &zip, &Limits::default());
    assert_eq!(displays(&seen), ["links.zip!/app.py"]);
    assert_eq!(
        kinds(&summary),
        [&IssueKind::LinkOutside {
            target: "/root/.aws/credentials".into()
        }]
    );
}

#[test]
fn a_truncated_zip_is_reported_and_the_folder_walk_goes_on() {
    let dir = temp_dir("truncated");
    let zip = zip_of(&[("a.py", &noise(2000)), ("b.py", b"b")]);
    std::fs::write(dir.join("broken.zip"), &zip[..zip.len() / 2]).unwrap();
    let mut tar = Vec::new();
    tar_member(&mut tar, "x.py", b'0', "", &noise(50_000));
    tar_end(&mut tar);
    let gz = gzip(&tar);
    std::fs::write(dir.join("broken.tar.gz"), &gz[..gz.len() / 2]).unwrap();
    std::fs::write(dir.join("good.py"), b"good").unwrap();
    let (seen, summary) = walk_path(&dir, &Limits::default());
    let root = dir.display().to_string();
    let packages: Vec<_> = seen.iter().map(|s| s.1.as_str()).collect();
    assert_eq!(packages, ["broken.tar.gz", "broken.zip", "good.py"]);
    assert_eq!(summary.issues.len(), 2, "{:?}", summary.issues);
    let tar_issue = &summary.issues[0];
    assert_eq!(tar_issue.archive, format!("{root}/broken.tar.gz"));
    assert_eq!(tar_issue.entry.as_deref(), Some("x.py"));
    assert!(
        matches!(tar_issue.kind, IssueKind::Corrupt { offset: Some(offset), .. } if offset > 512)
    );
    let zip_issue = &summary.issues[1];
    assert_eq!(zip_issue.archive, format!("{root}/broken.zip"));
    assert!(
        matches!(zip_issue.kind, IssueKind::Corrupt { .. }),
        "{zip_issue}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Rewrites the uncompressed size of the only entry of `zip`, in its local
/// header and its central directory record.
fn lie_about_size(zip: &mut [u8], size: u32) {
    let local = zip.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
    zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    zip[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn declared_sizes_are_not_trusted() {
    let data = noise(200_000);
    // Says 10 bytes, holds 200,000: the bytes read decide, and the lie is told.
    let mut zip = zip_of(&[("liar.bin", &data)]);
    lie_about_size(&mut zip, 10);
    let (seen, summary) = walk_mem("liar.zip", &zip, &Limits::default());
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].3, data);
    assert_eq!(
        kinds(&summary),
        [&IssueKind::SizeMismatch {
            declared: 10,
            actual: 200_000
        }]
    );
    // With a lower entry cap, the entry is cut when the bytes read pass it.
    let limits = Limits {
        entry_bytes: 64 << 10,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("liar.zip", &zip, &limits);
    assert!(seen.is_empty());
    assert_eq!(
        kinds(&summary),
        [&IssueKind::EntryTooLarge { limit: 64 << 10 }]
    );
    // Says 4 GB, holds 5 bytes: read as 5 bytes, nothing sized from the claim.
    let mut zip = zip_of(&[("small.txt", b"small")]);
    lie_about_size(&mut zip, u32::MAX - 1);
    let (seen, summary) = walk_mem("claim.zip", &zip, &limits);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].3, b"small");
    assert_eq!(
        kinds(&summary),
        [&IssueKind::SizeMismatch {
            declared: u64::from(u32::MAX - 1),
            actual: 5
        }]
    );
}

/// Sets the compression method and the general-purpose flags of the only
/// entry of `zip`, in both headers.
fn patch_method_and_flags(zip: &mut [u8], method: u16, flags: u16) {
    let local = zip.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
    zip[local + 6..local + 8].copy_from_slice(&flags.to_le_bytes());
    zip[local + 8..local + 10].copy_from_slice(&method.to_le_bytes());
    let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    zip[central + 8..central + 10].copy_from_slice(&flags.to_le_bytes());
    zip[central + 10..central + 12].copy_from_slice(&method.to_le_bytes());
}

#[test]
fn unsupported_methods_and_encryption_are_reported_per_entry() {
    for (method, flags) in [(12u16, 0u16), (93, 0), (8, 1)] {
        let mut zip = zip_of(&[("secret.txt", b"secret")]);
        patch_method_and_flags(&mut zip, method, flags);
        let (seen, summary) = walk_mem("odd.zip", &zip, &Limits::default());
        assert!(seen.is_empty(), "method {method} flags {flags}");
        assert_eq!(summary.issues.len(), 1, "{:?}", summary.issues);
        assert_eq!(summary.issues[0].entry.as_deref(), Some("secret.txt"));
        assert!(
            matches!(summary.issues[0].kind, IssueKind::Unsupported { .. }),
            "method {method} flags {flags}: {}",
            summary.issues[0]
        );
    }
}

#[test]
fn a_plain_file_and_a_missing_path_are_handled() {
    let dir = temp_dir("plain");
    std::fs::write(dir.join("app.py"), b"print(1)").unwrap();
    let (seen, summary) = walk_path(&dir.join("app.py"), &Limits::default());
    assert_eq!(summary.issues, vec![]);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].3, b"print(1)");
    let (seen, summary) = walk_path(&dir.join("missing.zip"), &Limits::default());
    assert!(seen.is_empty());
    assert!(matches!(kinds(&summary)[..], [IssueKind::Io { .. }]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_named_zip_that_is_not_one_is_a_plain_file() {
    let zip = zip_of(&[
        ("fake.jar", b"not a jar at all"),
        ("doc.gz", &gzip(b"text")),
    ]);
    let (seen, summary) = walk_mem("fn.zip", &zip, &Limits::default());
    assert_eq!(summary.issues, vec![]);
    assert_eq!(displays(&seen), ["fn.zip!/fake.jar", "fn.zip!/doc.gz"]);
}

#[test]
fn a_zip64_entry_count_is_read() {
    // Past 65,535 entries the count lives in the zip64 record only.
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for i in 0..70_000 {
        writer.start_file(format!("{i}"), options).unwrap();
    }
    let zip = writer.finish().unwrap().into_inner();
    assert!(zip.windows(4).any(|w| w == b"PK\x06\x06"), "a zip64 record");
    let limits = Limits {
        max_entries: 69_999,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("huge.zip", &zip, &limits);
    assert!(seen.is_empty());
    assert_eq!(
        kinds(&summary),
        [&IssueKind::TooManyEntries { limit: 69_999 }]
    );
    let limits = Limits {
        max_entries: 70_000,
        ..Limits::default()
    };
    let (seen, summary) = walk_mem("huge.zip", &zip, &limits);
    assert_eq!(summary.issues, vec![]);
    assert_eq!(seen.len(), 70_000);
}

/// Every byte of a small zip, tar and tar.gz changed in turn, and every
/// truncation: the walk reports or visits, and never panics or reads past
/// its caps (plus one chunk).
#[test]
fn damaged_archives_never_panic() {
    let jar = zip_of(&[("A.class", b"\xca\xfe\xba\xbe")]);
    let zip = zip_of(&[
        ("a/b.py", b"print(1)\n"),
        ("lib/x.jar", &jar),
        ("c.txt", &noise(300)),
    ]);
    let mut tar = Vec::new();
    tar_member(&mut tar, "a/b.py", b'0', "", b"print(1)\n");
    tar_member(&mut tar, "link", b'2', "a/b.py", b"");
    tar_end(&mut tar);
    let limits = Limits {
        total_bytes: 1 << 20,
        ..Limits::default()
    };
    for (name, original) in [
        ("d.zip", zip),
        ("d.tar", tar.clone()),
        ("d.tar.gz", gzip(&tar)),
    ] {
        for at in 0..original.len() {
            for value in [0x00, 0xff, original[at] ^ 0x01] {
                let mut damaged = original.clone();
                damaged[at] = value;
                let (_, summary) = walk_mem(name, &damaged, &limits);
                assert!(summary.bytes <= 2 << 20, "{name} at {at}");
            }
        }
        for cut in 0..original.len() {
            let (_, summary) = walk_mem(name, &original[..cut], &limits);
            assert!(summary.bytes <= 2 << 20, "{name} cut at {cut}");
        }
    }
}
