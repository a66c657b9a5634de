//! Checks of the spec's constraints, shared by every type of this crate.
//!
//! Each type implements [`Validate`]; a check reports every violated constraint with a JSON
//! Pointer (RFC 6901) to the offending value, so an HTTP layer can answer all of them at once.

use std::fmt;
use std::ops::{Bound, RangeBounds};

/// One violated constraint.
#[derive(Debug, Clone, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
pub struct Violation {
    /// JSON Pointer to the value, e.g. `/items/0/quantity` (empty for the whole value).
    pub pointer: String,
    /// What is wrong, in words.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.detail)
        } else {
            write!(f, "{}: {}", self.pointer, self.detail)
        }
    }
}

/// Every violated constraint of a value; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations(pub Vec<Violation>);

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

/// A value with constraints from the spec.
pub trait Validate {
    /// Appends the violations of `self`, located under `path`, to `out`.
    fn validate_at(&self, path: &mut Path, out: &mut Vec<Violation>);

    /// Checks every constraint, returning all violations at once.
    fn validate(&self) -> Result<(), Violations> {
        let mut out = Vec::new();
        self.validate_at(&mut Path::default(), &mut out);
        if out.is_empty() {
            Ok(())
        } else {
            Err(Violations(out))
        }
    }
}

impl<T: Validate> Validate for Box<T> {
    fn validate_at(&self, path: &mut Path, out: &mut Vec<Violation>) {
        (**self).validate_at(path, out);
    }
}

impl<T: Validate> Validate for Option<T> {
    fn validate_at(&self, path: &mut Path, out: &mut Vec<Violation>) {
        if let Some(value) = self {
            value.validate_at(path, out);
        }
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_at(&self, path: &mut Path, out: &mut Vec<Violation>) {
        for (index, item) in self.iter().enumerate() {
            path.push_index(index);
            item.validate_at(path, out);
            path.pop();
        }
    }
}

impl<T: Validate> Validate for std::collections::BTreeMap<String, T> {
    fn validate_at(&self, path: &mut Path, out: &mut Vec<Violation>) {
        for (key, item) in self {
            path.push_key(key);
            item.validate_at(path, out);
            path.pop();
        }
    }
}

/// Scalars carry no constraints of their own (fields and newtypes add them).
macro_rules! no_constraints {
    ($($t:ty),*) => {
        $(impl Validate for $t {
            fn validate_at(&self, _path: &mut Path, _out: &mut Vec<Violation>) {}
        })*
    };
}

no_constraints!(
    String,
    bool,
    i32,
    i64,
    f64,
    ::uuid::Uuid,
    ::chrono::NaiveDate,
    ::chrono::DateTime<::chrono::Utc>
);

/// Where a check is in a value, as a stack of object keys and list indexes. Entering a place
/// costs no allocation for a declared field or an index; the JSON Pointer is only written when
/// a violation is reported.
#[derive(Debug, Clone, Default)]
pub struct Path {
    segments: Vec<Segment>,
}

/// One step of a [`Path`].
#[derive(Debug, Clone)]
enum Segment {
    /// A field name known when the code was generated.
    Field(&'static str),
    /// A key found in the value (a map key).
    Key(String),
    /// A list index.
    Index(usize),
}

impl Path {
    /// Enters a declared field (its wire name).
    pub fn push(&mut self, field: &'static str) {
        self.segments.push(Segment::Field(field));
    }

    /// Enters a key found in the value, such as a map key.
    pub fn push_key(&mut self, key: &str) {
        self.segments.push(Segment::Key(key.to_owned()));
    }

    /// Enters a list index.
    pub fn push_index(&mut self, index: usize) {
        self.segments.push(Segment::Index(index));
    }

    /// Leaves the innermost key or index.
    pub fn pop(&mut self) {
        self.segments.pop();
    }

    /// The JSON Pointer of the current position (RFC 6901: `~` and `/` escaped).
    pub fn pointer(&self) -> String {
        use std::fmt::Write as _;
        let mut pointer = String::new();
        for segment in &self.segments {
            pointer.push('/');
            match segment {
                Segment::Field(key) => escape_into(&mut pointer, key),
                Segment::Key(key) => escape_into(&mut pointer, key),
                Segment::Index(i) => {
                    let _ = write!(pointer, "{i}");
                }
            }
        }
        pointer
    }

