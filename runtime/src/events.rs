//! Events between services, delivered at least once and handled once: the publisher's
//! transactional outbox, the subscriber's inbox and dead letters, and the transport between
//! them.
//!
//! - **Publishing** writes the event into the publisher's outbox table inside the transaction
//!   of the handler's own writes ([`Outbox::publish`]): rolled back, the event never leaves;
//!   committed, it is delivered even if the process dies the next instant, because the relay
//!   ([`Relay`]) reads it from the table, not from memory.
//! - **Handling** runs the subscriber's handler in one transaction with an inbox row keyed by
//!   the event's id ([`receive`]): a redelivered event finds the row and does nothing, so its
//!   effect happens once. A handler that fails is retried with exponential backoff; after
//!   `EVENTS_MAX_ATTEMPTS` attempts, or at once when the payload is invalid, the event goes to
//!   the subscriber's dead letters, which can be listed and replayed (`/_svcgen/dead-letters`).
//! - **No broker** (when `NATS_URL` is unset): the relay delivers each event to each
//!   subscriber over HTTP (`POST /_svcgen/events` on the subscriber, found like a dependency:
//!   `<SERVICE>_URL`), in the binary content mode of the CloudEvents HTTP binding. Each
//!   (event, subscriber) pair is a row of the publisher's delivery table, retried until the
//!   subscriber answers, so a subscriber that is down gets everything once it is back (a
//!   subscriber that cannot be reached costs its events no attempts).
//! - **Order**: events with the same ordering key (`ce-subject`) reach each subscriber in the
//!   order they were published; an event of a key waits while an earlier one of that key is
//!   being retried, events of other keys keep flowing. Events without a key have no order.
//!
//! Every event carries the CloudEvents 1.0 attributes (`id`, `source`, `type`, `time`,
//! `specversion`, `datacontenttype`, `subject` for the ordering key) and the request id of the
//! request that caused it, so one id follows a request across calls and events. An event
//! published while serving a verified caller records who it was (the CloudEvents
//! `authcontext` extension: `authtype` and `authid`, never a credential), and so do the events
//! a subscriber publishes while handling it.

pub mod jetstream;

use crate::context::{Actor, REQUEST_ID_HEADER, RequestId, actor, request_id};
use crate::problem::Problem;
use crate::store::{AddedColumn, Db, Dialect, Error, On, Sql, Tx, now};
use crate::trace::{Parent, TraceContext};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use serde::Serialize;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tracing::Instrument;
pub use uuid::Uuid;

/// The CloudEvents version of every event.
pub const SPEC_VERSION: &str = "1.0";
/// The path of a subscriber's delivery endpoint (no-broker transport).
pub const DELIVERY_PATH: &str = "/_svcgen/events";
/// The path of a subscriber's dead letters.
pub const DEAD_LETTERS_PATH: &str = "/_svcgen/dead-letters";
/// The header carrying the delivery attempt (1 for the first).
pub const ATTEMPT_HEADER: &str = "svcgen-attempt";
/// Attempts before a failing event goes to the dead letters (`EVENTS_MAX_ATTEMPTS`).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// The first retry's delay; each next one doubles, up to [`MAX_RETRY_DELAY`]
/// (`EVENTS_RETRY_BASE_MS`).
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(200);
/// The longest delay between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// Time allowed to one handler call, below the default request timeout of the delivery
/// request (`EVENTS_HANDLER_TIMEOUT_MS`).
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long handled events are remembered (inbox) and delivered ones kept (outbox)
/// (`EVENTS_RETENTION_HOURS`).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How events are retried and kept, from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Attempts before a failing event goes to the dead letters.
    pub max_attempts: u32,
    /// The first retry's delay.
    pub retry_base: Duration,
    /// How long handled and delivered events are remembered.
    pub retention: Duration,
    /// Time allowed to one handler call; longer is a failed attempt.
    pub handler_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_base: DEFAULT_RETRY_BASE,
            retention: DEFAULT_RETENTION,
            handler_timeout: DEFAULT_HANDLER_TIMEOUT,
        }
    }
}

impl Settings {
    /// `EVENTS_MAX_ATTEMPTS` (1–1000), `EVENTS_RETRY_BASE_MS` (1–60 000),
    /// `EVENTS_RETENTION_HOURS` (1–87 600), `EVENTS_HANDLER_TIMEOUT_MS` (1–3 600 000); unset
    /// ones take their defaults.
    pub fn from_env() -> Result<Settings, String> {
        fn var(name: &str, range: std::ops::RangeInclusive<u64>) -> Result<Option<u64>, String> {
            match std::env::var(name) {
                Err(_) => Ok(None),
                Ok(v) => match v.parse::<u64>() {
                    Ok(n) if range.contains(&n) => Ok(Some(n)),
                    _ => Err(format!(
                        "{name} must be a whole number from {} to {}, got `{v}`",
                        range.start(),
                        range.end()
                    )),
                },
            }
        }
        let d = Settings::default();
        Ok(Settings {
            max_attempts: var("EVENTS_MAX_ATTEMPTS", 1..=1000)?
                .map_or(d.max_attempts, |n| n as u32),
            retry_base: var("EVENTS_RETRY_BASE_MS", 1..=60_000)?
                .map_or(d.retry_base, Duration::from_millis),
            retention: var("EVENTS_RETENTION_HOURS", 1..=87_600)?
                .map_or(d.retention, |h| Duration::from_secs(h * 3600)),
            handler_timeout: var("EVENTS_HANDLER_TIMEOUT_MS", 1..=3_600_000)?
                .map_or(d.handler_timeout, Duration::from_millis),
        })
    }

    /// The delay before attempt `attempt + 1`, after `attempt` failed ones.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(20);
        self.retry_base.saturating_mul(factor).min(MAX_RETRY_DELAY)
    }
}

/// One event as it travels: its CloudEvents attributes and its JSON payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    /// Unique per event, the same on every delivery.
    pub id: Uuid,
    /// The publisher: `/<system>/<service>`.
    pub source: String,
    /// `<event name>.v<version>`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it was published.
    pub time: DateTime<Utc>,
    /// The value of the event's ordering key, if it has one.
    pub subject: Option<String>,
    /// The request id of the request that caused it.
    pub request_id: Option<String>,
    /// Who caused it: the verified caller it was published for (`authtype`, `authid`).
    #[serde(flatten)]
    pub actor: Option<Actor>,
    /// The W3C `traceparent` of the span that published it (the CloudEvents distributed
    /// tracing extension): handling it is a span of the same trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The payload, as JSON text.
    pub data: String,
}

/// What a handler learns about an event beside its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The event's id.
    pub id: Uuid,
    /// When it was published.
    pub time: DateTime<Utc>,
    /// The publisher: `/<system>/<service>`.
    pub source: String,
    /// The request id of the request that caused it.
    pub request_id: Option<String>,
    /// Who caused it: the verified caller of the request that published it, if there was
    /// one. The events the handler publishes record the same actor.
    pub actor: Option<Actor>,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
}

impl Envelope {
    /// What a handler learns of this event on attempt `attempt`.
    pub fn meta(&self, attempt: u32) -> Meta {
        Meta {
            id: self.id,
            time: self.time,
            source: self.source.clone(),
            request_id: self.request_id.clone(),
            actor: self.actor.clone(),
            attempt,
        }
    }

