//! Field-like definitions (object fields, newtypes, endpoint parameters): their type, their
//! constraints and their default.

use super::names::{NameKind, unknown};
use super::scope::{Def, Resolver};
use crate::diag::{Diagnostic, FileId, Loc};
use crate::ident;
use crate::model::*;
use crate::spec::{self, FieldDef, SStr};
use crate::typexpr::{self, TypeExpr};
use indexmap::IndexMap;
use toml::Spanned;

/// Where a field-like definition is used; decides which types it may have.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum FieldUse {
    Object,
    Newtype,
    PathParam,
    Query,
    Header,
}

impl Resolver<'_> {
    pub(super) fn unknown_type(&mut self, loc: &Loc, name: &str) {
        let known = Prim::ALL
            .iter()
            .map(|(n, _)| *n)
            .chain(self.schemas.keys().map(|s| s.as_str()));
        self.diags.push(unknown(
            loc,
            "type",
            name,
            "",
            "not a primitive or a schema of this system",
            known,
        ));
    }

    pub(super) fn resolve_field(
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
    pub(super) fn resolve_field_def(
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
                (Some(p), n) if p.is_float() && !n.as_f64().is_finite() => {
                    self.diags.push(Diagnostic::at(
                        &at(v.span()),
                        "invalid constraint: a bound must be a finite number",
                        "not finite",
                    ));
                    ok = false;
                    None
                }
                (Some(p), n) if p.is_float() => Some(NumberBound::Float(n.as_f64())),
                (Some(p), spec::Number::Int(i)) => {
                    if let Some((lo, hi)) = p.int_range()
                        && !(lo..=hi).contains(&i128::from(i))
                    {
                        self.diags.push(Diagnostic::at(
                            &at(v.span()),
                            format!(
                                "invalid constraint: the bound does not fit in `{}` ({lo} to {hi})",
                                p.spec_name()
                            ),
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
        if number == Some(Prim::F32) {
            // JSON decoders turn a number beyond `f32`'s range into an infinity: the range is a
            // bound of its own, as an integer's width is, so such a number is refused (422).
            let widest = f64::from(f32::MAX);
            // Float bounds are always `Float` (above); an absent or wider one is the range's.
            let given = |b: Option<NumberBound>, limit: f64| match b {
                Some(NumberBound::Float(f)) => f,
                _ => limit,
            };
            c.min = Some(NumberBound::Float(given(c.min, -widest).max(-widest)));
            c.max = Some(NumberBound::Float(given(c.max, widest).min(widest)));
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
        if let Some(values) = &fd.values {
            ok &= self.resolve_values(file, number, &c, values, &type_name);
            c.values = Some(values.get_ref().iter().map(|v| *v.get_ref()).collect());
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
        let query_list = usage == FieldUse::Query && matches!(base, Type::List(_));
        let list_style = match &fd.style {
            None => query_list.then_some(ListStyle::Repeated),
            Some(style) => {
                let list = matches!(base, Type::List(_));
                if usage != FieldUse::Query || !list {
                    self.diags.push(Diagnostic::at(
                        &at(style.span()),
                        format!("`style` does not apply to `{type_name}` here"),
                        "`style` applies to list query parameters (`[T]`)",
                    ));
                    ok = false;
                }
                match style.get_ref().as_str() {
                    "repeated" => Some(ListStyle::Repeated),
                    "comma" => Some(ListStyle::Comma),
                    other => {
                        self.diags.push(
                            Diagnostic::at(
                                &at(style.span()),
                                format!("unknown style `{}`", other.escape_debug()),
                                "unknown",
                            )
                            .with_note(
                                "`repeated` (`?sku=a&sku=b`, the default) or `comma` (`?sku=a,b`)",
                            ),
                        );
                        ok = false;
                        None
                    }
                }
            }
        };
        if list_style == Some(ListStyle::Repeated) && matches!(ty, Type::Optional(_)) {
            self.diags.push(
                Diagnostic::at(
                    &ty_loc,
                    "a repeated list parameter cannot be optional",
                    "remove `?`: an absent list is an empty one",
                )
                .with_note(
                    "written once per item (`?sku=a&sku=b`), an empty list is no parameter at \
                     all, so `[T]?` could not tell it from an absent one; with \
                     `style = \"comma\"` (`?sku=a,b`) it can",
                ),
            );
            ok = false;
        }
        let present = match &fd.required {
            None => false,
            Some(r) => {
                let problem = if !*r.get_ref() {
                    Some((
                        "`required = false` says nothing",
                        "a field is optional when its type ends in `?`",
                    ))
                } else if usage != FieldUse::Object {
                    Some((
                        "`required` applies to fields of schemas",
                        "parameters are required unless their type ends in `?`",
                    ))
                } else if !matches!(ty, Type::Optional(_)) {
                    Some((
                        "`required` is for a `T?` field",
                        "a field whose type has no `?` is required already",
                    ))
                } else {
                    None
                };
                if let Some((message, label)) = problem {
                    self.diags
                        .push(Diagnostic::at(&at(r.span()), message, label).with_note(
                            "`{ type = \"T?\", required = true }`: the key must be present, \
                             its value may be `null`",
                        ));
                    ok = false;
                }
                *r.get_ref()
            }
        };
        let query_map = usage == FieldUse::Query && matches!(base, Type::Map(_));
        if query_map && matches!(ty, Type::Optional(_)) {
            self.diags.push(
                Diagnostic::at(
                    &ty_loc,
                    "a map parameter cannot be optional",
                    "remove `?`: an absent map is an empty one",
                )
                .with_note(
                    "written once per entry (`?count[tea]=2`), an empty map is no parameter \
                     at all, so `{T}?` could not tell it from an absent one",
                ),
            );
            ok = false;
        }
        let default = match &fd.default {
            Some(d) => {
                let v = self.resolve_default(&at(d.span()), &ty, &c, d.get_ref());
                ok &= v.is_some();
                v
            }
            // No entries, no parameter: an absent map is an empty one.
            None if query_map => Some(DefaultValue::EmptyMap),
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
            list_style,
            present,
        })
    }

    pub(super) fn resolve_type(&mut self, loc: &Loc, text: &str) -> Option<Type> {
        match typexpr::parse(text) {
            Ok(expr) => self.type_from_expr(loc, &expr),
            Err(e) => {
                self.diags.push(
                    Diagnostic::at(loc, format!("invalid type `{}`", crate::diag::excerpt(text)), e)
                        .with_note("types are `string`, `i32`, a schema name, `[T]` (list), `{T}` (map) or `T?` (optional)"),
                );
                None
            }
        }
    }

    fn type_from_expr(&mut self, loc: &Loc, expr: &TypeExpr) -> Option<Type> {
        Some(match expr {
            TypeExpr::Name(n) => {
                match Prim::ALL.iter().find(|(s, _)| s == n) {
                    Some((_, p)) => Type::Prim(*p),
                    None if n == BINARY => {
                        self.diags.push(
                        Diagnostic::at(
                            loc,
                            "`binary` is a whole raw body, not a type of a value",
                            "only `request = \"binary\"` or `response = \"binary\"`",
                        )
                        .with_note("for bytes inside JSON or in a parameter, use `bytes` (base64 text)"),
                    );
                        return None;
                    }
                    None if self.schemas.contains_key(n) => Type::Named(n.clone()),
                    None => {
                        self.unknown_type(loc, n);
                        return None;
                    }
                }
            }
            TypeExpr::List(i) => Type::List(Box::new(self.type_from_expr(loc, i)?)),
            TypeExpr::Map(i) => Type::Map(Box::new(self.type_from_expr(loc, i)?)),
            TypeExpr::Optional(i) => Type::Optional(Box::new(self.type_from_expr(loc, i)?)),
        })
    }

    /// Whether the object schema `name` has only scalar fields (primitives, enums, newtypes,
    /// optionally `?`): what a query parameter's `name[field]=value` pairs can carry.
    fn object_of_scalars(&self, name: &str) -> bool {
        self.object_of_scalars_within(name, 0)
    }

    fn object_of_scalars_within(&self, name: &str, depth: usize) -> bool {
        let Some(def) = self.schemas.get(name).map(|d| d.def.get_ref()) else {
            return false;
        };
        // Included objects count too (a cycle of includes is reported elsewhere).
        let included = def.include.iter().flat_map(|i| i.get_ref());
        if depth > 32
            || !included
                .into_iter()
                .all(|i| self.object_of_scalars_within(i.get_ref(), depth + 1))
        {
            return false;
        }
        let Some(fields) = def.fields.as_ref() else {
            return def.include.is_some();
        };
        fields.get_ref().values().all(|f| {
            let Some(ty) = f.get_ref().ty.as_ref() else {
                return false;
            };
            let expr = match typexpr::parse(ty.get_ref()) {
                Ok(TypeExpr::Optional(inner)) => *inner,
                Ok(expr) => expr,
                Err(_) => return false,
            };
            match expr {
                TypeExpr::Name(n) => {
                    Prim::ALL.iter().any(|(p, _)| *p == n)
                        || self.schemas.get(&n).is_some_and(|d| {
                            d.def.get_ref().enum_values.is_some()
                                || d.def.get_ref().newtype.is_some()
                        })
                }
                _ => false,
            }
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
            FieldUse::Query => (
                match ty.required() {
                    Type::List(item) | Type::Map(item) => scalar(item, &self.schemas),
                    Type::Named(n)
                        if self
                            .schemas
                            .get(n)
                            .is_some_and(|d| d.def.get_ref().fields.is_some()) =>
                    {
                        self.object_of_scalars(n)
                    }
                    t => scalar(t, &self.schemas),
                },
                "a query parameter is a primitive, an enum or a newtype, a list of one \
                 (`[T]`), a map of one (`{T}`) or an object of them (as `name[key]=value`); \
                 all but a map may be `?`",
            ),
            FieldUse::Header => (
                scalar(ty.required(), &self.schemas),
                "a header parameter is a primitive, an enum or a newtype, optionally `?`",
            ),
        };
        if !fits {
            self.diags
                .push(Diagnostic::at(loc, "this type is not allowed here", what));
        }
        fits
    }

    /// A default of an `f32` field, kept as the shortest text of the `f32` it becomes, so the
    /// code, the document and a column's default all say what the field holds.
    fn f32_default(&mut self, loc: &Loc, value: f64) -> Option<DefaultValue> {
        let single = value as f32;
        if !single.is_finite() {
            self.diags.push(Diagnostic::at(
                loc,
                "the default must be a finite number that fits in `f32`",
                "out of range",
            ));
            return None;
        }
        Some(DefaultValue::Float(
            single.to_string().parse().unwrap_or(value),
        ))
    }

    /// Checks an integer field's `enum`: on an integer type, not empty, each value in the
    /// type's range and its bounds, none twice. Reports and returns false otherwise.
    fn resolve_values(
        &mut self,
        file: FileId,
        number: Option<Prim>,
        c: &Constraints,
        values: &Spanned<Vec<Spanned<i64>>>,
        type_name: &str,
    ) -> bool {
        let at = |s: std::ops::Range<usize>| Loc::new(file, s);
        let Some((lo, hi)) = number.and_then(Prim::int_range) else {
            self.diags.push(
                Diagnostic::at(
                    &at(values.span()),
                    format!("`enum` does not apply to `{type_name}`"),
                    "`enum` on a field applies to integers",
                )
                .with_note(
                    "string values are an enum schema: `[schemas.Status] enum = [\"on\", \"off\"]`",
                ),
            );
            return false;
        };
        if values.get_ref().is_empty() {
            self.diags.push(Diagnostic::at(
                &at(values.span()),
                "an `enum` needs at least one value",
                "empty",
            ));
            return false;
        }
        let bound = |b: Option<NumberBound>| match b {
            Some(NumberBound::Int(i)) => Some(i128::from(i)),
            _ => None,
        };
        let (min, max) = (bound(c.min).unwrap_or(lo), bound(c.max).unwrap_or(hi));
        let mut ok = true;
        let mut seen: Vec<&Spanned<i64>> = Vec::new();
        for v in values.get_ref() {
            let n = i128::from(*v.get_ref());
            let problem = if !(lo..=hi).contains(&n) {
                Some(format!("{n} does not fit in `{type_name}` ({lo} to {hi})"))
            } else if !(min..=max).contains(&n) {
                Some(format!(
                    "{n} is outside the field's `min`/`max` ({min} to {max}): never valid"
                ))
            } else {
                None
            };
            if let Some(message) = problem {
                self.diags.push(Diagnostic::at(
                    &at(v.span()),
                    message,
                    "not a possible value",
                ));
                ok = false;
            }
            if let Some(first) = seen.iter().find(|s| s.get_ref() == v.get_ref()) {
                self.diags.push(
                    Diagnostic::at(&at(v.span()), format!("{n} is listed twice"), "duplicate")
                        .with_secondary(&at(first.span()), "first here"),
                );
                ok = false;
            }
            seen.push(v);
        }
        ok
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
            (Type::Prim(p), V::Integer(i)) if p.int_range().is_some() => {
                if let Some((lo, hi)) = p.int_range()
                    && !(lo..=hi).contains(&i128::from(*i))
                {
                    self.diags.push(Diagnostic::at(
                        loc,
                        format!(
                            "the default does not fit in `{}` ({lo} to {hi})",
                            p.spec_name()
                        ),
                        "out of range",
                    ));
                    return None;
                }
                if c.values.as_ref().is_some_and(|values| !values.contains(i)) {
                    self.diags.push(Diagnostic::at(
                        loc,
                        "the default is not one of the field's `enum` values",
                        "invalid default",
                    ));
                    return None;
                }
                DefaultValue::Int(*i)
            }
            (Type::Prim(Prim::F64), V::Float(f)) if f.is_finite() => DefaultValue::Float(*f),
            (Type::Prim(Prim::F64), V::Integer(i)) => DefaultValue::Float(*i as f64),
            (Type::Prim(Prim::F32), V::Float(f)) => self.f32_default(loc, *f)?,
            (Type::Prim(Prim::F32), V::Integer(i)) => self.f32_default(loc, *i as f64)?,
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
}

fn bound_f64(b: NumberBound) -> f64 {
    match b {
        NumberBound::Int(i) => i as f64,
        NumberBound::Float(f) => f,
    }
}
