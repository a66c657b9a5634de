//! A service whose dependency fails, end to end: the `orders` process calls a `users` server
//! the test controls (a real TCP server on loopback) that is dead, slow, answers garbage,
//! resets, or answers 500 with secrets in its body. Each fault is answered fast with the right
//! status, other endpoints are unaffected, the circuit breaker stops calling a failing
//! dependency, and what the dependency said reaches the logs only as a redacted excerpt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use svcgen_tests::e2e::{ShopAuth, System, free_port, raw_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SLOW: u8 = 0;
const GARBAGE: u8 = 1;
const RESET: u8 = 2;
const ERROR_TEXT: u8 = 3;
const ERROR_PROBLEM: u8 = 4;

/// A `users` stand-in: counts the requests it reads and misbehaves as `mode` says.
struct FakeUsers {
    url: String,
    mode: Arc<AtomicU8>,
    requests: Arc<AtomicUsize>,
}

async fn fake_users(mode: u8) -> FakeUsers {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (mode, requests) = (Arc::new(AtomicU8::new(mode)), Arc::new(AtomicUsize::new(0)));
    let (m, r) = (mode.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (m, r) = (m.clone(), r.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                r.fetch_add(1, Ordering::SeqCst);
                let answer = |status: &str, content_type: &str, body: &str| {
                    format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                match m.load(Ordering::SeqCst) {
                    SLOW => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    GARBAGE => {
                        let _ = socket.write_all(b"this is not HTTP\r\n\r\n").await;
                    }
                    RESET => {}
                    ERROR_TEXT => {
                        let body = format!(
                            "database login failed: user=app password=hunter2 {}",
                            "detail ".repeat(1000)
                        );
                        let _ = socket
                            .write_all(
                                answer("500 Internal Server Error", "text/plain", &body).as_bytes(),
                            )
                            .await;
                    }
                    _ => {
                        let body = r#"{"type":"about:blank","title":"Internal","status":500,"detail":"upstream said {\"api_key\": \"sk-live-abc123\"}"}"#;
                        let _ = socket
                            .write_all(
                                answer(
                                    "500 Internal Server Error",
                                    "application/problem+json",
                                    body,
                                )
                                .as_bytes(),
                            )
                            .await;
                    }
                }
            });
        }
    });
    FakeUsers {
        url,
        mode,
        requests,
    }
}

fn order_body() -> String {
    serde_json::json!({
        "user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11",
        "lines": [{"sku": "TEA-0001", "quantity": 1}]
    })
    .to_string()
}

/// `POST /orders` on `base` with staff's key: the status, the problem and how long it took.
async fn place_order(base: &str, staff: &str) -> (u16, serde_json::Value, Duration) {
    let started = Instant::now();
    let (status, _, problem) = raw_with(
        "POST",
        &format!("{base}/orders"),
        &[("x-api-key", staff)],
        Some("application/json"),
        &order_body(),
    )
    .await;
    (status, problem, started.elapsed())
}

fn dead_url() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

