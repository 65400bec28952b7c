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
use fnguard_model::{
    DataStore, Deployment, Function, InternalRef, Ref, SecurityGroup, SgRule, VpcConfig,
};

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
    /// deployment's.
    pub fn store_of(&self, r: &InternalRef) -> Option<&'d DataStore> {
        let &i = self.stores.get(r.element.as_deref()?)?;
        Some(&self.dep.data_stores[i])
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
        // The strongest admission so far; its text is built once, at the end.
        let mut best: Option<(Tri, Admission, &str, Loc)> = None;
        let mut any_local_group = false;
        'groups: for group_ref in &store.security_groups {
            let Ref::Local(group_id) = group_ref else {
                continue;
            };
            let Some(group) = self.groups.get(group_id.as_str()) else {
                continue;
            };
            any_local_group = true;
            // Egress towards this group, asked once and only when needed.
            let mut egress: Option<Tri> = None;
            for rule in &group.ingress {
                let floor = best.as_ref().map_or(Tri::No, |b| b.0);
                let ports = admits_port(rule, port);
                if ports <= floor {
                    continue;
                }
                let Some((source, admission)) = admits_source(rule, vpc) else {
                    continue;
                };
                let strength = ports.min(source);
                if strength <= floor {
                    continue;
                }
                let out = *egress.get_or_insert_with(|| self.egress(vpc, group_id, port));
                let strength = strength.min(out);
                if strength > floor {
                    best = Some((strength, admission, group_id, rule.loc));
                    if strength == Tri::Yes {
                        break 'groups;
                    }
                }
            }
        }
        let (strength, how, loc) = match best {
            Some((strength, admission, group, loc)) => (strength, admission.describe(group), loc),
            // Groups outside the files say nothing: only a shared subnet
            // makes the reach possible.
            None if !any_local_group => {
                let shared = store
                    .subnets
                    .iter()
                    .find(|s| !matches!(s, Ref::Unknown) && vpc.subnets.contains(s))?;
                (
                    Tri::Possible,
                    format!("in subnet {} with the function", ref_text(shared)),
                    store.loc,
                )
            }
            None => return None,
        };
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
                    (Field::Known(cidr, _), _) if !may_hold_vpc_address(cidr) => Tri::No,
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
    let Field::Known(protocol, _) = &rule.protocol else {
        return Tri::Possible;
    };
    let protocol = protocol.trim();
    if protocol == "-1" || protocol.eq_ignore_ascii_case("all") {
        return Tri::Yes;
    }
    if !(protocol == "6" || protocol.eq_ignore_ascii_case("tcp")) {
        return Tri::No;
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

/// What an ingress rule of a store's group admits of the function.
#[derive(Debug, Clone, Copy)]
enum Admission<'a> {
    /// A rule the files do not determine.
    Undetermined,
    /// One of the function's groups.
    Group(&'a Ref),
    /// A group from outside the files that the function's undetermined
    /// group may be.
    MaybeGroup(&'a Ref),
    /// Any address (`0.0.0.0/0`, `::/0`).
    Anywhere(&'a str),
    /// A range the function's address may be in.
    Range(&'a str),
}

impl Admission<'_> {
    fn describe(self, store_group: &str) -> String {
        match self {
            Admission::Undetermined => {
                format!("via sg {store_group}, whose rule the files do not determine")
            }
            Admission::Group(peer) => format!("via sg {} -> {store_group}", ref_text(peer)),
            Admission::MaybeGroup(peer) => format!(
                "via sg {store_group}, which admits {} (the function's groups are not all determined)",
                ref_text(peer)
            ),
            Admission::Anywhere(cidr) => format!("via sg {store_group} open to {cidr}"),
            Admission::Range(cidr) => format!("via sg {store_group} open to CIDR {cidr}"),
        }
    }
}

/// Whether an ingress rule admits the function, and as what.
fn admits_source<'r>(rule: &'r SgRule, vpc: &VpcConfig) -> Option<(Tri, Admission<'r>)> {
    match (&rule.peer_group, &rule.cidr) {
        (Some(Ref::Unknown), _) | (None, Field::Unknown(_)) => {
            Some((Tri::Possible, Admission::Undetermined))
        }
        (Some(peer), _) if vpc.security_groups.contains(peer) => {
            Some((Tri::Yes, Admission::Group(peer)))
        }
        // An undetermined group of the function (a parameter, a variable)
        // may be a group from outside the files, never one the same files
        // create.
        (Some(peer @ Ref::External(_)), _) if vpc.security_groups.contains(&Ref::Unknown) => {
            Some((Tri::Possible, Admission::MaybeGroup(peer)))
        }
        (Some(_), _) => None,
        (None, Field::Known(cidr, _)) if is_open(cidr) => {
            Some((Tri::Yes, Admission::Anywhere(cidr.trim())))
        }
        (None, Field::Known(cidr, _)) if may_hold_vpc_address(cidr) => {
            Some((Tri::Possible, Admission::Range(cidr.trim())))
        }
        (None, Field::Known(_, _)) => None,
        (None, Field::Absent) => None,
    }
}

/// The whole IPv4 or IPv6 address space (also FG-NET-002's test).
pub(crate) fn is_open(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

/// False for an IPv4 range inside loopback (127.0.0.0/8) or link-local
/// (169.254.0.0/16), where no VPC address can be: `127.0.0.1/32` is how
/// templates write "no egress". Anything else, or anything unparsed, may.
fn may_hold_vpc_address(cidr: &str) -> bool {
    let Some((address, bits)) = cidr.trim().split_once('/') else {
        return true;
    };
    let (Ok(address), Ok(bits)) = (address.parse::<std::net::Ipv4Addr>(), bits.parse::<u8>())
    else {
        return true;
    };
    let [a, b, _, _] = address.octets();
    !((a == 127 && bits >= 8) || (a == 169 && b == 254 && bits >= 16))
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
