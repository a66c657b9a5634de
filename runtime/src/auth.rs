//! Who is calling: the auth schemes a spec declares, checked before a handler runs.
//!
//! Two kinds of scheme:
//!
//! - **`jwt`**: a signed token in `Authorization: Bearer`. The signature is checked against the
//!   issuer's public keys (a JWKS), then `iss`, `aud`, `exp` (required), `nbf` (when present)
//!   with [`LEEWAY_SECONDS`] of clock skew, and `sub` (required). Only asymmetric algorithms are
//!   accepted, each token checked with the one algorithm its header names, which must be one of
//!   the scheme's and match the key's own; `alg: none` and a token signed with a public key as
//!   an HMAC secret are refused. Keys come from `AUTH_<SCHEME>_JWKS_FILE`,
//!   `AUTH_<SCHEME>_JWKS_URL`, or the system's service named by `jwks` (its address from the
//!   same variable its clients use, path `/.well-known/jwks.json`). A token naming a key the set
//!   does not have makes the service fetch the set again, at most once per
//!   `AUTH_JWKS_REFRESH_MS` (default 10 000), so keys rotate without a restart. Until the keys
//!   of every scheme are loaded, `/readyz` answers 503 and every token is refused: never an
//!   open door.
//! - **`api_key`**: a key in a header the scheme names, checked against the SHA-256 hashes in
//!   `AUTH_<SCHEME>_KEYS_FILE` (one `<hash> <subject> [<scope> ...]` per line, `#` comments),
//!   compared in constant time. The file is read again when it changes (a thread of the
//!   service's looks once a second, off the requests' path): removing a line revokes a key,
//!   without a restart. `svcgen key` mints a key and prints its line.
//!
//! A request without credentials, or whose credentials fail, is answered 401 with
//! `WWW-Authenticate`; a caller without a required scope, 403. The handler never runs. Tokens
//! and keys are never logged nor echoed in answers.

use crate::problem::Problem;
use crate::validation::Validate;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// Clock skew allowed when checking `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

/// Longest token accepted, in bytes: anything longer is refused before it is parsed.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The path a service of the system serves its public keys at.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// One scheme of the system, as generated from its spec.
#[derive(Debug)]
pub struct Scheme {
    /// The scheme's name (`AUTH_<NAME>_*` variables).
    pub name: &'static str,
    /// How its credentials are presented and checked.
    pub kind: Kind,
}

/// The kinds of [`Scheme`].
#[derive(Debug)]
pub enum Kind {
    /// A signed JWT in `Authorization: Bearer`.
    Jwt {
        /// The required `iss`.
        issuer: &'static str,
        /// The required `aud`.
        audience: &'static str,
        /// The signature algorithms accepted (`EdDSA`, `RS256`, `ES256`, ...).
        algorithms: &'static [&'static str],
        /// Where the keys come from when no `AUTH_<SCHEME>_JWKS_*` variable says.
        jwks: Jwks,
    },
    /// A key in a header.
    ApiKey {
        /// The header (lower case).
        header: &'static str,
    },
}

/// Where a `jwt` scheme's public keys come from by default.
#[derive(Debug)]
pub enum Jwks {
    /// An issuer outside the system: `AUTH_<SCHEME>_JWKS_URL` or `_FILE` must say.
    External,
    /// A service of the system, at `/.well-known/jwks.json`.
    Service {
        /// The variable holding its address (the one its clients read).
        url_env: &'static str,
        /// Its address when the variable is unset.
        default_url: &'static str,
    },
    /// This service: it signs the tokens (feature `issuer`), so it checks them with its own
    /// keys, installed before.
    Own,
}

/// Who may call one endpoint: a caller proven by one of `schemes`, holding all of `scopes`.
#[derive(Debug)]
pub struct Requirement {
    /// The schemes accepted, in order.
    pub schemes: &'static [&'static str],
    /// The scopes required.
    pub scopes: &'static [&'static str],
}

/// The verified caller of a request, handed to handlers of endpoints that need one.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller<C = NoClaims> {
    /// Who: the token's `sub`, or the subject an API key was issued to.
    pub subject: String,
    /// The scheme that proved it.
    pub scheme: &'static str,
    /// The scopes the credentials carry (a token's `scope`, space separated, or `scp`).
    pub scopes: Vec<String>,
    /// The token's own claims, typed as the spec declares them.
    pub claims: C,
}

