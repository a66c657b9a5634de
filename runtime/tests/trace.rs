//! W3C trace context through real servers on loopback: a request's `traceparent` is joined at
//! the door, and every call made while serving it (through the typed client's `Http`, and
//! through the gateway's forwarding) names the serving span as its parent, so the services a
//! request crosses are one trace.

use axum::Router;
use axum::routing::{any, get};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use svcgen_runtime::client::{Call, Http, Policy};
use svcgen_runtime::context::Context;
use svcgen_runtime::server::{App, Settings, Upstream, forward};

/// Serves `router` behind the whole per-request stack; its base URL.
async fn serve(router: Router) -> String {
    let settings = Settings {
        service: "trace-test",
        default_port: 0,
        request_timeout: Duration::from_secs(5),
    };
    let app = App::new(router, &settings, Arc::new(AtomicBool::new(true)), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, Router::new().fallback_service(app)).await });
    format!("http://{addr}")
}

/// The trace context the handler saw, as JSON.
fn seen() -> Value {
    let cx = Context::current();
    let t = cx.trace().expect("every request has a trace context");
    json!({
        "trace": t.trace_id().to_string(),
        "span": t.span_id().to_string(),
        "parent": t.parent_id().map(|p| p.to_string()),
        "state": t.state().map(|s| s.to_str().unwrap().to_owned()),
        "request": cx.request_id(),
    })
}

/// A dependency answering the trace context it was called in, and a service calling it from
/// its handler and forwarding to it as a gateway does.
async fn system() -> String {
    let downstream =
        serve(Router::new().route("/seen", get(|| async { axum::Json(seen()) }))).await;
    let http = Arc::new(Http::new("downstream", &downstream, Policy::default()).unwrap());
    let upstream = Arc::new(
        Upstream::from_env(
            "downstream",
            "SVCGEN_TEST_UNSET_URL",
            &downstream,
            Duration::from_secs(5),
        )
        .unwrap(),
    );
    serve(
        Router::new()
            .route(
                "/call",
                get(move || {
                    let http = http.clone();
                    async move {
                        let call = Call::new(reqwest::Method::GET, "/seen".into(), 200);
                        let body = http.send(call, |_| None::<()>).await.expect("answered");
                        let called: Value = serde_json::from_slice(&body).unwrap();
                        axum::Json(json!({"own": seen(), "called": called}))
                    }
                }),
            )
            .route(
                "/gateway/{*rest}",
                any(move |request| {
                    let upstream = upstream.clone();
                    async move { forward(&upstream, "/gateway", request, 1 << 20).await }
                }),
            ),
    )
    .await
}

async fn get_json(url: &str, headers: &[(&str, &str)]) -> Value {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[tokio::test]
async fn a_call_made_while_serving_is_a_child_of_the_serving_span() {
    let base = system().await;
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    let answer = get_json(
        &format!("{base}/call"),
        &[
            ("traceparent", &traceparent),
            ("tracestate", "congo=t61rcWkgMzE"),
            ("x-request-id", "req-1"),
        ],
    )
    .await;
    let (own, called) = (&answer["own"], &answer["called"]);
    assert_eq!(own["trace"], TRACE, "the caller's trace is joined");
    assert_eq!(own["parent"], PARENT, "under the caller's span");
    assert_ne!(own["span"], PARENT, "as a span of its own");
    assert_eq!(
        called["trace"], TRACE,
        "the dependency is in the same trace"
    );
    assert_eq!(called["parent"], own["span"], "under the serving span");
    assert_ne!(called["span"], own["span"]);
    assert_eq!(called["state"], "congo=t61rcWkgMzE", "tracestate passed on");
    assert_eq!(called["request"], "req-1", "the request id too");
}

#[tokio::test]
async fn a_request_without_a_valid_traceparent_starts_a_trace() {
    let base = system().await;
    for headers in [
        &[][..],
        &[(
            "traceparent",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        )][..],
        &[("traceparent", "not a traceparent")][..],
    ] {
        let answer = get_json(&format!("{base}/call"), headers).await;
        let (own, called) = (&answer["own"], &answer["called"]);
        assert_eq!(own["parent"], Value::Null, "{headers:?}: a root span");
        assert_eq!(own["trace"].as_str().unwrap().len(), 32);
        assert_ne!(own["trace"], "0".repeat(32));
        assert_eq!(called["trace"], own["trace"], "{headers:?}");
        assert_eq!(called["parent"], own["span"], "{headers:?}");
    }
    // Two requests, two traces.
    let first = get_json(&format!("{base}/call"), &[]).await;
    let second = get_json(&format!("{base}/call"), &[]).await;
    assert_ne!(first["own"]["trace"], second["own"]["trace"]);
}

#[tokio::test]
async fn the_gateway_forwards_as_a_span_of_its_own() {
    let base = system().await;
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    let seen = get_json(
        &format!("{base}/gateway/seen"),
        &[("traceparent", &traceparent)],
    )
    .await;
    assert_eq!(seen["trace"], TRACE, "the caller's trace");
    // Not the caller's span: the gateway's own request span is the parent.
    assert_ne!(seen["parent"], PARENT);
    assert_eq!(seen["parent"].as_str().unwrap().len(), 16);
}
