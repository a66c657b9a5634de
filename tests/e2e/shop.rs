//! The shop, end to end: four service processes on loopback, wired only through `*_URL`
//! variables, driven through the generated typed clients; each service keeps its records in a
//! database of its own, on the SQLite default and on the machine's PostgreSQL. Staff call with
//! an API key and may act for any customer; customers call with their identity provider's
//! tokens and may act only for themselves.

use runtime::client::{Error, Policy};
use shop_inventory::api::ListItemsQuery;
use shop_inventory::client::Client as Inventory;
use shop_notification::client::Client as Notifications;
use shop_orders::client::{Client as Orders, PlaceOrderError};
use shop_orders::runtime;
use shop_orders::types::{self, NewItem, NewOrder, NewUser, OrderLine};
use shop_users::client::Client as Users;
use std::time::{Duration, Instant};
use svcgen_tests::e2e::{Database, SHOP, ShopAuth, System, raw};

struct Shop {
    system: System,
    auth: ShopAuth,
    /// The clients, with the staff key.
    users: Users,
    inventory: Inventory,
    orders: Orders,
    notification: Notifications,
}

fn start() -> Shop {
    start_on(Database::Sqlite)
}

fn start_on(database: Database) -> Shop {
    let auth = ShopAuth::new();
    let system = System::start_on(database, SHOP, &auth.env(), None);
    let policy = Policy {
        timeout: Duration::from_secs(5),
        ..Policy::default()
    };
    let staff = auth.staff_key();
    Shop {
        users: Users::new(&system.url("users"), policy)
            .and_then(|c| c.with_api_key(staff))
            .unwrap(),
        inventory: Inventory::new(&system.url("inventory"), policy)
            .and_then(|c| c.with_api_key(staff))
            .unwrap(),
        orders: Orders::new(&system.url("orders"), policy)
            .and_then(|c| c.with_api_key(staff))
            .unwrap(),
        notification: Notifications::new(&system.url("notification"), policy)
            .and_then(|c| c.with_api_key(staff))
            .unwrap(),
        system,
        auth,
    }
}

fn item(sku: &str, price_cents: i64, stock: i32) -> NewItem {
    NewItem {
        sku: sku.into(),
        name: format!("Item {sku}"),
        price_cents,
        stock,
        tags: vec!["tea".into()],
    }
}

async fn customer(shop: &Shop) -> types::User {
    let new = NewUser {
        name: "Ada".into(),
        email: types::Email("ada@example.org".into()),
        nickname: None,
    };
    shop.users.create_user(&new).await.expect("user created")
}

fn order(user: &types::User, lines: &[(&str, i32)]) -> NewOrder {
    NewOrder {
        user_id: user.id,
        lines: lines
            .iter()
            .map(|(sku, quantity)| OrderLine {
                sku: (*sku).into(),
                quantity: *quantity,
            })
            .collect(),
    }
}

async fn stock(shop: &Shop, sku: &str) -> i32 {
    shop.inventory
        .get_item(sku)
        .await
        .expect("item exists")
        .stock
}

svcgen_tests::on_both_databases!(an_order_reserves_stock_and_sends_a_confirmation);

