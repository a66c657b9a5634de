// Written once by svcgen from spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `crate` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use hostile_crate::{deps, server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Crate::new).await
}
