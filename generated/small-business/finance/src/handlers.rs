// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `finance` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, DisburseError, ListDisbursementsError};
/// The `finance` service.
pub struct Finance {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Finance {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Finance {
    async fn disburse(
        &self,
        _body: types::DisbursementRequest,
    ) -> Result<types::Disbursement, DisburseError> {
        Err(runtime::Problem::not_implemented("disburse").into())
    }
    async fn list_disbursements(
        &self,
        _business_id: types::uuid::Uuid,
    ) -> Result<Vec<types::Disbursement>, ListDisbursementsError> {
        Err(runtime::Problem::not_implemented("list_disbursements").into())
    }
}
