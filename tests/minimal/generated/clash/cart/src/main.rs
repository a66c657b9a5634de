// Written once by svcgen from clash.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `cart` service.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    clash_cart::server::run(clash_cart::handlers::CartService::new).await
}
