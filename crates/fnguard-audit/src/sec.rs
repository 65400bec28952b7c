//! Checks of area `SEC`: credentials written into function environment
//! variables and template parameter defaults (guide §3.2.1).
//!
//! Only `EnvValue::Literal` values are examined: references to a secret
//! store and values the files do not determine are the right way, or
//! cannot be judged. Every evidence string is redacted and messages name
//! the variable, never its value.

pub mod detect;

use crate::{Ctx, Raw};
use detect::{Detection, Kind};
use fnguard_core::{Area, Field, RuleMeta, Severity};
use fnguard_model::EnvValue;

const SECRETS_REFS: &[&str] = &[
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html",
];

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-SEC-001",
        area: Area::Sec,
        severity: Severity::Critical,
        guide: &["3.2.1", "2.2"],
        attack: &["T1552.001", "T1078.004"],
        title_en: "AWS access key in an environment variable",
        title_zh: "环境变量中包含 AWS 访问密钥",
        description_en: "A function environment variable holds an AWS access key id (AKIA/ASIA/ABIA/ACCA followed by \
16 characters) or, in a variable named like *SECRET*ACCESS*KEY*, a 40-character secret access key. AWS's documented \
example keys (ending in EXAMPLE) are ignored. Environment variables are readable by anyone with \
lambda:GetFunctionConfiguration, appear in the template, its repository history and CI logs.",
        description_zh: "函数环境变量中包含 AWS 访问密钥 ID（AKIA/ASIA/ABIA/ACCA 加 16 个字符），或在名称形如 *SECRET*ACCESS*KEY* \
的变量中包含 40 字符的秘密访问密钥。AWS 文档中的示例密钥（以 EXAMPLE 结尾）会被忽略。环境变量对任何拥有 \
lambda:GetFunctionConfiguration 权限的人可见，并出现在模板、代码仓库历史和 CI 日志中。",
        risk_en: "Long-lived IAM user keys give whoever reads the template or the function configuration the \
permissions of that user, from anywhere, until the key is rotated; they also bypass the function's own role.",
        risk_zh: "长期有效的 IAM 用户密钥使任何读到模板或函数配置的人在密钥轮换前可从任何地方获得该用户的权限，并绕过函数自身的角色。",
        remediation_en: "Deactivate and rotate the key now (IAM console or `aws iam update-access-key --status Inactive`), \
check CloudTrail for its use, and remove it from the template and the repository history. The function should use \
its execution role; if it needs another account, assume a role there with sts:AssumeRole. \
Where: CloudFormation/SAM `Environment.Variables` of the function (and SAM `Globals.Function.Environment`); Serverless `provider.environment` or `functions.<name>.environment`; Terraform `environment { variables = {...} }` of `aws_lambda_function`. Keep only the secret's name or ARN there (CloudFormation `!Ref` of an `AWS::SecretsManager::Secret`, Terraform `aws_secretsmanager_secret.x.arn`) and never interpolate the secret value itself (`${ssm:...}`, `secret_string`): that writes it into the function configuration and the Terraform state.",
        remediation_zh: "立即停用并轮换该密钥（IAM 控制台或 `aws iam update-access-key --status Inactive`），在 CloudTrail 中检查其使用情况，\
并从模板和仓库历史中删除。函数应使用其执行角色；如需访问其他账户，请通过 sts:AssumeRole 担任该账户中的角色。\
位置：CloudFormation/SAM 函数的 `Environment.Variables`（以及 SAM 的 `Globals.Function.Environment`）；Serverless 的 `provider.environment` 或 `functions.<name>.environment`；Terraform 中 `aws_lambda_function` 的 `environment { variables = {...} }`。这里只保留密钥的名称或 ARN（CloudFormation 中对 `AWS::SecretsManager::Secret` 的 `!Ref`，Terraform 中的 `aws_secretsmanager_secret.x.arn`），不要插入密钥值本身（`${ssm:...}`、`secret_string`）：那会把它写进函数配置和 Terraform 状态。",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
        ],
    },
    RuleMeta {
        id: "FG-SEC-002",
        area: Area::Sec,
        severity: Severity::High,
        guide: &["3.2.1"],
        attack: &["T1552.001"],
        title_en: "Password, secret or token in a plain environment variable",
        title_zh: "明文环境变量中包含密码、密钥或令牌",
        description_en: "An environment variable whose name says it holds a credential (PASSWORD, SECRET, TOKEN, API_KEY, \
PRIVATE_KEY, CREDENTIAL, AUTH...) is set to a literal value that looks like a real secret. Placeholders (changeme, \
xxx, <...>, ${VAR}), booleans, numbers, ARNs, URLs without credentials, file paths, and names of secrets kept in a \
store (variables ending in _ARN, _NAME, _ID, _PATH, _PARAM) are not reported.",
        description_zh: "名称表明存放凭证的环境变量（PASSWORD、SECRET、TOKEN、API_KEY、PRIVATE_KEY、CREDENTIAL、AUTH 等）被设置为\
看似真实密钥的字面值。占位符（changeme、xxx、<...>、${VAR}）、布尔值、数字、ARN、不含凭证的 URL、文件路径，\
以及指向密钥存储中密钥名称的变量（以 _ARN、_NAME、_ID、_PATH、_PARAM 结尾）不会被报告。",
        risk_en: "The secret is stored in plain text in the template, its repository, the deployment artifacts and the \
function configuration; anyone with read access to any of them, and any compromised dependency in the function \
(guide §2.2), obtains it.",
        risk_zh: "该密钥以明文保存在模板、代码仓库、部署产物和函数配置中；任何能读取其中之一的人，以及函数中任何被投毒的依赖（指南 §2.2），都能获得它。",
        remediation_en: "Store the secret in AWS Secrets Manager or SSM Parameter Store (SecureString) and read it at run \
time (AWS Parameters and Secrets Lambda Extension or the SDK), passing only the secret's name or ARN in the \
environment; in CloudFormation use a {{resolve:secretsmanager:...}} dynamic reference. Rotate the exposed value. \
Where: CloudFormation/SAM `Environment.Variables` of the function (and SAM `Globals.Function.Environment`); Serverless `provider.environment` or `functions.<name>.environment`; Terraform `environment { variables = {...} }` of `aws_lambda_function`. Keep only the secret's name or ARN there (CloudFormation `!Ref` of an `AWS::SecretsManager::Secret`, Terraform `aws_secretsmanager_secret.x.arn`) and never interpolate the secret value itself (`${ssm:...}`, `secret_string`): that writes it into the function configuration and the Terraform state.",
        remediation_zh: "将密钥存入 AWS Secrets Manager 或 SSM Parameter Store（SecureString），在运行时读取\
（AWS Parameters and Secrets Lambda Extension 或 SDK），环境变量中只传递密钥的名称或 ARN；CloudFormation 中使用 \
{{resolve:secretsmanager:...}} 动态引用。轮换已暴露的值。\
位置：CloudFormation/SAM 函数的 `Environment.Variables`（以及 SAM 的 `Globals.Function.Environment`）；Serverless 的 `provider.environment` 或 `functions.<name>.environment`；Terraform 中 `aws_lambda_function` 的 `environment { variables = {...} }`。这里只保留密钥的名称或 ARN（CloudFormation 中对 `AWS::SecretsManager::Secret` 的 `!Ref`，Terraform 中的 `aws_secretsmanager_secret.x.arn`），不要插入密钥值本身（`${ssm:...}`、`secret_string`）：那会把它写进函数配置和 Terraform 状态。",
        references: SECRETS_REFS,
    },
    RuleMeta {
        id: "FG-SEC-003",
        area: Area::Sec,
        severity: Severity::High,
        guide: &["3.2.1", "2.2"],
        attack: &["T1552.001", "T1078"],
        title_en: "Connection URL with an embedded password in an environment variable",
        title_zh: "环境变量中的连接 URL 内嵌密码",
        description_en: "An environment variable holds a connection string with credentials, such as \
postgres://user:password@host/db, mongodb+srv://..., redis://:password@..., amqp://..., or a JDBC URL with a password \
parameter. Passwords containing special or percent-escaped characters are recognised; placeholders are not reported.",
        description_zh: "环境变量中包含带凭证的连接字符串，例如 postgres://user:password@host/db、mongodb+srv://...、\
redis://:password@...、amqp://...，或带 password 参数的 JDBC URL。含特殊字符或百分号转义字符的密码也能识别；占位符不报告。",
        risk_en: "The database password is readable in plain text wherever the template or function configuration is; \
combined with network reach to the database it gives direct access to the data (guide §2.2).",
        risk_zh: "凡能看到模板或函数配置之处都能读到明文数据库密码；一旦能通过网络访问数据库，即可直接访问数据（指南 §2.2）。",
        remediation_en: "Keep the password in Secrets Manager (with rotation) and build the URL at run time, or use IAM \
database authentication (RDS/Aurora IAM auth, RDS Proxy) so that no password exists at all. Rotate the exposed \
password. \
Where: CloudFormation/SAM `Environment.Variables` of the function (and SAM `Globals.Function.Environment`); Serverless `provider.environment` or `functions.<name>.environment`; Terraform `environment { variables = {...} }` of `aws_lambda_function`. Keep only the secret's name or ARN there (CloudFormation `!Ref` of an `AWS::SecretsManager::Secret`, Terraform `aws_secretsmanager_secret.x.arn`) and never interpolate the secret value itself (`${ssm:...}`, `secret_string`): that writes it into the function configuration and the Terraform state.",
        remediation_zh: "将密码保存在 Secrets Manager（并启用轮换）中，在运行时拼装 URL；或使用 IAM 数据库认证（RDS/Aurora IAM 认证、RDS Proxy），\
从根本上不使用密码。轮换已暴露的密码。\
位置：CloudFormation/SAM 函数的 `Environment.Variables`（以及 SAM 的 `Globals.Function.Environment`）；Serverless 的 `provider.environment` 或 `functions.<name>.environment`；Terraform 中 `aws_lambda_function` 的 `environment { variables = {...} }`。这里只保留密钥的名称或 ARN（CloudFormation 中对 `AWS::SecretsManager::Secret` 的 `!Ref`，Terraform 中的 `aws_secretsmanager_secret.x.arn`），不要插入密钥值本身（`${ssm:...}`、`secret_string`）：那会把它写进函数配置和 Terraform 状态。",
        references: &[
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
        ],
    },
    RuleMeta {
        id: "FG-SEC-004",
        area: Area::Sec,
        severity: Severity::Critical,
        guide: &["3.2.1"],
        attack: &["T1552.004"],
        title_en: "Private key in an environment variable",
        title_zh: "环境变量中包含私钥",
        description_en: "An environment variable contains a private key block (-----BEGIN RSA/EC/DSA/OPENSSH/ENCRYPTED \
PRIVATE KEY-----, a PGP private key block, or a PuTTY key file).",
        description_zh: "环境变量中包含私钥块（-----BEGIN RSA/EC/DSA/OPENSSH/ENCRYPTED PRIVATE KEY-----、PGP 私钥块或 PuTTY 密钥文件）。",
        risk_en: "Whoever reads the template or configuration can impersonate the key's owner: sign tokens, decrypt \
traffic, log in to servers or push code, for as long as the key is trusted.",
        risk_zh: "任何读到模板或配置的人都能冒充密钥所有者：签发令牌、解密流量、登录服务器或推送代码，直到该密钥不再被信任。",
        remediation_en: "Revoke and replace the key pair. Keep private keys in Secrets Manager, or better use AWS KMS \
asymmetric keys (kms:Sign/kms:Decrypt) so the key material never leaves KMS. \
Where: CloudFormation/SAM `Environment.Variables` of the function (and SAM `Globals.Function.Environment`); Serverless `provider.environment` or `functions.<name>.environment`; Terraform `environment { variables = {...} }` of `aws_lambda_function`. Keep only the secret's name or ARN there (CloudFormation `!Ref` of an `AWS::SecretsManager::Secret`, Terraform `aws_secretsmanager_secret.x.arn`) and never interpolate the secret value itself (`${ssm:...}`, `secret_string`): that writes it into the function configuration and the Terraform state.",
        remediation_zh: "吊销并更换该密钥对。将私钥保存在 Secrets Manager 中，最好改用 AWS KMS 非对称密钥（kms:Sign/kms:Decrypt），使密钥材料永不离开 KMS。\
位置：CloudFormation/SAM 函数的 `Environment.Variables`（以及 SAM 的 `Globals.Function.Environment`）；Serverless 的 `provider.environment` 或 `functions.<name>.environment`；Terraform 中 `aws_lambda_function` 的 `environment { variables = {...} }`。这里只保留密钥的名称或 ARN（CloudFormation 中对 `AWS::SecretsManager::Secret` 的 `!Ref`，Terraform 中的 `aws_secretsmanager_secret.x.arn`），不要插入密钥值本身（`${ssm:...}`、`secret_string`）：那会把它写进函数配置和 Terraform 状态。",
        references: &[
            "https://docs.aws.amazon.com/kms/latest/developerguide/symmetric-asymmetric.html",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html",
        ],
    },
    RuleMeta {
        id: "FG-SEC-005",
        area: Area::Sec,
        severity: Severity::Medium,
        guide: &["3.2.1"],
        attack: &["T1552.001"],
        title_en: "Template parameter or variable with a password-like default",
        title_zh: "模板参数或变量的默认值疑似密码",
        description_en: "A CloudFormation parameter or Terraform variable whose name says it holds a credential has a \
literal default that looks like a real secret, or its default is a recognisable credential (AWS key, token, \
private key, connection URL with password; reported at high). NoEcho (or Terraform `sensitive`) parameters are \
reported too: NoEcho only masks the value in the console and API output, the default is still written in plain \
text in the template.",
        description_zh: "名称表明存放凭证的 CloudFormation 参数或 Terraform 变量带有看似真实密钥的字面默认值，\
或其默认值是可识别的凭证（AWS 密钥、令牌、私钥、含密码的连接 URL；按“高”报告）。NoEcho（或 Terraform `sensitive`）参数同样报告：\
NoEcho 只在控制台和 API 输出中隐藏值，默认值仍以明文写在模板中。",
        risk_en: "Every deployment that does not override the parameter uses the secret in the repository, which \
everyone with read access to the code knows.",
        risk_zh: "凡未覆盖该参数的部署都会使用仓库中的这个密钥，所有能读取代码的人都知道它。",
        remediation_en: "Remove the default and pass the value at deploy time from a secret store, or replace the \
parameter with a {{resolve:secretsmanager:...}} / {{resolve:ssm-secure:...}} dynamic reference (Terraform: a \
data source for aws_secretsmanager_secret_version, or ephemeral values). Rotate the exposed value. \
Where: CloudFormation/SAM the parameter's `Default` under `Parameters` (keep `NoEcho: true`, pass the value with `--parameter-overrides` from a secret store); Terraform the `default` of the `variable` block (mark it `sensitive = true` and set it from `TF_VAR_...` or a secret store).",
        remediation_zh: "删除默认值，在部署时从密钥存储传入；或用 {{resolve:secretsmanager:...}} / {{resolve:ssm-secure:...}} 动态引用代替该参数\
（Terraform：使用 aws_secretsmanager_secret_version 数据源或 ephemeral 值）。轮换已暴露的值。\
位置：CloudFormation/SAM 中 `Parameters` 下该参数的 `Default`（保留 `NoEcho: true`，部署时通过 `--parameter-overrides` 从密钥存储传入）；Terraform 中 `variable` 块的 `default`（标记 `sensitive = true`，通过 `TF_VAR_...` 或密钥存储赋值）。",
        references: &[
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html",
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html",
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/security-best-practices.html",
        ],
    },
    RuleMeta {
        id: "FG-SEC-006",
        area: Area::Sec,
        severity: Severity::High,
        guide: &["3.2.1"],
        attack: &["T1552.001", "T1528"],
        title_en: "API token of a known service in an environment variable",
        title_zh: "环境变量中包含已知服务的 API 令牌",
        description_en: "An environment variable contains a token in a format issued by a known service: GitHub \
(ghp_, gho_, ghs_, github_pat_), GitLab (glpat-), Slack (xox?- tokens, webhooks), Stripe live keys (sk_live_, \
rk_live_), SendGrid (SG.), Twilio (SK...), npm (npm_), PyPI (pypi-), OpenAI/Anthropic (sk-...), Google API keys \
(AIza...), and signed JSON Web Tokens (eyJ...eyJ...), such as long-lived service-role keys. Values that are obviously fake (EXAMPLE, repeated characters) are ignored.",
        description_zh: "环境变量中包含已知服务格式的令牌：GitHub（ghp_、gho_、ghs_、github_pat_）、GitLab（glpat-）、\
Slack（xox?- 令牌、Webhook）、Stripe 生产密钥（sk_live_、rk_live_）、SendGrid（SG.）、Twilio（SK...）、npm（npm_）、PyPI（pypi-）、\
OpenAI/Anthropic（sk-...）、Google API 密钥（AIza...），以及已签名的 JSON Web Token（eyJ...eyJ...，如长期有效的服务角色密钥）。明显伪造的值（EXAMPLE、重复字符）会被忽略。",
        risk_en: "The token grants access to the third-party account (source code, package publishing, payments, \
messaging) to anyone who reads the configuration; package-registry tokens enable supply-chain attacks.",
        risk_zh: "任何读到配置的人都能凭该令牌访问第三方账户（源代码、包发布、支付、消息）；包仓库令牌还可被用于供应链攻击。",
        remediation_en: "Revoke the token at the issuing service and create a new one with the least scope needed; store \
it in Secrets Manager and read it at run time, passing only the secret name in the environment. \
Where: CloudFormation/SAM `Environment.Variables` of the function (and SAM `Globals.Function.Environment`); Serverless `provider.environment` or `functions.<name>.environment`; Terraform `environment { variables = {...} }` of `aws_lambda_function`. Keep only the secret's name or ARN there (CloudFormation `!Ref` of an `AWS::SecretsManager::Secret`, Terraform `aws_secretsmanager_secret.x.arn`) and never interpolate the secret value itself (`${ssm:...}`, `secret_string`): that writes it into the function configuration and the Terraform state.",
        remediation_zh: "在签发服务处吊销该令牌，并以最小权限范围重新创建；将其保存在 Secrets Manager 中并在运行时读取，环境变量中只传递密钥名称。\
位置：CloudFormation/SAM 函数的 `Environment.Variables`（以及 SAM 的 `Globals.Function.Environment`）；Serverless 的 `provider.environment` 或 `functions.<name>.environment`；Terraform 中 `aws_lambda_function` 的 `environment { variables = {...} }`。这里只保留密钥的名称或 ARN（CloudFormation 中对 `AWS::SecretsManager::Secret` 的 `!Ref`，Terraform 中的 `aws_secretsmanager_secret.x.arn`），不要插入密钥值本身（`${ssm:...}`、`secret_string`）：那会把它写进函数配置和 Terraform 状态。",
        references: SECRETS_REFS,
    },
];

