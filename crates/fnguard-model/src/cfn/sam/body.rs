//! APIs with an inline `DefinitionBody`. SAM does not add a second route for
//! an event whose path and method the body already describes: it merges the
//! event into that operation (the Lambda integration, the event's `Auth`),
//! and it applies the API's `DefaultAuthorizer` and `ApiKeyRequired` to the
//! body's operations. We do the same on the body we pass through, so each
//! route exists once, with the authorization AWS would deploy; otherwise a
//! body route would read as open although SAM protects it.

use super::apis::invoke_uri;
use super::{is_intrinsic, map, seq, set_key, Ctx};
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Loc, Node, NodeKind};

const ANY_METHOD: &str = "x-amazon-apigateway-any-method";
const INTEGRATION: &str = "x-amazon-apigateway-integration";
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// Names SAM gives the security schemes it adds for IAM and API keys.
const IAM_SCHEME: &str = "AWS_IAM";
const API_KEY_SCHEME: &str = "api_key";

/// `ANY`, `GET`... for an operation key of a body path; `None` for other
/// keys (`parameters`, extensions, an `Fn::If`).
pub(crate) fn method_of(key: &str) -> Option<String> {
    if key == ANY_METHOD {
        return Some("ANY".to_string());
    }
    let lower = key.to_ascii_lowercase();
    METHODS
        .contains(&lower.as_str())
        .then(|| lower.to_ascii_uppercase())
}

/// `(path, METHOD)` of every operation of an inline `DefinitionBody`;
/// `None` when the API has none we can read (absent, an S3 location, an
/// `AWS::Include` transform or another expression).
pub(crate) fn operations(props: &Node) -> Option<HashSet<(String, String)>> {
    let body = props
        .get("DefinitionBody")
        .filter(|b| b.as_map().is_some() && !is_intrinsic(b))?;
    let paths = body.get("paths").filter(|p| !is_intrinsic(p))?.as_map()?;
    let mut ops = HashSet::default();
    for path in paths {
        for op in path.value.as_map().unwrap_or(&[]) {
            if let Some(method) = method_of(&op.key) {
                ops.insert((path.key.clone(), method));
            }
        }
    }
    Some(ops)
}

/// An event merged into a body operation.
pub(crate) struct Merge {
    pub api: String,
    pub path: String,
    pub method: String,
    pub function: String,
    /// The event, where the user connected the function to the route.
    pub loc: Loc,
    /// Whether the event brings the Lambda integration (not with
    /// `OverrideApiAuth` on a user-defined REST API, which only changes
    /// authorization).
    pub add_integration: bool,
    /// The event's `Auth.Authorizer`, `AuthorizationScopes` and
    /// `ApiKeyRequired`.
    pub authorizer: Option<Node>,
    pub scopes: Option<Node>,
    pub api_key: Option<bool>,
}

/// What an API's `Auth` adds to its body.
pub(crate) struct BodyAuth {
    pub rest: bool,
    pub default_authorizer: Option<Node>,
    pub api_key: bool,
    pub default_on_preflight: bool,
    pub api_key_on_preflight: bool,
    /// Authorizer name -> AuthorizationType (`COGNITO_USER_POOLS`, `CUSTOM`,
    /// `JWT`).
    pub kinds: HashMap<String, &'static str>,
}

impl BodyAuth {
    fn has_work(&self) -> bool {
        self.default_authorizer.is_some() || self.api_key
    }
}

/// Apply the pending merges and every API's Auth to the bodies already in
/// `ctx.out`.
pub(crate) fn finish(ctx: &mut Ctx) {
    let merges = std::mem::take(&mut ctx.body_merges);
    // Per API, the last event on each (path, method) wins, as in SAM.
    let mut by_api: HashMap<&str, HashMap<(&str, &str), &Merge>> = HashMap::default();
    for m in &merges {
        by_api
            .entry(m.api.as_str())
            .or_default()
            .insert((m.path.as_str(), m.method.as_str()), m);
    }
    let none = HashMap::default();
    let mut apis: Vec<(String, BodyAuth)> = Vec::new();
    for (id, api) in &ctx.rest_apis {
        if api.body_ops.is_some() {
            apis.push((id.clone(), api.body_auth()));
        }
    }
    for (id, api) in &ctx.http_apis {
        if api.body_ops.is_some() {
            apis.push((id.clone(), api.body_auth()));
        }
    }
    for (api_id, auth) in apis {
        let api_merges = by_api.get(api_id.as_str()).unwrap_or(&none);
        if api_merges.is_empty() && !auth.has_work() {
            continue;
        }
        let Some(&index) = ctx.index.get(&api_id) else {
            continue;
        };
        let resource = &mut ctx.out[index].value;
        let Some(body) = child_mut(resource, "Properties").and_then(|p| child_mut(p, "Body"))
        else {
            continue;
        };
        finish_body(body, api_merges, &auth);
    }
}

