//! The dashboard of `svcgen up`: one local web page for the running system.
//!
//! It shows the system's graph (drawn from the spec) with each process's health, address,
//! pid, restarts and database; every service's log lines, filterable and live; the traces the
//! services export to it over OTLP (each request a waterfall across services and events,
//! searchable by request id and status); request counts, error rates and latencies per
//! endpoint; each service's API from its OpenAPI document with a form to try an endpoint; and
//! a button restarting one service while the others keep serving.
//!
//! Everything is kept in bounded memory (the last [`LOG_LINES`] log lines and [`SPANS`]
//! spans). The server binds to loopback only, answers only requests whose `Host` is its own
//! address (no DNS rebinding), and takes actions (restart, calling a service, minting a
//! development token) only from its own pages: the `Origin` must be its own and the request
//! must carry the per-run token the pages hold. No other web page the user visits can act
//! through it. Pages are rendered on the server; the small script and stylesheet they use are
//! part of the binary.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use svcgen_codegen::model::System;
use svcgen_runtime::axum::{
    self, Router,
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};

/// Log lines kept (the oldest go first).
pub const LOG_LINES: usize = 5_000;
/// Spans kept (the oldest go first).
pub const SPANS: usize = 20_000;
/// The dashboard's port when it is free.
pub const DEFAULT_PORT: u16 = 9400;

const STYLE: &str = include_str!("../assets/dashboard.css");
const SCRIPT: &str = include_str!("../assets/dashboard.js");

/// What the dashboard asks of `up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Stop the process of this name, rebuild it (when its code changed) and start it again.
    Restart(String),
}

/// One process of the system, as the dashboard shows it.
#[derive(Debug, Clone)]
pub struct Process {
    /// The spec's name (`gateway` for the gateway).
    pub name: String,
    /// Its port on loopback.
    pub port: u16,
    /// Its pid, while it runs.
    pub pid: Option<u32>,
    /// How many times it was restarted from the dashboard.
    pub restarts: u32,
    /// Its database file, if it keeps records.
    pub database: Option<String>,
    /// `/readyz`: `None` until first asked, then whether it answered 200, and its words.
    pub health: Option<(bool, String)>,
    /// Whether it is being restarted now.
    pub restarting: bool,
}

/// A line a process logged.
#[derive(Debug, Clone)]
struct LogLine {
    seq: u64,
    service: String,
    time: String,
    level: String,
    request_id: Option<String>,
    text: String,
}

/// A span a process exported.
#[derive(Debug, Clone)]
struct SpanRecord {
    service: String,
    trace: String,
    id: String,
    parent: String,
    name: String,
    kind: i64,
    start: u64,
    end: u64,
    status: Option<u16>,
    error: bool,
    request_id: Option<String>,
    attributes: Vec<(String, String)>,
}

/// A credential the API form can call with: a development API key of an `api_key` scheme, or
/// tokens of a `jwt` scheme minted on request.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The scheme's name.
    pub scheme: String,
    /// How it is sent.
    pub kind: CredentialKind,
}

/// How a [`Credential`] is sent.
#[derive(Debug, Clone)]
pub enum CredentialKind {
    /// In `header`, the key kept in `file`.
    ApiKey { header: String, file: PathBuf },
    /// As a bearer token, signed for the scopes asked for.
    Jwt { scopes: Vec<String> },
}

/// Everything the dashboard knows, shared by `up` (which feeds it) and the server.
pub struct Hub {
    token: String,
    port: u16,
    system: String,
    workspace: PathBuf,
    spec: System,
    processes: Mutex<Vec<Process>>,
    logs: Mutex<VecDeque<LogLine>>,
    spans: Mutex<VecDeque<SpanRecord>>,
    next_log: AtomicU64,
    commands: Mutex<Sender<Command>>,
    credentials: Vec<Credential>,
    client: reqwest::Client,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// A hub for `system` (generated in `workspace`) served on `port`, sending its commands to
    /// `commands`.
    pub fn new(
        system: &System,
        workspace: PathBuf,
        port: u16,
        processes: Vec<Process>,
        credentials: Vec<Credential>,
        commands: Sender<Command>,
    ) -> Result<Arc<Hub>, String> {
        let token = svcgen_runtime::issuer::random_secret(24).map_err(|e| e.to_string())?;
        Ok(Arc::new(Hub {
            token,
            port,
            system: system.name.wire.clone(),
            workspace,
            spec: system.clone(),
            processes: Mutex::new(processes),
            logs: Mutex::new(VecDeque::with_capacity(LOG_LINES)),
            spans: Mutex::new(VecDeque::with_capacity(1024)),
            next_log: AtomicU64::new(1),
            commands: Mutex::new(commands),
            credentials,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())?,
        }))
    }

    /// The dashboard's address.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where the processes send their spans and metrics (`OTEL_EXPORTER_OTLP_ENDPOINT`).
    pub fn otlp_endpoint(&self) -> String {
        self.url()
    }

    /// Updates the process `name`.
    pub fn update(&self, name: &str, f: impl FnOnce(&mut Process)) {
        if let Some(p) = lock(&self.processes).iter_mut().find(|p| p.name == name) {
            f(p);
        }
    }

    fn processes(&self) -> Vec<Process> {
        lock(&self.processes).clone()
    }

    /// Keeps a line the process `service` wrote.
    pub fn log(&self, service: &str, line: &str) {
        let (time, level, text) = split_log_line(line);
        let entry = LogLine {
            seq: self.next_log.fetch_add(1, Ordering::Relaxed),
            service: service.to_owned(),
            time: time.to_owned(),
            level: level.to_owned(),
            request_id: field(line, "request_id").map(str::to_owned),
            text: text.to_owned(),
        };
        let mut logs = lock(&self.logs);
        if logs.len() == LOG_LINES {
            logs.pop_front();
        }
        logs.push_back(entry);
    }

    fn keep_spans(&self, spans: Vec<SpanRecord>) {
        let mut kept = lock(&self.spans);
        for s in spans {
            if kept.len() == SPANS {
                kept.pop_front();
            }
            kept.push_back(s);
        }
    }
}

