//! An OpenAPI 3.1 document per service (`openapi.json`), from the same model as the code: every
//! endpoint, parameter, body, response, typed error (as problem+json) and constraint.

use super::service::service_dir;
use super::{EmitError, OutputFile, Ownership};
use crate::model::*;
use serde_json::{Map, Value, json};

/// The component name of the problem schema; the dot keeps it apart from spec names.
const PROBLEM: &str = "svcgen.Problem";
const FIELD_ERROR: &str = "svcgen.FieldError";

/// Writes `openapi.json` beside each service crate's `Cargo.toml`.
pub fn emit(
    system: &System,
    _: &super::Settings,
    files: &mut Vec<OutputFile>,
) -> Result<(), EmitError> {
    let services: Vec<&Service> = system.services.values().collect();
    files.extend(super::par_map(&services, |service| {
        let mut contents =
            serde_json::to_string_pretty(&document(system, service)).unwrap_or_default();
        contents.push('\n');
        OutputFile {
            path: format!("{}/openapi.json", service_dir(system, service)),
            contents,
            ownership: Ownership::Generated,
        }
    }));
    Ok(())
}

/// The OpenAPI document of one service.
pub fn document(system: &System, service: &Service) -> Value {
    let mut paths = Map::new();
    for e in &service.endpoints {
        let item = paths.entry(e.path.clone()).or_insert_with(|| json!({}));
        item[e.method.as_str().to_ascii_lowercase()] = operation(system, service, e);
    }
    if !system.issued_by(&service.name.wire).is_empty() {
        paths.insert(
            "/.well-known/jwks.json".to_owned(),
            json!({"get": {
                "operationId": "jwks",
                "summary": "The public keys the service's tokens are signed with (a JWK set).",
                "tags": ["auth"],
                "security": [],
                "responses": {
                    "200": {"description": "The key set.", "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
                        "required": ["keys"]
                    }}}},
                    "default": problem_response("The signing key is not configured (503)."),
                }
            }}),
        );
    }
    let mut doc = base_document(system, paths);
    let mut description = format!(
        "The `{}` service of the `{}` system.",
        service.name.wire, system.name.wire
    );
    if let Some(d) = &service.doc {
        description.push_str("\n\n");
        description.push_str(d);
    }
    doc["info"] = json!({
        "title": format!("{} {}", system.name.wire, service.name.wire),
        "version": "0.1.0",
        "description": description,
    });
    doc["servers"] = json!([{"url": format!("http://127.0.0.1:{}", service.port)}]);
    doc
}

/// A document with the generated marker first, `paths` plus the health endpoints, and every
/// schema of the system; `info` and `servers` are left for the caller to fill in.
pub fn base_document(system: &System, mut paths: Map<String, Value>) -> Value {
    for (path, what) in [
        ("/healthz", "The process is alive."),
        ("/readyz", "The service is ready to serve."),
    ] {
        paths.insert(
            path.to_owned(),
            json!({"get": {
                "operationId": path.trim_start_matches('/'),
                "summary": what,
                "tags": ["health"],
                "responses": {
                    "200": {"description": what, "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]
                    }}}},
                    "default": problem_response("Not ready, or shutting down."),
                }
            }}),
        );
    }
    // Only the schemas the document's operations reach, so each document stays the size of
    // its own surface however large the system is.
    let mut schemas = reachable_schemas(system, &Value::Object(paths.clone()));
    schemas.insert(PROBLEM.into(), problem_schema());
    schemas.insert(FIELD_ERROR.into(), field_error_schema());
    let mut components = json!({"schemas": schemas});
    if !system.auth.is_empty() {
        components["securitySchemes"] = Value::Object(
            system
                .auth
                .values()
                .map(|s| (s.name.wire.clone(), security_scheme(s)))
                .collect(),
        );
    }
    json!({
        "x-generated-by": super::header(system),
        "openapi": "3.1.0",
        "info": {},
        "servers": [],
        "paths": paths,
        "components": components,
    })
}

