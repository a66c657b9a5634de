// Written once by svcgen from grants/; this file is yours to edit (svcgen never rewrites it).

//! Starts the `payment` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use grants_payment::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Payment::new).await
}
