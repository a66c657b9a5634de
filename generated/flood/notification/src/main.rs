// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `notification` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    flood_notification::server::run(flood_notification::handlers::Notification::new).await
}
