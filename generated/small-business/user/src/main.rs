// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `user` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    small_business_user::server::run(small_business_user::handlers::User::new).await
}
