// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `users` service: customers kept in memory.

use crate::deps::Deps;
use crate::server::{Api, Context, CreateUserError, GetUserError};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{EmailTaken, NewUser, NotFound, User};

/// The `users` service.
pub struct Users {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    users: Mutex<HashMap<Uuid, User>>,
}

impl Users {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            users: Mutex::default(),
        }
    }
}

impl Api for Users {
    async fn create_user(&self, _cx: Context, body: NewUser) -> Result<User, CreateUserError> {
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = body.email.0.to_lowercase();
        if users.values().any(|u| u.email.0.to_lowercase() == taken) {
            return Err(EmailTaken::new(format!("{} is already registered", body.email)).into());
        }
        let user = User {
            id: Uuid::new_v4(),
            name: body.name,
            email: body.email,
            nickname: body.nickname,
            created_at: Utc::now(),
        };
        users.insert(user.id, user.clone());
        Ok(user)
    }

    async fn get_user(&self, _cx: Context, id: Uuid) -> Result<User, GetUserError> {
        let users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        users
            .get(&id)
            .cloned()
            .ok_or_else(|| NotFound::new(format!("no user {id}")).into())
    }
}
