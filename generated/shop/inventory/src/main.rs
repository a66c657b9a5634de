// Written once by svcgen from shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `inventory` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use shop_inventory::{api, deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Inventory::new).await
}
