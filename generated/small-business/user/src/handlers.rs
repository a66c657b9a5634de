// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `user` service: business accounts, in memory.

use crate::deps::Deps;
use crate::server::{Api, Context, GetBusinessError, RegisterBusinessError};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use types::uuid::Uuid;
use types::{Business, BusinessNotFound, NewBusiness, TaxIdTaken};

/// The `user` service.
pub struct User {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    businesses: Mutex<HashMap<Uuid, Business>>,
}

impl User {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            businesses: Mutex::default(),
        }
    }
}

impl Api for User {
    async fn register_business(
        &self,
        _cx: Context,
        body: NewBusiness,
    ) -> Result<Business, RegisterBusinessError> {
        let mut businesses = self
            .businesses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if businesses.values().any(|b| b.tax_id == body.tax_id) {
            return Err(
                TaxIdTaken::new(format!("tax id {} is already registered", body.tax_id)).into(),
            );
        }
        let business = Business {
            id: Uuid::new_v4(),
            legal_name: body.legal_name,
            tax_id: body.tax_id,
            size: body.size,
            contact_email: body.contact_email,
            website: body.website,
        };
        businesses.insert(business.id, business.clone());
        Ok(business)
    }

    async fn get_business(&self, _cx: Context, id: Uuid) -> Result<Business, GetBusinessError> {
        let businesses = self
            .businesses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        businesses
            .get(&id)
            .cloned()
            .ok_or_else(|| BusinessNotFound::new(format!("no business {id}")).into())
    }
}
