//! Runtime support shared by the services and clients of this system: RFC 9457 problems, the
//! server stack (validation, middleware, health, graceful shutdown) and the HTTP client
//! (timeouts, retries, request id propagation).
//!
//! The same code is generated for every system; only the name of the types crate it builds on
//! differs (it is imported as `types`). Modules refer to each other with `super::` paths so the
//! same code also works expanded inline by the `svcgen_macros::service!` macro.

pub mod context;
pub mod problem;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
pub mod server;

pub use problem::{FieldError, Problem};
/// The system's types crate, which the server validates with.
pub use types;
pub use tracing;

#[cfg(feature = "server")]
pub use axum;
