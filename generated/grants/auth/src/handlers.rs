// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `auth` service: applicant accounts and session tokens, kept in the service's
//! own database; a new account publishes `applicant.registered` in its transaction. (An
//! example: a production service stores password hashes, e.g. argon2, never the passwords.)

use crate::deps::Deps;
use crate::server::{Api, Context, LoginError, RegisterError, VerifyError};
use crate::store::{Accounts, Store};
use types::chrono::Duration;
use types::uuid::Uuid;
use types::{
    Account, ApplicantId, ApplicantRegistered, Credentials, Registration, Session, Unauthorized,
};

/// Attempts at drawing an applicant id no account has.
const ID_ATTEMPTS: usize = 8;

/// The `auth` service.
pub struct Auth {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    /// The service's own database.
    pub store: Store,
}

impl Auth {
    /// The handlers, with their dependencies and their store.
    pub fn new(deps: Deps, store: Store) -> Self {
        Self { deps, store }
    }

    async fn open_session(
        &self,
        applicant_id: ApplicantId,
    ) -> Result<Session, runtime::store::Error> {
        let session = Session {
            token: Uuid::new_v4().simple().to_string(),
            applicant_id,
            expires_at: runtime::store::now() + Duration::hours(8),
        };
        self.store.sessions().insert(&session).await?;
        Ok(session)
    }
}

/// A random applicant id, `APP-` and six digits.
fn draw_applicant_id() -> ApplicantId {
    let n = Uuid::new_v4().as_u128() % 1_000_000;
    ApplicantId(format!("APP-{n:06}"))
}

impl Api for Auth {
    /// A second account for an email is refused by the store's unique constraint, which the
    /// spec maps to `EmailInUse` (409); an applicant id drawn twice (the key) is drawn again.
    async fn register(&self, _cx: Context, body: Registration) -> Result<Session, RegisterError> {
        let mut account = Account {
            email: body.email.to_lowercase(),
            applicant_id: draw_applicant_id(),
            full_name: body.full_name,
            password: body.password,
        };
        let mut attempt = 1;
        loop {
            // The account and its event commit together.
            let mut tx = self.store.begin().await?;
            match tx.accounts().insert(&account).await {
                Err(e) if attempt < ID_ATTEMPTS && e.violates(&Accounts::PRIMARY_KEY) => {
                    drop(tx); // rolled back
                    account.applicant_id = draw_applicant_id();
                    attempt += 1;
                    continue;
                }
                inserted => inserted?,
            }
            tx.publish_applicant_registered(&ApplicantRegistered {
                applicant_id: account.applicant_id.clone(),
                registered_at: runtime::store::now(),
            })
            .await?;
            tx.commit().await?;
            return Ok(self.open_session(account.applicant_id).await?);
        }
    }

    async fn login(&self, _cx: Context, body: Credentials) -> Result<Session, LoginError> {
        let email = body.email.to_lowercase();
        match self.store.accounts().find_by_email(&email).await? {
            Some(account) if account.password == body.password => {
                Ok(self.open_session(account.applicant_id).await?)
            }
            _ => Err(Unauthorized::new("unknown email or wrong password").into()),
        }
    }

    async fn verify(&self, _cx: Context, x_session_token: String) -> Result<Session, VerifyError> {
        match self.store.sessions().get(&x_session_token).await? {
            Some(session) if session.expires_at > runtime::store::now() => Ok(session),
            Some(_) => Err(Unauthorized::new("the session has expired").into()),
            None => Err(Unauthorized::new("unknown session token").into()),
        }
    }
}
