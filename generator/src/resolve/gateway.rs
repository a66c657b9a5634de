//! The gateway's own table: its settings, and which services and endpoints it exposes under
//! which prefix.
//!
//! Rules between the gateway and the services (ports, names, clashing public routes) need the
//! whole resolved system and live in `check`.

use super::names::unknown;
use super::scope::Def;
use super::service::DEFAULT_TIMEOUT_MS;
use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::model::*;
use crate::spec;
use crate::srcmap::GatewaySpans;
use indexmap::IndexMap;
use toml::Spanned;

/// Resolves the first of `gateways` (reporting the others) against the services of `system`;
/// `defined` holds every service of the spec, so that one which failed to resolve is not
/// reported a second time as unknown.
///
/// A gateway with problems is still returned, with every route that could be read, so that
/// `check` reports its route clashes in the same run.
pub(super) fn resolve_gateway(
    diags: &mut Diagnostics,
    system: &System,
    defined: &IndexMap<String, Def<'_, spec::ServiceDef>>,
    gateways: &[(FileId, &Spanned<spec::GatewayDef>)],
) -> Option<(Gateway, GatewaySpans)> {
    let ((file, first), others) = gateways.split_first()?;
    for (other, dup) in others {
        diags.push(
            Diagnostic::at(
                &Loc::new(*other, dup.span()),
                "`[gateway]` is defined twice",
                "second definition",
            )
            .with_secondary(&Loc::new(*file, first.span()), "first definition"),
        );
    }
    let def = first.get_ref();
    let at = |s: std::ops::Range<usize>| Loc::new(*file, s);
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
    let mut route_locs = Vec::new();
    for (name, expose) in &def.expose {
        let Some(service) = system.services.get(name.get_ref()) else {
            if !defined.contains_key(name.get_ref()) {
                diags.push(unknown(
                    &at(name.span()),
                    "service",
                    name.get_ref(),
                    " in `[gateway.expose]`",
                    "no such service in this system",
                    defined.keys().map(|s| s.as_str()),
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
            routes.push(GatewayRoute {
                service: name.get_ref().clone(),
                endpoint: i,
                prefix: prefix.clone(),
            });
            route_locs.push(loc);
        }
    }
    let gateway = Gateway {
        doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
        port,
        timeout_ms,
        routes,
    };
    let spans = GatewaySpans {
        port: at(def.port.span()),
        routes: route_locs,
    };
    Some((gateway, spans))
}
