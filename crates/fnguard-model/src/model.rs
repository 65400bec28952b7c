//! The normalized model of a cloud-function deployment. Every loader
//! (CloudFormation/SAM, Serverless Framework, Terraform HCL, Terraform plan)
//! produces a `Deployment`; checks read only this, never raw templates.
//!
//! Conventions every loader follows:
//! * Identifiers (`id`) are what a user searches for in the source: a
//!   CloudFormation logical id, a Terraform address (`aws_lambda_function.orders`),
//!   a Serverless function key.
//! * Cross references between elements use those ids; a reference to
//!   something outside the scanned files is `External(text)`, one that cannot
//!   be evaluated is `Unknown`.
//! * AWS pseudo parameters resolve to the placeholders below, so that a check
//!   can recognise "this template's own account" without knowing its number.
//! * Every element keeps its source `Loc`; `Field::Absent` means "not set",
//!   and checks then point at the element itself.

use fnguard_core::{Field, Loc};
use fnguard_iam::Policy;

/// Placeholder for the deploying account (CloudFormation `AWS::AccountId`,
/// Terraform `data.aws_caller_identity.*.account_id`, Serverless
/// `${aws:accountId}`).
pub const SELF_ACCOUNT: &str = "${AWS::AccountId}";
pub const SELF_REGION: &str = "${AWS::Region}";
pub const SELF_PARTITION: &str = "aws";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    CloudFormation,
    Sam,
    Serverless,
    Terraform,
    TerraformPlan,
}

impl SourceFormat {
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::CloudFormation => "cloudformation",
            SourceFormat::Sam => "sam",
            SourceFormat::Serverless => "serverless",
            SourceFormat::Terraform => "terraform",
            SourceFormat::TerraformPlan => "terraform-plan",
        }
    }
}

/// One unit of deployment: a template, a Serverless service, a Terraform
/// module folder or a plan.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub format: SourceFormat,
    /// Display paths of the files this unit was read from; `Loc::file`
    /// indexes this table.
    pub files: Vec<String>,
    pub functions: Vec<Function>,
    /// Lambda layer versions declared in the files (published by this
    /// deployment), whatever uses them.
    pub layers: Vec<LayerVersion>,
    pub roles: Vec<Role>,
    pub permissions: Vec<InvokePermission>,
    pub function_urls: Vec<FunctionUrl>,
    pub apis: Vec<Api>,
    pub log_groups: Vec<LogGroup>,
    pub alarms: Vec<Alarm>,
    pub trails: Vec<Trail>,
    pub security_groups: Vec<SecurityGroup>,
    pub code_signing_configs: Vec<CodeSigningConfig>,
    pub parameters: Vec<Parameter>,
    /// Databases, caches and search domains declared in the files: what a
    /// function's network position may reach (guide §2.2).
    pub data_stores: Vec<DataStore>,
    /// Resource-based policies of buckets, queues and topics: who may put
    /// events into a function's trigger source.
    pub resource_policies: Vec<ResourcePolicy>,
    /// IAM users and groups declared in the files: principals other than
    /// roles whose policies may enable privilege escalation.
    pub identities: Vec<Identity>,
    /// `# fnguard:ignore ...` comments found in the files.
    pub inline_ignores: Vec<InlineIgnore>,
    /// Problems the loader met but could work around (an unreadable
    /// policy, an unsupported construct): reported, never fatal.
    pub warnings: Vec<LoadWarning>,
}

