// Written once by svcgen from specs/permits.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of `FinanceService`: the ledger of permit fees, in memory.

use crate::deps::Deps;
use crate::server::{Api, Context, FeesForPermitError, RecordFeeError};
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{FeeAlreadyRecorded, FeeRecord, NewFee};

/// The `FinanceService` service.
pub struct FinanceService {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    ledger: Mutex<Vec<FeeRecord>>,
}

impl FinanceService {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            ledger: Mutex::default(),
        }
    }
}

impl Api for FinanceService {
    async fn record_fee(&self, _cx: Context, body: NewFee) -> Result<FeeRecord, RecordFeeError> {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        if ledger.iter().any(|r| r.permit_id == body.permit_id) {
            return Err(FeeAlreadyRecorded::new(format!(
                "permit {} is already paid for",
                body.permit_id
            ))
            .into());
        }
        let record = FeeRecord {
            permit_id: body.permit_id,
            amount_cents: body.amount_cents,
            recorded_at: Utc::now(),
        };
        ledger.push(record.clone());
        Ok(record)
    }

    async fn fees_for_permit(
        &self,
        _cx: Context,
        permit_id: Uuid,
    ) -> Result<Vec<FeeRecord>, FeesForPermitError> {
        let ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(ledger
            .iter()
            .filter(|r| r.permit_id == permit_id)
            .cloned()
            .collect())
    }
}
