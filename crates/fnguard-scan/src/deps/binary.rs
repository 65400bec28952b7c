//! Dependencies embedded in executables: what Go and Rust functions ship as
//! `bootstrap` (the `provided.*` runtimes) names no lockfile, but the
//! toolchains record the modules and crates linked in.
//!
//! * Go: the build info blob the linker writes (`\xff Go buildinf:`), in
//!   the inline format of Go 1.18 and later: a 32-byte header, then the Go
//!   version and the module info as varint-prefixed strings, the module
//!   info framed by two 16-byte sentinels and holding `path`, `mod`, `dep`,
//!   `=>` (replacement) and `build` lines. Layout as read by the Go
//!   sources `src/debug/buildinfo/buildinfo.go` (`readRawBuildInfo`,
//!   `decodeString`) and `src/runtime/debug/mod.go` (`ParseBuildInfo`);
//!   the sentinels are `cmd/go/internal/modload`'s `infoStart`/`infoEnd`.
//!   The older pointer format (Go 1.17 and before) points at virtual
//!   addresses, which would need each executable format's segment tables:
//!   it is reported as unsupported.
//! * Rust: cargo-auditable's `.dep-v0` ELF section, zlib-compressed JSON
//!   (`{"packages": [{name, version, source, kind, dependencies, root}]}`),
//!   decompressed under a byte cap. Only ELF is read: Lambda runs Linux.
//!
//! The blob is found by searching the whole file rather than parsing each
//! executable format, so a stripped or unusual ELF is still read; every
//! length and offset is checked against the bytes actually there.

use std::io::Read;

use serde::Deserialize;
use thiserror::Error;

use super::inventory::{Inventory, Issue};
use super::{Dependency, Ecosystem, Package, Scope};

/// The Go build info header's magic (buildinfo.go `buildInfoMagic`).
pub const GO_BUILDINFO_MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// The 16 bytes before the module info (modload `infoStart`).
pub const GO_INFO_START: [u8; 16] = [
    0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
];
/// The 16 bytes after the module info (modload `infoEnd`).
pub const GO_INFO_END: [u8; 16] = [
    0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
];
/// Header size: magic, pointer size, flags, then two pointer slots.
const GO_HEADER_LEN: usize = 32;
/// Flags bit: the strings follow the header inline (Go >= 1.18).
const GO_FLAG_INLINE: u8 = 0x2;

/// The cargo-auditable section name.
const AUDITABLE_SECTION: &[u8] = b".dep-v0";
/// Decompressed cap for the audit data: cargo-auditable's own reader
/// refuses more than 8 MiB, and real dependency lists are a few kB.
pub const AUDITABLE_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Why embedded dependency data could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BinaryError {
    #[error(
        "Go build info at byte {offset} uses the pointer format of Go 1.17 and older, not read"
    )]
    GoPointerFormat { offset: usize },
    #[error("Go build info at byte {offset} is damaged: {reason}")]
    GoDamaged { offset: usize, reason: String },
    #[error("ELF file is damaged: {0}")]
    Elf(String),
    #[error("cargo-auditable data at byte {offset}: {reason}")]
    Auditable { offset: usize, reason: String },
}

/// A Go module as the build info lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    /// The go.sum hash (`h1:...`); empty when the line has none.
    pub sum: String,
    /// The module actually built in its place (`=>` line).
    pub replacement: Option<GoReplacement>,
}

/// The target of a `=>` line. An empty version means a local directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoReplacement {
    pub path: String,
    pub version: String,
    pub sum: String,
}

/// What a Go binary says about its build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoBuildInfo {
    /// As the toolchain writes it: `go1.22.5`, `devel go1.23-abc...`.
    pub go_version: String,
    /// The main package's import path.
    pub path: String,
    /// The main module; `None` for a binary built outside module mode.
    pub main: Option<GoModule>,
    pub deps: Vec<GoModule>,
    /// `build` lines (`GOOS=linux`, `CGO_ENABLED=0`, `vcs.revision=...`),
    /// as written (quoted values are left quoted).
    pub settings: Vec<(String, String)>,
    /// Lines that could not be read, with their 1-based line number in the
    /// module info; the other lines are still read.
    pub problems: Vec<(usize, String)>,
}

