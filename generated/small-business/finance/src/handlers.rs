// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `finance` service: pays out approved grants, once each, kept in the
//! service's own database.

use crate::deps::Deps;
use crate::server::{Api, Context, DisburseError, ListDisbursementsError};
use crate::store::Store;
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{Disbursement, DisbursementRequest};

/// The most disbursements one list answers with.
const MAX_LISTED: u32 = 1000;

/// The `finance` service.
pub struct Finance {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    /// The service's own database.
    pub store: Store,
}

impl Finance {
    /// The handlers, with their dependencies and their store.
    pub fn new(deps: Deps, store: Store) -> Self {
        Self { deps, store }
    }
}

impl Api for Finance {
    /// A second payout of one grant is refused by the store's unique constraint, which the
    /// spec maps to `AlreadyDisbursed` (409).
    async fn disburse(
        &self,
        _cx: Context,
        body: DisbursementRequest,
    ) -> Result<Disbursement, DisburseError> {
        let disbursement = Disbursement {
            id: Uuid::new_v4(),
            grant_id: body.grant_id,
            business_id: body.business_id,
            amount_cents: body.amount_cents,
            disbursed_on: Utc::now().date_naive(),
        };
        self.store.disbursements().insert(&disbursement).await?;
        Ok(disbursement)
    }

    async fn list_disbursements(
        &self,
        _cx: Context,
        business_id: Uuid,
    ) -> Result<Vec<Disbursement>, ListDisbursementsError> {
        Ok(self
            .store
            .disbursements()
            .list_by_business_id(&business_id, None, MAX_LISTED)
            .await?)
    }
}
