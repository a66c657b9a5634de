// Written once by svcgen from spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `notes` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use guarded_notes::{deps, server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Notes::new).await
}
