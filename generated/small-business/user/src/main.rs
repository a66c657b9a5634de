// Written once by svcgen from small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `user` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use small_business_user::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::User::new).await
}
