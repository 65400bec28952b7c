//! Network reach in Terraform: data stores (databases, caches, search
//! domains) with their security groups, subnets and port, and the inbound
//! rules and peer groups of security groups.

use super::{field_bool, field_i64, field_str, first_block, is_data, link, sg_rules};
use crate::model::*;
use crate::terraform::value::{Val, V};
use crate::terraform::Res;
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Field, Loc};

/// Where one store type keeps what reach needs.
struct StoreShape {
    rtype: &'static str,
    kind: DataStoreKind,
    /// Engine as written; `None` when the type has one engine only.
    engine_key: Option<&'static str>,
    /// The engine the provider assumes when `engine_key` is not set.
    default_engine: Option<&'static str>,
    /// Nested block holding the groups and subnets (`vpc_options`).
    block: Option<&'static str>,
    security_groups: &'static str,
    /// Subnets listed on the store itself.
    subnets: Option<&'static str>,
    /// Argument naming a subnet group (by reference or by name).
    subnet_group: Option<&'static str>,
    port_key: Option<&'static str>,
    public_key: Option<&'static str>,
}

const fn shape(rtype: &'static str, kind: DataStoreKind) -> StoreShape {
    StoreShape {
        rtype,
        kind,
        engine_key: None,
        default_engine: None,
        block: None,
        security_groups: "vpc_security_group_ids",
        subnets: None,
        subnet_group: None,
        port_key: Some("port"),
        public_key: None,
    }
}

const STORES: &[StoreShape] = &[
    StoreShape {
        engine_key: Some("engine"),
        subnet_group: Some("db_subnet_group_name"),
        public_key: Some("publicly_accessible"),
        ..shape("aws_db_instance", DataStoreKind::Rds)
    },
    StoreShape {
        engine_key: Some("engine"),
        // The provider's default engine is Aurora MySQL.
        default_engine: Some("aurora"),
        subnet_group: Some("db_subnet_group_name"),
        ..shape("aws_rds_cluster", DataStoreKind::Rds)
    },
    // Functions often connect through a proxy rather than to the database.
    StoreShape {
        engine_key: Some("engine_family"),
        subnets: Some("vpc_subnet_ids"),
        port_key: None,
        ..shape("aws_db_proxy", DataStoreKind::Rds)
    },
    StoreShape {
        engine_key: Some("engine"),
        security_groups: "security_group_ids",
        subnet_group: Some("subnet_group_name"),
        ..shape("aws_elasticache_cluster", DataStoreKind::ElastiCache)
    },
    StoreShape {
        engine_key: Some("engine"),
        default_engine: Some("redis"),
        security_groups: "security_group_ids",
        subnet_group: Some("subnet_group_name"),
        ..shape(
            "aws_elasticache_replication_group",
            DataStoreKind::ElastiCache,
        )
    },
    StoreShape {
        engine_key: Some("engine"),
        security_groups: "security_group_ids",
        subnets: Some("subnet_ids"),
        port_key: None,
        ..shape(
            "aws_elasticache_serverless_cache",
            DataStoreKind::ElastiCache,
        )
    },
    StoreShape {
        engine_key: Some("engine"),
        default_engine: Some("redis"),
        security_groups: "security_group_ids",
        subnet_group: Some("subnet_group_name"),
        ..shape("aws_memorydb_cluster", DataStoreKind::MemoryDb)
    },
    StoreShape {
        subnet_group: Some("cluster_subnet_group_name"),
        public_key: Some("publicly_accessible"),
        ..shape("aws_redshift_cluster", DataStoreKind::Redshift)
    },
    StoreShape {
        block: Some("vpc_options"),
        security_groups: "security_group_ids",
        subnets: Some("subnet_ids"),
        port_key: None,
        ..shape("aws_opensearch_domain", DataStoreKind::OpenSearch)
    },
    StoreShape {
        block: Some("vpc_options"),
        security_groups: "security_group_ids",
        subnets: Some("subnet_ids"),
        port_key: None,
        ..shape("aws_elasticsearch_domain", DataStoreKind::OpenSearch)
    },
    StoreShape {
        subnet_group: Some("db_subnet_group_name"),
        ..shape("aws_docdb_cluster", DataStoreKind::DocumentDb)
    },
    StoreShape {
        subnet_group: Some("neptune_subnet_group_name"),
        ..shape("aws_neptune_cluster", DataStoreKind::Neptune)
    },
    StoreShape {
        security_groups: "security_group_ids",
        subnet_group: Some("subnet_group_name"),
        port_key: None,
        ..shape("aws_dax_cluster", DataStoreKind::Dax)
    },
];

const SUBNET_GROUPS: [&str; 7] = [
    "aws_db_subnet_group",
    "aws_elasticache_subnet_group",
    "aws_memorydb_subnet_group",
    "aws_redshift_subnet_group",
    "aws_docdb_subnet_group",
    "aws_neptune_subnet_group",
    "aws_dax_subnet_group",
];