/// A crate as cargo-auditable records it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuditedCrate {
    pub name: String,
    pub version: String,
    /// `crates.io`, `git`, `local`, `registry` (another registry)...
    pub source: String,
    /// `build` for a build-time-only dependency (build scripts, proc
    /// macros); `runtime` when omitted.
    #[serde(default = "runtime")]
    pub kind: String,
    /// Indices into the package list.
    #[serde(default)]
    pub dependencies: Vec<usize>,
    /// The crate the binary was built from.
    #[serde(default)]
    pub root: bool,
}

fn runtime() -> String {
    "runtime".to_string()
}

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditedCrate>,
}

/// Reads the Go build info or cargo-auditable data of the file at `path`;
/// `None` when it has neither. Packages: Go modules (after replacement;
/// modules replaced by a local directory are first-party code and left out,
/// as the go.mod reader does) and the Go standard library as `stdlib` at
/// the toolchain's version, since OSV files Go's own advisories under that
/// name; crates from crates.io (local, git and other-registry crates have
/// no advisories to match and are left out). Damage becomes an issue.
pub fn read(path: &str, bytes: &[u8]) -> Option<Inventory> {
    let mut inventory = Inventory::default();
    let mut found = false;
    let issue = |inventory: &mut Inventory, message: String| {
        inventory.issues.push(Issue {
            file: path.to_string(),
            line: None,
            message,
        })
    };
    match go_build_info(bytes) {
        Ok(Some(info)) => {
            found = true;
            for (line, problem) in &info.problems {
                issue(
                    &mut inventory,
                    format!("Go build info, module info line {line}: {problem}"),
                );
            }
            inventory.packages.extend(go_packages(&info, path));
        }
        Ok(None) => {}
        Err(error) => {
            found = true;
            issue(&mut inventory, error.to_string());
        }
    }
    match auditable_crates(bytes) {
        Ok(Some(crates)) => {
            found = true;
            let (packages, problems) = crate_packages(&crates, path);
            inventory.packages.extend(packages);
            for problem in problems {
                issue(&mut inventory, problem);
            }
        }
        Ok(None) => {}
        Err(error) => {
            found = true;
            issue(&mut inventory, error.to_string());
        }
    }
    found.then_some(inventory)
}

/// The Go build info of `bytes`: `Ok(None)` when no header is there.
/// Every occurrence of the magic is tried in turn (a binary that links
/// `debug/buildinfo` holds the magic as a string constant too); the first
/// that decodes wins. Only when none decodes is the first failure returned.
pub fn go_build_info(bytes: &[u8]) -> Result<Option<GoBuildInfo>, BinaryError> {
    let mut first_error = None;
    for offset in memchr::memmem::find_iter(bytes, GO_BUILDINFO_MAGIC) {
        match decode_go_header(bytes, offset) {
            Ok(info) => return Ok(Some(info)),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    first_error.map_or(Ok(None), Err)
}

fn decode_go_header(bytes: &[u8], offset: usize) -> Result<GoBuildInfo, BinaryError> {
    let damaged = |reason: &str| BinaryError::GoDamaged {
        offset,
        reason: reason.to_string(),
    };
    let header = bytes
        .get(offset..offset + GO_HEADER_LEN)
        .ok_or_else(|| damaged("header cut short"))?;
    if header[15] & GO_FLAG_INLINE == 0 {
        return Err(BinaryError::GoPointerFormat { offset });
    }
    let rest = &bytes[offset + GO_HEADER_LEN..];
    let (version, rest) = varint_string(rest).ok_or_else(|| damaged("Go version cut short"))?;
    let (module_info, _) = varint_string(rest).ok_or_else(|| damaged("module info cut short"))?;
    let go_version = std::str::from_utf8(version)
        .map_err(|_| damaged("Go version is not UTF-8"))?
        .to_string();
    // A real toolchain names itself; anything else is a stray magic string.
    if !(go_version.starts_with("go") || go_version.starts_with("devel")) {
        return Err(damaged(&format!("not a Go version: {go_version:?}")));
    }
    let mut info = GoBuildInfo {
        go_version,
        ..GoBuildInfo::default()
    };
    // Outside module mode the module info is empty.
    if module_info.is_empty() {
        return Ok(info);
    }
    let framed = module_info.len() >= 33
        && module_info.starts_with(&GO_INFO_START)
        && module_info.ends_with(&GO_INFO_END);
    if !framed {
        return Err(damaged("module info is not framed by its sentinels"));
    }
    let text = std::str::from_utf8(&module_info[16..module_info.len() - 16])
        .map_err(|_| damaged("module info is not UTF-8"))?;
    parse_module_info(text, &mut info);
    Ok(info)
}

/// A uvarint length then that many bytes (buildinfo.go `decodeString`);
/// `None` when the varint or the bytes run past the end.
fn varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut length: u64 = 0;
    for (index, &byte) in data.iter().enumerate().take(10) {
        length |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            let start = index + 1;
            let end = start.checked_add(usize::try_from(length).ok()?)?;
            return Some((data.get(start..end)?, &data[end..]));
        }
    }
    None
}

