// Written once by svcgen from bare.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `ping` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    bare_ping::server::run(bare_ping::handlers::Ping::new).await
}
