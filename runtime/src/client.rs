//! The client side: one HTTP call with a total deadline, connect timeout, bounded retries with
//! exponential backoff and jitter for idempotent methods, request id propagation, and errors
//! that say which service and URL failed; a circuit breaker per dependency ([`crate::breaker`]);
//! what a dependency sent is logged only as a bounded, redacted excerpt ([`crate::redact`]).

use crate::body::Binary;
use crate::breaker::{Breaker, BreakerPolicy};
use crate::context::REQUEST_ID_HEADER;
use crate::problem::Problem;
use crate::redact::{excerpt, redact};
use crate::trace::{TRACEPARENT, TRACESTATE};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::{Duration, Instant};

pub use reqwest::Method;

/// How a client calls one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Total time for one call, retries included.
    pub timeout: Duration,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Extra attempts for idempotent methods.
    pub retries: u32,
    /// Calls made while serving a request carry the caller's credential on (the spec's
    /// `credentials = "forward"`): the dependency acts on the caller's behalf and checks it.
    pub forward_credentials: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            retries: 2,
            forward_credentials: false,
        }
    }
}

/// Why a call failed without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The service could not be reached.
    Connect,
    /// No answer within the call's deadline.
    Timeout,
    /// Any other failure while sending or receiving.
    Other,
    /// Not called: the circuit breaker is open after a run of failures.
    CircuitOpen,
}

/// A failed call. `E` is the endpoint's typed error.
#[derive(Debug)]
pub enum Error<E> {
    /// The endpoint answered with one of the errors the spec declares for it.
    Api(E),
    /// The service answered with another problem (a 4xx for bad input, a 5xx of its own).
    Problem {
        /// The service called.
        service: &'static str,
        /// The URL called.
        url: String,
        /// What it answered.
        problem: Box<Problem>,
    },
    /// No usable answer: unreachable, timed out, or broken off.
    Transport {
        /// The service called.
        service: &'static str,
        /// The URL called.
        url: String,
        /// What went wrong.
        kind: TransportKind,
        /// The underlying error.
        message: String,
    },
    /// A request the client knows is wrong, not sent: an empty path parameter, a body or query
    /// that cannot be serialized.
    Request {
        /// The service that would have been called.
        service: &'static str,
        /// The path that would have been called.
        url: String,
        /// What is wrong with the request.
        message: String,
    },
    /// An answer that does not match the spec.
    Decode {
        /// The service called.
        service: &'static str,
        /// The URL called.
        url: String,
        /// What could not be decoded.
        message: String,
    },
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // What came from elsewhere (URLs, answers, decode errors quoting them) is shown as a
            // bounded, redacted excerpt: this text goes to logs.
            Error::Api(e) => write!(f, "{e}"),
            Error::Problem {
                service,
                url,
                problem,
            } => write!(
                f,
                "{service} ({}) answered {}",
                redact(url),
                excerpt(&problem.to_string())
            ),
            Error::Transport {
                service,
                url,
                kind,
                message,
            } => {
                let what = match kind {
                    TransportKind::Connect => "could not be reached",
                    TransportKind::Timeout => "did not answer in time",
                    TransportKind::Other => "failed",
                    TransportKind::CircuitOpen => "was not called",
                };
                write!(
                    f,
                    "{service} ({}) {what}: {}",
                    redact(url),
                    excerpt(message)
                )
            }
            Error::Request {
                service,
                url,
                message,
            } => write!(
                f,
                "{service} ({}) was not called: the request is invalid: {}",
                redact(url),
                excerpt(message)
            ),
            Error::Decode {
                service,
                url,
                message,
            } => write!(
                f,
                "{service} ({}) sent an invalid answer: {}",
                redact(url),
                excerpt(message)
            ),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Error<E> {}

impl<E: fmt::Display> Error<E> {
    /// The problem a service answers with when this dependency call fails and the handler does
    /// not handle it: 503 when unreachable (or its circuit is open), 504 on timeout, 502
    /// otherwise, each with a stable `type` ([`DEPENDENCY_UNAVAILABLE`],
    /// [`DEPENDENCY_TIMED_OUT`], [`DEPENDENCY_FAILED`]). Which dependency failed, and how, is
    /// logged; the answer says neither (a caller learns nothing of the system's layout).
    pub fn upstream_problem(&self) -> Problem {
        tracing::warn!(error = %self, "dependency call failed");
        let (status, type_uri, title, detail) = match self {
            Error::Transport {
                kind: TransportKind::Connect | TransportKind::CircuitOpen,
                ..
            } => (
                503,
                DEPENDENCY_UNAVAILABLE,
                "Dependency unavailable",
                "a service this one depends on could not be reached",
            ),
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            } => (
                504,
                DEPENDENCY_TIMED_OUT,
                "Dependency timed out",
                "a service this one depends on did not answer in time",
            ),
            Error::Transport { .. }
            | Error::Request { .. }
            | Error::Decode { .. }
            | Error::Problem { .. }
            | Error::Api(_) => (
                502,
                DEPENDENCY_FAILED,
                "Bad gateway",
                "a service this one depends on failed",
            ),
        };
        let mut problem = Problem::new(status, title).with_detail(detail);
        problem.type_uri = type_uri.to_owned();
        problem
    }
}

