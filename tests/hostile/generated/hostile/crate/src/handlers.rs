// Written once by svcgen from tests/hostile/spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `crate` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, FnError};
/// The `crate` service.
pub struct Crate {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Crate {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Crate {
    async fn r#fn(&self, _type: types::Self_) -> Result<(), FnError> {
        Err(runtime::Problem::not_implemented("fn").into())
    }
}