/// `ParseBuildInfo`'s line grammar, read leniently: a bad line is noted
/// and the next one read.
fn parse_module_info(text: &str, info: &mut GoBuildInfo) {
    // Which module the next `=>` line replaces: the main one or a dep.
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut last = Last::None;
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let Some((word, rest)) = line.split_once('\t') else {
            if !line.is_empty() {
                info.problems.push((number, format!("no tab in {line:?}")));
            }
            last = Last::None;
            continue;
        };
        let columns: Vec<&str> = rest.split('\t').collect();
        match word {
            "path" => info.path = rest.to_string(),
            "mod" | "dep" => {
                let module = match columns.as_slice() {
                    [path, version] => (path, version, ""),
                    [path, version, sum] => (path, version, *sum),
                    _ => {
                        info.problems.push((
                            number,
                            format!("{word} line with {} columns", columns.len()),
                        ));
                        last = Last::None;
                        continue;
                    }
                };
                let module = GoModule {
                    path: module.0.to_string(),
                    version: module.1.to_string(),
                    sum: module.2.to_string(),
                    replacement: None,
                };
                if word == "mod" {
                    info.main = Some(module);
                    last = Last::Main;
                } else {
                    info.deps.push(module);
                    last = Last::Dep;
                }
                continue;
            }
            "=>" => {
                let [path, version, sum] = columns.as_slice() else {
                    info.problems.push((
                        number,
                        format!("replacement with {} columns", columns.len()),
                    ));
                    last = Last::None;
                    continue;
                };
                let replacement = Some(GoReplacement {
                    path: path.to_string(),
                    version: version.to_string(),
                    sum: sum.to_string(),
                });
                let target = match last {
                    Last::Main => info.main.as_mut(),
                    Last::Dep => info.deps.last_mut(),
                    Last::None => None,
                };
                match target {
                    Some(module) => module.replacement = replacement,
                    None => info
                        .problems
                        .push((number, "replacement with no module before it".to_string())),
                }
            }
            "build" => match rest.split_once('=') {
                Some((key, value)) if !key.is_empty() => {
                    info.settings.push((key.to_string(), value.to_string()))
                }
                _ => info
                    .problems
                    .push((number, format!("build line without key=value: {rest:?}"))),
            },
            _ => info
                .problems
                .push((number, format!("unknown line kind {word:?}"))),
        }
        last = Last::None;
    }
}

/// The standard library's version in OSV's form (`go1.21` is `1.21.0`,
/// `go1.21rc2` is `1.21.0-rc.2`); `None` for development toolchains.
pub fn go_stdlib_version(go_version: &str) -> Option<String> {
    // `go1.22.0 X:nocoverageredesign`: experiments follow a space.
    let release = go_version.split_whitespace().next()?.strip_prefix("go")?;
    let (numbers, pre) = match release.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => (&release[..at], Some(&release[at..])),
        None => (release, None),
    };
    let mut parts: Vec<&str> = numbers.split('.').collect();
    if parts.len() < 2
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if parts.len() == 2 {
        parts.push("0");
    }
    let mut version = parts.join(".");
    if let Some(pre) = pre {
        let split = pre.find(|c: char| c.is_ascii_digit())?;
        let (label, number) = pre.split_at(split);
        if !matches!(label, "rc" | "beta") || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        version.push_str(&format!("-{label}.{number}"));
    }
    Some(version)
}

