//! `svcgen up`: runs a whole system on this machine, with nothing else installed.
//!
//! Regenerates the system if its output is stale, builds its binaries with cargo, starts every
//! service (and the gateway) as a child process wired through the registry variables, waits
//! for each to be ready, prints where everything is, prefixes each child's log lines with its
//! name, keeps the others running when one exits, and stops them all on Ctrl-C, SIGTERM or
//! SIGHUP.
//!
//! Two promises hold whatever happens to `up` itself:
//!
//! - **Children never block on their output.** Their pipes are read by threads into a bounded
//!   queue that one thread writes to stdout; when stdout is slow (piped to a consumer that does
//!   not read), lines are dropped and counted ("N lines dropped"), never waited for. `up`'s
//!   own messages take the same path, so a stalled stdout cannot stall `up` either.
//! - **Children do not outlive `up`.** Each child gets a pipe on stdin from `up` and
//!   `SVCGEN_UP_PARENT_PIPE=stdin`; the runtime's `serve()` treats the end of stdin like
//!   SIGTERM. When `up` dies, even by SIGKILL, the kernel closes the pipes and every child
//!   drains and exits.

use anstyle::{AnsiColor, Style};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};
use svcgen_codegen::emit::gateway::{GATEWAY_URL_ENV, gateway_package};
use svcgen_codegen::emit::service::{service_package, url_env};
use svcgen_codegen::model::System;

use crate::dashboard::{Command as Action, Credential, CredentialKind, Hub, Process};

/// One process to run.
struct Unit {
    name: String,
    binary: String,
    port: u16,
    child: Option<Child>,
    announced_exit: bool,
}

/// Colours for log prefixes, one per unit in turn.
const COLOURS: &[AnsiColor] = &[
    AnsiColor::Cyan,
    AnsiColor::Yellow,
    AnsiColor::Magenta,
    AnsiColor::Green,
    AnsiColor::Blue,
    AnsiColor::BrightRed,
    AnsiColor::BrightCyan,
    AnsiColor::BrightYellow,
];

/// Lines waiting for stdout; past this, children's lines are dropped rather than waited for.
const OUTPUT_QUEUE: usize = 1024;

/// How long `up` waits, after SIGTERM to its children, before killing them: longer than the
/// runtime's default shutdown grace period (10 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// The environment variable the runtime reads to watch its stdin for `up`'s exit.
const PARENT_PIPE_ENV: &str = "SVCGEN_UP_PARENT_PIPE";

/// stdout, written by one thread from a bounded queue so that no writer ever blocks on it.
#[derive(Clone)]
struct Output {
    queue: SyncSender<String>,
    dropped: Arc<AtomicU64>,
}

