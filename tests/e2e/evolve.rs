//! Schema evolution loses nothing: a service writes records under version 1 of its spec, the
//! spec gains fields and an index, `svcgen generate` writes migration 2, and the rebuilt
//! service started on the same database (SQLite and PostgreSQL) reads every record back. A
//! version that would lose a column is refused until the spec accepts the loss.

use std::path::{Path, PathBuf};
use std::process::Command;
use svcgen_tests::e2e::{Database, System, svcgen_binary, target_dir};
use svcgen_tests::repo;

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/e2e/evolve").join(name)
}

/// `svcgen generate spec --out out`, with the repository's runtime crate by path (so the
/// build shares the examples' compiled dependencies): its exit status and stderr.
fn generate(spec: &Path, out: &Path) -> (bool, String) {
    // The runtime path is relative to the system folder `out/notes`.
    let system = std::path::absolute(out.join("notes")).unwrap();
    let up: String = system.components().skip(1).map(|_| "../").collect();
    let runtime = format!(
        "{up}{}",
        repo()
            .join("runtime")
            .display()
            .to_string()
            .trim_start_matches('/')
    );
    let output = Command::new(svcgen_binary())
        .arg("generate")
        .arg(spec)
        .arg("--out")
        .arg(out)
        .args(["--runtime-path", &runtime])
        .output()
        .expect("svcgen runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn build(system: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--bins", "--manifest-path"])
        .arg(system.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build of {}", system.display());
}

async fn json(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn records_written_under_version_1_are_readable_under_version_2() {
    let work = tempfile::tempdir().unwrap();
    let spec = work.path().join("notes.toml");
    let out = work.path().join("out");
    let system = out.join("notes");

    // Version 1: generate, implement, build; the lock file of the shop keeps the
    // dependency versions (and so the compiled dependencies) the examples use.
    std::fs::copy(fixture("v1.toml"), &spec).unwrap();
    let (ok, stderr) = generate(&spec, &out);
    assert!(ok, "{stderr}");
    std::fs::copy(
        repo().join("generated/shop/Cargo.lock"),
        system.join("Cargo.lock"),
    )
    .unwrap();
    std::fs::copy(
        fixture("handlers_v1.rs"),
        system.join("notes/src/handlers.rs"),
    )
    .unwrap();
    build(&system);

    let services = [("notes", "notes-notes", "NOTES_URL")];
    let mut systems = [
        System::start_on(Database::Sqlite, &services, &[], None),
        System::start_on(Database::Postgres, &services, &[], None),
    ];
    let client = reqwest::Client::new();
    let mut written: Vec<Vec<serde_json::Value>> = Vec::new();
    for s in &systems {
        let mut notes = Vec::new();
        for n in 0..5 {
            let (status, note) = json(
                client
                    .post(format!("{}/notes", s.url("notes")))
                    .header("content-type", "application/json")
                    .body(serde_json::json!({ "text": format!("note {n}") }).to_string())
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(status, 201, "{note}");
            notes.push(note);
        }
        written.push(notes);
    }
    for s in &mut systems {
        s.service("notes").stop();
    }

    // Version 2: additive changes become migration 2; the rebuilt service reads every note.
    std::fs::copy(fixture("v2.toml"), &spec).unwrap();
    let (ok, stderr) = generate(&spec, &out);
    assert!(ok, "{stderr}");
    for dialect in ["sqlite", "postgres"] {
        let migrations: Vec<String> =
            std::fs::read_dir(system.join("notes/migrations").join(dialect))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        assert_eq!(migrations.len(), 2, "{dialect}: {migrations:?}");
        assert!(
            migrations.contains(&"0002_alter_notes.sql".to_owned()),
            "{migrations:?}"
        );
    }
    std::fs::copy(
        fixture("handlers_v2.rs"),
        system.join("notes/src/handlers.rs"),
    )
    .unwrap();
    build(&system);
    // The dry run: what the SQLite database has applied and what would run, changing nothing.
    for _ in 0..2 {
        let status = Command::new(target_dir().join("debug/notes-notes"))
            .arg("migrations")
            .env("SVCGEN_DATA_DIR", systems[0].data_dir())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&status.stdout);
        assert!(status.status.success(), "{text}");
        let lines: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines,
            [
                vec!["1", "create", "notes", "applied"],
                vec!["2", "alter", "notes", "would", "run"]
            ],
            "{text}"
        );
    }
    for (s, notes) in systems.iter_mut().zip(&written) {
        s.service("notes").start();
        for old in notes {
            let (status, read) = json(
                client
                    .get(format!(
                        "{}/notes/{}",
                        s.url("notes"),
                        old["id"].as_str().unwrap()
                    ))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(status, 200, "{read}");
            let mut expected = old.clone();
            expected["tags"] = serde_json::json!([]);
            expected["rating"] = serde_json::json!(3);
            assert_eq!(read, expected);
        }
    }
    drop(systems);

    // Version 3 drops a field without saying so: refused, naming what would be lost, and
    // nothing is written.
    std::fs::copy(fixture("v3.toml"), &spec).unwrap();
    let before = std::fs::read_dir(system.join("notes/migrations/sqlite"))
        .unwrap()
        .count();
    let (ok, stderr) = generate(&spec, &out);
    assert!(!ok);
    assert!(
        stderr.contains("`written_at`") && stderr.contains("would be lost"),
        "{stderr}"
    );
    assert!(
        stderr.contains("evolve.drop"),
        "the note says how to accept it: {stderr}"
    );
    assert_eq!(
        std::fs::read_dir(system.join("notes/migrations/sqlite"))
            .unwrap()
            .count(),
        before
    );
    // Accepted explicitly: migration 3 drops the column.
    let accepted = std::fs::read_to_string(&spec).unwrap().replace(
        "key = \"id\"\n",
        "key = \"id\"\nevolve.drop = [\"written_at\"]\n",
    );
    std::fs::write(&spec, accepted).unwrap();
    let (ok, stderr) = generate(&spec, &out);
    assert!(ok, "{stderr}");
    let third =
        std::fs::read_to_string(system.join("notes/migrations/postgres/0003_alter_notes.sql"))
            .unwrap();
    assert!(
        third.contains("ALTER TABLE \"notes\" DROP COLUMN \"written_at\";"),
        "{third}"
    );
}
