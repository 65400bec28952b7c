//! Checks over the normalized model. Each area module owns its rules'
//! metadata (`RULES`) and its check function; this file runs them and
//! applies in-source suppressions (inline comments, CloudFormation
//! `Metadata`). Config and baseline suppressions are the caller's.

pub mod api;
pub mod iam;
pub mod log;
pub mod mon;
pub mod net;
pub mod path;
pub mod privesc;
mod reach;
pub mod rt;
pub mod sec;
pub mod sign;
pub mod trig;

use fnguard_core::fast_hash::HashMap;
use fnguard_core::{
    Date, Finding, Lang, Loc, RuleMeta, SourceRef, Suppression, SuppressionKind, Text,
};
use fnguard_model::{Deployment, Ignore};

/// What a check may depend on besides the model.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The date the scan runs as: runtime deprecation grows with it.
    pub scan_date: Date,
    /// The one language the findings will be shown in, when the caller
    /// knows it: their messages in the other language are dropped (empty),
    /// a third of what a finding holds on a large scan. `None` keeps both.
    pub lang: Option<Lang>,
}

/// What every check gets: the deployment and helpers to build findings.
pub struct Ctx<'a> {
    pub dep: &'a Deployment,
    pub opts: &'a AuditOptions,
}

impl<'a> Ctx<'a> {
    pub fn src(&self, loc: Loc) -> SourceRef {
        SourceRef::new(self.dep.file(loc), loc.line, loc.col)
    }

    /// A message built only in the language the report will show (both
    /// when the caller did not say): the other would be dropped unread, and
    /// formatting it was a large part of the audit's cost.
    pub fn text(&self, en: impl FnOnce() -> String, zh: impl FnOnce() -> String) -> Text {
        match self.opts.lang {
            Some(Lang::En) => Text::new(en(), String::new()),
            Some(Lang::Zh) => Text::new(String::new(), zh()),
            None => Text::new(en(), zh()),
        }
    }

    /// A finding about element `resource` (declared at `resource_loc`),
    /// pointing at `loc` (the offending line, or the element itself when the
    /// problem is something missing).
    pub fn finding(
        &self,
        rule: &'static RuleMeta,
        resource: &str,
        loc: Loc,
        message: Text,
        discriminator: &str,
    ) -> Finding {
        Finding::new(rule, resource, self.src(loc), message, discriminator)
    }
}

/// Every area's rules, in a stable order.
pub fn all_rules() -> Vec<&'static RuleMeta> {
    [
        iam::RULES,
        privesc::RULES,
        trig::RULES,
        sec::RULES,
        sign::RULES,
        rt::RULES,
        net::RULES,
        api::RULES,
        log::RULES,
        mon::RULES,
        path::RULES,
    ]
    .into_iter()
    .flat_map(|rules| rules.iter())
    .collect()
}

pub fn rule(id: &str) -> Option<&'static RuleMeta> {
    all_rules()
        .into_iter()
        .find(|r| r.id.eq_ignore_ascii_case(id))
}

/// A finding together with where its element is declared and that
/// element's `Metadata` ignores, so suppressions can be applied.
pub struct Raw {
    pub finding: Finding,
    pub element_loc: Loc,
    pub element_ignores: Vec<Ignore>,
}

/// Run every check over one deployment and mark findings suppressed by
/// inline comments or element metadata.
pub fn audit(dep: &Deployment, opts: &AuditOptions) -> Vec<Finding> {
    let ctx = Ctx { dep, opts };
    // Room for the usual few findings per function up front: a `Raw` is
    // large, and growing by doubling copied every one of them again.
    let mut raw: Vec<Raw> = Vec::with_capacity(8 * dep.functions.len() + 16);
    iam::check(&ctx, &mut raw);
    trig::check(&ctx, &mut raw);
    sec::check(&ctx, &mut raw);
    sign::check(&ctx, &mut raw);
    rt::check(&ctx, &mut raw);
    net::check(&ctx, &mut raw);
    api::check(&ctx, &mut raw);
    log::check(&ctx, &mut raw);
    mon::check(&ctx, &mut raw);
    // Escalations are assessed once per role and shared with the paths.
    let power = privesc::analyse(dep);
    privesc::check(&ctx, &power, &mut raw);
    path::check(&ctx, &power, &mut raw);
    let inline = InlineIndex::new(dep);
    raw.into_iter()
        .map(|r| {
            let mut finding = apply_in_source_suppressions(dep, &inline, r);
            if let Some(lang) = opts.lang {
                finding.keep_only(lang);
            }
            finding
        })
        .collect()
}

/// Inline ignores by (file path, line) they apply to: both the comment's own
/// line and its target line. Findings look up their own line and their
/// element's line, so the pass is linear in findings plus ignores.
struct InlineIndex<'a> {
    by_file: HashMap<&'a str, HashMap<u32, Vec<usize>>>,
}

impl<'a> InlineIndex<'a> {
    fn new(dep: &'a Deployment) -> Self {
        let mut by_file: HashMap<&str, HashMap<u32, Vec<usize>>> = HashMap::default();
        for (i, ignore) in dep.inline_ignores.iter().enumerate() {
            let lines = by_file.entry(dep.file(ignore.loc)).or_default();
            lines.entry(ignore.target_line).or_default().push(i);
            if ignore.loc.line != ignore.target_line {
                lines.entry(ignore.loc.line).or_default().push(i);
            }
        }
        InlineIndex { by_file }
    }

    fn at(&self, file: &str, line: u32) -> &[usize] {
        self.by_file
            .get(file)
            .and_then(|lines| lines.get(&line))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

fn apply_in_source_suppressions(dep: &Deployment, inline: &InlineIndex<'_>, raw: Raw) -> Finding {
    let Raw {
        mut finding,
        element_loc,
        element_ignores,
    } = raw;
    if let Some(ignore) = element_ignores
        .iter()
        .find(|i| i.rule_id.eq_ignore_ascii_case(finding.rule_id) || i.rule_id == "*")
    {
        finding.suppressed = Some(Suppression {
            kind: SuppressionKind::Metadata,
            reason: ignore.reason.clone(),
        });
        return finding;
    }
    let element_file = dep.file(element_loc);
    // The first matching comment in file order, as a linear scan would find.
    let hit = inline
        .at(&finding.location.path, finding.location.line)
        .iter()
        .chain(inline.at(element_file, element_loc.line))
        .copied()
        .filter(|&i| {
            dep.inline_ignores[i]
                .rule_ids
                .iter()
                .any(|id| id.eq_ignore_ascii_case(finding.rule_id) || id == "*")
        })
        .min()
        .map(|i| &dep.inline_ignores[i]);
    if let Some(ignore) = hit {
        finding.suppressed = Some(Suppression {
            kind: SuppressionKind::Inline,
            reason: ignore.reason.clone(),
        });
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rule_metadata_is_complete_and_ids_unique() {
        let mut seen = HashSet::new();
        let mut problems = Vec::new();
        for rule in all_rules() {
            problems.extend(rule.lint());
            if !seen.insert(rule.id) {
                problems.push(format!("{} is defined twice", rule.id));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
