//! `svcgen key` and `svcgen token`: credentials for trying a system's endpoints and for
//! configuring its services (API keys and their hashes, signing keys, signed tokens).

use std::path::{Path, PathBuf};
use std::time::Duration;
use svcgen_codegen::model::{SchemeKind, System};
use svcgen_runtime::issuer::{SigningKey, Tokens};

/// The file `svcgen up` keeps the key of a system's internal event routes in.
pub const EVENTS_KEY_FILE: &str = "events.key";

/// The file `svcgen up` keeps a system's development signing key in, in its data folder.
pub const SIGNING_KEY_FILE: &str = "signing-key.pem";

/// What `svcgen key` prints: a new API key and the line that admits it, or a signing key.
pub fn key(subject: &str, scopes: &[String], signing: bool) -> Result<String, String> {
    if signing {
        return svcgen_runtime::issuer::new_signing_key();
    }
    if subject.is_empty() || subject.chars().any(char::is_whitespace) {
        return Err("--subject is one word (who the key is for)".to_owned());
    }
    for scope in scopes {
        svcgen_codegen::resolve::check_scope(scope)?;
    }
    let key = format!(
        "svcgen_{}",
        svcgen_runtime::issuer::random_secret(32).map_err(|e| e.to_string())?
    );
    let mut line = format!("{} {subject}", svcgen_runtime::auth::key_hash(&key));
    for scope in scopes {
        line.push(' ');
        line.push_str(scope);
    }
    Ok(format!("{key}\n{line}\n"))
}

/// What `svcgen key --events` prints: a new key for a system's internal event routes.
pub fn events_key() -> Result<String, String> {
    let key = svcgen_runtime::issuer::random_secret(32).map_err(|e| e.to_string())?;
    Ok(format!("svcgen_events_{key}\n"))
}

/// What `svcgen token` needs to know.
pub struct TokenRequest<'a> {
    /// The scheme the token is for (default: the system's only `jwt` scheme with a `jwks`).
    pub scheme: Option<&'a str>,
    /// The token's `sub`.
    pub subject: &'a str,
    /// Its scopes.
    pub scopes: &'a [String],
    /// Its own claims, `name=value` (a value that is JSON is taken as JSON, else as text).
    pub claims: &'a [String],
    /// The signing key (default: the one `svcgen up` made for the system).
    pub key: Option<&'a Path>,
    /// How long it is valid.
    pub lifetime: Duration,
}

/// The file `svcgen up` keeps the development key standing in for the issuer outside the
/// system of `jwt` scheme `scheme` in, in the data folder.
pub fn stand_in_key_file(scheme: &str) -> String {
    format!("{scheme}-signing-key.pem")
}

/// The file holding the public keys of that stand-in issuer (`AUTH_<SCHEME>_JWKS_FILE`).
pub fn stand_in_jwks_file(scheme: &str) -> String {
    format!("{scheme}.jwks.json")
}

