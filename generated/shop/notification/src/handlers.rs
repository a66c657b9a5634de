// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `notification` service: "sends" messages by recording them.

use crate::deps::Deps;
use crate::server::{Api, Context, ListForUserError, SendError};
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{Notification, SentNotification};

/// The `notification` service.
pub struct Notifications {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    sent: Mutex<Vec<SentNotification>>,
}

impl Notifications {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            sent: Mutex::default(),
        }
    }
}

impl Api for Notifications {
    async fn send(&self, _cx: Context, body: Notification) -> Result<SentNotification, SendError> {
        let sent = SentNotification {
            id: Uuid::new_v4(),
            user_id: body.user_id,
            channel: body.channel,
            subject: body.subject,
            sent_at: Utc::now(),
        };
        runtime::tracing::info!(user = %sent.user_id, subject = %sent.subject, "notification sent");
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sent.clone());
        Ok(sent)
    }

    async fn list_for_user(
        &self,
        _cx: Context,
        user_id: Uuid,
    ) -> Result<Vec<SentNotification>, ListForUserError> {
        let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(sent
            .iter()
            .filter(|n| n.user_id == user_id)
            .cloned()
            .collect())
    }
}
