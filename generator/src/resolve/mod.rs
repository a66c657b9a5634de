//! Resolving the AST of one system into the model, with the rules local to each item (names,
//! types, constraints, defaults, paths, references).
//!
//! Definitions are gathered from every file first, so items may refer to one another whatever
//! the order or file they are written in; then each kind of item is resolved by its module.
//! An item with a problem is reported and left out of the model, and resolving goes on, so a
//! person sees all problems at once. Rules that span several items (ports, cycles, routes) run
//! later, in `check`, on the model and the source map returned here.

mod auth;
mod events;
mod field;
mod gateway;
mod names;
mod schema;
mod scope;
mod service;
mod store;

pub use auth::{ALGORITHMS, check_scope};
pub use events::{MAX_EVENT_NAME_LEN, MAX_EVENT_VERSION, check_event_name};
pub use schema::MAX_FIELDS;
pub use service::{
    DEFAULT_BODY_LIMIT, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_MS,
};

use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::model::*;
use crate::spec::{self, SpecFile};
use crate::srcmap::{ServiceSpans, SourceMap};
use gateway::resolve_gateway;
use indexmap::IndexMap;
use names::{NameKind, insert_unique};
use scope::{Def, Resolver};
use std::collections::HashMap;
use toml::Spanned;

/// Resolves one system into its model and where its items were written. Problems are pushed
/// to `diags`, and the items they concern are missing from the model; `None` when there is no
/// system to go on with (no `[system]`, or a name that cannot become an identifier).
pub fn resolve(
    display: &str,
    files: &[(FileId, SpecFile)],
    diags: &mut Diagnostics,
) -> Option<(System, SourceMap)> {
    let mut r = Resolver {
        diags,
        schemas: IndexMap::new(),
        errors: IndexMap::new(),
        failed_schemes: Vec::new(),
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
    let mut event_defs: IndexMap<String, Def<'_, spec::EventDef>> = IndexMap::new();
    let mut scheme_defs: IndexMap<String, Def<'_, spec::SchemeDef>> = IndexMap::new();
    for (file, f) in files {
        for (key, def) in &f.auth {
            insert_unique(r.diags, &mut scheme_defs, *file, key, def, "auth scheme");
        }
        for (key, def) in &f.events {
            insert_unique(r.diags, &mut event_defs, *file, key, def, "event");
        }
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
    schema::include_fields(r.diags, &mut schemas);
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

    let events = events::resolve_events(r.diags, &event_defs, &schemas);
    let schemes = r.resolve_schemes(&scheme_defs, &schemas, &services);

    let mut service_names: HashMap<String, Loc> = HashMap::new();
    let mut resolved_services = IndexMap::new();
    for (key, d) in &services {
        if let Some(name) = r.name(d.file, d.key, NameKind::Value) {
            r.unique_rust(&mut service_names, &name, d.key_loc(), "service");
            let dir = crate::ident::kebab_name(&name.wire);
            if crate::ident::RESERVED_SERVICE_DIRS.contains(&dir.as_str()) {
                r.diags.push(
                    Diagnostic::at(
                        &d.key_loc(),
                        if dir == "nats" {
                            format!("a service cannot be named `{}`: the system's NATS server has that name in compose.yaml and k8s.yaml", name.wire)
                        } else {
                            format!("a service cannot be named `{}`: its folder `{dir}/` would take the place of the system's `{dir}/`", name.wire)
                        },
                        "rename this service",
                    )
                    .with_note(format!(
                        "reserved service names: {}",
                        crate::ident::RESERVED_SERVICE_DIRS.join(", ")
                    )),
                );
                continue;
            }
            let service = r.resolve_service(d.file, name, d.def.get_ref(), &services, &schemes);
            let records = store::resolve_records(
                r.diags,
                d.file,
                &d.def.get_ref().records,
                &schemas,
                &errors,
            );
            let def = d.def.get_ref();
            let publishes =
                events::resolve_uses(r.diags, d.file, &def.publishes, "publishes", &event_defs);
            let subscribes =
                events::resolve_uses(r.diags, d.file, &def.subscribes, "subscribes", &event_defs);
            if let (Some(s), Some(records), Some(publishes), Some(subscribes)) =
                (&service, &records, &publishes, &subscribes)
                && !method_names_are_free(
                    r.diags, d.file, def, s, records, publishes, subscribes, &events,
                )
            {
                continue;
            }
            if let (Some(mut s), Some(records), Some(publishes), Some(subscribes)) =
                (service, records, publishes, subscribes)
            {
                s.records = records;
                s.publishes = publishes;
                s.subscribes = subscribes;
                resolved_services.insert(key.clone(), s);
            }
        }
    }

    let mut system = System {
        name: system_name?,
        doc: sys.doc.as_ref().map(|d| d.get_ref().clone()),
        source: display.to_owned(),
        schemas,
        errors,
        services: resolved_services,
        gateway: None,
        events,
        auth: schemes,
    };
    // The gateway comes last: its routes name endpoints of the services as resolved.
    let gateways: Vec<(FileId, &Spanned<spec::GatewayDef>)> = files
        .iter()
        .filter_map(|(f, spec)| spec.gateway.as_ref().map(|g| (*f, g)))
        .collect();
    let mut map = source_map(&services);
    if let Some((gateway, spans)) = resolve_gateway(r.diags, &system, &services, &gateways) {
        system.gateway = Some(gateway);
        map.gateway = Some(spans);
    }
    Some((system, map))
}

/// Whether the methods generated for a service's events are free: `on_<event>` of the `Api`
/// trait beside the endpoints' methods, `publish_<event>` of the store beside the records'
/// accessors. A clash is a diagnostic at the event's entry in `subscribes` or `publishes`.
#[allow(clippy::too_many_arguments)]
fn method_names_are_free(
    diags: &mut Diagnostics,
    file: FileId,
    def: &spec::ServiceDef,
    service: &Service,
    records: &[Record],
    publishes: &[String],
    subscribes: &[String],
    events: &IndexMap<String, Event>,
) -> bool {
    let before = diags.len();
    let mut check = |entries: &[crate::spec::SStr],
                     names: &[String],
                     prefix: &str,
                     taken: &dyn Fn(&str) -> Option<String>| {
        for name in names {
            let (Some(event), Some(entry)) = (
                events.get(name),
                entries.iter().find(|e| e.get_ref() == name),
            ) else {
                continue;
            };
            let method = format!("{prefix}{}", event.name.rust);
            if let Some(other) = taken(&method) {
                diags.push(
                    Diagnostic::at(
                        &Loc::new(file, entry.span()),
                        format!(
                            "`{name}` would get the method `{method}`, which {other} already has"
                        ),
                        "clashes",
                    )
                    .with_note(format!("rename {other}")),
                );
            }
        }
    };
    check(&def.subscribes, subscribes, "on_", &|method| {
        service
            .endpoints
            .iter()
            .find(|e| e.name.rust == method)
            .map(|e| format!("the endpoint `{}`", e.name.wire))
    });
    check(&def.publishes, publishes, "publish_", &|method| {
        records
            .iter()
            .find(|r| r.name.rust == method)
            .map(|r| format!("the record `{}`", r.name.wire))
    });
    diags.len() == before
}

/// Spans of every service defined, whether it resolved or not: a rule looks up only services
/// that are in the model, whose dependencies and endpoints are then all there, in spec order.
fn source_map(defs: &IndexMap<String, Def<'_, spec::ServiceDef>>) -> SourceMap {
    let services = defs
        .iter()
        .map(|(k, d)| {
            let s = d.def.get_ref();
            (
                k.clone(),
                ServiceSpans {
                    key: d.key_loc(),
                    port: Loc::new(d.file, s.port.span()),
                    port_number: *s.port.get_ref(),
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
                    subscribes: s
                        .subscribes
                        .iter()
                        .map(|n| Loc::new(d.file, n.span()))
                        .collect(),
                },
            )
        })
        .collect();
    let listed = |pick: fn(&spec::ServiceDef) -> &Vec<spec::SStr>| {
        defs.values()
            .flat_map(|d| pick(d.def.get_ref()))
            .map(|n| n.get_ref().clone())
            .collect()
    };
    SourceMap {
        services,
        gateway: None,
        published: listed(|s| &s.publishes),
        handled: listed(|s| &s.subscribes),
    }
}
