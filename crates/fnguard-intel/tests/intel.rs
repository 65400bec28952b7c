use fnguard_intel::{
    builtin, classify, normalize_host, punycode_encode, Confidence, Kind, KnowledgeBase,
    BUILTIN_FILE,
};

#[test]
fn builtin_data_parses_and_every_example_checks() {
    let kb = builtin().unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let summary = kb.check().unwrap_or_else(|failures| {
        panic!(
            "{}",
            failures
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert!(summary.products >= 15, "{summary:?}");
    assert!(summary.positive_examples >= summary.products);
    assert!(summary.negative_examples >= 2 * summary.products);
}

#[test]
fn the_issue_lists_every_product() {
    let kb = builtin().unwrap();
    for id in [
        "tencent-apigw",
        "tencent-scf-url",
        "tencent-cloudbase-run",
        "alibaba-fc-legacy",
        "alibaba-fcapp",
        "alibaba-apigw",
        "huawei-apig",
        "baidu-cfc",
        "volcengine-apig",
        "aws-apigw",
        "aws-lambda-url",
        "azure-app-service-regional",
        "azure-app-service",
        "azure-apim",
        "azure-front-door",
        "gcp-cloud-functions",
        "gcp-cloud-run",
        "gcp-cloud-run-hash",
        "gcp-api-gateway",
        "gcp-app-engine",
        "cloudflare-workers",
        "cloudflare-pages",
        "cloudflare-tunnel",
        "vercel",
        "netlify",
        "deno-deploy",
        "azure-container-apps",
        "aws-cloudfront",
        "fastly-compute",
        "fly-io",
        "render",
        "heroku",
    ] {
        let product = kb.product(id).unwrap_or_else(|| panic!("missing {id}"));
        assert!(!product.abuse.is_empty() && !product.references.is_empty());
    }
    // The Tencent gateway covers all its zones.
    let zones = &kb.product("tencent-apigw").unwrap().suffixes;
    for zone in [
        "apigw.tencentcs.com",
        "tencentapigw.com",
        "tencentapigw.com.cn",
        "apigateway.myqcloud.com",
    ] {
        assert!(zones.iter().any(|z| z == zone), "{zone}");
    }
}

#[test]
fn classify_from_urls_with_ports_and_case() {
    let c = classify("HTTPS://user@Savesurvey-WDZWRTHFOE.cn-hangzhou.FCAPP.run.:443/path?q=1#f")
        .expect("fcapp host");
    assert_eq!(c.product.id, "alibaba-fcapp");
    assert_eq!(c.vendor(), "alibaba");
    assert_eq!(c.kind(), Kind::Function);
    assert_eq!(c.host, "savesurvey-wdzwrthfoe.cn-hangzhou.fcapp.run");
    assert_eq!(c.region(), Some("cn-hangzhou"));
    assert_eq!(c.function(), Some("savesurvey"));
    assert_eq!(c.tenant(), None);
    assert_eq!(c.confidence, Confidence::High);

    let c = classify("service-h0jbiq9b-1300814016.sh.apigw.tencentcs.com:80").unwrap();
    assert_eq!(c.tenant(), Some("1300814016"));
    assert_eq!(c.function(), Some("h0jbiq9b"));
    assert_eq!(c.kind(), Kind::Gateway);

    // Scheme-less host/path (the legacy Alibaba form carries the function in the path).
    let c = classify(
        "1077739472743245.cn-hangzhou.fc.aliyuncs.com/2016-08-15/proxy/reg.LATEST/x/default",
    )
    .unwrap();
    assert_eq!(c.tenant(), Some("1077739472743245"));
    assert_eq!(c.function(), Some("x"));
    assert_eq!(c.capture("qualifier"), Some("LATEST"));
    assert_eq!(
        c.path.as_deref(),
        Some("/2016-08-15/proxy/reg.LATEST/x/default")
    );
    // Without the path the tenant is still known, the function is not.
    let c = classify("1077739472743245.cn-hangzhou.fc.aliyuncs.com").unwrap();
    assert_eq!((c.function(), c.path.as_deref()), (None, None));
    // A path that does not fit the path pattern is dropped, the host still classifies.
    let c = classify("https://1077739472743245.cn-hangzhou.fc.aliyuncs.com/robots.txt").unwrap();
    assert_eq!((c.function(), c.path.as_deref()), (None, None));

    // Generic PaaS hosts are medium, unverified patterns low.
    assert_eq!(
        classify("my-app.vercel.app").unwrap().confidence,
        Confidence::Medium
    );
    assert_eq!(
        classify("my-site.netlify.app").unwrap().confidence,
        Confidence::Low
    );
}

#[test]
fn unrelated_and_lookalike_hosts_do_not_classify() {
    for host in [
        "www.google.com",
        "fcapp.run.evil.com",
        "savesurvey-wdzwrthfoe.cn-hangzhou.fcapp.run.evil.com",
        "execute-api.us-east-1.amazonaws.com",
        "s3.amazonaws.com",
        "workers.dev",
        // Homoglyph: a Cyrillic `а` in `fcapp` becomes a punycode label.
        "savesurvey-wdzwrthfoe.cn-hangzhou.fc\u{0430}pp.run",
        "",
        ".",
        "com",
    ] {
        assert!(classify(host).is_none(), "{host}");
    }
    let homoglyph = normalize_host("savesurvey-wdzwrthfoe.cn-hangzhou.fc\u{0430}pp.run").unwrap();
    assert!(
        homoglyph.starts_with("savesurvey-wdzwrthfoe.cn-hangzhou.xn--fcpp-"),
        "{homoglyph}"
    );
}

#[test]
fn normalisation() {
    let cases: &[(&str, Option<&str>)] = &[
        ("Example.COM.", Some("example.com")),
        ("  example.com  ", Some("example.com")),
        ("example.com:8443", Some("example.com")),
        ("http://example.com", Some("example.com")),
        ("https://u:p@example.com:443/a/b?c#d", Some("example.com")),
        ("//example.com/x", Some("example.com")),
        ("example.com/path", Some("example.com")),
        ("example.com?x", Some("example.com")),
        // IP literals are not hostnames.
        ("1.2.3.4", None),
        ("http://1.2.3.4:8080/", None),
        ("[::1]", None),
        ("http://[2001:db8::1]:443/", None),
        ("2001:db8::1", None),
        ("fe80::1", None),
        // Malformed.
        ("", None),
        ("a..b", None),
        ("example.com:", None),
        ("example.com:http", None),
        ("exa mple.com", None),
        ("exa*mple.com", None),
        // IDNs: lowercased, then punycode.
        ("bücher.example", Some("xn--bcher-kva.example")),
        ("MÜNCHEN.de", Some("xn--mnchen-3ya.de")),
        ("例子。中国", Some("xn--fsqu00a.xn--fiqs8s")),
        ("https://中国:443/", Some("xn--fiqs8s")),
    ];
    for (input, want) in cases {
        assert_eq!(normalize_host(input).as_deref(), *want, "{input:?}");
    }
    // Huge inputs are refused quickly (punycode is quadratic in a label).
    let started = std::time::Instant::now();
    assert_eq!(normalize_host(&"\u{4e2d}\u{6587}".repeat(500_000)), None);
    assert_eq!(normalize_host(&"a.".repeat(500_000)), None);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    let long_label = format!("{}.com", "a".repeat(64));
    assert_eq!(normalize_host(&long_label), None);
    let long_name = format!("{}com", "abcdefghi.".repeat(26));
    assert_eq!(normalize_host(&long_name), None);
}

#[test]
fn url_paths() {
    let cases: &[(&str, Option<&str>)] = &[
        ("https://h.example/a/B?q#f", Some("/a/B")),
        ("h.example/a", Some("/a")),
        ("//h.example/", Some("/")),
        ("https://h.example", None),
        ("https://h.example?q=/x", None),
        ("h.example#/x", None),
    ];
    for (input, want) in cases {
        assert_eq!(fnguard_intel::url_path(input), *want, "{input:?}");
    }
}

#[test]
fn punycode_matches_rfc_3492_samples() {
    // RFC 3492 §7.1 (A) Arabic (Egyptian) and (L) Japanese "3年B組金八先生".
    let cases = [
        ("\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}", "egbpdaj6bu4bxfgehfvwxn"),
        ("3\u{5E74}B\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}", "3B-ww4c5e180e575a65lsy2b"),
        ("bücher", "bcher-kva"),
    ];
    for (input, want) in cases {
        let mut out = String::new();
        punycode_encode(input, &mut out).unwrap();
        assert_eq!(out, want, "{input}");
    }
}

fn errors(text: &str) -> Vec<String> {
    match KnowledgeBase::parse("t.yml", text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
    }
}

const GOOD: &str = r#"
- id: demo
  vendor: demo
  vendor_name: Demo
  name_en: Demo functions
  name_zh: 演示函数
  kind: function
  suffixes: [demo.run]
  pattern: '^(?P<fn>[a-z]+)\.(?P<region>[a-z]{2}-[a-z]+)\.demo\.run$'
  captures:
    fn: {role: function, en: function, zh: 函数}
    region: {role: region, en: region, zh: 地域}
  abuse: ['https://demo.invalid/abuse']
  references: ['https://demo.invalid/docs']
  examples:
    - host: hello.cn-north.demo.run
      captures: {fn: hello, region: cn-north}
  negative_examples: [hello.demo.run]
"#;

#[test]
fn a_good_custom_file_parses_and_checks() {
    let kb = KnowledgeBase::parse("t.yml", GOOD).unwrap();
    assert_eq!(kb.check().unwrap().products, 1);
    let c = kb.classify("hello.cn-north.demo.run").unwrap();
    let captures: Vec<(&str, &str)> = c.captures().map(|(s, v)| (s.name.as_str(), v)).collect();
    assert_eq!(captures, vec![("fn", "hello"), ("region", "cn-north")]);
    assert_eq!(c.capture("fn"), Some("hello"));
    assert_eq!(c.capture("nope"), None);
    assert_eq!(
        (c.function(), c.region(), c.tenant()),
        (Some("hello"), Some("cn-north"), None)
    );
}

#[test]
fn broken_files_name_file_position_and_entry() {
    let syntax = errors("- id: [unclosed\n");
    assert!(
        syntax.len() == 1 && syntax[0].starts_with("t.yml:"),
        "{syntax:?}"
    );

    assert!(errors("")[0].contains("empty file"));
    assert!(errors("a: 1\n")[0].contains("expected a list of products"));

    let bad_regex = errors(&GOOD.replace("(?P<fn>[a-z]+)", "(?P<fn>[a-z+)"));
    assert_eq!(bad_regex.len(), 1);
    assert!(
        bad_regex[0].starts_with("t.yml:9:12: demo: bad pattern"),
        "{bad_regex:?}"
    );

    let unanchored = errors(&GOOD.replace(r"\.demo\.run$'", r"\.demo\.run'"));
    assert!(unanchored[0].contains("anchored"), "{unanchored:?}");

    let undescribed =
        errors(&GOOD.replace("    region: {role: region, en: region, zh: 地域}\n", ""));
    assert!(
        undescribed[0].contains("group `region` is not described"),
        "{undescribed:?}"
    );

    let unknown_group = errors(&GOOD.replace("captures: {fn: hello,", "captures: {func: hello,"));
    assert!(
        unknown_group[0].contains("no group `func`"),
        "{unknown_group:?}"
    );

    let bad_kind = errors(&GOOD.replace("kind: function", "kind: lambda"));
    assert!(
        bad_kind[0].starts_with("t.yml:7:9: demo: unknown kind"),
        "{bad_kind:?}"
    );

    let unknown_field =
        errors(&GOOD.replace("  kind: function\n", "  kind: function\n  colour: red\n"));
    assert!(
        unknown_field[0].contains("unknown field `colour`"),
        "{unknown_field:?}"
    );

    let no_id = errors(&GOOD.replace("- id: demo\n", "- \n"));
    assert!(
        no_id[0].contains("entry #1") && no_id[0].contains("missing `id`"),
        "{no_id:?}"
    );

    let bad_flag = errors(&GOOD.replace(
        "  kind: function\n",
        "  kind: function\n  verified: 'yes'\n",
    ));
    assert!(
        bad_flag[0].contains("`verified` must be true or false"),
        "{bad_flag:?}"
    );

    let bad_suffix = errors(&GOOD.replace("[demo.run]", "[.Demo.run]"));
    assert!(bad_suffix[0].contains("suffix"), "{bad_suffix:?}");

    let bad_path = errors(&GOOD.replace("  captures:\n", "  path_pattern: 'x'\n  captures:\n"));
    assert!(bad_path[0].contains("must start with `^/`"), "{bad_path:?}");
    let clash = errors(&GOOD.replace(
        "  captures:\n",
        "  path_pattern: '^/(?P<fn>x)'\n  captures:\n",
    ));
    assert!(clash[0].contains("group `fn` is in both"), "{clash:?}");
    let path_group_undescribed = errors(&GOOD.replace(
        "  captures:\n",
        "  path_pattern: '^/(?P<stage>x)'\n  captures:\n",
    ));
    assert!(
        path_group_undescribed[0].contains("group `stage` is not described"),
        "{path_group_undescribed:?}"
    );

    let twice = errors(&format!("{GOOD}{}", GOOD.trim_start()));
    assert!(twice[0].contains("duplicate id `demo`"), "{twice:?}");

    let alias = errors(&GOOD.replace(
        "suffixes: [demo.run]",
        "suffixes: &s [demo.run]\n  references: *s",
    ));
    assert!(!alias.is_empty(), "{alias:?}");

    // Two bad entries: both reported.
    let both = errors(&format!(
        "{}{}",
        GOOD.replace("kind: function", "kind: x"),
        GOOD.trim_start()
            .replace("id: demo", "id: demo2")
            .replace("  name_zh: 演示函数\n", "")
    ));
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both[1].contains("demo2: missing `name_zh`"), "{both:?}");
}

#[test]
fn check_reports_examples_that_do_not_hold() {
    let wrong_capture = GOOD.replace("captures: {fn: hello,", "captures: {fn: hullo,");
    let kb = KnowledgeBase::parse("t.yml", &wrong_capture).unwrap();
    let failures = kb.check().unwrap_err();
    assert!(failures[0]
        .to_string()
        .contains("t.yml: demo: example `hello.cn-north.demo.run`: captures"));

    let matching_negative = GOOD.replace(
        "negative_examples: [hello.demo.run]",
        "negative_examples: [x.ab-cd.demo.run]",
    );
    let kb = KnowledgeBase::parse("t.yml", &matching_negative).unwrap();
    assert!(kb.check().unwrap_err()[0].message.contains("negative"));

    let not_matching = GOOD.replace("host: hello.cn-north.demo.run", "host: hello.demo.run");
    let kb = KnowledgeBase::parse("t.yml", &not_matching).unwrap();
    assert!(kb.check().unwrap_err()[0]
        .message
        .contains("does not classify"));
}

#[test]
fn builtin_file_name_is_the_repository_path() {
    assert_eq!(BUILTIN_FILE, "rules/intel/endpoints.yml");
    assert!(builtin()
        .unwrap()
        .products()
        .iter()
        .all(|p| p.file == BUILTIN_FILE));
}

/// Property-style: arbitrary bytes (a deterministic xorshift stream, with
/// the separators URLs use over-represented) never panic and, when they
/// classify, yield a host that normalises to itself.
#[test]
fn classify_never_panics_on_arbitrary_bytes() {
    let kb = builtin().unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: &[u8] = b"./:@[]?#-_ aZ09\xc3\xbc\xe4\xb8\xad\xff\x00";
    let mut seen_some = 0;
    for round in 0..200_000 {
        let len = (next() % 48) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 3 == 0 {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                } else {
                    (r >> 16) as u8
                }
            })
            .collect();
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        // Every so often, graft the noise onto a real endpoint.
        if round % 4 == 0 {
            text =
                format!("https://{text}service-h0jbiq9b-1300814016.sh.apigw.tencentcs.com{text}");
        }
        if let Some(c) = kb.classify(&text) {
            seen_some += 1;
            assert_eq!(normalize_host(&c.host).as_deref(), Some(c.host.as_str()));
        }
        let _ = normalize_host(&text);
    }
    assert!(
        seen_some > 0,
        "the grafted endpoints should sometimes classify"
    );
}

/// Every prefix of a good file, and of the built-in one, is either a good
/// file or a list of errors naming the file: parsing never panics.
#[test]
fn truncated_data_files_never_panic() {
    let builtin_text = include_str!("../../../rules/intel/endpoints.yml");
    for text in [GOOD, builtin_text] {
        let mut boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        if text.len() > 4000 {
            // The built-in file is long (each parse compiles its regexes):
            // a few hundred cut points spread over it are enough.
            boundaries = boundaries.into_iter().step_by(97).collect();
        }
        for end in boundaries {
            if let Err(errors) = KnowledgeBase::parse("cut.yml", &text[..end]) {
                assert!(!errors.is_empty());
                assert!(errors.iter().all(|e| e.file == "cut.yml" && e.line >= 1));
            }
        }
    }
}