impl<C> Caller<C> {
    /// Whether the caller holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The claims of a caller whose scheme declares none.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NoClaims {}

impl Validate for NoClaims {
    fn validate_at(
        &self,
        _: &mut crate::validation::Path,
        _: &mut Vec<crate::validation::Violation>,
    ) {
    }
}

/// The schemes of this process, loaded by [`install`].
static INSTALLED: OnceLock<Vec<Loaded>> = OnceLock::new();

enum Loaded {
    Jwt(Arc<JwtScheme>),
    ApiKey(KeyFile),
}

impl Loaded {
    fn name(&self) -> &'static str {
        match self {
            Loaded::Jwt(j) => j.name,
            Loaded::ApiKey(k) => k.name,
        }
    }
}

/// The header a scheme's credentials come in.
fn header_of(scheme: &Loaded) -> &str {
    match scheme {
        Loaded::Jwt(_) => "authorization",
        Loaded::ApiKey(file) => file.header.as_str(),
    }
}

/// Loads `schemes` from the environment: key files are read now, key sets fetched in the
/// background (retried until they come). `Err` names the variable that is missing or wrong.
/// Called once by the generated `run`, before serving.
pub fn install(schemes: &'static [Scheme]) -> Result<(), String> {
    let mut loaded = Vec::new();
    for scheme in schemes {
        let prefix = format!("AUTH_{}_", scheme.name.to_ascii_uppercase());
        let var = |suffix: &str| {
            std::env::var(format!("{prefix}{suffix}"))
                .ok()
                .filter(|v| !v.is_empty())
        };
        match &scheme.kind {
            Kind::Jwt {
                issuer,
                audience,
                algorithms,
                jwks,
            } => {
                let source = if let Some(file) = var("JWKS_FILE") {
                    Source::File(PathBuf::from(file))
                } else if let Some(url) = var("JWKS_URL") {
                    Source::Url(url)
                } else {
                    match jwks {
                        Jwks::Service {
                            url_env,
                            default_url,
                        } => {
                            let base = std::env::var(url_env)
                                .ok()
                                .filter(|v| !v.is_empty())
                                .unwrap_or_else(|| (*default_url).to_owned());
                            Source::Url(format!("{}{JWKS_PATH}", base.trim_end_matches('/')))
                        }
                        Jwks::Own => Source::Own,
                        Jwks::External => {
                            return Err(format!(
                                "auth scheme `{}`: set {prefix}JWKS_URL or {prefix}JWKS_FILE to the issuer's public keys",
                                scheme.name
                            ));
                        }
                    }
                };
                let algorithms = algorithms
                    .iter()
                    .map(|a| {
                        Algorithm::from_str(a).map_err(|_| {
                            format!("auth scheme `{}`: unknown algorithm `{a}`", scheme.name)
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // One set of rules per accepted algorithm, made once: a token is checked with the
                // one its header names.
                let algorithms = algorithms
                    .into_iter()
                    .map(|alg| {
                        let mut rules = Validation::new(alg);
                        rules.leeway = LEEWAY_SECONDS;
                        rules.validate_nbf = true;
                        rules.set_issuer(&[*issuer]);
                        rules.set_audience(&[*audience]);
                        rules.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
                        (alg, rules)
                    })
                    .collect();
                let jwt = Arc::new(JwtScheme {
                    name: scheme.name,
                    algorithms,
                    source,
                    keys: RwLock::new(Arc::new(Keys::default())),
                    loaded: AtomicBool::new(false),
                    refresh: tokio::sync::Mutex::new(None),
                    min_refresh: refresh_interval()?,
                });
                match jwt.source {
                    Source::File(_) | Source::Own => jwt.load_now()?,
                    Source::Url(_) => {
                        tokio::spawn(fetch_until_loaded(jwt.clone()));
                    }
                }
                loaded.push(Loaded::Jwt(jwt));
            }
            Kind::ApiKey { header } => {
                let path = var("KEYS_FILE").map(PathBuf::from);
                if path.is_none() {
                    tracing::warn!(
                        scheme = scheme.name,
                        "{prefix}KEYS_FILE is not set: no API key of this scheme is accepted"
                    );
                }
                // Parsed once: a lookup by a `&str` would parse the name on every request.
                let header = header::HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
                    format!(
                        "`{header}` of scheme `{}` is not a header name",
                        scheme.name
                    )
                })?;
                let file = KeyFile {
                    name: scheme.name,
                    header,
                    path,
                    state: RwLock::new(KeyFileState::default()),
                };
                file.reload(true)?;
                loaded.push(Loaded::ApiKey(file));
            }
        }
    }
    INSTALLED
        .set(loaded)
        .map_err(|_| "auth schemes are installed once per process".to_owned())?;
    watch_key_files();
    Ok(())
}

/// Starts the thread that reads the installed API key files again when they change, once a
/// second, so that no request pays for looking (none when no scheme has a file).
fn watch_key_files() {
    let files: Vec<&'static KeyFile> = INSTALLED
        .get()
        .into_iter()
        .flatten()
        .filter_map(|scheme| match scheme {
            Loaded::ApiKey(file) if file.path.is_some() => Some(file),
            _ => None,
        })
        .collect();
    if files.is_empty() {
        return;
    }
    let watcher = std::thread::Builder::new()
        .name("svcgen-api-keys".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                for file in &files {
                    if let Err(e) = file.reload(false) {
                        tracing::warn!(
                            scheme = file.name,
                            "{e}; the keys read before stay in force"
                        );
                    }
                }
            }
        });
    if let Err(e) = watcher {
        tracing::warn!("cannot watch the API key files ({e}): changes need a restart");
    }
}

