// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `policy` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, CancelPolicyError, GetPolicyError, PurchaseError};
/// The `policy` service.
pub struct Policy {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Policy {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Policy {
    async fn purchase(&self, _body: types::QuoteRequest) -> Result<types::Policy, PurchaseError> {
        Err(runtime::Problem::not_implemented("purchase").into())
    }
    async fn get_policy(&self, _id: types::uuid::Uuid) -> Result<types::Policy, GetPolicyError> {
        Err(runtime::Problem::not_implemented("get_policy").into())
    }
    async fn cancel_policy(&self, _id: types::uuid::Uuid) -> Result<(), CancelPolicyError> {
        Err(runtime::Problem::not_implemented("cancel_policy").into())
    }
}