fn rule_for(kind: Kind) -> &'static RuleMeta {
    match kind {
        Kind::AwsAccessKey | Kind::AwsSecretKey => &RULES[0],
        Kind::NamedSecret => &RULES[1],
        Kind::UrlPassword => &RULES[2],
        Kind::PrivateKey => &RULES[3],
        Kind::Token(_) => &RULES[5],
    }
}

fn describe(kind: Kind) -> (String, String) {
    match kind {
        Kind::AwsAccessKey => ("an AWS access key id".into(), "AWS 访问密钥 ID".into()),
        Kind::AwsSecretKey => ("an AWS secret access key".into(), "AWS 秘密访问密钥".into()),
        Kind::NamedSecret => ("a literal secret".into(), "明文密钥".into()),
        Kind::UrlPassword => (
            "a connection URL with an embedded password".into(),
            "内嵌密码的连接 URL".into(),
        ),
        Kind::PrivateKey => ("a private key".into(), "私钥".into()),
        Kind::Token(service) => (format!("a {service} token"), format!("{service} 令牌")),
    }
}

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let from = out.len();
    for function in &ctx.dep.functions {
        for var in &function.environment {
            let EnvValue::Literal(value) = &var.value else {
                continue;
            };
            let Some(Detection { kind, evidence }) = detect::detect(&var.name, value) else {
                continue;
            };
            let rule = rule_for(kind);
            let (what_en, what_zh) = describe(kind);
            let message = ctx.text(
                || {
                    format!(
                        "Environment variable {} of function {} contains {what_en}.",
                        var.name, function.id
                    )
                },
                || {
                    format!(
                        "函数 {} 的环境变量 {} 中包含{what_zh}。",
                        function.id, var.name
                    )
                },
            );
            let finding = ctx
                .finding(rule, &function.id, var.loc, message, &var.name)
                .with_evidence(format!("{}={evidence}", var.name));
            out.push(Raw {
                finding,
                element_loc: function.loc,
                element_ignores: function.ignores.clone(),
            });
        }
    }
    crate::iam::merge_same_source(ctx, out, from);
    check_parameters(ctx, out);
}