    /// The event as HTTP headers (the CloudEvents HTTP binding, binary content mode).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("ce-specversion", SPEC_VERSION.to_owned()),
            ("ce-id", self.id.to_string()),
            ("ce-type", self.event_type.clone()),
            ("ce-source", self.source.clone()),
            (
                "ce-time",
                self.time
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            ("content-type", "application/json".to_owned()),
        ];
        if let Some(s) = &self.subject {
            h.push(("ce-subject", encode_header(s)));
        }
        if let Some(r) = &self.request_id {
            h.push(("ce-requestid", r.clone()));
        }
        if let Some(t) = &self.traceparent {
            h.push((crate::trace::TRACEPARENT, t.clone()));
        }
        if let Some(actor) = &self.actor {
            h.push(("ce-authtype", encode_header(&actor.auth_type)));
            if let Some(id) = &actor.id {
                h.push(("ce-authid", encode_header(id)));
            }
        }
        h
    }

    /// The event from HTTP headers and body; what is missing or malformed, otherwise.
    pub fn from_headers(headers: &HeaderMap, body: &[u8]) -> Result<Envelope, String> {
        Envelope::from_attributes(
            |name| headers.get(name).map(|v| v.to_str().map_err(drop)),
            body,
        )
    }

    /// The event from its attributes, as `header(name)` finds them (`Err` for a value that is
    /// not text), and its body; what is missing or malformed, otherwise.
    pub fn from_attributes<'h>(
        header: impl Fn(&str) -> Option<Result<&'h str, ()>>,
        body: &[u8],
    ) -> Result<Envelope, String> {
        let get = |name: &str| -> Result<Option<String>, String> {
            match header(name) {
                None => Ok(None),
                Some(v) => v
                    .map(|s| Some(s.to_owned()))
                    .map_err(|()| format!("`{name}` is not visible ASCII")),
            }
        };
        let need = |name: &str| get(name)?.ok_or_else(|| format!("`{name}` is missing"));
        let version = need("ce-specversion")?;
        if version != SPEC_VERSION {
            return Err(format!(
                "`ce-specversion` is `{version}`, not `{SPEC_VERSION}`"
            ));
        }
        let id = need("ce-id")?;
        let time = need("ce-time")?;
        let decoded = |name: &str| get(name)?.map(|s| decode_header(&s)).transpose();
        let actor = match (decoded("ce-authtype")?, decoded("ce-authid")?) {
            (Some(auth_type), id) => Some(Actor { auth_type, id }),
            (None, None) => None,
            (None, Some(_)) => return Err("`ce-authid` without `ce-authtype`".to_owned()),
        };
        Ok(Envelope {
            id: id
                .parse()
                .map_err(|_| format!("`ce-id` is not a UUID: `{id}`"))?,
            source: need("ce-source")?,
            event_type: need("ce-type")?,
            time: DateTime::parse_from_rfc3339(&time)
                .map_err(|_| format!("`ce-time` is not an RFC 3339 time: `{time}`"))?
                .with_timezone(&Utc),
            subject: decoded("ce-subject")?,
            request_id: get("ce-requestid")?,
            actor,
            // Not a reason to refuse the event: one that is not a `traceparent` starts a trace.
            traceparent: get(crate::trace::TRACEPARENT)
                .ok()
                .flatten()
                .filter(|t| crate::trace::Parent::parse(t.as_bytes(), None).is_some()),
            data: String::from_utf8(body.to_vec())
                .map_err(|_| "the body is not UTF-8".to_owned())?,
        })
    }
}

