//! `svcgen up` of a spec that is not one of this repository's, run from its own folder with
//! nothing written by hand: it is generated as a workspace of its own (runtime vendored, no
//! `svcgen.toml`), built, run and stopped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SPEC: &str = r#"
[system]
name = "outside"

[services.echo]
port = 9391

[services.echo.endpoints.say]
method = "POST"
path = "/say"
request = "string"
response = "string"
"#;

#[test]
fn up_runs_a_spec_from_anywhere() {
    let target = svcgen_tests::e2e::target_dir();

    // Outside the repository's tree of specs and outputs; kept between runs (under the target
    // directory) so cargo reuses what it built for this path.
    let dir = target.join("up-external");
    // The system is generated afresh, as a new user's would be: owned files (`main.rs`,
    // `handlers.rs`) left by an older svcgen are never rewritten.
    let _ = std::fs::remove_dir_all(dir.join("gen"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("outside.toml"), SPEC).unwrap();
    let mut up = Command::new(svcgen_tests::e2e::svcgen_binary())
        .args(["up", "outside.toml", "--out", "gen"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("svcgen runs");
    let stdout = up.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Generation, a cold build of the system (its vendored runtime included) and the start.
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut url = None;
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("svcgen up reports readiness");
        if line.trim_start().starts_with("echo ") && line.contains("http://127.0.0.1:") {
            url = line.split_whitespace().nth(1).map(str::to_owned);
        }
        if line.contains("Running outside") {
            break;
        }
    }
    let url = url.expect("the table lists the echo service");

    let system = dir.join("gen/outside");
    assert!(
        system.join("Cargo.toml").is_file(),
        "a workspace of its own"
    );
    assert!(
        system.join("Cargo.lock").is_file(),
        "cargo wrote its lock file"
    );
    assert!(
        system.join("runtime/src/server.rs").is_file(),
        "the runtime is vendored"
    );

    // The scaffold answers: input validated, then 501 until implemented.
    assert_eq!(post_status(&url, "/say", "\"hi\""), 501);
    assert_eq!(
        post_status(&url, "/say", "42"),
        422,
        "a body of the wrong type"
    );

    svcgen_tests::e2e::terminate_up(&mut up);
}

/// The status of a `POST` with a JSON body, over a plain TCP connection.
fn post_status(url: &str, path: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("the service listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}
