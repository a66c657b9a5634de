// Written once by svcgen from bare.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `ping` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use bare_ping::{deps, server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Ping::new).await
}
