// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `analytics` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, RecordEventError, ReportError};
/// The `analytics` service.
pub struct Analytics {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Analytics {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Analytics {
    async fn record_event(&self, _body: types::Event) -> Result<(), RecordEventError> {
        Err(runtime::Problem::not_implemented("record_event").into())
    }
    async fn report(
        &self,
        _query: crate::api::ReportQuery,
        _x_session_token: String,
    ) -> Result<types::Report, ReportError> {
        Err(runtime::Problem::not_implemented("report").into())
    }
}
