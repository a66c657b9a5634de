//! Auth: the system's schemes (`[auth.<scheme>]`) and who may call each endpoint (`auth` of a
//! service or endpoint).
//!
//! Secure by default: in a system with any scheme, an endpoint that says nothing needs a caller
//! proven by one of the schemes; only `auth = "public"` opens it.

use super::names::{NameKind, unknown};
use super::scope::{Def, Resolver};
use crate::diag::{Diagnostic, FileId, Loc};
use crate::model::*;
use crate::spec::{self, AuthDef, SStr};
use indexmap::IndexMap;
use toml::Spanned;

/// The signature algorithms a `jwt` scheme may accept: asymmetric only, since services verify
/// with public keys (a shared secret would let every service mint tokens).
pub const ALGORITHMS: [&str; 9] = [
    "EdDSA", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

/// Headers an API key cannot be carried in: they mean something else to HTTP or to svcgen.
const RESERVED_HEADERS: [&str; 10] = [
    "authorization",
    "content-type",
    "content-length",
    "host",
    "cookie",
    "connection",
    "transfer-encoding",
    "x-request-id",
    "idempotency-key",
    "traceparent",
];

impl Resolver<'_> {
    /// Resolves `[auth.<scheme>]` of every file; a scheme with a problem is reported and left
    /// out.
    pub(super) fn resolve_schemes(
        &mut self,
        defs: &IndexMap<String, Def<'_, spec::SchemeDef>>,
        schemas: &IndexMap<String, Schema>,
        services: &IndexMap<String, Def<'_, spec::ServiceDef>>,
    ) -> IndexMap<String, AuthScheme> {
        let mut out = IndexMap::new();
        for (key, d) in defs {
            let Some(name) = self.name(d.file, d.key, NameKind::Value) else {
                self.failed_schemes.push(key.clone());
                continue;
            };
            match self.resolve_scheme(d.file, name, d.def.get_ref(), schemas, services) {
                Some(scheme) => {
                    out.insert(key.clone(), scheme);
                }
                None => self.failed_schemes.push(key.clone()),
            }
        }
        out
    }

    fn resolve_scheme(
        &mut self,
        file: FileId,
        name: Name,
        def: &spec::SchemeDef,
        schemas: &IndexMap<String, Schema>,
        services: &IndexMap<String, Def<'_, spec::ServiceDef>>,
    ) -> Option<AuthScheme> {
        let at = |s: std::ops::Range<usize>| Loc::new(file, s);
        let mut ok = true;
        let kind = def.kind.get_ref().as_str();
        // Keys that belong to the other kind of scheme.
        let misplaced: Vec<(&str, std::ops::Range<usize>)> = match kind {
            "jwt" => def.header.iter().map(|h| ("header", h.span())).collect(),
            "api_key" => [
                def.issuer.as_ref().map(|v| ("issuer", v.span())),
                def.audience.as_ref().map(|v| ("audience", v.span())),
                def.jwks.as_ref().map(|v| ("jwks", v.span())),
                def.claims.as_ref().map(|v| ("claims", v.span())),
                def.algorithms
                    .as_ref()
                    .and_then(|a| a.first())
                    .map(|v| ("algorithms", v.span())),
            ]
            .into_iter()
            .flatten()
            .collect(),
            _ => Vec::new(),
        };
        for (key, span) in misplaced {
            self.diags.push(Diagnostic::at(
                &at(span),
                format!("`{key}` does not apply to a scheme of type `{kind}`"),
                "remove this",
            ));
            ok = false;
        }
        let mut scopes: Vec<String> = Vec::new();
        for scope in &def.scopes {
            if let Err(why) = check_scope(scope.get_ref()) {
                self.diags
                    .push(Diagnostic::at(&at(scope.span()), why, "invalid scope"));
                ok = false;
            } else if scopes.contains(scope.get_ref()) {
                self.diags.push(Diagnostic::at(
                    &at(scope.span()),
                    format!("scope `{}` is listed twice", scope.get_ref()),
                    "again",
                ));
                ok = false;
            } else {
                scopes.push(scope.get_ref().clone());
            }
        }
        let kind = match kind {
            "jwt" => {
                let required = |this: &mut Self, v: &Option<SStr>, key: &str| -> Option<String> {
                    match v {
                        Some(v) if !v.get_ref().trim().is_empty() => Some(v.get_ref().clone()),
                        Some(v) => {
                            this.diags.push(Diagnostic::at(
                                &at(v.span()),
                                format!("`{key}` cannot be empty"),
                                "empty",
                            ));
                            None
                        }
                        None => {
                            this.diags.push(
                                Diagnostic::at(
                                    &at(def.kind.span()),
                                    format!("a `jwt` scheme needs `{key}`"),
                                    format!("`{key}` missing"),
                                )
                                .with_note(format!(
                                    "tokens are accepted only with the `{}` the scheme names",
                                    if key == "issuer" { "iss" } else { "aud" }
                                )),
                            );
                            None
                        }
                    }
                };
                let issuer = required(self, &def.issuer, "issuer");
                let audience = required(self, &def.audience, "audience");
                let mut algorithms = Vec::new();
                for a in def.algorithms.iter().flatten() {
                    if ALGORITHMS.contains(&a.get_ref().as_str()) {
                        if !algorithms.contains(a.get_ref()) {
                            algorithms.push(a.get_ref().clone());
                        }
                        continue;
                    }
                    let symmetric = a.get_ref().starts_with("HS");
                    self.diags.push(
                        Diagnostic::at(
                            &at(a.span()),
                            format!("unsupported algorithm `{}`", a.get_ref().escape_debug()),
                            if symmetric {
                                "a shared secret cannot be checked with public keys"
                            } else {
                                "not an algorithm svcgen verifies"
                            },
                        )
                        .with_note(format!("accepted: {}", ALGORITHMS.join(", "))),
                    );
                    ok = false;
                }
                if def.algorithms.as_ref().is_some_and(|a| a.is_empty()) {
                    self.diags.push(Diagnostic::at(
                        &at(def.kind.span()),
                        "`algorithms` cannot be empty",
                        "no algorithm accepted",
                    ));
                    ok = false;
                }
                if def.algorithms.is_none() {
                    algorithms.push("EdDSA".to_owned());
                }
                let jwks = match &def.jwks {
                    Some(s) if services.contains_key(s.get_ref()) => Some(s.get_ref().clone()),
                    Some(s) => {
                        self.diags.push(
                            unknown(
                                &at(s.span()),
                                "service",
                                s.get_ref(),
                                " in `jwks`",
                                "no such service in this system",
                                services.keys().map(|k| k.as_str()),
                            )
                            .with_note("`jwks` names the service of this system that serves `/.well-known/jwks.json`; leave it out for an external issuer (keys from `AUTH_<SCHEME>_JWKS_URL`)"),
                        );
                        ok = false;
                        None
                    }
                    None => None,
                };
                let claims = match &def.claims {
                    None => None,
                    Some(c) => match schemas.get(c.get_ref()) {
                        Some(s) if matches!(s.kind, SchemaKind::Object(_)) => {
                            Some(c.get_ref().clone())
                        }
                        Some(_) => {
                            self.diags.push(Diagnostic::at(
                                &at(c.span()),
                                format!("claims schema `{}` is not an object", c.get_ref()),
                                "claims are the fields of the token's payload",
                            ));
                            ok = false;
                            None
                        }
                        None => {
                            self.diags.push(unknown(
                                &at(c.span()),
                                "schema",
                                c.get_ref(),
                                " in `claims`",
                                "not defined in `[schemas]`",
                                schemas.keys().map(|k| k.as_str()),
                            ));
                            ok = false;
                            None
                        }
                    },
                };
                SchemeKind::Jwt {
                    issuer: issuer?,
                    audience: audience?,
                    algorithms,
                    jwks,
                    claims,
                }
            }
            "api_key" => {
                let Some(header) = &def.header else {
                    self.diags.push(Diagnostic::at(
                        &at(def.kind.span()),
                        "an `api_key` scheme needs `header`",
                        "`header` missing",
                    ));
                    return None;
                };
                let lower = header.get_ref().to_ascii_lowercase();
                let valid = !lower.is_empty()
                    && lower.len() <= 64
                    && lower
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !valid {
                    self.diags.push(Diagnostic::at(
                        &at(header.span()),
                        format!("`{}` is not a header name", header.get_ref().escape_debug()),
                        "letters, digits and `-`, at most 64",
                    ));
                    return None;
                }
                if RESERVED_HEADERS.contains(&lower.as_str()) {
                    self.diags.push(Diagnostic::at(
                        &at(header.span()),
                        format!("an API key cannot be carried in `{lower}`"),
                        "this header means something else",
                    ));
                    return None;
                }
                SchemeKind::ApiKey { header: lower }
            }
            other => {
                self.diags.push(Diagnostic::at(
                    &at(def.kind.span()),
                    format!("unknown scheme type `{}`", other.escape_debug()),
                    "expected `jwt` or `api_key`",
                ));
                return None;
            }
        };
        ok.then(|| AuthScheme {
            name,
            doc: def.doc.as_ref().map(|d| d.get_ref().clone()),
            kind,
            scopes,
        })
    }
}

