//! A package that carries a signed fnguard manifest (`fnguard sign`) is
//! compared with it (FG-SIGN-003). The scan has no trusted key, so it checks
//! what it can without one: the manifest is valid and consistent with its own
//! digest, a signature sits beside it, names the manifest's key and digest,
//! and every entry of the package is what the manifest lists (BLAKE3).
//! Whether the key is trusted is `fnguard verify --pubkey`'s question.

use super::{rules, with_owners, Target};
use crate::archive::Limits;
use fnguard_core::{Finding, SourceRef, Text};
use fnguard_sign::manifest::{self, CompareOptions, Manifest};
use fnguard_sign::minisign::Signature;
use fnguard_sign::package::{self as signed, DigestChoice};
use fnguard_sign::seal::binding_problem;

/// Changes reported one by one; past this many, one more finding counts the
/// rest (a rebuilt package differs everywhere, and one line says so).
const MAX_CHANGE_FINDINGS: usize = 50;

/// The manifest and signature found at the package's root by the walk.
#[derive(Default)]
pub(super) struct Found {
    /// (display path, bytes)
    pub manifest: Option<(String, Vec<u8>)>,
    pub signature: Option<Vec<u8>>,
}

/// Whether a walked entry is one of the manifest's files at the package
/// root (the folder's, or the input archive's).
pub(super) fn root_file(target: &Target, package_path: &str, depth: u32) -> Option<bool> {
    let root_depth = u32::from(!target.path.is_dir());
    if depth != root_depth {
        return None;
    }
    match package_path {
        signed::MANIFEST_FILE => Some(true),
        signed::SIGNATURE_FILE => Some(false),
        _ => None,
    }
}

pub(super) fn findings(target: &Target, found: Found, limits: &Limits) -> Vec<Finding> {
    let Some((display, bytes)) = found.manifest else {
        return Vec::new();
    };
    let location = SourceRef::new(display.as_str(), 0, 0);
    let finding = |what_en: String, what_zh: String, key: &str| {
        with_owners(
            Finding::new(
                rules::NOT_AS_SIGNED,
                target_resource(target),
                location.clone(),
                Text::new(what_en, what_zh),
                key,
            ),
            target,
        )
    };
    let manifest = match Manifest::parse(&bytes) {
        Ok(manifest) => manifest,
        Err(e) => {
            return vec![finding(
                format!("the package's manifest is not valid: {e}"),
                format!("代码包的清单无效：{e}"),
                "manifest-invalid",
            )]
        }
    };
    let mut out = Vec::new();
    match found.signature.as_deref().map(parse_signature) {
        None => out.push(finding(
            format!(
                "the manifest has no signature beside it ({})",
                signed::SIGNATURE_FILE
            ),
            format!("清单旁没有签名（{}）", signed::SIGNATURE_FILE),
            "signature-missing",
        )),
        Some(Err(e)) => out.push(finding(
            format!("the manifest's signature is not a minisign signature: {e}"),
            format!("清单的签名不是有效的 minisign 签名：{e}"),
            "signature-invalid",
        )),
        Some(Ok(signature)) => {
            if let Some(problem) = binding_problem(&manifest, &signature) {
                out.push(finding(
                    format!("the signature does not belong to this manifest: {problem}"),
                    format!("签名与此清单不符：{problem}"),
                    "signature-mismatch",
                ));
            }
        }
    }
    let sign_limits = signed::Limits {
        max_entries: usize::try_from(limits.max_entries).unwrap_or(usize::MAX),
        max_total_bytes: limits.total_bytes,
        max_entry_bytes: limits.entry_bytes,
        max_ratio: limits.max_ratio,
        ratio_floor: limits.ratio_floor_bytes,
    };
    let options = CompareOptions {
        digest: DigestChoice::Blake3,
    };
    match manifest::check(&target.path, &manifest, &sign_limits, options) {
        Err(e) => out.push(finding(
            format!("the package cannot be compared with its manifest: {e}"),
            format!("无法将代码包与其清单比对：{e}"),
            "unreadable",
        )),
        Ok(report) => {
            let total = report.findings.len();
            for change in report.findings.iter().take(MAX_CHANGE_FINDINGS) {
                out.push(finding(
                    format!(
                        "entry {:?} is not as signed: {}",
                        change.path, change.change
                    ),
                    format!("条目 {:?} 与签名时不一致：{}", change.path, change.change),
                    &format!("{}#{}", change.path, change.change),
                ));
            }
            if total > MAX_CHANGE_FINDINGS {
                out.push(finding(
                    format!(
                        "{} more entries are not as signed",
                        total - MAX_CHANGE_FINDINGS
                    ),
                    format!("另有 {} 个条目与签名时不一致", total - MAX_CHANGE_FINDINGS),
                    "more-changes",
                ));
            }
        }
    }
    out
}

fn target_resource(target: &Target) -> &str {
    target
        .owners
        .first()
        .map_or(target.display.as_str(), |o| o.resource.as_str())
}

fn parse_signature(bytes: &[u8]) -> Result<Signature, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not text".to_string())?;
    Signature::parse(text).map_err(|e| e.to_string())
}
