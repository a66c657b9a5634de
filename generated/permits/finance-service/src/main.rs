// Written once by svcgen from permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `FinanceService` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use permits_finance_service::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::FinanceService::new).await
}
