// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `finance` service: pays out approved grants, once each.

use crate::deps::Deps;
use crate::server::{Api, Context, DisburseError, ListDisbursementsError};
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{AlreadyDisbursed, Disbursement, DisbursementRequest};

/// The `finance` service.
pub struct Finance {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    paid: Mutex<Vec<Disbursement>>,
}

impl Finance {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            paid: Mutex::default(),
        }
    }
}

impl Api for Finance {
    async fn disburse(
        &self,
        _cx: Context,
        body: DisbursementRequest,
    ) -> Result<Disbursement, DisburseError> {
        let mut paid = self.paid.lock().unwrap_or_else(PoisonError::into_inner);
        if paid.iter().any(|d| d.grant_id == body.grant_id) {
            return Err(AlreadyDisbursed::new(format!(
                "grant {} was already paid out",
                body.grant_id
            ))
            .into());
        }
        let disbursement = Disbursement {
            id: Uuid::new_v4(),
            grant_id: body.grant_id,
            business_id: body.business_id,
            amount_cents: body.amount_cents,
            disbursed_on: Utc::now().date_naive(),
        };
        paid.push(disbursement.clone());
        Ok(disbursement)
    }

    async fn list_disbursements(
        &self,
        _cx: Context,
        business_id: Uuid,
    ) -> Result<Vec<Disbursement>, ListDisbursementsError> {
        let paid = self.paid.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(paid
            .iter()
            .filter(|d| d.business_id == business_id)
            .cloned()
            .collect())
    }
}
