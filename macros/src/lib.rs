//! Compile-time front end of svcgen: expands a spec in place instead of writing files.
//!
//! A thin layer over the `svcgen` library: it reads the spec, runs the same phases and the same
//! emitters as `svcgen generate`, and turns spec errors into compile errors at the macro input.

use proc_macro::TokenStream;
use quote::quote;
use std::path::{Path, PathBuf};
use syn::{LitStr, parse_macro_input};

/// Expands the schema and error types of a system, with their validation, exactly as the
/// types crate that `svcgen generate` writes (`validation` module, one type per schema and
/// error). The path is relative to the crate's `CARGO_MANIFEST_DIR`; editing the spec rebuilds.
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
    let base = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|_| {
        syn::Error::new(
            spec.span(),
            "CARGO_MANIFEST_DIR is not set; is this built by cargo?",
        )
    })?);
    let loaded = svcgen::load(&base, &[PathBuf::from(spec.value())])
        .map_err(|e| syn::Error::new(spec.span(), e.render(false)))?;
    let [system] = loaded.systems.as_slice() else {
        return Err(syn::Error::new(
            spec.span(),
            "the path must name one system (a `.toml` file or a folder holding `system.toml`)",
        ));
    };
    let validation = svcgen::emit::types::validation_tokens()
        .map_err(|e| syn::Error::new(spec.span(), e.to_string()))?;
    let schemas = svcgen::emit::types::schemas_tokens(system);
    let errors = svcgen::emit::types::errors_tokens(system);
    // `include_str!` of every spec file makes cargo rebuild when one changes.
    let files: Vec<String> = loaded
        .sources
        .names()
        .map(|name| base.join(Path::new(name)).to_string_lossy().into_owned())
        .collect();
    Ok(quote! {
        #(const _: &str = include_str!(#files);)*

        pub mod validation {
            #validation
        }
        mod schemas {
            #schemas
        }
        mod errors {
            #errors
        }
        pub use errors::*;
        pub use schemas::*;
    })
}
