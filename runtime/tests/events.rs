//! Events through the runtime's outbox, relay and inbox, with no broker: a publisher's database
//! and a subscriber's database, the subscriber's delivery endpoint served over HTTP on
//! loopback, and the relay posting to it. Every test runs on SQLite files and on the machine's
//! PostgreSQL (`SVCGEN_TEST_POSTGRES`, default the local one), on fresh databases dropped at the
//! end.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::*;
use svcgen_runtime::context::{self, RequestId};
use svcgen_runtime::events::{
    self, EventsKey, Inbox, Outbox, Outcome, Relay, Settings, Subscriber,
};
use svcgen_runtime::store::{On, TestDb};
use svcgen_runtime::trace::{Parent, TraceContext};

struct Pair {
    publisher: TestDb,
    subscriber: TestDb,
    outbox: Outbox,
    relay: Relay,
    inbox: Inbox,
    url: String,
    recorder: Arc<Recorder>,
}

async fn pair(settings: Settings, postgres: bool) -> Pair {
    pair_with_key(settings, postgres, None).await
}

/// [`pair`], the inbox's routes and the relay's deliveries taking `key`.
async fn pair_with_key(settings: Settings, postgres: bool, key: Option<EventsKey>) -> Pair {
    let publisher = fresh("publisher", postgres).await;
    let subscriber = fresh("subscriber", postgres).await;
    let sdb = subscriber.db().clone();
    sdb.query(&CREATE_SEEN)
        .execute(&mut On::Db(&sdb))
        .await
        .unwrap();
    let recorder = Arc::new(Recorder::new(true));
    let inbox = Inbox::new(sdb, recorder.clone(), settings).with_key(key.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let routes = inbox.routes();
    tokio::spawn(async move { axum::serve(listener, routes).await });
    let outbox = Outbox::new("shop", "orders");
    let relay = Relay::new(
        publisher.db().clone(),
        outbox.clone(),
        vec![Subscriber {
            service: "notification",
            url: url.clone(),
            types: vec![PLACED.wire_type],
        }],
        settings,
    )
    .unwrap()
    .with_key(key);
    Pair {
        publisher,
        subscriber,
        outbox,
        relay,
        inbox,
        url,
        recorder,
    }
}

impl Pair {
    async fn publish(&self, n: i64, key: &str, commit: bool) {
        publish(self.publisher.db(), &self.outbox, n, key, commit).await;
    }

    async fn seen(&self) -> Vec<(i64, String)> {
        seen(self.subscriber.db()).await
    }

    /// Relay passes until one delivers and retries nothing, or `passes` run out.
    async fn settle(&self, passes: usize) {
        for _ in 0..passes {
            let pass = self.relay.pass().await.unwrap();
            if pass.retried == 0 && pass.published == 0 && pass.delivered == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The dead letters as listed over HTTP.
    async fn listed_dead_letters(&self) -> serde_json::Value {
        reqwest::get(format!("{}{}", self.url, events::DEAD_LETTERS_PATH))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Replays dead letter `id` over HTTP: the answer.
    async fn replay(&self, id: &str) -> reqwest::Response {
        let url = format!("{}{}/{id}/replay", self.url, events::DEAD_LETTERS_PATH);
        reqwest::Client::new().post(url).send().await.unwrap()
    }

    async fn close(self) {
        self.publisher.drop().await;
        self.subscriber.drop().await;
    }
}

on_both!(
    committed_events_are_delivered_in_order_and_rolled_back_ones_never,
    committed_events_are_delivered_in_order_and_rolled_back_ones_never_on
);

async fn committed_events_are_delivered_in_order_and_rolled_back_ones_never_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    p.publish(1, "a", true).await;
    p.publish(2, "a", false).await; // rolled back
    p.publish(3, "Zoë 100%\nb", true).await; // any text travels as the subject
    p.publish(4, "a", true).await;
    p.settle(20).await;
    // In order per key (events of different keys travel side by side).
    let seen = p.seen().await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(of_key(&seen, "a"), vec![1, 4]);
    assert_eq!(of_key(&seen, "Zoë 100%\nb"), vec![3]);
    assert_eq!(p.relay.pending().await.unwrap(), vec![]);
    p.close().await;
}

on_both!(
    the_same_event_delivered_twice_has_one_effect,
    the_same_event_delivered_twice_has_one_effect_on
);

async fn the_same_event_delivered_twice_has_one_effect_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    let event = envelope(r#"{"n":7,"key":"a"}"#, Some("a"), Some("req-1"));
    let client = reqwest::Client::new();
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let mut request = client.post(format!("{}{}", p.url, events::DELIVERY_PATH));
        for (name, value) in event.headers() {
            request = request.header(name, value);
        }
        let answer = request.body(event.data.clone()).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        outcomes.push(answer.text().await.unwrap());
    }
    assert_eq!(
        outcomes,
        vec![r#"{"outcome":"handled"}"#, r#"{"outcome":"duplicate"}"#]
    );
    assert_eq!(p.seen().await, vec![(7, "a".into())]);
    p.close().await;
}

on_both!(
    a_poison_event_goes_to_the_dead_letters_and_the_others_keep_flowing,
    a_poison_event_goes_to_the_dead_letters_and_the_others_keep_flowing_on
);

async fn a_poison_event_goes_to_the_dead_letters_and_the_others_keep_flowing_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    p.publish(12, "a", true).await;
    p.publish(13, "b", true).await; // fails every time while poisoned
    p.publish(14, "b", true).await; // same key: waits behind 13
    p.publish(15, "c", true).await; // another key: flows
    p.settle(50).await;
    // 13 failed three times (the last one put it in the dead letters); then 14 followed.
    let seen = p.seen().await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(of_key(&seen, "a"), vec![12]);
    assert_eq!(of_key(&seen, "b"), vec![14]);
    assert_eq!(of_key(&seen, "c"), vec![15]);
    let dead = p.inbox.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].attempts, 3);
    assert!(
        dead[0].error.contains("thirteen is unlucky"),
        "{}",
        dead[0].error
    );
    assert_eq!(dead[0].event.data, r#"{"n":13,"key":"b"}"#);

    // Listed over HTTP, and replayed once the handler is fixed.
    let listed = p.listed_dead_letters().await;
    let id = listed["dead_letters"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed["dead_letters"][0]["type"], "order.placed.v1");
    let still_failing = p.replay(&id).await;
    assert_eq!(still_failing.status(), 200, "a failed replay goes back");
    assert_eq!(p.inbox.dead_letters().await.unwrap().len(), 1);
    p.recorder.poisoned.store(false, Ordering::SeqCst);
    let replayed = p.replay(&id).await;
    assert_eq!(replayed.text().await.unwrap(), r#"{"outcome":"handled"}"#);
    assert!(p.inbox.dead_letters().await.unwrap().is_empty());
    assert_eq!(p.seen().await.last(), Some(&(13, "b".into())));
    p.close().await;
}

on_both!(
    an_invalid_payload_is_dead_lettered_at_once,
    an_invalid_payload_is_dead_lettered_at_once_on
);

async fn an_invalid_payload_is_dead_lettered_at_once_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    let event = envelope(r#"{"n":"seven"}"#, None, None);
    assert!(matches!(
        p.inbox.receive(&event, 1).await.unwrap(),
        Outcome::DeadLettered(_)
    ));
    let dead = p.inbox.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 1);
    assert!(p.seen().await.is_empty());
    p.close().await;
}

on_both!(
    a_subscriber_that_is_down_gets_every_event_once_it_is_back,
    a_subscriber_that_is_down_gets_every_event_once_it_is_back_on
);

async fn a_subscriber_that_is_down_gets_every_event_once_it_is_back_on(postgres: bool) {
    let settings = fast();
    let publisher = fresh("publisher", postgres).await;
    // A port with nothing listening, then a subscriber on it.
    let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = parked.local_addr().unwrap();
    drop(parked);
    let outbox = Outbox::new("shop", "orders");
    let relay = Relay::new(
        publisher.db().clone(),
        outbox.clone(),
        vec![Subscriber {
            service: "notification",
            url: format!("http://{addr}"),
            types: vec![PLACED.wire_type],
        }],
        settings,
    )
    .unwrap();
    for n in 0..100 {
        let db = publisher.db();
        let mut tx = db.begin().await.unwrap();
        let placed = Placed {
            n,
            key: format!("k{}", n % 7),
        };
        outbox
            .publish(&mut tx, &PLACED, Some(placed.key.clone()), &placed)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let pass = relay.pass().await.unwrap();
    assert_eq!((pass.published, pass.delivered), (100, 0));
    assert_eq!(
        relay.pending().await.unwrap(),
        vec![("notification".into(), 100)]
    );

    let subscriber = fresh("subscriber", postgres).await;
    let sdb = subscriber.db().clone();
    sdb.query(&CREATE_SEEN)
        .execute(&mut On::Db(&sdb))
        .await
        .unwrap();
    let inbox = Inbox::new(sdb.clone(), Arc::new(Recorder::new(false)), settings);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let routes = inbox.routes();
    tokio::spawn(async move { axum::serve(listener, routes).await });
    for _ in 0..200 {
        relay.pass().await.unwrap();
        if relay.pending().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen: Vec<i64> = sdb
        .query(&ALL_SEEN)
        .fetch_all(&mut On::Db(&sdb))
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, (0..100).collect::<Vec<i64>>(), "each once");
    // Per key, in publishing order.
    for k in 0..7 {
        let of_key: Vec<i64> = seen.iter().copied().filter(|n| n % 7 == k).collect();
        let mut ordered = of_key.clone();
        ordered.sort();
        assert_eq!(of_key, ordered, "key k{k}");
    }
    publisher.drop().await;
    subscriber.drop().await;
}

/// Replicas starting together on one new PostgreSQL database all create the runtime's tables
/// (PostgreSQL reports the loser of two concurrent `CREATE … IF NOT EXISTS` as an error unless
/// they take turns).
#[tokio::test]
async fn replicas_creating_the_tables_together_all_succeed() {
    use svcgen_runtime::store::{Db, PoolSettings};
    for _ in 0..5 {
        let test_db = fresh_empty("replicas", true).await;
        let mut replicas = Vec::new();
        for _ in 0..4 {
            let url = test_db.url().to_owned();
            replicas.push(tokio::spawn(async move {
                let db = Db::connect(&url, &PoolSettings::default()).await.unwrap();
                let created = events::create_tables(&db).await;
                db.close().await;
                created
            }));
        }
        for r in replicas {
            r.await.unwrap().expect("every replica creates the tables");
        }
        test_db.drop().await;
    }
}

on_both!(
    a_handler_that_panics_or_keeps_nothing_fails_its_attempts,
    a_handler_that_panics_or_keeps_nothing_fails_its_attempts_on
);

async fn a_handler_that_panics_or_keeps_nothing_fails_its_attempts_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    p.publish(1066, "x", true).await;
    p.publish(1077, "y", true).await;
    p.publish(5, "z", true).await;
    p.settle(50).await;
    let dead: Vec<String> = p
        .inbox
        .dead_letters()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.error)
        .collect();
    let seen: Vec<i64> = p.seen().await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(seen, vec![5]);
    if postgres {
        // 1077's transaction was rolled back at its commit: a failed attempt each time, not
        // an event marked handled with nothing kept.
        assert_eq!(dead.len(), 2, "{dead:?}");
        assert!(
            dead.iter()
                .any(|e| e.contains("a statement of the handler's transaction failed")),
            "{dead:?}"
        );
    } else {
        // SQLite keeps a transaction committable after a failed statement: handled.
        assert_eq!(dead.len(), 1, "{dead:?}");
    }
    assert!(dead.iter().any(|e| e.contains("panicked")), "{dead:?}");
    p.close().await;
}

