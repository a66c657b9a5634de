//! An AsyncAPI 3.0 document per system with events (`asyncapi.json` in the system folder),
//! from the same model as the code: a channel and a message per event (its payload schema, with
//! constraints, and the CloudEvents attributes every event carries as headers), and an
//! operation per service and event it publishes (`send`) or handles (`receive`).

use super::openapi::{reachable_schemas, reference};
use super::{EmitError, OutputFile, Ownership};
use crate::model::*;
use serde_json::{Map, Value, json};

/// The subject prefix services use unless `EVENTS_PREFIX` says otherwise.
pub const DEFAULT_PREFIX: &str = "svcgen";

/// Writes `asyncapi.json` in the system folder when the system has events.
pub fn emit(
    system: &System,
    _: &super::Settings,
    files: &mut Vec<OutputFile>,
) -> Result<(), EmitError> {
    if system.events.is_empty() {
        return Ok(());
    }
    let mut contents = serde_json::to_string_pretty(&document(system)).unwrap_or_default();
    contents.push('\n');
    files.push(OutputFile {
        path: format!("{}/asyncapi.json", system.dir()),
        contents,
        ownership: Ownership::Generated,
    });
    Ok(())
}

/// The subject an event is published on: `<prefix>.<system>.<event>`.
pub fn subject(prefix: &str, system: &System, event: &Event) -> String {
    format!("{prefix}.{}.{}", system.dir(), event.name.wire)
}

/// The AsyncAPI document of a system's events.
pub fn document(system: &System) -> Value {
    let mut channels = Map::new();
    let mut messages = Map::new();
    for event in system.events.values() {
        let id = &event.name.rust;
        let mut channel = json!({
            "address": subject(DEFAULT_PREFIX, system, event),
            "title": event.name.wire,
            "messages": {id.clone(): {"$ref": format!("#/components/messages/{id}")}},
        });
        if let Some(doc) = &event.doc {
            channel["description"] = json!(doc);
        }
        channels.insert(id.clone(), channel);
        let mut message = json!({
            "name": event.wire_type(),
            "title": format!("{} (version {})", event.name.wire, event.version),
            "contentType": "application/json",
            "headers": headers(event),
            "payload": reference(system, &event.payload),
            "correlationId": {
                "description": "The request id of the request that caused the event.",
                "location": "$message.header#/ce-requestid",
            },
        });
        if let Some(doc) = &event.doc {
            message["summary"] = json!(doc);
        }
        messages.insert(id.clone(), message);
    }
    let mut operations = Map::new();
    for service in system.services.values() {
        for (list, action, verb) in [
            (&service.publishes, "send", "publishes"),
            (&service.subscribes, "receive", "handles"),
        ] {
            for key in list {
                let event = &system.events[key];
                let id = &event.name.rust;
                operations.insert(
                    format!("{}_{verb}_{id}", service.name.rust.trim_start_matches("r#")),
                    json!({
                        "action": action,
                        "title": format!("`{}` {verb} `{}`", service.name.wire, event.name.wire),
                        "channel": {"$ref": format!("#/channels/{id}")},
                        "messages": [{"$ref": format!("#/channels/{id}/messages/{id}")}],
                    }),
                );
            }
        }
    }
    let mut description = format!(
        "The events of the `{}` system. On NATS JetStream (when `NATS_URL` is set) every \
         event is a message on the subject `<prefix>.{}.<event>` of the stream of the system \
         (prefix `{DEFAULT_PREFIX}` unless `EVENTS_PREFIX` says otherwise), its payload the \
         message body and its CloudEvents 1.0 attributes the message headers. With no broker, \
         the publisher delivers each event to each subscriber over HTTP, with the same headers \
         and body.",
        system.name.wire,
        system.dir()
    );
    if let Some(d) = &system.doc {
        description.push_str("\n\n");
        description.push_str(d);
    }
    let schemas = reachable_schemas(system, &Value::Object(messages.clone()));
    json!({
        "x-generated-by": super::header(system),
        "asyncapi": "3.0.0",
        "info": {
            "title": format!("{} events", system.name.wire),
            "version": "0.1.0",
            "description": description,
        },
        "defaultContentType": "application/json",
        "servers": {
            "nats": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "NATS with JetStream on: the address in `NATS_URL`.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    })
}

/// The CloudEvents attributes of an event, as message headers (the binary content mode of the
/// CloudEvents HTTP and NATS bindings).
fn headers(event: &Event) -> Value {
    let mut properties = json!({
        "ce-specversion": {"const": "1.0", "description": "CloudEvents version."},
        "ce-id": {"type": "string", "format": "uuid", "description": "The event's id: the same on every delivery."},
        "ce-type": {"const": event.wire_type(), "description": "The event's name and payload version."},
        "ce-source": {"type": "string", "description": "`/<system>/<service>`: the publisher."},
        "ce-time": {"type": "string", "format": "date-time", "description": "When the event was published."},
        "ce-requestid": {"type": "string", "description": "The request id of the request that caused the event."},
        "content-type": {"const": "application/json"},
    });
    let mut required = vec!["ce-specversion", "ce-id", "ce-type", "ce-source", "ce-time"];
    if let Some(key) = &event.key {
        properties["ce-subject"] = json!({
            "type": "string",
            "description": format!(
                "The payload's `{}`: events with the same value are handled in publishing order.",
                key.wire
            ),
        });
        required.push("ce-subject");
    }
    json!({"type": "object", "properties": properties, "required": required})
}