/// A log line of the runtime's format (`<time> <LEVEL> <text>`) in its parts; a line of
/// another form is all text.
fn split_log_line(line: &str) -> (&str, &str, &str) {
    let mut parts = line.splitn(2, ' ');
    let (Some(time), Some(rest)) = (parts.next(), parts.next()) else {
        return ("", "", line);
    };
    let rest = rest.trim_start();
    let mut parts = rest.splitn(2, ' ');
    match (parts.next(), parts.next()) {
        (Some(level), Some(text))
            if matches!(level, "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR")
                && time.contains('T') =>
        {
            (time, level, text.trim_start())
        }
        _ => ("", "", line),
    }
}

/// The value of `name=value` in a log line (as the runtime writes span fields).
fn field<'l>(line: &'l str, name: &str) -> Option<&'l str> {
    let at = line.find(&format!("{name}="))? + name.len() + 1;
    let rest = &line[at..];
    let end = rest.find([' ', '}', ',', ':']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|v| !v.is_empty())
}

/// Serves the dashboard on `listener` (bound to loopback) until the process ends, on a thread
/// of its own; another thread asks each process's `/readyz` every second.
pub fn serve(hub: Arc<Hub>, listener: std::net::TcpListener) -> Result<(), String> {
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("dashboard: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("dashboard: {e}"))?;
    let app = router(hub.clone());
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            tokio::spawn(watch_health(hub));
            let _ = axum::serve(listener, app).await;
        });
    });
    Ok(())
}

/// Asks every process's `/readyz`, every second.
async fn watch_health(hub: Arc<Hub>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap_or_default();
    loop {
        for p in hub.processes() {
            let url = format!("http://127.0.0.1:{}/readyz", p.port);
            let health = match client.get(&url).send().await {
                Ok(answer) => {
                    let ok = answer.status() == StatusCode::OK;
                    let body: serde_json::Value = answer.json().await.unwrap_or_default();
                    let words = body["detail"]
                        .as_str()
                        .or(body["status"].as_str())
                        .unwrap_or(if ok { "ready" } else { "not ready" })
                        .to_owned();
                    (ok, words)
                }
                Err(_) => (false, "not answering".to_owned()),
            };
            hub.update(&p.name, |p| p.health = Some(health));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/logs", get(logs_page))
        .route("/traces", get(traces_page))
        .route("/traces/{id}", get(trace_page))
        .route("/services/{name}", get(service_page))
        .route(
            "/assets/dashboard.css",
            get(|| async { asset("text/css", STYLE) }),
        )
        .route(
            "/assets/dashboard.js",
            get(|| async { asset("text/javascript", SCRIPT) }),
        )
        .route("/data/state", get(state_data))
        .route("/data/logs", get(logs_data))
        .route("/actions/restart/{name}", post(restart))
        .route("/actions/token/{scheme}", post(mint_token))
        .route("/actions/call/{name}", post(call))
        .route("/v1/traces", post(receive_traces))
        .route("/v1/metrics", post(receive_metrics))
        .layer(middleware::from_fn_with_state(hub.clone(), guard))
        .with_state(hub)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Only requests to the dashboard's own address; actions only from its own pages.
async fn guard(State(hub): State<Arc<Hub>>, request: Request, next: Next) -> Response {
    let own = [
        format!("127.0.0.1:{}", hub.port),
        format!("localhost:{}", hub.port),
    ];
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !own.iter().any(|o| o == host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "not this dashboard's address",
        );
    }
    let path = request.uri().path();
    if path.starts_with("/actions/") {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok());
        let same_origin =
            origin.is_some_and(|o| own.iter().any(|own| o == format!("http://{own}")));
        let token = request
            .headers()
            .get("x-svcgen-dashboard")
            .and_then(|t| t.to_str().ok());
        let token_ok = token.is_some_and(|t| same_secret(t.as_bytes(), hub.token.as_bytes()));
        if !same_origin || !token_ok {
            return refuse(
                StatusCode::FORBIDDEN,
                "actions come from the dashboard's own pages",
            );
        }
    }
    if path.starts_with("/v1/") && otlp_encoding(request.headers()).is_none() {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "OTLP/HTTP takes application/x-protobuf or application/json",
        );
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Whether `given` is `secret`, in time that does not depend on where they differ.
fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    given.len() == secret.len()
        && given
            .iter()
            .zip(secret)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], why).into_response()
}

// ---------------------------------------------------------------------------------------
// Pages

/// Text for HTML (element content and quoted attribute values).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value for a URL's query or path segment.
fn url_part(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn page(hub: &Hub, title: &str, current: &str, body: &str) -> Html<String> {
    let mut nav = String::new();
    for (href, label) in [("/", "Overview"), ("/logs", "Logs"), ("/traces", "Traces")] {
        let class = if href == current {
            " class=\"current\""
        } else {
            ""
        };
        let _ = write!(nav, "<a href=\"{href}\"{class}>{label}</a>");
    }
    for p in hub.processes() {
        let href = format!("/services/{}", url_part(&p.name));
        let class = if href == current {
            " class=\"current\""
        } else {
            ""
        };
        let _ = write!(
            nav,
            "<a href=\"{}\"{class}>{} API</a>",
            esc(&href),
            esc(&p.name)
        );
    }
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"svcgen-dashboard\" content=\"{token}\">\
         <title>{title} · {system} · svcgen up</title>\
         <link rel=\"stylesheet\" href=\"/assets/dashboard.css\">\
         <script src=\"/assets/dashboard.js\" defer></script></head>\
         <body><header><strong>{system}</strong><nav>{nav}</nav></header>\
         <main>{body}</main></body></html>",
        token = esc(&hub.token),
        title = esc(title),
        system = esc(&hub.system),
    ))
}

async fn overview(State(hub): State<Arc<Hub>>) -> Html<String> {
    let mut body = String::new();
    body.push_str("<h1>Services</h1>");
    body.push_str(&graph_svg(&hub));
    body.push_str(
        "<table id=\"services\"><thead><tr><th>service</th><th>health</th><th>address</th>\
         <th>pid</th><th>restarts</th><th>database</th><th></th></tr></thead><tbody>",
    );
    for p in hub.processes() {
        body.push_str(&process_row(&p));
    }
    body.push_str("</tbody></table>");
    body.push_str("<h1>Endpoints</h1>");
    body.push_str(&endpoint_table(&hub));
    page(&hub, "Overview", "/", &body)
}

