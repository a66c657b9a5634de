//! Resolving the AST of one system into the model, checking every rule on the way.
//!
//! Item-local rules (names, types, constraints, defaults, paths) are checked here as each item
//! is resolved; rules spanning several items (cycles, routes, ports) live in `check`.
//! Problems are collected, never returned early, so a person sees all of them at once.

use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::ident;
use crate::model::*;
use crate::spec::{self, FieldDef, SStr, SpecFile};
use crate::srcmap::{ServiceSpans, SourceMap};
use crate::typexpr::{self, TypeExpr};
use indexmap::IndexMap;
use std::collections::HashMap;
use toml::Spanned;

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;
/// Default server-side request timeout.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Default total timeout of a client call.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// Default connect timeout of a client call.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 1_000;
/// Default extra attempts of an idempotent client call.
pub const DEFAULT_RETRIES: u32 = 2;

/// A definition together with the file it came from.
struct Def<'a, T> {
    file: FileId,
    key: &'a SStr,
    def: &'a Spanned<T>,
}

impl<T> Def<'_, T> {
    fn key_loc(&self) -> Loc {
        Loc::new(self.file, self.key.span())
    }
}

struct Resolver<'a> {
    diags: &'a mut Diagnostics,
    schemas: IndexMap<String, Def<'a, spec::SchemaDef>>,
    errors: IndexMap<String, Def<'a, spec::ErrorDef>>,
}

/// Resolves one system. Returns `None` when any problem was found (all are in `diags`).
pub fn resolve(
    display: &str,
    files: &[(FileId, SpecFile)],
    diags: &mut Diagnostics,
) -> Option<System> {
    let before = diags.len();
    let mut r = Resolver {
        diags,
        schemas: IndexMap::new(),
        errors: IndexMap::new(),
    };

    // [system]: exactly once.
    let mut system_def: Option<(FileId, &Spanned<spec::SystemDef>)> = None;
    for (file, f) in files {
        if let Some(sys) = &f.system {
            match system_def {
                None => system_def = Some((*file, sys)),
                Some((first_file, first)) => r.diags.push(
                    Diagnostic::at(
                        &Loc::new(*file, sys.span()),
                        "`[system]` is defined twice",
                        "second definition",
                    )
                    .with_secondary(&Loc::new(first_file, first.span()), "first definition"),
                ),
            }
        }
    }
    let Some((sys_file, sys)) = system_def else {
        if !files.is_empty() {
            r.diags.push(
                Diagnostic::global(format!("`{display}` has no `[system]` table")).with_note(
                    "add `[system]` with a `name` (in `system.toml` for a folder of files)",
                ),
            );
        }
        return None;
    };
    let sys = sys.get_ref();
    let system_name = r.name(sys_file, &sys.name, NameKind::Value);

    // Gather definitions from every file, reporting duplicates.
    let mut services: IndexMap<String, Def<'_, spec::ServiceDef>> = IndexMap::new();
    for (file, f) in files {
        for (key, def) in &f.schemas {
            insert_unique(r.diags, &mut r.schemas, *file, key, def, "schema");
        }
        for (key, def) in &f.errors {
            insert_unique(r.diags, &mut r.errors, *file, key, def, "error");
        }
        for (key, def) in &f.services {
            insert_unique(r.diags, &mut services, *file, key, def, "service");
        }
    }

    // Schemas and errors share the type namespace of the types crate.
    let mut type_names: HashMap<String, Loc> = HashMap::new();
    let mut schemas = IndexMap::new();
    let schema_keys: Vec<String> = r.schemas.keys().cloned().collect();
    for key in &schema_keys {
        let (file, k) = {
            let d = &r.schemas[key];
            (d.file, d.key)
        };
        if let Some(name) = r.name(file, k, NameKind::Type) {
            r.unique_rust(&mut type_names, &name, Loc::new(file, k.span()), "type");
            if let Some(schema) = r.resolve_schema(key, name) {
                schemas.insert(key.clone(), schema);
            }
        }
    }
    let mut errors = IndexMap::new();
    let error_keys: Vec<String> = r.errors.keys().cloned().collect();
    for key in &error_keys {
        let (file, k, def) = {
            let d = &r.errors[key];
            (d.file, d.key, d.def)
        };
        if let Some(name) = r.name(file, k, NameKind::Type) {
            r.unique_rust(&mut type_names, &name, Loc::new(file, k.span()), "type");
            if let Some(e) = r.resolve_error(file, name, def.get_ref()) {
                errors.insert(key.clone(), e);
            }
        }
    }

    let mut service_names: HashMap<String, Loc> = HashMap::new();
    let mut resolved_services = IndexMap::new();
    for (key, d) in &services {
        if let Some(name) = r.name(d.file, d.key, NameKind::Value) {
            r.unique_rust(&mut service_names, &name, d.key_loc(), "service");
            if let Some(s) = r.resolve_service(d.file, name, d.def.get_ref(), &services) {
                resolved_services.insert(key.clone(), s);
            }
        }
    }

    // Cross-item rules run on whatever resolved, so their problems are reported together with
    // the item-local ones; the checks skip references that did not resolve.
    let mut system = System {
        name: system_name?,
        doc: sys.doc.as_ref().map(|d| d.get_ref().clone()),
        source: display.to_owned(),
        schemas,
        errors,
        services: resolved_services,
        gateway: None,
    };
    let gateways: Vec<(FileId, &Spanned<spec::GatewayDef>)> = files
        .iter()
        .filter_map(|(f, spec)| spec.gateway.as_ref().map(|g| (*f, g)))
        .collect();
    if let Some((file, g)) = gateways.first() {
        for (other, dup) in &gateways[1..] {
            r.diags.push(
                Diagnostic::at(
                    &Loc::new(*other, dup.span()),
                    "`[gateway]` is defined twice",
                    "second definition",
                )
                .with_secondary(&Loc::new(*file, g.span()), "first definition"),
            );
        }
        system.gateway = resolve_gateway(r.diags, &system, &services, *file, g.get_ref());
    }
    crate::analyze::analyze(&mut system);

    crate::check::check_system(&system, &source_map(&services), r.diags);
    (r.diags.len() == before).then_some(system)
}

