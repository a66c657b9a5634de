// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `orders` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, GetOrderError, PlaceOrderError};
/// The `orders` service.
pub struct Orders {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Orders {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Orders {
    async fn place_order(&self, _body: types::NewOrder) -> Result<types::Order, PlaceOrderError> {
        Err(runtime::Problem::not_implemented("place_order").into())
    }
    async fn get_order(&self, _id: types::uuid::Uuid) -> Result<types::Order, GetOrderError> {
        Err(runtime::Problem::not_implemented("get_order").into())
    }
}
