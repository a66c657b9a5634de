// Written once by svcgen from tests/hostile/spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `crate` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, Context, FnError, LiesError, OddError, ProbeError};
use std::sync::atomic::{AtomicUsize, Ordering};
/// The `crate` service.
pub struct Crate {
}
impl Crate {
    /// The handlers, with their dependencies.
    pub fn new(_deps: Deps) -> Self {
        Self {}
    }
}
impl Api for Crate {
    async fn r#fn(&self, _cx: Context, _type: types::Self_) -> Result<(), FnError> {
        Err(runtime::Problem::not_implemented("fn").into())
    }
    async fn odd(&self, _cx: Context) -> Result<String, OddError> {
        Ok("odd".to_owned())
    }
    async fn lies(&self, _cx: Context) -> Result<types::Self_, LiesError> {
        Ok(types::Self_("plain".to_owned()))
    }
    async fn probe(&self, _cx: Context, mode: String) -> Result<(), ProbeError> {
        // Edited by the runtime tests; `fn` above is left exactly as scaffolded.
        if mode == "inflight" {
            // How many other probes are running: tests wait on this instead of sleeping.
            let n = IN_FLIGHT.load(Ordering::SeqCst);
            return Err(runtime::Problem::new(409, "In flight")
                .with_detail(n.to_string())
                .into());
        }
        let _running = Running::start();
        // Also observable without a connection (when every connection slot is taken).
        runtime::tracing::info!(mode = %mode, "probe started");
        match mode.as_str() {
            "panic" => panic!("secret panic message"),
            "slow" => tokio::time::sleep(std::time::Duration::from_secs(3)).await,
            "work" => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            // Long enough for a test to see it in flight and send SIGTERM, within the 1 s
            // request timeout.
            "hold" => tokio::time::sleep(std::time::Duration::from_millis(800)).await,
            _ => {}
        }
        Err(runtime::Problem::not_implemented("probe").into())
    }
}

/// Probes running now (`probe/inflight` answers it as a 409's detail).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts one running probe until dropped (also when the request times out).
struct Running;

impl Running {
    fn start() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}
