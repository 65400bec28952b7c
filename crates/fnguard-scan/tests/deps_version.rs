//! Ordering tables for each ecosystem's version semantics, written from the
//! specifications (semver.org §11, PEP 440, Maven ComparableVersion docs).

use std::cmp::Ordering;

use fnguard_scan::deps::version::{MavenVersion, Pep440, SemVer, Version};
use fnguard_scan::deps::Ecosystem;

/// Asserts that each version is strictly lower than the next one, and that
/// the whole list sorts back to itself from reverse order.
fn assert_ascending(ecosystem: Ecosystem, versions: &[&str]) {
    let parsed: Vec<Version> = versions
        .iter()
        .map(|v| Version::parse(ecosystem, v).unwrap_or_else(|e| panic!("{v}: {e}")))
        .collect();
    for (index, pair) in parsed.windows(2).enumerate() {
        assert_eq!(
            pair[0].cmp(&pair[1]),
            Ordering::Less,
            "{ecosystem}: expected {} < {}",
            versions[index],
            versions[index + 1]
        );
    }
    let mut reversed = parsed.clone();
    reversed.reverse();
    reversed.sort();
    assert_eq!(reversed, parsed);
}

fn assert_equal(ecosystem: Ecosystem, a: &str, b: &str) {
    let x = Version::parse(ecosystem, a).unwrap();
    let y = Version::parse(ecosystem, b).unwrap();
    assert_eq!(
        x.cmp(&y),
        Ordering::Equal,
        "{ecosystem}: expected {a} == {b}"
    );
}

#[test]
fn semver_precedence_follows_section_11() {
    // The example chains of §11.2 and §11.4, then some larger numbers.
    assert_ascending(
        Ecosystem::Npm,
        &[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "1.9.0",
            "1.10.0",
            "1.11.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
            "10.0.0",
        ],
    );
    // Numeric identifiers beyond u64 still compare numerically.
    assert_ascending(
        Ecosystem::CratesIo,
        &[
            "1.0.0-99999999999999999999",
            "1.0.0-100000000000000000000",
            "1.0.0-a",
        ],
    );
    // Hyphens inside identifiers are alphanumeric, compared in ASCII order.
    assert_ascending(
        Ecosystem::Npm,
        &["1.0.0-A", "1.0.0-a", "1.0.0-a-b", "1.0.0-ab"],
    );
}

#[test]
fn semver_build_metadata_is_ignored_for_precedence() {
    assert_equal(Ecosystem::Npm, "1.0.0+build.1", "1.0.0+build.2");
    assert_equal(Ecosystem::Npm, "1.0.0-beta+exp.sha.5114f85", "1.0.0-beta");
    let parsed = SemVer::parse("1.0.0-beta+exp.sha.5114f85").unwrap();
    assert_eq!(parsed.build, "exp.sha.5114f85");
}

#[test]
fn semver_rejects_what_the_grammar_does_not_allow() {
    for bad in [
        "",
        "1",
        "1.2",
        "1.2.3.4",
        "01.2.3",
        "1.02.3",
        "1.2.3-",
        "1.2.3-01",
        "1.2.3-a..b",
        "1.2.3+",
        "1.2.3-a_b",
        "v1.2.3",
        "1.2.x",
        "99999999999999999999.0.0",
        " 1.2.3",
    ] {
        assert!(SemVer::parse(bad).is_err(), "{bad:?} should be rejected");
    }
    let error = SemVer::parse("1.2.3-01").unwrap_err();
    assert_eq!(error.offset, 6);
    assert!(error.to_string().contains("leading zero"), "{error}");
}

#[test]
fn go_versions_take_a_v_prefix_incompatible_and_pseudo_versions() {
    assert_ascending(
        Ecosystem::Go,
        &[
            // Pseudo-versions with no tag before them: prereleases of v0.0.0,
            // ordered by their timestamp.
            "v0.0.0-20190101000000-aaaaaaaaaaaa",
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20200101120000-000000000000",
            "v0.1.0",
            // A pseudo-version after v1.2.3 is a prerelease of v1.2.4.
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.4-0.20200101000000-111111111111",
            "v1.2.4",
            // A pseudo-version after a prerelease tag.
            "v1.3.0-pre",
            "v1.3.0-pre.0.20200101000000-111111111111",
            "v1.3.0",
        ],
    );
    // `+incompatible` is build metadata; OSV writes versions without `v`.
    assert_equal(Ecosystem::Go, "v2.0.0+incompatible", "2.0.0");
    assert_ascending(
        Ecosystem::Go,
        &["v1.9.9", "v2.0.0+incompatible", "v2.0.1+incompatible"],
    );
    assert!(SemVer::parse_go("vv1.2.3").is_err());
    assert!(SemVer::parse_go("v1.2").is_err());
}

