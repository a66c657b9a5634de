//! Auth declared in the spec, enforced by the generated router (the `guarded` fixture in
//! `tests/auth/`): every way a request can fail to prove its caller is answered 401 (or 403
//! for a missing scope) and the handler never runs (its run counter, read through a public
//! endpoint, does not move); valid tokens of three algorithms and API keys pass with the caller
//! handed to the handler; keys rotate and API keys are revoked without a restart; no token or
//! key reaches the service's log.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use svcgen_tests::e2e::System;

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "guarded";
const PARTNER_KEY: &str = "svcgen_partner_key_for_tests_only_1";
const READERLESS_KEY: &str = "svcgen_partner_key_for_tests_only_2";

fn keys_dir() -> std::path::PathBuf {
    svcgen_tests::repo().join("tests/auth/keys")
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(keys_dir().join(name)).expect("a test key")
}

/// A signing key of the fixture with its `kid` and algorithm.
struct Signer {
    key: EncodingKey,
    alg: Algorithm,
    kid: &'static str,
}

impl Signer {
    fn new(file: &str, alg: Algorithm, kid: &'static str) -> Signer {
        let bytes = pem(file);
        let key = match alg {
            Algorithm::EdDSA => EncodingKey::from_ed_pem(&bytes),
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&bytes),
            Algorithm::ES256 => EncodingKey::from_ec_pem(&bytes),
            _ => unreachable!(),
        }
        .expect("a PEM key");
        Signer { key, alg, kid }
    }

    fn jwk(&self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.key, self.alg).expect("a public JWK");
        jwk.common.key_id = Some(self.kid.to_owned());
        jwk
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.key).expect("a token")
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// Valid claims for a user with `scope`.
fn claims(scope: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "ada", "scope": scope,
        "tenant": "acme", "iat": now(), "exp": now() + 300,
    })
}

fn write_jwks(path: &Path, signers: &[&Signer]) {
    let set = JwkSet {
        keys: signers.iter().map(|s| s.jwk()).collect(),
    };
    std::fs::write(path, serde_json::to_string(&set).expect("JSON")).expect("written");
}

