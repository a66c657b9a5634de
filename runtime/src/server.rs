//! The server side: request input parsing that reports every invalid field at once, problem
//! responses, middleware (request id, tracing, timeout, panic catching), health endpoints and
//! graceful shutdown (the connections themselves are handled in `connections`).

use crate::body::Binary;
use crate::context::{REQUEST_ID_HEADER, RequestId, with_request};
use crate::problem::{FieldError, PROBLEM_JSON, Problem};
use crate::trace::{Parent, TRACEPARENT, TRACESTATE, TraceContext};
use crate::validation::Validate;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::time::Sleep;
use tracing::Instrument;

/// Turns an endpoint's error into the problem it is answered with.
pub trait IntoProblem {
    /// The problem for this error.
    fn into_problem(self) -> Problem;
}

impl IntoProblem for Problem {
    fn into_problem(self) -> Problem {
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// Answers a handler's result: the success status with a JSON body, or the error's problem.
pub fn respond<T: Serialize, E: IntoProblem>(status: StatusCode, result: Result<T, E>) -> Response {
    match result {
        Ok(value) => match serde_json::to_vec(&value) {
            Ok(body) => {
                let mut response = Response::new(Body::from(body));
                *response.status_mut() = status;
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(e) => Problem::internal(format!("encoding the response: {e}")).into_response(),
        },
        Err(e) => e.into_problem().into_response(),
    }
}

/// The variable that turns the checking of handler answers on or off (`on` / `off`).
pub const RESPONSE_CHECKS: &str = "RESPONSE_CHECKS";

static CHECK_RESPONSES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Whether handler answers are checked against the spec's constraints: `RESPONSE_CHECKS`
/// (`on` or `off`), by default on in debug builds and off in release builds. Read once (at
/// start, by [`serve_with`], which stops on a value that is neither).
pub fn response_checks() -> Result<bool, String> {
    if let Some(on) = CHECK_RESPONSES.get() {
        return Ok(*on);
    }
    let on = match std::env::var(RESPONSE_CHECKS).as_deref() {
        Err(_) => cfg!(debug_assertions),
        Ok("on") => true,
        Ok("off") => false,
        Ok(other) => {
            return Err(format!(
                "{RESPONSE_CHECKS} must be `on` or `off`, got `{other}`"
            ));
        }
    };
    Ok(*CHECK_RESPONSES.get_or_init(|| on))
}

/// Like [`respond`], checking a success value against the spec's constraints first when
/// [`response_checks`] is on: an answer that breaks them is a handler bug, logged with the
/// endpoint and each violation, and answered 500 (the client never sees it).
pub fn respond_checked<T, E>(
    endpoint: &'static str,
    status: StatusCode,
    result: Result<T, E>,
) -> Response
where
    T: Serialize + Validate,
    E: IntoProblem,
{
    if let Ok(value) = &result
        && response_checks().unwrap_or(false)
        && let Err(violations) = value.validate()
    {
        tracing::error!(
            endpoint,
            %violations,
            "the handler's answer breaks the spec's constraints"
        );
        return broken_contract();
    }
    respond(status, result)
}

/// The answer in place of one that breaks the spec: a 500 that says no more.
fn broken_contract() -> Response {
    Problem::new(500, "Internal server error")
        .with_detail("the service's answer broke its own contract")
        .into_response()
}

/// Answers with a static JSON document (the service's OpenAPI document).
pub fn json_document(text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// Answers a handler's raw (`binary`) result: the success status with the bytes and their
/// media type, or the error's problem. A media type that is not one cannot be sent: that
/// handler bug is logged with the endpoint and answered 500.
pub fn respond_binary<E: IntoProblem>(
    endpoint: &'static str,
    status: StatusCode,
    result: Result<Binary, E>,
) -> Response {
    match result {
        Ok(binary) => match binary.content_type_header() {
            Ok(content_type) => {
                let mut response = Response::new(Body::from(binary.data));
                *response.status_mut() = status;
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, content_type);
                response
            }
            Err(problem) => {
                tracing::error!(endpoint, %problem, "the handler's answer cannot be sent");
                broken_contract()
            }
        },
        Err(e) => e.into_problem().into_response(),
    }
}

/// Answers a handler's result that has no body on success.
pub fn respond_empty<E: IntoProblem>(status: StatusCode, result: Result<(), E>) -> Response {
    match result {
        Ok(()) => status.into_response(),
        Err(e) => e.into_problem().into_response(),
    }
}

/// The inputs of one request, parsed and validated part by part; every problem is kept so the
/// answer names every invalid field.
pub struct Input {
    parts: Parts,
    path: Option<RawPathParams>,
    errors: Vec<FieldError>,
    /// 415 or 413 end parsing at once; otherwise 400 (parameters, malformed JSON) or 422.
    status: u16,
}

impl Input {
    /// Starts parsing a request.
    pub async fn new(mut parts: Parts) -> Self {
        let path = RawPathParams::from_request_parts(&mut parts, &())
            .await
            .ok();
        Input {
            parts,
            path,
            errors: Vec::new(),
            status: 422,
        }
    }

    fn fail(&mut self, status: u16, location: &str, pointer: String, detail: String) {
        self.status = self.status.min(status);
        self.errors.push(FieldError {
            location: location.to_owned(),
            pointer,
            detail,
        });
    }

    /// Path parameters, decoded into `T` and validated.
    pub fn path<T: DeserializeOwned + Validate>(&mut self) -> Option<T> {
        let decoded = decode_pairs(PathPairs::new(self.path.as_ref()));
        self.decoded("path", decoded)
    }

    /// Query parameters, decoded into `T` and validated. Unknown parameters are ignored.
    pub fn query<T: DeserializeOwned + Validate>(&mut self) -> Option<T> {
        let decoded = {
            let pairs: Vec<_> =
                form_urlencoded::parse(self.parts.uri.query().unwrap_or("").as_bytes()).collect();
            decode_pairs(pairs.iter().map(|(k, v)| (&**k, &**v)))
        };
        self.decoded("query", decoded)
    }

    /// The named headers, decoded into `T` and validated.
    pub fn headers<T: DeserializeOwned + Validate>(&mut self, names: &[&str]) -> Option<T> {
        let decoded = {
            let mut pairs = Vec::new();
            let mut invalid = None;
            for name in names {
                if let Some(value) = self.parts.headers.get(*name) {
                    match value.to_str() {
                        Ok(v) => pairs.push((*name, v)),
                        Err(_) => {
                            invalid = Some(*name);
                            break;
                        }
                    }
                }
            }
            match invalid {
                Some(name) => Err((format!("/{name}"), "must be visible ASCII".to_owned())),
                None => decode_pairs(pairs.into_iter()),
            }
        };
        self.decoded("header", decoded)
    }

    fn decoded<T: Validate>(
        &mut self,
        location: &str,
        decoded: Result<T, (String, String)>,
    ) -> Option<T> {
        match decoded {
            Ok(value) => self.validate(location, value, 400),
            Err((pointer, detail)) => {
                self.fail(400, location, pointer, detail);
                None
            }
        }
    }

    /// The value when it meets every constraint; otherwise records each violation.
    fn validate<T: Validate>(&mut self, location: &str, value: T, status: u16) -> Option<T> {
        match value.validate() {
            Ok(()) => Some(value),
            Err(violations) => {
                for v in violations.0 {
                    self.fail(status, location, v.pointer, v.detail);
                }
                None
            }
        }
    }

    /// The JSON body, decoded into `T` and validated. Checks the content type and the size.
    pub async fn json<T: DeserializeOwned + Validate>(
        &mut self,
        body: Body,
        limit: usize,
    ) -> Option<T> {
        self.json_shaped(body, limit, None).await
    }

    /// Like [`Input::json`]; a body that does not decode is checked against `schema` (its
    /// schema in the service's OpenAPI document), so the answer names every missing field,
    /// wrong type and constraint violation at once, not only the first serde met.
    pub async fn json_shaped<T: DeserializeOwned + Validate>(
        &mut self,
        body: Body,
        limit: usize,
        schema: Option<crate::shape::BodySchema>,
    ) -> Option<T> {
        let content_type = self
            .parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let is_json = content_type.is_some_and(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        });
        if !is_json {
            self.status = 415;
            self.errors.push(FieldError {
                location: "header".into(),
                pointer: "/content-type".into(),
                detail: format!(
                    "must be `application/json` (got `{}`)",
                    content_type.unwrap_or("nothing")
                ),
            });
            return None;
        }
        let bytes = self.read(body, limit).await?;
        // The common case, a body the type takes as written, decoded in one pass. Anything it
        // refuses (including `3.0` for an integer, which JSON Schema counts as one) takes the
        // path below, which accepts what it should and names every problem of the rest.
        if let Ok(value) = serde_json::from_slice::<T>(&bytes) {
            return self.validate("body", value, 422);
        }
        let mut json: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                let message = strip_position(&e.to_string());
                self.fail(
                    400,
                    "body",
                    String::new(),
                    format!("malformed JSON: {message}"),
                );
                return None;
            }
        };
        integral_floats_to_integers(&mut json);
        match serde_path_to_error::deserialize::<_, T>(json) {
            Ok(value) => self.validate("body", value, 422),
            Err(_) if self.all_problems(schema, &bytes) => None,
            Err(e) => {
                let message = strip_position(&e.inner().to_string());
                let message = integer_message(&message).unwrap_or(message);
                let (pointer, detail) = located(e.path(), &message);
                self.fail(422, "body", pointer, detail);
                None
            }
        }
    }

