//! Records: what a service keeps in its own database, one table per record, its columns made
//! from the fields of an object schema.

use super::names::unknown;
use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::ident;
use crate::model::*;
use crate::spec::{self, SStr};
use indexmap::IndexMap;
use std::collections::HashMap;
use toml::Spanned;

/// Resolves the records of one service; `None` when any has a problem (all are reported).
pub(super) fn resolve_records(
    diags: &mut Diagnostics,
    file: FileId,
    defs: &IndexMap<SStr, Spanned<spec::RecordDef>>,
    schemas: &IndexMap<String, Schema>,
    errors: &IndexMap<String, ErrorDef>,
) -> Option<Vec<Record>> {
    let at = |s: std::ops::Range<usize>| Loc::new(file, s);
    let before = diags.len();
    let mut records = Vec::new();
    let mut tables: HashMap<String, Loc> = HashMap::new();
    for (key, def) in defs {
        let loc = at(key.span());
        if let Err(e) = ident::check_name(key.get_ref()) {
            diags.push(
                Diagnostic::at(&loc, "record name cannot become a table name", e.0)
                    .with_note("names start with an ASCII letter and use only ASCII letters, digits, `_` and `-`"),
            );
            continue;
        }
        let name = Name {
            wire: key.get_ref().clone(),
            rust: ident::value_name(key.get_ref()),
        };
        let table = name.rust.trim_start_matches("r#").to_owned();
        if let Some(first) = tables.get(&table) {
            diags.push(
                Diagnostic::at(
                    &loc,
                    format!("two records of this service are stored in the table `{table}`"),
                    "same table",
                )
                .with_secondary(first, "first record of that table"),
            );
            continue;
        }
        tables.insert(table, loc.clone());
        let def = def.get_ref();
        if let Some(record) = resolve_record(diags, file, name, def, schemas, errors, loc) {
            records.push(record);
        }
    }
    (diags.len() == before).then_some(records)
}