/// A token of one of `system`'s `jwt` schemes, signed with the key its issuer uses under
/// `svcgen up` (in `workspace/data`: the signing key of the system's issuer, or the stand-in
/// for an issuer outside the system) or the one given.
pub fn token(system: &System, workspace: &Path, req: &TokenRequest<'_>) -> Result<String, String> {
    let jwt: Vec<_> = system
        .auth
        .values()
        .filter(|s| matches!(s.kind, SchemeKind::Jwt { .. }))
        .collect();
    let signed: Vec<_> = jwt
        .iter()
        .copied()
        .filter(|s| matches!(s.kind, SchemeKind::Jwt { jwks: Some(_), .. }))
        .collect();
    // The system's own issuer's scheme when there is one, else its only `jwt` scheme.
    let signed = if signed.is_empty() { jwt } else { signed };
    let scheme = match req.scheme {
        Some(name) => system.auth.get(name).ok_or_else(|| {
            format!(
                "the {} system has no auth scheme `{name}` (it has: {})",
                system.name.wire,
                system.auth.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?,
        None => match signed.as_slice() {
            [only] => only,
            [] => {
                return Err(format!(
                    "the {} system has no `jwt` scheme",
                    system.name.wire
                ));
            }
            _ => {
                return Err(
                    "the system signs tokens of several schemes: name one with --scheme".to_owned(),
                );
            }
        },
    };
    let SchemeKind::Jwt {
        issuer,
        audience,
        jwks,
        ..
    } = &scheme.kind
    else {
        return Err(format!(
            "`{}` is an API key scheme: `svcgen key` makes those",
            scheme.name.wire
        ));
    };
    for scope in req.scopes {
        if !scheme.scopes.contains(scope) {
            return Err(format!(
                "scheme `{}` carries no scope `{scope}` (it carries: {})",
                scheme.name.wire,
                scheme.scopes.join(", ")
            ));
        }
    }
    let mut claims = serde_json::Map::new();
    for claim in req.claims {
        let (name, value) = claim
            .split_once('=')
            .ok_or_else(|| format!("--claim `{claim}` is not `name=value`"))?;
        let value = serde_json::from_str(value)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
        claims.insert(name.to_owned(), value);
    }
    let key_path: PathBuf = match req.key {
        Some(path) => path.to_owned(),
        None if jwks.is_some() => workspace.join("data").join(SIGNING_KEY_FILE),
        None => workspace
            .join("data")
            .join(stand_in_key_file(&scheme.name.wire)),
    };
    let pem = std::fs::read(&key_path).map_err(|e| {
        format!(
            "cannot read the signing key {} ({e}); `svcgen up` makes it, or give --key",
            key_path.display()
        )
    })?;
    let key = SigningKey::from_pem(&pem).map_err(|e| format!("{}: {e}", key_path.display()))?;
    // Leaked once per command run: the issuer's names live as long as the process.
    let tokens = Tokens {
        scheme: Box::leak(scheme.name.wire.clone().into_boxed_str()),
        issuer: Box::leak(issuer.clone().into_boxed_str()),
        audience: Box::leak(audience.clone().into_boxed_str()),
    };
    let scopes: Vec<&str> = req.scopes.iter().map(String::as_str).collect();
    let issued = tokens.issue_with(&key, req.subject, &scopes, &claims, req.lifetime)?;
    Ok(format!("{}\n", issued.token))
}

/// What `svcgen up` sets up for a system's auth.
pub struct DevelopmentCredentials {
    /// Variables for the services (`AUTH_SIGNING_KEY_FILE`, `AUTH_<SCHEME>_KEYS_FILE`).
    pub env: Vec<(String, String)>,
    /// What to tell the person (where the keys are, how to get a token).
    pub notes: Vec<String>,
}

/// Makes the development credentials of `system` in its data folder, once: the signing key of
/// its issuer, a stand-in for each issuer outside the system (a signing key and its key set,
/// unless the shell already says where that scheme's keys are) and one API key per `api_key`
/// scheme (holding every scope of the scheme).
pub fn development_credentials(
    system: &System,
    data: &Path,
) -> Result<DevelopmentCredentials, String> {
    let mut env = Vec::new();
    let mut notes = Vec::new();
    if !system.auth.is_empty() && system.services.values().any(|s| s.has_events()) {
        // The services deliver events to each other with a key of the system's own.
        let path = data.join(EVENTS_KEY_FILE);
        if !path.exists() {
            write_secret(&path, &events_key()?)?;
        }
        // `svcgen_runtime::events::EVENTS_KEY_FILE` (the CLI builds the runtime without events).
        env.push(("EVENTS_KEY_FILE".to_owned(), path.display().to_string()));
    }
    if system.has_issuer() {
        let path = data.join(SIGNING_KEY_FILE);
        if !path.exists() {
            write_secret(&path, &svcgen_runtime::issuer::new_signing_key()?)?;
        }
        env.push((
            "AUTH_SIGNING_KEY_FILE".to_owned(),
            path.display().to_string(),
        ));
        notes.push(format!(
            "tokens for trying endpoints: svcgen token {} --subject <who> --scope <scope> ...",
            system.name.wire
        ));
    }
    for scheme in system.auth.values() {
        if let SchemeKind::Jwt {
            jwks: None,
            issuer,
            algorithms,
            ..
        } = &scheme.kind
        {
            let (env_file, env_url) = (
                format!("{}JWKS_FILE", scheme.env_prefix()),
                format!("{}JWKS_URL", scheme.env_prefix()),
            );
            let given = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
            if given(&env_file) || given(&env_url) {
                continue;
            }
            if !algorithms.iter().any(|a| a == "EdDSA") {
                notes.push(format!(
                    "scheme `{}` takes no EdDSA tokens, so no stand-in for {issuer} is made: set {env_url} or {env_file}",
                    scheme.name.wire
                ));
                continue;
            }
            let key_path = data.join(stand_in_key_file(&scheme.name.wire));
            if !key_path.exists() {
                write_secret(&key_path, &svcgen_runtime::issuer::new_signing_key()?)?;
            }
            let pem = std::fs::read(&key_path)
                .map_err(|e| format!("cannot read {}: {e}", key_path.display()))?;
            let key =
                SigningKey::from_pem(&pem).map_err(|e| format!("{}: {e}", key_path.display()))?;
            let set_path = data.join(stand_in_jwks_file(&scheme.name.wire));
            let mut set =
                serde_json::to_string_pretty(&key.public_key_set()?).map_err(|e| e.to_string())?;
            set.push('\n');
            std::fs::write(&set_path, set)
                .map_err(|e| format!("cannot write {}: {e}", set_path.display()))?;
            env.push((env_file, set_path.display().to_string()));
            notes.push(format!(
                "tokens of scheme `{}` (standing in for {issuer}): svcgen token {} --scheme {} --subject <who> --scope <scope> ...",
                scheme.name.wire, system.name.wire, scheme.name.wire
            ));
        }
        if let SchemeKind::ApiKey { header } = &scheme.kind {
            let path = data.join(format!("{}.keys", scheme.name.wire));
            let key_path = data.join(format!("{}.key", scheme.name.wire));
            if !path.exists() || !key_path.exists() {
                let made = key("svcgen-up", &scheme.scopes, false)?;
                let (secret, line) = made.split_once('\n').unwrap_or((&made, ""));
                write_secret(&key_path, &format!("{secret}\n"))?;
                write_secret(
                    &path,
                    &format!(
                        "# API keys of scheme `{}` (hashes; `svcgen key` makes more)\n{line}",
                        scheme.name.wire
                    ),
                )?;
            }
            env.push((
                format!("{}KEYS_FILE", scheme.env_prefix()),
                path.display().to_string(),
            ));
            notes.push(format!(
                "API key of scheme `{}` (header `{header}`): in {}",
                scheme.name.wire,
                key_path.display()
            ));
        }
    }
    Ok(DevelopmentCredentials { env, notes })
}

/// Writes `text` to `path`, readable by its owner only.
fn write_secret(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
