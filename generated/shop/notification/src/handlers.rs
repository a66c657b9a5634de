// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `notification` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, ListForUserError, SendError};
/// The `notification` service.
pub struct Notification {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Notification {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Notification {
    async fn send(&self, _body: types::Notification) -> Result<types::SentNotification, SendError> {
        Err(runtime::Problem::not_implemented("send").into())
    }
    async fn list_for_user(
        &self,
        _user_id: types::uuid::Uuid,
    ) -> Result<Vec<types::SentNotification>, ListForUserError> {
        Err(runtime::Problem::not_implemented("list_for_user").into())
    }
}
