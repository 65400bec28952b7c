mod support;

use fnguard_core::{Field, Severity};
use fnguard_model::{InternalRef, Ref, SecurityGroup, SgRule, VpcConfig};
use support::*;

#[test]
fn function_outside_a_vpc() {
    let mut dep = deployment();
    let mut plain = hardened_function("Plain", 10);
    plain.vpc = Field::Absent;
    let mut with_db = hardened_function("UsesDb", 30);
    with_db.vpc = Field::Absent;
    with_db.internal_refs.push(InternalRef {
        what: "RDS instance OrdersDb".into(),
        loc: loc(40),
        element: None,
    });
    let mut computed = hardened_function("Computed", 50);
    computed.vpc = Field::Unknown(loc(55));
    let mut detached = hardened_function("Detached", 90);
    detached.vpc = known(
        VpcConfig {
            security_groups: Vec::new(),
            subnets: Vec::new(),
        },
        95,
    );
    dep.functions.extend([
        plain,
        with_db,
        computed,
        hardened_function("InVpc", 70),
        detached,
    ]);
    let findings = run(&dep);
    let net = of(&findings, "FG-NET-001");
    assert_eq!(net.len(), 3, "{net:#?}");
    assert_eq!(net[2].resource, "Detached");
    assert_eq!(net[0].resource, "Plain");
    assert_eq!(net[0].severity, Severity::Low);
    assert_eq!(net[1].resource, "UsesDb");
    assert_eq!(net[1].severity, Severity::Medium);
    assert!(net[1].message.en.contains("RDS instance OrdersDb"));
    assert_eq!(net[1].related.len(), 1);
}

fn rule(
    cidr: &str,
    protocol: &str,
    from: Option<i64>,
    to: Option<i64>,
    line: u32,
    implicit: bool,
) -> SgRule {
    SgRule {
        loc: loc(line),
        cidr: s(cidr, line),
        protocol: s(protocol, line),
        from_port: from.map_or(Field::Absent, |p| known(p, line)),
        to_port: to.map_or(Field::Absent, |p| known(p, line)),
        peer_group: None,
        implicit,
    }
}

fn sg(id: &str, line: u32, egress: Vec<SgRule>) -> SecurityGroup {
    SecurityGroup {
        id: id.into(),
        loc: loc(line),
        egress,
        ingress: Vec::new(),
        ignores: Vec::new(),
    }
}

#[test]
fn open_egress_on_function_security_groups() {
    let mut dep = deployment();
    let mut a = hardened_function("A", 10);
    let mut b = hardened_function("B", 20);
    let vpc = |groups: &[&str]| {
        known(
            VpcConfig {
                security_groups: groups.iter().map(|g| Ref::Local(g.to_string())).collect(),
                subnets: Vec::new(),
            },
            15,
        )
    };
    a.vpc = vpc(&["Implicit", "AllTcp", "Https", "Unknown"]);
    b.vpc = vpc(&["Implicit", "Ipv6"]);
    dep.functions.extend([a, b]);
    dep.security_groups.push(sg(
        "Implicit",
        100,
        vec![rule("0.0.0.0/0", "-1", None, None, 100, true)],
    ));
    dep.security_groups.push(sg(
        "AllTcp",
        110,
        vec![rule("0.0.0.0/0", "tcp", Some(0), Some(65535), 112, false)],
    ));
    dep.security_groups.push(sg(
        "Https",
        120,
        vec![rule("0.0.0.0/0", "tcp", Some(443), Some(443), 122, false)],
    ));
    let mut unknown = rule("0.0.0.0/0", "-1", None, None, 132, false);
    unknown.cidr = Field::Unknown(loc(132));
    dep.security_groups.push(sg("Unknown", 130, vec![unknown]));
    dep.security_groups.push(sg(
        "Ipv6",
        140,
        vec![rule("::/0", "all", None, None, 142, false)],
    ));
    // Not used by any function.
    dep.security_groups.push(sg(
        "Unused",
        150,
        vec![rule("0.0.0.0/0", "-1", None, None, 152, false)],
    ));
    let findings = run(&dep);
    let net = of(&findings, "FG-NET-002");
    let ids: Vec<&str> = net.iter().map(|f| f.resource.as_str()).collect();
    assert_eq!(ids, vec!["Implicit", "AllTcp", "Ipv6"]);
    assert!(net[0]
        .message
        .en
        .contains("CloudFormation adds allow-all egress when SecurityGroupEgress is omitted"));
    assert!(
        net[0].message.en.contains("`A`, `B`"),
        "names both functions once"
    );
    assert_eq!(net[1].location.line, 112);
}

/// Lambda@Edge (execution role trusted by edgelambda.amazonaws.com)
/// supports no VPC, DLQ, reserved concurrency or X-Ray: asking for them
/// would be noise nobody can fix. The same function as a regular Lambda
/// gets all four.
#[test]
fn lambda_at_edge_is_not_asked_for_what_it_cannot_have() {
    let trust = |services: &str| {
        fnguard_iam::parse_policy(
            &fnguard_model::yaml::parse(
                &format!(
                    "Statement: [{{Effect: Allow, Principal: {{Service: {services}}}, Action: sts:AssumeRole}}]"
                ),
                0,
                "template.yaml",
            )
            .expect("trust parses"),
        )
    };
    let run_with = |services: &str| {
        let mut dep = deployment();
        let mut role = fnguard_model::Role::new("EdgeRole", loc(200));
        role.trust = Some(trust(services));
        dep.roles.push(role);
        let mut f = hardened_function("Viewer", 10);
        f.role = known(Ref::Local("EdgeRole".into()), 11);
        f.vpc = Field::Absent;
        f.reserved_concurrency = Field::Absent;
        f.tracing = Field::Absent;
        f.dead_letter = Field::Absent;
        f.triggers.push(fnguard_model::Trigger {
            kind: fnguard_model::TriggerKind::Sns,
            loc: loc(30),
            source: Ref::External("arn:aws:sns:us-east-1:111122223333:t".into()),
        });
        dep.functions.push(f);
        let findings = run(&dep);
        let mut rules: Vec<String> = findings
            .iter()
            .filter(|f| ["FG-NET-001", "FG-RT-002", "FG-RT-003", "FG-LOG-003"].contains(&f.rule_id))
            .map(|f| f.rule_id.to_string())
            .collect();
        rules.sort();
        rules
    };
    assert!(
        run_with("[lambda.amazonaws.com, edgelambda.amazonaws.com]").is_empty(),
        "edge function"
    );
    assert_eq!(
        run_with("lambda.amazonaws.com"),
        ["FG-LOG-003", "FG-NET-001", "FG-RT-002", "FG-RT-003"]
    );
}
