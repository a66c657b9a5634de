// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `users` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, CreateUserError, GetUserError};
/// The `users` service.
pub struct Users {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Users {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Users {
    async fn create_user(&self, _body: types::NewUser) -> Result<types::User, CreateUserError> {
        Err(runtime::Problem::not_implemented("create_user").into())
    }
    async fn get_user(&self, _id: types::uuid::Uuid) -> Result<types::User, GetUserError> {
        Err(runtime::Problem::not_implemented("get_user").into())
    }
}
