//! The generated client's retry policy, against a real TCP server on loopback that answers
//! every request with 503: idempotent calls are retried up to the spec's bound, and so are
//! `POST`s to services with records, which carry one `Idempotency-Key` for every attempt;
//! other `POST`s never.

use shop_orders::runtime::client::{Error, Policy};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The idempotency keys of the requests a server read (`None` for a request without one).
type Keys = Arc<std::sync::Mutex<Vec<Option<String>>>>;

/// A server that counts requests and answers each with a 503 problem.
async fn unavailable_server() -> (String, Arc<AtomicUsize>) {
    let (url, count, _) = unavailable_server_with_keys().await;
    (url, count)
}

/// [`unavailable_server`], also keeping the `Idempotency-Key` of each request.
async fn unavailable_server_with_keys() -> (String, Arc<AtomicUsize>, Keys) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let keys: Keys = Arc::default();
    let (seen, kept) = (count.clone(), keys.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (seen, kept) = (seen.clone(), kept.clone());
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
                let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                let key = text
                    .lines()
                    .find_map(|l| l.strip_prefix("idempotency-key:"))
                    .map(|v| v.trim().to_owned());
                kept.lock().unwrap().push(key);
                let body = r#"{"type":"about:blank","title":"Service Unavailable","status":503}"#;
                let response = format!(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, count, keys)
}

#[tokio::test]
async fn idempotent_calls_are_retried_within_the_bound() {
    let (url, count) = unavailable_server().await;
    let policy = Policy {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
        retries: 3,
        ..Default::default()
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
async fn a_post_without_a_key_is_sent_once() {
    // `risk` keeps no records, so it keeps no idempotency keys: its POST is never retried.
    let (url, count, keys) = unavailable_server_with_keys().await;
    let policy = Policy {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
        retries: 3,
        ..Default::default()
    };
    let client = flood_risk::client::Client::new(&url, policy).unwrap();
    let property = flood_risk::types::Property {
        location: flood_risk::types::Location {
            latitude: 52.0,
            longitude: 4.0,
            postcode: "1234AB".into(),
        },
        floor_area_m2: 80.0,
        has_basement: false,
        year_built: 1990,
    };
    assert!(client.assess(&property).await.is_err());
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "a keyless POST is never retried"
    );
    assert_eq!(*keys.lock().unwrap(), [None]);
}

#[tokio::test]
async fn a_keyed_post_is_retried_with_one_key() {
    // `orders` keeps records, and idempotency keys with them: its POST carries a key and is
    // retried like a GET, every attempt with the same key.
    let (url, count, keys) = unavailable_server_with_keys().await;
    let policy = Policy {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
        retries: 3,
        ..Default::default()
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
    assert_eq!(
        count.load(Ordering::SeqCst),
        4,
        "one attempt and three retries"
    );
    let keys = keys.lock().unwrap().clone();
    assert!(keys[0].is_some(), "{keys:?}");
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "one key for every attempt: {keys:?}"
    );
}

#[tokio::test]
async fn an_unreachable_service_is_a_connect_error_naming_it() {
    let port = svcgen_tests::e2e::free_port();
    let policy = Policy {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_millis(200),
        retries: 1,
        ..Default::default()
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
