// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `messaging` service: every applicant's inbox, in memory.

use crate::api::InboxQuery;
use crate::deps::Deps;
use crate::server::{Api, Context, InboxError, SendMessageError};
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{ApplicantId, OutgoingMessage, Thread};

/// The `messaging` service.
pub struct Messaging {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    messages: Mutex<Vec<Thread>>,
}

impl Messaging {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            messages: Mutex::default(),
        }
    }
}

impl Api for Messaging {
    async fn send_message(
        &self,
        _cx: Context,
        body: OutgoingMessage,
    ) -> Result<Thread, SendMessageError> {
        let thread = Thread {
            id: Uuid::new_v4(),
            applicant_id: body.applicant_id,
            kind: body.kind,
            text: body.text,
            sent_at: Utc::now(),
            in_reply_to: None,
        };
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(thread.clone());
        Ok(thread)
    }

    async fn inbox(
        &self,
        _cx: Context,
        applicant_id: ApplicantId,
        query: InboxQuery,
    ) -> Result<Vec<Thread>, InboxError> {
        let messages = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(messages
            .iter()
            .filter(|m| m.applicant_id == applicant_id && query.kind.is_none_or(|k| m.kind == k))
            .cloned()
            .collect())
    }
}
