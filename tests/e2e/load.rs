//! A bounded load run against the shop's place-order flow, across all four services, in
//! release builds: every order succeeds and is confirmed once through its `order.placed` event,
//! and no service keeps memory per order (each keeps its records in its own database). Prints
//! each service's resident memory after warm-up and after each of two runs.

use shop_orders::runtime::client::Policy;
use shop_orders::types::{Email, NewItem, NewOrder, NewUser, OrderLine};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVICES: &[(&str, &str)] = &[
    ("users", "USERS_URL"),
    ("inventory", "INVENTORY_URL"),
    ("notification", "NOTIFICATION_URL"),
    ("orders", "ORDERS_URL"),
];
const WARM_UP: usize = 400;
const RUN: usize = 4_000;
const CONCURRENCY: usize = 32;

struct Procs(Vec<(String, Child)>);

impl Drop for Procs {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

async fn place_orders(orders: &Arc<shop_orders::client::Client>, order: &NewOrder, n: usize) {
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (orders, order) = (orders.clone(), order.clone());
        let share = n / CONCURRENCY + usize::from(worker < n % CONCURRENCY);
        tasks.push(tokio::spawn(async move {
            for _ in 0..share {
                if let Err(e) = orders.place_order(&order).await {
                    return Err(e.to_string());
                }
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await.expect("a worker").expect("every order succeeds");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_order_under_load_keeps_memory_flat() {
    let target = svcgen_tests::e2e::target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(&cargo)
        .args(["build", "--quiet", "--release", "--bins", "--manifest-path"])
        .arg(svcgen_tests::repo().join("generated/shop/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "release build of the shop");

    let ports: Vec<u16> = SERVICES
        .iter()
        .map(|_| svcgen_tests::e2e::free_port())
        .collect();
    let env: Vec<(&str, String)> = SERVICES
        .iter()
        .zip(&ports)
        .map(|((_, var), port)| (*var, format!("http://127.0.0.1:{port}")))
        .collect();
    // Each service keeps its records in an SQLite file of its own, in a folder of this run.
    // Customers' tokens and staff's key as a deployment's; events go between the services with
    // the key of this run.
    let data = tempfile::tempdir().expect("a data folder");
    let auth = svcgen_tests::e2e::ShopAuth::new();
    let events_key = data.path().join("events.key");
    svcgen_tests::e2e::write_events_key(&events_key);
    let mut procs = Procs(Vec::new());
    for ((name, _), port) in SERVICES.iter().zip(&ports) {
        let child = Command::new(target.join(format!("release/shop-{name}")))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .envs(auth.env())
            .env("EVENTS_KEY_FILE", &events_key)
            .env("SVCGEN_DATA_DIR", data.path())
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("a service starts");
        procs.0.push(((*name).to_owned(), child));
    }
    let url = |i: usize| env[i].1.clone();
    let policy = Policy {
        timeout: Duration::from_secs(10),
        ..Policy::default()
    };
    let users = shop_users::client::Client::new(&url(0), policy).unwrap();
    let inventory = shop_inventory::client::Client::new(&url(1), policy)
        .and_then(|c| c.with_api_key(auth.staff_key()))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let user = loop {
        let new = NewUser {
            name: "Ada".into(),
            email: Email("ada@example.org".into()),
            nickname: None,
        };
        match users.create_user(&new).await {
            Ok(user) => break user,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("users never came up: {e}"),
        }
    };
    loop {
        let item = NewItem {
            sku: "TEA-0001".into(),
            name: "Tea".into(),
            price_cents: 450,
            stock: 1_000_000,
            tags: vec![],
        };
        match inventory.create_item(&item).await {
            Ok(_) => break,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("inventory never came up: {e}"),
        }
    }
    // The customer places their orders with their own token.
    let orders = shop_orders::client::Client::new(&url(3), policy)
        .and_then(|c| c.with_bearer_token(&auth.customer_token(&user.id)))
        .map(Arc::new)
        .unwrap();
    let order = NewOrder {
        user_id: user.id,
        lines: vec![OrderLine {
            sku: "TEA-0001".into(),
            quantity: 1,
        }],
    };

    // Every order's `order.placed` event confirmed: the publisher's backlog is drained. Counted
    // in notification's own database file (asking the service for every notification would
    // grow its memory with the list).
    let notifications = svcgen_runtime::store::Db::connect(
        &svcgen_runtime::store::sqlite_url(&data.path().join("shop-notification.db")),
        &svcgen_runtime::store::PoolSettings::default(),
    )
    .await
    .expect("notification's database");
    let confirmed = |n: usize| {
        let db = notifications.clone();
        async move {
            const COUNT: svcgen_runtime::store::Sql = svcgen_runtime::store::Sql {
                sqlite: "SELECT COUNT(*) FROM \"notifications\"",
                postgres: "SELECT COUNT(*) FROM \"notifications\"",
            };
            let started = Instant::now();
            loop {
                let row = db
                    .query(&COUNT)
                    .fetch_optional(&mut svcgen_runtime::store::On::Db(&db))
                    .await
                    .unwrap()
                    .expect("a count");
                let sent = row.get::<i64>(0).unwrap() as usize;
                assert!(sent <= n, "{sent} confirmations for {n} orders");
                if sent == n {
                    return started.elapsed();
                }
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "{sent} of {n} orders confirmed after 120 s"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };

    place_orders(&orders, &order, WARM_UP).await;
    confirmed(WARM_UP).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let warm: BTreeMap<String, u64> = procs
        .0
        .iter()
        .map(|(n, c)| (n.clone(), rss_kib(c.id())))
        .collect();

    let rss = || -> BTreeMap<String, u64> {
        procs
            .0
            .iter()
            .map(|(n, c)| (n.clone(), rss_kib(c.id())))
            .collect()
    };
    // Two runs of RUN orders, each until every order is confirmed and 3 s of idle. Memory a
    // service keeps per order (state held in memory instead of its database, a leak) grows
    // with each run; caches (SQLite's pages, the allocator's free lists) fill in the first
    // and stay: the second run may add at most 10%.
    let mut after = Vec::new();
    for run in 1..=2 {
        let started = Instant::now();
        place_orders(&orders, &order, RUN).await;
        let elapsed = started.elapsed();
        let drained = confirmed(WARM_UP + run * RUN).await;
        println!(
            "run {run}: {RUN} orders in {:.1} s ({:.0}/s), {CONCURRENCY} at a time; the last \
             confirmation {:.1} s after the last order",
            elapsed.as_secs_f64(),
            RUN as f64 / elapsed.as_secs_f64(),
            drained.as_secs_f64()
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        after.push(rss());
    }
    for (name, before) in &warm {
        let (first, second) = (after[0][name], after[1][name]);
        println!(
            "{name:>12}: RSS {before} KiB after warm-up, {first} KiB after run 1, {second} KiB \
             after run 2 ({:+.1}% in run 2)",
            (second as f64 / first as f64 - 1.0) * 100.0
        );
    }
    for name in warm.keys() {
        let (first, second) = (after[0][name], after[1][name]);
        assert!(
            second as f64 <= first as f64 * 1.1,
            "{name}: {first} KiB after run 1, {second} KiB after run 2: it keeps memory per order"
        );
    }
}