/// `Ok` when the keys of every scheme are loaded (for `/readyz`); `Ok` too when this process
/// has no schemes.
pub fn ready() -> Result<(), String> {
    for scheme in INSTALLED.get().into_iter().flatten() {
        if let Loaded::Jwt(j) = scheme
            && !j.loaded.load(Ordering::Acquire)
        {
            return Err(format!(
                "the public keys of auth scheme `{}` are not loaded yet",
                j.name
            ));
        }
    }
    Ok(())
}

fn refresh_interval() -> Result<Duration, String> {
    match std::env::var("AUTH_JWKS_REFRESH_MS") {
        Err(_) => Ok(Duration::from_secs(10)),
        Ok(v) => v.parse::<u64>().map(Duration::from_millis).map_err(|_| {
            format!("AUTH_JWKS_REFRESH_MS must be a number of milliseconds (got `{v}`)")
        }),
    }
}

/// Where a `jwt` scheme's keys come from.
enum Source {
    File(PathBuf),
    Url(String),
    /// The keys this process signs with.
    Own,
}

/// A key of a set, with the algorithm it says it is for.
type KeyOf = (Arc<DecodingKey>, Option<Algorithm>);

/// The keys of a set: by `kid`, and those without one.
#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, KeyOf>,
    without_kid: Vec<KeyOf>,
}

impl Keys {
    fn parse(text: &str) -> Result<Keys, String> {
        let set: JwkSet = serde_json::from_str(text).map_err(|e| format!("not a JWK set: {e}"))?;
        let mut keys = Keys::default();
        for jwk in &set.keys {
            // Keys of kinds this crate cannot verify with (an HMAC secret) are skipped.
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            if matches!(key.family(), jsonwebtoken::AlgorithmFamily::Hmac) {
                continue;
            }
            let alg = jwk
                .common
                .key_algorithm
                .and_then(|a| Algorithm::from_str(&a.to_string()).ok());
            match &jwk.common.key_id {
                Some(kid) => {
                    keys.by_kid.insert(kid.clone(), (Arc::new(key), alg));
                }
                None => keys.without_kid.push((Arc::new(key), alg)),
            }
        }
        Ok(keys)
    }
}

/// The claims every token is read for: who, and which scopes (`scope`, space separated, or
/// `scp`, a list).
#[derive(serde::Deserialize)]
struct Registered {
    sub: String,
    scope: Option<String>,
    scp: Option<Vec<String>>,
}

struct JwtScheme {
    name: &'static str,
    /// The accepted algorithms, each with the rules a token signed with it is checked by.
    algorithms: Vec<(Algorithm, Validation)>,
    source: Source,
    keys: RwLock<Arc<Keys>>,
    loaded: AtomicBool,
    /// Held while the set is fetched again; when it last was.
    refresh: tokio::sync::Mutex<Option<Instant>>,
    min_refresh: Duration,
}

