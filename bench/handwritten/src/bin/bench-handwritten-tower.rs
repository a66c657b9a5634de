//! The shop's `users` service by hand with the stack a careful team adds from tower-http: a
//! request id made (or taken from `x-request-id`) and echoed, a trace span per request, panics
//! caught into a 500, a request timeout. The second baseline of the instruction counts: what
//! the generated stack (which does all of that, plus problem bodies and validation) is set
//! beside, next to bare axum.

use std::time::Duration;

use axum::http::{HeaderName, StatusCode};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[tokio::main]
async fn main() {
    // Logs as the generated services write them: `RUST_LOG`, `info` when unset.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let request_id = HeaderName::from_static("x-request-id");
    // Layers run outermost last: the id is set before the span opens and echoed on the answer.
    let app = bench_handwritten::app()
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    bench_handwritten::serve(app).await;
}
