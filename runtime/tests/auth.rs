//! A service whose issuer's keys cannot be fetched at start is not ready and refuses every
//! token, never an open door; once the keys can be fetched it becomes ready and takes tokens,
//! without a restart. (One test per process: the schemes are installed once per process.)

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use std::time::{Duration, Instant};
use svcgen_runtime::auth::{Jwks, Kind, NoClaims, Requirement, Scheme};

static SCHEMES: &[Scheme] = &[Scheme {
    name: "late",
    kind: Kind::Jwt {
        issuer: "urn:test",
        audience: "test",
        algorithms: &["EdDSA"],
        jwks: Jwks::External,
    },
}];

const REQUIREMENT: Requirement = Requirement {
    schemes: &["late"],
    scopes: &[],
};

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_keys_keep_the_service_unready_until_they_come() {
    // A port nothing listens on yet: the keys' server starts later on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    // SAFETY: set before anything else of this test process reads the environment.
    unsafe {
        std::env::set_var(
            "AUTH_LATE_JWKS_URL",
            format!("http://{addr}/.well-known/jwks.json"),
        );
    }
    svcgen_runtime::auth::install(SCHEMES).expect("installed");

    // Not ready, and a token is refused whatever it is.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(svcgen_runtime::auth::ready().is_err());
    let mut headers = HeaderMap::new();
    headers.insert("authorization", "Bearer a.b.c".parse().unwrap());
    let refused = svcgen_runtime::auth::authenticate::<NoClaims>(&headers, &REQUIREMENT).await;
    assert_eq!(refused.expect_err("refused").status(), 401);

    // The issuer comes up: the service becomes ready without a restart.
    let keys = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1","alg":"EdDSA"}]}"#;
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        let app = Router::new().route("/.well-known/jwks.json", get(move || async move { keys }));
        axum::serve(listener, app).await
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while svcgen_runtime::auth::ready().is_err() {
        assert!(Instant::now() < deadline, "the keys were never loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Ready: tokens are checked against the keys now (this one is still refused).
    let refused = svcgen_runtime::auth::authenticate::<NoClaims>(&headers, &REQUIREMENT).await;
    let answer = refused.expect_err("refused");
    assert_eq!(answer.status(), 401);
}

/// An API key scheme whose header is not a header name (the spec's check refuses one; a
/// `Scheme` written by hand may still carry it) is refused at start, with the reason, and
/// installs nothing.
#[test]
fn an_api_key_header_that_is_not_a_header_name_is_refused_at_install() {
    static BAD: &[Scheme] = &[Scheme {
        name: "bad",
        kind: Kind::ApiKey {
            header: "x api key",
        },
    }];
    let refused = svcgen_runtime::auth::install(BAD).expect_err("refused");
    assert_eq!(refused, "`x api key` of scheme `bad` is not a header name");
}