/// The `type` of the problem answered when a dependency cannot be reached (503).
pub const DEPENDENCY_UNAVAILABLE: &str = "urn:svcgen:problem:dependency-unavailable";
/// The `type` of the problem answered when a dependency does not answer in time (504).
pub const DEPENDENCY_TIMED_OUT: &str = "urn:svcgen:problem:dependency-timed-out";
/// The `type` of the problem answered when a dependency fails otherwise (502), an error it
/// declares included, unless the endpoint passes that error through (`pass_through`).
pub const DEPENDENCY_FAILED: &str = "urn:svcgen:problem:dependency-failed";

/// A dependency's typed error (the `<Endpoint>Error` of a generated client), as the problem it
/// came as: what an endpoint that passes it through (`pass_through`) answers with.
pub trait TypedAnswer {
    /// The problem the dependency answered with.
    fn to_problem(&self) -> Problem;
}

impl TypedAnswer for std::convert::Infallible {
    fn to_problem(&self) -> Problem {
        match *self {}
    }
}

/// One request to send.
pub struct Call {
    /// The HTTP method.
    pub method: reqwest::Method,
    /// The path, already percent-encoded.
    pub path: String,
    /// The query string (without `?`), possibly empty.
    pub query: String,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body and its media type.
    pub body: Option<(http::HeaderValue, bytes::Bytes)>,
    /// The success status.
    pub expect: u16,
    /// Whether the call carries an `Idempotency-Key`, which makes retrying it safe.
    pub keyed: bool,
    /// What makes the request wrong, if anything: it is then not sent.
    pub invalid: Option<String>,
}

