//! The store layer against real databases: an SQLite file and the PostgreSQL server named by
//! `SVCGEN_TEST_POSTGRES` (default: the local one, trust auth), each test on a fresh database.

use svcgen_runtime::store::{Error, Json, Migrations, On, Sql, TestDb, Unique};
use uuid::Uuid;

const MIGRATIONS: Migrations = Migrations {
    sqlite: &[(
        1,
        "create people",
        "CREATE TABLE people (id BLOB NOT NULL PRIMARY KEY, email TEXT NOT NULL, \
         born TEXT NOT NULL, tags TEXT NOT NULL, age INTEGER, \
         CONSTRAINT people_email_key UNIQUE (email));",
    )],
    postgres: &[(
        1,
        "create people",
        "CREATE TABLE people (id uuid NOT NULL PRIMARY KEY, email text NOT NULL, \
         born timestamptz NOT NULL, tags jsonb NOT NULL, age integer, \
         CONSTRAINT people_email_key UNIQUE (email));",
    )],
};

const INSERT: Sql = Sql {
    sqlite: "INSERT INTO people (id, email, born, tags, age) VALUES (?, ?, ?, ?, ?)",
    postgres: "INSERT INTO people (id, email, born, tags, age) VALUES ($1, $2, $3, $4, $5)",
};
const GET: Sql = Sql {
    sqlite: "SELECT id, email, born, tags, age FROM people WHERE id = ?",
    postgres: "SELECT id, email, born, tags, age FROM people WHERE id = $1",
};
const EMAIL: Unique = Unique {
    postgres: "people_email_key",
    sqlite: "people.email",
};

