//! OpenTelemetry from the shop, end to end: its four service processes export over OTLP/HTTP
//! (JSON) to a collector this test serves on loopback, as they would to any collector named by
//! `OTEL_EXPORTER_OTLP_ENDPOINT`. One order placed in a trace of the test's own comes back as
//! one trace across orders, users, inventory and notification: the server span of each
//! request, the client span of each call under it, the transactions, the event published and
//! its handling; and the request metrics arrive beside it.

use runtime::client::Policy;
use runtime::context::{RequestId, with_request};
use runtime::trace::{SpanId, TraceContext, TraceId};
use serde_json::Value;
use shop_inventory::client::Client as Inventory;
use shop_orders::client::Client as Orders;
use shop_orders::runtime;
use shop_orders::types::{self, NewItem, NewOrder, NewUser, OrderLine};
use shop_users::client::Client as Users;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use svcgen_runtime::axum::{self, Router, body::Bytes, extract::State, routing::post};
use svcgen_tests::e2e::{SHOP, ShopAuth, System};

/// What the collector received: each request's path and JSON body.
#[derive(Default)]
struct Received(Mutex<Vec<(String, Value)>>);

/// A collector taking OTLP/HTTP JSON on `/v1/traces` and `/v1/metrics`; its base URL.
async fn collector() -> (String, Arc<Received>) {
    let received = Arc::new(Received::default());
    let take = |path: &'static str| {
        post(
            move |State(r): State<Arc<Received>>, body: Bytes| async move {
                let json: Value = serde_json::from_slice(&body).expect("OTLP JSON");
                r.0.lock().unwrap().push((path.to_owned(), json));
                "{}"
            },
        )
    };
    let app = Router::new()
        .route("/v1/traces", take("/v1/traces"))
        .route("/v1/metrics", take("/v1/metrics"))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// One exported span, with the service that exported it.
#[derive(Debug, Clone)]
struct Span {
    service: String,
    trace: String,
    id: String,
    parent: String,
    name: String,
    kind: i64,
    attributes: Value,
}

impl Span {
    /// The attribute `key` as text (an integer written out, whether OTLP JSON gave it as a
    /// number or, as proto3 JSON writes 64-bit integers, as a string).
    fn attribute(&self, key: &str) -> Option<String> {
        let found = self
            .attributes
            .as_array()?
            .iter()
            .find(|a| a["key"] == key)?;
        let value = &found["value"];
        match (&value["stringValue"], &value["intValue"]) {
            (Value::String(s), _) | (_, Value::String(s)) => Some(s.clone()),
            (_, Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// The resource attribute `key` of a resource's export.
fn resource_attribute(resource: &Value, key: &str) -> Option<String> {
    resource["resource"]["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"]["stringValue"].as_str().map(str::to_owned))
}

fn spans(received: &Received) -> Vec<Span> {
    let mut out = Vec::new();
    for (path, body) in received.0.lock().unwrap().iter() {
        if path != "/v1/traces" {
            continue;
        }
        for resource in body["resourceSpans"].as_array().into_iter().flatten() {
            let service = resource_attribute(resource, "service.name").unwrap_or_default();
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for s in scope["spans"].as_array().into_iter().flatten() {
                    let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
                    out.push(Span {
                        service: service.clone(),
                        trace: text("traceId"),
                        id: text("spanId"),
                        parent: text("parentSpanId"),
                        name: text("name"),
                        kind: s["kind"].as_i64().unwrap_or(0),
                        attributes: s["attributes"].clone(),
                    });
                }
            }
        }
    }
    out
}

/// The names of the metrics each service exported.
fn metric_names(received: &Received) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, body) in received.0.lock().unwrap().iter() {
        if path != "/v1/metrics" {
            continue;
        }
        for resource in body["resourceMetrics"].as_array().into_iter().flatten() {
            let service = resource_attribute(resource, "service.name").unwrap_or_default();
            for scope in resource["scopeMetrics"].as_array().into_iter().flatten() {
                for m in scope["metrics"].as_array().into_iter().flatten() {
                    let name = m["name"].as_str().unwrap_or_default().to_owned();
                    out.push((service.clone(), name));
                }
            }
        }
    }
    out
}

const SERVER: i64 = 2;
const CLIENT: i64 = 3;
const PRODUCER: i64 = 4;
const CONSUMER: i64 = 5;

