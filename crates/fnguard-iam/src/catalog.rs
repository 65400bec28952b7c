//! The AWS action catalog: every IAM action with its access level and the
//! resource types it can be scoped to, from `data/iam/actions.tsv` (see
//! `data/iam/NOTICE.md` for source and date). Parsed once, on first use.

use crate::wildcard::action_matches;
use fnguard_core::fast_hash::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

const ACTIONS_TSV: &str = include_str!("../../../data/iam/actions.tsv");

/// Access level as the AWS Service Authorization Reference assigns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    pub fn parse(text: &str) -> Option<AccessLevel> {
        match text {
            "List" => Some(AccessLevel::List),
            "Read" => Some(AccessLevel::Read),
            "Write" => Some(AccessLevel::Write),
            "Permissions management" => Some(AccessLevel::PermissionsManagement),
            "Tagging" => Some(AccessLevel::Tagging),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    /// Position in `ALL`, for per-level counters.
    pub fn index(self) -> usize {
        match self {
            AccessLevel::List => 0,
            AccessLevel::Read => 1,
            AccessLevel::Write => 2,
            AccessLevel::PermissionsManagement => 3,
            AccessLevel::Tagging => 4,
        }
    }
}

/// One action of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInfo {
    /// `service:Action` as AWS spells it, e.g. `s3:GetObject`.
    pub name: &'static str,
    pub level: AccessLevel,
    /// Comma-separated resource types; empty when the action supports only
    /// `*` as its resource.
    resource_types: &'static str,
    service_len: usize,
}

impl ActionInfo {
    pub fn service(&self) -> &'static str {
        &self.name[..self.service_len]
    }

    pub fn action(&self) -> &'static str {
        &self.name[self.service_len + 1..]
    }

    pub fn resource_types(&self) -> impl Iterator<Item = &'static str> {
        self.resource_types.split(',').filter(|t| !t.is_empty())
    }

    /// The action cannot be scoped to a resource: `Resource: "*"` is the
    /// only way to grant it (e.g. `xray:PutTraceSegments`).
    pub fn only_star_resource(&self) -> bool {
        self.resource_types.is_empty()
    }
}

/// One service's slice of the catalog.
#[derive(Debug, Clone)]
pub struct ServiceEntry {
    /// Service prefix as AWS spells it (`s3`, `dynamodb`).
    pub prefix: &'static str,
    pub range: Range<usize>,
    /// Number of actions per access level (indexed by `AccessLevel::index`).
    pub levels: [usize; 5],
}

#[derive(Debug)]
pub struct Catalog {
    /// Grouped by service, each service's actions in case-folded order.
    actions: Vec<ActionInfo>,
    services: Vec<ServiceEntry>,
    by_service: HashMap<String, usize>,
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// The catalog compiled into fnguard (parsed on first use).
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Catalog::parse(ACTIONS_TSV))
}

/// Every catalog action a pattern (`s3:Get*`, `*`, `iam:PassRole`) matches.
pub fn expand(pattern: &str) -> Vec<&'static ActionInfo> {
    catalog().expand(pattern)
}

/// The access level of one action, when the catalog knows it.
pub fn access_level(action: &str) -> Option<AccessLevel> {
    catalog().lookup(action).map(|a| a.level)
}

