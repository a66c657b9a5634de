// Written once by svcgen from lonely.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `caller` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    lonely_caller::server::run(lonely_caller::handlers::Caller::new).await
}
