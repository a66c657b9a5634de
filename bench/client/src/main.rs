//! `GET /users/{id}` called `N` times, one call after the other on one keep-alive connection,
//! with the shop's generated typed client (`shop_users::client`: its policy's deadline and
//! retries, circuit breaker, request id, problem decoding) or with plain reqwest doing what a
//! careful caller does by hand (the same pool settings and deadline, the status checked, the
//! body decoded into the same `User`). Both send the staff key in `$STAFF_KEY`. Counted by
//! `bench/instr-client.sh` under callgrind.
//!
//! Usage: `bench-client generated|reqwest BASE_URL USER_ID N`

use shop_users::client::Client;
use shop_users::runtime::client::Policy;
use shop_users::types::User;
use shop_users::types::uuid::Uuid;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(base), Some(id), Some(n)) = (
        args.get(1),
        args.get(2),
        args.get(3).and_then(|i| i.parse::<Uuid>().ok()),
        args.get(4).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: bench-client generated|reqwest BASE_URL USER_ID N");
        return ExitCode::FAILURE;
    };
    let key = std::env::var("STAFF_KEY").unwrap_or_default();
    let policy = Policy::default();
    let done = match mode.as_str() {
        "generated" => generated(base, &key, policy, &id, n).await,
        "reqwest" => by_hand(base, &key, policy, &id, n).await,
        _ => Err(format!("unknown mode `{mode}`")),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn generated(
    base: &str,
    key: &str,
    policy: Policy,
    id: &Uuid,
    n: usize,
) -> Result<(), String> {
    let client = Client::new(base, policy)
        .and_then(|c| c.with_api_key(key))
        .map_err(|e| e.to_string())?;
    for _ in 0..n {
        let user = client.get_user(id).await.map_err(|e| e.to_string())?;
        std::hint::black_box(user);
    }
    Ok(())
}

async fn by_hand(base: &str, key: &str, policy: Policy, id: &Uuid, n: usize) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .connect_timeout(policy.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    for _ in 0..n {
        let answer = client
            .get(format!("{base}/users/{id}"))
            .header("x-api-key", key)
            .timeout(policy.timeout)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if answer.status() != 200 {
            return Err(format!("answered {}", answer.status()));
        }
        let body = answer.bytes().await.map_err(|e| e.to_string())?;
        let user: User = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        std::hint::black_box(user);
    }
    Ok(())
}
