//! Network reach of a function (guide §2.2: "what its network position
//! reaches"): the databases, caches and search domains of the deployment
//! that a function attached to a VPC can open a connection to.
//!
//! A function reaches a store when one of the store's security groups
//! admits, on the store's port, one of the function's security groups or a
//! CIDR, and one of the function's groups lets that traffic out. A store
//! whose groups are all outside the files is reached only possibly, and
//! only when it sits in one of the function's subnets. Anything the files
//! do not determine (a group, a rule, a port) makes the reach possible,
//! never certain, and never invents one where a known rule says no.

use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Field, Loc};
use fnguard_model::{DataStore, Deployment, Function, Ref, SecurityGroup, SgRule, VpcConfig};

/// How sure a link of the chain is. Ordered: the weakest link of a chain
/// decides (`min`), the best of alternatives counts (`max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tri {
    No,
    Possible,
    Yes,
}

/// One store a function reaches.
#[derive(Debug, Clone)]
pub(crate) struct StoreReach<'d> {
    pub store: &'d DataStore,
    /// `via sg LambdaSg -> DbSg`.
    pub how: String,
    /// The admitting ingress rule (the store when reached by subnet).
    pub loc: Loc,
    pub certain: bool,
}

/// The deployment's security groups by id, built once per deployment.
pub(crate) struct Network<'d> {
    dep: &'d Deployment,
    groups: HashMap<&'d str, &'d SecurityGroup>,
    /// Store id → index, to recognise a function's internal references
    /// that name a store.
    stores: HashMap<&'d str, usize>,
}

impl<'d> Network<'d> {
    pub fn new(dep: &'d Deployment) -> Self {
        // Without stores nothing is reached: no index is needed.
        if dep.data_stores.is_empty() {
            return Network {
                dep,
                groups: HashMap::default(),
                stores: HashMap::default(),
            };
        }
        Network {
            dep,
            groups: dep
                .security_groups
                .iter()
                .map(|g| (g.id.as_str(), g))
                .collect(),
            stores: dep
                .data_stores
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), i))
                .collect(),
        }
    }

    /// The store an internal reference names, if it is one of the
    /// deployment's. The loaders write the referenced element's id as a
    /// word of the reference before its context (CloudFormation
    /// `AWS::RDS::DBInstance Db in environment variable X`, Terraform
    /// `RDS instance aws_db_instance.db (in role policy)`).
    pub fn store_named(&self, what: &str) -> Option<&'d DataStore> {
        if self.stores.is_empty() {
            return None;
        }
        let end = [" in ", " (in "]
            .iter()
            .filter_map(|sep| what.find(sep))
            .min()
            .unwrap_or(what.len());
        what[..end]
            .split(' ')
            .find_map(|word| self.stores.get(word))
            .map(|&i| &self.dep.data_stores[i])
    }

    /// The stores a function reaches over the network, in model order.
    pub fn reaches(&self, f: &Function) -> Vec<StoreReach<'d>> {
        let Field::Known(vpc, _) = &f.vpc else {
            return Vec::new();
        };
        if vpc.subnets.is_empty() && vpc.security_groups.is_empty() {
            return Vec::new();
        }
        self.dep
            .data_stores
            .iter()
            .filter_map(|store| self.reach(vpc, store))
            .collect()
    }

    fn reach(&self, vpc: &VpcConfig, store: &'d DataStore) -> Option<StoreReach<'d>> {
        let port = store.port.value().copied();
        let mut best: Option<(Tri, String, Loc)> = None;
        let mut any_local_group = false;
        for group_ref in &store.security_groups {
            let Ref::Local(group_id) = group_ref else {
                continue;
            };
            let Some(group) = self.groups.get(group_id.as_str()) else {
                continue;
            };
            any_local_group = true;
            for rule in &group.ingress {
                let ports = admits_port(rule, port);
                if ports == Tri::No {
                    continue;
                }
                let Some((source, how)) = admits_source(rule, vpc, group_id) else {
                    continue;
                };
                let strength = ports.min(source).min(self.egress(vpc, group_id, port));
                if strength > best.as_ref().map_or(Tri::No, |b| b.0) {
                    best = Some((strength, how, rule.loc));
                }
            }
        }
        // Groups outside the files say nothing: only a shared subnet makes
        // the reach possible.
        if !any_local_group {
            let shared = store
                .subnets
                .iter()
                .find(|s| !matches!(s, Ref::Unknown) && vpc.subnets.contains(s))?;
            best = Some((
                Tri::Possible,
                format!("in subnet {} with the function", ref_text(shared)),
                store.loc,
            ));
        }
        let (strength, how, loc) = best?;
        Some(StoreReach {
            store,
            how,
            loc,
            certain: strength == Tri::Yes,
        })
    }

    /// Whether one of the function's groups lets traffic out to the store's
    /// group `dest` on `port`. A group outside the files may.
    fn egress(&self, vpc: &VpcConfig, dest: &str, port: Option<i64>) -> Tri {
        if vpc.security_groups.is_empty() {
            return Tri::Possible;
        }
        let mut out = Tri::No;
        for group_ref in &vpc.security_groups {
            let group = match group_ref {
                Ref::Local(id) => self.groups.get(id.as_str()),
                _ => None,
            };
            let Some(group) = group else {
                out = out.max(Tri::Possible);
                continue;
            };
            for rule in &group.egress {
                let to = match (&rule.cidr, &rule.peer_group) {
                    (Field::Known(cidr, _), _) if is_open(cidr) => Tri::Yes,
                    // The store's address may or may not be in the range.
                    (Field::Known(_, _) | Field::Unknown(_), _) => Tri::Possible,
                    (_, Some(Ref::Local(peer))) if peer == dest => Tri::Yes,
                    (_, Some(Ref::Unknown)) => Tri::Possible,
                    _ => Tri::No,
                };
                out = out.max(to.min(admits_port(rule, port)));
            }
        }
        out
    }
}

