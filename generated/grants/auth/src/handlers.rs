// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `auth` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, LoginError, RegisterError, VerifyError};
/// The `auth` service.
pub struct Auth {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Auth {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Auth {
    async fn register(&self, _body: types::Registration) -> Result<types::Session, RegisterError> {
        Err(runtime::Problem::not_implemented("register").into())
    }
    async fn login(&self, _body: types::Credentials) -> Result<types::Session, LoginError> {
        Err(runtime::Problem::not_implemented("login").into())
    }
    async fn verify(&self, _x_session_token: String) -> Result<types::Session, VerifyError> {
        Err(runtime::Problem::not_implemented("verify").into())
    }
}
