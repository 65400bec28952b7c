//! Checks of area `NET`: network placement and egress of functions
//! (guide §3.3.1, §3.3.4, §2.1).

use crate::{Ctx, Raw};
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Area, Field, RuleMeta, Severity};
use fnguard_model::{Ref, SgRule};

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-NET-001",
        area: Area::Net,
        severity: Severity::Low,
        guide: &["3.3.1", "2.2"],
        attack: &["T1041", "T1090"],
        title_en: "Function not attached to a VPC",
        title_zh: "函数未接入 VPC",
        description_en: "The function has no VpcConfig, so it runs in the Lambda service network with unrestricted \
internet egress that no security group, network ACL, NAT or DNS firewall of yours can control. Reported at medium \
when the function uses internal resources (databases, caches) that should then be reachable from outside the VPC. \
Lambda@Edge functions (execution role trusted by edgelambda.amazonaws.com) are not reported: they cannot be attached to a VPC.",
        description_zh: "该函数没有 VpcConfig，运行在 Lambda 服务网络中，可不受限制地访问互联网，您的安全组、网络 ACL、NAT 或 DNS 防火墙都无法控制。\
若函数使用内部资源（数据库、缓存），则按“中”报告，因为这些资源此时必须能从 VPC 外部访问。\
Lambda@Edge 函数（执行角色信任 edgelambda.amazonaws.com）不报告：它们无法接入 VPC。",
        risk_en: "Compromised code can send data and credentials anywhere (exfiltration, C2 relay, guide §2.1); \
internal resources the function uses must be exposed beyond a private network.",
        risk_zh: "被攻陷的代码可以把数据和凭证发送到任何地方（数据外泄、C2 中继，指南 §2.1）；函数使用的内部资源不得不暴露到私有网络之外。",
        remediation_en: "Attach the function to private subnets with VpcConfig (SubnetIds, SecurityGroupIds), route its \
egress through a NAT gateway with an allowlist (Route 53 Resolver DNS Firewall or AWS Network Firewall), and use VPC \
endpoints for AWS services. The execution role then also needs AWSLambdaVPCAccessExecutionRole permissions. \
Where: CloudFormation/SAM `VpcConfig` (`SubnetIds`, `SecurityGroupIds`) of the function; Serverless `provider.vpc` or `functions.<name>.vpc` (`subnetIds`, `securityGroupIds`); Terraform `vpc_config { subnet_ids, security_group_ids }` of `aws_lambda_function`.",
        remediation_zh: "通过 VpcConfig（SubnetIds、SecurityGroupIds）将函数接入私有子网，使其出站流量经由带允许列表的 NAT 网关\
（Route 53 Resolver DNS Firewall 或 AWS Network Firewall），并为 AWS 服务使用 VPC 终端节点。执行角色还需具备 \
AWSLambdaVPCAccessExecutionRole 中的权限。\
位置：CloudFormation/SAM 函数的 `VpcConfig`（`SubnetIds`、`SecurityGroupIds`）；Serverless 的 `provider.vpc` 或 `functions.<name>.vpc`（`subnetIds`、`securityGroupIds`）；Terraform 中 `aws_lambda_function` 的 `vpc_config { subnet_ids, security_group_ids }`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html",
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall.html",
        ],
    },
    RuleMeta {
        id: "FG-NET-002",
        area: Area::Net,
        severity: Severity::Medium,
        guide: &["3.3.4", "3.3.1", "2.1"],
        attack: &["T1041", "T1090", "T1071"],
        title_en: "Function security group allows all egress to the internet",
        title_zh: "函数安全组允许所有出站流量访问互联网",
        description_en: "A security group attached to a function allows outbound traffic on all protocols (or all TCP \
ports) to 0.0.0.0/0 or ::/0. CloudFormation adds exactly such a rule to an AWS::EC2::SecurityGroup that omits \
SecurityGroupEgress, so an omitted egress list is reported too.",
        description_zh: "附加到函数的安全组允许所有协议（或全部 TCP 端口）的出站流量访问 0.0.0.0/0 或 ::/0。\
若 AWS::EC2::SecurityGroup 省略 SecurityGroupEgress，CloudFormation 会自动添加这样一条规则，因此省略出站列表的情况也会报告。",
        risk_en: "Code running in the function (an injected payload, a poisoned dependency) can connect to any host on \
any port: data exfiltration, C2 channels, and use of the function as a proxy.",
        risk_zh: "函数中运行的代码（注入的载荷、被投毒的依赖）可以连接任意主机的任意端口：数据外泄、C2 通道，以及把函数当作代理使用。",
        remediation_en: "Replace the allow-all rule with explicit egress: HTTPS (443) to the prefix lists of the VPC \
endpoints or the NAT path the function needs, database ports to the database security group. Enforce domain \
allowlists with Route 53 Resolver DNS Firewall (or `fnguard dns serve`). \
Where: CloudFormation `SecurityGroupEgress` of `AWS::EC2::SecurityGroup` (declare it explicitly: omitting it means allow all) or `AWS::EC2::SecurityGroupEgress` resources, under `resources.Resources` with the Serverless Framework; Terraform `egress` blocks of `aws_security_group` or `aws_security_group_rule` / `aws_vpc_security_group_egress_rule`.",
        remediation_zh: "用明确的出站规则替换全部放行规则：仅允许到函数所需 VPC 终端节点前缀列表或 NAT 路径的 HTTPS（443），\
以及到数据库安全组的数据库端口。用 Route 53 Resolver DNS Firewall（或 `fnguard dns serve`）强制执行域名允许列表。\
位置：CloudFormation 中 `AWS::EC2::SecurityGroup` 的 `SecurityGroupEgress`（需显式声明：省略即全部放行）或 `AWS::EC2::SecurityGroupEgress` 资源，Serverless Framework 中写在 `resources.Resources` 下；Terraform 中 `aws_security_group` 的 `egress` 块或 `aws_security_group_rule` / `aws_vpc_security_group_egress_rule`。",
        references: &[
            "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html",
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall.html",
        ],
    },
];

