// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of `FinanceService`: the ledger of permit fees, kept in the service's own database.

use crate::deps::Deps;
use crate::server::{Api, Caller, Context, FeesForPermitError, RecordFeeError};
use crate::store::Store;
use types::uuid::Uuid;
use types::{FeeRecord, NewFee};

/// The `FinanceService` service.
pub struct FinanceService {
    /// The service's own database.
    pub store: Store,
}

impl FinanceService {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for FinanceService {
    /// A second fee for one permit is refused by the ledger's key, which the spec maps to
    /// `FeeAlreadyRecorded` (409).
    async fn record_fee(
        &self,
        _cx: Context,
        _caller: Caller,
        body: NewFee,
    ) -> Result<FeeRecord, RecordFeeError> {
        let record = FeeRecord {
            permit_id: body.permit_id,
            amount_cents: body.amount_cents,
            recorded_at: runtime::store::now(),
        };
        self.store.fees().insert(&record).await?;
        Ok(record)
    }

    async fn fees_for_permit(
        &self,
        _cx: Context,
        _caller: Caller,
        permit_id: Uuid,
    ) -> Result<Vec<FeeRecord>, FeesForPermitError> {
        Ok(self
            .store
            .fees()
            .get(&permit_id)
            .await?
            .into_iter()
            .collect())
    }
}
