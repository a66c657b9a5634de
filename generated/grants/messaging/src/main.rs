// Written once by svcgen from grants/; this file is yours to edit (svcgen never rewrites it).

//! Starts the `messaging` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use grants_messaging::{api, deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Messaging::new).await
}
