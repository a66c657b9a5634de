// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `finance` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    small_business_finance::server::run(small_business_finance::handlers::Finance::new).await
}