    /// The raw body (an endpoint taking `binary`), up to `limit` bytes, with its media type:
    /// `application/octet-stream` when the request names none.
    pub async fn binary(&mut self, body: Body, limit: usize) -> Option<Binary> {
        let content_type = match self.parts.headers.get(header::CONTENT_TYPE) {
            None => crate::body::OCTET_STREAM.to_owned(),
            Some(v) => match v.to_str() {
                Ok(ct) => ct.to_owned(),
                Err(_) => {
                    self.status = 415;
                    self.errors.push(FieldError {
                        location: "header".into(),
                        pointer: "/content-type".into(),
                        detail: "must be a media type in visible ASCII".into(),
                    });
                    return None;
                }
            },
        };
        let data = self.read(body, limit).await?;
        Some(Binary { content_type, data })
    }

    /// The body's bytes, up to `limit`: a longer body is a 413, one that breaks off a 400.
    async fn read(&mut self, body: Body, limit: usize) -> Option<bytes::Bytes> {
        match axum::body::to_bytes(body, limit).await {
            Ok(b) => Some(b),
            Err(e) => {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                if too_large {
                    self.status = 413;
                    self.errors.push(FieldError {
                        location: "body".into(),
                        pointer: String::new(),
                        detail: format!("the body exceeds the limit of {limit} bytes"),
                    });
                } else {
                    self.fail(
                        400,
                        "body",
                        String::new(),
                        "the body could not be read".into(),
                    );
                }
                None
            }
        }
    }