fn source_map(services: &IndexMap<String, Def<'_, spec::ServiceDef>>) -> SourceMap {
    let services = services
        .iter()
        .map(|(k, d)| {
            let s = d.def.get_ref();
            (
                k.clone(),
                ServiceSpans {
                    key: d.key_loc(),
                    port: Loc::new(d.file, s.port.span()),
                    deps: s
                        .depends_on
                        .0
                        .iter()
                        .map(|(n, _)| Loc::new(d.file, n.span()))
                        .collect(),
                    paths: s
                        .endpoints
                        .values()
                        .map(|e| Loc::new(d.file, e.get_ref().path.span()))
                        .collect(),
                },
            )
        })
        .collect();
    SourceMap { services }
}

#[derive(Clone, Copy)]
enum NameKind {
    /// UpperCamelCase Rust name.
    Type,
    /// snake_case Rust name.
    Value,
}

/// Where a field-like definition is used; decides which types it may have.
#[derive(Clone, Copy, PartialEq)]
enum FieldUse {
    Object,
    Newtype,
    PathParam,
    Query,
    Header,
}

impl<'a> Resolver<'a> {
    fn name(&mut self, file: FileId, key: &SStr, kind: NameKind) -> Option<Name> {
        let wire = key.get_ref();
        match ident::check_name(wire) {
            Ok(()) => Some(Name {
                wire: wire.clone(),
                rust: match kind {
                    NameKind::Type => ident::type_name(wire),
                    NameKind::Value => ident::value_name(wire),
                },
            }),
            Err(e) => {
                self.diags.push(
                    Diagnostic::at(&Loc::new(file, key.span()), "name cannot become an identifier", e.0)
                        .with_note("names start with an ASCII letter and use only ASCII letters, digits, `_` and `-`"),
                );
                None
            }
        }
    }

    fn unique_rust(&mut self, seen: &mut HashMap<String, Loc>, name: &Name, loc: Loc, what: &str) {
        if let Some(first) = seen.get(&name.rust) {
            self.diags.push(
                Diagnostic::at(
                    &loc,
                    format!("duplicate {what} name: `{}` becomes the Rust name `{}`, which is already taken", name.wire, name.rust),
                    "clashes",
                )
                .with_secondary(first, "already used here"),
            );
        } else {
            seen.insert(name.rust.clone(), loc);
        }
    }

    fn resolve_schema(&mut self, key: &str, name: Name) -> Option<Schema> {
        let d = &self.schemas[key];
        let (file, def, span) = (d.file, d.def.get_ref(), d.key.span());
        let loc = Loc::new(file, span.clone());
        let doc = def.doc.as_ref().map(|d| d.get_ref().clone());
        let shapes = [
            def.fields.is_some(),
            def.enum_values.is_some(),
            def.one_of.is_some(),
            def.newtype.is_some(),
        ];
        if shapes.iter().filter(|s| **s).count() != 1 {
            self.diags.push(
                Diagnostic::at(&loc, format!("schema `{key}` must have exactly one of `fields`, `enum`, `one_of` or `newtype`"), "here")
                    .with_note("`fields` for an object, `enum` for string values, `one_of` for a tagged union, `newtype` to wrap a primitive"),
            );
            return None;
        }
        if def.tag.is_some() && def.one_of.is_none() {
            let t = def.tag.as_ref().map(|t| t.span()).unwrap_or(span.clone());
            self.diags.push(Diagnostic::at(
                &Loc::new(file, t),
                "`tag` only applies to `one_of` unions",
                "remove this",
            ));
        }
        let kind = if let Some(fields) = &def.fields {
            let mut out = Vec::new();
            let mut seen = HashMap::new();
            for (fkey, fdef) in fields.get_ref() {
                if let Some(f) = self.resolve_field(file, fkey, fdef, FieldUse::Object) {
                    self.unique_rust(&mut seen, &f.name, Loc::new(file, fkey.span()), "field");
                    out.push(f);
                }
            }
            SchemaKind::Object(out)
        } else if let Some(values) = &def.enum_values {
            let mut out: Vec<Name> = Vec::new();
            let mut seen = HashMap::new();
            if values.get_ref().is_empty() {
                self.diags.push(Diagnostic::at(
                    &Loc::new(file, values.span()),
                    "an enum needs at least one value",
                    "empty",
                ));
            }
            for v in values.get_ref() {
                let vloc = Loc::new(file, v.span());
                if let Some(n) = self.variant(v, &vloc) {
                    if out.iter().any(|o| o.wire == n.wire) {
                        self.diags.push(Diagnostic::at(
                            &vloc,
                            format!(
                                "enum value `{}` is listed twice",
                                v.get_ref().escape_debug()
                            ),
                            "duplicate",
                        ));
                    } else {
                        self.unique_rust(&mut seen, &n, vloc, "enum variant");
                        out.push(n);
                    }
                }
            }
            SchemaKind::Enum(out)
        } else if let Some(one_of) = &def.one_of {
            let tag = def
                .tag
                .as_ref()
                .map(|t| t.get_ref().clone())
                .unwrap_or_else(|| "type".to_owned());
            let mut variants = Vec::new();
            let mut seen = HashMap::new();
            if one_of.get_ref().is_empty() {
                self.diags.push(Diagnostic::at(
                    &Loc::new(file, one_of.span()),
                    "a union needs at least one variant",
                    "empty",
                ));
            }
            for (tag_value, target) in one_of.get_ref() {
                let vloc = Loc::new(file, tag_value.span());
                let tloc = Loc::new(file, target.span());
                let Some(n) = self.variant(tag_value, &vloc) else {
                    continue;
                };
                self.unique_rust(&mut seen, &n, vloc, "union variant");
                match self.schemas.get(target.get_ref()).map(|d| d.def.get_ref()) {
                    None => self.unknown_type(&tloc, target.get_ref()),
                    Some(t) if t.fields.is_none() => self.diags.push(
                        Diagnostic::at(&tloc, format!("union variant `{}` must be an object schema", target.get_ref()), "not an object")
                            .with_note("a tagged union carries its tag inside an object, so every variant needs `fields`"),
                    ),
                    Some(t) => {
                        if let Some(clash) = t.fields.as_ref().and_then(|f| f.get_ref().keys().find(|k| *k.get_ref() == tag)) {
                            let vfile = self.schemas[target.get_ref()].file;
                            self.diags.push(
                                Diagnostic::at(&tloc, format!("variant `{}` has a field named like the tag `{tag}`", target.get_ref()), "variant")
                                    .with_secondary(&Loc::new(vfile, clash.span()), "this field clashes with the tag"),
                            );
                        }
                        variants.push(UnionVariant { name: n, schema: target.get_ref().clone(), boxed: false });
                    }
                }
            }
            if let Some(t) = &def.tag {
                if ident::check_name(t.get_ref()).is_err() {
                    self.diags.push(Diagnostic::at(
                        &Loc::new(file, t.span()),
                        "the tag must be a valid field name",
                        "invalid",
                    ));
                }
            }
            SchemaKind::Union { tag, variants }
        } else {
            let nt = def.newtype.as_ref()?;
            let f = self.resolve_field_def(file, None, nt, FieldUse::Newtype)?;
            SchemaKind::Newtype {
                inner: f.ty,
                constraints: f.constraints,
            }
        };
        Some(Schema {
            name,
            doc,
            kind,
            needs_validation: false,
            loc,
        })
    }

