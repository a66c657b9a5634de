//! One crate per service: parameter types (`api`), the typed client (`client`), the trait and
//! router (`server`), the dependency wiring (`deps`), and the owned `handlers.rs` and `main.rs`
//! scaffolds.

use super::rust::{doc, doc_str, format_generated, lit};
use super::types::{Cx, Std, object, rust_type};
use super::{EmitError, OutputFile, Ownership, header};
use crate::ident::{const_name, ident, kebab_name, type_name};
use crate::model::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The folder of a service crate, relative to the output directory.
pub fn service_dir(system: &System, service: &Service) -> String {
    format!("{}/{}", system.dir(), kebab_name(&service.name.wire))
}

/// The package name of a service crate.
pub fn service_package(system: &System, service: &Service) -> String {
    format!("{}-{}", system.dir(), kebab_name(&service.name.wire))
}

/// The Rust crate name of a service crate.
pub fn service_crate(system: &System, service: &Service) -> proc_macro2::Ident {
    format_ident!("{}", service_package(system, service).replace('-', "_"))
}

/// The environment variable holding a service's base URL.
pub fn url_env(service: &Service) -> String {
    format!("{}_URL", const_name(&service.name.wire))
}

/// The base URL of a service on one machine.
pub fn default_url(service: &Service) -> String {
    format!("http://127.0.0.1:{}", service.port)
}

/// Writes the Rust files of every service crate of `system`, services in parallel.
pub fn emit(
    system: &System,
    _: &super::Settings,
    files: &mut Vec<OutputFile>,
) -> Result<(), EmitError> {
    let services: Vec<&Service> = system.services.values().collect();
    for result in super::par_map(&services, |service| service_files(system, service)) {
        files.extend(result?);
    }
    Ok(())
}

fn service_files(system: &System, service: &Service) -> Result<Vec<OutputFile>, EmitError> {
    let header = header(system);
    let dir = service_dir(system, service);
    let mut files = Vec::new();
    let openapi = quote! { include_str!("../openapi.json") };
    let parse = |name: &str, tokens| super::rust::parse(&format!("{dir}/src/{name}"), tokens);
    let mut generated = vec![
        ("lib.rs", parse("lib.rs", lib_tokens(system, service))?),
        ("api.rs", with_siblings(api_tokens(system, service))?),
        ("client.rs", with_siblings(client_tokens(system, service))?),
        (
            "server.rs",
            with_siblings(server_tokens(system, service, openapi))?,
        ),
        ("deps.rs", with_siblings(deps_tokens(system, service))?),
    ];
    if service.has_store() {
        let store = super::store::store_tokens(system, service);
        generated.push(("store.rs", parse("store.rs", store)?));
    }
    for (name, file) in generated {
        files.push(OutputFile {
            contents: format_generated(&header, file),
            path: format!("{dir}/src/{name}"),
            ownership: Ownership::Generated,
        });
    }
    let owned_header = format!(
        "Written once by svcgen from {}; this file is yours to edit (svcgen never rewrites it).",
        super::spec_name(&system.source)
    );
    let owned = [
        ("handlers.rs", handlers_tokens(system, service)),
        ("main.rs", main_tokens(system, service)),
    ];
    for (name, tokens) in owned {
        let path = format!("{dir}/src/{name}");
        files.push(OutputFile {
            contents: super::rust::format_owned(&path, &owned_header, tokens)?,
            path,
            ownership: Ownership::Owned,
        });
    }
    Ok(files)
}

/// `.route(path, method(handler).other(handler))` calls, one per path in order of first
/// appearance, and the routing functions they need (`get` is always among them: it serves the
/// OpenAPI document). Only the first method of a path is a free function; the others chain.
pub(crate) fn routing(
    routes: impl Iterator<Item = (String, Method, TokenStream)>,
) -> (Vec<TokenStream>, Vec<proc_macro2::Ident>) {
    let mut grouped: Vec<(String, Vec<(Method, TokenStream)>)> = Vec::new();
    for (path, method, handler) in routes {
        match grouped.iter_mut().find(|(p, _)| *p == path) {
            Some((_, hs)) => hs.push((method, handler)),
            None => grouped.push((path, vec![(method, handler)])),
        }
    }
    let lower = |m: Method| format_ident!("{}", m.as_str().to_ascii_lowercase());
    let calls = grouped
        .iter()
        .map(|(path, hs)| {
            let path = lit(path);
            let chain = hs.iter().map(|(m, h)| {
                let m = lower(*m);
                quote! { #m(#h) }
            });
            quote! { .route(#path, #(#chain).*) }
        })
        .collect();
    let mut firsts: Vec<Method> = grouped
        .iter()
        .map(|(_, hs)| hs[0].0)
        .chain([Method::Get])
        .collect();
    firsts.sort();
    firsts.dedup();
    (calls, firsts.into_iter().map(lower).collect())
}

/// The variant names and type paths of an endpoint's typed errors, in spec order.
fn error_variants(system: &System, e: &Endpoint) -> (Vec<proc_macro2::Ident>, Vec<TokenStream>) {
    e.errors
        .iter()
        .map(|n| {
            let rust = &system.errors[n].name.rust;
            (ident(rust), Std::service().schema(rust))
        })
        .unzip()
}

/// Imports the sibling `runtime` and `types` modules a module uses. In a service crate they are
/// the crate root's re-exports of those crates; expanded by the macro, they are modules beside
/// this one. Either way the module's code is the same.
pub fn with_siblings(tokens: TokenStream) -> Result<syn::File, EmitError> {
    let mut file = super::rust::parse("service module", tokens)?;
    let used = path_roots(&file.items);
    let uses: Vec<syn::Item> = ["runtime", "types"]
        .into_iter()
        .filter(|name| used.contains(*name))
        .map(|name| {
            let name = format_ident!("{}", name);
            syn::parse_quote! { use super::#name; }
        })
        .collect();
    file.items.splice(0..0, uses);
    Ok(file)
}

/// The first segment of every path with more than one segment (`types::User` → `types`) and
/// of every `use` in `items`, read from the syntax tree: text in doc comments and string
/// literals never counts, so an import is emitted exactly when code needs it.
pub(crate) fn path_roots(items: &[syn::Item]) -> std::collections::BTreeSet<String> {
    use syn::visit::Visit;
    #[derive(Default)]
    struct Roots(std::collections::BTreeSet<String>);
    impl<'ast> Visit<'ast> for Roots {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            if path.segments.len() > 1 {
                self.0.insert(path.segments[0].ident.to_string());
            }
            syn::visit::visit_path(self, path);
        }
        fn visit_use_path(&mut self, path: &'ast syn::UsePath) {
            self.0.insert(path.ident.to_string());
            syn::visit::visit_use_path(self, path);
        }
    }
    let mut roots = Roots::default();
    for item in items {
        roots.visit_item(item);
    }
    roots.0
}

fn lib_tokens(system: &System, service: &Service) -> TokenStream {
    let mut text = format!(
        "The `{}` service of the `{}` system.",
        service.name.wire, system.name.wire
    );
    if let Some(d) = &service.doc {
        text.push_str("\n\n");
        text.push_str(&super::rust::inert(d));
    }
    text.push_str(
        "\n\n- `api`: names, addresses and parameter types\n- `client` (feature `client`): the typed client\n\
         - `server` (feature `server`): the `Api` trait to implement and its router\n\
         - `deps` (feature `server`): clients of the services this one depends on",
    );
    if service.has_store() {
        text.push_str(
            "\n- `store` (feature `server`): the service's own database, a repository per record",
        );
    }
    text.push_str(
        "\n\nYour implementation of `Api`, `handlers.rs`, is part of the service's binary\n\
         (`main.rs`), not of this library: the services that depend on this one (on its client)\n\
         are not rebuilt when a handler changes.",
    );
    let lines = super::rust::doc_lines(&text);
    let dependencies = if service.depends_on.is_empty() {
        quote! {}
    } else {
        let mut pairs: Vec<(proc_macro2::Ident, proc_macro2::Ident)> = service
            .depends_on
            .iter()
            .map(|d| {
                let dep = &system.services[&d.service];
                (service_crate(system, dep), ident(&dep.name.rust))
            })
            .collect();
        pairs.sort_by_key(|(krate, _)| krate.to_string());
        let (crates, names): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
        quote! {
            /// The crates of the services this one depends on (their clients), by service name.
            #[cfg(feature = "server")]
            pub mod dependencies {
                #( pub use #crates as #names; )*
            }
        }
    };
    let store_mod = if !service.has_store() {
        quote! {}
    } else {
        quote! {
            #[cfg(feature = "server")]
            pub mod store;
        }
    };
    quote! {
        #(#![doc = #lines])*

        pub use runtime;
        pub use types;

        #dependencies

        pub mod api;
        #[cfg(feature = "client")]
        pub mod client;
        #[cfg(feature = "server")]
        pub mod deps;
        #[cfg(feature = "server")]
        pub mod server;
        #store_mod
    }
}

/// The name of a service's handler struct in its `handlers.rs`: the service's name in
/// CamelCase (`Cart`), unless that is a schema of the system (which handlers use beside it, so
/// `use types::Cart;` would clash) or a name the scaffold imports (`Api`, an endpoint's error
/// type...): then with `Service` after it (`CartService`), or more until it is free.
pub fn handler_struct(system: &System, service: &Service) -> String {
    let base = type_name(&service.name.wire);
    let taken = |name: &str| {
        system.schemas.values().any(|s| s.name.rust == name)
            || [
                "Api",
                "Context",
                "Deps",
                "Store",
                "Transaction",
                "Meta",
                "HandlerError",
            ]
            .contains(&name)
            || service
                .endpoints
                .iter()
                .any(|e| endpoint_type(e, "Error") == name)
    };
    let mut name = base.clone();
    let mut n = 1;
    while taken(&name) {
        name = if n == 1 {
            format!("{base}Service")
        } else {
            format!("{base}Service{n}")
        };
        n += 1;
    }
    name
}

fn endpoint_type(e: &Endpoint, suffix: &str) -> proc_macro2::Ident {
    format_ident!(
        "{}{}",
        type_name(&e.name.wire).trim_end_matches('_'),
        suffix
    )
}

/// A parameter struct (path, query or headers) as an object schema.
fn param_struct(
    cx: &mut Cx<'_>,
    name: &proc_macro2::Ident,
    doc_text: String,
    fields: &[Field],
) -> TokenStream {
    let system = cx_system(cx);
    let needs = fields
        .iter()
        .any(|f| !f.constraints.is_empty() || type_needs(system, &f.ty));
    let schema = Schema {
        name: Name {
            wire: name.to_string(),
            rust: name.to_string(),
        },
        doc: Some(doc_text),
        kind: SchemaKind::Object(fields.to_vec()),
        needs_validation: needs,
        loc: crate::diag::Loc::new(0, 0..0),
        includes: Vec::new(),
    };
    object(cx, &schema, fields)
}

fn cx_system<'a>(cx: &Cx<'a>) -> &'a System {
    cx.system()
}

/// How a handler's result is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Responder {
    /// JSON as it is.
    Json,
    /// JSON, checked first when `RESPONSE_CHECKS` is on (its type has constraints).
    Checked,
    /// Raw bytes with their media type.
    Binary,
    /// No body.
    Empty,
}

