// Written once by svcgen from spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `echo` service.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    echo_echo::server::run(echo_echo::handlers::Echo::new).await
}
