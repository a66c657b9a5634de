//! The staff API key check of the hand-written baselines, written as a careful engineer would
//! by hand: the SHA-256 of the `x-api-key` header compared in constant time with every hash of
//! `AUTH_STAFF_KEYS_FILE` (`<hash in hex> <subject> <scope> ...` per line), the same work the
//! generated services do for the shop's `staff` scheme. Included by path by each baseline.

use axum::http::{HeaderMap, StatusCode};

/// A staff key's hash and its scopes.
pub struct Key {
    /// The SHA-256 of the key.
    pub hash: [u8; 32],
    /// What it may do.
    pub scopes: Vec<String>,
}

/// The keys of `AUTH_STAFF_KEYS_FILE` (none when it is unset).
pub fn read_keys() -> Vec<Key> {
    let Ok(path) = std::env::var("AUTH_STAFF_KEYS_FILE") else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(path).expect("the staff keys file");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let hex = words.next()?;
            let _subject = words.next()?;
            let mut hash = [0u8; 32];
            for (i, byte) in hash.iter_mut().enumerate() {
                *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            Some(Key {
                hash,
                scopes: words.map(str::to_owned).collect(),
            })
        })
        .collect()
}

/// 401 without a known key, 403 when it lacks `scope`.
pub fn authorize(headers: &HeaderMap, keys: &[Key], scope: &str) -> Result<(), StatusCode> {
    use sha2::Digest;
    use subtle::ConstantTimeEq;
    let key = headers.get("x-api-key").ok_or(StatusCode::UNAUTHORIZED)?;
    let hash: [u8; 32] = sha2::Sha256::digest(key.as_bytes()).into();
    let mut found = None;
    for key in keys {
        if bool::from(key.hash.ct_eq(&hash)) {
            found = Some(key);
        }
    }
    let key = found.ok_or(StatusCode::UNAUTHORIZED)?;
    if key.scopes.iter().any(|s| s == scope) {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}