fn log_of(system: &System, name: &str) -> String {
    let s = &system.services[name];
    std::fs::read_to_string(
        svcgen_tests::e2e::target_dir().join(format!("e2e-logs/{}-{}.log", s.binary, s.port)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_dependency_fault_is_answered_fast_and_logged_without_secrets() {
    let users = fake_users(SLOW).await;
    let (inventory, notification) = (dead_url(), dead_url());
    let auth = ShopAuth::new();
    let mut env = auth.env();
    env.extend([
        ("USERS_URL", users.url.as_str()),
        ("INVENTORY_URL", &inventory),
        ("NOTIFICATION_URL", &notification),
        // This test is about each fault's answer: no breaker in the way.
        ("CIRCUIT_BREAKER_FAILURES", "0"),
    ]);
    let system = System::start_with(&[("orders", "shop-orders", "ORDERS_URL")], &env, None);
    let base = system.url("orders");

    // Slow: 504 at the spec's 2 s budget for users, while other endpoints answer at once.
    let slow = tokio::spawn({
        let (base, staff) = (base.clone(), auth.staff_key().to_owned());
        async move { place_order(&base, &staff).await }
    });
    while users.requests.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let (status, _, _) = raw_with(
        "GET",
        &format!("{base}/orders/7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11"),
        &[("x-api-key", auth.staff_key())],
        None,
        "",
    )
    .await;
    let other = started.elapsed();
    assert_eq!(status, 404);
    let (status, problem, took) = slow.await.unwrap();
    println!("slow dependency: {status} in {took:?}; another endpoint meanwhile: {other:?}");
    assert_eq!(status, 504, "{problem}");
    assert_eq!(problem["type"], "urn:svcgen:problem:dependency-timed-out");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert!(other < Duration::from_secs(1), "{other:?}");

    for (mode, name) in [
        (GARBAGE, "garbage"),
        (RESET, "reset"),
        (ERROR_TEXT, "500 with a text body"),
        (ERROR_PROBLEM, "500 with a problem body"),
    ] {
        users.mode.store(mode, Ordering::SeqCst);
        let (status, problem, took) = place_order(&base, auth.staff_key()).await;
        println!("{name}: {status} in {took:?}");
        assert_eq!(status, 502, "{name}: {problem}");
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
        let text = problem.to_string();
        assert!(
            !text.contains("hunter2")
                && !text.contains("sk-live")
                && !text.contains("127.0.0.1")
                && !text.contains("users"),
            "{name}: the caller sees nothing of the dependency, not even its name: {text}"
        );
        // A stable type to tell it by, and the request id to find it in the logs.
        assert_eq!(
            problem["type"], "urn:svcgen:problem:dependency-failed",
            "{name}: {text}"
        );
        assert!(problem["request_id"].is_string(), "{name}: {text}");
    }

    // The dependency's words reached the log only redacted and bounded.
    let log = log_of(&system, "orders");
    assert!(log.contains("dependency call failed"), "{log}");
    for secret in ["hunter2", "sk-live-abc123"] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
    let longest = log.lines().map(str::len).max().unwrap_or(0);
    println!("longest log line: {longest} bytes");
    assert!(longest < 1200, "a log line of {longest} bytes");

    // Dead: nothing listens at the address. 503, fast.
    drop(system);
    let dead = dead_url();
    let mut env = auth.env();
    env.extend([
        ("USERS_URL", dead.as_str()),
        ("INVENTORY_URL", &inventory),
        ("NOTIFICATION_URL", &notification),
    ]);
    let system = System::start_with(&[("orders", "shop-orders", "ORDERS_URL")], &env, None);
    let (status, problem, took) = place_order(&system.url("orders"), auth.staff_key()).await;
    println!("dead dependency: {status} in {took:?}");
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["type"], "urn:svcgen:problem:dependency-unavailable");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_circuit_stops_calling_a_failing_dependency_until_a_probe_succeeds() {
    let users = fake_users(ERROR_PROBLEM).await;
    let auth = ShopAuth::new();
    let (inventory, notification) = (dead_url(), dead_url());
    let mut env = auth.env();
    env.extend([
        ("USERS_URL", users.url.as_str()),
        ("INVENTORY_URL", &inventory),
        ("NOTIFICATION_URL", &notification),
        ("CIRCUIT_BREAKER_FAILURES", "3"),
        ("CIRCUIT_BREAKER_COOL_DOWN_MS", "1000"),
    ]);
    let system = System::start_with(&[("orders", "shop-orders", "ORDERS_URL")], &env, None);
    let base = system.url("orders");
    let mut statuses = Vec::new();
    let mut last = Duration::ZERO;
    for _ in 0..10 {
        let (status, _, took) = place_order(&base, auth.staff_key()).await;
        statuses.push(status);
        last = took;
    }
    let opened_at = Instant::now();
    println!(
        "10 calls: {statuses:?}; the dependency saw {} requests; the last answer took {last:?}",
        users.requests.load(Ordering::SeqCst)
    );
    assert_eq!(
        users.requests.load(Ordering::SeqCst),
        3,
        "three failures open it"
    );
    assert_eq!(statuses[..3], [502, 502, 502]);
    assert!(statuses[3..].iter().all(|s| *s == 503), "{statuses:?}");

    // After the cool-down, one probe goes through; it fails, so the circuit opens again.
    while opened_at.elapsed() < Duration::from_millis(1100) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (probe, _, _) = place_order(&base, auth.staff_key()).await;
    let (after, _, _) = place_order(&base, auth.staff_key()).await;
    assert_eq!((probe, after), (502, 503));
    assert_eq!(users.requests.load(Ordering::SeqCst), 4, "one probe");

    let log = log_of(&system, "orders");
    assert!(log.contains("circuit open"), "{log}");
    assert!(log.contains("circuit half-open"), "{log}");
}
