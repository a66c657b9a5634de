// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `notification` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    shop_notification::server::run(shop_notification::handlers::Notifications::new).await
}
