//! The one place where spec names become Rust identifiers, crate names and file names.
//!
//! Rules:
//! - A spec name (system, service, schema, error, field, endpoint, parameter) starts with an
//!   ASCII letter and holds only ASCII letters, digits, `_` and `-`. Anything else (unicode,
//!   quotes, `/`, `..`, `r#`, a leading digit) is rejected with a diagnostic, so a name can never
//!   smuggle code into Rust source or a path out of the output directory.
//! - Enum values are wire strings and may hold anything; their variant identifiers are built
//!   from the ASCII letters and digits they contain.
//! - A name is at most [`MAX_NAME_LEN`] characters: names become folder, file and crate names,
//!   and a file system refuses a component longer than 255 bytes (a kebab-case name can be
//!   almost twice as long as the spec name it comes from).
//! - Case is converted with `heck`; a result that is a Rust keyword becomes a raw identifier
//!   (`r#type`) or, for the keywords that cannot be raw (`self`, `Self`, `super`, `crate`),
//!   gets a `_` suffix. The wire name is kept beside it for serde renames.
//! - Generated code refers to std and crate items by absolute path (`::std::string::String`),
//!   and to spec values through `self.`, so no spec name can shadow what the code relies on.

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};

/// Rust's strict and reserved keywords (2024 edition), which cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that `r#` cannot escape.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Folder names inside a system folder that are not a service's: the shared types crate, the
/// vendored runtime crate, and cargo's build output of the system's workspace; and the names
/// of the Compose and Kubernetes services beside the system's own (`postgres`, `nats`).
/// (`gateway` is taken only in systems with a `[gateway]`, which `check` handles.)
pub const RESERVED_SERVICE_DIRS: &[&str] = &[
    "types", "runtime", "target", "postgres", "nats", "data", "secrets",
];

/// Methods of a generated `Client` besides its endpoints' (inherent ones, and the trait methods
/// of its derives that method-call syntax would find after an inherent method of that name).
pub const CLIENT_METHODS: &[&str] = &[
    "new",
    "from_env",
    "base_url",
    "with_credential",
    "with_bearer_token",
    "with_api_key",
    "clone",
    "clone_from",
    "fmt",
];

/// Why a spec name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadName(pub String);

/// The longest spec name, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// Checks that `name` is a valid spec name (see the module docs).
pub fn check_name(name: &str) -> Result<(), BadName> {
    if name.len() > MAX_NAME_LEN {
        return Err(BadName(format!(
            "a name is at most {MAX_NAME_LEN} characters; this one has {}",
            name.chars().count()
        )));
    }
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(BadName("a name cannot be empty".into())),
        Some(c) if !c.is_ascii_alphabetic() => {
            return Err(BadName(format!(
                "`{}` is not a valid name: names must start with an ASCII letter",
                name.escape_debug()
            )));
        }
        _ => {}
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(BadName(format!(
            "`{}` is not a valid name: `{}` is not allowed (use ASCII letters, digits, `_` and `-`)",
            name.escape_debug(),
            c.escape_debug()
        )));
    }
    Ok(())
}

/// True if `word` is a Rust keyword.
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word) || word == "_"
}

/// Makes an identifier from an already cased word, escaping keywords.
fn escape(word: &str) -> String {
    if NOT_RAW.contains(&word) {
        format!("{word}_")
    } else if is_keyword(word) {
        format!("r#{word}")
    } else {
        word.to_owned()
    }
}

/// The Rust type name (`UpperCamelCase`) for a validated spec name.
pub fn type_name(name: &str) -> String {
    escape(&name.to_upper_camel_case())
}

/// The Rust field, function or module name (`snake_case`) for a validated spec name.
pub fn value_name(name: &str) -> String {
    escape(&name.to_snake_case())
}

/// The `SCREAMING_SNAKE_CASE` name for a constant.
pub fn const_name(name: &str) -> String {
    name.to_snake_case().to_uppercase()
}

/// The kebab-case form used in crate names, folder names and environment-facing names.
pub fn kebab_name(name: &str) -> String {
    name.to_kebab_case()
}

/// The variant identifier for an enum value or union tag, which may be any string.
/// Returns `None` when the value holds no ASCII letter or digit to build one from.
pub fn variant_name(value: &str) -> Option<String> {
    let words: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let camel = words.trim().to_upper_camel_case();
    if camel.is_empty() {
        return None;
    }
    let camel = if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{camel}")
    } else {
        camel
    };
    Some(escape(&camel))
}

/// Turns an identifier string built by this module into a token.
pub fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_become_raw_identifiers() {
        assert_eq!(value_name("type"), "r#type");
        assert_eq!(value_name("match"), "r#match");
        assert_eq!(value_name("async"), "r#async");
        assert_eq!(value_name("gen"), "r#gen");
        assert_eq!(ident("r#type").to_string(), "r#type");
    }

    #[test]
    fn keywords_that_cannot_be_raw_get_a_suffix() {
        assert_eq!(value_name("self"), "self_");
        assert_eq!(value_name("super"), "super_");
        assert_eq!(value_name("crate"), "crate_");
        assert_eq!(type_name("Self"), "Self_");
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(ident("self_").to_string(), "self_");
    }

    #[test]
    fn leading_digits_are_rejected() {
        assert!(check_name("1st").is_err());
        assert!(check_name("_x").is_err());
    }

    #[test]
    fn unicode_and_punctuation_are_rejected() {
        for bad in [
            "naïve",
            "ユーザー",
            "../x",
            "a/b",
            "a\"b",
            "a\nb",
            "*/",
            "r#type",
            "a b",
            "",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} should be rejected");
        }
        for good in ["users", "PermitService", "get-user", "x_1"] {
            assert!(check_name(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(check_name(&"a".repeat(MAX_NAME_LEN)).is_ok());
        assert!(check_name(&"a".repeat(MAX_NAME_LEN + 1)).is_err());
        assert!(check_name(&"a".repeat(300)).is_err());
        // Even the longest name's kebab form fits a file name.
        assert!(kebab_name(&"aB".repeat(MAX_NAME_LEN / 2)).len() < 255);
    }

    #[test]
    fn case_conversion() {
        assert_eq!(type_name("order_status"), "OrderStatus");
        assert_eq!(type_name("PermitService"), "PermitService");
        assert_eq!(value_name("userId"), "user_id");
        assert_eq!(value_name("first-name"), "first_name");
        assert_eq!(kebab_name("PermitService"), "permit-service");
        assert_eq!(const_name("maxItems"), "MAX_ITEMS");
    }

    #[test]
    fn variant_names_come_from_any_wire_value() {
        assert_eq!(variant_name("in-progress").as_deref(), Some("InProgress"));
        assert_eq!(variant_name("2fa").as_deref(), Some("V2fa"));
        assert_eq!(variant_name("he said \"hi\"").as_deref(), Some("HeSaidHi"));
        assert_eq!(variant_name("Self").as_deref(), Some("Self_"));
        assert_eq!(variant_name("*/ ✓").as_deref(), None);
    }

    #[test]
    fn every_keyword_yields_a_valid_identifier() {
        for kw in KEYWORDS {
            for name in [value_name(kw), type_name(kw)] {
                // Ident::new panics on anything that is not a valid identifier.
                let _ = ident(&name);
                assert!(syn::parse_str::<syn::Ident>(&name).is_ok() || name.starts_with("r#"));
            }
        }
    }
}