fn health_cell(p: &Process) -> (String, &'static str) {
    match (&p.health, p.restarting) {
        (_, true) => ("restarting".to_owned(), "pending"),
        (None, _) => ("starting".to_owned(), "pending"),
        (Some((true, words)), _) => (words.clone(), "healthy"),
        (Some((false, words)), _) => (words.clone(), "unhealthy"),
    }
}

fn process_row(p: &Process) -> String {
    let (words, class) = health_cell(p);
    let url = format!("http://127.0.0.1:{}", p.port);
    format!(
        "<tr data-service=\"{name}\"><td><a href=\"/services/{link}\">{name}</a></td>\
         <td class=\"health {class}\" data-field=\"health\">{words}</td>\
         <td><a href=\"{url}/openapi.json\">{url}</a></td>\
         <td data-field=\"pid\">{pid}</td><td data-field=\"restarts\">{restarts}</td>\
         <td>{db}</td><td><button class=\"restart\" data-service=\"{name}\">Restart</button></td></tr>",
        name = esc(&p.name),
        link = url_part(&p.name),
        words = esc(&words),
        pid = p.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
        restarts = p.restarts,
        db = esc(p.database.as_deref().unwrap_or("-")),
    )
}

/// The system's graph: the gateway, then each service after what it depends on, with an
/// arrow per dependency (solid) and per event a service publishes and another handles
/// (dashed).
fn graph_svg(hub: &Hub) -> String {
    let spec = &hub.spec;
    // Columns: a service's column is one more than the deepest of its dependents'.
    let names: Vec<&str> = spec.services.keys().map(String::as_str).collect();
    let mut column: HashMap<&str, usize> = HashMap::new();
    fn depth<'s>(name: &'s str, spec: &'s System, memo: &mut HashMap<&'s str, usize>) -> usize {
        if let Some(d) = memo.get(name) {
            return *d;
        }
        memo.insert(name, 0);
        let d = spec.services[name]
            .depends_on
            .iter()
            .map(|d| depth(&d.service, spec, memo) + 1)
            .max()
            .unwrap_or(0);
        memo.insert(name, d);
        d
    }
    let deepest = names
        .iter()
        .map(|n| depth(n, spec, &mut column))
        .max()
        .unwrap_or(0);
    let gateway = spec.gateway.is_some();
    let col = |name: &str, column: &HashMap<&str, usize>| -> usize {
        // Callers on the left: the most dependent services first.
        deepest - column.get(name).copied().unwrap_or(0) + usize::from(gateway)
    };
    let mut rows: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for n in &names {
        rows.entry(col(n, &column)).or_default().push(n);
    }
    if gateway {
        rows.insert(0, vec!["gateway"]);
    }
    let (w, h, gap_x, gap_y) = (150, 44, 80, 30);
    let mut at: HashMap<&str, (usize, usize)> = HashMap::new();
    for (c, members) in &rows {
        for (r, n) in members.iter().enumerate() {
            at.insert(n, (20 + c * (w + gap_x), 20 + r * (h + gap_y)));
        }
    }
    let width = 40 + rows.len() * (w + gap_x);
    let height = 40 + rows.values().map(Vec::len).max().unwrap_or(1) * (h + gap_y);
    let health: HashMap<String, &'static str> = hub
        .processes()
        .iter()
        .map(|p| (p.name.clone(), health_cell(p).1))
        .collect();
    let mut svg = format!(
        "<svg class=\"graph\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"the system's services and what they call\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>"
    );
    let edge = |svg: &mut String, from: &str, to: &str, class: &str, label: &str| {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (at.get(from), at.get(to)) else {
            return;
        };
        let (sx, sy, ex, ey) = if x1 < x2 {
            (x1 + w, y1 + h / 2, x2, y2 + h / 2)
        } else if x1 > x2 {
            (x1, y1 + h / 2, x2 + w, y2 + h / 2)
        } else {
            (x1 + w / 2, y1 + h, x2 + w / 2, y2)
        };
        let _ = write!(
            svg,
            "<line class=\"{class}\" x1=\"{sx}\" y1=\"{sy}\" x2=\"{ex}\" y2=\"{ey}\" marker-end=\"url(#arrow)\"/>"
        );
        if !label.is_empty() {
            let _ = write!(
                svg,
                "<text class=\"edge-label\" x=\"{}\" y=\"{}\">{}</text>",
                (sx + ex) / 2,
                (sy + ey) / 2 - 4,
                esc(label)
            );
        }
    };
    if let Some(g) = &spec.gateway {
        for up in g.upstreams() {
            edge(&mut svg, "gateway", up, "calls", "");
        }
    }
    for s in spec.services.values() {
        for d in &s.depends_on {
            edge(&mut svg, &s.name.wire, &d.service, "calls", "");
        }
        for event in &s.publishes {
            for other in spec
                .services
                .values()
                .filter(|o| o.subscribes.contains(event))
            {
                let label = &spec.events[event].name.wire;
                edge(&mut svg, &s.name.wire, &other.name.wire, "event", label);
            }
        }
    }
    for (n, &(x, y)) in &at {
        let class = health.get(*n).copied().unwrap_or("pending");
        let _ = write!(
            svg,
            "<g class=\"node {class}\" data-service=\"{name}\"><rect x=\"{x}\" y=\"{y}\" width=\"{w}\" \
             height=\"{h}\" rx=\"6\"/><text x=\"{tx}\" y=\"{ty}\">{name}</text></g>",
            name = esc(n),
            tx = x + w / 2,
            ty = y + h / 2 + 5,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Count, error rate and latency per endpoint, from the server spans kept.
fn endpoint_table(hub: &Hub) -> String {
    let mut by: BTreeMap<(String, String), (Vec<u64>, usize)> = BTreeMap::new();
    for s in lock(&hub.spans).iter().filter(|s| s.kind == SERVER) {
        let entry = by.entry((s.service.clone(), s.name.clone())).or_default();
        entry.0.push(s.end.saturating_sub(s.start));
        if s.error || s.status.is_some_and(|c| c >= 500) {
            entry.1 += 1;
        }
    }
    if by.is_empty() {
        return "<p class=\"empty\">No requests yet.</p>".to_owned();
    }
    let mut out = String::from(
        "<table id=\"endpoints\"><thead><tr><th>service</th><th>endpoint</th><th>requests</th>\
         <th>errors</th><th>p50</th><th>p99</th></tr></thead><tbody>",
    );
    for ((service, name), (mut durations, errors)) in by {
        durations.sort_unstable();
        let q = |p: f64| {
            let i = ((durations.len() as f64 - 1.0) * p).round() as usize;
            millis(durations[i.min(durations.len() - 1)])
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1} %</td><td>{}</td><td>{}</td></tr>",
            esc(&service),
            esc(&name),
            durations.len(),
            100.0 * errors as f64 / durations.len() as f64,
            q(0.5),
            q(0.99)
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn millis(nanos: u64) -> String {
    format!("{:.1} ms", nanos as f64 / 1e6)
}

#[derive(serde::Deserialize, Default)]
struct LogFilter {
    service: Option<String>,
    level: Option<String>,
    request: Option<String>,
    after: Option<u64>,
}

impl LogFilter {
    fn admits(&self, l: &LogLine) -> bool {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|v| !v.is_empty())
        }
        given(&self.service).is_none_or(|s| l.service == s)
            && given(&self.level).is_none_or(|v| level_rank(&l.level) >= level_rank(v))
            && given(&self.request).is_none_or(|r| l.request_id.as_deref() == Some(r))
            && self.after.is_none_or(|a| l.seq > a)
    }
}

fn level_rank(level: &str) -> u8 {
    match level {
        "TRACE" => 0,
        "DEBUG" => 1,
        "INFO" => 2,
        "WARN" => 3,
        "ERROR" => 4,
        _ => 2,
    }
}

fn log_rows(hub: &Hub, filter: &LogFilter, limit: usize) -> (String, u64) {
    let logs = lock(&hub.logs);
    let chosen: Vec<&LogLine> = logs.iter().filter(|l| filter.admits(l)).collect();
    let start = chosen.len().saturating_sub(limit);
    let mut out = String::new();
    let mut last = filter.after.unwrap_or(0);
    for l in &chosen[start..] {
        last = last.max(l.seq);
        let request = match &l.request_id {
            Some(r) => format!(
                "<a href=\"/logs?request={q}\">{r}</a> <a class=\"to-trace\" href=\"/traces?request={q}\">trace</a>",
                q = url_part(r),
                r = esc(r)
            ),
            None => String::new(),
        };
        let _ = write!(
            out,
            "<tr data-seq=\"{}\"><td>{}</td><td>{}</td><td class=\"level {}\">{}</td><td>{request}</td><td class=\"text\">{}</td></tr>",
            l.seq,
            esc(&l.service),
            esc(&l.time),
            esc(&l.level.to_ascii_lowercase()),
            esc(&l.level),
            esc(&l.text)
        );
    }
    if chosen.is_empty() {
        last = last.max(logs.back().map(|l| l.seq).unwrap_or(0));
    }
    (out, last)
}

async fn logs_page(State(hub): State<Arc<Hub>>, Query(filter): Query<LogFilter>) -> Html<String> {
    let mut options = String::from("<option value=\"\">every service</option>");
    for p in hub.processes() {
        let selected = if filter.service.as_deref() == Some(&p.name) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            options,
            "<option value=\"{n}\"{selected}>{n}</option>",
            n = esc(&p.name)
        );
    }
    let mut levels = String::new();
    for level in ["", "DEBUG", "INFO", "WARN", "ERROR"] {
        let selected = if filter.level.as_deref().unwrap_or("") == level {
            " selected"
        } else {
            ""
        };
        let label = if level.is_empty() { "any level" } else { level };
        let _ = write!(
            levels,
            "<option value=\"{level}\"{selected}>{label}</option>"
        );
    }
    let (rows, last) = log_rows(&hub, &filter, 500);
    let body = format!(
        "<h1>Logs</h1><form class=\"filters\" method=\"get\" action=\"/logs\">\
         <select name=\"service\">{options}</select><select name=\"level\">{levels}</select>\
         <input name=\"request\" placeholder=\"request id\" value=\"{request}\">\
         <button>Filter</button></form>\
         <table id=\"logs\" data-live=\"/data/logs\" data-after=\"{last}\" data-query=\"{query}\">\
         <thead><tr><th>service</th><th>time</th><th>level</th><th>request</th><th>line</th></tr></thead>\
         <tbody>{rows}</tbody></table>",
        request = esc(filter.request.as_deref().unwrap_or("")),
        query = esc(&format!(
            "service={}&level={}&request={}",
            url_part(filter.service.as_deref().unwrap_or("")),
            url_part(filter.level.as_deref().unwrap_or("")),
            url_part(filter.request.as_deref().unwrap_or(""))
        )),
    );
    page(&hub, "Logs", "/logs", &body)
}

async fn logs_data(State(hub): State<Arc<Hub>>, Query(filter): Query<LogFilter>) -> Response {
    let (rows, last) = log_rows(&hub, &filter, 500);
    axum::Json(serde_json::json!({ "rows": rows, "last": last })).into_response()
}

async fn state_data(State(hub): State<Arc<Hub>>) -> Response {
    let processes: Vec<serde_json::Value> = hub
        .processes()
        .iter()
        .map(|p| {
            let (words, class) = health_cell(p);
            serde_json::json!({
                "name": p.name, "health": words, "class": class,
                "pid": p.pid, "restarts": p.restarts,
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "processes": processes })).into_response()
}

#[derive(serde::Deserialize, Default)]
struct TraceFilter {
    request: Option<String>,
    status: Option<String>,
}

/// One trace as the list shows it.
struct TraceSummary {
    id: String,
    root: SpanRecord,
    spans: usize,
    services: Vec<String>,
    start: u64,
    end: u64,
    status: Option<u16>,
    error: bool,
}

fn traces(hub: &Hub) -> Vec<TraceSummary> {
    let spans = lock(&hub.spans);
    let mut by: HashMap<&str, Vec<&SpanRecord>> = HashMap::new();
    for s in spans.iter() {
        by.entry(&s.trace).or_default().push(s);
    }
    let mut out: Vec<TraceSummary> = by
        .into_iter()
        .map(|(id, members)| {
            let ids: Vec<&str> = members.iter().map(|s| s.id.as_str()).collect();
            let root = members
                .iter()
                .filter(|s| !ids.contains(&s.parent.as_str()))
                .min_by_key(|s| s.start)
                .copied()
                .unwrap_or(members[0]);
            let mut services: Vec<String> = members.iter().map(|s| s.service.clone()).collect();
            services.sort();
            services.dedup();
            TraceSummary {
                id: id.to_owned(),
                root: root.clone(),
                spans: members.len(),
                services,
                start: members.iter().map(|s| s.start).min().unwrap_or(0),
                end: members.iter().map(|s| s.end).max().unwrap_or(0),
                status: root.status,
                error: members
                    .iter()
                    .any(|s| s.error || s.status.is_some_and(|c| c >= 500)),
            }
        })
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.start));
    out
}

