// Written once by svcgen from clash.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `cart` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use clash_cart::{deps, server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::CartService::new).await
}
