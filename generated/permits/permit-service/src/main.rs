// Written once by svcgen from permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `PermitService` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use permits_permit_service::{api, deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::PermitService::new).await
}
