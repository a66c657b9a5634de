//! Events per second end to end (published in a transaction of the publisher's database →
//! handled in a transaction of the subscriber's), and each event's latency, side by side:
//!
//! - `jetstream`: the runtime's outbox, its JetStream relay, consumer and inbox;
//! - `http`: the runtime's outbox, its relay posting to the subscriber (no broker), and inbox;
//! - `by-hand`: the same work written directly with async-nats and sqlx: the outbox row inserted
//!   in the publisher's transaction, a relay publishing it with its id as message id and
//!   marking it published once acknowledged, a durable pull consumer inserting the inbox row
//!   and the handler's row in one transaction, acknowledging after the commit.
//!
//! Every run has SQLite files of its own (WAL, as services use them) and a JetStream stream of
//! its own on the NATS server at `NATS_URL` (default `nats://127.0.0.1:4222`), deleted after.
//! Events carry an ordering key (one of 64). Usage:
//! `bench-events [events per run, default 5000] [rounds, default 3] [publishers, default 4]`.

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use svcgen_runtime::events::jetstream::{Bus, Publisher, consume};
use svcgen_runtime::events::{
    Dispatch, Envelope, HandlerError, Handling, Inbox, Kind, Outbox, Relay, Settings, Subscriber,
};
use svcgen_runtime::store::{Db, On, PoolSettings, Sql, Tx, sqlite_url};
use tokio::sync::Notify;

const KIND: Kind = Kind {
    name: "bench.tick",
    wire_type: "bench.tick.v1",
};

/// The payload: a number and when it was published (µs since the run started).
#[derive(Serialize, Deserialize)]
struct Tick {
    n: u64,
    sent_us: u64,
}

/// What a run saw: each event's latency, and when the last one was handled.
struct Seen {
    start: Instant,
    wanted: usize,
    count: AtomicUsize,
    latencies: Mutex<Vec<u64>>,
    all: Notify,
}

impl Seen {
    fn new(wanted: usize) -> Arc<Seen> {
        Arc::new(Seen {
            start: Instant::now(),
            wanted,
            count: AtomicUsize::new(0),
            latencies: Mutex::new(Vec::with_capacity(wanted)),
            all: Notify::new(),
        })
    }

    fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    fn handled(&self, tick: &Tick) {
        let latency = self.now_us().saturating_sub(tick.sent_us);
        self.latencies.lock().unwrap().push(latency);
        if self.count.fetch_add(1, Ordering::SeqCst) + 1 == self.wanted {
            self.all.notify_one();
        }
    }
}

const CREATE_SEEN: Sql = Sql {
    sqlite: "CREATE TABLE IF NOT EXISTS seen (n INTEGER NOT NULL)",
    postgres: "CREATE TABLE IF NOT EXISTS seen (n bigint NOT NULL)",
};
const INSERT_SEEN: Sql = Sql {
    sqlite: "INSERT INTO seen (n) VALUES (?)",
    postgres: "INSERT INTO seen (n) VALUES ($1)",
};

/// The subscriber's handler: one row of its own per event, in the inbox's transaction.
struct Handler(Arc<Seen>);

impl Dispatch for Handler {
    fn dispatch<'a>(&'a self, event: &'a Envelope, _attempt: u32, mut tx: Tx) -> Handling<'a> {
        Box::pin(async move {
            let tick: Tick = serde_json::from_str(&event.data)
                .map_err(|e| HandlerError::Invalid(e.to_string()))?;
            tx.query(&INSERT_SEEN)
                .bind(tick.n as i64)
                .execute(&mut On::Tx(&mut tx))
                .await?;
            self.0.handled(&tick);
            Ok(tx)
        })
    }
}

