//! `AWS::Serverless::Api` / `AWS::Serverless::HttpApi` (declared or
//! implicit) and the routes function events add to them.

use super::body::{self, BodyAuth};
use super::events::{permission_named, Event};
use super::{
    boolean, generated, get_att, implicit_metadata, map, ref_target, ref_to, s3_location,
    sanitize_id, seq, sub, sub_with, tag_list, translated, Ctx, Source, IMPLICIT_HTTP_API,
    IMPLICIT_REST_API,
};
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Loc, Node, NodeKind};

/// A path with methods on a REST API, for its CORS preflight.
pub(crate) struct RestRoute {
    api: String,
    path: String,
    /// The first event that declared the path.
    loc: Loc,
    methods: Vec<String>,
}

/// How a REST API's `Auth` decides each method's authorization.
pub(crate) struct RestApiAuth {
    default_authorizer: Option<Node>,
    api_key_required: Option<Node>,
    /// Authorizer name -> (AuthorizationType, logical id).
    authorizers: HashMap<String, (&'static str, String)>,
    /// `AddDefaultAuthorizerToCorsPreflight` (SAM's default: true).
    default_on_preflight: bool,
    /// `AddApiKeyRequiredToCorsPreflight` (SAM's default: true).
    api_key_on_preflight: bool,
    stage_name: String,
    cors: Option<Node>,
    /// Operations of the inline `DefinitionBody`, if any.
    pub(super) body_ops: Option<HashSet<(String, String)>>,
    /// The user defines the routes (`DefinitionBody`/`DefinitionUri`):
    /// events then add only their permission, unless `MergeDefinitions`.
    user_definition: bool,
    merge_definitions: bool,
}

impl RestApiAuth {
    pub fn read(props: &Node, api_id: &str) -> Self {
        let auth = props.get("Auth");
        let get = |key: &str| auth.and_then(|a| a.get(key)).filter(|v| !v.is_null());
        let mut authorizers = HashMap::default();
        if let Some(defs) = get("Authorizers").and_then(Node::as_map) {
            for def in defs {
                let kind = if def.value.get("UserPoolArn").is_some() {
                    "COGNITO_USER_POOLS"
                } else {
                    "CUSTOM"
                };
                let id = sanitize_id(&format!("{api_id}{}Authorizer", def.key));
                authorizers.insert(def.key.clone(), (kind, id));
            }
        }
        let default_stage = if api_id == IMPLICIT_REST_API {
            "Prod"
        } else {
            ""
        };
        RestApiAuth {
            default_authorizer: get("DefaultAuthorizer").cloned(),
            api_key_required: get("ApiKeyRequired").cloned(),
            authorizers,
            default_on_preflight: get("AddDefaultAuthorizerToCorsPreflight")
                .and_then(Node::as_bool)
                .unwrap_or(true),
            api_key_on_preflight: get("AddApiKeyRequiredToCorsPreflight")
                .and_then(Node::as_bool)
                .unwrap_or(true),
            // SAM suffixes event permissions with the stage name, or with
            // `Stage` when the name is an expression.
            stage_name: match props.get("StageName") {
                Some(stage) => stage.as_str().unwrap_or("Stage").to_string(),
                None => default_stage.to_string(),
            },
            cors: props.get("Cors").filter(|c| !c.is_null()).cloned(),
            body_ops: body::operations(props),
            user_definition: has_definition(props),
            merge_definitions: props.get("MergeDefinitions").and_then(Node::as_bool) == Some(true),
        }
    }

    pub(super) fn body_auth(&self) -> BodyAuth {
        BodyAuth {
            rest: true,
            default_authorizer: self.default_authorizer.clone(),
            api_key: self
                .api_key_required
                .as_ref()
                .and_then(Node::as_bool)
                .unwrap_or(false),
            default_on_preflight: self.default_on_preflight,
            api_key_on_preflight: self.api_key_on_preflight,
            kinds: self
                .authorizers
                .iter()
                .map(|(name, (kind, _))| (name.clone(), *kind))
                .collect(),
        }
    }

    fn has_body_op(&self, path: &str, method: &str) -> bool {
        self.body_ops
            .as_ref()
            .is_some_and(|ops| ops.contains(&(path.to_string(), method.to_string())))
    }
}

/// How an HTTP API's `Auth` decides each route's authorization.
pub(crate) struct HttpApiAuth {
    default_authorizer: Option<Node>,
    /// Authorizer name -> (AuthorizationType, logical id).
    authorizers: HashMap<String, (&'static str, String)>,
    /// Operations of the inline `DefinitionBody`, if any.
    pub(super) body_ops: Option<HashSet<(String, String)>>,
    /// Routes come from a `DefinitionBody`/`DefinitionUri`.
    user_definition: bool,
}

impl HttpApiAuth {
    pub fn read(props: &Node, api_id: &str) -> Self {
        let auth = props.get("Auth");
        let mut authorizers = HashMap::default();
        if let Some(defs) = auth
            .and_then(|a| a.get("Authorizers"))
            .and_then(Node::as_map)
        {
            for def in defs {
                let kind = if def.value.get("JwtConfiguration").is_some() {
                    "JWT"
                } else {
                    "CUSTOM"
                };
                let id = sanitize_id(&format!("{api_id}{}Authorizer", def.key));
                authorizers.insert(def.key.clone(), (kind, id));
            }
        }
        HttpApiAuth {
            default_authorizer: auth
                .and_then(|a| a.get("DefaultAuthorizer"))
                .filter(|v| !v.is_null())
                .cloned(),
            authorizers,
            body_ops: body::operations(props),
            user_definition: has_definition(props),
        }
    }

