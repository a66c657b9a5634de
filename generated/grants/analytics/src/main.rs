// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Starts the `analytics` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    grants_analytics::server::run(grants_analytics::handlers::Analytics::new).await
}
