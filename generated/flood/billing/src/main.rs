// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `billing` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    flood_billing::server::run(flood_billing::handlers::Billing::new).await
}