fn nats_url() -> String {
    std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

fn prefix() -> String {
    format!("svcgen-bench-{}", uuid::Uuid::new_v4().simple())
}

/// `events` published by `publishers` tasks, each event in a transaction of its own.
async fn publish_all(db: &Db, outbox: &Outbox, seen: &Arc<Seen>, events: u64, publishers: u64) {
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let (db, outbox, seen) = (db.clone(), outbox.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            for n in (p..events).step_by(publishers as usize) {
                let tick = Tick {
                    n,
                    sent_us: seen.now_us(),
                };
                let mut tx = db.begin().await.unwrap();
                outbox
                    .publish(&mut tx, &KIND, Some(format!("k{}", n % 64)), &tick)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                outbox.committed();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn runtime_dbs(dir: &tempfile::TempDir) -> (Db, Db) {
    let settings = PoolSettings::default();
    let publisher = Db::connect(&sqlite_url(&dir.path().join("publisher.db")), &settings)
        .await
        .unwrap();
    let subscriber = Db::connect(&sqlite_url(&dir.path().join("subscriber.db")), &settings)
        .await
        .unwrap();
    for db in [&publisher, &subscriber] {
        svcgen_runtime::events::create_tables(db).await.unwrap();
    }
    subscriber
        .query(&CREATE_SEEN)
        .execute(&mut On::Db(&subscriber))
        .await
        .unwrap();
    (publisher, subscriber)
}

/// The runtime on JetStream.
async fn run_jetstream(events: u64, publishers: u64) -> Arc<Seen> {
    let dir = tempfile::tempdir().unwrap();
    let (publisher, subscriber) = runtime_dbs(&dir).await;
    let settings = Settings::default();
    let bus = Bus::connect(&nats_url(), &prefix(), settings.retention, "bench")
        .await
        .unwrap();
    let seen = Seen::new(events as usize);
    let inbox = Inbox::new(subscriber, Arc::new(Handler(seen.clone())), settings);
    let consumers = consume(&bus, &inbox, "bench", &[KIND], settings);
    let outbox = Outbox::new("bench", "publisher");
    let relay = tokio::spawn(
        Publisher::new(publisher.clone(), outbox.clone(), bus.clone(), settings).run(),
    );
    publish_all(&publisher, &outbox, &seen, events, publishers).await;
    seen.all.notified().await;
    relay.abort();
    consumers.iter().for_each(tokio::task::AbortHandle::abort);
    bus.context().delete_stream(bus.stream()).await.unwrap();
    seen
}

/// The runtime with no broker.
async fn run_http(events: u64, publishers: u64) -> Arc<Seen> {
    let dir = tempfile::tempdir().unwrap();
    let (publisher, subscriber) = runtime_dbs(&dir).await;
    let settings = Settings::default();
    let seen = Seen::new(events as usize);
    let inbox = Inbox::new(subscriber, Arc::new(Handler(seen.clone())), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let routes = inbox.routes();
    let server = tokio::spawn(async move { svcgen_runtime::axum::serve(listener, routes).await });
    let outbox = Outbox::new("bench", "publisher");
    let relay = Relay::new(
        publisher.clone(),
        outbox.clone(),
        vec![Subscriber {
            service: "bench",
            url,
            types: vec![KIND.wire_type],
        }],
        settings,
    )
    .unwrap();
    let relay = tokio::spawn(relay.run());
    publish_all(&publisher, &outbox, &seen, events, publishers).await;
    seen.all.notified().await;
    relay.abort();
    server.abort();
    seen
}

async fn sqlite_pool(path: &std::path::Path, tables: &[&'static str]) -> SqlitePool {
    let options = SqliteConnectOptions::from_str(&sqlite_url(path))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(10)
        .connect_with(options)
        .await
        .unwrap();
    for table in tables {
        sqlx::query(*table).execute(&pool).await.unwrap();
    }
    pool
}

/// The same work written by hand with async-nats and sqlx.
async fn run_by_hand(events: u64, publishers: u64) -> Arc<Seen> {
    let dir = tempfile::tempdir().unwrap();
    let publisher = sqlite_pool(
        &dir.path().join("publisher.db"),
        &["CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, subject TEXT NOT NULL, data TEXT NOT NULL, published INTEGER NOT NULL DEFAULT 0)",
          "CREATE INDEX outbox_unpublished ON outbox (published, seq)"],
    )
    .await;
    let subscriber = sqlite_pool(
        &dir.path().join("subscriber.db"),
        &[
            "CREATE TABLE inbox (id TEXT PRIMARY KEY)",
            "CREATE TABLE seen (n INTEGER NOT NULL)",
        ],
    )
    .await;
    let client = async_nats::connect(nats_url()).await.unwrap();
    let js = jetstream::new(client);
    let prefix = prefix();
    let stream = js
        .get_or_create_stream(jetstream::stream::Config {
            name: prefix.clone(),
            subjects: vec![format!("{prefix}.>")],
            storage: jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await
        .unwrap();
    let subject = format!("{prefix}.{}", KIND.wire_type);
    let seen = Seen::new(events as usize);

    // The subscriber: one message at a time, acknowledged after its transaction commits.
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            "bench",
            consumer::pull::Config {
                durable_name: Some("bench".to_owned()),
                filter_subject: subject.clone(),
                ack_policy: consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let handler_seen = seen.clone();
    let subscriber_task = tokio::spawn(async move {
        let mut messages = consumer.messages().await.unwrap();
        while let Some(Ok(message)) = messages.next().await {
            let id = message
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Msg-Id"))
                .map(|v| v.as_str().to_owned())
                .unwrap();
            let tick: Tick = serde_json::from_slice(&message.payload).unwrap();
            let mut tx = subscriber.begin().await.unwrap();
            let new = sqlx::query("INSERT INTO inbox (id) VALUES (?) ON CONFLICT DO NOTHING")
                .bind(&id)
                .execute(&mut *tx)
                .await
                .unwrap()
                .rows_affected()
                == 1;
            if new {
                sqlx::query("INSERT INTO seen (n) VALUES (?)")
                    .bind(tick.n as i64)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                handler_seen.handled(&tick);
            }
            tx.commit().await.unwrap();
            message.ack().await.unwrap();
        }
    });

    // The relay: woken by each commit, publishes what is unpublished in order, marks it
    // published once the broker has acknowledged it.
    let wake = Arc::new(Notify::new());
    let relay_wake = wake.clone();
    let relay_db = publisher.clone();
    let relay = tokio::spawn(async move {
        loop {
            loop {
                let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "SELECT seq, id, subject, data FROM outbox WHERE published = 0 ORDER BY seq LIMIT 500",
                )
                .fetch_all(&relay_db)
                .await
                .unwrap();
                let Some(last) = rows.last().map(|r| r.0) else {
                    break;
                };
                let mut acks = Vec::with_capacity(rows.len());
                for (_, id, key, data) in rows {
                    let message = jetstream::message::PublishMessage::build()
                        .payload(data.into())
                        .header("ce-subject", key.as_str())
                        .message_id(id);
                    acks.push(js.send_publish(subject.clone(), message).await.unwrap());
                }
                for ack in acks {
                    ack.await.unwrap();
                }
                sqlx::query("UPDATE outbox SET published = 1 WHERE published = 0 AND seq <= ?")
                    .bind(last)
                    .execute(&relay_db)
                    .await
                    .unwrap();
            }
            let _ = tokio::time::timeout(Duration::from_millis(250), relay_wake.notified()).await;
        }
    });

    // The publishers: the outbox row in a transaction of its own.
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let (db, wake, seen) = (publisher.clone(), wake.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            for n in (p..events).step_by(publishers as usize) {
                let tick = Tick {
                    n,
                    sent_us: seen.now_us(),
                };
                let mut tx = db.begin().await.unwrap();
                sqlx::query("INSERT INTO outbox (id, subject, data) VALUES (?, ?, ?)")
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(format!("k{}", n % 64))
                    .bind(serde_json::to_string(&tick).unwrap())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                wake.notify_one();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    seen.all.notified().await;
    relay.abort();
    subscriber_task.abort();
    let client = async_nats::connect(nats_url()).await.unwrap();
    jetstream::new(client).delete_stream(&prefix).await.unwrap();
    seen
}

/// Events per second and latency percentiles (ms) of one run.
fn figures(seen: &Seen) -> (f64, f64, f64) {
    let elapsed = seen.now_us() as f64 / 1e6;
    let mut latencies = seen.latencies.lock().unwrap().clone();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    (latencies.len() as f64 / elapsed, at(0.50), at(0.99))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("numbers"));
    let events = args.next().unwrap_or(5000);
    let rounds = args.next().unwrap_or(3);
    let publishers = args.next().unwrap_or(4);
    let modes = ["by-hand", "jetstream", "http"];
    let mut results: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new(); modes.len()];
    // Alternating, so a change in the machine's load falls on every mode alike.
    for round in 0..rounds {
        for (i, mode) in modes.iter().enumerate() {
            let seen = match *mode {
                "by-hand" => run_by_hand(events, publishers).await,
                "jetstream" => run_jetstream(events, publishers).await,
                _ => run_http(events, publishers).await,
            };
            let f = figures(&seen);
            eprintln!(
                "round {round} {mode}: {:.0} events/s, p50 {:.1} ms, p99 {:.1} ms",
                f.0, f.1, f.2
            );
            results[i].push(f);
        }
    }
    let by_hand = median(results[0].iter().map(|f| f.0).collect());
    println!(
        "| {events} events, {publishers} publishers, median of {rounds} | events/s | vs by hand | p50 ms | p99 ms |"
    );
    println!("|---|---|---|---|---|");
    for (i, mode) in modes.iter().enumerate() {
        let rate = median(results[i].iter().map(|f| f.0).collect());
        let p50 = median(results[i].iter().map(|f| f.1).collect());
        let p99 = median(results[i].iter().map(|f| f.2).collect());
        println!(
            "| {mode} | {rate:.0} | {:.2} | {p50:.1} | {p99:.1} |",
            rate / by_hand
        );
    }
}