    /// Records a violation at the current position.
    pub fn report(&self, out: &mut Vec<Violation>, detail: String) {
        out.push(Violation {
            pointer: self.pointer(),
            detail,
        });
    }
}

/// Appends `token` to a JSON Pointer, escaped.
fn escape_into(pointer: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The bounds of a range as options (a bound of a constraint is always inclusive).
fn bounds<T: Copy>(range: &impl RangeBounds<T>) -> (Option<T>, Option<T>) {
    let get = |b: Bound<&T>| match b {
        Bound::Included(v) | Bound::Excluded(v) => Some(*v),
        Bound::Unbounded => None,
    };
    (get(range.start_bound()), get(range.end_bound()))
}

/// Checks a string's length in characters, e.g. `check_len(name, 1..=100, ..)`.
pub fn check_len(value: &str, range: impl RangeBounds<u64>, path: &Path, out: &mut Vec<Violation>) {
    let n = value.chars().count() as u64;
    let (min, max) = bounds(&range);
    if let Some(min) = min.filter(|m| n < *m) {
        path.report(
            out,
            format!("must be at least {min} characters long (is {n})"),
        );
    }
    if let Some(max) = max.filter(|m| n > *m) {
        path.report(
            out,
            format!("must be at most {max} characters long (is {n})"),
        );
    }
}

/// Checks the number of items of a list or entries of a map.
pub fn check_items(
    len: usize,
    range: impl RangeBounds<u64>,
    path: &Path,
    out: &mut Vec<Violation>,
) {
    let n = len as u64;
    let (min, max) = bounds(&range);
    if let Some(min) = min.filter(|m| n < *m) {
        path.report(out, format!("must have at least {min} items (has {n})"));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        path.report(out, format!("must have at most {max} items (has {n})"));
    }
}

/// Checks an integer against inclusive bounds.
pub fn check_int(value: i64, range: impl RangeBounds<i64>, path: &Path, out: &mut Vec<Violation>) {
    check_ordered(value, range, path, out);
}

/// Checks an unsigned 64-bit integer against inclusive bounds (its values beyond `i64`).
pub fn check_uint(value: u64, range: impl RangeBounds<u64>, path: &Path, out: &mut Vec<Violation>) {
    check_ordered(value, range, path, out);
}

/// Checks a value against inclusive bounds, reporting the bound it breaks.
pub(crate) fn check_ordered<T: PartialOrd + Copy + std::fmt::Display>(
    value: T,
    range: impl RangeBounds<T>,
    path: &Path,
    out: &mut Vec<Violation>,
) {
    let (min, max) = bounds(&range);
    if let Some(min) = min.filter(|m| value < *m) {
        path.report(out, format!("must be at least {min} (is {value})"));
    }
    if let Some(max) = max.filter(|m| value > *m) {
        path.report(out, format!("must be at most {max} (is {value})"));
    }
}

/// Checks that an integer is one of `allowed` (an `enum` of numbers).
pub fn check_values(value: i128, allowed: &[i128], path: &Path, out: &mut Vec<Violation>) {
    if !allowed.contains(&value) {
        let allowed: Vec<String> = allowed.iter().map(i128::to_string).collect();
        path.report(
            out,
            format!("must be one of {} (is {value})", allowed.join(", ")),
        );
    }
}

/// Checks a float against inclusive bounds; NaN is never in range.
pub fn check_float(
    value: f64,
    range: impl RangeBounds<f64>,
    path: &Path,
    out: &mut Vec<Violation>,
) {
    let (min, max) = bounds(&range);
    if let Some(min) = min.filter(|m| value.is_nan() || value < *m) {
        path.report(out, format!("must be at least {min} (is {value})"));
    }
    if let Some(max) = max.filter(|m| value.is_nan() || value > *m) {
        path.report(out, format!("must be at most {max} (is {value})"));
    }
}

/// Checks a string against a regular expression.
pub fn check_pattern(value: &str, regex: &::regex::Regex, path: &Path, out: &mut Vec<Violation>) {
    if !regex.is_match(value) {
        path.report(out, format!("must match the pattern `{}`", regex.as_str()));
    }
}

/// String formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `local@domain.tld`.
    Email,
    /// A hyphenated UUID.
    Uuid,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    DateTime,
    /// An absolute URI with a scheme.
    Uri,
    /// Base64 text (RFC 4648, padded): [`crate::bytes::Bytes`].
    Byte,
}

/// The outline of an email address, published beside `format: email` (which JSON Schema tools
/// may not enforce); [`check_format`] checks the address fully.
pub const EMAIL_PATTERN: &str = r"^.+@.+$";
/// The outline of an absolute URI (a scheme), published beside `format: uri`; [`check_format`]
/// parses the URI fully (RFC 3986).
pub const URI_PATTERN: &str = r"^[A-Za-z][A-Za-z0-9+.-]*:";
/// The shape of a date (February 29 excepted: a pattern cannot know leap years).
pub const DATE_PATTERN: &str = r"^[0-9]{4}-(((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01]))|((0[469]|11)-(0[1-9]|[12][0-9]|30))|(02-(0[1-9]|1[0-9]|2[0-8])))$";
/// The shape of an RFC 3339 date-time (February 29 excepted).
pub const DATE_TIME_PATTERN: &str = r"^[0-9]{4}-(((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01]))|((0[469]|11)-(0[1-9]|[12][0-9]|30))|(02-(0[1-9]|1[0-9]|2[0-8])))T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

fn matches(
    pattern: &'static str,
    cache: &'static std::sync::OnceLock<::regex::Regex>,
    value: &str,
) -> bool {
    cache
        .get_or_init(|| ::regex::Regex::new(pattern).expect("a valid built-in pattern"))
        .is_match(value)
}

/// Checks a string's format. The check is exactly the pattern the OpenAPI documents publish
/// (plus a calendar check for dates), so clients and the server agree on what is valid.
pub fn check_format(value: &str, format: Format, path: &Path, out: &mut Vec<Violation>) {
    static EMAIL: std::sync::OnceLock<::regex::Regex> = std::sync::OnceLock::new();
    static URI: std::sync::OnceLock<::regex::Regex> = std::sync::OnceLock::new();
    static DATE: std::sync::OnceLock<::regex::Regex> = std::sync::OnceLock::new();
    static DATE_TIME: std::sync::OnceLock<::regex::Regex> = std::sync::OnceLock::new();
    let (ok, what) = match format {
        Format::Email => (
            matches(EMAIL_PATTERN, &EMAIL, value) && is_email(value),
            "an email address",
        ),
        Format::Uuid => (::uuid::Uuid::try_parse(value).is_ok(), "a UUID"),
        Format::Date => (
            matches(DATE_PATTERN, &DATE, value)
                && ::chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
            "a date (YYYY-MM-DD)",
        ),
        Format::DateTime => (
            matches(DATE_TIME_PATTERN, &DATE_TIME, value)
                && ::chrono::DateTime::parse_from_rfc3339(value).is_ok(),
            "an RFC 3339 date-time",
        ),
        Format::Uri => (
            matches(URI_PATTERN, &URI, value) && ::fluent_uri::Uri::parse(value).is_ok(),
            "an absolute URI",
        ),
        Format::Byte => (crate::bytes::is_base64(value), "base64 (RFC 4648, padded)"),
    };
    if !ok {
        path.report(out, format!("must be {what}"));
    }
}

/// An RFC 5322 address (by `email_address`) whose domain is a DNS host name or an IP literal.
fn is_email(value: &str) -> bool {
    let Ok(address) = value.parse::<::email_address::EmailAddress>() else {
        return false;
    };
    let domain = address.domain();
    match domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        Some(literal) => match literal.strip_prefix("IPv6:") {
            Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
            None => literal.parse::<std::net::Ipv4Addr>().is_ok(),
        },
        None => is_host_name(domain),
    }
}

/// RFC 1123 host name: dot-separated labels of ASCII letters, digits and inner hyphens, each at
/// most 63 long, at most 253 in all.
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::{Path, Violation};

    /// A pointer is written only when a violation is reported, with `~` and `/` of keys
    /// escaped (RFC 6901), declared fields, found keys and indexes alike.
    #[test]
    fn pointers_escape_keys_when_reported() {
        let mut path = Path::default();
        let mut out: Vec<Violation> = Vec::new();
        path.push("labels");
        path.push_key("a/b~c");
        path.push_index(3);
        path.push("~field/");
        path.report(&mut out, "bad".to_owned());
        path.pop();
        path.pop();
        path.report(&mut out, "also bad".to_owned());
        let pointers: Vec<&str> = out.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(pointers, ["/labels/a~1b~0c/3/~0field~1", "/labels/a~1b~0c"]);
    }
}
