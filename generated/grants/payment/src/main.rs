// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Starts the `payment` service.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    grants_payment::server::run(grants_payment::handlers::Payment::new).await
}
