//! Services: their settings, dependencies and endpoints, with each endpoint's parameters,
//! bodies, status, errors and path.

use super::field::FieldUse;
use super::names::{NameKind, unknown};
use super::scope::{Def, Resolver};
use crate::diag::{Diagnostic, FileId, Loc};
use crate::ident;
use crate::model::*;
use crate::spec::{self, FieldDef, SStr};
use indexmap::IndexMap;
use std::collections::HashMap;
use toml::Spanned;

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;
/// Default server-side request timeout.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Default total timeout of a client call.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// Default connect timeout of a client call.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 1_000;
/// Default extra attempts of an idempotent client call.
pub const DEFAULT_RETRIES: u32 = 2;

impl Resolver<'_> {
    pub(super) fn resolve_service(
        &mut self,
        file: FileId,
        name: Name,
        def: &spec::ServiceDef,
        services: &IndexMap<String, Def<'_, spec::ServiceDef>>,
        schemes: &IndexMap<String, AuthScheme>,
    ) -> Option<Service> {
        let at = |s: std::ops::Range<usize>| Loc::new(file, s);
        let mut ok = true;
        let port = match u16::try_from(*def.port.get_ref()) {
            Ok(p) if p > 0 => p,
            _ => {
                self.diags.push(Diagnostic::at(
                    &at(def.port.span()),
                    "invalid port",
                    "a port is between 1 and 65535",
                ));
                ok = false;
                0
            }
        };
        let positive = |this: &mut Self, v: &Option<Spanned<i64>>, default: u64| -> u64 {
            match v {
                None => default,
                Some(v) if *v.get_ref() > 0 => *v.get_ref() as u64,
                Some(v) => {
                    this.diags.push(Diagnostic::at(
                        &at(v.span()),
                        "this value must be positive",
                        "not positive",
                    ));
                    default
                }
            }
        };
        let body_limit = positive(self, &def.body_limit, DEFAULT_BODY_LIMIT);
        let request_timeout_ms =
            positive(self, &def.request_timeout_ms, DEFAULT_REQUEST_TIMEOUT_MS);

        let mut depends_on = Vec::new();
        let mut seen_deps: HashMap<&str, Loc> = HashMap::new();
        for (dep, policy) in &def.depends_on.0 {
            let loc = at(dep.span());
            if !services.contains_key(dep.get_ref()) {
                self.diags.push(unknown(
                    &loc,
                    "service",
                    dep.get_ref(),
                    " in `depends_on`",
                    "no such service in this system",
                    services.keys().map(|s| s.as_str()),
                ));
                ok = false;
                continue;
            }
            if let Some(first) = seen_deps.get(dep.get_ref().as_str()) {
                self.diags.push(
                    Diagnostic::at(
                        &loc,
                        format!("`{}` is listed twice in `depends_on`", dep.get_ref()),
                        "duplicate",
                    )
                    .with_secondary(first, "first listed here"),
                );
                ok = false;
                continue;
            }
            seen_deps.insert(dep.get_ref(), loc);
            let p = policy.as_ref().map(|p| p.get_ref());
            let retries = match p.and_then(|p| p.retries.as_ref()) {
                None => DEFAULT_RETRIES,
                Some(r) if (0..=10).contains(r.get_ref()) => *r.get_ref() as u32,
                Some(r) => {
                    self.diags.push(Diagnostic::at(
                        &at(r.span()),
                        "`retries` must be between 0 and 10",
                        "out of range",
                    ));
                    ok = false;
                    0
                }
            };
            let forward_credentials = match p.and_then(|p| p.credentials.as_ref()) {
                None => false,
                Some(c) if c.get_ref() == "forward" => {
                    if schemes.is_empty() {
                        self.diags.push(Diagnostic::at(
                            &at(c.span()),
                            "`credentials = \"forward\"` in a system without auth schemes",
                            "there is no credential to forward",
                        ));
                        ok = false;
                    }
                    true
                }
                Some(c) => {
                    self.diags.push(Diagnostic::at(
                        &at(c.span()),
                        format!(
                            "`credentials = \"{}\"` is not understood",
                            c.get_ref().escape_debug()
                        ),
                        "expected \"forward\"",
                    ));
                    ok = false;
                    false
                }
            };
            depends_on.push(Dependency {
                forward_credentials,
                service: dep.get_ref().clone(),
                timeout_ms: positive(
                    self,
                    &p.and_then(|p| p.timeout_ms.clone()),
                    DEFAULT_TIMEOUT_MS,
                ),
                connect_timeout_ms: positive(
                    self,
                    &p.and_then(|p| p.connect_timeout_ms.clone()),
                    DEFAULT_CONNECT_TIMEOUT_MS,
                ),
                retries,
            });
        }

        let service_access = super::auth::resolve_access(
            self.diags,
            file,
            def.auth.as_ref(),
            &super::auth::system_default(schemes),
            schemes,
            &self.failed_schemes,
        );
        ok &= service_access.is_some();
        let service_access = service_access.unwrap_or_default();
        let mut endpoints = Vec::new();
        let mut seen_names = HashMap::new();
        for (key, e) in &def.endpoints {
            let Some(ename) = self.name(file, key, NameKind::Value) else {
                ok = false;
                continue;
            };
            self.unique_rust(&mut seen_names, &ename, at(key.span()), "endpoint");
            if ident::CLIENT_METHODS.contains(&ename.rust.as_str()) {
                self.diags.push(
                    Diagnostic::at(
                        &at(key.span()),
                        format!(
                            "endpoint name `{}` is taken: the service's client already has a method `{}`",
                            ename.wire, ename.rust
                        ),
                        "rename this endpoint",
                    )
                    .with_note(format!(
                        "names the client keeps for itself: {}",
                        ident::CLIENT_METHODS.join(", ")
                    )),
                );
                ok = false;
                continue;
            }
            let access = super::auth::resolve_access(
                self.diags,
                file,
                e.get_ref().auth.as_ref(),
                &service_access,
                schemes,
                &self.failed_schemes,
            );
            match (self.resolve_endpoint(file, ename, e.get_ref()), access) {
                (Some(mut ep), Some(access)) => {
                    ep.access = access;
                    endpoints.push(ep);
                }
                _ => ok = false,
            }
        }
        ok.then(|| Service {
            name,
            doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
            port,
            body_limit,
            request_timeout_ms,
            depends_on,
            endpoints,
            records: Vec::new(),
            migrations: Vec::new(),
            publishes: Vec::new(),
            subscribes: Vec::new(),
        })
    }

    fn resolve_endpoint(
        &mut self,
        file: FileId,
        name: Name,
        def: &spec::EndpointDef,
    ) -> Option<Endpoint> {
        let at = |s: std::ops::Range<usize>| Loc::new(file, s);
        let mut ok = true;
        let method = match Method::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(def.method.get_ref()))
        {
            Some((_, m)) => Some(*m),
            None => {
                self.diags.push(
                    Diagnostic::at(
                        &at(def.method.span()),
                        format!(
                            "unknown HTTP method `{}`",
                            def.method.get_ref().escape_debug()
                        ),
                        "unknown method",
                    )
                    .with_note("use GET, POST, PUT, PATCH or DELETE"),
                );
                None
            }
        };
        let path_loc = at(def.path.span());
        let segments = self.parse_path(&path_loc, def.path.get_ref());
        ok &= segments.is_some();
        if RESERVED_PATHS.contains(&def.path.get_ref().as_str()) {
            self.diags.push(
                Diagnostic::at(
                    &path_loc,
                    format!("`{}` is served by every service itself", def.path.get_ref()),
                    "reserved path",
                )
                .with_note(format!("reserved paths: {}", RESERVED_PATHS.join(", "))),
            );
            ok = false;
        }
        let path = def.path.get_ref();
        if path == RESERVED_PREFIX || path.starts_with(&format!("{RESERVED_PREFIX}/")) {
            self.diags.push(
                Diagnostic::at(
                    &path_loc,
                    format!("paths under `{RESERVED_PREFIX}/` are the runtime's own"),
                    "reserved path",
                )
                .with_note(
                    "the runtime serves its internal routes there (event delivery, dead letters)",
                ),
            );
            ok = false;
        }

        let mut seen = HashMap::new();
        let mut fields = |this: &mut Self,
                          table: &indexmap::IndexMap<SStr, Spanned<FieldDef>>,
                          usage: FieldUse,
                          ok: &mut bool| {
            let mut out = Vec::new();
            for (k, v) in table {
                match this.resolve_field(file, k, v, usage) {
                    Some(f) => {
                        if usage == FieldUse::Query {
                            this.unique_rust(&mut seen, &f.name, at(k.span()), "parameter");
                        }
                        out.push(f)
                    }
                    None => *ok = false,
                }
            }
            out
        };
        let mut params = fields(self, &def.params, FieldUse::PathParam, &mut ok);
        let query = fields(self, &def.query, FieldUse::Query, &mut ok);
        let mut headers = fields(self, &def.headers, FieldUse::Header, &mut ok);
        // Header names are case-insensitive on the wire; they are matched in lower case.
        for h in &mut headers {
            h.name.wire = h.name.wire.to_ascii_lowercase();
        }
        // Path and header parameters become arguments beside `query` and `body`.
        let mut arg_names: HashMap<String, Loc> = HashMap::new();
        let reserved = [
            ("query", !def.query.is_empty()),
            ("body", def.request.is_some()),
        ];
        let all_resolved = params.len() == def.params.len() && headers.len() == def.headers.len();
        let keys = def
            .params
            .keys()
            .chain(def.headers.keys())
            .filter(|_| all_resolved);
        for (k, f) in keys.zip(params.iter().chain(headers.iter())) {
            let loc = at(k.span());
            if let Some((word, _)) = reserved.iter().find(|(w, used)| *used && f.name.rust == *w) {
                self.diags.push(Diagnostic::at(
                    &loc,
                    format!("parameter name `{word}` is taken by the endpoint's {word}"),
                    "rename this parameter",
                ));
                ok = false;
            }
            self.unique_rust(&mut arg_names, &f.name, loc, "parameter");
        }

        // Path parameters: every `{x}` declared, every declared one used; ordered as in the path.
        if let Some(segs) = &segments {
            let in_path: Vec<&str> = segs
                .iter()
                .filter_map(|s| {
                    if let Segment::Param(p) = s {
                        Some(p.as_str())
                    } else {
                        None
                    }
                })
                .collect();
            for p in &in_path {
                if !def.params.keys().any(|k| k.get_ref() == p) {
                    self.diags.push(
                        Diagnostic::at(
                            &path_loc,
                            format!("path parameter `{p}` is not declared"),
                            format!("`{{{p}}}` has no type"),
                        )
                        .with_note(format!(
                            "add `params.{p} = \"string\"` (or another type) to the endpoint"
                        )),
                    );
                    ok = false;
                }
            }
            for k in def.params.keys() {
                if !in_path.contains(&k.get_ref().as_str()) {
                    self.diags.push(
                        Diagnostic::at(
                            &at(k.span()),
                            format!("parameter `{}` does not appear in the path", k.get_ref()),
                            "not in the path",
                        )
                        .with_secondary(&path_loc, "the path"),
                    );
                    ok = false;
                }
            }
            params.sort_by_key(|f| in_path.iter().position(|p| *p == f.name.wire));
        }

        let body_type = |this: &mut Self, v: &Option<SStr>| -> Option<Option<Body>> {
            match v {
                None => Some(None),
                Some(t) if t.get_ref().trim() == BINARY => Some(Some(Body::Binary)),
                Some(t) => this
                    .resolve_type(&at(t.span()), t.get_ref())
                    .map(|t| Some(Body::Json(t))),
            }
        };
        let request = body_type(self, &def.request);
        let response = body_type(self, &def.response);
        let (request, response) = (request?, response?);
        if request.is_some() && method == Some(Method::Get) {
            self.diags.push(Diagnostic::at(
                &at(def.request.as_ref().map(|r| r.span()).unwrap_or(0..0)),
                "a GET endpoint cannot take a request body",
                "use query parameters instead",
            ));
            ok = false;
        }
        let status = match &def.status {
            None if response.is_some() => 200,
            None => 204,
            Some(s) => {
                let v = *s.get_ref();
                if !(200..=299).contains(&v) {
                    self.diags.push(Diagnostic::at(
                        &at(s.span()),
                        "a success status must be 2xx",
                        "errors are declared in `errors`",
                    ));
                    ok = false;
                } else if (v == 204 || v == 205) && response.is_some() {
                    self.diags.push(Diagnostic::at(
                        &at(s.span()),
                        format!("a {v} response cannot have a body"),
                        "drop `response` or use another status",
                    ));
                    ok = false;
                }
                v as u16
            }
        };
        let mut errors = Vec::new();
        for e in &def.errors {
            if self.errors.contains_key(e.get_ref()) {
                if errors.contains(e.get_ref()) {
                    self.diags.push(Diagnostic::at(
                        &at(e.span()),
                        format!("error `{}` is listed twice", e.get_ref()),
                        "duplicate",
                    ));
                    ok = false;
                }
                errors.push(e.get_ref().clone());
            } else {
                self.diags.push(unknown(
                    &at(e.span()),
                    "error",
                    e.get_ref(),
                    "",
                    "not defined in `[errors]`",
                    self.errors.keys().map(|s| s.as_str()),
                ));
                ok = false;
            }
        }
        let mut pass_through: Vec<(String, Loc)> = Vec::new();
        for e in &def.pass_through {
            let loc = at(e.span());
            if !errors.contains(e.get_ref()) {
                self.diags.push(
                    Diagnostic::at(
                        &loc,
                        format!("`{}` is passed through, but not listed in `errors`", e.get_ref()),
                        "not an error of this endpoint",
                    )
                    .with_note("an endpoint passes through only errors it answers with: add it to `errors`"),
                );
                ok = false;
            } else if let Some((_, first)) = pass_through.iter().find(|(n, _)| n == e.get_ref()) {
                self.diags.push(
                    Diagnostic::at(
                        &loc,
                        format!("`{}` is listed twice in `pass_through`", e.get_ref()),
                        "again",
                    )
                    .with_secondary(first, "first listed here"),
                );
                ok = false;
            } else {
                pass_through.push((e.get_ref().clone(), loc));
            }
        }
        if !ok {
            return None;
        }
        Some(Endpoint {
            name,
            doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
            method: method?,
            path: def.path.get_ref().clone(),
            segments: segments?,
            params,
            query,
            headers,
            request,
            response,
            status,
            errors,
            pass_through,
            access: Access::Public,
        })
    }

    fn parse_path(&mut self, loc: &Loc, path: &str) -> Option<Vec<Segment>> {
        let fail = |this: &mut Self, label: String| {
            this.diags.push(
                Diagnostic::at(loc, "invalid path", label)
                    .with_note("a path starts with `/` and holds segments of letters, digits, `-`, `.`, `_`, `~`, or `{param}`"),
            );
            None
        };
        let Some(rest) = path.strip_prefix('/') else {
            return fail(self, "a path must start with `/`".into());
        };
        if rest.is_empty() {
            return Some(Vec::new());
        }
        let mut segments = Vec::new();
        for seg in rest.split('/') {
            if seg.is_empty() {
                return fail(self, "empty segment (`//` or a trailing `/`)".into());
            }
            if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if ident::check_name(inner).is_err() {
                    return fail(
                        self,
                        format!(
                            "`{{{}}}` is not a valid parameter name",
                            inner.escape_debug()
                        ),
                    );
                }
                if segments.contains(&Segment::Param(inner.to_owned())) {
                    return fail(self, format!("parameter `{inner}` appears twice"));
                }
                segments.push(Segment::Param(inner.to_owned()));
            } else if let Some(c) = seg
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
            {
                return fail(
                    self,
                    format!("`{}` is not allowed in a path segment", c.escape_debug()),
                );
            } else {
                segments.push(Segment::Literal(seg.to_owned()));
            }
        }
        Some(segments)
    }
}