impl Deployment {
    pub fn new(format: SourceFormat, files: Vec<String>) -> Self {
        Deployment {
            format,
            files,
            functions: Vec::new(),
            layers: Vec::new(),
            roles: Vec::new(),
            permissions: Vec::new(),
            function_urls: Vec::new(),
            apis: Vec::new(),
            log_groups: Vec::new(),
            alarms: Vec::new(),
            trails: Vec::new(),
            security_groups: Vec::new(),
            code_signing_configs: Vec::new(),
            parameters: Vec::new(),
            data_stores: Vec::new(),
            resource_policies: Vec::new(),
            identities: Vec::new(),
            inline_ignores: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn file(&self, loc: Loc) -> &str {
        self.files
            .get(loc.file as usize)
            .map(String::as_str)
            .unwrap_or("<unknown>")
    }

    pub fn function(&self, id: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.id == id)
    }

    pub fn layer(&self, id: &str) -> Option<&LayerVersion> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// The layer versions of this deployment that `function` uses, in the
    /// order of its `layers` list (layers outside the files are not there).
    pub fn layers_of<'a>(
        &'a self,
        function: &'a Function,
    ) -> impl Iterator<Item = &'a LayerVersion> + 'a {
        function.layer_refs.iter().filter_map(|r| match r {
            Ref::Local(id) => self.layer(id),
            _ => None,
        })
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    pub fn api(&self, id: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.id == id)
    }

    pub fn security_group(&self, id: &str) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|s| s.id == id)
    }

    pub fn code_signing_config(&self, id: &str) -> Option<&CodeSigningConfig> {
        self.code_signing_configs.iter().find(|c| c.id == id)
    }

    pub fn data_store(&self, id: &str) -> Option<&DataStore> {
        self.data_stores.iter().find(|d| d.id == id)
    }

    pub fn identity(&self, id: &str) -> Option<&Identity> {
        self.identities.iter().find(|i| i.id == id)
    }

    /// Resource policies that apply to the bucket, queue or topic `id`.
    pub fn resource_policies_of<'a>(
        &'a self,
        id: &'a str,
    ) -> impl Iterator<Item = &'a ResourcePolicy> + 'a {
        self.resource_policies.iter().filter(move |p| {
            p.targets
                .iter()
                .any(|t| matches!(t, Ref::Local(l) if l == id))
        })
    }
}

/// `fnguard:ignore` in CloudFormation `Metadata` or on an element.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignore {
    pub rule_id: String,
    pub reason: Option<String>,
    pub loc: Loc,
}

/// `# fnguard:ignore FG-XXX-NNN[,FG-YYY-NNN] reason` in a source file. It
/// applies to findings on its own line and on the next line that is not a
/// comment; placed on or directly above an element's first line it applies
/// to every finding of that element.
#[derive(Debug, Clone, PartialEq)]
pub struct InlineIgnore {
    pub rule_ids: Vec<String>,
    pub reason: Option<String>,
    /// Position of the comment.
    pub loc: Loc,
    /// The first line after the comment that is not blank or a comment (or
    /// the comment's own line when it trails code).
    pub target_line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadWarning {
    pub loc: Loc,
    pub message: String,
}

/// A reference to another element of the deployment.
#[derive(Debug, Clone, PartialEq)]
pub enum Ref {
    /// Another element of this deployment, by id.
    Local(String),
    /// Something outside the scanned files (an ARN, a name, an import).
    External(String),
    /// An expression fnguard cannot evaluate.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub id: String,
    pub loc: Loc,
    pub name: Field<String>,
    /// `None` for container images (`PackageType: Image`).
    pub runtime: Field<String>,
    pub package_type: Field<String>,
    pub handler: Field<String>,
    /// Where the code comes from, as a code location (see
    /// [`CodeLocation`] for the forms the string takes): SAM `CodeUri` (the
    /// template's folder `.` when a zip function sets none, as `sam deploy`
    /// packages it), CloudFormation `Code`, Terraform `filename` (a
    /// `data.archive_file`'s `output_path` stands for its `source_dir` or
    /// `source_file`) or `s3_bucket`/`s3_key`, the Serverless Framework's
    /// `package.artifact` (the function's, else the service's) or else the
    /// service folder `.` it packs; `image_uri` / `ImageUri` for images.
    pub code: Field<String>,
    /// The execution role. SAM functions without `Role` and Serverless
    /// functions get the role the framework generates (`implicit` roles).
    pub role: Field<Ref>,
    pub environment: Vec<EnvVar>,
    pub kms_key: Field<String>,
    /// `Absent` means not attached to a VPC.
    pub vpc: Field<VpcConfig>,
    /// `Layers` / `layers` entries as written (after resolving what the
    /// files determine): usually a layer version ARN.
    pub layers: Vec<Field<String>>,
    /// What each entry of `layers` names, in the same order and number:
    /// `Local(id)` of a [`LayerVersion`] in `Deployment::layers` (a `Ref`
    /// or `GetAtt` of it, a Terraform reference to it, or an ARN of this
    /// account naming its layer), `External(text)` for a layer outside the
    /// files, `Unknown` when the files do not determine it.
    pub layer_refs: Vec<Ref>,
    pub code_signing: Field<Ref>,
    /// `LoggingConfig.LogFormat` (`JSON` or `Text`).
    pub log_format: Field<String>,
    /// Explicit `LoggingConfig.LogGroup`.
    pub log_group: Field<String>,
    /// `Active` or `PassThrough`.
    pub tracing: Field<String>,
    pub reserved_concurrency: Field<i64>,
    /// Dead-letter queue or topic target.
    pub dead_letter: Field<String>,
    /// Asynchronous on-failure destination (EventInvokeConfig, SAM
    /// `EventInvokeConfig`, Terraform `aws_lambda_function_event_invoke_config`).
    pub on_failure: Field<String>,
    pub triggers: Vec<Trigger>,
    /// Internal resources this function reaches (databases, caches), with
    /// what gave it away; makes "not in a VPC" worse.
    pub internal_refs: Vec<InternalRef>,
    pub ignores: Vec<Ignore>,
}

impl Function {
    pub fn new(id: impl Into<String>, loc: Loc) -> Self {
        Function {
            id: id.into(),
            loc,
            name: Field::Absent,
            runtime: Field::Absent,
            package_type: Field::Absent,
            handler: Field::Absent,
            code: Field::Absent,
            role: Field::Absent,
            environment: Vec::new(),
            kms_key: Field::Absent,
            vpc: Field::Absent,
            layers: Vec::new(),
            layer_refs: Vec::new(),
            code_signing: Field::Absent,
            log_format: Field::Absent,
            log_group: Field::Absent,
            tracing: Field::Absent,
            reserved_concurrency: Field::Absent,
            dead_letter: Field::Absent,
            on_failure: Field::Absent,
            triggers: Vec::new(),
            internal_refs: Vec::new(),
            ignores: Vec::new(),
        }
    }

