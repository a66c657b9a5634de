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
use std::sync::LazyLock;
use toml::Spanned;

/// How long a browser keeps a preflight's answer unless `max_age_s` says.
pub const DEFAULT_CORS_MAX_AGE_S: u64 = 600;

/// The longest `max_age_s` taken: a day (browsers keep an answer two hours at most anyway).
const MAX_CORS_MAX_AGE_S: i64 = 86_400;

/// An origin as a browser sends it: `http` or `https`, a lower-case host (a name, an IPv4
/// address or a bracketed IPv6 one) and an optional port (group 1); no path, no trailing `/`.
static ORIGIN: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$",
    )
    .expect("a valid pattern")
});

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
        cors: def
            .cors
            .as_ref()
            .map(|c| resolve_cors(diags, *file, c.get_ref())),
    };
    let spans = GatewaySpans {
        port: at(def.port.span()),
        routes: route_locs,
    };
    Some((gateway, spans))
}

/// Checks `[gateway.cors]`: origins exactly as browsers send them, each once, `*` alone, and a
/// preflight lifetime within a day. Every problem is reported; what is wrong is left out.
fn resolve_cors(diags: &mut Diagnostics, file: FileId, def: &spec::CorsDef) -> GatewayCors {
    let at = |s: std::ops::Range<usize>| Loc::new(file, s);
    let mut origins: Vec<String> = Vec::new();
    if def.origins.get_ref().is_empty() {
        diags.push(
            Diagnostic::at(
                &at(def.origins.span()),
                "`[gateway.cors]` allows no origin",
                "empty list",
            )
            .with_note("list the origins of the pages that call the gateway, or leave `[gateway.cors]` out"),
        );
    }
    for origin in def.origins.get_ref() {
        let text = origin.get_ref();
        let valid = text == "*"
            || ORIGIN.captures(text).is_some_and(|c| {
                c.get(1)
                    .is_none_or(|p| p.as_str().parse::<u16>().is_ok_and(|p| p > 0))
            });
        if !valid {
            let mut d = Diagnostic::at(
                &at(origin.span()),
                format!("`{}` is not an origin", text.escape_debug()),
                "not an origin",
            )
            .with_note("an origin is a scheme, a lower-case host and, when not the default, a port: `https://portal.example.org`, `http://localhost:5173`; no path, no trailing `/`");
            if text.to_ascii_lowercase() != *text {
                d = d.with_note(
                    "browsers send origins in lower case, and they are compared exactly",
                );
            }
            diags.push(d);
        } else if origins.contains(text) {
            diags.push(Diagnostic::at(
                &at(origin.span()),
                format!("origin `{text}` is listed twice"),
                "a second time",
            ));
        } else {
            origins.push(text.clone());
        }
    }
    if origins.len() > 1 && origins.iter().any(|o| o == "*") {
        diags.push(
            Diagnostic::at(
                &at(def.origins.span()),
                "`*` allows every origin: it stands alone",
                "`*` with other origins",
            )
            .with_note("keep `[\"*\"]`, or list the origins without `*`"),
        );
    }
    let max_age_s = match &def.max_age_s {
        None => DEFAULT_CORS_MAX_AGE_S,
        Some(m) if (0..=MAX_CORS_MAX_AGE_S).contains(m.get_ref()) => *m.get_ref() as u64,
        Some(m) => {
            diags.push(Diagnostic::at(
                &at(m.span()),
                format!("`max_age_s` is between 0 and {MAX_CORS_MAX_AGE_S} (a day)"),
                "out of range",
            ));
            DEFAULT_CORS_MAX_AGE_S
        }
    };
    GatewayCors { origins, max_age_s }
}