/// Base64url without padding (RFC 7515), written out here so a forged token does not depend on
/// the library under test.
fn base64_url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | *b as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn call(
        &self,
        method: &str,
        path: &str,
        credential: Option<(&str, &str)>,
    ) -> (u16, Vec<String>, Value) {
        self.call_with(method, path, credential.as_slice()).await
    }

    /// [`Client::call`] with any number of credential headers.
    async fn call_with(
        &self,
        method: &str,
        path: &str,
        credentials: &[(&str, &str)],
    ) -> (u16, Vec<String>, Value) {
        let mut req = self.http.request(
            method.parse().expect("a method"),
            format!("{}{path}", self.base),
        );
        for (name, value) in credentials {
            req = req.header(*name, *value);
        }
        if method == "POST" {
            req = req
                .header("content-type", "application/json")
                .body(r#"{"text": "hello"}"#);
        }
        let answer = req.send().await.expect("the service answers");
        let status = answer.status().as_u16();
        let challenges = answer
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .collect();
        let bytes = answer.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, challenges, body)
    }

    async fn runs(&self) -> i64 {
        let (status, _, body) = self.call("GET", "/runs", None).await;
        assert_eq!(status, 200, "{body}");
        body["runs"].as_i64().expect("a count")
    }

    /// Asserts `credential` on `method path` is refused with `status` and a problem whose
    /// detail contains `why`, and that no handler ran.
    async fn refused(
        &self,
        what: &str,
        method: &str,
        path: &str,
        credential: Option<(&str, &str)>,
        status: u16,
        why: &str,
    ) {
        self.refused_with(what, method, path, credential.as_slice(), status, why)
            .await;
    }

    /// [`Client::refused`] with any number of credential headers.
    async fn refused_with(
        &self,
        what: &str,
        method: &str,
        path: &str,
        credentials: &[(&str, &str)],
        status: u16,
        why: &str,
    ) {
        let before = self.runs().await;
        let (got, challenges, body) = self.call_with(method, path, credentials).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["status"], status, "{what}: a problem body: {body}");
        let detail = body["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains(why),
            "{what}: detail `{detail}` lacks `{why}`"
        );
        assert!(
            !challenges.is_empty(),
            "{what}: WWW-Authenticate is missing"
        );
        assert_eq!(self.runs().await, before, "{what}: the handler ran");
    }
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rejection_keeps_the_handler_from_running() {
    let dir = tempfile::tempdir().expect("a folder");
    let ed = Signer::new("ed25519.pem", Algorithm::EdDSA, "ed1");
    let rsa = Signer::new("rsa.pem", Algorithm::RS256, "rsa1");
    let ec = Signer::new("ec.pem", Algorithm::ES256, "ec1");
    let next = Signer::new("ed25519-next.pem", Algorithm::EdDSA, "ed2");
    let jwks = dir.path().join("jwks.json");
    write_jwks(&jwks, &[&ed, &rsa, &ec]);
    let keys = dir.path().join("partner-keys");
    let key_lines = format!(
        "# partner keys (hashes only)\n{} partner-one notes:read\n{} partner-two\n",
        svcgen_runtime::auth::key_hash(PARTNER_KEY),
        svcgen_runtime::auth::key_hash(READERLESS_KEY),
    );
    std::fs::write(&keys, &key_lines).expect("written");
    let (jwks_s, keys_s) = (
        jwks.to_string_lossy().into_owned(),
        keys.to_string_lossy().into_owned(),
    );
    let mut system = System::start_with(
        &[("notes", "guarded-notes", "NOTES_URL")],
        &[
            ("AUTH_USER_JWKS_FILE", &jwks_s),
            ("AUTH_PARTNER_KEYS_FILE", &keys_s),
            ("AUTH_JWKS_REFRESH_MS", "0"),
        ],
        None,
    );
    let client = Client {
        base: system.url("notes"),
        http: reqwest::Client::new(),
    };
    let mut secrets: Vec<String> = vec![PARTNER_KEY.to_owned(), READERLESS_KEY.to_owned()];

    // Valid callers: three algorithms, the typed claims, an API key.
    for signer in [&ed, &rsa, &ec] {
        let token = signer.sign(&claims("notes:read"));
        let (status, _, body) = client
            .call(
                "GET",
                "/whoami",
                Some(("authorization", &format!("Bearer {token}"))),
            )
            .await;
        assert_eq!(status, 200, "{:?}: {body}", signer.alg);
        assert_eq!(body["subject"], "ada");
        assert_eq!(body["scheme"], "user");
        assert_eq!(body["scopes"], json!(["notes:read"]));
        secrets.push(token);
    }
    let writer = ed.sign(&claims("notes:read notes:write"));
    let (status, _, body) = client
        .call(
            "POST",
            "/notes",
            Some((bearer(&writer).0, &bearer(&writer).1)),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["tenant"], "acme", "the handler got the typed claims");
    secrets.push(writer);
    let (status, _, body) = client
        .call("GET", "/notes", Some(("x-api-key", PARTNER_KEY)))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["subject"], "partner-one");
    assert_eq!(body["scheme"], "partner");
    assert_eq!(client.runs().await, 5);

    // No credentials at all: one challenge per accepted scheme.
    let (status, challenges, _) = client.call("GET", "/whoami", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenges,
        [
            "Bearer realm=\"user\"",
            "ApiKey realm=\"partner\", header=\"x-api-key\""
        ]
    );
    client
        .refused("no token", "GET", "/notes", None, 401, "needs credentials")
        .await;
    client
        .refused(
            "no token on a body endpoint",
            "POST",
            "/notes",
            None,
            401,
            "needs credentials",
        )
        .await;

    let mut forged: Vec<(&str, String, &str)> = Vec::new();
    let mut expired = claims("notes:read");
    expired["exp"] = json!(now() - 120);
    forged.push(("expired", ed.sign(&expired), "expired"));
    let mut early = claims("notes:read");
    early["nbf"] = json!(now() + 600);
    forged.push(("not valid yet", ed.sign(&early), "not valid yet"));
    let mut other_audience = claims("notes:read");
    other_audience["aud"] = json!("another-system");
    forged.push((
        "wrong audience",
        ed.sign(&other_audience),
        "not meant for this system",
    ));
    let mut other_issuer = claims("notes:read");
    other_issuer["iss"] = json!("https://evil.test");
    forged.push(("wrong issuer", ed.sign(&other_issuer), "issuer"));
    let mut no_subject = claims("notes:read");
    no_subject.as_object_mut().unwrap().remove("sub");
    forged.push(("no subject", ed.sign(&no_subject), "required claim"));
    // The payload of a valid token swapped for one granting more.
    let valid = ed.sign(&claims("notes:read"));
    let parts: Vec<&str> = valid.split('.').collect();
    let richer = base64_url(claims("notes:read notes:write").to_string().as_bytes());
    forged.push((
        "tampered payload",
        format!("{}.{richer}.{}", parts[0], parts[2]),
        "signature",
    ));
    // Signed by a key the issuer does not have, under the `kid` of one it has.
    let impostor = Signer::new("ed25519-next.pem", Algorithm::EdDSA, "ed1");
    forged.push((
        "bad signature",
        impostor.sign(&claims("notes:read")),
        "signature",
    ));
    // `alg: none`, unsigned.
    let none_header = base64_url(br#"{"alg":"none","typ":"JWT","kid":"ed1"}"#);
    let body = base64_url(claims("notes:read").to_string().as_bytes());
    forged.push(("alg none", format!("{none_header}.{body}."), "malformed"));
    // HS256 with the RSA public key as the HMAC secret (algorithm confusion).
    let confused = jsonwebtoken::encode(
        &Header {
            kid: Some("rsa1".into()),
            ..Header::new(Algorithm::HS256)
        },
        &claims("notes:read"),
        &EncodingKey::from_secret(&pem("rsa.pub.pem")).expect("an HMAC key"),
    )
    .expect("a token");
    forged.push((
        "HS256 with the RSA public key",
        confused,
        "algorithm is not accepted",
    ));
    // RS256 claimed in the header of a token whose `kid` is the Ed25519 key.
    let mismatched = Signer::new("rsa.pem", Algorithm::RS256, "ed1");
    forged.push((
        "algorithm unlike its key's",
        mismatched.sign(&claims("notes:read")),
        "does not match its key",
    ));
    forged.push(("oversized", "a".repeat(9 * 1024), "too large"));
    forged.push((
        "unknown kid",
        next.sign(&claims("notes:read")),
        "key is unknown",
    ));
    forged.push(("not a token", "not-a-jwt".to_owned(), "malformed"));
    for (what, token, why) in &forged {
        client
            .refused(
                what,
                "GET",
                "/whoami",
                Some(("authorization", &format!("Bearer {token}"))),
                401,
                why,
            )
            .await;
        secrets.push(token.clone());
    }

    // Claims that are not as the spec declares them (`tenant` missing) on the endpoint that
    // takes them typed.
    let mut untenanted = claims("notes:read notes:write");
    untenanted.as_object_mut().unwrap().remove("tenant");
    let token = ed.sign(&untenanted);
    client
        .refused(
            "claims not as declared",
            "POST",
            "/notes",
            Some(("authorization", &format!("Bearer {token}"))),
            401,
            "claims",
        )
        .await;

    // A valid caller without the scope: 403, with the scope named.
    let reader = ed.sign(&claims("notes:read"));
    client
        .refused(
            "missing scope",
            "POST",
            "/notes",
            Some(("authorization", &format!("Bearer {reader}"))),
            403,
            "notes:write",
        )
        .await;
    let (_, challenges, _) = client
        .call(
            "POST",
            "/notes",
            Some(("authorization", &format!("Bearer {reader}"))),
        )
        .await;
    assert_eq!(
        challenges,
        ["Bearer realm=\"user\", error=\"insufficient_scope\", scope=\"notes:write\""]
    );
    client
        .refused_with(
            "a malformed Authorization header beside a valid API key",
            "GET",
            "/whoami",
            &[
                ("authorization", "Basic YWRhOnNlY3JldA=="),
                ("x-api-key", PARTNER_KEY),
            ],
            401,
            "not `Bearer <token>`",
        )
        .await;
    client
        .refused(
            "an API key on a token-only endpoint",
            "POST",
            "/notes",
            Some(("x-api-key", PARTNER_KEY)),
            401,
            "needs credentials",
        )
        .await;
    client
        .refused(
            "an API key without the scope",
            "GET",
            "/notes",
            Some(("x-api-key", READERLESS_KEY)),
            403,
            "notes:read",
        )
        .await;
    client
        .refused(
            "an unknown API key",
            "GET",
            "/whoami",
            Some(("x-api-key", "svcgen_not_issued")),
            401,
            "not valid",
        )
        .await;

    // Rotation: the issuer publishes a new key; a token signed with it is taken without a
    // restart (its unknown `kid` makes the service read the set again).
    write_jwks(&jwks, &[&next, &ed]);
    let rotated = next.sign(&claims("notes:read"));
    let (status, _, body) = client
        .call(
            "GET",
            "/whoami",
            Some(("authorization", &format!("Bearer {rotated}"))),
        )
        .await;
    assert_eq!(status, 200, "a key published after start: {body}");
    secrets.push(rotated);

    // Revocation: the key's line removed from the file, the key is refused within seconds.
    let (status, _, _) = client
        .call("GET", "/whoami", Some(("x-api-key", PARTNER_KEY)))
        .await;
    assert_eq!(status, 200);
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(
        &keys,
        key_lines
            .lines()
            .filter(|l| !l.contains("partner-one"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .expect("written");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _, _) = client
            .call("GET", "/whoami", Some(("x-api-key", PARTNER_KEY)))
            .await;
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a revoked key is still accepted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client
        .refused(
            "a revoked API key",
            "GET",
            "/whoami",
            Some(("x-api-key", PARTNER_KEY)),
            401,
            "not valid",
        )
        .await;

    // No token or key reached the log.
    let log = system.service("notes").log();
    assert!(log.contains("refused"), "refusals are logged: {log}");
    for secret in &secrets {
        let tail = &secret[secret.len().saturating_sub(24)..];
        assert!(!log.contains(tail), "a credential is in the log: …{tail}");
    }
}
