// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of `PermitService`: applications are reviewed here, kept in the service's own
//! database; an approval records the fee with `FinanceService` before it is final.

use crate::api::ListPermitsQuery;
use crate::deps::Deps;
use crate::server::{
    Api, ApplyError, Caller, Context, DecideError, GetPermitError, ListPermitsError,
};
use crate::store::Store;
use types::uuid::Uuid;
use types::{
    AlreadyDecided, Decision, NewFee, Permit, PermitApplication, PermitKind, PermitNotFound,
    PermitStatus,
};

/// The most permits one list answers with.
const MAX_LISTED: u32 = 1000;

/// The `PermitService` service.
pub struct PermitService {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    /// The service's own database.
    pub store: Store,
}

impl PermitService {
    /// The handlers, with their dependencies and their store.
    pub fn new(deps: Deps, store: Store) -> Self {
        Self { deps, store }
    }

    async fn find(&self, id: Uuid) -> Result<Permit, DecideError> {
        match self.store.permits().get(&id).await? {
            Some(permit) => Ok(permit),
            None => Err(PermitNotFound::new(format!("no permit {id}")).into()),
        }
    }
}

/// The fee schedule of the office, in cents.
fn fee(kind: PermitKind) -> i64 {
    match kind {
        PermitKind::Building => 50_000,
        PermitKind::Event => 10_000,
        PermitKind::Parking => 2_500,
        PermitKind::Signage => 7_500,
    }
}

impl Api for PermitService {
    async fn apply(&self, _cx: Context, body: PermitApplication) -> Result<Permit, ApplyError> {
        let permit = Permit {
            id: Uuid::new_v4(),
            fee_cents: fee(body.kind),
            application: body,
            status: PermitStatus::Submitted,
            decided_at: None,
            reason: None,
        };
        self.store.permits().insert(&permit).await?;
        Ok(permit)
    }

    async fn get_permit(&self, _cx: Context, id: Uuid) -> Result<Permit, GetPermitError> {
        self.store
            .permits()
            .get(&id)
            .await?
            .ok_or_else(|| PermitNotFound::new(format!("no permit {id}")).into())
    }

    /// The first permits in id order (at most 1000), by status through the store's index.
    async fn list_permits(
        &self,
        _cx: Context,
        _caller: Caller,
        query: ListPermitsQuery,
    ) -> Result<Vec<Permit>, ListPermitsError> {
        let mut permits = self.store.permits();
        let found = match query.status {
            Some(status) => permits.list_by_status(status, None, MAX_LISTED).await?,
            None => permits.list(None, MAX_LISTED).await?,
        };
        Ok(found
            .into_iter()
            .filter(|p| query.kind.is_none_or(|k| p.application.kind == k))
            .collect())
    }

    /// Decided by an officer (`caller`, named in the log); an approval records the fee with
    /// FinanceService on the officer's behalf (their key is forwarded).
    async fn decide(
        &self,
        _cx: Context,
        caller: Caller,
        id: Uuid,
        body: Decision,
    ) -> Result<Permit, DecideError> {
        let mut permit = self.find(id).await?;
        if permit.status != PermitStatus::Submitted {
            return Err(
                AlreadyDecided::new(format!("permit {id} is already {}", permit.status)).into(),
            );
        }
        if body.approve {
            // The fee is on the ledger before the approval is; the ledger takes one per permit.
            let fee = NewFee {
                permit_id: id,
                amount_cents: permit.fee_cents,
            };
            self.deps.finance_service.record_fee(&fee).await?;
            permit.status = PermitStatus::Approved;
        } else {
            permit.status = PermitStatus::Rejected;
            permit.reason = body.reason;
        }
        permit.decided_at = Some(runtime::store::now());
        self.store.permits().update(&permit).await?;
        runtime::tracing::info!(permit = %id, status = %permit.status, officer = %caller.subject, "permit decided");
        Ok(permit)
    }
}