impl Output {
    /// Starts the writer thread; the receiver of the returned channel says when it is done.
    fn start() -> (Output, Receiver<()>) {
        let (queue, lines) = std::sync::mpsc::sync_channel::<String>(OUTPUT_QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let (done_tx, done) = std::sync::mpsc::channel();
        let counter = dropped.clone();
        std::thread::spawn(move || {
            let mut out = std::io::stdout().lock();
            for line in lines {
                let lost = counter.swap(0, Ordering::Relaxed);
                if lost > 0 {
                    let _ = writeln!(
                        out,
                        "svcgen up: {lost} lines dropped (stdout was not read fast enough)"
                    );
                }
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            let _ = done_tx.send(());
        });
        (Output { queue, dropped }, done)
    }

    /// Queues a child's line, or drops and counts it when the queue is full.
    fn line(&self, line: String) {
        if let Err(TrySendError::Full(_)) = self.queue.try_send(line) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Queues one of `up`'s own messages, waiting a little for room before dropping it.
    fn message(&self, mut line: String) {
        for _ in 0..20 {
            match self.queue.try_send(line) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => line = back,
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    fn status(&self, word: &str, text: &str, color: bool) {
        self.message(format!(
            "{} {text}",
            crate::status(word, color, crate::Style::Good)
        ));
    }

    /// Lets the writer empty the queue, for at most `limit` (stdout may never be read).
    fn finish(self, done: Receiver<()>, limit: Duration) {
        drop(self);
        let _ = done.recv_timeout(limit);
    }
}

/// Copies a child's pipe to `out`, line by line, until the child closes it. Bytes that are
/// not UTF-8 are replaced, never a reason to stop reading (the child would block).
fn forward_lines(
    pipe: Box<dyn Read + Send>,
    prefix: String,
    out: Output,
    dashboard: Option<(Arc<Hub>, String)>,
) {
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\n', '\r']);
                if let Some((hub, name)) = &dashboard {
                    hub.log(name, text);
                }
                out.line(format!("{prefix}{text}"));
            }
        }
    }
}

/// How the services are built: cargo's `dev` profile (the default: quick to build) or its
/// `release` profile (`up --release`: optimised, as deployed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `cargo build`, binaries in `target/debug`.
    Debug,
    /// `cargo build --release`, binaries in `target/release`.
    Release,
}

impl Profile {
    /// The folder of the target directory holding this profile's binaries.
    fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// Runs `system`, generated into the cargo workspace `workspace`, until Ctrl-C, SIGTERM or
/// SIGHUP.
/// `build` false skips `cargo build`.
pub fn run(
    system: &System,
    workspace: &Path,
    build: bool,
    fresh: bool,
    profile: Profile,
    dashboard: bool,
    color: bool,
) -> Result<ExitCode, String> {
    let target_dir = target_dir(workspace);
    let data = data_dir(workspace, fresh, color)?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|e| format!("cannot handle signals: {e}"))?;
    }

