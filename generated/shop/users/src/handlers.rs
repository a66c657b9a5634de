// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `users` service: customers, kept in the service's own database.

use crate::deps::Deps;
use crate::server::{Api, Caller, Context, CreateUserError, GetUserError};
use crate::store::Store;
use types::uuid::Uuid;
use types::{Forbidden, NewUser, NotFound, User};

/// The `users` service.
pub struct Users {
    /// The service's own database.
    pub store: Store,
}

impl Users {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Users {
    /// A second registration of an email address is refused by the store's unique
    /// constraint, which the spec maps to `EmailTaken` (409).
    async fn create_user(&self, _cx: Context, body: NewUser) -> Result<User, CreateUserError> {
        let user = User {
            id: Uuid::new_v4(),
            name: body.name,
            email: body.email,
            nickname: body.nickname,
            created_at: runtime::store::now(),
        };
        self.store.users().insert(&user).await?;
        Ok(user)
    }

    /// A customer reads only their own record (their token's subject is their id); staff read
    /// any.
    async fn get_user(&self, _cx: Context, caller: Caller, id: Uuid) -> Result<User, GetUserError> {
        if !acts_for(&caller, &id) {
            return Err(Forbidden::new("a customer reads only their own record").into());
        }
        self.store
            .users()
            .get(&id)
            .await?
            .ok_or_else(|| NotFound::new(format!("no user {id}")).into())
    }
}

/// Whether `caller` may act for the customer `id`: a customer only for themself, staff for
/// anyone.
fn acts_for(caller: &Caller, id: &Uuid) -> bool {
    caller.scheme != "customer" || caller.subject == id.to_string()
}
