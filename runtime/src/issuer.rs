//! What a sign-in service of the system needs: password hashes (argon2id), signed tokens for
//! the `jwt` scheme it serves the keys of (EdDSA), its public keys as a JWK set, and random
//! secrets (refresh tokens, API keys).
//!
//! The signing key is an Ed25519 key in PKCS#8 PEM, read from the file `AUTH_SIGNING_KEY_FILE`
//! names (a Compose or Kubernetes secret; `svcgen up` makes one in the data folder). Keys it
//! signed with before can stay published for tokens still in flight: `AUTH_PREVIOUS_KEYS_FILE`
//! names a file of older PEM keys (public or private; only their public halves are served).
//! The key id (`kid`) of a key is its RFC 7638 thumbprint, so a new key is a new id and the
//! services verifying tokens fetch the set again when they first see it.

use crate::problem::Problem;
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why the issuer could not do what it was asked; becomes a problem answer (`?` in a handler)
/// whose body says nothing more than its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// No signing key is installed (503).
    NotConfigured,
    /// The system gave no randomness (503).
    NoRandomness,
    /// Signing or hashing failed (500, logged).
    Failed,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::NotConfigured => "no signing key is installed",
            Error::NoRandomness => "no randomness from the system",
            Error::Failed => "signing or hashing failed",
        })
    }
}

impl std::error::Error for Error {}

impl From<Error> for Problem {
    fn from(e: Error) -> Problem {
        match e {
            Error::NotConfigured | Error::NoRandomness => {
                Problem::new(503, "Service unavailable").with_detail("signing is not available")
            }
            Error::Failed => Problem::new(500, "Internal server error"),
        }
    }
}

/// A `jwt` scheme whose tokens this service issues, as generated from the spec.
#[derive(Debug)]
pub struct Tokens {
    /// The scheme's name.
    pub scheme: &'static str,
    /// The `iss` of its tokens.
    pub issuer: &'static str,
    /// The `aud` of its tokens.
    pub audience: &'static str,
}

/// An Ed25519 signing key and its key id (the RFC 7638 thumbprint of its public half).
pub struct SigningKey {
    key: EncodingKey,
    kid: String,
}

impl SigningKey {
    /// The key in `pem` (PKCS#8).
    pub fn from_pem(pem: &[u8]) -> Result<SigningKey, String> {
        let key = EncodingKey::from_ed_pem(pem)
            .map_err(|_| "not an Ed25519 key in PKCS#8 PEM".to_owned())?;
        let kid = public_jwk(&key)?.common.key_id.unwrap_or_default();
        Ok(SigningKey { key, kid })
    }

    /// The key id tokens signed with it carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key set holding this key's public half, as a service checking tokens of an issuer
    /// outside the system reads it from `AUTH_<SCHEME>_JWKS_FILE`.
    pub fn public_key_set(&self) -> Result<serde_json::Value, String> {
        let set = JwkSet {
            keys: vec![public_jwk(&self.key)?],
        };
        serde_json::to_value(&set).map_err(|e| format!("cannot write the key set: {e}"))
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

/// The service's signing key and published keys, loaded by [`install`].
struct Keys {
    current: SigningKey,
    published: JwkSet,
}

static KEYS: OnceLock<Keys> = OnceLock::new();

/// Loads the signing key (`AUTH_SIGNING_KEY_FILE`) and the previous keys
/// (`AUTH_PREVIOUS_KEYS_FILE`, optional). Called once by the generated `run` of a service that
/// serves a scheme's keys; `Err` is one line naming the variable.
pub fn install() -> Result<(), String> {
    let path = std::env::var("AUTH_SIGNING_KEY_FILE")
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or("AUTH_SIGNING_KEY_FILE must name the Ed25519 signing key (PKCS#8 PEM) of this issuer; `svcgen key --signing` makes one")?;
    let pem = std::fs::read(&path)
        .map_err(|e| format!("AUTH_SIGNING_KEY_FILE: cannot read {path}: {e}"))?;
    let current =
        SigningKey::from_pem(&pem).map_err(|e| format!("AUTH_SIGNING_KEY_FILE: {path}: {e}"))?;
    let mut published = JwkSet {
        keys: vec![public_jwk(&current.key)?],
    };
    if let Some(previous) = std::env::var("AUTH_PREVIOUS_KEYS_FILE")
        .ok()
        .filter(|p| !p.is_empty())
    {
        let text = std::fs::read_to_string(&previous)
            .map_err(|e| format!("AUTH_PREVIOUS_KEYS_FILE: cannot read {previous}: {e}"))?;
        for block in pem_blocks(&text) {
            let key = EncodingKey::from_ed_pem(block.as_bytes()).map_err(|_| {
                format!(
                    "AUTH_PREVIOUS_KEYS_FILE: {previous} holds a key that is not Ed25519 PKCS#8 PEM"
                )
            })?;
            published.keys.push(public_jwk(&key)?);
        }
    }
    KEYS.set(Keys { current, published })
        .map_err(|_| "the signing key is installed once per process".to_owned())
}

/// The PEM blocks of `text`, each from its `-----BEGIN` line to its `-----END` line.
fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("-----BEGIN") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
        if line.starts_with("-----END")
            && let Some(block) = current.take()
        {
            blocks.push(block);
        }
    }
    blocks
}