const SG: &[&str] = &["aws_security_group"];

/// The types this module reads, for the HCL evaluator's list of modelled
/// types.
pub(in crate::terraform) fn is_network_type(rtype: &str) -> bool {
    rtype == "aws_vpc_security_group_ingress_rule"
        || rtype == "aws_rds_cluster_instance"
        || STORES.iter().any(|s| s.rtype == rtype)
        || SUBNET_GROUPS.contains(&rtype)
}

/// Elements of type `types` a list names; anything else by its text, or
/// unknown. A list the module does not determine is one unknown entry
/// (or the elements its expression names); a single value is a one-item
/// list.
fn ref_list(v: Option<&V>, types: &[&str]) -> Vec<Ref> {
    match v {
        None => Vec::new(),
        Some(v) if v.is_null() => Vec::new(),
        Some(v) => match &v.kind {
            Val::List(items) => items.iter().map(|i| link(i, types, None)).collect(),
            _ => vec![link(v, types, None)],
        },
    }
}

/// Every data store of the module, with the subnets of the subnet group it
/// names.
pub(super) fn data_stores(dep: &mut Deployment, resources: &[Res]) {
    point_members_at_clusters(dep, resources);
    // Subnet group address and name → its subnets.
    let mut groups: HashMap<&str, Vec<Ref>> = HashMap::default();
    let mut group_names: HashMap<&str, &str> = HashMap::default();
    for r in resources
        .iter()
        .filter(|r| !is_data(r) && SUBNET_GROUPS.contains(&r.rtype.as_str()))
    {
        groups.insert(&r.addr, ref_list(r.body.get("subnet_ids"), &["aws_subnet"]));
        if let Some(name) = r.body.get("name").and_then(V::as_str) {
            group_names.insert(name, &r.addr);
        }
    }
    for r in resources.iter().filter(|r| !is_data(r)) {
        let Some(shape) = STORES.iter().find(|s| s.rtype == r.rtype) else {
            continue;
        };
        let b = &r.body;
        // A member of a replication group: the group is the store.
        if r.rtype == "aws_elasticache_cluster" && b.get("replication_group_id").is_some() {
            continue;
        }
        let (engine, port) = shape.kind.engine_and_port(
            shape.engine_key.map(|k| field_str(b.get(k))),
            shape.default_engine,
            shape.port_key.map(|k| field_i64(b.get(k))),
            r.loc,
        );
        let holder = match shape.block {
            Some(name) => first_block(b, name),
            None => Some(b),
        };
        let mut subnets = match (holder, shape.subnets) {
            (Some(h), Some(key)) => ref_list(h.get(key), &["aws_subnet"]),
            _ => Vec::new(),
        };
        if let Some(group) = shape.subnet_group.and_then(|k| b.get(k)) {
            let addr = match &group.kind {
                Val::Ref { addr, .. } if SUBNET_GROUPS.iter().any(|t| super::is_type(addr, t)) => {
                    Some(addr.as_str())
                }
                Val::Str(name) => group_names.get(name.as_str()).copied(),
                _ => None,
            };
            match addr.and_then(|a| groups.get(a)) {
                Some(listed) => subnets.extend(listed.iter().cloned()),
                // A group outside the module: its subnets are not known.
                None if !group.is_null() => subnets.push(Ref::Unknown),
                None => {}
            }
        }
        let security_groups = holder
            .map(|h| ref_list(h.get(shape.security_groups), SG))
            .unwrap_or_default();
        dep.data_stores.push(DataStore {
            id: r.addr.clone(),
            loc: r.loc,
            kind: shape.kind,
            engine,
            port,
            security_groups,
            subnets,
            publicly_accessible: shape
                .public_key
                .map_or(Field::Absent, |k| field_bool(b.get(k))),
            ignores: Vec::new(),
        });
    }
}

/// A function's references to an instance of a cluster
/// (`aws_rds_cluster_instance`) name the cluster, which is the store.
fn point_members_at_clusters(dep: &mut Deployment, resources: &[Res]) {
    let clusters: HashMap<&str, String> = resources
        .iter()
        .filter(|r| !is_data(r) && r.rtype == "aws_rds_cluster_instance")
        .filter_map(|r| {
            match link(
                r.body.get("cluster_identifier")?,
                &["aws_rds_cluster"],
                None,
            ) {
                Ref::Local(cluster) => Some((r.addr.as_str(), cluster)),
                _ => None,
            }
        })
        .collect();
    if clusters.is_empty() {
        return;
    }
    for r in dep
        .functions
        .iter_mut()
        .flat_map(|f| f.internal_refs.iter_mut())
    {
        if let Some(cluster) = r.element.as_deref().and_then(|e| clusters.get(e)) {
            r.element = Some(cluster.clone());
        }
    }
}

