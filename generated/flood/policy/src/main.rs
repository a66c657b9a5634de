// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `policy` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    flood_policy::server::run(flood_policy::handlers::Policy::new).await
}
