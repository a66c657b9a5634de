// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `inventory` service: one method per endpoint of the spec.
//!
//! Every endpoint answers 501 until you implement it.
use crate::deps::Deps;
use crate::server::{Api, CreateItemError, GetItemError, ListItemsError, ReserveError};
/// The `inventory` service.
pub struct Inventory {
    /// Clients of the services this one depends on.
    pub deps: Deps,
}
impl Inventory {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}
impl Api for Inventory {
    async fn create_item(&self, _body: types::NewItem) -> Result<types::Item, CreateItemError> {
        Err(runtime::Problem::not_implemented("create_item").into())
    }
    async fn get_item(&self, _sku: String) -> Result<types::Item, GetItemError> {
        Err(runtime::Problem::not_implemented("get_item").into())
    }
    async fn list_items(
        &self,
        _query: crate::api::ListItemsQuery,
    ) -> Result<Vec<types::Item>, ListItemsError> {
        Err(runtime::Problem::not_implemented("list_items").into())
    }
    async fn reserve(&self, _body: Vec<types::Reservation>) -> Result<(), ReserveError> {
        Err(runtime::Problem::not_implemented("reserve").into())
    }
}
