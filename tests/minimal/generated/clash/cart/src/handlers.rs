// Written once by svcgen from clash.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `cart` service: they use the schema `Cart` by its name, beside the handler
//! struct (which is `CartService` for that reason).

use super::deps::Deps;
use crate::server::{Api, Context, ExplainError, GetCartError};
use types::Cart;

/// The `cart` service.
pub struct CartService {
}

impl CartService {
    /// The handlers, with their dependencies.
    pub fn new(_deps: Deps) -> Self {
        Self {}
    }
}

impl Api for CartService {
    async fn get_cart(&self, _cx: Context, id: String) -> Result<Cart, GetCartError> {
        Ok(Cart { id })
    }

    async fn explain(
        &self,
        _cx: Context,
        body: types::Api,
    ) -> Result<types::GetCartError, ExplainError> {
        Ok(types::GetCartError { reason: body.x })
    }
}
