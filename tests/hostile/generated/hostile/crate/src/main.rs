// Written once by svcgen from tests/hostile/spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `crate` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    hostile_crate::server::run(hostile_crate::handlers::Crate::new).await
}
