//! OpenTelemetry: spans and metrics over OTLP, by the standard variables.
//!
//! Nothing is exported, and nothing of OpenTelemetry runs, unless `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and `OTEL_SDK_DISABLED` is not `true`. The
//! W3C trace context ([`crate::trace`]) is propagated either way; with export on, the ids it
//! carries are those of the exported spans.
//!
//! With export on, every request served is a `server` span (`http.request.method`,
//! `http.route`, `url.path`, `http.response.status_code`, `request_id`), every call of a
//! typed client a `client` span, every event published a `producer` span and every handling a
//! `consumer` span, and every database transaction a span of its own; the spans a handler
//! makes with `tracing` are their children. Metrics: `http.server.request.duration` and
//! `http.client.request.duration` (seconds, by method, route or peer, and status).
//!
//! The exporter reads the other standard variables itself (`OTEL_EXPORTER_OTLP_HEADERS`,
//! `…_TIMEOUT`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`). `OTEL_EXPORTER_OTLP_PROTOCOL`
//! may be `http/protobuf` (the default) or `http/json`; `grpc` is not built in.

use opentelemetry::KeyValue;
use opentelemetry::metrics::Histogram;
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState, TracerProvider};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::sync::OnceLock;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::context::RequestId;
use crate::trace::{Parent, SpanId, TraceContext, TraceId};
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::trace::Status;
use std::time::Duration;

/// The variable whose presence turns export on.
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
const TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
const SDK_DISABLED: &str = "OTEL_SDK_DISABLED";

/// The instruments, once export is on.
struct Instruments {
    server_duration: Histogram<f64>,
    client_duration: Histogram<f64>,
}

static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();

/// Whether spans and metrics are exported: set once, at start, by [`init`].
pub fn enabled() -> bool {
    INSTRUMENTS.get().is_some()
}

/// What export needs at shutdown: its providers, flushed and stopped when this is dropped (the
/// spans of the last requests go out before the process ends).
#[must_use = "dropping the guard stops export"]
pub struct Guard {
    providers: Option<(SdkTracerProvider, SdkMeterProvider)>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some((traces, metrics)) = self.providers.take() {
            if let Err(e) = traces.shutdown() {
                eprintln!("telemetry: flushing spans failed: {e}");
            }
            if let Err(e) = metrics.shutdown() {
                eprintln!("telemetry: flushing metrics failed: {e}");
            }
        }
    }
}

/// Whether the environment asks for export: an OTLP endpoint is set (not empty) and the SDK is
/// not disabled.
fn wanted() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let disabled = std::env::var(SDK_DISABLED).is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    !disabled && (set(OTEL_EXPORTER_OTLP_ENDPOINT) || set(TRACES_ENDPOINT))
}

/// The OTLP protocol asked for (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, then
/// `OTEL_EXPORTER_OTLP_PROTOCOL`; `http/protobuf` when neither is set).
fn protocol() -> Result<Protocol, String> {
    let asked = [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ]
    .iter()
    .find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*name, v))
    });
    match asked {
        None => Ok(Protocol::HttpBinary),
        Some((_, v)) if v.trim() == "http/protobuf" => Ok(Protocol::HttpBinary),
        Some((_, v)) if v.trim() == "http/json" => Ok(Protocol::HttpJson),
        Some((name, v)) => Err(format!(
            "{name} is `{v}`: this service exports over OTLP/HTTP, `http/protobuf` or `http/json` \
             (a collector's port 4318)"
        )),
    }
}

