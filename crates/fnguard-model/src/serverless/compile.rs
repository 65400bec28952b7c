//! The resolved service → a CloudFormation template, following what the
//! framework's AWS provider packages (logical ids included), so that the
//! CloudFormation loader builds the model and findings point back at
//! serverless.yml.

use super::build::{
    alphanumeric, boolean, capitalise, concat, fnguard_metadata, get_att, list, merge_into,
    normalise_function, normalise_path_segment, reference, resource, sub, text, texts, Obj,
};
use crate::model::{LoadWarning, SELF_REGION};
use fnguard_core::doc::MapEntry;
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Loc, Node, NodeKind};

const DEFAULT_ROLE: &str = "IamRoleLambdaExecution";
const REST_API: &str = "ApiGatewayRestApi";
const HTTP_API: &str = "HttpApi";
const WEBSOCKET_API: &str = "WebsocketsApi";
const VPC_ACCESS_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole";

/// Generated resources in emission order, addressable by logical id.
#[derive(Default)]
struct Resources {
    order: Vec<String>,
    by_id: HashMap<String, Node>,
}

impl Resources {
    fn add(&mut self, id: String, node: Node) {
        if self.by_id.insert(id.clone(), node).is_none() {
            self.order.push(id);
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }
}

/// The CORS preflight of one REST resource path, merged over every `http`
/// event on that path that enables `cors` (as the framework merges them).
struct Preflight {
    api: Node,
    resource: Node,
    loc: Loc,
    origins: Vec<Node>,
    headers: Option<Node>,
    methods: Vec<String>,
    credentials: Option<Node>,
    max_age: Option<Node>,
}

/// A bucket or user pool several events attach to.
struct Shared {
    loc: Loc,
    name: Node,
    entries: Vec<Node>,
}

pub(crate) struct Compiler<'a> {
    svc: &'a Node,
    provider: &'a Node,
    service: Node,
    stage: Node,
    out: Resources,
    pub(crate) warnings: Vec<LoadWarning>,
    user_resources: HashSet<String>,
    function_keys: HashSet<String>,
    default_role_extra: Vec<Node>,
    default_role_users: usize,
    default_role_vpc: bool,
    rest_resources: HashSet<String>,
    /// By REST resource path suffix (`OrdersIdVar`), in first-seen order.
    preflights: Vec<(String, Preflight)>,
    preflight_index: HashMap<String, usize>,
    buckets: Vec<(String, Shared)>,
    user_pools: Vec<(String, Shared)>,
}

impl<'a> Compiler<'a> {
    pub(crate) fn new(svc: &'a Node, null: &'a Node, service: Node, stage: Node) -> Self {
        let provider = svc.get("provider").unwrap_or(null);
        let user_resources = svc
            .path(&["resources", "Resources"])
            .and_then(Node::as_map)
            .map(|entries| entries.iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        Compiler {
            svc,
            provider,
            service,
            stage,
            out: Resources::default(),
            warnings: Vec::new(),
            user_resources,
            function_keys: HashSet::default(),
            default_role_extra: Vec::new(),
            default_role_users: 0,
            default_role_vpc: false,
            rest_resources: HashSet::default(),
            preflights: Vec::new(),
            preflight_index: HashMap::default(),
            buckets: Vec::new(),
            user_pools: Vec::new(),
        }
    }

    fn warn(&mut self, loc: Loc, message: impl Into<String>) {
        self.warnings.push(LoadWarning {
            loc,
            message: message.into(),
        });
    }

    fn prov(&self, path: &[&str]) -> Option<&'a Node> {
        self.provider.path(path).filter(|n| !n.is_null())
    }

