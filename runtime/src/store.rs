//! Each service's own database: SQLite (the embedded default) or PostgreSQL, chosen at run
//! time by `DATABASE_URL`.
//!
//! sqlx's `Any` driver has no uuid or chrono types and no common placeholder syntax, so a
//! [`Db`] holds one of the two concrete pools and every statement comes as an [`Sql`] pair,
//! one text per dialect (the generated repositories carry both, written from the spec). A
//! [`Query`] binds values that both drivers encode, runs on the pool or inside a [`Tx`], and
//! gives [`Row`]s that decode into types both drivers know. For queries of your own, take the
//! pool ([`Db::pool`]) and use sqlx directly, or write an [`Sql`] pair and use [`Db::query`].
//!
//! Errors are [`Error`]s: a unique-constraint violation is recognised (so a generated endpoint
//! can answer with the typed error the spec names for it), a database that cannot be reached
//! is `503 Service Unavailable`, anything else a logged `500`.

use crate::problem::Problem;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow, Postgres};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Arguments, Decode, Encode, Row as _, Sqlite, Type};
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use sqlx;
pub use sqlx::types::Json;

/// The current time as a store keeps it: to the microsecond, PostgreSQL's precision (SQLite
/// is given the same, so both keep what a handler answers with).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    micros(&chrono::Utc::now())
}

/// `t` to the microsecond, as stored: the generated repositories bind every date-time so.
pub fn micros(t: &chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

/// An integer read from column `index`, where it is stored wider than its field's type (a
/// `u8` as PostgreSQL's `smallint`, a `u32` as `bigint`: PostgreSQL has no unsigned types). A
/// value the field cannot hold (a row written by hand) is an error, never clamped.
pub fn narrow<T: TryFrom<W>, W: std::fmt::Display + Copy>(
    value: W,
    index: usize,
) -> Result<T, Error> {
    T::try_from(value).map_err(|_| {
        Error::Other(format!(
            "column {index}: {value} is out of the range of `{}`",
            std::any::type_name::<T>()
        ))
    })
}

/// The variable naming the database: `sqlite:<path>` or `postgres://…`.
pub const DATABASE_URL: &str = "DATABASE_URL";
/// The variable naming a file that holds the database URL (a Compose or Kubernetes secret).
pub const DATABASE_URL_FILE: &str = "DATABASE_URL_FILE";
/// The folder of the SQLite files used when no database is named (default `data`).
pub const DATA_DIR: &str = "SVCGEN_DATA_DIR";

/// Which SQL a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection pool of one of the two supported databases.
#[derive(Debug, Clone)]
pub enum Pool {
    /// An SQLite file.
    Sqlite(SqlitePool),
    /// A PostgreSQL database.
    Postgres(PgPool),
}

/// A service's database: a pool, and where it points (without credentials) for logs.
#[derive(Debug, Clone)]
pub struct Db {
    pool: Pool,
    location: String,
    /// SQLite: the turn to write, one transaction of the process at a time, in the order they
    /// asked (SQLite takes one writer at a time; waiting here, not in its busy handler, which
    /// sleeps in steps of up to 100 ms, keeps a queue of writers moving).
    writer: Arc<tokio::sync::Semaphore>,
    /// How long a transaction waits for its turn.
    busy_timeout: Duration,
}

/// An SQLite transaction's turn to write, given back when the transaction ends.
#[derive(Debug)]
pub struct WriteTurn(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// One statement in both dialects.
#[derive(Debug, Clone, Copy)]
pub struct Sql {
    /// The statement for SQLite (`?` placeholders).
    pub sqlite: &'static str,
    /// The statement for PostgreSQL (`$1` placeholders).
    pub postgres: &'static str,
}

/// A unique constraint as each database reports its violation.
#[derive(Debug, Clone, Copy)]
pub struct Unique {
    /// The constraint's name in PostgreSQL.
    pub postgres: &'static str,
    /// `table.column` as SQLite names it in its message.
    pub sqlite: &'static str,
}

/// One migration: its version, its description and its SQL.
pub type Migration = (i64, &'static str, &'static str);

/// A service's migrations, in both dialects, in order.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// For SQLite.
    pub sqlite: &'static [Migration],
    /// For PostgreSQL.
    pub postgres: &'static [Migration],
}

/// Pool sizes and timeouts, from the environment.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections open at once (`DATABASE_MAX_CONNECTIONS`, default 10).
    pub max_connections: u32,
    /// Longest wait for a connection, connecting included (`DATABASE_ACQUIRE_TIMEOUT_MS`,
    /// default 3000); past it the request is answered 503.
    pub acquire_timeout: Duration,
    /// Idle connections are closed after this (`DATABASE_IDLE_TIMEOUT_MS`, default 600000).
    pub idle_timeout: Duration,
    /// How long SQLite waits for a lock held by another connection (`DATABASE_BUSY_TIMEOUT_MS`,
    /// default 5000).
    pub busy_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(600),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl PoolSettings {
    /// The settings, from the environment; a variable that is set must be a positive number.
    pub fn from_env() -> Result<Self, String> {
        let d = PoolSettings::default();
        let ms = |name: &str, default: Duration| -> Result<Duration, String> {
            Ok(Duration::from_millis(
                positive(name)?.unwrap_or(default.as_millis() as u64),
            ))
        };
        Ok(PoolSettings {
            max_connections: positive("DATABASE_MAX_CONNECTIONS")?
                .map_or(Ok(d.max_connections), u32::try_from)
                .map_err(|_| "DATABASE_MAX_CONNECTIONS is too large".to_owned())?,
            acquire_timeout: ms("DATABASE_ACQUIRE_TIMEOUT_MS", d.acquire_timeout)?,
            idle_timeout: ms("DATABASE_IDLE_TIMEOUT_MS", d.idle_timeout)?,
            busy_timeout: ms("DATABASE_BUSY_TIMEOUT_MS", d.busy_timeout)?,
        })
    }
}

fn positive(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{name} must be a positive whole number, got `{v}`")),
        },
        Err(_) => Ok(None),
    }
}

