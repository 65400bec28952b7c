//! Rules of the package scan that are neither secret patterns (data in
//! `rules/secrets`) nor content indicators (`indicators::rules`): the
//! archive that is built to attack whoever unpacks it, and the
//! dependencies that OSV advisories name.

use crate::secrets::{builtin_rules, RuleError, SecretRule};
use fnguard_core::{Area, RuleMeta, Severity};
use std::sync::OnceLock;

pub static HOSTILE_ARCHIVE: &RuleMeta = &RULES[0];
pub static VULNERABLE_DEPENDENCY: &RuleMeta = &RULES[1];
pub static MALICIOUS_DEPENDENCY: &RuleMeta = &RULES[2];
pub static NOT_AS_SIGNED: &RuleMeta = &RULES[3];

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-SUP-013",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.2", "3.2.3"],
        attack: &["T1195.002"],
        title_en: "Package archive built to escape or exhaust whoever unpacks it",
        title_zh: "代码包归档被构造为可逃逸解压目录或耗尽解压方资源",
        description_en: "An entry of the function's archive (or of an archive inside it) climbs out of the \
package root with `..`, has an absolute name or a drive letter, is a symbolic or hard link to a place outside the \
package, declares another size than it holds, or decompresses more than the ratio cap allows (a zip bomb). \
fnguard reports the entry and never follows it; build tools, deploy pipelines and unzip in a layer do not all \
refuse such entries.",
        description_zh: "函数归档（或其内嵌归档）中的某个条目用 `..` 跳出包根目录、使用绝对路径或盘符、是指向包外的\
符号链接或硬链接、声明的大小与实际不符，或解压比超过上限（压缩炸弹）。fnguard 报告该条目且绝不跟随它；\
构建工具、部署流水线以及层中的 unzip 并不都会拒绝这类条目。",
        risk_en: "Such entries are how a poisoned package overwrites files outside its folder when unpacked \
(zip slip: a runtime bootstrap, a CI script, an SSH key), hides content from reviewers and scanners, or takes down \
the machine that unpacks it. A legitimate build never produces them.",
        risk_zh: "被投毒的代码包正是借助这类条目在解压时覆盖包外文件（zip slip：运行时引导程序、CI 脚本、SSH 密钥），\
向审查者和扫描器隐藏内容，或拖垮执行解压的机器。正常构建绝不会产生这类条目。",
        remediation_en: "Do not deploy the archive. Find where it was built or downloaded from, rebuild it from \
source in a clean environment, and sign it (AWS Signer, `fnguard sign`) so that only what the pipeline built can \
be deployed.",
        remediation_zh: "不要部署该归档。查明它在何处构建或从何处下载，在干净环境中从源码重新构建，并对其签名\
（AWS Signer、`fnguard sign`），使只有流水线构建的产物才能部署。",
        references: &[
            "https://security.snyk.io/research/zip-slip-vulnerability",
            "https://attack.mitre.org/techniques/T1195/002/",
        ],
    },
    RuleMeta {
        id: "FG-DEP-001",
        area: Area::Dep,
        severity: Severity::High,
        guide: &["2.2", "3.2.2"],
        attack: &["T1190", "T1195.001"],
        title_en: "Dependency with a known vulnerability (OSV advisory)",
        title_zh: "依赖存在已知漏洞（OSV 通告）",
        description_en: "A package the function ships (installed in the package, pinned in a lockfile or \
embedded in a Go or Rust binary) is in the affected versions of an advisory of the offline OSV database given \
with `--osv-db`, with each ecosystem's version rules (SemVer, PEP 440, Maven). Advisories that are aliases of one \
another are one finding. The severity is the advisory's (GitHub's rating, else the CVSS base score), medium when \
it has none; development dependencies of a lockfile are not reported, they are not shipped.",
        description_zh: "函数所带的某个包（安装在包内、在锁文件中固定或嵌入 Go/Rust 二进制文件中）按各生态的版本规则\
（SemVer、PEP 440、Maven）落在 `--osv-db` 指定的离线 OSV 数据库某条通告的受影响版本内。互为别名的通告合并为一个\
发现。严重性取自通告（GitHub 评级，否则为 CVSS 基础分），无评级时为中；锁文件中的开发依赖不会部署，因此不报告。",
        risk_en: "The vulnerable code runs with the function's execution role and sees every event: a flaw \
reachable from the event (a parser, a template engine, an HTTP client) gives the attacker the role's credentials \
and the data it can read.",
        risk_zh: "有漏洞的代码以函数执行角色运行并接触每个事件：若该缺陷可由事件触达（解析器、模板引擎、HTTP 客户端），\
攻击者即可获得该角色的凭证及其可读取的数据。",
        remediation_en: "Upgrade the package to a fixed version (the advisory lists them), regenerate the \
lockfile, rebuild and redeploy the function; where no fix exists, remove the package or make sure the vulnerable \
code is not reachable from the function's input.",
        remediation_zh: "将该包升级到已修复版本（通告中列出），重新生成锁文件，重新构建并部署函数；如无修复版本，\
移除该包，或确保函数输入无法触达有漏洞的代码。",
        references: &[
            "https://ossf.github.io/osv-schema/",
            "https://google.github.io/osv-scanner/guides/offline-mode/",
        ],
    },
    RuleMeta {
        id: "FG-DEP-002",
        area: Area::Dep,
        severity: Severity::Critical,
        guide: &["2.2", "3.2.2"],
        attack: &["T1195.001"],
        title_en: "Known malicious package (OSV MAL advisory)",
        title_zh: "已知恶意包（OSV MAL 通告）",
        description_en: "A package the function ships matches a `MAL-` advisory of the offline OSV database: the \
OpenSSF malicious-packages reports of packages published to steal credentials, open shells or mine coins.",
        description_zh: "函数所带的某个包匹配离线 OSV 数据库中的 `MAL-` 通告，即 OpenSSF 恶意包报告中为窃取凭证、\
开启反弹 shell 或挖矿而发布的包。",
        risk_en: "The package's code runs at install time on the build machine and at every invocation in the \
function, with its credentials and events: assume both are compromised.",
        risk_zh: "该包的代码在构建机安装时运行，并在函数每次调用时以函数的凭证和事件运行：应假定两者均已失陷。",
        remediation_en: "Remove the package, rebuild from a clean lockfile, redeploy, and rotate every credential \
the build machine and the function's role could reach; look for persistence (layers, extensions, changed \
functions) in the account.",
        remediation_zh: "移除该包，基于干净的锁文件重新构建并部署，轮换构建机和函数角色能接触到的所有凭证；\
并在账户中排查持久化痕迹（层、扩展、被改动的函数）。",
        references: &[
            "https://github.com/ossf/malicious-packages",
            "https://ossf.github.io/osv-schema/",
        ],
    },
    RuleMeta {
        id: "FG-SIGN-003",
        area: Area::Sign,
        severity: Severity::High,
        guide: &["3.2.3", "2.2"],
        attack: &["T1525", "T1195.002"],
        title_en: "Package differs from its signed manifest",
        title_zh: "代码包与其签名清单不一致",
        description_en: "The package carries an fnguard manifest (`fnguard.manifest.json`, written by \
`fnguard sign`), and what the package holds is not what the manifest lists: a file was modified, removed or \
added, its mode or a symbolic link changed, or the manifest itself is damaged, inconsistent with its own digest, \
or has no signature beside it. The scan compares contents (BLAKE3) without a trusted key; whether the manifest \
was signed by a key you trust is what `fnguard verify --pubkey` checks.",
        description_zh: "代码包带有 fnguard 清单（`fnguard.manifest.json`，由 `fnguard sign` 写入），但包中内容与清单\
所列不符：文件被修改、删除或新增，文件权限或符号链接发生变化，或清单本身损坏、与自身摘要不一致、旁边没有签名。\
扫描在没有可信公钥的情况下比对内容（BLAKE3）；清单是否由可信密钥签名，需用 `fnguard verify --pubkey` 检查。",
        risk_en: "The code was changed after it was signed: by a compromised build step, a tampered artifact \
store or someone with write access to the package. Deploying it runs code nobody reviewed with the function's \
role (supply-chain poisoning, guide §2.2; integrity, §3.2.3).",
        risk_zh: "代码在签名之后被改动：可能来自被攻陷的构建步骤、被篡改的制品仓库或对代码包有写权限的人。部署它就是\
以函数角色运行无人审查过的代码（供应链投毒，指南 §2.2；完整性，§3.2.3）。",
        remediation_en: "Do not deploy the package. Run `fnguard verify PACKAGE --pubkey KEY` to see every \
change and whether the signature is from a trusted key; find where the package was altered, rebuild it from \
source in a clean environment and sign it again with `fnguard sign`.",
        remediation_zh: "不要部署该代码包。运行 `fnguard verify PACKAGE --pubkey KEY` 查看每一处改动以及签名是否来自\
可信密钥；查明代码包在何处被改动，在干净环境中从源码重新构建，并用 `fnguard sign` 重新签名。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html",
            "https://attack.mitre.org/techniques/T1195/002/",
        ],
    },
];