async fn traces_page(
    State(hub): State<Arc<Hub>>,
    Query(filter): Query<TraceFilter>,
) -> Html<String> {
    let request = filter.request.as_deref().unwrap_or("").trim().to_owned();
    let status = filter.status.as_deref().unwrap_or("").to_owned();
    let all = traces(&hub);
    // The traces holding a span of the request asked for.
    let of_request: std::collections::HashSet<String> = lock(&hub.spans)
        .iter()
        .filter(|s| s.request_id.as_deref() == Some(request.as_str()))
        .map(|s| s.trace.clone())
        .collect();
    let chosen: Vec<&TraceSummary> = all
        .iter()
        .filter(|t| request.is_empty() || of_request.contains(&t.id))
        .filter(|t| match status.as_str() {
            "error" => t.error,
            "ok" => !t.error,
            "" => true,
            code => t.status.map(|s| s.to_string()).as_deref() == Some(code),
        })
        .take(200)
        .collect();
    let mut rows = String::new();
    for t in &chosen {
        let _ = write!(
            rows,
            "<tr class=\"{class}\"><td><a href=\"/traces/{id}\">{name}</a></td><td>{service}</td>\
             <td>{request}</td><td>{status}</td><td>{duration}</td><td>{spans}</td><td>{services}</td></tr>",
            class = if t.error { "error" } else { "" },
            id = url_part(&t.id),
            name = esc(&t.root.name),
            service = esc(&t.root.service),
            request = esc(t.root.request_id.as_deref().unwrap_or("-")),
            status = t
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            duration = millis(t.end.saturating_sub(t.start)),
            spans = t.spans,
            services = esc(&t.services.join(" → ")),
        );
    }
    let mut statuses = String::new();
    for (value, label) in [
        ("", "any status"),
        ("ok", "succeeded"),
        ("error", "failed (5xx)"),
    ] {
        let selected = if status == value { " selected" } else { "" };
        let _ = write!(
            statuses,
            "<option value=\"{value}\"{selected}>{label}</option>"
        );
    }
    let table = if chosen.is_empty() {
        "<p class=\"empty\">No traces match yet: the services send theirs within a second.</p>"
            .to_owned()
    } else {
        format!(
            "<table id=\"traces\"><thead><tr><th>trace</th><th>service</th><th>request id</th>\
             <th>status</th><th>duration</th><th>spans</th><th>services</th></tr></thead>\
             <tbody>{rows}</tbody></table>"
        )
    };
    let body = format!(
        "<h1>Traces</h1><form class=\"filters\" method=\"get\" action=\"/traces\">\
         <input name=\"request\" placeholder=\"request id\" value=\"{request}\">\
         <select name=\"status\">{statuses}</select><button>Search</button></form>{table}",
        request = esc(&request),
    );
    page(&hub, "Traces", "/traces", &body)
}

