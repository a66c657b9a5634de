//! Published event payloads, remembered: `events.json` in the system folder records the shape
//! of the payload of every event version svcgen generated code for. A later change to a
//! payload that a subscriber built against that version cannot read (a required field removed
//! or made optional, a field's type or constraints changed) is refused, located at the event,
//! unless the event's `version` changes: a new version is a new type on the wire, and the old
//! ones stay in the file. Adding a field, or removing an optional one, keeps the version
//! (subscribers ignore fields they do not know and do without optional ones).

use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::{OutputFile, Ownership};
use crate::model::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The file's name, in the system folder.
pub const FILE: &str = "events.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Snapshot {
    #[serde(rename = "@generated")]
    generated: String,
    events: Vec<Contract>,
}

/// The payload of one version of one event, field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Contract {
    name: String,
    version: u32,
    fields: BTreeMap<String, FieldShape>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FieldShape {
    required: bool,
    shape: Value,
}

/// Checks the events of `system` against `events.json` under `out` and returns the file as it
/// should now be (none for a system without events). Breaking changes go to `diags`.
pub fn check(
    out: &Path,
    system: &System,
    diags: &mut Diagnostics,
) -> std::io::Result<Option<OutputFile>> {
    if system.events.is_empty() {
        return Ok(None);
    }
    let rel = format!("{}/{FILE}", system.dir());
    let previous: Snapshot = match std::fs::read_to_string(out.join(&rel)) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                diags.push(
                    Diagnostic::global(format!(
                        "`{rel}` is not an event snapshot svcgen can read: {e}"
                    ))
                    .with_note("it records the payload of every published event version; restore it from version control"),
                );
                return Ok(None);
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Snapshot::default(),
        Err(e) => return Err(e),
    };
    let mut contracts = previous.events.clone();
    for event in system.events.values() {
        let now = contract(system, event);
        match previous
            .events
            .iter()
            .find(|c| c.name == now.name && c.version == now.version)
        {
            Some(before) => {
                let broken = breaks(before, &now);
                if !broken.is_empty() {
                    diags.push(
                        Diagnostic::at(
                            &event.loc,
                            format!(
                                "the payload of `{}` version {} changed in a way its subscribers cannot read: {}",
                                event.name.wire,
                                event.version,
                                broken.join("; ")
                            ),
                            "published before with another payload",
                        )
                        .with_note(format!(
                            "publish the new payload as a new version (`version = {}`), or undo the change; `{rel}` records what version {} carried",
                            event.version + 1,
                            event.version
                        )),
                    );
                }
            }
            None => contracts.push(now),
        }
    }
    contracts.sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
    let snapshot = Snapshot {
        generated: format!(
            "{} The payload of every event version this system published, kept so that a change its subscribers cannot read is refused.",
            crate::emit::header(system)
        ),
        events: contracts,
    };
    let mut text = serde_json::to_string_pretty(&snapshot).unwrap_or_default();
    text.push('\n');
    Ok(Some(OutputFile {
        path: rel,
        contents: text,
        ownership: Ownership::Generated,
    }))
}

/// What a subscriber of `before` could not read in `now`.
fn breaks(before: &Contract, now: &Contract) -> Vec<String> {
    let mut out = Vec::new();
    for (name, old) in &before.fields {
        match now.fields.get(name) {
            None if old.required => out.push(format!("required field `{name}` removed")),
            None => {}
            Some(new) => {
                if old.required && !new.required {
                    out.push(format!("field `{name}` is no longer required"));
                }
                if old.shape != new.shape {
                    out.push(format!("field `{name}` changed its type or constraints"));
                }
            }
        }
    }
    out
}

fn contract(system: &System, event: &Event) -> Contract {
    let fields = match &system.schemas[&event.payload].kind {
        SchemaKind::Object(fields) => fields
            .iter()
            .map(|f| {
                (
                    f.name.wire.clone(),
                    FieldShape {
                        required: f.required(),
                        shape: shape(system, &f.ty, &f.constraints, &mut Vec::new()),
                    },
                )
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Contract {
        name: event.name.wire.clone(),
        version: event.version,
        fields,
    }
}

/// The JSON shape of a type with its constraints, named schemas spelled out (a schema met again
/// inside itself is named instead).
fn shape(system: &System, ty: &Type, c: &Constraints, inside: &mut Vec<String>) -> Value {
    match ty {
        Type::Prim(_) => crate::emit::openapi::type_schema(system, ty, c),
        Type::Optional(inner) => json!({"optional": shape(system, inner, c, inside)}),
        Type::List(inner) => json!({
            "list": shape(system, inner, &Constraints::default(), inside),
            "min_items": c.min_items,
            "max_items": c.max_items,
        }),
        Type::Map(inner) => json!({
            "map": shape(system, inner, &Constraints::default(), inside),
            "min_items": c.min_items,
            "max_items": c.max_items,
        }),
        Type::Named(name) => {
            if inside.contains(name) {
                return json!({"schema": name});
            }
            inside.push(name.clone());
            let schema = &system.schemas[name];
            let out = match &schema.kind {
                SchemaKind::Object(fields) => {
                    let fields: serde_json::Map<String, Value> = fields
                        .iter()
                        .map(|f| {
                            (
                                f.name.wire.clone(),
                                json!({
                                    "required": f.required(),
                                    "shape": shape(system, &f.ty, &f.constraints, inside),
                                }),
                            )
                        })
                        .collect();
                    json!({"object": fields})
                }
                SchemaKind::Enum(values) => {
                    json!({"enum": values.iter().map(|v| &v.wire).collect::<Vec<_>>()})
                }
                SchemaKind::Union { tag, variants } => json!({
                    "tag": tag,
                    "one_of": variants
                        .iter()
                        .map(|v| {
                            let s = Type::Named(v.schema.clone());
                            (v.name.wire.clone(), shape(system, &s, &Constraints::default(), inside))
                        })
                        .collect::<serde_json::Map<String, Value>>(),
                }),
                SchemaKind::Newtype { inner, constraints } => {
                    shape(system, inner, constraints, inside)
                }
            };
            inside.pop();
            out
        }
    }
}
