// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `FinanceService` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, FeesForPermitError, RecordFeeError};
/// The `FinanceService` service.
pub struct FinanceService {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl FinanceService {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for FinanceService {
    async fn record_fee(&self, _body: types::NewFee) -> Result<types::FeeRecord, RecordFeeError> {
        Err(runtime::Problem::not_implemented("record_fee").into())
    }
    async fn fees_for_permit(
        &self,
        _permit_id: types::uuid::Uuid,
    ) -> Result<Vec<types::FeeRecord>, FeesForPermitError> {
        Err(runtime::Problem::not_implemented("fees_for_permit").into())
    }
}
