// Written once by svcgen from tests/hostile/spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `crate` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, Context, FnError, ProbeError};
/// The `crate` service.
pub struct Crate {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Crate {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Crate {
    async fn r#fn(&self, _cx: Context, _type: types::Self_) -> Result<(), FnError> {
        Err(runtime::Problem::not_implemented("fn").into())
    }
    async fn probe(&self, _cx: Context, mode: String) -> Result<(), ProbeError> {
        // Edited by the runtime tests; `fn` above is left exactly as scaffolded.
        match mode.as_str() {
            "panic" => panic!("secret panic message"),
            "slow" => tokio::time::sleep(std::time::Duration::from_secs(3)).await,
            "work" => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            _ => {}
        }
        Err(runtime::Problem::not_implemented("probe").into())
    }
}
