//! Runs the services of an example system as real processes on loopback ports, wired only
//! through the registry's environment variables.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Builds the binaries of every example system and of the hostile fixture once per test
/// process. Each system is a cargo workspace of its own; they share one target directory, so
/// dependencies are built once.
pub fn build_binaries() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let hostile = crate::repo().join("tests/hostile/generated/hostile");
        for system in crate::systems().into_iter().chain([hostile]) {
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

/// One running service process.
pub struct Service {
    /// The binary name (package name).
    pub binary: String,
    /// The port it listens on.
    pub port: u16,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Service {
    /// The base URL of the service.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process and waits until `/readyz` answers 200.
    pub fn start(&mut self) {
        build_binaries();
        let log_dir = target_dir().join("e2e-logs");
        let _ = std::fs::create_dir_all(&log_dir);
        let log = std::fs::File::create(log_dir.join(format!("{}-{}.log", self.binary, self.port)))
            .expect("log file");
        let child = Command::new(target_dir().join("debug").join(&self.binary))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PORT", self.port.to_string())
            .env("HOST", "127.0.0.1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary));
        self.child = Some(child);
        wait_ready(&self.url(), &self.binary);
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

/// The services of one system, each on a free port, each told where the others are.
pub struct System {
    /// Services by spec name.
    pub services: BTreeMap<String, Service>,
}

impl System {
    /// Starts `services` (spec name, binary, URL variable) with every `*_URL` variable set.
    pub fn start(services: &[(&str, &str, &str)]) -> System {
        let ports: Vec<u16> = services.iter().map(|_| free_port()).collect();
        let env: Vec<(String, String)> = services
            .iter()
            .zip(&ports)
            .map(|((_, _, var), port)| ((*var).to_owned(), format!("http://127.0.0.1:{port}")))
            .collect();
        let mut map = BTreeMap::new();
        for ((name, binary, _), port) in services.iter().zip(ports) {
            let mut s = Service {
                binary: (*binary).to_owned(),
                port,
                env: env.clone(),
                child: None,
            };
            s.start();
            map.insert((*name).to_owned(), s);
        }
        System { services: map }
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

/// A raw HTTP request for bad-input tests: returns status, headers and the body as JSON.
pub async fn raw(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().expect("a method"), url);
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