async fn trace_page(State(hub): State<Arc<Hub>>, Path(id): Path<String>) -> Response {
    let mut spans: Vec<SpanRecord> = lock(&hub.spans)
        .iter()
        .filter(|s| s.trace == id)
        .cloned()
        .collect();
    if spans.is_empty() {
        let body = format!(
            "<h1>Trace {}</h1><p class=\"empty\">No span of this trace is kept.</p>",
            esc(&id)
        );
        return (StatusCode::NOT_FOUND, page(&hub, "Trace", "/traces", &body)).into_response();
    }
    spans.sort_by_key(|s| s.start);
    let start = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let end = spans
        .iter()
        .map(|s| s.end)
        .max()
        .unwrap_or(start)
        .max(start + 1);
    let total = (end - start) as f64;
    // Depth first, children under their parent in order of start.
    let ids: Vec<String> = spans.iter().map(|s| s.id.clone()).collect();
    let mut ordered: Vec<(usize, &SpanRecord)> = Vec::new();
    fn visit<'s>(
        parent: &str,
        depth: usize,
        spans: &'s [SpanRecord],
        out: &mut Vec<(usize, &'s SpanRecord)>,
    ) {
        for s in spans.iter().filter(|s| s.parent == parent) {
            if out.iter().any(|(_, o)| o.id == s.id) || depth > 64 {
                continue;
            }
            out.push((depth, s));
            visit(&s.id, depth + 1, spans, out);
        }
    }
    for root in spans.iter().filter(|s| !ids.contains(&s.parent)) {
        if ordered.iter().any(|(_, o)| o.id == root.id) {
            continue;
        }
        ordered.push((0, root));
        visit(&root.id, 1, &spans, &mut ordered);
    }
    let mut rows = String::new();
    for (depth, s) in &ordered {
        let left = (s.start - start) as f64 / total * 100.0;
        let width = ((s.end.saturating_sub(s.start)) as f64 / total * 100.0).max(0.3);
        let attributes: String = s
            .attributes
            .iter()
            .map(|(k, v)| format!("{}={}", esc(k), esc(v)))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(
            rows,
            "<div class=\"span-row{error}\" title=\"{attributes}\"><div class=\"span-name\" data-depth=\"{depth}\">\
             <span class=\"kind\">{kind}</span> {name} <span class=\"service\">{service}</span></div>\
             <div class=\"span-track\"><svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\">\
             <rect x=\"{left:.3}\" y=\"1\" width=\"{width:.3}\" height=\"8\"/></svg></div>\
             <div class=\"span-time\">{duration}</div></div>",
            error = if s.error || s.status.is_some_and(|c| c >= 500) {
                " error"
            } else {
                ""
            },
            kind = kind_name(s.kind),
            name = esc(&s.name),
            service = esc(&s.service),
            duration = millis(s.end.saturating_sub(s.start)),
        );
    }
    let request = spans.iter().find_map(|s| s.request_id.clone());
    let logs_link = match &request {
        Some(r) => format!(
            "<p>Request <strong>{}</strong>: <a href=\"/logs?request={}\">its log lines</a></p>",
            esc(r),
            url_part(r)
        ),
        None => String::new(),
    };
    let body = format!(
        "<h1>Trace <code>{id}</code></h1>{logs_link}<p>{count} spans over {total}, across {services}.</p>\
         <div class=\"waterfall\">{rows}</div>",
        id = esc(&id),
        count = spans.len(),
        total = millis(end - start),
        services = esc(&{
            let mut s: Vec<&str> = spans.iter().map(|s| s.service.as_str()).collect();
            s.sort_unstable();
            s.dedup();
            s.join(", ")
        }),
    );
    page(&hub, "Trace", "/traces", &body).into_response()
}

