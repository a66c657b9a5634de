// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `users` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    shop_users::server::run(shop_users::handlers::Users::new).await
}
