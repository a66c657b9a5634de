// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Starts the `messaging` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    grants_messaging::server::run(grants_messaging::handlers::Messaging::new).await
}