/// An auth scheme as an OpenAPI security scheme.
fn security_scheme(s: &AuthScheme) -> Value {
    let mut out = match &s.kind {
        SchemeKind::Jwt { .. } => {
            json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        }
        SchemeKind::ApiKey { header } => json!({"type": "apiKey", "in": "header", "name": header}),
    };
    let mut description = s.doc.clone().unwrap_or_default();
    if !s.scopes.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!(
            "Scopes: {}.",
            s.scopes
                .iter()
                .map(|sc| format!("`{sc}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !description.is_empty() {
        out["description"] = json!(description);
    }
    out
}

/// The components (`#/components/schemas/<name>`) of the schemas `$ref`s in `root` reach,
/// directly or through other schemas, in system order.
pub(crate) fn reachable_schemas(system: &System, root: &Value) -> Map<String, Value> {
    reachable(system, root)
        .into_iter()
        .map(|name| {
            let s = &system.schemas[&name];
            (s.name.wire.clone(), schema(system, s))
        })
        .collect()
}

/// The schemas that `$ref`s in `root` reach, directly or through other schemas, in system order.
fn reachable(system: &System, root: &Value) -> Vec<String> {
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    if let Some(name) = r.strip_prefix("#/components/schemas/") {
                        out.push(name.to_owned());
                    }
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let by_wire: std::collections::HashMap<&str, &str> = system
        .schemas
        .iter()
        .map(|(k, s)| (s.name.wire.as_str(), k.as_str()))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut queue = Vec::new();
    refs(root, &mut queue);
    while let Some(wire) = queue.pop() {
        let Some(key) = by_wire.get(wire.as_str()) else {
            continue;
        };
        if seen.insert(key.to_string()) {
            refs(&schema(system, &system.schemas[*key]), &mut queue);
        }
    }
    system
        .schemas
        .keys()
        .filter(|k| seen.contains(*k))
        .cloned()
        .collect()
}

/// The OpenAPI operation of one endpoint.
/// The `content` of a body: JSON by its schema, or raw bytes of any media type (OpenAPI 3.1
/// describes those by the media type alone, `application/octet-stream` for any).
fn body_content(system: &System, body: &Body) -> Value {
    match body {
        Body::Json(t) => {
            json!({"application/json": {"schema": type_schema(system, t, &Constraints::default())}})
        }
        Body::Binary => json!({"application/octet-stream": {}}),
    }
}

pub(crate) fn operation(system: &System, service: &Service, e: &Endpoint) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(e.name.wire));
    op.insert("tags".into(), json!([service.name.wire]));
    if let Some(d) = &e.doc {
        op.insert("description".into(), json!(d));
    }
    let mut params = Vec::new();
    for (place, fields) in [
        ("path", &e.params),
        ("query", &e.query),
        ("header", &e.headers),
    ] {
        for f in fields {
            let mut p = json!({
                "name": f.name.wire,
                "in": place,
                "required": place == "path"
                    || (f.required() && f.list_style != Some(ListStyle::Repeated)),
                "schema": field_schema(system, f),
            });
            if let Some(d) = &f.doc {
                p["description"] = json!(d);
            }
            if let Some(style) = f.list_style {
                p["style"] = json!("form");
                p["explode"] = json!(style == ListStyle::Repeated);
            }
            let object = |t: &Type| {
                matches!(t, Type::Named(n)
                    if matches!(system.schemas[n].kind, SchemaKind::Object(_)))
            };
            if place == "query" && (matches!(f.ty, Type::Map(_)) || object(f.ty.required())) {
                // `?count[tea]=2&count[cake]=1`.
                p["style"] = json!("deepObject");
                p["explode"] = json!(true);
            }
            params.push(p);
        }
    }
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = &e.request {
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": body_content(system, body)}),
        );
    }
    let mut responses = Map::new();
    let success = match &e.response {
        Some(body) => json!({
            "description": "Success.",
            "content": body_content(system, body),
        }),
        None => json!({"description": "Success, without a body."}),
    };
    responses.insert(e.status.to_string(), success);
    // Typed errors, grouped by status.
    let mut by_status: Vec<(u16, Vec<String>)> = Vec::new();
    for name in &e.errors {
        let err = &system.errors[name];
        let text = format!(
            "`{}`: {}",
            err.name.wire,
            err.doc.clone().unwrap_or_else(|| err.title.clone())
        );
        match by_status.iter_mut().find(|(s, _)| *s == err.status) {
            Some((_, texts)) => texts.push(text),
            None => by_status.push((err.status, vec![text])),
        }
    }
    if !system.auth.is_empty() {
        // Every operation says who may call it: `[]` is public.
        let security: Vec<Value> = e
            .access
            .schemes()
            .iter()
            .map(|k| {
                let scopes = match &e.access {
                    Access::Caller { scopes, .. } => scopes.clone(),
                    Access::Public => Vec::new(),
                };
                json!({ system.auth[k].name.wire.clone(): scopes })
            })
            .collect();
        op.insert("security".into(), Value::Array(security));
    }
    if let Access::Caller { scopes, .. } = &e.access {
        add_problem(
            &mut by_status,
            401,
            "No credentials, or credentials that are not valid (see `WWW-Authenticate`).",
        );
        if !scopes.is_empty() {
            add_problem(&mut by_status, 403, "The caller lacks a required scope.");
        }
    }
    let has_params = !(e.params.is_empty() && e.query.is_empty() && e.headers.is_empty());
    match &e.request {
        Some(Body::Json(_)) => add_problem(
            &mut by_status,
            400,
            "Malformed JSON, or an invalid path, query or header parameter.",
        ),
        Some(Body::Binary) => add_problem(
            &mut by_status,
            400,
            "A body that breaks off, or an invalid path, query or header parameter.",
        ),
        None if has_params => add_problem(
            &mut by_status,
            400,
            "An invalid path, query or header parameter.",
        ),
        None => {}
    }
    if e.request.is_some() {
        add_problem(
            &mut by_status,
            413,
            "The body is larger than the service accepts.",
        );
    }
    match &e.request {
        Some(Body::Json(_)) => {
            add_problem(&mut by_status, 415, "The body is not `application/json`.");
            add_problem(
                &mut by_status,
                422,
                "The body does not match the schema or breaks a constraint; `errors` lists every field.",
            );
        }
        Some(Body::Binary) => {
            add_problem(
                &mut by_status,
                415,
                "The `Content-Type` is not visible ASCII.",
            );
        }
        None => {}
    }
    by_status.sort_by_key(|(s, _)| *s);
    for (status, texts) in by_status {
        responses.insert(status.to_string(), problem_response(&texts.join(" ")));
    }
    responses.insert(
        "default".into(),
        problem_response("Any other problem: unknown route or method, a failed dependency (502/503/504), a timeout (503), an internal error (500)."),
    );
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

