//! Hostile clients against the hostile fixture's service (real process, real sockets, loopback):
//! connections trickling their headers (slowloris) and piles of idle keep-alive connections
//! are closed by the server, the connection count stays under the open-file limit, and a normal
//! request made during each attack is still answered.

use std::time::{Duration, Instant};
use svcgen_tests::e2e::{System, get, process_usage, raise_open_files, read_answer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A normal request, on a fresh client: it must be answered, whatever the attack; returns how
/// long it took (printed, never asserted tightly).
async fn normal_request(base: &str) -> Duration {
    let started = Instant::now();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let answer = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("a normal request is answered during the attack");
    assert_eq!(answer.status().as_u16(), 200);
    started.elapsed()
}

/// Waits until the server closes `stream` (EOF or reset); data it sends is discarded.
async fn closed_by_server(stream: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_closed_at_the_header_read_timeout() {
    const ATTACKERS: usize = 300;
    raise_open_files(ATTACKERS as u64 + 512);
    let system = System::start_with(
        &[("crate", "hostile-crate", "CRATE_URL")],
        &[("HEADER_READ_TIMEOUT_MS", "1000")],
        None,
    );
    let base = system.url("crate");
    let addr = base.trim_start_matches("http://").to_owned();

    // Each attacker sends a request line, then one header byte every 100 ms, forever.
    let (started_tx, mut started_rx) = tokio::sync::mpsc::channel::<()>(ATTACKERS);
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let (addr, started) = (addr.clone(), started_tx.clone());
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(&addr).await.expect("connect");
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\n")
                    .await
                    .unwrap();
                let first_byte = Instant::now();
                started.send(()).await.unwrap();
                let (mut read, mut write) = stream.split();
                let trickle = async {
                    loop {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        if write.write_all(b"x").await.is_err() {
                            return;
                        }
                    }
                };
                let mut buf = [0u8; 1024];
                let closed = async { while matches!(read.read(&mut buf).await, Ok(n) if n > 0) {} };
                tokio::select! {
                    () = trickle => {}
                    () = closed => {}
                }
                first_byte.elapsed()
            })
        })
        .collect();
    for _ in 0..ATTACKERS {
        started_rx.recv().await.unwrap();
    }
    let latency = normal_request(&base).await;
    println!("a normal request during {ATTACKERS} slowloris connections took {latency:?}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut longest = Duration::ZERO;
    for attacker in attackers {
        let open_for =
            tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), attacker)
                .await
                .expect("every slowloris connection is closed by the server")
                .unwrap();
        longest = longest.max(open_for);
    }
    println!(
        "all {ATTACKERS} slowloris connections closed; the longest stayed {longest:?} (timeout 1 s)"
    );
    assert!(
        longest >= Duration::from_millis(900),
        "closed too early: {longest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_capped_below_the_file_limit_and_closed_when_idle() {
    // The open-file limit of many machines; each idle connection costs the service one file.
    const FILE_LIMIT: u32 = 1024;
    const IDLE: usize = 1200;
    let have = raise_open_files(IDLE as u64 + 512);
    assert!(
        have >= IDLE as u64 + 256,
        "this test needs {} open files, the hard limit allows {have}",
        IDLE + 256
    );
    let system = System::start_with(
        &[("crate", "hostile-crate", "CRATE_URL")],
        &[("IDLE_TIMEOUT_MS", "3000")],
        Some(FILE_LIMIT),
    );
    let base = system.url("crate");
    let addr = base.trim_start_matches("http://").to_owned();
    let pid = system.services["crate"].pid().unwrap();
    let (files_before, rss_before) = process_usage(pid);

    // Each connection makes one keep-alive request, then stays open doing nothing.
    let (answered_tx, mut answered_rx) = tokio::sync::mpsc::channel::<bool>(IDLE);
    let idle: Vec<_> = (0..IDLE)
        .map(|_| {
            let (addr, answered) = (addr.clone(), answered_tx.clone());
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(&addr).await.expect("connect");
                // Bounded: a server out of file descriptors never answers.
                let request = async {
                    stream.write_all(get("/healthz").as_bytes()).await.is_ok()
                        && read_answer(&mut stream)
                            .await
                            .is_ok_and(|a| a.status == 200)
                };
                let ok = tokio::time::timeout(Duration::from_secs(20), request)
                    .await
                    .unwrap_or(false);
                answered.send(ok).await.unwrap();
                let idle_from = Instant::now();
                closed_by_server(&mut stream).await;
                idle_from.elapsed()
            })
        })
        .collect();
    let mut answered = 0;
    for _ in 0..IDLE {
        answered += usize::from(answered_rx.recv().await.unwrap());
    }
    let (files_during, rss_during) = process_usage(pid);
    let latency = normal_request(&base).await;
    println!(
        "{answered} of {IDLE} keep-alive connections answered; the service holds {files_during} \
         open files (limit {FILE_LIMIT}, {files_before} before), {rss_during} kB resident \
         ({rss_before} kB before); a normal request took {latency:?}"
    );
    assert!(
        files_during < FILE_LIMIT as usize,
        "{files_during} open files"
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut longest = Duration::ZERO;
    for connection in idle {
        let open_for = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            connection,
        )
        .await
        .expect("every idle connection is closed by the server")
        .unwrap();
        longest = longest.max(open_for);
    }
    let (files_after, rss_after) = process_usage(pid);
    println!(
        "all idle connections closed; the longest stayed {longest:?} (timeout 3 s); the service \
         holds {files_after} open files, {rss_after} kB resident"
    );
    assert!(
        files_after <= files_before + 4,
        "{files_after} open files left"
    );
}
