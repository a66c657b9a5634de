//! Compile-time front end of svcgen: expands a spec in place instead of writing files.
//!
//! A thin layer over the `svcgen` library: it reads the spec, runs the same phases and the same
//! emitters as `svcgen generate`, and turns spec errors into compile errors at the macro input.

use proc_macro::TokenStream;
use quote::quote;
use std::path::{Path, PathBuf};
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token, parse_macro_input};

/// `"spec path", "service name"`.
struct ServiceInput {
    spec: LitStr,
    service: LitStr,
}

impl Parse for ServiceInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let spec: LitStr = input.parse()?;
        input.parse::<Token![,]>()?;
        let service: LitStr = input.parse()?;
        let _ = input.parse::<Option<Token![,]>>()?;
        Ok(ServiceInput { spec, service })
    }
}

/// Expands one service of a spec in place: the same items `svcgen generate` writes for it,
/// as modules of the invoking module:
///
/// - `types`: the system's schema and error types, with validation;
/// - `runtime`: problems, the server stack, the HTTP client;
/// - `api`, `client`, `server` (the `Api` trait, `router`, `run`), `deps`;
/// - `dependencies::<service>::{api, client}` for each declared dependency.
///
/// The spec path is relative to the crate's `CARGO_MANIFEST_DIR`; editing the spec rebuilds.
/// The crate needs the dependencies the generated crates have (see the README).
///
/// ```ignore
/// mod users {
///     svcgen_macros::service!("specs/shop.toml", "users");
/// }
/// ```
#[proc_macro]
pub fn service(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as ServiceInput);
    expand_service(&input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

fn expand_service(input: &ServiceInput) -> syn::Result<proc_macro2::TokenStream> {
    let (base, loaded) = load(&input.spec)?;
    let system = &loaded.systems[0];
    let wanted = input.service.value();
    let Some(service) = system.services.values().find(|s| s.name.wire == wanted) else {
        let known: Vec<&str> = system.services.keys().map(String::as_str).collect();
        return Err(syn::Error::new(
            input.service.span(),
            format!(
                "`{}` has no service `{wanted}`; its services are: {}",
                input.spec.value(),
                known.join(", ")
            ),
        ));
    };
    // Migrations come from the CLI (`svcgen generate` plans and writes them); the macro embeds
    // the ones in `migrations/` beside the invoking crate's manifest.
    let mut service = service.clone();
    if service.has_store() {
        service.migrations =
            svcgen_codegen::migrate::existing(&base.join("migrations")).map_err(|e| {
                syn::Error::new(
                    input.spec.span(),
                    format!("cannot read the migrations in `migrations/`: {e}"),
                )
            })?;
    }
    let items = svcgen_codegen::emit::inline::service_items(system, &service)
        .map_err(|e| syn::Error::new(input.spec.span(), e.to_string()))?;
    let rebuild = rebuild_on_change(&base, &loaded);
    Ok(quote! {
        #rebuild
        #items
    })
}

/// Loads the one system at `spec` (relative to `CARGO_MANIFEST_DIR`), turning spec problems
/// into an error at the macro input that carries every diagnostic with its file:line:col.
fn load(spec: &LitStr) -> syn::Result<(PathBuf, svcgen_codegen::Loaded)> {
    let base = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|_| {
        syn::Error::new(
            spec.span(),
            "CARGO_MANIFEST_DIR is not set; is this built by cargo?",
        )
    })?);
    let loaded = svcgen_codegen::load(&base, &[PathBuf::from(spec.value())]).map_err(|e| {
        // The compiler prefixes the message with `error:` and nothing is ever written here.
        let text = e.render(false);
        let text = text.strip_prefix("error: ").unwrap_or(&text);
        syn::Error::new(spec.span(), text.replace("; nothing was written", ""))
    })?;
    if loaded.systems.len() != 1 {
        return Err(syn::Error::new(
            spec.span(),
            "the path must name one system (a `.toml` file or a folder holding `system.toml`)",
        ));
    }
    Ok((base, loaded))
}

/// `include_str!` of every spec file, so cargo rebuilds when one changes.
fn rebuild_on_change(base: &Path, loaded: &svcgen_codegen::Loaded) -> proc_macro2::TokenStream {
    let files: Vec<String> = loaded
        .sources
        .names()
        .map(|name| base.join(Path::new(name)).to_string_lossy().into_owned())
        .collect();
    quote! { #(const _: &str = include_str!(#files);)* }
}

/// Expands the schema and error types of a system, with their validation, exactly as the
/// types crate that `svcgen generate` writes (one type per schema and error, `validation`
/// re-exported from `svcgen-runtime`, which the invoking crate depends on). The path is relative to the crate's `CARGO_MANIFEST_DIR`; editing the spec rebuilds.
///
/// ```ignore
/// mod shop {
///     svcgen_macros::include_types!("specs/shop.toml");
/// }
/// ```
#[proc_macro]
pub fn include_types(input: TokenStream) -> TokenStream {
    let spec = parse_macro_input!(input as LitStr);
    expand_types(&spec)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

fn expand_types(spec: &LitStr) -> syn::Result<proc_macro2::TokenStream> {
    let (base, loaded) = load(spec)?;
    let system = &loaded.systems[0];
    let modules = svcgen_codegen::emit::types::inline_modules(system, quote! { ::svcgen_runtime });
    let rebuild = rebuild_on_change(&base, &loaded);
    Ok(quote! {
        #rebuild

        pub use ::svcgen_runtime::validation;
        #modules
    })
}