fn kind_name(kind: i64) -> &'static str {
    match kind {
        SERVER => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "internal",
    }
}

const SERVER: i64 = 2;

async fn service_page(State(hub): State<Arc<Hub>>, Path(name): Path<String>) -> Response {
    let Some(process) = hub.processes().into_iter().find(|p| p.name == name) else {
        return refuse(StatusCode::NOT_FOUND, "no such service");
    };
    let url = format!("http://127.0.0.1:{}/openapi.json", process.port);
    let document: Option<serde_json::Value> = match hub.client.get(&url).send().await {
        Ok(answer) => answer.json().await.ok(),
        Err(_) => None,
    };
    let Some(document) = document else {
        let body = format!(
            "<h1>{} API</h1><p class=\"empty\">Its OpenAPI document could not be read: is it running?</p>",
            esc(&name)
        );
        return page(
            &hub,
            "API",
            &format!("/services/{}", url_part(&name)),
            &body,
        )
        .into_response();
    };
    let mut credentials = String::from("<option value=\"\">no credentials</option>");
    for c in &hub.credentials {
        let label = match &c.kind {
            CredentialKind::ApiKey { header, .. } => format!("{} (API key, {header})", c.scheme),
            CredentialKind::Jwt { .. } => {
                format!("{} (a development token, every scope)", c.scheme)
            }
        };
        let _ = write!(
            credentials,
            "<option value=\"{}\">{}</option>",
            esc(&c.scheme),
            esc(&label)
        );
    }
    let mut operations = String::new();
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            operations.push_str(&operation_form(&name, path, method, op, &credentials));
        }
    }
    let body = format!(
        "<h1>{name} API</h1><p>From <a href=\"{url}\">{url}</a>. Requests go through the dashboard \
         to the service; each answer names its request id, which finds its trace.</p>{operations}",
        name = esc(&name),
        url = esc(&url),
    );
    page(
        &hub,
        "API",
        &format!("/services/{}", url_part(&name)),
        &body,
    )
    .into_response()
}

fn operation_form(
    service: &str,
    path: &str,
    method: &str,
    op: &serde_json::Value,
    credentials: &str,
) -> String {
    let id = op["operationId"].as_str().unwrap_or("");
    let summary = op["summary"]
        .as_str()
        .or(op["description"].as_str())
        .unwrap_or("");
    let mut inputs = String::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let (Some(name), Some(place)) = (p["name"].as_str(), p["in"].as_str()) else {
            continue;
        };
        if !matches!(place, "path" | "query") {
            continue;
        }
        let _ = write!(
            inputs,
            "<label>{name} <small>({place}{required})</small><input data-in=\"{place}\" data-name=\"{name}\"></label>",
            name = esc(name),
            place = esc(place),
            required = if p["required"].as_bool() == Some(true) {
                ", required"
            } else {
                ""
            },
        );
    }
    let content = &op["requestBody"]["content"];
    let body = if content.get("application/json").is_some() {
        "<label>body (JSON)<textarea data-body=\"json\" rows=\"6\">{}</textarea></label>"
    } else if content.is_object() {
        "<label>body (text)<textarea data-body=\"raw\" rows=\"4\"></textarea></label>"
    } else {
        ""
    };
    format!(
        "<section class=\"operation\" data-service=\"{service}\" data-method=\"{upper}\" data-path=\"{path_attr}\">\
         <h2><span class=\"method {method}\">{upper}</span> <code>{path}</code> <small>{id}</small></h2>\
         <p>{summary}</p><form class=\"try\">{inputs}{body}\
         <label>credentials <select data-credential>{credentials}</select></label>\
         <button type=\"submit\">Send</button></form><div class=\"answer\" hidden></div></section>",
        service = esc(service),
        upper = esc(&method.to_ascii_uppercase()),
        method = esc(method),
        path_attr = esc(path),
        path = esc(path),
        id = esc(id),
        summary = esc(summary),
    )
}

// ---------------------------------------------------------------------------------------
// Actions

async fn restart(State(hub): State<Arc<Hub>>, Path(name): Path<String>) -> Response {
    if !hub.processes().iter().any(|p| p.name == name) {
        return refuse(StatusCode::NOT_FOUND, "no such service");
    }
    hub.update(&name, |p| p.restarting = true);
    let sent = lock(&hub.commands).send(Command::Restart(name));
    match sent {
        Ok(()) => (StatusCode::ACCEPTED, "restarting").into_response(),
        Err(_) => refuse(StatusCode::SERVICE_UNAVAILABLE, "svcgen up is stopping"),
    }
}

async fn mint_token(State(hub): State<Arc<Hub>>, Path(scheme): Path<String>) -> Response {
    let Some(c) = hub.credentials.iter().find(|c| c.scheme == scheme) else {
        return refuse(StatusCode::NOT_FOUND, "no such scheme");
    };
    let secret = match &c.kind {
        CredentialKind::ApiKey { header, file } => match std::fs::read_to_string(file) {
            Ok(key) => serde_json::json!({ "header": header, "value": key.trim() }),
            Err(_) => {
                return refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the key file is unreadable",
                );
            }
        },
        CredentialKind::Jwt { scopes } => {
            let request = crate::auth::TokenRequest {
                scheme: Some(&c.scheme),
                subject: "svcgen-dashboard",
                scopes,
                claims: &[],
                key: None,
                lifetime: Duration::from_secs(3600),
            };
            match crate::auth::token(&hub.spec, &hub.workspace, &request) {
                Ok(token) => serde_json::json!({
                    "header": "authorization",
                    "value": format!("Bearer {}", token.trim()),
                }),
                Err(e) => {
                    return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response();
                }
            }
        }
    };
    let mut response = axum::Json(secret).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What the API form asks to send.
