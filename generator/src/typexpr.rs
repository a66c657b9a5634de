//! Type expressions as written in specs: `string`, `User`, `[Item]`, `{i32}`, `date-time?`.
//!
//! Grammar: `type := base "?"?` and `base := "[" type "]" | "{" type "}" | name`.
//! Names are left unresolved here; `resolve` looks them up.

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

/// Parses a type expression; the error says what is wrong in words.
pub fn parse(text: &str) -> Result<TypeExpr, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let ty = parse_type(&chars, &mut pos)?;
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

fn parse_type(chars: &[char], pos: &mut usize) -> Result<TypeExpr, String> {
    skip_ws(chars, pos);
    let base = match chars.get(*pos) {
        None => return Err("expected a type".into()),
        Some('[') => {
            *pos += 1;
            let inner = parse_type(chars, pos)?;
            expect(chars, pos, ']')?;
            TypeExpr::List(Box::new(inner))
        }
        Some('{') => {
            *pos += 1;
            let inner = parse_type(chars, pos)?;
            expect(chars, pos, '}')?;
            TypeExpr::Map(Box::new(inner))
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
            TypeExpr::Name(chars[start..*pos].iter().collect())
        }
    };
    skip_ws(chars, pos);
    if chars.get(*pos) == Some(&'?') {
        *pos += 1;
        if chars.get(*pos) == Some(&'?') {
            return Err("a type can be made optional only once".into());
        }
        return Ok(TypeExpr::Optional(Box::new(base)));
    }
    Ok(base)
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
