// Written once by svcgen from spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Starts the `echo` service: your handlers, served by the generated server.

mod handlers;

pub(crate) use echo_echo::{api, deps, server, store};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run(handlers::Echo::new).await
}
