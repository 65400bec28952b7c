//! The `format` values the validator asserts. Each check is strict on
//! syntax and has no dependency; what each accepts is said on its function.

use fnguard_core::date::Date;
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    DateTime,
    Date,
    Time,
    Email,
    Uuid,
    Ipv4,
    Ipv6,
    Uri,
    Hostname,
}

impl Format {
    pub const NAMES: [&'static str; 9] = [
        "date-time",
        "date",
        "time",
        "email",
        "uuid",
        "ipv4",
        "ipv6",
        "uri",
        "hostname",
    ];

    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "date-time" => Format::DateTime,
            "date" => Format::Date,
            "time" => Format::Time,
            "email" => Format::Email,
            "uuid" => Format::Uuid,
            "ipv4" => Format::Ipv4,
            "ipv6" => Format::Ipv6,
            "uri" => Format::Uri,
            "hostname" => Format::Hostname,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::DateTime => "date-time",
            Format::Date => "date",
            Format::Time => "time",
            Format::Email => "email",
            Format::Uuid => "uuid",
            Format::Ipv4 => "ipv4",
            Format::Ipv6 => "ipv6",
            Format::Uri => "uri",
            Format::Hostname => "hostname",
        }
    }

    pub fn matches(self, s: &str) -> bool {
        match self {
            Format::DateTime => is_date_time(s),
            Format::Date => is_date(s),
            Format::Time => is_time(s),
            Format::Email => is_email(s),
            Format::Uuid => is_uuid(s),
            // std's parsers refuse leading zeros in IPv4 octets and IPv6
            // zone identifiers, as the formats require.
            Format::Ipv4 => s.parse::<Ipv4Addr>().is_ok(),
            Format::Ipv6 => s.parse::<Ipv6Addr>().is_ok(),
            Format::Uri => is_uri(s),
            Format::Hostname => is_hostname(s),
        }
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// RFC 3339 `full-date`: YYYY-MM-DD with a real day of the month.
fn is_date(s: &str) -> bool {
    let (Some(year), Some(month), Some(day)) = (
        s.get(0..4).and_then(|p| digits(p, 4)),
        s.get(5..7).and_then(|p| digits(p, 2)),
        s.get(8..).and_then(|p| digits(p, 2)),
    ) else {
        return false;
    };
    if s.as_bytes()[4] != b'-' || s.as_bytes()[7] != b'-' {
        return false;
    }
    i32::try_from(year).is_ok_and(|year| Date::new(year, month, day).is_some())
}

/// RFC 3339 `full-time`: HH:MM:SS, optional fraction, then `Z` or ±HH:MM.
/// Second 60 (a leap second) only at 23:59 UTC once the offset is applied.
fn is_time(s: &str) -> bool {
    let (Some(hour), Some(minute), Some(second)) = (
        s.get(0..2).and_then(|p| digits(p, 2)),
        s.get(3..5).and_then(|p| digits(p, 2)),
        s.get(6..8).and_then(|p| digits(p, 2)),
    ) else {
        return false;
    };
    let b = s.as_bytes();
    if b[2] != b':' || b[5] != b':' || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &s[8..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    // Minutes east of UTC.
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        offset => {
            let sign = match offset.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return false,
            };
            let oh = offset.get(1..3).and_then(|p| digits(p, 2));
            let om = offset.get(4..).and_then(|p| digits(p, 2));
            match (oh, om) {
                (Some(h), Some(m))
                    if offset.len() == 6 && offset.as_bytes()[3] == b':' && h <= 23 && m <= 59 =>
                {
                    sign * i64::from(h * 60 + m)
                }
                _ => return false,
            }
        }
    };
    let utc_minute = (i64::from(hour * 60 + minute) - offset).rem_euclid(24 * 60);
    second < 60 || utc_minute == 23 * 60 + 59
}

/// RFC 3339 `date-time`: full-date, `T` (or `t`), full-time.
fn is_date_time(s: &str) -> bool {
    match (s.get(0..10), s.get(10..11), s.get(11..)) {
        (Some(date), Some("T" | "t"), Some(time)) => is_date(date) && is_time(time),
        _ => false,
    }
}