/// The secret rules of `rules/secrets` as rule metadata, in the order of
/// [`builtin_rules`]: findings and `fnguard rules` need `'static`
/// metadata, and these are read from data once per process. Rules that do
/// not parse give none (`fnguard rules check` reports them).
pub fn secret_rules() -> &'static [RuleMeta] {
    static METAS: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    METAS.get_or_init(|| match parsed_secret_rules() {
        Ok(rules) => rules.iter().map(secret_meta).collect(),
        Err(_) => Vec::new(),
    })
}

/// `rules/secrets` parsed once per process: the scanner and the rule
/// metadata are both built from it.
pub(crate) fn parsed_secret_rules() -> &'static Result<Vec<SecretRule>, Vec<RuleError>> {
    static PARSED: OnceLock<Result<Vec<SecretRule>, Vec<RuleError>>> = OnceLock::new();
    PARSED.get_or_init(builtin_rules)
}

fn secret_meta(rule: &SecretRule) -> RuleMeta {
    fn text(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }
    fn list(items: &[String]) -> &'static [&'static str] {
        Box::leak(
            items
                .iter()
                .map(|s| text(s))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    }
    RuleMeta {
        id: text(&rule.id),
        area: Area::Sec,
        severity: rule.severity,
        guide: list(&rule.guide),
        attack: list(&rule.attack),
        title_en: text(&rule.title_en),
        title_zh: text(&rule.title_zh),
        description_en: text(&rule.description_en),
        description_zh: text(&rule.description_zh),
        risk_en: text(&rule.risk_en),
        risk_zh: text(&rule.risk_zh),
        remediation_en: text(&rule.remediation_en),
        remediation_zh: text(&rule.remediation_zh),
        references: list(&rule.references),
    }
}

