// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `inventory` service: the catalogue and its stock, in memory.

use crate::api::ListItemsQuery;
use crate::deps::Deps;
use crate::server::{Api, Context, CreateItemError, GetItemError, ListItemsError, ReserveError};
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use types::{DuplicateSku, Item, NewItem, NotFound, OutOfStock, Reservation};

/// The `inventory` service.
pub struct Inventory {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    items: Mutex<BTreeMap<String, Item>>,
}

impl Inventory {
    /// The handlers, with their dependencies.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            items: Mutex::default(),
        }
    }
}

impl Api for Inventory {
    async fn create_item(&self, _cx: Context, body: NewItem) -> Result<Item, CreateItemError> {
        let mut items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        if items.contains_key(&body.sku) {
            return Err(DuplicateSku::new(format!("{} already exists", body.sku)).into());
        }
        let item = Item {
            sku: body.sku,
            name: body.name,
            price_cents: body.price_cents,
            stock: body.stock,
            tags: body.tags,
        };
        items.insert(item.sku.clone(), item.clone());
        Ok(item)
    }

    async fn get_item(&self, _cx: Context, sku: String) -> Result<Item, GetItemError> {
        let items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        items
            .get(&sku)
            .cloned()
            .ok_or_else(|| NotFound::new(format!("no item {sku}")).into())
    }

    async fn list_items(
        &self,
        _cx: Context,
        query: ListItemsQuery,
    ) -> Result<Vec<Item>, ListItemsError> {
        let items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(items
            .values()
            .filter(|i| query.tag.as_ref().is_none_or(|t| i.tags.contains(t)))
            .take(usize::try_from(query.limit).unwrap_or(0))
            .cloned()
            .collect())
    }

    /// All lines or none: every line is checked before any stock is taken.
    async fn reserve(&self, _cx: Context, body: Vec<Reservation>) -> Result<(), ReserveError> {
        let mut items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        let mut wanted: BTreeMap<&str, i64> = BTreeMap::new();
        for line in &body {
            *wanted.entry(&line.sku).or_default() += i64::from(line.quantity);
        }
        for (sku, quantity) in &wanted {
            let item = items
                .get(*sku)
                .ok_or_else(|| NotFound::new(format!("no item {sku}")))?;
            if i64::from(item.stock) < *quantity {
                return Err(OutOfStock::new(format!(
                    "{sku}: {quantity} wanted, {} in stock",
                    item.stock
                ))
                .into());
            }
        }
        for (sku, quantity) in wanted {
            if let Some(item) = items.get_mut(sku) {
                // Checked above: the stock covers the quantity, which fits in i32.
                item.stock -= i32::try_from(quantity).unwrap_or(item.stock);
            }
        }
        Ok(())
    }
}