    /// `provider.apiGateway.X`, also accepted at the provider's top level
    /// (framework v1/v2 spelling).
    fn api_gateway_setting(&self, key: &str) -> Option<&'a Node> {
        self.prov(&["apiGateway", key])
            .or_else(|| self.prov(&[key]))
    }

    pub(crate) fn compile(mut self) -> (Node, Vec<LoadWarning>) {
        let functions = self.function_entries();
        self.function_keys = functions.iter().map(|(k, _, _)| k.to_string()).collect();
        for (key, key_loc, node) in &functions {
            self.compile_function(key, *key_loc, node);
        }
        self.compile_layers();
        self.finish_shared();
        self.finish_preflights();
        if self.default_role_users > 0 {
            self.compile_default_role();
        }
        let template = self.merge_user_resources();
        (template, self.warnings)
    }

    /// `functions:` as a map, or a list of maps (file includes).
    fn function_entries(&mut self) -> Vec<(&'a str, Loc, &'a Node)> {
        let mut found = Vec::new();
        let Some(functions) = self.svc.get("functions") else {
            return found;
        };
        let mut groups = Vec::new();
        match &functions.kind {
            NodeKind::Map(_) => groups.push(functions),
            NodeKind::Seq(items) => groups.extend(items.iter()),
            NodeKind::Null => {}
            _ => self.warn(
                functions.loc,
                "functions: not a map of functions (unresolved include?); functions not loaded",
            ),
        }
        for group in groups {
            match group.as_map() {
                Some(entries) => {
                    for entry in entries {
                        found.push((entry.key.as_str(), entry.key_loc, &entry.value));
                    }
                }
                None => self.warn(
                    group.loc,
                    "functions list entry is not a map (unresolved ${file()}?); skipped",
                ),
            }
        }
        found
    }

    fn compile_function(&mut self, key: &str, key_loc: Loc, f: &Node) {
        if f.as_map().is_none() {
            let why = match &f.kind {
                NodeKind::Unknown(why) => format!(": {why}"),
                _ => String::new(),
            };
            self.warn(
                key_loc,
                format!("function `{key}` is not a map{why}; skipped"),
            );
            return;
        }
        let loc = key_loc;
        let norm = normalise_function(key);
        let fn_id = format!("{norm}LambdaFunction");
        let name = match f.get("name") {
            Some(name) => name.clone(),
            None => concat(
                &[
                    &self.service,
                    &text("-", loc),
                    &self.stage,
                    &text(format!("-{key}"), loc),
                ],
                loc,
            ),
        };

        // A function's properties rarely exceed 16 keys.
        let mut props = Obj::with_capacity(16, loc).set("FunctionName", name.clone());
        let mut code_path = None;
        if let Some(image) = f.get("image") {
            props.put("PackageType", text("Image", image.loc));
            let uri = match &image.kind {
                NodeKind::Map(_) => image
                    .get("uri")
                    .cloned()
                    .unwrap_or_else(|| Node::unknown("image built by the framework", image.loc)),
                _ => image.clone(),
            };
            props.put("Code", Obj::new(image.loc).set("ImageUri", uri).build());
        } else {
            props.put(
                "Handler",
                f.get("handler")
                    .cloned()
                    .unwrap_or_else(|| Node::unknown("handler not set", loc)),
            );
            let runtime = f
                .get("runtime")
                .or_else(|| self.prov(&["runtime"]))
                .cloned()
                .unwrap_or_else(|| {
                    Node::unknown(
                        "runtime not set: the framework's default depends on its version",
                        loc,
                    )
                });
            props.put("Runtime", runtime);
            let path = self.code_location(f, loc);
            code_path = Some(path.clone());
            props.put(
                "Code",
                Obj::new(loc)
                    .set("S3Bucket", reference("ServerlessDeploymentBucket", loc))
                    .set("S3Key", path)
                    .build(),
            );
        }

        let (role, role_kind) = self.function_role(key, f, loc);
        props.put("Role", role);

        if let Some(env) = self.environment(f, loc) {
            props.put("Environment", Obj::new(loc).set("Variables", env).build());
        }
        let vpc = f.get("vpc").or_else(|| self.prov(&["vpc"]));
        if let Some(vpc) = vpc.filter(|v| !v.is_null()) {
            let mut cfg = Obj::new(vpc.loc);
            if vpc.is_unknown() {
                cfg.put("SecurityGroupIds", vpc.clone());
                cfg.put("SubnetIds", vpc.clone());
            } else {
                if let Some(groups) = vpc.get("securityGroupIds") {
                    cfg.put("SecurityGroupIds", groups.clone());
                }
                if let Some(subnets) = vpc.get("subnetIds") {
                    cfg.put("SubnetIds", subnets.clone());
                }
            }
            if !cfg.is_empty() {
                props.put("VpcConfig", cfg.build());
                if matches!(role_kind, RoleKind::Default) {
                    self.default_role_vpc = true;
                }
            }
        }
        if let Some(layers) = f.get("layers").or_else(|| self.prov(&["layers"])) {
            props.put("Layers", layers.clone());
        }
        if let Some(mode) = self.tracing_mode(
            f.get("tracing")
                .or_else(|| self.prov(&["tracing", "lambda"])),
        ) {
            props.put(
                "TracingConfig",
                Obj::new(mode.loc).set("Mode", mode).build(),
            );
        }
        if let Some(reserved) = f.get("reservedConcurrency") {
            props.put("ReservedConcurrentExecutions", reserved.clone());
        }
        if let Some(dlq) = f.get("onError") {
            props.put(
                "DeadLetterConfig",
                Obj::new(dlq.loc).set("TargetArn", dlq.clone()).build(),
            );
        }
        if let Some(kms) = f.get("kmsKeyArn").or_else(|| self.prov(&["kmsKeyArn"])) {
            props.put("KmsKeyArn", kms.clone());
        }
        let log_format = f
            .path(&["logs", "logFormat"])
            .or_else(|| self.prov(&["logs", "lambda", "logFormat"]));
        if let Some(format) = log_format {
            props.put(
                "LoggingConfig",
                Obj::new(format.loc)
                    .set("LogFormat", format.clone())
                    .build(),
            );
        }

        let mut metadata = vec![("name", text(key, loc))];
        if let Some(path) = code_path {
            metadata.push(("code", path));
        }
        let function = Obj::with_capacity(3, loc)
            .set("Type", text("AWS::Lambda::Function", loc))
            .set("Properties", props.build())
            .set("Metadata", fnguard_metadata(metadata, loc))
            .build();
        self.out.add(fn_id.clone(), function);

        if !f
            .get("disableLogs")
            .and_then(Node::as_bool)
            .unwrap_or(false)
        {
            self.log_group(&norm, &name, f, loc);
        }
        self.destinations(&norm, &fn_id, f, loc);
        self.function_url(&norm, &fn_id, f);
        self.alerts(&norm, &fn_id, f, loc);

        let mut extra_statements = Vec::new();
        if let Some(events) = f.get("events") {
            match &events.kind {
                NodeKind::Seq(items) => {
                    let mut counters = HashMap::default();
                    for item in items {
                        self.compile_event(
                            key,
                            &norm,
                            &fn_id,
                            item,
                            &mut counters,
                            &mut extra_statements,
                        );
                    }
                }
                NodeKind::Null => {}
                _ => self.warn(
                    events.loc,
                    format!("events of `{key}` are not a list; skipped"),
                ),
            }
        }
        match role_kind {
            RoleKind::Default => self.default_role_extra.extend(extra_statements),
            RoleKind::PerFunction => {
                self.per_function_role(key, &norm, f, loc, extra_statements, vpc.is_some())
            }
            RoleKind::Own => {}
        }
    }

    /// What the framework deploys as the function's code, as a code
    /// location: the function's `package.artifact`, else the service's,
    /// else the service folder `.`, which it packs whole, with or without
    /// `package.individually` (its `patterns` only leave files out).
    fn code_location(&self, f: &Node, loc: Loc) -> Node {
        match f
            .path(&["package", "artifact"])
            .or_else(|| self.svc.path(&["package", "artifact"]))
        {
            Some(artifact) => artifact_location(artifact),
            None => text(".", loc),
        }
    }

    /// Top-level `layers:` as the framework compiles them: an
    /// `AWS::Lambda::LayerVersion` `<Name>LambdaLayer` each (what functions
    /// `Ref`), published as `name` or the layer's key, its content the
    /// layer's `package.artifact` else its `path` folder.
    fn compile_layers(&mut self) {
        let Some(layers) = self.svc.get("layers") else {
            return;
        };
        let entries = match &layers.kind {
            NodeKind::Map(entries) => entries,
            NodeKind::Null => return,
            _ => {
                self.warn(
                    layers.loc,
                    "layers: not a map of layers (unresolved include?); layers not loaded",
                );
                return;
            }
        };
        for entry in entries {
            let (key, loc, layer) = (entry.key.as_str(), entry.key_loc, &entry.value);
            if layer.as_map().is_none() {
                self.warn(loc, format!("layer `{key}` is not a map; skipped"));
                continue;
            }
            let content = match layer
                .path(&["package", "artifact"])
                .or_else(|| layer.get("path"))
            {
                Some(content) => artifact_location(content),
                None => {
                    self.warn(
                        loc,
                        format!("layer `{key}` has neither `path` nor `package.artifact`"),
                    );
                    Node::new(NodeKind::Null, loc)
                }
            };
            let mut props = Obj::with_capacity(6, loc)
                .set(
                    "Content",
                    Obj::new(loc)
                        .set("S3Bucket", reference("ServerlessDeploymentBucket", loc))
                        .set("S3Key", content.clone())
                        .build(),
                )
                .set(
                    "LayerName",
                    layer.get("name").cloned().unwrap_or_else(|| text(key, loc)),
                );
            for (from, to) in [
                ("description", "Description"),
                ("compatibleRuntimes", "CompatibleRuntimes"),
                ("compatibleArchitectures", "CompatibleArchitectures"),
                ("licenseInfo", "LicenseInfo"),
            ] {
                if let Some(value) = layer.get(from) {
                    props.put(to, value.clone());
                }
            }
            let resource = Obj::with_capacity(3, loc)
                .set("Type", text("AWS::Lambda::LayerVersion", loc))
                .set("Properties", props.build())
                .set(
                    "Metadata",
                    fnguard_metadata(vec![("name", text(key, loc)), ("code", content)], loc),
                )
                .build();
            self.out
                .add(format!("{}LambdaLayer", normalise_function(key)), resource);
        }
    }

    fn environment(&mut self, f: &Node, loc: Loc) -> Option<Node> {
        let provider_env = self.prov(&["environment"]);
        let own_env = f.get("environment").filter(|n| !n.is_null());
        let mut merged: Vec<MapEntry> = Vec::new();
        for env in [provider_env, own_env].into_iter().flatten() {
            match &env.kind {
                NodeKind::Map(entries) => {
                    for entry in entries {
                        match merged.iter_mut().find(|e| e.key == entry.key) {
                            Some(existing) => *existing = entry.clone(),
                            None => merged.push(entry.clone()),
                        }
                    }
                }
                NodeKind::Unknown(why) => {
                    let why = why.clone();
                    self.warn(
                        env.loc,
                        format!("environment not resolved ({why}); its variables are unknown"),
                    );
                }
                _ => {}
            }
        }
        if merged.is_empty() {
            return None;
        }
        Some(Node::new(
            NodeKind::Map(merged),
            own_env.or(provider_env).map_or(loc, |n| n.loc),
        ))
    }

    fn tracing_mode(&self, setting: Option<&Node>) -> Option<Node> {
        let setting = setting?;
        let mode = match &setting.kind {
            NodeKind::Bool(true) => "Active",
            NodeKind::Bool(false) => "PassThrough",
            NodeKind::Str(s) if s.eq_ignore_ascii_case("active") || s == "true" => "Active",
            NodeKind::Str(s) if s.eq_ignore_ascii_case("passthrough") || s == "false" => {
                "PassThrough"
            }
            NodeKind::Unknown(_) => return Some(setting.clone()),
            _ => return None,
        };
        Some(text(mode, setting.loc))
    }

    /// The role a function runs with, and which kind it is.
    fn function_role(&mut self, key: &str, f: &Node, loc: Loc) -> (Node, RoleKind) {
        if let Some(role) = f.get("role") {
            return (self.role_reference(role), RoleKind::Own);
        }
        if per_function_statements(f).is_some() {
            let id = format!("{}IamRoleLambdaExecution", normalise_function(key));
            return (get_att(&id, "Arn", loc), RoleKind::PerFunction);
        }
        if let Some(role) = self.provider_role_reference() {
            return (self.role_reference(role), RoleKind::Own);
        }
        self.default_role_users += 1;
        (get_att(DEFAULT_ROLE, "Arn", loc), RoleKind::Default)
    }

    /// `provider.iam.role` (or legacy `provider.role`) when it names an
    /// existing role rather than configuring the generated one.
    fn provider_role_reference(&self) -> Option<&'a Node> {
        let role = self
            .prov(&["iam", "role"])
            .or_else(|| self.prov(&["role"]))?;
        let is_reference = match &role.kind {
            NodeKind::Str(_) | NodeKind::Unknown(_) | NodeKind::Tagged(..) => true,
            NodeKind::Map(entries) => entries
                .iter()
                .any(|e| e.key == "Ref" || e.key.starts_with("Fn::")),
            _ => false,
        };
        is_reference.then_some(role)
    }

    /// An ARN stays as is, a name is a logical id in `resources`, an
    /// intrinsic passes through.
    fn role_reference(&self, role: &Node) -> Node {
        match &role.kind {
            NodeKind::Str(s) if !s.starts_with("arn:") => get_att(s, "Arn", role.loc),
            _ => role.clone(),
        }
    }

    fn compile_default_role(&mut self) {
        let role_cfg = self.prov(&["iam", "role"]).filter(|r| r.as_map().is_some());
        // Point at the key the user wrote (`role:` / `iamRoleStatements:`).
        let loc = key_loc(self.provider.get("iam"), "role")
            .filter(|_| role_cfg.is_some())
            .or_else(|| key_loc(Some(self.provider), "iamRoleStatements"))
            .or_else(|| key_loc(Some(self.svc), "provider"))
            .unwrap_or(self.provider.loc);
        let statements = role_cfg
            .and_then(|r| r.get("statements"))
            .or_else(|| self.prov(&["iamRoleStatements"]));
        let managed = role_cfg
            .and_then(|r| r.get("managedPolicies"))
            .or_else(|| self.prov(&["iamManagedPolicies"]));
        let boundary = role_cfg
            .and_then(|r| r.get("permissionsBoundary"))
            .or_else(|| self.prov(&["rolePermissionsBoundary"]));
        let role_name = role_cfg
            .and_then(|r| r.get("name"))
            .cloned()
            .unwrap_or_else(|| {
                // The framework names it `<service>-<stage>-<region>-lambdaRole`
                // with `Ref: AWS::Region`: the region the files give, else
                // whichever one the deploy uses.
                let region = self
                    .provider
                    .get("region")
                    .cloned()
                    .unwrap_or_else(|| text(SELF_REGION, loc));
                concat(
                    &[
                        &self.service,
                        &text("-", loc),
                        &self.stage,
                        &text("-", loc),
                        &region,
                        &text("-lambdaRole", loc),
                    ],
                    loc,
                )
            });
        let extra = std::mem::take(&mut self.default_role_extra);
        let vpc = self.default_role_vpc;
        let role = self.role_resource(loc, role_name, statements, extra, managed, boundary, vpc);
        self.out.add(DEFAULT_ROLE.to_string(), role);
    }

    /// serverless-iam-roles-per-function: a role of the function's own.
    fn per_function_role(
        &mut self,
        key: &str,
        norm: &str,
        f: &Node,
        loc: Loc,
        extra: Vec<Node>,
        vpc: bool,
    ) {
        let own = per_function_statements(f);
        let mut statements = Vec::new();
        if let Some(own) = own {
            statements.extend(statement_items(own));
        }
        let inherit = f
            .get("iamRoleStatementsInherit")
            .and_then(Node::as_bool)
            .unwrap_or(false);
        if inherit {
            let provider_statements = self
                .prov(&["iam", "role", "statements"])
                .or_else(|| self.prov(&["iamRoleStatements"]));
            if let Some(inherited) = provider_statements {
                statements.extend(statement_items(inherited));
            }
        }
        let statements = list(statements, own.map_or(loc, |n| n.loc));
        let managed = f
            .path(&["iam", "role", "managedPolicies"])
            .or_else(|| f.get("iamManagedPolicies"));
        let boundary = f.path(&["iam", "role", "permissionsBoundary"]);
        let role_name = f
            .path(&["iam", "role", "name"])
            .or_else(|| f.get("iamRoleStatementsName"))
            .cloned()
            .unwrap_or_else(|| self.per_function_role_name(key, loc));
        let role = self.role_resource(
            own.map_or(loc, |n| n.loc),
            role_name,
            Some(&statements),
            extra,
            managed,
            boundary,
            vpc,
        );
        self.out.add(format!("{norm}IamRoleLambdaExecution"), role);
    }

    /// The name serverless-iam-roles-per-function gives a function's role:
    /// `<service>-<stage>-<function>-<region>-lambdaRole`, without
    /// `-lambdaRole` (newer versions) when that exceeds IAM's 64 characters,
    /// and no role (a failed deploy) beyond. The region is `Ref:
    /// AWS::Region`, whose length the plugin takes from `provider.region`;
    /// without one the name is known only when it fits with the longest
    /// region name.
    fn per_function_role_name(&self, function: &str, loc: Loc) -> Node {
        const LONGEST_REGION: usize = "ap-southeast-1".len();
        const SUFFIX: &str = "-lambdaRole";
        let unknown = || Node::unknown("per-function role name chosen by the plugin", loc);
        let (Some(service), Some(stage)) = (self.service.scalar_text(), self.stage.scalar_text())
        else {
            return unknown();
        };
        let (region, region_len) = match self.provider.get("region") {
            None => (SELF_REGION.into(), LONGEST_REGION),
            Some(node) => match node.scalar_text() {
                Some(region) => {
                    let len = region.len();
                    (region, len)
                }
                None => return unknown(),
            },
        };
        let base = format!("{service}-{stage}-{function}-{region}");
        let base_len = service.len() + stage.len() + function.len() + region_len + 3;
        if base_len + SUFFIX.len() <= 64 {
            text(format!("{base}{SUFFIX}"), loc)
        } else if base_len <= 64 && self.provider.get("region").is_some() {
            text(base, loc)
        } else {
            unknown()
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn role_resource(
        &self,
        loc: Loc,
        role_name: Node,
        statements: Option<&Node>,
        extra: Vec<Node>,
        managed: Option<&Node>,
        boundary: Option<&Node>,
        vpc: bool,
    ) -> Node {
        let trust = Obj::new(loc)
            .set("Version", text("2012-10-17", loc))
            .set(
                "Statement",
                list(
                    vec![Obj::new(loc)
                        .set("Effect", text("Allow", loc))
                        .set(
                            "Principal",
                            Obj::new(loc)
                                .set("Service", texts(&["lambda.amazonaws.com"], loc))
                                .build(),
                        )
                        .set("Action", texts(&["sts:AssumeRole"], loc))
                        .build()],
                    loc,
                ),
            )
            .build();
        let log_prefix = match (self.service.as_str(), self.stage.as_str()) {
            (Some(service), Some(stage)) => format!("{service}-{stage}*"),
            _ => "*".to_string(),
        };
        let log_arn = |suffix: &str| {
            sub(
                format!(
                    "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{log_prefix}{suffix}"
                ),
                loc,
            )
        };
        let mut all = vec![
            statement(
                &[
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "logs:TagResource",
                ],
                vec![log_arn(":*")],
                loc,
            ),
            statement(&["logs:PutLogEvents"], vec![log_arn(":*:*")], loc),
        ];
        if let Some(statements) = statements {
            all.extend(statement_items(statements));
        }
        all.extend(extra);
        let policy_name = concat(
            &[
                &self.service,
                &text("-", loc),
                &self.stage,
                &text("-lambda", loc),
            ],
            loc,
        );
        let policy = Obj::new(loc)
            .set("PolicyName", policy_name)
            .set(
                "PolicyDocument",
                Obj::new(loc)
                    .set("Version", text("2012-10-17", loc))
                    .set("Statement", list(all, loc))
                    .build(),
            )
            .build();
        let mut managed_arns: Vec<Node> = match managed {
            Some(node) => match &node.kind {
                NodeKind::Seq(items) => items.clone(),
                _ => vec![node.clone()],
            },
            None => Vec::new(),
        };
        if vpc {
            managed_arns.push(text(VPC_ACCESS_POLICY, loc));
        }
        let props = Obj::new(loc)
            .set("AssumeRolePolicyDocument", trust)
            .set("Policies", list(vec![policy], loc))
            .set("Path", text("/", loc))
            .set("RoleName", role_name)
            .set_opt(
                "ManagedPolicyArns",
                (!managed_arns.is_empty()).then(|| list(managed_arns, loc)),
            )
            .set_opt("PermissionsBoundary", boundary.cloned())
            .build();
        resource("AWS::IAM::Role", props, true, loc)
    }

    /// serverless-plugin-aws-alerts: CloudWatch alarms per function from
    /// `custom.alerts.alarms` and the function's own `alarms`.
    fn alerts(&mut self, norm: &str, fn_id: &str, f: &Node, loc: Loc) {
        let uses_plugin = plugin_names(self.svc).contains(&"serverless-plugin-aws-alerts");
        let Some(config) = self.svc.path(&["custom", "alerts"]).filter(|_| uses_plugin) else {
            return;
        };
        if let Some(stages) = config.get("stages").and_then(Node::as_seq) {
            // An unknown stage keeps the alarms: better a missed finding
            // than a false "no alarm".
            if let Some(stage) = self.stage.as_str() {
                if !stages.iter().any(|s| s.as_str() == Some(stage)) {
                    return;
                }
            }
        }
        let mut wanted: Vec<(String, bool, Loc)> = Vec::new();
        let lists = [config.get("alarms"), f.get("alarms")];
        for list in lists.into_iter().flatten() {
            for item in list.as_seq().unwrap_or_default() {
                let (name, enabled) = match &item.kind {
                    NodeKind::Str(name) => (name.clone(), true),
                    NodeKind::Map(_) => match item.get("name").and_then(Node::as_str) {
                        Some(name) => (
                            name.to_string(),
                            item.get("enabled").and_then(Node::as_bool).unwrap_or(true),
                        ),
                        None => continue,
                    },
                    _ => continue,
                };
                match wanted.iter_mut().find(|(n, _, _)| *n == name) {
                    Some(existing) => existing.1 = enabled,
                    None => wanted.push((name, enabled, item.loc)),
                }
            }
        }
        for (name, enabled, alarm_loc) in wanted {
            if !enabled {
                continue;
            }
            let custom = config.path(&["definitions", name.as_str()]);
            let metric = match name.as_str() {
                "functionErrors" => Some(text("Errors", alarm_loc)),
                "functionThrottles" => Some(text("Throttles", alarm_loc)),
                "functionDuration" => Some(text("Duration", alarm_loc)),
                "functionInvocations" => Some(text("Invocations", alarm_loc)),
                _ => None,
            };
            let metric = custom.and_then(|d| d.get("metric")).cloned().or(metric);
            let Some(metric) = metric else { continue };
            let namespace = custom
                .and_then(|d| d.get("namespace"))
                .cloned()
                .unwrap_or_else(|| text("AWS/Lambda", alarm_loc));
            let dimension = Obj::new(alarm_loc)
                .set("Name", text("FunctionName", alarm_loc))
                .set("Value", reference(fn_id, alarm_loc))
                .build();
            let props = Obj::new(alarm_loc)
                .set("Namespace", namespace)
                .set("MetricName", metric)
                .set("Dimensions", list(vec![dimension], alarm_loc))
                .build();
            self.out.add(
                format!("{norm}{}Alarm", capitalise(&name)),
                resource("AWS::CloudWatch::Alarm", props, true, loc),
            );
        }
    }

    fn log_group(&mut self, norm: &str, function_name: &Node, f: &Node, loc: Loc) {
        let name = concat(&[&text("/aws/lambda/", loc), function_name], loc);
        // serverless-plugin-log-retention predates `logRetentionInDays`.
        let plugin_retention = self
            .svc
            .path(&["custom", "logRetentionInDays"])
            .filter(|_| plugin_names(self.svc).contains(&"serverless-plugin-log-retention"));
        let retention = f
            .get("logRetentionInDays")
            .or_else(|| self.prov(&["logRetentionInDays"]))
            .or(plugin_retention)
            .cloned();
        let props = Obj::new(loc)
            .set("LogGroupName", name)
            .set_opt("RetentionInDays", retention)
            .build();
        // Named after the function, so the loader links the two even when
        // both names are unknown (e.g. a service name read from a file).
        let group = Obj::new(loc)
            .set("Type", text("AWS::Logs::LogGroup", loc))
            .set("Properties", props)
            .set(
                "Metadata",
                fnguard_metadata(
                    vec![
                        ("implicit", boolean(true, loc)),
                        ("function", text(format!("{norm}LambdaFunction"), loc)),
                    ],
                    loc,
                ),
            )
            .build();
        self.out.add(format!("{norm}LogGroup"), group);
    }

    /// A destination: an ARN, a function of this service, or `{type, arn}`.
    fn destination(&self, node: &Node) -> Node {
        match &node.kind {
            NodeKind::Str(s)
                if !s.starts_with("arn:") && self.function_keys.contains(s.as_str()) =>
            {
                get_att(
                    &format!("{}LambdaFunction", normalise_function(s)),
                    "Arn",
                    node.loc,
                )
            }
            NodeKind::Map(_) if node.get("arn").is_some() => {
                node.get("arn").cloned().unwrap_or_else(|| node.clone())
            }
            _ => node.clone(),
        }
    }

    fn destinations(&mut self, norm: &str, fn_id: &str, f: &Node, loc: Loc) {
        let destinations = f.get("destinations");
        let retries = f.get("maximumRetryAttempts");
        let age = f.get("maximumEventAge");
        if destinations.is_none() && retries.is_none() && age.is_none() {
            return;
        }
        let mut config = Obj::new(destinations.map_or(loc, |d| d.loc));
        if let Some(destinations) = destinations {
            for (key, cfn_key) in [("onFailure", "OnFailure"), ("onSuccess", "OnSuccess")] {
                if let Some(target) = destinations.get(key) {
                    config.put(
                        cfn_key,
                        Obj::new(target.loc)
                            .set("Destination", self.destination(target))
                            .build(),
                    );
                }
            }
        }
        let props = Obj::new(loc)
            .set("FunctionName", reference(fn_id, loc))
            .set("Qualifier", text("$LATEST", loc))
            .set_opt(
                "DestinationConfig",
                (!config.is_empty()).then(|| config.build()),
            )
            .set_opt("MaximumRetryAttempts", retries.cloned())
            .set_opt("MaximumEventAgeInSeconds", age.cloned())
            .build();
        self.out.add(
            format!("{norm}LambdaEvConf"),
            resource("AWS::Lambda::EventInvokeConfig", props, true, loc),
        );
    }

    fn function_url(&mut self, norm: &str, fn_id: &str, f: &Node) {
        let Some(url) = f.get("url") else { return };
        if url.as_bool() == Some(false) || url.is_null() {
            return;
        }
        let loc = url.loc;
        let auth = match url.get("authorizer") {
            _ if url.is_unknown() => url.clone(),
            Some(a) if a.is_unknown() => a.clone(),
            Some(a)
                if a.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("aws_iam")) =>
            {
                text("AWS_IAM", a.loc)
            }
            _ => text("NONE", loc),
        };
        let cors = url.get("cors").and_then(|c| cors_config(c, CorsStyle::Url));
        let props = Obj::new(loc)
            .set("AuthType", auth.clone())
            .set("TargetFunctionArn", get_att(fn_id, "Arn", loc))
            .set_opt("Cors", cors)
            .set_opt("InvokeMode", url.get("invokeMode").cloned())
            .build();
        self.out.add(
            format!("{fn_id}Url"),
            resource("AWS::Lambda::Url", props, true, loc),
        );
        if auth.as_str() == Some("NONE") {
            let props = Obj::new(loc)
                .set("Action", text("lambda:InvokeFunctionUrl", loc))
                .set("FunctionName", get_att(fn_id, "Arn", loc))
                .set("Principal", text("*", loc))
                .set("FunctionUrlAuthType", text("NONE", loc))
                .build();
            self.out.add(
                format!("{norm}LambdaPermissionFnUrl"),
                resource("AWS::Lambda::Permission", props, true, loc),
            );
        }
    }

    fn permission(
        &mut self,
        id: String,
        fn_id: &str,
        principal: &str,
        source_arn: Option<Node>,
        loc: Loc,
    ) {
        let props = Obj::new(loc)
            .set("FunctionName", get_att(fn_id, "Arn", loc))
            .set("Action", text("lambda:InvokeFunction", loc))
            .set("Principal", text(principal, loc))
            .set_opt("SourceArn", source_arn)
            .build();
        self.out
            .add(id, resource("AWS::Lambda::Permission", props, true, loc));
    }

    #[allow(clippy::too_many_arguments)]
    fn compile_event(
        &mut self,
        key: &str,
        norm: &str,
        fn_id: &str,
        item: &Node,
        counters: &mut HashMap<&'static str, usize>,
        statements: &mut Vec<Node>,
    ) {
        let Some(entry) = item.as_map().and_then(|entries| entries.first()) else {
            let why = match &item.kind {
                NodeKind::Unknown(why) => format!(" ({why})"),
                _ => String::new(),
            };
            self.warn(
                item.loc,
                format!("event of `{key}` is not a map{why}; skipped"),
            );
            return;
        };
        let ev = &entry.value;
        let loc = entry.key_loc;
        let mut next = |kind: &'static str| {
            let n = counters.entry(kind).or_insert(0);
            *n += 1;
            *n
        };
        match entry.key.as_str() {
            "http" => self.http_event(key, norm, fn_id, ev, loc),
            "httpApi" => self.http_api_event(norm, fn_id, ev, loc),
            "websocket" => self.websocket_event(norm, fn_id, ev, loc),
            "sqs" => {
                let arn = ev.get("arn").unwrap_or(ev).clone();
                let name = source_name(&arn, next("sqs"));
                statements.push(statement(
                    &[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                    ],
                    vec![arn.clone()],
                    loc,
                ));
                self.event_source_mapping(
                    format!("{norm}EventSourceMappingSQS{name}"),
                    fn_id,
                    arn,
                    ev,
                    loc,
                );
            }
            "stream" => {
                let arn = ev.get("arn").unwrap_or(ev).clone();
                let kind = stream_kind(ev, &arn);
                let name = source_name(&arn, next("stream"));
                let actions: &[&str] = if kind == "Dynamodb" {
                    &[
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:DescribeStream",
                        "dynamodb:ListStreams",
                    ]
                } else {
                    &[
                        "kinesis:GetRecords",
                        "kinesis:GetShardIterator",
                        "kinesis:DescribeStream",
                        "kinesis:ListStreams",
                    ]
                };
                statements.push(statement(actions, vec![arn.clone()], loc));
                self.event_source_mapping(
                    format!("{norm}EventSourceMapping{kind}{name}"),
                    fn_id,
                    arn,
                    ev,
                    loc,
                );
            }
            "msk" | "kafka" | "activemq" | "rabbitmq" => {
                let arn = ev
                    .get("arn")
                    .or_else(|| ev.get("broker"))
                    .cloned()
                    .unwrap_or_else(|| Node::unknown("event source not given as an ARN", loc));
                let n = next("broker");
                self.event_source_mapping(
                    format!("{norm}EventSourceMapping{}{n}", capitalise(&entry.key)),
                    fn_id,
                    arn,
                    ev,
                    loc,
                );
            }
            "s3" => self.s3_event(norm, fn_id, ev, loc),
            "sns" => self.sns_event(norm, fn_id, ev, loc, next("sns")),
            "schedule" => self.schedule_event(key, norm, fn_id, ev, loc, next("schedule")),
            "eventBridge" => {
                self.event_bridge_event(key, norm, fn_id, ev, loc, next("eventBridge"))
            }
            "cloudwatchEvent" => {
                self.event_bridge_event(key, norm, fn_id, ev, loc, next("eventBridge"))
            }
            "cloudwatchLog" => {
                let n = next("cloudwatchLog");
                let group = ev.get("logGroup").unwrap_or(ev).clone();
                let filter_id = format!("{norm}LogsSubscriptionFilterCloudWatchLog{n}");
                let props = Obj::new(loc)
                    .set("DestinationArn", get_att(fn_id, "Arn", loc))
                    .set(
                        "FilterPattern",
                        ev.get("filter").cloned().unwrap_or_else(|| text("", loc)),
                    )
                    .set("LogGroupName", group.clone())
                    .build();
                self.out.add(
                    filter_id,
                    resource("AWS::Logs::SubscriptionFilter", props, true, loc),
                );
                let arn = concat(
                    &[
                        &text(
                            "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:",
                            loc,
                        ),
                        &group,
                        &text(":*", loc),
                    ],
                    loc,
                );
                let arn = if arn.is_unknown() {
                    arn
                } else {
                    sub(arn.as_str().unwrap_or_default().to_string(), loc)
                };
                self.permission(
                    format!("{norm}LambdaPermissionLogsSubscriptionFilterCloudWatchLog{n}"),
                    fn_id,
                    "logs.amazonaws.com",
                    Some(arn),
                    loc,
                );
            }
            "iot" => {
                let n = next("iot");
                let rule_id = format!("{norm}IotTopicRule{n}");
                let enabled = ev.get("enabled").and_then(Node::as_bool).unwrap_or(true);
                let payload = Obj::new(loc)
                    .set(
                        "Sql",
                        ev.get("sql")
                            .cloned()
                            .unwrap_or_else(|| Node::unknown("sql not set", loc)),
                    )
                    .set("RuleDisabled", boolean(!enabled, loc))
                    .set(
                        "Actions",
                        list(
                            vec![Obj::new(loc)
                                .set(
                                    "Lambda",
                                    Obj::new(loc)
                                        .set("FunctionArn", get_att(fn_id, "Arn", loc))
                                        .build(),
                                )
                                .build()],
                            loc,
                        ),
                    )
                    .build();
                let props = Obj::new(loc)
                    .set_opt("RuleName", ev.get("name").cloned())
                    .set("TopicRulePayload", payload)
                    .build();
                self.out.add(
                    rule_id.clone(),
                    resource("AWS::IoT::TopicRule", props, true, loc),
                );
                self.permission(
                    format!("{norm}LambdaPermissionIotTopicRule{n}"),
                    fn_id,
                    "iot.amazonaws.com",
                    Some(get_att(&rule_id, "Arn", loc)),
                    loc,
                );
            }
            "cognitoUserPool" => self.cognito_event(norm, fn_id, ev, loc),
            "alexaSkill" | "alexaSmartHome" => {
                let n = next("alexa");
                let (principal, label) = if entry.key == "alexaSkill" {
                    ("alexa-appkit.amazonaws.com", "AlexaSkill")
                } else {
                    ("alexa-connectedhome.amazonaws.com", "AlexaSmartHome")
                };
                let app_id = match &ev.kind {
                    NodeKind::Map(_) => ev.get("appId").cloned(),
                    NodeKind::Null => None,
                    _ => Some(ev.clone()),
                };
                let props = Obj::new(loc)
                    .set("FunctionName", get_att(fn_id, "Arn", loc))
                    .set("Action", text("lambda:InvokeFunction", loc))
                    .set("Principal", text(principal, loc))
                    .set_opt("EventSourceToken", app_id)
                    .build();
                self.out.add(
                    format!("{norm}LambdaPermission{label}{n}"),
                    resource("AWS::Lambda::Permission", props, true, loc),
                );
            }
            "alb" => {
                let n = next("alb");
                self.permission(
                    format!("{norm}LambdaPermissionAlb{n}"),
                    fn_id,
                    "elasticloadbalancing.amazonaws.com",
                    None,
                    loc,
                );
            }
            other => {
                let other = other.to_string();
                self.warn(
                    loc,
                    format!("event type `{other}` of `{key}` is not modelled; skipped"),
                );
            }
        }
    }

    fn event_source_mapping(&mut self, id: String, fn_id: &str, arn: Node, ev: &Node, loc: Loc) {
        let mut props = Obj::new(loc)
            .set("EventSourceArn", arn)
            .set("FunctionName", get_att(fn_id, "Arn", loc))
            .set_opt("BatchSize", ev.get("batchSize").cloned())
            .set_opt("Enabled", ev.get("enabled").cloned())
            .set_opt("StartingPosition", ev.get("startingPosition").cloned());
        if let Some(on_failure) = ev.path(&["destinations", "onFailure"]) {
            let target = on_failure.get("arn").unwrap_or(on_failure).clone();
            props.put(
                "DestinationConfig",
                Obj::new(on_failure.loc)
                    .set(
                        "OnFailure",
                        Obj::new(on_failure.loc).set("Destination", target).build(),
                    )
                    .build(),
            );
        }
        self.out.add(
            id,
            resource("AWS::Lambda::EventSourceMapping", props.build(), true, loc),
        );
    }

    fn ensure_rest_api(&mut self, loc: Loc) -> Node {
        if let Some(external) = self.api_gateway_setting("restApiId") {
            return external.clone();
        }
        if self.out.contains(REST_API) {
            return reference(REST_API, loc);
        }
        let endpoint = self
            .prov(&["endpointType"])
            .and_then(Node::as_str)
            .map_or_else(|| "EDGE".to_string(), str::to_ascii_uppercase);
        let policy = self
            .api_gateway_setting("resourcePolicy")
            .map(|statements| {
                Obj::new(statements.loc)
                    .set("Version", text("2012-10-17", statements.loc))
                    .set("Statement", statements.clone())
                    .build()
            });
        let name = self
            .prov(&["apiName"])
            .or_else(|| self.prov(&["apiGateway", "restApiName"]))
            .cloned()
            .unwrap_or_else(|| concat(&[&self.stage, &text("-", loc), &self.service], loc));
        let props = Obj::new(loc)
            .set("Name", name)
            .set(
                "EndpointConfiguration",
                Obj::new(loc).set("Types", texts(&[&endpoint], loc)).build(),
            )
            .set_opt("Policy", policy)
            .build();
        self.out.add(
            REST_API.to_string(),
            resource("AWS::ApiGateway::RestApi", props, true, loc),
        );
        self.rest_stage(loc);
        self.waf_association(loc);
        self.usage_plans(loc);
        reference(REST_API, loc)
    }

    fn rest_stage(&mut self, loc: Loc) {
        let mut settings: Option<Obj> = None;
        let mut props = Obj::new(loc)
            .set("RestApiId", reference(REST_API, loc))
            .set("StageName", self.stage.clone())
            .set("DeploymentId", reference("ApiGatewayDeployment", loc));
        if let Some(tracing) = self.prov(&["tracing", "apiGateway"]) {
            props.put("TracingEnabled", tracing.clone());
        }
        if let Some(logs) = self.prov(&["logs", "restApi"]) {
            // Unresolved settings count as on: "access logging disabled"
            // must never rest on a value the scan cannot see.
            let enabled = logs
                .as_bool()
                .unwrap_or(logs.as_map().is_some() || logs.is_unknown());
            let access = logs
                .get("accessLogging")
                .and_then(Node::as_bool)
                .unwrap_or(true);
            if enabled && access {
                let group = "ApiGatewayLogGroup";
                let name = concat(
                    &[
                        &text("/aws/api-gateway/", loc),
                        &self.service,
                        &text("-", loc),
                        &self.stage,
                    ],
                    loc,
                );
                let retention = self.prov(&["logRetentionInDays"]).cloned();
                let group_props = Obj::new(logs.loc)
                    .set("LogGroupName", name)
                    .set_opt("RetentionInDays", retention)
                    .build();
                self.out.add(
                    group.to_string(),
                    resource("AWS::Logs::LogGroup", group_props, true, logs.loc),
                );
                let format = logs.get("format").cloned().unwrap_or_else(|| {
                    text(r#"requestId: $context.requestId, ip: $context.identity.sourceIp, requestTime: $context.requestTime, httpMethod: $context.httpMethod, resourcePath: $context.resourcePath, status: $context.status"#, logs.loc)
                });
                props.put(
                    "AccessLogSetting",
                    Obj::new(logs.loc)
                        .set("DestinationArn", get_att(group, "Arn", logs.loc))
                        .set("Format", format)
                        .build(),
                );
            }
            let execution = logs
                .get("executionLogging")
                .and_then(Node::as_bool)
                .unwrap_or(enabled);
            if enabled && execution {
                let level = logs
                    .get("level")
                    .cloned()
                    .unwrap_or_else(|| text("INFO", logs.loc));
                let full = logs
                    .get("fullExecutionData")
                    .cloned()
                    .unwrap_or_else(|| boolean(true, logs.loc));
                settings = Some(
                    Obj::new(logs.loc)
                        .set("HttpMethod", text("*", logs.loc))
                        .set("ResourcePath", text("/*", logs.loc))
                        .set("LoggingLevel", level)
                        .set("DataTraceEnabled", full),
                );
            }
        }
        // serverless-api-gateway-throttling: stage-wide limits.
        let throttling = self
            .svc
            .path(&["custom", "apiGatewayThrottling"])
            .filter(|_| plugin_names(self.svc).contains(&"serverless-api-gateway-throttling"));
        if let Some(throttling) = throttling {
            let tloc = throttling.loc;
            let mut obj = settings.take().unwrap_or_else(|| {
                Obj::new(tloc)
                    .set("HttpMethod", text("*", tloc))
                    .set("ResourcePath", text("/*", tloc))
            });
            if let Some(rate) = throttling.get("maxRequestsPerSecond") {
                obj.put("ThrottlingRateLimit", rate.clone());
            }
            if let Some(burst) = throttling.get("maxConcurrentRequests") {
                obj.put("ThrottlingBurstLimit", burst.clone());
            }
            settings = Some(obj);
        }
        if let Some(settings) = settings {
            props.put("MethodSettings", list(vec![settings.build()], loc));
        }
        self.out.add(
            "ApiGatewayStage".to_string(),
            resource("AWS::ApiGateway::Stage", props.build(), true, loc),
        );
    }

    /// serverless-associate-waf: the stage is associated with a web ACL
    /// (the plugin does it through the SDK; modelled as the association).
    fn waf_association(&mut self, loc: Loc) {
        let Some(config) = self
            .svc
            .path(&["custom", "associateWaf"])
            .filter(|_| plugin_names(self.svc).contains(&"serverless-associate-waf"))
        else {
            return;
        };
        let wloc = config.loc;
        let acl = config
            .get("arn")
            .or_else(|| config.get("name"))
            .cloned()
            .unwrap_or_else(|| Node::unknown("web ACL not named", wloc));
        let stage = match self.stage.as_str() {
            Some(stage) => stage.to_string(),
            None => "*".to_string(),
        };
        let props = Obj::new(wloc)
            .set(
                "ResourceArn",
                sub(
                    format!("arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{REST_API}}}/stages/{stage}"),
                    wloc,
                ),
            )
            .set("WebACLArn", acl)
            .build();
        self.out.add(
            "ApiGatewayWafAssociation".to_string(),
            resource("AWS::WAFv2::WebACLAssociation", props, true, loc),
        );
    }

    fn usage_plans(&mut self, loc: Loc) {
        let keys = self.api_gateway_setting("apiKeys");
        let plan = self.api_gateway_setting("usagePlan");
        if keys.is_none() && plan.is_none() {
            return;
        }
        let mut plans: Vec<(String, Option<&Node>, Loc)> = Vec::new();
        match plan {
            Some(node) if node.as_seq().is_some() => {
                for item in node.as_seq().unwrap_or_default() {
                    if let Some(entry) = item.as_map().and_then(|e| e.first()) {
                        plans.push((
                            format!("ApiGatewayUsagePlan{}", alphanumeric(&entry.key)),
                            Some(&entry.value),
                            entry.key_loc,
                        ));
                    }
                }
            }
            Some(node) => plans.push(("ApiGatewayUsagePlan".into(), Some(node), node.loc)),
            None => plans.push((
                "ApiGatewayUsagePlan".into(),
                None,
                keys.map_or(loc, |k| k.loc),
            )),
        }
        for (id, config, plan_loc) in plans {
            let stage = Obj::new(plan_loc)
                .set("ApiId", reference(REST_API, plan_loc))
                .set("Stage", self.stage.clone())
                .build();
            let throttle = config.and_then(|c| c.get("throttle")).map(|t| {
                Obj::new(t.loc)
                    .set_opt("BurstLimit", t.get("burstLimit").cloned())
                    .set_opt("RateLimit", t.get("rateLimit").cloned())
                    .build()
            });
            let quota = config.and_then(|c| c.get("quota")).map(|q| {
                Obj::new(q.loc)
                    .set_opt("Limit", q.get("limit").cloned())
                    .set_opt("Offset", q.get("offset").cloned())
                    .set_opt("Period", q.get("period").cloned())
                    .build()
            });
            let props = Obj::new(plan_loc)
                .set("ApiStages", list(vec![stage], plan_loc))
                .set_opt("Throttle", throttle)
                .set_opt("Quota", quota)
                .build();
            self.out.add(
                id,
                resource("AWS::ApiGateway::UsagePlan", props, true, plan_loc),
            );
        }
        if let Some(keys) = keys.and_then(Node::as_seq) {
            for (index, key) in keys.iter().enumerate() {
                let name = match &key.kind {
                    NodeKind::Map(_) => key.get("name").cloned(),
                    NodeKind::Str(_) => Some(key.clone()),
                    _ => None,
                };
                let props = Obj::new(key.loc)
                    .set("Enabled", boolean(true, key.loc))
                    .set_opt("Name", name)
                    .set(
                        "StageKeys",
                        list(
                            vec![Obj::new(key.loc)
                                .set("RestApiId", reference(REST_API, key.loc))
                                .set("StageName", self.stage.clone())
                                .build()],
                            key.loc,
                        ),
                    )
                    .build();
                self.out.add(
                    format!("ApiGatewayApiKey{}", index + 1),
                    resource("AWS::ApiGateway::ApiKey", props, true, key.loc),
                );
            }
        }
    }

    fn http_event(&mut self, key: &str, norm: &str, fn_id: &str, ev: &Node, loc: Loc) {
        let (method, path) = match &ev.kind {
            NodeKind::Str(s) => {
                let mut parts = s.split_whitespace();
                (
                    parts.next().map(str::to_string),
                    Some(parts.next().unwrap_or("").to_string()),
                )
            }
            NodeKind::Map(_) => (
                ev.get("method")
                    .and_then(|m| m.scalar_text())
                    .map(|m| m.to_string()),
                ev.get("path")
                    .and_then(|p| p.scalar_text())
                    .map(|p| p.to_string()),
            ),
            _ => (None, None),
        };
        let (Some(method), Some(path)) = (method, path) else {
            self.warn(
                loc,
                format!("http event of `{key}` has no known method and path; skipped"),
            );
            return;
        };
        let api = self.ensure_rest_api(loc);
        let root = match self.api_gateway_setting("restApiRootResourceId") {
            Some(root) => root.clone(),
            None if self.api_gateway_setting("restApiId").is_some() => {
                Node::unknown("root resource of an external API", loc)
            }
            None => get_att(REST_API, "RootResourceId", loc),
        };
        let mut parent = root;
        let mut resource_path = String::new();
        for segment in path.trim_matches('/').split('/').filter(|s| !s.is_empty()) {
            resource_path.push_str(&normalise_path_segment(segment));
            let id = format!("ApiGatewayResource{resource_path}");
            if self.rest_resources.insert(id.clone()) {
                let props = Obj::new(loc)
                    .set("ParentId", parent.clone())
                    .set("PathPart", text(segment, loc))
                    .set("RestApiId", api.clone())
                    .build();
                self.out.add(
                    id.clone(),
                    resource("AWS::ApiGateway::Resource", props, true, loc),
                );
            }
            parent = reference(&id, loc);
        }
        let method_upper = method.to_ascii_uppercase();
        let method_id = format!(
            "ApiGatewayMethod{resource_path}{}",
            capitalise(&method.to_ascii_lowercase())
        );
        // An unresolved `private` may or may not require an API key.
        let api_key_required = match ev.get("private") {
            Some(p) if p.is_unknown() => p.clone(),
            Some(p) => boolean(p.as_bool().unwrap_or(false), p.loc),
            None => boolean(false, loc),
        };
        let (request_models, validator) = self.request_validation(&method_id, ev, api.clone(), loc);
        let (auth_type, authorizer_id) = match ev.get("authorizer") {
            Some(auth) => self.rest_authorizer(auth, api.clone()),
            None => (text("NONE", loc), None),
        };
        let integration = Obj::new(loc)
            .set("IntegrationHttpMethod", text("POST", loc))
            .set("Type", text("AWS_PROXY", loc))
            .set(
                "Uri",
                sub(format!("arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{fn_id}.Arn}}/invocations"), loc),
            )
            .build();
        let parent_ref = parent.clone();
        let props = Obj::new(loc)
            .set("HttpMethod", text(&method_upper, loc))
            .set("ResourceId", parent)
            .set("RestApiId", api.clone())
            .set("ApiKeyRequired", api_key_required)
            .set("AuthorizationType", auth_type)
            .set_opt("AuthorizerId", authorizer_id)
            .set_opt("RequestModels", request_models)
            .set_opt("RequestValidatorId", validator)
            .set("Integration", integration)
            .build();
        self.out.add(
            method_id,
            resource("AWS::ApiGateway::Method", props, true, loc),
        );
        if let Some(cors) = ev.get("cors") {
            self.add_preflight(&resource_path, &method_upper, cors, api.clone(), parent_ref);
        }
        let source = api.get("Ref").and_then(Node::as_str).map(|api_id| {
            sub(
                format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api_id}}}/*/*"),
                loc,
            )
        });
        self.permission(
            format!("{norm}LambdaPermissionApiGateway"),
            fn_id,
            "apigateway.amazonaws.com",
            source,
            loc,
        );
    }

    /// `request.schemas` (v3), `request.schema` (v2) and required
    /// `request.parameters`: the framework validates them with a request
    /// validator.
    fn request_validation(
        &mut self,
        method_id: &str,
        ev: &Node,
        api: Node,
        loc: Loc,
    ) -> (Option<Node>, Option<Node>) {
        let Some(request) = ev.get("request") else {
            return (None, None);
        };
        let schemas = request.get("schemas").or_else(|| request.get("schema"));
        let models = schemas.and_then(Node::as_map).map(|entries| {
            let mut models = Obj::new(request.loc);
            for entry in entries {
                let name = format!("{method_id}{}Model", alphanumeric(&entry.key));
                models.put(&entry.key, text(name, entry.key_loc));
            }
            models.build()
        });
        let required_parameter = request
            .get("parameters")
            .and_then(Node::as_map)
            .is_some_and(|groups| {
                groups.iter().any(|g| {
                    g.value.as_map().is_some_and(|params| {
                        params.iter().any(|p| {
                            p.value.as_bool() == Some(true)
                                || p.value.get("required").and_then(Node::as_bool) == Some(true)
                        })
                    })
                })
            });
        if models.is_none() && !required_parameter {
            return (None, None);
        }
        let validator_id = format!("{method_id}Validator");
        let props = Obj::new(request.loc)
            .set("RestApiId", api)
            .set(
                "ValidateRequestBody",
                boolean(models.is_some(), request.loc),
            )
            .set(
                "ValidateRequestParameters",
                boolean(required_parameter, request.loc),
            )
            .build();
        self.out.add(
            validator_id.clone(),
            resource("AWS::ApiGateway::RequestValidator", props, true, loc),
        );
        (models, Some(reference(&validator_id, loc)))
    }

    /// `(AuthorizationType, AuthorizerId)` of a REST method's `authorizer`.
    fn rest_authorizer(&mut self, auth: &Node, api: Node) -> (Node, Option<Node>) {
        let loc = auth.loc;
        if auth.is_unknown() {
            return (auth.clone(), None);
        }
        let arn_or_name = match &auth.kind {
            NodeKind::Str(s) => Some(s.as_str()),
            _ => auth
                .get("arn")
                .and_then(Node::as_str)
                .or_else(|| auth.get("name").and_then(Node::as_str)),
        };
        let declared_type = auth
            .get("type")
            .and_then(Node::as_str)
            .map(str::to_ascii_lowercase);
        if arn_or_name.is_some_and(|s| s.eq_ignore_ascii_case("aws_iam"))
            || declared_type.as_deref() == Some("aws_iam")
        {
            return (text("AWS_IAM", loc), None);
        }
        let is_cognito = declared_type.as_deref() == Some("cognito_user_pools")
            || arn_or_name.is_some_and(|s| s.contains("cognito-idp"));
        if let Some(id) = auth.get("authorizerId") {
            let kind = if is_cognito {
                "COGNITO_USER_POOLS"
            } else {
                "CUSTOM"
            };
            return (text(kind, loc), Some(id.clone()));
        }
        let name = auth
            .get("name")
            .and_then(Node::as_str)
            .or(arn_or_name)
            .map(|s| s.rsplit([':', '/']).next().unwrap_or(s).to_string())
            .unwrap_or_else(|| "Custom".to_string());
        let authorizer_id = format!("{}ApiGatewayAuthorizer", capitalise(&alphanumeric(&name)));
        let (kind, auth_type) = if is_cognito {
            ("COGNITO_USER_POOLS", "COGNITO_USER_POOLS")
        } else if declared_type.as_deref() == Some("request") {
            ("REQUEST", "CUSTOM")
        } else {
            ("TOKEN", "CUSTOM")
        };
        if !self.out.contains(&authorizer_id) {
            let target = auth.get("arn").cloned().or_else(|| match &auth.kind {
                NodeKind::Str(_) => Some(auth.clone()),
                _ => None,
            });
            let mut props = Obj::new(loc)
                .set("Name", text(&name, loc))
                .set("Type", text(kind, loc))
                .set("RestApiId", api)
                .set_opt("IdentitySource", auth.get("identitySource").cloned());
            if is_cognito {
                props.put("ProviderARNs", list(target.into_iter().collect(), loc));
            } else if let Some(fn_key) = target
                .as_ref()
                .and_then(Node::as_str)
                .filter(|s| self.function_keys.contains(*s))
            {
                let fn_id = format!("{}LambdaFunction", normalise_function(fn_key));
                props.put("AuthorizerUri", sub(format!("arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{fn_id}.Arn}}/invocations"), loc));
            } else if let Some(target) = target {
                props.put("AuthorizerUri", target);
            }
            self.out.add(
                authorizer_id.clone(),
                resource("AWS::ApiGateway::Authorizer", props.build(), true, loc),
            );
        }
        (text(auth_type, loc), Some(reference(&authorizer_id, loc)))
    }

    fn ensure_http_api(&mut self, loc: Loc) -> Node {
        if let Some(external) = self.prov(&["httpApi", "id"]) {
            return external.clone();
        }
        if self.out.contains(HTTP_API) {
            return reference(HTTP_API, loc);
        }
        let name = self
            .prov(&["httpApi", "name"])
            .cloned()
            .unwrap_or_else(|| concat(&[&self.stage, &text("-", loc), &self.service], loc));
        let cors = self
            .prov(&["httpApi", "cors"])
            .and_then(|c| cors_config(c, CorsStyle::HttpApi));
        let props = Obj::new(loc)
            .set("Name", name)
            .set("ProtocolType", text("HTTP", loc))
            .set_opt("CorsConfiguration", cors)
            .build();
        self.out.add(
            HTTP_API.to_string(),
            resource("AWS::ApiGatewayV2::Api", props, true, loc),
        );
        let mut stage = Obj::new(loc)
            .set("ApiId", reference(HTTP_API, loc))
            .set("StageName", text("$default", loc))
            .set("AutoDeploy", boolean(true, loc));
        if let Some(logs) = self
            .prov(&["logs", "httpApi"])
            .filter(|l| l.as_bool() != Some(false))
        {
            let name = concat(
                &[
                    &text("/aws/http-api/", loc),
                    &self.service,
                    &text("-", loc),
                    &self.stage,
                ],
                loc,
            );
            let retention = self.prov(&["logRetentionInDays"]).cloned();
            let group_props = Obj::new(logs.loc)
                .set("LogGroupName", name)
                .set_opt("RetentionInDays", retention)
                .build();
            self.out.add(
                "HttpApiLogGroup".into(),
                resource("AWS::Logs::LogGroup", group_props, true, logs.loc),
            );
            let format = logs.get("format").cloned().unwrap_or_else(|| text(r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status"}"#, logs.loc));
            stage.put(
                "AccessLogSettings",
                Obj::new(logs.loc)
                    .set(
                        "DestinationArn",
                        get_att("HttpApiLogGroup", "Arn", logs.loc),
                    )
                    .set("Format", format)
                    .build(),
            );
        }
        if let Some(metrics) = self.prov(&["httpApi", "metrics"]) {
            stage.put(
                "DefaultRouteSettings",
                Obj::new(metrics.loc)
                    .set("DetailedMetricsEnabled", metrics.clone())
                    .build(),
            );
        }
        self.out.add(
            "HttpApiStage".into(),
            resource("AWS::ApiGatewayV2::Stage", stage.build(), true, loc),
        );
        if let Some(authorizers) = self
            .prov(&["httpApi", "authorizers"])
            .and_then(Node::as_map)
        {
            for entry in authorizers {
                let a = &entry.value;
                let aloc = entry.key_loc;
                let is_request = a
                    .get("type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("request"));
                let mut props = Obj::new(aloc)
                    .set("ApiId", reference(HTTP_API, aloc))
                    .set(
                        "Name",
                        a.get("name")
                            .cloned()
                            .unwrap_or_else(|| text(&entry.key, aloc)),
                    )
                    .set(
                        "AuthorizerType",
                        text(if is_request { "REQUEST" } else { "JWT" }, aloc),
                    )
                    .set_opt(
                        "IdentitySource",
                        a.get("identitySource").map(|i| match &i.kind {
                            NodeKind::Seq(_) => i.clone(),
                            _ => list(vec![i.clone()], i.loc),
                        }),
                    );
                if is_request {
                    let uri = match a.get("functionName").and_then(Node::as_str) {
                        Some(f) => sub(format!("arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{}LambdaFunction.Arn}}/invocations", normalise_function(f)), aloc),
                        None => a.get("functionArn").cloned().unwrap_or_else(|| Node::unknown("authorizer function not given", aloc)),
                    };
                    props.put("AuthorizerUri", uri);
                } else {
                    props.put(
                        "JwtConfiguration",
                        Obj::new(aloc)
                            .set_opt(
                                "Audience",
                                a.get("audience").map(|v| match &v.kind {
                                    NodeKind::Seq(_) => v.clone(),
                                    _ => list(vec![v.clone()], v.loc),
                                }),
                            )
                            .set_opt("Issuer", a.get("issuerUrl").cloned())
                            .build(),
                    );
                }
                self.out.add(
                    format!("HttpApiAuthorizer{}", alphanumeric(&entry.key)),
                    resource("AWS::ApiGatewayV2::Authorizer", props.build(), true, aloc),
                );
            }
        }
        reference(HTTP_API, loc)
    }

    fn http_api_event(&mut self, norm: &str, fn_id: &str, ev: &Node, loc: Loc) {
        let route_key = match &ev.kind {
            NodeKind::Str(s) if s.trim() == "*" => "$default".to_string(),
            NodeKind::Str(s) => {
                let mut parts = s.split_whitespace();
                let method = parts.next().unwrap_or("ANY");
                let path = parts.next().unwrap_or("/");
                format!("{} {path}", http_method(method))
            }
            NodeKind::Map(_) => {
                let method = ev
                    .get("method")
                    .and_then(|m| m.scalar_text())
                    .map_or("ANY".to_string(), |m| http_method(&m));
                match ev.get("path").and_then(|p| p.scalar_text()) {
                    Some(path) if path.trim() == "*" => "$default".to_string(),
                    Some(path) => format!("{method} {path}"),
                    None => "$default".to_string(),
                }
            }
            _ => {
                self.warn(loc, "httpApi event is not a route; skipped");
                return;
            }
        };
        let api = self.ensure_http_api(loc);
        let integration_id = format!("HttpApiIntegration{norm}");
        if !self.out.contains(&integration_id) {
            let props = Obj::new(loc)
                .set("ApiId", api.clone())
                .set("IntegrationType", text("AWS_PROXY", loc))
                .set("IntegrationUri", get_att(fn_id, "Arn", loc))
                .set("PayloadFormatVersion", text("2.0", loc))
                .build();
            self.out.add(
                integration_id.clone(),
                resource("AWS::ApiGatewayV2::Integration", props, true, loc),
            );
            let source = api.get("Ref").and_then(Node::as_str).map(|api_id| sub(format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api_id}}}/*"), loc));
            self.permission(
                format!("{norm}LambdaPermissionHttpApi"),
                fn_id,
                "apigateway.amazonaws.com",
                source,
                loc,
            );
        }
        let (auth_type, authorizer_id, scopes) = match ev.get("authorizer") {
            Some(auth) => self.http_api_authorizer(auth),
            None => (text("NONE", loc), None, None),
        };
        let props = Obj::new(loc)
            .set("ApiId", api)
            .set("RouteKey", text(&route_key, loc))
            .set("AuthorizationType", auth_type)
            .set_opt("AuthorizerId", authorizer_id)
            .set_opt("AuthorizationScopes", scopes)
            .set(
                "Target",
                sub(format!("integrations/${{{integration_id}}}"), loc),
            )
            .build();
        self.out.add(
            format!("HttpApiRoute{}", route_logical_suffix(&route_key)),
            resource("AWS::ApiGatewayV2::Route", props, true, loc),
        );
    }

    fn http_api_authorizer(&self, auth: &Node) -> (Node, Option<Node>, Option<Node>) {
        let loc = auth.loc;
        if auth.is_unknown() {
            return (auth.clone(), None, None);
        }
        let scopes = auth.get("scopes").cloned();
        if auth
            .get("type")
            .and_then(Node::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("aws_iam"))
            || auth
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("aws_iam"))
        {
            return (text("AWS_IAM", loc), None, None);
        }
        if let Some(id) = auth.get("id") {
            return (text("JWT", loc), Some(id.clone()), scopes);
        }
        let name = auth
            .as_str()
            .or_else(|| auth.get("name").and_then(Node::as_str));
        let Some(name) = name else {
            return (
                Node::unknown("httpApi authorizer without a name", loc),
                None,
                None,
            );
        };
        let declared = self.prov(&["httpApi", "authorizers", name]);
        let kind = match declared.and_then(|d| d.get("type")).and_then(Node::as_str) {
            Some(t) if t.eq_ignore_ascii_case("request") => "CUSTOM",
            _ => "JWT",
        };
        (
            text(kind, loc),
            Some(reference(
                &format!("HttpApiAuthorizer{}", alphanumeric(name)),
                loc,
            )),
            scopes,
        )
    }

    fn websocket_event(&mut self, norm: &str, fn_id: &str, ev: &Node, loc: Loc) {
        let route = match &ev.kind {
            NodeKind::Str(s) => s.clone(),
            _ => match ev.get("route").and_then(Node::as_str) {
                Some(r) => r.to_string(),
                None => {
                    self.warn(loc, "websocket event without a route; skipped");
                    return;
                }
            },
        };
        if !self.out.contains(WEBSOCKET_API) {
            let name = self
                .prov(&["websocketsApiName"])
                .cloned()
                .unwrap_or_else(|| {
                    concat(
                        &[
                            &self.stage,
                            &text("-", loc),
                            &self.service,
                            &text("-websockets", loc),
                        ],
                        loc,
                    )
                });
            let props = Obj::new(loc)
                .set("Name", name)
                .set("ProtocolType", text("WEBSOCKET", loc))
                .set(
                    "RouteSelectionExpression",
                    self.prov(&["websocketsApiRouteSelectionExpression"])
                        .cloned()
                        .unwrap_or_else(|| text("$request.body.action", loc)),
                )
                .build();
            self.out.add(
                WEBSOCKET_API.into(),
                resource("AWS::ApiGatewayV2::Api", props, true, loc),
            );
            let mut stage = Obj::new(loc)
                .set("ApiId", reference(WEBSOCKET_API, loc))
                .set("StageName", self.stage.clone());
            if let Some(logs) = self
                .prov(&["logs", "websocket"])
                .filter(|l| l.as_bool() != Some(false))
            {
                stage.put(
                    "AccessLogSettings",
                    Obj::new(logs.loc)
                        .set(
                            "DestinationArn",
                            get_att("WebsocketsLogGroup", "Arn", logs.loc),
                        )
                        .set(
                            "Format",
                            logs.get("format")
                                .cloned()
                                .unwrap_or_else(|| text("$context.requestId", logs.loc)),
                        )
                        .build(),
                );
                let group_props = Obj::new(logs.loc)
                    .set(
                        "LogGroupName",
                        concat(
                            &[
                                &text("/aws/websocket/", loc),
                                &self.service,
                                &text("-", loc),
                                &self.stage,
                            ],
                            loc,
                        ),
                    )
                    .build();
                self.out.add(
                    "WebsocketsLogGroup".into(),
                    resource("AWS::Logs::LogGroup", group_props, true, logs.loc),
                );
            }
            self.out.add(
                "WebsocketsDeploymentStage".into(),
                resource("AWS::ApiGatewayV2::Stage", stage.build(), true, loc),
            );
        }
        let integration_id = format!("{norm}WebsocketsIntegration");
        if !self.out.contains(&integration_id) {
            let props = Obj::new(loc)
                .set("ApiId", reference(WEBSOCKET_API, loc))
                .set("IntegrationType", text("AWS_PROXY", loc))
                .set("IntegrationUri", sub(format!("arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{fn_id}.Arn}}/invocations"), loc))
                .build();
            self.out.add(
                integration_id.clone(),
                resource("AWS::ApiGatewayV2::Integration", props, true, loc),
            );
            self.permission(format!("{norm}LambdaPermissionWebsockets"), fn_id, "apigateway.amazonaws.com", Some(sub(format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{WEBSOCKET_API}}}/*"), loc)), loc);
        }
        let auth = ev.get("authorizer");
        let auth_type = match auth {
            Some(a)
                if a.get("type")
                    .or(Some(a))
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("aws_iam")) =>
            {
                "AWS_IAM"
            }
            Some(_) => "CUSTOM",
            None => "NONE",
        };
        let props = Obj::new(loc)
            .set("ApiId", reference(WEBSOCKET_API, loc))
            .set("RouteKey", text(&route, loc))
            .set("AuthorizationType", text(auth_type, loc))
            .set(
                "Target",
                sub(format!("integrations/${{{integration_id}}}"), loc),
            )
            .build();
        self.out.add(
            format!("{}WebsocketsRoute", alphanumeric(&route)),
            resource("AWS::ApiGatewayV2::Route", props, true, loc),
        );
    }

    fn s3_event(&mut self, norm: &str, fn_id: &str, ev: &Node, loc: Loc) {
        let bucket = match &ev.kind {
            NodeKind::Map(_) => ev
                .get("bucket")
                .cloned()
                .unwrap_or_else(|| Node::unknown("bucket not given", loc)),
            _ => ev.clone(),
        };
        let referenced = intrinsic_target(&bucket).map(|(target, _)| target);
        let bucket_label = match (&bucket.kind, &referenced) {
            (_, Some(target)) => alphanumeric(target),
            (NodeKind::Str(s), None) => alphanumeric(s),
            _ => "Unknown".into(),
        };
        let event = ev
            .get("event")
            .cloned()
            .unwrap_or_else(|| text("s3:ObjectCreated:*", loc));
        let existing = ev.get("existing").and_then(Node::as_bool).unwrap_or(false);
        let generated = !existing && referenced.is_none() && bucket.as_str().is_some();
        let source_arn = match (&bucket.kind, &referenced) {
            (_, Some(target)) => Some(get_att(target, "Arn", loc)),
            _ if generated => Some(get_att(&format!("S3Bucket{bucket_label}"), "Arn", loc)),
            (NodeKind::Str(s), None) => Some(text(format!("arn:aws:s3:::{s}"), loc)),
            _ => None,
        };
        if !generated {
            // The bucket lives elsewhere; only the permission is ours.
        } else {
            let mut config = Obj::new(loc)
                .set("Event", event)
                .set("Function", get_att(fn_id, "Arn", loc));
            if let Some(rules) = ev.get("rules").and_then(Node::as_seq) {
                let filter_rules: Vec<Node> = rules
                    .iter()
                    .filter_map(|r| r.as_map().and_then(|e| e.first()))
                    .map(|e| {
                        Obj::new(e.key_loc)
                            .set("Name", text(&e.key, e.key_loc))
                            .set("Value", e.value.clone())
                            .build()
                    })
                    .collect();
                config.put(
                    "Filter",
                    Obj::new(loc)
                        .set(
                            "S3Key",
                            Obj::new(loc).set("Rules", list(filter_rules, loc)).build(),
                        )
                        .build(),
                );
            }
            let id = format!("S3Bucket{bucket_label}");
            match self
                .buckets
                .iter_mut()
                .find(|(existing_id, _)| *existing_id == id)
            {
                Some((_, shared)) => shared.entries.push(config.build()),
                None => self.buckets.push((
                    id,
                    Shared {
                        loc,
                        name: bucket.clone(),
                        entries: vec![config.build()],
                    },
                )),
            }
        }
        let props = Obj::new(loc)
            .set("FunctionName", get_att(fn_id, "Arn", loc))
            .set("Action", text("lambda:InvokeFunction", loc))
            .set("Principal", text("s3.amazonaws.com", loc))
            .set_opt("SourceArn", source_arn)
            .set("SourceAccount", reference("AWS::AccountId", loc))
            .build();
        self.out.add(
            format!("{norm}LambdaPermission{bucket_label}S3"),
            resource("AWS::Lambda::Permission", props, true, loc),
        );
    }

    fn sns_event(&mut self, norm: &str, fn_id: &str, ev: &Node, loc: Loc, n: usize) {
        let arn = match &ev.kind {
            NodeKind::Str(s) if s.starts_with("arn:") => Some(ev.clone()),
            NodeKind::Map(_) => ev.get("arn").cloned(),
            NodeKind::Unknown(_) => Some(ev.clone()),
            _ => None,
        };
        let topic_name = ev
            .get("topicName")
            .and_then(Node::as_str)
            .map(str::to_string)
            .or_else(|| {
                ev.as_str()
                    .map(|s| s.rsplit(':').next().unwrap_or(s).to_string())
            })
            .or_else(|| {
                arn.as_ref()
                    .and_then(Node::as_str)
                    .map(|s| s.rsplit(':').next().unwrap_or(s).to_string())
            })
            .or_else(|| {
                arn.as_ref()
                    .and_then(|a| a.get("Ref"))
                    .and_then(Node::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| format!("Topic{n}"));
        let label = alphanumeric(&topic_name);
        let topic_arn = match arn {
            Some(arn) => arn,
            None => {
                let topic_id = format!("SNSTopic{label}");
                if !self.out.contains(&topic_id) && !self.user_resources.contains(&topic_id) {
                    let props = Obj::new(loc)
                        .set("TopicName", text(&topic_name, loc))
                        .set_opt("DisplayName", ev.get("displayName").cloned())
                        .build();
                    self.out.add(
                        topic_id.clone(),
                        resource("AWS::SNS::Topic", props, true, loc),
                    );
                }
                reference(&topic_id, loc)
            }
        };
        let props = Obj::new(loc)
            .set("TopicArn", topic_arn.clone())
            .set("Protocol", text("lambda", loc))
            .set("Endpoint", get_att(fn_id, "Arn", loc))
            .set_opt("FilterPolicy", ev.get("filterPolicy").cloned())
            .build();
        self.out.add(
            format!("{norm}SnsSubscription{label}"),
            resource("AWS::SNS::Subscription", props, true, loc),
        );
        self.permission(
            format!("{norm}LambdaPermission{label}SNS"),
            fn_id,
            "sns.amazonaws.com",
            Some(topic_arn),
            loc,
        );
    }

    fn schedule_event(
        &mut self,
        key: &str,
        norm: &str,
        fn_id: &str,
        ev: &Node,
        loc: Loc,
        n: usize,
    ) {
        let rate = match &ev.kind {
            NodeKind::Map(_) => ev.get("rate").map(|r| match &r.kind {
                NodeKind::Seq(items) => items.first().cloned().unwrap_or_else(|| r.clone()),
                _ => r.clone(),
            }),
            _ => Some(ev.clone()),
        };
        let enabled = ev.get("enabled").and_then(Node::as_bool).unwrap_or(true);
        let props = Obj::new(loc)
            .set(
                "ScheduleExpression",
                rate.unwrap_or_else(|| Node::unknown("rate not given", loc)),
            )
            .set(
                "State",
                text(if enabled { "ENABLED" } else { "DISABLED" }, loc),
            )
            .set_opt("Name", ev.get("name").cloned());
        self.events_rule(
            format!("{norm}EventsRuleSchedule{n}"),
            props,
            fn_id,
            format!("{key}Schedule"),
            format!("{norm}LambdaPermissionEventsRuleSchedule{n}"),
            loc,
        );
    }

    /// An EventBridge rule whose one target is the function, and the
    /// permission that lets the rule invoke it.
    fn events_rule(
        &mut self,
        rule_id: String,
        props: Obj,
        fn_id: &str,
        target_id: String,
        permission_id: String,
        loc: Loc,
    ) {
        let props = props
            .set(
                "Targets",
                list(
                    vec![Obj::new(loc)
                        .set("Arn", get_att(fn_id, "Arn", loc))
                        .set("Id", text(target_id, loc))
                        .build()],
                    loc,
                ),
            )
            .build();
        let rule_arn = get_att(&rule_id, "Arn", loc);
        self.out
            .add(rule_id, resource("AWS::Events::Rule", props, true, loc));
        self.permission(
            permission_id,
            fn_id,
            "events.amazonaws.com",
            Some(rule_arn),
            loc,
        );
    }

    fn event_bridge_event(
        &mut self,
        key: &str,
        norm: &str,
        fn_id: &str,
        ev: &Node,
        loc: Loc,
        n: usize,
    ) {
        let enabled = ev.get("enabled").and_then(Node::as_bool).unwrap_or(true);
        let props = Obj::new(loc)
            .set_opt("EventBusName", ev.get("eventBus").cloned())
            .set_opt(
                "EventPattern",
                ev.get("pattern").or_else(|| ev.get("event")).cloned(),
            )
            .set_opt("ScheduleExpression", ev.get("schedule").cloned())
            .set(
                "State",
                text(if enabled { "ENABLED" } else { "DISABLED" }, loc),
            );
        self.events_rule(
            format!("{norm}EventBridgeRule{n}"),
            props,
            fn_id,
            format!("{key}EventBridge{n}"),
            format!("{norm}LambdaPermissionEventBridge{n}"),
            loc,
        );
    }

    fn cognito_event(&mut self, norm: &str, fn_id: &str, ev: &Node, loc: Loc) {
        let pool = ev
            .get("pool")
            .and_then(Node::as_str)
            .unwrap_or("Unknown")
            .to_string();
        let trigger = ev
            .get("trigger")
            .and_then(Node::as_str)
            .unwrap_or("Unknown")
            .to_string();
        let existing = ev.get("existing").and_then(Node::as_bool).unwrap_or(false);
        let pool_id = format!("CognitoUserPool{}", alphanumeric(&pool));
        let source = if existing {
            None
        } else {
            let entry = Obj::new(loc)
                .set(&trigger, get_att(fn_id, "Arn", loc))
                .build();
            match self.user_pools.iter_mut().find(|(id, _)| *id == pool_id) {
                Some((_, shared)) => shared.entries.push(entry),
                None => self.user_pools.push((
                    pool_id.clone(),
                    Shared {
                        loc,
                        name: text(&pool, loc),
                        entries: vec![entry],
                    },
                )),
            }
            Some(get_att(&pool_id, "Arn", loc))
        };
        self.permission(
            format!(
                "{norm}LambdaPermission{pool_id}Trigger{}",
                alphanumeric(&trigger)
            ),
            fn_id,
            "cognito-idp.amazonaws.com",
            source,
            loc,
        );
    }

    /// Record an `http` event's `cors` (true, or `{origin | origins,
    /// headers, allowCredentials, maxAge}`) for its path's OPTIONS method.
    fn add_preflight(
        &mut self,
        path_key: &str,
        method: &str,
        cors: &Node,
        api: Node,
        resource: Node,
    ) {
        if cors.as_bool() == Some(false) || cors.is_null() {
            return;
        }
        let mut origins = Vec::new();
        let mut headers = None;
        let mut credentials = None;
        let mut max_age = None;
        match &cors.kind {
            NodeKind::Map(_) => {
                match (cors.get("origins"), cors.get("origin")) {
                    (Some(list), _) if list.as_seq().is_some() => {
                        origins.extend(list.as_seq().unwrap_or_default().iter().cloned())
                    }
                    (Some(one), _) | (None, Some(one)) => origins.push(one.clone()),
                    (None, None) => origins.push(text("*", cors.loc)),
                }
                headers = cors.get("headers").cloned();
                credentials = cors.get("allowCredentials").cloned();
                max_age = cors.get("maxAge").cloned();
            }
            // An unresolved `cors` may allow anything: keep it unknown.
            NodeKind::Unknown(_) => {
                origins.push(cors.clone());
                credentials = Some(cors.clone());
            }
            _ => origins.push(text("*", cors.loc)),
        }
        let index = match self.preflight_index.get(path_key) {
            Some(&i) => i,
            None => {
                self.preflight_index
                    .insert(path_key.to_string(), self.preflights.len());
                self.preflights.push((
                    path_key.to_string(),
                    Preflight {
                        api,
                        resource,
                        loc: cors.loc,
                        origins: Vec::new(),
                        headers: None,
                        methods: vec!["OPTIONS".to_string()],
                        credentials: None,
                        max_age: None,
                    },
                ));
                self.preflights.len() - 1
            }
        };
        let p = &mut self.preflights[index].1;
        for origin in origins {
            let seen = origin.as_str().is_some()
                && p.origins.iter().any(|o| o.as_str() == origin.as_str());
            if !seen {
                p.origins.push(origin);
            }
        }
        if !p.methods.iter().any(|m| m == method) {
            p.methods.push(method.to_string());
        }
        p.headers = p.headers.take().or(headers);
        p.max_age = p.max_age.take().or(max_age);
        // Credentials allowed by any event on the path are allowed for all.
        let keep_existing = p
            .credentials
            .as_ref()
            .is_some_and(|c| c.as_bool() == Some(true) || c.is_unknown());
        if !keep_existing && credentials.is_some() {
            p.credentials = credentials;
        }
    }

    /// One `OPTIONS` MOCK method per CORS path, answering with the
    /// `Access-Control-*` headers, as the framework deploys it.
    fn finish_preflights(&mut self) {
        for (path_key, p) in std::mem::take(&mut self.preflights) {
            let loc = p.loc;
            let quoted = |value: String, at: Loc| text(format!("'{value}'"), at);
            let origin = match p
                .origins
                .iter()
                .map(Node::scalar_text)
                .collect::<Option<Vec<_>>>()
            {
                Some(parts) if !parts.is_empty() => quoted(parts.join(","), p.origins[0].loc),
                _ => p
                    .origins
                    .iter()
                    .find(|o| o.scalar_text().is_none())
                    .cloned()
                    .unwrap_or_else(|| Node::unknown("CORS origin not known", loc)),
            };
            let default_headers = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id";
            let headers = match &p.headers {
                Some(h) => match h.as_seq() {
                    Some(items) => match items
                        .iter()
                        .map(Node::scalar_text)
                        .collect::<Option<Vec<_>>>()
                    {
                        Some(parts) => quoted(parts.join(","), h.loc),
                        None => Node::unknown("CORS headers not known", h.loc),
                    },
                    None => h.clone(),
                },
                None => quoted(default_headers.to_string(), loc),
            };
            let header = |name: &str| format!("method.response.header.Access-Control-{name}");
            let mut values: Vec<(String, Node)> = vec![
                (header("Allow-Origin"), origin),
                (header("Allow-Headers"), headers),
                (
                    header("Allow-Methods"),
                    quoted(allowed_methods(&p.methods), loc),
                ),
            ];
            match &p.credentials {
                Some(c) if c.as_bool() == Some(true) => {
                    values.push((header("Allow-Credentials"), quoted("true".into(), c.loc)))
                }
                Some(c) if c.is_unknown() => values.push((header("Allow-Credentials"), c.clone())),
                _ => {}
            }
            if let Some(age) = &p.max_age {
                match age.scalar_text() {
                    Some(age_text) => {
                        values.push((header("Max-Age"), quoted(age_text.to_string(), age.loc)))
                    }
                    None => values.push((header("Max-Age"), age.clone())),
                }
            }
            let mut response_values = Obj::new(loc);
            let mut response_flags = Obj::new(loc);
            for (name, value) in values {
                response_flags.put(&name, boolean(true, value.loc));
                response_values.put(&name, value);
            }
            let integration = Obj::new(loc)
                .set("Type", text("MOCK", loc))
                .set(
                    "RequestTemplates",
                    Obj::new(loc)
                        .set("application/json", text("{statusCode:200}", loc))
                        .build(),
                )
                .set("ContentHandling", text("CONVERT_TO_TEXT", loc))
                .set(
                    "IntegrationResponses",
                    list(
                        vec![Obj::new(loc)
                            .set("StatusCode", text("200", loc))
                            .set("ResponseParameters", response_values.build())
                            .set(
                                "ResponseTemplates",
                                Obj::new(loc).set("application/json", text("", loc)).build(),
                            )
                            .build()],
                        loc,
                    ),
                )
                .build();
            let props = Obj::new(loc)
                .set("AuthorizationType", text("NONE", loc))
                .set("HttpMethod", text("OPTIONS", loc))
                .set(
                    "MethodResponses",
                    list(
                        vec![Obj::new(loc)
                            .set("StatusCode", text("200", loc))
                            .set("ResponseParameters", response_flags.build())
                            .set("ResponseModels", Obj::new(loc).build())
                            .build()],
                        loc,
                    ),
                )
                .set("RequestParameters", Obj::new(loc).build())
                .set("Integration", integration)
                .set("ResourceId", p.resource)
                .set("RestApiId", p.api)
                .build();
            self.out.add(
                format!("ApiGatewayMethod{path_key}Options"),
                resource("AWS::ApiGateway::Method", props, true, loc),
            );
        }
    }

    /// Buckets and user pools, once every function has added its events.
    fn finish_shared(&mut self) {
        for (id, shared) in std::mem::take(&mut self.buckets) {
            let props = Obj::new(shared.loc)
                .set("BucketName", shared.name)
                .set(
                    "NotificationConfiguration",
                    Obj::new(shared.loc)
                        .set("LambdaConfigurations", list(shared.entries, shared.loc))
                        .build(),
                )
                .build();
            self.out
                .add(id, resource("AWS::S3::Bucket", props, true, shared.loc));
        }
        for (id, shared) in std::mem::take(&mut self.user_pools) {
            let mut config = Vec::new();
            for entry in shared.entries {
                if let NodeKind::Map(entries) = entry.kind {
                    config.extend(entries);
                }
            }
            let props = Obj::new(shared.loc)
                .set("UserPoolName", shared.name)
                .set("LambdaConfig", Node::new(NodeKind::Map(config), shared.loc))
                .build();
            self.out.add(
                id,
                resource("AWS::Cognito::UserPool", props, true, shared.loc),
            );
        }
    }

    /// The generated template with `resources:` merged over it (the user's
    /// values win, maps merge key by key, as the framework merges).
    fn merge_user_resources(&mut self) -> Node {
        let loc = self.svc.loc;
        let mut generated = Vec::with_capacity(self.out.order.len());
        for id in std::mem::take(&mut self.out.order) {
            if let Some(node) = self.out.by_id.remove(&id) {
                generated.push(MapEntry {
                    key: id,
                    key_loc: node.loc,
                    value: node,
                });
            }
        }
        let mut template = Obj::new(loc)
            .set("AWSTemplateFormatVersion", text("2010-09-09", loc))
            .set("Resources", Node::new(NodeKind::Map(generated), loc))
            .build();
        let Some(resources) = self.svc.get("resources") else {
            return template;
        };
        let mut parts = Vec::new();
        match &resources.kind {
            NodeKind::Seq(items) => parts.extend(items.iter()),
            NodeKind::Null => {}
            _ => parts.push(resources),
        }
        for part in parts {
            match &part.kind {
                NodeKind::Map(entries) => {
                    for entry in entries {
                        match entry.key.as_str() {
                            "Resources" | "Conditions" | "Parameters" | "Mappings" => {
                                if entry.key == "Resources" {
                                    drop_implicit_where_redeclared(&mut template, &entry.value);
                                }
                                let overlay =
                                    Obj::new(loc).set(&entry.key, entry.value.clone()).build();
                                merge_into(&mut template, &overlay);
                            }
                            "extensions" => {
                                let overlay =
                                    Obj::new(loc).set("Resources", entry.value.clone()).build();
                                merge_into(&mut template, &overlay);
                            }
                            _ => {}
                        }
                    }
                }
                NodeKind::Unknown(why) => {
                    let why = why.clone();
                    self.warn(part.loc, format!("resources not resolved ({why}); skipped"));
                }
                _ => {
                    self.warn(part.loc, "resources entry is not a map; skipped");
                }
            }
        }
        template
    }
}

#[derive(Clone, Copy)]
enum RoleKind {
    Default,
    PerFunction,
    Own,
}

/// A generated resource the user declares again with its own `Type` is the
/// user's: it is no longer implicit.
fn drop_implicit_where_redeclared(template: &mut Node, user: &Node) {
    let Some(user_entries) = user.as_map() else {
        return;
    };
    let NodeKind::Map(top) = &mut template.kind else {
        return;
    };
    let Some(resources) = top.iter_mut().find(|e| e.key == "Resources") else {
        return;
    };
    let NodeKind::Map(generated) = &mut resources.value.kind else {
        return;
    };
    let redeclared: HashSet<&str> = user_entries
        .iter()
        .filter(|e| e.value.get("Type").is_some())
        .map(|e| e.key.as_str())
        .collect();
    for target in generated.iter_mut() {
        if !redeclared.contains(target.key.as_str()) {
            continue;
        }
        let fnguard =
            mut_child(&mut target.value, "Metadata").and_then(|m| mut_child(m, "fnguard"));
        if let Some(NodeKind::Map(fields)) = fnguard.map(|f| &mut f.kind) {
            fields.retain(|f| f.key != "implicit");
        }
    }
}

fn mut_child<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.kind {
        NodeKind::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

/// `plugins:` as a list, or v2's `{modules: [...]}`.
fn plugin_names(svc: &Node) -> Vec<&str> {
    let plugins = svc.get("plugins");
    let list = plugins
        .and_then(|p| p.get("modules"))
        .or(plugins)
        .and_then(Node::as_seq)
        .unwrap_or_default();
    list.iter().filter_map(Node::as_str).collect()
}

fn key_loc(parent: Option<&Node>, key: &str) -> Option<Loc> {
    parent?
        .as_map()?
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.key_loc)
}

fn per_function_statements(f: &Node) -> Option<&Node> {
    f.get("iamRoleStatements")
        .or_else(|| f.path(&["iam", "role", "statements"]))
}

/// `Access-Control-Allow-Methods` of a preflight: `ANY` stands for every
/// method, as the framework spells it out.
fn allowed_methods(methods: &[String]) -> String {
    if methods.iter().any(|m| m == "ANY") {
        return "OPTIONS,DELETE,GET,HEAD,PATCH,POST,PUT".to_string();
    }
    methods.join(",")
}

/// Statements of a list; an unresolved list stays one unknown statement.
fn statement_items(node: &Node) -> Vec<Node> {
    match &node.kind {
        NodeKind::Seq(items) => items.clone(),
        NodeKind::Null => Vec::new(),
        _ => vec![node.clone()],
    }
}

fn statement(actions: &[&str], resources: Vec<Node>, loc: Loc) -> Node {
    Obj::new(loc)
        .set("Effect", text("Allow", loc))
        .set("Action", texts(actions, loc))
        .set("Resource", list(resources, loc))
        .build()
}

fn http_method(method: &str) -> String {
    if method == "*" {
        "ANY".into()
    } else {
        method.to_ascii_uppercase()
    }
}

/// `GET /orders/{id}` → `GetOrdersIdVar`, `$default` → `Default`.
fn route_logical_suffix(route_key: &str) -> String {
    if route_key == "$default" {
        return "Default".into();
    }
    let mut out = String::new();
    let mut parts = route_key.split_whitespace();
    if let Some(method) = parts.next() {
        out.push_str(&capitalise(&method.to_ascii_lowercase()));
    }
    for segment in parts
        .next()
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
    {
        out.push_str(&normalise_path_segment(segment));
    }
    out
}

/// A name for logical ids from an ARN (`...:orders-queue` → `Ordersqueue`),
/// a `Fn::GetAtt [Queue, Arn]` (→ `Queue`), else a counter.
fn source_name(arn: &Node, n: usize) -> String {
    if let Some((target, _)) = intrinsic_target(arn) {
        return alphanumeric(&target);
    }
    match &arn.kind {
        NodeKind::Str(s) => {
            let tail = match s.find("table/") {
                Some(at) => s[at + 6..].split('/').next().unwrap_or(s),
                None => s.rsplit([':', '/']).next().unwrap_or(s),
            };
            alphanumeric(tail)
        }
        _ => n.to_string(),
    }
}

/// The logical id (and attribute) a `Ref` / `Fn::GetAtt` points at, in
/// long (`{Fn::GetAtt: [X, Arn]}`) or short (`!GetAtt X.Arn`) form.
fn intrinsic_target(node: &Node) -> Option<(String, Option<String>)> {
    let (kind, value) = match &node.kind {
        NodeKind::Tagged(tag, inner) => (tag.trim_start_matches("Fn::"), inner.as_ref()),
        NodeKind::Map(entries) if entries.len() == 1 => {
            (entries[0].key.trim_start_matches("Fn::"), &entries[0].value)
        }
        _ => return None,
    };
    match kind {
        "Ref" => Some((value.as_str()?.to_string(), None)),
        "GetAtt" => match &value.kind {
            NodeKind::Str(s) => {
                let (target, attr) = s.split_once('.')?;
                Some((target.to_string(), Some(attr.to_string())))
            }
            NodeKind::Seq(items) => Some((
                items.first()?.as_str()?.to_string(),
                items.get(1).and_then(Node::as_str).map(str::to_string),
            )),
            _ => None,
        },
        _ => None,
    }
}

fn stream_kind(ev: &Node, arn: &Node) -> &'static str {
    if let Some(kind) = ev.get("type").and_then(Node::as_str) {
        return if kind.eq_ignore_ascii_case("dynamodb") {
            "Dynamodb"
        } else {
            "Kinesis"
        };
    }
    match &arn.kind {
        NodeKind::Str(s) if s.contains(":kinesis:") => "Kinesis",
        NodeKind::Str(_) => "Dynamodb",
        _ => match intrinsic_target(arn) {
            Some((_, Some(attr))) if attr == "StreamArn" => "Dynamodb",
            _ => "Kinesis",
        },
    }
}

#[derive(Clone, Copy)]
enum CorsStyle {
    HttpApi,
    Url,
}

/// Serverless `cors` (true or `{allowedOrigins, allowCredentials, ...}`)
/// → CloudFormation `CorsConfiguration` / `Cors`.
fn cors_config(cors: &Node, style: CorsStyle) -> Option<Node> {
    let loc = cors.loc;
    if cors.is_unknown() {
        return Some(Obj::new(loc).set("AllowOrigins", cors.clone()).build());
    }
    if let Some(enabled) = cors.as_bool() {
        if !enabled {
            return None;
        }
        let mut obj = Obj::new(loc).set("AllowOrigins", texts(&["*"], loc));
        if matches!(style, CorsStyle::HttpApi) {
            obj.put("AllowMethods", texts(&["*"], loc));
        }
        obj.put(
            "AllowHeaders",
            texts(
                &[
                    "Content-Type",
                    "X-Amz-Date",
                    "Authorization",
                    "X-Api-Key",
                    "X-Amz-Security-Token",
                    "X-Amz-User-Agent",
                ],
                loc,
            ),
        );
        return Some(obj.build());
    }
    cors.as_map()?;
    let as_list = |node: &Node| match &node.kind {
        NodeKind::Seq(_) | NodeKind::Unknown(_) => node.clone(),
        _ => list(vec![node.clone()], node.loc),
    };
    Some(
        Obj::new(loc)
            .set(
                "AllowOrigins",
                cors.get("allowedOrigins")
                    .map_or_else(|| texts(&["*"], loc), as_list),
            )
            .set_opt("AllowHeaders", cors.get("allowedHeaders").map(as_list))
            .set_opt("AllowMethods", cors.get("allowedMethods").map(as_list))
            .set_opt("AllowCredentials", cors.get("allowCredentials").cloned())
            .set_opt(
                "ExposeHeaders",
                cors.get("exposedResponseHeaders").map(as_list),
            )
            .set_opt("MaxAge", cors.get("maxAge").cloned())
            .build(),
    )
}

/// A `package.artifact` as a code location: S3 URLs the framework downloads
/// (`s3://`, and `https://` in the virtual-hosted or path style) become
/// `s3://bucket/key`; a local path stays as written, relative to the
/// service folder.
fn artifact_location(artifact: &Node) -> Node {
    match artifact.as_str().and_then(s3_object_of_url) {
        Some((bucket, key)) => text(format!("s3://{bucket}/{key}"), artifact.loc),
        None => artifact.clone(),
    }
}

/// Bucket and key of an S3 object URL: `s3://bucket/key`,
/// `https://bucket.s3[.-region].amazonaws.com/key` or
/// `https://s3[.-region].amazonaws.com/bucket/key`.
fn s3_object_of_url(url: &str) -> Option<(&str, &str)> {
    if let Some(rest) = url.strip_prefix("s3://") {
        return rest
            .split_once('/')
            .filter(|(b, k)| !b.is_empty() && !k.is_empty());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let host = host.strip_suffix(".amazonaws.com")?;
    // `s3`, `s3.region`, `s3-region`: the endpoint itself.
    let is_endpoint = |h: &str| {
        h.strip_prefix("s3")
            .is_some_and(|r| r.is_empty() || r.starts_with(['.', '-']))
    };
    let (bucket, key) = if is_endpoint(host) {
        path.split_once('/')?
    } else {
        let at = host.find(".s3")?;
        if !is_endpoint(&host[at + 1..]) {
            return None;
        }
        (&host[..at], path)
    };
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

#[cfg(test)]
mod tests {
    use super::s3_object_of_url;

    #[test]
    fn s3_urls_of_artifacts() {
        let cases = [
            ("s3://bucket/path/fn.zip", Some(("bucket", "path/fn.zip"))),
            (
                "https://bucket.s3.amazonaws.com/a/fn.zip",
                Some(("bucket", "a/fn.zip")),
            ),
            (
                "https://my.bucket.s3.eu-west-1.amazonaws.com/fn.zip",
                Some(("my.bucket", "fn.zip")),
            ),
            (
                "https://bucket.s3-eu-west-1.amazonaws.com/fn.zip",
                Some(("bucket", "fn.zip")),
            ),
            (
                "https://s3.amazonaws.com/bucket/fn.zip",
                Some(("bucket", "fn.zip")),
            ),
            (
                "https://s3-us-west-2.amazonaws.com/bucket/k/fn.zip",
                Some(("bucket", "k/fn.zip")),
            ),
            (
                "https://s3.us-west-2.amazonaws.com/bucket/fn.zip",
                Some(("bucket", "fn.zip")),
            ),
            // Not S3: a local path, another host, an S3 URL without key.
            ("build/fn.zip", None),
            ("https://example.com/fn.zip", None),
            ("https://sqs.us-east-1.amazonaws.com/fn.zip", None),
            ("https://s3.amazonaws.com/bucket", None),
            ("s3://bucket", None),
        ];
        for (url, expected) in cases {
            assert_eq!(s3_object_of_url(url), expected, "{url}");
        }
    }
}