/// Something posted to the delivery route that is not a CloudEvent is a 400 problem naming what
/// is wrong, and changes nothing.
#[tokio::test]
async fn a_malformed_event_is_refused_with_the_reason() {
    let p = pair(fast(), false).await;
    let client = reqwest::Client::new();
    let url = format!("{}{}", p.url, events::DELIVERY_PATH);
    let good = envelope(r#"{"n":1,"key":"a"}"#, Some("a"), None);
    for (drop, replace, says) in [
        (Some("ce-id"), None, "`ce-id` is missing"),
        (None, Some(("ce-id", "42")), "`ce-id` is not a UUID"),
        (None, Some(("ce-specversion", "0.3")), "not `1.0`"),
        (
            None,
            Some(("ce-time", "yesterday")),
            "`ce-time` is not an RFC 3339 time",
        ),
        (None, Some(("ce-subject", "%zz")), "a bad percent escape"),
    ] {
        let mut request = client.post(&url);
        for (name, value) in good.headers() {
            if Some(name) == drop {
                continue;
            }
            let value = match replace {
                Some((n, v)) if n == name => v.to_owned(),
                _ => value,
            };
            request = request.header(name, value);
        }
        let answer = request.body(good.data.clone()).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{says}");
        let problem: serde_json::Value = answer.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(says), "{says}: {detail}");
    }
    assert!(p.seen().await.is_empty());
    assert!(p.inbox.dead_letters().await.unwrap().is_empty());
    p.close().await;
}

