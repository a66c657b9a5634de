// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `notification` service: "emails" customers by logging them and recording
//! them in the service's own database.

use crate::deps::Deps;
use crate::server::{Api, Caller, Context, SendError};
use crate::store::Store;
use types::uuid::Uuid;
use types::{Delivery, Message};

/// The `notification` service.
pub struct Notification {
    /// The service's own database.
    pub store: Store,
}

impl Notification {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Notification {
    async fn send(
        &self,
        _cx: Context,
        _caller: Caller,
        body: Message,
    ) -> Result<Delivery, SendError> {
        let delivery = Delivery {
            id: Uuid::new_v4(),
            to: body.to,
            sent_at: runtime::store::now(),
        };
        self.store.deliveries().insert(&delivery).await?;
        runtime::tracing::info!(to = %delivery.to, subject = %body.subject, "email sent");
        Ok(delivery)
    }
}