/// The public half of `key` as a JWK, with its thumbprint as `kid` and `use: sig`.
fn public_jwk(key: &EncodingKey) -> Result<Jwk, String> {
    let mut jwk = Jwk::from_encoding_key(key, Algorithm::EdDSA)
        .map_err(|e| format!("cannot derive the public key: {e}"))?;
    let kid = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| format!("cannot take the key's thumbprint: {e}"))?;
    jwk.common.key_id = Some(kid);
    jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
    Ok(jwk)
}

fn keys() -> Result<&'static Keys, Error> {
    KEYS.get().ok_or_else(|| {
        tracing::error!("a token was asked for, but no signing key is installed");
        Error::NotConfigured
    })
}

/// A token issued, with when it expires.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The signed token (never log it).
    pub token: String,
    /// When it stops being accepted.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl Tokens {
    /// A token of this scheme for `subject` with `scopes` and the scheme's own `claims` (an
    /// object; its fields sit beside the registered ones), valid for `lifetime`, signed with
    /// the installed key.
    pub fn issue<C: Serialize>(
        &self,
        subject: &str,
        scopes: &[&str],
        claims: &C,
        lifetime: Duration,
    ) -> Result<Issued, Error> {
        self.issue_with(&keys()?.current, subject, scopes, claims, lifetime)
            .map_err(|e| {
                tracing::error!(scheme = self.scheme, "cannot issue a token: {e}");
                Error::Failed
            })
    }

    /// [`Tokens::issue`] with `key` (what `svcgen token` does for trying endpoints).
    pub fn issue_with<C: Serialize>(
        &self,
        key: &SigningKey,
        subject: &str,
        scopes: &[&str],
        claims: &C,
        lifetime: Duration,
    ) -> Result<Issued, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let expires = now + lifetime;
        let mut payload = match serde_json::to_value(claims) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(serde_json::Value::Null) => serde_json::Map::new(),
            _ => return Err("the claims are not an object".to_owned()),
        };
        let jti = random_secret(16).map_err(|_| "no randomness from the system".to_owned())?;
        for (name, value) in [
            ("iss", serde_json::json!(self.issuer)),
            ("aud", serde_json::json!(self.audience)),
            ("sub", serde_json::json!(subject)),
            ("iat", serde_json::json!(now.as_secs())),
            ("nbf", serde_json::json!(now.as_secs())),
            ("exp", serde_json::json!(expires.as_secs())),
            ("jti", serde_json::json!(jti)),
            ("scope", serde_json::json!(scopes.join(" "))),
        ] {
            payload.insert(name.to_owned(), value);
        }
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &payload, &key.key)
            .map_err(|e| format!("cannot sign: {e}"))?;
        let expires_at = chrono::DateTime::from_timestamp(expires.as_secs() as i64, 0)
            .unwrap_or_else(chrono::Utc::now);
        Ok(Issued { token, expires_at })
    }
}

/// The public keys tokens are checked with, as served at `/.well-known/jwks.json`: the current
/// signing key first, then the previous ones.
pub fn published_keys() -> Result<serde_json::Value, Error> {
    serde_json::to_value(&keys()?.published).map_err(|e| {
        tracing::error!("cannot write the key set: {e}");
        Error::Failed
    })
}

/// The answer of `GET /.well-known/jwks.json`, which the generated router of a service that
/// signs tokens routes here.
pub fn serve_keys() -> axum::response::Response {
    use axum::response::IntoResponse;
    match published_keys() {
        Ok(keys) => (
            [(axum::http::header::CACHE_CONTROL, "max-age=300")],
            axum::Json(keys),
        )
            .into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// A new Ed25519 signing key in PKCS#8 PEM (what `AUTH_SIGNING_KEY_FILE` holds).
pub fn new_signing_key() -> Result<String, String> {
    use base64::Engine;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    // RFC 8410: PrivateKeyInfo { version 0, algorithm id-Ed25519, OCTET STRING { seed } }.
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    ))
}

/// `bytes` random bytes as unpadded base64url: refresh tokens, API keys, token ids. `Err` only
/// when the system gives no randomness.
pub fn random_secret(bytes: usize) -> Result<String, Error> {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        tracing::error!("no randomness from the system: {e}");
        Error::NoRandomness
    })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf))
}

/// The argon2id hash of `password` as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`, the
/// OWASP minimum parameters), with a random salt. Slow on purpose: call it off the async
/// threads ([`tokio::task::spawn_blocking`]).
pub fn hash_password(password: &str) -> Result<String, Error> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!("cannot hash a password: {e}");
            Error::Failed
        })
}

/// Whether `password` is the one `hash` (a PHC string from [`hash_password`]) was made from.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_kept_as_argon2id_hashes() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert_ne!(
            hash,
            hash_password("correct horse battery").unwrap(),
            "salted"
        );
    }

    #[test]
    fn a_new_signing_key_is_ed25519_pkcs8() {
        let pem = new_signing_key().unwrap();
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("a key jsonwebtoken reads");
        let jwk = public_jwk(&key).unwrap();
        assert!(jwk.common.key_id.is_some());
        assert_ne!(pem, new_signing_key().unwrap());
        assert_eq!(random_secret(32).unwrap().len(), 43);
    }
}
