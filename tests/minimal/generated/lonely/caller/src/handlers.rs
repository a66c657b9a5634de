// Written once by svcgen from lonely.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `caller` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.

use crate::server::{Api, Context, EchoError};
use super::deps::Deps;

/// The `caller` service.
pub struct Caller {
    /// Clients of the services this one depends on.
    #[allow(dead_code, reason = "read by the handlers you write")]
    pub deps: Deps,
}

impl Caller {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}

impl Api for Caller {
    async fn echo(&self, _cx: Context, _body: String) -> Result<String, EchoError> {
        Err(runtime::Problem::not_implemented("echo").into())
    }
}