fn child_mut<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.kind {
        NodeKind::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

fn finish_body(body: &mut Node, merges: &HashMap<(&str, &str), &Merge>, auth: &BodyAuth) {
    let body_loc = body.loc;
    let openapi3 = body.get("openapi").is_some();
    let mut used: Vec<String> = Vec::new();
    let Some(paths) = child_mut(body, "paths") else {
        return;
    };
    let NodeKind::Map(path_entries) = &mut paths.kind else {
        return;
    };
    for path in path_entries.iter_mut() {
        let path_key = path.key.clone();
        let NodeKind::Map(ops) = &mut path.value.kind else {
            continue;
        };
        for op in ops.iter_mut() {
            let Some(method) = method_of(&op.key) else {
                continue;
            };
            let merge = merges.get(&(path_key.as_str(), method.as_str())).copied();
            if op.value.is_null() {
                op.value = map(op.key_loc, Vec::new());
            }
            if op.value.as_map().is_none() || is_intrinsic(&op.value) {
                continue;
            }
            if let Some(m) = merge.filter(|m| m.add_integration) {
                if op.value.get(INTEGRATION).is_none() {
                    set_key(&mut op.value, INTEGRATION, integration(m, auth.rest));
                    // The event is where this route got its function.
                    op.key_loc = m.loc;
                }
            }
            let has_integration = op.value.get(INTEGRATION).is_some();
            let existing = op
                .value
                .get("security")
                .is_some_and(|s| !s.as_seq().is_some_and(<[Node]>::is_empty));
            let preflight = method == "OPTIONS";
            let defaults_apply = has_integration && !existing;
            let authorizer = merge.and_then(|m| m.authorizer.as_ref()).or_else(|| {
                auth.default_authorizer
                    .as_ref()
                    .filter(|_| defaults_apply && (!preflight || auth.default_on_preflight))
            });
            let api_key = auth.rest
                && match merge.and_then(|m| m.api_key) {
                    Some(required) => required,
                    None => {
                        auth.api_key && defaults_apply && (!preflight || auth.api_key_on_preflight)
                    }
                };
            if authorizer.is_none() && !api_key {
                continue;
            }
            let scopes = merge.and_then(|m| m.scopes.as_ref());
            let security = security(authorizer, scopes, api_key, auth, &mut used, op.key_loc);
            set_key(&mut op.value, "security", security);
        }
    }
    add_schemes(body, &used, auth, openapi3, body_loc);
}

fn integration(merge: &Merge, rest: bool) -> Node {
    let loc = merge.loc;
    let mut entries = vec![
        ("type", Node::str("aws_proxy", loc)),
        ("httpMethod", Node::str("POST", loc)),
        ("uri", invoke_uri(&merge.function, loc)),
    ];
    if !rest {
        entries.push(("payloadFormatVersion", Node::str("2.0", loc)));
    }
    map(loc, entries)
}

/// An OpenAPI `security` list for an authorizer name (`NONE`, `AWS_IAM`, a
/// name of the API's `Authorizers`) and the API key.
fn security(
    authorizer: Option<&Node>,
    scopes: Option<&Node>,
    api_key: bool,
    auth: &BodyAuth,
    used: &mut Vec<String>,
    loc: Loc,
) -> Node {
    let mut requirement: Vec<(String, Node)> = Vec::new();
    if let Some(chosen) = authorizer {
        let loc = chosen.loc;
        match chosen.as_str() {
            Some("NONE") => {}
            Some(IAM_SCHEME) => requirement.push((IAM_SCHEME.to_string(), seq(loc, Vec::new()))),
            Some(name) if auth.kinds.contains_key(name) => {
                let scopes = scopes.cloned().unwrap_or_else(|| seq(loc, Vec::new()));
                requirement.push((name.to_string(), scopes));
            }
            Some(name) => {
                return Node::unknown(format!("authorizer {name} is not defined on the API"), loc)
            }
            None => return Node::unknown("authorizer given by an expression", loc),
        }
    }
    if api_key {
        requirement.push((API_KEY_SCHEME.to_string(), seq(loc, Vec::new())));
    }
    for (name, _) in &requirement {
        if !used.contains(name) {
            used.push(name.clone());
        }
    }
    if requirement.is_empty() {
        return seq(loc, Vec::new());
    }
    let entries = requirement.iter().map(|(k, v)| (k.as_str(), v.clone()));
    seq(loc, vec![map(loc, entries)])
}

/// Declare the security schemes SAM adds for the authorizers the body now
/// uses, keeping any the user defined under the same name.
fn add_schemes(body: &mut Node, used: &[String], auth: &BodyAuth, openapi3: bool, loc: Loc) {
    if used.is_empty() {
        return;
    }
    let container = if openapi3 {
        if body.get("components").is_none_or(|c| c.as_map().is_none()) {
            set_key(body, "components", map(loc, Vec::new()));
        }
        let Some(components) = child_mut(body, "components") else {
            return;
        };
        if components
            .get("securitySchemes")
            .is_none_or(|s| s.as_map().is_none())
        {
            set_key(components, "securitySchemes", map(loc, Vec::new()));
        }
        child_mut(components, "securitySchemes")
    } else {
        if body
            .get("securityDefinitions")
            .is_none_or(|s| s.as_map().is_none())
        {
            set_key(body, "securityDefinitions", map(loc, Vec::new()));
        }
        child_mut(body, "securityDefinitions")
    };
    let Some(container) = container else {
        return;
    };
    for name in used {
        if container.get(name).is_none() {
            set_key(container, name, scheme(name, auth, loc));
        }
    }
}

/// The security scheme SAM writes for an authorizer.
fn scheme(name: &str, auth: &BodyAuth, loc: Loc) -> Node {
    let s = |text: &str| Node::str(text, loc);
    let header = |extra: Vec<(&str, Node)>| {
        let mut entries = vec![
            ("type", s("apiKey")),
            ("name", s("Authorization")),
            ("in", s("header")),
        ];
        entries.extend(extra);
        map(loc, entries)
    };
    let authorizer = |kind: &str| map(loc, [("type", s(kind))]);
    match name {
        IAM_SCHEME => header(vec![("x-amazon-apigateway-authtype", s("awsSigv4"))]),
        API_KEY_SCHEME => map(
            loc,
            [
                ("type", s("apiKey")),
                ("name", s("x-api-key")),
                ("in", s("header")),
            ],
        ),
        _ => match auth.kinds.get(name).copied() {
            Some("COGNITO_USER_POOLS") => header(vec![
                ("x-amazon-apigateway-authtype", s("cognito_user_pools")),
                (
                    "x-amazon-apigateway-authorizer",
                    authorizer("cognito_user_pools"),
                ),
            ]),
            Some("JWT") => map(
                loc,
                [
                    ("type", s("oauth2")),
                    ("x-amazon-apigateway-authorizer", authorizer("jwt")),
                ],
            ),
            _ => header(vec![
                ("x-amazon-apigateway-authtype", s("custom")),
                ("x-amazon-apigateway-authorizer", authorizer("request")),
            ]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        crate::yaml::parse(text, 0, "t.yaml").expect("test input parses")
    }

    #[test]
    fn operation_keys_are_methods_only() {
        assert_eq!(method_of("get").as_deref(), Some("GET"));
        assert_eq!(method_of(ANY_METHOD).as_deref(), Some("ANY"));
        assert_eq!(method_of("parameters"), None);
        assert_eq!(method_of("x-amazon-apigateway-integration"), None);
    }

    #[test]
    fn only_inline_bodies_with_paths_are_read() {
        let inline =
            parse("DefinitionBody: {paths: {/a: {get: {}, parameters: []}, /b: {post: null}}}");
        let ops = operations(&inline).expect("inline body");
        assert!(ops.contains(&("/a".to_string(), "GET".to_string())));
        assert!(ops.contains(&("/b".to_string(), "POST".to_string())));
        assert_eq!(ops.len(), 2);
        let included = parse(
            "DefinitionBody: {'Fn::Transform': {Name: AWS::Include, Parameters: {Location: s3://b/k}}}",
        );
        assert!(operations(&included).is_none());
        assert!(operations(&parse("DefinitionBody: {openapi: 3.0.1}")).is_none());
        assert!(operations(&parse("StageName: prod")).is_none());
    }

    #[test]
    fn an_undefined_or_computed_authorizer_is_unknown_not_open() {
        let auth = BodyAuth {
            rest: true,
            default_authorizer: None,
            api_key: false,
            default_on_preflight: true,
            api_key_on_preflight: true,
            kinds: HashMap::default(),
        };
        let loc = Loc::default();
        let mut used = Vec::new();
        let named = Node::str("Missing", loc);
        assert!(security(Some(&named), None, false, &auth, &mut used, loc).is_unknown());
        let computed = parse("{Ref: AuthorizerName}");
        assert!(security(Some(&computed), None, false, &auth, &mut used, loc).is_unknown());
        let none = Node::str("NONE", loc);
        let open = security(Some(&none), None, false, &auth, &mut used, loc);
        assert_eq!(open.as_seq().map(<[Node]>::len), Some(0));
        let keyed = security(Some(&none), None, true, &auth, &mut used, loc);
        assert!(keyed.as_seq().is_some_and(|s| s.len() == 1));
        assert_eq!(used, [API_KEY_SCHEME]);
    }
}