/// The header that makes a `POST` or `PATCH` safe to retry, on services that honour it.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl Call {
    /// A call without query, headers or body.
    pub fn new(method: reqwest::Method, path: String, expect: u16) -> Self {
        Call {
            method,
            path,
            query: String::new(),
            headers: Vec::new(),
            body: None,
            expect,
            keyed: false,
            invalid: None,
        }
    }

    /// Checks that the path parameter `name` (its value `value`) is not empty: an empty one
    /// would call another path (`/carts/` for `/carts/{id}`).
    pub fn non_empty<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        if self.invalid.is_none() && param(value).is_empty() {
            self.invalid = Some(format!("the path parameter `{name}` is empty"));
        }
        self
    }

    /// Adds an `Idempotency-Key` (a fresh UUID, the same for every attempt of this call), so
    /// the service, which keeps keys in its store, gives a retried `POST` its effect once;
    /// and lets the call be retried like a `GET`. Generated clients add it to every `POST` and
    /// `PATCH` of a service with records.
    pub fn idempotency_key(mut self) -> Self {
        self.headers
            .push((IDEMPOTENCY_KEY, uuid::Uuid::new_v4().to_string()));
        self.keyed = true;
        self
    }

    /// Sets the query string from a serializable value.
    pub fn query<Q: Serialize + ?Sized>(mut self, query: &Q) -> Self {
        match crate::query::encode(query) {
            Ok(q) => self.query = q,
            Err(e) => {
                self.invalid
                    .get_or_insert(format!("the query cannot be encoded: {e}"));
            }
        }
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Serialize) -> Self {
        self.headers.push((name, param(&value)));
        self
    }

    /// Sets a JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_vec(body) {
            Ok(b) => {
                self.body = Some((http::HeaderValue::from_static("application/json"), b.into()));
            }
            Err(e) => {
                self.invalid
                    .get_or_insert(format!("the body cannot be encoded as JSON: {e}"));
            }
        }
        self
    }

    /// Sets a raw body (an endpoint taking `binary`) with its media type; one that cannot be
    /// a `Content-Type` makes the call invalid.
    pub fn binary(mut self, body: &Binary) -> Self {
        match body.content_type_header() {
            Ok(content_type) => self.body = Some((content_type, body.data.clone())),
            Err(e) => {
                self.invalid
                    .get_or_insert(format!("the body cannot be sent: {e}"));
            }
        }
        self
    }
}

/// `request` with the served request's id and trace context: its `x-request-id`, and a
/// `traceparent` naming the served request's span as the parent (with the caller's
/// `tracestate`). Outside a request, `request` as it is.
pub(crate) fn carry_on(mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let current = crate::context::with_current(|id, trace| {
        let trace = trace.map(|t| (traceparent(t), t.state().cloned()));
        (id.header_value().clone(), trace)
    });
    if let Some((id, trace)) = current {
        request = request.header(REQUEST_ID_HEADER, id);
        if let Some((parent, state)) = trace {
            request = request.header(TRACEPARENT, parent);
            if let Some(state) = state {
                request = request.header(TRACESTATE, state);
            }
        }
    }
    request
}

/// The `traceparent` of a call made in the trace `trace`: naming the call's own span while
/// spans are exported, the serving span otherwise.
pub(crate) fn traceparent(trace: &crate::trace::TraceContext) -> http::HeaderValue {
    #[cfg(feature = "server")]
    if crate::telemetry::enabled()
        && let Some(own) = crate::telemetry::current_traceparent(trace)
    {
        return own;
    }
    trace.traceparent(trace.span_id())
}

