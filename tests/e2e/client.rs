//! The generated client's retry policy, against a real TCP server on loopback that answers
//! every request with 503: idempotent calls are retried up to the spec's bound, others never.

use shop_orders::runtime::client::{Error, Policy};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server that counts requests and answers each with a 503 problem.
async fn unavailable_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut request = Vec::new();
                // Read the head and (small) body of one request.
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request);
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if request.len() >= head_end + 4 + length {
                            break;
                        }
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"type":"about:blank","title":"Service Unavailable","status":503}"#;
                let response = format!(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, count)
}

#[tokio::test]
async fn idempotent_calls_are_retried_within_the_bound() {
    let (url, count) = unavailable_server().await;
    let policy = Policy {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
        retries: 3,
    };
    let client = shop_orders::client::Client::new(&url, policy).unwrap();
    let err = client
        .get_order(&shop_orders::types::uuid::Uuid::new_v4())
        .await
        .unwrap_err();
    match err {
        Error::Problem {
            problem, service, ..
        } => {
            assert_eq!(problem.status, 503);
            assert_eq!(service, "orders");
        }
        other => panic!("expected the 503 problem, got {other:?}"),
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        4,
        "one attempt and three retries"
    );
}

#[tokio::test]
async fn non_idempotent_calls_are_sent_once() {
    let (url, count) = unavailable_server().await;
    let policy = Policy {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
        retries: 3,
    };
    let client = shop_orders::client::Client::new(&url, policy).unwrap();
    let order = shop_orders::types::NewOrder {
        user_id: shop_orders::types::uuid::Uuid::new_v4(),
        lines: vec![shop_orders::types::OrderLine {
            sku: "TEA-0001".into(),
            quantity: 1,
        }],
    };
    assert!(client.place_order(&order).await.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 1, "POST is never retried");
}

#[tokio::test]
async fn an_unreachable_service_is_a_connect_error_naming_it() {
    let port = svcgen_tests::e2e::free_port();
    let policy = Policy {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_millis(200),
        retries: 1,
    };
    let client =
        shop_orders::client::Client::new(&format!("http://127.0.0.1:{port}"), policy).unwrap();
    let err = client
        .get_order(&shop_orders::types::uuid::Uuid::new_v4())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("orders (http://127.0.0.1:{port}/orders/")),
        "{text}"
    );
    assert!(text.contains("could not be reached"), "{text}");
    assert!(matches!(
        err,
        Error::Transport {
            kind: shop_orders::runtime::client::TransportKind::Connect,
            ..
        }
    ));
}

#[test]
fn a_bad_url_is_a_configuration_error() {
    let err = shop_orders::client::Client::new("localhost:8003", Policy::default()).unwrap_err();
    assert!(err.to_string().contains("must start with http://"), "{err}");
    let err =
        shop_orders::client::Client::new("https://orders.example", Policy::default()).unwrap_err();
    assert!(err.to_string().contains("no TLS backend"), "{err}");
}
