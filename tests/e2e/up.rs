//! `svcgen up shop`, end to end: started by the test, every service ready, a flow through the
//! printed URLs, and SIGTERM stopping every child.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `svcgen up shop` at a time: each picks the spec's ports when free, and two starting
/// together would race for them.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[tokio::test(flavor = "multi_thread")]
#[expect(
    clippy::await_holding_lock,
    reason = "the guard serialises whole tests across test threads; no task of this runtime takes it"
)]
async fn up_runs_the_shop_and_stops_every_child() {
    let _one = one_at_a_time();
    svcgen_tests::e2e::build_binaries();
    let repo = svcgen_tests::repo();
    let target = svcgen_tests::e2e::target_dir();
    // From empty data: a user of an earlier run would make this one's email taken.
    let mut up = Command::new(svcgen_tests::e2e::svcgen_binary())
        .args(["up", "shop", "--no-build", "--fresh"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("svcgen runs");
    let stdout = up.stdout.take().unwrap();

    // Read until the table and the "Running" line; keep draining afterwards.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut table = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("svcgen up reports readiness");
        if line.contains("Running shop") {
            break;
        }
        if line
            .trim_start()
            .starts_with(|c: char| c.is_ascii_lowercase())
            && line.contains("http://127.0.0.1:")
            && !line.contains(" | ")
        {
            table.push(line);
        }
    }
    let rows: Vec<(String, String, u32)> = table
        .iter()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (
                cols[0].to_owned(),
                cols[1].to_owned(),
                cols[2].parse().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        names,
        ["users", "inventory", "orders", "notification"],
        "dependencies first"
    );
    // Each service's database is in the table.
    for (line, name) in table.iter().zip(&names) {
        let db = format!("generated/shop/data/shop-{name}.db");
        assert!(line.split_whitespace().any(|c| c == db), "{line}");
    }
    let url = |name: &str| rows.iter().find(|r| r.0 == name).unwrap().1.clone();

    use shop_orders::runtime::client::Policy;
    use shop_orders::types::*;
    // The staff key `up` made, and a customer's token signed with `up`'s stand-in for the
    // identity provider, as the README shows.
    let staff = shop_staff_key();
    let users = shop_users::client::Client::new(&url("users"), Policy::default()).unwrap();
    let inventory = shop_inventory::client::Client::new(&url("inventory"), Policy::default())
        .and_then(|c| c.with_api_key(&staff))
        .unwrap();
    let user = users
        .create_user(&NewUser {
            name: "Ada".into(),
            email: Email("ada@example.org".into()),
            nickname: None,
        })
        .await
        .unwrap();
    inventory
        .create_item(&NewItem {
            sku: "TEA-0001".into(),
            name: "Tea".into(),
            price_cents: 450,
            stock: 3,
            tags: vec![],
        })
        .await
        .unwrap();
    let orders = shop_orders::client::Client::new(&url("orders"), Policy::default())
        .and_then(|c| c.with_bearer_token(&shop_token(&user.id.to_string())))
        .unwrap();
    let order = orders
        .place_order(&NewOrder {
            user_id: user.id,
            lines: vec![OrderLine {
                sku: "TEA-0001".into(),
                quantity: 2,
            }],
        })
        .await
        .unwrap();
    assert_eq!(order.total_cents, 900);

    // A service that dies is reported; the others keep serving.
    let notification_pid = rows.iter().find(|r| r.0 == "notification").unwrap().2;
    Command::new("kill")
        .args(["-KILL", &notification_pid.to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("svcgen up reports the exit");
        if line.contains("Exited") {
            assert!(
                line.contains("notification") && line.contains("the others keep running"),
                "{line}"
            );
            break;
        }
    }
    let users = users.with_api_key(&staff).unwrap();
    assert_eq!(users.get_user(&user.id).await.unwrap().id, user.id);

    // SIGTERM to `svcgen up`: it stops every child and exits cleanly.
    svcgen_tests::e2e::terminate_up(&mut up);
    for (name, _, pid) in &rows {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "{name} (pid {pid}) is still running"
        );
    }

    // `up` again: the data is still there, and so are the keys.
    let (mut again, rows, _stdout) = launch(&[]);
    let url = |name: &str| rows.iter().find(|r| r.0 == name).unwrap().1.clone();
    assert_eq!(shop_staff_key(), staff);
    let users = shop_users::client::Client::new(&url("users"), Policy::default())
        .and_then(|c| c.with_api_key(&staff))
        .unwrap();
    let orders = shop_orders::client::Client::new(&url("orders"), Policy::default())
        .and_then(|c| c.with_bearer_token(&shop_token(&user.id.to_string())))
        .unwrap();
    assert_eq!(users.get_user(&user.id).await.unwrap(), user);
    assert_eq!(orders.get_order(&order.id).await.unwrap(), order);
    svcgen_tests::e2e::terminate_up(&mut again);
}

/// The staff API key `svcgen up shop` made in the data folder.
fn shop_staff_key() -> String {
    let path = svcgen_tests::repo().join("generated/shop/data/staff.key");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_owned()
}

/// A token of the shop's customer `subject`, from `svcgen token` (signed with the key of `up`'s
/// stand-in for the identity provider).
fn shop_token(subject: &str) -> String {
    let out = Command::new(svcgen_tests::e2e::svcgen_binary())
        .args([
            "token",
            "shop",
            "--scheme",
            "customer",
            "--subject",
            subject,
        ])
        .args(["--scope", "customers:read", "--scope", "orders:read"])
        .args(["--scope", "orders:write"])
        .current_dir(svcgen_tests::repo())
        .output()
        .expect("svcgen runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `svcgen up shop` started, its table read: the process, the rows (name, URL, pid) and its
/// stdout, positioned after the "Running" line and not read any further.
struct Up {
    process: std::process::Child,
    rows: Vec<(String, String, u32)>,
    stdout: BufReader<std::process::ChildStdout>,
    _one: std::sync::MutexGuard<'static, ()>,
}

fn start_up() -> Up {
    let one = one_at_a_time();
    let (process, rows, stdout) = launch(&[]);
    Up {
        process,
        rows,
        stdout,
        _one: one,
    }
}

/// What [`launch`] gives: the `up` process, the rows of its table (name, URL, pid) and its
/// stdout after the "Running" line.
type Launched = (
    std::process::Child,
    Vec<(String, String, u32)>,
    BufReader<std::process::ChildStdout>,
);

/// Starts `svcgen up shop --no-build` with `extra` arguments and reads its table.
fn launch(extra: &[&str]) -> Launched {
    let mut args = vec!["up", "shop", "--no-build"];
    args.extend_from_slice(extra);
    let launched = launch_system(&args, "Running shop");
    assert_eq!(launched.1.len(), 4, "{:?}", launched.1);
    launched
}

/// Starts `svcgen` with `args` (an `up`) and reads its table, until the line with `running`.
fn launch_system(args: &[&str], running: &'static str) -> Launched {
    svcgen_tests::e2e::build_binaries();
    let repo = svcgen_tests::repo();
    let target = svcgen_tests::e2e::target_dir();
    let mut process = Command::new(svcgen_tests::e2e::svcgen_binary())
        .args(args)
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("svcgen runs");
    let mut stdout = BufReader::new(process.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rows = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line.contains(running) {
                let _ = tx.send((rows, stdout));
                return;
            }
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() >= 3
                && cols[1].starts_with("http://127.0.0.1:")
                && let Ok(pid) = cols[2].parse::<u32>()
            {
                rows.push((cols[0].to_owned(), cols[1].to_owned(), pid));
            }
        }
    });
    let (rows, stdout) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("svcgen up reports readiness");
    (process, rows, stdout)
}

impl Drop for Up {
    /// A failed test leaves nothing running: the services follow `up` (their stdin ends).
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Whether process `pid` is gone (a zombie waiting for its reaper counts as gone).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Waits up to `limit` for every service of `up` to be gone; returns how long it took.
fn wait_all_gone(up: &Up, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let left: Vec<_> = up.rows.iter().filter(|r| !gone(r.2)).collect();
        if left.is_empty() {
            return started.elapsed();
        }
        if started.elapsed() > limit {
            for (_, _, pid) in &left {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            panic!("still running after {limit:?}: {left:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads `stdout` on a thread until it ends, so `up` never waits on it.
fn drain(stdout: BufReader<std::process::ChildStdout>) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn sigkill_of_up_leaves_no_service_running() {
    let mut up = start_up();
    let stdout = std::mem::replace(&mut up.stdout, BufReader::new(empty_stdout()));
    let _lines = drain(stdout);
    up.process.kill().unwrap();
    up.process.wait().unwrap();
    let took = wait_all_gone(&up, Duration::from_secs(20));
    println!("after SIGKILL of svcgen up, its 4 services were gone in {took:?}");
}

#[test]
fn sighup_to_up_stops_every_service() {
    let mut up = start_up();
    let stdout = std::mem::replace(&mut up.stdout, BufReader::new(empty_stdout()));
    let _lines = drain(stdout);
    Command::new("kill")
        .args(["-HUP", &up.process.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = up.process.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "svcgen up did not stop on SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
    wait_all_gone(&up, Duration::from_secs(1));
    println!("svcgen up stopped on SIGHUP in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unread_stdout_stalls_neither_services_nor_up() {
    const REQUESTS: usize = 3000;
    let mut up = start_up();
    // From here on nobody reads up's stdout: every request logs a line into it.
    let users = up.rows.iter().find(|r| r.0 == "users").unwrap().1.clone();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-api-key", shop_staff_key().parse().unwrap());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .default_headers(headers)
        .build()
        .unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let (client, users) = (client.clone(), users.clone());
            tokio::spawn(async move {
                for i in 0..REQUESTS / 4 {
                    let url = format!("{users}/users/00000000-0000-4000-8000-{t:04}{i:08}");
                    let answer = client
                        .get(&url)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("request {i} of task {t} stalled: {e}"));
                    assert_eq!(answer.status().as_u16(), 404);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "{REQUESTS} requests answered in {:?} while svcgen up's stdout was not read",
        started.elapsed()
    );

    // Reading again: up says how many lines it dropped, and still stops on SIGTERM.
    let stdout = std::mem::replace(&mut up.stdout, BufReader::new(empty_stdout()));
    let lines = drain(stdout);
    let deadline = Instant::now() + Duration::from_secs(10);
    let dropped = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("svcgen up reports the lines it dropped");
        if line.contains("lines dropped") {
            break line;
        }
    };
    println!("{dropped}");
    Command::new("kill")
        .args(["-TERM", &up.process.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    while up.process.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "svcgen up did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_all_gone(&up, Duration::from_secs(1));
}

/// A stand-in for a stdout already handed to a reader thread.
fn empty_stdout() -> std::process::ChildStdout {
    let mut child = Command::new("true")
        .stdout(Stdio::piped())
        .spawn()
        .expect("true runs");
    let stdout = child.stdout.take().unwrap();
    let _ = child.wait();
    stdout
}

/// `up --release` runs the optimised binaries (`target/release`), built here beforehand as
/// `up --release` would build them (`--no-build` then only starts them).
#[test]
fn up_release_runs_the_optimised_binaries() {
    let one = one_at_a_time();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = svcgen_tests::e2e::target_dir();
    let built = Command::new(cargo)
        .args(["build", "--quiet", "--release", "--bins", "--manifest-path"])
        .arg(svcgen_tests::repo().join("generated/shop/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "cargo build --release: {built}");
    let (process, rows, stdout) = launch(&["--release"]);
    let up = Up {
        process,
        rows,
        stdout,
        _one: one,
    };
    for (name, _, pid) in &up.rows {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).expect("the service runs");
        assert!(
            exe.starts_with(target.join("release")),
            "{name} runs {}",
            exe.display()
        );
    }
    let (_, url, _) = &up.rows[0];
    let mut stream =
        std::net::TcpStream::connect(url.trim_start_matches("http://")).expect("it listens");
    std::io::Write::write_all(
        &mut stream,
        b"GET /readyz HTTP/1.1\r\nhost: up\r\nconnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// `up` of a system whose tokens come from an issuer outside it (the auth fixture's `user`
/// scheme) stands in for that issuer: a signing key and its key set in the data folder, the
/// services told where the set is, and `svcgen token` signing with that key by default. The
/// service takes such a token and refuses a request without one.
#[test]
fn up_stands_in_for_an_issuer_outside_the_system() {
    let one = one_at_a_time();
    let (spec, out) = ("tests/auth/spec.toml", "tests/auth/generated");
    let (process, rows, stdout) = launch_system(
        &["up", spec, "--out", out, "--no-build", "--fresh"],
        "Running guarded",
    );
    let up = Up {
        process,
        rows,
        stdout,
        _one: one,
    };
    let data = svcgen_tests::repo().join(out).join("guarded/data");
    assert!(data.join("user-signing-key.pem").exists());
    let set: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("user.jwks.json")).unwrap())
            .unwrap();
    assert_eq!(set["keys"][0]["crv"], "Ed25519", "{set}");
    assert!(set["keys"][0].get("d").is_none(), "no private half: {set}");

    let signed = Command::new(svcgen_tests::e2e::svcgen_binary())
        .args([
            "token",
            spec,
            "--out",
            out,
            "--scheme",
            "user",
            "--subject",
            "ada",
        ])
        .args(["--scope", "notes:read", "--claim", "tenant=t1"])
        .current_dir(svcgen_tests::repo())
        .output()
        .expect("svcgen runs");
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let token = String::from_utf8(signed.stdout).unwrap().trim().to_owned();
    let notes = format!("{}/notes", up.rows[0].1);
    let statuses = svcgen_tests::e2e::block_on(async move {
        let client = reqwest::Client::new();
        let with = client.get(&notes).bearer_auth(&token).send().await.unwrap();
        let without = client.get(&notes).send().await.unwrap();
        (with.status().as_u16(), without.status().as_u16())
    });
    assert_eq!(statuses, (200, 401));
}

/// The dashboard of `svcgen up shop` in a real browser (the machine's Chromium): the four
/// services shown healthy, an order placed through the API forms, its trace found by request id
/// across orders, inventory and notification, and inventory restarted from the page while the
/// others keep running. With `SVCGEN_SCREENSHOTS=<dir>`, the main pages are saved there (how
/// the ones in docs/ were made).
#[test]
fn the_dashboard_shows_the_shop_and_restarts_a_service() {
    let _one = one_at_a_time();
    svcgen_tests::e2e::build_binaries();
    let repo = svcgen_tests::repo();
    let mut process = Command::new(svcgen_tests::e2e::svcgen_binary())
        .args(["up", "shop", "--fresh"])
        .env("CARGO_TARGET_DIR", svcgen_tests::e2e::target_dir())
        .current_dir(&repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("svcgen runs");
    let stdout = BufReader::new(process.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut dashboard = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("svcgen up reports readiness");
        if let Some(at) = line.find("Dashboard http://127.0.0.1:") {
            let url = line[at + "Dashboard ".len()..].split_whitespace().next();
            dashboard = url.map(str::to_owned);
        }
        if line.contains("Running shop") {
            break;
        }
    }
    let url = dashboard.expect("the dashboard's address is printed");
    // Kept draining, so `up` never waits on its stdout.
    std::thread::spawn(move || while rx.recv().is_ok() {});

    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(the_dashboard_refuses_strangers(&url));
    let screenshots = std::env::var("SVCGEN_SCREENSHOTS").ok();
    let seen = svcgen_tests::e2e::run_in_browser(
        "dashboard.mjs",
        &serde_json::json!({ "url": url, "screenshots": screenshots }),
    );
    svcgen_tests::e2e::terminate_up(&mut process);

    let services: Vec<&str> = seen["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        services,
        ["users", "inventory", "orders", "notification"],
        "{seen}"
    );
    assert!(
        seen["graph"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["healthy"] == true),
        "{seen}"
    );
    assert_eq!(seen["graph"].as_array().unwrap().len(), 4, "{seen}");
    assert_eq!(
        seen["created"],
        serde_json::json!({"user": 201, "item": 201, "order": 201}),
        "{seen}"
    );
    assert_eq!(seen["order"]["total"], 900, "{seen}");
    assert!(seen["order"]["requestId"].is_string(), "{seen}");

    // The order's trace: found by its request id, across the services it touched.
    let trace = seen["trace"].as_array().unwrap();
    assert_eq!(trace.len(), 1, "one trace for the request id: {seen}");
    let columns = trace[0].as_array().unwrap();
    assert_eq!(columns[0], "POST /orders", "{seen}");
    assert_eq!(columns[3], "201", "{seen}");
    let services = columns[6].as_str().unwrap();
    for s in ["orders", "inventory", "notification", "users"] {
        assert!(services.contains(s), "{s} in {services}");
    }
    // Its waterfall: the request to orders first, its calls under it, inventory's server span
    // under a call, and the event handled in notification.
    let spans = seen["waterfall"].as_array().unwrap();
    let first = &spans[0];
    assert_eq!(
        (
            first["kind"].as_str(),
            first["service"].as_str(),
            first["depth"].as_u64()
        ),
        (Some("server"), Some("orders"), Some(0)),
        "{seen}"
    );
    let has = |kind: &str, service: &str| {
        spans
            .iter()
            .any(|s| s["kind"] == kind && s["service"] == service && s["depth"].as_u64() > Some(0))
    };
    assert!(has("client", "orders"), "{seen}");
    assert!(has("server", "inventory"), "{seen}");
    assert!(has("consumer", "notification"), "{seen}");
    // The request's log lines, from more than one service.
    let logs = seen["logs"].as_array().unwrap();
    assert!(logs.iter().any(|s| s == "orders"), "{seen}");

    // Restarted from the page: inventory has a new pid and answers; the others kept theirs.
    let (before, after) = (&seen["restart"]["before"], &seen["restart"]["after"]);
    assert_ne!(before["inventory"], after["inventory"], "{seen}");
    for s in ["users", "orders", "notification"] {
        assert_eq!(before[s], after[s], "{s} kept running: {seen}");
    }
    assert_eq!(
        seen["after_restart"],
        serde_json::json!({"status": 200, "stock": 3, "order": 201}),
        "{seen}"
    );
}

/// What a page of another site, or another name for the machine, gets from the dashboard: its
/// address under another `Host` is refused (421, no DNS rebinding), and no action is taken
/// without the dashboard's own `Origin` and the per-run token of its pages (403).
async fn the_dashboard_refuses_strangers(url: &str) {
    let client = reqwest::Client::new();
    let page = client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"svcgen-dashboard\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries its token")
        .to_owned();
    let rebound = client
        .get(url)
        .header("host", "attacker.example:9400")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    let restart = format!("{url}/actions/restart/users");
    for (origin, token) in [
        (Some(url), None),
        (Some("http://attacker.example"), Some(token.as_str())),
        (None, Some(token.as_str())),
        (Some(url), Some("not-the-token")),
    ] {
        let mut request = client.post(&restart);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(token) = token {
            request = request.header("x-svcgen-dashboard", token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 403, "origin {origin:?}, token {token:?}");
    }
    // A call through the dashboard goes to the service's own paths only.
    let call = client
        .post(format!("{url}/actions/call/users"))
        .header("origin", url)
        .header("x-svcgen-dashboard", &token)
        .header("content-type", "application/json")
        .body(serde_json::json!({"method": "GET", "path": "//attacker.example/"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), 400);
}