/// A value as it appears in a path segment, query or header: strings bare, others as JSON.
pub fn param<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A value percent-encoded for a path segment.
pub fn segment<T: Serialize + ?Sized>(value: &T) -> String {
    let raw = param(value);
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The HTTP side of a generated client: one base URL, one policy.
#[derive(Debug, Clone)]
pub struct Http {
    service: &'static str,
    base: String,
    policy: Policy,
    client: reqwest::Client,
    breaker: Breaker,
    credential: Option<crate::context::Credential>,
}

/// A base URL that is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Why `https://` is refused rather than failing at the first call.
const HTTPS_NOTE: &str = " (the generated clients have no TLS backend: services talk plain HTTP inside the system; terminate TLS in front of the gateway)";

/// The base URL of `service` from the environment variable `env`, else `default`.
pub fn url_from_env(env: &str, default: &str) -> Result<String, ConfigError> {
    match std::env::var(env) {
        Ok(url) if url.starts_with("http://") => Ok(url),
        Ok(url) => Err(ConfigError(format!(
            "{env} must be an http:// URL, got `{url}`{}",
            HTTPS_NOTE
        ))),
        Err(_) => Ok(default.to_owned()),
    }
}

impl Http {
    /// A client of `service` at `base_url` (e.g. `http://127.0.0.1:8001`), with a circuit
    /// breaker configured from the environment ([`BreakerPolicy::from_env`]).
    pub fn new(service: &'static str, base_url: &str, policy: Policy) -> Result<Self, ConfigError> {
        if !base_url.starts_with("http://") {
            return Err(ConfigError(format!(
                "the URL of {service} must start with http://, got `{base_url}`{}",
                if base_url.starts_with("https://") {
                    HTTPS_NOTE
                } else {
                    ""
                }
            )));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ConfigError(format!("cannot build the HTTP client of {service}: {e}")))?;
        Ok(Http {
            service,
            base: base_url.trim_end_matches('/').to_owned(),
            policy,
            client,
            breaker: Breaker::new(service, BreakerPolicy::from_env()),
            credential: None,
        })
    }

    /// The same client sending `credential` with every call (a token or API key of its own,
    /// for a caller outside any request), instead of a forwarded one.
    pub fn with_credential(mut self, credential: crate::context::Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The same client sending `Authorization: Bearer <token>` with every call.
    pub fn with_bearer_token(self, token: &str) -> Result<Self, ConfigError> {
        let value = http::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ConfigError("a bearer token is visible ASCII".to_owned()))?;
        Ok(self.with_credential(crate::context::Credential::new(
            http::header::AUTHORIZATION,
            value,
        )))
    }

    /// The same client sending the API key `key` in header `header` with every call.
    pub fn with_api_key(self, header: &str, key: &str) -> Result<Self, ConfigError> {
        let name = http::HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| ConfigError(format!("`{header}` is not a header name")))?;
        let value = http::HeaderValue::from_str(key)
            .map_err(|_| ConfigError("an API key is visible ASCII".to_owned()))?;
        Ok(self.with_credential(crate::context::Credential::new(name, value)))
    }

    /// The same client with a breaker of its own following `policy`.
    pub fn with_breaker(mut self, policy: BreakerPolicy) -> Self {
        self.breaker = Breaker::new(self.service, policy);
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends `call`, retrying idempotent methods (and keyed calls) on transport failures and 502/503/504, all
    /// within the policy's total timeout, each attempt admitted by the circuit breaker (an
    /// open circuit ends the call at once). Returns the success body; a problem answer becomes
    /// the endpoint's typed error when `typed` recognises it.
    pub async fn send<E>(
        &self,
        call: Call,
        typed: fn(&Problem) -> Option<E>,
    ) -> Result<bytes::Bytes, Error<E>> {
        self.exchange(call, typed).await.map(|reply| reply.body)
    }

    /// Like [`Http::send`], for an endpoint answering `binary`: the success body with its
    /// media type (`application/octet-stream` when the answer names none).
    pub async fn send_binary<E>(
        &self,
        call: Call,
        typed: fn(&Problem) -> Option<E>,
    ) -> Result<Binary, Error<E>> {
        let url = format!("{}{}", self.base, call.path);
        let reply = self.exchange(call, typed).await?;
        let content_type = match &reply.content_type {
            None => crate::body::OCTET_STREAM.to_owned(),
            Some(v) => v
                .to_str()
                .map_err(|_| Error::Decode {
                    service: self.service,
                    url,
                    message: "the answer's content type is not visible ASCII".into(),
                })?
                .to_owned(),
        };
        Ok(Binary {
            content_type,
            data: reply.body,
        })
    }

    async fn exchange<E>(
        &self,
        call: Call,
        typed: fn(&Problem) -> Option<E>,
    ) -> Result<Reply, Error<E>> {
        // A span of its own and a duration recorded, only while telemetry is exported.
        #[cfg(feature = "server")]
        if crate::telemetry::enabled() {
            use tracing::Instrument;
            let method = call.method.clone();
            let span = crate::telemetry::client_span(self.service, &method, &self.base, &call.path);
            let start = Instant::now();
            let (result, status) = self.calls(call, typed).instrument(span.clone()).await;
            crate::telemetry::finish_client(&span, self.service, &method, status, start.elapsed());
            return result;
        }
        self.calls(call, typed).await.0
    }

    /// The attempts of `call`, and the status of the last answer (0 when none came).
    async fn calls<E>(
        &self,
        call: Call,
        typed: fn(&Problem) -> Option<E>,
    ) -> (Result<Reply, Error<E>>, u16) {
        if let Some(message) = call.invalid {
            let invalid = Error::Request {
                service: self.service,
                url: call.path,
                message,
            };
            return (Err(invalid), 0);
        }
        let mut url = format!("{}{}", self.base, call.path);
        if !call.query.is_empty() {
            url.push('?');
            url.push_str(&call.query);
        }
        let idempotent = call.keyed
            || matches!(
                call.method,
                reqwest::Method::GET
                    | reqwest::Method::PUT
                    | reqwest::Method::DELETE
                    | reqwest::Method::HEAD
            );
        let attempts = if idempotent {
            self.policy.retries + 1
        } else {
            1
        };
        let deadline = Instant::now() + self.policy.timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match self.breaker.admit() {
                Ok(()) => {
                    let verdict = Verdict(&self.breaker, false);
                    let result = self.attempt(&call, &url, deadline).await;
                    verdict.record(match &result {
                        Err(Failure::Transport(..)) => true,
                        Err(Failure::Problem(problem)) => problem.status >= 500,
                        Ok(_) => false,
                    });
                    result
                }
                Err(refused) => Err(Failure::Transport(
                    TransportKind::CircuitOpen,
                    format!(
                        "circuit open after {} failed attempts in a row; next probe in {} ms",
                        self.breaker.policy().failures,
                        refused.retry_in.as_millis()
                    ),
                )),
            };
            let retryable = match &result {
                Err(Failure::Transport(TransportKind::CircuitOpen, _)) => false,
                Err(Failure::Transport(..)) => true,
                Err(Failure::Problem(problem)) => matches!(problem.status, 502..=504),
                Ok(_) => false,
            };
            let pause = backoff(attempt);
            if !retryable || attempt >= attempts || Instant::now() + pause >= deadline {
                let status = match &result {
                    Ok((status, _)) => *status,
                    Err(Failure::Problem(problem)) => problem.status,
                    Err(Failure::Transport(..)) => 0,
                };
                return (self.finish(result, &url, call.expect, typed), status);
            }
            tracing::debug!(service = self.service, %url, attempt, "retrying in {} ms", pause.as_millis());
            tokio::time::sleep(pause).await;
        }
    }

    async fn attempt(
        &self,
        call: &Call,
        url: &str,
        deadline: Instant,
    ) -> Result<(u16, Reply), Failure> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Failure::Transport(
                TransportKind::Timeout,
                "the call's deadline passed".into(),
            ));
        }
        let mut request = self
            .client
            .request(call.method.clone(), url)
            .timeout(remaining);
        request = carry_on(request);
        let forwarded = || {
            self.policy
                .forward_credentials
                .then(crate::context::credential)
                .flatten()
        };
        if let Some(credential) = self.credential.clone().or_else(forwarded) {
            request = request.header(
                credential.header_name().clone(),
                credential.header_value().clone(),
            );
        }
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        if let Some((content_type, body)) = &call.body {
            request = request
                .header(http::header::CONTENT_TYPE, content_type.clone())
                .body(body.clone());
        }
        let transport = |e: reqwest::Error| {
            let kind = if e.is_timeout() {
                TransportKind::Timeout
            } else if e.is_connect() {
                TransportKind::Connect
            } else {
                TransportKind::Other
            };
            Failure::Transport(kind, error_chain(&e))
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let content_type = response.headers().get(http::header::CONTENT_TYPE).cloned();
        let body = response.bytes().await.map_err(transport)?;
        if status >= 400 {
            // A body that is not a problem is kept only as an excerpt: it may hold anything.
            let problem = serde_json::from_slice::<Problem>(&body).unwrap_or_else(|_| {
                Problem::new(status, "Error").with_detail(excerpt(&String::from_utf8_lossy(&body)))
            });
            return Err(Failure::Problem(problem));
        }
        Ok((status, Reply { content_type, body }))
    }

    fn finish<E>(
        &self,
        result: Result<(u16, Reply), Failure>,
        url: &str,
        expect: u16,
        typed: fn(&Problem) -> Option<E>,
    ) -> Result<Reply, Error<E>> {
        let service = self.service;
        let url = url.to_owned();
        match result {
            Ok((status, body)) if status == expect => Ok(body),
            Ok((status, _)) => Err(Error::Decode {
                service,
                url,
                message: format!("expected status {expect}, got {status}"),
            }),
            Err(Failure::Transport(kind, message)) => Err(Error::Transport {
                service,
                url,
                kind,
                message,
            }),
            Err(Failure::Problem(problem)) => match typed(&problem) {
                Some(e) => Err(Error::Api(e)),
                None => Err(Error::Problem {
                    service,
                    url,
                    problem: Box::new(problem),
                }),
            },
        }
    }

    /// Decodes a JSON success body.
    pub fn decode<T: DeserializeOwned, E>(&self, body: &[u8], path: &str) -> Result<T, Error<E>> {
        serde_json::from_slice(body).map_err(|e| Error::Decode {
            service: self.service,
            url: format!("{}{}", self.base, path),
            message: e.to_string(),
        })
    }
}

