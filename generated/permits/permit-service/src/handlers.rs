// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `PermitService` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, ApplyError, DecideError, GetPermitError, ListPermitsError};
/// The `PermitService` service.
pub struct PermitService {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl PermitService {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for PermitService {
    async fn apply(&self, _body: types::PermitApplication) -> Result<types::Permit, ApplyError> {
        Err(runtime::Problem::not_implemented("apply").into())
    }
    async fn get_permit(&self, _id: types::uuid::Uuid) -> Result<types::Permit, GetPermitError> {
        Err(runtime::Problem::not_implemented("get_permit").into())
    }
    async fn list_permits(
        &self,
        _query: crate::api::ListPermitsQuery,
    ) -> Result<Vec<types::Permit>, ListPermitsError> {
        Err(runtime::Problem::not_implemented("list_permits").into())
    }
    async fn decide(
        &self,
        _id: types::uuid::Uuid,
        _body: types::Decision,
    ) -> Result<types::Permit, DecideError> {
        Err(runtime::Problem::not_implemented("decide").into())
    }
}