async fn an_order_reserves_stock_and_sends_a_confirmation(database: Database) {
    let shop = start_on(database);
    let user = customer(&shop).await;
    shop.inventory
        .create_item(&item("TEA-0001", 450, 5))
        .await
        .unwrap();
    shop.inventory
        .create_item(&item("CUP-0002", 1200, 2))
        .await
        .unwrap();

    let placed = shop
        .orders
        .place_order(&order(&user, &[("TEA-0001", 2), ("CUP-0002", 1)]))
        .await
        .unwrap();
    assert_eq!(placed.total_cents, 2 * 450 + 1200);
    assert_eq!(placed.status, types::OrderStatus::Placed);
    assert_eq!(stock(&shop, "TEA-0001").await, 3);
    assert_eq!(stock(&shop, "CUP-0002").await, 1);

    let read_back = shop.orders.get_order(&placed.id).await.unwrap();
    assert_eq!(read_back, placed);

    // The confirmation follows the order's `order.placed` event, delivered by the orders
    // service's relay to notification: soon, not at once.
    let deadline = Instant::now() + Duration::from_secs(20);
    let sent = loop {
        let sent = shop.notification.list_for_user(&user.id).await.unwrap();
        if !sent.is_empty() || Instant::now() > deadline {
            break sent;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].subject.contains(&placed.id.to_string()),
        "{:?}",
        sent[0]
    );

    // A typed error of the users service, decoded by its client.
    let missing = shop
        .users
        .get_user(&types::uuid::Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(
        matches!(
            missing,
            Error::Api(shop_users::client::GetUserError::NotFound(_))
        ),
        "{missing:?}"
    );
}

svcgen_tests::on_both_databases!(unknown_users_and_short_stock_reserve_nothing);

async fn unknown_users_and_short_stock_reserve_nothing(database: Database) {
    let shop = start_on(database);
    let user = customer(&shop).await;
    shop.inventory
        .create_item(&item("TEA-0001", 450, 5))
        .await
        .unwrap();
    shop.inventory
        .create_item(&item("CUP-0002", 1200, 1))
        .await
        .unwrap();

    let stranger = types::User {
        id: types::uuid::Uuid::new_v4(),
        ..user.clone()
    };
    let err = shop
        .orders
        .place_order(&order(&stranger, &[("TEA-0001", 1)]))
        .await
        .unwrap_err();
    match err {
        Error::Api(PlaceOrderError::NotFound(e)) => assert!(e.detail.contains("no user"), "{e}"),
        other => panic!("expected 404 NotFound, got {other:?}"),
    }
    assert_eq!(
        stock(&shop, "TEA-0001").await,
        5,
        "nothing reserved for an unknown user"
    );

    // The first line fits, the second does not: neither is reserved.
    let err = shop
        .orders
        .place_order(&order(&user, &[("TEA-0001", 2), ("CUP-0002", 3)]))
        .await
        .unwrap_err();
    match err {
        Error::Api(PlaceOrderError::OutOfStock(e)) => assert!(e.detail.contains("CUP-0002"), "{e}"),
        other => panic!("expected 409 OutOfStock, got {other:?}"),
    }
    assert_eq!(stock(&shop, "TEA-0001").await, 5);
    assert_eq!(stock(&shop, "CUP-0002").await, 1);

    // Inventory's `NotFound` for an unknown SKU is passed through (`pass_through`): a 404 with
    // inventory's words, not a 502.
    let err = shop
        .orders
        .place_order(&order(&user, &[("ZZZ-0404", 1)]))
        .await
        .unwrap_err();
    match err {
        Error::Api(PlaceOrderError::NotFound(e)) => assert!(e.detail.contains("ZZZ-0404"), "{e}"),
        other => panic!("expected 404 NotFound passed through, got {other:?}"),
    }
    assert!(
        shop.notification
            .list_for_user(&user.id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The status of a refusal the client has no typed error for (the router's 401 and 403).
fn refused_with(err: Error<impl std::fmt::Debug>) -> u16 {
    match err {
        Error::Problem { problem, .. } => problem.status,
        other => panic!("expected a problem, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_act_only_for_themselves() {
    let shop = start();
    let ada = customer(&shop).await;
    let bob = shop
        .users
        .create_user(&NewUser {
            name: "Bob".into(),
            email: types::Email("bob@example.org".into()),
            nickname: None,
        })
        .await
        .unwrap();
    shop.inventory
        .create_item(&item("TEA-0001", 450, 5))
        .await
        .unwrap();
    let policy = Policy {
        timeout: Duration::from_secs(5),
        ..Policy::default()
    };
    let as_customer = |id: &types::uuid::Uuid| {
        let token = shop.auth.customer_token(id);
        (
            Users::new(&shop.system.url("users"), policy)
                .and_then(|c| c.with_bearer_token(&token))
                .unwrap(),
            Orders::new(&shop.system.url("orders"), policy)
                .and_then(|c| c.with_bearer_token(&token))
                .unwrap(),
            Inventory::new(&shop.system.url("inventory"), policy)
                .and_then(|c| c.with_bearer_token(&token))
                .unwrap(),
            Notifications::new(&shop.system.url("notification"), policy)
                .and_then(|c| c.with_bearer_token(&token))
                .unwrap(),
        )
    };

    // Without a credential: registering and the catalogue are open, the rest is not.
    let anonymous = Users::new(&shop.system.url("users"), policy).unwrap();
    assert_eq!(
        refused_with(anonymous.get_user(&ada.id).await.unwrap_err()),
        401
    );
    let anonymous_orders = Orders::new(&shop.system.url("orders"), policy).unwrap();
    let adas = order(&ada, &[("TEA-0001", 1)]);
    let no_one = anonymous_orders.place_order(&adas).await;
    assert_eq!(refused_with(no_one.unwrap_err()), 401);
    let catalogue = Inventory::new(&shop.system.url("inventory"), policy).unwrap();
    assert_eq!(catalogue.get_item("TEA-0001").await.unwrap().stock, 5);

    // Ada places her own order: orders calls users and inventory with her token, which they
    // check again.
    let (users, orders, inventory, notifications) = as_customer(&ada.id);
    assert_eq!(users.get_user(&ada.id).await.unwrap(), ada);
    let placed = orders
        .place_order(&order(&ada, &[("TEA-0001", 2)]))
        .await
        .unwrap();
    assert_eq!(orders.get_order(&placed.id).await.unwrap(), placed);
    assert_eq!(stock(&shop, "TEA-0001").await, 3);
    let deadline = Instant::now() + Duration::from_secs(20);
    while notifications
        .list_for_user(&ada.id)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "no confirmation for Ada");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // ... but not for Bob, nor read his record; and the catalogue takes only staff keys (no
    // customer scope can change it), so her token proves nothing there.
    let for_bob = orders.place_order(&order(&bob, &[("TEA-0001", 1)])).await;
    assert!(
        matches!(for_bob, Err(Error::Api(PlaceOrderError::Forbidden(_)))),
        "an order for another customer"
    );
    assert!(matches!(
        users.get_user(&bob.id).await,
        Err(Error::Api(shop_users::client::GetUserError::Forbidden(_)))
    ));
    assert!(matches!(
        notifications.list_for_user(&bob.id).await,
        Err(Error::Api(
            shop_notification::client::ListForUserError::Forbidden(_)
        ))
    ));
    let stocked = inventory.create_item(&item("CUP-0002", 1200, 2)).await;
    assert_eq!(refused_with(stocked.unwrap_err()), 401);
    assert_eq!(
        stock(&shop, "TEA-0001").await,
        3,
        "nothing reserved for Bob"
    );

    // Bob cannot read Ada's order; staff can.
    let (_, bobs_orders, _, _) = as_customer(&bob.id);
    assert!(matches!(
        bobs_orders.get_order(&placed.id).await,
        Err(Error::Api(shop_orders::client::GetOrderError::Forbidden(_)))
    ));
    assert_eq!(shop.orders.get_order(&placed.id).await.unwrap(), placed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_dependency_is_a_fast_503_and_recovery_needs_no_restart() {
    let mut shop = start();
    let user = customer(&shop).await;
    shop.inventory
        .create_item(&item("TEA-0001", 450, 5))
        .await
        .unwrap();

    shop.system.service("inventory").stop();
    let started = Instant::now();
    let err = shop
        .orders
        .place_order(&order(&user, &[("TEA-0001", 1)]))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        Error::Problem { problem, .. } => {
            assert!(matches!(problem.status, 503 | 504), "{problem}");
            // Which dependency is down is in the log, not in the answer.
            assert!(
                matches!(
                    problem.type_uri.as_str(),
                    "urn:svcgen:problem:dependency-unavailable"
                        | "urn:svcgen:problem:dependency-timed-out"
                ),
                "{problem}"
            );
            assert!(
                !problem.to_string().contains("inventory"),
                "the answer names no service: {problem}"
            );
            assert!(
                !problem
                    .detail
                    .as_deref()
                    .unwrap_or("")
                    .contains("127.0.0.1"),
                "no internal address leaks"
            );
        }
        other => panic!("expected a 503/504 problem, got {other:?}"),
    }
    // The spec gives orders -> inventory a 2 s budget; no hang beyond it.
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");

    // The others keep serving.
    assert_eq!(shop.users.get_user(&user.id).await.unwrap().id, user.id);
    assert!(
        shop.notification
            .list_for_user(&user.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(shop.system.service("orders").is_running());

    // Inventory comes back with its data (its own database); orders works again as is.
    shop.system.service("inventory").start();
    assert_eq!(stock(&shop, "TEA-0001").await, 5);
    let placed = shop
        .orders
        .place_order(&order(&user, &[("TEA-0001", 1)]))
        .await
        .unwrap();
    assert_eq!(placed.total_cents, 450);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_request_id_travels_to_dependencies_and_back() {
    let shop = start();
    let user = customer(&shop).await;
    shop.inventory
        .create_item(&item("TEA-0001", 450, 5))
        .await
        .unwrap();
    let id = format!("test-{}", types::uuid::Uuid::new_v4());
    let body = serde_json::to_string(&order(&user, &[("TEA-0001", 1)])).unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/orders", shop.system.url("orders")))
        .header("content-type", "application/json")
        .header("x-request-id", &id)
        .bearer_auth(shop.auth.customer_token(&user.id))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.headers()["x-request-id"], id.as_str());

    // Every service the order touched logged the same id: the ones it called at once, and
    // notification when the order's event reached it (it carries the id).
    let logs = svcgen_tests::e2e::target_dir().join("e2e-logs");
    let deadline = Instant::now() + Duration::from_secs(20);
    for name in ["users", "inventory", "notification"] {
        let service = &shop.system.services[name];
        let path = logs.join(format!("{}-{}.log", service.binary, service.port));
        while !std::fs::read_to_string(&path).unwrap().contains(&id) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(&path).unwrap();
        assert!(log.contains(&id), "{name} did not see request id {id}");
    }
    let notification = &shop.system.services["notification"];
    let log = std::fs::read_to_string(
        logs.join(format!("{}-{}.log", notification.binary, notification.port)),
    )
    .unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(&id) && l.contains("event handled")),
        "the event's handling is logged with the order's request id"
    );
}

/// List-valued query parameters: `sku` repeated (`?sku=a&sku=b`; absent is empty), `tags`
/// comma-separated (`?tags=a,b`; absent is `None`), through the typed client and by hand; their
/// item counts are checked, and a comma inside a comma-separated item is refused before
/// anything is sent.
#[tokio::test]
async fn items_are_found_by_lists_of_skus_and_tags() {
    const A: &str = "AAA-0001";
    const B: &str = "BBB-0002";
    const C: &str = "CCC-0003";
    let shop = start();
    for (sku, tags) in [(A, &["tea", "green"][..]), (B, &["tea"]), (C, &["green"])] {
        let new = NewItem {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            ..item(sku, 100, 1)
        };
        shop.inventory
            .create_item(&new)
            .await
            .expect("item created");
    }
    let skus = |items: Vec<types::Item>| items.into_iter().map(|i| i.sku).collect::<Vec<_>>();
    let query = |sku: &[&str], tags: Option<&[&str]>| ListItemsQuery {
        limit: 20,
        tag: None,
        sku: sku.iter().map(|x| (*x).to_owned()).collect(),
        tags: tags.map(|t| t.iter().map(|x| (*x).to_owned()).collect()),
    };
    let inventory = &shop.inventory;
    let found = |q| async move { skus(inventory.list_items(&q).await.expect("listed")) };
    assert_eq!(found(query(&[A, C], None)).await, [A, C]);
    assert_eq!(found(query(&[], Some(&["tea", "green"]))).await, [A]);
    assert_eq!(found(query(&[B, C], Some(&["tea"]))).await, [B]);
    assert_eq!(found(query(&[], None)).await, [A, B, C]);
    // An empty comma-separated list is sent (`?tags=`) and matches every item.
    assert_eq!(found(query(&[], Some(&[]))).await, [A, B, C]);

    // The same on the wire, written by hand.
    let url = format!("{}/items", shop.system.url("inventory"));
    let listed = |body: serde_json::Value| -> Vec<String> {
        let items = body.as_array().expect("a list").iter();
        items
            .map(|i| i["sku"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, _, body) = raw("GET", &format!("{url}?sku={C}&limit=5&sku={A}"), None, "").await;
    assert_eq!((status, listed(body)), (200, vec![A.into(), C.into()]));
    let (status, _, body) = raw("GET", &format!("{url}?tags=green,tea"), None, "").await;
    assert_eq!((status, listed(body)), (200, vec![A.into()]));
    let (status, _, body) = raw("GET", &format!("{url}?tags=green&tags=tea"), None, "").await;
    assert_eq!(status, 400, "a comma-separated list is one value: {body}");
    assert_eq!(body["errors"][0]["pointer"], "/tags", "{body}");
    assert_eq!(
        body["errors"][0]["detail"], "is given more than once",
        "{body}"
    );

    // Item counts are checked like any constraint of a parameter; a bad count names it.
    let many: String = (0..51).map(|i| format!("sku=s{i}&")).collect();
    let (status, _, body) = raw("GET", &format!("{url}?{many}"), None, "").await;
    assert_eq!(status, 400, "a bad query is a bad request: {body}");
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .any(|e| e["in"] == "query" && e["pointer"] == "/sku"),
        "{body}"
    );

    // A comma inside an item of a comma-separated list cannot be sent.
    match shop.inventory.list_items(&query(&[], Some(&["a,b"]))).await {
        Err(Error::Request { message, .. }) => {
            assert!(message.contains("holds a `,`"), "{message}")
        }
        other => panic!("sent anyway: {other:?}"),
    }
}
