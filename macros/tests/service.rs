//! A service expanded by the macro, implemented here, served on loopback and called over HTTP
//! through the macro-expanded client.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod users {
    svcgen_macros::service!("../specs/shop.toml", "users");
}

/// A service with dependencies: its `deps` holds clients for exactly those.
mod orders {
    svcgen_macros::service!("../specs/shop.toml", "orders");
}

use users::runtime::client::{Error, Policy};
use users::server::{Api, Context, CreateUserError, GetUserError};
use users::types::{EmailTaken, NewUser, NotFound, User};

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
        id: users::types::uuid::Uuid,
    ) -> Result<User, GetUserError> {
        // The router hands every handler the request's context.
        let request_id = cx.request_id().unwrap_or_default();
        assert!(!request_id.is_empty(), "the request has an id");
        self.users
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .ok_or_else(|| NotFound::new("no such user").into())
    }
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
    let url = serve().await;
    let client = users::client::Client::new(&url, Policy::default()).unwrap();
    let new = NewUser {
        name: "Ada".into(),
        email: users::types::Email("ada@example.org".into()),
        nickname: None,
    };
    let created = client.create_user(&new).await.unwrap();
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

#[test]
fn dependencies_are_exactly_the_declared_ones() {
    // `orders` declares users and inventory: its Deps has a client for each (it publishes to
    // notification, which it does not call).
    let deps = orders::deps::Deps::from_env().unwrap();
    assert_eq!(deps.users.base_url(), "http://127.0.0.1:8001");
    assert_eq!(deps.inventory.base_url(), "http://127.0.0.1:8002");
    // The events it publishes, and who handles them, as the spec says.
    let plan = orders::store::EVENTS;
    assert_eq!(plan.publishes.len(), 1);
    assert_eq!(plan.publishes[0].kind.wire_type, "order.placed.v1");
    assert_eq!(plan.publishes[0].subscribers[0].url_env, "NOTIFICATION_URL");
}