/// The test's own trace and span, which the order is placed under.
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread")]
async fn one_order_is_one_trace_across_the_services_and_its_event() {
    let (endpoint, received) = collector().await;
    let auth = ShopAuth::new();
    let mut env = auth.env();
    env.extend([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        // Sent within a fraction of a second, so the test need not wait long.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
    ]);
    let system = System::start_with(SHOP, &env, None);
    let policy = Policy {
        timeout: Duration::from_secs(10),
        ..Policy::default()
    };
    let staff = auth.staff_key();
    let users = Users::new(&system.url("users"), policy)
        .and_then(|c| c.with_api_key(staff))
        .unwrap();
    let inventory = Inventory::new(&system.url("inventory"), policy)
        .and_then(|c| c.with_api_key(staff))
        .unwrap();
    let orders = Orders::new(&system.url("orders"), policy)
        .and_then(|c| c.with_api_key(staff))
        .unwrap();
    let user = users
        .create_user(&NewUser {
            name: "Ada".into(),
            email: types::Email("ada@example.org".into()),
            nickname: None,
        })
        .await
        .expect("user created");
    inventory
        .create_item(&NewItem {
            sku: "TEA-0001".into(),
            name: "Tea".into(),
            price_cents: 450,
            stock: 5,
            tags: vec![],
        })
        .await
        .expect("item created");

    // The order, placed as a span of the test's trace with a request id of its own.
    let (trace_id, caller) = (
        u128::from_str_radix(TRACE, 16).unwrap(),
        u64::from_str_radix(CALLER, 16).unwrap(),
    );
    let id = RequestId::from_header(&"order-under-test".parse().unwrap()).unwrap();
    let order = NewOrder {
        user_id: user.id,
        lines: vec![OrderLine {
            sku: "TEA-0001".into(),
            quantity: 2,
        }],
    };
    let test_span = TraceContext::root(
        TraceId::new(trace_id).unwrap(),
        SpanId::new(caller).unwrap(),
    );
    let placed = with_request(id, test_span, orders.place_order(&order))
        .await
        .expect("order placed");

    // Until the handling of the event it published has been exported too.
    let deadline = Instant::now() + Duration::from_secs(20);
    let trace = loop {
        let trace: Vec<Span> = spans(&received)
            .into_iter()
            .filter(|s| s.trace == TRACE)
            .collect();
        if trace.iter().any(|s| s.kind == CONSUMER) || Instant::now() > deadline {
            break trace;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let summary: Vec<_> = trace
        .iter()
        .map(|s| (&s.service, &s.name, s.kind))
        .collect();

    // The server span of orders, under the test's span, carrying the request id.
    let served = trace
        .iter()
        .find(|s| s.service == "orders" && s.kind == SERVER)
        .unwrap_or_else(|| panic!("no server span of orders: {summary:?}"));
    assert_eq!(served.parent, CALLER, "{served:?}");
    assert_eq!(served.name, "POST /orders");
    assert_eq!(served.attribute("http.route"), Some("/orders".into()));
    assert_eq!(
        served.attribute("request_id"),
        Some("order-under-test".into())
    );
    assert_eq!(
        served.attribute("http.response.status_code"),
        Some("201".into())
    );

    // Each dependency call is a client span under it, and each dependency's server span is
    // under that call.
    for dependency in ["users", "inventory"] {
        let call = trace
            .iter()
            .find(|s| {
                s.service == "orders"
                    && s.kind == CLIENT
                    && s.attribute("peer.service") == Some(dependency.into())
            })
            .unwrap_or_else(|| panic!("no call of {dependency}: {summary:?}"));
        assert_eq!(call.parent, served.id, "{call:?}");
        let answered = trace
            .iter()
            .find(|s| s.service == dependency && s.kind == SERVER && s.parent == call.id)
            .unwrap_or_else(|| {
                panic!("no server span of {dependency} under the call: {summary:?}")
            });
        assert!(answered.attribute("http.route").is_some(), "{answered:?}");
    }

    // The order's transaction, and the event: published in orders, handled in notification.
    assert!(
        trace
            .iter()
            .any(|s| s.service == "orders" && s.attribute("db.system.name").is_some()),
        "no transaction span: {summary:?}"
    );
    let published = trace
        .iter()
        .find(|s| s.service == "orders" && s.kind == PRODUCER)
        .unwrap_or_else(|| panic!("no producer span: {summary:?}"));
    let handled = trace
        .iter()
        .find(|s| s.service == "notification" && s.kind == CONSUMER)
        .unwrap_or_else(|| panic!("no consumer span: {summary:?}"));
    assert_eq!(handled.parent, published.id, "{handled:?}");
    assert_eq!(
        handled.attribute("request_id"),
        Some("order-under-test".into())
    );
    assert_eq!(
        handled.attribute("messaging.destination.name"),
        published.attribute("messaging.destination.name")
    );
    assert!(placed.total_cents > 0);

    // And the request metrics of every service.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names = metric_names(&received);
        let has =
            |service: &str, metric: &str| names.iter().any(|(s, m)| s == service && m == metric);
        if has("orders", "http.server.request.duration")
            && has("orders", "http.client.request.duration")
            && has("inventory", "http.server.request.duration")
        {
            break;
        }
        assert!(Instant::now() < deadline, "metrics missing: {names:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
