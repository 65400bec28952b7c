use super::*;

const TENCENT_OURS: &str = "service-h0jbiq9b-1300814016.sh.apigw.tencentcs.com";
const TENCENT_OTHER: &str = "service-69kfaex1-1312645837.bj.apigw.tencentcs.com";
const ALIBABA_FC: &str = "savesurvey-wdzwrthfoe.cn-hangzhou.fcapp.run";

fn kb() -> &'static KnowledgeBase {
    fnguard_intel::builtin().expect("built-in knowledge base")
}

fn policy(text: &str) -> Policy {
    Policy::parse("policy.toml", text, Path::new(".")).expect("policy parses")
}

#[test]
fn allowlist_mode_denies_by_default_and_allows_listed_subtrees() {
    let p = policy("[policy]\nallow = [\"example.com\", \"*.internal.example\"]\n");
    assert!(p.decide(kb(), "example.com.").allowed);
    assert!(
        p.decide(kb(), "API.Example.com").allowed,
        "subtree, any case"
    );
    let wildcard_only = p.decide(kb(), "internal.example");
    assert!(!wildcard_only.allowed, "`*.` is the subtree only");
    assert_eq!(wildcard_only.rule, "default");
    assert_eq!(
        p.decide(kb(), "db.internal.example").rule,
        "allow:*.internal.example"
    );
    let other = p.decide(kb(), "evil.com");
    assert!(!other.allowed);
    assert_eq!(other.action, Some(Action::NxDomain));
}

#[test]
fn cloud_function_categories_block_except_our_own_tenant() {
    let p = policy(
        "[policy]\nmode = \"denylist\"\naction = \"refused\"\nblock = [\"cloud-function\", \"api-gateway\"]\n\
         [[policy.exception]]\nvendor = \"tencent\"\ntenant = \"1300814016\"\nreason = \"our own API\"\n",
    );
    let ours = p.decide(kb(), TENCENT_OURS);
    assert!(ours.allowed, "{ours:?}");
    assert_eq!(ours.rule, "exception:tencent/1300814016");
    let theirs = p.decide(kb(), TENCENT_OTHER);
    assert!(!theirs.allowed);
    assert_eq!(theirs.rule, "category:gateway");
    assert_eq!(theirs.tenant.as_deref(), Some("1312645837"));
    assert_eq!(theirs.action, Some(Action::Refused));
    let fc = p.decide(kb(), ALIBABA_FC);
    assert_eq!((fc.allowed, fc.rule.as_str()), (false, "category:function"));
    assert_eq!(fc.vendor.as_deref(), Some("alibaba"));
    assert!(p.decide(kb(), "www.example.com").allowed, "denylist mode");
}

#[test]
fn an_explicit_deny_wins_over_every_allow() {
    let p = policy(
        "[policy]\nmode = \"denylist\"\nallow = [\"tencentcs.com\"]\ndeny = [\"apigw.tencentcs.com\"]\n\
         [[policy.exception]]\nvendor = \"tencent\"\n",
    );
    let d = p.decide(kb(), TENCENT_OURS);
    assert_eq!(
        (d.allowed, d.rule.as_str()),
        (false, "deny:apigw.tencentcs.com")
    );
}