fn add_problem(list: &mut Vec<(u16, Vec<String>)>, status: u16, text: &str) {
    match list.iter_mut().find(|(s, _)| *s == status) {
        Some((_, texts)) => texts.push(text.to_owned()),
        None => list.push((status, vec![text.to_owned()])),
    }
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": format!("#/components/schemas/{PROBLEM}")}}},
    })
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details, with the spec's error name (`code`), every invalid field (`errors`) and the request id.",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": format!("#/components/schemas/{FIELD_ERROR}")}},
            "request_id": {"type": "string"},
        },
    })
}

fn field_error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["in", "pointer", "detail"],
        "properties": {
            "in": {"type": "string", "enum": ["body", "path", "query", "header"]},
            "pointer": {"type": "string"},
            "detail": {"type": "string"},
        },
    })
}

fn schema(system: &System, s: &Schema) -> Value {
    let mut out = match &s.kind {
        SchemaKind::Object(fields) if !s.includes.is_empty() => {
            // `allOf`: the included schemas, then an object of its own fields.
            let theirs = |f: &Field| {
                s.includes
                    .iter()
                    .any(|(name, _)| match &system.schemas[name].kind {
                        SchemaKind::Object(included) => {
                            included.iter().any(|g| g.name.wire == f.name.wire)
                        }
                        _ => false,
                    })
            };
            let own: Vec<Field> = fields.iter().filter(|f| !theirs(f)).cloned().collect();
            let mut parts: Vec<Value> = s
                .includes
                .iter()
                .map(|(name, _)| reference(system, name))
                .collect();
            parts.push(object(system, &own));
            json!({"allOf": parts})
        }
        SchemaKind::Object(fields) => object(system, fields),
        SchemaKind::Enum(values) => {
            json!({"type": "string", "enum": values.iter().map(|v| &v.wire).collect::<Vec<_>>()})
        }
        SchemaKind::Union {
            tag: None,
            variants,
        } => {
            // The first variant the value fits: `anyOf`, as more than one may fit.
            let any_of: Vec<Value> = variants
                .iter()
                .map(|v| reference(system, &v.schema))
                .collect();
            json!({"anyOf": any_of})
        }
        SchemaKind::Union {
            tag: Some(tag),
            variants,
        } => {
            let one_of: Vec<Value> = variants
                .iter()
                .map(|v| {
                    json!({"allOf": [
                        reference(system, &v.schema),
                        {"type": "object", "properties": {tag.clone(): {"const": v.name.wire}}, "required": [tag]},
                    ]})
                })
                .collect();
            json!({"oneOf": one_of})
        }
        SchemaKind::Newtype { inner, constraints } => type_schema(system, inner, constraints),
    };
    if let Some(d) = &s.doc {
        out["description"] = json!(d);
    }
    out
}

