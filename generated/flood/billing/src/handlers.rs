// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `billing` service: invoices, kept in the service's own database.

use crate::deps::Deps;
use crate::server::{Api, Caller, Context, CreateInvoiceError, GetInvoiceError};
use crate::store::Store;
use types::uuid::Uuid;
use types::{Invoice, InvoiceNotFound, InvoiceRequest};

/// The `billing` service.
pub struct Billing {
    /// The service's own database.
    pub store: Store,
}

impl Billing {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Billing {
    async fn create_invoice(
        &self,
        _cx: Context,
        _caller: Caller,
        body: InvoiceRequest,
    ) -> Result<Invoice, CreateInvoiceError> {
        let invoice = Invoice {
            id: Uuid::new_v4(),
            policy_id: body.policy_id,
            amount_cents: body.amount_cents,
            due_on: body.due_on,
            paid: false,
        };
        self.store.invoices().insert(&invoice).await?;
        Ok(invoice)
    }

    async fn get_invoice(
        &self,
        _cx: Context,
        _caller: Caller,
        id: Uuid,
    ) -> Result<Invoice, GetInvoiceError> {
        self.store
            .invoices()
            .get(&id)
            .await?
            .ok_or_else(|| InvoiceNotFound::new(format!("no invoice {id}")).into())
    }
}
