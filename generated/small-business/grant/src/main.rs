// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `grant` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    small_business_grant::server::run(small_business_grant::handlers::Grant::new).await
}