/// A header value as the CloudEvents HTTP binding carries it: visible ASCII and space as they
/// are, every other byte (and `%`) percent-encoded, so any text (an ordering key `Zoë`, a line
/// break) travels.
fn encode_header(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (b == b' ' || b.is_ascii_graphic()) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of a header value encoded by [`encode_header`].
fn decode_header(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("a bad percent escape in `{value}`"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{value}` does not decode to UTF-8"))
}

// The tables, bookkeeping of the runtime like the idempotency keys: created at start when
// missing, outside the service's own migrations.

const CREATE_SQLITE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS \"_svcgen_outbox\" (\"seq\" INTEGER PRIMARY KEY AUTOINCREMENT, \"id\" BLOB NOT NULL UNIQUE, \"type\" TEXT NOT NULL, \"subject\" TEXT, \"time\" TEXT NOT NULL, \"request_id\" TEXT, \"auth_type\" TEXT, \"auth_id\" TEXT, \"data\" TEXT NOT NULL, \"published_at\" TEXT, \"traceparent\" TEXT)",
    "CREATE INDEX IF NOT EXISTS \"_svcgen_outbox_unpublished\" ON \"_svcgen_outbox\" (\"published_at\", \"seq\")",
    "CREATE TABLE IF NOT EXISTS \"_svcgen_deliveries\" (\"seq\" INTEGER NOT NULL, \"subscriber\" TEXT NOT NULL, \"type\" TEXT NOT NULL, \"subject\" TEXT, \"attempts\" INTEGER NOT NULL DEFAULT 0, \"next_at\" TEXT NOT NULL, \"done_at\" TEXT, \"last_error\" TEXT, PRIMARY KEY (\"seq\", \"subscriber\"))",
    "CREATE INDEX IF NOT EXISTS \"_svcgen_deliveries_waiting\" ON \"_svcgen_deliveries\" (\"seq\") WHERE \"done_at\" IS NULL",
    "CREATE INDEX IF NOT EXISTS \"_svcgen_deliveries_queues\" ON \"_svcgen_deliveries\" (\"subscriber\", \"type\", \"subject\", \"seq\") WHERE \"done_at\" IS NULL",
    "CREATE TABLE IF NOT EXISTS \"_svcgen_inbox\" (\"id\" BLOB NOT NULL PRIMARY KEY, \"type\" TEXT NOT NULL, \"handled_at\" TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS \"_svcgen_dead_letters\" (\"id\" BLOB NOT NULL PRIMARY KEY, \"type\" TEXT NOT NULL, \"source\" TEXT NOT NULL, \"subject\" TEXT, \"time\" TEXT NOT NULL, \"request_id\" TEXT, \"auth_type\" TEXT, \"auth_id\" TEXT, \"data\" TEXT NOT NULL, \"attempts\" INTEGER NOT NULL, \"error\" TEXT NOT NULL, \"failed_at\" TEXT NOT NULL, \"traceparent\" TEXT)",
];

const CREATE_POSTGRES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS \"_svcgen_outbox\" (\"seq\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \"id\" uuid NOT NULL UNIQUE, \"type\" text NOT NULL, \"subject\" text, \"time\" timestamptz NOT NULL, \"request_id\" text, \"auth_type\" text, \"auth_id\" text, \"data\" text NOT NULL, \"published_at\" timestamptz, \"traceparent\" text)",
    "CREATE INDEX IF NOT EXISTS \"_svcgen_outbox_unpublished\" ON \"_svcgen_outbox\" (\"published_at\", \"seq\")",
    "CREATE TABLE IF NOT EXISTS \"_svcgen_deliveries\" (\"seq\" bigint NOT NULL, \"subscriber\" text NOT NULL, \"type\" text NOT NULL, \"subject\" text, \"attempts\" integer NOT NULL DEFAULT 0, \"next_at\" timestamptz NOT NULL, \"done_at\" timestamptz, \"last_error\" text, PRIMARY KEY (\"seq\", \"subscriber\"))",
    "CREATE INDEX IF NOT EXISTS \"_svcgen_deliveries_waiting\" ON \"_svcgen_deliveries\" (\"seq\") WHERE \"done_at\" IS NULL",
    "CREATE INDEX IF NOT EXISTS \"_svcgen_deliveries_queues\" ON \"_svcgen_deliveries\" (\"subscriber\", \"type\", \"subject\", \"seq\") WHERE \"done_at\" IS NULL",
    "CREATE TABLE IF NOT EXISTS \"_svcgen_inbox\" (\"id\" uuid NOT NULL PRIMARY KEY, \"type\" text NOT NULL, \"handled_at\" timestamptz NOT NULL)",
    "CREATE TABLE IF NOT EXISTS \"_svcgen_dead_letters\" (\"id\" uuid NOT NULL PRIMARY KEY, \"type\" text NOT NULL, \"source\" text NOT NULL, \"subject\" text, \"time\" timestamptz NOT NULL, \"request_id\" text, \"auth_type\" text, \"auth_id\" text, \"data\" text NOT NULL, \"attempts\" integer NOT NULL, \"error\" text NOT NULL, \"failed_at\" timestamptz NOT NULL, \"traceparent\" text)",
];

/// Creates the event tables when missing (replicas starting together take turns).
pub async fn create_tables(db: &Db) -> Result<(), Error> {
    let statements: Vec<Sql> = match db.dialect() {
        Dialect::Sqlite => CREATE_SQLITE,
        Dialect::Postgres => CREATE_POSTGRES,
    }
    .iter()
    .map(|statement| Sql {
        sqlite: statement,
        postgres: statement,
    })
    .collect();
    crate::store::create_runtime_tables(db, &statements, ADDED_COLUMNS).await
}

/// The columns recording an event's actor and trace, which tables made before events recorded
/// them lack.
const ADDED_COLUMNS: &[AddedColumn] = &[
    AddedColumn {
        table: "_svcgen_outbox",
        column: "traceparent",
        add: Sql {
            sqlite: "ALTER TABLE \"_svcgen_outbox\" ADD COLUMN \"traceparent\" TEXT",
            postgres: "ALTER TABLE \"_svcgen_outbox\" ADD COLUMN IF NOT EXISTS \"traceparent\" text",
        },
    },
    AddedColumn {
        table: "_svcgen_dead_letters",
        column: "traceparent",
        add: Sql {
            sqlite: "ALTER TABLE \"_svcgen_dead_letters\" ADD COLUMN \"traceparent\" TEXT",
            postgres: "ALTER TABLE \"_svcgen_dead_letters\" ADD COLUMN IF NOT EXISTS \"traceparent\" text",
        },
    },
    AddedColumn {
        table: "_svcgen_outbox",
        column: "auth_type",
        add: Sql {
            sqlite: "ALTER TABLE \"_svcgen_outbox\" ADD COLUMN \"auth_type\" TEXT",
            postgres: "ALTER TABLE \"_svcgen_outbox\" ADD COLUMN IF NOT EXISTS \"auth_type\" text",
        },
    },
    AddedColumn {
        table: "_svcgen_outbox",
        column: "auth_id",
        add: Sql {
            sqlite: "ALTER TABLE \"_svcgen_outbox\" ADD COLUMN \"auth_id\" TEXT",
            postgres: "ALTER TABLE \"_svcgen_outbox\" ADD COLUMN IF NOT EXISTS \"auth_id\" text",
        },
    },
    AddedColumn {
        table: "_svcgen_dead_letters",
        column: "auth_type",
        add: Sql {
            sqlite: "ALTER TABLE \"_svcgen_dead_letters\" ADD COLUMN \"auth_type\" TEXT",
            postgres: "ALTER TABLE \"_svcgen_dead_letters\" ADD COLUMN IF NOT EXISTS \"auth_type\" text",
        },
    },
    AddedColumn {
        table: "_svcgen_dead_letters",
        column: "auth_id",
        add: Sql {
            sqlite: "ALTER TABLE \"_svcgen_dead_letters\" ADD COLUMN \"auth_id\" TEXT",
            postgres: "ALTER TABLE \"_svcgen_dead_letters\" ADD COLUMN IF NOT EXISTS \"auth_id\" text",
        },
    },
];

/// One kind of event, as the generated code names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The event's name: `order.placed`.
    pub name: &'static str,
    /// Its CloudEvents type: `order.placed.v1`.
    pub wire_type: &'static str,
}

const KEY_LOCK: Sql = Sql {
    sqlite: "SELECT 1",
    postgres: "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
};
const INSERT_OUTBOX: Sql = Sql {
    sqlite: "INSERT INTO \"_svcgen_outbox\" (\"id\", \"type\", \"subject\", \"time\", \"request_id\", \"auth_type\", \"auth_id\", \"data\", \"traceparent\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    postgres: "INSERT INTO \"_svcgen_outbox\" (\"id\", \"type\", \"subject\", \"time\", \"request_id\", \"auth_type\", \"auth_id\", \"data\", \"traceparent\") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
};

/// A publisher's outbox: where its handlers put the events they publish.
#[derive(Debug, Clone)]
pub struct Outbox {
    source: Arc<str>,
    wake: Arc<Notify>,
}

impl Outbox {
    /// The outbox of the service `service` of `system` (its events' `source` is
    /// `/<system>/<service>`).
    pub fn new(system: &str, service: &str) -> Outbox {
        Outbox {
            source: Arc::from(format!("/{system}/{service}")),
            wake: Arc::new(Notify::new()),
        }
    }

    /// The events' `source`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Puts an event into the outbox inside `tx`: it is delivered once `tx` commits, never if
    /// it is rolled back. `subject` is the value of the event's ordering key. The id of the
    /// event.
    pub async fn publish<T: Serialize>(
        &self,
        tx: &mut Tx,
        kind: &Kind,
        subject: Option<String>,
        payload: &T,
    ) -> Result<Uuid, Error> {
        let data = serde_json::to_string(payload)
            .map_err(|e| Error::Other(format!("encoding a `{}` event: {e}", kind.name)))?;
        if crate::telemetry::enabled() {
            // A span of its own, which the handlings of the event are children of.
            let span = crate::telemetry::producer_span(kind.wire_type);
            return self.insert(tx, kind, subject, data).instrument(span).await;
        }
        self.insert(tx, kind, subject, data).await
    }

    /// Writes the event `data` into the outbox, in `tx`.
    async fn insert(
        &self,
        tx: &mut Tx,
        kind: &Kind,
        subject: Option<String>,
        data: String,
    ) -> Result<Uuid, Error> {
        if let (Some(subject), Dialect::Postgres) = (&subject, tx.dialect()) {
            // PostgreSQL numbers rows when they are inserted, not when they commit: two
            // transactions publishing events of one key take turns, so that the order of
            // their numbers is the order of their commits (on SQLite, the write lock taken at
            // the transaction's start does this).
            tx.query(&KEY_LOCK)
                .bind(format!("{}/{subject}", kind.wire_type))
                .execute(&mut On::Tx(tx))
                .await?;
        }
        let id = Uuid::new_v4();
        let (auth_type, auth_id) = match actor() {
            Some(actor) => (Some(actor.auth_type), actor.id),
            None => (None, None),
        };
        tx.query(&INSERT_OUTBOX)
            .bind(id)
            .bind(kind.wire_type)
            .bind(subject)
            .bind(now())
            .bind(request_id().map(|r| r.as_str().to_owned()))
            .bind(auth_type)
            .bind(auth_id)
            .bind(data)
            .bind(crate::context::trace_context().map(|t| {
                // The publishing span is the parent of each handling of the event.
                let parent = crate::client::traceparent(&t);
                parent.to_str().unwrap_or_default().to_owned()
            }))
            .execute(&mut On::Tx(tx))
            .await?;
        Ok(id)
    }

    /// Tells the relay to look at the outbox now (after a commit that published), rather than
    /// at its next regular look.
    pub fn committed(&self) {
        self.wake.notify_one();
    }
}

/// A subscriber of a publisher's events, for the no-broker transport.
#[derive(Debug, Clone)]
pub struct Subscriber {
    /// The subscribing service's name.
    pub service: &'static str,
    /// Its base URL.
    pub url: String,
    /// The CloudEvents types it handles.
    pub types: Vec<&'static str>,
}

/// Moves committed events from the outbox to the subscribers.
pub struct Relay {
    db: Db,
    outbox: Outbox,
    subscribers: Vec<Subscriber>,
    settings: Settings,
    client: reqwest::Client,
    /// When each unreachable subscriber was last reported.
    warned: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// The key its deliveries carry.
    key: Option<EventsKey>,
}

const UNPUBLISHED: Sql = Sql {
    sqlite: "SELECT \"seq\", \"type\", \"subject\" FROM \"_svcgen_outbox\" WHERE \"published_at\" IS NULL ORDER BY \"seq\" LIMIT 500",
    postgres: "SELECT \"seq\", \"type\", \"subject\" FROM \"_svcgen_outbox\" WHERE \"published_at\" IS NULL ORDER BY \"seq\" LIMIT 500",
};
/// Gives each of the events whose numbers are in the JSON array `$3`, of a type in the JSON
/// array `$4`, a delivery to subscriber `$1`.
const ADD_DELIVERIES: Sql = Sql {
    sqlite: "INSERT INTO \"_svcgen_deliveries\" (\"seq\", \"subscriber\", \"type\", \"subject\", \"next_at\") SELECT \"seq\", ?1, \"type\", \"subject\", ?2 FROM \"_svcgen_outbox\" WHERE \"seq\" IN (SELECT value FROM json_each(?3)) AND \"type\" IN (SELECT value FROM json_each(?4)) ON CONFLICT DO NOTHING",
    postgres: "INSERT INTO \"_svcgen_deliveries\" (\"seq\", \"subscriber\", \"type\", \"subject\", \"next_at\") SELECT \"seq\", $1, \"type\", \"subject\", $2 FROM \"_svcgen_outbox\" WHERE \"seq\" IN (SELECT jsonb_array_elements_text($3::jsonb)::bigint) AND \"type\" IN (SELECT jsonb_array_elements_text($4::jsonb)) ON CONFLICT DO NOTHING",
};
/// Marks the events whose numbers are in the JSON array `$2` published.
const MARK_PUBLISHED: Sql = Sql {
    sqlite: "UPDATE \"_svcgen_outbox\" SET \"published_at\" = ? WHERE \"seq\" IN (SELECT value FROM json_each(?))",
    postgres: "UPDATE \"_svcgen_outbox\" SET \"published_at\" = $1 WHERE \"seq\" IN (SELECT jsonb_array_elements_text($2::jsonb)::bigint)",
};
/// Due deliveries in publishing order, leaving out any behind an undelivered earlier event of
/// the same type and ordering key for the same subscriber (each such check one probe of the
/// partial index of waiting deliveries).
const DUE: Sql = Sql {
    sqlite: "SELECT d.\"seq\", d.\"subscriber\", d.\"attempts\", o.\"id\", o.\"type\", o.\"subject\", o.\"time\", o.\"request_id\", o.\"data\", o.\"auth_type\", o.\"auth_id\", o.\"traceparent\" FROM \"_svcgen_deliveries\" d JOIN \"_svcgen_outbox\" o ON o.\"seq\" = d.\"seq\" WHERE d.\"done_at\" IS NULL AND d.\"next_at\" <= ? AND NOT EXISTS (SELECT 1 FROM \"_svcgen_deliveries\" e WHERE e.\"subscriber\" = d.\"subscriber\" AND e.\"type\" = d.\"type\" AND e.\"subject\" = d.\"subject\" AND e.\"seq\" < d.\"seq\" AND e.\"done_at\" IS NULL) AND d.\"subscriber\" = ? ORDER BY d.\"seq\" LIMIT 200",
    postgres: "SELECT d.\"seq\", d.\"subscriber\", d.\"attempts\", o.\"id\", o.\"type\", o.\"subject\", o.\"time\", o.\"request_id\", o.\"data\", o.\"auth_type\", o.\"auth_id\", o.\"traceparent\" FROM \"_svcgen_deliveries\" d JOIN \"_svcgen_outbox\" o ON o.\"seq\" = d.\"seq\" WHERE d.\"done_at\" IS NULL AND d.\"next_at\" <= $1 AND NOT EXISTS (SELECT 1 FROM \"_svcgen_deliveries\" e WHERE e.\"subscriber\" = d.\"subscriber\" AND e.\"type\" = d.\"type\" AND e.\"subject\" = d.\"subject\" AND e.\"seq\" < d.\"seq\" AND e.\"done_at\" IS NULL) AND d.\"subscriber\" = $2 ORDER BY d.\"seq\" LIMIT 200",
};
/// Marks the deliveries to subscriber `$2` of the events whose numbers are in the JSON array
/// `$3` done.
const DELIVERED: Sql = Sql {
    sqlite: "UPDATE \"_svcgen_deliveries\" SET \"done_at\" = ?, \"attempts\" = \"attempts\" + 1 WHERE \"subscriber\" = ? AND \"seq\" IN (SELECT value FROM json_each(?))",
    postgres: "UPDATE \"_svcgen_deliveries\" SET \"done_at\" = $1, \"attempts\" = \"attempts\" + 1 WHERE \"subscriber\" = $2 AND \"seq\" IN (SELECT jsonb_array_elements_text($3::jsonb)::bigint)",
};
/// Deliveries posted to one subscriber at once.
pub const IN_FLIGHT: usize = 16;
const RETRY: Sql = Sql {
    sqlite: "UPDATE \"_svcgen_deliveries\" SET \"next_at\" = ?, \"attempts\" = \"attempts\" + 1, \"last_error\" = ? WHERE \"seq\" = ? AND \"subscriber\" = ?",
    postgres: "UPDATE \"_svcgen_deliveries\" SET \"next_at\" = $1, \"attempts\" = \"attempts\" + 1, \"last_error\" = $2 WHERE \"seq\" = $3 AND \"subscriber\" = $4",
};
const PENDING: Sql = Sql {
    sqlite: "SELECT \"subscriber\", COUNT(*) FROM \"_svcgen_deliveries\" WHERE \"done_at\" IS NULL GROUP BY \"subscriber\" ORDER BY \"subscriber\"",
    postgres: "SELECT \"subscriber\", COUNT(*) FROM \"_svcgen_deliveries\" WHERE \"done_at\" IS NULL GROUP BY \"subscriber\" ORDER BY \"subscriber\"",
};
const FORGET_DELIVERED: Sql = Sql {
    sqlite: "DELETE FROM \"_svcgen_outbox\" WHERE \"published_at\" < ? AND NOT EXISTS (SELECT 1 FROM \"_svcgen_deliveries\" d WHERE d.\"seq\" = \"_svcgen_outbox\".\"seq\" AND d.\"done_at\" IS NULL)",
    postgres: "DELETE FROM \"_svcgen_outbox\" WHERE \"published_at\" < $1 AND NOT EXISTS (SELECT 1 FROM \"_svcgen_deliveries\" d WHERE d.\"seq\" = \"_svcgen_outbox\".\"seq\" AND d.\"done_at\" IS NULL)",
};
const FORGET_DELIVERIES: Sql = Sql {
    sqlite: "DELETE FROM \"_svcgen_deliveries\" WHERE \"done_at\" < ?",
    postgres: "DELETE FROM \"_svcgen_deliveries\" WHERE \"done_at\" < $1",
};

/// What one look at the outbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Events fanned out to their subscribers.
    pub published: usize,
    /// Deliveries a subscriber accepted.
    pub delivered: usize,
    /// Deliveries to try again later.
    pub retried: usize,
}

impl Pass {
    fn add(&mut self, other: Pass) {
        self.published += other.published;
        self.delivered += other.delivered;
        self.retried += other.retried;
    }
}

impl Relay {
    /// The relay of `outbox` on `db`, delivering over HTTP to `subscribers`.
    pub fn new(
        db: Db,
        outbox: Outbox,
        subscribers: Vec<Subscriber>,
        settings: Settings,
    ) -> Result<Relay, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot build the HTTP client of the event relay: {e}"))?;
        Ok(Relay {
            db,
            outbox,
            subscribers,
            settings,
            client,
            warned: std::sync::Mutex::default(),
            key: None,
        })
    }

    /// The same relay, sending `key` with every delivery.
    pub fn with_key(mut self, key: Option<EventsKey>) -> Relay {
        self.key = key;
        self
    }

    /// Runs until the process ends: looks at the outbox when a commit published, and at least
    /// every 250 ms (events committed by another replica, retries falling due); logs the
    /// events waiting per subscriber every 30 s while any wait, and forgets delivered events
    /// after the retention period.
    pub async fn run(self) {
        let mut last_report = tokio::time::Instant::now();
        let mut last_cleanup = tokio::time::Instant::now();
        loop {
            let busy = match self.pass().await {
                Ok(pass) => pass.published > 0 || pass.delivered > 0,
                Err(e) => {
                    tracing::warn!("event relay: {e}");
                    false
                }
            };
            if last_report.elapsed() >= Duration::from_secs(30) {
                last_report = tokio::time::Instant::now();
                match self.pending().await {
                    Ok(waiting) if !waiting.is_empty() => {
                        tracing::info!(?waiting, "events waiting for delivery, per subscriber");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("event relay: counting waiting events: {e}"),
                }
            }
            if last_cleanup.elapsed() >= Duration::from_secs(3600) {
                last_cleanup = tokio::time::Instant::now();
                if let Err(e) = forget_delivered(&self.db, now() - self.settings.retention).await {
                    tracing::warn!("event relay: forgetting delivered events: {e}");
                }
            }
            if !busy {
                let _ =
                    tokio::time::timeout(Duration::from_millis(250), self.outbox.wake.notified())
                        .await;
            }
        }
    }

    /// One look: fans new events out to their subscribers, then tries the due deliveries.
    pub async fn pass(&self) -> Result<Pass, Error> {
        let mut pass = Pass {
            published: self.fan_out().await?,
            ..Pass::default()
        };
        // Each subscriber in turn, so one that is down or slow holds up no other.
        for s in &self.subscribers {
            pass.add(self.deliver_due(s.service).await?);
        }
        Ok(pass)
    }

    /// Tries the due deliveries to one subscriber: at most one per ordering key is due at a
    /// time (the query leaves out any behind an undelivered one of its key), so they are posted
    /// together, up to [`IN_FLIGHT`] at once; the delivered ones are marked in one statement.
    /// Once the subscriber is found unreachable no more are posted (those keep their place for
    /// the next pass).
    async fn deliver_due(&self, subscriber: &str) -> Result<Pass, Error> {
        use futures_util::StreamExt;
        let mut pass = Pass::default();
        let db = &self.db;
        let due = db
            .query(&DUE)
            .bind(now())
            .bind(subscriber)
            .fetch_all(&mut On::Db(db))
            .await?;
        let mut batch = Vec::with_capacity(due.len());
        for row in &due {
            let seq: i64 = row.get(0)?;
            let attempts: i32 = row.get(2)?;
            let envelope = Envelope {
                id: row.get(3)?,
                event_type: row.get(4)?,
                subject: row.get(5)?,
                time: row.get(6)?,
                request_id: row.get(7)?,
                data: row.get(8)?,
                actor: actor_of_row(row, 9)?,
                traceparent: row.get(11)?,
                source: self.outbox.source().to_owned(),
            };
            batch.push((seq, attempts.max(0) as u32 + 1, envelope));
        }
        let unreachable = std::sync::atomic::AtomicBool::new(false);
        let (batch, unreachable) = (&batch, &unreachable);
        let outcomes: Vec<_> = futures_util::stream::iter(0..batch.len())
            .map(|i| {
                let (_, attempt, envelope) = &batch[i];
                async move {
                    if unreachable.load(std::sync::atomic::Ordering::Relaxed) {
                        return None;
                    }
                    let delivered = self.deliver(subscriber, envelope, *attempt).await;
                    if let Err(Failure::Unreachable(_)) = &delivered {
                        unreachable.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    Some(delivered)
                }
            })
            .buffered(IN_FLIGHT)
            .collect()
            .await;
        let mut delivered = Vec::new();
        for ((seq, attempt, envelope), outcome) in batch.iter().zip(outcomes) {
            match outcome {
                None => {}
                Some(Ok(())) => {
                    tracing::info!(
                        event = %envelope.event_type,
                        id = %envelope.id,
                        "event delivered: {} -> {subscriber}",
                        envelope.source
                    );
                    delivered.push(*seq);
                }
                Some(Err(Failure::Unreachable(why))) => {
                    // Not the event's fault: it keeps its place and its attempts, and the
                    // subscriber is tried again at the next pass (a few times a second).
                    self.warn_unreachable(subscriber, &why);
                }
                Some(Err(failure)) => {
                    let delay = self.settings.retry_delay(*attempt);
                    let next = now()
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero());
                    db.query(&RETRY)
                        .bind(next)
                        .bind(failure.to_string())
                        .bind(seq)
                        .bind(subscriber)
                        .execute(&mut On::Db(db))
                        .await?;
                    tracing::warn!(
                        event = %envelope.event_type,
                        id = %envelope.id,
                        attempt,
                        retry_in_ms = delay.as_millis() as u64,
                        "event not delivered to {subscriber}: {failure}"
                    );
                    pass.retried += 1;
                }
            }
        }
        if !delivered.is_empty() {
            db.query(&DELIVERED)
                .bind(now())
                .bind(subscriber)
                .bind(json_list(&delivered))
                .execute(&mut On::Db(db))
                .await?;
            pass.delivered = delivered.len();
        }
        Ok(pass)
    }

    /// Logs that `subscriber` cannot be reached, at most every 30 s per subscriber.
    fn warn_unreachable(&self, subscriber: &str, why: &str) {
        let mut warned = self
            .warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        let due = warned
            .get(subscriber)
            .is_none_or(|at| now.duration_since(*at) >= Duration::from_secs(30));
        if due {
            warned.insert(subscriber.to_owned(), now);
            tracing::warn!("events for {subscriber} wait: it cannot be reached ({why})");
        }
    }

    /// Gives each new event a delivery row per subscriber of its type, in one transaction.
    async fn fan_out(&self) -> Result<usize, Error> {
        let db = &self.db;
        let new = db.query(&UNPUBLISHED).fetch_all(&mut On::Db(db)).await?;
        if new.is_empty() {
            return Ok(0);
        }
        let mut seqs = Vec::with_capacity(new.len());
        for row in &new {
            seqs.push(row.get::<i64>(0)?);
        }
        let seqs = json_list(&seqs);
        let at = now();
        let mut tx = db.begin().await?;
        for s in &self.subscribers {
            let types = serde_json::to_string(&s.types).unwrap_or_else(|_| "[]".to_owned());
            tx.query(&ADD_DELIVERIES)
                .bind(s.service)
                .bind(at)
                .bind(&seqs)
                .bind(types)
                .execute(&mut On::Tx(&mut tx))
                .await?;
        }
        tx.query(&MARK_PUBLISHED)
            .bind(at)
            .bind(&seqs)
            .execute(&mut On::Tx(&mut tx))
            .await?;
        tx.commit().await?;
        Ok(new.len())
    }

    /// Posts one event to one subscriber.
    async fn deliver(
        &self,
        subscriber: &str,
        event: &Envelope,
        attempt: u32,
    ) -> Result<(), Failure> {
        let Some(s) = self.subscribers.iter().find(|s| s.service == subscriber) else {
            // Another replica (a newer or older version) fanned the event out to it: this one
            // leaves it to them.
            return Err(Failure::Unreachable(format!(
                "`{subscriber}` is not a subscriber this replica knows"
            )));
        };
        let mut request = self
            .client
            .post(format!("{}{DELIVERY_PATH}", s.url.trim_end_matches('/')))
            .header(ATTEMPT_HEADER, attempt.to_string());
        for (name, value) in event.headers() {
            request = request.header(name, value);
        }
        if let Some(r) = &event.request_id {
            request = request.header(REQUEST_ID_HEADER, r);
        }
        if let Some(key) = &self.key {
            let mut value = HeaderValue::from_str(&key.0).map_err(|_| {
                Failure::Unreachable("the events key is not a header value".to_owned())
            })?;
            value.set_sensitive(true);
            request = request.header(EVENTS_KEY_HEADER, value);
        }
        let answer = request
            .body(event.data.clone())
            .send()
            .await
            .map_err(|e| Failure::Unreachable(crate::redact::redact(&e.to_string())))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        if matches!(status.as_u16(), 429 | 502 | 503 | 504) {
            // The subscriber (or its database) cannot take it now: no attempt used.
            return Err(Failure::Unreachable(format!(
                "{subscriber} answered {status}"
            )));
        }
        let body = answer.text().await.unwrap_or_default();
        Err(Failure::Refused(format!(
            "{subscriber} answered {status}: {}",
            crate::redact::excerpt(&body)
        )))
    }

    /// Events waiting for delivery, per subscriber.
    pub async fn pending(&self) -> Result<Vec<(String, i64)>, Error> {
        let db = &self.db;
        db.query(&PENDING)
            .fetch_all(&mut On::Db(db))
            .await?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
    }
}

/// Event numbers as a JSON array, for statements taking a list (`json_each`,
/// `jsonb_array_elements_text`).
fn json_list(seqs: &[i64]) -> String {
    serde_json::to_string(seqs).unwrap_or_else(|_| "[]".to_owned())
}

/// Forgets the events delivered (or published to the broker) before `before`.
async fn forget_delivered(db: &Db, before: DateTime<Utc>) -> Result<(), Error> {
    db.query(&FORGET_DELIVERIES)
        .bind(before)
        .execute(&mut On::Db(db))
        .await?;
    db.query(&FORGET_DELIVERED)
        .bind(before)
        .execute(&mut On::Db(db))
        .await?;
    Ok(())
}

/// Why a delivery did not happen.
#[derive(Debug)]
enum Failure {
    /// The subscriber could not be reached (its deliveries wait, their attempts unchanged).
    Unreachable(String),
    /// The subscriber answered that it did not handle the event (its handler failed).
    Refused(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(why) | Failure::Refused(why) => f.write_str(why),
        }
    }
}

// The subscriber's side.

/// Why a handler did not handle an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerError {
    /// The event can never be handled (its payload does not decode or breaks a constraint,
    /// its type is unknown): it goes to the dead letters at once.
    Invalid(String),
    /// The handler failed: the event is tried again later.
    Failed(String),
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandlerError::Invalid(why) => write!(f, "invalid event: {why}"),
            HandlerError::Failed(why) => write!(f, "handler failed: {why}"),
        }
    }
}

/// A future handing back the transaction to commit, or why not.
pub type Handling<'a> = Pin<Box<dyn Future<Output = Result<Tx, HandlerError>> + Send + 'a>>;

/// What a subscribing service does with each event it receives (generated from the spec: it
/// decodes and validates the payload and calls the handler the spec names).
pub trait Dispatch: Send + Sync + 'static {
    /// Handles `event` inside `tx` (which already holds the inbox row) and hands `tx` back to
    /// be committed.
    fn dispatch<'a>(&'a self, event: &'a Envelope, attempt: u32, tx: Tx) -> Handling<'a>;
}

/// What became of one received event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handled now.
    Handled,
    /// Handled before: nothing done.
    Duplicate,
    /// Put in the dead letters (invalid, or failed on its last attempt).
    DeadLettered(String),
    /// The handler failed; the event should come again.
    Failed(String),
}

const CLAIM: Sql = Sql {
    sqlite: "INSERT INTO \"_svcgen_inbox\" (\"id\", \"type\", \"handled_at\") VALUES (?, ?, ?)",
    postgres: "INSERT INTO \"_svcgen_inbox\" (\"id\", \"type\", \"handled_at\") VALUES ($1, $2, $3)",
};
const IS_HANDLED: Sql = Sql {
    sqlite: "SELECT 1 FROM \"_svcgen_inbox\" WHERE \"id\" = ?",
    postgres: "SELECT 1 FROM \"_svcgen_inbox\" WHERE \"id\" = $1",
};
const DEAD_LETTER: Sql = Sql {
    sqlite: "INSERT INTO \"_svcgen_dead_letters\" (\"id\", \"type\", \"source\", \"subject\", \"time\", \"request_id\", \"data\", \"attempts\", \"error\", \"failed_at\", \"auth_type\", \"auth_id\", \"traceparent\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (\"id\") DO UPDATE SET \"attempts\" = excluded.\"attempts\", \"error\" = excluded.\"error\", \"failed_at\" = excluded.\"failed_at\"",
    postgres: "INSERT INTO \"_svcgen_dead_letters\" (\"id\", \"type\", \"source\", \"subject\", \"time\", \"request_id\", \"data\", \"attempts\", \"error\", \"failed_at\", \"auth_type\", \"auth_id\", \"traceparent\") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (\"id\") DO UPDATE SET \"attempts\" = excluded.\"attempts\", \"error\" = excluded.\"error\", \"failed_at\" = excluded.\"failed_at\"",
};
const LIST_DEAD: Sql = Sql {
    sqlite: "SELECT \"id\", \"type\", \"source\", \"subject\", \"time\", \"request_id\", \"data\", \"attempts\", \"error\", \"failed_at\", \"auth_type\", \"auth_id\", \"traceparent\" FROM \"_svcgen_dead_letters\" ORDER BY \"failed_at\", \"id\" LIMIT 1000",
    postgres: "SELECT \"id\", \"type\", \"source\", \"subject\", \"time\", \"request_id\", \"data\", \"attempts\", \"error\", \"failed_at\", \"auth_type\", \"auth_id\", \"traceparent\" FROM \"_svcgen_dead_letters\" ORDER BY \"failed_at\", \"id\" LIMIT 1000",
};
const GET_DEAD: Sql = Sql {
    sqlite: "SELECT \"id\", \"type\", \"source\", \"subject\", \"time\", \"request_id\", \"data\", \"attempts\", \"error\", \"failed_at\", \"auth_type\", \"auth_id\", \"traceparent\" FROM \"_svcgen_dead_letters\" WHERE \"id\" = ?",
    postgres: "SELECT \"id\", \"type\", \"source\", \"subject\", \"time\", \"request_id\", \"data\", \"attempts\", \"error\", \"failed_at\", \"auth_type\", \"auth_id\", \"traceparent\" FROM \"_svcgen_dead_letters\" WHERE \"id\" = $1",
};
const REMOVE_DEAD: Sql = Sql {
    sqlite: "DELETE FROM \"_svcgen_dead_letters\" WHERE \"id\" = ?",
    postgres: "DELETE FROM \"_svcgen_dead_letters\" WHERE \"id\" = $1",
};
const FORGET_HANDLED: Sql = Sql {
    sqlite: "DELETE FROM \"_svcgen_inbox\" WHERE \"handled_at\" < ?",
    postgres: "DELETE FROM \"_svcgen_inbox\" WHERE \"handled_at\" < $1",
};

/// A subscriber's inbox and dead letters.
#[derive(Clone)]
pub struct Inbox {
    db: Db,
    dispatch: Arc<dyn Dispatch>,
    settings: Settings,
    key: Option<EventsKey>,
}

/// The variable naming the file that holds the key the services of a system deliver events to
/// each other with: required in a system that declares auth, so that no one else can post an
/// event (and the caller it claims) or read and replay dead letters.
pub const EVENTS_KEY_FILE: &str = "EVENTS_KEY_FILE";

/// The header the events key travels in.
pub const EVENTS_KEY_HEADER: &str = "svcgen-events-key";

/// The key of the internal event routes, shared by the services of one system. Never logged.
#[derive(Clone)]
pub struct EventsKey(Arc<str>);

impl std::fmt::Debug for EventsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventsKey(***)")
    }
}

impl EventsKey {
    /// The key `text` (surrounding white space removed); `Err` when nothing is left or it is
    /// not visible ASCII (it travels in a header).
    pub fn new(text: &str) -> Result<EventsKey, String> {
        let key = text.trim();
        if key.len() < 16 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("an events key is at least 16 visible ASCII characters".to_owned());
        }
        Ok(EventsKey(Arc::from(key)))
    }

    /// The key in the file `EVENTS_KEY_FILE` names; with the variable unset, `Err` when
    /// `required` (the system declares auth), else none (the routes are open).
    pub fn from_env(required: bool) -> Result<Option<EventsKey>, String> {
        let Some(path) = std::env::var_os(EVENTS_KEY_FILE).filter(|p| !p.is_empty()) else {
            return if required {
                Err(format!(
                    "{EVENTS_KEY_FILE} must name the file holding the key the system's services deliver events with (the system declares auth); `svcgen key --events` makes one"
                ))
            } else {
                Ok(None)
            };
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "{EVENTS_KEY_FILE}: cannot read {}: {e}",
                std::path::Path::new(&path).display()
            )
        })?;
        EventsKey::new(&text)
            .map(Some)
            .map_err(|e| format!("{EVENTS_KEY_FILE}: {e}"))
    }

    /// Whether `headers` carry this key (compared in constant time).
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers.get(EVENTS_KEY_HEADER) else {
            return false;
        };
        let (given, key) = (given.as_bytes(), self.0.as_bytes());
        given.len() == key.len()
            && given.iter().zip(key).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// An event that could not be handled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// The event.
    #[serde(flatten)]
    pub event: Envelope,
    /// Attempts made.
    pub attempts: i32,
    /// Why the last one failed.
    pub error: String,
    /// When it was put here.
    pub failed_at: DateTime<Utc>,
}

impl Inbox {
    /// The inbox on `db`, handing events to `dispatch`; forgets handled events after the
    /// retention period, looking every hour.
    pub fn new(db: Db, dispatch: Arc<dyn Dispatch>, settings: Settings) -> Inbox {
        let inbox = Inbox {
            db,
            dispatch,
            settings,
            key: None,
        };
        let forgetting = inbox.clone();
        tokio::spawn(async move {
            loop {
                let before = now() - forgetting.settings.retention;
                let db = &forgetting.db;
                if let Err(e) = db
                    .query(&FORGET_HANDLED)
                    .bind(before)
                    .execute(&mut On::Db(db))
                    .await
                {
                    tracing::warn!("forgetting handled events: {e}");
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        });
        inbox
    }

    /// Handles one received event, once: in a transaction with its inbox row, so a
    /// redelivery finds the row and does nothing. An invalid event, or a failure on attempt
    /// `max_attempts` or later, goes to the dead letters.
    pub async fn receive(&self, event: &Envelope, attempt: u32) -> Result<Outcome, Error> {
        let db = &self.db;
        let mut tx = db.begin().await?;
        let claimed = tx
            .query(&CLAIM)
            .bind(event.id)
            .bind(&event.event_type)
            .bind(now())
            .execute(&mut On::Tx(&mut tx))
            .await;
        match claimed {
            Ok(_) => {}
            Err(Error::Unique(_)) => {
                tx.rollback().await?;
                return Ok(Outcome::Duplicate);
            }
            Err(e) => return Err(e),
        }
        // Handling the event is a span of the trace that published it, under the request id
        // that caused it: what the handler calls and publishes carries both on.
        let (id, trace, span) = handling_context(event);
        let handled = AssertUnwindSafe(tokio::time::timeout(
            self.settings.handler_timeout,
            crate::context::with_request(
                id,
                trace,
                // The events the handler publishes record the actor of this one.
                crate::context::on_behalf_of(
                    None,
                    event.actor.clone(),
                    self.dispatch.dispatch(event, attempt, tx),
                ),
            )
            .instrument(span),
        ))
        .catch_unwind()
        .await;
        let handled = match handled {
            Ok(Ok(result)) => result,
            Ok(Err(_elapsed)) => Err(HandlerError::Failed(format!(
                "the handler took longer than {} ms",
                self.settings.handler_timeout.as_millis()
            ))),
            Err(_panic) => Err(HandlerError::Failed("the handler panicked".to_owned())),
        };
        let failure = match handled {
            Ok(tx) => {
                tx.commit().await?;
                // PostgreSQL ends a transaction in which a statement failed with a rollback,
                // even when asked to commit (a handler that went on after a failed write):
                // the event is handled only if its inbox row is there.
                if !self.is_handled(event.id).await? {
                    return self
                        .failed(
                            event,
                            attempt,
                            HandlerError::Failed(
                                "a statement of the handler's transaction failed, so nothing was kept"
                                    .to_owned(),
                            ),
                        )
                        .await;
                }
                tracing::info!(
                    event = %event.event_type,
                    id = %event.id,
                    attempt,
                    "event handled, published by {}",
                    event.source
                );
                return Ok(Outcome::Handled);
            }
            Err(failure) => failure,
        };
        self.failed(event, attempt, failure).await
    }

    /// A failed attempt: to be tried again, or, when invalid or on its last attempt, put in the
    /// dead letters.
    async fn failed(
        &self,
        event: &Envelope,
        attempt: u32,
        failure: HandlerError,
    ) -> Result<Outcome, Error> {
        let last = attempt >= self.settings.max_attempts;
        match failure {
            HandlerError::Failed(why) if !last => {
                tracing::warn!(event = %event.event_type, id = %event.id, attempt, "event handler failed: {why}");
                Ok(Outcome::Failed(why))
            }
            failure => {
                let why = failure.to_string();
                self.dead_letter(event, attempt, &why).await?;
                tracing::error!(event = %event.event_type, id = %event.id, attempt, "event put in the dead letters: {why}");
                Ok(Outcome::DeadLettered(why))
            }
        }
    }

    /// Whether the inbox holds event `id`.
    async fn is_handled(&self, id: Uuid) -> Result<bool, Error> {
        if self.db.dialect() == Dialect::Sqlite {
            // A failed statement leaves an SQLite transaction open and committable.
            return Ok(true);
        }
        let db = &self.db;
        Ok(db
            .query(&IS_HANDLED)
            .bind(id)
            .fetch_optional(&mut On::Db(db))
            .await?
            .is_some())
    }

    async fn dead_letter(&self, event: &Envelope, attempts: u32, why: &str) -> Result<(), Error> {
        let db = &self.db;
        db.query(&DEAD_LETTER)
            .bind(event.id)
            .bind(&event.event_type)
            .bind(&event.source)
            .bind(&event.subject)
            .bind(event.time)
            .bind(&event.request_id)
            .bind(&event.data)
            .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
            .bind(why)
            .bind(now())
            .bind(event.actor.as_ref().map(|a| &a.auth_type))
            .bind(event.actor.as_ref().and_then(|a| a.id.as_ref()))
            .bind(&event.traceparent)
            .execute(&mut On::Db(db))
            .await
            .map(drop)
    }

    /// The dead letters, oldest first (at most 1 000).
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, Error> {
        let db = &self.db;
        db.query(&LIST_DEAD)
            .fetch_all(&mut On::Db(db))
            .await?
            .iter()
            .map(dead_letter)
            .collect()
    }

    /// Handles the dead letter `id` again: removed from the dead letters when handled (or
    /// found handled already), kept with the new error when it fails again. `None` when there
    /// is no such dead letter.
    pub async fn replay(&self, id: Uuid) -> Result<Option<Outcome>, Error> {
        let db = &self.db;
        let Some(row) = db
            .query(&GET_DEAD)
            .bind(id)
            .fetch_optional(&mut On::Db(db))
            .await?
        else {
            return Ok(None);
        };
        let letter = dead_letter(&row)?;
        // A replay is a last attempt: a failure puts it back at once.
        let attempt = (letter.attempts.max(0) as u32 + 1).max(self.settings.max_attempts);
        let outcome = self.receive(&letter.event, attempt).await?;
        if matches!(outcome, Outcome::Handled | Outcome::Duplicate) {
            db.query(&REMOVE_DEAD)
                .bind(id)
                .execute(&mut On::Db(db))
                .await?;
        }
        Ok(Some(outcome))
    }

    /// The same inbox, its routes answering only requests that carry `key` (401 otherwise).
    pub fn with_key(mut self, key: Option<EventsKey>) -> Inbox {
        self.key = key;
        self
    }

    /// The refusal of a request to the internal routes without the key, when there is one.
    fn refuse(&self, headers: &HeaderMap) -> Option<Response> {
        let key = self.key.as_ref()?;
        if key.admits(headers) {
            return None;
        }
        tracing::info!("refused: a request to the internal event routes without the events key");
        Some(
            Problem::new(401, "Unauthorized")
                .with_detail("the internal event routes take the system's events key")
                .into_response(),
        )
    }

    /// The subscriber's internal routes: event delivery (`POST /_svcgen/events`), dead
    /// letters (`GET /_svcgen/dead-letters`) and their replay
    /// (`POST /_svcgen/dead-letters/{id}/replay`). Not part of the service's API: no gateway
    /// exposes them.
    pub fn routes(&self) -> Router {
        Router::new()
            .route(DELIVERY_PATH, axum::routing::post(deliver))
            .with_state(self.clone())
            .merge(self.dead_letter_routes())
    }

    /// The dead-letter routes alone (events come from the broker).
    pub fn dead_letter_routes<S>(&self) -> Router<S> {
        Router::new()
            .route(DEAD_LETTERS_PATH, axum::routing::get(list_dead_letters))
            .route(
                &format!("{DEAD_LETTERS_PATH}/{{id}}/replay"),
                axum::routing::post(replay_dead_letter),
            )
            .with_state(self.clone())
    }
}

/// The request id and trace context an event is handled in: the request id that caused it
/// (else the one being served, else a new one), and a span of the trace that published it
/// (exported while telemetry is: the span returned).
fn handling_context(event: &Envelope) -> (RequestId, TraceContext, tracing::Span) {
    let id = event
        .request_id
        .as_deref()
        .and_then(|r| HeaderValue::from_str(r).ok())
        .and_then(|v| RequestId::from_header(&v))
        .or_else(request_id)
        .unwrap_or_else(|| RequestId::from(Uuid::new_v4()));
    let parent = event
        .traceparent
        .as_deref()
        .and_then(|t| Parent::parse(t.as_bytes(), None));
    if crate::telemetry::enabled() {
        let span = crate::telemetry::consumer_span(&event.event_type, &event.id.to_string(), &id);
        if let Some(trace) = crate::telemetry::join(&span, parent.clone()) {
            return (id, trace, span);
        }
    }
    let trace = TraceContext::new(parent, fastrand::u128(..));
    (id, trace, tracing::Span::none())
}

fn dead_letter(row: &crate::store::Row) -> Result<DeadLetter, Error> {
    Ok(DeadLetter {
        event: Envelope {
            id: row.get(0)?,
            event_type: row.get(1)?,
            source: row.get(2)?,
            subject: row.get(3)?,
            time: row.get(4)?,
            request_id: row.get(5)?,
            data: row.get(6)?,
            actor: actor_of_row(row, 10)?,
            traceparent: row.get(12)?,
        },
        attempts: row.get(7)?,
        error: row.get(8)?,
        failed_at: row.get(9)?,
    })
}

/// The actor recorded in columns `at` (`auth_type`) and `at + 1` (`auth_id`) of `row`.
fn actor_of_row(row: &crate::store::Row, at: usize) -> Result<Option<Actor>, Error> {
    let auth_type: Option<String> = row.get(at)?;
    Ok(match auth_type {
        Some(auth_type) => Some(Actor {
            auth_type,
            id: row.get(at + 1)?,
        }),
        None => None,
    })
}

fn outcome_response(outcome: Outcome) -> Response {
    let (status, text) = match &outcome {
        Outcome::Handled => (StatusCode::OK, "handled"),
        Outcome::Duplicate => (StatusCode::OK, "duplicate"),
        Outcome::DeadLettered(_) => (StatusCode::OK, "dead-lettered"),
        Outcome::Failed(_) => (StatusCode::INTERNAL_SERVER_ERROR, "failed"),
    };
    if let Outcome::Failed(why) = outcome {
        return Problem::new(500, "Event handler failed")
            .with_detail(crate::redact::excerpt(&why))
            .into_response();
    }
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        serde_json::json!({ "outcome": text }).to_string(),
    )
        .into_response()
}

async fn deliver(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = inbox.refuse(&headers) {
        return refused;
    }
    let event = match Envelope::from_headers(&headers, &body) {
        Ok(e) => e,
        Err(why) => {
            return Problem::new(400, "Bad request")
                .with_detail(format!("not a CloudEvent: {why}"))
                .into_response();
        }
    };
    let attempt = headers
        .get(ATTEMPT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    match inbox.receive(&event, attempt).await {
        Ok(outcome) => outcome_response(outcome),
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn list_dead_letters(State(inbox): State<Inbox>, headers: HeaderMap) -> Response {
    if let Some(refused) = inbox.refuse(&headers) {
        return refused;
    }
    match inbox.dead_letters().await {
        Ok(list) => axum::Json(serde_json::json!({ "dead_letters": list })).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn replay_dead_letter(
    State(inbox): State<Inbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = inbox.refuse(&headers) {
        return refused;
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return Problem::new(404, "Not found")
            .with_detail("no dead letter has this id")
            .into_response();
    };
    match inbox.replay(id).await {
        Ok(Some(outcome)) => outcome_response(outcome),
        Ok(None) => Problem::new(404, "Not found")
            .with_detail("no dead letter has this id")
            .into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The subscribers' base URLs: `<SERVICE>_URL` for each (as for a dependency), else
/// `http://127.0.0.1:<its default port>`.
pub fn subscriber_url(env: &str, default_port: u16) -> Result<String, String> {
    crate::client::url_from_env(env, &format!("http://127.0.0.1:{default_port}")).map_err(|e| e.0)
}

// Wiring a service's events at start, from what the spec says it publishes and handles.

/// A service that handles some of a publisher's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The subscribing service.
    pub service: &'static str,
    /// The variable holding its base URL (as for a dependency: `<SERVICE>_URL`).
    pub url_env: &'static str,
    /// Its default port, for the URL when the variable is unset.
    pub default_port: u16,
}

/// One kind of event a service publishes, and who handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    /// The event.
    pub kind: Kind,
    /// The services that handle it.
    pub subscribers: &'static [Peer],
}

/// What a service does with events, as the spec says (generated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The system's name (folder form).
    pub system: &'static str,
    /// The service's name.
    pub service: &'static str,
    /// What it publishes.
    pub publishes: &'static [Publication],
    /// What it handles.
    pub subscribes: &'static [Kind],
    /// Whether the system declares auth: its internal event routes then take the events key
    /// ([`EVENTS_KEY_FILE`]).
    pub guarded: bool,
}

