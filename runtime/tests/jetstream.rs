//! Events through the runtime's outbox, NATS JetStream and inbox: the machine's NATS server
//! (`SVCGEN_TEST_NATS`, default `nats://127.0.0.1:4222`), each test on a stream of its own
//! (a unique subject prefix) deleted at the end, and fresh databases (SQLite files; the first
//! test also on PostgreSQL) dropped at the end.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::*;
use svcgen_runtime::events::jetstream::{self, Bus, Publisher};
use svcgen_runtime::events::{Inbox, Outbox, Settings};
use svcgen_runtime::store::{On, TestDb};

fn nats_url() -> String {
    std::env::var("SVCGEN_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A publisher and a subscriber with their own databases, on a stream of their own.
struct Pair {
    bus: Bus,
    publisher: TestDb,
    subscriber: TestDb,
    outbox: Outbox,
    relay: Publisher,
    inbox: Inbox,
    recorder: Arc<Recorder>,
    settings: Settings,
}

async fn pair(settings: Settings, postgres: bool) -> Pair {
    let prefix = format!("svcgen-test-{}", uuid::Uuid::new_v4().simple());
    let bus = Bus::connect(&nats_url(), &prefix, settings.retention, "test")
        .await
        .expect("the machine's NATS server, with JetStream on");
    let publisher = fresh("publisher", postgres).await;
    let subscriber = fresh("subscriber", postgres).await;
    let sdb = subscriber.db().clone();
    sdb.query(&CREATE_SEEN)
        .execute(&mut On::Db(&sdb))
        .await
        .unwrap();
    let recorder = Arc::new(Recorder::new(true));
    let inbox = Inbox::new(sdb, recorder.clone(), settings);
    let outbox = Outbox::new("shop", "orders");
    let relay = Publisher::new(
        publisher.db().clone(),
        outbox.clone(),
        bus.clone(),
        settings,
    );
    Pair {
        bus,
        publisher,
        subscriber,
        outbox,
        relay,
        inbox,
        recorder,
        settings,
    }
}

impl Pair {
    async fn publish(&self, n: i64, key: &str, commit: bool) {
        publish(self.publisher.db(), &self.outbox, n, key, commit).await;
    }

    /// The subscriber's consumer, started (abort the handles to take it down).
    fn consume(&self) -> Vec<tokio::task::AbortHandle> {
        jetstream::consume(
            &self.bus,
            &self.inbox,
            "notification",
            &[PLACED],
            self.settings,
        )
    }

    /// What the subscriber recorded, once it holds `count` rows (or after 20 s).
    async fn seen_when(&self, count: usize) -> Vec<(i64, String)> {
        for _ in 0..400 {
            let seen = seen(self.subscriber.db()).await;
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        seen(self.subscriber.db()).await
    }

    /// Messages in the stream.
    async fn stored(&self) -> u64 {
        let mut stream = self
            .bus
            .context()
            .get_stream(self.bus.stream())
            .await
            .unwrap();
        stream.info().await.unwrap().state.messages
    }

    async fn close(self) {
        self.bus
            .context()
            .delete_stream(self.bus.stream())
            .await
            .unwrap();
        self.publisher.drop().await;
        self.subscriber.drop().await;
    }
}

on_both!(
    committed_events_travel_in_order_per_key_and_rolled_back_ones_never,
    committed_events_travel_in_order_per_key_and_rolled_back_ones_never_on
);

async fn committed_events_travel_in_order_per_key_and_rolled_back_ones_never_on(postgres: bool) {
    let p = pair(fast(), postgres).await;
    p.publish(1, "a", true).await;
    p.publish(2, "a", false).await; // rolled back
    p.publish(3, "Zoë 100%\nb", true).await; // any text travels as the subject
    // The caller it was published for travels with it.
    publish_for(
        actor("app_user", "alice"),
        p.publisher.db(),
        &p.outbox,
        4,
        "a",
    )
    .await;
    assert_eq!(p.relay.pass().await.unwrap(), 3);
    assert_eq!(p.relay.unpublished().await.unwrap(), 0);
    assert_eq!(p.stored().await, 3);
    let _consumer = p.consume();
    let seen = p.seen_when(3).await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(of_key(&seen, "a"), vec![1, 4]);
    assert_eq!(of_key(&seen, "Zoë 100%\nb"), vec![3]);
    let mut actors = p.recorder.actors.lock().unwrap().clone();
    actors.sort_by_key(|(n, _)| *n);
    assert_eq!(
        actors,
        vec![(1, None), (3, None), (4, actor("app_user", "alice"))]
    );
    // Nothing more arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen_of(&p).await.len(), 3);
    p.close().await;
}

/// A publisher that dies after the broker stored its events but before it marked them
/// published sends them again: the broker drops the copies by their message id, and a copy
/// that reached the subscriber anyway (sent under another message id) has no effect.
#[tokio::test]
async fn events_sent_twice_are_stored_once_and_handled_once() {
    let p = pair(fast(), false).await;
    for n in 1..=3 {
        p.publish(n, "a", true).await;
    }
    assert_eq!(p.relay.pass().await.unwrap(), 3);
    let db = p.publisher.db();
    db.query(&svcgen_runtime::store::Sql {
        sqlite: "UPDATE \"_svcgen_outbox\" SET \"published_at\" = NULL",
        postgres: "UPDATE \"_svcgen_outbox\" SET \"published_at\" = NULL",
    })
    .execute(&mut On::Db(db))
    .await
    .unwrap();
    assert_eq!(p.relay.pass().await.unwrap(), 3, "sent again");
    assert_eq!(p.stored().await, 3, "the broker kept one of each");

    // The same event (same CloudEvents id) under a message id the broker has not seen.
    let event = envelope(r#"{"n":1,"key":"a"}"#, Some("a"), None);
    for copy in 0..2 {
        let mut headers = async_nats::HeaderMap::new();
        for (name, value) in event.headers() {
            headers.insert(name, value.as_str());
        }
        p.bus
            .context()
            .send_publish(
                p.bus.subject(PLACED.wire_type),
                async_nats::jetstream::message::PublishMessage::build()
                    .payload(r#"{"n":99,"key":"z"}"#.into())
                    .headers(headers)
                    .message_id(format!("copy-{copy}")),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let _consumer = p.consume();
    let seen = p.seen_when(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen_later = seen_of(&p).await;
    assert_eq!(seen, seen_later, "nothing more arrives");
    assert_eq!(of_key(&seen, "a"), vec![1, 2, 3, 99]);
    p.close().await;
}

async fn seen_of(p: &Pair) -> Vec<(i64, String)> {
    seen(p.subscriber.db()).await
}

#[tokio::test]
async fn a_poison_event_goes_to_the_dead_letters_and_the_others_keep_flowing() {
    let p = pair(fast(), false).await;
    p.publish(12, "a", true).await;
    p.publish(13, "b", true).await; // fails every time while poisoned
    p.publish(14, "b", true).await; // same key: waits behind 13
    p.publish(15, "c", true).await; // another key: flows
    p.relay.pass().await.unwrap();
    let _consumer = p.consume();
    let seen = p.seen_when(3).await;
    assert_eq!(of_key(&seen, "a"), vec![12]);
    assert_eq!(of_key(&seen, "b"), vec![14]);
    assert_eq!(of_key(&seen, "c"), vec![15]);
    let dead = p.inbox.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].attempts, 3);
    assert!(dead[0].error.contains("thirteen is unlucky"));

    // Replayed once the handler is fixed.
    p.recorder.poisoned.store(false, Ordering::SeqCst);
    let outcome = p.inbox.replay(dead[0].event.id).await.unwrap();
    assert_eq!(outcome, Some(svcgen_runtime::events::Outcome::Handled));
    assert!(p.inbox.dead_letters().await.unwrap().is_empty());
    assert_eq!(of_key(&seen_of(&p).await, "b"), vec![14, 13]);
    p.close().await;
}

#[tokio::test]
async fn an_invalid_payload_is_dead_lettered_at_once() {
    let p = pair(fast(), false).await;
    let event = envelope(r#"{"n":"seven"}"#, None, None);
    let mut headers = async_nats::HeaderMap::new();
    for (name, value) in event.headers() {
        headers.insert(name, value.as_str());
    }
    p.bus
        .context()
        .publish_with_headers(
            p.bus.subject(PLACED.wire_type),
            headers,
            event.data.clone().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    p.publish(1, "a", true).await;
    p.relay.pass().await.unwrap();
    let _consumer = p.consume();
    assert_eq!(p.seen_when(1).await, vec![(1, "a".into())]);
    let dead = p.inbox.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(dead[0].event.id, event.id);
    p.close().await;
}

/// The subscriber goes down while 1 000 events are published (some handled before, the rest
/// after): once it is back, each is handled exactly once, in order per key.
#[tokio::test]
async fn a_subscriber_that_is_down_gets_all_1000_events_once_it_is_back() {
    let p = pair(fast(), false).await;
    p.recorder.poisoned.store(false, Ordering::SeqCst);
    let consumer = p.consume();
    let publish = |from: i64, to: i64| {
        let p = &p;
        async move {
            for n in from..to {
                p.publish(n, &format!("k{}", n % 7), true).await;
            }
            while p.relay.unpublished().await.unwrap() > 0 {
                p.relay.pass().await.unwrap();
            }
        }
    };
    publish(0, 200).await;
    let before = p.seen_when(100).await.len();
    for task in consumer {
        task.abort();
    }
    publish(200, 1000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let while_down = seen_of(&p).await.len();
    assert!(while_down < 1000, "the subscriber was down");
    assert!(before >= 100);
    let _back = p.consume();
    let seen = p.seen_when(1000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen_of(&p).await.len(), seen.len(), "nothing more arrives");
    let mut numbers: Vec<i64> = seen.iter().map(|(n, _)| *n).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(
        (seen.len(), numbers.len(), numbers.first(), numbers.last()),
        (1000, 1000, Some(&0), Some(&999)),
        "each exactly once"
    );
    for k in 0..7 {
        let key = format!("k{k}");
        let handled = of_key(&seen, &key);
        let mut ordered = handled.clone();
        ordered.sort();
        assert_eq!(handled, ordered, "key {key} in publishing order");
    }
    p.close().await;
}

/// A prefix that cannot be part of a subject is refused with the variable's name.
#[test]
fn a_bad_prefix_is_refused() {
    for bad in ["", "a..b", "a b", "a.*", "a.>", "é"] {
        let e = jetstream::check_prefix(bad).unwrap_err();
        assert!(e.contains("EVENTS_PREFIX"), "{e}");
    }
    jetstream::check_prefix("shop").unwrap();
    jetstream::check_prefix("svcgen-test.run_1").unwrap();
}

/// A NATS server that cannot be reached at start is one line naming `NATS_URL`, with the URL's
/// password hidden.
#[tokio::test]
async fn an_unreachable_server_is_one_line_naming_the_variable() {
    let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = parked.local_addr().unwrap().port();
    drop(parked);
    let url = format!("nats://app:hunter2@127.0.0.1:{port}");
    let e = Bus::connect(
        &url,
        "svcgen-test-unreachable",
        Duration::from_secs(60),
        "test",
    )
    .await
    .err()
    .expect("nothing listens there");
    assert!(e.contains("NATS_URL"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    assert!(!e.contains('\n'), "{e}");
}