fn object(system: &System, fields: &[Field]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in fields {
        properties.insert(f.name.wire.clone(), field_schema(system, f));
        if f.required() {
            required.push(json!(f.name.wire));
        }
    }
    let mut out = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        out["required"] = Value::Array(required);
    }
    out
}

/// A field's schema: its type with constraints, default and docs.
fn field_schema(system: &System, f: &Field) -> Value {
    let mut s = type_schema(system, &f.ty, &f.constraints);
    if let Some(d) = &f.default {
        let value = match d {
            DefaultValue::String(v) => json!(v),
            DefaultValue::Bool(v) => json!(v),
            DefaultValue::Int(v) => json!(v),
            DefaultValue::Float(v) => json!(v),
            DefaultValue::EnumVariant(_, v) => json!(v.wire),
            DefaultValue::EmptyList => json!([]),
            DefaultValue::EmptyMap => json!({}),
        };
        s = with_keyword(s, "default", value);
    }
    if let Some(d) = &f.doc {
        s = with_keyword(s, "description", json!(d));
    }
    s
}

/// Adds a keyword beside a `$ref` (allowed in 3.1) or into a schema object.
fn with_keyword(mut s: Value, key: &str, value: Value) -> Value {
    s[key] = value;
    s
}

/// A `$ref` to the component of schema `name` (a key of `System::schemas`).
pub(crate) fn reference(system: &System, name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{}", system.schemas[name].name.wire)})
}

/// The JSON Schema of a type with the constraints that apply at its top level.
pub fn type_schema(system: &System, ty: &Type, c: &Constraints) -> Value {
    match ty {
        Type::Optional(inner) => nullable(type_schema(system, inner, c)),
        Type::Named(n) => reference(system, n),
        Type::List(inner) => {
            let mut s = json!({"type": "array", "items": type_schema(system, inner, &Constraints::default())});
            if let Some(v) = c.min_items {
                s["minItems"] = json!(v);
            }
            if let Some(v) = c.max_items {
                s["maxItems"] = json!(v);
            }
            s
        }
        Type::Map(inner) => {
            let mut s = json!({"type": "object", "additionalProperties": type_schema(system, inner, &Constraints::default())});
            if let Some(v) = c.min_items {
                s["minProperties"] = json!(v);
            }
            if let Some(v) = c.max_items {
                s["maxProperties"] = json!(v);
            }
            s
        }
        Type::Prim(p) => prim_schema(*p, c),
    }
}

