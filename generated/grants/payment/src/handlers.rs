// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `payment` service: application fees, each paid by the signed-in applicant
//! (their token is checked before a handler runs) for their own applications; the applicant is
//! told through `messaging`, on their behalf (the spec forwards their token). Receipts are kept in the service's own
//! database; each publishes `payment.made` in its transaction.

use crate::deps::Deps;
use crate::server::{Api, Caller, Context, GetReceiptError, PayFeeError};
use crate::store::Store;
use types::uuid::Uuid;
use types::{
    ApplicantClaims, FeePayment, Forbidden, MessageKind, NotFound, OutgoingMessage,
    PaymentDeclined, PaymentMade, PaymentMethod, PaymentStatus, Receipt,
};

/// The `payment` service.
pub struct Payment {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    /// The service's own database.
    pub store: Store,
}

impl Payment {
    /// The handlers, with their dependencies and their store.
    pub fn new(deps: Deps, store: Store) -> Self {
        Self { deps, store }
    }
}

impl Api for Payment {
    async fn pay_fee(
        &self,
        _cx: Context,
        caller: Caller<ApplicantClaims>,
        body: FeePayment,
    ) -> Result<Receipt, PayFeeError> {
        if caller.claims.applicant_id != body.applicant_id {
            return Err(Forbidden::new("an application of another applicant").into());
        }
        // The test card vault declines tokens that say so.
        if let PaymentMethod::Card(card) = &body.method
            && card.card_token.starts_with("tok_decline")
        {
            return Err(PaymentDeclined::new("the card was declined").into());
        }
        let receipt = Receipt {
            id: Uuid::new_v4(),
            applicant_id: body.applicant_id,
            application_ref: body.application_ref,
            amount: body.amount,
            status: PaymentStatus::Captured,
            paid_at: runtime::store::now(),
        };
        let mut tx = self.store.begin().await?;
        tx.receipts().insert(&receipt).await?;
        tx.publish_payment_made(&PaymentMade {
            receipt_id: receipt.id,
            applicant_id: receipt.applicant_id.clone(),
            application_ref: receipt.application_ref.clone(),
            amount: receipt.amount.clone(),
            paid_at: receipt.paid_at,
        })
        .await?;
        tx.commit().await?;
        let message = OutgoingMessage {
            applicant_id: receipt.applicant_id.clone(),
            kind: MessageKind::PaymentReceived,
            text: format!(
                "We received {} {} for application {}.",
                receipt.amount.amount, receipt.amount.currency, receipt.application_ref
            ),
        };
        if let Err(e) = self.deps.messaging.send_message(&message).await {
            runtime::tracing::warn!(receipt = %receipt.id, "applicant not told: {e}");
        }
        Ok(receipt)
    }

    /// Another applicant's receipt is answered like one that does not exist.
    async fn get_receipt(
        &self,
        _cx: Context,
        caller: Caller<ApplicantClaims>,
        id: Uuid,
    ) -> Result<Receipt, GetReceiptError> {
        self.store
            .receipts()
            .get(&id)
            .await?
            .filter(|r| r.applicant_id == caller.claims.applicant_id)
            .ok_or_else(|| NotFound::new(format!("no receipt {id}")).into())
    }
}
