//! The `users` service of the shop, written by hand with axum the way a careful engineer would
//! without a generator: the baselines of `bench/throughput.sh` and the instruction counts. Same
//! wire format, same in-memory store, same 404 for an unknown id. Reading a user takes a staff
//! API key with `customers:read`, as in the shop (`bench/shared/staff_keys.rs`). Two binaries
//! serve it: `bench-handwritten` with no middleware (bare axum), `bench-handwritten-tower` with
//! the stack a careful team adds from tower-http.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use staff_keys::{Key, authorize, read_keys};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[path = "../../shared/staff_keys.rs"]
mod staff_keys;

#[derive(Clone, Serialize)]
struct User {
    id: Uuid,
    name: String,
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    email: String,
    nickname: Option<String>,
}

/// The users, and the staff keys.
#[derive(Clone, Default)]
struct Store {
    users: Arc<Mutex<HashMap<Uuid, User>>>,
    keys: Arc<Vec<Key>>,
}

async fn create_user(
    State(store): State<Store>,
    Json(body): Json<NewUser>,
) -> (StatusCode, Json<User>) {
    let user = User {
        id: Uuid::new_v4(),
        name: body.name,
        email: body.email,
        nickname: body.nickname,
        created_at: chrono::Utc::now(),
    };
    store
        .users
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(user.id, user.clone());
    (StatusCode::CREATED, Json(user))
}

async fn get_user(
    State(store): State<Store>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Json<User>, StatusCode> {
    authorize(&headers, &store.keys, "customers:read")?;
    let users = store.users.lock().unwrap_or_else(|e| e.into_inner());
    users
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

/// The service's routes, with its store and the staff keys of `AUTH_STAFF_KEYS_FILE`.
pub fn app() -> Router {
    Router::new()
        .route("/users", post(create_user))
        .route("/users/{id}", get(get_user))
        .with_state(Store {
            users: Arc::default(),
            keys: Arc::new(read_keys()),
        })
}

/// Serves `app` on `127.0.0.1:$PORT` (default 9801) until the process is stopped.
pub async fn serve(app: Router) {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(9801u16);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("port free");
    axum::serve(listener, app).await.expect("server runs");
}