#[test]
fn list_files_take_names_wildcards_and_rpz_zones() {
    let dir = std::env::temp_dir().join(format!("fnguard-dns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("deny.rpz"),
        "$TTL 300\n@ IN SOA localhost. root.localhost. 1 3600 600 86400 300\n  IN NS localhost.\n; comment\nfcapp.run CNAME .\n*.fcapp.run CNAME .\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("allow.txt"),
        "# ours\nexample.org\n*.corp.example\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("policy.toml"),
        "[policy]\nallow_files = [\"allow.txt\"]\ndeny_files = [\"deny.rpz\"]\n",
    )
    .unwrap();
    let p = Policy::load(&dir.join("policy.toml")).expect("loads");
    assert_eq!(p.sizes(), (2, 2));
    assert_eq!(p.decide(kb(), ALIBABA_FC).rule, "deny:*.fcapp.run");
    assert!(p.decide(kb(), "www.example.org").allowed);
    std::fs::write(dir.join("deny.rpz"), "fcapp.run CNAME .\nfcapp.run ??? .\n").unwrap();
    let err = Policy::load(&dir.join("policy.toml")).unwrap_err();
    assert!(err.file.ends_with("deny.rpz") && err.line == 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_policies_are_errors_with_their_position() {
    for (text, line, needle) in [
        (
            "[policy]\nmode = \"allowlist\"\nbogus = 1\n",
            3,
            "unknown field",
        ),
        ("[policy]\nmode = \"maybe\"\n", 2, "unknown mode"),
        (
            "[policy]\nblock = [\"cloud-function\", \"everything\"]\n",
            2,
            "unknown category",
        ),
        ("[policy]\naction = \"override\"\n", 2, "needs `override"),
        (
            "[policy]\naction = \"override\"\noverride = \"not-an-ip\"\n",
            3,
            "not an IP",
        ),
        (
            "[policy]\nallow = [\"exa*mple.com\"]\n",
            2,
            "not a domain name",
        ),
        (
            "[policy]\n[[policy.exception]]\nvendor = \"nobody\"\n",
            3,
            "unknown vendor",
        ),
    ] {
        let err = Policy::parse("policy.toml", text, Path::new(".")).unwrap_err();
        assert_eq!(err.line, line, "{text}: {err}");
        assert!(err.message.contains(needle), "{text}: {err}");
    }
}

#[test]
fn large_lists_match_by_walking_the_labels_of_the_query() {
    let mut set = NameSet::default();
    for i in 0..200_000 {
        set.add(&format!("host{i}.example{}.com", i % 97), Scope::Subtree)
            .unwrap();
    }
    assert_eq!(set.len(), 200_000);
    assert_eq!(
        set.matching("a.b.host7.example7.com")
            .map(|m| m.0)
            .as_deref(),
        Some("host7.example7.com")
    );
    assert!(set.matching("host7.example8.com").is_none());
}

#[test]
fn names_whose_hashes_collide_are_kept_apart() {
    let mut table = NameTable::default();
    table.insert("first.example", 0);
    // Make "second.example" and "third.example" hash to the slot of
    // "first.example", as a collision would.
    let offset = table.offsets[&table.key("first.example")];
    assert_eq!(table.stored(offset), (&b"first.example"[..], 0));
    for name in ["second.example", "third.example"] {
        let key = table.key(name);
        table.offsets.insert(key, offset);
    }
    table.insert("second.example", 3);
    assert_eq!(table.get("first.example"), Some(0));
    assert_eq!(table.get("second.example"), Some(3), "kept in the overflow");
    assert_eq!(table.get("third.example"), None, "same slot, another name");
    assert_eq!(table.overflow.len(), 1);
}

#[test]
fn lists_in_the_formats_found_in_the_wild() {
    let mut set = NameSet::default();
    let zone = "$TTL 2h\n$ORIGIN rpz.example.org.\n@ 3600 IN SOA ns.example.org. hostmaster.example.org. (\n  2026120501 ; serial\n  3600 600 86400 300 )\n  IN NS localhost.\n\
        evil.com CNAME .\n\
        c2.example.net.rpz.example.org. 300 IN CNAME .\n\
        *.nodata.example CNAME *.\n\
        redirect.example IN A 192.0.2.1\n\
        good.evil.com CNAME rpz-passthru.\n\
        32.1.2.0.192.rpz-ip CNAME .\n\
        ns.bad.example.rpz-nsdname CNAME .\n";
    read_list("feed.rpz", zone.as_bytes(), &mut set).unwrap();
    let hosts = "127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n0.0.0.0 0.0.0.0\n0.0.0.0 ads.tracker.example # ads\n";
    read_list("hosts", hosts.as_bytes(), &mut set).unwrap();
    read_list(
        "adblock.txt",
        "! title\n||miner.example^$third-party\n".as_bytes(),
        &mut set,
    )
    .unwrap();
    let mut listed: Vec<String> = [
        "evil.com",
        "c2.example.net",
        "x.nodata.example",
        "redirect.example",
        "ads.tracker.example",
        "miner.example",
    ]
    .iter()
    .filter_map(|n| set.matching(n).map(|m| m.0))
    .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "*.nodata.example",
            "ads.tracker.example",
            "c2.example.net",
            "evil.com",
            "miner.example",
            "redirect.example"
        ]
    );
    assert_eq!(
        set.len(),
        6,
        "nothing else: no serial, SOA, NS, triggers, loopback"
    );
    assert!(set.matching("localhost").is_none());
    assert!(set.matching("rpz.example.org").is_none());
    assert!(set.matching("3600").is_none());
}

#[test]
fn actions_per_rule_and_from_rpz_entries() {
    let dir = std::env::temp_dir().join(format!("fnguard-dns-actions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("feed.rpz"),
        "nodata.example CNAME *.\nsinkholed.example A 192.0.2.66\nplain.example CNAME .\n",
    )
    .unwrap();
    let load = |actions: &str| {
        std::fs::write(
            dir.join("policy.toml"),
            format!(
                "[policy]\naction = \"refused\"\ndeny = [\"denied.example\"]\ndeny_files = [\"feed.rpz\"]\nblock = [\"cloud-function\"]\n{actions}"
            ),
        )
        .unwrap();
        Policy::load(&dir.join("policy.toml")).expect("loads")
    };
    let p = load("[policy.actions]\ncategory = \"192.0.2.53\"\ndefault = \"nodata\"\n");
    let action = |p: &Policy, name: &str| p.decide(kb(), name).action;
    assert_eq!(
        action(&p, "denied.example"),
        Some(Action::Refused),
        "the policy's"
    );
    assert_eq!(
        action(&p, "nodata.example"),
        Some(Action::NoData),
        "the RPZ entry's"
    );
    assert_eq!(
        action(&p, "sinkholed.example"),
        Some(Action::Override("192.0.2.66".parse().unwrap()))
    );
    assert_eq!(action(&p, "plain.example"), Some(Action::NxDomain));
    assert_eq!(
        action(&p, ALIBABA_FC),
        Some(Action::Override("192.0.2.53".parse().unwrap())),
        "category"
    );
    assert_eq!(
        action(&p, "unlisted.example"),
        Some(Action::NoData),
        "default"
    );
    // An explicit deny action overrides the RPZ's own, as unbound's
    // rpz-action-override does.
    let forced = load("[policy.actions]\ndeny = \"nxdomain\"\n");
    assert_eq!(action(&forced, "nodata.example"), Some(Action::NxDomain));
    assert_eq!(action(&forced, "sinkholed.example"), Some(Action::NxDomain));
    assert_eq!(action(&forced, ALIBABA_FC), Some(Action::Refused));
    let err = Policy::parse(
        "p.toml",
        "[policy]\n[policy.actions]\ncategory = \"sideways\"\n",
        Path::new("."),
    )
    .unwrap_err();
    assert_eq!((err.line, err.col), (3, 12), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
