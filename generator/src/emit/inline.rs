//! One service as items expanded in place, for the `svcgen_macros::service!` macro: the same
//! module token streams the CLI writes into files, nested as inline modules.
//!
//! ```text
//! types          the system's schema and error types   (the types crate)
//! runtime        `svcgen-runtime`, re-exported          (a dependency of the invoking crate)
//! api, client, server, deps                             (the service crate's modules)
//! dependencies::<dep>::{api, client}                    (each dependency's client)
//! ```

use super::EmitError;
use super::service::{api_tokens, client_tokens, deps_tokens, server_tokens, with_siblings};
use super::types::inline_modules;
use crate::ident::ident;
use crate::model::{Service, System};
use proc_macro2::TokenStream;
use quote::quote;

/// Every item of `service`, as the service crate and its sibling crates hold them.
pub fn service_items(system: &System, service: &Service) -> Result<TokenStream, EmitError> {
    let types = types_module(system)?;
    // The one runtime crate, which the invoking crate depends on (features `client`, `server`).
    let runtime = quote! { pub use ::svcgen_runtime as runtime; };
    let own = service_modules(system, service, true)?;
    let deps = service.depends_on.iter().map(|d| {
        let dep = &system.services[&d.service];
        let name = ident(&dep.name.rust);
        service_modules(system, dep, false).map(|modules| {
            quote! {
                pub mod #name {
                    pub use super::super::{runtime, types};
                    #modules
                }
            }
        })
    });
    let deps = deps.collect::<Result<Vec<_>, _>>()?;
    let dependencies = if deps.is_empty() {
        quote! {}
    } else {
        quote! {
            /// The clients of the services this one depends on.
            pub mod dependencies {
                #(#deps)*
            }
        }
    };
    let items = quote! {
        #types
        #runtime
        #own
        #dependencies
    };
    // The same presentation pass as the files get (imports pruned and sorted per module), so
    // the expansion is item for item what the CLI writes.
    let mut file: syn::File = syn::parse2(items).map_err(|e| EmitError::Rust {
        path: "service expansion".into(),
        message: e.to_string(),
    })?;
    super::present::tidy(&mut file);
    Ok(quote! { #file })
}

/// `api` and `client` of a service, and with `server` also its `server` and `deps`.
fn service_modules(
    system: &System,
    service: &Service,
    server: bool,
) -> Result<TokenStream, EmitError> {
    let api = with_siblings(api_tokens(system, service))?;
    let client = with_siblings(client_tokens(system, service))?;
    if !server {
        return Ok(quote! {
            pub mod api { #api }
            pub mod client { #client }
        });
    }
    // The document is embedded: there is no file beside the invoking crate to include.
    let json =
        serde_json::to_string(&super::openapi::document(system, service)).unwrap_or_default();
    let server = with_siblings(server_tokens(system, service, quote! { #json }))?;
    let deps = with_siblings(deps_tokens(system, service))?;
    let store = if !service.has_store() {
        quote! {}
    } else {
        let store = super::store::store_tokens(system, service);
        quote! { pub mod store { #store } }
    };
    Ok(quote! {
        pub mod api { #api }
        pub mod client { #client }
        pub mod deps { #deps }
        pub mod server { #server }
        #store
    })
}

fn types_module(system: &System) -> Result<TokenStream, EmitError> {
    let modules = inline_modules(system, quote! { super::runtime });
    Ok(quote! {
        /// Schema and error types of the system, with validation of the spec's constraints.
        pub mod types {
            pub use super::runtime::bytes;
            pub use super::runtime::query;
            pub use super::runtime::validation;
            #modules
            pub use ::chrono;
            pub use ::regex;
            pub use ::uuid;
        }
    })
}
