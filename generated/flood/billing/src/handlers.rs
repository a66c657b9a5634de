// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `billing` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, CreateInvoiceError, GetInvoiceError};
/// The `billing` service.
pub struct Billing {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Billing {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Billing {
    async fn create_invoice(
        &self,
        _body: types::InvoiceRequest,
    ) -> Result<types::Invoice, CreateInvoiceError> {
        Err(runtime::Problem::not_implemented("create_invoice").into())
    }
    async fn get_invoice(&self, _id: types::uuid::Uuid) -> Result<types::Invoice, GetInvoiceError> {
        Err(runtime::Problem::not_implemented("get_invoice").into())
    }
}