    let mut units: Vec<Unit> = order(system)
        .into_iter()
        .map(|name| {
            let s = &system.services[name];
            Unit {
                name: s.name.wire.clone(),
                binary: service_package(system, s),
                port: s.port,
                child: None,
                announced_exit: false,
            }
        })
        .collect();
    if let Some(g) = &system.gateway {
        units.push(Unit {
            name: "gateway".into(),
            binary: gateway_package(system),
            port: g.port,
            child: None,
            announced_exit: false,
        });
    }
    // The spec's port when it is free, another free one otherwise.
    for u in &mut units {
        if TcpListener::bind(("127.0.0.1", u.port)).is_err() {
            let free = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| e.to_string())?;
            status(
                "Moved",
                &format!("{} to port {} ({} is taken)", u.name, free.port(), u.port),
                color,
            );
            u.port = free.port();
        }
    }

    if build {
        let mut cargo = cargo_build(workspace, &target_dir, profile);
        cargo.arg("--bins");
        status(
            "Building",
            &format!(
                "{} binaries with cargo ({})",
                units.len(),
                match profile {
                    Profile::Debug => "debug; `up --release` builds them optimised",
                    Profile::Release => "release",
                }
            ),
            color,
        );
        let built = cargo
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !built.success() {
            return Err(format!("cargo build failed ({built})"));
        }
    }

    // Every process learns where every service is.
    let mut env: Vec<(String, String)> = system
        .services
        .values()
        .map(|s| {
            let port = units
                .iter()
                .find(|u| u.name == s.name.wire)
                .map(|u| u.port)
                .unwrap_or(s.port);
            (url_env(s), format!("http://127.0.0.1:{port}"))
        })
        .collect();
    if let Some(g) = units
        .iter()
        .find(|u| u.name == "gateway" && system.gateway.is_some())
    {
        env.push((
            GATEWAY_URL_ENV.into(),
            format!("http://127.0.0.1:{}", g.port),
        ));
    }

    // Development credentials (made once, kept in the data folder): the issuer's signing key
    // and an API key per `api_key` scheme.
    let credentials = crate::auth::development_credentials(system, &data)?;
    env.extend(credentials.env);
    for note in credentials.notes {
        status("Auth", &note, color);
    }

    // The dashboard, which the services send their spans to (unless the shell names a
    // collector of its own).
    let (commands_tx, commands) = std::sync::mpsc::channel::<Action>();
    let hub = if dashboard {
        let listener = crate::dashboard::bind()?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let processes = units
            .iter()
            .map(|u| Process {
                name: u.name.clone(),
                port: u.port,
                pid: None,
                restarts: 0,
                database: database_of(system, &u.name, &data),
                health: None,
                restarting: false,
            })
            .collect();
        let hub = Hub::new(
            system,
            workspace.to_owned(),
            port,
            processes,
            dashboard_credentials(system, &data),
            commands_tx,
        )?;
        crate::dashboard::serve(hub.clone(), listener)?;
        if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some_and(|v| !v.is_empty()) {
            status(
                "Telemetry",
                "goes to OTEL_EXPORTER_OTLP_ENDPOINT of the shell; the dashboard shows no traces",
                color,
            );
        } else {
            env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), hub.otlp_endpoint()));
            env.push(("OTEL_EXPORTER_OTLP_PROTOCOL".into(), "http/protobuf".into()));
            // Spans within a quarter of a second, for a dashboard that follows along.
            env.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "250".into()));
        }
        Some(hub)
    } else {
        drop(commands_tx);
        None
    };

    // From here on, everything goes through `out`: stdout may stop being read.
    let (out, written) = Output::start();
    let launcher = Launcher {
        env,
        target_dir: target_dir.clone(),
        workspace: workspace.to_owned(),
        profile,
        data: data.clone(),
        out: out.clone(),
        hub: hub.clone(),
        color,
        width: units.iter().map(|u| u.name.len()).max().unwrap_or(0),
    };
    for i in 0..units.len() {
        let started = Instant::now();
        let launched = launcher
            .launch(i, &mut units[i])
            .and_then(|()| wait_ready(&mut units[i], &stop));
        match launched {
            Ok(()) => out.status(
                "Ready",
                &format!(
                    "{} in {:.1}s",
                    units[i].name,
                    started.elapsed().as_secs_f64()
                ),
                color,
            ),
            Err(e) => {
                stop_all(&mut units);
                out.finish(written, Duration::from_secs(1));
                return Err(e);
            }
        }
    }

    out.message(String::new());
    let databases: Vec<String> = units
        .iter()
        .map(|u| database_of(system, &u.name, &data).unwrap_or_else(|| "-".to_owned()))
        .collect();
    let width = launcher.width;
    let db_width = databases.iter().map(String::len).max().unwrap_or(0).max(8);
    out.message(format!(
        "  {:<width$}  {:<24}  {:<8}  {:<db_width$}  OPENAPI",
        "SERVICE", "URL", "PID", "DATABASE"
    ));
    for (u, db) in units.iter().zip(&databases) {
        let url = format!("http://127.0.0.1:{}", u.port);
        let pid = u.child.as_ref().map(Child::id).unwrap_or(0);
        out.message(format!(
            "  {:<width$}  {url:<24}  {pid:<8}  {db:<db_width$}  {url}/openapi.json",
            u.name
        ));
    }
    out.message(String::new());
    if let Some(hub) = &hub {
        out.status(
            "Dashboard",
            &format!(
                "{} (services, logs, traces, API; `--no-dashboard` turns it off)",
                hub.url()
            ),
            color,
        );
    }
    out.status(
        "Running",
        &format!("{} (Ctrl-C stops everything)", system.name.wire),
        color,
    );

    while !stop.load(Ordering::SeqCst) {
        for u in &mut units {
            if let Some(child) = &mut u.child
                && let Ok(Some(exit)) = child.try_wait()
                && !u.announced_exit
            {
                u.announced_exit = true;
                if let Some(hub) = &hub {
                    hub.update(&u.name, |p| p.pid = None);
                }
                out.status(
                    "Exited",
                    &format!("{} ({exit}); the others keep running", u.name),
                    color,
                );
            }
        }
        while let Ok(Action::Restart(name)) = commands.try_recv() {
            if let Some(i) = units.iter().position(|u| u.name == name) {
                launcher.restart(i, &mut units[i], build, &stop);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    out.status("Stopping", &format!("{} processes", units.len()), color);
    stop_all(&mut units);
    out.status("Stopped", system.name.wire.as_str(), color);
    out.finish(written, Duration::from_secs(1));
    Ok(ExitCode::SUCCESS)
}

/// `cargo build` of `workspace`'s binaries into `target_dir`, in `profile`.
fn cargo_build(workspace: &Path, target_dir: &Path, profile: Profile) -> Command {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args(["build", "--manifest-path"])
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir);
    if profile == Profile::Release {
        cargo.arg("--release");
    }
    cargo
}

/// The database file of the process `name`, relative to the working folder when it is below
/// it; `None` for one without records.
fn database_of(system: &System, name: &str, data: &Path) -> Option<String> {
    let s = system.services.get(name).filter(|s| s.has_store())?;
    let file = data.join(format!("{}.db", service_package(system, s)));
    Some(
        file.strip_prefix(std::env::current_dir().unwrap_or_default())
            .map(Path::to_path_buf)
            .unwrap_or(file)
            .display()
            .to_string(),
    )
}

/// The credentials the dashboard's API form can call with: the development API key of each
/// `api_key` scheme, and tokens of each `jwt` scheme `up` holds a signing key for.
fn dashboard_credentials(system: &System, data: &Path) -> Vec<Credential> {
    use svcgen_codegen::model::SchemeKind;
    system
        .auth
        .values()
        .filter_map(|scheme| {
            let kind = match &scheme.kind {
                SchemeKind::ApiKey { header } => CredentialKind::ApiKey {
                    header: header.clone(),
                    file: data.join(format!("{}.key", scheme.name.wire)),
                },
                SchemeKind::Jwt { jwks, .. } => {
                    let key = match jwks {
                        Some(_) => data.join(crate::auth::SIGNING_KEY_FILE),
                        None => data.join(crate::auth::stand_in_key_file(&scheme.name.wire)),
                    };
                    if !key.exists() {
                        return None;
                    }
                    CredentialKind::Jwt {
                        scopes: scheme.scopes.clone(),
                    }
                }
            };
            Some(Credential {
                scheme: scheme.name.wire.clone(),
                kind,
            })
        })
        .collect()
}

/// Starts the system's processes, each the same way every time: its variables, its output
/// prefixed and kept by the dashboard.
struct Launcher {
    env: Vec<(String, String)>,
    target_dir: PathBuf,
    workspace: PathBuf,
    profile: Profile,
    data: PathBuf,
    out: Output,
    hub: Option<Arc<Hub>>,
    color: bool,
    width: usize,
}

impl Launcher {
    /// Starts unit `i`.
    fn launch(&self, i: usize, u: &mut Unit) -> Result<(), String> {
        let binary = self.target_dir.join(self.profile.dir()).join(&u.binary);
        let mut child = Command::new(&binary)
            // Handler answers checked against the spec (a handler bug is a logged 500), unless
            // the calling shell says otherwise.
            .env(
                "RESPONSE_CHECKS",
                std::env::var("RESPONSE_CHECKS").unwrap_or_else(|_| "on".to_owned()),
            )
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PORT", u.port.to_string())
            .env("HOST", "127.0.0.1")
            .env(PARENT_PIPE_ENV, "stdin")
            // Every service with records on its own SQLite file in the system's data folder;
            // a database URL of the calling shell would put them all in one database.
            .env("SVCGEN_DATA_DIR", &self.data)
            .env_remove("DATABASE_URL")
            .env_remove("DATABASE_URL_FILE")
            // Events go from service to service over HTTP: no broker of the calling shell.
            .env_remove("NATS_URL")
            // Never written: its end (up exiting, however) tells the child to stop.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let width = self.width;
        let prefix = if self.color {
            let style = Style::new().fg_color(Some(COLOURS[i % COLOURS.len()].into()));
            format!("{style}{:>width$} |{style:#} ", u.name)
        } else {
            format!("{:>width$} | ", u.name)
        };
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let (prefix, out) = (prefix.clone(), self.out.clone());
            let dashboard = self.hub.clone().map(|h| (h, u.name.clone()));
            std::thread::spawn(move || forward_lines(pipe, prefix, out, dashboard));
        }
        if let Some(hub) = &self.hub {
            let pid = child.id();
            hub.update(&u.name, |p| p.pid = Some(pid));
        }
        u.child = Some(child);
        u.announced_exit = false;
        Ok(())
    }

    /// Stops unit `i` (it drains its requests), rebuilds it when `build` (cargo does nothing
    /// when its code did not change), and starts it again; the others keep serving.
    fn restart(&self, i: usize, u: &mut Unit, build: bool, stop: &AtomicBool) {
        let (out, color) = (&self.out, self.color);
        out.status("Restarting", &u.name, color);
        stop_all(std::slice::from_mut(u));
        let mut result = Ok(());
        if build {
            let mut cargo = cargo_build(&self.workspace, &self.target_dir, self.profile);
            cargo
                .args(["--bin", &u.binary])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            result = match cargo.status() {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => Err(format!("cargo build of {} failed ({s})", u.binary)),
                Err(e) => Err(format!("cannot run cargo: {e}")),
            };
        }
        let result = result
            .and_then(|()| self.launch(i, u))
            .and_then(|()| wait_ready(u, stop));
        if let Some(hub) = &self.hub {
            hub.update(&u.name, |p| {
                p.restarting = false;
                p.restarts += 1;
            });
        }
        match result {
            Ok(()) => out.status("Ready", &format!("{} again", u.name), color),
            Err(e) => out.status("Failed", &format!("restarting {}: {e}", u.name), color),
        }
    }
}