impl JwtScheme {
    /// Loads the keys of a file or of this process's issuer.
    fn load_now(&self) -> Result<(), String> {
        if let Source::Own = self.source {
            #[cfg(feature = "issuer")]
            {
                let keys = crate::issuer::published_keys().map_err(|_| {
                    format!(
                        "auth scheme `{}`: the signing key is not installed",
                        self.name
                    )
                })?;
                self.set(Keys::parse(&keys.to_string())?);
                return Ok(());
            }
            #[cfg(not(feature = "issuer"))]
            return Err(format!(
                "auth scheme `{}`: this service signs its tokens, which needs the runtime's `issuer` feature",
                self.name
            ));
        }
        let Source::File(path) = &self.source else {
            return Ok(());
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "auth scheme `{}`: cannot read the key set {}: {e}",
                self.name,
                path.display()
            )
        })?;
        let keys = Keys::parse(&text)
            .map_err(|e| format!("auth scheme `{}`: {}: {e}", self.name, path.display()))?;
        self.set(keys);
        Ok(())
    }

    async fn fetch(&self) -> Result<(), String> {
        let Source::Url(url) = &self.source else {
            return self.load_now();
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        let answer = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !answer.status().is_success() {
            return Err(format!("{url}: answered {}", answer.status()));
        }
        let text = answer.text().await.map_err(|e| format!("{url}: {e}"))?;
        self.set(Keys::parse(&text).map_err(|e| format!("{url}: {e}"))?);
        Ok(())
    }

    fn set(&self, keys: Keys) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        self.loaded.store(true, Ordering::Release);
    }

    fn keys(&self) -> Arc<Keys> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Fetches the set again for a key it does not have, unless it was fetched less than
    /// `min_refresh` ago; requests asking together share one fetch.
    async fn refresh_for_unknown_key(&self) {
        let mut last = self.refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_refresh) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(e) = self.fetch().await {
            tracing::warn!(scheme = self.name, "could not fetch the key set again: {e}");
        }
    }

    async fn verify<C: DeserializeOwned + Validate>(
        &self,
        token: &str,
    ) -> Result<Caller<C>, &'static str> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err("the token is too large");
        }
        if !self.loaded.load(Ordering::Acquire) {
            return Err("the issuer's keys are not loaded yet");
        }
        let head = jsonwebtoken::decode_header(token).map_err(|_| "the token is malformed")?;
        let Some((_, rules)) = self.algorithms.iter().find(|(a, _)| *a == head.alg) else {
            return Err("the token's algorithm is not accepted");
        };
        let mut found = self.find(&self.keys(), head.kid.as_deref());
        if found.is_none() && head.kid.is_some() {
            self.refresh_for_unknown_key().await;
            found = self.find(&self.keys(), head.kid.as_deref());
        }
        let (key, key_alg) = found.ok_or("the token's key is unknown")?;
        if key_alg.is_some_and(|a| a != head.alg) || key.family() != head.alg.family() {
            return Err("the token's algorithm does not match its key");
        }
        // The payload kept as text: the registered claims and the scheme's own are each read
        // from it into their types, with no map of values in between.
        let data =
            jsonwebtoken::decode::<Box<serde_json::value::RawValue>>(token.as_bytes(), &key, rules)
                .map_err(|e| {
                    use jsonwebtoken::errors::ErrorKind;
                    match e.kind() {
                        ErrorKind::ExpiredSignature => "the token has expired",
                        ErrorKind::ImmatureSignature => "the token is not valid yet",
                        ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                        ErrorKind::InvalidAudience => "the token is not meant for this system",
                        ErrorKind::InvalidSignature => "the token's signature is invalid",
                        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                        _ => "the token is invalid",
                    }
                })?;
        let payload = data.claims.get();
        let registered: Registered = serde_json::from_str(payload)
            .map_err(|_| "the token's subject or scopes are malformed")?;
        if registered.sub.is_empty() {
            return Err("the token's subject is empty");
        }
        let scopes = match (registered.scope, registered.scp) {
            (Some(s), _) => s
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            (None, Some(items)) => items,
            (None, None) => Vec::new(),
        };
        let subject = registered.sub;
        let claims = serde_json::from_str::<C>(payload)
            .ok()
            .filter(|c| c.validate().is_ok())
            .ok_or("the token's claims are not as declared")?;
        Ok(Caller {
            subject,
            scheme: self.name,
            scopes,
            claims,
        })
    }

    fn find(&self, keys: &Keys, kid: Option<&str>) -> Option<KeyOf> {
        match kid {
            Some(kid) => keys.by_kid.get(kid).cloned(),
            // A token naming no key is checked with the set's only key, if it has just one.
            None => match (keys.by_kid.len(), keys.without_kid.as_slice()) {
                (0, [only]) => Some(only.clone()),
                (1, []) => keys.by_kid.values().next().cloned(),
                _ => None,
            },
        }
    }
}

