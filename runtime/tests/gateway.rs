//! The gateway's forwarding, against a real upstream on loopback: headers that may repeat
//! (`Set-Cookie`, `Vary`) reach the caller once per value, in order.

use axum::Router;
use axum::http::header::{SET_COOKIE, VARY};
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::{any, get};
use std::sync::Arc;
use std::time::Duration;
use svcgen_runtime::server::{Upstream, forward};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn repeated_headers_survive_forwarding() {
    let upstream = serve(Router::new().route(
        "/login",
        get(|| async {
            (
                AppendHeaders([
                    (SET_COOKIE, "session=abc; HttpOnly"),
                    (SET_COOKIE, "theme=dark"),
                    (VARY, "accept"),
                    (VARY, "origin"),
                ]),
                "ok",
            )
                .into_response()
        }),
    ))
    .await;
    let up = Arc::new(
        Upstream::from_env(
            "auth",
            "SVCGEN_TEST_UNSET_URL",
            &upstream,
            Duration::from_secs(5),
        )
        .unwrap(),
    );
    let gateway = serve(Router::new().route(
        "/api/{*rest}",
        any(move |request| {
            let up = up.clone();
            async move { forward(&up, "/api", request, 1 << 20).await }
        }),
    ))
    .await;

    let answer = reqwest::get(format!("{gateway}/api/login")).await.unwrap();
    assert_eq!(answer.status(), 200);
    let cookies: Vec<&str> = answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["session=abc; HttpOnly", "theme=dark"]);
    let vary: Vec<&str> = answer
        .headers()
        .get_all(VARY)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(vary, ["accept", "origin"]);
    assert_eq!(answer.text().await.unwrap(), "ok");
}
