//! `Idempotency-Key` end to end: a retried `POST` has its effect once, on both databases,
//! across a SIGKILL, and through a gateway that passes the client's key on; the generated
//! clients send a key with every `POST` of a service with records.

use svcgen_tests::e2e::{ApiKeys, Database, ShopAuth, System};

/// A raw `POST` with an optional key: status, whether it was a replay, body.
async fn post(
    url: &str,
    key: Option<&str>,
    body: serde_json::Value,
) -> (u16, bool, serde_json::Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotency-replayed")
        .is_some_and(|v| v == "true");
    let bytes = response.bytes().await.unwrap_or_default();
    (
        status,
        replayed,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

svcgen_tests::on_both_databases!(a_retried_post_has_its_effect_once);

async fn a_retried_post_has_its_effect_once(database: Database) {
    let auth = ShopAuth::new();
    let services = [("users", "shop-users", "USERS_URL")];
    let mut system = System::start_on(database, &services, &auth.env(), None);
    let users = format!("{}/users", system.url("users"));
    let ada = serde_json::json!({ "name": "Ada", "email": "ada@example.org" });
    let key = uuid_key();

    let (status, replayed, first) = post(&users, Some(&key), ada.clone()).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    // The retry: the same answer, marked as a replay, and no second registration.
    let (status, replayed, again) = post(&users, Some(&key), ada.clone()).await;
    assert_eq!((status, replayed), (201, true), "{again}");
    assert_eq!(again, first);
    // The user exists once: without a key, the same email is taken.
    let (status, _, taken) = post(&users, None, ada.clone()).await;
    assert_eq!(status, 409, "{taken}");

    // The key belongs to its first request.
    let other = format!(
        "{}/users/{}",
        system.url("users"),
        first["id"].as_str().unwrap()
    );
    let (status, _, problem) = post(&other, Some(&key), ada.clone()).await;
    assert!(matches!(status, 405 | 422), "{status} {problem}");
    let (status, _, problem) = post(&users, Some(&"x".repeat(256)), ada.clone()).await;
    assert_eq!(status, 400, "{problem}");

    // Keys live in the service's database: a SIGKILL forgets nothing.
    system.service("users").kill();
    system.service("users").start();
    let (status, replayed, after) = post(&users, Some(&key), ada.clone()).await;
    assert_eq!((status, replayed), (201, true), "{after}");
    assert_eq!(after, first);

    // The generated client keys its POSTs: two calls are two keys, so the second is refused.
    let client = shop_users::client::Client::new(&system.url("users"), Default::default()).unwrap();
    let new = shop_users::types::NewUser {
        name: "Grace".into(),
        email: shop_users::types::Email("grace@example.org".into()),
        nickname: None,
    };
    client.create_user(&new).await.unwrap();
    assert!(client.create_user(&new).await.is_err());
}

fn uuid_key() -> String {
    format!(
        "test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// The gateway passes the client's key on: a retried registration through it is one business.
#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_passes_the_key_on() {
    // The system's staff keys (none used here: registering a business is open).
    let mut keys = ApiKeys::new();
    keys.issue("staff", "nobody", &[]);
    let system = System::start_with(
        &[
            ("user", "small-business-user", "USER_URL"),
            ("finance", "small-business-finance", "FINANCE_URL"),
            ("grant", "small-business-grant", "GRANT_URL"),
            ("gateway", "small-business-gateway", "GATEWAY_URL"),
        ],
        &keys.env(),
        None,
    );
    let url = format!("{}/api/businesses", system.url("gateway"));
    let bakery = serde_json::json!({
        "legal_name": "Bakery Ltd",
        "tax_id": "12-3456789",
        "size": "micro",
        "contact_email": "owner@bakery.example"
    });
    let key = uuid_key();
    let (status, replayed, first) = post(&url, Some(&key), bakery.clone()).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    let (status, replayed, again) = post(&url, Some(&key), bakery).await;
    assert_eq!((status, replayed), (201, true), "{again}");
    assert_eq!(again["id"], first["id"]);
}

/// Reads one HTTP message (head and a `content-length` body) from `socket`.
async fn read_message(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut message = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = message.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&message[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if message.len() >= end + 4 + length {
                return Some(message);
            }
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => message.extend_from_slice(&buf[..n]),
        }
    }
}

/// The answer to the first call is lost on its way back (the service did the work): the
/// generated client retries the keyed `POST`, gets the kept answer, and the user exists once.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_is_retried_by_the_client_and_the_effect_happens_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt;
    let auth = ShopAuth::new();
    let system = System::start_with(&[("users", "shop-users", "USERS_URL")], &auth.env(), None);
    let upstream = system.url("users").trim_start_matches("http://").to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let forwarded = Arc::new(AtomicUsize::new(0));
    let count = forwarded.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (upstream, count) = (upstream.clone(), count.clone());
            tokio::spawn(async move {
                while let Some(request) = read_message(&mut client).await {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    if server.write_all(&request).await.is_err() {
                        return;
                    }
                    let Some(answer) = read_message(&mut server).await else {
                        return;
                    };
                    if count.fetch_add(1, Ordering::SeqCst) == 0 {
                        // The work is done; the answer never arrives.
                        return;
                    }
                    if client.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });

    let client = shop_users::client::Client::new(&proxy, Default::default()).unwrap();
    let new = shop_users::types::NewUser {
        name: "Ada".into(),
        email: shop_users::types::Email("ada@example.org".into()),
        nickname: None,
    };
    let user = client
        .create_user(&new)
        .await
        .expect("the retry gets the kept answer");
    assert_eq!(
        forwarded.load(Ordering::SeqCst),
        2,
        "one lost answer, one retry"
    );
    let direct = shop_users::client::Client::new(&system.url("users"), Default::default())
        .and_then(|c| c.with_api_key(auth.staff_key()))
        .unwrap();
    assert_eq!(direct.get_user(&user.id).await.unwrap(), user);
    // One registration: a new call (a new key) finds the email taken.
    assert!(direct.create_user(&new).await.is_err());
}
