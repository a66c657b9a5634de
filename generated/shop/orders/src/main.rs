// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `orders` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    shop_orders::server::run(shop_orders::handlers::Orders::new).await
}