fn resolve_record(
    diags: &mut Diagnostics,
    file: FileId,
    name: Name,
    def: &spec::RecordDef,
    schemas: &IndexMap<String, Schema>,
    errors: &IndexMap<String, ErrorDef>,
    loc: Loc,
) -> Option<Record> {
    let at = |s: std::ops::Range<usize>| Loc::new(file, s);
    let schema_name = def.schema.get_ref();
    let Some(schema) = schemas.get(schema_name) else {
        diags.push(unknown(
            &at(def.schema.span()),
            "schema",
            schema_name,
            " in `schema`",
            "no such schema",
            schemas.keys().map(String::as_str),
        ));
        return None;
    };
    let SchemaKind::Object(fields) = &schema.kind else {
        diags.push(
            Diagnostic::at(
                &at(def.schema.span()),
                format!("`{schema_name}` is not an object schema: a record's schema has fields"),
                "not an object",
            )
            .with_secondary(&schema.loc, "defined here"),
        );
        return None;
    };
    let columns: Vec<Column> = fields.iter().map(|f| column(f, schemas)).collect();
    let before = diags.len();
    let find = |diags: &mut Diagnostics, field: &SStr, role: &str| -> Option<usize> {
        let found = columns
            .iter()
            .position(|c| c.field.wire == *field.get_ref());
        if found.is_none() {
            diags.push(unknown(
                &at(field.span()),
                "field",
                field.get_ref(),
                &format!(" in `{role}`"),
                &format!("`{schema_name}` has no such field"),
                columns.iter().map(|c| c.field.wire.as_str()),
            ));
        }
        found
    };
    let scalar = |diags: &mut Diagnostics, i: usize, span: std::ops::Range<usize>, role: &str| {
        let c: &Column = &columns[i];
        if c.kind.is_scalar() {
            return true;
        }
        diags.push(
            Diagnostic::at(
                &at(span),
                format!(
                    "`{}` cannot be {role}: it is stored as JSON (a list, a map, an object or a `u64`)",
                    c.field.wire
                ),
                "not a single value",
            )
            .with_note("keys, unique fields and indexes are strings, numbers (a `u64` excepted), booleans, uuids, dates, enums or newtypes of those"),
        );
        false
    };

    let key = find(diags, &def.key, "key");
    if let Some(k) = key {
        let c = &columns[k];
        if !scalar(diags, k, def.key.span(), "a key") {
            // Reported.
        } else if c.nullable {
            diags.push(Diagnostic::at(
                &at(def.key.span()),
                format!(
                    "`{}` cannot be the key: it is optional, and every record needs one",
                    c.field.wire
                ),
                "optional",
            ));
        } else if matches!(
            c.kind,
            ColumnKind::Prim(p) | ColumnKind::Newtype(_, p) if p.is_float()
        ) {
            diags.push(Diagnostic::at(
                &at(def.key.span()),
                format!("`{}` cannot be the key: a floating-point number does not identify anything reliably", c.field.wire),
                "a float",
            ));
        }
    }

    let mut unique = Vec::new();
    for (field, error) in &def.unique {
        let Some(i) = find(diags, field, "unique") else {
            continue;
        };
        if !scalar(diags, i, field.span(), "unique") {
            continue;
        }
        if !errors.contains_key(error.get_ref()) {
            diags.push(unknown(
                &at(error.span()),
                "error",
                error.get_ref(),
                " for a duplicate",
                "no such error",
                errors.keys().map(String::as_str),
            ));
            continue;
        }
        unique.push((i, error.get_ref().clone()));
    }

    let mut index = Vec::new();
    for field in &def.index {
        let Some(i) = find(diags, field, "index") else {
            continue;
        };
        if !scalar(diags, i, field.span(), "indexed") {
            continue;
        }
        if Some(i) == key || unique.iter().any(|(u, _)| *u == i) {
            diags.push(Diagnostic::at(
                &at(field.span()),
                format!(
                    "`{}` is the key or unique, so it is indexed already",
                    field.get_ref()
                ),
                "already indexed",
            ));
            continue;
        }
        if index.contains(&i) {
            diags.push(Diagnostic::at(
                &at(field.span()),
                format!("`{}` is listed twice", field.get_ref()),
                "duplicate",
            ));
            continue;
        }
        index.push(i);
    }

    let mut evolve = Evolve::default();
    if let Some(e) = &def.evolve {
        let e = e.get_ref();
        for f in &e.drop {
            if columns.iter().any(|c| c.field.wire == *f.get_ref()) {
                diags.push(Diagnostic::at(
                    &at(f.span()),
                    format!("`{}` is still a field of `{schema_name}`: only a removed field's column can be dropped", f.get_ref()),
                    "still there",
                ));
            }
            evolve.drop.push(column_name(f.get_ref()));
        }
        for (new, old) in &e.rename {
            if find(diags, new, "evolve.rename").is_none() {
                continue;
            }
            evolve
                .rename
                .push((column_name(new.get_ref()), column_name(old.get_ref())));
        }
        for f in &e.add_unique {
            if let Some(i) = find(diags, f, "evolve.add_unique") {
                if !unique.iter().any(|(u, _)| *u == i) {
                    diags.push(Diagnostic::at(
                        &at(f.span()),
                        format!("`{}` is not in `unique`", f.get_ref()),
                        "not unique",
                    ));
                }
                evolve.add_unique.push(columns[i].name.clone());
            }
        }
    }

    let key = key?;
    (diags.len() == before).then(|| Record {
        name,
        doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
        schema: schema_name.clone(),
        columns,
        key,
        unique,
        index,
        evolve,
        loc,
    })
}

/// The column of a field: its name and how its value is stored.
fn column(field: &Field, schemas: &IndexMap<String, Schema>) -> Column {
    let (inner, nullable) = match &field.ty {
        Type::Optional(inner) => (&**inner, true),
        other => (other, false),
    };
    let kind = match inner {
        // Neither store has an unsigned 64-bit column; a JSON number holds every `u64`.
        Type::Prim(Prim::U64) => ColumnKind::Json,
        Type::Prim(p) => ColumnKind::Prim(*p),
        Type::Named(n) => match schemas.get(n).map(|s| &s.kind) {
            Some(SchemaKind::Newtype {
                inner: Type::Prim(p),
                ..
            }) if *p != Prim::U64 => ColumnKind::Newtype(n.clone(), *p),
            Some(SchemaKind::Enum(_)) => ColumnKind::Enum(n.clone()),
            _ => ColumnKind::Json,
        },
        _ => ColumnKind::Json,
    };
    Column {
        field: field.name.clone(),
        name: column_name(&field.name.wire),
        kind,
        nullable,
        default: field.default.clone(),
        ty: field.ty.clone(),
        boxed: field.boxed,
    }
}

/// A field's column name: its snake_case name (plain letters, digits and `_`; always quoted
/// in SQL).
pub fn column_name(field: &str) -> String {
    ident::value_name(field).trim_start_matches("r#").to_owned()
}