#[derive(serde::Deserialize)]
struct CallRequest {
    method: String,
    /// The path and query, starting with `/`.
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

/// The headers the API form may set on a call.
const CALL_HEADERS: &[&str] = &[
    "content-type",
    "authorization",
    "x-request-id",
    "idempotency-key",
];

/// Calls the service `name` as the API form asks (a method, a path with its query, some
/// headers, a body) and gives its answer: status, media type, request id and body.
async fn call(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
    axum::Json(asked): axum::Json<CallRequest>,
) -> Response {
    let Some(process) = hub.processes().into_iter().find(|p| p.name == name) else {
        return refuse(StatusCode::NOT_FOUND, "no such service");
    };
    // Only a path of this service: never another host (`//host`, `@host`).
    if !asked.path.starts_with('/') || asked.path.starts_with("//") {
        return refuse(StatusCode::BAD_REQUEST, "the path must start with one `/`");
    }
    let Ok(method) = Method::from_bytes(asked.method.as_bytes()) else {
        return refuse(StatusCode::BAD_REQUEST, "not a method");
    };
    let url = format!("http://127.0.0.1:{}{}", process.port, asked.path);
    let mut outgoing = hub.client.request(method, &url);
    for (header, value) in &asked.headers {
        let header = header.to_ascii_lowercase();
        let api_key = hub.credentials.iter().any(|c| {
            matches!(&c.kind, CredentialKind::ApiKey { header: h, .. } if h.eq_ignore_ascii_case(&header))
        });
        if CALL_HEADERS.contains(&header.as_str()) || api_key {
            outgoing = outgoing.header(header, value);
        }
    }
    if let Some(body) = asked.body {
        outgoing = outgoing.body(body);
    }
    match outgoing.send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let text = |h: &str| {
                answer
                    .headers()
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let (content_type, request_id) = (text("content-type"), text("x-request-id"));
            let body = answer.bytes().await.unwrap_or_default();
            axum::Json(serde_json::json!({
                "status": status,
                "content_type": content_type,
                "request_id": request_id,
                "body": String::from_utf8_lossy(&body),
            }))
            .into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("calling {name}: {e}")).into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// OTLP

/// How an OTLP/HTTP request is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

fn otlp_encoding(headers: &axum::http::HeaderMap) -> Option<Encoding> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if content_type.starts_with("application/x-protobuf") {
        Some(Encoding::Protobuf)
    } else if content_type.starts_with("application/json") {
        Some(Encoding::Json)
    } else {
        None
    }
}

/// The answer to an export: an empty `Export…ServiceResponse`, in the request's encoding.
fn exported(encoding: Encoding) -> Response {
    match encoding {
        Encoding::Protobuf => {
            ([(header::CONTENT_TYPE, "application/x-protobuf")], "").into_response()
        }
        Encoding::Json => axum::Json(serde_json::json!({})).into_response(),
    }
}

async fn receive_traces(
    State(hub): State<Arc<Hub>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let Some(encoding) = otlp_encoding(&headers) else {
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not OTLP");
    };
    let spans = match encoding {
        Encoding::Protobuf => {
            use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
            <ExportTraceServiceRequest as prost::Message>::decode(body)
                .ok()
                .map(|request| spans_of_proto(&request))
        }
        Encoding::Json => serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .map(|json| spans_of(&json)),
    };
    match spans {
        Some(spans) => {
            hub.keep_spans(spans);
            exported(encoding)
        }
        None => refuse(StatusCode::BAD_REQUEST, "not an OTLP export of spans"),
    }
}

async fn receive_metrics(headers: axum::http::HeaderMap, body: Bytes) -> Response {
    // Per-endpoint figures are drawn from the spans; metrics are taken and not kept.
    let Some(encoding) = otlp_encoding(&headers) else {
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not OTLP");
    };
    let valid = match encoding {
        Encoding::Protobuf => {
            use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
            <ExportMetricsServiceRequest as prost::Message>::decode(body).is_ok()
        }
        Encoding::Json => serde_json::from_slice::<serde_json::Value>(&body).is_ok(),
    };
    if valid {
        exported(encoding)
    } else {
        refuse(StatusCode::BAD_REQUEST, "not an OTLP export of metrics")
    }
}

/// The spans of an OTLP/protobuf export request.
fn spans_of_proto(
    request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
) -> Vec<SpanRecord> {
    use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
    let text = |list: &[KeyValue]| -> Vec<(String, String)> {
        list.iter()
            .filter_map(|kv| {
                let value = match kv.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(s) => s.clone(),
                    Value::IntValue(i) => i.to_string(),
                    Value::BoolValue(b) => b.to_string(),
                    Value::DoubleValue(d) => d.to_string(),
                    _ => return None,
                };
                Some((kv.key.clone(), value))
            })
            .collect()
    };
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut out = Vec::new();
    for resource in &request.resource_spans {
        let service = resource
            .resource
            .as_ref()
            .map(|r| text(&r.attributes))
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "service.name")
            .map(|(_, v)| v)
            .unwrap_or_default();
        for scope in &resource.scope_spans {
            for s in &scope.spans {
                let attributes = text(&s.attributes);
                let get = |k: &str| {
                    attributes
                        .iter()
                        .find(|(a, _)| a == k)
                        .map(|(_, v)| v.clone())
                };
                out.push(SpanRecord {
                    service: service.clone(),
                    trace: hex(&s.trace_id),
                    id: hex(&s.span_id),
                    parent: hex(&s.parent_span_id),
                    name: s.name.clone(),
                    kind: i64::from(s.kind),
                    start: s.start_time_unix_nano,
                    end: s.end_time_unix_nano,
                    status: get("http.response.status_code").and_then(|v| v.parse().ok()),
                    error: s.status.as_ref().is_some_and(|st| st.code == 2),
                    request_id: get("request_id"),
                    attributes,
                });
            }
        }
    }
    out
}

