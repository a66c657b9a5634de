// Written once by svcgen from shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `users` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use shop_users::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Users::new).await
}