/// Whether the rule lets TCP traffic to `port` (`None`: not determined).
fn admits_port(rule: &SgRule, port: Option<i64>) -> Tri {
    let protocol = match &rule.protocol {
        Field::Known(p, _) => p.trim().to_ascii_lowercase(),
        _ => return Tri::Possible,
    };
    match protocol.as_str() {
        "-1" | "all" => return Tri::Yes,
        "tcp" | "6" => {}
        _ => return Tri::No,
    }
    match (&rule.from_port, &rule.to_port, port) {
        (Field::Known(from, _), Field::Known(to, _), Some(port)) => {
            if (*from..=*to).contains(&port) {
                Tri::Yes
            } else {
                Tri::No
            }
        }
        _ => Tri::Possible,
    }
}

/// Whether an ingress rule of the store's group `store_group` admits the
/// function, and how to say it.
fn admits_source(rule: &SgRule, vpc: &VpcConfig, store_group: &str) -> Option<(Tri, String)> {
    let undetermined_group = vpc.security_groups.contains(&Ref::Unknown);
    match (&rule.peer_group, &rule.cidr) {
        (Some(Ref::Unknown), _) | (None, Field::Unknown(_)) => Some((
            Tri::Possible,
            format!("via sg {store_group}, whose rule the files do not determine"),
        )),
        (Some(peer), _) if vpc.security_groups.contains(peer) => Some((
            Tri::Yes,
            format!("via sg {} -> {store_group}", ref_text(peer)),
        )),
        // The function's undetermined group may be the admitted one.
        (Some(peer), _) if undetermined_group => Some((
            Tri::Possible,
            format!(
                "via sg {store_group}, which admits {} (the function's groups are not all determined)",
                ref_text(peer)
            ),
        )),
        (Some(_), _) => None,
        (None, Field::Known(cidr, _)) if is_open(cidr) => Some((
            Tri::Yes,
            format!("via sg {store_group} open to {}", cidr.trim()),
        )),
        // A private range: the function's address is likely, not surely, in it.
        (None, Field::Known(cidr, _)) => Some((
            Tri::Possible,
            format!("via sg {store_group} open to CIDR {}", cidr.trim()),
        )),
        (None, Field::Absent) => None,
    }
}

fn is_open(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

fn ref_text(r: &Ref) -> &str {
    match r {
        Ref::Local(id) => id,
        Ref::External(text) => text,
        Ref::Unknown => "(undetermined)",
    }
}

/// `postgres:5432`, `5439`, `redis` or nothing.
pub(crate) fn endpoint_text(store: &DataStore) -> String {
    match (store.engine.as_deref(), store.port.value()) {
        (Some(engine), Some(port)) => format!(" ({engine}:{port})"),
        (None, Some(port)) => format!(" ({port})"),
        (Some(engine), None) => format!(" ({engine})"),
        (None, None) => String::new(),
    }
}

/// Where an internal reference was seen: `environment variable DB_HOST`,
/// `aws_iam_role.r policy`, or the function's configuration (Terraform
/// references in the function's own arguments carry no context).
pub(crate) fn reference_context(what: &str) -> &str {
    if let Some((_, context)) = what.split_once(" (in ") {
        return context.strip_suffix(')').unwrap_or(context);
    }
    what.split_once(" in ")
        .map_or("the function's configuration", |(_, context)| context)
}
