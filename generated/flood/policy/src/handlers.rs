// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `policy` service: the purchase flow. The property's risk is scored by
//! `risk`, the premium priced from it, the policy invoiced by `billing`, and the customer told
//! by `notification`. Policies are kept in the service's own database.

use crate::deps::Deps;
use crate::server::{Api, Caller, CancelPolicyError, Context, GetPolicyError, PurchaseError};
use crate::store::Store;
use types::chrono::{Days, Utc};
use types::uuid::Uuid;
use types::{
    InvoiceRequest, Message, PolicyNotFound, PolicyStatus, QuoteRequest, RiskBand, Uninsurable,
};

/// The `policy` service.
pub struct Policy {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    /// The service's own database.
    pub store: Store,
}

impl Policy {
    /// The handlers, with their dependencies and their store.
    pub fn new(deps: Deps, store: Store) -> Self {
        Self { deps, store }
    }
}

impl Api for Policy {
    async fn purchase(
        &self,
        _cx: Context,
        _caller: Caller,
        body: QuoteRequest,
    ) -> Result<types::Policy, PurchaseError> {
        let risk = self.deps.risk.assess(&body.property).await?;
        if risk.band == RiskBand::Extreme {
            return Err(Uninsurable::new(format!(
                "risk score {:.2} is too high to insure",
                risk.score
            ))
            .into());
        }
        // 1% of the cover at no risk, up to 6% at the highest insurable score.
        let rate = 0.01 + 0.05 * risk.score;
        let premium_cents = (body.cover_cents as f64 * rate).round() as i64;
        let id = Uuid::new_v4();
        let due_on = Utc::now()
            .date_naive()
            .checked_add_days(Days::new(30))
            .unwrap_or_else(|| Utc::now().date_naive());
        let invoice = self
            .deps
            .billing
            .create_invoice(&InvoiceRequest {
                policy_id: id,
                amount_cents: premium_cents.max(1),
                due_on,
            })
            .await?;
        let policy = types::Policy {
            id,
            customer_email: body.customer_email,
            property: body.property,
            risk,
            cover_cents: body.cover_cents,
            premium_cents,
            status: PolicyStatus::Active,
            invoice_id: invoice.id,
        };
        self.store.policies().insert(&policy).await?;
        let message = Message {
            to: policy.customer_email.clone(),
            subject: format!("Your flood policy {id}"),
            body: format!("Premium: {} cents, due {due_on}.", policy.premium_cents),
        };
        if let Err(e) = self.deps.notification.send(&message).await {
            runtime::tracing::warn!(policy = %id, "customer not notified: {e}");
        }
        Ok(policy)
    }

    async fn get_policy(
        &self,
        _cx: Context,
        _caller: Caller,
        id: Uuid,
    ) -> Result<types::Policy, GetPolicyError> {
        self.store
            .policies()
            .get(&id)
            .await?
            .ok_or_else(|| PolicyNotFound::new(format!("no policy {id}")).into())
    }

    async fn cancel_policy(
        &self,
        _cx: Context,
        _caller: Caller,
        id: Uuid,
    ) -> Result<types::Policy, CancelPolicyError> {
        // Read and written in one transaction: a concurrent change is not lost.
        let mut tx = self.store.begin().await?;
        let mut policy = tx
            .policies()
            .get_for_update(&id)
            .await?
            .ok_or_else(|| PolicyNotFound::new(format!("no policy {id}")))?;
        policy.status = PolicyStatus::Cancelled;
        tx.policies().update(&policy).await?;
        tx.commit().await?;
        Ok(policy)
    }
}
