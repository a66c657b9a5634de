//! Events: what services tell each other through the bus (each kind declared once per system,
//! with an object schema as payload), and which services publish and handle each.

use super::names::unknown;
use super::scope::Def;
use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::ident;
use crate::model::*;
use crate::spec::{self, SStr};
use indexmap::IndexMap;
use std::collections::HashMap;

/// The longest event name.
pub const MAX_EVENT_NAME_LEN: usize = 100;

/// The highest payload version.
pub const MAX_EVENT_VERSION: i64 = 10_000;

/// Checks an event name: dot-separated segments, each an ASCII lowercase letter followed by
/// lowercase letters, digits, `_` or `-` (so that it is a NATS subject and a CloudEvents type
/// as it is, with no escaping anywhere).
pub fn check_event_name(name: &str) -> Result<(), String> {
    if name.len() > MAX_EVENT_NAME_LEN {
        return Err(format!(
            "an event name is at most {MAX_EVENT_NAME_LEN} characters; this one has {}",
            name.chars().count()
        ));
    }
    for segment in name.split('.') {
        let mut chars = segment.chars();
        match chars.next() {
            None => return Err("an event name has no empty part: `..`, or a `.` at an end".into()),
            Some(c) if !c.is_ascii_lowercase() => {
                return Err(format!(
                    "each dot-separated part starts with a lowercase ASCII letter; `{}` does not",
                    segment.escape_debug()
                ));
            }
            Some(_) => {}
        }
        if let Some(c) = chars.find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '-')) {
            return Err(format!(
                "`{}` is not allowed: event names use lowercase ASCII letters, digits, `_`, `-` and `.`",
                c.escape_debug()
            ));
        }
    }
    Ok(())
}

/// Resolves every event of the system; events with a problem are reported and left out.
pub(super) fn resolve_events<'a>(
    diags: &mut Diagnostics,
    defs: &IndexMap<String, Def<'a, spec::EventDef>>,
    schemas: &IndexMap<String, Schema>,
) -> IndexMap<String, Event> {
    let mut events = IndexMap::new();
    let mut rust_names: HashMap<String, Loc> = HashMap::new();
    for (key, d) in defs {
        let loc = d.key_loc();
        if let Err(why) = check_event_name(key) {
            diags.push(
                Diagnostic::at(&loc, "invalid event name", why)
                    .with_note("e.g. `order.placed`, `grant.submitted`, `user-registered`"),
            );
            continue;
        }
        let rust = ident::value_name(&key.replace(['.', '-'], "_"));
        if let Some(first) = rust_names.get(&rust) {
            diags.push(
                Diagnostic::at(
                    &loc,
                    format!("event `{key}` becomes the Rust name `{rust}`, which another event already has"),
                    "clashes",
                )
                .with_secondary(first, "already used here"),
            );
            continue;
        }
        rust_names.insert(rust.clone(), loc.clone());
        let name = Name {
            wire: key.clone(),
            rust,
        };
        if let Some(event) = resolve_event(diags, d.file, name, d.def.get_ref(), schemas, loc) {
            events.insert(key.clone(), event);
        }
    }
    events
}

fn resolve_event(
    diags: &mut Diagnostics,
    file: FileId,
    name: Name,
    def: &spec::EventDef,
    schemas: &IndexMap<String, Schema>,
    loc: Loc,
) -> Option<Event> {
    let at = |s: std::ops::Range<usize>| Loc::new(file, s);
    let before = diags.len();
    let version = match &def.version {
        None => 1,
        Some(v) if (1..=MAX_EVENT_VERSION).contains(v.get_ref()) => *v.get_ref() as u32,
        Some(v) => {
            diags.push(Diagnostic::at(
                &at(v.span()),
                format!("an event's version is 1 to {MAX_EVENT_VERSION}"),
                "out of range",
            ));
            1
        }
    };
    let payload = def.payload.get_ref();
    let fields = match schemas.get(payload) {
        None => {
            diags.push(unknown(
                &at(def.payload.span()),
                "schema",
                payload,
                " in `payload`",
                "no such schema",
                schemas.keys().map(String::as_str),
            ));
            None
        }
        Some(schema) => match &schema.kind {
            SchemaKind::Object(fields) => Some(fields),
            _ => {
                diags.push(
                    Diagnostic::at(
                        &at(def.payload.span()),
                        format!(
                            "`{payload}` is not an object schema: an event's payload has fields"
                        ),
                        "not an object",
                    )
                    .with_secondary(&schema.loc, "defined here"),
                );
                None
            }
        },
    };
    let key = match (&def.key, fields) {
        (Some(k), Some(fields)) => key_field(diags, file, k, payload, fields, schemas),
        _ => None,
    };
    (diags.len() == before).then(|| Event {
        name,
        doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
        payload: payload.clone(),
        version,
        key,
        loc,
    })
}