/// The system's data folder (`<workspace>/data`, absolute), created with a `.gitignore` that
/// keeps the databases out of version control; emptied first with `fresh`.
fn data_dir(workspace: &Path, fresh: bool, color: bool) -> Result<PathBuf, String> {
    let data = std::path::absolute(workspace.join("data"))
        .map_err(|e| format!("cannot resolve the data folder: {e}"))?;
    if fresh && data.exists() {
        std::fs::remove_dir_all(&data)
            .map_err(|e| format!("cannot empty {}: {e}", data.display()))?;
        status("Emptied", &data.display().to_string(), color);
    }
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let ignore = data.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# Databases of `svcgen up`: not for version control.\n*\n",
        )
        .map_err(|e| format!("cannot write {}: {e}", ignore.display()))?;
    }
    Ok(data)
}

/// Services after the ones they depend on, so each starts with its dependencies ready.
fn order(system: &System) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    fn visit<'s>(name: &'s str, system: &'s System, out: &mut Vec<&'s str>) {
        if out.contains(&name) {
            return;
        }
        for d in &system.services[name].depends_on {
            visit(&d.service, system, out);
        }
        out.push(name);
    }
    for name in system.services.keys() {
        visit(name, system, &mut out);
    }
    out
}

fn wait_ready(u: &mut Unit, stop: &AtomicBool) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = SocketAddr::from(([127, 0, 0, 1], u.port));
    while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        if let Some(child) = &mut u.child
            && let Ok(Some(exit)) = child.try_wait()
        {
            return Err(format!("{} exited before it was ready ({exit})", u.name));
        }
        if is_ready(addr) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "{} was not ready on port {} within 30 s",
        u.name, u.port
    ))
}

fn is_ready(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    std::io::Read::read_exact(&mut stream, &mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// SIGTERM to every child (each finishes its in-flight requests), then a kill after
/// [`STOP_TIMEOUT`].
fn stop_all(units: &mut [Unit]) {
    for u in units.iter() {
        if let Some(child) = &u.child {
            terminate(child.id());
        }
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    for u in units.iter_mut() {
        if let Some(mut child) = u.child.take() {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

/// Asks a child to stop (SIGTERM): it finishes its in-flight requests, then exits.
fn terminate(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
}

fn status(word: &str, text: &str, color: bool) {
    println!("{} {text}", crate::status(word, color, crate::Style::Good));
}

/// Where cargo puts the binaries of `workspace`: `CARGO_TARGET_DIR` when set (shared by every
/// workspace, so dependencies are built once), else the workspace's own `target/`.
pub fn target_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
}
