// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `risk` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, AssessError};
/// The `risk` service.
pub struct Risk {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Risk {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Risk {
    async fn assess(&self, _body: types::Property) -> Result<types::RiskAssessment, AssessError> {
        Err(runtime::Problem::not_implemented("assess").into())
    }
}
