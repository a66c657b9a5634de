// Written once by svcgen from grants/; this file is yours to edit (svcgen never rewrites it).

//! Starts the `auth` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use grants_auth::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Auth::new).await
}
