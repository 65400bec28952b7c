//! Routes of an API Gateway OpenAPI/Swagger `Body` (best effort): methods,
//! the authorization in force (`security` with the API Gateway extensions)
//! and the Lambda integration URI.

use super::resources::{cors_from_headers, keep_most_open_cors};
use crate::model::{AuthKind, Cors, Route};
use fnguard_core::{Field, Node};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

enum Scheme {
    Auth(AuthKind),
    ApiKey,
}

fn scheme_kind(def: &Node) -> Scheme {
    let authtype = def
        .get("x-amazon-apigateway-authtype")
        .and_then(Node::as_str)
        .map(str::to_ascii_lowercase);
    let authorizer_type = def
        .path(&["x-amazon-apigateway-authorizer", "type"])
        .and_then(Node::as_str)
        .map(str::to_ascii_lowercase);
    match (authtype.as_deref(), authorizer_type.as_deref()) {
        (_, Some("cognito_user_pools")) | (Some("cognito_user_pools"), _) => {
            Scheme::Auth(AuthKind::Cognito)
        }
        (_, Some("jwt")) => Scheme::Auth(AuthKind::Jwt),
        (_, Some("token" | "request")) => Scheme::Auth(AuthKind::Lambda),
        (Some("awssigv4"), _) => Scheme::Auth(AuthKind::Iam),
        (Some(other), _) => Scheme::Auth(AuthKind::Other(other.to_string())),
        (None, None) => match def.get("type").and_then(Node::as_str) {
            Some("apiKey") => Scheme::ApiKey,
            Some("oauth2" | "openIdConnect") => Scheme::Auth(AuthKind::Jwt),
            Some(other) => Scheme::Auth(AuthKind::Other(other.to_string())),
            None => Scheme::Auth(AuthKind::Other("unknown".into())),
        },
        (None, Some(other)) => Scheme::Auth(AuthKind::Other(other.to_string())),
    }
}

/// Authorization and API-key requirement of a `security` list.
fn security(
    list: Option<&Node>,
    schemes: Option<&Node>,
    at: fnguard_core::Loc,
) -> (Field<AuthKind>, Field<bool>) {
    let Some(list) = list else {
        return (Field::Known(AuthKind::None, at), Field::Absent);
    };
    if list.contains_unknown() {
        return (Field::Unknown(list.loc), Field::Unknown(list.loc));
    }
    let mut auth: Option<AuthKind> = None;
    let mut api_key = false;
    for req in list.one_or_many() {
        for e in req.as_map().unwrap_or(&[]) {
            match schemes.and_then(|s| s.get(&e.key)).map(scheme_kind) {
                Some(Scheme::ApiKey) => api_key = true,
                Some(Scheme::Auth(kind)) => auth = auth.or(Some(kind)),
                None => auth = auth.or(Some(AuthKind::Other(e.key.clone()))),
            }
        }
    }
    (
        Field::Known(auth.unwrap_or(AuthKind::None), list.loc),
        Field::Known(api_key, list.loc),
    )
}

/// API-wide settings an OpenAPI body declares besides its routes.
pub(super) struct BodySettings {
    /// Request validation, when the body declares a validator.
    pub validation: Option<Field<bool>>,
    /// CORS: `x-amazon-apigateway-cors` (HTTP APIs) and the response
    /// headers of `options` integrations (REST APIs).
    pub cors: Vec<Cors>,
    /// The resource policy of a REST API (`x-amazon-apigateway-policy`).
    pub policy: Option<Node>,
}

/// `x-amazon-apigateway-cors` of an HTTP API body.
fn http_cors(n: &Node) -> Cors {
    let allow_origins = match n.get("allowOrigins") {
        Some(o) if o.is_unknown() => vec![Field::Unknown(o.loc)],
        Some(o) => o
            .one_or_many()
            .into_iter()
            .map(|v| match super::intrinsics::as_text(v) {
                Ok(t) => Field::Known(t, v.loc),
                Err(_) => Field::Unknown(v.loc),
            })
            .collect(),
        None => Vec::new(),
    };
    let allow_credentials = match n.get("allowCredentials") {
        None => Field::Absent,
        Some(c) => match c.as_bool() {
            Some(b) => Field::Known(b, c.loc),
            None => Field::Unknown(c.loc),
        },
    };
    Cors {
        loc: n.loc,
        allow_origins,
        allow_credentials,
    }
}

/// Append the routes of `body` with the integration URI node of each, and
/// return the API-wide settings the body declares.
pub(super) fn routes(body: &Node, out: &mut Vec<(Route, Option<Node>)>) -> BodySettings {
    let schemes = body
        .path(&["components", "securitySchemes"])
        .or(body.get("securityDefinitions"));
    let global_security = body.get("security");
    let mut validation = body
        .get("x-amazon-apigateway-request-validator")
        .map(|n| Field::Known(true, n.loc));
    let mut cors = None;
    if let Some(c) = body.get("x-amazon-apigateway-cors") {
        keep_most_open_cors(&mut cors, http_cors(c));
    }
    for path in body.get("paths").and_then(Node::as_map).unwrap_or(&[]) {
        for op in path.value.as_map().unwrap_or(&[]) {
            let method = if op.key == "x-amazon-apigateway-any-method" {
                "ANY".to_string()
            } else if METHODS.contains(&op.key.to_ascii_lowercase().as_str()) {
                op.key.to_ascii_uppercase()
            } else {
                continue;
            };
            let (auth, api_key_required) = security(
                op.value.get("security").or(global_security),
                schemes,
                op.key_loc,
            );
            if let Some(n) = op.value.get("x-amazon-apigateway-request-validator") {
                validation = Some(Field::Known(true, n.loc));
            }
            if method == "OPTIONS" {
                let responses = op
                    .value
                    .path(&["x-amazon-apigateway-integration", "responses"])
                    .and_then(Node::as_map)
                    .unwrap_or(&[]);
                for r in responses {
                    if let Some(c) = r
                        .value
                        .get("responseParameters")
                        .and_then(|p| cors_from_headers(p, "method.response.header."))
                    {
                        keep_most_open_cors(&mut cors, c);
                    }
                }
            }
            let uri = op
                .value
                .path(&["x-amazon-apigateway-integration", "uri"])
                .cloned();
            out.push((
                Route {
                    method,
                    path: path.key.clone(),
                    loc: op.key_loc,
                    auth,
                    api_key_required,
                    function: None,
                },
                uri,
            ));
        }
    }
    BodySettings {
        validation,
        cors: cors.into_iter().collect(),
        policy: body.get("x-amazon-apigateway-policy").cloned(),
    }
}