/// The variable that, when set, names a NATS server to carry events.
pub const NATS_URL: &str = "NATS_URL";

/// How events travel between services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// No broker: the publisher's relay posts each event to each subscriber.
    Http,
    /// NATS JetStream: the stream of subjects under `prefix` on the server at `url`.
    JetStream {
        /// The server (`nats://host:4222`).
        url: String,
        /// The subjects' prefix, which names the stream.
        prefix: String,
    },
}

impl Transport {
    /// JetStream when `NATS_URL` is set (and not empty), with the prefix `EVENTS_PREFIX` or
    /// else `system`; no broker otherwise.
    pub fn from_env(system: &str) -> Result<Transport, String> {
        let url = std::env::var(NATS_URL).unwrap_or_default();
        if url.trim().is_empty() {
            return Ok(Transport::Http);
        }
        let prefix = std::env::var(jetstream::PREFIX_ENV).unwrap_or_else(|_| system.to_owned());
        jetstream::check_prefix(&prefix)?;
        Ok(Transport::JetStream {
            url: url.trim().to_owned(),
            prefix,
        })
    }
}

/// A service's events, started: the outbox its handlers publish into (when it publishes) and
/// the relay delivering from it, running.
#[derive(Clone)]
pub struct Events {
    db: Db,
    plan: &'static Plan,
    outbox: Outbox,
    settings: Settings,
    bus: Option<jetstream::Bus>,
    key: Option<EventsKey>,
}