    /// Records every problem `schema` finds in the body `bytes` (read again: the decoded value
    /// went to serde); false when it finds none or there is no schema.
    fn all_problems(&mut self, schema: Option<crate::shape::BodySchema>, bytes: &[u8]) -> bool {
        let Some(schema) = schema else {
            return false;
        };
        let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return false;
        };
        integral_floats_to_integers(&mut json);
        let violations = schema.violations(&json).unwrap_or_default();
        if violations.is_empty() {
            return false;
        }
        for v in violations {
            self.fail(422, "body", v.pointer, v.detail);
        }
        true
    }

    /// The answer when any part was invalid: a problem listing every invalid field.
    pub fn reject(self) -> Response {
        let title = match self.status {
            413 => "Payload too large",
            415 => "Unsupported media type",
            400 => "Bad request",
            _ => "Unprocessable content",
        };
        let mut problem = Problem::new(self.status, title).with_detail(if self.errors.len() == 1 {
            "the request has an invalid field".to_owned()
        } else {
            format!("the request has {} invalid fields", self.errors.len())
        });
        problem.errors = self.errors;
        problem.into_response()
    }
}

/// The largest magnitude up to which every whole number is exactly a float (2^53).
const EXACT_FLOAT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// The status `code`: for an endpoint's declared success status that `StatusCode` has no
/// name for (`250`); 500 for a number that is no status.
pub const fn status(code: u16) -> StatusCode {
    match StatusCode::from_u16(code) {
        Ok(status) => status,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// JSON Schema counts `3.0` as an integer: so does the server, for every integer field. Only
/// where the float is exactly the number written: `-9223372036854775809` (below `i64::MIN`,
/// read as the float `-9223372036854775808.0`) stays a float, which no integer field takes.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() <= EXACT_FLOAT_INTEGERS
            {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// The path parameters as pairs: axum's iterator, made copyable by starting again and skipping
/// what was taken (a copy is made only for a list, which a path parameter never is).
struct PathPairs<'a> {
    raw: Option<&'a axum::extract::RawPathParams>,
    iter: Option<<&'a axum::extract::RawPathParams as IntoIterator>::IntoIter>,
    taken: usize,
}

impl<'a> PathPairs<'a> {
    fn new(raw: Option<&'a axum::extract::RawPathParams>) -> Self {
        PathPairs {
            raw,
            iter: raw.map(|r| r.iter()),
            taken: 0,
        }
    }
}

impl Clone for PathPairs<'_> {
    fn clone(&self) -> Self {
        let mut copy = PathPairs::new(self.raw);
        if let Some(iter) = &mut copy.iter {
            iter.by_ref().take(self.taken).for_each(drop);
        }
        copy.taken = self.taken;
        copy
    }
}

impl<'a> Iterator for PathPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let pair = self.iter.as_mut()?.next()?;
        self.taken += 1;
        Some(pair)
    }
}

/// Parameters decoded into `T`, or where and why they do not make one (the offending value is
/// quoted).
fn decode_pairs<'a, T: DeserializeOwned>(
    pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Result<T, (String, String)> {
    let e = match crate::params::from_pairs(pairs) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let (name, detail) = match e.name {
        Some((name, value)) => (name, format!("{} (got `{value}`)", e.message)),
        None => {
            let named = |prefix: &str| {
                e.message
                    .strip_prefix(prefix)
                    .and_then(|m| m.strip_suffix('`'))
                    .map(str::to_owned)
            };
            if let Some(field) = named("missing field `") {
                (field, "is required".to_owned())
            } else if let Some(field) = named("duplicate field `") {
                (field, "is given more than once".to_owned())
            } else {
                return Err((String::new(), e.message));
            }
        }
    };
    let pointer = match crate::params::deep(&name) {
        Some((map, key)) => format!("/{}/{}", escape_pointer(map), escape_pointer(key)),
        None => format!("/{}", escape_pointer(&name)),
    };
    Err((pointer, detail))
}

/// serde's message for a float given to an integer field (`invalid type: floating point
/// `1.5`, expected i32`) in the words of the API: a whole number in the type's range.
fn integer_message(message: &str) -> Option<String> {
    let rest = message.strip_prefix("invalid type: floating point `")?;
    let (number, expected) = rest.split_once("`, expected ")?;
    let range = match expected {
        "i8" => (i8::MIN as i128, i8::MAX as i128),
        "i16" => (i16::MIN as i128, i16::MAX as i128),
        "i32" => (i32::MIN as i128, i32::MAX as i128),
        "i64" => (i64::MIN as i128, i64::MAX as i128),
        "u8" => (0, u8::MAX as i128),
        "u16" => (0, u16::MAX as i128),
        "u32" => (0, u32::MAX as i128),
        "u64" => (0, u64::MAX as i128),
        _ => return None,
    };
    let whole = number.parse::<f64>().is_ok_and(|f| f.fract() == 0.0);
    Some(if whole {
        format!(
            "must be a whole number from {} to {} (got a number out of that range)",
            range.0, range.1
        )
    } else {
        format!("must be a whole number (got `{number}`)")
    })
}

