// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `grant` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, ApplyError, DisburseError, ReviewError, StatusError};
/// The `grant` service.
pub struct Grant {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Grant {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Grant {
    async fn apply(&self, _body: types::GrantApplication) -> Result<types::Grant, ApplyError> {
        Err(runtime::Problem::not_implemented("apply").into())
    }
    async fn status(&self, _id: types::uuid::Uuid) -> Result<types::StatusView, StatusError> {
        Err(runtime::Problem::not_implemented("status").into())
    }
    async fn review(
        &self,
        _id: types::uuid::Uuid,
        _body: types::Review,
    ) -> Result<types::Grant, ReviewError> {
        Err(runtime::Problem::not_implemented("review").into())
    }
    async fn disburse(&self, _id: types::uuid::Uuid) -> Result<types::Disbursement, DisburseError> {
        Err(runtime::Problem::not_implemented("disburse").into())
    }
}
