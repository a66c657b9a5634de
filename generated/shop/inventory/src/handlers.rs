// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `inventory` service: the catalogue and its stock, kept in the service's own
//! database; reservations are transactions.

use crate::api::ListItemsQuery;
use crate::deps::Deps;
use crate::server::{
    Api, Caller, Context, CreateItemError, GetItemError, ListItemsError, ReserveError,
};
use crate::store::Store;
use std::collections::BTreeMap;
use types::{Item, NewItem, NotFound, OutOfStock, Reservation};

/// Records read from the store per query when listing by tag.
const PAGE: u32 = 100;

/// The `inventory` service.
pub struct Inventory {
    /// The service's own database.
    pub store: Store,
}

impl Inventory {
    /// The handlers, with their dependencies and their store.
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Inventory {
    /// A second item with the same SKU is refused by the store's key, which the spec maps to
    /// `DuplicateSku` (409).
    async fn create_item(
        &self,
        _cx: Context,
        _caller: Caller,
        body: NewItem,
    ) -> Result<Item, CreateItemError> {
        let item = Item {
            sku: body.sku,
            name: body.name,
            price_cents: body.price_cents,
            stock: body.stock,
            tags: body.tags,
        };
        self.store.items().insert(&item).await?;
        Ok(item)
    }

    async fn get_item(&self, _cx: Context, sku: String) -> Result<Item, GetItemError> {
        self.store
            .items()
            .get(&sku)
            .await?
            .ok_or_else(|| NotFound::new(format!("no item {sku}")).into())
    }

    /// Items in SKU order; with a tag, only the items carrying it.
    async fn list_items(
        &self,
        _cx: Context,
        query: ListItemsQuery,
    ) -> Result<Vec<Item>, ListItemsError> {
        let limit = usize::try_from(query.limit).unwrap_or(0);
        let mut found: Vec<Item> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.items().list(after.as_deref(), PAGE).await?;
            let done = page.len() < PAGE as usize;
            after = page.last().map(|i| i.sku.clone());
            found.extend(page.into_iter().filter(|i| {
                query.tag.as_ref().is_none_or(|t| i.tags.contains(t))
                    && (query.sku.is_empty() || query.sku.contains(&i.sku))
                    && query
                        .tags
                        .as_ref()
                        .is_none_or(|tags| tags.iter().all(|t| i.tags.contains(t)))
            }));
            if done || found.len() >= limit {
                found.truncate(limit);
                return Ok(found);
            }
        }
    }

    /// All lines or none, in one transaction: each item is read locked against other
    /// reservations, every line is checked before any stock is taken, and nothing is kept
    /// unless all of it is.
    async fn reserve(
        &self,
        _cx: Context,
        _caller: Caller,
        body: Vec<Reservation>,
    ) -> Result<(), ReserveError> {
        let mut wanted: BTreeMap<&str, i64> = BTreeMap::new();
        for line in &body {
            *wanted.entry(&line.sku).or_default() += i64::from(line.quantity);
        }
        let mut tx = self.store.begin().await?;
        let mut items = Vec::new();
        for (sku, quantity) in &wanted {
            let item = tx
                .items()
                .get_for_update(sku)
                .await?
                .ok_or_else(|| NotFound::new(format!("no item {sku}")))?;
            if i64::from(item.stock) < *quantity {
                return Err(OutOfStock::new(format!(
                    "{sku}: {quantity} wanted, {} in stock",
                    item.stock
                ))
                .into());
            }
            items.push((item, *quantity));
        }
        for (mut item, quantity) in items {
            // Checked above: the stock covers the quantity, which fits in i32.
            item.stock -= i32::try_from(quantity).unwrap_or(item.stock);
            tx.items().update(&item).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
