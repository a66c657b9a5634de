//! Runtime behaviour every generated service shares, on the hostile fixture's scaffolded
//! service: 501 until implemented, panics answered with a 500 that leaks nothing, the request
//! timeout, health endpoints and graceful shutdown: requests in flight on fresh and kept-alive
//! connections are answered, and a half-sent request cannot hold the process past the grace
//! period.

use std::time::{Duration, Instant};
use svcgen_tests::e2e::{RawAnswer, System, get, raw, read_answer, wait_in_flight};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

    // A declared success status with no name (250) is answered as declared, and the typed
    // client, which expects it, takes the answer.
    let (status, _, body) = raw("GET", &format!("{base}/odd"), None, "").await;
    assert_eq!(status, 250, "{body}");
    assert_eq!(body, "odd");
    let client = hostile_crate::client::Client::new(&base, Default::default()).unwrap();
    assert_eq!(client.odd().await.unwrap(), "odd");
    // An empty path parameter would call `/probe/`: the client does not send it.
    let empty = client.probe("").await.unwrap_err();
    assert!(
        matches!(
            &empty,
            hostile_crate::runtime::client::Error::Request { message, .. }
                if message.contains("`mode` is empty")
        ),
        "{empty:?}"
    );

    // A handler answering a value that breaks its own schema: with the answers checked (as
    // tests and `svcgen up` run services), a 500 and a log line naming the endpoint.
    let (status, _, problem) = raw("GET", &format!("{base}/lies"), None, "").await;
    assert_eq!(status, 500, "{problem}");
    assert!(!problem.to_string().contains("plain"), "{problem}");
    system.services["crate"].wait_for_log("endpoint=\"lies\"", 1);

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

    // On one kept-alive connection, whose requests share a timer: each slow request gets its
    // full second again, never a deadline left over from the one before, and a fast request
    // between them is answered.
    let addr = base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    for round in 0..2 {
        stream.write_all(get("/healthz").as_bytes()).await.unwrap();
        let fast = read_answer(&mut stream).await.unwrap();
        assert_eq!(fast.status, 200, "round {round}: {}", fast.head);
        let started = Instant::now();
        stream
            .write_all(get("/probe/slow").as_bytes())
            .await
            .unwrap();
        let slow = read_answer(&mut stream).await.unwrap();
        let took = started.elapsed();
        assert_eq!(slow.status, 503, "round {round}: {}", slow.head);
        assert!(
            (Duration::from_millis(950)..Duration::from_millis(2500)).contains(&took),
            "round {round}: timed out after {took:?}"
        );
        assert!(!slow.closes(), "round {round}: kept alive");
    }

    // SIGTERM: the process exits cleanly (after finishing in-flight requests).
    let (status, _, ready) = raw("GET", &format!("{base}/readyz"), None, "").await;
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));
    let service = system.service("crate");
    service.stop();
    assert!(!service.is_running());
}

