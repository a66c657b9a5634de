// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `auth` service: applicant accounts, their passwords as argon2id hashes
//! (never the passwords), sign-in with a lock after repeated failures, and sessions: a
//! short-lived access token signed with the service's key (EdDSA; the public keys are served at
//! `/.well-known/jwks.json`, where every other service fetches them) and a refresh token, kept
//! only as its SHA-256 hash and used once. A new account publishes `applicant.registered` in
//! its transaction.

use crate::deps::Deps;
use crate::server::{
    APPLICANT_TOKENS, Api, Caller, Context, LoginError, LogoutError, RefreshError, RegisterError,
};
use crate::store::{Accounts, Store};
use runtime::Problem;
use std::sync::OnceLock;
use types::chrono::Duration;
use types::uuid::Uuid;
use types::{
    Account, ApplicantClaims, ApplicantId, ApplicantRegistered, Credentials, Password, Refresh,
    RefreshToken, Registration, Session, TooManyAttempts, Unauthorized,
};

/// Attempts at drawing an applicant id no account has.
const ID_ATTEMPTS: usize = 8;
/// How long an access token is accepted.
const ACCESS_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// How long a refresh token can be traded for a new session.
const REFRESH_DAYS: i64 = 30;
/// Failed sign-ins in a row that lock an account.
const MAX_FAILED: i32 = 5;
/// How long a locked account refuses sign-ins.
const LOCK_MINUTES: i64 = 15;
/// Refresh tokens revoked per query when signing out.
const REVOKE_BATCH: u32 = 500;

/// The `auth` service.
pub struct Auth {
    /// The service's own database.
    pub store: Store,
}

impl Auth {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }

    /// A new session: an access token for the applicant and a refresh token, whose hash is
    /// kept.
    async fn open_session(&self, applicant_id: ApplicantId) -> Result<Session, Problem> {
        let claims = ApplicantClaims {
            applicant_id: applicant_id.clone(),
        };
        let access =
            APPLICANT_TOKENS.issue(&applicant_id.0, &["applicant"], &claims, ACCESS_LIFETIME)?;
        let refresh_token = runtime::issuer::random_secret(32)?;
        self.store
            .refresh_tokens()
            .insert(&RefreshToken {
                token_hash: runtime::auth::key_hash(&refresh_token),
                applicant_id: applicant_id.clone(),
                expires_at: runtime::store::now() + Duration::days(REFRESH_DAYS),
            })
            .await?;
        Ok(Session {
            access_token: access.token,
            expires_at: access.expires_at,
            refresh_token,
            applicant_id,
        })
    }
}

/// A random applicant id, `APP-` and six digits.
fn draw_applicant_id() -> ApplicantId {
    let n = Uuid::new_v4().as_u128() % 1_000_000;
    ApplicantId(format!("APP-{n:06}"))
}

/// The argon2id hash of `password`, made on a blocking thread (it takes tens of milliseconds
/// on purpose).
async fn hash(password: String) -> Result<String, Problem> {
    tokio::task::spawn_blocking(move || runtime::issuer::hash_password(&password))
        .await
        .map_err(|_| Problem::new(500, "Internal server error"))?
        .map_err(Problem::from)
}

/// Whether `password` matches `hash`, checked on a blocking thread.
async fn matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || runtime::issuer::verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A hash no password matches, checked for unknown emails so that a sign-in takes as long
/// whether or not the account exists.
fn decoy_hash() -> String {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY
        .get_or_init(|| {
            runtime::issuer::hash_password(&Uuid::new_v4().to_string()).unwrap_or_default()
        })
        .clone()
}

