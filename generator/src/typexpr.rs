//! Type expressions as written in specs: `string`, `User`, `[Item]`, `{i32}`, `date-time?`.
//!
//! Grammar: `type := base "?"?` and `base := "[" type "]" | "{" type "}" | name`.
//! Names are left unresolved here; `resolve` looks them up.
//!
//! A type nests at most [`MAX_DEPTH`] levels (`[`, `{` and `?` each count one): the parser,
//! the model's `Type` and every emitter walk types recursively, and a spec of a few hundred
//! bytes must not be able to exhaust their stack.

/// A parsed, unresolved type expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A primitive or schema name.
    Name(String),
    /// `[T]`.
    List(Box<TypeExpr>),
    /// `{T}`.
    Map(Box<TypeExpr>),
    /// `T?`.
    Optional(Box<TypeExpr>),
}

/// How many lists, maps and optionals a type may nest.
pub const MAX_DEPTH: usize = 32;

fn too_deep() -> String {
    format!("type nested deeper than {MAX_DEPTH} levels")
}

/// Parses a type expression; the error says what is wrong in words.
pub fn parse(text: &str) -> Result<TypeExpr, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let (ty, _) = parse_type(&chars, &mut pos, 0)?;
    skip_ws(&chars, &mut pos);
    if pos != chars.len() {
        let rest: String = chars[pos..].iter().collect();
        return Err(format!(
            "unexpected `{}` after the type",
            rest.escape_debug()
        ));
    }
    Ok(ty)
}

fn skip_ws(chars: &[char], pos: &mut usize) {
    while chars.get(*pos).is_some_and(|c| c.is_whitespace()) {
        *pos += 1;
    }
}

/// Parses one type inside `enclosing` lists and maps; returns it with its nesting depth.
fn parse_type(
    chars: &[char],
    pos: &mut usize,
    enclosing: usize,
) -> Result<(TypeExpr, usize), String> {
    skip_ws(chars, pos);
    if matches!(chars.get(*pos), Some('[' | '{')) && enclosing >= MAX_DEPTH {
        return Err(too_deep());
    }
    let (base, depth) = match chars.get(*pos) {
        None => return Err("expected a type".into()),
        Some('[') => {
            *pos += 1;
            let (inner, depth) = parse_type(chars, pos, enclosing + 1)?;
            expect(chars, pos, ']')?;
            (TypeExpr::List(Box::new(inner)), depth + 1)
        }
        Some('{') => {
            *pos += 1;
            let (inner, depth) = parse_type(chars, pos, enclosing + 1)?;
            expect(chars, pos, '}')?;
            (TypeExpr::Map(Box::new(inner)), depth + 1)
        }
        Some(_) => {
            let start = *pos;
            while chars
                .get(*pos)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            {
                *pos += 1;
            }
            if start == *pos {
                return Err(format!(
                    "expected a type name, found `{}`",
                    chars[start].escape_debug()
                ));
            }
            (TypeExpr::Name(chars[start..*pos].iter().collect()), 0)
        }
    };
    skip_ws(chars, pos);
    if chars.get(*pos) == Some(&'?') {
        *pos += 1;
        if chars.get(*pos) == Some(&'?') {
            return Err("a type can be made optional only once".into());
        }
        if depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        return Ok((TypeExpr::Optional(Box::new(base)), depth + 1));
    }
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok((base, depth))
}

fn expect(chars: &[char], pos: &mut usize, want: char) -> Result<(), String> {
    skip_ws(chars, pos);
    match chars.get(*pos) {
        Some(c) if *c == want => {
            *pos += 1;
            Ok(())
        }
        Some(c) => Err(format!("expected `{want}`, found `{}`", c.escape_debug())),
        None => Err(format!("expected `{want}` before the end")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> TypeExpr {
        TypeExpr::Name(n.into())
    }

    #[test]
    fn parses_nested_expressions() {
        assert_eq!(parse("string").unwrap(), name("string"));
        assert_eq!(
            parse("date-time?").unwrap(),
            TypeExpr::Optional(Box::new(name("date-time")))
        );
        assert_eq!(
            parse("[ {Item?} ]?").unwrap(),
            TypeExpr::Optional(Box::new(TypeExpr::List(Box::new(TypeExpr::Map(Box::new(
                TypeExpr::Optional(Box::new(name("Item")))
            ))))))
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |d: usize| format!("{}string{}", "[".repeat(d), "]".repeat(d));
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(parse(&nested(MAX_DEPTH + 1)), Err(too_deep()));
        assert!(parse(&format!("{}?", nested(MAX_DEPTH - 1))).is_ok());
        assert_eq!(parse(&format!("{}?", nested(MAX_DEPTH))), Err(too_deep()));
        // Far deeper than any stack would hold, unclosed or not: an error, not a crash.
        assert_eq!(parse(&nested(1_000_000)), Err(too_deep()));
        assert_eq!(parse(&"{[".repeat(500_000)), Err(too_deep()));
    }

    #[test]
    fn rejects_malformed_expressions() {
        for bad in [
            "",
            "[string",
            "string]",
            "string??",
            "{}",
            "a b",
            "list<string>",
            "\"x\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
