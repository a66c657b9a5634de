//! `GET /whoami` of the auth fixture (`tests/auth/`) written by hand with axum and
//! jsonwebtoken the way a careful engineer would without a generator: the baseline of
//! `bench/instr-auth.sh`. The same check (an EdDSA bearer token against the keys of
//! `AUTH_USER_JWKS_FILE`, by `kid`; `iss`, `aud`, `exp`, `sub` required, `nbf`, 30 s leeway),
//! the same answer; no middleware.
//!
//! Two helper modes make the benchmark's inputs: `bench-handwritten-auth jwks KEY.pem` prints
//! the JWK set of a signing key, `bench-handwritten-auth token KEY.pem` a token of the fixture's
//! `user` scheme signed with it.

use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "guarded";

#[derive(Serialize)]
struct Caller {
    subject: String,
    scheme: &'static str,
    scopes: Vec<String>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    scope: String,
}

struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    validation: Validation,
}

async fn whoami(
    keys: Arc<Keys>,
    headers: HeaderMap,
) -> Result<Json<Caller>, (StatusCode, [(header::HeaderName, &'static str); 1])> {
    let refused = || {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"user\"")],
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(refused)?;
    let head = jsonwebtoken::decode_header(token).map_err(|_| refused())?;
    let key = head
        .kid
        .as_deref()
        .and_then(|kid| keys.by_kid.get(kid))
        .ok_or_else(refused)?;
    let data =
        jsonwebtoken::decode::<Claims>(token, key, &keys.validation).map_err(|_| refused())?;
    Ok(Json(Caller {
        subject: data.claims.sub,
        scheme: "user",
        scopes: data.claims.scope.split(' ').map(str::to_owned).collect(),
    }))
}

fn encoding_key(path: &str) -> EncodingKey {
    EncodingKey::from_ed_pem(&std::fs::read(path).expect("a key file")).expect("an Ed25519 key")
}

fn jwk(key: &EncodingKey) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, Algorithm::EdDSA).expect("a public key");
    jwk.common.key_id = Some(
        jwk.thumbprint(ThumbprintHash::SHA256)
            .expect("a thumbprint"),
    );
    jwk
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("jwks") => {
            let set = JwkSet {
                keys: vec![jwk(&encoding_key(&args[2]))],
            };
            println!("{}", serde_json::to_string(&set).expect("JSON"));
            return;
        }
        Some("token") => {
            let key = encoding_key(&args[2]);
            let mut head = Header::new(Algorithm::EdDSA);
            head.kid = jwk(&key).common.key_id;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            let claims = serde_json::json!({
                "iss": ISSUER, "aud": AUDIENCE, "sub": "ada", "scope": "notes:read",
                "tenant": "acme", "iat": now, "nbf": now, "exp": now + 3600,
            });
            println!(
                "{}",
                jsonwebtoken::encode(&head, &claims, &key).expect("a token")
            );
            return;
        }
        _ => {}
    }
    let text = std::fs::read_to_string(std::env::var("AUTH_USER_JWKS_FILE").expect("the key set"))
        .expect("a key set file");
    let set: JwkSet = serde_json::from_str(&text).expect("a JWK set");
    let by_kid = set
        .keys
        .iter()
        .filter_map(|k| Some((k.common.key_id.clone()?, DecodingKey::from_jwk(k).ok()?)))
        .collect();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.leeway = 30;
    validation.validate_nbf = true;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let keys = Arc::new(Keys { by_kid, validation });
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(9861u16);
    let app = Router::new().route(
        "/whoami",
        get(move |headers: HeaderMap| whoami(keys.clone(), headers)),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("port free");
    axum::serve(listener, app).await.expect("server runs");
}