/// Sets up logging (`RUST_LOG`, default `info`, to stderr) and, when the environment asks for
/// it, OpenTelemetry export for the service `service` (unless `OTEL_SERVICE_NAME` names it).
/// An export that is asked for but cannot be set up is an error: the service does not start
/// half-observed.
pub fn init(service: &str) -> Result<Guard, String> {
    if !wanted() {
        // Exactly the logging of a service without telemetry.
        crate::server::init_tracing();
        return Ok(Guard { providers: None });
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .fmt_fields(WithoutOtelFields)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let protocol = protocol()?;
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(service.to_owned());
    }
    let resource = resource.build();
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .build()
        .map_err(|e| format!("OpenTelemetry span export: {e}"))?;
    let traces = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_batch_exporter(spans)
        .build();
    let metrics_exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .build()
        .map_err(|e| format!("OpenTelemetry metric export: {e}"))?;
    let metrics = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_periodic_exporter(metrics_exporter)
        .build();
    let meter = opentelemetry::metrics::MeterProvider::meter(&metrics, "svcgen-runtime");
    let instruments = Instruments {
        server_duration: meter
            .f64_histogram("http.server.request.duration")
            .with_unit("s")
            .with_description("Duration of HTTP server requests.")
            .build(),
        client_duration: meter
            .f64_histogram("http.client.request.duration")
            .with_unit("s")
            .with_description("Duration of HTTP client requests.")
            .build(),
    };
    let tracer = traces.tracer("svcgen-runtime");
    // Logs keep `RUST_LOG`; spans are exported at `info` and above, whatever the logs show.
    // Not where in the runtime's source a span was made, nor threads and idle times: what is
    // exported is about the request.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init()
        .map_err(|e| format!("setting up telemetry: {e}"))?;
    let _ = INSTRUMENTS.set(instruments);
    Ok(Guard {
        providers: Some((traces, metrics)),
    })
}

/// The span of a request served, exported as a `server` span named by its method (and, once
/// routed, its route).
pub(crate) fn server_span(id: &RequestId, method: &Method, path: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        path = %path,
        otel.name = %method,
        otel.kind = "server",
    );
    span.set_attribute("http.request.method", method.as_str().to_owned());
    span.set_attribute("url.path", path.to_owned());
    span
}

/// The route a request took (`/users/{id}`), kept on its answer for the metrics.
#[derive(Clone)]
struct Route(String);

/// Middleware on every route (only while exporting): names the request's span by its route.
pub(crate) async fn route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    if let Some(route) = &route {
        let span = tracing::Span::current();
        // The span has started (its ids were needed at the door): renamed in place.
        span.context()
            .span()
            .update_name(format!("{} {route}", request.method()));
        span.set_attribute("http.route", route.clone());
    }
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Ends the record of a request served: the span's status, and the request's duration.
pub(crate) fn finish_server(
    span: &tracing::Span,
    method: &Method,
    response: &Response,
    elapsed: Duration,
) {
    let status = response.status().as_u16();
    span.set_attribute("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.set_status(Status::error(format!("answered {status}")));
    }
    let route = response.extensions().get::<Route>().map(|r| r.0.as_str());
    if let Some(i) = INSTRUMENTS.get() {
        let mut attributes = vec![
            KeyValue::new("http.request.method", method.as_str().to_owned()),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ];
        if let Some(route) = route {
            attributes.push(KeyValue::new("http.route", route.to_owned()));
        }
        i.server_duration.record(elapsed.as_secs_f64(), &attributes);
    }
}

/// The span of a database transaction on `system` (`sqlite`, `postgresql`), from its start to
/// its end.
#[cfg(feature = "store")]
pub(crate) fn transaction_span(system: &'static str) -> tracing::Span {
    let span = tracing::info_span!("transaction", otel.kind = "client");
    span.set_attribute("db.system.name", system);
    span
}

/// The span of an event published, exported as a `producer` span: its handlings are its
/// children.
#[cfg(feature = "events")]
pub(crate) fn producer_span(event_type: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "publish",
        event = event_type,
        otel.name = %format!("publish {event_type}"),
        otel.kind = "producer",
    );
    span.set_attribute("messaging.operation.type", "send");
    span.set_attribute("messaging.destination.name", event_type.to_owned());
    span
}

/// The span of an event handled, exported as a `consumer` span.
#[cfg(feature = "events")]
pub(crate) fn consumer_span(
    event_type: &str,
    event_id: &str,
    request_id: &RequestId,
) -> tracing::Span {
    let span = tracing::info_span!(
        "handle",
        event = event_type,
        request_id = %request_id,
        otel.name = %format!("process {event_type}"),
        otel.kind = "consumer",
    );
    span.set_attribute("messaging.operation.type", "process");
    span.set_attribute("messaging.destination.name", event_type.to_owned());
    span.set_attribute("messaging.message.id", event_id.to_owned());
    span
}

