// Written once by svcgen from specs/small-business.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `grant` service: applications checked against `user`, reviewed here, and
//! paid out through `finance`. Grants are kept in the service's own database; filing one
//! publishes `grant.submitted` and reading its status `grant.viewed`, each in the transaction
//! of what it records.

use crate::deps::Deps;
use crate::server::{Api, ApplyError, Caller, Context, DisburseError, ReviewError, StatusError};
use crate::store::Store;
use runtime::client::Error;
use small_business_finance::client::DisburseError as FinanceDisburseError;
use small_business_user::client::GetBusinessError;
use types::uuid::Uuid;
use types::{
    Business, BusinessNotFound, Disbursement, DisbursementRequest, GrantApplication, GrantNotFound,
    GrantStatus, GrantSubmitted, GrantViewed, NotApproved, Review, StatusView,
};

/// The `grant` service.
pub struct Grant {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    /// The service's own database.
    pub store: Store,
}

impl Grant {
    /// The handlers, with their dependencies and their store.
    pub fn new(deps: Deps, store: Store) -> Self {
        Self { deps, store }
    }

    /// The grant, or `GrantNotFound` as the endpoint's error `E`.
    async fn find<E>(&self, id: Uuid) -> Result<types::Grant, E>
    where
        E: From<GrantNotFound> + From<runtime::store::Error>,
    {
        match self.store.grants().get(&id).await? {
            Some(grant) => Ok(grant),
            None => Err(GrantNotFound::new(format!("no grant {id}")).into()),
        }
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
            submitted_at: runtime::store::now(),
            notes: Vec::new(),
        };
        // The grant and its event commit together.
        let mut tx = self.store.begin().await?;
        tx.grants().insert(&grant).await?;
        tx.publish_grant_submitted(&GrantSubmitted {
            grant_id: grant.id,
            business_id: grant.application.business_id,
            program: grant.application.program.clone(),
            amount_cents: grant.application.amount_cents,
            submitted_at: grant.submitted_at,
        })
        .await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn status(&self, _cx: Context, id: Uuid) -> Result<StatusView, StatusError> {
        let grant: types::Grant = self.find::<StatusError>(id).await?;
        let business_id = grant.application.business_id;
        let business = self.business(business_id).await?.ok_or_else(|| {
            BusinessNotFound::new(format!("business {business_id} no longer exists"))
        })?;
        self.store
            .publish_grant_viewed(&GrantViewed {
                grant_id: grant.id,
                business_id,
                status: grant.status,
                viewed_at: runtime::store::now(),
            })
            .await?;
        Ok(StatusView { grant, business })
    }

    async fn review(
        &self,
        _cx: Context,
        _caller: Caller,
        id: Uuid,
        body: Review,
    ) -> Result<types::Grant, ReviewError> {
        let mut grant = self.find::<ReviewError>(id).await?;
        grant.status = if body.approve {
            GrantStatus::Approved
        } else {
            GrantStatus::Rejected
        };
        grant.notes.push(body.note);
        self.store.grants().update(&grant).await?;
        Ok(grant)
    }

    async fn disburse(
        &self,
        _cx: Context,
        _caller: Caller,
        id: Uuid,
    ) -> Result<Disbursement, DisburseError> {
        let mut grant = self.find::<DisburseError>(id).await?;
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
        self.store.grants().update(&grant).await?;
        Ok(disbursement)
    }
}
