//! fnguard on infrastructure-as-code as it is written in the wild: real
//! public SAM, CloudFormation, Serverless Framework and Terraform files
//! (unmodified copies under tests/wild, sources and licences in
//! tests/wild/NOTICE.md), scanned with the built binary.
//!
//! What must hold: nothing panics, every real template is discovered as the
//! format it is and loads without an input error, and a set of findings read
//! off the files by hand is there — while the classic false positives (values
//! that are references or placeholders, routes behind an authorizer,
//! settings a Terraform module leaves to its caller) are not.

mod common;

use common::{errors, findings, fnguard, stat};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Pinned so that runtime deprecation findings do not change with the
/// calendar.
const SCAN_DATE: &str = "2026-11-28";

/// Files that are genuinely invalid input and must be reported as input
/// errors (path relative to tests/wild). None of the collected files is:
/// `${file()}` references, undeclared Terraform variables, module calls and
/// custom YAML tags (`!Rain::Embed`) are all legitimate.
const EXPECTED_INPUT_ERRORS: &[&str] = &[];

/// Real YAML files that sit next to templates in the same repositories and
/// are not templates (a docker-compose file, example secret and config
/// files): a folder scan must skip them silently.
const NOT_TEMPLATES: &[&str] = &[
    "serverless__examples/aws-dotnet-rest-api-with-dynamodb__src__DotNetServerless.Lambda__env.configs.example.yml",
    "serverless__examples/aws-node-dynamic-image-resizer__docker-compose.yml",
    "serverless__examples/aws-node-env-variables-encrypted-in-a-file__secrets.example.yml",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Format {
    Sam,
    CloudFormation,
    Serverless,
    /// A folder of `.tf` files: Terraform's unit of loading.
    TerraformModule,
    TerraformPlan,
}

use Format::*;

/// Every input under tests/wild (a file, or a folder for a Terraform
/// module), its format, and the functions its model must hold — no more, no
/// less. None of these inputs declares a CloudWatch alarm, so FG-MON-001
/// names exactly the functions fnguard modelled.
const INVENTORY: &[(&str, Format, &[&str])] = &[
    (
        "aws__serverless-application-model/examples__2016-10-31__alexa_skill__template.yaml",
        Sam,
        &["AlexaSkillFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__api_aws_iam_auth__template.yaml",
        Sam,
        &["MyFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__api_backend__template.yaml",
        Sam,
        &["GetFunction", "PutFunction", "DeleteFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__api_cognito_auth__template.yaml",
        Sam,
        &["MyFunction", "PreSignupLambdaFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__api_lambda_request_auth__template.yaml",
        Sam,
        &["MyFunction", "MyAuthFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__api_lambda_token_auth__template.yaml",
        Sam,
        &["MyFunction", "MyAuthFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__encryption_proxy__template.yaml",
        Sam,
        &["EncryptionFunction", "DecryptionFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__function_lambda_event_destinations__template.yaml",
        Sam,
        &["EventDestinationLambda", "EventDestinationSQSSNS", "DestinationLambda"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__hello_world_vpc__template.yaml",
        Sam,
        &["HelloWorldFunction"],
    ),
    (
        "aws__serverless-application-model/examples__2016-10-31__http_api_cors__template.yaml",
        Sam,
        &["HttpApiFunction"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__api_http_with_default_iam_authorizer.yaml",
        Sam,
        &["HelloWorldFunction"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__api_merge_definitions_with_any_method.yaml",
        Sam,
        &["WebhooksReceiver"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__api_request_model_with_validator.yaml",
        Sam,
        &[
            "HtmlFunction",
            "HtmlFunctionNoValidation",
            "HtmlFunctionMixinValidation",
            "HtmlFunctionOnlyBodyDefinition",
            "HtmlFunctionOnlyRequestDefinition",
            "HtmlFunctionOnlyRequestDefinitionFalse",
            "HtmlFunctionOnlyBodyDefinitionFalse",
            "HtmlFunctionNotDefinedValidation",
        ],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__function_with_function_url_config.yaml",
        Sam,
        &["MyFunction"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__globals_for_function.yaml",
        Sam,
        &["MinimalFunction", "FunctionWithOverrides"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__api_with_apikey_required.yaml",
        Sam,
        &["MyFunctionWithApiKeyRequired"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__api_with_cors_and_auth_preflight_auth.yaml",
        Sam,
        &["ApiFunction", "MyAuthFn"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__function_managed_inline_policy.yaml",
        Sam,
        &["Function"],
    ),
    (
        "aws__serverless-application-model/tests__translator__input__http_api_with_cors.yaml",
        Sam,
        &["HttpApiFunction"],
    ),
    (
        "aws-samples__serverless-patterns/apigw-lambda-dynamodb__template.yaml",
        Sam,
        &["LambdaFunction"],
    ),
    (
        "aws-samples__serverless-patterns/lambda-function-url__template.yaml",
        Sam,
        &["FURLFunction"],
    ),
    (
        "aws-cloudformation__aws-cloudformation-templates/APIGateway__apigateway_lambda_integration.yaml",
        CloudFormation,
        &["LambdaFunction"],
    ),
    (
        "aws-cloudformation__aws-cloudformation-templates/APIGateway__apigateway_lambda_integration.json",
        CloudFormation,
        &["LambdaFunction"],
    ),
    (
        "serverless__examples/aws-golang-auth-examples__serverless.yml",
        Serverless,
        &[
            "AuthorizeLambdaFunction",
            "Authorize2LambdaFunction",
            "HelloDashworldLambdaFunction",
            "HelloDashworld2LambdaFunction",
        ],
    ),
    (
        "serverless__examples/aws-node-auth0-cognito-custom-authorizers-api__serverless.yml",
        Serverless,
        &[
            "PublicEndpointLambdaFunction",
            "AuthLambdaFunction",
            "PrivateEndpointLambdaFunction",
        ],
    ),
    (
        "serverless__examples/aws-node-auth0-custom-authorizers-api__serverless.yml",
        Serverless,
        &[
            "AuthLambdaFunction",
            "PublicEndpointLambdaFunction",
            "PrivateEndpointLambdaFunction",
        ],
    ),
    (
        "serverless__examples/aws-node-dynamodb-backup__serverless.yml",
        Serverless,
        &["BackupLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-graphql-and-rds__serverless.yml",
        Serverless,
        &["GraphqlLambdaFunction", "PlaygroundLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-env-variables-encrypted-in-a-file__serverless.yml",
        Serverless,
        &["ResetPasswordLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-env-variables__serverless.yml",
        Serverless,
        &["CreateUserLambdaFunction", "ResetPasswordLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-fetch-file-and-store-in-s3__serverless.yml",
        Serverless,
        &["SaveLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-github-webhook-listener__serverless.yml",
        Serverless,
        &["GithubWebhookListenerLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-heroku-postgres__serverless.yml",
        Serverless,
        &["HelloLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-http-api__serverless.yml",
        Serverless,
        &["HelloLambdaFunction"],
    ),
    (
        "serverless__examples/aws-node-rest-api-with-dynamodb__serverless.yml",
        Serverless,
        &[
            "CreateLambdaFunction",
            "ListLambdaFunction",
            "GetLambdaFunction",
            "UpdateLambdaFunction",
            "DeleteLambdaFunction",
        ],
    ),
    (
        "aws-samples__serverless-patterns/apigw-http-api-lambda-terraform",
        TerraformModule,
        &["aws_lambda_function.app"],
    ),
    (
        "aws-samples__serverless-patterns/lambda-sqs-terraform",
        TerraformModule,
        &["aws_lambda_function.lambda_function"],
    ),
    (
        "terraform-aws-modules__terraform-aws-lambda/root",
        TerraformModule,
        &["aws_lambda_function.this"],
    ),
    // Terraform 0.11-style interpolation, a root module that builds its
    // functions and API methods through local child modules (not followed),
    // and the two child modules scanned as modules of their own.
    (
        "TailorDev__hello-lambda/root",
        TerraformModule,
        &[],
    ),
    (
        "TailorDev__hello-lambda/lambda",
        TerraformModule,
        &["aws_lambda_function.lambda"],
    ),
    (
        "TailorDev__hello-lambda/api_method",
        TerraformModule,
        &[],
    ),
    // Only a `module` call: no resource of interest, and the call is not an
    // error.
    (
        "terraform-aws-modules__terraform-aws-lambda/examples__simple",
        TerraformModule,
        &[],
    ),
    // A real `terraform show -json` plan with IAM resources and no function.
    (
        "bridgecrewio__checkov/tests__terraform__runner__resources__plan_with_iam_policies__tfplan.json",
        TerraformPlan,
        &[],
    ),
];

fn wild_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/wild")
}

/// Scan one path under tests/wild; the run must neither crash nor report
/// an internal error, and with `--fail-on none` it exits 0 unless an input
/// error was found.
fn scan(rel: &str) -> Value {
    let path = wild_root().join(rel);
    let run = fnguard([
        "scan".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--fail-on".as_ref(),
        "none".as_ref(),
        "--scan-date".as_ref(),
        SCAN_DATE.as_ref(),
    ]);
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.to_lowercase().contains("internal error"),
        "{rel}: fnguard crashed:\n{}",
        run.stderr
    );
    assert!(
        run.code == 0 || run.code == 2,
        "{rel}: exit code {} (stderr: {})",
        run.code,
        run.stderr
    );
    let doc = run.json();
    let has_errors = !errors(&doc).is_empty();
    assert_eq!(
        run.code == 2,
        has_errors,
        "{rel}: exit code {} does not match the input errors {:#}",
        run.code,
        doc["errors"]
    );
    doc
}

/// The elements one finding is about: its resource, plus the functions
/// its related locations name (a setting shared by several functions — a
/// provider-level runtime, an execution role — is reported once, at the
/// setting, with the other functions as related locations).
fn covered(finding: &Value) -> Vec<String> {
    let mut out = vec![finding["resource"].as_str().unwrap_or("").to_string()];
    for related in finding["related"].as_array().into_iter().flatten() {
        let message = related["message"].as_str().unwrap_or("");
        if let Some(rest) = message.strip_prefix("function `") {
            if let Some((name, _)) = rest.split_once('`') {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// Unsuppressed findings as (rule, resource) → how many.
fn tally(doc: &Value) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for f in findings(doc) {
        if !f["suppressed"].is_null() {
            continue;
        }
        let key = (
            f["rule_id"].as_str().unwrap_or("").to_string(),
            f["resource"].as_str().unwrap_or("").to_string(),
        );
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

/// Files and Terraform module folders found on disk under tests/wild, as
/// inventory keys.
fn inputs_on_disk() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("read tests/wild")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        let rel = |p: &Path| {
            p.strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/")
        };
        if entries
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "tf"))
        {
            out.push(rel(dir));
        }
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e != "tf" && e != "md") {
                out.push(rel(&path));
            }
        }
    }
    let root = wild_root();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

#[test]
fn inventory_lists_every_collected_input() {
    let mut on_disk = inputs_on_disk();
    on_disk.sort();
    let mut listed: Vec<String> = INVENTORY
        .iter()
        .map(|(p, _, _)| p.to_string())
        .chain(NOT_TEMPLATES.iter().map(|p| p.to_string()))
        .collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "tests/wild and INVENTORY + NOT_TEMPLATES differ"
    );

    let mut per_format: BTreeMap<Format, usize> = BTreeMap::new();
    for (_, format, _) in INVENTORY {
        *per_format.entry(*format).or_insert(0) += 1;
    }
    let expected: BTreeMap<Format, usize> = [
        (Sam, 21),
        (CloudFormation, 2),
        (Serverless, 12),
        (TerraformModule, 7),
        (TerraformPlan, 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(per_format, expected);
}

#[test]
fn whole_corpus_scans_without_crash_or_input_error() {
    let doc = scan(".");
    // Error paths as written in the report, relative to tests/wild.
    let mut got: Vec<String> = errors(&doc)
        .into_iter()
        .map(|(path, ..)| {
            let rel = path
                .rsplit_once("tests/wild/")
                .map_or(path.as_str(), |(_, r)| r);
            rel.trim_start_matches("./").to_string()
        })
        .collect();
    got.sort();
    let mut expected: Vec<String> = EXPECTED_INPUT_ERRORS
        .iter()
        .map(|p| p.to_string())
        .collect();
    expected.sort();
    assert_eq!(got, expected, "input errors: {:#}", doc["errors"]);
    // 35 YAML/JSON templates + 1 plan + 11 `.tf` files in 7 modules, and
    // the 3 other files of serverless__examples/, the service folder its
    // serverless.yml files deploy (the IaC files themselves are left out
    // of packages).
    assert_eq!(stat(&doc, "files_scanned"), 47 + 3, "{:#}", doc["scan"]);
    assert_eq!(stat(&doc, "deployments_scanned"), 43, "{:#}", doc["scan"]);
}

#[test]
fn every_input_is_discovered_alone_and_models_its_functions() {
    let mut problems = Vec::new();
    for (rel, format, functions) in INVENTORY {
        let doc = scan(rel);
        if !errors(&doc).is_empty() {
            problems.push(format!("{rel}: input errors {:#}", doc["errors"]));
            continue;
        }
        let deployments = stat(&doc, "deployments_scanned");
        if deployments != 1 {
            problems.push(format!(
                "{rel} ({format:?}): {deployments} deployments, expected 1"
            ));
        }
        if *format == TerraformModule {
            let tf_files = std::fs::read_dir(wild_root().join(rel))
                .expect("module folder")
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "tf"))
                })
                .count() as u64;
            let scanned = stat(&doc, "files_scanned");
            if scanned != tf_files {
                problems.push(format!(
                    "{rel}: {scanned} files scanned, {tf_files} .tf files"
                ));
            }
        }
        let mut modelled: Vec<String> = findings(&doc)
            .iter()
            .filter(|f| f["rule_id"] == "FG-MON-001")
            .flat_map(covered)
            .collect();
        modelled.sort();
        modelled.dedup();
        let mut expected: Vec<String> = functions.iter().map(|f| f.to_string()).collect();
        expected.sort();
        if modelled != expected {
            problems.push(format!(
                "{rel} ({format:?}): functions {modelled:?}, expected {expected:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A hand-checked expectation on one input: findings that must be there
/// (rule, element or `A|B` alternatives, exact count of findings about it)
/// and findings that must not (rule or rule prefix such as `FG-SEC-`,
/// element or `*` for any). A finding is about its resource and about the
/// functions its related locations name.
struct Expect {
    file: &'static str,
    present: &'static [(&'static str, &'static str, usize)],
    absent: &'static [(&'static str, &'static str)],
}

const EXPECTATIONS: &[Expect] = &[
    // An explicit API whose DefaultAuthorizer is a Lambda TOKEN authorizer:
    // both routes are protected. nodejs12.x is long deprecated.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__api_lambda_token_auth__template.yaml",
        present: &[
            ("FG-RT-001", "MyFunction", 1),
            ("FG-RT-001", "MyAuthFunction", 1),
        ],
        absent: &[("FG-TRIG-003", "*"), ("FG-TRIG-001", "*")],
    },
    // Same with a REQUEST authorizer reading a query string.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__api_lambda_request_auth__template.yaml",
        present: &[("FG-API-002", "MyApi", 1)],
        absent: &[("FG-TRIG-003", "*")],
    },
    // DefaultAuthorizer: AWS_IAM protects the route.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__api_aws_iam_auth__template.yaml",
        present: &[("FG-RT-001", "MyFunction", 1)],
        absent: &[("FG-TRIG-003", "*")],
    },
    // Implicit ServerlessRestApi, no Auth: every event route is open. The
    // DynamoDB policy templates are scoped to the table, and the env var is
    // a Ref.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__api_backend__template.yaml",
        present: &[
            ("FG-TRIG-003", "GetFunction", 1),
            ("FG-TRIG-003", "PutFunction", 1),
            ("FG-TRIG-003", "DeleteFunction", 1),
            ("FG-API-003", "ServerlessRestApi", 1),
        ],
        absent: &[("FG-IAM-", "*"), ("FG-SEC-", "*")],
    },
    // Cognito DefaultAuthorizer, four routes opt out with Authorizer: NONE,
    // three keep it. The Cognito trigger permission has a SourceArn. CORS
    // '*' without credentials is not FG-TRIG-005.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__api_cognito_auth__template.yaml",
        present: &[("FG-TRIG-003", "MyFunction", 4)],
        absent: &[
            ("FG-TRIG-003", "PreSignupLambdaFunction"),
            ("FG-TRIG-001", "*"),
            ("FG-TRIG-005", "*"),
            ("FG-SEC-", "*"),
        ],
    },
    // Custom execution roles trusted by lambda.amazonaws.com only; the KMS
    // key policy's Resource '*' is not an execution role's.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__encryption_proxy__template.yaml",
        present: &[
            ("FG-TRIG-003", "EncryptionFunction", 1),
            ("FG-TRIG-003", "DecryptionFunction", 1),
            ("FG-RT-001", "EncryptionFunction", 1),
        ],
        absent: &[("FG-IAM-", "*")],
    },
    // VpcConfig from parameters: attached to a VPC.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__hello_world_vpc__template.yaml",
        present: &[("FG-RT-001", "HelloWorldFunction", 1)],
        absent: &[("FG-NET-001", "HelloWorldFunction")],
    },
    // Both async functions have an on-failure destination (SQS, and SNS
    // through !If with the topic condition true).
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__function_lambda_event_destinations__template.yaml",
        present: &[("FG-RT-001", "EventDestinationLambda", 1)],
        absent: &[
            ("FG-RT-003", "EventDestinationLambda"),
            ("FG-RT-003", "EventDestinationSQSSNS"),
        ],
    },
    // One `$default` route, written both as the function's HttpApi event and
    // in the API's DefinitionBody: one open route, one finding.
    // Depends on REQUESTS.md "[to: fx-sam] [from: wild] HttpApi route
    // reported twice ...".
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__http_api_cors__template.yaml",
        present: &[("FG-TRIG-003", "HttpApiFunction", 1)],
        absent: &[("FG-TRIG-003", "MyApi"), ("FG-TRIG-005", "*")],
    },
    // An AlexaSkill event without SkillId: any skill of any account may
    // invoke the function.
    Expect {
        file: "aws__serverless-application-model/examples__2016-10-31__alexa_skill__template.yaml",
        present: &[
            ("FG-TRIG-001", "AlexaSkillFunction", 1),
            ("FG-RT-001", "AlexaSkillFunction", 1),
        ],
        absent: &[("FG-TRIG-003", "*")],
    },
    // HttpApi with DefaultAuthorizer AWS_IAM: ANY and OPTIONS routes are
    // protected. The role's inline policy allows sts:AssumeRole on `*`.
    // CORS '*' with AllowCredentials false is not FG-TRIG-005.
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__api_http_with_default_iam_authorizer.yaml",
        present: &[("FG-IAM-003", "HelloWorldFunction|HelloWorldFunctionRole", 1)],
        absent: &[("FG-TRIG-003", "*"), ("FG-TRIG-005", "*"), ("FG-IAM-005", "*")],
    },
    // MergeDefinitions on a body without paths (`swagger: 2`, a number):
    // aws-sam-translator's own expected output for this input keeps the
    // body as is, so the event adds only a permission and no route exists.
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__api_merge_definitions_with_any_method.yaml",
        present: &[("FG-API-004", "WebhooksApi", 1)],
        absent: &[("FG-TRIG-", "*")],
    },
    // Eight events on HtmlApi (no Auth) naming it by a bare logical id;
    // five of them turn request validation on.
    // Depends on REQUESTS.md "[to: fx-sam] [from: wild] Api event with
    // `RestApiId` given as a plain logical-id string ...".
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__api_request_model_with_validator.yaml",
        present: &[
            ("FG-TRIG-003", "HtmlFunction", 1),
            ("FG-TRIG-003", "HtmlFunctionNoValidation", 1),
            ("FG-TRIG-003", "HtmlFunctionMixinValidation", 1),
            ("FG-TRIG-003", "HtmlFunctionOnlyBodyDefinition", 1),
            ("FG-TRIG-003", "HtmlFunctionOnlyRequestDefinition", 1),
            ("FG-TRIG-003", "HtmlFunctionOnlyRequestDefinitionFalse", 1),
            ("FG-TRIG-003", "HtmlFunctionOnlyBodyDefinitionFalse", 1),
            ("FG-TRIG-003", "HtmlFunctionNotDefinedValidation", 1),
        ],
        absent: &[("FG-API-003", "HtmlApi")],
    },
    // Function URL with AuthType NONE; CORS names origins, so credentials
    // are not offered to any origin.
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__function_with_function_url_config.yaml",
        present: &[("FG-TRIG-002", "MyFunction", 1)],
        absent: &[("FG-TRIG-005", "*")],
    },
    // Globals merged: VpcConfig, reserved concurrency, Tracing (overridden by
    // PassThrough in one function), LoggingConfig.LogGroup managed
    // elsewhere. Env values are plain words, not secrets.
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__globals_for_function.yaml",
        present: &[
            ("FG-LOG-003", "FunctionWithOverrides", 1),
            ("FG-RT-001", "MinimalFunction", 1),
            ("FG-RT-001", "FunctionWithOverrides", 1),
        ],
        absent: &[
            ("FG-LOG-003", "MinimalFunction"),
            ("FG-NET-001", "*"),
            ("FG-RT-002", "*"),
            ("FG-LOG-001", "*"),
            ("FG-SEC-", "*"),
        ],
    },
    // API key as the only protection of both routes: FG-TRIG-004, not
    // FG-TRIG-003.
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__api_with_apikey_required.yaml",
        present: &[("FG-TRIG-004", "MyFunctionWithApiKeyRequired", 2)],
        absent: &[("FG-TRIG-003", "*")],
    },
    // Globals.Api.Cors and a REQUEST DefaultAuthorizer on both routes.
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__api_with_cors_and_auth_preflight_auth.yaml",
        present: &[("FG-RT-001", "ApiFunction", 1)],
        absent: &[("FG-TRIG-003", "*"), ("FG-TRIG-005", "*")],
    },
    // `dynamodb:*` on `*` inline, and AmazonDynamoDBFullAccess listed twice
    // (SAM de-duplicates it); a Ref to an undeclared parameter stays
    // unknown.
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__function_managed_inline_policy.yaml",
        present: &[
            ("FG-IAM-002", "Function|FunctionRole", 1),
            ("FG-IAM-004", "Function|FunctionRole", 1),
        ],
        absent: &[("FG-IAM-001", "*"), ("FG-IAM-005", "*")],
    },
    // Two `$default` routes: MyApi's (event + DefinitionBody, one route)
    // and the implicit ServerlessHttpApi's. CorsConfiguration comes from
    // Globals through Fn::If (true): origin https://foo.com only.
    // Depends on REQUESTS.md "[to: fx-sam] [from: wild] HttpApi route
    // reported twice ...".
    Expect {
        file: "aws__serverless-application-model/tests__translator__input__http_api_with_cors.yaml",
        present: &[("FG-TRIG-003", "HttpApiFunction", 2)],
        absent: &[("FG-TRIG-003", "MyApi"), ("FG-TRIG-005", "*")],
    },
    // Implicit API, POST / without auth; python3.14 is current.
    Expect {
        file: "aws-samples__serverless-patterns/apigw-lambda-dynamodb__template.yaml",
        present: &[("FG-TRIG-003", "LambdaFunction", 1)],
        absent: &[("FG-RT-001", "*"), ("FG-IAM-", "*")],
    },
    // Function URL with AuthType AWS_IAM and CORS '*' without credentials.
    Expect {
        file: "aws-samples__serverless-patterns/lambda-function-url__template.yaml",
        present: &[("FG-LOG-001", "FURLFunction", 1)],
        absent: &[("FG-TRIG-002", "*"), ("FG-TRIG-005", "*"), ("FG-RT-001", "*")],
    },
    // REST method ANY with AuthorizationType NONE; it has RequestModels,
    // the permission has a SourceArn; `!Rain::Embed` is just an unknown
    // value.
    Expect {
        file: "aws-cloudformation__aws-cloudformation-templates/APIGateway__apigateway_lambda_integration.yaml",
        present: &[
            ("FG-TRIG-003", "LambdaFunction", 1),
            ("FG-API-004", "RestApi", 1),
        ],
        absent: &[("FG-API-003", "*"), ("FG-TRIG-001", "*"), ("FG-IAM-", "*")],
    },
    Expect {
        file: "aws-cloudformation__aws-cloudformation-templates/APIGateway__apigateway_lambda_integration.json",
        present: &[
            ("FG-TRIG-003", "LambdaFunction", 1),
            ("FG-API-004", "RestApi", 1),
        ],
        absent: &[("FG-API-003", "*"), ("FG-TRIG-001", "*"), ("FG-IAM-", "*")],
    },
    // Secret-looking names whose values are an AWS-documentation EXAMPLE
    // key or plain numbers (PASSWORD_ITERATIONS: 4096). One default role
    // for both functions.
    Expect {
        file: "serverless__examples/aws-node-env-variables__serverless.yml",
        present: &[("FG-IAM-007", "IamRoleLambdaExecution", 1)],
        absent: &[("FG-SEC-", "*")],
    },
    // Values from ${file(...)}: never resolved, never reported.
    Expect {
        file: "serverless__examples/aws-node-env-variables-encrypted-in-a-file__serverless.yml",
        present: &[("FG-RT-001", "ResetPasswordLambdaFunction", 1)],
        absent: &[("FG-SEC-", "*")],
    },
    // A public and a private endpoint (authorizer: auth); the public key
    // comes from ${file(./public_key)}.
    Expect {
        file: "serverless__examples/aws-node-auth0-custom-authorizers-api__serverless.yml",
        present: &[("FG-TRIG-003", "PublicEndpointLambdaFunction", 1)],
        absent: &[
            ("FG-TRIG-003", "PrivateEndpointLambdaFunction"),
            ("FG-SEC-", "*"),
        ],
    },
    // Framework v4, nodejs24.x; CORS '*' without credentials.
    Expect {
        file: "serverless__examples/aws-node-auth0-cognito-custom-authorizers-api__serverless.yml",
        present: &[("FG-TRIG-003", "PublicEndpointLambdaFunction", 1)],
        absent: &[
            ("FG-TRIG-003", "PrivateEndpointLambdaFunction"),
            ("FG-RT-001", "*"),
            ("FG-TRIG-005", "*"),
        ],
    },
    // `hello-world` has one open and one authorized route; `hello-world2`
    // only an authorized one.
    Expect {
        file: "serverless__examples/aws-golang-auth-examples__serverless.yml",
        present: &[
            ("FG-TRIG-003", "HelloDashworldLambdaFunction", 1),
            ("FG-RT-001", "HelloDashworldLambdaFunction", 1),
        ],
        absent: &[("FG-TRIG-003", "HelloDashworld2LambdaFunction")],
    },
    // The service name and every CloudFormation resource come from
    // ${file(...)}: unknown, not an error. Env values are GetAtts and
    // ${self:custom...} lookups.
    Expect {
        file: "serverless__examples/aws-node-graphql-and-rds__serverless.yml",
        // The framework's log groups (no logRetentionInDays) belong to
        // their functions even though both names carry the unknown
        // service name. Depends on REQUESTS.md "[to: fx-cfn] [from: wild]
        // regression seen when merging all branches ...". Both functions
        // use `provider.role: LambdaRole`, defined in a file: the sharing
        // is known even if the role is not.
        present: &[
            ("FG-TRIG-003", "GraphqlLambdaFunction", 1),
            ("FG-TRIG-003", "PlaygroundLambdaFunction", 1),
            ("FG-RT-001", "GraphqlLambdaFunction", 1),
            ("FG-LOG-001", "GraphqlLambdaFunction", 1),
            ("FG-LOG-001", "PlaygroundLambdaFunction", 1),
            ("FG-IAM-007", "LambdaRole", 1),
        ],
        absent: &[("FG-SEC-001", "*"), ("FG-SEC-003", "*"), ("FG-SEC-004", "*")],
    },
    // Statements scoped to one bucket prefix and one table's streams;
    // `EXAMPLE` placeholders everywhere.
    Expect {
        file: "serverless__examples/aws-node-dynamodb-backup__serverless.yml",
        present: &[("FG-RT-001", "BackupLambdaFunction", 1)],
        absent: &[("FG-IAM-", "*"), ("FG-SEC-", "*"), ("FG-TRIG-", "*")],
    },
    // `http: GET hello` shorthand, twice.
    Expect {
        file: "serverless__examples/aws-node-heroku-postgres__serverless.yml",
        present: &[("FG-TRIG-003", "HelloLambdaFunction", 2)],
        absent: &[],
    },
    // Five open CRUD routes; the DynamoDB statement names the table.
    Expect {
        file: "serverless__examples/aws-node-rest-api-with-dynamodb__serverless.yml",
        present: &[
            ("FG-TRIG-003", "CreateLambdaFunction", 1),
            ("FG-TRIG-003", "ListLambdaFunction", 1),
            ("FG-TRIG-003", "GetLambdaFunction", 1),
            ("FG-TRIG-003", "UpdateLambdaFunction", 1),
            ("FG-TRIG-003", "DeleteLambdaFunction", 1),
        ],
        absent: &[("FG-IAM-002", "*"), ("FG-IAM-003", "*")],
    },
    // A placeholder, not a secret.
    // Depends on REQUESTS.md "[to: checks2] [from: wild] FG-SEC-002 false
    // positive on an obvious placeholder ...".
    Expect {
        file: "serverless__examples/aws-node-github-webhook-listener__serverless.yml",
        present: &[("FG-TRIG-003", "GithubWebhookListenerLambdaFunction", 1)],
        absent: &[("FG-SEC-", "*")],
    },
    // HTTP API `$default` route without authorizer; log groups with
    // retention from variables with defaults; stage access logs; the
    // permission is scoped by source_arn.
    Expect {
        file: "aws-samples__serverless-patterns/apigw-http-api-lambda-terraform",
        present: &[("FG-TRIG-003", "aws_lambda_function.app", 1)],
        absent: &[
            ("FG-LOG-001", "*"),
            ("FG-API-004", "*"),
            ("FG-TRIG-001", "*"),
            ("FG-IAM-", "*"),
            ("FG-RT-001", "*"),
        ],
    },
    // No log group declared at all; the SQS policy is scoped to the queue.
    Expect {
        file: "aws-samples__serverless-patterns/lambda-sqs-terraform",
        present: &[("FG-LOG-001", "aws_lambda_function.lambda_function", 1)],
        absent: &[("FG-IAM-", "*"), ("FG-SEC-", "*")],
    },
    // A reusable module: everything comes from (undeclared) variables, so
    // nothing that depends on them may be reported.
    // The FG-LOG-001 line depends on REQUESTS.md "[to: fx-tf] [from: wild]
    // FG-LOG-001 false "No log group is declared" ...".
    Expect {
        file: "terraform-aws-modules__terraform-aws-lambda/root",
        present: &[("FG-MON-001", "aws_lambda_function.this", 1)],
        absent: &[
            ("FG-RT-001", "*"),
            ("FG-RT-002", "*"),
            ("FG-RT-003", "*"),
            ("FG-NET-", "*"),
            ("FG-SIGN-", "*"),
            ("FG-LOG-003", "*"),
            ("FG-TRIG-", "*"),
            ("FG-SEC-", "*"),
            ("FG-IAM-", "*"),
            ("FG-LOG-001", "*"),
        ],
    },
    // `runtime = "${var.runtime}"` with default "nodejs" (Node.js 0.10)
    // resolves; the role is the caller's.
    Expect {
        file: "TailorDev__hello-lambda/lambda",
        present: &[("FG-RT-001", "aws_lambda_function.lambda", 1)],
        absent: &[("FG-IAM-", "*"), ("FG-TRIG-", "*"), ("FG-SEC-", "*")],
    },
    // The API Gateway permission is scoped by source_arn.
    Expect {
        file: "TailorDev__hello-lambda/api_method",
        present: &[],
        absent: &[("FG-TRIG-001", "*"), ("FG-IAM-", "*")],
    },
    // The only role is trusted by lambda.amazonaws.com; no function and no
    // route is visible without following the module calls, and the API's
    // methods, stages and settings may all live in those modules.
    // The FG-API- line depends on REQUESTS.md "[to: fx-tf] [from: wild]
    // (judgement, possible false positives) API-level ...".
    Expect {
        file: "TailorDev__hello-lambda/root",
        present: &[],
        absent: &[
            ("FG-TRIG-", "*"),
            ("FG-IAM-", "*"),
            ("FG-SEC-", "*"),
            ("FG-API-", "*"),
        ],
    },
    Expect {
        file: "terraform-aws-modules__terraform-aws-lambda/examples__simple",
        present: &[],
        absent: &[("FG-", "*")],
    },
    Expect {
        file: "bridgecrewio__checkov/tests__terraform__runner__resources__plan_with_iam_policies__tfplan.json",
        // The role, the group and the user each grant `iam:*` on `*`
        // (aws_iam_role_policy.fail_1, aws_iam_group_policy.fail_2,
        // aws_iam_user_policy.fail_3): every IAM-only escalation method of
        // the catalog that reaches a role, a user, a group or a policy is
        // real for each of the three principals; nothing else is.
        present: &[
            ("FG-IAM-008", "aws_iam_role.example", 13),
            ("FG-IAM-008", "aws_iam_group.fail_2", 13),
            ("FG-IAM-008", "aws_iam_user.fail_3", 13),
        ],
        absent: &[
            ("FG-IAM-001", "*"),
            ("FG-IAM-002", "*"),
            ("FG-IAM-003", "*"),
            ("FG-IAM-004", "*"),
            ("FG-IAM-005", "*"),
            ("FG-IAM-006", "*"),
            ("FG-IAM-007", "*"),
            ("FG-PATH-", "*"),
            ("FG-TRIG-", "*"),
            ("FG-SEC-", "*"),
        ],
    },
];

#[test]
fn hand_checked_findings_hold() {
    let mut problems = Vec::new();
    for expect in EXPECTATIONS {
        let doc = scan(expect.file);
        let active: Vec<(String, Vec<String>)> = findings(&doc)
            .iter()
            .filter(|f| f["suppressed"].is_null())
            .map(|f| (f["rule_id"].as_str().unwrap_or("").to_string(), covered(f)))
            .collect();
        for (rule, resource, count) in expect.present {
            // `A|B`: the finding may be attached to either element (an IAM
            // finding to the function or to its execution role).
            let wanted: Vec<&str> = resource.split('|').collect();
            let n = active
                .iter()
                .filter(|(r, about)| {
                    r == rule && about.iter().any(|a| wanted.contains(&a.as_str()))
                })
                .count();
            if n != *count {
                problems.push(format!(
                    "{}: {rule} on {resource}: {n} finding(s), expected {count}",
                    expect.file
                ));
            }
        }
        for (rule, resource) in expect.absent {
            for (r, about) in &active {
                if r.starts_with(rule) && (*resource == "*" || about.iter().any(|a| a == resource))
                {
                    problems.push(format!("{}: unexpected {r} about {about:?}", expect.file));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn json_and_yaml_of_one_template_agree() {
    let dir = "aws-cloudformation__aws-cloudformation-templates";
    let yaml = tally(&scan(&format!(
        "{dir}/APIGateway__apigateway_lambda_integration.yaml"
    )));
    let json = tally(&scan(&format!(
        "{dir}/APIGateway__apigateway_lambda_integration.json"
    )));
    assert!(!yaml.is_empty());
    assert_eq!(yaml, json);
}

#[test]
fn literal_values_never_leak_into_the_report() {
    // The literal values of secret-named variables in the corpus: whether
    // they are reported or not, no output may carry them in clear.
    let doc = scan("serverless__examples");
    let text = doc.to_string();
    for raw in ["KEYEXAMPLE1234", "REPLACE-WITH-YOUR-SECRET-HERE"] {
        assert!(!text.contains(raw), "the report shows {raw}");
    }
}

#[test]
fn every_output_format_renders_the_corpus() {
    let root = wild_root();
    let run_format = |format: &str, lang: &str| {
        let run = fnguard([
            "scan".as_ref(),
            root.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
            "--lang".as_ref(),
            lang.as_ref(),
            "--fail-on".as_ref(),
            "none".as_ref(),
            "--scan-date".as_ref(),
            SCAN_DATE.as_ref(),
            "--no-color".as_ref(),
        ]);
        assert_eq!(run.code, 0, "{format}/{lang}: {}", run.stderr);
        assert!(
            !run.stderr.contains("panicked"),
            "{format}/{lang}: {}",
            run.stderr
        );
        assert!(
            !run.stdout.trim().is_empty(),
            "{format}/{lang}: empty output"
        );
        run
    };
    let json = run_format("json", "en").json();
    let active = findings(&json)
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .count();
    assert!(active > 0);
    let sarif = run_format("sarif", "en").json();
    let results = sarif["runs"][0]["results"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(results, active, "SARIF results vs JSON findings");
    for (format, lang) in [
        ("table", "en"),
        ("table", "zh"),
        ("markdown", "zh"),
        ("junit", "en"),
    ] {
        run_format(format, lang);
    }
}

/// Tally keyed by (path relative to the scanned root, rule, resource).
fn tally_by_file(doc: &Value, root: &Path) -> BTreeMap<(String, String, String), usize> {
    let prefix = format!("{}/", root.to_string_lossy().replace('\\', "/"));
    let mut out = BTreeMap::new();
    for f in findings(doc) {
        let path = f["location"]["path"].as_str().unwrap_or("");
        let key = (
            path.strip_prefix(&prefix).unwrap_or(path).to_string(),
            f["rule_id"].as_str().unwrap_or("").to_string(),
            f["resource"].as_str().unwrap_or("").to_string(),
        );
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

fn scan_dir(root: &Path) -> Value {
    let run = fnguard([
        "scan".as_ref(),
        root.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--fail-on".as_ref(),
        "none".as_ref(),
        "--scan-date".as_ref(),
        SCAN_DATE.as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}: {}", root.display(), run.stderr);
    run.json()
}

#[test]
fn windows_checkouts_scan_the_same() {
    // The same files as a Windows checkout may hold them: CRLF line ends
    // and a UTF-8 byte-order mark.
    let copy = common::TempDir::new("wild-crlf-bom");
    let root = wild_root();
    fn copy_tree(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).expect("read dir") {
            let path = entry.expect("entry").path();
            let target = to.join(path.file_name().expect("name"));
            if path.is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
                copy_tree(&path, &target);
            } else if path.extension().is_some_and(|e| e != "md") {
                let text = std::fs::read_to_string(&path).expect("utf-8 input");
                let windows = format!("\u{feff}{}", text.replace('\n', "\r\n"));
                std::fs::write(&target, windows).expect("write");
            }
        }
    }
    copy_tree(&root, copy.root());
    let original = scan_dir(&root);
    let windows = scan_dir(copy.root());
    assert!(errors(&windows).is_empty(), "{:#}", windows["errors"]);
    assert_eq!(
        tally_by_file(&original, &root),
        tally_by_file(&windows, copy.root())
    );
}

#[test]
fn files_that_are_not_templates_are_skipped_in_folders_and_refused_by_name() {
    // Skipped: the whole-corpus scan counts only the inventory's files and
    // reports no error (whole_corpus_scans_without_crash_or_input_error).
    // Named on the command line, each is an input error, not a silent skip.
    for rel in NOT_TEMPLATES {
        let doc = scan(rel);
        let errs = errors(&doc);
        assert_eq!(errs.len(), 1, "{rel}: {:#}", doc["errors"]);
        assert!(errs[0].0.ends_with(rel), "{rel}: {:#}", doc["errors"]);
        assert_eq!(stat(&doc, "files_scanned"), 0, "{rel}");
        assert!(findings(&doc).is_empty(), "{rel}");
    }
}