/// Opens a connection that sends `GET /probe/hold` (in flight for 800 ms); with `keep_alive`,
/// it first makes a request and reads its answer, so the held request is its second.
async fn held_request(addr: String, keep_alive: bool) -> std::io::Result<RawAnswer> {
    let mut stream = TcpStream::connect(&addr).await?;
    if keep_alive {
        stream.write_all(get("/healthz").as_bytes()).await?;
        let first = read_answer(&mut stream).await?;
        assert!(!first.closes(), "kept alive");
    }
    stream.write_all(get("/probe/hold").as_bytes()).await?;
    let answer = read_answer(&mut stream).await?;
    // After the answer the server closes the connection.
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await?;
    Ok(answer)
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_in_flight_on_fresh_and_kept_alive_connections_are_answered_at_shutdown() {
    const EACH: usize = 16;
    let mut system = System::start_with(
        &[("crate", "hostile-crate", "CRATE_URL")],
        &[("SHUTDOWN_GRACE_MS", "5000")],
        None,
    );
    let base = system.url("crate");
    let addr = base.trim_start_matches("http://").to_owned();
    let requests: Vec<_> = (0..2 * EACH)
        .map(|i| tokio::spawn(held_request(addr.clone(), i % 2 == 0)))
        .collect();
    // Every request is being handled (the handlers say so), then SIGTERM.
    wait_in_flight(&base, 2 * EACH).await;
    let stopping = std::thread::spawn(move || {
        let took = system
            .service("crate")
            .terminate_within(Duration::from_secs(10));
        (system, took)
    });
    for (i, r) in requests.into_iter().enumerate() {
        let kind = if i % 2 == 0 { "kept-alive" } else { "fresh" };
        let answer = r
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("request {i} on a {kind} connection was cut off: {e}"));
        assert_eq!(answer.status, 501, "{kind}: {answer:?}");
        assert!(
            answer.closes(),
            "{kind}: the answer says the connection closes"
        );
    }
    let (_system, took) = stopping.join().unwrap();
    let took = took.expect("the service exits after SIGTERM");
    println!(
        "{} requests in flight answered; exit {took:?} after SIGTERM",
        2 * EACH
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_waiting_in_the_listen_backlog_are_answered_at_shutdown() {
    const SLOTS: usize = 4;
    const WAITING: usize = 8;
    let mut system = System::start_with(
        &[("crate", "hostile-crate", "CRATE_URL")],
        &[("MAX_CONNECTIONS", "4"), ("SHUTDOWN_GRACE_MS", "5000")],
        None,
    );
    let base = system.url("crate");
    let addr = base.trim_start_matches("http://").to_owned();
    // Every connection slot holds a request in flight (seen in the log: no slot is left to
    // ask over HTTP)...
    let held: Vec<_> = (0..SLOTS)
        .map(|_| tokio::spawn(held_request(addr.clone(), false)))
        .collect();
    system.services["crate"].wait_for_log("probe started mode=hold", SLOTS);
    // ...so these connections wait in the kernel's backlog, their requests sent: connected
    // and written, not accepted.
    let mut waiting = Vec::new();
    for _ in 0..WAITING {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(get("/probe/now").as_bytes())
            .await
            .unwrap();
        waiting.push(stream);
    }
    let stopping = std::thread::spawn(move || {
        let took = system
            .service("crate")
            .terminate_within(Duration::from_secs(10));
        (system, took)
    });
    for r in held {
        assert_eq!(r.await.unwrap().expect("answered").status, 501);
    }
    for (i, mut stream) in waiting.into_iter().enumerate() {
        let answer = read_answer(&mut stream)
            .await
            .unwrap_or_else(|e| panic!("request {i} from the backlog was cut off: {e}"));
        assert_eq!(answer.status, 501, "{answer:?}");
    }
    let (_system, took) = stopping.join().unwrap();
    let took = took.expect("the service exits after SIGTERM");
    println!(
        "{SLOTS} requests in flight and {WAITING} in the backlog answered; exit {took:?} after SIGTERM"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_sent_request_does_not_hold_the_process_past_the_grace_period() {
    let mut system = System::start_with(
        &[("crate", "hostile-crate", "CRATE_URL")],
        // The header-read timeout is long: only the grace period can end the wait.
        &[
            ("SHUTDOWN_GRACE_MS", "1500"),
            ("HEADER_READ_TIMEOUT_MS", "60000"),
        ],
        None,
    );
    let base = system.url("crate");
    let addr = base.trim_start_matches("http://").to_owned();
    // Half a request head, and a connection that never sends a byte.
    let mut half = TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /probe/hold HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ")
        .await
        .unwrap();
    let _silent = TcpStream::connect(&addr).await.unwrap();
    // And a request in flight, which is still answered.
    let held = tokio::spawn(held_request(addr.clone(), false));
    wait_in_flight(&base, 1).await;
    let stopping = std::thread::spawn(move || {
        let took = system
            .service("crate")
            .terminate_within(Duration::from_secs(20));
        (system, took)
    });
    let answer = held
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(answer.status, 501);
    let (_system, took) = stopping.join().unwrap();
    let took = took.expect("the service exits despite the half-sent request");
    println!("exit {took:?} after SIGTERM with a half-sent request open (grace 1.5 s)");
    assert!(
        took < Duration::from_millis(1500) + Duration::from_secs(5),
        "{took:?}"
    );
    assert!(
        took >= Duration::from_millis(1400),
        "the grace period was given: {took:?}"
    );
}

/// With `RESPONSE_CHECKS=off` (the default of release builds) a handler's answer goes out as it
/// is, unchecked.
#[tokio::test(flavor = "multi_thread")]
async fn answers_go_out_unchecked_when_response_checks_are_off() {
    let system = System::start_with(
        &[("crate", "hostile-crate", "CRATE_URL")],
        &[("RESPONSE_CHECKS", "off")],
        None,
    );
    let (status, _, body) = raw("GET", &format!("{}/lies", system.url("crate")), None, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "plain");
}
