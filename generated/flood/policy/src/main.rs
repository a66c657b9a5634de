// Written once by svcgen from flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `policy` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use flood_policy::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Policy::new).await
}
