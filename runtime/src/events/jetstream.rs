//! The NATS JetStream transport, used when `NATS_URL` is set.
//!
//! - One stream per system (`EVENTS_PREFIX`, default the system's name): subjects
//!   `<prefix>.<event type>` (`shop.order.placed.v1`), kept on file for the retention period.
//! - The publisher's relay reads committed events from its outbox in publishing order and
//!   publishes each with its id as the message id (`Nats-Msg-Id`), so the broker drops a copy
//!   sent again after a crash between publishing and marking it published; the event is marked
//!   published only once the broker has acknowledged storing it.
//! - Each subscribing service has a durable pull consumer per event type
//!   (`<service>__<event type>`), which the broker remembers across restarts. An event is
//!   acknowledged only after the subscriber's transaction (its inbox row and the handler's
//!   writes) has committed: a crash before that gets it delivered again, and the inbox makes
//!   the second delivery do nothing.
//! - Events of one ordering key are handled one after another, in stream order, each retried
//!   in place (with the message's acknowledgement deadline pushed back) before the next of that
//!   key; events of other keys keep flowing meanwhile.

use super::{Envelope, Inbox, Kind, MARK_PUBLISHED, NATS_URL, Outbox, Outcome, Settings};
use crate::store::{Db, Error, On, Sql, now};
use async_nats::jetstream::{self, AckKind, Message, consumer, stream};
use futures_util::StreamExt;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The variable naming the prefix of the stream's subjects (default: the system's name).
pub const PREFIX_ENV: &str = "EVENTS_PREFIX";
/// Events waiting for their acknowledgement, per consumer, at most.
pub const MAX_ACK_PENDING: i64 = 1000;
/// How long the broker keeps a message id to drop a copy published again.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Whether `prefix` can start a subject: dot-separated tokens of letters, digits, `-` and `_`.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if prefix.len() <= 200 && prefix.split('.').all(token) {
        Ok(())
    } else {
        Err(format!(
            "{PREFIX_ENV} must be dot-separated words of letters, digits, `-` and `_` \
             (at most 200 characters), got `{prefix}`"
        ))
    }
}

/// The stream of the events under `prefix`: the prefix with its dots as `_` (stream names
/// have no dots).
pub fn stream_name(prefix: &str) -> String {
    prefix.replace('.', "_")
}

/// The durable consumer of `service` for events of type `wire_type`.
pub fn consumer_name(service: &str, wire_type: &str) -> String {
    format!("{service}__{}", wire_type.replace('.', "-"))
}

/// A connection to the broker and the system's stream.
#[derive(Clone)]
pub struct Bus {
    js: jetstream::Context,
    prefix: Arc<str>,
    stream: Arc<str>,
}

impl Bus {
    /// Connects to the NATS server at `url` as `client` and creates the stream of `prefix`
    /// when missing, keeping messages for `retention`. A one-line reason otherwise (without
    /// the URL's password).
    pub async fn connect(
        url: &str,
        prefix: &str,
        retention: Duration,
        client: &str,
    ) -> Result<Bus, String> {
        check_prefix(prefix)?;
        let connection = async_nats::ConnectOptions::new()
            .name(client)
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| {
                // The URL without its password; the error may quote the URL too.
                let shown = crate::store::redacted(url);
                let why = crate::redact::redact(&e.to_string()).replace(url, &shown);
                format!("cannot connect to the NATS server of {NATS_URL} ({shown}): {why}")
            })?;
        let bus = Bus {
            js: jetstream::new(connection),
            prefix: Arc::from(prefix),
            stream: Arc::from(stream_name(prefix)),
        };
        bus.js
            .get_or_create_stream(stream::Config {
                name: bus.stream.to_string(),
                subjects: vec![format!("{prefix}.>")],
                max_age: retention,
                storage: stream::StorageType::File,
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("cannot create the event stream `{}`: {e}", bus.stream))?;
        Ok(bus)
    }

