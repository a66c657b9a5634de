// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `inventory` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    shop_inventory::server::run(shop_inventory::handlers::Inventory::new).await
}