fn go_packages(info: &GoBuildInfo, source: &str) -> Vec<Package> {
    // Build info does not tell direct from indirect modules, nor which
    // module needs which: no scope, dependencies unknown.
    let package = |name: &str, version: &str| Package::new(Ecosystem::Go, name, version, source);
    let mut packages = Vec::new();
    if let Some(version) = go_stdlib_version(&info.go_version) {
        packages.push(package("stdlib", &version));
    }
    for dep in &info.deps {
        match &dep.replacement {
            None => packages.push(package(&dep.path, &dep.version)),
            Some(target) if !target.version.is_empty() => {
                packages.push(package(&target.path, &target.version))
            }
            Some(_) => {}
        }
    }
    packages
}

/// The cargo-auditable crate list of an ELF file: `Ok(None)` when the file
/// is not ELF or has no `.dep-v0` section.
pub fn auditable_crates(bytes: &[u8]) -> Result<Option<Vec<AuditedCrate>>, BinaryError> {
    let Some(elf) = Elf::parse(bytes)? else {
        return Ok(None);
    };
    let Some((offset, data)) = elf.section(AUDITABLE_SECTION)? else {
        return Ok(None);
    };
    let failed = |reason: String| BinaryError::Auditable { offset, reason };
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .take(AUDITABLE_MAX_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| failed(format!("not zlib data: {e}")))?;
    if json.len() as u64 > AUDITABLE_MAX_BYTES {
        return Err(failed(format!(
            "decompresses past the {AUDITABLE_MAX_BYTES}-byte cap"
        )));
    }
    let data: AuditData = serde_json::from_slice(&json).map_err(|e| {
        failed(format!(
            "invalid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    Ok(Some(data.packages))
}

/// crates.io crates as packages. The root crate is the function itself;
/// the root's dependencies are direct, the rest transitive, and crates only
/// needed at build time (`kind: build`: build scripts, proc macros, not in
/// the binary) are dev.
fn crate_packages(crates: &[AuditedCrate], source: &str) -> (Vec<Package>, Vec<String>) {
    let mut problems = Vec::new();
    let mut direct = vec![false; crates.len()];
    for (index, krate) in crates.iter().enumerate() {
        for &dependency in &krate.dependencies {
            match direct.get_mut(dependency) {
                Some(flag) => *flag |= krate.root,
                None => problems.push(format!(
                    "cargo-auditable package {index} ({}) depends on package {dependency}, past the {} listed",
                    krate.name,
                    crates.len()
                )),
            }
        }
    }
    let listed = |krate: &AuditedCrate| !krate.root && krate.source == "crates.io";
    // The crate list records every edge; one to a crate left out (a git or
    // path crate) would make the list look complete when it is not, so
    // such a crate's dependencies stay unknown.
    let edges = |krate: &AuditedCrate| {
        krate
            .dependencies
            .iter()
            .map(|&index| {
                crates
                    .get(index)
                    .filter(|target| listed(target))
                    .map(|target| Dependency::exact(&target.name, &target.version))
            })
            .collect::<Option<Vec<Dependency>>>()
    };
    let packages = crates
        .iter()
        .zip(direct)
        .filter(|(krate, _)| listed(krate))
        .map(|(krate, direct)| Package {
            ecosystem: Ecosystem::CratesIo,
            name: krate.name.clone(),
            version: krate.version.clone(),
            source: source.to_string(),
            line: None,
            scope: Some(if krate.kind == "build" {
                Scope::Dev
            } else if direct {
                Scope::Direct
            } else {
                Scope::Transitive
            }),
            dependencies: edges(krate),
        })
        .collect();
    (packages, problems)
}

/// Just enough of ELF (32/64-bit, either byte order) to find a section by
/// name, every field checked against the file's length.
struct Elf<'a> {
    bytes: &'a [u8],
    is_64: bool,
    big_endian: bool,
}

/// One section header's fields that matter here.
struct SectionHeader {
    name: u32,
    kind: u32,
    offset: u64,
    size: u64,
    link: u32,
}

const SHT_NOBITS: u32 = 8;
const SHN_XINDEX: u64 = 0xffff;

impl<'a> Elf<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Option<Elf<'a>>, BinaryError> {
        if !bytes.starts_with(b"\x7fELF") {
            return Ok(None);
        }
        let is_64 = match bytes.get(4) {
            Some(1) => false,
            Some(2) => true,
            other => return Err(BinaryError::Elf(format!("unknown class {other:?}"))),
        };
        let big_endian = match bytes.get(5) {
            Some(1) => false,
            Some(2) => true,
            other => return Err(BinaryError::Elf(format!("unknown byte order {other:?}"))),
        };
        Ok(Some(Elf {
            bytes,
            is_64,
            big_endian,
        }))
    }

    fn uint(&self, at: u64, size: usize) -> Result<u64, BinaryError> {
        let start = usize::try_from(at).map_err(|_| self.cut(at))?;
        let field = start
            .checked_add(size)
            .and_then(|end| self.bytes.get(start..end))
            .ok_or_else(|| self.cut(at))?;
        let mut value = 0u64;
        for index in 0..size {
            let byte = if self.big_endian {
                field[index]
            } else {
                field[size - 1 - index]
            };
            value = value << 8 | u64::from(byte);
        }
        Ok(value)
    }

    fn cut(&self, at: u64) -> BinaryError {
        BinaryError::Elf(format!(
            "a header field at byte {at} lies past the end ({} bytes)",
            self.bytes.len()
        ))
    }

    /// A field that is 4 bytes in ELF32 and 8 in ELF64.
    fn word(&self, at: u64) -> Result<u64, BinaryError> {
        self.uint(at, if self.is_64 { 8 } else { 4 })
    }

    fn section_header(
        &self,
        table: u64,
        entry_size: u64,
        index: u64,
    ) -> Result<SectionHeader, BinaryError> {
        let at = index
            .checked_mul(entry_size)
            .and_then(|o| o.checked_add(table))
            .ok_or_else(|| self.cut(u64::MAX))?;
        let (offset_at, size_at, link_at) = if self.is_64 {
            (24, 32, 40)
        } else {
            (16, 20, 24)
        };
        Ok(SectionHeader {
            name: self.uint(at, 4)? as u32,
            kind: self.uint(at + 4, 4)? as u32,
            offset: self.word(at + offset_at)?,
            size: self.word(at + size_at)?,
            link: self.uint(at + link_at, 4)? as u32,
        })
    }

    fn data(&self, header: &SectionHeader) -> Result<&'a [u8], BinaryError> {
        let range = usize::try_from(header.offset)
            .ok()
            .zip(usize::try_from(header.size).ok())
            .and_then(|(start, size)| Some(start..start.checked_add(size)?));
        range
            .and_then(|range| self.bytes.get(range))
            .ok_or_else(|| {
                BinaryError::Elf(format!(
                    "a section of {} bytes at byte {} lies past the end ({} bytes)",
                    header.size,
                    header.offset,
                    self.bytes.len()
                ))
            })
    }

    /// The file offset and bytes of the section named `name`.
    fn section(&self, name: &[u8]) -> Result<Option<(usize, &'a [u8])>, BinaryError> {
        let (table, entry_size, count, names_index) = if self.is_64 {
            (
                self.uint(0x28, 8)?,
                self.uint(0x3a, 2)?,
                self.uint(0x3c, 2)?,
                self.uint(0x3e, 2)?,
            )
        } else {
            (
                self.uint(0x20, 4)?,
                self.uint(0x2e, 2)?,
                self.uint(0x30, 2)?,
                self.uint(0x32, 2)?,
            )
        };
        if table == 0 {
            return Ok(None);
        }
        let minimum = if self.is_64 { 64 } else { 40 };
        if entry_size < minimum {
            return Err(BinaryError::Elf(format!(
                "section header size {entry_size}"
            )));
        }
        // Extended numbering: past 0xff00 sections the real count and name
        // table index live in section 0.
        let first = self.section_header(table, entry_size, 0)?;
        let count = if count == 0 { first.size } else { count };
        let names_index = if names_index == SHN_XINDEX {
            u64::from(first.link)
        } else {
            names_index
        };
        // Every header must lie in the file, which also bounds the loop below.
        let table_fits = count
            .checked_mul(entry_size)
            .and_then(|size| size.checked_add(table))
            .is_some_and(|end| end <= self.bytes.len() as u64);
        if !table_fits {
            return Err(BinaryError::Elf(format!(
                "{count} section headers at byte {table} lie past the end"
            )));
        }
        if names_index >= count {
            return Err(BinaryError::Elf(format!(
                "section name table {names_index} of {count} sections"
            )));
        }
        let names = self.data(&self.section_header(table, entry_size, names_index)?)?;
        for index in 0..count {
            let header = self.section_header(table, entry_size, index)?;
            let Some(found) = names
                .get(header.name as usize..)
                .and_then(|tail| tail.split(|&b| b == 0).next())
            else {
                continue;
            };
            if found == name && header.kind != SHT_NOBITS {
                let data = self.data(&header)?;
                return Ok(Some((header.offset as usize, data)));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_strings_are_bounded_by_the_input() {
        assert_eq!(varint_string(b"\x03abcd"), Some((&b"abc"[..], &b"d"[..])));
        assert_eq!(varint_string(b"\x00"), Some((&b""[..], &b""[..])));
        // 130 = 0x82 0x01.
        let mut long = vec![0x82, 0x01];
        long.extend(std::iter::repeat_n(b'x', 130));
        assert_eq!(varint_string(&long).map(|(s, _)| s.len()), Some(130));
        assert_eq!(varint_string(b"\x05abc"), None);
        assert_eq!(varint_string(b"\x80\x80"), None);
        assert_eq!(varint_string(&[0xff; 11]), None);
        assert_eq!(varint_string(b""), None);
        // A length beyond usize or overflowing the end is refused, not wrapped.
        assert_eq!(
            varint_string(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            None
        );
    }

    #[test]
    fn go_versions_become_osv_stdlib_versions() {
        assert_eq!(go_stdlib_version("go1.21.5").as_deref(), Some("1.21.5"));
        assert_eq!(go_stdlib_version("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(
            go_stdlib_version("go1.21rc2").as_deref(),
            Some("1.21.0-rc.2")
        );
        assert_eq!(
            go_stdlib_version("go1.18beta1").as_deref(),
            Some("1.18.0-beta.1")
        );
        assert_eq!(
            go_stdlib_version("go1.22.0 X:nocoverageredesign").as_deref(),
            Some("1.22.0")
        );
        assert_eq!(go_stdlib_version("devel go1.23-abcdef Tue"), None);
        assert_eq!(go_stdlib_version("go1"), None);
        assert_eq!(go_stdlib_version("go1..2"), None);
        assert_eq!(go_stdlib_version("go1.21xx3"), None);
    }

    #[test]
    fn module_info_lines_are_read_leniently() {
        let mut info = GoBuildInfo::default();
        parse_module_info(
            "path\texample.com/fn\nmod\texample.com/fn\t(devel)\t\n\
             dep\ta.example/x\tv1.0.0\th1:abc=\n=>\tb.example/y\tv1.1.0\th1:def=\n\
             dep\tc.example/z\n=>\t../z\t\t\nbuild\tGOOS=linux\nbuild\t=x\nweird\tline\n",
            &mut info,
        );
        assert_eq!(info.path, "example.com/fn");
        assert_eq!(
            info.main.as_ref().map(|m| m.version.as_str()),
            Some("(devel)")
        );
        assert_eq!(info.deps.len(), 1);
        assert_eq!(
            info.deps[0].replacement.as_ref().map(|r| r.path.as_str()),
            Some("b.example/y")
        );
        assert_eq!(info.settings, [("GOOS".to_string(), "linux".to_string())]);
        let lines: Vec<usize> = info.problems.iter().map(|p| p.0).collect();
        // The one-column dep, the replacement left without a module, the
        // keyless build line, the unknown kind.
        assert_eq!(lines, [5, 6, 8, 9], "{:?}", info.problems);
    }
}
