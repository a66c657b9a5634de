// Written once by svcgen from flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `risk` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use flood_risk::{deps, server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Risk::new).await
}