impl Events {
    /// [`Events::start_with`] the transport and settings of the environment.
    pub async fn start(db: &Db, plan: &'static Plan) -> Result<Events, String> {
        let settings = Settings::from_env()?;
        Events::start_with(db, plan, Transport::from_env(plan.system)?, settings).await
    }

    /// Creates the event tables when missing, connects to the broker when there is one and,
    /// when the service publishes, starts the relay. A one-line reason when the configuration
    /// is wrong or the broker cannot be reached.
    pub async fn start_with(
        db: &Db,
        plan: &'static Plan,
        transport: Transport,
        settings: Settings,
    ) -> Result<Events, String> {
        let key = EventsKey::from_env(plan.guarded)?;
        create_tables(db)
            .await
            .map_err(|e| format!("creating the event tables: {e}"))?;
        let outbox = Outbox::new(plan.system, plan.service);
        let bus = match transport {
            Transport::Http => None,
            Transport::JetStream { url, prefix } => Some(
                jetstream::Bus::connect(
                    &url,
                    &prefix,
                    settings.retention,
                    &format!("{}-{}", plan.system, plan.service),
                )
                .await?,
            ),
        };
        if plan.publishes.is_empty() {
            // Nothing to relay.
        } else if let Some(bus) = &bus {
            let publisher =
                jetstream::Publisher::new(db.clone(), outbox.clone(), bus.clone(), settings);
            tokio::spawn(publisher.run());
        } else {
            let mut subscribers: Vec<Subscriber> = Vec::new();
            for publication in plan.publishes {
                for peer in publication.subscribers {
                    let types = match subscribers.iter_mut().find(|s| s.service == peer.service) {
                        Some(s) => &mut s.types,
                        None => {
                            subscribers.push(Subscriber {
                                service: peer.service,
                                url: subscriber_url(peer.url_env, peer.default_port)?,
                                types: Vec::new(),
                            });
                            &mut subscribers.last_mut().expect("just pushed").types
                        }
                    };
                    types.push(publication.kind.wire_type);
                }
            }
            let relay = Relay::new(db.clone(), outbox.clone(), subscribers, settings)?
                .with_key(key.clone());
            tokio::spawn(relay.run());
        }
        Ok(Events {
            db: db.clone(),
            plan,
            outbox,
            settings,
            bus,
            key,
        })
    }

