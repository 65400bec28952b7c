//! Where functions' code and layers come from, in every loader: the code
//! locations `fnguard scan` reads (`Function::code`, `LayerVersion::content`)
//! and the links from functions to the layer versions of the same files.

use fnguard_core::Field;
use fnguard_model::terraform::load_module;
use fnguard_model::*;
use std::path::Path;

fn fixture(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read_to_string(full).expect("fixture exists")
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u32 + 1)
        .unwrap_or_else(|| panic!("{needle} not in fixture"))
}

fn function<'d>(dep: &'d Deployment, id: &str) -> &'d Function {
    dep.function(id).unwrap_or_else(|| {
        let ids: Vec<&str> = dep.functions.iter().map(|f| f.id.as_str()).collect();
        panic!("no function {id}; have {ids:?}")
    })
}

fn layer<'d>(dep: &'d Deployment, id: &str) -> &'d LayerVersion {
    dep.layer(id).unwrap_or_else(|| {
        let ids: Vec<&str> = dep.layers.iter().map(|l| l.id.as_str()).collect();
        panic!("no layer {id}; have {ids:?}")
    })
}

fn local(id: &str) -> Ref {
    Ref::Local(id.to_string())
}

fn external(text: &str) -> Ref {
    Ref::External(text.to_string())
}

fn runtimes(layer: &LayerVersion) -> Vec<&str> {
    layer
        .compatible_runtimes
        .iter()
        .filter_map(Field::as_deref)
        .collect()
}

fn used_layers<'d>(dep: &'d Deployment, f: &'d Function) -> Vec<&'d str> {
    dep.layers_of(f).map(|l| l.id.as_str()).collect()
}

#[test]
fn cloudformation_layer_versions_and_links() {
    let text = fixture("cfn/layers.yaml");
    let dep = cfn::load("layers.yaml", &text).expect("loads");
    assert_eq!(dep.layers.len(), 2);

    let shared = layer(&dep, "SharedLayer");
    assert_eq!(shared.name.as_deref(), Some("shared-libs"));
    assert_eq!(
        shared.content.as_deref(),
        Some("s3://${ArtifactBucket}/layers/shared-libs.zip")
    );
    assert_eq!(shared.loc.line, line_of(&text, "  SharedLayer:"));
    assert_eq!(runtimes(shared), ["python3.12", "python3.13"]);
    // `aws cloudformation package` uploads a local Content path.
    let local_layer = layer(&dep, "LocalLayer");
    assert_eq!(local_layer.content.as_deref(), Some("layers/tools/"));
    assert_eq!(
        local_layer.content.loc().map(|l| l.line),
        Some(line_of(&text, "Content: layers/tools/"))
    );
    assert!(local_layer.compatible_runtimes.is_empty());

    let api = function(&dep, "ApiFunction");
    assert_eq!(
        api.code.as_deref(),
        Some("s3://${ArtifactBucket}/functions/api.zip")
    );
    assert_eq!(api.layers.len(), api.layer_refs.len());
    assert_eq!(
        api.layer_refs,
        [
            local("SharedLayer"),
            local("LocalLayer"),
            // An ARN of this account naming the layer the stack publishes.
            local("SharedLayer"),
            external("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:59"),
            // Same layer name in a fixed account: not provably this stack's.
            external("arn:aws:lambda:us-east-1:111122223333:layer:shared-libs:4"),
        ]
    );
    assert_eq!(
        used_layers(&dep, api),
        ["SharedLayer", "LocalLayer", "SharedLayer"]
    );

    let worker = function(&dep, "WorkerFunction");
    assert_eq!(worker.code.as_deref(), Some("./src/worker"));
    // A list parameter without default: one unknown entry.
    assert_eq!(worker.layer_refs, [Ref::Unknown]);
    assert!(worker.layers[0].is_unknown());

    let inline = function(&dep, "InlineFunction");
    assert_eq!(inline.code.as_deref(), Some(INLINE_CODE));
    assert!(inline.layers.is_empty() && inline.layer_refs.is_empty());
}

