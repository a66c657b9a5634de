// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `messaging` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, InboxError, SendMessageError};
/// The `messaging` service.
pub struct Messaging {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Messaging {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Messaging {
    async fn send_message(
        &self,
        _body: types::OutgoingMessage,
    ) -> Result<types::Thread, SendMessageError> {
        Err(runtime::Problem::not_implemented("send_message").into())
    }
    async fn inbox(
        &self,
        _applicant_id: types::ApplicantId,
        _query: crate::api::InboxQuery,
    ) -> Result<Vec<types::Thread>, InboxError> {
        Err(runtime::Problem::not_implemented("inbox").into())
    }
}
