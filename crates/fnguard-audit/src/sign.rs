//! Checks of area `SIGN`: code signing and package integrity (guide §3.2.3).

use crate::{Ctx, Raw};
use fnguard_core::{Area, Field, RuleMeta, Severity, Text};

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-SIGN-001",
        area: Area::Sign,
        severity: Severity::Medium,
        guide: &["3.2.3", "2.2"],
        attack: &["T1525", "T1195.002"],
        title_en: "Function without a code signing configuration",
        title_zh: "函数未配置代码签名",
        description_en: "The function (a .zip package) has no CodeSigningConfigArn, so Lambda accepts any code package \
that a principal with lambda:UpdateFunctionCode uploads. Container-image functions (PackageType Image) are not \
reported: Lambda code signing does not apply to images; sign and verify images in ECR instead (e.g. with \
AWS Signer and Notation).",
        description_zh: "该函数（.zip 部署包）没有 CodeSigningConfigArn，Lambda 会接受任何拥有 lambda:UpdateFunctionCode 权限的主体上传的代码包。\
容器镜像函数（PackageType Image）不报告：Lambda 代码签名不适用于镜像，应在 ECR 中对镜像签名和验证（例如使用 AWS Signer 与 Notation）。",
        risk_en: "A leaked CI credential or a compromised build step can deploy tampered code that runs with the \
function's role on every invocation (supply-chain poisoning and persistence, guide §2.2 and §2.3).",
        risk_zh: "泄露的 CI 凭证或被攻陷的构建步骤可以部署被篡改的代码，并在每次调用时以函数角色运行（供应链投毒与持久化，指南 §2.2 和 §2.3）。",
        remediation_en: "Create an AWS Signer signing profile (platform AWSLambda-SHA384-ECDSA), an \
AWS::Lambda::CodeSigningConfig that allows it with UntrustedArtifactOnDeployment: Enforce, and set \
CodeSigningConfigArn on the function (Terraform: code_signing_config_arn). Sign packages in CI with \
`aws signer start-signing-job`. For an independent check, sign the package with `fnguard sign` and verify it \
before deployment and at start-up with `fnguard verify`. \
Where: CloudFormation `CodeSigningConfigArn` of `AWS::Lambda::Function` / SAM `CodeSigningConfigArn` of `AWS::Serverless::Function`; Serverless the same property through `resources.extensions.<Name>LambdaFunction.Properties.CodeSigningConfigArn`; Terraform `code_signing_config_arn` of `aws_lambda_function`.",
        remediation_zh: "创建 AWS Signer 签名配置（平台 AWSLambda-SHA384-ECDSA），创建允许该配置且 UntrustedArtifactOnDeployment 为 \
Enforce 的 AWS::Lambda::CodeSigningConfig，并在函数上设置 CodeSigningConfigArn（Terraform：code_signing_config_arn）。\
在 CI 中用 `aws signer start-signing-job` 签名部署包。作为独立校验，可用 `fnguard sign` 对部署包签名，\
并在部署前和启动时用 `fnguard verify` 验证。\
位置：CloudFormation 中 `AWS::Lambda::Function` 的 `CodeSigningConfigArn` / SAM 中 `AWS::Serverless::Function` 的 `CodeSigningConfigArn`；Serverless 通过 `resources.extensions.<Name>LambdaFunction.Properties.CodeSigningConfigArn` 设置同一属性；Terraform 中 `aws_lambda_function` 的 `code_signing_config_arn`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html",
            "https://docs.aws.amazon.com/signer/latest/developerguide/Welcome.html",
        ],
    },
    RuleMeta {
        id: "FG-SIGN-002",
        area: Area::Sign,
        severity: Severity::Medium,
        guide: &["3.2.3"],
        attack: &["T1525", "T1195.002"],
        title_en: "Code signing configuration only warns on untrusted code",
        title_zh: "代码签名配置对不可信代码仅发出警告",
        description_en: "The code signing configuration sets CodeSigningPolicies.UntrustedArtifactOnDeployment to Warn, \
or leaves it unset (AWS's default is Warn). With Warn, Lambda deploys unsigned or wrongly signed packages and only \
emits a CloudWatch metric and a CloudTrail entry.",
        description_zh: "代码签名配置将 CodeSigningPolicies.UntrustedArtifactOnDeployment 设为 Warn，或未设置（AWS 默认为 Warn）。\
在 Warn 模式下，Lambda 仍会部署未签名或签名错误的代码包，只产生 CloudWatch 指标和 CloudTrail 记录。",
        risk_en: "Signing gives no protection: tampered code is deployed anyway, and the warning is easy to miss.",
        risk_zh: "签名形同虚设：被篡改的代码仍会被部署，而警告很容易被忽略。",
        remediation_en: "Set CodeSigningPolicies.UntrustedArtifactOnDeployment to Enforce (Terraform: \
policies { untrusted_artifact_on_deployment = \"Enforce\" }) once your pipeline signs every package. \
Where: CloudFormation/SAM `CodeSigningPolicies.UntrustedArtifactOnDeployment` of `AWS::Lambda::CodeSigningConfig` (declared under `resources.Resources` with the Serverless Framework); Terraform `policies { untrusted_artifact_on_deployment }` of `aws_lambda_code_signing_config`.",
        remediation_zh: "在流水线对每个部署包签名后，将 CodeSigningPolicies.UntrustedArtifactOnDeployment 设为 Enforce\
（Terraform：policies { untrusted_artifact_on_deployment = \"Enforce\" }）。\
位置：CloudFormation/SAM 中 `AWS::Lambda::CodeSigningConfig` 的 `CodeSigningPolicies.UntrustedArtifactOnDeployment`（Serverless Framework 中在 `resources.Resources` 下声明）；Terraform 中 `aws_lambda_code_signing_config` 的 `policies { untrusted_artifact_on_deployment }`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html",
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-codesigningconfig.html",
        ],
    },
];

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let unsigned = &RULES[0];
    for function in &ctx.dep.functions {
        if !function.code_signing.is_absent() {
            continue;
        }
        match &function.package_type {
            Field::Known(kind, _) if kind.eq_ignore_ascii_case("Image") => continue,
            Field::Unknown(_) => continue,
            _ => {}
        }
        let message = ctx.text(
            || {
                [
                    "Function ",
                    &function.id,
                    " has no code signing configuration: any uploaded package is deployed.",
                ]
                .concat()
            },
            || {
                [
                    "函数 ",
                    &function.id,
                    " 未配置代码签名：任何上传的代码包都会被部署。",
                ]
                .concat()
            },
        );
        let finding = ctx.finding(unsigned, &function.id, function.loc, message, "");
        out.push(Raw {
            finding,
            element_loc: function.loc,
            element_ignores: function.ignores.clone(),
        });
    }
    let warn = &RULES[1];
    for config in &ctx.dep.code_signing_configs {
        let (loc, en, zh) = match &config.untrusted_artifact_policy {
            Field::Known(policy, loc) if policy.eq_ignore_ascii_case("Warn") => (
                *loc,
                format!("Code signing configuration {} uses UntrustedArtifactOnDeployment Warn: unsigned code is still deployed.", config.id),
                format!("代码签名配置 {} 使用 UntrustedArtifactOnDeployment Warn：未签名代码仍会被部署。", config.id),
            ),
            Field::Absent => (
                config.loc,
                format!("Code signing configuration {} does not set UntrustedArtifactOnDeployment, so AWS's default Warn applies: unsigned code is still deployed.", config.id),
                format!("代码签名配置 {} 未设置 UntrustedArtifactOnDeployment，适用 AWS 默认值 Warn：未签名代码仍会被部署。", config.id),
            ),
            _ => continue,
        };
        let finding = ctx.finding(warn, &config.id, loc, Text::new(en, zh), "");
        out.push(Raw {
            finding,
            element_loc: config.loc,
            element_ignores: config.ignores.clone(),
        });
    }
}