fn responder(system: &System, e: &Endpoint) -> Responder {
    match &e.response {
        Some(Body::Json(t)) if type_needs(system, t) => Responder::Checked,
        Some(Body::Json(_)) => Responder::Json,
        Some(Body::Binary) => Responder::Binary,
        None => Responder::Empty,
    }
}

fn type_needs(system: &System, ty: &Type) -> bool {
    match ty {
        Type::Prim(_) => false,
        Type::Named(n) => system.schemas.get(n).is_some_and(|s| s.needs_validation),
        Type::List(i) | Type::Map(i) | Type::Optional(i) => type_needs(system, i),
    }
}

pub(crate) fn api_tokens(system: &System, service: &Service) -> TokenStream {
    let mut cx = Cx::new(system, Std::service());
    let mut items = Vec::new();
    for e in &service.endpoints {
        let kinds = [
            ("Path", "Path", &e.params),
            ("Query", "Query", &e.query),
            ("Headers", "Header", &e.headers),
        ];
        for (suffix, what, fields) in kinds {
            if !fields.is_empty() {
                let name = endpoint_type(e, suffix);
                let text = format!("{what} parameters of `{}`.", e.name.wire);
                items.push(param_struct(&mut cx, &name, text, fields));
            }
        }
    }
    let statics = cx.pattern_statics();
    let service_name = lit(&service.name.wire);
    let port = proc_macro2::Literal::u16_unsuffixed(service.port);
    let env = lit(&url_env(service));
    let default = lit(&default_url(service));
    let env_doc = doc_str(&format!(
        "The environment variable holding the service's base URL, read by its clients (default `{}`).",
        default_url(service)
    ));
    let uses = if items.is_empty() {
        quote! {}
    } else {
        quote! { use types::validation; }
    };
    quote! {
        //! Names, addresses and parameter types of the service, shared by its client and server.

        #uses

        /// The service's name in the spec.
        pub const SERVICE: &str = #service_name;
        /// The port the service listens on unless `PORT` says otherwise.
        pub const DEFAULT_PORT: u16 = #port;
        #env_doc
        pub const URL_ENV: &str = #env;
        /// The base URL of the service on one machine, used when the variable is not set.
        pub const DEFAULT_URL: &str = #default;

        #(#statics)*
        #(#items)*
    }
}

/// The Rust type of an endpoint's request or response body.
fn body_type(system: &System, body: &Option<Body>) -> TokenStream {
    match body {
        Some(Body::Json(t)) => rust_type(system, Std::service(), t),
        Some(Body::Binary) => quote! { runtime::body::Binary },
        None => quote! { () },
    }
}

/// Arguments of an endpoint in trait and client order: path params, query, headers, body.
struct Arg {
    name: proc_macro2::Ident,
    ty: TokenStream,
    /// What a client method takes a reference to: `str` for a string, `[T]` for a list.
    borrowed: TokenStream,
    /// Where the server takes it from: `path.id`, `query`, `headers.x`, `body`.
    source: TokenStream,
}