/// Every rule of the package scan: secrets, supply-chain indicators,
/// hostile archives and dependencies.
pub fn all() -> Vec<&'static RuleMeta> {
    secret_rules()
        .iter()
        .chain(crate::indicators::RULES)
        .chain(RULES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn metadata_is_complete_and_ids_unique() {
        let rules = all();
        assert!(rules.len() >= 80 + 12 + 3, "{}", rules.len());
        let mut seen = HashSet::new();
        for rule in &rules {
            assert!(rule.lint().is_empty(), "{:?}", rule.lint());
            assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
            assert!(
                !rule.guide.is_empty() && !rule.attack.is_empty(),
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn secret_metadata_carries_the_yaml_text() {
        let rules = builtin_rules().expect("built-in rules parse");
        let metas = secret_rules();
        assert_eq!(rules.len(), metas.len());
        let aws = metas
            .iter()
            .find(|m| m.id == "FG-SEC-101")
            .expect("FG-SEC-101 exists");
        let yaml = rules
            .iter()
            .find(|r| r.id == "FG-SEC-101")
            .expect("in yaml");
        assert_eq!(aws.title_zh, yaml.title_zh);
        assert_eq!(aws.severity, yaml.severity);
        assert_eq!(aws.area, Area::Sec);
    }
}