/// Fetches a scheme's key set until it comes (every second at first, backing off to 30 s),
/// then again every hour.
async fn fetch_until_loaded(scheme: Arc<JwtScheme>) {
    let mut wait = Duration::from_secs(1);
    loop {
        match scheme.fetch().await {
            Ok(()) => {
                tracing::info!(scheme = scheme.name, "public keys loaded");
                tokio::time::sleep(Duration::from_secs(3600)).await;
                wait = Duration::from_secs(1);
            }
            Err(e) => {
                tracing::warn!(scheme = scheme.name, "public keys not loaded yet: {e}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// An `api_key` scheme's file of key hashes.
struct KeyFile {
    name: &'static str,
    header: header::HeaderName,
    path: Option<PathBuf>,
    state: RwLock<KeyFileState>,
}

#[derive(Default)]
struct KeyFileState {
    modified: Option<SystemTime>,
    keys: Arc<Vec<IssuedKey>>,
}

struct IssuedKey {
    hash: [u8; 32],
    subject: String,
    scopes: Vec<String>,
}

impl KeyFile {
    /// Reads the file again if it changed (or `force`); at start a file that cannot be read is
    /// an error, later it keeps the keys it had and logs why.
    fn reload(&self, force: bool) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if !force
            && modified.is_some()
            && modified
                == self
                    .state
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .modified
        {
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "auth scheme `{}`: cannot read {}: {e}",
                self.name,
                path.display()
            )
        })?;
        let mut keys = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let hash = words.next().and_then(parse_hash);
            let subject = words.next();
            let (Some(hash), Some(subject)) = (hash, subject) else {
                tracing::warn!(
                    scheme = self.name,
                    "{} line {}: expected `<sha-256 in hex> <subject> [<scope> ...]`; skipped",
                    path.display(),
                    number + 1
                );
                continue;
            };
            keys.push(IssuedKey {
                hash,
                subject: subject.to_owned(),
                scopes: words.map(str::to_owned).collect(),
            });
        }
        tracing::info!(scheme = self.name, keys = keys.len(), "API keys loaded");
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = KeyFileState {
            modified,
            keys: Arc::new(keys),
        };
        Ok(())
    }

    fn verify<C: DeserializeOwned + Validate>(
        &self,
        key: &[u8],
    ) -> Result<Caller<C>, &'static str> {
        use sha2::Digest;
        use subtle::ConstantTimeEq;
        if key.len() > MAX_TOKEN_BYTES {
            return Err("the API key is too large");
        }
        let hash: [u8; 32] = sha2::Sha256::digest(key).into();
        let keys = self
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys
            .clone();
        // Every issued key is compared, whether or not one matched before.
        let mut found = None;
        for (i, issued) in keys.iter().enumerate() {
            if bool::from(issued.hash.ct_eq(&hash)) {
                found = Some(i);
            }
        }
        let issued = &keys[found.ok_or("the API key is not valid")?];
        // The claims of no claims: an empty map (no `Value` built for it).
        let empty = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(
            std::iter::empty::<(&str, &str)>(),
        );
        let claims = C::deserialize(empty).map_err(|_| "API keys carry no claims")?;
        Ok(Caller {
            subject: issued.subject.clone(),
            scheme: self.name,
            scopes: issued.scopes.clone(),
            claims,
        })
    }
}