/// 8-4-4-4-12 hexadecimal digits (any version, either case).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// RFC 1123 host name: dot-separated labels of 1-63 letters, digits and
/// hyphens, not starting or ending with a hyphen; 253 characters at most (a
/// final dot is allowed).
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// RFC 5321 mailbox, the common form: a dot-atom local part (quoted local
/// parts are refused, though valid) of at most 64 characters, `@`, then a
/// host name without a final dot or an `[IPv4]`/`[IPv6:...]` literal.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    const ATEXT: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || ATEXT.contains(&b))
        });
    let domain_ok = match domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        Some(literal) => match literal.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => {
                literal[5..].parse::<Ipv6Addr>().is_ok()
            }
            _ => literal.parse::<Ipv4Addr>().is_ok(),
        },
        None => !domain.ends_with('.') && is_hostname(domain),
    };
    local_ok && domain_ok
}

/// Whether every byte is an RFC 3986 unreserved or sub-delims character, one
/// of `extra`, or part of a `%` and two hexadecimal digits.
fn uri_chars(s: &str, extra: &[u8]) -> bool {
    const SUB_DELIMS: &[u8] = b"!$&'()*+,;=";
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex_ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !hex_ok {
                return false;
            }
            i += 3;
        } else if b.is_ascii_alphanumeric()
            || b"-._~".contains(&b)
            || SUB_DELIMS.contains(&b)
            || extra.contains(&b)
        {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// RFC 3986 `authority`: `[userinfo "@"] host [":" port]`, the host an IP
/// literal in brackets or a reg-name, the port digits.
fn is_authority(authority: &str) -> bool {
    let (userinfo, host_port) = match authority.split_once('@') {
        Some((userinfo, rest)) => (userinfo, rest),
        None => ("", authority),
    };
    if !uri_chars(userinfo, b":") {
        return false;
    }
    let (host_ok, port) = if let Some(literal) = host_port.strip_prefix('[') {
        let Some((inside, after)) = literal.split_once(']') else {
            return false;
        };
        let ip_future = inside
            .strip_prefix(['v', 'V'])
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(version, rest)| {
                !version.is_empty()
                    && version.bytes().all(|b| b.is_ascii_hexdigit())
                    && !rest.is_empty()
                    && uri_chars(rest, b":")
            });
        let port = match after {
            "" => Some(""),
            after => after.strip_prefix(':'),
        };
        (inside.parse::<Ipv6Addr>().is_ok() || ip_future, port)
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (uri_chars(host, b""), Some(port)),
            None => (uri_chars(host_port, b""), Some("")),
        }
    };
    host_ok && port.is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// RFC 3986 `URI`: a scheme (a letter, then letters, digits, `+`, `-`,