on_both!(
    an_event_records_the_caller_it_was_published_for,
    an_event_records_the_caller_it_was_published_for_on
);

/// An event published on behalf of a caller records who it was: the subscriber's handler runs
/// on behalf of the same actor (so the events it publishes record it too), a dead letter keeps
/// it, and a replay hands it on again. An event published for no one records no one.
async fn an_event_records_the_caller_it_was_published_for_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    let (db, outbox) = (p.publisher.db(), &p.outbox);
    publish_for(actor("app_user", "alice"), db, outbox, 21, "a").await;
    publish_for(actor("api_key", "ci-bot"), db, outbox, 13, "b").await; // poisoned
    publish_for(None, db, outbox, 22, "c").await;
    // Until the poisoned event has used its attempts (a pass can find its retry not yet due).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while p.inbox.dead_letters().await.unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no dead letter");
        p.settle(50).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    p.settle(50).await;
    let handled = p.recorder.actors.lock().unwrap().clone();
    assert_eq!(
        handled,
        vec![(21, actor("app_user", "alice")), (22, None)],
        "handled, each with its actor"
    );

    let dead = p.inbox.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].event.actor, actor("api_key", "ci-bot"));
    let listed = p.listed_dead_letters().await;
    let letter = &listed["dead_letters"][0];
    assert_eq!(
        (&letter["authtype"], &letter["authid"]),
        (&"api_key".into(), &"ci-bot".into())
    );
    p.recorder.poisoned.store(false, Ordering::SeqCst);
    let id = letter["id"].as_str().unwrap();
    let replayed = p.replay(id).await;
    assert_eq!(replayed.text().await.unwrap(), r#"{"outcome":"handled"}"#);
    let last = p.recorder.actors.lock().unwrap().last().cloned();
    assert_eq!(last, Some((13, actor("api_key", "ci-bot"))));
    p.close().await;
}

