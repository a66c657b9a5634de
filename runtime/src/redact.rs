//! Excerpts of text that came from elsewhere (a dependency's error body, a decode error quoting
//! it) fit for logs: bounded in length, with the values of secret-looking keys replaced.

use regex::Regex;
use std::sync::LazyLock;

/// The longest excerpt logged, in bytes (before the marker saying how much was cut).
pub const EXCERPT_LIMIT: usize = 200;

/// Only this much of a text is scanned for secrets; the rest is cut anyway.
const SCAN_LIMIT: usize = 4096;

/// What replaces a secret value.
const REDACTED: &str = "[redacted]";

/// `key=value`, `key: value` and `"key": "value"` where the key names a secret (password,
/// secret, token, authorization, api key, cookie, session, credential, private key), in any
/// case and with any prefix or suffix (`client_secret`, `x-api-key`, `access_token`).
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?ix)
        (?P<key>"?[a-z0-9_.-]*(?:passw(?:or)?d|pwd|secret|token|authori[sz]ation|api[_-]?key|cookie|session|credential|private[_-]?key)[a-z0-9_.-]*"?)
        (?P<sep>\s*[:=]\s*)
        (?P<value>"(?:[^"\\]|\\.)*"?|(?:(?:bearer|basic|digest|token)\s+)?[^\s&,;"'}\]]+)
        "#,
    )
    .expect("a valid pattern")
});

/// Replaces the values of secret-looking keys in `text`.
pub fn redact(text: &str) -> String {
    SECRET
        .replace_all(text, |c: &regex::Captures<'_>| {
            let quoted = c["value"].starts_with('"');
            format!(
                "{}{}{}",
                &c["key"],
                &c["sep"],
                if quoted {
                    format!("\"{REDACTED}\"")
                } else {
                    REDACTED.to_owned()
                }
            )
        })
        .into_owned()
}

/// At most [`EXCERPT_LIMIT`] bytes of `text`, redacted, with control characters escaped and a
/// note of how much was cut.
pub fn excerpt(text: &str) -> String {
    let scanned = cut(text, SCAN_LIMIT);
    let clean = redact(scanned);
    let shown = cut(&clean, EXCERPT_LIMIT);
    let mut out: String = shown.escape_debug().collect();
    if shown.len() < clean.len() || scanned.len() < text.len() {
        out.push_str(&format!("… ({} bytes in all)", text.len()));
    }
    out
}

/// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_redacted_in_every_usual_form() {
        for (input, expected) in [
            (
                "login failed: password=hunter2&user=ada",
                "login failed: password=[redacted]&user=ada",
            ),
            (
                r#"{"user":"ada","password":"hun\"ter2","n":1}"#,
                r#"{"user":"ada","password":"[redacted]","n":1}"#,
            ),
            (
                "Authorization: Bearer abc.def.ghi next",
                "Authorization: [redacted] next",
            ),
            ("client_secret = s3cr3t, x", "client_secret = [redacted], x"),
            ("X-API-Key:k123", "X-API-Key:[redacted]"),
            (
                "access_token=t0k; path=/",
                "access_token=[redacted]; path=/",
            ),
            ("nothing secret here: a=b", "nothing secret here: a=b"),
        ] {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn excerpts_are_bounded_and_say_how_much_was_cut() {
        let body = format!("password=hunter2 {}", "é".repeat(3000));
        let e = excerpt(&body);
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.len() < EXCERPT_LIMIT + 40, "{} bytes", e.len());
        assert!(
            e.ends_with(&format!("({} bytes in all)", body.len())),
            "{e}"
        );
        assert_eq!(excerpt("short\nline"), "short\\nline");
    }
}
