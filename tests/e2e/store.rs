//! The shop's stores against real databases, through real service processes: nothing
//! acknowledged is lost to SIGKILL, reservations are transactions, a duplicate unique value is
//! its typed 409, a database that goes away is 503 until it comes back, and a database URL
//! that cannot work stops the service with one clear line.

use runtime::client::{Error, Policy};
use shop_inventory::client::{Client as Inventory, CreateItemError, ReserveError};
use shop_orders::runtime;
use shop_orders::types::{self, NewItem, NewUser, Reservation};
use shop_users::client::{Client as Users, CreateUserError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use svcgen_tests::e2e::{Database, ShopAuth, System, block_on, postgres_admin_url};
use tokio::sync::Mutex;

fn policy() -> Policy {
    Policy {
        timeout: Duration::from_secs(10),
        ..Policy::default()
    }
}

fn new_user(n: usize) -> NewUser {
    NewUser {
        name: format!("Customer {n}"),
        email: types::Email(format!("c{n}@example.org")),
        nickname: None,
    }
}

fn new_item(sku: &str, stock: i32) -> NewItem {
    NewItem {
        sku: sku.into(),
        name: format!("Item {sku}"),
        price_cents: 100,
        stock,
        tags: vec!["tea".into()],
    }
}

svcgen_tests::on_both_databases!(duplicates_are_their_typed_conflict);

async fn duplicates_are_their_typed_conflict(database: Database) {
    let auth = ShopAuth::new();
    let system = System::start_on(
        database,
        &[
            ("users", "shop-users", "USERS_URL"),
            ("inventory", "shop-inventory", "INVENTORY_URL"),
        ],
        &auth.env(),
        None,
    );
    let users = Users::new(&system.url("users"), policy()).unwrap();
    let inventory = Inventory::new(&system.url("inventory"), policy())
        .and_then(|c| c.with_api_key(auth.staff_key()))
        .unwrap();
    users.create_user(&new_user(1)).await.unwrap();
    let again = users.create_user(&new_user(1)).await.unwrap_err();
    assert!(
        matches!(again, Error::Api(CreateUserError::EmailTaken(_))),
        "{again:?}"
    );
    inventory
        .create_item(&new_item("TEA-0001", 1))
        .await
        .unwrap();
    let again = inventory
        .create_item(&new_item("TEA-0001", 5))
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::Api(CreateItemError::DuplicateSku(_))),
        "{again:?}"
    );
    // The first item is untouched.
    assert_eq!(inventory.get_item("TEA-0001").await.unwrap().stock, 1);
}

svcgen_tests::on_both_databases!(nothing_acknowledged_is_lost_to_sigkill);

/// Registrations stream in while the service is killed with SIGKILL: every one it answered 201
/// is there after a restart.
async fn nothing_acknowledged_is_lost_to_sigkill(database: Database) {
    let auth = ShopAuth::new();
    let services = [("users", "shop-users", "USERS_URL")];
    let mut system = System::start_on(database, &services, &auth.env(), None);
    let users = Arc::new(Users::new(&system.url("users"), policy()).unwrap());
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (users, acknowledged) = (users.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                match users.create_user(&new_user(w * 100_000 + n)).await {
                    Ok(user) => acknowledged.lock().await.push(user),
                    Err(_) => return,
                }
            }
        }));
    }
    // Let writes flow, then kill mid-stream.
    while acknowledged.lock().await.len() < 40 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    system.service("users").kill();
    for w in writers {
        w.await.unwrap();
    }
    system.service("users").start();
    let acknowledged = acknowledged.lock().await.clone();
    assert!(acknowledged.len() >= 40);
    // A new client (the writers' one opened its circuit breaker while the service was down),
    // with staff's key: reading a customer takes a credential.
    let users = Users::new(&system.url("users"), policy())
        .and_then(|c| c.with_api_key(auth.staff_key()))
        .unwrap();
    for user in &acknowledged {
        let read = users.get_user(&user.id).await.unwrap();
        assert_eq!(&read, user);
    }
}

svcgen_tests::on_both_databases!(concurrent_reservations_sell_exactly_the_stock);

/// 50 reservations of one unit each race for a stock of 10: exactly 10 succeed.
async fn concurrent_reservations_sell_exactly_the_stock(database: Database) {
    let auth = ShopAuth::new();
    let system = System::start_on(
        database,
        &[("inventory", "shop-inventory", "INVENTORY_URL")],
        &auth.env(),
        None,
    );
    let inventory = Inventory::new(&system.url("inventory"), policy())
        .and_then(|c| c.with_api_key(auth.staff_key()))
        .map(Arc::new)
        .unwrap();
    inventory
        .create_item(&new_item("TEA-0001", 10))
        .await
        .unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(50));
    let mut calls = Vec::new();
    for _ in 0..50 {
        let (inventory, start) = (inventory.clone(), start.clone());
        calls.push(tokio::spawn(async move {
            let line = [Reservation {
                sku: "TEA-0001".into(),
                quantity: 1,
            }];
            start.wait().await;
            inventory.reserve(&line).await
        }));
    }
    let (mut sold, mut refused) = (0, 0);
    for c in calls {
        match c.await.unwrap() {
            Ok(()) => sold += 1,
            Err(Error::Api(ReserveError::OutOfStock(_))) => refused += 1,
            Err(e) => panic!("a reservation failed otherwise: {e:?}"),
        }
    }
    assert_eq!((sold, refused), (10, 40));
    assert_eq!(inventory.get_item("TEA-0001").await.unwrap().stock, 0);
}

