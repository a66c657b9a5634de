//! The gateway: which services and endpoints it exposes, and under which prefix.

use super::names::unknown;
use super::scope::Def;
use super::service::DEFAULT_TIMEOUT_MS;
use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::model::*;
use crate::spec;
use indexmap::IndexMap;

/// The gateway's routes: known services and endpoints, valid prefixes, no two public routes
/// alike, and no port or name clash with the services.
pub(super) fn resolve_gateway(
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
                diags.push(unknown(
                    &at(name.span()),
                    "service",
                    name.get_ref(),
                    " in `[gateway.expose]`",
                    "no such service in this system",
                    services.keys().map(|s| s.as_str()),
                ));
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