impl Catalog {
    /// Parse the TSV; malformed lines are skipped (the data is ours and a
    /// test checks it has none).
    pub fn parse(text: &'static str) -> Catalog {
        // One case-folded copy of the whole file: the sort compares slices
        // of it (memcmp) instead of folding both names byte by byte in
        // every comparison. Each action keeps its line's offset into it.
        let folded = text.to_ascii_lowercase();
        let mut parsed: Vec<(ActionInfo, usize)> = Vec::with_capacity(text.len() / 40);
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            // What `str::lines` strips: the `\n` and a `\r` before it.
            let line = line
                .strip_suffix('\n')
                .map_or(line, |l| l.strip_suffix('\r').unwrap_or(l));
            if let Some(action) = parse_line(line) {
                parsed.push((action, start));
            }
        }
        // Group services together whatever order the file is in, each
        // service's actions in case-folded order for `lookup`'s binary
        // search: (folded service, folded name), as `cmp_ignore_ascii_case`
        // orders them.
        let key = |(action, start): &(ActionInfo, usize)| {
            let name = &folded.as_bytes()[*start..*start + action.name.len()];
            (&name[..action.service_len], name)
        };
        // The file lists each service's actions together and in order; only
        // services are out of order (`acm-pca` before `acm`). Then ordering
        // the ~400 service runs is enough; anything else takes the full sort.
        let mut runs: Vec<Range<usize>> = Vec::new();
        for i in 0..parsed.len() {
            match runs.last_mut() {
                Some(run) if key(&parsed[run.start]).0 == key(&parsed[i]).0 => run.end = i + 1,
                _ => runs.push(i..i + 1),
            }
        }
        let service = |run: &Range<usize>| key(&parsed[run.start]).0;
        let runs_in_order = runs
            .iter()
            .all(|run| parsed[run.clone()].is_sorted_by(|a, b| key(a) <= key(b)));
        runs.sort_by(|a, b| service(a).cmp(service(b)));
        let one_run_per_service = runs.windows(2).all(|w| service(&w[0]) != service(&w[1]));
        if runs_in_order && one_run_per_service {
            let mut grouped = Vec::with_capacity(parsed.len());
            for run in runs {
                grouped.extend_from_slice(&parsed[run]);
            }
            parsed = grouped;
        } else {
            parsed.sort_by(|a, b| key(a).cmp(&key(b)));
        }
        let actions: Vec<ActionInfo> = parsed.into_iter().map(|(action, _)| action).collect();
        let mut services: Vec<ServiceEntry> = Vec::new();
        for (i, action) in actions.iter().enumerate() {
            match services.last_mut() {
                Some(s) if s.prefix.eq_ignore_ascii_case(action.service()) => {
                    s.range.end = i + 1;
                    s.levels[action.level.index()] += 1;
                }
                _ => {
                    let mut levels = [0; 5];
                    levels[action.level.index()] = 1;
                    services.push(ServiceEntry {
                        prefix: action.service(),
                        range: i..i + 1,
                        levels,
                    });
                }
            }
        }
        let by_service = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.prefix.to_ascii_lowercase(), i))
            .collect();
        Catalog {
            actions,
            services,
            by_service,
        }
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn actions(&self) -> &[ActionInfo] {
        &self.actions
    }

    pub fn services(&self) -> &[ServiceEntry] {
        &self.services
    }

    pub fn service(&self, prefix: &str) -> Option<&ServiceEntry> {
        self.service_index(prefix).map(|i| &self.services[i])
    }

    /// The index of a service (any case) in `services()`.
    pub fn service_index(&self, prefix: &str) -> Option<usize> {
        with_ascii_lowercase(prefix, |key| self.by_service.get(key).copied())
    }

    pub fn service_actions(&self, entry: &ServiceEntry) -> &[ActionInfo] {
        &self.actions[entry.range.clone()]
    }

    /// Case-insensitive lookup of one exact action name.
    pub fn lookup(&self, action: &str) -> Option<&ActionInfo> {
        let (service, _) = action.split_once(':')?;
        let entry = self.service(service)?;
        let actions = self.service_actions(entry);
        let i = actions
            .binary_search_by(|a| cmp_ignore_ascii_case(a.name, action))
            .ok()?;
        Some(&actions[i])
    }

    /// Every action the pattern matches. A pattern whose service part has no
    /// wildcard only scans that service.
    pub fn expand(&self, pattern: &str) -> Vec<&ActionInfo> {
        if let Some((service, _)) = pattern.split_once(':') {
            if !service.contains(['*', '?']) {
                return match self.service(service) {
                    Some(entry) => self
                        .service_actions(entry)
                        .iter()
                        .filter(|a| action_matches(pattern, a.name))
                        .collect(),
                    None => Vec::new(),
                };
            }
        }
        self.actions
            .iter()
            .filter(|a| action_matches(pattern, a.name))
            .collect()
    }
}

