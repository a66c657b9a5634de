//! The `users` service of the shop as svcgen generates it (the macro front end expands the
//! same code `svcgen generate` writes), with the in-memory store of `bench-handwritten`
//! instead of a database: what is compared is the generated per-request stack (request id,
//! span, timeout, panic catching, validated inputs, problem answers, the caller's check) against
//! bare axum. The shop's auth schemes are installed as in a generated crate (`AUTH_*`).

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

mod users {
    svcgen_macros::service!("../../specs/shop.toml", "users");
}

use users::server::{Api, Caller, Context, CreateUserError, GetUserError};
use users::types::uuid::Uuid;
use users::types::{NewUser, NotFound, User};

#[derive(Default)]
struct Users {
    users: Mutex<HashMap<Uuid, User>>,
}

impl Api for Users {
    async fn create_user(&self, _cx: Context, body: NewUser) -> Result<User, CreateUserError> {
        let user = User {
            id: Uuid::new_v4(),
            name: body.name,
            email: body.email,
            nickname: body.nickname,
            created_at: users::types::chrono::Utc::now(),
        };
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user.id, user.clone());
        Ok(user)
    }

    async fn get_user(
        &self,
        _cx: Context,
        _caller: Caller,
        id: Uuid,
    ) -> Result<User, GetUserError> {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
            .ok_or_else(|| NotFound::new("no such user").into())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Logging, and OpenTelemetry export when OTEL_EXPORTER_OTLP_ENDPOINT asks for it, as the
    // generated main sets them up.
    let _telemetry = match users::runtime::telemetry::init(users::api::SERVICE) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = users::runtime::auth::install(users::server::AUTH_SCHEMES) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let settings = users::runtime::server::Settings {
        service: users::api::SERVICE,
        default_port: users::api::DEFAULT_PORT,
        request_timeout: users::server::REQUEST_TIMEOUT,
    };
    let router = users::server::router(Arc::new(Users::default()));
    users::runtime::server::serve(settings, router).await
}
