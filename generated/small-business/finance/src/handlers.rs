// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `finance` service: pays out approved grants, once each, kept in the
//! service's own database, and keeps the pipeline of grants applied for (`grant.submitted`,
//! published by `grant`).

use crate::deps::Deps;
use crate::server::{
    Api, Caller, Context, DisburseError, HandlerError, ListDisbursementsError, ListPipelineError,
    Meta,
};
use crate::store::{Store, Transaction};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{Disbursement, DisbursementRequest, GrantSubmitted, PipelineEntry};

/// The most disbursements one list answers with.
const MAX_LISTED: u32 = 1000;

/// The `finance` service.
pub struct Finance {
    /// The service's own database.
    pub store: Store,
}

impl Finance {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Finance {
    /// A second payout of one grant is refused by the store's unique constraint, which the
    /// spec maps to `AlreadyDisbursed` (409).
    async fn disburse(
        &self,
        _cx: Context,
        _caller: Caller,
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
        _caller: Caller,
        business_id: Uuid,
    ) -> Result<Vec<Disbursement>, ListDisbursementsError> {
        Ok(self
            .store
            .disbursements()
            .list_by_business_id(&business_id, None, MAX_LISTED)
            .await?)
    }

    async fn list_pipeline(
        &self,
        _cx: Context,
        _caller: Caller,
        business_id: Uuid,
    ) -> Result<Vec<PipelineEntry>, ListPipelineError> {
        let mut entries = self
            .store
            .pipeline()
            .list_by_business_id(&business_id, None, MAX_LISTED)
            .await?;
        entries.sort_by_key(|e| e.submitted_at);
        Ok(entries)
    }

    /// One entry per grant (its key): recorded with the event's inbox row.
    async fn on_grant_submitted(
        &self,
        _meta: Meta,
        event: GrantSubmitted,
        tx: &mut Transaction,
    ) -> Result<(), HandlerError> {
        let entry = PipelineEntry {
            grant_id: event.grant_id,
            business_id: event.business_id,
            program: event.program,
            amount_cents: event.amount_cents,
            submitted_at: event.submitted_at,
        };
        tx.pipeline().insert(&entry).await?;
        runtime::tracing::info!(
            grant = %entry.grant_id,
            business = %entry.business_id,
            "grant in the pipeline: {} cents",
            entry.amount_cents
        );
        Ok(())
    }
}