#[test]
fn sam_code_uri_from_globals_paths_inline_and_s3_and_layers() {
    let text = fixture("sam/layers.yaml");
    let dep = cfn::load("layers.yaml", &text).expect("loads");
    assert_eq!(dep.format, SourceFormat::Sam);

    // CodeUri inherited from Globals, located where Globals sets it.
    let list = function(&dep, "ListOrders");
    assert_eq!(list.code.as_deref(), Some("src/"));
    assert_eq!(
        list.code.loc().map(|l| l.line),
        Some(line_of(&text, "CodeUri: src/"))
    );
    assert_eq!(list.handler.as_deref(), Some("handlers/list.handler"));
    assert_eq!(list.layer_refs, [local("DepsLayer")]);

    let create = function(&dep, "CreateOrder");
    assert_eq!(create.code.as_deref(), Some("functions/create/"));
    // Globals' layers come first, then the function's (SAM appends).
    assert_eq!(
        create.layer_refs,
        [local("DepsLayer"), local("RemoteLayer")]
    );
    assert_eq!(used_layers(&dep, create), ["DepsLayer", "RemoteLayer"]);

    let ping = function(&dep, "Ping");
    assert_eq!(ping.code.as_deref(), Some(INLINE_CODE));
    assert_eq!(
        CodeLocation::parse(INLINE_CODE, false),
        CodeLocation::Inline
    );

    let archive = function(&dep, "Archive");
    assert_eq!(
        archive.code.as_deref(),
        Some("s3://code-bucket/archive/v7.zip")
    );

    let deps = layer(&dep, "DepsLayer");
    assert_eq!(deps.name.as_deref(), Some("orders-deps"));
    assert_eq!(deps.content.as_deref(), Some("layers/deps/"));
    assert_eq!(runtimes(deps), ["python3.12"]);
    assert_eq!(
        layer(&dep, "RemoteLayer").content.as_deref(),
        Some("s3://layer-artifacts/tools/1.4.0.zip")
    );
    // Without ContentUri, `sam deploy` packages the template's folder.
    let folder = layer(&dep, "FolderLayer");
    assert_eq!(folder.content.as_deref(), Some("."));
    assert_eq!(folder.name.as_deref(), Some("whole-folder"));
}

#[test]
fn sam_function_without_code_uri_ships_the_template_folder() {
    let text = "Transform: AWS::Serverless-2016-10-31
Resources:
  Zip:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
  Image:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
    Metadata:
      DockerContext: ./image
";
    let dep = cfn::load("template.yaml", text).expect("loads");
    let zip = function(&dep, "Zip");
    assert_eq!(zip.code.as_deref(), Some("."));
    assert_eq!(CodeLocation::parse(".", false), CodeLocation::Local("."));
    // An image built by `sam build` from a Dockerfile: no code location.
    assert!(function(&dep, "Image").code.is_absent());
}

#[test]
fn serverless_code_is_the_service_folder_or_the_artifact() {
    let text = fixture("serverless/layers.yml");
    let dep = serverless::load("serverless.yml", &text).expect("loads");

    // No artifact: the framework packs the service folder, with or without
    // `package.individually`; the handler's folder is inside it.
    let api = function(&dep, "ApiLambdaFunction");
    assert_eq!(api.code.as_deref(), Some("."));
    assert_eq!(api.handler.as_deref(), Some("src/handlers/app.main"));
    assert_eq!(
        api.code.loc().map(|l| l.line),
        Some(line_of(&text, "  api:"))
    );

    // An artifact hosted on S3 (path-style URL) is that object.
    let worker = function(&dep, "WorkerLambdaFunction");
    assert_eq!(
        worker.code.as_deref(),
        Some("s3://orders-artifacts/worker-1.2.zip")
    );
    // An artifact from the environment is never resolved.
    let report = function(&dep, "ReportLambdaFunction");
    assert!(report.code.is_unknown(), "{:?}", report.code);
    assert_eq!(report.layer_refs, [Ref::Unknown]);
}

#[test]
fn serverless_layers_and_function_links() {
    let text = fixture("serverless/layers.yml");
    let dep = serverless::load("serverless.yml", &text).expect("loads");
    let ids: Vec<&str> = dep.layers.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "DepsLambdaLayer",
            "VendorDashtoolsLambdaLayer",
            "SecretLayerLambdaLayer"
        ]
    );

    let deps = layer(&dep, "DepsLambdaLayer");
    assert_eq!(deps.loc.line, line_of(&text, "  deps:"));
    // The layer's key is its published name when `name` is not set.
    assert_eq!(deps.name.as_deref(), Some("deps"));
    assert_eq!(deps.content.as_deref(), Some("layers/deps"));
    assert_eq!(
        deps.content.loc().map(|l| l.line),
        Some(line_of(&text, "path: layers/deps"))
    );
    assert_eq!(runtimes(deps), ["python3.12"]);

    let tools = layer(&dep, "VendorDashtoolsLambdaLayer");
    assert_eq!(tools.name.as_deref(), Some("prod-tools"));
    assert_eq!(tools.content.as_deref(), Some("build/vendor-tools.zip"));
    assert!(layer(&dep, "SecretLayerLambdaLayer").content.is_unknown());

    let api = function(&dep, "ApiLambdaFunction");
    assert_eq!(
        api.layer_refs,
        [
            local("DepsLambdaLayer"),
            local("VendorDashtoolsLambdaLayer"),
            // `${aws:accountId}` and the layer's published name.
            local("VendorDashtoolsLambdaLayer"),
            external("arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:59"),
        ]
    );
    assert!(function(&dep, "WorkerLambdaFunction").layer_refs.is_empty());
}