/// The database URL from the environment: `DATABASE_URL`, else the file named by
/// `DATABASE_URL_FILE`, else an SQLite file `<name>.db` in `SVCGEN_DATA_DIR` (default `data`,
/// relative to the working directory), created when missing.
pub fn url_from_env(name: &str) -> Result<String, String> {
    if let Ok(url) = std::env::var(DATABASE_URL) {
        return Ok(url);
    }
    if let Ok(file) = std::env::var(DATABASE_URL_FILE) {
        return match std::fs::read_to_string(&file) {
            Ok(text) => Ok(text.trim().to_owned()),
            Err(e) => Err(format!("{DATABASE_URL_FILE}: cannot read `{file}`: {e}")),
        };
    }
    let dir = PathBuf::from(std::env::var(DATA_DIR).unwrap_or_else(|_| "data".to_owned()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("{DATA_DIR}: cannot create `{}`: {e}", dir.display()))?;
    Ok(sqlite_url(&dir.join(format!("{name}.db"))))
}

/// The `sqlite:` URL of a file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

impl Db {
    /// Connects to the database the environment names (see [`url_from_env`]) with the pool
    /// settings it gives. Every failure is one line naming the variable to fix.
    pub async fn from_env(name: &str) -> Result<Db, String> {
        let settings = PoolSettings::from_env()?;
        let url = url_from_env(name)?;
        Db::connect(&url, &settings).await
    }

    /// Connects to `url` (`sqlite:…` or `postgres://…`) and checks that it answers.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Db, String> {
        let location = redacted(url);
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| {
                    format!("{DATABASE_URL} `{location}` is not a usable SQLite URL: {e}")
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(settings.busy_timeout);
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .idle_timeout(settings.idle_timeout)
                    .connect_lazy_with(options),
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| {
                format!("{DATABASE_URL} `{location}` is not a usable PostgreSQL URL: {e}")
            })?;
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .idle_timeout(settings.idle_timeout)
                    .connect_lazy_with(options),
            )
        } else {
            return Err(format!(
                "{DATABASE_URL} must start with `sqlite:` or `postgres://`, got `{location}`"
            ));
        };
        let db = Db {
            pool,
            location,
            writer: Arc::new(tokio::sync::Semaphore::new(1)),
            busy_timeout: settings.busy_timeout,
        };
        db.ping()
            .await
            .map_err(|e| format!("{DATABASE_URL} `{}`: cannot connect: {e}", db.location))?;
        Ok(db)
    }

    /// The pool, for queries of your own.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Which SQL the database speaks.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Where the database is, credentials left out: for logs and the `svcgen up` table.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        self.query(&Sql {
            sqlite: "SELECT 1",
            postgres: "SELECT 1",
        })
        .execute(&mut On::Db(self))
        .await
        .map(drop)
    }

    /// A statement on this database, to bind values to and run.
    pub fn query(&self, sql: &Sql) -> Query {
        Query::new(self.dialect(), sql)
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so two transactions that read and then write never both read the old value; on
    /// PostgreSQL, read rows you are about to change with a `… FOR UPDATE` query (the
    /// generated `get_for_update`).
    ///
    /// On SQLite, the transactions of the process also take turns before they start, first
    /// come first served (waiting at most the busy timeout).
    pub async fn begin(&self) -> Result<Tx, Error> {
        let span = transaction_span(self.dialect());
        let conn = match &self.pool {
            Pool::Sqlite(p) => {
                let turn = self.turn().await?;
                TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Pool::Postgres(p) => TxConn::Postgres(p.begin().await?),
        };
        Ok(Tx { conn, _span: span })
    }

    /// SQLite: waits (at most the busy timeout) for the process's turn to write.
    async fn turn(&self) -> Result<WriteTurn, Error> {
        let turn = tokio::time::timeout(self.busy_timeout, self.writer.clone().acquire_owned())
            .await
            .map_err(|_| {
                Error::Unavailable(format!(
                    "no turn to write within {} ms: the database is busy",
                    self.busy_timeout.as_millis()
                ))
            })?
            .map_err(|_| Error::Unavailable("the database is closed".to_owned()))?;
        Ok(WriteTurn(turn))
    }

    /// Applies the migrations not applied yet, in order, each in a transaction. On
    /// PostgreSQL an advisory lock makes replicas that start together take turns; a
    /// migration that was applied and then edited is refused (checksums).
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), Error> {
        let migrator = migrator(self.dialect(), migrations);
        match &self.pool {
            Pool::Sqlite(p) => migrator.run(p).await,
            Pool::Postgres(p) => migrator.run(p).await,
        }
        .map_err(|e| Error::from(sqlx::Error::from(e)))
    }

    /// Every migration with whether this database has applied it: what `migrate` would run is
    /// the ones that are not.
    pub async fn migration_status(
        &self,
        migrations: &Migrations,
    ) -> Result<Vec<MigrationStatus>, Error> {
        use sqlx::migrate::Migrate;
        let applied = match &self.pool {
            Pool::Sqlite(p) => {
                let mut conn = p.acquire().await?;
                conn.ensure_migrations_table("_sqlx_migrations")
                    .await
                    .map_err(sqlx::Error::from)?;
                conn.list_applied_migrations("_sqlx_migrations")
                    .await
                    .map_err(sqlx::Error::from)?
            }
            Pool::Postgres(p) => {
                let mut conn = p.acquire().await?;
                conn.ensure_migrations_table("_sqlx_migrations")
                    .await
                    .map_err(sqlx::Error::from)?;
                conn.list_applied_migrations("_sqlx_migrations")
                    .await
                    .map_err(sqlx::Error::from)?
            }
        };
        let wanted = match self.dialect() {
            Dialect::Sqlite => migrations.sqlite,
            Dialect::Postgres => migrations.postgres,
        };
        Ok(wanted
            .iter()
            .map(|&(version, description, sql)| {
                let found = applied.iter().find(|a| a.version == version);
                MigrationStatus {
                    version,
                    description,
                    applied: found.is_some(),
                    edited: found.is_some_and(|a| {
                        *a.checksum
                            != *sqlx::migrate::Migration::new(
                                version,
                                Cow::Borrowed(description),
                                sqlx::migrate::MigrationType::Simple,
                                sql.into_sql_str(),
                                false,
                            )
                            .checksum
                    }),
                }
            })
            .collect())
    }

    /// Closes every connection (tests do, before dropping a database).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

use sqlx::SqlSafeStr as _;

fn migrator(dialect: Dialect, migrations: &Migrations) -> sqlx::migrate::Migrator {
    let list = match dialect {
        Dialect::Sqlite => migrations.sqlite,
        Dialect::Postgres => migrations.postgres,
    };
    sqlx::migrate::Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                sqlx::migrate::Migration::new(
                    version,
                    Cow::Borrowed(description),
                    sqlx::migrate::MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// A migration and whether a database has applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Its version (the number its file name starts with).
    pub version: i64,
    /// Its description.
    pub description: &'static str,
    /// Whether the database has applied it.
    pub applied: bool,
    /// Applied, but its text has changed since (the database refuses to start).
    pub edited: bool,
}

/// `url` with its password replaced by `***`.
pub(crate) fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// An open transaction: commit it, or it is rolled back when dropped. While telemetry is
/// exported, it is a span from its start to its end.
#[derive(Debug)]
pub struct Tx {
    conn: TxConn,
    /// Ends when the transaction does (`Span::none()` unless exported).
    _span: tracing::Span,
}

#[derive(Debug)]
enum TxConn {
    /// On SQLite, with the process's turn to write.
    Sqlite(sqlx::Transaction<'static, Sqlite>, WriteTurn),
    /// On PostgreSQL.
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// The span of a transaction on `dialect`, while telemetry is exported.
fn transaction_span(dialect: Dialect) -> tracing::Span {
    // Only in work that is traced (a request, an event): not the relay's own polling.
    #[cfg(feature = "server")]
    if crate::telemetry::enabled() && !tracing::Span::current().is_disabled() {
        return crate::telemetry::transaction_span(match dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
        });
    }
    let _ = dialect;
    tracing::Span::none()
}

impl Tx {
    /// A statement in this transaction.
    pub fn query(&self, sql: &Sql) -> Query {
        Query::new(self.dialect(), sql)
    }

    /// Which SQL the database speaks.
    pub fn dialect(&self) -> Dialect {
        match self.conn {
            TxConn::Sqlite(..) => Dialect::Sqlite,
            TxConn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Makes every change of the transaction durable.
    pub async fn commit(self) -> Result<(), Error> {
        match self.conn {
            TxConn::Sqlite(t, turn) => {
                t.commit().await?;
                drop(turn);
            }
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Undoes every change of the transaction.
    pub async fn rollback(self) -> Result<(), Error> {
        match self.conn {
            TxConn::Sqlite(t, turn) => {
                t.rollback().await?;
                drop(turn);
            }
            TxConn::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// Where a statement runs: on the pool (a connection of its own) or inside a transaction.
#[derive(Debug)]
pub enum On<'a> {
    /// On the pool.
    Db(&'a Db),
    /// Inside a transaction.
    Tx(&'a mut Tx),
}

impl On<'_> {
    /// A statement for this database.
    pub fn query(&self, sql: &Sql) -> Query {
        match self {
            On::Db(db) => db.query(sql),
            On::Tx(tx) => tx.query(sql),
        }
    }

    /// The same place, for one more statement.
    pub fn reborrow(&mut self) -> On<'_> {
        match self {
            On::Db(db) => On::Db(db),
            On::Tx(tx) => On::Tx(tx),
        }
    }
}

/// A type both drivers encode and decode (numbers, text, booleans, uuids, times, [`Json`]).
pub trait Value:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Value for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

#[derive(Debug)]
enum Args {
    Sqlite(SqliteArguments),
    Postgres(PgArguments),
}

/// A statement with its bound values, ready to run.
#[derive(Debug)]
#[must_use = "a query does nothing until it is run"]
pub struct Query {
    sql: &'static str,
    args: Args,
    error: Option<String>,
}

/// Runs `query` with sqlx's `method` on the pool or transaction of `on`, in its dialect, and
/// makes the result with `finish(result, Row::Sqlite | Row::Postgres)` (a closure pasted into
/// each arm, so each is typed by its driver).
macro_rules! run {
    ($query:ident, $on:ident, $method:ident, |$done:ident, $row:ident| $finish:expr) => {{
        let mut query = $query;
        query.check()?;
        let sql = query.sql;
        match (query.args, $on) {
            (Args::Sqlite(a), On::Db(db)) => {
                let Pool::Sqlite(p) = &db.pool else {
                    return Err(Error::Other(
                        "a statement built for one database ran on the other".to_owned(),
                    ));
                };
                // A statement that writes waits for the process's turn to write, like a
                // transaction.
                let _turn = if reads_only(sql) {
                    None
                } else {
                    Some(db.turn().await?)
                };
                let ($done, $row) = (sqlx::query_with(sql, a).$method(p).await?, Row::Sqlite);
                Ok($finish)
            }
            (
                Args::Postgres(a),
                On::Db(Db {
                    pool: Pool::Postgres(p),
                    ..
                }),
            ) => {
                let ($done, $row) = (sqlx::query_with(sql, a).$method(p).await?, Row::Postgres);
                Ok($finish)
            }
            (
                Args::Sqlite(a),
                On::Tx(Tx {
                    conn: TxConn::Sqlite(t, _),
                    ..
                }),
            ) => {
                let ($done, $row) = (
                    sqlx::query_with(sql, a).$method(&mut **t).await?,
                    Row::Sqlite,
                );
                Ok($finish)
            }
            (
                Args::Postgres(a),
                On::Tx(Tx {
                    conn: TxConn::Postgres(t),
                    ..
                }),
            ) => {
                let ($done, $row) = (
                    sqlx::query_with(sql, a).$method(&mut **t).await?,
                    Row::Postgres,
                );
                Ok($finish)
            }
            _ => Err(Error::Other(
                "a statement built for one database ran on the other".to_owned(),
            )),
        }
    }};
}

/// Whether `sql` only reads (a `SELECT`), so needs no turn to write.
fn reads_only(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("select"))
}

impl Query {
    fn new(dialect: Dialect, sql: &Sql) -> Query {
        match dialect {
            Dialect::Sqlite => Query {
                sql: sql.sqlite,
                args: Args::Sqlite(SqliteArguments::default()),
                error: None,
            },
            Dialect::Postgres => Query {
                sql: sql.postgres,
                args: Args::Postgres(PgArguments::default()),
                error: None,
            },
        }
    }

    /// Binds the next placeholder to `value`.
    pub fn bind<'t, T>(mut self, value: T) -> Self
    where
        T: Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>,
    {
        let added = match &mut self.args {
            Args::Sqlite(a) => a.add(value),
            Args::Postgres(a) => a.add(value),
        };
        if let (Err(e), None) = (added, &self.error) {
            self.error = Some(format!("encoding a value: {e}"));
        }
        self
    }

    fn check(&mut self) -> Result<(), Error> {
        match self.error.take() {
            Some(e) => Err(Error::Other(e)),
            None => Ok(()),
        }
    }

    /// Runs the statement; the number of rows it changed.
    pub async fn execute(self, on: &mut On<'_>) -> Result<u64, Error> {
        run!(self, on, execute, |done, _row| done.rows_affected())
    }

    /// Runs the statement; its first row, if any.
    pub async fn fetch_optional(self, on: &mut On<'_>) -> Result<Option<Row>, Error> {
        run!(self, on, fetch_optional, |found, row| found.map(row))
    }

    /// Runs the statement; every row.
    pub async fn fetch_all(self, on: &mut On<'_>) -> Result<Vec<Row>, Error> {
        run!(self, on, fetch_all, |found, row| found
            .into_iter()
            .map(row)
            .collect())
    }
}

/// A row of a result.
#[derive(Debug)]
pub enum Row {
    /// From SQLite.
    Sqlite(SqliteRow),
    /// From PostgreSQL.
    Postgres(PgRow),
}

impl Row {
    /// The value of column `index` (from 0).
    pub fn get<T: Value>(&self, index: usize) -> Result<T, Error> {
        Ok(match self {
            Row::Sqlite(r) => r.try_get(index)?,
            Row::Postgres(r) => r.try_get(index)?,
        })
    }

    /// Column `index` holding the text of one of a string enum's values.
    pub fn get_enum<E: Copy + 'static>(
        &self,
        index: usize,
        all: &[E],
        as_str: fn(E) -> &'static str,
    ) -> Result<E, Error> {
        let text: String = self.get(index)?;
        all.iter()
            .copied()
            .find(|v| as_str(*v) == text)
            .ok_or_else(|| Error::Other(format!("column {index}: unknown value `{text}`")))
    }
}

impl Row {
    /// Column `index` holding the text of one of a string enum's values, or NULL.
    pub fn get_enum_opt<E: Copy + 'static>(
        &self,
        index: usize,
        all: &[E],
        as_str: fn(E) -> &'static str,
    ) -> Result<Option<E>, Error> {
        match self.get::<Option<String>>(index)? {
            None => Ok(None),
            Some(text) => all
                .iter()
                .copied()
                .find(|v| as_str(*v) == text)
                .map(Some)
                .ok_or_else(|| Error::Other(format!("column {index}: unknown value `{text}`"))),
        }
    }
}

/// What went wrong with the database.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A unique constraint refused the change (409 unless the endpoint names a typed error).
    Unique(String),
    /// The database cannot be reached or is overloaded (503).
    Unavailable(String),
    /// Anything else: a bug in a query, data that does not decode (500).
    Other(String),
}

impl Error {
    /// Whether this is a violation of `constraint`.
    pub fn violates(&self, constraint: &Unique) -> bool {
        let Error::Unique(message) = self else {
            return false;
        };
        message == constraint.postgres
            || message
                .strip_prefix("UNIQUE constraint failed: ")
                .is_some_and(|columns| columns.split(", ").any(|c| c == constraint.sqlite))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unique(what) => write!(f, "unique constraint violated: {what}"),
            Error::Unavailable(why) => write!(f, "database unavailable: {why}"),
            Error::Other(why) => write!(f, "database error: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match e {
            sqlx::Error::Database(db) => {
                if db.kind() == ErrorKind::UniqueViolation {
                    // PostgreSQL names the constraint; SQLite only says which columns.
                    Error::Unique(db.constraint().unwrap_or(db.message()).to_owned())
                } else if db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300")
                    || db.message().contains("database is locked")
                {
                    Error::Unavailable(db.message().to_owned())
                } else {
                    Error::Other(db.to_string())
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Error::Unavailable(e.to_string()),
            other => Error::Other(other.to_string()),
        }
    }
}

impl From<Error> for Problem {
    /// 409 for a unique violation no typed error names, 503 when the database cannot be
    /// reached, otherwise 500 (the cause is logged, never sent).
    fn from(e: Error) -> Self {
        match e {
            Error::Unique(_) => Problem::new(409, "Conflict")
                .with_detail("a record with the same unique value already exists"),
            Error::Unavailable(why) => {
                tracing::warn!("database unavailable: {why}");
                Problem::new(503, "Database unavailable")
                    .with_detail("the service's database cannot be reached; try again later")
            }
            Error::Other(why) => {
                tracing::error!("database error: {why}");
                Problem::internal("database error")
            }
        }
    }
}

/// A column a runtime table gained after it first shipped: added to a table an earlier
/// version created.
#[derive(Debug, Clone, Copy)]
pub struct AddedColumn {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// The statement adding it (on PostgreSQL with `IF NOT EXISTS`; SQLite has no such
    /// clause, so it runs there only when the column is missing).
    pub add: Sql,
}

/// Runs `statements` (the `CREATE … IF NOT EXISTS` of the runtime's own tables: idempotency
/// keys, event outbox and inbox), then adds the `added` columns a table made by an earlier
/// version lacks, in one transaction that replicas starting together take in turns:
/// PostgreSQL reports the loser of two concurrent creations of one table as an error (a
/// unique violation of its catalog, or "type … already exists"), so the transaction first
/// takes an advisory lock; on SQLite the transaction holds the write lock from its start.
pub async fn create_runtime_tables(
    db: &Db,
    statements: &[Sql],
    added: &[AddedColumn],
) -> Result<(), Error> {
    const LOCK: Sql = Sql {
        sqlite: "SELECT 1",
        postgres: "SELECT pg_advisory_xact_lock(7330150474202651)",
    };
    const HAS_COLUMN: Sql = Sql {
        sqlite: "SELECT 1 FROM pragma_table_info(?) WHERE \"name\" = ?",
        postgres: "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
    };
    let mut tx = db.begin().await?;
    tx.query(&LOCK).execute(&mut On::Tx(&mut tx)).await?;
    for statement in statements {
        tx.query(statement).execute(&mut On::Tx(&mut tx)).await?;
    }
    for column in added {
        let present = tx
            .query(&HAS_COLUMN)
            .bind(column.table)
            .bind(column.column)
            .fetch_optional(&mut On::Tx(&mut tx))
            .await?;
        if present.is_none() {
            tracing::info!(
                table = column.table,
                column = column.column,
                "adding a column to a table an earlier version made"
            );
            tx.query(&column.add).execute(&mut On::Tx(&mut tx)).await?;
        }
    }
    tx.commit().await
}

/// A fresh database per test, removed afterwards: an SQLite file in the temporary folder, or,
/// when `TEST_DATABASE_URL` names a PostgreSQL server (e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`), a uniquely named database on it.
///
/// ```no_run
/// # async fn t() {
/// let test = svcgen_runtime::store::TestDb::new("users").await.unwrap();
/// // … use test.db() (migrated with your service's MIGRATIONS) …
/// test.drop().await;
/// # }
/// ```
#[derive(Debug)]
pub struct TestDb {
    db: Db,
    url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Database { admin: String, name: String },
}

impl TestDb {
    /// A fresh database for a test of `service`.
    pub async fn new(service: &str) -> Result<TestDb, String> {
        let unique = format!(
            "svcgen_test_{}_{}_{}",
            service.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                TestDb::postgres(&admin, &unique.to_ascii_lowercase()).await
            }
            _ => TestDb::sqlite(&unique).await,
        }
    }

    /// A fresh SQLite file named after `name` in the temporary folder.
    pub async fn sqlite(name: &str) -> Result<TestDb, String> {
        let path = std::env::temp_dir().join(format!(
            "{name}_{}_{}.db",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let url = sqlite_url(&path);
        let db = Db::connect(&url, &PoolSettings::default()).await?;
        Ok(TestDb {
            db,
            url,
            cleanup: Cleanup::File(path),
        })
    }

    /// A fresh database named `name` on the PostgreSQL server of `admin` (a URL it may
    /// `CREATE DATABASE` with).
    pub async fn postgres(admin: &str, name: &str) -> Result<TestDb, String> {
        admin_statement(admin, format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| format!("creating test database {name}: {e}"))?;
        let url = with_database(admin, name);
        let db = Db::connect(&url, &PoolSettings::default()).await?;
        Ok(TestDb {
            db,
            url,
            cleanup: Cleanup::Database {
                admin: admin.to_owned(),
                name: name.to_owned(),
            },
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Its URL, for a service process started by the test (`DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes the connections and removes the database.
    pub async fn drop(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Database { admin, name } => {
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                if let Err(e) = admin_statement(&admin, drop).await {
                    eprintln!("dropping test database {name}: {e}");
                }
            }
        }
    }
}

/// Runs one statement on the PostgreSQL server of `admin`, on a connection of its own.
async fn admin_statement(admin: &str, statement: String) -> Result<(), String> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .map_err(|e| format!("connecting to {}: {e}", redacted(admin)))?;
    let done = sqlx::query(sqlx::AssertSqlSafe(statement))
        .execute(&mut conn)
        .await
        .map(drop)
        .map_err(|e| e.to_string());
    let _ = conn.close().await;
    done
}

/// `url` (a PostgreSQL URL) naming database `name` instead of its own.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Db {
    /// What a service does at start: connects to the database the environment names (see
    /// [`Db::from_env`]) and applies the migrations it has not applied yet.
    pub async fn open(name: &str, migrations: &Migrations) -> Result<Db, String> {
        let db = Db::from_env(name).await?;
        db.migrate(migrations)
            .await
            .map_err(|e| format!("{DATABASE_URL} `{}`: migrating: {e}", db.location))?;
        Ok(db)
    }
}

/// Everything a service binary with a store does: [`crate::server::main_async`], with the
/// database named `database` (the SQLite file `<database>.db` when no URL is set: the service's
/// package name, so services of two systems never share a file) opened and migrated before
/// `build` gets it, `/readyz` checking that it answers, and `Idempotency-Key` honoured on
/// `POST` and `PATCH` (see [`idempotency`]). With the argument `migrations`, prints which
/// migrations the database has applied and which would run, changing nothing.
#[cfg(feature = "server")]
pub async fn main<F>(
    settings: crate::server::Settings,
    database: &'static str,
    migrations: &'static Migrations,
    build: impl FnOnce(Db) -> F,
) -> std::process::ExitCode
where
    F: Future<Output = Result<axum::Router, String>>,
{
    if std::env::args().nth(1).as_deref() == Some("migrations") {
        return print_migrations(settings.service, database, migrations).await;
    }
    let (service, request_timeout) = (settings.service, settings.request_timeout);
    crate::server::main_async(settings, || async move {
        let db = Db::open(database, migrations).await?;
        let keys = idempotency::Keys::open(&db, request_timeout)
            .await
            .map_err(|e| format!("{DATABASE_URL} `{}`: idempotency keys: {e}", db.location()))?;
        tracing::info!(service, database = db.location(), "database ready");
        let probe_db = db.clone();
        let probe: crate::server::ReadyProbe = std::sync::Arc::new(move || {
            let db = probe_db.clone();
            Box::pin(async move { db.ping().await.map_err(|e| e.to_string()) })
        });
        Ok(crate::server::Prepared {
            router: build(db).await?,
            probe: Some(probe),
            intercept: Some(std::sync::Arc::new(keys)),
        })
    })
    .await
}

/// Prints the migration status of the service's database (connecting, never migrating).
#[cfg(feature = "server")]
async fn print_migrations(
    service: &str,
    database: &str,
    migrations: &Migrations,
) -> std::process::ExitCode {
    let status = match PoolSettings::from_env().and_then(|s| url_from_env(database).map(|u| (s, u)))
    {
        Ok((settings, url)) => match Db::connect(&url, &settings).await {
            Ok(db) => db
                .migration_status(migrations)
                .await
                .map(|list| (db.location().to_owned(), list))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match status {
        Ok((location, list)) => {
            println!("{service}: {location}");
            for m in &list {
                let state = match (m.applied, m.edited) {
                    (true, false) => "applied",
                    (true, true) => "applied, EDITED since",
                    (false, _) => "would run",
                };
                println!("  {:>4}  {:<40}  {state}", m.version, m.description);
            }
            if list.iter().any(|m| m.edited) {
                std::process::ExitCode::FAILURE
            } else {
                std::process::ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{service}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `Idempotency-Key` on the server: a `POST` or `PATCH` carrying the header has its effect
/// once. The first request with a key claims it in the service's own database, runs, and its
/// answer is kept; a request with the same key gets that answer again (with
/// `idempotency-replayed: true`), a 409 while the first is still running, a 422 when it is
/// another request (method and path) than the one the key was first used with. An answer of
/// 500 or more is not kept (the request may be tried again). A claim whose request died (the
/// process was killed, the request timed out) is taken over once it is older than the request
/// timeout. Keys are kept 24 hours.
#[cfg(feature = "server")]
pub mod idempotency {
    use super::{Db, Error, On, Sql};
    use crate::problem::Problem;
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::{HeaderValue, Method, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use std::time::Duration;

    /// The request header.
    pub const HEADER: &str = "idempotency-key";
    /// The answer header on a replayed answer.
    pub const REPLAYED: &str = "idempotency-replayed";
    /// How long a key is kept.
    pub const KEPT: Duration = Duration::from_secs(24 * 60 * 60);
    /// The largest answer kept for replay.
    const MAX_BODY: usize = 16 * 1024 * 1024;

    const CREATE: Sql = Sql {
        sqlite: "CREATE TABLE IF NOT EXISTS \"_svcgen_idempotency\" (\"key\" TEXT NOT NULL PRIMARY KEY, \"request\" TEXT NOT NULL, \"status\" INTEGER, \"content_type\" TEXT, \"body\" BLOB, \"claimed_at\" TEXT NOT NULL)",
        postgres: "CREATE TABLE IF NOT EXISTS \"_svcgen_idempotency\" (\"key\" text NOT NULL PRIMARY KEY, \"request\" text NOT NULL, \"status\" integer, \"content_type\" text, \"body\" bytea, \"claimed_at\" timestamptz NOT NULL)",
    };
    const CLAIM: Sql = Sql {
        sqlite: "INSERT INTO \"_svcgen_idempotency\" (\"key\", \"request\", \"claimed_at\") VALUES (?, ?, ?)",
        postgres: "INSERT INTO \"_svcgen_idempotency\" (\"key\", \"request\", \"claimed_at\") VALUES ($1, $2, $3)",
    };
    const TAKE_OVER: Sql = Sql {
        sqlite: "UPDATE \"_svcgen_idempotency\" SET \"claimed_at\" = ? WHERE \"key\" = ? AND \"request\" = ? AND \"status\" IS NULL AND \"claimed_at\" < ?",
        postgres: "UPDATE \"_svcgen_idempotency\" SET \"claimed_at\" = $1 WHERE \"key\" = $2 AND \"request\" = $3 AND \"status\" IS NULL AND \"claimed_at\" < $4",
    };
    const LOOKUP: Sql = Sql {
        sqlite: "SELECT \"request\", \"status\", \"content_type\", \"body\" FROM \"_svcgen_idempotency\" WHERE \"key\" = ?",
        postgres: "SELECT \"request\", \"status\", \"content_type\", \"body\" FROM \"_svcgen_idempotency\" WHERE \"key\" = $1",
    };
    const FINISH: Sql = Sql {
        sqlite: "UPDATE \"_svcgen_idempotency\" SET \"status\" = ?, \"content_type\" = ?, \"body\" = ? WHERE \"key\" = ?",
        postgres: "UPDATE \"_svcgen_idempotency\" SET \"status\" = $1, \"content_type\" = $2, \"body\" = $3 WHERE \"key\" = $4",
    };
    const RELEASE: Sql = Sql {
        sqlite: "DELETE FROM \"_svcgen_idempotency\" WHERE \"key\" = ?",
        postgres: "DELETE FROM \"_svcgen_idempotency\" WHERE \"key\" = $1",
    };
    const EXPIRE: Sql = Sql {
        sqlite: "DELETE FROM \"_svcgen_idempotency\" WHERE \"claimed_at\" < ?",
        postgres: "DELETE FROM \"_svcgen_idempotency\" WHERE \"claimed_at\" < $1",
    };

    /// Where the keys are, and after how long a claim without an answer is abandoned.
    #[derive(Debug, Clone)]
    pub struct Keys {
        db: Db,
        abandoned_after: Duration,
    }

    impl Keys {
        /// Creates the keys' table when missing (bookkeeping of the runtime, like sqlx's
        /// migrations table, outside the service's migrations) and forgets keys older than
        /// [`KEPT`], now and every hour.
        pub async fn open(db: &Db, request_timeout: Duration) -> Result<Keys, Error> {
            super::create_runtime_tables(db, &[CREATE], &[]).await?;
            let keys = Keys {
                db: db.clone(),
                abandoned_after: request_timeout + Duration::from_secs(5),
            };
            let expiring = keys.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = expiring.expire().await {
                        tracing::warn!("forgetting old idempotency keys: {e}");
                    }
                    tokio::time::sleep(Duration::from_secs(60 * 60)).await;
                }
            });
            Ok(keys)
        }

        async fn expire(&self) -> Result<u64, Error> {
            let before = super::now() - KEPT;
            let db = &self.db;
            db.query(&EXPIRE)
                .bind(before)
                .execute(&mut On::Db(db))
                .await
        }
    }

    fn problem(status: u16, title: &str, detail: String) -> Response {
        Problem::new(status, title)
            .with_detail(detail)
            .into_response()
    }

    /// `POST` and `PATCH` requests with an `Idempotency-Key` header are this module's.
    impl crate::server::Intercept for Keys {
        fn wants(&self, req: &Request) -> bool {
            matches!(*req.method(), Method::POST | Method::PATCH)
                && req.headers().contains_key(HEADER)
        }

        fn serve(&self, req: Request, next: Router) -> crate::server::Answer {
            Box::pin(keyed(self.clone(), req, next))
        }
    }

    /// Answers a request carrying a key: runs it once, replays its answer after.
    async fn keyed(keys: Keys, req: Request, next: Router) -> Response {
        let Some(value) = req.headers().get(HEADER) else {
            return crate::server::call(next, req).await;
        };
        let key = match value.to_str() {
            Ok(k) if (1..=255).contains(&k.len()) => k.to_owned(),
            _ => {
                return problem(
                    400,
                    "Bad request",
                    "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                );
            }
        };
        let request = format!("{} {}", req.method(), req.uri().path());
        match claim(&keys, &key, &request).await {
            Ok(true) => {}
            Ok(false) => return replay(&keys.db, &key, &request).await,
            Err(e) => return Problem::from(e).into_response(),
        }
        let (parts, body) = crate::server::call(next, req).await.into_parts();
        let db = &keys.db;
        let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(bytes) => bytes,
            Err(e) => {
                let _ = db.query(&RELEASE).bind(&key).execute(&mut On::Db(db)).await;
                return Problem::internal(format!("reading the answer: {e}")).into_response();
            }
        };
        let kept = if parts.status.is_server_error() {
            db.query(&RELEASE).bind(&key).execute(&mut On::Db(db)).await
        } else {
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            db.query(&FINISH)
                .bind(i32::from(parts.status.as_u16()))
                .bind(content_type)
                .bind(bytes.to_vec())
                .bind(&key)
                .execute(&mut On::Db(db))
                .await
        };
        if let Err(e) = kept {
            tracing::warn!("idempotency key not kept: {e}");
        }
        Response::from_parts(parts, Body::from(bytes))
    }

    /// Claims `key` for `request`: `true` when this request is to run.
    async fn claim(keys: &Keys, key: &str, request: &str) -> Result<bool, Error> {
        let db = &keys.db;
        let now = super::now();
        match db
            .query(&CLAIM)
            .bind(key)
            .bind(request)
            .bind(now)
            .execute(&mut On::Db(db))
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::Unique(_)) => {
                let abandoned = now - keys.abandoned_after;
                let taken = db
                    .query(&TAKE_OVER)
                    .bind(now)
                    .bind(key)
                    .bind(request)
                    .bind(abandoned)
                    .execute(&mut On::Db(db))
                    .await?;
                Ok(taken == 1)
            }
            Err(e) => Err(e),
        }
    }

    async fn replay(db: &Db, key: &str, request: &str) -> Response {
        let row = match db
            .query(&LOOKUP)
            .bind(key)
            .fetch_optional(&mut On::Db(db))
            .await
        {
            Ok(Some(row)) => row,
            Ok(None) => {
                return problem(
                    409,
                    "Conflict",
                    "a request with this Idempotency-Key has just ended; try again".into(),
                );
            }
            Err(e) => return Problem::from(e).into_response(),
        };
        let decoded = (|| -> Result<_, Error> {
            Ok((
                row.get::<String>(0)?,
                row.get::<Option<i32>>(1)?,
                row.get::<Option<String>>(2)?,
                row.get::<Option<Vec<u8>>>(3)?,
            ))
        })();
        let (first, status, content_type, body) = match decoded {
            Ok(found) => found,
            Err(e) => return Problem::from(e).into_response(),
        };
        if first != request {
            return problem(
                422,
                "Unprocessable content",
                format!("this Idempotency-Key was first used for `{first}`, not `{request}`"),
            );
        }
        let Some(status) = status else {
            let mut response = problem(
                409,
                "Conflict",
                "a request with this Idempotency-Key is still running; try again".into(),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        };
        let mut response = Response::new(Body::from(body.unwrap_or_default()));
        *response.status_mut() = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        if let Some(ct) = content_type.and_then(|ct| HeaderValue::from_str(&ct).ok()) {
            response.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
        response
    }
}
