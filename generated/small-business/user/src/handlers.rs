// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `user` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, GetBusinessError, RegisterBusinessError};
/// The `user` service.
pub struct User {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl User {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for User {
    async fn register_business(
        &self,
        _body: types::NewBusiness,
    ) -> Result<types::Business, RegisterBusinessError> {
        Err(runtime::Problem::not_implemented("register_business").into())
    }
    async fn get_business(
        &self,
        _id: types::uuid::Uuid,
    ) -> Result<types::Business, GetBusinessError> {
        Err(runtime::Problem::not_implemented("get_business").into())
    }
}
