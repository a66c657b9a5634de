// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `analytics` service: collects portal events and reports on them to staff
//! tools (their API keys are checked before a handler runs). It records what the other services publish
//! (`applicant.registered`, `payment.made`) and what is posted to it. Events are kept in the
//! service's own database; the report counts them with a query of its own, written for both
//! databases.

use crate::api::ReportQuery;
use crate::deps::Deps;
use crate::server::{Api, Caller, Context, HandlerError, Meta, RecordEventError, ReportError};
use crate::store::{Store, Transaction};
use runtime::store::{On, Sql};
use types::chrono::Duration;
use types::uuid::Uuid;
use types::{ApplicantRegistered, Event, Metric, PaymentMade, Report, ReportSection, StoredEvent};

/// How many events of each name happened since a time.
const COUNT_SINCE: Sql = Sql {
    sqlite: "SELECT \"name\", COUNT(*) FROM \"events\" WHERE \"at\" >= ? GROUP BY \"name\" ORDER BY \"name\"",
    postgres: "SELECT \"name\", COUNT(*) FROM \"events\" WHERE \"at\" >= $1 GROUP BY \"name\" ORDER BY \"name\"",
};

/// The `analytics` service.
pub struct Analytics {
    /// The service's own database.
    pub store: Store,
}

impl Analytics {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Analytics {
    async fn record_event(
        &self,
        _cx: Context,
        _caller: Caller,
        body: Event,
    ) -> Result<(), RecordEventError> {
        let event = StoredEvent {
            id: Uuid::new_v4(),
            name: body.name,
            applicant_id: body.applicant_id,
            at: body.at,
            properties: body.properties,
        };
        self.store.events().insert(&event).await?;
        Ok(())
    }

    async fn report(
        &self,
        _cx: Context,
        _caller: Caller,
        query: ReportQuery,
    ) -> Result<Report, ReportError> {
        let since = runtime::store::now() - Duration::days(i64::from(query.days));
        let db = self.store.db();
        let rows = db
            .query(&COUNT_SINCE)
            .bind(since)
            .fetch_all(&mut On::Db(db))
            .await?;
        let mut counts: Vec<(String, f64)> = Vec::with_capacity(rows.len());
        for row in &rows {
            counts.push((row.get(0)?, row.get::<i64>(1)? as f64));
        }
        let by_name = ReportSection {
            title: "Events by name".into(),
            metrics: counts
                .iter()
                .map(|(name, value)| Metric {
                    name: name.replace('.', "_"),
                    value: *value,
                })
                .collect(),
            sections: Vec::new(),
        };
        let total = counts.iter().map(|(_, n)| n).sum();
        Ok(Report {
            generated_at: runtime::store::now(),
            root: ReportSection {
                title: format!("Last {} days", query.days),
                metrics: vec![Metric {
                    name: "events".into(),
                    value: total,
                }],
                sections: vec![by_name],
            },
        })
    }

    /// Recorded under the event's own id, with the event's inbox row: once however often it
    /// comes.
    async fn on_applicant_registered(
        &self,
        meta: Meta,
        event: ApplicantRegistered,
        tx: &mut Transaction,
    ) -> Result<(), HandlerError> {
        let stored = StoredEvent {
            id: meta.id,
            name: "applicant.registered".into(),
            applicant_id: Some(event.applicant_id),
            at: event.registered_at,
            properties: Default::default(),
        };
        tx.events().insert(&stored).await?;
        Ok(())
    }

    /// Recorded with who paid: the caller the payment service served when it published the
    /// event (its `authcontext`), kept as the property `caused_by`.
    async fn on_payment_made(
        &self,
        meta: Meta,
        event: PaymentMade,
        tx: &mut Transaction,
    ) -> Result<(), HandlerError> {
        let mut properties: std::collections::BTreeMap<String, String> = [
            ("receipt_id".to_owned(), event.receipt_id.to_string()),
            ("amount".to_owned(), event.amount.amount.to_string()),
            ("currency".to_owned(), event.amount.currency),
        ]
        .into_iter()
        .collect();
        if let Some(actor) = &meta.actor {
            let who = actor.id.as_deref().unwrap_or("-");
            let caused_by = format!("{}:{who}", actor.auth_type);
            runtime::tracing::info!(event = %meta.id, %caused_by, "payment recorded");
            properties.insert("caused_by".to_owned(), caused_by);
        }
        let stored = StoredEvent {
            id: meta.id,
            name: "payment.made".into(),
            applicant_id: Some(event.applicant_id),
            at: event.paid_at,
            properties,
        };
        tx.events().insert(&stored).await?;
        Ok(())
    }
}
