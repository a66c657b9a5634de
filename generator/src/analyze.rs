//! Passes from model to model that decide how the emitters write what `resolve` built: which
//! references are boxed and which schemas get a validation pass.
//!
//! They report nothing, and they run on a partial model too (items that did not resolve are
//! simply absent), so they need no checkpoint of their own.

use crate::model::{Schema, SchemaKind, System, Type};
use std::collections::HashMap;

/// Runs every pass on `system`.
pub fn analyze(system: &mut System) {
    mark_recursion(system);
    mark_validation(system);
}

/// Boxes by-value references (fields, union variants) that close a cycle, so recursive types
/// have a finite size.
fn mark_recursion(system: &mut System) {
    fn direct_refs(schema: &Schema) -> Vec<&str> {
        match &schema.kind {
            SchemaKind::Object(fields) => fields
                .iter()
                .filter_map(|f| {
                    if let Type::Named(n) = f.ty.required() {
                        Some(n.as_str())
                    } else {
                        None
                    }
                })
                .collect(),
            SchemaKind::Union { variants, .. } => {
                variants.iter().map(|v| v.schema.as_str()).collect()
            }
            _ => Vec::new(),
        }
    }
    let edges: HashMap<String, Vec<String>> = system
        .schemas
        .iter()
        .map(|(k, s)| {
            (
                k.clone(),
                direct_refs(s).into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    let reaches = |from: &str, to: &str| -> bool {
        let mut stack = vec![from.to_owned()];
        let mut seen = std::collections::HashSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(edges.get(&n).into_iter().flatten().cloned());
            }
        }
        false
    };
    let keys: Vec<String> = system.schemas.keys().cloned().collect();
    for key in keys {
        let mut boxes = Vec::new();
        match &system.schemas[&key].kind {
            SchemaKind::Object(fields) => {
                for (i, f) in fields.iter().enumerate() {
                    if let Type::Named(n) = f.ty.required() {
                        boxes.push((i, reaches(n, &key)));
                    }
                }
            }
            SchemaKind::Union { variants, .. } => {
                for (i, v) in variants.iter().enumerate() {
                    boxes.push((i, reaches(&v.schema, &key)));
                }
            }
            _ => {}
        }
        if let Some(schema) = system.schemas.get_mut(&key) {
            for (i, b) in boxes {
                match &mut schema.kind {
                    SchemaKind::Object(fields) => fields[i].boxed = b,
                    SchemaKind::Union { variants, .. } => variants[i].boxed = b,
                    _ => {}
                }
            }
        }
    }
}

/// Works out which schemas need a validation pass: a fixpoint, because types may recurse.
fn mark_validation(system: &mut System) {
    fn type_needs(ty: &Type, system: &System) -> bool {
        match ty {
            Type::Prim(_) => false,
            Type::Named(n) => system.schemas.get(n).is_some_and(|s| s.needs_validation),
            Type::List(i) | Type::Map(i) | Type::Optional(i) => type_needs(i, system),
        }
    }
    loop {
        let mut changed = false;
        let keys: Vec<String> = system.schemas.keys().cloned().collect();
        for key in keys {
            let schema = &system.schemas[&key];
            if schema.needs_validation {
                continue;
            }
            let needs = match &schema.kind {
                SchemaKind::Object(fields) => fields
                    .iter()
                    .any(|f| !f.constraints.is_empty() || type_needs(&f.ty, system)),
                SchemaKind::Enum(_) => false,
                SchemaKind::Union { variants, .. } => variants.iter().any(|v| {
                    system
                        .schemas
                        .get(&v.schema)
                        .is_some_and(|s| s.needs_validation)
                }),
                SchemaKind::Newtype { constraints, .. } => !constraints.is_empty(),
            };
            if needs {
                if let Some(s) = system.schemas.get_mut(&key) {
                    s.needs_validation = true;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}
