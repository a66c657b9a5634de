//! Every way a JSON body departs from its schema, at once: the fallback of body decoding when
//! serde stops at the first missing field or wrong type. It walks the request body's schema in
//! the service's own OpenAPI document (the JSON Schema subset svcgen emits: `$ref`, `type`,
//! `properties`, `required`, `items`, `additionalProperties`, `enum`, `const`, `oneOf` of
//! tagged variants, `allOf`, and the constraint keywords), so the answer names every missing
//! field, wrong type and constraint violation, each with its JSON Pointer. It runs only for a
//! body serde refused: a valid request costs nothing more.

use crate::validation::{self, Format, Path, Violation};
use serde_json::Value;
use std::sync::OnceLock;

/// A service's OpenAPI document, parsed the first time a body is refused.
pub struct Document {
    text: &'static str,
    parsed: OnceLock<Option<Value>>,
}

impl Document {
    /// The document whose text is `text` (the service's `openapi.json`).
    pub const fn new(text: &'static str) -> Document {
        Document {
            text,
            parsed: OnceLock::new(),
        }
    }

    fn value(&self) -> Option<&Value> {
        self.parsed
            .get_or_init(|| serde_json::from_str(self.text).ok())
            .as_ref()
    }
}

/// The schema a body is checked against: a JSON Pointer into `document` (e.g. to
/// `/components/schemas/NewUser`, or to an operation's inline request body schema).
#[derive(Clone, Copy)]
pub struct BodySchema {
    /// The service's document.
    pub document: &'static Document,
    /// Where the schema is in it.
    pub pointer: &'static str,
}

impl BodySchema {
    /// Every violation of `value`, or `None` when the document or schema cannot be read.
    pub(crate) fn violations(&self, value: &Value) -> Option<Vec<Violation>> {
        let doc = self.document.value()?;
        let schema = doc.pointer(self.pointer)?;
        let mut out = Vec::new();
        check(doc, schema, value, &mut Path::default(), &mut out, 0);
        // In the order of their pointers (the document's properties are read in name order).
        out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        Some(out)
    }
}

/// How deep schemas may nest before the walk stops (a recursive schema meets a deep value).
const MAX_DEPTH: usize = 64;

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..16 {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(pointer) => match doc.pointer(pointer) {
                Some(target) => schema = target,
                None => return schema,
            },
            None => return schema,
        }
    }
    schema
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_type(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
        }
        _ => true,
    }
}

fn describe(ty: &str) -> &str {
    match ty {
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "a boolean",
        "array" => "an array",
        "object" => "an object",
        other => other,
    }
}

