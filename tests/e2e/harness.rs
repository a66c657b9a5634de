//! Runs the services of an example system as real processes on loopback ports, wired only
//! through the registry's environment variables.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Builds the binaries of every example system and of the hostile and auth fixtures once per test
/// process. Each system is a cargo workspace of its own; they share one target directory, so
/// dependencies are built once.
pub fn build_binaries() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let hostile = crate::repo().join("tests/hostile/generated/hostile");
        let guarded = crate::repo().join("tests/auth/generated/guarded");
        let echo = crate::repo().join("tests/echo/generated/echo");
        for system in crate::systems().into_iter().chain([hostile, guarded, echo]) {
            let status = Command::new(&cargo)
                .args(["build", "--quiet", "--bins", "--manifest-path"])
                .arg(system.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(target_dir())
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "cargo build of {} failed: {status}",
                    system.display()
                ));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The `svcgen` binary, built once per test process into [`target_dir`].
pub fn svcgen_binary() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
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
            .arg(target_dir())
            .current_dir(crate::repo())
            .status()
            .expect("cargo runs");
        assert!(built.success(), "cargo build -p svcgen: {built}");
    });
    target_dir().join("debug/svcgen")
}

/// Sends SIGTERM to a running `svcgen up` and asserts it exits cleanly within 20 s.
pub fn terminate_up(up: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &up.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = up.try_wait().expect("svcgen up can be waited for") {
            break exit;
        }
        assert!(Instant::now() < deadline, "svcgen up did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit}");
}

/// The cargo target directory: `CARGO_TARGET_DIR` when set, else the repository's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo().join("target"))
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// API keys a test issues, as a deployment's operator would: each key's hash line in the keys
/// file of its scheme, in a folder removed with this value.
pub struct ApiKeys {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl ApiKeys {
    /// No keys yet.
    pub fn new() -> ApiKeys {
        ApiKeys {
            dir: tempfile::tempdir().expect("a folder for the keys files"),
            env: Vec::new(),
        }
    }

    /// Issues a key of scheme `scheme` to `subject` with `scopes`: the key.
    pub fn issue(&mut self, scheme: &str, subject: &str, scopes: &[&str]) -> String {
        let secret = svcgen_runtime::issuer::random_secret(32).expect("random bytes");
        let key = format!("svcgen_test_{secret}");
        let file = self.dir.path().join(format!("{scheme}.keys"));
        let mut lines = std::fs::read_to_string(&file).unwrap_or_default();
        lines.push_str(&format!(
            "{} {subject} {}\n",
            svcgen_runtime::auth::key_hash(&key),
            scopes.join(" ")
        ));
        std::fs::write(&file, lines).expect("the keys file");
        let var = format!("AUTH_{}_KEYS_FILE", scheme.to_ascii_uppercase());
        if !self.env.iter().any(|(v, _)| *v == var) {
            self.env.push((var, file.display().to_string()));
        }
        key
    }

    /// The variables telling services where the keys files are.
    pub fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl Default for ApiKeys {
    fn default() -> Self {
        Self::new()
    }
}

/// An identity provider outside the system under test, for a `jwt` scheme without a `jwks`
/// service: an Ed25519 signing key whose public half the services read from
/// `AUTH_<SCHEME>_JWKS_FILE`, in a folder removed with this value.
pub struct Issuer {
    _dir: tempfile::TempDir,
    key: svcgen_runtime::issuer::SigningKey,
    tokens: svcgen_runtime::issuer::Tokens,
    env: (String, String),
}

impl Issuer {
    /// A new key for `scheme`'s tokens, issued by `issuer` for `audience`.
    pub fn new(scheme: &'static str, issuer: &'static str, audience: &'static str) -> Issuer {
        let dir = tempfile::tempdir().expect("a folder for the key set");
        let pem = svcgen_runtime::issuer::new_signing_key().expect("a signing key");
        let key = svcgen_runtime::issuer::SigningKey::from_pem(pem.as_bytes()).expect("the key");
        let set = dir.path().join(format!("{scheme}.jwks.json"));
        let public = key.public_key_set().expect("the key set");
        std::fs::write(&set, public.to_string()).expect("the key set file");
        Issuer {
            key,
            tokens: svcgen_runtime::issuer::Tokens {
                scheme,
                issuer,
                audience,
            },
            env: (
                format!("AUTH_{}_JWKS_FILE", scheme.to_ascii_uppercase()),
                set.display().to_string(),
            ),
            _dir: dir,
        }
    }