/// `sg_rules` plus one rule per security group the rule names in
/// `peer_keys` (`self = true` names `own`). The CIDR-less rule `sg_rules`
/// adds for a rule without CIDRs is what these rules replace.
pub(super) fn sg_rules_with_peers(
    rule: &V,
    cidr_keys: &[&str],
    protocol_key: &str,
    peer_keys: &[&str],
    own: &str,
    out: &mut Vec<SgRule>,
) {
    let start = out.len();
    sg_rules(rule, cidr_keys, protocol_key, out);
    let mut peers: Vec<(Ref, Loc)> = Vec::new();
    for key in peer_keys {
        let Some(v) = rule.get(key).filter(|v| !v.is_null()) else {
            continue;
        };
        match &v.kind {
            Val::List(items) => {
                peers.extend(items.iter().map(|i| (link(i, SG, None), i.loc)));
            }
            _ => peers.push((link(v, SG, None), v.loc)),
        }
    }
    if let Some(v) = rule.get("self") {
        match v.as_bool() {
            Some(true) => peers.push((Ref::Local(own.to_string()), v.loc)),
            Some(false) => {}
            None if v.is_null() => {}
            None => peers.push((Ref::Unknown, v.loc)),
        }
    }
    if peers.is_empty() {
        return;
    }
    if out.len() == start + 1 && out[start].cidr.is_absent() {
        out.truncate(start);
    }
    let protocol = field_str(rule.get(protocol_key));
    let from_port = field_i64(rule.get("from_port"));
    let to_port = field_i64(rule.get("to_port"));
    for (peer, loc) in peers {
        out.push(SgRule {
            loc,
            cidr: Field::Absent,
            peer_group: Some(peer),
            protocol: protocol.clone(),
            from_port: from_port.clone(),
            to_port: to_port.clone(),
            implicit: false,
        });
    }
}

/// A rule the module does not determine (a `dynamic` block, a computed
/// list): it may admit anything, which only ever makes a reach possible.
fn unknown_rule(loc: Loc) -> SgRule {
    SgRule {
        loc,
        cidr: Field::Unknown(loc),
        peer_group: Some(Ref::Unknown),
        protocol: Field::Unknown(loc),
        from_port: Field::Unknown(loc),
        to_port: Field::Unknown(loc),
        implicit: false,
    }
}

/// The `ingress` blocks of an `aws_security_group`.
pub(super) fn inline_ingress(r: &Res) -> Vec<SgRule> {
    let mut out = Vec::new();
    match r.body.get("ingress") {
        Some(v) if !v.is_known() => out.push(unknown_rule(v.loc)),
        Some(v) => {
            for rule in v.items() {
                match rule.kind {
                    Val::Map(_) => sg_rules_with_peers(
                        rule,
                        &["cidr_blocks", "ipv6_cidr_blocks"],
                        "protocol",
                        &["security_groups"],
                        &r.addr,
                        &mut out,
                    ),
                    Val::Null => {}
                    _ => out.push(unknown_rule(rule.loc)),
                }
            }
        }
        None => {}
    }
    out
}

/// Which list of its group a standalone rule joins.
#[derive(Clone, Copy)]
pub(super) enum Direction {
    Ingress,
    Egress,
}

/// `aws_security_group_rule` of the given `type` and
/// `aws_vpc_security_group_{ingress,egress}_rule`, added to the group they
/// name (whose position `sg_pos` gives).
pub(super) fn standalone_rules(
    dep: &mut Deployment,
    resources: &[Res],
    sg_pos: &HashMap<String, usize>,
    direction: Direction,
) {
    let (kind, vpc_rule_type) = match direction {
        Direction::Ingress => ("ingress", "aws_vpc_security_group_ingress_rule"),
        Direction::Egress => ("egress", "aws_vpc_security_group_egress_rule"),
    };
    for r in resources.iter().filter(|r| !is_data(r)) {
        let b = &r.body;
        let (keys, proto, peers): (&[&str], &str, &[&str]) = match r.rtype.as_str() {
            "aws_security_group_rule" => {
                if b.get("type").and_then(V::as_str) != Some(kind) {
                    continue;
                }
                (
                    &["cidr_blocks", "ipv6_cidr_blocks"],
                    "protocol",
                    &["source_security_group_id"],
                )
            }
            t if t == vpc_rule_type => (
                &["cidr_ipv4", "cidr_ipv6"],
                "ip_protocol",
                &["referenced_security_group_id"],
            ),
            _ => continue,
        };
        let Some(Val::Ref { addr, .. }) = b.get("security_group_id").map(|v| &v.kind) else {
            continue;
        };
        let Some(&pos) = sg_pos.get(addr) else {
            continue;
        };
        let mut rules = Vec::new();
        sg_rules_with_peers(b, keys, proto, peers, addr, &mut rules);
        for rule in rules.iter_mut() {
            if rule.loc.line == 0 || rule.loc == b.loc {
                rule.loc = r.loc;
            }
        }
        let group = &mut dep.security_groups[pos];
        match direction {
            Direction::Ingress => group.ingress.extend(rules),
            Direction::Egress => group.egress.extend(rules),
        }
    }
}