fn check(
    doc: &Value,
    schema: &Value,
    value: &Value,
    path: &mut Path,
    out: &mut Vec<Violation>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = resolve(doc, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            check(doc, part, value, path, out, depth + 1);
        }
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        check_one_of(doc, variants, value, path, out, depth);
        return;
    }
    if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
        check_any_of(doc, variants, value, path, out, depth);
        return;
    }
    // `type`: one name, or a list (`["string", "null"]` for an optional value).
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| is_type(value, t)) {
        let wanted: Vec<&str> = types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| describe(t))
            .collect();
        let wanted = if wanted.is_empty() {
            "null".to_owned()
        } else {
            wanted.join(" or ")
        };
        path.report(out, format!("must be {wanted} (got {})", type_name(value)));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !value.is_null()
        && !allowed.contains(value)
    {
        let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
        path.report(out, format!("must be one of {}", names.join(", ")));
        return;
    }
    if let Some(wanted) = schema.get("const")
        && wanted != value
    {
        path.report(out, format!("must be {wanted}"));
        return;
    }
    match value {
        Value::String(s) => check_string(schema, s, path, out),
        Value::Number(_) => check_number(schema, value, path, out),
        Value::Array(items) => {
            let bounds = (
                schema.get("minItems").and_then(Value::as_u64),
                schema.get("maxItems").and_then(Value::as_u64),
            );
            check_len_bounds(items.len(), bounds, path, out);
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    path.push_index(i);
                    check(doc, item, v, path, out, depth + 1);
                    path.pop();
                }
            }
        }
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for name in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(name) {
                        path.push_key(name);
                        path.report(out, "is required".to_owned());
                        path.pop();
                    }
                }
            }
            if let Some(properties) = properties {
                for (name, property) in properties {
                    if let Some(v) = map.get(name) {
                        path.push_key(name);
                        check(doc, property, v, path, out, depth + 1);
                        path.pop();
                    }
                }
            }
            if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                let bounds = (
                    schema.get("minProperties").and_then(Value::as_u64),
                    schema.get("maxProperties").and_then(Value::as_u64),
                );
                check_len_bounds(map.len(), bounds, path, out);
                for (name, v) in map {
                    if properties.is_some_and(|p| p.contains_key(name)) {
                        continue;
                    }
                    path.push_key(name);
                    check(doc, extra, v, path, out, depth + 1);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

fn check_len_bounds(
    len: usize,
    (min, max): (Option<u64>, Option<u64>),
    path: &Path,
    out: &mut Vec<Violation>,
) {
    validation::check_items(
        len,
        (
            min.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
            max.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
        ),
        path,
        out,
    );
}

fn check_string(schema: &Value, s: &str, path: &Path, out: &mut Vec<Violation>) {
    let min = schema.get("minLength").and_then(Value::as_u64);
    let max = schema.get("maxLength").and_then(Value::as_u64);
    if min.is_some() || max.is_some() {
        validation::check_len(
            s,
            (
                min.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
                max.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
            ),
            path,
            out,
        );
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
        && let Ok(regex) = regex::Regex::new(pattern)
    {
        validation::check_pattern(s, &regex, path, out);
    }
    let format = match schema.get("format").and_then(Value::as_str) {
        Some("email") => Some(Format::Email),
        Some("uuid") => Some(Format::Uuid),
        Some("date") => Some(Format::Date),
        Some("date-time") => Some(Format::DateTime),
        Some("uri") => Some(Format::Uri),
        Some("byte") => Some(Format::Byte),
        _ => None,
    };
    if let Some(format) = format {
        validation::check_format(s, format, path, out);
    }
}

fn check_number(schema: &Value, value: &Value, path: &Path, out: &mut Vec<Violation>) {
    let min = schema.get("minimum");
    let max = schema.get("maximum");
    // Integers compared exactly, `u64`s beyond `i64` too; `3.0` is the integer 3 (as JSON
    // Schema has it), when the float is exactly that number.
    let exact = |v: &Value| {
        v.as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from))
    };
    let whole = exact(value).or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
            .map(|f| f as i128)
    });
    match (whole, schema.get("type").and_then(Value::as_str)) {
        (Some(n), Some("integer")) => {
            let bound = |b: Option<&Value>| {
                b.and_then(exact)
                    .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included)
            };
            validation::check_ordered(n, (bound(min), bound(max)), path, out);
        }
        (None, Some("integer")) => {
            // Whole, but beyond what an integer field takes.
            path.report(
                out,
                "must be a whole number within the field's range".to_owned(),
            );
        }
        _ => {
            if let Some(f) = value.as_f64() {
                let bound = |b: Option<&Value>| {
                    b.and_then(Value::as_f64)
                        .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included)
                };
                validation::check_float(f, (bound(min), bound(max)), path, out);
            }
        }
    }
}

/// An untagged union (or an optional value, `anyOf: [<schema>, {"type": "null"}]`): fine when
/// some variant takes the value; otherwise the problems of the variant it comes closest to
/// (the fewest, the first of equals), so that a broken object is told what is wrong with it,
/// not that it is not `null`.
fn check_any_of(
    doc: &Value,
    variants: &[Value],
    value: &Value,
    path: &mut Path,
    out: &mut Vec<Violation>,
    depth: usize,
) {
    let mut closest: Option<Vec<Violation>> = None;
    for variant in variants {
        let variant = resolve(doc, variant);
        if !value.is_null() && variant.get("type").and_then(Value::as_str) == Some("null") {
            continue;
        }
        let mut found = Vec::new();
        check(doc, variant, value, path, &mut found, depth + 1);
        if found.is_empty() {
            return;
        }
        if closest.as_ref().is_none_or(|c| found.len() < c.len()) {
            closest = Some(found);
        }
    }
    match closest {
        Some(found) => out.extend(found),
        None => path.report(out, format!("must be null (got {})", type_name(value))),
    }
}

