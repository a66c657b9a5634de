// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `auth` service: applicant accounts and session tokens, in memory.
//! (A production service would store password hashes, e.g. argon2, never the passwords.)

use crate::deps::Deps;
use crate::server::{Api, Context, LoginError, RegisterError, VerifyError};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use types::chrono::{Duration, Utc};
use types::uuid::Uuid;
use types::{ApplicantId, Credentials, EmailInUse, Registration, Session, Unauthorized};

struct Account {
    applicant_id: ApplicantId,
    password: String,
}

#[derive(Default)]
struct State {
    accounts: HashMap<String, Account>,
    sessions: HashMap<String, Session>,
}

/// The `auth` service.
pub struct Auth {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    state: Mutex<State>,
}

impl Auth {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            state: Mutex::default(),
        }
    }
}

fn open_session(state: &mut State, applicant_id: ApplicantId) -> Session {
    let session = Session {
        token: Uuid::new_v4().simple().to_string(),
        applicant_id,
        expires_at: Utc::now() + Duration::hours(8),
    };
    state
        .sessions
        .insert(session.token.clone(), session.clone());
    session
}

impl Api for Auth {
    async fn register(&self, _cx: Context, body: Registration) -> Result<Session, RegisterError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let email = body.email.to_lowercase();
        if state.accounts.contains_key(&email) {
            return Err(EmailInUse::new(format!("{email} already has an account")).into());
        }
        let applicant_id = ApplicantId(format!("APP-{:06}", state.accounts.len() + 1));
        state.accounts.insert(
            email,
            Account {
                applicant_id: applicant_id.clone(),
                password: body.password,
            },
        );
        Ok(open_session(&mut state, applicant_id))
    }

    async fn login(&self, _cx: Context, body: Credentials) -> Result<Session, LoginError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let applicant_id = match state.accounts.get(&body.email.to_lowercase()) {
            Some(account) if account.password == body.password => account.applicant_id.clone(),
            _ => return Err(Unauthorized::new("unknown email or wrong password").into()),
        };
        Ok(open_session(&mut state, applicant_id))
    }

    async fn verify(&self, _cx: Context, x_session_token: String) -> Result<Session, VerifyError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state.sessions.get(&x_session_token) {
            Some(session) if session.expires_at > Utc::now() => Ok(session.clone()),
            Some(_) => Err(Unauthorized::new("the session has expired").into()),
            None => Err(Unauthorized::new("unknown session token").into()),
        }
    }
}