fn prim_schema(p: Prim, c: &Constraints) -> Value {
    let mut s = match p {
        Prim::String => json!({"type": "string"}),
        Prim::Bool => json!({"type": "boolean"}),
        Prim::I8 => json!({"type": "integer", "format": "int8"}),
        Prim::I16 => json!({"type": "integer", "format": "int16"}),
        Prim::I32 => json!({"type": "integer", "format": "int32"}),
        Prim::I64 => json!({"type": "integer", "format": "int64"}),
        Prim::U8 => json!({"type": "integer", "format": "uint8"}),
        Prim::U16 => json!({"type": "integer", "format": "uint16"}),
        Prim::U32 => json!({"type": "integer", "format": "uint32"}),
        Prim::U64 => json!({"type": "integer", "format": "uint64"}),
        Prim::F32 => json!({"type": "number", "format": "float"}),
        Prim::F64 => json!({"type": "number", "format": "double"}),
        Prim::Uuid => json!({"type": "string", "format": "uuid"}),
        Prim::Bytes => json!({"type": "string", "format": "byte"}),
        Prim::Date => json!({"type": "string", "format": "date"}),
        Prim::DateTime => json!({"type": "string", "format": "date-time"}),
    };
    if let Some(v) = c.min_len {
        s["minLength"] = json!(v);
    }
    if let Some(v) = c.max_len {
        s["maxLength"] = json!(v);
    }
    if let Some(v) = &c.pattern {
        s["pattern"] = json!(v);
    }
    // Formats are annotations to JSON Schema tools; the pattern makes them a constraint.
    let format_pattern = match p {
        Prim::Date => Format::Date.pattern(),
        Prim::DateTime => Format::DateTime.pattern(),
        _ => c.format.and_then(Format::pattern),
    };
    if let Some(f) = c.format {
        s["format"] = json!(f.spec_name());
    }
    if let Some(fp) = format_pattern {
        if s.get("pattern").is_some() {
            s["allOf"] = json!([{"pattern": fp}]);
        } else {
            s["pattern"] = json!(fp);
        }
    }
    // Integer types are bounded by their width as well as by the spec.
    let (lo, hi) = p.int_range().unzip();
    let bound = |b: Option<NumberBound>, width: Option<i128>| match (b, width) {
        (Some(NumberBound::Int(i)), _) => Some(json!(i)),
        (Some(NumberBound::Float(f)), _) => Some(json!(f)),
        // Every width's bounds fit an `i64` or a `u64` (`u64::MAX`).
        (None, Some(w)) => i64::try_from(w)
            .map(|w| json!(w))
            .or_else(|_| u64::try_from(w).map(|w| json!(w)))
            .ok(),
        (None, None) => None,
    };
    if let Some(v) = bound(c.min, lo) {
        s["minimum"] = v;
    }
    if let Some(v) = bound(c.max, hi) {
        s["maximum"] = v;
    }
    if let Some(values) = &c.values {
        s["enum"] = json!(values);
    }
    s
}

/// Allows `null` too: optional values may be absent or null.
fn nullable(s: Value) -> Value {
    match s.get("type").and_then(Value::as_str) {
        Some(t) => {
            let mut s = s.clone();
            s["type"] = json!([t, "null"]);
            s
        }
        None => json!({"anyOf": [s, {"type": "null"}]}),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Format;

    #[test]
    fn the_runtime_checks_the_patterns_the_documents_publish() {
        let runtime = super::super::runtime_crate::source("validation.rs").expect("vendored");
        for (name, format) in Format::ALL {
            if let Some(p) = format.pattern() {
                assert!(
                    runtime.contains(&format!("r\"{p}\"")),
                    "validation.rs lacks the `{name}` pattern {p}"
                );
                assert!(regex::Regex::new(p).is_ok());
            }
        }
    }
}
