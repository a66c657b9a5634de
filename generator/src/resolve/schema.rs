//! The items of the types crate: schemas (objects, enums, unions, newtypes) and errors, which
//! share its namespace.

use super::field::FieldUse;
use super::scope::Resolver;
use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::ident;
use crate::model::*;
use crate::spec;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

/// The most fields an object schema may have. rustc compiles the derives of a struct of 3 000
/// fields but crashes on 10 000; a thousand leaves a wide margin and is far more than any
/// hand-written type holds.
pub const MAX_FIELDS: usize = 1000;

impl Resolver<'_> {
    pub(super) fn resolve_schema(&mut self, key: &str, name: Name) -> Option<Schema> {
        let d = &self.schemas[key];
        let (file, def, span) = (d.file, d.def.get_ref(), d.key.span());
        let loc = Loc::new(file, span.clone());
        let doc = def.doc.as_ref().map(|d| d.get_ref().clone());
        let shapes = [
            def.fields.is_some() || def.include.is_some(),
            def.enum_values.is_some(),
            def.one_of.is_some(),
            def.newtype.is_some(),
        ];
        if shapes.iter().filter(|s| **s).count() != 1 {
            self.diags.push(
                Diagnostic::at(&loc, format!("schema `{key}` must have exactly one of `fields`, `enum`, `one_of` or `newtype`"), "here")
                    .with_note("`fields` for an object, `enum` for string values, `one_of` for a union (tagged, or `untagged = true`), `newtype` to wrap a primitive"),
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
        let untagged = match &def.untagged {
            None => false,
            Some(u) => {
                let at = Loc::new(file, u.span());
                let problem = if def.one_of.is_none() {
                    Some(("`untagged` only applies to `one_of` unions", "remove this"))
                } else if !*u.get_ref() {
                    Some((
                        "`untagged = false` says nothing",
                        "a union is tagged unless it says `untagged = true`",
                    ))
                } else if def.tag.is_some() {
                    Some(("an untagged union has no `tag`", "remove `tag` or this"))
                } else {
                    None
                };
                if let Some((message, label)) = problem {
                    self.diags.push(Diagnostic::at(&at, message, label));
                }
                *u.get_ref()
            }
        };
        let mut includes = Vec::new();
        for included in def.include.iter().flat_map(|i| i.get_ref()) {
            let at = Loc::new(file, included.span());
            match self
                .schemas
                .get(included.get_ref())
                .map(|d| d.def.get_ref())
            {
                None => self.unknown_type(&at, included.get_ref()),
                Some(d) if d.fields.is_none() && d.include.is_none() => self.diags.push(
                    Diagnostic::at(
                        &at,
                        format!("`{}` is not an object schema", included.get_ref()),
                        "not an object",
                    )
                    .with_note("`include` takes the fields of object schemas"),
                ),
                Some(_) => includes.push((included.get_ref().clone(), at)),
            }
        }
        let empty = Spanned::new(0..0, IndexMap::new());
        let kind = if def.fields.is_some() || def.include.is_some() {
            let fields = def.fields.as_ref().unwrap_or(&empty);
            if fields.get_ref().len() > MAX_FIELDS {
                self.diags.push(
                    Diagnostic::at(
                        &Loc::new(file, fields.span()),
                        format!(
                            "schema `{key}` has {} fields; an object has at most {MAX_FIELDS}",
                            fields.get_ref().len()
                        ),
                        "too many fields",
                    )
                    .with_note("split it into objects that hold one another: rustc cannot compile a struct this wide with its derives"),
                );
                return None;
            }
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
            let tag = (!untagged).then_some(tag);
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
                    // Any schema: the value is the first variant it fits.
                    Some(_) if tag.is_none() => variants.push(UnionVariant {
                        name: n,
                        schema: target.get_ref().clone(),
                        boxed: false,
                    }),
                    Some(t) if t.fields.is_none() => self.diags.push(
                        Diagnostic::at(&tloc, format!("union variant `{}` must be an object schema", target.get_ref()), "not an object")
                            .with_note("a tagged union carries its tag inside an object, so every variant needs `fields`"),
                    ),
                    Some(t) => {
                        if let Some(tag) = &tag
                            && let Some(clash) = t.fields.as_ref().and_then(|f| f.get_ref().keys().find(|k| k.get_ref() == tag))
                        {
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
            includes,
        })
    }

    pub(super) fn resolve_error(
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

/// Puts the fields of every included object schema (transitively, in order) before an
/// object's own; a field coming twice or a cycle of includes is reported.
pub(super) fn include_fields(diags: &mut Diagnostics, schemas: &mut IndexMap<String, Schema>) {
    let keys: Vec<String> = schemas.keys().cloned().collect();
    let mut done = HashSet::new();
    for key in &keys {
        include_into(diags, schemas, key, &mut done, &mut Vec::new());
    }
}

fn include_into(
    diags: &mut Diagnostics,
    schemas: &mut IndexMap<String, Schema>,
    key: &str,
    done: &mut HashSet<String>,
    path: &mut Vec<String>,
) {
    if done.contains(key) || !schemas.contains_key(key) {
        return;
    }
    if let Some(start) = path.iter().position(|k| k == key) {
        let cycle = path[start..].join("` → `");
        diags.push(Diagnostic::at(
            &schemas[key].loc,
            format!("schemas include one another: `{cycle}` → `{key}`"),
            "includes itself",
        ));
        return;
    }
    path.push(key.to_owned());
    let includes = schemas[key].includes.clone();
    let mut fields: Vec<Field> = Vec::new();
    let mut from: Vec<&str> = Vec::new();
    for (included, at) in &includes {
        include_into(diags, schemas, included, done, path);
        let Some(SchemaKind::Object(theirs)) = schemas.get(included.as_str()).map(|s| &s.kind)
        else {
            continue;
        };
        for f in theirs {
            match fields.iter().position(|g| g.name.wire == f.name.wire) {
                Some(i) => diags.push(Diagnostic::at(
                    at,
                    format!(
                        "`{}` comes twice: from `{}` and from `{included}`",
                        f.name.wire, from[i]
                    ),
                    "field included twice",
                )),
                None => {
                    fields.push(f.clone());
                    from.push(included);
                }
            }
        }
    }
    path.pop();
    done.insert(key.to_owned());
    let schema = &mut schemas[key];
    let SchemaKind::Object(own) = &mut schema.kind else {
        return;
    };
    if includes.is_empty() {
        return;
    }
    for f in own.drain(..) {
        match fields.iter().position(|g| g.name.wire == f.name.wire) {
            Some(i) => diags.push(Diagnostic::at(
                &schema.loc,
                format!(
                    "`{}` is a field of its own and of `{}`, which it includes",
                    f.name.wire, from[i]
                ),
                "field twice",
            )),
            None => fields.push(f),
        }
    }
    if fields.len() > MAX_FIELDS {
        diags.push(Diagnostic::at(
            &schema.loc,
            format!(
                "with what it includes, `{key}` has {} fields; an object has at most {MAX_FIELDS}",
                fields.len()
            ),
            "too many fields",
        ));
    }
    *own = fields;
}
