//! Metadata of the FG-SUP rules. The order is fixed: `indicators` refers to
//! rules by their index here (the `*_RULE` constants), and a test checks
//! every constant points at the id it names.

use fnguard_core::{Area, RuleMeta, Severity};

pub(crate) const STARTUP_HOOK: usize = 0;
pub(crate) const INSTALL_SCRIPT: usize = 1;
pub(crate) const INSTALL_SCRIPT_FETCH: usize = 2;
pub(crate) const EXTENSION: usize = 3;
pub(crate) const EXEC_WRAPPER: usize = 4;
pub(crate) const DECODED_EXEC: usize = 5;
pub(crate) const CREDENTIAL_READ: usize = 6;
pub(crate) const RUNTIME_WRITE: usize = 7;
pub(crate) const TMP_EXEC: usize = 8;
pub(crate) const EXFIL_ENDPOINT: usize = 9;
pub(crate) const RAW_IP_URL: usize = 10;
pub(crate) const TYPOSQUAT: usize = 11;

const SUPPLY_CHAIN_REF: &str = "https://attack.mitre.org/techniques/T1195/";

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-SUP-001",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.2", "2.3", "3.2.2"],
        attack: &["T1546.018", "T1195.002"],
        title_en: "Python start-up hook in the package (.pth code line, sitecustomize, usercustomize)",
        title_zh: "包内含 Python 启动钩子（执行代码的 .pth 行、sitecustomize、usercustomize）",
        description_en: "A `.pth` file has a line starting with `import`, or the package ships a `sitecustomize.py` or \
`usercustomize.py`. At every interpreter start, before the handler is loaded and whatever it imports, Python's \
`site` module executes such lines of the `.pth` files in site directories (any `site-packages`, as in a container \
image) and imports the first `sitecustomize`/`usercustomize` found on the path (the function's own folder \
included). setuptools' own `distutils-precedence.pth` is reported at \
info level.",
        description_zh: "某个 `.pth` 文件含有以 `import` 开头的行，或包内带有 `sitecustomize.py` 或 `usercustomize.py`。\
每次解释器启动时，早于处理函数加载且与其导入什么无关，Python 的 `site` 模块会执行站点目录（任何 `site-packages`，\
例如容器镜像中）里 `.pth` 文件的这类行，并导入路径上（包括函数自身目录）找到的第一个 `sitecustomize`/`usercustomize`。\
setuptools 自带的 `distutils-precedence.pth` 以“提示”级别报告。",
        risk_en: "Code placed this way runs in every execution environment with the function's credentials and event \
data, and survives code review of the handler: a favourite persistence and supply-chain technique (it was used by \
malicious PyPI packages and by the 2024 ultralytics compromise of a build pipeline).",
        risk_zh: "以这种方式放入的代码会在每个执行环境中以函数的凭证运行并接触事件数据，而且审查处理函数代码时看不到它：\
这是恶意 PyPI 包等供应链攻击常用的持久化手段。",
        remediation_en: "Find which dependency installed the file (the `RECORD` of its `*.dist-info`), check that its \
content is what the project publishes, and remove the package if not. Build the deployment package from a lockfile \
with hashes (`pip install --require-hashes`) in a clean environment.",
        remediation_zh: "查明是哪个依赖安装了该文件（其 `*.dist-info` 中的 `RECORD`），核对内容是否与该项目发布的一致，\
否则移除该包。在干净环境中依据带哈希的锁文件（`pip install --require-hashes`）构建部署包。",
        references: &[
            "https://docs.python.org/3/library/site.html",
            "https://attack.mitre.org/techniques/T1546/018/",
        ],
    },
    RuleMeta {
        id: "FG-SUP-002",
        area: Area::Sup,
        severity: Severity::Low,
        guide: &["2.2", "3.2.2"],
        attack: &["T1195.002", "T1059.007"],
        title_en: "npm package with an install-time script",
        title_zh: "npm 包带有安装时脚本",
        description_en: "A shipped `package.json` declares a `preinstall`, `install` or `postinstall` script. npm runs \
these on every `npm install` of the package, on the build machine that produces the function package. Scripts that \
download or decode code are reported by FG-SUP-003 instead; `prepare`, `test` and other scripts are not reported.",
        description_zh: "包内的 `package.json` 声明了 `preinstall`、`install` 或 `postinstall` 脚本。npm 在每次 `npm install` \
该包时都会在构建函数包的机器上运行这些脚本。下载或解码代码的脚本改由 FG-SUP-003 报告；`prepare`、`test` 等其他脚本不报告。",
        risk_en: "Install scripts are the usual entry of malicious npm packages: they run with the build machine's \
credentials and can rewrite files that end up in the function package. Most are legitimate (native builds), which \
is why this is low: review the ones you do not expect.",
        risk_zh: "安装脚本是恶意 npm 包最常见的入口：它们以构建机器的凭证运行，并能改写最终进入函数包的文件。\
大多数是正当的（原生模块编译），因此级别为“低”：请审查不在预期之内的脚本。",
        remediation_en: "Check what the script runs; build with `npm ci --ignore-scripts` and allow scripts only for the \
packages that need them; pin dependencies in a lockfile with integrity hashes.",
        remediation_zh: "检查脚本运行的内容；使用 `npm ci --ignore-scripts` 构建，只为确实需要的包放行脚本；\
在带完整性哈希的锁文件中固定依赖版本。",
        references: &[
            "https://docs.npmjs.com/cli/using-npm/scripts",
            SUPPLY_CHAIN_REF,
        ],
    },
    RuleMeta {
        id: "FG-SUP-003",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.2", "3.2.2"],
        attack: &["T1195.002", "T1059.007", "T1105"],
        title_en: "npm install-time script that downloads, decodes or evaluates code",
        title_zh: "npm 安装时脚本下载、解码或动态执行代码",
        description_en: "A `preinstall`, `install` or `postinstall` script of a shipped `package.json` fetches from the \
network (curl, wget, a URL), pipes into a shell, evaluates inline code (`node -e`, `eval`) or decodes base64.",
        description_zh: "包内 `package.json` 的 `preinstall`、`install` 或 `postinstall` 脚本从网络获取内容（curl、wget、URL）、\
通过管道交给 shell、执行内联代码（`node -e`、`eval`）或解码 base64。",
        risk_en: "This is the shape of most malicious npm packages: the payload is not in the package, so no scanner of \
the package sees it, and it runs on the build machine with its credentials.",
        risk_zh: "这正是大多数恶意 npm 包的形态：载荷不在包内，扫描包的工具看不到它，而它以构建机器的凭证运行。",
        remediation_en: "Treat the package as suspect until proven otherwise: compare it with the registry's published \
tarball and the project's source, rotate credentials the build machine held, rebuild with `--ignore-scripts`.",
        remediation_zh: "在证明无害之前将该包视为可疑：与注册表发布的 tarball 及项目源码比对，轮换构建机器上的凭证，\
并使用 `--ignore-scripts` 重新构建。",
        references: &[
            "https://docs.npmjs.com/cli/using-npm/scripts",
            "https://attack.mitre.org/techniques/T1105/",
        ],
    },
    RuleMeta {
        id: "FG-SUP-004",
        area: Area::Sup,
        severity: Severity::Medium,
        guide: &["2.3", "3.2.3"],
        attack: &["T1546", "T1195.002"],
        title_en: "Lambda external extension shipped in a layer (`extensions/`)",
        title_zh: "层中带有 Lambda 外部扩展（`extensions/`）",
        description_en: "A file sits directly in the package's top-level `extensions/` folder. Lambda mounts layers at \
`/opt` and starts every file of `/opt/extensions` as an external extension, before the handler's runtime, in every \
execution environment.",
        description_zh: "有文件直接位于包顶层的 `extensions/` 目录中。Lambda 将层挂载到 `/opt`，并在每个执行环境中、\
早于处理函数的运行时，把 `/opt/extensions` 中的每个文件作为外部扩展启动。",
        risk_en: "An extension runs as its own process with the function's credentials, sees environment variables, \
can subscribe to the Telemetry API and outlives invocations: monitoring agents use it legitimately, and so does a \
backdoor that wants to persist.",
        risk_zh: "扩展作为独立进程运行，持有函数的凭证，可以读取环境变量、订阅 Telemetry API，并跨调用存活：\
监控代理正当地使用它，想要持久驻留的后门也会使用它。",
        remediation_en: "Keep only extensions you know (vendor, version, checksum): publish layers from your own \
account or the vendor's documented ARN, and enable code signing for layers.",
        remediation_zh: "只保留已知的扩展（厂商、版本、校验和）：仅使用自己账户发布的层或厂商文档给出的 ARN，并为层启用代码签名。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-extensions.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html",
        ],
    },
    RuleMeta {
        id: "FG-SUP-005",
        area: Area::Sup,
        severity: Severity::Medium,
        guide: &["2.3", "3.2.3"],
        attack: &["T1574", "T1546"],
        title_en: "Lambda exec wrapper (AWS_LAMBDA_EXEC_WRAPPER, or a shell script that execs \"$@\")",
        title_zh: "Lambda 执行包装脚本（AWS_LAMBDA_EXEC_WRAPPER，或执行 \"$@\" 的 shell 脚本）",
        description_en: "A file names `AWS_LAMBDA_EXEC_WRAPPER`, or is a shell script that runs other commands and then \
hands over with `exec \"$@\"`. Lambda starts the runtime through the script this variable names, passing the \
runtime's command line as arguments.",
        description_zh: "某文件提到 `AWS_LAMBDA_EXEC_WRAPPER`，或是一个先运行其他命令再以 `exec \"$@\"` 交出控制权的 shell 脚本。\
Lambda 会通过该变量指定的脚本启动运行时，并将运行时的命令行作为参数传入。",
        risk_en: "A wrapper runs before the runtime in every execution environment and can change its environment, \
arguments and preloaded libraries: it is the supported way to instrument a runtime and an easy place to persist.",
        risk_zh: "包装脚本在每个执行环境中先于运行时运行，可以修改其环境变量、参数和预加载库：\
它是对运行时插桩的官方方式，也是容易驻留后门的位置。",
        remediation_en: "Make sure each wrapper is expected (an APM agent you installed) and review what it runs before \
`exec`. Set AWS_LAMBDA_EXEC_WRAPPER only through IaC you review.",
        remediation_zh: "确认每个包装脚本都在预期之内（例如你安装的 APM 代理），并审查它在 `exec` 之前运行的内容。\
只通过经过审查的 IaC 设置 AWS_LAMBDA_EXEC_WRAPPER。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html",
        ],
    },
    RuleMeta {
        id: "FG-SUP-006",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.2", "2.3", "3.2.4"],
        attack: &["T1027", "T1140", "T1059.006"],
        title_en: "Decoded data executed (exec/eval of base64, hex, zlib or marshal data)",
        title_zh: "执行解码后的数据（对 base64、十六进制、zlib 或 marshal 数据调用 exec/eval）",
        description_en: "Code passes decoded data straight to an interpreter: Python `exec`/`eval` of `base64`, \
`codecs.decode`, `bytes.fromhex`, `zlib.decompress` or `marshal.loads`; JavaScript `eval` or `new Function` of \
`Buffer.from`, `atob`, `unescape` or `String.fromCharCode`.",
        description_zh: "代码把解码后的数据直接交给解释器：Python 对 `base64`、`codecs.decode`、`bytes.fromhex`、\
`zlib.decompress` 或 `marshal.loads` 的结果调用 `exec`/`eval`；JavaScript 对 `Buffer.from`、`atob`、`unescape` \
或 `String.fromCharCode` 的结果调用 `eval` 或 `new Function`。",
        risk_en: "Legitimate code has no reason to hide what it runs; encoding a payload is how malicious packages get \
past review and keyword scanners.",
        risk_zh: "正当代码没有理由隐藏其执行的内容；对载荷编码正是恶意包绕过审查和关键字扫描的手段。",
        remediation_en: "Decode the data offline and read it. Unless the package's authors explain it, remove the \
package, rotate the function's credentials and look for the indicators of what the payload does.",
        remediation_zh: "离线解码这段数据并阅读其内容。除非包作者能给出解释，否则移除该包、轮换函数凭证，并排查载荷行为留下的痕迹。",
        references: &[
            "https://attack.mitre.org/techniques/T1027/",
            "https://attack.mitre.org/techniques/T1140/",
        ],
    },
    RuleMeta {
        id: "FG-SUP-007",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.2", "3.2.4"],
        attack: &["T1003.007", "T1552.001"],
        title_en: "Read of process environment, process memory or AWS credential files",
        title_zh: "读取进程环境变量、进程内存或 AWS 凭证文件",
        description_en: "Code names `/proc/<pid>/environ`, `/proc/<pid>/mem` or the AWS shared credentials file \
(`.aws/credentials`). In Lambda the execution role's temporary credentials are environment variables, so reading \
the environment file is reading them. AWS SDKs, which read the credentials file by design, are not reported.",
        description_zh: "代码引用了 `/proc/<pid>/environ`、`/proc/<pid>/mem` 或 AWS 共享凭证文件（`.aws/credentials`）。\
在 Lambda 中执行角色的临时凭证就是环境变量，读取环境文件就是读取凭证。按设计读取凭证文件的 AWS SDK 不报告。",
        risk_en: "This is what credential stealers do first: the keys leave with the next outbound request and are \
valid until they expire, from anywhere.",
        risk_zh: "这是凭证窃取程序的第一步：密钥会随下一次出站请求泄露，在过期之前可以从任何地方使用。",
        remediation_en: "Read configuration through the SDK or `os.environ` for the names you need, never the whole \
environment file. If the code is not yours, remove the package and rotate the role's sessions.",
        remediation_zh: "通过 SDK 或 `os.environ` 读取所需名称的配置，不要读取整个环境文件。若这段代码不是你的，\
移除该包并吊销该角色的会话。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
            "https://attack.mitre.org/techniques/T1003/007/",
        ],
    },
    RuleMeta {
        id: "FG-SUP-008",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.3"],
        attack: &["T1554", "T1574"],
        title_en: "Write to the Lambda runtime, task or layer folders (/var/runtime, /var/task, /opt)",
        title_zh: "写入 Lambda 运行时、代码或层目录（/var/runtime、/var/task、/opt）",
        description_en: "Code opens for writing, copies, moves, links or redirects output to a path under \
`/var/runtime`, `/var/task` or `/opt`: the runtime's bootstrap, the function's code and its layers.",
        description_zh: "代码以写方式打开、复制、移动、链接或重定向输出到 `/var/runtime`、`/var/task` 或 `/opt` 下的路径：\
即运行时的引导程序、函数代码及其层。",
        risk_en: "A function has no reason to change its own runtime; replacing `/var/runtime/bootstrap` or a module \
the runtime loads is the documented way to persist in a warm execution environment and intercept every later event.",
        risk_zh: "函数没有理由修改自身运行时；替换 `/var/runtime/bootstrap` 或运行时加载的模块，是在热执行环境中驻留、\
截获之后每个事件的已知手法。",
        remediation_en: "Remove the code. Write scratch files under `/tmp` only, and keep the function's code \
immutable (code signing, read-only deployment package).",
        remediation_zh: "删除这段代码。临时文件只写到 `/tmp`，并保持函数代码不可变（代码签名、只读部署包）。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html",
            "https://attack.mitre.org/techniques/T1554/",
        ],
    },
    RuleMeta {
        id: "FG-SUP-009",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.1", "2.3"],
        attack: &["T1105", "T1222.002", "T1059.004"],
        title_en: "Executable dropped in /tmp (chmod +x or run from /tmp)",
        title_zh: "在 /tmp 中投放可执行文件（chmod +x 或从 /tmp 运行）",
        description_en: "A line makes a file under `/tmp` executable (`chmod +x`, `chmod 755`, `os.chmod`, \
`fs.chmodSync`) or runs a program from `/tmp` (shell command, `subprocess`, `os.system`, `child_process`).",
        description_zh: "某行代码把 `/tmp` 下的文件设为可执行（`chmod +x`、`chmod 755`、`os.chmod`、`fs.chmodSync`），\
或从 `/tmp` 运行程序（shell 命令、`subprocess`、`os.system`、`child_process`）。",
        risk_en: "`/tmp` is the only writable place in Lambda and survives between invocations of a warm environment: \
downloaded tools, miners and proxies are dropped and started from there.",
        risk_zh: "`/tmp` 是 Lambda 中唯一可写的位置，并且在热环境的多次调用之间保留：下载的工具、挖矿程序和代理都从这里投放并启动。",
        remediation_en: "Ship the binaries a function needs inside its package or a layer (signed), never download and \
run them at run time.",
        remediation_zh: "把函数需要的二进制文件放进（签名的）部署包或层中，不要在运行时下载并执行。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-ephemeral-storage.html",
            "https://attack.mitre.org/techniques/T1105/",
        ],
    },
    RuleMeta {
        id: "FG-SUP-010",
        area: Area::Sup,
        severity: Severity::High,
        guide: &["2.1", "2.2"],
        attack: &["T1567.004", "T1102"],
        title_en: "Hard-coded exfiltration endpoint (paste site, request collector, tunnel, chat bot webhook)",
        title_zh: "硬编码的数据外传端点（粘贴站点、请求收集器、隧道、聊天机器人 webhook）",
        description_en: "The file contains an address of a service made for receiving arbitrary data from anywhere: \
paste sites (pastebin, paste.ee, hastebin, rentry, transfer.sh), request collectors (webhook.site, requestbin, \
pipedream), out-of-band testing hosts (interactsh/oast, Burp Collaborator, oastify), ngrok tunnels, a Discord webhook \
with its id and token, or a Telegram bot token. In a vendored library, also a URL of a cloud-function or API-gateway \
endpoint of any vendor (`fnguard intel classify` knowledge base: Tencent SCF and API Gateway, Alibaba FC, Huawei APIG, \
AWS Lambda URLs and API Gateway, GCP Cloud Functions...), named with its tenant, one severity level lower.",
        description_zh: "文件中含有专门用于从任意位置接收数据的服务地址：粘贴站点（pastebin、paste.ee、hastebin、rentry、transfer.sh）、\
请求收集器（webhook.site、requestbin、pipedream）、带外测试主机（interactsh/oast、Burp Collaborator、oastify）、\
ngrok 隧道、带 id 和令牌的 Discord webhook，或 Telegram 机器人令牌。在第三方依赖中，还包括任意厂商的云函数或 API 网关端点 URL\
（`fnguard intel classify` 知识库：腾讯云 SCF 与 API 网关、阿里云函数计算、华为云 APIG、AWS Lambda URL 与 API Gateway、GCP Cloud Functions 等），\
并注明其租户，严重性降低一级。",
        risk_en: "Production code has no business with these hosts; stealers use them because they need no server \
of the attacker's and blend into allowed HTTPS traffic.",
        risk_zh: "生产代码与这些主机无关；窃取程序使用它们，是因为无需攻击者自建服务器，且能混入被放行的 HTTPS 流量。",
        remediation_en: "Find why the address is there. Remove test leftovers; if the code is not yours, remove the \
package and rotate the function's credentials. Restrict egress (VPC without a NAT route, or an egress proxy with an \
allow list).",
        remediation_zh: "查明该地址出现的原因。删除测试遗留；若代码不是你的，移除该包并轮换函数凭证。\
限制出站流量（无 NAT 路由的 VPC，或带允许列表的出站代理）。",
        references: &[
            "https://attack.mitre.org/techniques/T1567/004/",
            "https://attack.mitre.org/techniques/T1102/",
        ],
    },
    RuleMeta {
        id: "FG-SUP-011",
        area: Area::Sup,
        severity: Severity::Medium,
        guide: &["2.1", "2.2"],
        attack: &["T1041", "T1071.001"],
        title_en: "URL with a raw public IPv4 address",
        title_zh: "使用公网 IPv4 地址的 URL",
        description_en: "The file contains a URL whose host is a public IPv4 address. Private, loopback, link-local \
(including the instance metadata address), shared, documentation, benchmark and multicast ranges are not reported.",
        description_zh: "文件中含有主机为公网 IPv4 地址的 URL。私有、回环、链路本地（包括实例元数据地址）、共享、文档示例、\
基准测试和组播地址段不报告。",
        risk_en: "Services a function legitimately calls have names (and certificates for them); a bare address is \
typical of command-and-control and exfiltration servers that avoid DNS-based blocking and logging.",
        risk_zh: "函数正当调用的服务都有域名（以及对应的证书）；裸 IP 地址是命令控制和数据外传服务器的典型特征，\
用以规避基于 DNS 的拦截和日志。",
        remediation_en: "Use a DNS name you control, with TLS; if the address is not yours, find where it came from \
and treat the code as suspect.",
        remediation_zh: "使用你掌控的域名并启用 TLS；若该地址不是你的，查明其来源并将该代码视为可疑。",
        references: &[
            "https://attack.mitre.org/techniques/T1041/",
            "https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml",
        ],
    },
    RuleMeta {
        id: "FG-SUP-012",
        area: Area::Sup,
        severity: Severity::Medium,
        guide: &["2.2", "3.2.2"],
        attack: &["T1195.001"],
        title_en: "Dependency name one typo away from a popular package (possible typosquat)",
        title_zh: "依赖名称与热门包仅差一处拼写（可能是仿冒包）",
        description_en: "A dependency's name is one edit (a character added, removed, replaced, or two neighbours \
swapped) away from one of the 3,000 most downloaded packages of its registry (data/top-packages), without being a \
popular name itself or a known legitimate neighbour. PyPI names are compared after PEP 503 normalisation, npm names \
in lower case; names shorter than 4 characters are not compared.",
        description_zh: "某个依赖的名称与其注册表下载量最高的 3000 个包之一（data/top-packages）只差一处编辑\
（增加、删除、替换一个字符，或交换相邻两个字符），而它本身既不是热门包，也不是已知的正当近名包。\
PyPI 名称按 PEP 503 规范化后比较，npm 名称按小写比较；少于 4 个字符的名称不比较。",
        risk_en: "Typosquats copy a popular package's name with a slip of the keyboard and add a payload; a single \
mistyped line in a requirements file or package.json installs it.",
        risk_zh: "仿冒包照搬热门包的名称，只差一次手误，并附带恶意载荷；requirements 文件或 package.json 中一行拼写错误就会安装它。",
        remediation_en: "Check the name against the package you meant; if it is a typo, fix it, rebuild, and rotate \
the credentials of every machine that installed it.",
        remediation_zh: "对照你本想使用的包核对名称；若是拼写错误，修正后重新构建，并轮换所有安装过它的机器上的凭证。",
        references: &[
            "https://attack.mitre.org/techniques/T1195/001/",
            "https://peps.python.org/pep-0503/",
        ],
    },
];
