//! Passes from model to model that decide how the emitters write what `resolve` built: which
//! references are boxed and which schemas get a validation pass.
//!
//! They report nothing, and they run on a partial model too (items that did not resolve are
//! simply absent), so they need no checkpoint of their own. Both are linear in the size of the
//! schema graph and use no recursion, so a chain of thousands of schemas costs what its size
//! does and cannot overflow the stack.

use crate::model::{Schema, SchemaKind, System, Type};
use std::collections::HashMap;

/// Runs every pass on `system`.
pub fn analyze(system: &mut System) {
    mark_recursion(system);
    mark_validation(system);
    box_record_columns(system);
}

/// A record's column of a boxed field holds a box too (its JSON decodes into one).
fn box_record_columns(system: &mut System) {
    let schemas = &system.schemas;
    for service in system.services.values_mut() {
        for record in &mut service.records {
            if let Some(SchemaKind::Object(fields)) = schemas.get(&record.schema).map(|s| &s.kind) {
                for column in &mut record.columns {
                    column.boxed = fields.iter().any(|f| f.name == column.field && f.boxed);
                }
            }
        }
    }
}

/// Boxes by-value references (fields, union variants) that close a cycle, so recursive types
/// have a finite size.
///
/// A reference from `a` to `b` closes a cycle exactly when `b` reaches `a` again, that is when
/// both lie in the same strongly connected component of the graph of by-value references.
fn mark_recursion(system: &mut System) {
    fn direct_refs(schema: &Schema) -> Vec<&str> {
        match &schema.kind {
            SchemaKind::Object(fields) => fields
                .iter()
                .filter_map(|f| match f.ty.required() {
                    Type::Named(n) => Some(n.as_str()),
                    _ => None,
                })
                .collect(),
            SchemaKind::Union { variants, .. } => {
                variants.iter().map(|v| v.schema.as_str()).collect()
            }
            _ => Vec::new(),
        }
    }
    let index: HashMap<&str, usize> = system
        .schemas
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = system
        .schemas
        .values()
        .map(|s| {
            direct_refs(s)
                .into_iter()
                .filter_map(|n| index.get(n).copied())
                .collect()
        })
        .collect();
    let component = strongly_connected(&edges);
    let same = |from: usize, to: &str| {
        index
            .get(to)
            .is_some_and(|&t| component[t] == component[from])
    };
    let boxes: Vec<Vec<bool>> = system
        .schemas
        .values()
        .enumerate()
        .map(|(i, s)| match &s.kind {
            SchemaKind::Object(fields) => fields
                .iter()
                .map(|f| matches!(f.ty.required(), Type::Named(n) if same(i, n)))
                .collect(),
            SchemaKind::Union { variants, .. } => {
                variants.iter().map(|v| same(i, &v.schema)).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    for (schema, boxes) in system.schemas.values_mut().zip(boxes) {
        match &mut schema.kind {
            SchemaKind::Object(fields) => {
                for (f, b) in fields.iter_mut().zip(boxes) {
                    if matches!(f.ty.required(), Type::Named(_)) {
                        f.boxed = b;
                    }
                }
            }
            SchemaKind::Union { variants, .. } => {
                for (v, b) in variants.iter_mut().zip(boxes) {
                    v.boxed = b;
                }
            }
            _ => {}
        }
    }
}

/// The strongly connected component of every node of a graph given by adjacency lists, as a
/// component number per node: Tarjan's algorithm with an explicit stack, in linear time.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<usize> {
    const NONE: usize = usize::MAX;
    let n = edges.len();
    let mut order = vec![NONE; n]; // discovery index
    let mut low = vec![0; n];
    let mut component = vec![NONE; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next_order = 0;
    let mut next_component = 0;
    // The call stack of the recursive formulation: a node and how many of its edges are done.
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if order[root] != NONE {
            continue;
        }
        calls.push((root, 0));
        while let Some(&mut (node, ref mut done)) = calls.last_mut() {
            if *done == 0 && order[node] == NONE {
                order[node] = next_order;
                low[node] = next_order;
                next_order += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&next) = edges[node].get(*done) {
                *done += 1;
                if order[next] == NONE {
                    calls.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(order[next]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == order[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = next_component;
                    if member == node {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

/// Works out which schemas need a validation pass: those with constraints of their own, and
/// every schema that holds one of them, however deep (a worklist over the reversed references,
/// because types may recurse).
fn mark_validation(system: &mut System) {
    fn named<'t>(ty: &'t Type, out: &mut Vec<&'t str>) {
        // Types nest no deeper than `typexpr::MAX_DEPTH`, and this loop does not recurse.
        let mut ty = ty;
        loop {
            match ty {
                Type::Prim(_) => return,
                Type::Named(n) => return out.push(n),
                Type::List(i) | Type::Map(i) | Type::Optional(i) => ty = i,
            }
        }
    }
    let index: HashMap<&str, usize> = system
        .schemas
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let n = system.schemas.len();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut needs = vec![false; n];
    for (i, schema) in system.schemas.values().enumerate() {
        let mut refs = Vec::new();
        needs[i] = schema.needs_validation
            || match &schema.kind {
                SchemaKind::Object(fields) => {
                    fields.iter().for_each(|f| named(&f.ty, &mut refs));
                    fields.iter().any(|f| !f.constraints.is_empty())
                }
                SchemaKind::Enum(_) => false,
                SchemaKind::Union { variants, .. } => {
                    refs.extend(variants.iter().map(|v| v.schema.as_str()));
                    false
                }
                SchemaKind::Newtype { constraints, .. } => !constraints.is_empty(),
            };
        for r in refs {
            if let Some(&j) = index.get(r) {
                users[j].push(i);
            }
        }
    }
    let mut work: Vec<usize> = (0..n).filter(|&i| needs[i]).collect();
    while let Some(j) = work.pop() {
        for &i in &users[j] {
            if !needs[i] {
                needs[i] = true;
                work.push(i);
            }
        }
    }
    for (schema, needs) in system.schemas.values_mut().zip(needs) {
        schema.needs_validation = needs;
    }
}

#[cfg(test)]
mod tests {
    use super::strongly_connected;

    #[test]
    fn components_of_cycles_chains_and_self_loops() {
        // 0 → 1 → 2 → 0 is a cycle, 3 → 3 a self-loop, 4 → 0 leads into the cycle.
        let c = strongly_connected(&[vec![1], vec![2], vec![0], vec![3], vec![0]]);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[3], c[0]);
        assert_ne!(c[4], c[0]);
        assert_ne!(c[4], c[3]);
    }

    #[test]
    fn a_long_chain_needs_no_deep_stack() {
        let n = 200_000;
        let edges: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        let c = strongly_connected(&edges);
        assert!(c.iter().all(|&x| x == c[0]), "one cycle through every node");
        let chain: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        let c = strongly_connected(&chain);
        let distinct: std::collections::HashSet<_> = c.iter().collect();
        assert_eq!(distinct.len(), n);
    }
}
