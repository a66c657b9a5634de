// Written once by svcgen from lonely.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `quiet` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.

use crate::server::Api;
use super::deps::Deps;

/// The `quiet` service.
pub struct Quiet {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}

impl Quiet {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}

impl Api for Quiet {}