/// One line of the TSV: name, access level, and resource types (the third
/// column, empty when absent); `None` when malformed. One pass over the
/// bytes for the tabs and the name's colon: every line of the 1 MB file
/// comes here at start-up.
fn parse_line(line: &'static str) -> Option<ActionInfo> {
    let bytes = line.as_bytes();
    // Where the first three columns end (a tab, or the end of the line).
    let mut ends = [line.len(); 3];
    let mut column = 0;
    let mut colon = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\t' {
            ends[column] = i;
            column += 1;
            if column == ends.len() {
                break;
            }
        } else if b == b':' && column == 0 && colon.is_none() {
            colon = Some(i);
        }
    }
    if column == 0 {
        return None;
    }
    let name = &line[..ends[0]];
    let level = AccessLevel::parse(&line[ends[0] + 1..ends[1]])?;
    let resource_types = line.get(ends[1] + 1..ends[2]).unwrap_or("");
    let service_len = colon?;
    if service_len == 0 || service_len + 1 >= name.len() {
        return None;
    }
    Some(ActionInfo {
        name,
        level,
        resource_types,
        service_len,
    })
}

/// `f(&text.to_ascii_lowercase())` without a new String for short texts:
/// service prefixes are looked up once per action of every role, so they
/// are folded on the stack.
pub fn with_ascii_lowercase<R>(text: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut folded = [0u8; 64];
    if let Some(key) = folded.get_mut(..text.len()) {
        key.copy_from_slice(text.as_bytes());
        key.make_ascii_lowercase();
        // Folding ASCII letters keeps UTF-8 valid; the fallback only keeps
        // this free of a panic path.
        if let Ok(key) = std::str::from_utf8(key) {
            return f(key);
        }
    }
    f(&text.to_ascii_lowercase())
}