on_both!(
    an_event_is_handled_in_the_trace_it_was_published_in,
    an_event_is_handled_in_the_trace_it_was_published_in_on
);

/// An event published while a request is served records that request's span (its
/// `traceparent`, kept in the outbox and sent with the event): its handling is a span of the
/// same trace, a child of the publishing span, under the request id that caused it. An event
/// published outside any request is handled in a trace of its own.
async fn an_event_is_handled_in_the_trace_it_was_published_in_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    let parent = Parent::parse(
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        None,
    );
    let served = TraceContext::new(parent, 0x5e7e_d000);
    let id = RequestId::from_header(&http::HeaderValue::from_static("req-51")).unwrap();
    context::with_request(id, served.clone(), p.publish(51, "a", true)).await;
    p.publish(52, "b", true).await;
    p.settle(20).await;
    // The two events have different keys, so either may be handled first.
    let mut traces = p.recorder.traces.lock().unwrap().clone();
    traces.sort_by_key(|(n, ..)| *n);
    assert_eq!(traces.len(), 2, "{traces:?}");
    let (n, handled, request) = &traces[0];
    let handled = handled.as_ref().expect("a trace context");
    assert_eq!(*n, 51);
    assert_eq!(handled.trace_id(), served.trace_id(), "the same trace");
    assert_eq!(
        handled.parent_id(),
        Some(served.span_id()),
        "a child of the publisher"
    );
    assert_ne!(handled.span_id(), served.span_id(), "a span of its own");
    assert_eq!(request.as_deref(), Some("req-51"));
    let (n, alone, _) = &traces[1];
    let alone = alone.as_ref().expect("a trace context");
    assert_eq!(*n, 52);
    assert_ne!(alone.trace_id(), served.trace_id(), "a trace of its own");
    assert_eq!(alone.parent_id(), None);
    p.close().await;
}

