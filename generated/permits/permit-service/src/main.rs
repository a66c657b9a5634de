// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `PermitService` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    permits_permit_service::server::run(permits_permit_service::handlers::PermitService::new).await
}