fn located(path: &serde_path_to_error::Path, message: &str) -> (String, String) {
    let mut pointer = String::new();
    for segment in path.iter() {
        use serde_path_to_error::Segment;
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", escape_pointer(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return (
            format!("{pointer}/{}", escape_pointer(field)),
            "is required".to_owned(),
        );
    }
    (pointer, message.to_owned())
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// serde_json appends ` at line L column C`; the pointer says where instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Settings of a running service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The service's name, for logs.
    pub service: &'static str,
    /// The port used when `PORT` is not set.
    pub default_port: u16,
    /// Time allowed per request.
    pub request_timeout: Duration,
}

/// Sets up logging: `RUST_LOG` filters (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The address to listen on: `HOST` (default `127.0.0.1`) and `PORT` (default the spec's).
pub fn bind_address(default_port: u16) -> Result<std::net::SocketAddr, String> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port = match std::env::var("PORT") {
        Ok(p) => p
            .parse::<u16>()
            .map_err(|_| format!("PORT must be a port number, got `{p}`"))?,
        Err(_) => default_port,
    };
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| format!("HOST must be an IP address, got `{host}`"))?;
    Ok(std::net::SocketAddr::new(ip, port))
}

/// A check `/readyz` runs beside its own (e.g. that the service's database answers): `Err`
/// says why the service cannot serve now.
pub type ReadyProbe = Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync,
>;

/// How long `/readyz` waits for a [`ReadyProbe`].
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A service's whole HTTP surface: its router with health endpoints and problem answers for
/// unknown routes and methods, behind the per-request stack (request id, tracing span, timeout,
/// panic catching; see [`App::handle`]).
///
/// The stack wraps the router as a whole, not each route: a request pays for it once, with no
/// boxed middleware future or cloned route service of its own. Cloning an `App` is cheap.
#[derive(Clone)]
pub struct App {
    router: Router,
    timeout: Duration,
    intercept: Option<Arc<dyn Intercept>>,
}

/// Something that takes some requests over before the router sees them, such as the store's
/// `Idempotency-Key` handling. [`Intercept::wants`] is asked of every request, so it must be
/// cheap; the requests it wants go to [`Intercept::serve`], which answers them, usually by
/// letting the router answer (`next`) and doing something around that.
pub trait Intercept: Send + Sync + 'static {
    /// Whether this request is for [`Intercept::serve`].
    fn wants(&self, request: &Request) -> bool;
    /// Answers `request`; `next` is the service's router.
    fn serve(&self, request: Request, next: Router) -> Answer;
}

/// An answer still to come, boxed.
pub type Answer = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

impl App {
    /// `router` with `/healthz`, `/readyz` and problem answers for unknown routes and methods,
    /// each request bounded by `settings.request_timeout`. `/readyz` answers 503 once shutdown
    /// has begun (`ready` false) or while `probe` fails.
    pub fn new(
        router: Router,
        settings: &Settings,
        ready: Arc<AtomicBool>,
        probe: Option<ReadyProbe>,
    ) -> App {
        // The route of each request, for its span and metrics: only when they are exported.
        let router = if crate::telemetry::enabled() {
            router.route_layer(axum::middleware::from_fn(crate::telemetry::route))
        } else {
            router
        };
        let router = router
            .route(
                "/healthz",
                axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
            )
            .route(
                "/readyz",
                axum::routing::get(move || {
                    let ready = ready.load(Ordering::SeqCst);
                    let probe = probe.clone();
                    async move {
                        if !ready {
                            return Problem::new(503, "Not ready")
                                .with_detail("the service is shutting down")
                                .into_response();
                        }
                        #[cfg(feature = "auth")]
                        if let Err(why) = crate::auth::ready() {
                            return Problem::new(503, "Not ready")
                                .with_detail(why)
                                .into_response();
                        }
                        let verdict = match probe {
                            Some(probe) => tokio::time::timeout(PROBE_TIMEOUT, probe())
                                .await
                                .unwrap_or_else(|_| Err("no answer within 1 s".to_owned())),
                            None => Ok(()),
                        };
                        match verdict {
                            Ok(()) => {
                                axum::Json(serde_json::json!({"status": "ready"})).into_response()
                            }
                            Err(why) => Problem::new(503, "Not ready")
                                .with_detail(why)
                                .into_response(),
                        }
                    }
                }),
            )
            .fallback(|| async {
                Problem::new(404, "Not found").with_detail("no route matches this path")
            });
        App {
            router,
            timeout: settings.request_timeout,
            intercept: None,
        }
    }

    /// Lets `intercept` take over the requests it wants.
    pub fn with_intercept(mut self, intercept: Arc<dyn Intercept>) -> App {
        self.intercept = Some(intercept);
        self
    }

    /// Answers one request through the whole per-request stack: accepts or creates the request
    /// id, runs the request in a tracing span carrying it, bounds it by the request timeout
    /// (503), turns a handler panic into a 500 that leaks nothing, gives error answers produced
    /// outside handlers (the router's 405) a problem body, echoes the id and logs the outcome.
    ///
    /// The router is asked for its route before the returned future is first polled (no
    /// handler code runs then), so the future holds the route's future, not the request, and
    /// borrows nothing.
    pub fn handle(&self, req: Request) -> impl Future<Output = Response> + Send + use<> {
        self.handle_within(req, None)
    }

