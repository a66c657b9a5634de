//! Runtime behaviour every generated service shares, on the hostile fixture's scaffolded
//! service: 501 until implemented, panics answered with a 500 that leaks nothing, the request
//! timeout, health endpoints and graceful shutdown.

use std::time::{Duration, Instant};
use svcgen_tests::e2e::{System, raw};

#[tokio::test(flavor = "multi_thread")]
async fn scaffolds_panics_timeouts_and_shutdown() {
    let mut system = System::start(&[("crate", "hostile-crate", "CRATE_URL")]);
    let base = system.url("crate");

    // The untouched scaffold answers 501, after validating its input like any endpoint.
    let (status, headers, problem) = raw("GET", &format!("{base}/r/%5C%22%2F%0A"), None, "").await;
    assert_eq!(status, 501, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem["title"], "Not implemented");
    let (status, _, problem) = raw("GET", &format!("{base}/r/plain"), None, "").await;
    assert_eq!(
        status, 400,
        "the pattern of the `Self` newtype applies to the path: {problem}"
    );
    assert_eq!(problem["errors"][0]["pointer"], "/type");

    // A panicking handler: 500 with nothing of the panic in it, and the process keeps serving.
    let (status, headers, problem) = raw("GET", &format!("{base}/probe/panic"), None, "").await;
    assert_eq!(status, 500, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(!problem.to_string().contains("secret"), "leaks: {problem}");
    let (status, _, _) = raw("GET", &format!("{base}/healthz"), None, "").await;
    assert_eq!(status, 200);

    // The spec gives this service a 1 s request timeout; the handler sleeps 3 s.
    let started = Instant::now();
    let (status, _, problem) = raw("GET", &format!("{base}/probe/slow"), None, "").await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["title"], "Request timed out");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );

    // SIGTERM: the process exits cleanly (after finishing in-flight requests).
    let (status, _, ready) = raw("GET", &format!("{base}/readyz"), None, "").await;
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));
    let service = system.service("crate");
    service.stop();
    assert!(!service.is_running());
}

#[tokio::test(flavor = "multi_thread")]
async fn in_flight_requests_finish_during_shutdown() {
    let mut system = System::start(&[("crate", "hostile-crate", "CRATE_URL")]);
    let base = system.url("crate");
    // `probe/work` takes 500 ms; SIGTERM arrives while every request is being served.
    let requests: Vec<_> = (0..4)
        .map(|_| {
            let url = format!("{base}/probe/work");
            tokio::spawn(async move { reqwest::get(&url).await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = std::thread::spawn(move || {
        system.service("crate").stop();
        system
    });
    for r in requests {
        let status = r
            .await
            .expect("task")
            .expect("the request was answered, not cut off");
        assert_eq!(status, 501);
    }
    let mut system = stopping.join().unwrap();
    assert!(!system.service("crate").is_running());
}
