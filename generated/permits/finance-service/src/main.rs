// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `FinanceService` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    permits_finance_service::server::run(permits_finance_service::handlers::FinanceService::new)
        .await
}