/// The ordering key: a field of the payload holding one required value.
fn key_field(
    diags: &mut Diagnostics,
    file: FileId,
    key: &SStr,
    payload: &str,
    fields: &[Field],
    schemas: &IndexMap<String, Schema>,
) -> Option<Name> {
    let loc = Loc::new(file, key.span());
    let Some(field) = fields.iter().find(|f| f.name.wire == *key.get_ref()) else {
        diags.push(unknown(
            &loc,
            "field",
            key.get_ref(),
            " in `key`",
            &format!("`{payload}` has no such field"),
            fields.iter().map(|f| f.name.wire.as_str()),
        ));
        return None;
    };
    let single = match &field.ty {
        Type::Prim(_) => true,
        Type::Named(s) => matches!(
            schemas.get(s).map(|s| &s.kind),
            Some(SchemaKind::Enum(_) | SchemaKind::Newtype { .. })
        ),
        _ => false,
    };
    if !single {
        diags.push(
            Diagnostic::at(
                &loc,
                format!(
                    "`{}` cannot order events: it is not one required value",
                    key.get_ref()
                ),
                "not a single value",
            )
            .with_note("an ordering key is a required string, number, uuid, enum or newtype field"),
        );
        return None;
    }
    Some(field.name.clone())
}

/// Resolves what one service publishes or handles (`what`: `publishes` or `subscribes`):
/// every name a declared event, none twice.
pub(super) fn resolve_uses(
    diags: &mut Diagnostics,
    file: FileId,
    names: &[SStr],
    what: &str,
    events: &IndexMap<String, Def<'_, spec::EventDef>>,
) -> Option<Vec<String>> {
    let before = diags.len();
    let mut seen: HashMap<&str, Loc> = HashMap::new();
    let mut out = Vec::new();
    for n in names {
        let loc = Loc::new(file, n.span());
        if !events.contains_key(n.get_ref()) {
            diags.push(
                unknown(
                    &loc,
                    "event",
                    n.get_ref(),
                    &format!(" in `{what}`"),
                    "not declared",
                    events
                        .keys()
                        .map(String::as_str)
                        .filter(|k| check_event_name(k).is_ok()),
                )
                .with_note(format!(
                    "declare it once for the system: `[events.\"{}\"]` with a `payload` schema",
                    n.get_ref().escape_debug()
                )),
            );
            continue;
        }
        if let Some(first) = seen.get(n.get_ref().as_str()) {
            diags.push(
                Diagnostic::at(
                    &loc,
                    format!("`{}` is listed twice in `{what}`", n.get_ref()),
                    "again",
                )
                .with_secondary(first, "first listed here"),
            );
            continue;
        }
        seen.insert(n.get_ref(), loc);
        out.push(n.get_ref().clone());
    }
    (diags.len() == before).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::check_event_name;

    #[test]
    fn event_names_are_subjects_and_types_as_they_are() {
        for good in [
            "order.placed",
            "grant.submitted",
            "user-registered",
            "a.b_c.d2",
        ] {
            assert!(check_event_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Order.placed",
            "order..placed",
            ".order",
            "order.",
            "order.*",
            "order placed",
            "order.>",
            "é",
            "1st.event",
        ] {
            assert!(check_event_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_event_name(&"a".repeat(101)).is_err());
    }
}