/// True when the rule lets everything out to the whole internet. Unknown
/// parts never make it true.
fn allows_all_egress(rule: &SgRule) -> bool {
    let open_cidr = rule.cidr.as_deref().is_some_and(crate::reach::is_open);
    if !open_cidr {
        return false;
    }
    let Some(protocol) = rule.protocol.as_deref() else {
        return false;
    };
    let protocol = protocol.trim().to_ascii_lowercase();
    if matches!(protocol.as_str(), "-1" | "all") {
        return true;
    }
    let all_tcp_ports = matches!(protocol.as_str(), "tcp" | "6")
        && matches!(rule.from_port, Field::Known(0, _))
        && matches!(rule.to_port, Field::Known(65535, _));
    all_tcp_ports
}

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let edge = crate::iam::edge_functions(ctx.dep);
    // Security group id → functions using it, in first-use order.
    let mut users: HashMap<&str, Vec<&str>> = HashMap::default();
    let mut order: Vec<&str> = Vec::new();
    // (group, function) pairs already recorded: a function may list a group
    // twice, and one group may serve thousands of functions.
    let mut seen: HashSet<(&str, &str)> = HashSet::default();
    for function in &ctx.dep.functions {
        match &function.vpc {
            // Lambda@Edge cannot be attached to a VPC.
            _ if edge.contains(function.id.as_str()) => {}
            Field::Absent => report_no_vpc(ctx, function, out),
            // Empty lists are how Terraform and the Lambda API detach a
            // function from its VPC.
            Field::Known(vpc, _) if vpc.subnets.is_empty() && vpc.security_groups.is_empty() => {
                report_no_vpc(ctx, function, out)
            }
            Field::Known(vpc, _) => {
                for sg in &vpc.security_groups {
                    if let Ref::Local(id) = sg {
                        let entry = users.entry(id.as_str()).or_default();
                        if entry.is_empty() {
                            order.push(id.as_str());
                        }
                        if seen.insert((id.as_str(), function.id.as_str())) {
                            entry.push(function.id.as_str());
                        }
                    }
                }
            }
            Field::Unknown(_) => {}
        }
    }
    let rule = &RULES[1];
    let by_id: HashMap<&str, &fnguard_model::SecurityGroup> = ctx
        .dep
        .security_groups
        .iter()
        .map(|sg| (sg.id.as_str(), sg))
        .collect();
    for sg_id in order {
        let Some(sg) = by_id.get(sg_id) else {
            continue;
        };
        let Some(open) = sg.egress.iter().find(|r| allows_all_egress(r)) else {
            continue;
        };
        let functions = users
            .get(sg_id)
            .map(|f| crate::iam::list_names(f))
            .unwrap_or_default();
        let (why_en, why_zh) = if open.implicit {
            (
                " CloudFormation adds allow-all egress when SecurityGroupEgress is omitted.",
                "省略 SecurityGroupEgress 时 CloudFormation 会添加全部放行的出站规则。",
            )
        } else {
            ("", "")
        };
        let cidr = open.cidr.as_deref().unwrap_or("0.0.0.0/0");
        let message = ctx.text(|| format!("Security group `{sg_id}` of function(s) {functions} allows all outbound traffic to `{cidr}`.{why_en}"), || format!("函数 {functions} 的安全组 `{sg_id}` 允许所有出站流量访问 `{cidr}`。{why_zh}"));
        let loc = if open.implicit { sg.loc } else { open.loc };
        let finding = ctx.finding(rule, sg_id, loc, message, "egress");
        out.push(Raw {
            finding,
            element_loc: sg.loc,
            element_ignores: sg.ignores.clone(),
        });
    }
}

fn report_no_vpc(ctx: &Ctx, function: &fnguard_model::Function, out: &mut Vec<Raw>) {
    let rule = &RULES[0];
    let mut finding = if function.internal_refs.is_empty() {
        let message = ctx.text(
            || {
                [
                    "Function ",
                    &function.id,
                    " is not attached to a VPC: its egress cannot be restricted.",
                ]
                .concat()
            },
            || ["函数 ", &function.id, " 未接入 VPC：无法限制其出站流量。"].concat(),
        );
        ctx.finding(rule, &function.id, function.loc, message, "")
    } else {
        let what: Vec<&str> = function
            .internal_refs
            .iter()
            .map(|r| r.what.as_str())
            .collect();
        let what = what.join(", ");
        let message = ctx.text(|| format!("Function {} is not attached to a VPC although it uses internal resources ({what}): they must be reachable from outside a private network.", function.id), || format!("函数 {} 未接入 VPC，但使用了内部资源（{what}）：这些资源必须能从私有网络之外访问。", function.id));
        ctx.finding(rule, &function.id, function.loc, message, "")
            .with_severity(Severity::Medium)
    };
    for internal in &function.internal_refs {
        finding = finding.with_related(
            ctx.src(internal.loc),
            ctx.text(
                || format!("uses {}", internal.what),
                || format!("使用 {}", internal.what),
            ),
        );
    }
    out.push(Raw {
        finding,
        element_loc: function.loc,
        element_ignores: function.ignores.clone(),
    });
}
