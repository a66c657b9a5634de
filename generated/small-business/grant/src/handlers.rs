// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `grant` service: applications checked against `user`, reviewed here, and
//! paid out through `finance`.

use crate::deps::Deps;
use crate::server::{Api, ApplyError, Context, DisburseError, ReviewError, StatusError};
use runtime::client::Error;
use small_business_finance::client::DisburseError as FinanceDisburseError;
use small_business_user::client::GetBusinessError;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use types::chrono::Utc;
use types::uuid::Uuid;
use types::{
    Business, BusinessNotFound, Disbursement, DisbursementRequest, GrantApplication, GrantNotFound,
    GrantStatus, NotApproved, Review, StatusView,
};

/// The `grant` service.
pub struct Grant {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    grants: Mutex<HashMap<Uuid, types::Grant>>,
}

impl Grant {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            grants: Mutex::default(),
        }
    }

    fn find(&self, id: Uuid) -> Result<types::Grant, GrantNotFound> {
        let grants = self.grants.lock().unwrap_or_else(PoisonError::into_inner);
        grants
            .get(&id)
            .cloned()
            .ok_or_else(|| GrantNotFound::new(format!("no grant {id}")))
    }

    fn save(&self, grant: &types::Grant) {
        self.grants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(grant.id, grant.clone());
    }

    /// The business from the `user` service; `Ok(None)` when it does not exist.
    async fn business(&self, id: Uuid) -> Result<Option<Business>, Error<GetBusinessError>> {
        match self.deps.user.get_business(&id).await {
            Ok(b) => Ok(Some(b)),
            Err(Error::Api(GetBusinessError::BusinessNotFound(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Api for Grant {
    async fn apply(
        &self,
        _cx: Context,
        body: GrantApplication,
    ) -> Result<types::Grant, ApplyError> {
        if self.business(body.business_id).await?.is_none() {
            return Err(BusinessNotFound::new(format!("no business {}", body.business_id)).into());
        }
        let grant = types::Grant {
            id: Uuid::new_v4(),
            application: body,
            status: GrantStatus::Submitted,
            submitted_at: Utc::now(),
            notes: Vec::new(),
        };
        self.save(&grant);
        Ok(grant)
    }

    async fn status(&self, _cx: Context, id: Uuid) -> Result<StatusView, StatusError> {
        let grant = self.find(id)?;
        let business_id = grant.application.business_id;
        let business = self.business(business_id).await?.ok_or_else(|| {
            BusinessNotFound::new(format!("business {business_id} no longer exists"))
        })?;
        Ok(StatusView { grant, business })
    }

    async fn review(
        &self,
        _cx: Context,
        id: Uuid,
        body: Review,
    ) -> Result<types::Grant, ReviewError> {
        let mut grant = self.find(id)?;
        grant.status = if body.approve {
            GrantStatus::Approved
        } else {
            GrantStatus::Rejected
        };
        grant.notes.push(body.note);
        self.save(&grant);
        Ok(grant)
    }

    async fn disburse(&self, _cx: Context, id: Uuid) -> Result<Disbursement, DisburseError> {
        let mut grant = self.find(id)?;
        if grant.status == GrantStatus::Disbursed {
            return Err(
                types::AlreadyDisbursed::new(format!("grant {id} was already paid out")).into(),
            );
        }
        if grant.status != GrantStatus::Approved {
            return Err(NotApproved::new(format!("grant {id} is {}", grant.status)).into());
        }
        let request = DisbursementRequest {
            grant_id: id,
            business_id: grant.application.business_id,
            amount_cents: grant.application.amount_cents,
        };
        let disbursement = match self.deps.finance.disburse(&request).await {
            Ok(d) => d,
            Err(Error::Api(FinanceDisburseError::AlreadyDisbursed(e))) => return Err(e.into()),
            Err(e) => return Err(e.into()),
        };
        grant.status = GrantStatus::Disbursed;
        self.save(&grant);
        Ok(disbursement)
    }
}
