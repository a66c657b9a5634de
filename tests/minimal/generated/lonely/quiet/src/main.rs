// Written once by svcgen from lonely.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `quiet` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use lonely_quiet::{deps, server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Quiet::new).await
}
