// Written once by svcgen from spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `notes` service.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    guarded_notes::server::run(guarded_notes::handlers::Notes::new).await
}
