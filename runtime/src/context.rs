//! The request id of the request being served, visible to every client call made while
//! serving it, so the id travels across services.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Runs `fut` with `id` as the current request id.
pub async fn with_request_id<F: Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// The request id of the request being served, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}