    /// [`App::handle`], the request's deadline kept by `timer` when it is free (the
    /// connection's timer, reused from one request to the next) and by a timer of its own
    /// otherwise.
    pub(crate) fn handle_within(
        &self,
        req: Request,
        timer: Option<&Arc<RequestTimer>>,
    ) -> impl Future<Output = Response> + Send + use<> {
        // One draw makes the request id (when the caller sent none) and the ids of the
        // request's span.
        let random = fastrand::u128(..);
        let (id, parent) = door_headers(req.headers());
        let id = id.unwrap_or_else(|| RequestId::from(request_id_of(random)));
        let echo = id.header_value().clone();
        let probe = matches!(req.uri().path(), "/healthz" | "/readyz");
        // Exported as OpenTelemetry spans (health probes never are): the trace context is then
        // that of the exported span.
        let exported = crate::telemetry::enabled() && !probe;
        let (span, trace) = if exported {
            let span = crate::telemetry::server_span(&id, req.method(), req.uri().path());
            let trace = crate::telemetry::join(&span, parent.clone())
                .unwrap_or_else(|| TraceContext::new(parent, random));
            (span, trace)
        } else if probe {
            let span = tracing::debug_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
            (span, TraceContext::new(parent, random))
        } else {
            let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
            (span, TraceContext::new(parent, random))
        };
        let method = exported.then(|| req.method().clone());
        // Timed only when the outcome is logged or exported.
        let start = (!span.is_disabled()).then(Instant::now);
        let timeout = self.timeout;
        let answered = AssertUnwindSafe(Bounded::new(self.route(req), timeout, timer))
            .catch_unwind()
            // Inside the request's scope: a problem made here carries its id.
            .map(move |answer| {
                let response = match answer {
                    Ok(Ok(Ok(response))) => response,
                    Ok(Ok(Err(never))) => match never {},
                    Ok(Err(TimedOut)) => Problem::new(503, "Request timed out")
                        .with_detail(format!(
                            "the request took longer than {} ms",
                            timeout.as_millis()
                        ))
                        .into_response(),
                    Err(_panic) => Problem::internal("a handler panicked").into_response(),
                };
                problem_for_bare_errors(response)
            });
        // Combinators, not an `async` block, which would hold the inner future twice.
        with_request(id, trace, answered)
            .instrument(span.clone())
            .map(move |mut response| {
                if let Some(start) = start {
                    let (status, elapsed) = (response.status().as_u16(), start.elapsed());
                    let elapsed_ms = elapsed.as_millis() as u64;
                    if let Some(method) = &method {
                        crate::telemetry::finish_server(&span, method, &response, elapsed);
                    }
                    // Health probes come every few seconds from orchestrators: logged only at
                    // debug level.
                    span.in_scope(|| {
                        if probe {
                            tracing::debug!(status, elapsed_ms, "answered");
                        } else {
                            tracing::info!(status, elapsed_ms, "answered");
                        }
                    });
                }
                response.headers_mut().insert(REQUEST_ID_NAME, echo);
                response
            })
    }

    /// The router's answer, or the interceptor's for the requests it wants.
    fn route(
        &self,
        req: Request,
    ) -> impl Future<Output = Result<Response, std::convert::Infallible>> + Send + use<> {
        let mut router = self.router.clone();
        match &self.intercept {
            Some(intercept) if intercept.wants(&req) => {
                futures_util::future::Either::Right(intercept.serve(req, router).map(Ok))
            }
            _ => futures_util::future::Either::Left(tower_service::Service::call(&mut router, req)),
        }
    }
}

/// The router's answer to `req`.
pub async fn call(mut router: Router, req: Request) -> Response {
    match tower_service::Service::call(&mut router, req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

impl tower_service::Service<Request> for App {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Response, std::convert::Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        Box::pin(self.handle(req).map(Ok))
    }
}

/// A timer for the deadlines of one connection's requests, which HTTP/1.1 answers one at a
/// time. Moving a registered timer's deadline later is an atomic update in tokio, where a
/// timer of each request's own is put in tokio's timer wheel and taken out again, under the
/// wheel's lock, every time.
pub(crate) struct RequestTimer {
    sleep: Mutex<Pin<Box<Sleep>>>,
    /// Held by a request's [`Bounded`] while it runs: a second request at the same time (none
    /// comes over HTTP/1.1) would take a timer of its own.
    taken: AtomicBool,
}

impl RequestTimer {
    pub(crate) fn new() -> Arc<RequestTimer> {
        Arc::new(RequestTimer {
            sleep: Mutex::new(Box::pin(tokio::time::sleep(Duration::from_secs(3600)))),
            taken: AtomicBool::new(false),
        })
    }

    fn sleep(&self) -> std::sync::MutexGuard<'_, Pin<Box<Sleep>>> {
        self.sleep.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a request's deadline is kept.
enum Deadline {
    Shared(Arc<RequestTimer>),
    Own(Pin<Box<Sleep>>),
}

/// `inner`, or [`TimedOut`] once its deadline passes (as `tokio::time::timeout`). The timer is
/// armed when `inner` first waits: a request answered in its first poll touches no timer.
struct Bounded<F> {
    inner: F,
    at: tokio::time::Instant,
    /// The connection's timer, to take when `inner` first waits.
    timer: Option<Arc<RequestTimer>>,
    deadline: Option<Deadline>,
}

/// A request that did not finish before its deadline.
struct TimedOut;

impl<F> Bounded<F> {
    fn new(inner: F, timeout: Duration, timer: Option<&Arc<RequestTimer>>) -> Bounded<F> {
        Bounded {
            inner,
            at: tokio::time::Instant::now() + timeout,
            timer: timer.cloned(),
            deadline: None,
        }
    }

    fn deadline(&mut self) -> &mut Deadline {
        let (at, timer) = (self.at, &mut self.timer);
        self.deadline.get_or_insert_with(|| match timer.take() {
            Some(timer) if !timer.taken.swap(true, Ordering::Acquire) => {
                timer.sleep().as_mut().reset(at);
                Deadline::Shared(timer)
            }
            _ => Deadline::Own(Box::pin(tokio::time::sleep_until(at))),
        })
    }
}

impl<F: Future + Unpin> Future for Bounded<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = &mut *self;
        if let std::task::Poll::Ready(answer) = Pin::new(&mut this.inner).poll(cx) {
            return std::task::Poll::Ready(Ok(answer));
        }
        let fired = match this.deadline() {
            Deadline::Own(sleep) => sleep.as_mut().poll(cx).is_ready(),
            Deadline::Shared(timer) => timer.sleep().as_mut().poll(cx).is_ready(),
        };
        if fired {
            std::task::Poll::Ready(Err(TimedOut))
        } else {
            std::task::Poll::Pending
        }
    }
}

