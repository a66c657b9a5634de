// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `messaging` service: every applicant's inbox, kept in the service's own
//! database. Each endpoint acts for the signed-in applicant (their token, which `payment`
//! forwards when it tells them about a fee): a message to or an inbox of anyone else is
//! `Forbidden`.

use crate::api::InboxQuery;
use crate::deps::Deps;
use crate::server::{Api, Caller, Context, InboxError, SendMessageError};
use crate::store::Store;
use types::uuid::Uuid;
use types::{ApplicantClaims, ApplicantId, Forbidden, OutgoingMessage, Thread};

/// The most messages one inbox answer holds.
const MAX_LISTED: u32 = 1000;

/// The `messaging` service.
pub struct Messaging {
    /// The service's own database.
    pub store: Store,
}

impl Messaging {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Messaging {
    async fn send_message(
        &self,
        _cx: Context,
        caller: Caller<ApplicantClaims>,
        body: OutgoingMessage,
    ) -> Result<Thread, SendMessageError> {
        if caller.claims.applicant_id != body.applicant_id {
            return Err(Forbidden::new("a message for another applicant").into());
        }
        let thread = Thread {
            id: Uuid::new_v4(),
            applicant_id: body.applicant_id,
            kind: body.kind,
            text: body.text,
            sent_at: runtime::store::now(),
            in_reply_to: None,
        };
        self.store.messages().insert(&thread).await?;
        Ok(thread)
    }

    /// The applicant's messages, oldest first (at most 1000), through the store's index.
    async fn inbox(
        &self,
        _cx: Context,
        caller: Caller<ApplicantClaims>,
        applicant_id: ApplicantId,
        query: InboxQuery,
    ) -> Result<Vec<Thread>, InboxError> {
        if caller.claims.applicant_id != applicant_id {
            return Err(Forbidden::new("another applicant's inbox").into());
        }
        let mut messages = self
            .store
            .messages()
            .list_by_applicant_id(&applicant_id, None, MAX_LISTED)
            .await?;
        messages.retain(|m| query.kind.is_none_or(|k| m.kind == k));
        messages.sort_by_key(|m| m.sent_at);
        Ok(messages)
    }
}