    fn variant(&mut self, value: &SStr, loc: &Loc) -> Option<Name> {
        match ident::variant_name(value.get_ref()) {
            Some(rust) => Some(Name {
                wire: value.get_ref().clone(),
                rust,
            }),
            None => {
                self.diags.push(Diagnostic::at(
                    loc,
                    "name cannot become an identifier",
                    format!(
                        "`{}` holds no ASCII letter or digit to name a variant after",
                        value.get_ref().escape_debug()
                    ),
                ));
                None
            }
        }
    }

    fn unknown_type(&mut self, loc: &Loc, name: &str) {
        let known: Vec<&str> = Prim::ALL
            .iter()
            .map(|(n, _)| *n)
            .chain(self.schemas.keys().map(|s| s.as_str()))
            .collect();
        let mut d = Diagnostic::at(
            loc,
            format!("unknown type `{}`", name.escape_debug()),
            "not a primitive or a schema of this system",
        );
        if let Some(best) = closest(name, &known) {
            d = d.with_note(format!("did you mean `{best}`?"));
        }
        self.diags.push(d);
    }

    fn resolve_field(
        &mut self,
        file: FileId,
        key: &SStr,
        def: &Spanned<FieldDef>,
        usage: FieldUse,
    ) -> Option<Field> {
        let name = self.name(file, key, NameKind::Value);
        let field = self.resolve_field_def(file, Some(key), def, usage)?;
        Some(Field {
            name: name?,
            ..field
        })
    }

