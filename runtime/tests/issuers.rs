//! An endpoint taking tokens of two issuers and an API key: a token is taken by whichever of
//! its issuers' schemes can check it, a token none can check is refused, and a bad credential
//! is never ignored in favour of a good one in another header. (One test per process: the
//! schemes are installed once per process.)

use axum::http::HeaderMap;
use std::time::Duration;
use svcgen_runtime::auth::{Jwks, Kind, NoClaims, Requirement, Scheme};
use svcgen_runtime::issuer::{SigningKey, Tokens, new_signing_key};

static SCHEMES: &[Scheme] = &[
    Scheme {
        name: "customer",
        kind: Kind::Jwt {
            issuer: "https://id.example",
            audience: "shop",
            algorithms: &["EdDSA"],
            jwks: Jwks::External,
        },
    },
    Scheme {
        name: "staff",
        kind: Kind::Jwt {
            issuer: "https://staff-id.example",
            audience: "shop",
            algorithms: &["EdDSA"],
            jwks: Jwks::External,
        },
    },
    Scheme {
        name: "machine",
        kind: Kind::ApiKey {
            header: "x-api-key",
        },
    },
];

const REQUIREMENT: Requirement = Requirement {
    schemes: &["customer", "staff", "machine"],
    scopes: &[],
};

const MACHINE_KEY: &str = "svcgen_test_machine_key_0123456789";

/// A signing key of `scheme`'s issuer, its key set written where the scheme reads it.
fn issuer(dir: &std::path::Path, scheme: &str) -> SigningKey {
    let key = SigningKey::from_pem(new_signing_key().unwrap().as_bytes()).unwrap();
    let set = dir.join(format!("{scheme}.jwks.json"));
    std::fs::write(&set, key.public_key_set().unwrap().to_string()).unwrap();
    // SAFETY: the only test of this process, before anything else reads the environment.
    unsafe {
        std::env::set_var(format!("AUTH_{}_JWKS_FILE", scheme.to_uppercase()), &set);
    }
    key
}

fn token(key: &SigningKey, scheme: &'static str, issuer: &'static str) -> String {
    let tokens = Tokens {
        scheme,
        issuer,
        audience: "shop",
    };
    let claims = serde_json::json!({});
    tokens
        .issue_with(key, "someone", &[], &claims, Duration::from_secs(60))
        .unwrap()
        .token
}

async fn check(credentials: &[(&'static str, &str)]) -> Result<&'static str, u16> {
    let mut headers = HeaderMap::new();
    for (name, value) in credentials {
        headers.insert(*name, value.parse().unwrap());
    }
    svcgen_runtime::auth::authenticate::<NoClaims>(&headers, &REQUIREMENT)
        .await
        .map(|caller| caller.scheme)
        .map_err(|refused| refused.status().as_u16())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_is_taken_by_its_own_issuers_scheme() {
    let dir = tempfile_dir();
    let customers = issuer(&dir, "customer");
    let staff = issuer(&dir, "staff");
    let keys = dir.join("machine.keys");
    let line = format!("{} robot\n", svcgen_runtime::auth::key_hash(MACHINE_KEY));
    std::fs::write(&keys, line).unwrap();
    // SAFETY: as above.
    unsafe {
        std::env::set_var("AUTH_MACHINE_KEYS_FILE", &keys);
    }
    svcgen_runtime::auth::install(SCHEMES).expect("installed");

    let bearer = |t: String| format!("Bearer {t}");
    let of_customer = bearer(token(&customers, "customer", "https://id.example"));
    let of_staff = bearer(token(&staff, "staff", "https://staff-id.example"));
    let stranger = SigningKey::from_pem(new_signing_key().unwrap().as_bytes()).unwrap();
    let forged = bearer(token(&stranger, "staff", "https://staff-id.example"));

    assert_eq!(
        check(&[("authorization", &of_customer)]).await,
        Ok("customer")
    );
    // The second issuer's token: the first scheme cannot check it, the second takes it.
    assert_eq!(check(&[("authorization", &of_staff)]).await, Ok("staff"));
    assert_eq!(check(&[("authorization", &forged)]).await, Err(401));
    assert_eq!(check(&[("x-api-key", MACHINE_KEY)]).await, Ok("machine"));
    assert_eq!(
        check(&[("authorization", &of_staff), ("x-api-key", MACHINE_KEY)]).await,
        Ok("staff")
    );
    // A refused token beside a good key: refused.
    assert_eq!(
        check(&[("authorization", &forged), ("x-api-key", MACHINE_KEY)]).await,
        Err(401)
    );
    assert_eq!(
        check(&[
            ("authorization", "Basic cm9ib3Q6eA=="),
            ("x-api-key", MACHINE_KEY)
        ])
        .await,
        Err(401)
    );
    assert_eq!(check(&[]).await, Err(401));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A folder of this test process's own.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("svcgen-issuers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
