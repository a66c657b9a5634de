// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `billing` service: invoices, in memory.

use crate::deps::Deps;
use crate::server::{Api, Context, CreateInvoiceError, GetInvoiceError};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use types::uuid::Uuid;
use types::{Invoice, InvoiceNotFound, InvoiceRequest};

/// The `billing` service.
pub struct Billing {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    invoices: Mutex<HashMap<Uuid, Invoice>>,
}

impl Billing {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            invoices: Mutex::default(),
        }
    }
}

impl Api for Billing {
    async fn create_invoice(
        &self,
        _cx: Context,
        body: InvoiceRequest,
    ) -> Result<Invoice, CreateInvoiceError> {
        let invoice = Invoice {
            id: Uuid::new_v4(),
            policy_id: body.policy_id,
            amount_cents: body.amount_cents,
            due_on: body.due_on,
            paid: false,
        };
        let mut invoices = self.invoices.lock().unwrap_or_else(PoisonError::into_inner);
        invoices.insert(invoice.id, invoice.clone());
        Ok(invoice)
    }

    async fn get_invoice(&self, _cx: Context, id: Uuid) -> Result<Invoice, GetInvoiceError> {
        let invoices = self.invoices.lock().unwrap_or_else(PoisonError::into_inner);
        invoices
            .get(&id)
            .cloned()
            .ok_or_else(|| InvoiceNotFound::new(format!("no invoice {id}")).into())
    }
}
