// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `user` service: business accounts, kept in the service's own database,
//! with the history of their grants being looked at (`grant.viewed`, published by `grant`).

use crate::deps::Deps;
use crate::server::{
    Api, Context, GetBusinessError, HandlerError, ListGrantViewsError, Meta, RegisterBusinessError,
};
use crate::store::{Store, Transaction};
use types::uuid::Uuid;
use types::{Business, BusinessNotFound, GrantView, GrantViewed, NewBusiness};

/// The most readings one list answers with.
const MAX_LISTED: u32 = 1000;

/// The `user` service.
pub struct User {
    /// The service's own database.
    pub store: Store,
}

impl User {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for User {
    /// A tax id registered twice is refused by the store's unique constraint, which the spec
    /// maps to `TaxIdTaken` (409).
    async fn register_business(
        &self,
        _cx: Context,
        body: NewBusiness,
    ) -> Result<Business, RegisterBusinessError> {
        let business = Business {
            id: Uuid::new_v4(),
            legal_name: body.legal_name,
            tax_id: body.tax_id,
            size: body.size,
            contact_email: body.contact_email,
            website: body.website,
        };
        self.store.businesses().insert(&business).await?;
        Ok(business)
    }

    async fn get_business(&self, _cx: Context, id: Uuid) -> Result<Business, GetBusinessError> {
        self.store
            .businesses()
            .get(&id)
            .await?
            .ok_or_else(|| BusinessNotFound::new(format!("no business {id}")).into())
    }

    async fn list_grant_views(
        &self,
        _cx: Context,
        id: Uuid,
    ) -> Result<Vec<GrantView>, ListGrantViewsError> {
        let mut views = self
            .store
            .grant_views()
            .list_by_business_id(&id, None, MAX_LISTED)
            .await?;
        views.sort_by_key(|v| v.viewed_at);
        Ok(views)
    }

    /// Each reading kept once: its id is the event's, and the record commits with the event's
    /// inbox row.
    async fn on_grant_viewed(
        &self,
        meta: Meta,
        event: GrantViewed,
        tx: &mut Transaction,
    ) -> Result<(), HandlerError> {
        let view = GrantView {
            id: meta.id,
            grant_id: event.grant_id,
            business_id: event.business_id,
            status: event.status,
            viewed_at: event.viewed_at,
        };
        tx.grant_views().insert(&view).await?;
        Ok(())
    }
}
