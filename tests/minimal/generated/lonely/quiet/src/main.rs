// Written once by svcgen from lonely.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `quiet` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    lonely_quiet::server::run(lonely_quiet::handlers::Quiet::new).await
}
