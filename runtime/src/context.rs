//! The request being served: its id, visible to every client call made while serving it so
//! the id travels across services, and the [`Context`] every handler receives.

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

/// What a handler receives beside its inputs: everything about the request being served
/// that is not part of the endpoint's declared parameters.
///
/// Every method of a generated `Api` trait takes one, first after `&self`. It grows new
/// accessors as services gain capabilities (a store transaction, an event publisher, the
/// verified caller, trace context) without changing the signature of any handler: a handler
/// that does not need it names it `_cx`.
///
/// It is owned, so a handler can move it into a task it spawns.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Context {
    request_id: Option<String>,
}

impl Context {
    /// The context of the request being served; outside a request, an empty one. The
    /// generated router builds it for every handler call.
    pub fn current() -> Self {
        Self {
            request_id: request_id(),
        }
    }

    /// The request id (`x-request-id`, taken from the caller or made up at the door), which
    /// every dependency call made while serving this request carries on.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_context_carries_the_request_id_of_its_task() {
        assert_eq!(Context::current().request_id(), None);
        let cx = with_request_id("abc".into(), async { Context::current() }).await;
        assert_eq!(cx.request_id(), Some("abc"));
    }
}