/// A success answer: its body and media type.
struct Reply {
    content_type: Option<http::HeaderValue>,
    body: bytes::Bytes,
}

/// Records an attempt's outcome with the breaker; an attempt dropped midway (the call was
/// cancelled) gives its probe slot back instead.
struct Verdict<'b>(&'b Breaker, bool);

impl Verdict<'_> {
    fn record(mut self, failed: bool) {
        self.1 = true;
        self.0.record(failed);
    }
}

impl Drop for Verdict<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.release();
        }
    }
}

/// The outcome of one attempt that did not succeed.
enum Failure {
    Transport(TransportKind, String),
    Problem(Problem),
}

/// An error with its causes, which reqwest keeps in the chain (e.g. "connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Exponential backoff with full jitter: up to 50 ms, 100 ms, 200 ms, ... capped at 1 s.
fn backoff(attempt: u32) -> Duration {
    let cap = 50u64.saturating_mul(1 << attempt.min(5)).min(1000);
    Duration::from_millis(fastrand::u64(cap / 2..=cap))
}

#[cfg(test)]
mod tests {
    use super::{Call, Error, Http, Policy};
    use std::collections::BTreeMap;

    /// Issue 11, item 5: a request the client knows is wrong is not sent (here, to a port with
    /// nothing listening, which would be a transport error): an empty path parameter, a query
    /// or a body that cannot be encoded.
    #[tokio::test]
    async fn a_request_known_to_be_wrong_is_not_sent() {
        let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", parked.local_addr().unwrap());
        drop(parked);
        let http = Http::new("carts", &url, Policy::default()).unwrap();
        // A map parameter is `ids[a]=…`; a map inside it has no form in a query.
        let nested: BTreeMap<&str, BTreeMap<&str, BTreeMap<&str, i32>>> =
            [("ids", [("a", [("b", 1)].into())].into())].into();
        let keyed: BTreeMap<(i32, i32), i32> = [((1, 2), 3)].into();
        for (call, says) in [
            (
                Call::new(reqwest::Method::GET, "/carts/".into(), 200).non_empty("id", ""),
                "the path parameter `id` is empty",
            ),
            (
                Call::new(reqwest::Method::GET, "/carts".into(), 200).query(&nested),
                "the query cannot be encoded",
            ),
            (
                Call::new(reqwest::Method::POST, "/carts".into(), 201).json(&keyed),
                "the body cannot be encoded as JSON",
            ),
        ] {
            match http.send::<()>(call, |_| None).await {
                Err(Error::Request { message, .. }) => assert!(message.contains(says), "{message}"),
                other => panic!("{says}: {other:?}"),
            }
        }
        // A parameter with a value is sent (and here finds nothing listening).
        let call = Call::new(reqwest::Method::GET, "/carts/7".into(), 200).non_empty("id", "7");
        assert!(matches!(
            http.send::<()>(call, |_| None).await,
            Err(Error::Transport { .. })
        ));
    }
}