    /// Resolves a field-like definition; the returned name is a placeholder for newtypes.
    fn resolve_field_def(
        &mut self,
        file: FileId,
        key: Option<&SStr>,
        def: &Spanned<FieldDef>,
        usage: FieldUse,
    ) -> Option<Field> {
        let fd = def.get_ref();
        let ty_str = fd.ty.as_ref()?;
        // A bare `name = "type"` has no span of its own; the whole value is the type.
        let ty_span = if ty_str.span().is_empty() {
            def.span()
        } else {
            ty_str.span()
        };
        let ty_loc = Loc::new(file, ty_span);
        let ty = self.resolve_type(&ty_loc, ty_str.get_ref())?;
        let mut ok = self.check_use(&ty_loc, &ty, usage);
        let at = |s: std::ops::Range<usize>| Loc::new(file, s);
        let base = ty.required().clone();

        let mut c = Constraints::default();
        let is_string = base == Type::Prim(Prim::String);
        let number = match &base {
            Type::Prim(p) if p.is_number() => Some(*p),
            _ => None,
        };
        let is_collection = matches!(base, Type::List(_) | Type::Map(_));
        let type_name = ty_str.get_ref().trim().to_owned();
        let wrong = |this: &mut Self, span: std::ops::Range<usize>, key: &str, applies: &str| {
            this.diags.push(Diagnostic::at(
                &at(span),
                format!("`{key}` does not apply to `{type_name}`"),
                format!("`{key}` applies to {applies}"),
            ));
        };
        let count = |this: &mut Self, v: &Option<Spanned<i64>>| -> Option<u64> {
            let v = v.as_ref()?;
            match u64::try_from(*v.get_ref()) {
                Ok(n) => Some(n),
                Err(_) => {
                    this.diags.push(Diagnostic::at(
                        &at(v.span()),
                        "invalid constraint: a count cannot be negative",
                        "negative",
                    ));
                    None
                }
            }
        };
        for (key, v) in [("min_len", &fd.min_len), ("max_len", &fd.max_len)] {
            if let Some(v) = v {
                if !is_string {
                    wrong(self, v.span(), key, "strings");
                    ok = false;
                }
            }
        }
        c.min_len = count(self, &fd.min_len);
        c.max_len = count(self, &fd.max_len);
        for (key, v) in [("min_items", &fd.min_items), ("max_items", &fd.max_items)] {
            if let Some(v) = v {
                if !is_collection {
                    wrong(self, v.span(), key, "lists and maps");
                    ok = false;
                }
            }
        }
        c.min_items = count(self, &fd.min_items);
        c.max_items = count(self, &fd.max_items);
        for (key, v) in [("min", &fd.min), ("max", &fd.max)] {
            let Some(v) = v else { continue };
            let bound = match (number, *v.get_ref()) {
                (None, _) => {
                    wrong(self, v.span(), key, "numbers");
                    ok = false;
                    None
                }
                (Some(Prim::F64), n) if !n.as_f64().is_finite() => {
                    self.diags.push(Diagnostic::at(
                        &at(v.span()),
                        "invalid constraint: a bound must be a finite number",
                        "not finite",
                    ));
                    ok = false;
                    None
                }
                (Some(Prim::F64), n) => Some(NumberBound::Float(n.as_f64())),
                (Some(p), spec::Number::Int(i)) => {
                    if p == Prim::I32 && i32::try_from(i).is_err() {
                        self.diags.push(Diagnostic::at(
                            &at(v.span()),
                            "invalid constraint: the bound does not fit in `i32`",
                            "out of range",
                        ));
                        ok = false;
                    }
                    Some(NumberBound::Int(i))
                }
                (Some(_), spec::Number::Float(_)) => {
                    self.diags.push(Diagnostic::at(
                        &at(v.span()),
                        "invalid constraint: an integer bound must be a whole number",
                        "not an integer",
                    ));
                    ok = false;
                    None
                }
            };
            if key == "min" {
                c.min = bound;
            } else {
                c.max = bound;
            }
        }
        if let Some(p) = &fd.pattern {
            if !is_string {
                wrong(self, p.span(), "pattern", "strings");
                ok = false;
            } else if let Err(e) = regex::Regex::new(p.get_ref()) {
                let msg = e.to_string();
                let last = msg
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                self.diags.push(Diagnostic::at(
                    &at(p.span()),
                    "invalid constraint: the pattern is not a valid regular expression",
                    last,
                ));
                ok = false;
            }
            c.pattern = Some(p.get_ref().clone());
        }
        if let Some(f) = &fd.format {
            if !is_string {
                wrong(self, f.span(), "format", "strings");
                ok = false;
            }
            match Format::ALL.iter().find(|(n, _)| n == f.get_ref()) {
                Some((_, fmt)) => c.format = Some(*fmt),
                None => {
                    let names: Vec<&str> = Format::ALL.iter().map(|(n, _)| *n).collect();
                    self.diags.push(
                        Diagnostic::at(
                            &at(f.span()),
                            format!("unknown format `{}`", f.get_ref().escape_debug()),
                            "unknown",
                        )
                        .with_note(format!("known formats: {}", names.join(", "))),
                    );
                    ok = false;
                }
            }
        }
        let pairs = [
            (
                "min_len",
                "max_len",
                c.min_len.map(|v| v as f64),
                c.max_len.map(|v| v as f64),
                &fd.max_len.as_ref().map(|v| v.span()),
            ),
            (
                "min_items",
                "max_items",
                c.min_items.map(|v| v as f64),
                c.max_items.map(|v| v as f64),
                &fd.max_items.as_ref().map(|v| v.span()),
            ),
            (
                "min",
                "max",
                c.min.map(bound_f64),
                c.max.map(bound_f64),
                &fd.max.as_ref().map(|v| v.span()),
            ),
        ];
        for (lo_key, hi_key, lo, hi, span) in pairs {
            if let (Some(lo), Some(hi), Some(span)) = (lo, hi, span) {
                if lo > hi {
                    self.diags.push(Diagnostic::at(
                        &at(span.clone()),
                        format!("invalid constraint: `{lo_key}` ({lo}) is greater than `{hi_key}` ({hi})"),
                        "no value can satisfy this",
                    ));
                    ok = false;
                }
            }
        }
        let default = match &fd.default {
            Some(d) => {
                let v = self.resolve_default(&at(d.span()), &ty, &c, d.get_ref());
                ok &= v.is_some();
                v
            }
            None => None,
        };
        if !ok {
            return None;
        }
        let name = key
            .map(|k| Name {
                wire: k.get_ref().clone(),
                rust: String::new(),
            })
            .unwrap_or(Name {
                wire: String::new(),
                rust: String::new(),
            });
        Some(Field {
            name,
            doc: fd.doc.as_ref().map(|d| d.get_ref().clone()),
            ty,
            constraints: c,
            default,
            boxed: false,
        })
    }

    fn resolve_type(&mut self, loc: &Loc, text: &str) -> Option<Type> {
        match typexpr::parse(text) {
            Ok(expr) => self.type_from_expr(loc, &expr),
            Err(e) => {
                self.diags.push(
                    Diagnostic::at(loc, format!("invalid type `{}`", text.escape_debug()), e)
                        .with_note("types are `string`, `i32`, a schema name, `[T]` (list), `{T}` (map) or `T?` (optional)"),
                );
                None
            }
        }
    }

    fn type_from_expr(&mut self, loc: &Loc, expr: &TypeExpr) -> Option<Type> {
        Some(match expr {
            TypeExpr::Name(n) => match Prim::ALL.iter().find(|(s, _)| s == n) {
                Some((_, p)) => Type::Prim(*p),
                None if self.schemas.contains_key(n) => Type::Named(n.clone()),
                None => {
                    self.unknown_type(loc, n);
                    return None;
                }
            },
            TypeExpr::List(i) => Type::List(Box::new(self.type_from_expr(loc, i)?)),
            TypeExpr::Map(i) => Type::Map(Box::new(self.type_from_expr(loc, i)?)),
            TypeExpr::Optional(i) => Type::Optional(Box::new(self.type_from_expr(loc, i)?)),
        })
    }

