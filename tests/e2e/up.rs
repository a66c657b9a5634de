//! `svcgen up shop`, end to end: started by the test, every service ready, a flow through the
//! printed URLs, and SIGTERM stopping every child.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn up_runs_the_shop_and_stops_every_child() {
    svcgen_tests::e2e::build_binaries();
    let repo = svcgen_tests::repo();
    let target = svcgen_tests::e2e::target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "svcgen",
            "--bin",
            "svcgen",
            "--target-dir",
        ])
        .arg(&target)
        .current_dir(&repo)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "cargo build -p svcgen: {built}");
    let mut up = Command::new(target.join("debug/svcgen"))
        .args(["up", "shop", "--no-build"])
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
        ["users", "inventory", "notification", "orders"],
        "dependencies first"
    );
    let url = |name: &str| rows.iter().find(|r| r.0 == name).unwrap().1.clone();

    use shop_orders::runtime::client::Policy;
    use shop_orders::types::*;
    let users = shop_users::client::Client::new(&url("users"), Policy::default()).unwrap();
    let inventory =
        shop_inventory::client::Client::new(&url("inventory"), Policy::default()).unwrap();
    let orders = shop_orders::client::Client::new(&url("orders"), Policy::default()).unwrap();
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
    assert_eq!(users.get_user(&user.id).await.unwrap().id, user.id);

    // SIGTERM to `svcgen up`: it stops every child and exits cleanly.
    Command::new("kill")
        .args(["-TERM", &up.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = up.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "svcgen up did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit}");
    for (name, _, pid) in &rows {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "{name} (pid {pid}) is still running"
        );
    }
}