fn postgres_admin() -> String {
    std::env::var("SVCGEN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

async fn databases(test: &str) -> Vec<TestDb> {
    let sqlite = TestDb::sqlite(test).await.expect("sqlite");
    let name = format!("svcgen_rt_{test}_{}", Uuid::new_v4().simple());
    let postgres = TestDb::postgres(&postgres_admin(), &name)
        .await
        .expect("postgres");
    vec![sqlite, postgres]
}

#[tokio::test]
async fn values_of_every_kind_round_trip_and_unique_violations_are_recognised() {
    for test in databases("round_trip").await {
        let db = test.db();
        db.migrate(&MIGRATIONS).await.unwrap();
        // Applying again changes nothing.
        db.migrate(&MIGRATIONS).await.unwrap();
        let id = Uuid::new_v4();
        let born = chrono::DateTime::parse_from_rfc3339("1990-01-02T03:04:05.123Z")
            .unwrap()
            .to_utc();
        let tags = vec!["a".to_owned(), "b\"c".to_owned()];
        db.query(&INSERT)
            .bind(id)
            .bind("ada@example.com")
            .bind(born)
            .bind(Json(&tags))
            .bind(None::<i32>)
            .execute(&mut On::Db(db))
            .await
            .unwrap();
        let row = db
            .query(&GET)
            .bind(id)
            .fetch_optional(&mut On::Db(db))
            .await
            .unwrap()
            .expect("the row");
        assert_eq!(row.get::<Uuid>(0).unwrap(), id);
        assert_eq!(row.get::<String>(1).unwrap(), "ada@example.com");
        assert_eq!(row.get::<chrono::DateTime<chrono::Utc>>(2).unwrap(), born);
        assert_eq!(row.get::<Json<Vec<String>>>(3).unwrap().0, tags);
        assert_eq!(row.get::<Option<i32>>(4).unwrap(), None);

        let again = db
            .query(&INSERT)
            .bind(Uuid::new_v4())
            .bind("ada@example.com")
            .bind(born)
            .bind(Json(&tags))
            .bind(Some(3))
            .execute(&mut On::Db(db))
            .await
            .unwrap_err();
        assert!(again.violates(&EMAIL), "{:?}: {again:?}", db.dialect());
        test.drop().await;
    }
}

#[tokio::test]
async fn a_transaction_rolled_back_leaves_nothing_and_status_lists_migrations() {
    for test in databases("tx").await {
        let db = test.db();
        let before = db.migration_status(&MIGRATIONS).await.unwrap();
        assert!(before.iter().all(|m| !m.applied));
        db.migrate(&MIGRATIONS).await.unwrap();
        let after = db.migration_status(&MIGRATIONS).await.unwrap();
        assert!(after.iter().all(|m| m.applied && !m.edited), "{after:?}");

        let id = Uuid::new_v4();
        let mut tx = db.begin().await.unwrap();
        let mut on = On::Tx(&mut tx);
        on.query(&INSERT)
            .bind(id)
            .bind("x@example.com")
            .bind(chrono::Utc::now())
            .bind(Json(Vec::<String>::new()))
            .bind(Some(1))
            .execute(&mut on)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let row = db
            .query(&GET)
            .bind(id)
            .fetch_optional(&mut On::Db(db))
            .await
            .unwrap();
        assert!(row.is_none());
        test.drop().await;
    }
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    for test in databases("edited").await {
        let db = test.db();
        db.migrate(&MIGRATIONS).await.unwrap();
        let edited = Migrations {
            sqlite: &[(1, "create people", "CREATE TABLE people (id INTEGER);")],
            postgres: &[(1, "create people", "CREATE TABLE people (id integer);")],
        };
        let err = db.migrate(&edited).await.unwrap_err();
        assert!(matches!(err, Error::Other(_)), "{err:?}");
        let status = db.migration_status(&edited).await.unwrap();
        assert!(status[0].edited);
        test.drop().await;
    }
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_one_clear_line() {
    let settings = svcgen_runtime::store::PoolSettings {
        acquire_timeout: std::time::Duration::from_millis(500),
        ..Default::default()
    };
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = svcgen_runtime::store::Db::connect(
        &format!("postgres://svc:secret@127.0.0.1:{port}/x"),
        &settings,
    )
    .await
    .unwrap_err();
    assert!(
        err.starts_with("DATABASE_URL `postgres://svc:***@127.0.0.1:"),
        "{err}"
    );
    assert!(!err.contains("secret"));
    let err = svcgen_runtime::store::Db::connect("mysql://x", &settings)
        .await
        .unwrap_err();
    assert!(
        err.contains("must start with `sqlite:` or `postgres://`"),
        "{err}"
    );
}

/// On SQLite the transactions of one process take turns in the order they asked for one,
/// rather than racing in SQLite's busy handler (which sleeps in steps of up to 100 ms and picks
/// no order): ten writers asking 10 ms apart, each holding its transaction 30 ms, commit in
/// the order they asked.
#[tokio::test]
async fn sqlite_writers_of_one_process_take_turns_in_order() {
    const CREATE: Sql = Sql {
        sqlite: "CREATE TABLE turns (n INTEGER NOT NULL, at INTEGER PRIMARY KEY AUTOINCREMENT)",
        postgres: "",
    };
    const INSERT: Sql = Sql {
        sqlite: "INSERT INTO turns (n) VALUES (?)",
        postgres: "",
    };
    const ALL: Sql = Sql {
        sqlite: "SELECT n FROM turns ORDER BY at",
        postgres: "",
    };
    let test_db = TestDb::sqlite("turns").await.unwrap();
    let db = test_db.db().clone();
    db.query(&CREATE).execute(&mut On::Db(&db)).await.unwrap();
    let mut writers = Vec::new();
    for n in 0..10i64 {
        let db = db.clone();
        writers.push(tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(10 * n as u64)).await;
            let mut tx = db.begin().await.unwrap();
            tx.query(&INSERT)
                .bind(n)
                .execute(&mut On::Tx(&mut tx))
                .await
                .unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            tx.commit().await.unwrap();
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let order: Vec<i64> = db
        .query(&ALL)
        .fetch_all(&mut On::Db(&db))
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect();
    assert_eq!(order, (0..10).collect::<Vec<_>>());
    test_db.drop().await;
}
