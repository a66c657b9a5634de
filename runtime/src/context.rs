//! The request being served: its id and trace context, visible to every client call made while
//! serving it so both travel across services, and the [`Context`] every handler receives.

use crate::trace::TraceContext;
use http::HeaderValue;
use std::fmt;
use std::future::Future;

tokio::task_local! {
    static REQUEST: Current;
    static ON_BEHALF_OF: OnBehalfOf;
}

/// The request a task serves.
#[derive(Clone)]
struct Current {
    id: RequestId,
    trace: Option<TraceContext>,
}

/// Whom the work of a task is done for: the credential to pass on to dependencies, and the
/// actor the events it publishes record.
#[derive(Clone)]
struct OnBehalfOf {
    credential: Option<Credential>,
    actor: Option<Actor>,
}

/// The credential a caller proved itself with (a header and its value), passed on unchanged
/// to the dependencies a service calls on the caller's behalf (`credentials = "forward"` in
/// the spec): each of them checks it again. Never logged: its `Debug` shows the header only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    name: http::HeaderName,
    value: HeaderValue,
}

impl Credential {
    /// The credential in header `name` of a request.
    pub fn new(name: http::HeaderName, value: HeaderValue) -> Credential {
        let mut value = value;
        value.set_sensitive(true);
        Credential { name, value }
    }

    /// The header it travels in.
    pub fn header_name(&self) -> &http::HeaderName {
        &self.name
    }

    /// The header's value (never log it).
    pub fn header_value(&self) -> &HeaderValue {
        &self.value
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential({}: ***)", self.name)
    }
}

/// Who caused an event: the verified caller of the request that published it, recorded with
/// the event as the CloudEvents `authcontext` extension (`authtype`, `authid`) and handed to
/// the subscribers' handlers. It names the principal, never its credentials.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    /// The kind of principal, as `authcontext` names them: `app_user` for the subject of a
    /// token, `api_key` for the subject an API key was issued to.
    #[serde(rename = "authtype")]
    pub auth_type: String,
    /// The principal: the token's `sub`, or the key's subject.
    #[serde(rename = "authid", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Runs `fut` with `credential` as the caller's, for the dependency calls made in it that
/// forward the caller's credential.
pub fn with_credential<F: Future>(
    credential: Credential,
    fut: F,
) -> impl Future<Output = F::Output> {
    let on_behalf_of = OnBehalfOf {
        credential: Some(credential),
        actor: actor(),
    };
    ON_BEHALF_OF.scope(on_behalf_of, fut)
}

/// Runs `fut` on behalf of a caller: the dependency calls made in it that forward the
/// caller's credential send `credential`, the events it publishes record `actor`. With
/// neither, `fut` as it is.
pub async fn on_behalf_of<F: Future>(
    credential: Option<Credential>,
    actor: Option<Actor>,
    fut: F,
) -> F::Output {
    if credential.is_none() && actor.is_none() {
        return fut.await;
    }
    ON_BEHALF_OF
        .scope(OnBehalfOf { credential, actor }, fut)
        .await
}

/// The credential of the caller being served, if it proved itself with one.
pub fn credential() -> Option<Credential> {
    ON_BEHALF_OF
        .try_with(|o| o.credential.clone())
        .ok()
        .flatten()
}

/// The actor on whose behalf the current task works, if any: the verified caller of the
/// request being served, or the actor of the event being handled.
pub fn actor() -> Option<Actor> {
    ON_BEHALF_OF.try_with(|o| o.actor.clone()).ok().flatten()
}

/// The header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id accepted from a caller.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// A request id: 1 to [`MAX_REQUEST_ID_LEN`] visible ASCII characters. It is kept as the
/// header value it came in (or goes out) as, so passing it on copies no text.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id a caller sent, when it is one.
    pub fn from_header(value: &HeaderValue) -> Option<RequestId> {
        let bytes = value.as_bytes();
        let valid = (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len())
            && bytes.iter().all(u8::is_ascii_graphic);
        valid.then(|| RequestId(value.clone()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Visible ASCII by construction.
        self.0.to_str().unwrap_or_default()
    }

    /// The id as a header value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl From<uuid::Uuid> for RequestId {
    /// A UUID in its hyphenated lowercase form.
    fn from(id: uuid::Uuid) -> RequestId {
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        id.hyphenated().encode_lower(&mut buf);
        // One allocation holding the text and its count: clones share it. A UUID's text is
        // visible ASCII, so the fallback is never taken.
        let value = HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(buf));
        RequestId(value.unwrap_or(HeaderValue::from_static("-")))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Runs `fut` with `id` as the current request id (and no trace context).
pub fn with_request_id<F: Future>(id: RequestId, fut: F) -> impl Future<Output = F::Output> {
    REQUEST.scope(Current { id, trace: None }, fut)
}

/// Runs `fut` as the request `id` in the trace context `trace`.
pub fn with_request<F: Future>(
    id: RequestId,
    trace: TraceContext,
    fut: F,
) -> impl Future<Output = F::Output> {
    REQUEST.scope(
        Current {
            id,
            trace: Some(trace),
        },
        fut,
    )
}

/// The request id of the request being served, if any (shared, not copied: every client call
/// and handler context of a request holds the same one).
pub fn request_id() -> Option<RequestId> {
    REQUEST.try_with(|r| r.id.clone()).ok()
}

/// The trace context of the request being served, if any.
pub fn trace_context() -> Option<TraceContext> {
    REQUEST.try_with(|r| r.trace.clone()).ok().flatten()
}

/// `f` of the request id and trace context being served, without copying them.
#[cfg(feature = "client")]
pub(crate) fn with_current<R>(f: impl FnOnce(&RequestId, Option<&TraceContext>) -> R) -> Option<R> {
    REQUEST.try_with(|r| f(&r.id, r.trace.as_ref())).ok()
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
    request_id: Option<RequestId>,
    trace: Option<TraceContext>,
}

impl Context {
    /// The context of the request being served; outside a request, an empty one. The
    /// generated router builds it for every handler call.
    pub fn current() -> Self {
        REQUEST
            .try_with(|r| Self {
                request_id: Some(r.id.clone()),
                trace: r.trace.clone(),
            })
            .unwrap_or_default()
    }

    /// The request id (`x-request-id`, taken from the caller or made up at the door), which
    /// every dependency call made while serving this request carries on.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_ref().map(RequestId::as_str)
    }

    /// The W3C trace context of this request (its trace, its span, the caller's span), which
    /// every dependency call and event it causes carries on as `traceparent`.
    pub fn trace(&self) -> Option<&TraceContext> {
        self.trace.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_context_carries_the_request_id_of_its_task() {
        assert_eq!(Context::current().request_id(), None);
        let id = RequestId::from_header(&HeaderValue::from_static("abc")).unwrap();
        let cx = with_request_id(id, async { Context::current() }).await;
        assert_eq!(cx.request_id(), Some("abc"));
    }

    #[tokio::test]
    async fn the_actor_and_credential_hold_inside_their_scope_only() {
        let alice = Actor {
            auth_type: "app_user".to_owned(),
            id: Some("alice".to_owned()),
        };
        let token = Credential::new(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer t"),
        );
        assert_eq!(actor(), None);
        let (seen, inner) = on_behalf_of(None, Some(alice.clone()), async {
            // A credential set inside keeps the actor of the scope around it.
            let inner = with_credential(token.clone(), async { (actor(), credential()) });
            (actor(), inner.await)
        })
        .await;
        assert_eq!(seen, Some(alice.clone()));
        assert_eq!(inner, (Some(alice), Some(token)));
        assert_eq!((actor(), credential()), (None, None));
    }
}
