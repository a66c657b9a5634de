// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `payment` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, GetReceiptError, PayFeeError};
/// The `payment` service.
pub struct Payment {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Payment {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Payment {
    async fn pay_fee(
        &self,
        _x_session_token: String,
        _body: types::FeePayment,
    ) -> Result<types::Receipt, PayFeeError> {
        Err(runtime::Problem::not_implemented("pay_fee").into())
    }
    async fn get_receipt(&self, _id: types::uuid::Uuid) -> Result<types::Receipt, GetReceiptError> {
        Err(runtime::Problem::not_implemented("get_receipt").into())
    }
}
