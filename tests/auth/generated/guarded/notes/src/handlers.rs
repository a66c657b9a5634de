// Written once by svcgen from spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `notes` service: each guarded handler counts its runs, so a test can prove a
//! refused request never reached one, and answers with the caller it was handed.

use crate::server::Caller;
use crate::server::{Api, Context, ReadNotesError, RunsError, WhoamiError, WriteNoteError};
use std::sync::atomic::{AtomicI64, Ordering};

use super::deps::Deps;

/// The `notes` service.
pub struct Notes {
    /// How many times a guarded handler ran.
    runs: AtomicI64,
}

impl Notes {
    /// The handlers, with their dependencies.
    pub fn new(_deps: Deps) -> Self {
        Self {
            runs: AtomicI64::new(0),
        }
    }

    /// Counts a run and describes `caller`.
    fn saw<C>(&self, caller: &Caller<C>, tenant: Option<String>) -> types::Caller {
        self.runs.fetch_add(1, Ordering::SeqCst);
        types::Caller {
            subject: caller.subject.clone(),
            scheme: caller.scheme.to_owned(),
            scopes: caller.scopes.clone(),
            tenant,
        }
    }
}

impl Api for Notes {
    async fn runs(&self, _cx: Context) -> Result<types::Runs, RunsError> {
        Ok(types::Runs {
            runs: self.runs.load(Ordering::SeqCst),
        })
    }

    async fn whoami(&self, _cx: Context, caller: Caller) -> Result<types::Caller, WhoamiError> {
        Ok(self.saw(&caller, None))
    }

    async fn read_notes(
        &self,
        _cx: Context,
        caller: Caller,
    ) -> Result<types::Caller, ReadNotesError> {
        Ok(self.saw(&caller, None))
    }

    async fn write_note(
        &self,
        _cx: Context,
        caller: Caller<types::UserClaims>,
        _body: types::NewNote,
    ) -> Result<types::Caller, WriteNoteError> {
        let tenant = caller.claims.tenant.clone();
        Ok(self.saw(&caller, Some(tenant)))
    }
}