#[test]
fn pep440_orders_epochs_pre_post_dev_and_local() {
    // The ordering example of PEP 440 ("Summary of permitted suffixes and
    // relative ordering"), extended with epochs and local versions.
    assert_ascending(
        Ecosystem::PyPI,
        &[
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "2.0",
            "10.0",
            "1!0.1",
            "1!1.0",
            "2!0.0.1",
        ],
    );
    // Local labels: numbers sort after text, more segments after fewer.
    assert_ascending(
        Ecosystem::PyPI,
        &["1.0+ubuntu", "1.0+ubuntu.1", "1.0+1", "1.0+1.1", "1.0+2"],
    );
}

#[test]
fn pep440_normalises_spellings() {
    for (a, b) in [
        ("1.0RC1", "1.0rc1"),
        ("1.0c1", "1.0rc1"),
        ("1.0pre1", "1.0rc1"),
        ("1.0-preview.1", "1.0rc1"),
        ("1.0alpha1", "1.0a1"),
        ("1.0-beta.2", "1.0b2"),
        ("1.0a", "1.0a0"),
        ("1.0-1", "1.0.post1"),
        ("1.0-r1", "1.0.post1"),
        ("1.0rev", "1.0.post0"),
        ("1.0.post", "1.0.post0"),
        ("1.0-dev", "1.0.dev0"),
        ("1.0_dev_3", "1.0.dev3"),
        ("v1.0", "1.0"),
        ("1.0", "1.0.0"),
        ("1.0", "1"),
        ("0!1.0", "1.0"),
        ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
        ("  1.0  ", "1.0"),
    ] {
        assert_equal(Ecosystem::PyPI, a, b);
    }
    let parsed = Pep440::parse("2!1.2.3rc4.post5.dev6+local.7").unwrap();
    assert_eq!(parsed.epoch, 2);
    assert_eq!(parsed.release, vec![1, 2, 3]);
    assert_eq!(parsed.post, Some(5));
    assert_eq!(parsed.dev, Some(6));
}

#[test]
fn pep440_rejects_invalid_versions() {
    for bad in [
        "", "a", "1.0.", "1.0+", "1.0+a..b", "1.0x1", "1..0", "1.0-", "!1.0", "1.0 beta", "1.0+a+b",
    ] {
        assert!(Pep440::parse(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn maven_follows_comparable_version() {
    // Documented order of qualifiers and of separators.
    assert_ascending(
        Ecosystem::Maven,
        &[
            "1-alpha",
            "1-alpha-1",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.1",
        ],
    );
    assert_ascending(
        Ecosystem::Maven,
        &["1", "1.1", "1.1.1", "1.2", "1.10", "2.0"],
    );
    assert_ascending(Ecosystem::Maven, &["1-foo2", "1-foo10"]);
    assert_ascending(Ecosystem::Maven, &["1.foo", "1-1", "1.1"]);
    assert_ascending(Ecosystem::Maven, &["1-sp-1", "1-ga-1"]);
    assert_ascending(Ecosystem::Maven, &["1-ga.1", "1-sp.1"]);
    assert_ascending(
        Ecosystem::Maven,
        &[
            "2.0.0-M1",
            "2.0.0-RC1",
            "2.0.0-RC2",
            "2.0.0-SNAPSHOT",
            "2.0.0",
            "2.0.0.Final-sp1",
        ],
    );
    // Real Spring and Log4j versions around advisory boundaries.
    assert_ascending(
        Ecosystem::Maven,
        &["2.14.1", "2.15.0-rc1", "2.15.0", "2.16.0", "2.17.0"],
    );
    assert_ascending(
        Ecosystem::Maven,
        &["5.3.17", "5.3.18", "5.3.18.RELEASE-sp1"],
    );
}

#[test]
fn maven_equalities() {
    for (a, b) in [
        ("1", "1.0"),
        ("1", "1.0.0"),
        ("1.ga", "1-ga"),
        ("1-ga", "1-0"),
        ("1-0", "1.0"),
        ("1.final", "1"),
        ("1.0.RELEASE", "1"),
        ("1-RC1", "1-cr-1"),
        ("1-a1", "1-alpha-1"),
        ("1-b2", "1-beta-2"),
        ("1-m3", "1-milestone-3"),
        ("1.foo", "1-foo"),
        ("1.0-alpha", "1-alpha"),
        ("1.01", "1.1"),
        ("1.0.0-SNAPSHOT", "1-snapshot"),
    ] {
        assert_equal(Ecosystem::Maven, a, b);
    }
    // `a` is alpha only when a number follows directly.
    let a_dash = MavenVersion::parse("1-a-1").unwrap();
    let alpha = MavenVersion::parse("1-alpha-1").unwrap();
    assert_ne!(a_dash, alpha);
}

#[test]
fn maven_rejects_empty_and_spaced_versions() {
    assert!(MavenVersion::parse("").is_err());
    assert!(MavenVersion::parse("   ").is_err());
    let error = MavenVersion::parse(" 1.0 beta").unwrap_err();
    assert_eq!(error.offset, 4);
    assert!(error.to_string().contains("whitespace"), "{error}");
}
