//! Events end to end through the generated shop: `orders` publishes `order.placed` in the
//! transaction that records each order, its relay sends the events on, `notification` confirms
//! each order in the transaction that marks the event handled. Real processes on loopback, with
//! no broker (the relay posts to the subscriber) on the SQLite default and on the machine's
//! PostgreSQL, and on the machine's NATS JetStream (a stream of each test's own).

use runtime::client::Policy;
use shop_notification::client::Client as Notifications;
use shop_orders::client::Client as Orders;
use shop_orders::runtime;
use shop_orders::types::{self, NewItem, NewOrder, NewUser, OrderLine};
use shop_users::client::Client as Users;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use svcgen_tests::e2e::{Database, NatsStream, SHOP, ShopAuth, System};

/// The shop on `database`, its clients, a customer and one item with `stock` in stock.
struct Shop {
    system: System,
    /// Kept while the system runs: the services read its keys.
    _auth: ShopAuth,
    /// The customer's clients, with their token.
    orders: Orders,
    notification: Notifications,
    user: types::User,
}

/// The shop on `database`, its events on `nats` when given (no broker otherwise), its clients,
/// a customer and one item with `stock` in stock.
async fn shop(database: Database, nats: Option<&NatsStream>, sku: &str, stock: i32) -> Shop {
    let auth = ShopAuth::new();
    let mut env = auth.env();
    env.extend(nats.map(NatsStream::env).into_iter().flatten());
    let system = System::start_on(database, SHOP, &env, None);
    let policy = Policy {
        timeout: Duration::from_secs(10),
        ..Policy::default()
    };
    let users = Users::new(&system.url("users"), policy).unwrap();
    let inventory = shop_inventory::client::Client::new(&system.url("inventory"), policy)
        .and_then(|c| c.with_api_key(auth.staff_key()))
        .unwrap();
    let user = users
        .create_user(&NewUser {
            name: "Ada".into(),
            email: types::Email("ada@example.org".into()),
            nickname: None,
        })
        .await
        .unwrap();
    inventory
        .create_item(&NewItem {
            sku: sku.into(),
            name: format!("Item {sku}"),
            price_cents: 450,
            stock,
            tags: vec![],
        })
        .await
        .unwrap();
    let token = auth.customer_token(&user.id);
    Shop {
        orders: Orders::new(&system.url("orders"), policy)
            .and_then(|c| c.with_bearer_token(&token))
            .unwrap(),
        notification: Notifications::new(&system.url("notification"), policy)
            .and_then(|c| c.with_bearer_token(&token))
            .unwrap(),
        system,
        _auth: auth,
        user,
    }
}

/// Orders placed while the subscriber is down.
const ORDERS: usize = 1000;

/// The subscriber is SIGKILLed, 1 000 orders are placed (their events wait in the publisher's
/// outbox or on the stream), then the publisher is SIGKILLed too. Both come back, and the
/// subscriber is SIGKILLed once more while it works through the backlog (between a commit and
/// its acknowledgement, at some point): every order is confirmed exactly once.
async fn nothing_lost_when_both_sides_die(database: Database, nats: Option<&NatsStream>) {
    let Shop {
        mut system,
        _auth,
        orders,
        notification,
        user,
    } = shop(database, nats, "TEA-0001", 100_000).await;

    system.service("notification").kill();
    let new_order = NewOrder {
        user_id: user.id,
        lines: vec![OrderLine {
            sku: "TEA-0001".into(),
            quantity: 1,
        }],
    };
    // Eight at a time.
    let mut placed: HashSet<String> = HashSet::new();
    let mut pending = tokio::task::JoinSet::new();
    for _ in 0..ORDERS {
        if pending.len() == 8 {
            let id: String = pending.join_next().await.unwrap().unwrap();
            placed.insert(id);
        }
        let (orders, new_order) = (orders.clone(), new_order.clone());
        pending.spawn(async move {
            orders
                .place_order(&new_order)
                .await
                .expect("an order is placed while notification is down")
                .id
                .to_string()
        });
    }
    while let Some(id) = pending.join_next().await {
        placed.insert(id.unwrap());
    }
    assert_eq!(placed.len(), ORDERS);
    system.service("orders").kill();

    system.service("orders").start();
    system.service("notification").start();
    // Killed again in the middle of the backlog.
    let deadline = Instant::now() + Duration::from_secs(60);
    while notification.list_for_user(&user.id).await.unwrap().len() < ORDERS / 4 {
        assert!(Instant::now() < deadline, "the backlog is being handled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    system.service("notification").kill();
    system.service("notification").start();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut sent = Vec::new();
    while Instant::now() < deadline {
        sent = notification.list_for_user(&user.id).await.unwrap();
        if sent.len() >= ORDERS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A little longer: a duplicate would show up now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = if sent.len() >= ORDERS {
        notification.list_for_user(&user.id).await.unwrap()
    } else {
        sent
    };
    let confirmed: Vec<String> = sent
        .iter()
        .map(|n| {
            n.subject
                .strip_prefix("Order ")
                .and_then(|s| s.strip_suffix(" placed"))
                .unwrap_or(&n.subject)
                .to_owned()
        })
        .collect();
    let unique: HashSet<String> = confirmed.iter().cloned().collect();
    assert_eq!(
        confirmed.len(),
        ORDERS,
        "every order confirmed exactly once ({} distinct)",
        unique.len()
    );
    assert_eq!(unique, placed, "the confirmations are of the orders placed");
}

svcgen_tests::on_both_databases!(nothing_lost_when_both_sides_die, None);

/// An order whose transaction fails publishes nothing: a failed order (out of stock) leaves no
/// confirmation, and the one placed after it is confirmed alone.
async fn a_failed_order_announces_nothing(database: Database, nats: Option<&NatsStream>) {
    let Shop {
        system: _system,
        _auth,
        orders,
        notification,
        user,
    } = shop(database, nats, "CUP-0001", 1).await;
    let one = |quantity| NewOrder {
        user_id: user.id,
        lines: vec![OrderLine {
            sku: "CUP-0001".into(),
            quantity,
        }],
    };
    assert!(orders.place_order(&one(5)).await.is_err(), "out of stock");
    let placed = orders.place_order(&one(1)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sent = Vec::new();
    while sent.is_empty() && Instant::now() < deadline {
        sent = notification.list_for_user(&user.id).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sent = notification.list_for_user(&user.id).await.unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].subject, format!("Order {} placed", placed.id));
}

svcgen_tests::on_both_databases!(a_failed_order_announces_nothing, None);

/// The same on NATS JetStream: `NATS_URL` and a prefix of the test's own for every service.
mod on_jetstream {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn nothing_lost_when_both_sides_die() {
        let nats = NatsStream::new();
        super::nothing_lost_when_both_sides_die(Database::Postgres, Some(&nats)).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_order_announces_nothing() {
        let nats = NatsStream::new();
        super::a_failed_order_announces_nothing(Database::Sqlite, Some(&nats)).await;
    }
}