impl<F> Drop for Bounded<F> {
    fn drop(&mut self) {
        if let Some(Deadline::Shared(timer)) = &self.deadline {
            timer.taken.store(false, Ordering::Release);
        }
    }
}

/// The request id header as a header name, made once.
const REQUEST_ID_NAME: header::HeaderName = header::HeaderName::from_static(REQUEST_ID_HEADER);
const TRACEPARENT_NAME: header::HeaderName = header::HeaderName::from_static(TRACEPARENT);
const TRACESTATE_NAME: header::HeaderName = header::HeaderName::from_static(TRACESTATE);

/// Gives error responses produced outside handlers (405 from the router, for one) a problem
/// body, keeping their headers (such as `Allow`).
fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return response;
    }
    let title = status.canonical_reason().unwrap_or("Error");
    let mut problem = Problem::new(status.as_u16(), title);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        problem =
            problem.with_detail("the path exists, but not for this method: see the `Allow` header");
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut fresh = problem.into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// A fresh request id: a random (version 4) UUID from a fast non-cryptographic generator; an id
/// correlates logs, it guards nothing, and a system call per request would cost throughput.
/// The caller's request id and trace context, when valid, found in one pass over the headers:
/// cheaper than a hashed lookup of each name, which few requests carry.
fn door_headers(headers: &axum::http::HeaderMap) -> (Option<RequestId>, Option<Parent>) {
    let (mut id, mut traceparent, mut tracestate) = (None, None, None);
    for (name, value) in headers {
        if *name == REQUEST_ID_NAME {
            id = id.or(Some(value));
        } else if *name == TRACEPARENT_NAME {
            traceparent = traceparent.or(Some(value));
        } else if *name == TRACESTATE_NAME {
            tracestate = tracestate.or(Some(value));
        }
    }
    let parent = traceparent.and_then(|v| Parent::parse(v.as_bytes(), tracestate));
    (id.and_then(RequestId::from_header), parent)
}

/// A request id (a version 4 UUID) of random bits.
fn request_id_of(random: u128) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(random.to_le_bytes()).into_uuid()
}