    /// The subject of events of type `wire_type`.
    pub fn subject(&self, wire_type: &str) -> String {
        format!("{}.{wire_type}", self.prefix)
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The JetStream context, for tools and tests (deleting a test's stream).
    pub fn context(&self) -> &jetstream::Context {
        &self.js
    }
}

/// Logs a warning at most every 30 s.
#[derive(Default)]
struct Throttle(Mutex<Option<std::time::Instant>>);

impl Throttle {
    fn due(&self) -> bool {
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let now = std::time::Instant::now();
        let due = last.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(30));
        if due {
            *last = Some(now);
        }
        due
    }
}

const UNPUBLISHED_EVENTS: Sql = Sql {
    sqlite: "SELECT \"seq\", \"id\", \"type\", \"subject\", \"time\", \"request_id\", \"data\", \"auth_type\", \"auth_id\", \"traceparent\" FROM \"_svcgen_outbox\" WHERE \"published_at\" IS NULL ORDER BY \"seq\" LIMIT 500",
    postgres: "SELECT \"seq\", \"id\", \"type\", \"subject\", \"time\", \"request_id\", \"data\", \"auth_type\", \"auth_id\", \"traceparent\" FROM \"_svcgen_outbox\" WHERE \"published_at\" IS NULL ORDER BY \"seq\" LIMIT 500",
};
const COUNT_UNPUBLISHED: Sql = Sql {
    sqlite: "SELECT COUNT(*) FROM \"_svcgen_outbox\" WHERE \"published_at\" IS NULL",
    postgres: "SELECT COUNT(*) FROM \"_svcgen_outbox\" WHERE \"published_at\" IS NULL",
};

/// Moves committed events from a publisher's outbox to the stream.
pub struct Publisher {
    db: Db,
    outbox: Outbox,
    bus: Bus,
    settings: Settings,
    warned: Throttle,
}

impl Publisher {
    /// The relay of `outbox` on `db` to `bus`.
    pub fn new(db: Db, outbox: Outbox, bus: Bus, settings: Settings) -> Publisher {
        Publisher {
            db,
            outbox,
            bus,
            settings,
            warned: Throttle::default(),
        }
    }

    /// Runs until the process ends: publishes when a commit published, and at least every
    /// 250 ms; logs the events not yet on the stream every 30 s while any wait, and forgets
    /// published events after the retention period.
    pub async fn run(self) {
        let mut last_report = tokio::time::Instant::now();
        let mut last_cleanup = tokio::time::Instant::now();
        loop {
            let busy = match self.pass().await {
                Ok(published) => published > 0,
                Err(e) => {
                    if self.warned.due() {
                        tracing::warn!("events wait in the outbox: {e}");
                    }
                    false
                }
            };
            if last_report.elapsed() >= Duration::from_secs(30) {
                last_report = tokio::time::Instant::now();
                match self.unpublished().await {
                    Ok(0) => {}
                    Ok(waiting) => tracing::info!(waiting, "events waiting to be published"),
                    Err(e) => tracing::warn!("counting the events waiting to be published: {e}"),
                }
            }
            if last_cleanup.elapsed() >= Duration::from_secs(3600) {
                last_cleanup = tokio::time::Instant::now();
                if let Err(e) =
                    super::forget_delivered(&self.db, now() - self.settings.retention).await
                {
                    tracing::warn!("forgetting published events: {e}");
                }
            }
            if !busy {
                let _ =
                    tokio::time::timeout(Duration::from_millis(250), self.outbox.wake.notified())
                        .await;
            }
        }
    }

