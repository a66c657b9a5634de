// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `risk` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    flood_risk::server::run(flood_risk::handlers::Risk::new).await
}