/// `.`), `:`, then `//authority` and a path, or a path alone, then
/// `?query` and `#fragment`, each with only the characters its part allows
/// and `%` followed by two hexadecimal digits. Relative references are not
/// URIs.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (hier, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = match hier.strip_prefix("//") {
        Some(after) => {
            let (authority, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
            if !is_authority(authority) {
                return false;
            }
            path
        }
        None => hier,
    };
    scheme_ok
        && uri_chars(path, b":@/")
        && uri_chars(query, b":@/?")
        && uri_chars(fragment, b":@/?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_follows_rfc_3339() {
        assert!(is_date_time("2024-02-29T12:30:00Z"));
        assert!(is_date_time("2024-02-29t12:30:00.123+05:30"));
        assert!(is_date_time("1998-12-31T23:59:60Z"));
        assert!(!is_date_time("2023-02-29T12:30:00Z"), "not a leap year");
        assert!(!is_date_time("2024-13-01T00:00:00Z"));
        assert!(!is_date_time("2024-01-01 00:00:00Z"));
        assert!(!is_date_time("2024-01-01T24:00:00Z"));
        assert!(!is_date_time("2024-01-01T00:00:00"), "offset is required");
        assert!(!is_date_time("2024-01-01T00:00:00.Z"));
        assert!(!is_date_time("2024-01-01T00:00:00+5:30"));
        assert!(
            !is_date_time("２０２４-01-01T00:00:00Z"),
            "non-ASCII digits"
        );
        assert!(!is_date_time(""));
    }

    #[test]
    fn email_uuid_hostname_uri() {
        assert!(is_email("first.last+tag@example.co.uk"));
        assert!(is_email("ops@[192.0.2.1]"));
        assert!(is_email("ops@[IPv6:2001:db8::1]"));
        assert!(!is_email("no-at-sign.example.com"));
        assert!(!is_email("two..dots@example.com"));
        assert!(!is_email("user@-bad-.com"));
        assert!(!is_email("@example.com"));

        assert!(is_uuid("123e4567-E89B-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400g"));

        assert!(is_hostname("lambda.us-east-1.amazonaws.com"));
        assert!(is_hostname("example.com."));
        assert!(!is_hostname("under_score.example.com"));
        assert!(!is_hostname(&format!("{}.com", "a".repeat(64))));

        assert!(is_uri("https://example.com/a/b?c=d#e"));
        assert!(is_uri("urn:isbn:0451450523"));
        assert!(is_uri("s3://bucket/key%20with%20space"));
        assert!(!is_uri("/relative/path"));
        assert!(!is_uri("https://example.com/a b"));
        assert!(!is_uri("https://example.com/%zz"));
        assert!(!is_uri("1http://example.com"));
    }

    #[test]
    fn leap_second_only_at_the_last_utc_minute() {
        assert!(is_date_time("1998-12-31T23:59:60Z"));
        assert!(is_date_time("1998-12-31T15:59:60.123-08:00"));
        assert!(is_date_time("1999-01-01T01:29:60+01:30"));
        assert!(!is_date_time("1998-12-31T23:58:60Z"));
        assert!(!is_date_time("1998-12-31T22:59:60Z"));
        assert!(!is_date_time("1998-12-31T23:59:61Z"));
        assert!(!is_date_time("1963-06-19T08:30:06.28123+01:00Z"));
        assert!(!is_date_time("1990-12-31T15:59:59-24:00"));
    }

    #[test]
    fn uri_authority_and_parts() {
        for good in [
            "http://foo.com/blah_(wikipedia)_blah#cite-1",
            "http://-.~_!$&'()*+,;=:%40:80%2f::::::@example.com",
            "ldap://[2001:db8::7]/c=GB?objectClass?one",
            "mailto:John.Doe@example.com",
            "tel:+1-816-555-1212",
            "http://a.com:",
            "http://:80",
            "http://user@",
            "http://[v1.fe80::a+en1]/",
            "http://999.999.999.999/",
        ] {
            assert!(is_uri(good), "{good}");
        }
        for bad in [
            "//foo.bar/?baz=qux#quux",
            "abc",
            "https://[@example.org/test.txt",
            "http://example.com:abc/path",
            "http://a.com:8:0",
            "http://a.com::",
            "https://example.org/foobar®.txt",
            "https://example.org/foobar{}.txt",
            "https://example.org/foo\\bar",
            "http://example.com/%A",
            "ht_tp://example.com",
            "http://a@b@c/",
            "http://[::1/",
        ] {
            assert!(!is_uri(bad), "{bad}");
        }
    }

    #[test]
    fn email_domains() {
        assert!(is_email("a@[ipv6:::1]"));
        assert!(is_email("test@io"));
        assert!(!is_email("test@iana.org."));
        assert!(!is_email("a@[]"));
        assert!(!is_email("a@[1.2.3]"));
        assert!(!is_email("test@a[255.255.255.255]"));
        assert!(!is_email("a@b@c.org"));
        assert!(!is_email("test@iana.org\n"));
        assert!(
            !is_email("\"quoted\"@example.com"),
            "quoted local parts are refused"
        );
    }

    #[test]
    fn ip_addresses() {
        assert!(Format::Ipv4.matches("192.0.2.255"));
        assert!(!Format::Ipv4.matches("192.0.2.256"));
        assert!(!Format::Ipv4.matches("192.000.2.1"));
        assert!(Format::Ipv6.matches("2001:db8::8a2e:370:7334"));
        assert!(Format::Ipv6.matches("::ffff:192.0.2.1"));
        assert!(!Format::Ipv6.matches("2001:db8:::1"));
        assert!(!Format::Ipv6.matches("fe80::1%eth0"));
    }
}
