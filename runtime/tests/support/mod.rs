//! What the event tests share: an `order.placed` event, a subscriber's handler recording what
//! it handles in a table of its own, fresh databases, and a macro running a test on both.

#![allow(dead_code)] // each test file uses its part

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use svcgen_runtime::context::{self, Actor};
use svcgen_runtime::events::{self, Dispatch, Envelope, HandlerError, Handling, Kind, Settings};
use svcgen_runtime::store::{On, Sql, TestDb, Tx};
use svcgen_runtime::trace::TraceContext;

pub const PLACED: Kind = Kind {
    name: "order.placed",
    wire_type: "order.placed.v1",
};

pub const CREATE_SEEN: Sql = Sql {
    sqlite: "CREATE TABLE \"seen\" (\"n\" INTEGER NOT NULL, \"key\" TEXT NOT NULL, \"at\" INTEGER PRIMARY KEY AUTOINCREMENT)",
    postgres: "CREATE TABLE \"seen\" (\"n\" bigint NOT NULL, \"key\" text NOT NULL, \"at\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
};
pub const INSERT_SEEN: Sql = Sql {
    sqlite: "INSERT INTO \"seen\" (\"n\", \"key\") VALUES (?, ?)",
    postgres: "INSERT INTO \"seen\" (\"n\", \"key\") VALUES ($1, $2)",
};
pub const ALL_SEEN: Sql = Sql {
    sqlite: "SELECT \"n\", \"key\" FROM \"seen\" ORDER BY \"at\"",
    postgres: "SELECT \"n\", \"key\" FROM \"seen\" ORDER BY \"at\"",
};

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Placed {
    pub n: i64,
    pub key: String,
}

/// Records each event's number in `seen`, inside the inbox's transaction, in `actors`
/// the actor its handler ran on behalf of, and in `traces` the trace context and request id it
/// ran in. Number 13 fails while `poisoned` is set; a payload
/// that is not a `Placed` is invalid.
pub struct Recorder {
    pub poisoned: AtomicBool,
    pub actors: Mutex<Vec<(i64, Option<Actor>)>>,
    pub traces: Mutex<Vec<Handled>>,
}

/// An event's number, and the trace context and request id its handler ran in.
pub type Handled = (i64, Option<TraceContext>, Option<String>);

impl Dispatch for Recorder {
    fn dispatch<'a>(&'a self, event: &'a Envelope, _attempt: u32, mut tx: Tx) -> Handling<'a> {
        Box::pin(async move {
            let placed: Placed = serde_json::from_str(&event.data)
                .map_err(|e| HandlerError::Invalid(e.to_string()))?;
            if placed.n == 13 && self.poisoned.load(Ordering::SeqCst) {
                return Err(HandlerError::Failed("thirteen is unlucky".into()));
            }
            if placed.n == 1066 {
                panic!("1066 panics");
            }
            if placed.n == 1077 {
                // A statement that fails, its error ignored, and the handler says it is done:
                // PostgreSQL ends such a transaction with a rollback even when asked to commit.
                let _ = tx
                    .query(&Sql {
                        sqlite: "INSERT INTO \"nowhere\" VALUES (1)",
                        postgres: "INSERT INTO \"nowhere\" VALUES (1)",
                    })
                    .execute(&mut On::Tx(&mut tx))
                    .await;
                return Ok(tx);
            }
            // The ordering key as the event's subject carried it (any text).
            tx.query(&INSERT_SEEN)
                .bind(placed.n)
                .bind(event.subject.clone().unwrap_or(placed.key))
                .execute(&mut On::Tx(&mut tx))
                .await
                .map_err(|e| HandlerError::Failed(e.to_string()))?;
            self.actors
                .lock()
                .unwrap()
                .push((placed.n, context::actor()));
            self.traces.lock().unwrap().push((
                placed.n,
                context::trace_context(),
                context::request_id().map(|r| r.as_str().to_owned()),
            ));
            Ok(tx)
        })
    }
}