    /// Parameters and newtypes take scalars only; reports and returns false otherwise.
    fn check_use(&mut self, loc: &Loc, ty: &Type, usage: FieldUse) -> bool {
        let scalar = |t: &Type, schemas: &IndexMap<String, Def<'_, spec::SchemaDef>>| match t {
            Type::Prim(_) => true,
            Type::Named(n) => schemas.get(n).is_some_and(|d| {
                d.def.get_ref().enum_values.is_some() || d.def.get_ref().newtype.is_some()
            }),
            _ => false,
        };
        let (fits, what) = match usage {
            FieldUse::Object => (true, ""),
            FieldUse::Newtype => (
                matches!(ty, Type::Prim(_)),
                "a newtype wraps a primitive such as `string` or `i64`",
            ),
            FieldUse::PathParam => (
                scalar(ty, &self.schemas),
                "a path parameter is a primitive, an enum or a newtype (never optional)",
            ),
            FieldUse::Query | FieldUse::Header => (
                scalar(ty.required(), &self.schemas),
                "a query or header parameter is a primitive, an enum or a newtype, optionally `?`",
            ),
        };
        if !fits {
            self.diags
                .push(Diagnostic::at(loc, "this type is not allowed here", what));
        }
        fits
    }

    fn resolve_default(
        &mut self,
        loc: &Loc,
        ty: &Type,
        c: &Constraints,
        value: &toml::Value,
    ) -> Option<DefaultValue> {
        use toml::Value as V;
        let resolved = match (ty, value) {
            (Type::Optional(_), _) => {
                self.diags.push(Diagnostic::at(
                    loc,
                    "an optional field cannot have a default",
                    "remove `?` or the default",
                ));
                return None;
            }
            (Type::Prim(Prim::String), V::String(s)) => {
                let n = s.chars().count() as u64;
                if c.min_len.is_some_and(|m| n < m) || c.max_len.is_some_and(|m| n > m) {
                    self.diags.push(Diagnostic::at(
                        loc,
                        "the default breaks the field's length constraint",
                        "invalid default",
                    ));
                    return None;
                }
                DefaultValue::String(s.clone())
            }
            (Type::Prim(Prim::Bool), V::Boolean(b)) => DefaultValue::Bool(*b),
            (Type::Prim(p @ (Prim::I32 | Prim::I64)), V::Integer(i)) => {
                if *p == Prim::I32 && i32::try_from(*i).is_err() {
                    self.diags.push(Diagnostic::at(
                        loc,
                        "the default does not fit in `i32`",
                        "out of range",
                    ));
                    return None;
                }
                DefaultValue::Int(*i)
            }
            (Type::Prim(Prim::F64), V::Float(f)) if f.is_finite() => DefaultValue::Float(*f),
            (Type::Prim(Prim::F64), V::Integer(i)) => DefaultValue::Float(*i as f64),
            (Type::List(_), V::Array(a)) if a.is_empty() => DefaultValue::EmptyList,
            (Type::Map(_), V::Table(t)) if t.is_empty() => DefaultValue::EmptyMap,
            (Type::Named(n), V::String(s))
                if self
                    .schemas
                    .get(n)
                    .is_some_and(|d| d.def.get_ref().enum_values.is_some()) =>
            {
                let values = self.schemas[n]
                    .def
                    .get_ref()
                    .enum_values
                    .as_ref()
                    .map(|v| v.get_ref())
                    .cloned()
                    .unwrap_or_default();
                if !values.iter().any(|v| v.get_ref() == s) {
                    self.diags.push(Diagnostic::at(
                        loc,
                        format!("`{}` is not a value of enum `{n}`", s.escape_debug()),
                        "unknown value",
                    ));
                    return None;
                }
                let rust = ident::variant_name(s)?;
                DefaultValue::EnumVariant(
                    n.clone(),
                    Name {
                        wire: s.clone(),
                        rust,
                    },
                )
            }
            _ => {
                self.diags.push(
                    Diagnostic::at(
                        loc,
                        "the default does not match the field's type",
                        "wrong kind of value",
                    )
                    .with_note("defaults are scalars, enum values, `[]` or `{}`"),
                );
                return None;
            }
        };
        let n = match &resolved {
            DefaultValue::Int(i) => Some(*i as f64),
            DefaultValue::Float(f) => Some(*f),
            _ => None,
        };
        if let Some(n) = n {
            if c.min.is_some_and(|m| n < bound_f64(m)) || c.max.is_some_and(|m| n > bound_f64(m)) {
                self.diags.push(Diagnostic::at(
                    loc,
                    "the default breaks the field's range constraint",
                    "invalid default",
                ));
                return None;
            }
        }
        Some(resolved)
    }

    fn resolve_error(
        &mut self,
        file: FileId,
        name: Name,
        def: &spec::ErrorDef,
    ) -> Option<ErrorDef> {
        let status = *def.status.get_ref();
        if !(400..=599).contains(&status) {
            self.diags.push(Diagnostic::at(
                &Loc::new(file, def.status.span()),
                "an error status must be 4xx or 5xx",
                format!("{status} is not an error status"),
            ));
            return None;
        }
        let title = def
            .title
            .as_ref()
            .map(|t| t.get_ref().clone())
            .unwrap_or_else(|| words(&name.wire));
        Some(ErrorDef {
            name,
            status: status as u16,
            title,
            doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
        })
    }

    fn resolve_service(
        &mut self,
        file: FileId,
        name: Name,
        def: &spec::ServiceDef,
        services: &IndexMap<String, Def<'_, spec::ServiceDef>>,
    ) -> Option<Service> {
        let at = |s: std::ops::Range<usize>| Loc::new(file, s);
        let mut ok = true;
        let port = match u16::try_from(*def.port.get_ref()) {
            Ok(p) if p > 0 => p,
            _ => {
                self.diags.push(Diagnostic::at(
                    &at(def.port.span()),
                    "invalid port",
                    "a port is between 1 and 65535",
                ));
                ok = false;
                0
            }
        };
        let positive = |this: &mut Self, v: &Option<Spanned<i64>>, default: u64| -> u64 {
            match v {
                None => default,
                Some(v) if *v.get_ref() > 0 => *v.get_ref() as u64,
                Some(v) => {
                    this.diags.push(Diagnostic::at(
                        &at(v.span()),
                        "this value must be positive",
                        "not positive",
                    ));
                    default
                }
            }
        };
        let body_limit = positive(self, &def.body_limit, DEFAULT_BODY_LIMIT);
        let request_timeout_ms =
            positive(self, &def.request_timeout_ms, DEFAULT_REQUEST_TIMEOUT_MS);

        let mut depends_on = Vec::new();
        let mut seen_deps: HashMap<&str, Loc> = HashMap::new();
        for (dep, policy) in &def.depends_on.0 {
            let loc = at(dep.span());
            if !services.contains_key(dep.get_ref()) {
                let known: Vec<&str> = services.keys().map(|s| s.as_str()).collect();
                let mut d = Diagnostic::at(
                    &loc,
                    format!(
                        "unknown service `{}` in `depends_on`",
                        dep.get_ref().escape_debug()
                    ),
                    "no such service in this system",
                );
                if let Some(best) = closest(dep.get_ref(), &known) {
                    d = d.with_note(format!("did you mean `{best}`?"));
                }
                self.diags.push(d);
                ok = false;
                continue;
            }
            if let Some(first) = seen_deps.get(dep.get_ref().as_str()) {
                self.diags.push(
                    Diagnostic::at(
                        &loc,
                        format!("`{}` is listed twice in `depends_on`", dep.get_ref()),
                        "duplicate",
                    )
                    .with_secondary(first, "first listed here"),
                );
                ok = false;
                continue;
            }
            seen_deps.insert(dep.get_ref(), loc);
            let p = policy.as_ref().map(|p| p.get_ref());
            let retries = match p.and_then(|p| p.retries.as_ref()) {
                None => DEFAULT_RETRIES,
                Some(r) if (0..=10).contains(r.get_ref()) => *r.get_ref() as u32,
                Some(r) => {
                    self.diags.push(Diagnostic::at(
                        &at(r.span()),
                        "`retries` must be between 0 and 10",
                        "out of range",
                    ));
                    ok = false;
                    0
                }
            };
            depends_on.push(Dependency {
                service: dep.get_ref().clone(),
                timeout_ms: positive(
                    self,
                    &p.and_then(|p| p.timeout_ms.clone()),
                    DEFAULT_TIMEOUT_MS,
                ),
                connect_timeout_ms: positive(
                    self,
                    &p.and_then(|p| p.connect_timeout_ms.clone()),
                    DEFAULT_CONNECT_TIMEOUT_MS,
                ),
                retries,
            });
        }

        let mut endpoints = Vec::new();
        let mut seen_names = HashMap::new();
        for (key, e) in &def.endpoints {
            let Some(ename) = self.name(file, key, NameKind::Value) else {
                ok = false;
                continue;
            };
            self.unique_rust(&mut seen_names, &ename, at(key.span()), "endpoint");
            match self.resolve_endpoint(file, ename, e.get_ref()) {
                Some(ep) => endpoints.push(ep),
                None => ok = false,
            }
        }
        ok.then(|| Service {
            name,
            doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
            port,
            body_limit,
            request_timeout_ms,
            depends_on,
            endpoints,
        })
    }

    fn resolve_endpoint(
        &mut self,
        file: FileId,
        name: Name,
        def: &spec::EndpointDef,
    ) -> Option<Endpoint> {
        let at = |s: std::ops::Range<usize>| Loc::new(file, s);
        let mut ok = true;
        let method = match Method::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(def.method.get_ref()))
        {
            Some((_, m)) => Some(*m),
            None => {
                self.diags.push(
                    Diagnostic::at(
                        &at(def.method.span()),
                        format!(
                            "unknown HTTP method `{}`",
                            def.method.get_ref().escape_debug()
                        ),
                        "unknown method",
                    )
                    .with_note("use GET, POST, PUT, PATCH or DELETE"),
                );
                None
            }
        };
        let path_loc = at(def.path.span());
        let segments = self.parse_path(&path_loc, def.path.get_ref());
        ok &= segments.is_some();

        let mut seen = HashMap::new();
        let mut fields = |this: &mut Self,
                          table: &indexmap::IndexMap<SStr, Spanned<FieldDef>>,
                          usage: FieldUse,
                          ok: &mut bool| {
            let mut out = Vec::new();
            for (k, v) in table {
                match this.resolve_field(file, k, v, usage) {
                    Some(f) => {
                        if usage == FieldUse::Query {
                            this.unique_rust(&mut seen, &f.name, at(k.span()), "parameter");
                        }
                        out.push(f)
                    }
                    None => *ok = false,
                }
            }
            out
        };
        let mut params = fields(self, &def.params, FieldUse::PathParam, &mut ok);
        let query = fields(self, &def.query, FieldUse::Query, &mut ok);
        let mut headers = fields(self, &def.headers, FieldUse::Header, &mut ok);
        // Header names are case-insensitive on the wire; they are matched in lower case.
        for h in &mut headers {
            h.name.wire = h.name.wire.to_ascii_lowercase();
        }
        // Path and header parameters become arguments beside `query` and `body`.
        let mut arg_names: HashMap<String, Loc> = HashMap::new();
        let reserved = [
            ("query", !def.query.is_empty()),
            ("body", def.request.is_some()),
        ];
        let all_resolved = params.len() == def.params.len() && headers.len() == def.headers.len();
        let keys = def
            .params
            .keys()
            .chain(def.headers.keys())
            .filter(|_| all_resolved);
        for (k, f) in keys.zip(params.iter().chain(headers.iter())) {
            let loc = at(k.span());
            if let Some((word, _)) = reserved.iter().find(|(w, used)| *used && f.name.rust == *w) {
                self.diags.push(Diagnostic::at(
                    &loc,
                    format!("parameter name `{word}` is taken by the endpoint's {word}"),
                    "rename this parameter",
                ));
                ok = false;
            }
            self.unique_rust(&mut arg_names, &f.name, loc, "parameter");
        }

        // Path parameters: every `{x}` declared, every declared one used; ordered as in the path.
        if let Some(segs) = &segments {
            let in_path: Vec<&str> = segs
                .iter()
                .filter_map(|s| {
                    if let Segment::Param(p) = s {
                        Some(p.as_str())
                    } else {
                        None
                    }
                })
                .collect();
            for p in &in_path {
                if !def.params.keys().any(|k| k.get_ref() == p) {
                    self.diags.push(
                        Diagnostic::at(
                            &path_loc,
                            format!("path parameter `{p}` is not declared"),
                            format!("`{{{p}}}` has no type"),
                        )
                        .with_note(format!(
                            "add `params.{p} = \"string\"` (or another type) to the endpoint"
                        )),
                    );
                    ok = false;
                }
            }
            for k in def.params.keys() {
                if !in_path.contains(&k.get_ref().as_str()) {
                    self.diags.push(
                        Diagnostic::at(
                            &at(k.span()),
                            format!("parameter `{}` does not appear in the path", k.get_ref()),
                            "not in the path",
                        )
                        .with_secondary(&path_loc, "the path"),
                    );
                    ok = false;
                }
            }
            params.sort_by_key(|f| in_path.iter().position(|p| *p == f.name.wire));
        }

        let body_type = |this: &mut Self, v: &Option<SStr>| -> Option<Option<Type>> {
            match v {
                None => Some(None),
                Some(t) => this.resolve_type(&at(t.span()), t.get_ref()).map(Some),
            }
        };
        let request = body_type(self, &def.request);
        let response = body_type(self, &def.response);
        let (request, response) = (request?, response?);
        if request.is_some() && method == Some(Method::Get) {
            self.diags.push(Diagnostic::at(
                &at(def.request.as_ref().map(|r| r.span()).unwrap_or(0..0)),
                "a GET endpoint cannot take a request body",
                "use query parameters instead",
            ));
            ok = false;
        }
        let status = match &def.status {
            None if response.is_some() => 200,
            None => 204,
            Some(s) => {
                let v = *s.get_ref();
                if !(200..=299).contains(&v) {
                    self.diags.push(Diagnostic::at(
                        &at(s.span()),
                        "a success status must be 2xx",
                        "errors are declared in `errors`",
                    ));
                    ok = false;
                } else if v == 204 && response.is_some() {
                    self.diags.push(Diagnostic::at(
                        &at(s.span()),
                        "a 204 response cannot have a body",
                        "drop `response` or use another status",
                    ));
                    ok = false;
                }
                v as u16
            }
        };
        let mut errors = Vec::new();
        for e in &def.errors {
            if self.errors.contains_key(e.get_ref()) {
                if errors.contains(e.get_ref()) {
                    self.diags.push(Diagnostic::at(
                        &at(e.span()),
                        format!("error `{}` is listed twice", e.get_ref()),
                        "duplicate",
                    ));
                    ok = false;
                }
                errors.push(e.get_ref().clone());
            } else {
                let known: Vec<&str> = self.errors.keys().map(|s| s.as_str()).collect();
                let mut d = Diagnostic::at(
                    &at(e.span()),
                    format!("unknown error `{}`", e.get_ref().escape_debug()),
                    "not defined in `[errors]`",
                );
                if let Some(best) = closest(e.get_ref(), &known) {
                    d = d.with_note(format!("did you mean `{best}`?"));
                }
                self.diags.push(d);
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(Endpoint {
            name,
            doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
            method: method?,
            path: def.path.get_ref().clone(),
            segments: segments?,
            params,
            query,
            headers,
            request,
            response,
            status,
            errors,
        })
    }

    fn parse_path(&mut self, loc: &Loc, path: &str) -> Option<Vec<Segment>> {
        let fail = |this: &mut Self, label: String| {
            this.diags.push(
                Diagnostic::at(loc, "invalid path", label)
                    .with_note("a path starts with `/` and holds segments of letters, digits, `-`, `.`, `_`, `~`, or `{param}`"),
            );
            None
        };
        let Some(rest) = path.strip_prefix('/') else {
            return fail(self, "a path must start with `/`".into());
        };
        if rest.is_empty() {
            return Some(Vec::new());
        }
        let mut segments = Vec::new();
        for seg in rest.split('/') {
            if seg.is_empty() {
                return fail(self, "empty segment (`//` or a trailing `/`)".into());
            }
            if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if ident::check_name(inner).is_err() {
                    return fail(
                        self,
                        format!(
                            "`{{{}}}` is not a valid parameter name",
                            inner.escape_debug()
                        ),
                    );
                }
                if segments.contains(&Segment::Param(inner.to_owned())) {
                    return fail(self, format!("parameter `{inner}` appears twice"));
                }
                segments.push(Segment::Param(inner.to_owned()));
            } else if let Some(c) = seg
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
            {
                return fail(
                    self,
                    format!("`{}` is not allowed in a path segment", c.escape_debug()),
                );
            } else {
                segments.push(Segment::Literal(seg.to_owned()));
            }
        }
        Some(segments)
    }
}