    /// The outbox handlers publish into.
    pub fn outbox(&self) -> Outbox {
        self.outbox.clone()
    }

    /// `router` with the subscriber's internal routes when the service handles events, each
    /// event going to `dispatch`: with no broker, the delivery endpoint and the dead letters;
    /// on JetStream, the dead letters, and a consumer per event type is started.
    pub fn serve(&self, router: Router, dispatch: impl Dispatch) -> Router {
        if self.plan.subscribes.is_empty() {
            return router;
        }
        let inbox = Inbox::new(self.db.clone(), Arc::new(dispatch), self.settings)
            .with_key(self.key.clone());
        match &self.bus {
            None => router.merge(inbox.routes()),
            Some(bus) => {
                // Running until the process ends.
                let _consumers = jetstream::consume(
                    bus,
                    &inbox,
                    self.plan.service,
                    self.plan.subscribes,
                    self.settings,
                );
                router.merge(inbox.dead_letter_routes())
            }
        }
    }
}

/// The value of an event's ordering key as its `subject`: a string as it is, anything else as
/// its JSON text.
pub fn subject_of<T: Serialize>(key: &T) -> Option<String> {
    match serde_json::to_value(key).ok()? {
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// The payload of `event`, decoded and validated: [`HandlerError::Invalid`] otherwise, so it
/// goes to the dead letters at once.
pub fn decode<T>(event: &Envelope) -> Result<T, HandlerError>
where
    T: serde::de::DeserializeOwned + crate::validation::Validate,
{
    let value: T = serde_json::from_str(&event.data)
        .map_err(|e| HandlerError::Invalid(format!("the payload does not decode: {e}")))?;
    value
        .validate()
        .map_err(|v| HandlerError::Invalid(format!("the payload breaks its constraints: {v}")))?;
    Ok(value)
}

impl From<Error> for HandlerError {
    /// A database error while handling: tried again later.
    fn from(e: Error) -> Self {
        HandlerError::Failed(e.to_string())
    }
}
