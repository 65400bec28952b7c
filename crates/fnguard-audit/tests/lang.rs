//! `AuditOptions::lang`: findings keep their messages in the language the
//! report will be shown in, identical to what a two-language audit builds.

mod support;

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::Lang;
use support::{scan_date, synthetic};

#[test]
fn one_language_keeps_exactly_that_language() {
    let dep = synthetic(20, 100);
    let both = audit(
        &dep,
        &AuditOptions {
            scan_date: scan_date(),
            lang: None,
        },
    );
    assert!(both.iter().any(|f| !f.related.is_empty()));
    for lang in [Lang::En, Lang::Zh] {
        let one = audit(
            &dep,
            &AuditOptions {
                scan_date: scan_date(),
                lang: Some(lang),
            },
        );
        assert_eq!(one.len(), both.len());
        let other = match lang {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        };
        for (a, b) in one.iter().zip(&both) {
            assert_eq!(a.fingerprint, b.fingerprint);
            assert_eq!(a.message.get(lang), b.message.get(lang));
            assert!(!a.message.get(lang).is_empty());
            assert_eq!(a.message.get(other), "");
            assert_eq!(a.related.len(), b.related.len());
            for (ra, rb) in a.related.iter().zip(&b.related) {
                assert_eq!(ra.location, rb.location);
                assert_eq!(ra.message.get(lang), rb.message.get(lang));
                assert_eq!(ra.message.get(other), "");
            }
        }
    }
}