/// The gateway's routes: known services and endpoints, valid prefixes, no two public routes
/// alike, and no port or name clash with the services.
fn resolve_gateway(
    diags: &mut Diagnostics,
    system: &System,
    services: &IndexMap<String, Def<'_, spec::ServiceDef>>,
    file: FileId,
    def: &spec::GatewayDef,
) -> Option<Gateway> {
    let at = |s: std::ops::Range<usize>| Loc::new(file, s);
    let before = diags.len();
    let port = match u16::try_from(*def.port.get_ref()) {
        Ok(p) if p > 0 => p,
        _ => {
            diags.push(Diagnostic::at(
                &at(def.port.span()),
                "invalid port",
                "a port is between 1 and 65535",
            ));
            0
        }
    };
    if let Some((name, d)) = services
        .iter()
        .find(|(_, d)| *d.def.get_ref().port.get_ref() == i64::from(port))
    {
        diags.push(
            Diagnostic::at(
                &at(def.port.span()),
                format!("port {port} is used by both the gateway and `{name}`"),
                "port clash",
            )
            .with_secondary(
                &Loc::new(d.file, d.def.get_ref().port.span()),
                format!("`{name}` uses it here"),
            ),
        );
    }
    if let Some(d) = services
        .values()
        .find(|d| crate::ident::kebab_name(d.key.get_ref()) == "gateway")
    {
        diags.push(Diagnostic::at(
            &d.key_loc(),
            "a system with a `[gateway]` cannot have a service named `gateway`",
            "rename this service",
        ));
    }
    let timeout_ms = match &def.timeout_ms {
        None => DEFAULT_TIMEOUT_MS,
        Some(t) if *t.get_ref() > 0 => *t.get_ref() as u64,
        Some(t) => {
            diags.push(Diagnostic::at(
                &at(t.span()),
                "this value must be positive",
                "not positive",
            ));
            DEFAULT_TIMEOUT_MS
        }
    };
    let mut routes = Vec::new();
    let mut public: Vec<(Method, String, Loc)> = Vec::new();
    let mut public_segments: Vec<(Vec<Segment>, String, Loc)> = Vec::new();
    for (name, expose) in &def.expose {
        let Some(service) = system.services.get(name.get_ref()) else {
            if !services.contains_key(name.get_ref()) {
                let known: Vec<&str> = services.keys().map(|s| s.as_str()).collect();
                let mut d = Diagnostic::at(
                    &at(name.span()),
                    format!(
                        "unknown service `{}` in `[gateway.expose]`",
                        name.get_ref().escape_debug()
                    ),
                    "no such service in this system",
                );
                if let Some(best) = closest(name.get_ref(), &known) {
                    d = d.with_note(format!("did you mean `{best}`?"));
                }
                diags.push(d);
            }
            continue;
        };
        let e = expose.get_ref();
        let prefix = match &e.prefix {
            None => String::new(),
            Some(p) => {
                let text = p.get_ref();
                let valid = text.starts_with('/')
                    && !text.ends_with('/')
                    && text[1..].split('/').all(|seg| {
                        !seg.is_empty()
                            && seg
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
                    });
                if !valid {
                    diags.push(
                        Diagnostic::at(
                            &at(p.span()),
                            "invalid gateway prefix",
                            "a prefix is `/` and literal segments, without a trailing `/`",
                        )
                        .with_note(
                            "e.g. `prefix = \"/api\"`; parameters are not allowed in a prefix",
                        ),
                    );
                }
                text.clone()
            }
        };
        let chosen: Vec<(usize, Loc)> = match &e.endpoints {
            None => (0..service.endpoints.len())
                .map(|i| (i, at(name.span())))
                .collect(),
            Some(list) => list
                .iter()
                .filter_map(|ep| {
                    match service
                        .endpoints
                        .iter()
                        .position(|x| x.name.wire == *ep.get_ref())
                    {
                        Some(i) => Some((i, at(ep.span()))),
                        None => {
                            diags.push(Diagnostic::at(
                                &at(ep.span()),
                                format!(
                                    "`{}` has no endpoint `{}`",
                                    name.get_ref(),
                                    ep.get_ref().escape_debug()
                                ),
                                "unknown endpoint",
                            ));
                            None
                        }
                    }
                })
                .collect(),
        };
        for (i, loc) in chosen {
            let ep = &service.endpoints[i];
            let shape: String = ep
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => format!("/{l}"),
                    Segment::Param(_) => "/{}".to_owned(),
                })
                .collect();
            let external = format!("{prefix}{shape}");
            if let Some((_, _, first)) = public
                .iter()
                .find(|(m, p, _)| *m == ep.method && *p == external)
            {
                diags.push(
                    Diagnostic::at(
                        &loc,
                        format!(
                            "duplicate public route: `{} {prefix}{}` is exposed twice",
                            ep.method.as_str(),
                            ep.path
                        ),
                        "duplicate route",
                    )
                    .with_secondary(first, "first exposed here")
                    .with_note("give one of the services a different `prefix`"),
                );
                continue;
            }
            // The gateway's router, like a service's, cannot tell apart parameters that sit at
            // the same place under different names.
            let segments: Vec<Segment> = prefix
                .split('/')
                .filter(|p| !p.is_empty())
                .map(|p| Segment::Literal(p.to_owned()))
                .chain(ep.segments.iter().cloned())
                .collect();
            let shown = format!("{prefix}{}", ep.path);
            let conflict = public_segments
                .iter()
                .find_map(|(other, other_path, other_loc)| {
                    crate::check::param_name_conflict(other, &segments).map(|(a, b)| {
                        (
                            a.to_owned(),
                            b.to_owned(),
                            other_path.clone(),
                            other_loc.clone(),
                        )
                    })
                });
            if let Some((a, b, other_path, other_loc)) = conflict {
                diags.push(
                    Diagnostic::at(
                        &loc,
                        format!("public path parameter `{b}` sits where `{other_path}` has `{a}`"),
                        "conflicting route",
                    )
                    .with_secondary(&other_loc, format!("uses `{{{a}}}`"))
                    .with_note("give one of the services a different `prefix`"),
                );
                continue;
            }
            public_segments.push((segments, shown, loc.clone()));
            public.push((ep.method, external, loc));
            routes.push(GatewayRoute {
                service: name.get_ref().clone(),
                endpoint: i,
                prefix: prefix.clone(),
            });
        }
    }
    (diags.len() == before).then(|| Gateway {
        doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
        port,
        timeout_ms,
        routes,
    })
}

/// Records a definition, or reports it when its name is already defined.
fn insert_unique<'a, T>(
    diags: &mut Diagnostics,
    map: &mut IndexMap<String, Def<'a, T>>,
    file: FileId,
    key: &'a SStr,
    def: &'a Spanned<T>,
    what: &str,
) {
    let d = Def { file, key, def };
    if let Some(first) = map.get(key.get_ref()) {
        diags.push(
            Diagnostic::at(
                &d.key_loc(),
                format!("{what} `{}` is defined twice", key.get_ref()),
                "second definition",
            )
            .with_secondary(&first.key_loc(), "first definition"),
        );
    } else {
        map.insert(key.get_ref().clone(), d);
    }
}

fn bound_f64(b: NumberBound) -> f64 {
    match b {
        NumberBound::Int(i) => i as f64,
        NumberBound::Float(f) => f,
    }
}

/// `OutOfStock` -> `Out of stock`.
fn words(name: &str) -> String {
    use heck::ToSnakeCase;
    let lower = name.to_snake_case().replace('_', " ");
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The known name closest to `name`, if it is close enough to be a likely typo.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| {
            (
                strsim::levenshtein(&name.to_lowercase(), &k.to_lowercase()),
                *k,
            )
        })
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}