fn args(system: &System, e: &Endpoint) -> Vec<Arg> {
    let std = Std::service();
    let mut out = Vec::new();
    for p in &e.params {
        let name = ident(&p.name.rust);
        out.push(Arg {
            ty: rust_type(system, std, &p.ty),
            borrowed: borrowed_type(system, std, &p.ty),
            source: quote! { path.#name },
            name,
        });
    }
    if !e.query.is_empty() {
        let q = endpoint_type(e, "Query");
        out.push(Arg {
            name: format_ident!("query"),
            ty: quote! { super::api::#q },
            borrowed: quote! { super::api::#q },
            source: quote! { query },
        });
    }
    for h in &e.headers {
        let name = ident(&h.name.rust);
        out.push(Arg {
            ty: rust_type(system, std, &h.ty),
            borrowed: borrowed_type(system, std, &h.ty),
            source: quote! { headers.#name },
            name,
        });
    }
    match &e.request {
        Some(Body::Json(t)) => out.push(Arg {
            name: format_ident!("body"),
            ty: rust_type(system, std, t),
            borrowed: borrowed_type(system, std, t),
            source: quote! { body },
        }),
        Some(Body::Binary) => out.push(Arg {
            name: format_ident!("body"),
            ty: quote! { runtime::body::Binary },
            borrowed: quote! { runtime::body::Binary },
            source: quote! { body },
        }),
        None => {}
    }
    out
}

/// One method of a service's generated `Api` trait, as a person's `impl Api` must write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraitMethod {
    /// The method's name as written in Rust (`get_user`, `r#fn`).
    pub name: String,
    /// Every parameter after `&self`, as `name: Type`.
    pub params: Vec<String>,
    /// The event it handles (`order.placed`), for a handler of an event rather than an
    /// endpoint.
    pub event: Option<String>,
}

/// The methods of the `Api` trait generated for `service`, in spec order.
pub fn trait_methods(system: &System, service: &Service) -> Vec<TraitMethod> {
    let events = service.subscribes.iter().map(|key| {
        let event = &system.events[key];
        TraitMethod {
            name: format!("on_{}", event.name.rust),
            params: vec![
                "meta: Meta".to_owned(),
                format!("event: types::{}", system.schemas[&event.payload].name.rust),
                "tx: &mut Transaction".to_owned(),
            ],
            event: Some(event.name.wire.clone()),
        }
    });
    service
        .endpoints
        .iter()
        .map(|e| TraitMethod {
            name: ident(&e.name.rust).to_string(),
            params: handler_args(system, e)
                .iter()
                .map(|a| {
                    let (n, t) = (&a.name, &a.ty);
                    let ty = t.to_string().replace(" :: ", "::").replace(" < ", "<");
                    format!("{n}: {}", ty.replace(" >", ">"))
                })
                .collect(),
            event: None,
        })
        .chain(events)
        .collect()
}

/// The arguments of a handler method: the request's [`Context`] first, then [`args`]. The
/// context's name is `cx` unless the endpoint has a parameter of that name.
///
/// [`Context`]: https://docs.rs/svcgen-runtime (runtime::context::Context)
fn handler_args(system: &System, e: &Endpoint) -> Vec<Arg> {
    let mut args = args(system, e);
    let mut name = "cx".to_owned();
    while args.iter().any(|a| a.name == name) {
        name.push('_');
    }
    args.insert(
        0,
        Arg {
            name: format_ident!("{name}"),
            ty: quote! { Context },
            borrowed: quote! { Context },
            source: quote! { Context::current() },
        },
    );
    if let Access::Caller { .. } = e.access {
        let mut name = "caller".to_owned();
        while args.iter().any(|a| a.name == name) {
            name.push('_');
        }
        let ty = match claims_type(system, e) {
            Some(claims) => quote! { Caller<#claims> },
            None => quote! { Caller },
        };
        args.insert(
            1,
            Arg {
                name: format_ident!("{name}"),
                borrowed: ty.clone(),
                ty,
                source: quote! { caller },
            },
        );
    }
    args
}

/// The type of the token claims an endpoint's handler gets: the claims schema every scheme it
/// accepts declares, when they all declare the same one; otherwise none.
fn claims_type(system: &System, e: &Endpoint) -> Option<TokenStream> {
    let mut common: Option<&String> = None;
    for name in e.access.schemes() {
        match &system.auth[name].kind {
            SchemeKind::Jwt {
                claims: Some(claims),
                ..
            } if common.is_none_or(|c| c == claims) => common = Some(claims),
            _ => return None,
        }
    }
    common.map(|c| rust_type(system, Std::service(), &Type::Named(c.clone())))
}

/// Whether any endpoint of `service` needs a caller.
pub fn needs_auth(service: &Service) -> bool {
    service
        .endpoints
        .iter()
        .any(|e| matches!(e.access, Access::Caller { .. }))
}

/// The system's schemes `service`'s endpoints accept, as the runtime's `auth::Scheme`s.
fn schemes_tokens(system: &System, service: &Service) -> TokenStream {
    let endpoints: Vec<&Endpoint> = service.endpoints.iter().collect();
    auth_schemes_static(system, &endpoints, Some(&service.name.wire))
}

/// `AUTH_SCHEMES`: the system's schemes `endpoints` accept, as the runtime's `auth::Scheme`s,
/// for the process of `own` service (which checks the tokens it signs with its own keys) or of
/// the gateway (`None`).
pub(crate) fn auth_schemes_static(
    system: &System,
    endpoints: &[&Endpoint],
    own: Option<&str>,
) -> TokenStream {
    let used: Vec<&AuthScheme> = system
        .auth
        .iter()
        .filter(|(k, _)| endpoints.iter().any(|e| e.access.schemes().contains(k)))
        .map(|(_, s)| s)
        .collect();
    let schemes = used.iter().map(|s| {
        let name = lit(&s.name.wire);
        let kind = match &s.kind {
            SchemeKind::Jwt {
                issuer,
                audience,
                algorithms,
                jwks,
                ..
            } => {
                let (issuer, audience) = (lit(issuer), lit(audience));
                let algorithms = algorithms.iter().map(|a| lit(a));
                let jwks = match jwks.as_ref().map(|k| &system.services[k]) {
                    Some(keys) if Some(keys.name.wire.as_str()) == own => {
                        quote! { runtime::auth::Jwks::Own }
                    }
                    Some(keys) => {
                        let (env, url) = (lit(&url_env(keys)), lit(&default_url(keys)));
                        quote! { runtime::auth::Jwks::Service { url_env: #env, default_url: #url } }
                    }
                    None => quote! { runtime::auth::Jwks::External },
                };
                quote! {
                    runtime::auth::Kind::Jwt {
                        issuer: #issuer,
                        audience: #audience,
                        algorithms: &[#(#algorithms),*],
                        jwks: #jwks,
                    }
                }
            }
            SchemeKind::ApiKey { header } => {
                let header = lit(header);
                quote! { runtime::auth::Kind::ApiKey { header: #header } }
            }
        };
        quote! { runtime::auth::Scheme { name: #name, kind: #kind } }
    });
    quote! {
        /// The auth schemes of the endpoints served here (keys from the `AUTH_<SCHEME>_*`
        /// variables, see `runtime::auth`).
        pub static AUTH_SCHEMES: &[runtime::auth::Scheme] = &[#(#schemes),*];
    }
}

/// The unsized form a client borrows: `str` for a string, `[T]` for a list, else the type.
fn borrowed_type(system: &System, std: Std, ty: &Type) -> TokenStream {
    match ty {
        Type::Prim(Prim::String) => quote! { str },
        Type::List(item) => {
            let item = rust_type(system, std, item);
            quote! { [#item] }
        }
        other => rust_type(system, std, other),
    }
}

fn endpoint_doc(e: &Endpoint) -> TokenStream {
    let mut text = format!("`{} {}`", e.method.as_str(), e.path);
    if let Some(d) = &e.doc {
        text.push_str("\n\n");
        text.push_str(&super::rust::inert(d));
    }
    doc_str(&text)
}

pub(crate) fn client_tokens(system: &System, service: &Service) -> TokenStream {
    // With one header for every API key scheme of the system, a key alone says it all.
    let mut key_headers: Vec<&str> = system
        .auth
        .values()
        .filter_map(|s| match &s.kind {
            SchemeKind::ApiKey { header } => Some(header.as_str()),
            SchemeKind::Jwt { .. } => None,
        })
        .collect();
    key_headers.sort_unstable();
    key_headers.dedup();
    let api_key_method = match key_headers.as_slice() {
        [header] => {
            let doc = doc_str(&format!(
                "The same client sending the API key `key` (header `{header}`) with every call."
            ));
            let header = lit(header);
            quote! {
                #doc
                pub fn with_api_key(self, key: &str) -> Result<Self, ConfigError> {
                    Ok(Self { http: self.http.with_api_key(#header, key)? })
                }
            }
        }
        _ => quote! {},
    };
    let credential_methods = if system.auth.is_empty() {
        quote! {}
    } else {
        quote! {
            #api_key_method

            /// The same client sending `credential` (a token or an API key) with every call.
            pub fn with_credential(self, credential: runtime::context::Credential) -> Self {
                Self { http: self.http.with_credential(credential) }
            }

            /// The same client sending `Authorization: Bearer <token>` with every call.
            pub fn with_bearer_token(self, token: &str) -> Result<Self, ConfigError> {
                Ok(Self { http: self.http.with_bearer_token(token)? })
            }
        }
    };
    let mut items = Vec::new();
    let mut methods = Vec::new();
    for e in &service.endpoints {
        let err = endpoint_type(e, "Error");
        let wire = &e.name.wire;
        let err_doc = doc_str(&format!("The errors the spec declares for `{wire}`."));
        let (variants, paths) = error_variants(system, e);
        let docs: Vec<_> = e
            .errors
            .iter()
            .map(|n| doc(system.errors[n].doc.as_deref()))
            .collect();
        let (formatter, display) = if variants.is_empty() {
            (format_ident!("_f"), quote! { match *self {} })
        } else {
            (
                format_ident!("f"),
                quote! { match self { #( Self::#variants(e) => ::std::fmt::Display::fmt(e, f), )* } },
            )
        };
        let problem = if variants.is_empty() {
            format_ident!("_problem")
        } else {
            format_ident!("problem")
        };
        let to_problem = if variants.is_empty() {
            quote! { match *self {} }
        } else {
            quote! {
                match self {
                    #( Self::#variants(e) => TypedError::to_problem(e), )*
                }
            }
        };
        let decode = if variants.is_empty() {
            quote! { None }
        } else {
            quote! {
                None #( .or_else(|| TypedError::from_problem(problem).map(Self::#variants)) )*
            }
        };
        items.push(quote! {
            #err_doc
            #[derive(Debug, Clone, PartialEq)]
            pub enum #err {
                #( #docs #variants(#paths), )*
            }

            impl #err {
                /// The typed error a problem answer stands for, if it is one of them.
                pub fn from_problem(#problem: &runtime::Problem) -> Option<Self> {
                    #decode
                }
            }

            impl ::std::fmt::Display for #err {
                fn fmt(&self, #formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    #display
                }
            }

            impl ::std::error::Error for #err {}

            impl runtime::client::TypedAnswer for #err {
                fn to_problem(&self) -> runtime::Problem {
                    #to_problem
                }
            }
        });

        let method_name = ident(&e.name.rust);
        let args = args(system, e);
        let params = args.iter().map(|a| {
            let (n, t) = (&a.name, &a.borrowed);
            quote! { #n: &#t }
        });
        let path_expr = path_format(e);
        let http_method = format_ident!("{}", e.method.as_str());
        let status = e.status;
        let mut call = quote! { Call::new(Method::#http_method, path.clone(), #status) };
        // A text (or bytes) parameter may be empty, which would call another path: such a call
        // is not sent.
        for p in e.params.iter().filter(|p| {
            matches!(
                p.ty,
                Type::Prim(Prim::String | Prim::Bytes) | Type::Named(_)
            )
        }) {
            let (name, wire) = (ident(&p.name.rust), lit(&p.name.wire));
            call = quote! { #call.non_empty(#wire, #name) };
        }
        if !e.query.is_empty() {
            call = quote! { #call.query(query) };
        }
        for h in &e.headers {
            let name = ident(&h.name.rust);
            let wire = lit(&h.name.wire.to_ascii_lowercase());
            call = if matches!(h.ty, Type::Optional(_)) {
                quote! { match #name { Some(value) => #call.header(#wire, value), None => #call } }
            } else {
                quote! { #call.header(#wire, #name) }
            };
        }
        match &e.request {
            Some(Body::Json(_)) => call = quote! { #call.json(body) },
            Some(Body::Binary) => call = quote! { #call.binary(body) },
            None => {}
        }
        // The service keeps idempotency keys in its store: a keyed POST or PATCH may be
        // retried like a GET.
        if service.has_store() && matches!(e.method, Method::Post | Method::Patch) {
            call = quote! { #call.idempotency_key() };
        }
        let response = body_type(system, &e.response);
        let exchange = match &e.response {
            Some(Body::Json(_)) => quote! {
                let body = self.http.send(call, #err::from_problem).await?;
                self.http.decode(&body, &path)
            },
            Some(Body::Binary) => quote! {
                self.http.send_binary(call, #err::from_problem).await
            },
            None => quote! {
                self.http.send(call, #err::from_problem).await?;
                Ok(())
            },
        };
        let docs = endpoint_doc(e);
        methods.push(quote! {
            #docs
            pub async fn #method_name(&self, #(#params),*) -> Result<#response, Error<#err>> {
                let path = #path_expr;
                let call = #call;
                #exchange
            }
        });
    }
    let name = lit(&service.name.wire);
    let client_doc = doc_str(&format!(
        "Client of the `{}` service: one method per endpoint, typed results.",
        service.name.wire
    ));
    let uses_segment = service.endpoints.iter().any(|e| !e.params.is_empty());
    let segment_use = if uses_segment {
        quote! { use runtime::client::segment; }
    } else {
        quote! {}
    };
    quote! {
        //! The typed client of the service.

        use runtime::client::{Call, ConfigError, Error, Http, Method, Policy};
        use types::TypedError;
        #segment_use

        #client_doc
        #[derive(Debug, Clone)]
        pub struct Client {
            http: Http,
        }

        impl Client {
            /// A client of the service at `base_url` (e.g. `http://127.0.0.1:8001`).
            pub fn new(base_url: &str, policy: Policy) -> Result<Self, ConfigError> {
                Ok(Self { http: Http::new(#name, base_url, policy)? })
            }

            /// A client of the service at the URL in its environment variable, or on this machine.
            pub fn from_env(policy: Policy) -> Result<Self, ConfigError> {
                let url = runtime::client::url_from_env(super::api::URL_ENV, super::api::DEFAULT_URL)?;
                Self::new(&url, policy)
            }

            /// The base URL this client calls.
            pub fn base_url(&self) -> &str {
                self.http.base_url()
            }

            #credential_methods

            #(#methods)*
        }

        #(#items)*
    }
}

/// An expression building the request path, with parameters percent-encoded.
fn path_format(e: &Endpoint) -> TokenStream {
    if e.params.is_empty() {
        let p = lit(&e.path);
        return quote! { String::from(#p) };
    }
    let mut fmt = String::new();
    let mut values = Vec::new();
    for s in &e.segments {
        fmt.push('/');
        match s {
            Segment::Literal(l) => fmt.push_str(l),
            Segment::Param(p) => {
                fmt.push_str("{}");
                let field = e
                    .params
                    .iter()
                    .find(|f| &f.name.wire == p)
                    .map(|f| ident(&f.name.rust));
                values.push(quote! { segment(#field) });
            }
        }
    }
    let fmt = lit(&fmt);
    quote! { format!(#fmt, #(#values),*) }
}

pub(crate) fn server_tokens(
    system: &System,
    service: &Service,
    openapi: TokenStream,
) -> TokenStream {
    let std = Std::service();
    let mut methods = Vec::new();
    let mut errors = Vec::new();
    let mut handlers = Vec::new();
    let run = run_tokens(system, service);
    for e in &service.endpoints {
        let name = ident(&e.name.rust);
        let err = endpoint_type(e, "Error");
        let args = handler_args(system, e);
        let params: Vec<_> = args
            .iter()
            .map(|a| {
                let (n, t) = (&a.name, &a.ty);
                quote! { #n: #t }
            })
            .collect();
        let response = body_type(system, &e.response);
        let docs = endpoint_doc(e);
        methods.push(quote! {
            #docs
            fn #name(&self, #(#params),*) -> impl Future<Output = Result<#response, #err>> + Send;
        });

        let wire = &e.name.wire;
        let err_doc = doc_str(&format!("The errors `{wire}` may answer with."));
        let (variants, paths) = error_variants(system, e);
        let docs: Vec<_> = e
            .errors
            .iter()
            .map(|n| {
                let ed = &system.errors[n];
                let text = format!(
                    "{} ({})",
                    super::rust::inert(ed.doc.as_deref().unwrap_or(&ed.title)),
                    ed.status
                );
                doc_str(&text)
            })
            .collect();
        let store_from = store_error_from(system, service, e, &err);
        let dependency_from = if e.pass_through.is_empty() {
            quote! {
                impl<E: ::std::fmt::Display> From<runtime::client::Error<E>> for #err {
                    /// A dependency call that failed in a way this endpoint does not handle.
                    fn from(e: runtime::client::Error<E>) -> Self {
                        Self::Problem(Box::new(e.upstream_problem()))
                    }
                }
            }
        } else {
            let names: Vec<&str> = e.pass_through.iter().map(|(n, _)| n.as_str()).collect();
            let doc = doc_str(&format!(
                "A dependency call that failed: its {} passed through as this endpoint's (the spec's `pass_through`), anything else answered as a failed dependency.",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let passed = e.pass_through.iter().map(|(n, _)| {
                let rust = &system.errors[n].name.rust;
                let (variant, path) = (ident(rust), Std::service().schema(rust));
                quote! {
                    if let Some(passed) = <#path as TypedError>::from_problem(&problem) {
                        return Self::#variant(passed);
                    }
                }
            });
            quote! {
                impl<E> From<runtime::client::Error<E>> for #err
                where
                    E: runtime::client::TypedAnswer + ::std::fmt::Display,
                {
                    #doc
                    fn from(e: runtime::client::Error<E>) -> Self {
                        if let runtime::client::Error::Api(typed) = &e {
                            let problem = typed.to_problem();
                            #(#passed)*
                        }
                        Self::Problem(Box::new(e.upstream_problem()))
                    }
                }
            }
        };
        errors.push(quote! {
            #err_doc
            #[derive(Debug)]
            pub enum #err {
                #( #docs #variants(#paths), )*
                /// Any other problem: a failed dependency, an internal error, an endpoint not implemented yet.
                Problem(Box<runtime::Problem>),
            }

            #(
                impl From<#paths> for #err {
                    fn from(e: #paths) -> Self {
                        Self::#variants(e)
                    }
                }
            )*

            impl From<runtime::Problem> for #err {
                fn from(p: runtime::Problem) -> Self {
                    Self::Problem(Box::new(p))
                }
            }

            #store_from

            #dependency_from

            impl IntoProblem for #err {
                fn into_problem(self) -> runtime::Problem {
                    match self {
                        #( Self::#variants(e) => TypedError::to_problem(&e), )*
                        Self::Problem(p) => *p,
                    }
                }
            }
        });

        // The axum handler: parse every input, answer all problems at once, call the trait.
        let mut parse = Vec::new();
        let mut parsed = Vec::new();
        if !e.params.is_empty() {
            let t = endpoint_type(e, "Path");
            parse.push(quote! { let path = input.path::<api::#t>(); });
            parsed.push(format_ident!("path"));
        }
        if !e.query.is_empty() {
            let t = endpoint_type(e, "Query");
            parse.push(quote! { let query = input.query::<api::#t>(); });
            parsed.push(format_ident!("query"));
        }
        if !e.headers.is_empty() {
            let t = endpoint_type(e, "Headers");
            let names = e
                .headers
                .iter()
                .map(|h| lit(&h.name.wire.to_ascii_lowercase()));
            parse.push(quote! { let headers = input.headers::<api::#t>(&[#(#names),*]); });
            parsed.push(format_ident!("headers"));
        }
        if let Some(Body::Binary) = &e.request {
            parse.push(quote! { let body = input.binary(body, BODY_LIMIT).await; });
            parsed.push(format_ident!("body"));
        }
        if let Some(t) = e.request_json() {
            let t = rust_type(system, std, t);
            // Where the body's schema is in the service's OpenAPI document (a JSON Pointer:
            // `~` and `/` of the path escaped), for reporting every problem of a refused body.
            let pointer = lit(&format!(
                "/paths/{}/{}/requestBody/content/application~1json/schema",
                e.path.replace('~', "~0").replace('/', "~1"),
                e.method.as_str().to_ascii_lowercase()
            ));
            parse.push(quote! {
                let body = input
                    .json_shaped::<#t>(
                        body,
                        BODY_LIMIT,
                        Some(BodySchema { document: &super::DOCUMENT, pointer: #pointer }),
                    )
                    .await;
            });
            parsed.push(format_ident!("body"));
        }
        let status = status_code(e.status);
        let sources = args.iter().map(|a| &a.source);
        let has_caller = matches!(e.access, Access::Caller { .. });
        // Dependencies declared with `credentials = "forward"` carry the caller's credential
        // on; the events the handler publishes record the caller.
        let forwards = has_caller && service.depends_on.iter().any(|d| d.forward_credentials);
        let records = has_caller && !service.publishes.is_empty();
        let call = if forwards || records {
            let credential = if forwards {
                quote! { credential }
            } else {
                quote! { None }
            };
            let actor = if records {
                quote! { Some(runtime::auth::actor_of(&caller)) }
            } else {
                quote! { None }
            };
            quote! {
                runtime::context::on_behalf_of(#credential, #actor, api.#name(#(#sources),*)).await
            }
        } else {
            quote! { api.#name(#(#sources),*).await }
        };
        let wire = lit(&e.name.wire);
        let answer = match responder(system, e) {
            // Checked against the spec's constraints when `RESPONSE_CHECKS` is on.
            Responder::Checked => quote! { respond_checked(#wire, #status, #call) },
            Responder::Json => quote! { respond(#status, #call) },
            Responder::Binary => quote! { respond_binary(#wire, #status, #call) },
            Responder::Empty => quote! { respond_empty(#status, #call) },
        };
        let keep_credential = if forwards {
            quote! { let credential = runtime::auth::credential_of(request.headers(), &caller); }
        } else {
            quote! {}
        };
        let authenticate = match &e.access {
            Access::Public => quote! {},
            Access::Caller { schemes, scopes } => {
                let claims = claims_type(system, e).unwrap_or(quote! { runtime::auth::NoClaims });
                let schemes = schemes.iter().map(|k| lit(&system.auth[k].name.wire));
                let scopes = scopes.iter().map(|s| lit(s));
                quote! {
                    let requirement = &runtime::auth::Requirement { schemes: &[#(#schemes),*], scopes: &[#(#scopes),*] };
                    let caller = match runtime::auth::authenticate::<#claims>(request.headers(), requirement).await {
                        Ok(caller) => caller,
                        Err(refused) => return refused,
                    };
                    #keep_credential
                }
            }
        };
        let handler = if parsed.is_empty() && e.access == Access::Public {
            quote! {
                pub(super) async fn #name<A: Api>(State(api): State<Arc<A>>) -> Response {
                    #answer
                }
            }
        } else if parsed.is_empty() {
            quote! {
                pub(super) async fn #name<A: Api>(State(api): State<Arc<A>>, request: Request) -> Response {
                    #authenticate
                    #answer
                }
            }
        } else {
            let destructure = if parsed.len() == 1 {
                let p = &parsed[0];
                quote! { let Some(#p) = #p else { return input.reject(); }; }
            } else {
                quote! { let (#(Some(#parsed)),*) = (#(#parsed),*) else { return input.reject(); }; }
            };
            let body_binding = if e.request.is_some() {
                quote! { body }
            } else {
                quote! { _ }
            };
            quote! {
                pub(super) async fn #name<A: Api>(State(api): State<Arc<A>>, request: Request) -> Response {
                    #authenticate
                    let (parts, #body_binding) = request.into_parts();
                    let mut input = Input::new(parts).await;
                    #(#parse)*
                    #destructure
                    #answer
                }
            }
        };
        handlers.push(handler);
    }

    // One `.route` per path, with every method on it.
    let (route_calls, method_imports) = routing(service.endpoints.iter().map(|e| {
        let name = ident(&e.name.rust);
        (e.path.clone(), e.method, quote! { endpoints::#name::<A> })
    }));
    let trait_doc = doc_str(&format!(
        "The endpoints of the `{}` service: implement this trait, and [`router`] does the rest\n\
         (extraction, validation, problem answers).",
        service.name.wire
    ));
    let body_limit = proc_macro2::Literal::u64_unsuffixed(service.body_limit);
    let document = if service.endpoints.iter().any(|e| e.request_json().is_some()) {
        quote! {
            /// The document, parsed the first time a request body is refused: every problem of
            /// the body is then reported against its schema.
            static DOCUMENT: runtime::shape::Document = runtime::shape::Document::new(OPENAPI);
        }
    } else {
        quote! {}
    };
    let timeout = proc_macro2::Literal::u64_unsuffixed(service.request_timeout_ms);
    let endpoints_mod = if handlers.is_empty() {
        quote! {}
    } else {
        let needs_input = service.endpoints.iter().any(|e| {
            !e.params.is_empty()
                || !e.query.is_empty()
                || !e.headers.is_empty()
                || e.request.is_some()
        });
        let request_use = match (needs_input, needs_auth(service)) {
            (true, _) => {
                quote! { use runtime::axum::extract::Request; use runtime::server::Input; }
            }
            (false, true) => quote! { use runtime::axum::extract::Request; },
            (false, false) => quote! {},
        };
        let responders = [
            (Responder::Json, quote! { respond }),
            (Responder::Checked, quote! { respond_checked }),
            (Responder::Binary, quote! { respond_binary }),
            (Responder::Empty, quote! { respond_empty }),
        ]
        .into_iter()
        .filter(|(r, _)| service.endpoints.iter().any(|e| responder(system, e) == *r))
        .map(|(_, name)| name);
        let body_limit_use = if service.endpoints.iter().any(|e| e.request.is_some()) {
            quote! { use super::BODY_LIMIT; }
        } else {
            quote! {}
        };
        let schema_use = if service.endpoints.iter().any(|e| e.request_json().is_some()) {
            quote! { use runtime::shape::BodySchema; }
        } else {
            quote! {}
        };
        // The handlers live one level down: siblings of `server` are `super::super`.
        let handler_items: Vec<syn::Item> = handlers
            .iter()
            .filter_map(|h| syn::parse2(h.clone()).ok())
            .collect();
        let used = path_roots(&handler_items);
        let sibling_uses = ["api", "runtime", "types"]
            .into_iter()
            .filter(|n| used.contains(*n) || *n == "runtime")
            .map(|n| {
                let n = format_ident!("{}", n);
                quote! { use super::super::#n; }
            });
        quote! {
            /// One axum handler per endpoint.
            mod endpoints {
                #(#sibling_uses)*
                use super::Api;
                #body_limit_use
                #schema_use
                use runtime::axum::extract::State;
                use runtime::axum::http::StatusCode;
                use runtime::axum::response::Response;
                use runtime::context::Context;
                use runtime::server::{#(#responders),*};
                use std::sync::Arc;
                #request_use

                #(#handlers)*
            }
        }
    };
    let routing_use = if method_imports.is_empty() {
        quote! {}
    } else {
        quote! { use runtime::axum::routing::{#(#method_imports),*}; }
    };
    let issued = system.issued_by(&service.name.wire);
    let keys_route = if issued.is_empty() {
        quote! {}
    } else {
        quote! { .route("/.well-known/jwks.json", get(|| async { runtime::issuer::serve_keys() })) }
    };
    let router_body = quote! {
        Router::new()
            #(#route_calls)*
            .route("/openapi.json", get(|| async { runtime::server::json_document(OPENAPI) }))
            #keys_route
            .with_state(api)
    };
    let tokens_consts = issued.iter().map(|s| {
        let SchemeKind::Jwt { issuer, audience, .. } = &s.kind else {
            return quote! {};
        };
        let name = format_ident!("{}_TOKENS", const_name(&s.name.wire));
        let doc = doc_str(&format!(
            "The tokens of auth scheme `{}` this service signs (`{name}.issue(..)`), with the \
             key `AUTH_SIGNING_KEY_FILE` names; its public keys are served at \
             `/.well-known/jwks.json`.",
            s.name.wire
        ));
        let (scheme, issuer, audience) = (lit(&s.name.wire), lit(issuer), lit(audience));
        quote! {
            #doc
            pub const #name: runtime::issuer::Tokens = runtime::issuer::Tokens { scheme: #scheme, issuer: #issuer, audience: #audience };
        }
    });
    let (event_methods, dispatcher) = event_tokens(system, service);
    methods.extend(event_methods);
    let events_use = if service.subscribes.is_empty() {
        quote! {}
    } else {
        quote! {
            pub use runtime::events::{HandlerError, Meta};
            use super::store::Transaction;
        }
    };
    let auth_use = if needs_auth(service) {
        let schemes = schemes_tokens(system, service);
        quote! {
            pub use runtime::auth::Caller;
            #schemes
        }
    } else {
        quote! {}
    };
    let has_endpoints = !service.endpoints.is_empty() || !service.subscribes.is_empty();
    let has_errors = service.endpoints.iter().any(|e| !e.errors.is_empty());
    let server_uses = match (has_endpoints, has_errors) {
        (false, _) => quote! { use runtime::server::Settings; },
        (true, false) => {
            quote! { use runtime::server::{IntoProblem, Settings}; use std::future::Future; }
        }
        (true, true) => {
            quote! { use runtime::server::{IntoProblem, Settings}; use std::future::Future; use types::TypedError; }
        }
    };
    quote! {
        //! The server side of the service: the trait you implement and the router around it.

        use runtime::axum::Router;
        #routing_use
        #server_uses
        use std::process::ExitCode;
        use std::sync::Arc;
        use std::time::Duration;

        pub use runtime::context::Context;
        #auth_use
        #(#tokens_consts)*
        #events_use

        /// Largest accepted request body, in bytes.
        pub const BODY_LIMIT: usize = #body_limit;
        /// Time allowed to answer one request.
        pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(#timeout);
        /// The service's OpenAPI 3.1 document, served at `GET /openapi.json`.
        pub const OPENAPI: &str = #openapi;
        #document

        #trait_doc
        pub trait Api: Send + Sync + 'static {
            #(#methods)*
        }

        #(#errors)*

        /// The service's routes, answering with `api`, and its OpenAPI document. [`run`] adds
        /// health endpoints and middleware.
        pub fn router<A: Api>(api: Arc<A>) -> Router {
            #router_body
        }

        #run

        #dispatcher

        #endpoints_mod
    }
}

/// The `Api` methods of the events `service` handles (`on_<event>`), and the dispatcher that
/// hands each received event to its method.
fn event_tokens(system: &System, service: &Service) -> (Vec<TokenStream>, TokenStream) {
    if service.subscribes.is_empty() {
        return (Vec::new(), quote! {});
    }
    let std = Std::service();
    let mut methods = Vec::new();
    let mut arms = Vec::new();
    for key in &service.subscribes {
        let event = &system.events[key];
        let method = format_ident!("on_{}", event.name.rust);
        let payload = std.schema(&system.schemas[&event.payload].name.rust);
        let mut text = format!(
            "Handles `{}`. Runs inside `tx`, which holds the event's inbox row: what the handler \
             writes through it commits with that row, so an event delivered again has its \
             effect once. `Err(HandlerError::Failed)` has the event tried again later (after \
             `EVENTS_MAX_ATTEMPTS` attempts it goes to the dead letters); \
             `Err(HandlerError::Invalid)` sends it to the dead letters at once.",
            event.name.wire
        );
        if let Some(d) = &event.doc {
            text = format!("{text}\n\n{d}");
        }
        let d = doc_str(&text);
        methods.push(quote! {
            #d
            fn #method(&self, meta: Meta, event: #payload, tx: &mut Transaction) -> impl Future<Output = Result<(), HandlerError>> + Send;
        });
        let wire = lit(&event.wire_type());
        arms.push(quote! {
            #wire => {
                let payload = runtime::events::decode::<#payload>(event)?;
                let mut tx = Transaction::from_tx(tx, &self.store);
                self.api.#method(event.meta(attempt), payload, &mut tx).await?;
                Ok(tx.into_tx())
            }
        });
    }
    let dispatcher = quote! {
        /// Hands each event the service handles to its method of the `Api`.
        struct Dispatcher<A> {
            api: Arc<A>,
            store: super::store::Store,
        }

        impl<A: Api> runtime::events::Dispatch for Dispatcher<A> {
            fn dispatch<'a>(
                &'a self,
                event: &'a runtime::events::Envelope,
                attempt: u32,
                tx: runtime::store::Tx,
            ) -> runtime::events::Handling<'a> {
                Box::pin(async move {
                    match event.event_type.as_str() {
                        #(#arms)*
                        other => Err(HandlerError::Invalid(format!(
                            "`{other}` is not an event this service handles"
                        ))),
                    }
                })
            }
        }
    };
    (methods, dispatcher)
}

/// `From<store::Error>` for an endpoint's errors, in a service with records: a duplicate of a
/// unique field answers with the error the spec names for it when the endpoint declares it.
fn store_error_from(
    system: &System,
    service: &Service,
    e: &Endpoint,
    err: &proc_macro2::Ident,
) -> TokenStream {
    if !service.has_store() {
        return quote! {};
    }
    let mut arms = Vec::new();
    for r in &service.records {
        let repo = super::store::repository_type(r);
        for (i, error) in &r.unique {
            if !e.errors.contains(error) {
                continue;
            }
            let c = &r.columns[*i];
            let constraint = super::store::unique_const(c);
            let variant = ident(&system.errors[error].name.rust);
            let path = Std::service().schema(&system.errors[error].name.rust);
            let detail = lit(&format!(
                "another record of `{}` has this `{}`",
                r.name.wire, c.field.wire
            ));
            arms.push(quote! {
                if e.violates(&super::store::#repo::#constraint) {
                    return Self::#variant(#path::new(#detail));
                }
            });
        }
    }
    quote! {
        impl From<runtime::store::Error> for #err {
            /// A database error: a duplicate unique value answers with the error the spec names
            /// for it, an unreachable database with 503.
            fn from(e: runtime::store::Error) -> Self {
                #(#arms)*
                Self::Problem(Box::new(e.into()))
            }
        }
    }
}

/// `run`: main of the service binary; with records, the database is opened first.
fn run_tokens(system: &System, service: &Service) -> TokenStream {
    let settings = quote! {
        let settings = Settings {
            service: super::api::SERVICE,
            default_port: super::api::DEFAULT_PORT,
            request_timeout: REQUEST_TIMEOUT,
        };
    };
    let auth = needs_auth(service);
    let issuer = !system.issued_by(&service.name.wire).is_empty();
    // The signing key first: a service checking its own tokens uses its keys.
    let mut install = TokenStream::new();
    if issuer {
        install.extend(quote! { runtime::issuer::install()?; });
    }
    if auth {
        install.extend(quote! { runtime::auth::install(AUTH_SCHEMES)?; });
    }
    if !service.has_store() && (auth || issuer) {
        return quote! {
            /// Runs the service until SIGTERM or Ctrl-C: logging from `RUST_LOG`, dependencies from
            /// the environment, the auth schemes' keys from `AUTH_<SCHEME>_*`, the address from
            /// `HOST` and `PORT`. With the argument `healthcheck`, checks instead whether the
            /// service on this machine is ready.
            pub async fn run<A: Api>(make: impl FnOnce(super::deps::Deps) -> A) -> ExitCode {
                #settings
                runtime::server::main(settings, || {
                    let deps = super::deps::Deps::from_env().map_err(|e| e.to_string())?;
                    #install
                    Ok::<_, String>(router(Arc::new(make(deps))))
                })
                .await
            }
        };
    }
    if !service.has_store() {
        return quote! {
            /// Runs the service until SIGTERM or Ctrl-C: logging from `RUST_LOG`, dependencies from
            /// the environment, the address from `HOST` and `PORT`. With the argument
            /// `healthcheck`, checks instead whether the service on this machine is ready.
            pub async fn run<A: Api>(make: impl FnOnce(super::deps::Deps) -> A) -> ExitCode {
                #settings
                runtime::server::main(settings, || {
                    let deps = super::deps::Deps::from_env()?;
                    Ok::<_, runtime::client::ConfigError>(router(Arc::new(make(deps))))
                })
                .await
            }
        };
    }
    let build = if !service.has_events() {
        quote! {
            let deps = super::deps::Deps::from_env().map_err(|e| e.to_string())?;
            #install
            Ok(router(Arc::new(make(deps, super::store::Store::new(db)))))
        }
    } else if service.subscribes.is_empty() {
        quote! {
            let deps = super::deps::Deps::from_env().map_err(|e| e.to_string())?;
            #install
            let events = runtime::events::Events::start(&db, &super::store::EVENTS).await?;
            let store = super::store::Store::with_outbox(db, events.outbox());
            Ok(router(Arc::new(make(deps, store))))
        }
    } else {
        quote! {
            let deps = super::deps::Deps::from_env().map_err(|e| e.to_string())?;
            #install
            let events = runtime::events::Events::start(&db, &super::store::EVENTS).await?;
            let store = super::store::Store::with_outbox(db, events.outbox());
            let api = Arc::new(make(deps, store.clone()));
            Ok(events.serve(router(api.clone()), Dispatcher { api, store }))
        }
    };
    let events_doc = if service.has_events() {
        "\n\nEvents: published ones are delivered from the service's outbox by a relay it \
         runs; handled ones arrive at its internal `/_svcgen/events` route (see \
         `runtime::events`)."
    } else {
        ""
    };
    let run_doc = doc_str(&format!(
        "Runs the service until SIGTERM or Ctrl-C: logging from `RUST_LOG`, dependencies from \
         the environment, the address from `HOST` and `PORT`, the database from \
         `DATABASE_URL` (default: an SQLite file in `SVCGEN_DATA_DIR`), migrated before the \
         first request. With the argument `healthcheck`, checks instead whether the service \
         on this machine is ready; with `migrations`, lists which migrations its database \
         has applied and which would run.{events_doc}"
    ));
    quote! {
        #run_doc
        pub async fn run<A: Api>(make: impl FnOnce(super::deps::Deps, super::store::Store) -> A) -> ExitCode {
            #settings
            runtime::store::main(settings, super::store::DATABASE, &super::store::MIGRATIONS, |db| async move {
                #build
            })
            .await
        }
    }
}

/// The `StatusCode` of a declared success status: its named constant, or, for a 2xx without a
/// name (`250`), the runtime's `status(250)`.
fn status_code(status: u16) -> TokenStream {
    match status_const(status) {
        Some(name) => {
            let name = format_ident!("{}", name);
            quote! { StatusCode::#name }
        }
        None => {
            let code = proc_macro2::Literal::u16_unsuffixed(status);
            quote! { runtime::server::status(#code) }
        }
    }
}

fn status_const(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        201 => "CREATED",
        202 => "ACCEPTED",
        203 => "NON_AUTHORITATIVE_INFORMATION",
        204 => "NO_CONTENT",
        205 => "RESET_CONTENT",
        206 => "PARTIAL_CONTENT",
        207 => "MULTI_STATUS",
        208 => "ALREADY_REPORTED",
        226 => "IM_USED",
        _ => return None,
    })
}

pub(crate) fn deps_tokens(system: &System, service: &Service) -> TokenStream {
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    for d in &service.depends_on {
        let dep = &system.services[&d.service];
        let field = ident(&dep.name.rust);
        let krate = quote! { super::dependencies::#field };
        let docs = doc_str(&format!(
            "The `{}` service (`{}`, default `{}`).",
            dep.name.wire,
            url_env(dep),
            default_url(dep)
        ));
        fields.push(quote! { #docs pub #field: #krate::client::Client, });
        let (t, c, r) = (
            proc_macro2::Literal::u64_unsuffixed(d.timeout_ms),
            proc_macro2::Literal::u64_unsuffixed(d.connect_timeout_ms),
            proc_macro2::Literal::u32_unsuffixed(d.retries),
        );
        let forward = d.forward_credentials;
        inits.push(quote! {
            #field: #krate::client::Client::from_env(Policy {
                timeout: Duration::from_millis(#t),
                connect_timeout: Duration::from_millis(#c),
                retries: #r,
                forward_credentials: #forward,
            })?,
        });
    }
    // A service of the system it did not declare, to show that using it does not compile.
    let undeclared = system.services.values().find(|s| {
        s.name.wire != service.name.wire
            && !service.depends_on.iter().any(|d| d.service == s.name.wire)
    });
    let mut text = format!(
        "Ready clients for exactly the services `{}` declares in `depends_on`, each with the\nspec's timeout and retry policy. Addresses come from the environment variables named\nbelow, falling back to this machine.",
        service.name.wire
    );
    let own = service_crate(system, service);
    if let Some(first) = service.depends_on.first() {
        let field = &system.services[&first.service].name.rust;
        text.push_str(&format!(
            "\n\n```no_run\nfn call(deps: &{own}::deps::Deps) {{\n    let _ = &deps.{field};\n}}\n```"
        ));
    }
    if let Some(u) = undeclared {
        text.push_str(&format!(
            "\n\nA service that was not declared has no client here, so calling it does not compile:\n\n```compile_fail\nfn call(deps: &{own}::deps::Deps) {{\n    let _ = &deps.{};\n}}\n```",
            u.name.rust
        ));
    }
    let struct_doc = doc_str(&text);
    let uses = if fields.is_empty() {
        quote! { use runtime::client::ConfigError; }
    } else {
        quote! {
            use runtime::client::{ConfigError, Policy};
            use std::time::Duration;
        }
    };
    quote! {
        //! The services this one depends on, as declared in the spec.

        #uses

        #struct_doc
        #[derive(Debug, Clone)]
        pub struct Deps {
            #(#fields)*
        }

        impl Deps {
            /// Builds every client from the environment.
            pub fn from_env() -> Result<Self, ConfigError> {
                Ok(Self {
                    #(#inits)*
                })
            }
        }
    }
}

fn handlers_tokens(system: &System, service: &Service) -> TokenStream {
    let handler = ident(&handler_struct(system, service));
    let mut methods = Vec::new();
    let mut imports = Vec::new();
    for e in &service.endpoints {
        let name = ident(&e.name.rust);
        let err = endpoint_type(e, "Error");
        imports.push(err.clone());
        let params = handler_args(system, e).into_iter().map(|a| {
            let n = format_ident!("_{}", a.name.to_string().trim_start_matches("r#"));
            let t = a.ty;
            quote! { #n: #t }
        });
        let response = body_type(system, &e.response);
        let wire = lit(&e.name.wire);
        methods.push(quote! {
            async fn #name(&self, #(#params),*) -> Result<#response, #err> {
                Err(runtime::Problem::not_implemented(#wire).into())
            }
        });
    }
    let std = Std::service();
    let mut event_imports = Vec::new();
    if needs_auth(service) {
        event_imports.push(quote! { use crate::server::Caller; });
    }
    for key in &service.subscribes {
        let event = &system.events[key];
        let method = format_ident!("on_{}", event.name.rust);
        let payload = std.schema(&system.schemas[&event.payload].name.rust);
        let wire = lit(&format!("`{}` is not handled yet", event.name.wire));
        methods.push(quote! {
            async fn #method(&self, _meta: Meta, _event: #payload, _tx: &mut Transaction) -> Result<(), HandlerError> {
                Err(HandlerError::Failed(#wire.into()))
            }
        });
    }
    if !service.subscribes.is_empty() {
        event_imports.push(quote! { use crate::server::{HandlerError, Meta}; });
        event_imports.push(quote! { use super::store::Transaction; });
    }
    let text = format!(
        "Handlers of the `{}` service: one method per endpoint of the spec{}.\n\nEvery endpoint answers 501 until you implement it{}.",
        service.name.wire,
        if service.subscribes.is_empty() {
            ""
        } else {
            " and per event it handles"
        },
        if service.subscribes.is_empty() {
            ""
        } else {
            "; every event fails (and, after its last attempt, goes to the dead letters, to be replayed once it is handled)"
        }
    );
    let lines = super::rust::doc_lines(&text);
    let struct_doc = doc_str(&format!("The `{}` service.", service.name.wire));
    // What the struct keeps, and what `new` is given. A field is kept only when there is
    // something in it: the handlers are part of the binary, where a field no code reads is a
    // warning (until the handlers are written, each is allowed to go unread).
    let (mut fields, mut params, mut inits) = (Vec::new(), Vec::new(), Vec::new());
    if service.depends_on.is_empty() {
        params.push(quote! { _deps: Deps });
    } else {
        fields.push(quote! {
            /// Clients of the services this one depends on.
            #[allow(dead_code, reason = "read by the handlers you write")]
            pub deps: Deps
        });
        params.push(quote! { deps: Deps });
        inits.push(quote! { deps });
    }
    let store_use = service
        .has_store()
        .then(|| quote! { use super::store::Store; });
    if service.has_store() {
        fields.push(quote! {
            /// The service's own database.
            #[allow(dead_code, reason = "read by the handlers you write")]
            pub store: Store
        });
        params.push(quote! { store: Store });
        inits.push(quote! { store });
    }
    quote! {
        #(#![doc = #lines])*

        use super::deps::Deps;
        #store_use
        #(#event_imports)*
        use crate::server::{Api, Context, #(#imports),*};

        #struct_doc
        pub struct #handler {
            #(#fields),*
        }

        impl #handler {
            /// The handlers, with their dependencies.
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
        }

        impl Api for #handler {
            #(#methods)*
        }
    }
}

/// The modules of a service's library that its scaffolded `handlers.rs` names as `crate::…`
/// or `super::…`, which `main.rs` brings into the binary's root.
pub fn handler_modules(service: &Service) -> Vec<&'static str> {
    let mut modules = Vec::new();
    if service.endpoints.iter().any(|e| !e.query.is_empty()) {
        modules.push("api");
    }
    modules.extend(["deps", "server"]);
    if service.has_store() {
        modules.push("store");
    }
    modules
}

fn main_tokens(system: &System, service: &Service) -> TokenStream {
    let krate = service_crate(system, service);
    let handler = ident(&handler_struct(system, service));
    let lines = super::rust::doc_lines(&format!(
        "Starts the `{}` service: your handlers, served by the generated server.",
        service.name.wire
    ));
    // What `handlers.rs` reaches as `crate::…` (or `super::…`): the library's generated
    // modules. `pub(crate)`, as the presentation pass prunes private imports this file's own
    // code does not mention.
    let modules = handler_modules(service).into_iter().map(ident);
    quote! {
        #(#![doc = #lines])*

        mod handlers;

        pub(crate) use #krate::{#(#modules),*};

        #[tokio::main]
        async fn main() -> std::process::ExitCode {
            server::run(handlers::#handler::new).await
        }
    }
}
