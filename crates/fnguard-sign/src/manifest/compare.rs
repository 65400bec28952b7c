//! Comparing a package as read with its manifest. Pure (no I/O), so that
//! `fnguard guard` reuses it with its own reader.

use std::cmp::Ordering;
use std::fmt;

use super::{FileEntry, FileKind, Manifest};
use crate::package::{DigestChoice, EntryKind, ObservedEntry};

/// How to compare.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompareOptions {
    /// Which digests must match (default BLAKE3, the fastest). Read the
    /// package with the same choice: a digest the reader did not compute
    /// counts as different (fail closed).
    pub digest: DigestChoice,
}

/// A digest algorithm of the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Blake3,
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Blake3 => "blake3",
        })
    }
}

/// How one path differs from the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A file's content changed: its size, its digests, or both.
    Modified {
        expected_size: u64,
        actual_size: u64,
        /// The compared digests that differ (empty when only the size
        /// does, which only happens if the reader computed no digest).
        digests: Vec<HashAlgorithm>,
    },
    /// In the manifest, not in the package.
    Missing,
    /// In the package, not in the manifest.
    Added {
        kind: &'static str,
    },
    /// Permission bits changed (only compared when both sides have them and
    /// the kind did not change).
    ModeChanged {
        expected: u32,
        actual: u32,
    },
    SymlinkChanged {
        expected: String,
        actual: String,
    },
    /// A file became a symlink, or the like ("file", "symlink", "other").
    KindChanged {
        expected: &'static str,
        actual: &'static str,
    },
}

impl Change {
    /// For [`Change::Modified`]: whether the size differs.
    pub fn size_differs(&self) -> bool {
        matches!(self, Change::Modified { expected_size, actual_size, .. } if expected_size != actual_size)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Modified {
                expected_size,
                actual_size,
                digests,
            } => {
                f.write_str("modified")?;
                let mut parts = Vec::new();
                if expected_size != actual_size {
                    parts.push(format!("size {expected_size} -> {actual_size}"));
                }
                for algorithm in digests {
                    parts.push(format!("{algorithm} differs"));
                }
                if !parts.is_empty() {
                    write!(f, " ({})", parts.join(", "))?;
                }
                Ok(())
            }
            Change::Missing => f.write_str("missing"),
            Change::Added { kind } => write!(f, "added ({kind})"),
            Change::ModeChanged { expected, actual } => {
                write!(f, "mode changed from {expected:04o} to {actual:04o}")
            }
            Change::SymlinkChanged { expected, actual } => {
                write!(f, "symlink target changed from {expected:?} to {actual:?}")
            }
            Change::KindChanged { expected, actual } => {
                write!(f, "changed from a {expected} to a {actual}")
            }
        }
    }
}

/// One difference, at one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub change: Change,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.change)
    }
}

/// The result of a comparison.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Sorted by path; one path may have two (modified and mode changed).
    pub findings: Vec<Finding>,
    /// Paths compared: in the manifest, in the package, or both.
    pub checked: usize,
    /// Of those, the paths without any finding.
    pub intact: usize,
}

impl Report {
    /// Whether the package is exactly what the manifest lists.
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Compares a package as read (`observed`, in any order) with `manifest`.
pub fn compare(manifest: &Manifest, observed: &[ObservedEntry], options: CompareOptions) -> Report {
    let mut observed: Vec<&ObservedEntry> = observed.iter().collect();
    observed.sort_by(|a, b| a.path.cmp(&b.path));
    let mut report = Report::default();
    let (mut expected, mut actual) = (
        manifest.files.iter().peekable(),
        observed.into_iter().peekable(),
    );
    loop {
        let order = match (expected.peek(), actual.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(file), Some(entry)) => file.path.cmp(&entry.path),
        };
        let before = report.findings.len();
        match order {
            Ordering::Less => {
                let file = expected.next().expect("peeked");
                report.findings.push(Finding {
                    path: file.path.clone(),
                    change: Change::Missing,
                });
            }
            Ordering::Greater => {
                let entry = actual.next().expect("peeked");
                report.findings.push(Finding {
                    path: entry.path.clone(),
                    change: Change::Added {
                        kind: entry.kind.name(),
                    },
                });
            }
            Ordering::Equal => {
                let (file, entry) = (
                    expected.next().expect("peeked"),
                    actual.next().expect("peeked"),
                );
                compare_entry(file, entry, options, &mut report.findings);
            }
        }
        report.checked += 1;
        if report.findings.len() == before {
            report.intact += 1;
        }
    }
    report
}

fn compare_entry(
    file: &FileEntry,
    entry: &ObservedEntry,
    options: CompareOptions,
    findings: &mut Vec<Finding>,
) {
    let mut push = |change| {
        findings.push(Finding {
            path: file.path.clone(),
            change,
        })
    };
    match (&file.kind, &entry.kind) {
        (
            FileKind::File {
                size: expected_size,
                sha256,
                blake3,
            },
            EntryKind::File { size: actual_size },
        ) => {
            let mut digests = Vec::new();
            let mut compare_digest = |wanted: bool, algorithm, expected: &String, actual| {
                // A digest the reader did not compute cannot vouch for the
                // content: it counts as different.
                if wanted && Some(expected) != actual {
                    digests.push(algorithm);
                }
            };
            compare_digest(
                options.digest.sha256(),
                HashAlgorithm::Sha256,
                sha256,
                entry.sha256.as_ref(),
            );
            compare_digest(
                options.digest.blake3(),
                HashAlgorithm::Blake3,
                blake3,
                entry.blake3.as_ref(),
            );
            if expected_size != actual_size || !digests.is_empty() {
                push(Change::Modified {
                    expected_size: *expected_size,
                    actual_size: *actual_size,
                    digests,
                });
            }
        }
        (FileKind::Symlink { target: expected }, EntryKind::Symlink { target: actual }) => {
            if expected != actual {
                push(Change::SymlinkChanged {
                    expected: expected.clone(),
                    actual: actual.clone(),
                });
            }
        }
        (FileKind::Other, EntryKind::Other) => {}
        (expected, actual) => {
            // A symlink's mode (0777) against a file's says nothing more.
            push(Change::KindChanged {
                expected: expected.name(),
                actual: actual.name(),
            });
            return;
        }
    }
    if let (Some(expected), Some(actual)) = (file.mode, entry.mode) {
        if expected != actual {
            push(Change::ModeChanged { expected, actual });
        }
    }
}