/// The fields of log lines as the runtime writes them without export, leaving out the `otel.*`
/// fields that only tell the exporter a span's name and kind.
struct WithoutOtelFields;

impl<'writer> tracing_subscriber::fmt::FormatFields<'writer> for WithoutOtelFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: tracing_subscriber::fmt::format::Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut visitor = FieldWriter {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct FieldWriter<'a, 'writer> {
    writer: &'a mut tracing_subscriber::fmt::format::Writer<'writer>,
    first: bool,
    result: std::fmt::Result,
}

impl tracing::field::Visit for FieldWriter<'_, '_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("otel.") {
            return;
        }
        let separator = if self.first { "" } else { " " };
        self.first = false;
        self.result = if name == "message" {
            write!(self.writer, "{separator}{value:?}")
        } else {
            write!(self.writer, "{separator}{name}={value:?}")
        };
    }
}

/// The OpenTelemetry context of a caller's span, as `traceparent` named it.
fn remote(parent: &Parent) -> opentelemetry::Context {
    let state = parent
        .state
        .as_ref()
        .and_then(|s| s.to_str().ok())
        .and_then(|s| s.parse::<TraceState>().ok())
        .unwrap_or_default();
    let span = SpanContext::new(
        opentelemetry::trace::TraceId::from(parent.trace_id.get()),
        opentelemetry::trace::SpanId::from(parent.span_id.get()),
        TraceFlags::new(parent.flags),
        true,
        state,
    );
    opentelemetry::Context::new().with_remote_span_context(span)
}

/// Makes `span` a child of `parent` (a caller's span; none starts a trace) and gives the trace
/// context of the exported span: its ids are what calls and events carry on.
pub(crate) fn join(span: &tracing::Span, parent: Option<Parent>) -> Option<TraceContext> {
    if let Some(p) = &parent {
        let _ = span.set_parent(remote(p));
    }
    let cx = span.context();
    let own = cx.span().span_context().clone();
    let trace_id = TraceId::new(u128::from_be_bytes(own.trace_id().to_bytes()))?;
    let span_id = SpanId::new(u64::from_be_bytes(own.span_id().to_bytes()))?;
    Some(TraceContext::of_span(
        trace_id,
        span_id,
        own.trace_flags().to_u8(),
        parent,
    ))
}

/// The `traceparent` naming the current span (a client call's, a handler's) as the parent, in
/// the trace of `trace`; `None` when the current span is not exported.
pub(crate) fn current_traceparent(trace: &TraceContext) -> Option<http::HeaderValue> {
    let cx = tracing::Span::current().context();
    let own = cx.span().span_context().span_id();
    SpanId::new(u64::from_be_bytes(own.to_bytes())).map(|span| trace.traceparent(span))
}

/// The span of a call to the dependency `peer`, exported as a `client` span.
pub(crate) fn client_span(peer: &str, method: &Method, base: &str, path: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "call",
        service = peer,
        otel.name = %format!("{method} {peer}"),
        otel.kind = "client",
    );
    span.set_attribute("http.request.method", method.as_str().to_owned());
    span.set_attribute("peer.service", peer.to_owned());
    span.set_attribute("url.full", format!("{base}{path}"));
    span
}

/// Ends the record of a call: the status of its last answer (0 when none came), its span's
/// status, its duration.
pub(crate) fn finish_client(
    span: &tracing::Span,
    peer: &str,
    method: &Method,
    status: u16,
    elapsed: Duration,
) {
    if status != 0 {
        span.set_attribute("http.response.status_code", i64::from(status));
    }
    if status == 0 || status >= 500 {
        span.set_status(Status::error(if status == 0 {
            "no answer".to_owned()
        } else {
            format!("answered {status}")
        }));
    }
    if let Some(i) = INSTRUMENTS.get() {
        let attributes = [
            KeyValue::new("http.request.method", method.as_str().to_owned()),
            KeyValue::new("peer.service", peer.to_owned()),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ];
        i.client_duration.record(elapsed.as_secs_f64(), &attributes);
    }
}