/// A SHA-256 hash written in hex (64 digits).
fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let text = text.strip_prefix("sha256:").unwrap_or(text);
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The SHA-256 hash of `key` in hex: the form an API key is kept in (`AUTH_<SCHEME>_KEYS_FILE`).
pub fn key_hash(key: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The caller of a request needing `requirement`, or the answer refusing it (401 or 403, or
/// 503 when [`install`] was never called: an endpoint is never open by mistake).
pub async fn authenticate<C: DeserializeOwned + Validate>(
    headers: &HeaderMap,
    requirement: &Requirement,
) -> Result<Caller<C>, Response> {
    let Some(installed) = INSTALLED.get() else {
        tracing::error!("an endpoint needs a caller, but no auth scheme is installed");
        return Err(Problem::new(503, "Service unavailable")
            .with_detail("authentication is not configured")
            .into_response());
    };
    let accepted = || {
        requirement
            .schemes
            .iter()
            .filter_map(|name| installed.iter().find(|s| s.name() == *name))
    };
    // The first credential presented decides, unless another accepted scheme reads the same
    // header (the tokens of two issuers both come as `Authorization: Bearer`): each of those
    // is tried, and the credential is refused only if none takes it. A scheme reading another
    // header is not asked once a credential was refused: a bad credential is never ignored in
    // favour of a good one beside it.
    let mut refused: Option<(&Loaded, &'static str)> = None;
    for scheme in accepted() {
        if refused
            .is_some_and(|(first, _)| !header_of(first).eq_ignore_ascii_case(header_of(scheme)))
        {
            continue;
        }
        let verdict = match scheme {
            // An `Authorization` header that is there but no bearer token is a credential
            // that fails, never one that is ignored in favour of another.
            Loaded::Jwt(jwt) => match headers.get(header::AUTHORIZATION) {
                None => continue,
                Some(value) => match bearer(value) {
                    Some(token) => jwt.verify::<C>(token).await,
                    None => Err("the Authorization header is not `Bearer <token>`"),
                },
            },
            Loaded::ApiKey(file) => match headers.get(&file.header) {
                Some(key) => file.verify::<C>(key.as_bytes()),
                None => continue,
            },
        };
        let caller = match verdict {
            Ok(caller) => caller,
            Err(why) => {
                refused.get_or_insert((scheme, why));
                continue;
            }
        };
        return match requirement.scopes.iter().find(|s| !caller.has_scope(s)) {
            None => Ok(caller),
            Some(missing) => {
                tracing::info!(
                    scheme = caller.scheme,
                    scope = missing,
                    "refused: a required scope is missing"
                );
                Err(refusal(
                    403,
                    "Forbidden",
                    format!("the caller lacks the scope `{missing}`"),
                    &[challenge(
                        scheme,
                        Some(("insufficient_scope", requirement.scopes)),
                    )],
                ))
            }
        };
    }
    if let Some((scheme, why)) = refused {
        tracing::info!(scheme = scheme.name(), "refused: {why}");
        return Err(refusal(
            401,
            "Unauthorized",
            why.to_owned(),
            &[challenge(scheme, Some(("invalid_token", &[])))],
        ));
    }
    tracing::info!("refused: no credentials");
    let challenges: Vec<String> = accepted().map(|s| challenge(s, None)).collect();
    Err(refusal(
        401,
        "Unauthorized",
        "this endpoint needs credentials".to_owned(),
        &challenges,
    ))
}

/// The credential `caller` proved itself with in `headers` (its scheme's header), to forward
/// to dependencies called on its behalf.
pub fn credential_of<C>(
    headers: &HeaderMap,
    caller: &Caller<C>,
) -> Option<crate::context::Credential> {
    let installed = INSTALLED.get()?;
    let name = match installed.iter().find(|s| s.name() == caller.scheme)? {
        Loaded::Jwt(_) => header::AUTHORIZATION,
        Loaded::ApiKey(k) => k.header.clone(),
    };
    let value = headers.get(&name)?.clone();
    Some(crate::context::Credential::new(name, value))
}

/// Who `caller` is, as the events published on its behalf record it: the subject of a token
/// (`app_user`) or of an API key (`api_key`).
pub fn actor_of<C>(caller: &Caller<C>) -> crate::context::Actor {
    let by_key = INSTALLED
        .get()
        .into_iter()
        .flatten()
        .any(|s| matches!(s, Loaded::ApiKey(_)) && s.name() == caller.scheme);
    crate::context::Actor {
        auth_type: if by_key { "api_key" } else { "app_user" }.to_owned(),
        id: Some(caller.subject.clone()),
    }
}

/// The token of an `Authorization: Bearer <token>` value (the scheme's name in any case).
fn bearer(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A `WWW-Authenticate` challenge for `scheme`, with an RFC 6750 error and its scopes.
fn challenge(scheme: &Loaded, error: Option<(&str, &[&str])>) -> String {
    let mut text = match scheme {
        Loaded::Jwt(j) => format!("Bearer realm=\"{}\"", j.name),
        Loaded::ApiKey(k) => format!("ApiKey realm=\"{}\", header=\"{}\"", k.name, k.header),
    };
    if let Some((error, scopes)) = error {
        text.push_str(&format!(", error=\"{error}\""));
        if !scopes.is_empty() {
            text.push_str(&format!(", scope=\"{}\"", scopes.join(" ")));
        }
    }
    text
}

fn refusal(status: u16, title: &str, detail: String, challenges: &[String]) -> Response {
    let mut answer = Problem::new(status, title)
        .with_detail(detail)
        .into_response();
    for c in challenges {
        if let Ok(value) = HeaderValue::from_str(c) {
            answer.headers_mut().append(header::WWW_AUTHENTICATE, value);
        }
    }
    answer
}