/// The spans of an OTLP/JSON export request.
fn spans_of(json: &serde_json::Value) -> Vec<SpanRecord> {
    let mut out = Vec::new();
    for resource in json["resourceSpans"].as_array().into_iter().flatten() {
        let service = attributes(&resource["resource"]["attributes"])
            .into_iter()
            .find(|(k, _)| k == "service.name")
            .map(|(_, v)| v)
            .unwrap_or_default();
        for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
            for s in scope["spans"].as_array().into_iter().flatten() {
                let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
                let nanos = |k: &str| {
                    s[k].as_str()
                        .and_then(|v| v.parse().ok())
                        .or(s[k].as_u64())
                        .unwrap_or(0)
                };
                let attrs = attributes(&s["attributes"]);
                let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
                out.push(SpanRecord {
                    service: service.clone(),
                    trace: text("traceId"),
                    id: text("spanId"),
                    parent: text("parentSpanId"),
                    name: text("name"),
                    kind: s["kind"].as_i64().unwrap_or(0),
                    start: nanos("startTimeUnixNano"),
                    end: nanos("endTimeUnixNano"),
                    status: get("http.response.status_code").and_then(|v| v.parse().ok()),
                    error: s["status"]["code"].as_i64() == Some(2),
                    request_id: get("request_id"),
                    attributes: attrs,
                });
            }
        }
    }
    out
}

/// OTLP attributes as text pairs.
fn attributes(list: &serde_json::Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let key = a["key"].as_str()?.to_owned();
            let v = &a["value"];
            let value = if let Some(s) = v["stringValue"].as_str() {
                s.to_owned()
            } else if let Some(i) = v["intValue"].as_str() {
                i.to_owned()
            } else if let Some(i) = v["intValue"].as_i64() {
                i.to_string()
            } else if let Some(b) = v["boolValue"].as_bool() {
                b.to_string()
            } else if let Some(d) = v["doubleValue"].as_f64() {
                d.to_string()
            } else {
                return None;
            };
            Some((key, value))
        })
        .collect()
}

/// Binds the dashboard's port on loopback: [`DEFAULT_PORT`] when free, else any.
pub fn bind() -> Result<std::net::TcpListener, String> {
    std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))
        .or_else(|_| std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))))
        .map_err(|e| format!("cannot open the dashboard's port: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_read_into_their_parts() {
        let line = "2026-12-07T02:00:00.123456Z  INFO request{request_id=abc-1 method=GET path=/x}: answered status=200";
        let (time, level, text) = split_log_line(line);
        assert_eq!((time, level), ("2026-12-07T02:00:00.123456Z", "INFO"));
        assert!(text.starts_with("request{"));
        assert_eq!(field(line, "request_id"), Some("abc-1"));
        assert_eq!(split_log_line("plain words"), ("", "", "plain words"));
        assert_eq!(field("nothing here", "request_id"), None);
    }

    #[test]
    fn logs_and_spans_are_kept_in_bounded_memory() {
        let spec = svcgen_codegen::load_str(
            "tiny.toml",
            "[system]\nname = \"tiny\"\n[services.users]\nport = 8001\n",
        )
        .expect("a valid spec");
        let (tx, _rx) = std::sync::mpsc::channel();
        let hub = Hub::new(&spec, PathBuf::from("."), 1, Vec::new(), Vec::new(), tx).unwrap();
        for i in 0..LOG_LINES + 10 {
            hub.log("users", &format!("line {i}"));
        }
        let logs = lock(&hub.logs);
        assert_eq!(logs.len(), LOG_LINES);
        assert_eq!(
            logs.front().unwrap().text,
            "line 10",
            "the oldest went first"
        );
        drop(logs);
        let span = |i: usize| SpanRecord {
            service: "users".into(),
            trace: format!("{i:032x}"),
            id: format!("{i:016x}"),
            parent: String::new(),
            name: "GET /users/{id}".into(),
            kind: SERVER,
            start: 0,
            end: 1,
            status: Some(200),
            error: false,
            request_id: None,
            attributes: Vec::new(),
        };
        hub.keep_spans((0..SPANS + 5).map(span).collect());
        let spans = lock(&hub.spans);
        assert_eq!(spans.len(), SPANS);
        assert_eq!(spans.front().unwrap().id, format!("{:016x}", 5));
    }

    #[test]
    fn text_is_escaped_for_html_and_urls() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(url_part("a b/c?d"), "a%20b%2Fc%3Fd");
    }

    #[test]
    fn otlp_protobuf_spans_are_read() {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
        use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
        use opentelemetry_proto::tonic::resource::v1::Resource;
        use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
        let kv = |key: &str, value: Value| KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        };
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", Value::StringValue("inventory".into()))],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        trace_id: vec![0xab; 16],
                        span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
                        name: "POST /reservations".into(),
                        kind: 2,
                        start_time_unix_nano: 10,
                        end_time_unix_nano: 30,
                        attributes: vec![kv("http.response.status_code", Value::IntValue(503))],
                        status: Some(Status {
                            code: 2,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let bytes = prost::Message::encode_to_vec(&request);
        let decoded = <ExportTraceServiceRequest as prost::Message>::decode(&bytes[..]).unwrap();
        let spans = spans_of_proto(&decoded);
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!(s.service, "inventory");
        assert_eq!(s.trace, "ab".repeat(16));
        assert_eq!(s.id, "0102030405060708");
        assert_eq!(s.parent, "");
        assert_eq!(
            (s.kind, s.start, s.end, s.status, s.error),
            (2, 10, 30, Some(503), true)
        );
    }

    #[test]
    fn otlp_json_spans_are_read() {
        let json = serde_json::json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "orders"}}]},
            "scopeSpans": [{"spans": [{
                "traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7",
                "parentSpanId": "", "name": "POST /orders", "kind": 2,
                "startTimeUnixNano": "1000", "endTimeUnixNano": "5000",
                "attributes": [
                    {"key": "http.response.status_code", "value": {"intValue": "201"}},
                    {"key": "request_id", "value": {"stringValue": "r-1"}}
                ],
                "status": {}
            }]}]
        }]});
        let spans = spans_of(&json);
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!(
            (s.service.as_str(), s.name.as_str(), s.kind),
            ("orders", "POST /orders", 2)
        );
        assert_eq!((s.start, s.end, s.status), (1000, 5000, Some(201)));
        assert_eq!(s.request_id.as_deref(), Some("r-1"));
        assert!(!s.error);
    }
}