    /// Invoked asynchronously by at least one of its triggers.
    pub fn is_async(&self) -> bool {
        self.triggers.iter().any(|t| t.kind.is_async())
    }

    /// Has a trigger reachable from the internet (API, function URL).
    pub fn has_http_trigger(&self) -> bool {
        self.triggers.iter().any(|t| {
            matches!(
                t.kind,
                TriggerKind::RestApi
                    | TriggerKind::HttpApi
                    | TriggerKind::WebSocketApi
                    | TriggerKind::FunctionUrl
            )
        })
    }
}

/// A Lambda layer version declared in the files:
/// `AWS::Lambda::LayerVersion`, SAM `AWS::Serverless::LayerVersion`, a
/// Serverless Framework top-level `layers:` entry (id `<Name>LambdaLayer`,
/// as the framework names it) or Terraform `aws_lambda_layer_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerVersion {
    pub id: String,
    pub loc: Loc,
    /// `LayerName` / `layer_name` (Serverless: `name`, else the layer's key).
    pub name: Field<String>,
    /// Where the layer's content comes from, as a code location (see
    /// [`CodeLocation`]): `Content` (S3 object, or a local path for `aws
    /// cloudformation package`), SAM `ContentUri` (the template's folder `.`
    /// when unset, as `sam deploy` packages it), Serverless
    /// `package.artifact` else `path`, Terraform `filename` (through
    /// `data.archive_file` like functions) or `s3_bucket`/`s3_key`.
    pub content: Field<String>,
    /// `CompatibleRuntimes` / `compatible_runtimes` as written.
    pub compatible_runtimes: Vec<Field<String>>,
    pub ignores: Vec<Ignore>,
}

impl LayerVersion {
    pub fn new(id: impl Into<String>, loc: Loc) -> Self {
        LayerVersion {
            id: id.into(),
            loc,
            name: Field::Absent,
            content: Field::Absent,
            compatible_runtimes: Vec::new(),
            ignores: Vec::new(),
        }
    }
}

