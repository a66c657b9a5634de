//! A service expanded by the macro, implemented here, served on loopback and called over HTTP
//! through the macro-expanded client, with the spec's auth enforced as in a generated crate.
//! (One test in this process: it sets the auth variables before anything else runs.)

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod users {
    svcgen_macros::service!("../specs/shop.toml", "users");
}

use users::runtime::client::{Error, Policy};
use users::server::{Api, Caller, Context, CreateUserError, GetUserError};
use users::types::{EmailTaken, Forbidden, NewUser, NotFound, User};

#[derive(Default)]
struct Users {
    users: Mutex<HashMap<users::types::uuid::Uuid, User>>,
}

impl Api for Users {
    async fn create_user(&self, _cx: Context, body: NewUser) -> Result<User, CreateUserError> {
        let mut users = self.users.lock().unwrap();
        if users.values().any(|u| u.email == body.email) {
            return Err(EmailTaken::new("taken").into());
        }
        let user = User {
            id: users::types::uuid::Uuid::new_v4(),
            name: body.name,
            email: body.email,
            nickname: body.nickname,
            created_at: users::types::chrono::Utc::now(),
        };
        users.insert(user.id, user.clone());
        Ok(user)
    }

    async fn get_user(
        &self,
        cx: Context,
        caller: Caller,
        id: users::types::uuid::Uuid,
    ) -> Result<User, GetUserError> {
        // The router hands every handler the request's context, and this one its verified
        // caller.
        let request_id = cx.request_id().unwrap_or_default();
        assert!(!request_id.is_empty(), "the request has an id");
        if caller.scheme == "customer" && caller.subject != id.to_string() {
            return Err(Forbidden::new("not yours").into());
        }
        self.users
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .ok_or_else(|| NotFound::new("no such user").into())
    }
}

/// The shop's schemes, installed as a deployment would: a staff API key's hash in
/// `AUTH_STAFF_KEYS_FILE`, the customers' issuer's key set in `AUTH_CUSTOMER_JWKS_FILE`.
/// Returns the staff key and the issuer's signing key.
fn install_auth(dir: &std::path::Path) -> (String, svcgen_runtime::issuer::SigningKey) {
    let staff = "svcgen_macro_test_staff_key";
    let keys = dir.join("staff.keys");
    let hash = svcgen_runtime::auth::key_hash(staff);
    std::fs::write(&keys, format!("{hash} support customers:read\n")).unwrap();
    let pem = svcgen_runtime::issuer::new_signing_key().unwrap();
    let signing = svcgen_runtime::issuer::SigningKey::from_pem(pem.as_bytes()).unwrap();
    let jwks = dir.join("customer.jwks.json");
    std::fs::write(&jwks, signing.public_key_set().unwrap().to_string()).unwrap();
    // SAFETY: the only test of this process, before it starts anything that reads the
    // environment.
    unsafe {
        std::env::set_var("AUTH_STAFF_KEYS_FILE", &keys);
        std::env::set_var("AUTH_CUSTOMER_JWKS_FILE", &jwks);
    }
    users::runtime::auth::install(users::server::AUTH_SCHEMES).unwrap();
    (staff.to_owned(), signing)
}

/// A customer's token for `subject`, as the shop's identity provider signs it.
fn customer_token(key: &svcgen_runtime::issuer::SigningKey, subject: &str) -> String {
    let tokens = svcgen_runtime::issuer::Tokens {
        scheme: "customer",
        issuer: "https://id.shop.example",
        audience: "shop",
    };
    let claims = serde_json::json!({});
    tokens
        .issue_with(
            key,
            subject,
            &["customers:read"],
            &claims,
            Duration::from_secs(60),
        )
        .unwrap()
        .token
}

async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let settings = users::runtime::server::Settings {
        service: users::api::SERVICE,
        default_port: users::api::DEFAULT_PORT,
        request_timeout: Duration::from_secs(5),
    };
    let app = users::runtime::server::App::new(
        users::server::router(Arc::new(Users::default())),
        &settings,
        Arc::new(AtomicBool::new(true)),
        None,
    );
    let limits = users::runtime::connections::Limits::from_env().unwrap();
    tokio::spawn(users::runtime::connections::serve(
        listener,
        app,
        limits,
        std::future::pending(),
    ));
    url
}

#[tokio::test]
async fn the_expanded_service_answers_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (staff, signing) = install_auth(dir.path());
    let url = serve().await;
    // Registering is public; reading a customer takes a credential.
    let client = users::client::Client::new(&url, Policy::default()).unwrap();
    let new = NewUser {
        name: "Ada".into(),
        email: users::types::Email("ada@example.org".into()),
        nickname: None,
    };
    let created = client.create_user(&new).await.unwrap();
    match client.get_user(&created.id).await.unwrap_err() {
        Error::Problem { problem, .. } => assert_eq!(problem.status, 401),
        other => panic!("expected a 401 problem, got {other:?}"),
    }
    let ada = client
        .clone()
        .with_bearer_token(&customer_token(&signing, &created.id.to_string()))
        .unwrap();
    assert_eq!(ada.get_user(&created.id).await.unwrap(), created);
    let someone_else = client
        .clone()
        .with_bearer_token(&customer_token(&signing, "someone-else"))
        .unwrap();
    let refused = someone_else.get_user(&created.id).await.unwrap_err();
    assert!(
        matches!(
            refused,
            Error::Api(users::client::GetUserError::Forbidden(_))
        ),
        "{refused:?}"
    );
    let client = client.with_api_key(&staff).unwrap();
    assert_eq!(client.get_user(&created.id).await.unwrap(), created);

    let taken = client.create_user(&new).await.unwrap_err();
    assert!(
        matches!(
            taken,
            Error::Api(users::client::CreateUserError::EmailTaken(_))
        ),
        "{taken:?}"
    );
    let missing = client
        .get_user(&users::types::uuid::Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(
        matches!(
            missing,
            Error::Api(users::client::GetUserError::NotFound(_))
        ),
        "{missing:?}"
    );

    // Validation happens before the handler, exactly as in the generated crates.
    let bad = NewUser {
        name: String::new(),
        email: users::types::Email("nope".into()),
        nickname: None,
    };
    match client.create_user(&bad).await.unwrap_err() {
        Error::Problem { problem, .. } => {
            assert_eq!(problem.status, 422);
            let pointers: Vec<&str> = problem.errors.iter().map(|e| e.pointer.as_str()).collect();
            assert_eq!(pointers, ["/name", "/email"]);
        }
        other => panic!("expected a 422 problem, got {other:?}"),
    }

    // The OpenAPI document is embedded and served.
    let body = reqwest::get(format!("{url}/openapi.json"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/users/{id}"]["get"].is_object());
}