/// The actor travels in the `authcontext` headers, any text percent-encoded; an `authid`
/// without its `authtype` is refused.
#[test]
fn the_actor_travels_in_the_authcontext_headers() {
    let mut event = envelope("{}", None, None);
    event.actor = actor("app_user", "Zoë 100%\nadmin");
    let headers = event.headers();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(find("ce-authtype"), Some("app_user"));
    assert_eq!(find("ce-authid"), Some("Zo%C3%AB 100%25%0Aadmin"));
    let back = events::Envelope::from_attributes(|name| find(name).map(Ok), b"{}").unwrap();
    assert_eq!(back, event);

    let orphan = |name: &str| match name {
        "ce-authtype" => None,
        _ => find(name).map(Ok),
    };
    let refused = events::Envelope::from_attributes(orphan, b"{}").unwrap_err();
    assert!(
        refused.contains("`ce-authid` without `ce-authtype`"),
        "{refused}"
    );
}

on_both!(
    tables_made_before_events_recorded_actors_gain_the_columns,
    tables_made_before_events_recorded_actors_gain_the_columns_on
);

/// The outbox and dead letters of a database made by a version whose events recorded no actor
/// gain the columns at start; the events already in it are delivered, and new ones record
/// their actor.
async fn tables_made_before_events_recorded_actors_gain_the_columns_on(postgres: bool) {
    const OLD: &[(&str, &str)] = &[
        (
            "CREATE TABLE \"_svcgen_outbox\" (\"seq\" INTEGER PRIMARY KEY AUTOINCREMENT, \"id\" BLOB NOT NULL UNIQUE, \"type\" TEXT NOT NULL, \"subject\" TEXT, \"time\" TEXT NOT NULL, \"request_id\" TEXT, \"data\" TEXT NOT NULL, \"published_at\" TEXT)",
            "CREATE TABLE \"_svcgen_outbox\" (\"seq\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \"id\" uuid NOT NULL UNIQUE, \"type\" text NOT NULL, \"subject\" text, \"time\" timestamptz NOT NULL, \"request_id\" text, \"data\" text NOT NULL, \"published_at\" timestamptz)",
        ),
        (
            "CREATE TABLE \"_svcgen_dead_letters\" (\"id\" BLOB NOT NULL PRIMARY KEY, \"type\" TEXT NOT NULL, \"source\" TEXT NOT NULL, \"subject\" TEXT, \"time\" TEXT NOT NULL, \"request_id\" TEXT, \"data\" TEXT NOT NULL, \"attempts\" INTEGER NOT NULL, \"error\" TEXT NOT NULL, \"failed_at\" TEXT NOT NULL)",
            "CREATE TABLE \"_svcgen_dead_letters\" (\"id\" uuid NOT NULL PRIMARY KEY, \"type\" text NOT NULL, \"source\" text NOT NULL, \"subject\" text, \"time\" timestamptz NOT NULL, \"request_id\" text, \"data\" text NOT NULL, \"attempts\" integer NOT NULL, \"error\" text NOT NULL, \"failed_at\" timestamptz NOT NULL)",
        ),
        (
            "INSERT INTO \"_svcgen_outbox\" (\"id\", \"type\", \"subject\", \"time\", \"data\") VALUES (X'0123456789abcdef0123456789abcdef', 'order.placed.v1', 'a', '2026-11-30T12:00:00Z', '{\"n\":31,\"key\":\"a\"}')",
            "INSERT INTO \"_svcgen_outbox\" (\"id\", \"type\", \"subject\", \"time\", \"data\") VALUES ('01234567-89ab-cdef-0123-456789abcdef', 'order.placed.v1', 'a', '2026-11-30T12:00:00Z', '{\"n\":31,\"key\":\"a\"}')",
        ),
    ];
    let mut p = pair(fast(), postgres).await;
    let old = fresh_empty("old", postgres).await;
    let db = old.db().clone();
    for &(sqlite, postgres) in OLD {
        let statement = svcgen_runtime::store::Sql { sqlite, postgres };
        db.query(&statement)
            .execute(&mut On::Db(&db))
            .await
            .unwrap();
    }
    events::create_tables(&db)
        .await
        .expect("the old tables upgraded");
    events::create_tables(&db)
        .await
        .expect("and again, with nothing to do");
    // The pair's publisher replaced by the old database.
    p.relay = Relay::new(
        db.clone(),
        p.outbox.clone(),
        vec![Subscriber {
            service: "notification",
            url: p.url.clone(),
            types: vec![PLACED.wire_type],
        }],
        fast(),
    )
    .unwrap();
    publish_for(actor("app_user", "alice"), &db, &p.outbox, 32, "a").await;
    p.settle(20).await;
    let handled = p.recorder.actors.lock().unwrap().clone();
    assert_eq!(handled, vec![(31, None), (32, actor("app_user", "alice"))]);
    old.drop().await;
    p.close().await;
}