#[test]
fn serverless_service_artifact_and_layer_without_content() {
    let text = "service: billing
provider:
  name: aws
  runtime: nodejs20.x
package:
  artifact: dist/billing.zip
layers:
  empty:
    description: neither path nor artifact
functions:
  charge:
    handler: charge.handler
  refund:
    handler: refund.handler
    package:
      artifact: s3://billing-builds/refund.zip
  render:
    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/render:3
";
    let dep = serverless::load("serverless.yml", text).expect("loads");
    assert_eq!(
        function(&dep, "ChargeLambdaFunction").code.as_deref(),
        Some("dist/billing.zip")
    );
    // The function's own artifact wins over the service's.
    assert_eq!(
        function(&dep, "RefundLambdaFunction").code.as_deref(),
        Some("s3://billing-builds/refund.zip")
    );
    let render = function(&dep, "RenderLambdaFunction");
    assert_eq!(
        render.code.as_deref(),
        Some("111122223333.dkr.ecr.eu-west-1.amazonaws.com/render:3")
    );
    assert_eq!(
        CodeLocation::parse(render.code.as_deref().unwrap_or(""), true),
        CodeLocation::Image("111122223333.dkr.ecr.eu-west-1.amazonaws.com/render:3")
    );
    assert!(layer(&dep, "EmptyLambdaLayer").content.is_absent());
    assert!(dep
        .warnings
        .iter()
        .any(|w| w.message.contains("layer `empty` has neither")));
}

#[test]
fn terraform_code_paths_stay_relative_to_the_module() {
    let files = vec![(
        "layers/main.tf".to_string(),
        fixture("terraform/layers/main.tf"),
    )];
    let (dep, errors) = load_module(&files);
    assert!(errors.is_empty(), "{errors:?}");
    let dep = dep.expect("deployment");
    let text = &files[0].1;

    // data.archive_file stands for its source folder or file.
    let api = function(&dep, "aws_lambda_function.api");
    assert_eq!(api.code.as_deref(), Some("./src/api"));
    assert_eq!(
        function(&dep, "aws_lambda_function.single").code.as_deref(),
        Some("./handlers/single.py")
    );
    assert_eq!(
        function(&dep, "aws_lambda_function.worker").code.as_deref(),
        Some("./build/worker.zip")
    );
    assert_eq!(
        function(&dep, "aws_lambda_function.from_s3")
            .code
            .as_deref(),
        Some("s3://${aws_s3_bucket.artifacts.id}/functions/from-s3.zip")
    );
    // Paths of the machine Terraform runs on are never made up.
    for id in [
        "aws_lambda_function.elsewhere",
        "aws_lambda_function.absolute",
    ] {
        assert!(function(&dep, id).code.is_unknown(), "{id}");
    }

    let deps = layer(&dep, "aws_lambda_layer_version.deps");
    assert_eq!(deps.name.as_deref(), Some("orders-deps"));
    // The archive provider's resource form, like the data source.
    assert_eq!(deps.content.as_deref(), Some("./layers/deps"));
    assert_eq!(
        deps.loc.line,
        line_of(text, "resource \"aws_lambda_layer_version\" \"deps\"")
    );
    assert_eq!(runtimes(deps), ["python3.12", "python3.13"]);
    let tools = layer(&dep, "aws_lambda_layer_version.tools");
    assert_eq!(
        tools.content.as_deref(),
        Some("s3://${aws_s3_bucket.artifacts.id}/layers/tools.zip")
    );

    assert_eq!(
        api.layer_refs,
        [
            local("aws_lambda_layer_version.deps"),
            local("aws_lambda_layer_version.tools"),
            external("arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:59"),
        ]
    );
    assert_eq!(api.layers.len(), 3);
    assert_eq!(
        used_layers(&dep, api),
        [
            "aws_lambda_layer_version.deps",
            "aws_lambda_layer_version.tools"
        ]
    );
}

