//! Host normalisation: what `classify` accepts is a host, a `host:port`, a
//! URL or a Host/SNI value; what the patterns see is one lowercase ASCII
//! hostname without trailing dot, with Unicode labels in punycode.

/// The hostname in `input`, normalised, or `None` when there is none (IP
/// literals, empty or malformed names).
///
/// Handled: surrounding whitespace; a URL's scheme, user info, path, query
/// and fragment (`https://u@x.fcapp.run:443/p?q#f`); a scheme-less
/// `host/path`; a port; one trailing dot; ASCII case; Unicode labels
/// (lowercased, then punycode per RFC 3492, with the ideographic full stops
/// read as dots as IDNA does). Not done: the full UTS 46 mapping table
/// (e.g. width folding beyond the dots), which no endpoint pattern needs.
pub fn normalize_host(input: &str) -> Option<String> {
    normalize_authority(split_url(input).0)
}

/// Normalise the authority part of a URL (`user@host:port`).
pub(crate) fn normalize_authority(authority: &str) -> Option<String> {
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    if host_port.starts_with('[') {
        return None; // IPv6 literal
    }
    let host = match host_port.split_once(':') {
        Some((host, port)) => {
            // A second colon means an unbracketed IPv6 literal.
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            host
        }
        None => host_port,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    // A name has at most 253 characters, each at most 4 UTF-8 bytes: longer
    // input is refused before any work (punycode is quadratic in a label).
    if host.is_empty() || host.len() > 253 * 4 {
        return None;
    }
    let unified;
    let host = if host.is_ascii() {
        host
    } else {
        unified = host.replace(['\u{3002}', '\u{ff0e}', '\u{ff61}'], ".");
        unified.as_str()
    };
    let mut out = String::with_capacity(host.len());
    let mut last_label_numeric = false;
    for (index, label) in host.split('.').enumerate() {
        if index > 0 {
            out.push('.');
        }
        let start = out.len();
        if label.is_ascii() {
            for byte in label.bytes() {
                let byte = byte.to_ascii_lowercase();
                if !(byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_') {
                    return None;
                }
                out.push(byte as char);
            }
        } else {
            // Punycode spends at least one character per input character:
            // a longer label cannot fit in 63.
            if label.chars().count() > 63 {
                return None;
            }
            let lower: String = label.chars().flat_map(char::to_lowercase).collect();
            if lower
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || (c.is_ascii() && !is_label_char(c)))
            {
                return None;
            }
            out.push_str("xn--");
            punycode_encode(&lower, &mut out)?;
        }
        let label_len = out.len() - start;
        if label_len == 0 || label_len > 63 {
            return None;
        }
        last_label_numeric = out[start..].bytes().all(|b| b.is_ascii_digit());
    }
    // An all-digit last label is never a TLD: this is an IPv4 literal (or
    // a shorthand such as `127.1`).
    if out.len() > 253 || last_label_numeric {
        return None;
    }
    Some(out)
}

/// The path of a URL or `host/path` input, without query and fragment;
/// `None` when the input has no path. Case is kept: paths are
/// case-sensitive.
pub fn url_path(input: &str) -> Option<&str> {
    split_url(input).1
}

/// Authority and path of a URL, `//host/path`, `host/path` or bare host.
pub(crate) fn split_url(input: &str) -> (&str, Option<&str>) {
    let text = input.trim();
    let after_scheme = match text.find("://") {
        Some(end) if end > 0 && text[..end].bytes().all(is_scheme_byte) => &text[end + 3..],
        _ => text.strip_prefix("//").unwrap_or(text),
    };
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme.split_at(end);
    let path = rest
        .strip_prefix('/')
        .map(|_| rest.split(['?', '#']).next().unwrap_or(rest));
    (authority, path)
}

fn is_scheme_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.')
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

// RFC 3492 parameters for IDNA.
const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
    delta /= if first { DAMP } else { 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn digit(value: u32) -> char {
    // value < 36 by construction of the encoder
    let byte = if value < 26 {
        b'a' + value as u8
    } else {
        b'0' + (value - 26) as u8
    };
    byte as char
}

/// Append the RFC 3492 punycode of `label` (without the `xn--` prefix) to
/// `out`. `None` on arithmetic overflow, which only absurdly long labels
/// reach.
pub fn punycode_encode(label: &str, out: &mut String) -> Option<()> {
    let code_points: Vec<u32> = label.chars().map(u32::from).collect();
    let mut handled = 0u32;
    for &c in &code_points {
        if c < 0x80 {
            out.push(c as u8 as char);
            handled += 1;
        }
    }
    let basic = handled;
    if basic > 0 {
        out.push('-');
    }
    let total = u32::try_from(code_points.len()).ok()?;
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    while handled < total {
        let next = code_points.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((next - n).checked_mul(handled + 1)?)?;
        n = next;
        for &c in &code_points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(())
}
