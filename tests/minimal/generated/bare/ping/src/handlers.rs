// Written once by svcgen from bare.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `ping` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use super::deps::Deps;
use crate::server::{Api, Context, PingError};
/// The `ping` service.
pub struct Ping {
}
impl Ping {
    /// The handlers, with their dependencies.
    pub fn new(_deps: Deps) -> Self {
        Self {}
    }
}
impl Api for Ping {
    async fn ping(&self, _cx: Context) -> Result<(), PingError> {
        Err(runtime::Problem::not_implemented("ping").into())
    }
}
