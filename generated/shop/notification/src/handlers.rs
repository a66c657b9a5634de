// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `notification` service: "sends" messages by recording them in the
//! service's own database, and confirms every order placed (`order.placed`).

use crate::deps::Deps;
use crate::server::{Api, Caller, Context, HandlerError, ListForUserError, Meta, SendError};
use crate::store::{Store, Transaction};
use types::uuid::Uuid;
use types::{Channel, Forbidden, Notification, OrderPlaced, SentNotification};

/// Records read from the store per query when listing a customer's notifications.
const PAGE: u32 = 100;

/// The `notification` service.
pub struct Notifications {
    /// The service's own database.
    pub store: Store,
}

impl Notifications {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Notifications {
    async fn send(
        &self,
        _cx: Context,
        _caller: Caller,
        body: Notification,
    ) -> Result<SentNotification, SendError> {
        let sent = SentNotification {
            id: Uuid::new_v4(),
            user_id: body.user_id,
            channel: body.channel,
            subject: body.subject,
            sent_at: runtime::store::now(),
        };
        self.store.notifications().insert(&sent).await?;
        runtime::tracing::info!(user = %sent.user_id, subject = %sent.subject, "notification sent");
        Ok(sent)
    }

    /// The order's confirmation, recorded in the transaction that marks the event handled:
    /// an event delivered twice confirms once.
    async fn on_order_placed(
        &self,
        meta: Meta,
        event: OrderPlaced,
        tx: &mut Transaction,
    ) -> Result<(), HandlerError> {
        let sent = SentNotification {
            id: Uuid::new_v4(),
            user_id: event.user_id,
            channel: Channel::Email,
            subject: format!("Order {} placed", event.order_id),
            sent_at: runtime::store::now(),
        };
        tx.notifications().insert(&sent).await?;
        runtime::tracing::info!(
            user = %sent.user_id,
            order = %event.order_id,
            event = %meta.id,
            "order confirmed to {} ({} cents)",
            event.user_name,
            event.total_cents
        );
        Ok(())
    }

    /// Every notification of the customer, oldest first, read page by page through the
    /// store's index on `user_id`. A customer reads only their own; staff read any.
    async fn list_for_user(
        &self,
        _cx: Context,
        caller: Caller,
        user_id: Uuid,
    ) -> Result<Vec<SentNotification>, ListForUserError> {
        if caller.scheme == "customer" && caller.subject != user_id.to_string() {
            return Err(Forbidden::new("a customer reads only their own notifications").into());
        }
        let mut all = Vec::new();
        loop {
            let after = all.last().map(|n: &SentNotification| n.id);
            let page = self
                .store
                .notifications()
                .list_by_user_id(&user_id, after.as_ref(), PAGE)
                .await?;
            let done = page.len() < PAGE as usize;
            all.extend(page);
            if done {
                all.sort_by_key(|n| n.sent_at);
                return Ok(all);
            }
        }
    }
}