/// A tagged union: the variant the tag names is checked; a missing or unknown tag is reported
/// with the tags allowed.
fn check_one_of(
    doc: &Value,
    variants: &[Value],
    value: &Value,
    path: &mut Path,
    out: &mut Vec<Violation>,
    depth: usize,
) {
    // Each variant is `allOf: [{$ref}, {properties: {<tag>: {const}}, required: [<tag>]}]`.
    let tagged: Vec<(&str, &str, &Value)> = variants
        .iter()
        .filter_map(|v| {
            let parts = v.get("allOf")?.as_array()?;
            parts.iter().find_map(|p| {
                let (name, property) = p.get("properties")?.as_object()?.iter().next()?;
                Some((name.as_str(), property.get("const")?.as_str()?, v))
            })
        })
        .collect();
    let Some((tag, _, _)) = tagged.first() else {
        // Not a tagged union: report it only when no variant fits.
        let fits = variants.iter().any(|v| {
            let mut errors = Vec::new();
            check(doc, v, value, &mut Path::default(), &mut errors, depth + 1);
            errors.is_empty()
        });
        if !fits {
            path.report(out, "matches none of the shapes allowed".to_owned());
        }
        return;
    };
    let Some(object) = value.as_object() else {
        path.report(out, format!("must be an object (got {})", type_name(value)));
        return;
    };
    let names: Vec<String> = tagged.iter().map(|(_, c, _)| format!("\"{c}\"")).collect();
    match object.get(*tag).and_then(Value::as_str) {
        Some(given) => match tagged.iter().find(|(_, c, _)| *c == given) {
            Some((_, _, variant)) => check(doc, variant, value, path, out, depth + 1),
            None => {
                path.push_key(tag);
                path.report(out, format!("must be one of {}", names.join(", ")));
                path.pop();
            }
        },
        None => {
            path.push_key(tag);
            path.report(out, format!("is required: one of {}", names.join(", ")));
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BodySchema, Document};
    use serde_json::json;

    static DOC: Document = Document::new(
        r##"{"components": {"schemas": {
            "Payment": {"type": "object", "required": ["amount", "method", "tags"], "properties": {
                "amount": {"type": "integer", "format": "int64", "minimum": 0},
                "method": {"$ref": "#/components/schemas/Method"},
                "note": {"type": ["string", "null"], "maxLength": 3},
                "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "pattern": "^[a-z]+$"}},
                "extra": {"type": "object", "additionalProperties": {"type": "number", "maximum": 1}},
                "big": {"type": "integer", "format": "uint64", "minimum": 0, "maximum": 9000000000000000000},
                "spare": {"anyOf": [{"$ref": "#/components/schemas/Card"}, {"type": "null"}]},
                "either": {"anyOf": [{"$ref": "#/components/schemas/Card"}, {"type": "string", "maxLength": 2}]},
                "large": {"type": "integer", "format": "int64", "minimum": -9223372036854775808, "maximum": 9223372036854775807}}},
            "Card": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string", "minLength": 8}}},
            "Method": {"oneOf": [{"allOf": [{"$ref": "#/components/schemas/Card"},
                {"type": "object", "properties": {"kind": {"const": "card"}}, "required": ["kind"]}]}]}
        }}}"##,
    );

    fn problems(value: serde_json::Value) -> Vec<(String, String)> {
        BodySchema {
            document: &DOC,
            pointer: "/components/schemas/Payment",
        }
        .violations(&value)
        .expect("the document reads")
        .into_iter()
        .map(|v| (v.pointer, v.detail))
        .collect()
    }

    #[test]
    fn every_problem_of_a_body_is_found_with_its_pointer() {
        assert_eq!(
            problems(
                json!({"amount": 1, "method": {"kind": "card", "token": "12345678"}, "tags": []})
            ),
            vec![]
        );
        let found = problems(json!({
            "amount": -1.0,
            "method": {"kind": "card", "token": "short"},
            "note": null,
            "tags": ["ok", "NO", "x"],
            "extra": {"a": 2, "b": "two"}
        }));
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            vec![
                "/amount",
                "/extra/a",
                "/extra/b",
                "/method/token",
                "/tags",
                "/tags/1"
            ],
            "{found:?}"
        );
        assert!(found[0].1.starts_with("must be at least 0"), "{found:?}");
        assert_eq!(found[2].1, "must be a number (got a string)");
        // A missing tag, an unknown one, a missing field and a wrong type, all at once.
        let found = problems(json!({"method": {"token": "12345678"}, "tags": "x"}));
        assert_eq!(
            found,
            vec![
                ("/amount".into(), "is required".into()),
                ("/method/kind".into(), "is required: one of \"card\"".into()),
                ("/tags".into(), "must be an array (got a string)".into()),
            ]
        );
        // Integers beyond what a float holds exactly are compared exactly.
        let valid =
            json!({"amount": 1, "method": {"kind": "card", "token": "12345678"}, "tags": []});
        let with = |key: &str, n: serde_json::Value| {
            let mut body = valid.clone();
            body[key] = n;
            problems(body)
        };
        assert_eq!(with("big", json!(9_000_000_000_000_000_000_u64)), vec![]);
        assert_eq!(with("large", json!(i64::MIN)), vec![]);
        let found = with("big", json!(9_000_000_000_000_000_001_u64));
        assert_eq!(
            found,
            vec![(
                "/big".into(),
                "must be at most 9000000000000000000 (is 9000000000000000001)".into()
            )]
        );
        let found = with("large", json!(9_223_372_036_854_775_808_u64));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.starts_with("must be at most"), "{found:?}");
        // `anyOf`: fine when a variant takes the value, else the closest variant's problems.
        assert_eq!(with("spare", json!(null)), vec![]);
        assert_eq!(with("either", json!("ok")), vec![]);
        assert_eq!(with("either", json!({"token": "12345678"})), vec![]);
        let found = with("spare", json!({"token": "short"}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/spare/token", "{found:?}");
        let found = with("either", json!("long"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/either", "{found:?}");
        let found = problems(json!({"amount": 1, "method": {"kind": "cash"}, "tags": []}));
        assert_eq!(
            found,
            vec![("/method/kind".into(), "must be one of \"card\"".into())]
        );
    }
}