impl Recorder {
    /// A recorder failing on 13 while `poisoned`.
    pub fn new(poisoned: bool) -> Recorder {
        Recorder {
            poisoned: AtomicBool::new(poisoned),
            actors: Mutex::default(),
            traces: Mutex::default(),
        }
    }
}

/// Publishes `order.placed` number `n` with ordering key `key` from `outbox` on `db`, in a
/// transaction committed or, when `commit` is false, rolled back.
pub async fn publish(
    db: &svcgen_runtime::store::Db,
    outbox: &events::Outbox,
    n: i64,
    key: &str,
    commit: bool,
) {
    let mut tx = db.begin().await.unwrap();
    let placed = Placed {
        n,
        key: key.to_owned(),
    };
    outbox
        .publish(&mut tx, &PLACED, Some(key.to_owned()), &placed)
        .await
        .unwrap();
    if commit {
        tx.commit().await.unwrap();
    } else {
        tx.rollback().await.unwrap();
    }
}

/// [`publish`] on behalf of `actor`.
pub async fn publish_for(
    actor: Option<Actor>,
    db: &svcgen_runtime::store::Db,
    outbox: &events::Outbox,
    n: i64,
    key: &str,
) {
    context::on_behalf_of(None, actor, publish(db, outbox, n, key, true)).await;
}

/// An actor of kind `auth_type` (`app_user`, `api_key`) named `id`.
pub fn actor(auth_type: &str, id: &str) -> Option<Actor> {
    Some(Actor {
        auth_type: auth_type.to_owned(),
        id: Some(id.to_owned()),
    })
}

/// The numbers and keys a subscriber's database recorded, in the order it recorded them.
pub async fn seen(db: &svcgen_runtime::store::Db) -> Vec<(i64, String)> {
    db.query(&ALL_SEEN)
        .fetch_all(&mut On::Db(db))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect()
}

/// The numbers of `seen` with key `key`, in the order handled.
pub fn of_key(seen: &[(i64, String)], key: &str) -> Vec<i64> {
    seen.iter()
        .filter(|(_, k)| k == key)
        .map(|(n, _)| *n)
        .collect()
}

/// A fresh database for `role` on SQLite or on PostgreSQL, with the event tables.
pub async fn fresh(role: &str, postgres: bool) -> TestDb {
    let db = fresh_empty(role, postgres).await;
    events::create_tables(db.db()).await.unwrap();
    db
}

/// A fresh database for `role` on SQLite or on PostgreSQL, with no tables.
pub async fn fresh_empty(role: &str, postgres: bool) -> TestDb {
    let name = format!(
        "svcgen_events_{role}_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    let db = if postgres {
        let admin = std::env::var("SVCGEN_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        TestDb::postgres(&admin, &name).await
    } else {
        TestDb::sqlite(&name).await
    };
    db.expect("a test database")
}

/// An `order.placed` event from the shop's orders, as the relay would send it.
pub fn envelope(data: &str, subject: Option<&str>, request_id: Option<&str>) -> Envelope {
    Envelope {
        id: uuid::Uuid::new_v4(),
        source: "/shop/orders".into(),
        event_type: PLACED.wire_type.into(),
        time: svcgen_runtime::store::now(),
        subject: subject.map(str::to_owned),
        request_id: request_id.map(str::to_owned),
        actor: None,
        traceparent: None,
        data: data.into(),
    }
}

/// A test run on SQLite and then on PostgreSQL: `#[tokio::test] async fn name()` calling
/// `name_on(postgres)` for each.
macro_rules! on_both {
    ($name:ident, $on:ident) => {
        #[tokio::test]
        async fn $name() {
            for postgres in [false, true] {
                $on(postgres).await;
            }
        }
    };
}

pub fn fast() -> Settings {
    Settings {
        max_attempts: 3,
        retry_base: Duration::from_millis(1),
        ..Settings::default()
    }
}