#[test]
fn layer_arns_name_their_account_and_layer() {
    assert_eq!(
        layer_arn_parts("arn:aws:lambda:us-east-1:111122223333:layer:deps:4"),
        Some(("111122223333", "deps"))
    );
    assert_eq!(
        layer_arn_parts("arn:aws-cn:lambda:cn-north-1:111122223333:layer:deps"),
        Some(("111122223333", "deps"))
    );
    assert_eq!(
        layer_arn_parts("arn:aws:lambda:us-east-1:111122223333:function:deps"),
        None
    );
    assert_eq!(layer_arn_parts("deps"), None);
    assert!(names_own_layer(
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:layer:deps:1",
        "deps"
    ));
    assert!(!names_own_layer(
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:layer:deps-extra:1",
        "deps"
    ));
    // A name built from placeholders keeps their colons.
    assert_eq!(
        layer_arn_parts(
            "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:layer:${AWS::StackName}-deps:2"
        ),
        Some(("${AWS::AccountId}", "${AWS::StackName}-deps"))
    );
    assert_eq!(
        CodeLocation::parse("s3://bucket/a/b.zip", false),
        CodeLocation::S3 {
            bucket: "bucket",
            key: "a/b.zip"
        }
    );
}

#[test]
fn terraform_plan_layers_and_their_functions() {
    let text = fixture("terraform/plan-layers/plan.json");
    let dep = fnguard_model::terraform::load_plan("plan.json", &text).expect("plan loads");
    let deps = layer(&dep, "aws_lambda_layer_version.deps");
    assert_eq!(deps.name.as_deref(), Some("orders-deps"));
    // Relative to the folder Terraform ran in, as the plan records it.
    assert_eq!(deps.content.as_deref(), Some("build/deps.zip"));
    assert_eq!(runtimes(deps), ["python3.12"]);

    // The ARN is computed at apply time; the configuration names the layer.
    let api = function(&dep, "aws_lambda_function.api");
    assert_eq!(api.code.as_deref(), Some("build/api.zip"));
    assert_eq!(api.layer_refs, [local("aws_lambda_layer_version.deps")]);

    let from_s3 = function(&dep, "aws_lambda_function.from_s3");
    assert_eq!(
        from_s3.code.as_deref(),
        Some("s3://orders-artifacts/functions/from-s3.zip")
    );
    assert_eq!(
        from_s3.layer_refs,
        [external(
            "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:59"
        )]
    );
}

#[test]
fn odd_layer_declarations_warn_and_never_panic() {
    let listed = "service: s
provider: {name: aws, runtime: python3.12}
layers: [deps, tools]
functions:
  f: {handler: f.handler, layers: [{Ref: DepsLambdaLayer}, [nested], 7]}
";
    let dep = serverless::load("serverless.yml", listed).expect("loads");
    assert!(dep.layers.is_empty());
    assert!(dep
        .warnings
        .iter()
        .any(|w| w.message.contains("layers: not a map")));
    let f = function(&dep, "FLambdaFunction");
    // A Ref to a layer the files do not declare, a list, a number.
    assert_eq!(f.layer_refs.len(), 3);
    assert_eq!(f.layer_refs[1], Ref::Unknown);
    assert_eq!(f.layer_refs[2], external("7"));

    let odd = "service: s
provider: {name: aws}
layers:
  scalar: just-a-string
  listed:
    path: [a, b]
";
    let dep = serverless::load("serverless.yml", odd).expect("loads");
    assert!(dep
        .warnings
        .iter()
        .any(|w| w.message.contains("layer `scalar` is not a map")));
    assert!(layer(&dep, "ListedLambdaLayer").content.is_unknown());

    let cfn_text = r#"{"Resources": {
  "L": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": 5, "CompatibleRuntimes": "python3.12"}},
  "F": {"Type": "AWS::Lambda::Function", "Properties": {"Layers": [{"Fn::GetAtt": ["Nope", "Arn"]}, {"a": 1}], "Code": {}}}
}}"#;
    let dep = cfn::load("t.json", cfn_text).expect("loads");
    assert_eq!(layer(&dep, "L").content.as_deref(), Some("5"));
    let f = function(&dep, "F");
    assert_eq!(f.layer_refs.len(), 2);
    assert!(f.code.is_unknown());
}