/// What a code location string of the model (`Function::code`,
/// `LayerVersion::content`) stands for. Loaders write one of these forms:
/// * `s3://BUCKET/KEY`: an object in S3 (not in the scanned files). `BUCKET`
///   is the bucket's name, or for a bucket the files create a reference to
///   it (`${LogicalId}` in CloudFormation, `${aws_s3_bucket.x.id}` in
///   Terraform), or `?` when the files do not determine it.
/// * `<inline ZipFile>`: code written inside the template (`ZipFile`, SAM
///   `InlineCode`).
/// * a container image URI (`Function::package_type` is `Image`).
/// * anything else: a local path, relative to the folder of the file that
///   declares it (the template, serverless.yml, the Terraform module
///   folder, or for a plan the folder Terraform ran in), as written
///   (`.` is that folder itself; `./src`, `../build/fn.zip`). It
///   names a folder or an archive (`.zip`, `.jar`); an absolute path is
///   one the user wrote. Loaders never produce one from the environment:
///   `${env:}`, `${file()}`, `path.cwd`, `abspath()` leave the field
///   unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeLocation<'a> {
    S3 {
        bucket: &'a str,
        key: &'a str,
    },
    Inline,
    /// A container image URI.
    Image(&'a str),
    /// A path relative to the declaring file's folder (or absolute as
    /// written).
    Local(&'a str),
}

/// The `code` value of an inline function.
pub const INLINE_CODE: &str = "<inline ZipFile>";

impl<'a> CodeLocation<'a> {
    /// Read a code location string; `image` says the function is packaged
    /// as a container image (`package_type` `Image`), which decides between
    /// an image URI and a local path.
    pub fn parse(text: &'a str, image: bool) -> Self {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            return CodeLocation::S3 { bucket, key };
        }
        if text == INLINE_CODE {
            return CodeLocation::Inline;
        }
        if image {
            return CodeLocation::Image(text);
        }
        CodeLocation::Local(text)
    }
}

/// The account and layer name of a layer or layer version ARN
/// (`arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME[:VERSION]`). The region
/// and account may be placeholders such as `${AWS::AccountId}`.
pub fn layer_arn_parts(arn: &str) -> Option<(&str, &str)> {
    let (prefix, rest) = arn.split_once(":layer:")?;
    let service = prefix.strip_prefix("arn:")?.split_once(':')?.1;
    if !service.starts_with("lambda:") {
        return None;
    }
    // The account is the last segment before `:layer:`; a placeholder's own
    // colons (`${AWS::AccountId}`) are not separators.
    let account = match prefix.strip_suffix('}') {
        Some(_) => &prefix[prefix.rfind("${")?..],
        None => prefix.rsplit(':').next()?,
    };
    let name = first_segment(rest);
    (!name.is_empty()).then_some((account, name))
}

/// `text` up to its first `:` outside `${...}` placeholders.
fn first_segment(text: &str) -> &str {
    let mut open = 0usize;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => open += 1,
            b'}' if open > 0 => open -= 1,
            b':' if open == 0 => return &text[..i],
            _ => {}
        }
    }
    text
}

