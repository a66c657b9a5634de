//! Cross-origin requests from browsers (CORS), as a gateway's spec declares them
//! (`[gateway.cors]`): which origins' pages may call it. The methods and request headers
//! allowed are those its public routes take (derived by the generator, not declared); answers
//! expose the headers a client needs (`x-request-id`, `www-authenticate`, `retry-after`,
//! `location`).
//!
//! No cookies are involved (callers prove themselves with a bearer token or an API key in a
//! header), so `Access-Control-Allow-Credentials` is never sent and `*` may stand for any
//! origin. `CORS_ORIGINS` (origins separated by commas) replaces the spec's list for one
//! deployment: a staging front end, or a test's page.

use axum::http::{HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The variable replacing the spec's origins.
pub const CORS_ORIGINS: &str = "CORS_ORIGINS";

/// The response headers a page may read.
const EXPOSED: [HeaderName; 4] = [
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("www-authenticate"),
    HeaderName::from_static("retry-after"),
    HeaderName::from_static("location"),
];

/// What pages of other origins may do, as generated from the spec.
#[derive(Debug)]
pub struct Cors {
    /// The origins allowed (`https://portal.example.org`), or `["*"]` for any.
    pub origins: &'static [&'static str],
    /// The methods of the public routes.
    pub methods: &'static [&'static str],
    /// The request headers the public routes take (lower case).
    pub headers: &'static [&'static str],
    /// How long a browser may keep a preflight's answer.
    pub max_age: Duration,
}

impl Cors {
    /// The layer answering preflights and marking the answers to allowed origins, with the
    /// origins of `CORS_ORIGINS` when it is set. `Err` names an origin that is not one.
    pub fn layer(&self) -> Result<CorsLayer, String> {
        let from_env = std::env::var(CORS_ORIGINS)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let origins: Vec<&str> = match &from_env {
            Some(list) => list.split(',').map(str::trim).collect(),
            None => self.origins.to_vec(),
        };
        let allow_origin = if origins == ["*"] {
            AllowOrigin::any()
        } else {
            let mut values = Vec::with_capacity(origins.len());
            for origin in origins {
                if !is_origin(origin) {
                    return Err(format!(
                        "`{}` in {CORS_ORIGINS} is not an origin such as `https://portal.example.org` (or `*` alone)",
                        origin.escape_debug()
                    ));
                }
                values.push(HeaderValue::from_str(origin).map_err(|e| e.to_string())?);
            }
            AllowOrigin::list(values)
        };
        let methods = self
            .methods
            .iter()
            .map(|m| Method::from_bytes(m.as_bytes()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let headers = self
            .headers
            .iter()
            .map(|h| HeaderName::from_bytes(h.as_bytes()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods(methods)
            .allow_headers(headers)
            .expose_headers(EXPOSED)
            .max_age(self.max_age))
    }
}

/// Whether `text` is an origin as a browser sends it: `http` or `https`, a lower-case host
/// (a name, an IPv4 address or a bracketed IPv6 one) and an optional port; no path, no
/// trailing `/`.
pub fn is_origin(text: &str) -> bool {
    static ORIGIN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = ORIGIN.get_or_init(|| {
        regex::Regex::new(
            r"^https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$",
        )
        .expect("a valid pattern")
    });
    pattern.captures(text).is_some_and(|c| {
        c.get(1)
            .is_none_or(|port| port.as_str().parse::<u16>().is_ok_and(|p| p > 0))
    })
}

#[cfg(test)]
mod tests {
    use super::is_origin;

    #[test]
    fn origins_are_recognised_as_browsers_send_them() {
        for good in [
            "https://portal.example.org",
            "http://localhost:5173",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
            "https://a-b.example",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "portal.example.org",
            "https://portal.example.org/",
            "https://portal.example.org/app",
            "https://Portal.example.org",
            "ftp://example.org",
            "https://",
            "https://example.org:",
            "https://example.org:0",
            "https://example.org:99999",
            "https://exa mple.org",
            "https://[]:80",
            "*",
            "https://example.org\"; x",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
