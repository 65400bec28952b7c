//! Network reach in CloudFormation: data stores (databases, caches, search
//! domains) with their security groups, subnets and port, and the inbound
//! rules and peer groups of security groups.

use super::{as_text, has_placeholder, ignores, int_field, sg_rule, str_field, Builder, Res};
use crate::model::*;
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Field, Node};

/// Where one store type keeps what reach needs.
struct StoreShape {
    ty: &'static str,
    kind: DataStoreKind,
    /// Engine as written; `None` when the type has one engine only.
    engine_key: Option<&'static str>,
    /// The engine the service assumes when `engine_key` is not set.
    default_engine: Option<&'static str>,
    security_groups: &'static [&'static str],
    /// Subnets listed on the store itself (serverless caches, domains).
    subnets: &'static [&'static str],
    /// Property naming a subnet group (by `Ref` or by name).
    subnet_group: Option<&'static str>,
    port_key: Option<&'static str>,
    public_key: Option<&'static str>,
}

const STORES: &[StoreShape] = &[
    StoreShape {
        ty: "AWS::RDS::DBInstance",
        kind: DataStoreKind::Rds,
        engine_key: Some("Engine"),
        default_engine: None,
        security_groups: &["VPCSecurityGroups"],
        subnets: &[],
        subnet_group: Some("DBSubnetGroupName"),
        port_key: Some("Port"),
        public_key: Some("PubliclyAccessible"),
    },
    StoreShape {
        ty: "AWS::RDS::DBCluster",
        kind: DataStoreKind::Rds,
        engine_key: Some("Engine"),
        default_engine: None,
        security_groups: &["VpcSecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("DBSubnetGroupName"),
        port_key: Some("Port"),
        public_key: Some("PubliclyAccessible"),
    },
    // Functions often connect through a proxy rather than to the database.
    StoreShape {
        ty: "AWS::RDS::DBProxy",
        kind: DataStoreKind::Rds,
        engine_key: Some("EngineFamily"),
        default_engine: None,
        security_groups: &["VpcSecurityGroupIds"],
        subnets: &["VpcSubnetIds"],
        subnet_group: None,
        port_key: None,
        public_key: None,
    },
    StoreShape {
        ty: "AWS::ElastiCache::CacheCluster",
        kind: DataStoreKind::ElastiCache,
        engine_key: Some("Engine"),
        default_engine: None,
        security_groups: &["VpcSecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("CacheSubnetGroupName"),
        port_key: Some("Port"),
        public_key: None,
    },
    StoreShape {
        ty: "AWS::ElastiCache::ReplicationGroup",
        kind: DataStoreKind::ElastiCache,
        engine_key: Some("Engine"),
        default_engine: Some("redis"),
        security_groups: &["SecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("CacheSubnetGroupName"),
        port_key: Some("Port"),
        public_key: None,
    },
    StoreShape {
        ty: "AWS::ElastiCache::ServerlessCache",
        kind: DataStoreKind::ElastiCache,
        engine_key: Some("Engine"),
        default_engine: None,
        security_groups: &["SecurityGroupIds"],
        subnets: &["SubnetIds"],
        subnet_group: None,
        port_key: None,
        public_key: None,
    },
    StoreShape {
        ty: "AWS::MemoryDB::Cluster",
        kind: DataStoreKind::MemoryDb,
        engine_key: Some("Engine"),
        default_engine: Some("redis"),
        security_groups: &["SecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("SubnetGroupName"),
        port_key: Some("Port"),
        public_key: None,
    },
    StoreShape {
        ty: "AWS::Redshift::Cluster",
        kind: DataStoreKind::Redshift,
        engine_key: None,
        default_engine: None,
        security_groups: &["VpcSecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("ClusterSubnetGroupName"),
        port_key: Some("Port"),
        public_key: Some("PubliclyAccessible"),
    },
    StoreShape {
        ty: "AWS::OpenSearchService::Domain",
        kind: DataStoreKind::OpenSearch,
        engine_key: None,
        default_engine: None,
        security_groups: &["VPCOptions", "SecurityGroupIds"],
        subnets: &["VPCOptions", "SubnetIds"],
        subnet_group: None,
        port_key: None,
        public_key: None,
    },
    StoreShape {
        ty: "AWS::Elasticsearch::Domain",
        kind: DataStoreKind::OpenSearch,
        engine_key: None,
        default_engine: None,
        security_groups: &["VPCOptions", "SecurityGroupIds"],
        subnets: &["VPCOptions", "SubnetIds"],
        subnet_group: None,
        port_key: None,
        public_key: None,
    },
    StoreShape {
        ty: "AWS::DocDB::DBCluster",
        kind: DataStoreKind::DocumentDb,
        engine_key: None,
        default_engine: None,
        security_groups: &["VpcSecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("DBSubnetGroupName"),
        port_key: Some("Port"),
        public_key: None,
    },
    StoreShape {
        ty: "AWS::Neptune::DBCluster",
        kind: DataStoreKind::Neptune,
        engine_key: None,
        default_engine: None,
        security_groups: &["VpcSecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("DBSubnetGroupName"),
        port_key: Some("Port"),
        public_key: None,
    },
    StoreShape {
        ty: "AWS::DAX::Cluster",
        kind: DataStoreKind::Dax,
        engine_key: None,
        default_engine: None,
        security_groups: &["SecurityGroupIds"],
        subnets: &[],
        subnet_group: Some("SubnetGroupName"),
        port_key: None,
        public_key: None,
    },
];

/// Subnet group types, with the property that names the group.
const SUBNET_GROUPS: [(&str, Option<&str>); 7] = [
    ("AWS::RDS::DBSubnetGroup", Some("DBSubnetGroupName")),
    (
        "AWS::ElastiCache::SubnetGroup",
        Some("CacheSubnetGroupName"),
    ),
    ("AWS::MemoryDB::SubnetGroup", Some("SubnetGroupName")),
    ("AWS::Redshift::ClusterSubnetGroup", None),
    ("AWS::DocDB::DBSubnetGroup", Some("DBSubnetGroupName")),
    ("AWS::Neptune::DBSubnetGroup", Some("DBSubnetGroupName")),
    ("AWS::DAX::SubnetGroup", Some("SubnetGroupName")),
];

/// The types this module reads, for the builder's list of handled types.
pub(super) fn is_network_type(ty: &str) -> bool {
    ty == "AWS::EC2::SecurityGroupIngress"
        || STORES.iter().any(|s| s.ty == ty)
        || SUBNET_GROUPS.iter().any(|(t, _)| *t == ty)
}

const SG: &str = "AWS::EC2::SecurityGroup";
const INGRESS_PEER: &[&str] = &["SourceSecurityGroupId", "SourceSecurityGroupName"];
const EGRESS_PEER: &[&str] = &["DestinationSecurityGroupId"];

impl Builder<'_> {
    /// Local resources of type `ty` a list names; anything else by its
    /// text, or unknown. A list the template does not determine is one
    /// unknown entry; a single value counts as a one-item list.
    fn ref_list(&self, node: Option<&Node>, ty: &str) -> Vec<Ref> {
        match node {
            None => Vec::new(),
            Some(n) if n.is_unknown() => vec![Ref::Unknown],
            Some(n) => n
                .one_or_many()
                .into_iter()
                .map(|n| self.ref_to(n, ty))
                .collect(),
        }
    }

    fn ref_to(&self, n: &Node, ty: &str) -> Ref {
        match self.local_target(n, &[ty]) {
            Some(id) => Ref::Local(id),
            None => match as_text(n) {
                Ok(t) if !has_placeholder(&t) => Ref::External(t),
                _ => Ref::Unknown,
            },
        }
    }

    /// An inline or standalone security-group rule with the group it names
    /// as its peer (`peer_keys`: the source or destination properties).
    fn sg_rule_with_peer(&self, n: &Node, peer_keys: &[&str]) -> SgRule {
        let mut rule = sg_rule(n);
        rule.peer_group = peer_keys
            .iter()
            .find_map(|k| n.get(k))
            .map(|p| self.ref_to(p, SG));
        rule
    }

    pub(super) fn sg_egress_rule(&self, n: &Node) -> SgRule {
        self.sg_rule_with_peer(n, EGRESS_PEER)
    }

    /// `SecurityGroupIngress` of a security group.
    pub(super) fn sg_inline_ingress(&self, x: &Res) -> Vec<SgRule> {
        let Some(list) = x.props.get("SecurityGroupIngress") else {
            return Vec::new();
        };
        if list.is_unknown() {
            return vec![unknown_rule(list.loc)];
        }
        list.one_or_many()
            .into_iter()
            .map(|n| {
                if n.is_unknown() {
                    unknown_rule(n.loc)
                } else {
                    self.sg_rule_with_peer(n, INGRESS_PEER)
                }
            })
            .collect()
    }

    /// `AWS::EC2::SecurityGroupIngress`: a rule of the group in `GroupId`
    /// (`GroupName` in a default VPC).
    pub(super) fn sg_ingress(&mut self, x: &Res) {
        let Some(group) = ["GroupId", "GroupName"]
            .iter()
            .find_map(|k| x.props.get(k))
            .and_then(|n| self.local_target(n, &[SG]))
        else {
            return;
        };
        if let Some(&i) = self.sgs.get(&group) {
            let mut rule = self.sg_rule_with_peer(&x.props, INGRESS_PEER);
            rule.loc = x.loc;
            self.dep.security_groups[i].ingress.push(rule);
        }
    }

    /// The template's cluster an RDS instance belongs to.
    fn cluster_of(&self, x: &Res) -> Option<String> {
        if x.ty != "AWS::RDS::DBInstance" {
            return None;
        }
        x.props
            .get("DBClusterIdentifier")
            .and_then(|n| self.local_target(n, &["AWS::RDS::DBCluster"]))
    }

    /// A function's references to an instance of a cluster name the
    /// cluster, which is the store (run once the references are complete).
    pub(super) fn point_members_at_clusters(&mut self, res: &[Res]) {
        let clusters: HashMap<&str, String> = res
            .iter()
            .filter_map(|x| Some((x.id, self.cluster_of(x)?)))
            .collect();
        if clusters.is_empty() {
            return;
        }
        for r in self
            .dep
            .functions
            .iter_mut()
            .flat_map(|f| f.internal_refs.iter_mut())
        {
            if let Some(cluster) = r.element.as_deref().and_then(|e| clusters.get(e)) {
                r.element = Some(cluster.clone());
            }
        }
    }

    /// Every data store of the template, with the subnets of the subnet
    /// group it names.
    pub(super) fn data_stores(&mut self, res: &[Res]) {
        // Subnet group id and lower-cased name → its subnets.
        let mut groups: HashMap<String, Vec<Ref>> = HashMap::default();
        let mut group_names: HashMap<String, String> = HashMap::default();
        for x in res {
            let Some((_, name_key)) = SUBNET_GROUPS.iter().find(|(t, _)| *t == x.ty) else {
                continue;
            };
            let subnets = self.ref_list(x.props.get("SubnetIds"), "AWS::EC2::Subnet");
            if let Some(name) = name_key
                .and_then(|k| x.props.get(k))
                .and_then(|n| as_text(n).ok())
            {
                group_names.insert(name.to_ascii_lowercase(), x.id.to_string());
            }
            groups.insert(x.id.to_string(), subnets);
        }
        for x in res {
            let Some(shape) = STORES.iter().find(|s| s.ty == x.ty) else {
                continue;
            };
            // An instance of a cluster in the template is the cluster's
            // member: the cluster is the store.
            if self.cluster_of(x).is_some() {
                continue;
            }
            let p = &x.props;
            let (engine, port) = shape.kind.engine_and_port(
                shape.engine_key.map(|k| str_field(p.get(k))),
                shape.default_engine,
                shape.port_key.map(|k| int_field(p.get(k))),
                x.loc,
            );
            let mut subnets = match shape.subnets {
                [] => Vec::new(),
                path => self.ref_list(p.path(path), "AWS::EC2::Subnet"),
            };
            if let Some(group) = shape.subnet_group.and_then(|k| p.get(k)) {
                let id = self
                    .local_target(group, &SUBNET_GROUPS.map(|(t, _)| t))
                    .or_else(|| {
                        let name = as_text(group).ok()?.to_ascii_lowercase();
                        group_names.get(&name).cloned()
                    });
                match id.and_then(|id| groups.get(&id)) {
                    Some(listed) => subnets.extend(listed.iter().cloned()),
                    // A group outside the template: its subnets are not known.
                    None => subnets.push(Ref::Unknown),
                }
            }
            let security_groups = match shape.security_groups {
                [] => Vec::new(),
                path => self.ref_list(p.path(path), SG),
            };
            self.dep.data_stores.push(DataStore {
                id: x.id.to_string(),
                loc: x.loc,
                kind: shape.kind,
                engine,
                port,
                security_groups,
                subnets,
                publicly_accessible: shape
                    .public_key
                    .map_or(Field::Absent, |k| super::bool_field(p.get(k))),
                ignores: ignores(x.raw),
            });
        }
    }
}

/// A rule the template does not determine (a condition, a list parameter):
/// it may admit anything, which only ever makes a reach possible.
fn unknown_rule(loc: fnguard_core::Loc) -> SgRule {
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