fn check_parameters(ctx: &Ctx, out: &mut Vec<Raw>) {
    let rule = &RULES[4];
    for param in &ctx.dep.parameters {
        let Field::Known(default, loc) = &param.default else {
            continue;
        };
        let Some(Detection { kind, evidence }) = detect::detect(&param.id, default) else {
            continue;
        };
        let severity = if kind == Kind::NamedSecret {
            Severity::Medium
        } else {
            Severity::High
        };
        let (what_en, what_zh) = describe(kind);
        let (note_en, note_zh) = if param.no_echo {
            (
                " NoEcho/sensitive hides the value in console and API output only; the default stays in plain text in the template.",
                "NoEcho/sensitive 只在控制台和 API 输出中隐藏该值，默认值仍以明文保存在模板中。",
            )
        } else {
            ("", "")
        };
        let message = ctx.text(
            || {
                format!(
                    "The default of parameter {} is {what_en}.{note_en}",
                    param.id
                )
            },
            || format!("参数 {} 的默认值是{what_zh}。{note_zh}", param.id),
        );
        let finding = ctx
            .finding(rule, &param.id, *loc, message, "default")
            .with_severity(severity)
            .with_evidence(format!("{}={evidence}", param.id));
        out.push(Raw {
            finding,
            element_loc: param.loc,
            element_ignores: param.ignores.clone(),
        });
    }
}
