//! The `users` service of the shop on a database, written by hand with axum and sqlx the way a
//! careful engineer would without a generator: the baseline of the store benchmark
//! (`bench/README.md`). The same queries, migrations and pool size as the generated
//! `shop-users`; `DATABASE_URL` picks SQLite or PostgreSQL; no middleware. A new user is checked
//! as the spec asks (`valid`): the same checks, written by hand, answered with a bare 422.
//! Reading a customer takes a staff API key with `customers:read` (`bench/shared/staff_keys.rs`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, SqlitePool};
use staff_keys::{Key, authorize, read_keys};
use std::str::FromStr;
use std::sync::Arc;
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

/// The pool and the staff keys.
#[derive(Clone)]
struct App<P> {
    pool: P,
    keys: Arc<Vec<Key>>,
}

const INSERT_SQLITE: &str = "INSERT INTO \"users\" (\"id\", \"name\", \"email\", \"nickname\", \"created_at\") VALUES (?, ?, ?, ?, ?)";
const INSERT_POSTGRES: &str = "INSERT INTO \"users\" (\"id\", \"name\", \"email\", \"nickname\", \"created_at\") VALUES ($1, $2, $3, $4, $5)";
const GET_SQLITE: &str = "SELECT \"id\", \"name\", \"email\", \"nickname\", \"created_at\" FROM \"users\" WHERE \"id\" = ?";
const GET_POSTGRES: &str = "SELECT \"id\", \"name\", \"email\", \"nickname\", \"created_at\" FROM \"users\" WHERE \"id\" = $1";

fn new_user(body: NewUser) -> User {
    use chrono::SubsecRound;
    User {
        id: Uuid::new_v4(),
        name: body.name,
        email: body.email,
        nickname: body.nickname,
        created_at: chrono::Utc::now().trunc_subsecs(6),
    }
}

/// The spec's constraints on a new user: a name of 1 to 100 characters, a nickname of at most
/// 40, an email address of at most 254 characters (RFC 5322, by the `email_address` crate).
fn valid(body: &NewUser) -> bool {
    let chars = |s: &str| s.chars().count();
    (1..=100).contains(&chars(&body.name))
        && body.nickname.as_deref().is_none_or(|n| chars(n) <= 40)
        && chars(&body.email) <= 254
        && email_address::EmailAddress::is_valid(&body.email)
}

fn failed(e: sqlx::Error) -> StatusCode {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StatusCode::CONFLICT,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

macro_rules! handlers {
    ($create:ident, $get:ident, $pool:ty, $insert:expr, $select:expr) => {
        async fn $create(
            State(App { pool, .. }): State<App<$pool>>,
            Json(body): Json<NewUser>,
        ) -> Result<(StatusCode, Json<User>), StatusCode> {
            if !valid(&body) {
                return Err(StatusCode::UNPROCESSABLE_ENTITY);
            }
            let user = new_user(body);
            sqlx::query($insert)
                .bind(user.id)
                .bind(&user.name)
                .bind(&user.email)
                .bind(&user.nickname)
                .bind(user.created_at)
                .execute(&pool)
                .await
                .map_err(failed)?;
            Ok((StatusCode::CREATED, Json(user)))
        }

        async fn $get(
            State(App { pool, keys }): State<App<$pool>>,
            headers: HeaderMap,
            Path(id): Path<Uuid>,
        ) -> Result<Json<User>, StatusCode> {
            use sqlx::Row;
            authorize(&headers, &keys, "customers:read")?;
            let row = sqlx::query($select)
                .bind(id)
                .fetch_optional(&pool)
                .await
                .map_err(failed)?
                .ok_or(StatusCode::NOT_FOUND)?;
            let user = (|| -> Result<User, sqlx::Error> {
                Ok(User {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    email: row.try_get(2)?,
                    nickname: row.try_get(3)?,
                    created_at: row.try_get(4)?,
                })
            })()
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
            Ok(Json(user))
        }
    };
}

handlers!(
    create_sqlite,
    get_sqlite,
    SqlitePool,
    INSERT_SQLITE,
    GET_SQLITE
);
handlers!(
    create_postgres,
    get_postgres,
    PgPool,
    INSERT_POSTGRES,
    GET_POSTGRES
);

fn migrator(dir: &str) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    let sql = match dir {
        "sqlite" => {
            include_str!("../../../generated/shop/users/migrations/sqlite/0001_create_users.sql")
        }
        _ => {
            include_str!("../../../generated/shop/users/migrations/postgres/0001_create_users.sql")
        }
    };
    sqlx::migrate::Migrator::with_migrations(vec![sqlx::migrate::Migration::new(
        1,
        "create users".into(),
        sqlx::migrate::MigrationType::Simple,
        sql.into_sql_str(),
        false,
    )])
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8001);
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let max: u32 = std::env::var("DATABASE_MAX_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let keys = Arc::new(read_keys());
    let app = if url.starts_with("sqlite:") {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .expect("an SQLite URL")
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await
            .expect("the database");
        migrator("sqlite").run(&pool).await.expect("migrations");
        Router::new()
            .route("/users", post(create_sqlite))
            .route("/users/{id}", get(get_sqlite))
            .with_state(App { pool, keys })
    } else {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(max)
            .connect(&url)
            .await
            .expect("the database");
        migrator("postgres").run(&pool).await.expect("migrations");
        Router::new()
            .route("/users", post(create_postgres))
            .route("/users/{id}", get(get_postgres))
            .with_state(App { pool, keys })
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("signals");
            term.recv().await;
        })
        .await
        .expect("serving");
}
