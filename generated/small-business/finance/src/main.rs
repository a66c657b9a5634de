// Written once by svcgen from small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `finance` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use small_business_finance::{deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Finance::new).await
}