    /// One look at the outbox: publishes up to 500 events in publishing order, waits for the
    /// broker to acknowledge them, and marks the acknowledged ones published. How many were.
    pub async fn pass(&self) -> Result<usize, Error> {
        let db = &self.db;
        let rows = db
            .query(&UNPUBLISHED_EVENTS)
            .fetch_all(&mut On::Db(db))
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Sent one after another on one connection, so the stream holds them in this order;
        // the acknowledgements are awaited after, so a batch costs one round trip.
        let mut sent = Vec::with_capacity(rows.len());
        let mut failure = None;
        for row in &rows {
            let seq: i64 = row.get(0)?;
            let envelope = Envelope {
                id: row.get(1)?,
                event_type: row.get(2)?,
                subject: row.get(3)?,
                time: row.get(4)?,
                request_id: row.get(5)?,
                data: row.get(6)?,
                actor: super::actor_of_row(row, 7)?,
                traceparent: row.get(9)?,
                source: self.outbox.source().to_owned(),
            };
            let mut headers = async_nats::HeaderMap::new();
            for (name, value) in envelope.headers() {
                headers.insert(name, value.as_str());
            }
            let message = jetstream::message::PublishMessage::build()
                .payload(envelope.data.clone().into())
                .headers(headers)
                .message_id(envelope.id.to_string());
            match self
                .bus
                .js
                .send_publish(self.bus.subject(&envelope.event_type), message)
                .await
            {
                Ok(ack) => sent.push((seq, envelope, ack)),
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        // Marked in publishing order up to the first one the broker did not take: the rest are
        // sent again next time (a copy the broker already holds is dropped by its id).
        let mut published = Vec::with_capacity(sent.len());
        for (seq, envelope, ack) in sent {
            match ack.await {
                Ok(_) => published.push((seq, envelope)),
                Err(e) => {
                    failure.get_or_insert(e.to_string());
                    break;
                }
            }
        }
        if !published.is_empty() {
            let seqs: Vec<i64> = published.iter().map(|(seq, _)| *seq).collect();
            db.query(&MARK_PUBLISHED)
                .bind(now())
                .bind(super::json_list(&seqs))
                .execute(&mut On::Db(db))
                .await?;
            for (_, envelope) in &published {
                tracing::info!(
                    event = %envelope.event_type,
                    id = %envelope.id,
                    "event published: {} -> {}",
                    envelope.source,
                    self.bus.stream
                );
            }
        }
        match failure {
            Some(why) if published.is_empty() => Err(Error::Unavailable(format!(
                "the NATS server did not take them: {why}"
            ))),
            Some(why) => {
                if self.warned.due() {
                    tracing::warn!(
                        "some events wait in the outbox: the NATS server did not take them: {why}"
                    );
                }
                Ok(published.len())
            }
            None => Ok(published.len()),
        }
    }

    /// Events in the outbox not yet on the stream.
    pub async fn unpublished(&self) -> Result<i64, Error> {
        let db = &self.db;
        match db
            .query(&COUNT_UNPUBLISHED)
            .fetch_optional(&mut On::Db(db))
            .await?
        {
            Some(row) => row.get(0),
            None => Ok(0),
        }
    }
}

/// Messages received and not yet acknowledged, whose deadline is pushed back while they wait
/// (a retry, or an earlier event of their key).
#[derive(Default)]
struct Held(Mutex<HashMap<u64, Message>>);

impl Held {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Message>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Per ordering key, the events received behind the one being handled.
type Lanes = Mutex<HashMap<String, VecDeque<(Message, Envelope)>>>;

/// One subscribing service's consumer of one event type.
struct Consumer {
    bus: Bus,
    inbox: Inbox,
    name: String,
    subject: String,
    settings: Settings,
    held: Held,
    lanes: Lanes,
}

/// Starts a durable consumer per event type `service` handles, handing each event to `inbox`;
/// each keeps trying to reach the broker until the process ends or it is aborted through the
/// handles returned (a test's subscriber going down).
pub fn consume(
    bus: &Bus,
    inbox: &Inbox,
    service: &str,
    kinds: &[Kind],
    settings: Settings,
) -> Vec<tokio::task::AbortHandle> {
    let mut tasks = Vec::new();
    for kind in kinds {
        let consumer = Arc::new(Consumer {
            bus: bus.clone(),
            inbox: inbox.clone(),
            name: consumer_name(service, kind.wire_type),
            subject: bus.subject(kind.wire_type),
            settings,
            held: Held::default(),
            lanes: Lanes::default(),
        });
        tasks.push(tokio::spawn(consumer.clone().keep_alive()).abort_handle());
        tasks.push(tokio::spawn(consumer.run()).abort_handle());
    }
    tasks
}

impl Consumer {
    /// Time the broker waits for an acknowledgement before it delivers a message again:
    /// longer than a handler may take.
    fn ack_wait(&self) -> Duration {
        self.settings.handler_timeout + Duration::from_secs(30)
    }

    async fn run(self: Arc<Self>) {
        let warned = Throttle::default();
        loop {
            if let Err(e) = self.clone().consume().await
                && warned.due()
            {
                tracing::warn!(consumer = %self.name, "events cannot be received: {e}");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Receives until the broker connection or the consumer fails.
    async fn consume(self: Arc<Self>) -> Result<(), String> {
        let stream = self
            .bus
            .js
            .get_stream(self.bus.stream())
            .await
            .map_err(|e| format!("the stream `{}`: {e}", self.bus.stream()))?;
        let mut consumer: jetstream::consumer::PullConsumer = stream
            .get_or_create_consumer(
                &self.name,
                consumer::pull::Config {
                    durable_name: Some(self.name.clone()),
                    filter_subject: self.subject.clone(),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: self.ack_wait(),
                    max_deliver: -1,
                    max_ack_pending: MAX_ACK_PENDING,
                    deliver_policy: consumer::DeliverPolicy::All,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| format!("the consumer `{}`: {e}", self.name))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| format!("receiving: {e}"))?;
        let mut last_report = tokio::time::Instant::now();
        while let Some(message) = messages.next().await {
            match message {
                Ok(message) => self.clone().received(message),
                Err(e) => tracing::debug!(consumer = %self.name, "receiving: {e}"),
            }
            if last_report.elapsed() >= Duration::from_secs(30) {
                last_report = tokio::time::Instant::now();
                if let Ok(info) = consumer.info().await
                    && info.num_pending + info.num_ack_pending as u64 > 0
                {
                    tracing::info!(
                        consumer = %self.name,
                        waiting = info.num_pending,
                        in_hand = info.num_ack_pending,
                        "events waiting to be handled"
                    );
                }
            }
        }
        Err("the broker ended the delivery".to_owned())
    }

    /// Takes one message: handled at once when it has no ordering key or none of its key is in
    /// hand, queued behind the one in hand otherwise.
    fn received(self: Arc<Self>, message: Message) {
        let envelope = match message.headers.as_ref().map_or_else(
            || Err("no CloudEvents attributes".to_owned()),
            |headers| {
                Envelope::from_attributes(
                    |name| headers.get(name).map(|v| Ok(v.as_str())),
                    &message.payload,
                )
            },
        ) {
            Ok(envelope) => envelope,
            Err(why) => {
                // Not an event of ours: nothing could ever handle it.
                tracing::error!(consumer = %self.name, "a message that is not an event was dropped: {why}");
                tokio::spawn(async move { message.ack_with(AckKind::Term).await });
                return;
            }
        };
        if let Ok(info) = message.info() {
            self.held
                .lock()
                .insert(info.stream_sequence, message.clone());
        }
        let Some(key) = envelope.subject.clone() else {
            tokio::spawn(async move { self.handle(message, envelope).await });
            return;
        };
        {
            let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(queue) = lanes.get_mut(&key) {
                queue.push_back((message, envelope));
                return;
            }
            lanes.insert(key.clone(), VecDeque::new());
        }
        tokio::spawn(async move {
            let mut next = Some((message, envelope));
            while let Some((message, envelope)) = next {
                self.handle(message, envelope).await;
                let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
                next = lanes.get_mut(&key).and_then(VecDeque::pop_front);
                if next.is_none() {
                    lanes.remove(&key);
                }
            }
        });
    }

    /// Hands one event to the inbox until it is handled, found handled or dead-lettered,
    /// retrying a failed handler with backoff, then acknowledges it.
    async fn handle(&self, message: Message, envelope: Envelope) {
        let info = message
            .info()
            .ok()
            .map(|i| (i.stream_sequence, i.delivered));
        let mut attempt = info.map_or(1, |(_, delivered)| {
            delivered.clamp(1, i64::from(u32::MAX)) as u32
        });
        loop {
            match self.inbox.receive(&envelope, attempt).await {
                Ok(Outcome::Handled | Outcome::Duplicate | Outcome::DeadLettered(_)) => break,
                Ok(Outcome::Failed(_)) => {
                    tokio::time::sleep(self.settings.retry_delay(attempt)).await;
                    attempt += 1;
                }
                Err(e) => {
                    // The subscriber's database is unavailable: not the event's fault, no
                    // attempt used.
                    tracing::warn!(event = %envelope.event_type, id = %envelope.id, "event not handled, tried again in 1 s: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        if let Err(e) = message.ack().await {
            // The broker delivers it again; the inbox makes that do nothing.
            tracing::warn!(event = %envelope.event_type, id = %envelope.id, "acknowledging a handled event: {e}");
        }
        if let Some((seq, _)) = info {
            self.held.lock().remove(&seq);
        }
    }

    /// Pushes back the deadline of every message in hand, a third of the way to it, until the
    /// process ends.
    async fn keep_alive(self: Arc<Self>) {
        let every = self.ack_wait() / 3;
        loop {
            tokio::time::sleep(every).await;
            let held: Vec<Message> = self.held.lock().values().cloned().collect();
            for message in held {
                let _ = message.ack_with(AckKind::Progress).await;
            }
        }
    }
}