/// A TCP proxy to PostgreSQL that the test can cut (every connection dropped, new ones
/// refused) and restore.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: &'static str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (up2, conns2) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns2.lock().await.push(task);
            }
        });
        Proxy {
            port,
            up,
            connections,
        }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.connections.lock().await.drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn readyz(url: &str) -> u16 {
    reqwest::get(format!("{url}/readyz"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// PostgreSQL goes away after start: the endpoints that need it answer 503 problem+json and
/// `/readyz` says not ready; when it comes back, both recover without a restart.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_gone_after_start_is_503_until_it_returns() {
    let name = format!("svcgen_e2e_outage_{}", std::process::id());
    let admin = postgres_admin_url();
    let test_db =
        block_on(async move { svcgen_runtime::store::TestDb::postgres(&admin, &name).await })
            .expect("a test database");
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let through_proxy =
        test_db
            .url()
            .replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1);
    assert_ne!(
        through_proxy,
        test_db.url(),
        "the URL goes through the proxy"
    );
    let auth = ShopAuth::new();
    let mut env = auth.env();
    env.extend([
        ("DATABASE_URL", through_proxy.as_str()),
        ("DATABASE_ACQUIRE_TIMEOUT_MS", "1000"),
    ]);
    let system = System::start_with(&[("users", "shop-users", "USERS_URL")], &env, None);
    let url = system.url("users");
    let users = Users::new(&url, policy())
        .and_then(|c| c.with_api_key(auth.staff_key()))
        .unwrap();
    let ada = users.create_user(&new_user(1)).await.unwrap();

    proxy.cut().await;
    let err = users.get_user(&ada.id).await.unwrap_err();
    let problem = match err {
        Error::Problem { problem, .. } => problem,
        other => panic!("expected a 503 problem, got {other:?}"),
    };
    assert_eq!(problem.status, 503, "{problem:?}");
    assert_eq!(readyz(&url).await, 503);

    proxy.restore();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(read) = users.get_user(&ada.id).await {
            assert_eq!(read, ada);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no recovery in 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(readyz(&url).await, 200);
    drop(system);
    block_on(async move { test_db.drop().await });
}

/// A database URL that cannot work: the service exits non-zero at once, with one line naming
/// itself and the variable, and never panics.
#[test]
fn a_bad_database_url_stops_the_service_with_one_clear_line() {
    svcgen_tests::e2e::build_binaries();
    let binary = svcgen_tests::e2e::target_dir().join("debug/shop-users");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for url in [
        "mysql://db.example/users".to_owned(),
        "postgres://svc:hunter2@127.0.0.1:{closed}/users".replace("{closed}", &closed.to_string()),
        "postgres://bad url".to_owned(),
    ] {
        let out = std::process::Command::new(&binary)
            .env("DATABASE_URL", &url)
            .env("DATABASE_ACQUIRE_TIMEOUT_MS", "1000")
            .env("PORT", "0")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("ERROR")).collect();
        assert_eq!(errors.len(), 1, "{url}: {stderr}");
        assert!(
            errors[0].contains("users") && errors[0].contains("DATABASE_URL"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "the password is never printed: {stderr}"
        );
    }
}

/// Two replicas of one service start at the same moment on one empty PostgreSQL database: the
/// migrations run once (sqlx takes an advisory lock, so the replicas take turns) and both serve.
#[test]
fn two_replicas_starting_together_migrate_once_and_both_serve() {
    use std::io::BufRead;
    svcgen_tests::e2e::build_binaries();
    let binary = svcgen_tests::e2e::target_dir().join("debug/shop-users");
    let auth = ShopAuth::new();
    let name = format!("svcgen_e2e_replicas_{}", std::process::id());
    let admin = postgres_admin_url();
    let test_db =
        block_on(async move { svcgen_runtime::store::TestDb::postgres(&admin, &name).await })
            .expect("a test database");
    let mut children: Vec<std::process::Child> = (0..2)
        .map(|_| {
            std::process::Command::new(&binary)
                .envs(auth.env())
                .env("DATABASE_URL", test_db.url())
                .env("PORT", "0")
                .env("NO_COLOR", "1")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("a replica starts")
        })
        .collect();
    let ports: Vec<u16> = children
        .iter_mut()
        .map(|child| {
            const MARK: &str = "listening on http://127.0.0.1:";
            let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for line in stderr.lines().map_while(Result::ok) {
                    if let Some(at) = line.find(MARK) {
                        let digits: String = line[at + MARK.len()..]
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        let _ = tx.send(Ok(digits.parse::<u16>().unwrap_or(0)));
                    }
                    seen.push(line);
                }
                let _ = tx.send(Err(seen.join("\n")));
            });
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(Ok(port)) => port,
                Ok(Err(stderr)) => panic!("the replica stopped before listening:\n{stderr}"),
                Err(e) => panic!("the replica does not listen: {e}"),
            }
        })
        .collect();
    let ready: Vec<u16> = block_on(async move {
        let mut codes = Vec::new();
        for port in ports {
            codes.push(readyz(&format!("http://127.0.0.1:{port}")).await);
        }
        codes
    });
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert_eq!(ready, [200, 200]);
    let applied = block_on(async move {
        let db = test_db.db();
        let count = db
            .query(&svcgen_runtime::store::Sql {
                sqlite: "SELECT COUNT(*) FROM _sqlx_migrations",
                postgres: "SELECT COUNT(*) FROM _sqlx_migrations",
            })
            .fetch_all(&mut svcgen_runtime::store::On::Db(db))
            .await
            .expect("the migrations table")[0]
            .get::<i64>(0)
            .expect("a count");
        test_db.drop().await;
        count
    });
    assert_eq!(
        applied, 1,
        "the users service has one migration, applied once"
    );
}
