// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `notification` service: "emails" customers by logging and recording them.

use crate::deps::Deps;
use crate::server::{Api, Context, SendError};
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{Delivery, Message};

/// The `notification` service.
pub struct Notification {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    sent: Mutex<Vec<Delivery>>,
}

impl Notification {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            sent: Mutex::default(),
        }
    }
}

impl Api for Notification {
    async fn send(&self, _cx: Context, body: Message) -> Result<Delivery, SendError> {
        let delivery = Delivery {
            id: Uuid::new_v4(),
            to: body.to,
            sent_at: Utc::now(),
        };
        runtime::tracing::info!(to = %delivery.to, subject = %body.subject, "email sent");
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(delivery.clone());
        Ok(delivery)
    }
}