    /// A token for `subject` with `scopes`, valid for an hour.
    pub fn token(&self, subject: &str, scopes: &[&str]) -> String {
        self.tokens
            .issue_with(
                &self.key,
                subject,
                scopes,
                &serde_json::json!({}),
                Duration::from_secs(3600),
            )
            .expect("a signed token")
            .token
    }

    /// The variable telling services where the key set is.
    pub fn env(&self) -> (&str, &str) {
        (&self.env.0, &self.env.1)
    }
}

/// What tests of the shop prove themselves with: tokens of its `customer` scheme, from an
/// identity provider outside the system, and a key of its `staff` scheme carrying every staff
/// scope.
pub struct ShopAuth {
    customers: Issuer,
    keys: ApiKeys,
    staff: String,
}

/// The shop's services (spec name, binary, URL variable), dependencies first.
pub const SHOP: &[(&str, &str, &str)] = &[
    ("users", "shop-users", "USERS_URL"),
    ("inventory", "shop-inventory", "INVENTORY_URL"),
    ("notification", "shop-notification", "NOTIFICATION_URL"),
    ("orders", "shop-orders", "ORDERS_URL"),
];

/// Every scope of the shop's `customer` scheme.
pub const SHOP_CUSTOMER_SCOPES: &[&str] = &["customers:read", "orders:read", "orders:write"];

impl ShopAuth {
    /// A new provider key and staff key.
    pub fn new() -> ShopAuth {
        let mut keys = ApiKeys::new();
        let staff = keys.issue(
            "staff",
            "support",
            &[
                "customers:read",
                "orders:read",
                "orders:write",
                "catalog:write",
                "notifications:send",
            ],
        );
        ShopAuth {
            customers: Issuer::new("customer", "https://id.shop.example", "shop"),
            keys,
            staff,
        }
    }

    /// The variables the shop's services need to check both.
    pub fn env(&self) -> Vec<(&str, &str)> {
        let mut env = self.keys.env();
        env.push(self.customers.env());
        env
    }

    /// The staff key.
    pub fn staff_key(&self) -> &str {
        &self.staff
    }

    /// A token of the customer whose id in `users` is `id`, with every customer scope.
    pub fn customer_token(&self, id: &impl std::fmt::Display) -> String {
        self.customers.token(&id.to_string(), SHOP_CUSTOMER_SCOPES)
    }
}

impl Default for ShopAuth {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves a blank page (`<title>page</title>`) on a free loopback port, for a browser to open
/// as a page of another origin than the services'; its port. It serves until the test process
/// ends.
pub fn serve_blank_page() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let page = "<!doctype html><title>page</title>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    port
}

/// Runs `tests/browser/<script>` with `config` in Node, which drives the machine's Chromium
/// (`/usr/bin/chromium`, or `CHROMIUM`), and parses the JSON it prints. Installs the script's
/// packages first (`npm ci`) when they are missing.
pub fn run_in_browser(script: &str, config: &serde_json::Value) -> serde_json::Value {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let dir = crate::repo().join("tests/browser");
    INSTALLED.get_or_init(|| {
        if !dir.join("node_modules/playwright-core").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&dir)
                .status()
                .expect("npm (Node) is installed: the browser tests need it");
            assert!(status.success(), "npm ci in tests/browser failed");
        }
    });
    let chromium = std::env::var_os("CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "the browser tests need Chromium at {} (`apt-get install chromium`, or set CHROMIUM)",
        chromium.to_string_lossy()
    );
    let out = Command::new("node")
        .arg(script)
        .arg(config.to_string())
        .current_dir(&dir)
        .output()
        .expect("node (Node) is installed: the browser tests need it");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// One running service process.
pub struct Service {
    /// The binary name (package name).
    pub binary: String,
    /// The port it listens on.
    pub port: u16,
    env: Vec<(String, String)>,
    /// An open-file limit (`ulimit -n`) to start the process with.
    nofile: Option<u32>,
    child: Option<Child>,
}

impl Service {
    /// The base URL of the service.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process and waits until `/readyz` answers 200. The first start asks for any
    /// free port (`PORT=0`) and reads the one the service got from its log, so tests never race
    /// for a port; a restart takes the same port again, where the others expect it.
    pub fn start(&mut self) {
        build_binaries();
        static STARTS: AtomicUsize = AtomicUsize::new(0);
        let log_dir = target_dir().join("e2e-logs");
        let _ = std::fs::create_dir_all(&log_dir);
        let starting = log_dir.join(format!(
            "{}-starting-{}-{}.log",
            self.binary,
            std::process::id(),
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        let log = std::fs::File::create(&starting).expect("log file");
        let binary = target_dir().join("debug").join(&self.binary);
        let mut command = match self.nofile {
            Some(n) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\""))
                    .arg(&binary);
                sh
            }
            None => Command::new(&binary),
        };
        let child = command
            // Handler answers checked against the spec, unless the test says otherwise.
            .env("RESPONSE_CHECKS", "on")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PORT", self.port.to_string())
            .env("HOST", "127.0.0.1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary));
        self.child = Some(child);
        if self.port == 0 {
            self.port = port_from_log(&starting, &self.binary);
        }
        // The process keeps writing to the renamed file.
        std::fs::rename(&starting, self.log_path()).expect("log file renamed");
        wait_ready(&self.url(), &self.binary);
    }

