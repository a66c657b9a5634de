// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of `PermitService`: applications are reviewed here; an approval records the fee
//! with `FinanceService` before it is final.

use crate::api::ListPermitsQuery;
use crate::deps::Deps;
use crate::server::{Api, ApplyError, Context, DecideError, GetPermitError, ListPermitsError};
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{
    AlreadyDecided, Decision, NewFee, Permit, PermitApplication, PermitKind, PermitNotFound,
    PermitStatus,
};

/// The `PermitService` service.
pub struct PermitService {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    permits: Mutex<BTreeMap<Uuid, Permit>>,
}

impl PermitService {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            permits: Mutex::default(),
        }
    }

    fn find(&self, id: Uuid) -> Result<Permit, PermitNotFound> {
        let permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        permits
            .get(&id)
            .cloned()
            .ok_or_else(|| PermitNotFound::new(format!("no permit {id}")))
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
        let mut permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        permits.insert(permit.id, permit.clone());
        Ok(permit)
    }

    async fn get_permit(&self, _cx: Context, id: Uuid) -> Result<Permit, GetPermitError> {
        Ok(self.find(id)?)
    }

    async fn list_permits(
        &self,
        _cx: Context,
        query: ListPermitsQuery,
    ) -> Result<Vec<Permit>, ListPermitsError> {
        let permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(permits
            .values()
            .filter(|p| query.status.is_none_or(|s| p.status == s))
            .filter(|p| query.kind.is_none_or(|k| p.application.kind == k))
            .cloned()
            .collect())
    }

    async fn decide(&self, _cx: Context, id: Uuid, body: Decision) -> Result<Permit, DecideError> {
        let mut permit = self.find(id)?;
        if permit.status != PermitStatus::Submitted {
            return Err(
                AlreadyDecided::new(format!("permit {id} is already {}", permit.status)).into(),
            );
        }
        if body.approve {
            // The fee is on the ledger before the approval is.
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
        permit.decided_at = Some(Utc::now());
        let mut permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        permits.insert(id, permit.clone());
        Ok(permit)
    }
}