/// An ARN of a layer of this deployment's own account named `name` (any
/// version): what a function writes to use a layer the files publish
/// without referring to the resource.
pub fn names_own_layer(arn: &str, name: &str) -> bool {
    layer_arn_parts(arn).is_some_and(|(account, n)| account == SELF_ACCOUNT && n == name)
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub loc: Loc,
    pub value: EnvValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
    /// A value written in the scanned files (after resolving what the files
    /// themselves determine).
    Literal(String),
    /// A reference to a secret store or a protected parameter: the right way
    /// (`{{resolve:secretsmanager:...}}`, `${ssm:...}`, a `NoEcho` parameter,
    /// a Secrets Manager ARN, a Terraform secret resource). The string says
    /// which.
    Reference(String),
    /// Not determined by the scanned files.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VpcConfig {
    pub security_groups: Vec<Ref>,
    pub subnets: Vec<Ref>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InternalRef {
    /// e.g. "RDS instance Database", "ElastiCache endpoint in DB_HOST".
    pub what: String,
    pub loc: Loc,
    /// The element of the deployment it names (a CloudFormation logical
    /// id, a Terraform address); `None` for a host name written out.
    pub element: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub kind: TriggerKind,
    pub loc: Loc,
    /// The API, bucket, queue... by id (`Local`) or ARN/name (`External`).
    pub source: Ref,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    RestApi,
    HttpApi,
    WebSocketApi,
    FunctionUrl,
    S3,
    Sqs,
    Sns,
    Schedule,
    EventBridge,
    DynamoDbStream,
    Kinesis,
    Kafka,
    Mq,
    CloudWatchLogs,
    Iot,
    Cognito,
    Alexa,
    Other,
}

impl TriggerKind {
    /// Lambda invokes the function asynchronously for these sources, so
    /// failed events are lost without a DLQ or on-failure destination.
    pub fn is_async(self) -> bool {
        matches!(
            self,
            TriggerKind::S3
                | TriggerKind::Sns
                | TriggerKind::Schedule
                | TriggerKind::EventBridge
                | TriggerKind::CloudWatchLogs
                | TriggerKind::Iot
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: String,
    pub loc: Loc,
    /// The IAM role name (`RoleName`, Terraform `name`), which ARNs in
    /// policies use; `Absent` when AWS generates it from the id.
    pub name: Field<String>,
    /// The IAM path (`Path`, Terraform `path`): role ARNs hold it between
    /// `role` and the name (`role/service/name`). `Absent` means `/`.
    pub path: Field<String>,
    /// Generated by SAM or the Serverless Framework rather than declared.
    pub implicit: bool,
    /// Assume-role (trust) policy.
    pub trust: Option<Policy>,
    /// Inline policies, customer-managed policies declared in the scanned
    /// files and expanded SAM policy templates.
    pub policies: Vec<AttachedPolicy>,
    /// Managed policy ARNs attached by reference (AWS managed or external).
    pub managed_policy_arns: Vec<Field<String>>,
    pub permissions_boundary: Field<String>,
    pub ignores: Vec<Ignore>,
}

impl Role {
    pub fn new(id: impl Into<String>, loc: Loc) -> Self {
        Role {
            id: id.into(),
            loc,
            name: Field::Absent,
            path: Field::Absent,
            implicit: false,
            trust: None,
            policies: Vec::new(),
            managed_policy_arns: Vec::new(),
            permissions_boundary: Field::Absent,
            ignores: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachedPolicy {
    /// Policy name, customer-managed policy id, or SAM template name.
    pub name: String,
    pub origin: PolicyOrigin,
    pub policy: Policy,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOrigin {
    Inline,
    CustomerManaged,
    SamTemplate,
    /// Statements from Serverless `iam.role.statements` / `iamRoleStatements`.
    ServerlessStatements,
}

/// A resource-based permission on a function (`AWS::Lambda::Permission`,
/// `aws_lambda_permission`).
#[derive(Debug, Clone, PartialEq)]
pub struct InvokePermission {
    pub id: String,
    pub loc: Loc,
    pub function: Ref,
    pub action: Field<String>,
    pub principal: Field<String>,
    pub source_arn: Field<String>,
    pub source_account: Field<String>,
    pub principal_org_id: Field<String>,
    pub function_url_auth_type: Field<String>,
    pub event_source_token: Field<String>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionUrl {
    pub id: String,
    pub loc: Loc,
    pub function: Ref,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: Field<String>,
    pub cors: Option<Cors>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cors {
    pub loc: Loc,
    pub allow_origins: Vec<Field<String>>,
    pub allow_credentials: Field<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    Rest,
    Http,
    WebSocket,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub id: String,
    pub loc: Loc,
    pub kind: ApiKind,
    /// SAM's `ServerlessRestApi`/`ServerlessHttpApi`, or the Serverless
    /// Framework's generated API.
    pub implicit: bool,
    /// `PRIVATE` endpoint type: reachable only from VPC endpoints.
    pub private_endpoint: Field<bool>,
    pub routes: Vec<Route>,
    /// A WAF web ACL is associated with the API or one of its stages.
    pub waf: Field<bool>,
    /// Throttling configured on a stage, method/route settings, or a usage
    /// plan.
    pub throttling: Field<bool>,
    /// Request validation configured (REST APIs).
    pub request_validation: Field<bool>,
    pub access_logging: Field<bool>,
    pub tracing: Field<bool>,
    pub cors: Option<Cors>,
    pub resource_policy: Option<Policy>,
    pub ignores: Vec<Ignore>,
}

impl Api {
    pub fn new(id: impl Into<String>, loc: Loc, kind: ApiKind) -> Self {
        Api {
            id: id.into(),
            loc,
            kind,
            implicit: false,
            private_endpoint: Field::Absent,
            routes: Vec::new(),
            waf: Field::Absent,
            throttling: Field::Absent,
            request_validation: Field::Absent,
            access_logging: Field::Absent,
            tracing: Field::Absent,
            cors: None,
            resource_policy: None,
            ignores: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// `GET`, `ANY`... (`$connect`-style keys for WebSocket).
    pub method: String,
    pub path: String,
    pub loc: Loc,
    /// The authorization in force for this route after defaults are applied.
    pub auth: Field<AuthKind>,
    pub api_key_required: Field<bool>,
    /// The function that serves it (by id), when known.
    pub function: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthKind {
    None,
    Iam,
    Cognito,
    /// A Lambda (custom) authorizer.
    Lambda,
    Jwt,
    /// Anything else, as written.
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogGroup {
    pub id: String,
    pub loc: Loc,
    pub name: Field<String>,
    pub retention_days: Field<i64>,
    /// The function whose logs this group holds, when the name says so.
    pub function: Option<String>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub id: String,
    pub loc: Loc,
    /// Every metric the alarm watches (one, or several for metric math).
    pub metrics: Vec<AlarmMetric>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmMetric {
    pub namespace: Field<String>,
    pub metric_name: Field<String>,
    /// `FunctionName` dimension resolved to a local function id.
    pub function: Option<String>,
    /// The `FunctionName` dimension is set but cannot be evaluated.
    pub function_unknown: bool,
    /// A `FunctionName` dimension is present (resolved, unknown or naming a
    /// function outside the scanned files). Without one, an `AWS/Lambda`
    /// metric is the account-wide aggregate, which covers every function.
    pub has_function_dimension: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trail {
    pub id: String,
    pub loc: Loc,
    /// Event selectors (basic or advanced) record Lambda data events
    /// (`AWS::Lambda::Function` invokes).
    pub lambda_data_events: Field<bool>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroup {
    pub id: String,
    pub loc: Loc,
    pub egress: Vec<SgRule>,
    /// Inbound rules, including standalone ingress resources
    /// (`AWS::EC2::SecurityGroupIngress`, `aws_security_group_rule`,
    /// `aws_vpc_security_group_ingress_rule`) that name this group.
    pub ingress: Vec<SgRule>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SgRule {
    pub loc: Loc,
    /// IPv4 or IPv6 CIDR; unknown when computed.
    pub cidr: Field<String>,
    /// The other security group the rule admits (ingress: source; egress:
    /// destination), when the rule names one instead of a CIDR.
    pub peer_group: Option<Ref>,
    /// `-1`/`all`, `tcp`, `udp`, ...
    pub protocol: Field<String>,
    pub from_port: Field<i64>,
    pub to_port: Field<i64>,
    /// Added by the platform, not written: CloudFormation gives a security
    /// group without `SecurityGroupEgress` an allow-all egress rule.
    pub implicit: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeSigningConfig {
    pub id: String,
    pub loc: Loc,
    /// `Enforce` or `Warn`.
    pub untrusted_artifact_policy: Field<String>,
    pub ignores: Vec<Ignore>,
}

/// A template parameter or Terraform variable with its default.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub id: String,
    pub loc: Loc,
    pub default: Field<String>,
    /// CloudFormation `NoEcho` or Terraform `sensitive`.
    pub no_echo: bool,
    pub ignores: Vec<Ignore>,
}

/// A database, cache or search domain (RDS instance, cluster or proxy,
/// ElastiCache, MemoryDB, Redshift, OpenSearch, DocumentDB, Neptune, DAX).
#[derive(Debug, Clone, PartialEq)]
pub struct DataStore {
    pub id: String,
    pub loc: Loc,
    pub kind: DataStoreKind,
    /// Engine as written (`postgres`, `aurora-mysql`, `redis`...).
    pub engine: Field<String>,
    /// The port clients connect to, when the files say or the engine implies.
    pub port: Field<i64>,
    /// Security groups guarding the store (`VPCSecurityGroups`,
    /// `vpc_security_group_ids`, ...).
    pub security_groups: Vec<Ref>,
    /// Subnets it is placed in (directly or through a subnet group).
    pub subnets: Vec<Ref>,
    pub publicly_accessible: Field<bool>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataStoreKind {
    Rds,
    ElastiCache,
    MemoryDb,
    Redshift,
    OpenSearch,
    DocumentDb,
    Neptune,
    Dax,
}

impl DataStoreKind {
    pub fn name(self) -> &'static str {
        match self {
            DataStoreKind::Rds => "RDS database",
            DataStoreKind::ElastiCache => "ElastiCache cluster",
            DataStoreKind::MemoryDb => "MemoryDB cluster",
            DataStoreKind::Redshift => "Redshift cluster",
            DataStoreKind::OpenSearch => "OpenSearch domain",
            DataStoreKind::DocumentDb => "DocumentDB cluster",
            DataStoreKind::Neptune => "Neptune cluster",
            DataStoreKind::Dax => "DAX cluster",
        }
    }

    /// The port clients use when the files set none: the engine's default
    /// (`engine` as written, any case), or the service's only port. `None`
    /// when it depends on an engine the files do not determine.
    pub fn default_port(self, engine: Option<&str>) -> Option<i64> {
        match self {
            DataStoreKind::Redshift => return Some(5439),
            DataStoreKind::OpenSearch => return Some(443),
            DataStoreKind::DocumentDb => return Some(27017),
            DataStoreKind::Neptune => return Some(8182),
            DataStoreKind::Dax => return Some(8111),
            DataStoreKind::Rds | DataStoreKind::ElastiCache | DataStoreKind::MemoryDb => {}
        }
        let engine = engine?.trim().to_ascii_lowercase();
        let port = if engine.contains("postgres") {
            5432
        } else if engine.starts_with("aurora") || engine == "mysql" || engine == "mariadb" {
            3306
        } else if engine.contains("oracle") {
            1521
        } else if engine.contains("sqlserver") {
            1433
        } else if engine.starts_with("db2") {
            50000
        } else if engine == "redis" || engine == "valkey" {
            6379
        } else if engine == "memcached" {
            11211
        } else {
            return None;
        };
        Some(port)
    }

    /// A store's engine and port from what the files write (`None`: the
    /// resource type has no such argument): the engine as written or the
    /// type's only engine, the port as written or the engine's default; an
    /// undetermined engine leaves the default port undetermined too. `loc`
    /// locates the defaults.
    pub fn engine_and_port(
        self,
        written_engine: Option<Field<String>>,
        default_engine: Option<&str>,
        written_port: Option<Field<i64>>,
        loc: Loc,
    ) -> (Field<String>, Field<i64>) {
        let engine = match written_engine {
            Some(Field::Absent) | None => match default_engine {
                Some(e) => Field::Known(e.to_string(), loc),
                None => Field::Absent,
            },
            Some(written) => written,
        };
        let port = match written_port {
            Some(Field::Absent) | None => match &engine {
                Field::Unknown(at) => Field::Unknown(*at),
                known => match self.default_port(known.as_deref()) {
                    Some(port) => Field::Known(port, known.loc().unwrap_or(loc)),
                    None => Field::Absent,
                },
            },
            Some(written) => written,
        };
        (engine, port)
    }
}

/// A resource-based policy of a bucket, queue or topic
/// (`AWS::S3::BucketPolicy`, `AWS::SQS::QueuePolicy`, `AWS::SNS::TopicPolicy`,
/// `aws_s3_bucket_policy`, `aws_sqs_queue_policy`, `aws_sns_topic_policy`, or
/// the inline `policy` argument of `aws_sqs_queue` / `aws_sns_topic` /
/// `aws_s3_bucket`), or a bucket's canned ACL that lets everyone write
/// (`canned_acl`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePolicy {
    pub id: String,
    pub loc: Loc,
    pub kind: ResourcePolicyKind,
    /// The buckets, queues or topics it applies to.
    pub targets: Vec<Ref>,
    pub policy: Policy,
    /// Set when this is no policy document but a canned ACL granting
    /// AllUsers write (`AccessControl: PublicReadWrite`, `acl =
    /// "public-read-write"`), as written. S3 authorizes such a grant like an
    /// `Allow` of `s3:PutObject` for `*` (and a bucket policy's `Deny` still
    /// overrides it), so `policy` holds exactly that statement and the
    /// checks need no second code path; this field only lets messages and
    /// remediation name the ACL instead of a policy.
    pub canned_acl: Option<String>,
    /// The target bucket's S3 Block Public Access sets
    /// `RestrictPublicBuckets` or `BlockPublicPolicy`: a public policy then
    /// grants no one outside the account anything (AWS blocks even its
    /// delegations to named accounts), or cannot be put at all.
    pub public_policy_blocked: bool,
    pub ignores: Vec<Ignore>,
}

impl ResourcePolicy {
    /// The policy-equivalent of a canned ACL that lets everyone write to a
    /// bucket, located at the ACL setting.
    pub fn public_write_acl(id: String, target: Ref, acl: String, loc: Loc) -> Self {
        use fnguard_iam::{ActionSet, Effect, PrincipalEntry, PrincipalSet, ResourceSet};
        use fnguard_iam::{Statement, Val};
        let statement = Statement {
            sid: None,
            loc,
            effect: Effect::Allow,
            actions: ActionSet::Action(vec![Val::known("s3:PutObject", loc)]),
            resources: ResourceSet::Resource(vec![Val::known("*", loc)]),
            principals: PrincipalSet::Principal(vec![PrincipalEntry {
                kind: "*".to_string(),
                value: Val::known("*", loc),
            }]),
            conditions: Vec::new(),
            condition_unknown: false,
        };
        ResourcePolicy {
            id,
            loc,
            kind: ResourcePolicyKind::Bucket,
            targets: vec![target],
            policy: Policy {
                statements: vec![statement],
                loc,
                unknown: false,
            },
            canned_acl: Some(acl),
            public_policy_blocked: false,
            ignores: Vec::new(),
        }
    }
}

/// A canned S3 ACL that grants AllUsers write (`PublicReadWrite` in
/// CloudFormation, `public-read-write` in Terraform and the S3 API).
pub fn is_public_write_acl(acl: &str) -> bool {
    acl.eq_ignore_ascii_case("PublicReadWrite") || acl.eq_ignore_ascii_case("public-read-write")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourcePolicyKind {
    Bucket,
    Queue,
    Topic,
}

/// An IAM user or group declared in the files.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub id: String,
    pub loc: Loc,
    pub kind: IdentityKind,
    /// `UserName` / `GroupName`, Terraform `name`.
    pub name: Field<String>,
    /// The IAM path (`Path`, Terraform `path`), part of the ARN as for
    /// roles. `Absent` means `/`.
    pub path: Field<String>,
    /// Inline and customer-managed policies declared in the files.
    pub policies: Vec<AttachedPolicy>,
    /// Managed policy ARNs attached by reference.
    pub managed_policy_arns: Vec<Field<String>>,
    /// Users: the groups they belong to (whose policies they also have).
    pub groups: Vec<Ref>,
    pub permissions_boundary: Field<String>,
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    User,
    Group,
}

impl Identity {
    pub fn new(id: impl Into<String>, loc: Loc, kind: IdentityKind) -> Self {
        Identity {
            id: id.into(),
            loc,
            kind,
            name: Field::Absent,
            path: Field::Absent,
            policies: Vec::new(),
            managed_policy_arns: Vec::new(),
            groups: Vec::new(),
            permissions_boundary: Field::Absent,
            ignores: Vec::new(),
        }
    }
}