    fn log_path(&self) -> PathBuf {
        target_dir().join(format!("e2e-logs/{}-{}.log", self.binary, self.port))
    }

    /// What the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Waits until the log holds `n` lines containing `needle` (at most 10 s).
    pub fn wait_for_log(&self, needle: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let seen = self.log().lines().filter(|l| l.contains(needle)).count();
            if seen >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} logged `{needle}` {seen} times, not {n}, in 10 s",
                self.binary
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends SIGTERM and waits up to `limit` for the exit; returns how long it took, or `None`
    /// (after killing it) when it did not exit in time.
    pub fn terminate_within(&mut self, limit: Duration) -> Option<Duration> {
        let mut child = self.child.take()?;
        let started = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        while started.elapsed() < limit {
            if let Ok(Some(_)) = child.try_wait() {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Stops the process with SIGTERM (graceful), killing it if it does not exit in 5 s.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the process with SIGKILL, giving it no chance to finish anything, and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The exit status, once stopped by [`Service::stop`] or by itself.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The port in the service's `listening on http://127.0.0.1:PORT` log line (at most 30 s).
fn port_from_log(log: &std::path::Path, name: &str) -> u16 {
    const MARK: &str = "listening on http://127.0.0.1:";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(port) = text.lines().find_map(|l| {
            let rest = &l[l.find(MARK)? + MARK.len()..];
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        }) {
            return port;
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not say where it listens within 30 s:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn wait_ready(url: &str, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = url.trim_start_matches("http://");
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(addr) {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let request =
                format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{name} did not become ready at {url} within 30 s");
}

/// Two tests of one scenario, `async fn scenario(database: Database)` in the calling file: on
/// the SQLite default (`scenario::on_sqlite`) and on PostgreSQL (`scenario::on_postgres`).
/// Arguments after the scenario's name are passed after the database.
#[macro_export]
macro_rules! on_both_databases {
    ($scenario:ident $(, $arg:expr)*) => {
        mod $scenario {
            #[tokio::test(flavor = "multi_thread")]
            async fn on_sqlite() {
                super::$scenario($crate::e2e::Database::Sqlite $(, $arg)*).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn on_postgres() {
                super::$scenario($crate::e2e::Database::Postgres $(, $arg)*).await;
            }
        }
    };
}

/// Which database the services of a system keep their records in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// The embedded default: an SQLite file per service, in a data folder of the system's own.
    Sqlite,
    /// The machine's PostgreSQL server (`SVCGEN_TEST_POSTGRES`, default
    /// `postgres://postgres@127.0.0.1:5432/postgres`): a fresh database per service.
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("SVCGEN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Runs `f` on a runtime of its own, on a thread of its own (callers may be inside a runtime).
pub fn block_on<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(f)
    })
    .join()
    .expect("the database thread")
}

/// A JetStream stream of one test's own on the machine's NATS server (`SVCGEN_TEST_NATS`,
/// default `nats://127.0.0.1:4222`): a unique subject prefix, the stream deleted when dropped.
pub struct NatsStream {
    /// The server.
    pub url: String,
    /// The subjects' prefix (`EVENTS_PREFIX`).
    pub prefix: String,
}

impl NatsStream {
    /// A new prefix, on the machine's NATS server.
    pub fn new() -> NatsStream {
        NatsStream {
            url: std::env::var("SVCGEN_TEST_NATS")
                .unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned()),
            prefix: format!("svcgen-e2e-{}", uuid_like().replace('_', "-")),
        }
    }

    /// The variables that put a service's events on this stream.
    pub fn env(&self) -> [(&str, &str); 2] {
        [("NATS_URL", &self.url), ("EVENTS_PREFIX", &self.prefix)]
    }
}

impl Default for NatsStream {
    fn default() -> Self {
        NatsStream::new()
    }
}

impl Drop for NatsStream {
    fn drop(&mut self) {
        let (url, prefix) = (self.url.clone(), self.prefix.clone());
        block_on(async move {
            use svcgen_runtime::events::jetstream::Bus;
            if let Ok(bus) = Bus::connect(&url, &prefix, Duration::from_secs(3600), "e2e").await {
                let _ = bus.context().delete_stream(bus.stream()).await;
            }
        });
    }
}

/// The data of one system under test: removed when the system is dropped.
struct Data {
    dir: tempfile::TempDir,
    databases: Vec<svcgen_runtime::store::TestDb>,
}

impl Drop for Data {
    fn drop(&mut self) {
        let databases = std::mem::take(&mut self.databases);
        if !databases.is_empty() {
            block_on(async move {
                for db in databases {
                    db.drop().await;
                }
            });
        }
    }
}

/// Writes a new random events key (what `EVENTS_KEY_FILE` names) to `path`.
pub fn write_events_key(path: &std::path::Path) {
    let secret = svcgen_runtime::issuer::random_secret(32).expect("random bytes");
    std::fs::write(path, format!("svcgen_events_{secret}\n")).expect("the events key");
}

/// The services of one system, each on a port of its own, each told where the ones it may call
/// are, each with its own database.
pub struct System {
    /// Services by spec name.
    pub services: BTreeMap<String, Service>,
    /// Dropped after the services (field order): their databases go once they have stopped.
    data: Data,
}

impl System {
    /// Starts `services` (spec name, binary, URL variable) with every `*_URL` variable set.
    pub fn start(services: &[(&str, &str, &str)]) -> System {
        Self::start_with(services, &[], None)
    }

    /// Like [`System::start`], with `extra` variables for every service and, when given, an
    /// open-file limit.
    pub fn start_with(
        services: &[(&str, &str, &str)],
        extra: &[(&str, &str)],
        nofile: Option<u32>,
    ) -> System {
        Self::start_on(Database::Sqlite, services, extra, nofile)
    }

    /// Like [`System::start_with`], on the given database.
    pub fn start_on(
        database: Database,
        services: &[(&str, &str, &str)],
        extra: &[(&str, &str)],
        nofile: Option<u32>,
    ) -> System {
        let mut data = Data {
            dir: tempfile::tempdir().expect("a data folder"),
            databases: Vec::new(),
        };
        // In the order given (dependencies first): each service binds any free port and is
        // told where the ones started before it are.
        let mut env: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        env.push((
            "SVCGEN_DATA_DIR".to_owned(),
            data.dir.path().to_string_lossy().into_owned(),
        ));
        // The key the services deliver events to each other with, as a deployment's secret
        // (required in a system with auth), unless the test gives its own.
        if !extra.iter().any(|(k, _)| *k == "EVENTS_KEY_FILE") {
            let key = data.dir.path().join("events.key");
            write_events_key(&key);
            env.push((
                "EVENTS_KEY_FILE".to_owned(),
                key.to_string_lossy().into_owned(),
            ));
        }
        let mut map = BTreeMap::new();
        for (name, binary, var) in services {
            let mut own = env.clone();
            if database == Database::Postgres {
                let unique = format!("svcgen_e2e_{}_{}", name.replace('-', "_"), uuid_like());
                let admin = postgres_admin_url();
                let db = block_on(async move {
                    svcgen_runtime::store::TestDb::postgres(&admin, &unique).await
                })
                .expect("a test database on the machine's PostgreSQL");
                own.push(("DATABASE_URL".to_owned(), db.url().to_owned()));
                data.databases.push(db);
            }
            let mut s = Service {
                binary: (*binary).to_owned(),
                port: 0,
                env: own,
                nofile,
                child: None,
            };
            s.start();
            env.push(((*var).to_owned(), s.url()));
            map.insert((*name).to_owned(), s);
        }
        System {
            services: map,
            data,
        }
    }

    /// The folder of the services' SQLite files (on [`Database::Sqlite`]).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.dir.path()
    }

    /// The events key the services were given (unless the test gave its own).
    pub fn events_key(&self) -> String {
        std::fs::read_to_string(self.data.dir.path().join("events.key"))
            .expect("the events key")
            .trim()
            .to_owned()
    }

    /// The base URL of a service.
    pub fn url(&self, name: &str) -> String {
        self.services[name].url()
    }

    /// A service, to stop or restart it.
    pub fn service(&mut self, name: &str) -> &mut Service {
        self.services
            .get_mut(name)
            .expect("a service of this system")
    }
}

/// A name part no other test process or run shares.
fn uuid_like() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A raw HTTP request for bad-input tests: returns status, headers and the body as JSON.
pub async fn raw(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    raw_with(method, url, &[], content_type, body).await
}

/// [`raw`] with `headers` besides (credentials, say).
pub async fn raw_with(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().expect("a method"), url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req
        .body(body.to_owned())
        .send()
        .await
        .expect("the service answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("a body");
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, headers, json)
}

/// One HTTP/1.1 answer read off a raw socket.
#[derive(Debug)]
pub struct RawAnswer {
    /// The status code.
    pub status: u16,
    /// The head, lower-cased (status line and headers).
    pub head: String,
    /// The body (as long as `content-length` says).
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// Whether the server said it closes the connection after this answer.
    pub fn closes(&self) -> bool {
        self.head.contains("\r\nconnection: close")
    }
}

/// Reads one answer from `stream` (which must carry no other bytes after it).
pub async fn read_answer(stream: &mut tokio::net::TcpStream) -> std::io::Result<RawAnswer> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "closed before a full answer ({} bytes: {:?})",
                    buf.len(),
                    String::from_utf8_lossy(&buf)
                ),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(RawAnswer {
        status,
        head,
        body: buf[head_end..].to_vec(),
    })
}

/// A GET request head for a raw socket.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
}

/// Waits until `probe/inflight` of the hostile service at `base` reports `n` probes running:
/// the observable moment requests are in flight, instead of a sleep.
pub async fn wait_in_flight(base: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let client = reqwest::Client::new();
    loop {
        let answer = client
            .get(format!("{base}/probe/inflight"))
            .send()
            .await
            .expect("the service answers");
        let bytes = answer.bytes().await.expect("a body");
        let problem: serde_json::Value = serde_json::from_slice(&bytes).expect("a problem");
        let running: usize = problem["detail"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .expect("a count");
        if running >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {running} of {n} probes in flight after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The open files and resident memory (kB) of process `pid`, from `/proc`.
pub fn process_usage(pid: u32) -> (usize, u64) {
    let files = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0);
    (files, rss)
}

/// Raises this process's soft open-file limit to at least `wanted` (up to the hard limit);
/// returns the limit now in force.
pub fn raise_open_files(wanted: u64) -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    if soft >= wanted {
        return soft;
    }
    let target = wanted.min(hard);
    match setrlimit(Resource::RLIMIT_NOFILE, target, hard) {
        Ok(()) => target,
        Err(_) => soft,
    }
}
