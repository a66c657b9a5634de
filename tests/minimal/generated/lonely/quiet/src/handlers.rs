// Written once by svcgen from lonely.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `quiet` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.

use crate::server::Api;
use super::deps::Deps;

/// The `quiet` service.
pub struct Quiet {
}

impl Quiet {
    /// The handlers, with their dependencies.
    pub fn new(_deps: Deps) -> Self {
        Self {}
    }
}

impl Api for Quiet {}