    pub(super) fn body_auth(&self) -> BodyAuth {
        BodyAuth {
            rest: false,
            default_authorizer: self.default_authorizer.clone(),
            api_key: false,
            default_on_preflight: false,
            api_key_on_preflight: false,
            kinds: self
                .authorizers
                .iter()
                .map(|(name, (kind, _))| (name.clone(), *kind))
                .collect(),
        }
    }
}

fn has_definition(props: &Node) -> bool {
    ["DefinitionBody", "DefinitionUri"]
        .iter()
        .any(|k| props.get(k).is_some_and(|v| !v.is_null()))
}

/// Implicit APIs are located at the first event, in source order, that
/// needs them (events are translated in name order, as SAM does).
fn earliest(current: Option<Loc>, loc: Loc) -> Loc {
    match current {
        Some(c) if (c.file, c.line, c.col) <= (loc.file, loc.line, loc.col) => c,
        _ => loc,
    }
}

/// The API a `RestApiId`/`ApiId` names: the implicit one when absent, a
/// local logical id, or `None` for an API outside the template.
fn api_target(ctx: &Ctx, node: Option<&Node>, implicit: &str) -> Option<String> {
    match node {
        None => Some(implicit.to_string()),
        // SAM also accepts the API's logical id as a plain string.
        Some(n) => ref_target(n)
            .or_else(|| n.as_str().filter(|id| ctx.type_of(id).is_some()))
            .map(str::to_string),
    }
}

/// AuthorizationType (and authorizer) after SAM's defaults. `chosen` is
/// the event's Authorizer or the API's default.
fn resolve_auth(
    chosen: Option<&Node>,
    api_known: bool,
    authorizers: Option<&HashMap<String, (&'static str, String)>>,
    loc: Loc,
) -> (Node, Option<Node>) {
    let Some(chosen) = chosen else {
        if api_known {
            return (Node::str("NONE", loc), None);
        }
        return (
            Node::unknown("API declared outside the template", loc),
            None,
        );
    };
    match chosen.as_str() {
        Some("NONE") => (Node::str("NONE", chosen.loc), None),
        Some("AWS_IAM") => (Node::str("AWS_IAM", chosen.loc), None),
        Some(name) => match authorizers.and_then(|a| a.get(name)) {
            Some((kind, id)) => (Node::str(*kind, chosen.loc), Some(ref_to(id, chosen.loc))),
            None => (
                Node::unknown(
                    format!("authorizer {name} is not defined on the API"),
                    chosen.loc,
                ),
                None,
            ),
        },
        None => (
            Node::unknown("authorizer given by an expression", chosen.loc),
            None,
        ),
    }
}

pub(super) fn invoke_uri(function_id: &str, loc: Loc) -> Node {
    sub(
        &format!(
            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{function_id}.Arn}}/invocations"
        ),
        loc,
    )
}

/// `execute-api` ARN pattern of a route, as SAM scopes its permissions.
fn route_arn(api_id: &str, method: &str, path: &str, loc: Loc) -> Node {
    let method = if method == "ANY" { "*" } else { method };
    let path: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with('{') {
                "*".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    sub_with(
        &format!(
            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/${{__Stage__}}/{method}/{}",
            path.join("/")
        ),
        vec![("__ApiId__", ref_to(api_id, loc)), ("__Stage__", Node::str("*", loc))],
        loc,
    )
}

fn http_method(props: &Node) -> String {
    match props.get("Method").and_then(Node::as_str) {
        Some(m) if m.eq_ignore_ascii_case("any") || m == "x-amazon-apigateway-any-method" => {
            "ANY".to_string()
        }
        Some(m) => m.to_ascii_uppercase(),
        None => "ANY".to_string(),
    }
}

/// An `Api` event: an `AWS::ApiGateway::Method` (with its resource path)
/// and the permission for API Gateway to invoke the function.
pub(crate) fn rest_event(ctx: &mut Ctx, src: &Source, ev: &Event) {
    let loc = ev.loc;
    let rest_api_id = ev.props.get("RestApiId");
    let Some(api_id) = api_target(ctx, rest_api_id, IMPLICIT_REST_API) else {
        return;
    };
    if rest_api_id.is_none() {
        ctx.implicit_rest = Some(earliest(ctx.implicit_rest, loc));
    }
    let method = http_method(ev.props);
    let path = ev.props.get("Path").and_then(Node::as_str).unwrap_or("/");
    // A path or method given by an expression: the route exists but where
    // it is cannot be told; never guess one.
    let expr_path = ev.props.get("Path").filter(|p| p.as_str().is_none());
    let expr_method = ev.props.get("Method").filter(|m| m.as_str().is_none());
    let api = ctx.rest_apis.get(&api_id);
    let is_preflight = method == "OPTIONS";
    let event_auth = ev.props.get("Auth");
    let chosen = event_auth.and_then(|a| a.get("Authorizer")).or_else(|| {
        api.filter(|a| !is_preflight || a.default_on_preflight)
            .and_then(|a| a.default_authorizer.as_ref())
    });
    let (auth_type, authorizer) =
        resolve_auth(chosen, api.is_some(), api.map(|a| &a.authorizers), loc);
    let api_key = event_auth
        .and_then(|a| a.get("ApiKeyRequired"))
        .or_else(|| {
            api.filter(|a| !is_preflight || a.api_key_on_preflight)
                .and_then(|a| a.api_key_required.as_ref())
        })
        .cloned();
    let stage = api
        .map(|a| a.stage_name.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Prod".to_string());
    let literal_route = expr_path.is_none() && expr_method.is_none();
    let in_body = literal_route && api.is_some_and(|a| a.has_body_op(path, &method));
    let merge = |add_integration: bool| body::Merge {
        api: api_id.clone(),
        path: path.to_string(),
        method: method.clone(),
        function: src.id.to_string(),
        loc,
        add_integration,
        authorizer: event_auth.and_then(|a| a.get("Authorizer")).cloned(),
        scopes: event_auth
            .and_then(|a| a.get("AuthorizationScopes"))
            .cloned(),
        api_key: event_auth
            .and_then(|a| a.get("ApiKeyRequired"))
            .and_then(Node::as_bool),
    };
    // SAM merges into the body's `paths` only: without a map there (or a
    // body we cannot read), the event adds no route either.
    let merges = |a: &RestApiAuth| a.merge_definitions && a.body_ops.is_some();
    if let Some(api) = api.filter(|a| a.user_definition && !merges(a)) {
        // The user's definition is the API: SAM adds no route for the
        // event, and applies its Auth only with OverrideApiAuth.
        let override_auth = event_auth
            .and_then(|a| a.get("OverrideApiAuth"))
            .and_then(Node::as_bool)
            == Some(true);
        if override_auth && in_body && api.body_ops.is_some() {
            ctx.body_merges.push(merge(false));
        }
        rest_permission(ctx, src, ev, &api_id, &method, path, &stage);
        return;
    }
    if in_body {
        let preflight_in_body = api.is_some_and(|a| a.has_body_op(path, "OPTIONS"));
        ctx.body_merges.push(merge(true));
        if !preflight_in_body {
            note_rest_route(ctx, &api_id, path, &method, loc);
        }
        rest_permission(ctx, src, ev, &api_id, &method, path, &stage);
        return;
    }

    let resource_id = match expr_path {
        Some(p) => Node::unknown("API path given by an expression", p.loc),
        None => rest_resource(ctx, &api_id, path, loc),
    };
    let method_node = match expr_method {
        Some(m) => Node::unknown("HTTP method given by an expression", m.loc),
        None => Node::str(&method, loc),
    };
    let mut props = vec![
        ("RestApiId", ref_to(&api_id, loc)),
        ("ResourceId", resource_id),
        ("HttpMethod", method_node),
        ("AuthorizationType", auth_type),
    ];
    if let Some(authorizer) = authorizer {
        props.push(("AuthorizerId", authorizer));
    }
    if let Some(scopes) = event_auth.and_then(|a| a.get("AuthorizationScopes")) {
        props.push(("AuthorizationScopes", scopes.clone()));
    }
    if let Some(api_key) = api_key {
        props.push(("ApiKeyRequired", api_key));
    }
    if let Some(params) = ev.props.get("RequestParameters") {
        props.push(("RequestParameters", request_parameters(params)));
    }
    if let Some(model) = ev.props.get("RequestModel") {
        if let Some(name) = model.get("Model") {
            props.push((
                "RequestModels",
                map(model.loc, [("application/json", name.clone())]),
            ));
        }
        let flag = |k: &str| model.get(k).and_then(Node::as_bool);
        let (body, params) = (flag("ValidateBody"), flag("ValidateParameters"));
        if body.is_some() || params.is_some() {
            let validator = request_validator(
                ctx,
                &api_id,
                body.unwrap_or(false),
                params.unwrap_or(false),
                model.loc,
            );
            props.push(("RequestValidatorId", ref_to(&validator, model.loc)));
        }
    }
    props.push((
        "Integration",
        map(
            loc,
            [
                ("Type", Node::str("AWS_PROXY", loc)),
                ("IntegrationHttpMethod", Node::str("POST", loc)),
                ("Uri", invoke_uri(src.id, loc)),
            ],
        ),
    ));
    let resource = generated(src, "AWS::ApiGateway::Method", map(loc, props), loc);
    ctx.add(&format!("{}Method", ev.base), loc, resource);
    if literal_route {
        note_rest_route(ctx, &api_id, path, &method, loc);
    }
    rest_permission(ctx, src, ev, &api_id, &method, path, &stage);
}

/// The permission for API Gateway to invoke the function of a REST event.
fn rest_permission(
    ctx: &mut Ctx,
    src: &Source,
    ev: &Event,
    api_id: &str,
    method: &str,
    path: &str,
    stage: &str,
) {
    let source_arn = route_arn(api_id, method, path, ev.loc);
    permission_named(
        ctx,
        src,
        &format!("{}Permission{}", ev.base, sanitize_id(stage)),
        ev.loc,
        "apigateway.amazonaws.com",
        vec![("SourceArn", source_arn)],
    );
}

/// Remember a path's methods for its CORS preflight.
fn note_rest_route(ctx: &mut Ctx, api_id: &str, path: &str, method: &str, loc: Loc) {
    let key = (api_id.to_string(), path.to_string());
    let index = match ctx.rest_route_index.get(&key) {
        Some(&i) => i,
        None => {
            ctx.rest_routes.push(RestRoute {
                api: api_id.to_string(),
                path: path.to_string(),
                loc,
                methods: Vec::new(),
            });
            ctx.rest_route_index.insert(key, ctx.rest_routes.len() - 1);
            ctx.rest_routes.len() - 1
        }
    };
    ctx.rest_routes[index].methods.push(method.to_string());
}

/// SAM's `RequestParameters` (names, or maps `{name: {Required}}`) as the
/// Method's `{name: required}` map.
fn request_parameters(params: &Node) -> Node {
    let loc = params.loc;
    let mut out = Vec::new();
    for item in params.one_or_many() {
        match &item.kind {
            NodeKind::Str(name) => out.push((name.as_str(), boolean(false, item.loc))),
            NodeKind::Map(entries) => {
                for e in entries {
                    let required = e
                        .value
                        .get("Required")
                        .and_then(Node::as_bool)
                        .unwrap_or(false);
                    out.push((e.key.as_str(), boolean(required, e.key_loc)));
                }
            }
            _ => {}
        }
    }
    map(loc, out)
}

fn request_validator(ctx: &mut Ctx, api_id: &str, body: bool, params: bool, loc: Loc) -> String {
    let name = match (body, params) {
        (true, true) => "body-and-params",
        (true, false) => "body-only",
        (false, true) => "params-only",
        (false, false) => "no-validation",
    };
    let key = (api_id.to_string(), format!("validator:{name}"));
    if let Some(id) = ctx.rest_paths.get(&key) {
        return id.clone();
    }
    let props = map(
        loc,
        [
            ("RestApiId", ref_to(api_id, loc)),
            ("Name", Node::str(name, loc)),
            ("ValidateRequestBody", boolean(body, loc)),
            ("ValidateRequestParameters", boolean(params, loc)),
        ],
    );
    let resource = shared_resource("AWS::ApiGateway::RequestValidator", props, loc);
    let id = ctx.add(&format!("{api_id}{name}Validator"), loc, resource);
    ctx.rest_paths.insert(key, id.clone());
    id
}

/// A generated resource shared by several functions' events: no one
/// function's Metadata or Condition applies to it.
fn shared_resource(rtype: &str, props: Node, loc: Loc) -> Node {
    map(
        loc,
        [
            ("Type", Node::str(rtype, loc)),
            ("Properties", props),
            ("Metadata", implicit_metadata(None, loc)),
        ],
    )
}

/// The `AWS::ApiGateway::Resource` chain of `path`; returns the node to use
/// as a Method's `ResourceId`.
fn rest_resource(ctx: &mut Ctx, api_id: &str, path: &str, loc: Loc) -> Node {
    let mut parent = get_att(api_id, "RootResourceId", loc);
    let mut prefix = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        prefix.push('/');
        prefix.push_str(segment);
        let key = (api_id.to_string(), prefix.clone());
        let id = match ctx.rest_paths.get(&key) {
            Some(id) => id.clone(),
            None => {
                let props = map(
                    loc,
                    [
                        ("RestApiId", ref_to(api_id, loc)),
                        ("ParentId", parent),
                        ("PathPart", Node::str(segment, loc)),
                    ],
                );
                let resource = shared_resource("AWS::ApiGateway::Resource", props, loc);
                let id = ctx.add(
                    &format!("{api_id}{}Resource", sanitize_id(&prefix)),
                    loc,
                    resource,
                );
                ctx.rest_paths.insert(key, id.clone());
                id
            }
        };
        parent = ref_to(&id, loc);
    }
    parent
}

/// The OPTIONS methods SAM adds for `Cors`, once every route is known. SAM
/// applies the default authorizer and API key to them unless
/// `AddDefaultAuthorizerToCorsPreflight` / `AddApiKeyRequiredToCorsPreflight`
/// are false.
pub(crate) fn finish_rest(ctx: &mut Ctx) {
    // SAM gives every path of a user-written body its preflight too.
    let mut body_routes: Vec<(String, String, String, Loc)> = Vec::new();
    for (api_id, api) in &ctx.rest_apis {
        let (Some(ops), Some(cors)) = (&api.body_ops, &api.cors) else {
            continue;
        };
        for (path, method) in ops {
            if !ops.contains(&(path.clone(), "OPTIONS".to_string())) {
                body_routes.push((api_id.clone(), path.clone(), method.clone(), cors.loc));
            }
        }
    }
    body_routes.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    for (api_id, path, method, loc) in body_routes {
        note_rest_route(ctx, &api_id, &path, &method, loc);
    }
    let routes = std::mem::take(&mut ctx.rest_routes);
    for RestRoute {
        api: api_id,
        path,
        loc,
        methods: listed,
    } in &routes
    {
        let Some(api) = ctx.rest_apis.get(api_id) else {
            continue;
        };
        let Some(cors) = api.cors.clone() else {
            continue;
        };
        if listed.iter().any(|m| m == "OPTIONS") {
            continue;
        }
        let chosen = api
            .default_authorizer
            .as_ref()
            .filter(|_| api.default_on_preflight);
        let (auth_type, authorizer) = resolve_auth(chosen, true, Some(&api.authorizers), *loc);
        let api_key = api
            .api_key_required
            .clone()
            .filter(|_| api.api_key_on_preflight);
        let mut allow_methods = listed.clone();
        allow_methods.push("OPTIONS".to_string());
        allow_methods.sort();
        allow_methods.dedup();
        let headers = cors_headers(&cors, &allow_methods.join(","), *loc);

        let resource_id = rest_resource(ctx, api_id, path, *loc);
        let mut props = vec![
            ("RestApiId", ref_to(api_id, *loc)),
            ("ResourceId", resource_id),
            ("HttpMethod", Node::str("OPTIONS", *loc)),
            ("AuthorizationType", auth_type),
        ];
        if let Some(authorizer) = authorizer {
            props.push(("AuthorizerId", authorizer));
        }
        if let Some(api_key) = api_key {
            props.push(("ApiKeyRequired", api_key));
        }
        let header_flags = headers
            .iter()
            .map(|(k, _)| (k.as_str(), boolean(false, *loc)));
        let header_values = headers.iter().map(|(k, v)| (k.as_str(), v.clone()));
        props.push((
            "Integration",
            map(
                *loc,
                vec![
                    ("Type", Node::str("MOCK", *loc)),
                    (
                        "RequestTemplates",
                        map(
                            *loc,
                            vec![("application/json", Node::str("{\"statusCode\": 200}", *loc))],
                        ),
                    ),
                    (
                        "IntegrationResponses",
                        seq(
                            *loc,
                            vec![map(
                                *loc,
                                vec![
                                    ("StatusCode", Node::str("200", *loc)),
                                    ("ResponseParameters", map(*loc, header_values)),
                                ],
                            )],
                        ),
                    ),
                ],
            ),
        ));
        props.push((
            "MethodResponses",
            seq(
                *loc,
                vec![map(
                    *loc,
                    vec![
                        ("StatusCode", Node::str("200", *loc)),
                        ("ResponseParameters", map(*loc, header_flags)),
                    ],
                )],
            ),
        ));
        let resource = shared_resource("AWS::ApiGateway::Method", map(*loc, props), *loc);
        ctx.add(
            &format!("{api_id}{}OPTIONSMethod", sanitize_id(path)),
            *loc,
            resource,
        );
    }
}

/// CORS response headers (`method.response.header.X` -> quoted value) from
/// SAM's `Cors` (a quoted origin string or a map).
fn cors_headers(cors: &Node, methods: &str, loc: Loc) -> Vec<(String, Node)> {
    let header = |name: &str| format!("method.response.header.Access-Control-{name}");
    let mut out = Vec::new();
    if cors.as_str().is_some() || ref_target(cors).is_some() || cors.as_map().is_none() {
        out.push((header("Allow-Origin"), cors.clone()));
        out.push((
            header("Allow-Methods"),
            Node::str(format!("'{methods}'"), loc),
        ));
        return out;
    }
    out.push((
        header("Allow-Origin"),
        cors.get("AllowOrigin")
            .cloned()
            .unwrap_or_else(|| Node::str("'*'", loc)),
    ));
    out.push((
        header("Allow-Methods"),
        cors.get("AllowMethods")
            .cloned()
            .unwrap_or_else(|| Node::str(format!("'{methods}'"), loc)),
    ));
    if let Some(h) = cors.get("AllowHeaders") {
        out.push((header("Allow-Headers"), h.clone()));
    }
    if cors.get("AllowCredentials").and_then(Node::as_bool) == Some(true) {
        out.push((header("Allow-Credentials"), Node::str("'true'", loc)));
    }
    if let Some(age) = cors.get("MaxAge") {
        out.push((header("Max-Age"), age.clone()));
    }
    out
}

/// `AWS::Serverless::Api` (declared, or SAM's implicit `ServerlessRestApi`)
/// -> RestApi, Stage, Authorizers and usage plan.
pub(crate) fn rest_api(ctx: &mut Ctx, src: &Source, implicit: bool) {
    let api_loc = if implicit { src.key_loc } else { src.props.loc };
    let mut props = Vec::new();
    for key in [
        "Name",
        "Description",
        "BinaryMediaTypes",
        "MinimumCompressionSize",
        "ApiKeySourceType",
        "DisableExecuteApiEndpoint",
        "Mode",
        "FailOnWarnings",
    ] {
        if let Some(v) = src.prop(key) {
            props.push((key, v.clone()));
        }
    }
    if let Some(body) = src.prop("DefinitionBody") {
        props.push(("Body", body.clone()));
    }
    if let Some(uri) = src.prop("DefinitionUri") {
        props.push((
            "BodyS3Location",
            s3_location(uri, "Bucket", "Key", "Version"),
        ));
    }
    if let Some(endpoint) = src.prop("EndpointConfiguration") {
        props.push(("EndpointConfiguration", endpoint_configuration(endpoint)));
    }
    let auth = src.prop("Auth");
    if let Some(policy) = auth.and_then(|a| a.get("ResourcePolicy")) {
        props.push(("Policy", resource_policy(policy)));
    }
    if let Some(tags) = src.prop("Tags") {
        props.push(("Tags", tag_list(tags, &[])));
    }
    let api_props = map(api_loc, props);
    let resource = if implicit {
        generated(src, "AWS::ApiGateway::RestApi", api_props, api_loc)
    } else {
        translated(src, "AWS::ApiGateway::RestApi", api_props)
    };
    ctx.push(src.id.to_string(), src.key_loc, resource);

    let loc = src.key_loc;
    let stage_name = src
        .prop("StageName")
        .cloned()
        .unwrap_or_else(|| Node::str("Prod", loc));
    // Like SAM: `{Api}{StageName}Stage`, just `{Api}Stage` for an expression.
    let stage_label = stage_name.as_str().unwrap_or("").to_string();
    let mut stage = vec![
        ("RestApiId", ref_to(src.id, loc)),
        ("StageName", stage_name),
    ];
    for key in [
        "MethodSettings",
        "AccessLogSetting",
        "TracingEnabled",
        "Variables",
        "CacheClusterEnabled",
        "CacheClusterSize",
        "CanarySetting",
    ] {
        if let Some(v) = src.prop(key) {
            stage.push((key, v.clone()));
        }
    }
    let resource = generated(src, "AWS::ApiGateway::Stage", map(loc, stage), loc);
    let stage_id = ctx.add(
        &format!("{}{}Stage", src.id, sanitize_id(&stage_label)),
        loc,
        resource,
    );

    if let Some(defs) = auth
        .and_then(|a| a.get("Authorizers"))
        .and_then(Node::as_map)
    {
        for def in defs {
            rest_authorizer(ctx, src, &def.key, &def.value, def.key_loc);
        }
    }
    if let Some(plan) = auth.and_then(|a| a.get("UsagePlan")) {
        usage_plan(ctx, src, plan, &stage_id);
    }
}

fn endpoint_configuration(endpoint: &Node) -> Node {
    let loc = endpoint.loc;
    if endpoint.as_map().is_some() && !super::is_intrinsic(endpoint) {
        let mut out = Vec::new();
        if let Some(t) = endpoint.get("Type") {
            out.push(("Types", seq(t.loc, vec![t.clone()])));
        }
        if let Some(ids) = endpoint.get("VPCEndpointIds") {
            out.push(("VpcEndpointIds", ids.clone()));
        }
        return map(loc, out);
    }
    map(loc, [("Types", seq(loc, vec![endpoint.clone()]))])
}

/// SAM's `Auth.ResourcePolicy` shorthand as an IAM policy document scoped
/// to the whole API (SAM scopes per route; the allow/deny logic is the same).
fn resource_policy(policy: &Node) -> Node {
    let loc = policy.loc;
    let resource = || Node::str("execute-api:/*", loc);
    let invoke = |effect: &str, principal: Node, condition: Option<Node>| {
        let mut entries = vec![
            ("Effect", Node::str(effect, loc)),
            ("Principal", principal),
            ("Action", Node::str("execute-api:Invoke", loc)),
            ("Resource", resource()),
        ];
        if let Some(c) = condition {
            entries.push(("Condition", c));
        }
        map(loc, entries)
    };
    let aws = |accounts: &Node| map(loc, [("AWS", accounts.clone())]);
    let condition =
        |op: &str, key: &str, values: &Node| map(loc, [(op, map(loc, [(key, values.clone())]))]);
    let mut statements = Vec::new();
    if let Some(custom) = policy.get("CustomStatements") {
        statements.extend(custom.one_or_many().into_iter().cloned());
    }
    if let Some(accounts) = policy.get("AwsAccountWhitelist") {
        statements.push(invoke("Allow", aws(accounts), None));
    }
    if let Some(accounts) = policy.get("AwsAccountBlacklist") {
        statements.push(invoke("Deny", aws(accounts), None));
    }
    let anyone = || Node::str("*", loc);
    let pairs: [(&str, &str, &str, &str); 4] = [
        ("IpRangeWhitelist", "Allow", "NotIpAddress", "aws:SourceIp"),
        ("IpRangeBlacklist", "Deny", "IpAddress", "aws:SourceIp"),
        (
            "SourceVpcWhitelist",
            "Allow",
            "StringNotEquals",
            "aws:SourceVpc",
        ),
        (
            "SourceVpcBlacklist",
            "Deny",
            "StringEquals",
            "aws:SourceVpc",
        ),
    ];
    for (key, kind, op, cond_key) in pairs {
        let Some(values) = policy.get(key) else {
            continue;
        };
        if kind == "Allow" {
            statements.push(invoke("Allow", anyone(), None));
        }
        statements.push(invoke(
            "Deny",
            anyone(),
            Some(condition(op, cond_key, values)),
        ));
    }
    map(
        loc,
        [
            ("Version", Node::str("2012-10-17", loc)),
            ("Statement", seq(loc, statements)),
        ],
    )
}

fn rest_authorizer(ctx: &mut Ctx, src: &Source, name: &str, def: &Node, loc: Loc) {
    let id = sanitize_id(&format!("{}{name}Authorizer", src.id));
    let identity = def.get("Identity");
    let header = identity
        .and_then(|i| i.get("Header"))
        .and_then(Node::as_str)
        .unwrap_or("Authorization");
    let mut props = vec![
        ("RestApiId", ref_to(src.id, loc)),
        ("Name", Node::str(name, loc)),
    ];
    if let Some(pool) = def.get("UserPoolArn") {
        props.push(("Type", Node::str("COGNITO_USER_POOLS", loc)));
        props.push((
            "ProviderARNs",
            seq(pool.loc, pool.one_or_many().into_iter().cloned().collect()),
        ));
        props.push((
            "IdentitySource",
            Node::str(format!("method.request.header.{header}"), loc),
        ));
    } else {
        let payload = def
            .get("FunctionPayloadType")
            .and_then(Node::as_str)
            .unwrap_or("TOKEN");
        props.push(("Type", Node::str(payload, loc)));
        let function = def
            .get("FunctionArn")
            .cloned()
            .unwrap_or_else(|| Node::unknown("authorizer without FunctionArn", loc));
        props.push((
            "AuthorizerUri",
            sub_with(
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
                vec![("__FunctionArn__", function.clone())],
                loc,
            ),
        ));
        if payload == "TOKEN" {
            props.push((
                "IdentitySource",
                Node::str(format!("method.request.header.{header}"), loc),
            ));
        }
        authorizer_permission(ctx, src, &id, function, loc);
    }
    if let Some(ttl) = identity.and_then(|i| i.get("ReauthorizeEvery")) {
        props.push(("AuthorizerResultTtlInSeconds", ttl.clone()));
    }
    let resource = generated(src, "AWS::ApiGateway::Authorizer", map(loc, props), loc);
    ctx.push(id, loc, resource);
}

fn usage_plan(ctx: &mut Ctx, src: &Source, plan: &Node, stage_id: &str) {
    let loc = plan.loc;
    let api_stage = map(
        loc,
        [
            ("ApiId", ref_to(src.id, loc)),
            ("Stage", ref_to(stage_id, loc)),
        ],
    );
    let mode = plan
        .get("CreateUsagePlan")
        .and_then(Node::as_str)
        .unwrap_or("NONE");
    let mut props = Vec::new();
    for key in ["Throttle", "Quota", "Description", "UsagePlanName"] {
        if let Some(v) = plan.get(key) {
            props.push((key, v.clone()));
        }
    }
    match mode {
        "PER_API" => {
            props.insert(0, ("ApiStages", seq(loc, vec![api_stage])));
            let resource = generated(src, "AWS::ApiGateway::UsagePlan", map(loc, props), loc);
            ctx.add(&format!("{}UsagePlan", src.id), loc, resource);
        }
        "SHARED" => {
            // One plan for every API that asks for the shared one.
            ctx.shared_usage_plan.push(api_stage);
            let stages: Vec<Node> = ctx.shared_usage_plan.to_vec();
            props.insert(0, ("ApiStages", seq(loc, stages.clone())));
            let resource = shared_resource("AWS::ApiGateway::UsagePlan", map(loc, props), loc);
            let existing = ctx
                .shared_usage_plan_id
                .as_ref()
                .and_then(|id| ctx.index.get(id))
                .copied();
            match existing {
                Some(index) => {
                    // Keep the first declaration's settings, list every stage.
                    let plan = &mut ctx.out[index].value;
                    if let NodeKind::Map(entries) = &mut plan.kind {
                        if let Some(p) = entries.iter_mut().find(|e| e.key == "Properties") {
                            super::set_key(&mut p.value, "ApiStages", seq(loc, stages));
                        }
                    }
                }
                None => {
                    let id = ctx.add("ServerlessUsagePlan", loc, resource);
                    ctx.shared_usage_plan_id = Some(id);
                }
            }
        }
        _ => {}
    }
}

/// An `HttpApi` event: `AWS::ApiGatewayV2::Route` + `Integration` and the
/// invoke permission.
pub(crate) fn http_event(ctx: &mut Ctx, src: &Source, ev: &Event) {
    let loc = ev.loc;
    let api_id_node = ev.props.get("ApiId");
    let Some(api_id) = api_target(ctx, api_id_node, IMPLICIT_HTTP_API) else {
        return;
    };
    if api_id_node.is_none() {
        ctx.implicit_http = Some(earliest(ctx.implicit_http, loc));
    }
    let path = ev.props.get("Path").and_then(Node::as_str);
    let given_method = ev.props.get("Method").is_some();
    let method = http_method(ev.props);
    let route_key = match path {
        None if !given_method => "$default".to_string(),
        _ => format!("{method} {}", path.unwrap_or("/")),
    };
    let expression = [ev.props.get("Path"), ev.props.get("Method")]
        .into_iter()
        .flatten()
        .find(|v| v.as_str().is_none());
    let route_key_node = match expression {
        Some(e) => Node::unknown("route path or method given by an expression", e.loc),
        None => Node::str(&route_key, loc),
    };
    let api = ctx.http_apis.get(&api_id);
    let event_auth = ev.props.get("Auth");
    let arn_path = if route_key == "$default" {
        "*"
    } else {
        path.unwrap_or("/")
    };
    let arn_method = if route_key == "$default" {
        "ANY"
    } else {
        method.as_str()
    };
    let body_key = match path {
        None if !given_method => ("$default".to_string(), "ANY".to_string()),
        _ => (path.unwrap_or("/").to_string(), method.clone()),
    };
    let in_body = expression.is_none()
        && api
            .and_then(|a| a.body_ops.as_ref())
            .is_some_and(|ops| ops.contains(&body_key));
    // A definition we cannot read (DefinitionUri, AWS::Include): SAM cannot
    // edit it either, and the event adds only its permission.
    let unreadable = api.is_some_and(|a| a.user_definition && a.body_ops.is_none());
    if unreadable {
        permission_named(
            ctx,
            src,
            &format!("{}Permission", ev.base),
            loc,
            "apigateway.amazonaws.com",
            vec![("SourceArn", route_arn(&api_id, arn_method, arn_path, loc))],
        );
        return;
    }
    if in_body {
        ctx.body_merges.push(body::Merge {
            add_integration: true,
            api: api_id.clone(),
            path: body_key.0,
            method: body_key.1,
            function: src.id.to_string(),
            loc,
            authorizer: event_auth.and_then(|a| a.get("Authorizer")).cloned(),
            scopes: event_auth
                .and_then(|a| a.get("AuthorizationScopes"))
                .cloned(),
            api_key: None,
        });
        permission_named(
            ctx,
            src,
            &format!("{}Permission", ev.base),
            loc,
            "apigateway.amazonaws.com",
            vec![("SourceArn", route_arn(&api_id, arn_method, arn_path, loc))],
        );
        return;
    }
    // SAM never puts an HTTP API's default authorizer on OPTIONS routes.
    let chosen = event_auth.and_then(|a| a.get("Authorizer")).or_else(|| {
        api.filter(|_| method != "OPTIONS")
            .and_then(|a| a.default_authorizer.as_ref())
    });
    let (auth_type, authorizer) =
        resolve_auth(chosen, api.is_some(), api.map(|a| &a.authorizers), loc);

    let mut integration = vec![
        ("ApiId", ref_to(&api_id, loc)),
        ("IntegrationType", Node::str("AWS_PROXY", loc)),
        ("IntegrationUri", invoke_uri(src.id, loc)),
        (
            "PayloadFormatVersion",
            ev.props
                .get("PayloadFormatVersion")
                .cloned()
                .unwrap_or_else(|| Node::str("2.0", loc)),
        ),
    ];
    if let Some(timeout) = ev.props.get("TimeoutInMillis") {
        integration.push(("TimeoutInMillis", timeout.clone()));
    }
    let resource = generated(
        src,
        "AWS::ApiGatewayV2::Integration",
        map(loc, integration),
        loc,
    );
    let integration_id = ctx.add(&format!("{}Integration", ev.base), loc, resource);

    let mut route = vec![
        ("ApiId", ref_to(&api_id, loc)),
        ("RouteKey", route_key_node),
        ("AuthorizationType", auth_type),
    ];
    if let Some(authorizer) = authorizer {
        route.push(("AuthorizerId", authorizer));
    }
    if let Some(scopes) = event_auth.and_then(|a| a.get("AuthorizationScopes")) {
        route.push(("AuthorizationScopes", scopes.clone()));
    }
    route.push((
        "Target",
        map(
            loc,
            [(
                "Fn::Join",
                seq(
                    loc,
                    vec![
                        Node::str("/", loc),
                        seq(
                            loc,
                            vec![Node::str("integrations", loc), ref_to(&integration_id, loc)],
                        ),
                    ],
                ),
            )],
        ),
    ));
    let resource = generated(src, "AWS::ApiGatewayV2::Route", map(loc, route), loc);
    ctx.add(&format!("{}Route", ev.base), loc, resource);

    permission_named(
        ctx,
        src,
        &format!("{}Permission", ev.base),
        loc,
        "apigateway.amazonaws.com",
        vec![("SourceArn", route_arn(&api_id, arn_method, arn_path, loc))],
    );
}

/// `AWS::Serverless::HttpApi` (declared, or the implicit
/// `ServerlessHttpApi`) -> Api, `$default` or named Stage, Authorizers.
pub(crate) fn http_api(ctx: &mut Ctx, src: &Source, implicit: bool) {
    let api_loc = if implicit { src.key_loc } else { src.props.loc };
    let mut props = vec![("ProtocolType", Node::str("HTTP", api_loc))];
    for key in [
        "Name",
        "Description",
        "DisableExecuteApiEndpoint",
        "FailOnWarnings",
    ] {
        if let Some(v) = src.prop(key) {
            props.push((key, v.clone()));
        }
    }
    if let Some(body) = src.prop("DefinitionBody") {
        props.push(("Body", body.clone()));
    }
    if let Some(uri) = src.prop("DefinitionUri") {
        props.push((
            "BodyS3Location",
            s3_location(uri, "Bucket", "Key", "Version"),
        ));
    }
    if let Some(cors) = src.prop("CorsConfiguration") {
        props.push(("CorsConfiguration", http_cors(cors)));
    }
    if let Some(tags) = src.prop("Tags") {
        props.push(("Tags", tags.clone()));
    }
    let api_props = map(api_loc, props);
    let resource = if implicit {
        generated(src, "AWS::ApiGatewayV2::Api", api_props, api_loc)
    } else {
        translated(src, "AWS::ApiGatewayV2::Api", api_props)
    };
    ctx.push(src.id.to_string(), src.key_loc, resource);

    let loc = src.key_loc;
    let stage_name = src
        .prop("StageName")
        .cloned()
        .unwrap_or_else(|| Node::str("$default", loc));
    let stage_id = match stage_name.as_str() {
        Some("$default") => format!("{}ApiGatewayDefaultStage", src.id),
        Some(name) => format!("{}{}Stage", src.id, sanitize_id(name)),
        None => format!("{}Stage", src.id),
    };
    let mut stage = vec![
        ("ApiId", ref_to(src.id, loc)),
        ("StageName", stage_name),
        ("AutoDeploy", boolean(true, loc)),
    ];
    for (from, to) in [
        ("DefaultRouteSettings", "DefaultRouteSettings"),
        ("RouteSettings", "RouteSettings"),
        ("AccessLogSettings", "AccessLogSettings"),
        ("StageVariables", "StageVariables"),
    ] {
        if let Some(v) = src.prop(from) {
            stage.push((to, v.clone()));
        }
    }
    let resource = generated(src, "AWS::ApiGatewayV2::Stage", map(loc, stage), loc);
    ctx.add(&stage_id, loc, resource);

    let defs = src
        .prop("Auth")
        .and_then(|a| a.get("Authorizers"))
        .and_then(Node::as_map);
    for def in defs.unwrap_or(&[]) {
        http_authorizer(ctx, src, &def.key, &def.value, def.key_loc);
    }
}

/// `CorsConfiguration: true` means SAM's permissive default.
fn http_cors(cors: &Node) -> Node {
    let loc = cors.loc;
    if cors.as_bool() == Some(true) {
        let any = || seq(loc, vec![Node::str("*", loc)]);
        return map(
            loc,
            [
                ("AllowOrigins", any()),
                ("AllowHeaders", any()),
                ("AllowMethods", any()),
            ],
        );
    }
    cors.clone()
}

fn http_authorizer(ctx: &mut Ctx, src: &Source, name: &str, def: &Node, loc: Loc) {
    let id = sanitize_id(&format!("{}{name}Authorizer", src.id));
    let mut props = vec![
        ("ApiId", ref_to(src.id, loc)),
        ("Name", Node::str(name, loc)),
    ];
    if let Some(jwt) = def.get("JwtConfiguration") {
        props.push(("AuthorizerType", Node::str("JWT", loc)));
        let source = def
            .get("IdentitySource")
            .cloned()
            .unwrap_or_else(|| Node::str("$request.header.Authorization", loc));
        props.push(("IdentitySource", seq(loc, vec![source])));
        let mut config = Vec::new();
        for (from, to) in [("audience", "Audience"), ("issuer", "Issuer")] {
            if let Some(v) = jwt.get(from).or_else(|| jwt.get(to)) {
                config.push((to, v.clone()));
            }
        }
        props.push(("JwtConfiguration", map(jwt.loc, config)));
    } else {
        props.push(("AuthorizerType", Node::str("REQUEST", loc)));
        let function = def
            .get("FunctionArn")
            .cloned()
            .unwrap_or_else(|| Node::unknown("authorizer without FunctionArn", loc));
        props.push((
            "AuthorizerUri",
            sub_with(
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
                vec![("__FunctionArn__", function.clone())],
                loc,
            ),
        ));
        for key in ["AuthorizerPayloadFormatVersion", "EnableSimpleResponses"] {
            if let Some(v) = def.get(key) {
                props.push((key, v.clone()));
            }
        }
        if let Some(headers) = def.path(&["Identity", "Headers"]) {
            let sources = headers
                .one_or_many()
                .into_iter()
                .filter_map(Node::as_str)
                .map(|h| Node::str(format!("$request.header.{h}"), loc))
                .collect();
            props.push(("IdentitySource", seq(loc, sources)));
        }
        // Unlike REST APIs, SAM grants HTTP API authorizers the invoke
        // permission only on request.
        let grant = def
            .get("EnableFunctionDefaultPermissions")
            .and_then(Node::as_bool)
            == Some(true);
        if grant {
            authorizer_permission(ctx, src, &id, function, loc);
        }
    }
    let resource = generated(src, "AWS::ApiGatewayV2::Authorizer", map(loc, props), loc);
    ctx.push(id, loc, resource);
}

/// Lets API Gateway call a Lambda authorizer of API `src`.
fn authorizer_permission(
    ctx: &mut Ctx,
    src: &Source,
    authorizer_id: &str,
    function: Node,
    loc: Loc,
) {
    let permission = map(
        loc,
        [
            ("Action", Node::str("lambda:InvokeFunction", loc)),
            ("FunctionName", function),
            ("Principal", Node::str("apigateway.amazonaws.com", loc)),
            (
                "SourceArn",
                sub_with(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*",
                    vec![("__ApiId__", ref_to(src.id, loc))],
                    loc,
                ),
            ),
        ],
    );
    let resource = generated(src, "AWS::Lambda::Permission", permission, loc);
    ctx.add(&format!("{authorizer_id}Permission"), loc, resource);
}