/// A scope as OAuth 2.0 allows one (RFC 6749: printable ASCII without space, `"` or `\`), at
/// most 128 characters.
pub fn check_scope(scope: &str) -> Result<(), String> {
    let valid = !scope.is_empty()
        && scope.len() <= 128
        && scope
            .bytes()
            .all(|b| b == b'!' || (b'#'..=b'[').contains(&b) || (b']'..=b'~').contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a scope: printable ASCII without spaces, quotes or backslashes, at most 128",
            scope.escape_debug()
        ))
    }
}

/// Who may call: `def` (an endpoint's or service's `auth`) over `inherited` (what applies
/// without it). `None` after reporting a problem, or when it names a scheme that `failed`
/// (whose own problem is reported).
pub(super) fn resolve_access(
    diags: &mut crate::diag::Diagnostics,
    file: FileId,
    def: Option<&Spanned<AuthDef>>,
    inherited: &Access,
    schemes: &IndexMap<String, AuthScheme>,
    failed: &[String],
) -> Option<Access> {
    let Some(def) = def else {
        return Some(inherited.clone());
    };
    let loc = Loc::new(file, def.span());
    if !failed.is_empty() {
        // What the endpoint accepts cannot be known while a scheme is broken: nothing is
        // generated anyway, and the scheme's problem says why.
        if let AuthDef::Table(t) = def.get_ref()
            && t.schemes
                .iter()
                .flatten()
                .any(|s| failed.contains(s.get_ref()))
        {
            return None;
        }
        if schemes.is_empty() {
            return None;
        }
    }
    if schemes.is_empty() {
        diags.push(
            Diagnostic::at(
                &loc,
                "`auth` in a system without auth schemes",
                "nothing to check",
            )
            .with_note("declare a scheme first, e.g. `[auth.user]` with `type = \"jwt\"`"),
        );
        return None;
    }
    match def.get_ref() {
        AuthDef::Word(w) if w == "public" => Some(Access::Public),
        AuthDef::Word(w) => {
            diags.push(Diagnostic::at(
                &loc,
                format!("`auth = \"{}\"` is not understood", w.escape_debug()),
                "expected \"public\" or a table with `schemes` and `scopes`",
            ));
            None
        }
        AuthDef::Table(t) => {
            let mut ok = true;
            let mut listed: Vec<String> = Vec::new();
            for s in t.schemes.iter().flatten() {
                let at = Loc::new(file, s.span());
                if !schemes.contains_key(s.get_ref()) {
                    diags.push(unknown(
                        &at,
                        "auth scheme",
                        s.get_ref(),
                        "",
                        "not defined in `[auth]`",
                        schemes.keys().map(|k| k.as_str()),
                    ));
                    ok = false;
                } else if listed.contains(s.get_ref()) {
                    diags.push(Diagnostic::at(
                        &at,
                        format!("scheme `{}` is listed twice", s.get_ref()),
                        "again",
                    ));
                    ok = false;
                } else {
                    listed.push(s.get_ref().clone());
                }
            }
            if t.schemes.as_ref().is_some_and(|s| s.is_empty()) {
                diags.push(
                    Diagnostic::at(
                        &loc,
                        "`schemes` cannot be empty",
                        "no caller could ever pass",
                    )
                    .with_note("say `auth = \"public\"` for an endpoint anyone may call"),
                );
                ok = false;
            }
            let mut scopes: Vec<String> = Vec::new();
            for scope in &t.scopes {
                let at = Loc::new(file, scope.span());
                if scopes.contains(scope.get_ref()) {
                    diags.push(Diagnostic::at(
                        &at,
                        format!("scope `{}` is listed twice", scope.get_ref()),
                        "again",
                    ));
                    ok = false;
                    continue;
                }
                let candidates: Vec<&AuthScheme> = if t.schemes.is_some() {
                    listed.iter().map(|s| &schemes[s]).collect()
                } else {
                    schemes.values().collect()
                };
                if !candidates
                    .iter()
                    .any(|s| s.scopes.contains(scope.get_ref()))
                {
                    diags.push(
                        Diagnostic::at(
                            &at,
                            format!(
                                "no accepted scheme can carry scope `{}`",
                                scope.get_ref().escape_debug()
                            ),
                            "no caller could ever hold it",
                        )
                        .with_note("add it to the `scopes` of a scheme in `[auth]`"),
                    );
                    ok = false;
                } else if t.schemes.is_some()
                    && let Some(s) = candidates
                        .iter()
                        .find(|s| !s.scopes.contains(scope.get_ref()))
                {
                    diags.push(Diagnostic::at(
                        &at,
                        format!(
                            "scheme `{}` cannot carry scope `{}`",
                            s.name.wire,
                            scope.get_ref().escape_debug()
                        ),
                        "its callers could never pass",
                    ));
                    ok = false;
                }
                scopes.push(scope.get_ref().clone());
            }
            if !ok {
                return None;
            }
            // Without `schemes`: every scheme that can carry all of the scopes.
            let schemes: Vec<String> = if t.schemes.is_some() {
                schemes
                    .keys()
                    .filter(|k| listed.contains(k))
                    .cloned()
                    .collect()
            } else {
                schemes
                    .iter()
                    .filter(|(_, s)| scopes.iter().all(|sc| s.scopes.contains(sc)))
                    .map(|(k, _)| k.clone())
                    .collect()
            };
            if schemes.is_empty() {
                diags.push(
                    Diagnostic::at(&loc, "no one scheme can carry all of these scopes", "no caller could ever pass")
                        .with_note("a caller proves who it is with one scheme: give one scheme every scope the endpoint needs"),
                );
                return None;
            }
            Some(Access::Caller { schemes, scopes })
        }
    }
}

/// What applies to an endpoint that says nothing, in a service that says nothing: with any
/// scheme, a caller proven by any of them.
pub(super) fn system_default(schemes: &IndexMap<String, AuthScheme>) -> Access {
    if schemes.is_empty() {
        Access::Public
    } else {
        Access::Caller {
            schemes: schemes.keys().cloned().collect(),
            scopes: Vec::new(),
        }
    }
}