/// `<binary> healthcheck`: exits 0 when the service on this machine (`PORT`) answers
/// `GET /readyz` with 200 within 2 s, 1 otherwise. Used by container health checks, so the
/// image needs no other tool.
pub fn healthcheck(default_port: u16) -> ExitCode {
    use std::io::{Read, Write};
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default_port);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_secs(2);
    let answer = std::net::TcpStream::connect_timeout(&addr, timeout).and_then(|mut stream| {
        stream.set_read_timeout(Some(timeout))?;
        stream.write_all(
            format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head)
    });
    match answer {
        Ok(head) if head.starts_with(b"HTTP/1.1 200") => ExitCode::SUCCESS,
        Ok(head) => {
            eprintln!("not ready: {}", String::from_utf8_lossy(&head));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("not ready: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `router` until SIGTERM or Ctrl-C (or, under `svcgen up`, until `up` is gone), then
/// drains: `/readyz` answers 503, connections already accepted by the kernel are taken in and
/// the listener is closed, every request whose bytes arrived is answered (with
/// `connection: close`), idle connections are closed, and the process exits at the latest when
/// the grace period (`SHUTDOWN_GRACE_MS`) ends. Connection limits and timeouts come from the
/// environment (see [`Limits::from_env`](crate::connections::Limits::from_env)).
pub async fn serve(settings: Settings, router: Router) -> ExitCode {
    serve_with(settings, Prepared::new(router)).await
}

/// What a service prepared before serving: its router, a check `/readyz` runs beside its own,
/// and something that takes some requests over before the router (see [`Intercept`]).
pub struct Prepared {
    /// The service's routes.
    pub router: Router,
    /// A check `/readyz` runs beside its own.
    pub probe: Option<ReadyProbe>,
    /// Takes the requests it wants before the router sees them.
    pub intercept: Option<Arc<dyn Intercept>>,
}

impl Prepared {
    /// Just the router.
    pub fn new(router: Router) -> Prepared {
        Prepared {
            router,
            probe: None,
            intercept: None,
        }
    }
}

/// [`serve`], with what [`Prepared`] adds to the router.
pub async fn serve_with(settings: Settings, prepared: Prepared) -> ExitCode {
    let (addr, limits) = match bind_address(settings.default_port)
        .and_then(|addr| crate::connections::Limits::from_env().map(|limits| (addr, limits)))
        .and_then(|found| response_checks().map(|_| found))
    {
        Ok(found) => found,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%addr, "cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The port the system gave when `PORT=0` asked for any: what a supervisor reads from here.
    let addr = listener.local_addr().unwrap_or(addr);
    let ready = Arc::new(AtomicBool::new(true));
    let mut app = App::new(prepared.router, &settings, ready.clone(), prepared.probe);
    if let Some(intercept) = prepared.intercept {
        app = app.with_intercept(intercept);
    }
    tracing::info!(
        service = settings.service,
        header_read_timeout_ms = limits.header_read_timeout.as_millis() as u64,
        idle_timeout_ms = limits.idle_timeout.as_millis() as u64,
        max_connections = limits.max_connections,
        shutdown_grace_ms = limits.shutdown_grace.as_millis() as u64,
        response_checks = response_checks().unwrap_or(false),
        "listening on http://{addr}"
    );
    let shutdown = async move {
        let why = shutdown_signal().await;
        ready.store(false, Ordering::SeqCst);
        tracing::info!("shutting down ({why})");
    };
    let cut_off = crate::connections::serve(listener, app, limits, shutdown).await;
    if cut_off > 0 {
        tracing::warn!(
            connections = cut_off,
            "stopped: the grace period of {} ms ended with connections still open; they are cut off",
            limits.shutdown_grace.as_millis()
        );
    } else {
        tracing::info!("stopped");
    }
    ExitCode::SUCCESS
}

/// The environment variable that tells a service `svcgen up` started it with a pipe on stdin:
/// when set to `stdin`, the end of stdin (up exited, even by SIGKILL) stops the service like
/// SIGTERM does.
pub const PARENT_PIPE_ENV: &str = "SVCGEN_UP_PARENT_PIPE";

/// Waits for SIGTERM, Ctrl-C, or the end of the parent's pipe; says which.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "interrupted",
        () = terminate => "SIGTERM",
        () = parent_gone() => "svcgen up is gone: stdin closed",
    }
}

/// Completes when stdin reaches its end, if [`PARENT_PIPE_ENV`] is `stdin`; never otherwise.
async fn parent_gone() {
    if std::env::var(PARENT_PIPE_ENV).as_deref() != Ok("stdin") {
        return std::future::pending().await;
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // A thread of its own, not tokio's blocking pool: a read that never ends must not hold the
    // runtime (and the exit) back.
    let spawned = std::thread::Builder::new()
        .name("parent-pipe".into())
        .spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 256];
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    match spawned {
        Ok(_) => {
            let _ = rx.await;
        }
        Err(e) => {
            tracing::warn!("cannot watch stdin for the parent's exit: {e}");
            std::future::pending::<()>().await;
        }
    }
}

/// A service behind the gateway: where it is and how long a forwarded call may take.
#[derive(Debug, Clone)]
pub struct Upstream {
    service: &'static str,
    base: String,
    timeout: Duration,
    client: reqwest::Client,
}

impl Upstream {
    /// The service at the URL in `env` (else `default`), called with a total `timeout`.
    pub fn from_env(
        service: &'static str,
        env: &str,
        default: &str,
        timeout: Duration,
    ) -> Result<Self, crate::client::ConfigError> {
        let base = crate::client::url_from_env(env, default)?
            .trim_end_matches('/')
            .to_owned();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .build()
            .map_err(|e| {
                crate::client::ConfigError(format!(
                    "cannot build the HTTP client of {service}: {e}"
                ))
            })?;
        Ok(Upstream {
            service,
            base,
            timeout,
            client,
        })
    }
}

/// Headers that describe one connection, not the message: never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Forwards `request` to `upstream` with `prefix` taken off its path, and answers with what
/// the service answered. The request id goes along; a service that is down, slow or broken is
/// answered with a 503, 504 or 502 problem naming it (not its address).
pub async fn forward(
    upstream: &Upstream,
    prefix: &str,
    request: Request,
    limit: usize,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path()
        .strip_prefix(prefix)
        .unwrap_or(parts.uri.path());
    let mut url = format!("{}{path}", upstream.base);
    if let Some(query) = parts.uri.query() {
        url.push('?');
        url.push_str(query);
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return Problem::new(413, "Payload too large")
                .with_detail(format!("the body exceeds the limit of {limit} bytes"))
                .into_response();
        }
    };
    let mut outgoing = upstream
        .client
        .request(parts.method.clone(), &url)
        .timeout(upstream.timeout);
    // The request id and trace context are the gateway's own (the caller's trace, joined).
    let own = [REQUEST_ID_HEADER, TRACEPARENT, TRACESTATE];
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && !own.contains(&name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    outgoing = crate::client::carry_on(outgoing);
    let service = upstream.service;
    let answer = match outgoing.body(bytes).send().await {
        Ok(answer) => answer,
        Err(e) => {
            tracing::warn!(service, %url, "forwarding failed: {e}");
            let problem = if e.is_timeout() {
                Problem::new(504, "Dependency timed out")
                    .with_detail(format!("the {service} service did not answer in time"))
            } else if e.is_connect() {
                Problem::new(503, "Dependency unavailable")
                    .with_detail(format!("the {service} service could not be reached"))
            } else {
                Problem::new(502, "Bad gateway")
                    .with_detail(format!("the {service} service failed"))
            };
            return problem.into_response();
        }
    };
    let status = answer.status();
    let mut headers = axum::http::HeaderMap::new();
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name.as_str() != REQUEST_ID_HEADER {
            headers.append(name.clone(), value.clone());
        }
    }
    match answer.bytes().await {
        Ok(body) => (status, headers, body).into_response(),
        Err(e) => {
            tracing::warn!(service, %url, "reading the answer failed: {e}");
            Problem::new(502, "Bad gateway")
                .with_detail(format!("the {service} service failed"))
                .into_response()
        }
    }
}

/// Everything a service binary does, around the parts that are its own: with the argument
/// `healthcheck`, asks the service on this machine whether it is ready (for container health
/// checks); otherwise logs from `RUST_LOG`, builds the router with `build` (which reads the
/// configuration, e.g. dependency addresses, and may refuse it) and [`serve`]s it until SIGTERM
/// or Ctrl-C.
pub async fn main<E: std::fmt::Display>(
    settings: Settings,
    build: impl FnOnce() -> Result<Router, E>,
) -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(settings.default_port);
    }
    let _telemetry = match start_telemetry(&settings) {
        Ok(guard) => guard,
        Err(code) => return code,
    };
    match build() {
        Ok(router) => serve(settings, router).await,
        Err(e) => {
            tracing::error!("invalid configuration: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logging, and OpenTelemetry export when the environment asks for it; a failure to set up
/// export that was asked for stops the service (logged, exit code 1).
fn start_telemetry(settings: &Settings) -> Result<crate::telemetry::Guard, ExitCode> {
    crate::telemetry::init(settings.service).map_err(|e| {
        init_tracing();
        tracing::error!(service = settings.service, "{e}");
        ExitCode::FAILURE
    })
}

/// [`main`] for a service that prepares asynchronously before serving (connects to its
/// database, applies migrations): `build` gives what it [`Prepared`], or a one-line reason to
/// exit with a failure.
pub async fn main_async<F>(settings: Settings, build: impl FnOnce() -> F) -> ExitCode
where
    F: Future<Output = Result<Prepared, String>>,
{
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(settings.default_port);
    }
    let _telemetry = match start_telemetry(&settings) {
        Ok(guard) => guard,
        Err(code) => return code,
    };
    match build().await {
        Ok(prepared) => serve_with(settings, prepared).await,
        Err(e) => {
            tracing::error!(service = settings.service, "{e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Input;
    use crate::validation::{Path, Validate, Violation};

    #[derive(Debug, serde::Deserialize)]
    struct Units {
        #[allow(dead_code)]
        units: i64,
        #[allow(dead_code)]
        count: i32,
    }

    impl Validate for Units {
        fn validate_at(&self, _: &mut Path, _: &mut Vec<Violation>) {}
    }

    /// The problem's `(pointer, detail)` pairs for a body, or `None` when it was taken.
    async fn body(json: &str) -> Option<Vec<(String, String)>> {
        let (parts, ()) = http::Request::builder()
            .header("content-type", "application/json")
            .body(())
            .unwrap()
            .into_parts();
        let mut input = Input::new(parts).await;
        match input.json::<Units>(json.to_owned().into(), 1 << 20).await {
            Some(_) => None,
            None => Some(
                input
                    .errors
                    .into_iter()
                    .map(|e| (e.pointer, e.detail))
                    .collect(),
            ),
        }
    }

    /// Issue 11, item 3: an integer out of its field's range is a 422 naming the field, never
    /// clamped; `3.0` is still the integer 3.
    #[tokio::test]
    async fn integers_out_of_range_are_refused_never_clamped() {
        assert_eq!(body(r#"{"units": 3.0, "count": 2}"#).await, None);
        assert_eq!(
            body(r#"{"units": -9007199254740992, "count": 2}"#).await,
            None
        );
        for (json, pointer, says) in [
            (
                r#"{"units": -9223372036854775809, "count": 1}"#,
                "/units",
                "must be a whole number from -9223372036854775808 to 9223372036854775807",
            ),
            (
                r#"{"units": 9223372036854775808, "count": 1}"#,
                "/units",
                "9223372036854775808",
            ),
            (
                r#"{"units": 1e19, "count": 1}"#,
                "/units",
                "must be a whole number from",
            ),
            (
                r#"{"units": 1, "count": 3000000000}"#,
                "/count",
                "3000000000",
            ),
            (
                r#"{"units": 1, "count": 2.5}"#,
                "/count",
                "must be a whole number (got `2.5`)",
            ),
        ] {
            let errors = body(json).await.expect("refused");
            assert_eq!(errors.len(), 1, "{json}: {errors:?}");
            assert_eq!(errors[0].0, pointer, "{json}");
            assert!(errors[0].1.contains(says), "{json}: {}", errors[0].1);
        }
    }
}
