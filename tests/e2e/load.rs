//! A bounded load run against the shop's place-order flow, across all four services, in
//! release builds: every order succeeds, and no service keeps memory the run made it use (each
//! keeps its records in its own database). Prints each service's resident memory after warm-up and after
//! the run and an idle pause.

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
    let data = tempfile::tempdir().expect("a data folder");
    let mut procs = Procs(Vec::new());
    for ((name, _), port) in SERVICES.iter().zip(&ports) {
        let child = Command::new(target.join(format!("release/shop-{name}")))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
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
    let inventory = shop_inventory::client::Client::new(&url(1), policy).unwrap();
    let orders = Arc::new(shop_orders::client::Client::new(&url(3), policy).unwrap());
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
    let order = NewOrder {
        user_id: user.id,
        lines: vec![OrderLine {
            sku: "TEA-0001".into(),
            quantity: 1,
        }],
    };

    place_orders(&orders, &order, WARM_UP).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let warm: BTreeMap<String, u64> = procs
        .0
        .iter()
        .map(|(n, c)| (n.clone(), rss_kib(c.id())))
        .collect();

    let started = Instant::now();
    place_orders(&orders, &order, RUN).await;
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after: BTreeMap<String, u64> = procs
        .0
        .iter()
        .map(|(n, c)| (n.clone(), rss_kib(c.id())))
        .collect();

    println!(
        "{RUN} orders in {:.1} s ({:.0}/s), {CONCURRENCY} at a time",
        elapsed.as_secs_f64(),
        RUN as f64 / elapsed.as_secs_f64()
    );
    for (name, before) in &warm {
        println!(
            "{name:>12}: RSS {before} KiB after warm-up, {} KiB after the run and 3 s idle ({:+.1}%)",
            after[name],
            (after[name] as f64 / *before as f64 - 1.0) * 100.0
        );
    }
    // Every service keeps its records in its own database, none in memory: each must come
    // back within 20% of its warm-up memory however many orders were placed.
    for (name, before) in &warm {
        assert!(
            after[name] as f64 <= *before as f64 * 1.2,
            "{name}: {before} KiB after warm-up, {} KiB after the run",
            after[name]
        );
    }
}