impl Api for Auth {
    /// A second account for an email is refused by the store's unique constraint, which the
    /// spec maps to `EmailInUse` (409); an applicant id drawn twice (the key) is drawn again.
    async fn register(&self, _cx: Context, body: Registration) -> Result<Session, RegisterError> {
        let password_hash = hash(body.password).await?;
        let mut account = Account {
            email: body.email.to_lowercase(),
            applicant_id: draw_applicant_id(),
            full_name: body.full_name,
        };
        let mut attempt = 1;
        loop {
            // The account, its password and its event commit together.
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
            tx.passwords()
                .insert(&Password {
                    applicant_id: account.applicant_id.clone(),
                    hash: password_hash.clone(),
                    failed_attempts: 0,
                    locked_until: None,
                })
                .await?;
            tx.publish_applicant_registered(&ApplicantRegistered {
                applicant_id: account.applicant_id.clone(),
                registered_at: runtime::store::now(),
            })
            .await?;
            tx.commit().await?;
            return Ok(self.open_session(account.applicant_id).await?);
        }
    }

    /// Five failures in a row lock the account for 15 minutes; a success clears the count.
    async fn login(&self, _cx: Context, body: Credentials) -> Result<Session, LoginError> {
        let refused = || Unauthorized::new("unknown email or wrong password");
        let email = body.email.to_lowercase();
        let Some(account) = self.store.accounts().find_by_email(&email).await? else {
            matches(body.password, decoy_hash()).await;
            return Err(refused().into());
        };
        let id = account.applicant_id;
        let Some(stored) = self.store.passwords().get(&id).await? else {
            return Err(refused().into());
        };
        let now = runtime::store::now();
        if stored.locked_until.is_some_and(|until| until > now) {
            return Err(TooManyAttempts::new("too many failed sign-ins: try again later").into());
        }
        let ok = matches(body.password, stored.hash).await;
        // The count is read again under the row's lock: concurrent attempts all count.
        let mut tx = self.store.begin().await?;
        let Some(mut stored) = tx.passwords().get_for_update(&id).await? else {
            return Err(refused().into());
        };
        let locked_now = if ok {
            stored.failed_attempts = 0;
            stored.locked_until = None;
            false
        } else {
            stored.failed_attempts += 1;
            let lock = stored.failed_attempts >= MAX_FAILED;
            if lock {
                stored.failed_attempts = 0;
                stored.locked_until = Some(now + Duration::minutes(LOCK_MINUTES));
            }
            lock
        };
        tx.passwords().update(&stored).await?;
        tx.commit().await?;
        if locked_now {
            runtime::tracing::warn!(applicant = %id.0, "sign-ins locked after {MAX_FAILED} failures");
            return Err(TooManyAttempts::new("too many failed sign-ins: try again later").into());
        }
        if !ok {
            return Err(refused().into());
        }
        Ok(self.open_session(id).await?)
    }

    /// The refresh token is used up whether or not it was still valid.
    async fn refresh(&self, _cx: Context, body: Refresh) -> Result<Session, RefreshError> {
        let refused = || Unauthorized::new("unknown, used or expired refresh token");
        let token_hash = runtime::auth::key_hash(&body.refresh_token);
        let mut tx = self.store.begin().await?;
        let Some(token) = tx.refresh_tokens().get_for_update(&token_hash).await? else {
            return Err(refused().into());
        };
        tx.refresh_tokens().delete(&token_hash).await?;
        tx.commit().await?;
        if token.expires_at <= runtime::store::now() {
            return Err(refused().into());
        }
        Ok(self.open_session(token.applicant_id).await?)
    }

    async fn logout(
        &self,
        _cx: Context,
        caller: Caller<ApplicantClaims>,
    ) -> Result<(), LogoutError> {
        let id = caller.claims.applicant_id;
        loop {
            let tokens = self
                .store
                .refresh_tokens()
                .list_by_applicant_id(&id, None, REVOKE_BATCH)
                .await?;
            if tokens.is_empty() {
                return Ok(());
            }
            for token in tokens {
                self.store
                    .refresh_tokens()
                    .delete(&token.token_hash)
                    .await?;
            }
        }
    }
}