/// `a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase())` without the copies.
fn cmp_ignore_ascii_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_folding_equals_to_ascii_lowercase() {
        let long = "S3".repeat(40);
        for text in [
            "",
            "S3",
            "DynamoDB",
            "\u{e9}TAT:Get",
            "a\u{4e2d}B",
            long.as_str(),
        ] {
            let folded = with_ascii_lowercase(text, str::to_string);
            assert_eq!(folded, text.to_ascii_lowercase(), "{text}");
        }
    }

    /// The binary search finds exactly what a case-folded scan finds.
    #[test]
    fn lookup_equals_a_case_insensitive_scan() {
        let cat = catalog();
        for (i, action) in cat.actions().iter().enumerate() {
            let found = cat.lookup(&action.name.to_ascii_uppercase()).unwrap();
            assert!(std::ptr::eq(found, &cat.actions()[i]), "{}", action.name);
        }
        for miss in [
            "s3",
            "s3:",
            ":GetObject",
            "s3:GetObjectX",
            "nosuch:GetObject",
            "s3:GetObject:x",
        ] {
            let scan = cat
                .actions()
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(miss));
            assert_eq!(cat.lookup(miss), scan, "{miss}");
        }
    }

    /// The definition the folded-copy sort replaces: names sorted by
    /// `cmp_ignore_ascii_case` on (service, name). Checked on the real file
    /// and on its lines reversed, with a `\r\n` and malformed lines mixed in.
    #[test]
    fn parse_orders_as_the_case_folding_comparator() {
        fn reference_line(line: &'static str) -> Option<ActionInfo> {
            let mut cols = line.split('\t');
            let name = cols.next()?;
            let level = AccessLevel::parse(cols.next()?)?;
            let resource_types = cols.next().unwrap_or("");
            let service_len = name.find(':')?;
            if service_len == 0 || service_len + 1 >= name.len() {
                return None;
            }
            Some(ActionInfo {
                name,
                level,
                resource_types,
                service_len,
            })
        }
        fn reference(text: &'static str) -> Vec<ActionInfo> {
            let mut actions: Vec<ActionInfo> = text.lines().filter_map(reference_line).collect();
            actions.sort_by(|a, b| {
                cmp_ignore_ascii_case(a.service(), b.service())
                    .then_with(|| cmp_ignore_ascii_case(a.name, b.name))
            });
            actions
        }
        let reversed: Vec<&str> = ACTIONS_TSV.lines().rev().collect();
        let mixed = format!(
            "S3-Outposts:Zed\tRead\r\n{}\nno-colon\tRead\n:x\tRead\ns3:\tRead\nS3:Extra\tBogus\nS3:AAA\tWrite\tbucket\textra\nx:y:z\tList\nnotab:x\nlambda:Tabs\tTagging\t\t\nlambda:Two\tRead\t",
            reversed.join("\n")
        );
        // Services in reverse order, each in order: the run shortcut.
        let mut services: Vec<Vec<&str>> = Vec::new();
        for line in ACTIONS_TSV.lines() {
            let service = line.split(':').next();
            match services.last_mut() {
                Some(run) if run[0].split(':').next() == service => run.push(line),
                _ => services.push(vec![line]),
            }
        }
        let by_service_reversed: Vec<String> =
            services.iter().rev().map(|run| run.join("\n")).collect();
        // One service split in two runs: the full sort again.
        let split_service = format!(
            "{}\nacm:AddTagsToCertificate\tTagging\tcertificate",
            by_service_reversed.join("\n")
        );
        for text in [
            ACTIONS_TSV,
            Box::leak(mixed.into_boxed_str()),
            Box::leak(by_service_reversed.join("\n").into_boxed_str()),
            Box::leak(split_service.into_boxed_str()),
        ] {
            assert_eq!(Catalog::parse(text).actions, reference(text));
        }
    }

    #[test]
    fn compiled_catalog_is_complete_and_well_formed() {
        let cat = catalog();
        let lines = ACTIONS_TSV.lines().count();
        assert_eq!(cat.len(), lines, "a line of actions.tsv did not parse");
        assert!(cat.len() > 15_000, "only {} actions", cat.len());
        assert!(cat.services().len() > 300);
        let s3 = cat.service("S3").unwrap();
        assert_eq!(s3.prefix, "s3");
        assert!(cat.service_actions(s3).iter().all(|a| a.service() == "s3"));
    }

    #[test]
    fn lookups_and_levels() {
        let pass = catalog().lookup("IAM:passrole").unwrap();
        assert_eq!(pass.name, "iam:PassRole");
        assert_eq!(pass.service(), "iam");
        assert_eq!(pass.action(), "PassRole");
        assert_eq!(pass.level, AccessLevel::PermissionsManagement);
        assert_eq!(pass.resource_types().collect::<Vec<_>>(), ["role"]);
        assert_eq!(access_level("s3:GetObject"), Some(AccessLevel::Read));
        assert_eq!(access_level("s3:ListBucket"), Some(AccessLevel::List));
        assert_eq!(
            access_level("lambda:TagResource"),
            Some(AccessLevel::Tagging)
        );
        assert_eq!(access_level("s3:NoSuchAction"), None);
        assert!(catalog()
            .lookup("xray:PutTraceSegments")
            .unwrap()
            .only_star_resource());
        assert!(!catalog()
            .lookup("dynamodb:PutItem")
            .unwrap()
            .only_star_resource());
    }

    #[test]
    fn expansion() {
        let gets = expand("s3:GetObject*");
        assert!(gets.iter().any(|a| a.name == "s3:GetObject"));
        assert!(gets.iter().any(|a| a.name == "s3:GetObjectAcl"));
        assert!(gets.iter().all(|a| a.name.starts_with("s3:GetObject")));
        assert_eq!(
            expand("s3:*").len(),
            catalog()
                .service_actions(catalog().service("s3").unwrap())
                .len()
        );
        assert_eq!(expand("*").len(), catalog().len());
        assert_eq!(expand("dynamodb:?utItem").len(), 1);
        // Wildcards in the service part scan every service.
        let passes = expand("i?m:PassRole");
        assert_eq!(passes.len(), 1);
        assert!(expand("nosuchservice:*").is_empty());
    }
}
