//! Package names and purls per ecosystem.

use fnguard_scan::deps::{pep503_name, Ecosystem, Package};

fn purl(ecosystem: Ecosystem, name: &str, version: &str) -> String {
    Package::new(ecosystem, name, version, "").purl()
}

#[test]
fn pep503_normalisation() {
    for (name, normal) in [
        ("requests", "requests"),
        ("Django", "django"),
        ("zope.interface", "zope-interface"),
        ("typing_extensions", "typing-extensions"),
        ("Foo__Bar-.baz", "foo-bar-baz"),
        ("  PyYAML ", "pyyaml"),
    ] {
        assert_eq!(pep503_name(name), normal, "{name}");
        assert_eq!(Ecosystem::PyPI.normalise_name(name), normal);
    }
    // Other registries compare names as written.
    assert_eq!(Ecosystem::Npm.normalise_name("JSONStream"), "JSONStream");
    assert_eq!(
        Ecosystem::Go.normalise_name("github.com/Azure/go-autorest"),
        "github.com/Azure/go-autorest"
    );
}

#[test]
fn purls_follow_the_spec_per_type() {
    assert_eq!(
        purl(Ecosystem::PyPI, "Typing_Extensions", "4.7.1"),
        "pkg:pypi/typing-extensions@4.7.1"
    );
    assert_eq!(
        purl(Ecosystem::PyPI, "torch", "2.0.1+cu118"),
        "pkg:pypi/torch@2.0.1%2Bcu118"
    );
    assert_eq!(
        purl(Ecosystem::Npm, "lodash", "4.17.21"),
        "pkg:npm/lodash@4.17.21"
    );
    assert_eq!(
        purl(Ecosystem::Npm, "@types/node", "20.8.2"),
        "pkg:npm/%40types/node@20.8.2"
    );
    assert_eq!(
        purl(Ecosystem::Go, "github.com/aws/aws-lambda-go", "v1.41.0"),
        "pkg:golang/github.com/aws/aws-lambda-go@v1.41.0"
    );
    assert_eq!(
        purl(Ecosystem::CratesIo, "serde_json", "1.0.107"),
        "pkg:cargo/serde_json@1.0.107"
    );
    assert_eq!(
        purl(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.0-beta9"
        ),
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.0-beta9"
    );
    // No version: no `@`.
    assert_eq!(
        purl(Ecosystem::CratesIo, "smallvec", ""),
        "pkg:cargo/smallvec"
    );
}

#[test]
fn osv_ecosystem_names_round_trip() {
    for ecosystem in [
        Ecosystem::PyPI,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::CratesIo,
        Ecosystem::Maven,
    ] {
        assert_eq!(Ecosystem::from_osv(ecosystem.osv_name()), Some(ecosystem));
        assert_eq!(ecosystem.to_string(), ecosystem.osv_name());
    }
    for other in ["pypi", "NPM", "Debian:12", "Maven:central", "RubyGems", ""] {
        assert_eq!(Ecosystem::from_osv(other), None, "{other}");
    }
}