/// In a system with auth the internal routes take the system's events key: the relay sends it
/// and its events are handled; a delivery without it or with another is refused (401) and has
/// no effect, and so is a look at the dead letters.
#[tokio::test]
async fn the_internal_routes_take_the_events_key() {
    let key = EventsKey::new("svcgen_events_0123456789abcdef").unwrap();
    let p = pair_with_key(fast(), false, Some(key)).await;
    p.publish(41, "a", true).await;
    p.settle(20).await;
    assert_eq!(p.seen().await, vec![(41, "a".into())]);

    let forged = envelope(r#"{"n":42,"key":"a"}"#, Some("a"), None);
    let client = reqwest::Client::new();
    for key in [None, Some("svcgen_events_0123456789abcdeX")] {
        let mut request = client.post(format!("{}{}", p.url, events::DELIVERY_PATH));
        for (name, value) in forged.headers() {
            request = request.header(name, value);
        }
        if let Some(key) = key {
            request = request.header(events::EVENTS_KEY_HEADER, key);
        }
        let answer = request.body(forged.data.clone()).send().await.unwrap();
        assert_eq!(answer.status(), 401, "{key:?}");
    }
    let listed = client
        .get(format!("{}{}", p.url, events::DEAD_LETTERS_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 401);
    assert_eq!(
        p.seen().await,
        vec![(41, "a".into())],
        "nothing forged got in"
    );
    assert!(EventsKey::new("short").is_err());
    p.close().await;
}
