// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Starts the `auth` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    grants_auth::server::run(grants_auth::handlers::Auth::new).await
}
