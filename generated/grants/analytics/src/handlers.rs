// Written once by svcgen from specs/grants/; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `analytics` service: collects portal events and reports on them to signed-in
//! staff (the session is checked with `auth`).

use crate::api::ReportQuery;
use crate::deps::Deps;
use crate::server::{Api, Context, RecordEventError, ReportError};
use grants_auth::client::VerifyError;
use runtime::client::Error;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use types::chrono::{Duration, Utc};
use types::{Event, Metric, Report, ReportSection};

/// The `analytics` service.
pub struct Analytics {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    events: Mutex<Vec<Event>>,
}

impl Analytics {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            events: Mutex::default(),
        }
    }
}

impl Api for Analytics {
    async fn record_event(&self, _cx: Context, body: Event) -> Result<(), RecordEventError> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(body);
        Ok(())
    }

    async fn report(
        &self,
        _cx: Context,
        query: ReportQuery,
        x_session_token: String,
    ) -> Result<Report, ReportError> {
        match self.deps.auth.verify(&x_session_token).await {
            Ok(_) => {}
            Err(Error::Api(VerifyError::Unauthorized(e))) => return Err(e.into()),
            Err(e) => return Err(e.into()),
        }
        let since = Utc::now() - Duration::days(i64::from(query.days));
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
        for e in events.iter().filter(|e| e.at >= since) {
            *counts.entry(e.name.as_str()).or_default() += 1.0;
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
        let total = counts.values().sum();
        Ok(Report {
            generated_at: Utc::now(),
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
}
