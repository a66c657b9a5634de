// Written once by svcgen from flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `billing` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use flood_billing::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Billing::new).await
}
