// Written once by svcgen from specs/shop.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `orders` service: checks the customer with `users`, prices and reserves the
//! lines with `inventory`, records the order in its own database and, in the same transaction,
//! publishes `order.placed` (which `notification` handles to confirm it).

use crate::deps::Deps;
use crate::server::{Api, Caller, Context, GetOrderError, PlaceOrderError};
use crate::store::Store;
use runtime::client::Error;
use shop_users::client::GetUserError;
use types::uuid::Uuid;
use types::{Forbidden, NewOrder, NotFound, Order, OrderPlaced, OrderStatus, Reservation};

/// The `orders` service.
pub struct Orders {
    /// Clients of the services this one depends on.
    pub deps: Deps,
    /// The service's own database.
    pub store: Store,
}

impl Orders {
    /// The handlers, with their dependencies and their store.
    pub fn new(deps: Deps, store: Store) -> Self {
        Self { deps, store }
    }
}

impl Api for Orders {
    /// A customer places orders only for themself; staff for any customer. Users and inventory
    /// are called with the caller's own credential (`credentials = "forward"`), so they check
    /// it again.
    async fn place_order(
        &self,
        _cx: Context,
        caller: Caller,
        body: NewOrder,
    ) -> Result<Order, PlaceOrderError> {
        if !acts_for(&caller, &body.user_id) {
            return Err(Forbidden::new("a customer places orders only for themself").into());
        }
        let user = match self.deps.users.get_user(&body.user_id).await {
            Ok(user) => user,
            Err(Error::Api(GetUserError::NotFound(_))) => {
                return Err(NotFound::new(format!("no user {}", body.user_id)).into());
            }
            Err(e) => return Err(e.into()),
        };

        // Inventory's `NotFound` (an unknown SKU) and `OutOfStock` are this endpoint's too: the
        // spec passes them through (`pass_through`), so `?` answers them as they came.
        let mut total_cents = 0i64;
        for line in &body.lines {
            let item = self.deps.inventory.get_item(&line.sku).await?;
            total_cents += item.price_cents * i64::from(line.quantity);
        }

        let reservations: Vec<Reservation> = body
            .lines
            .iter()
            .map(|l| Reservation {
                sku: l.sku.clone(),
                quantity: l.quantity,
            })
            .collect();
        self.deps.inventory.reserve(&reservations).await?;

        let order = Order {
            id: Uuid::new_v4(),
            user_id: user.id,
            lines: body.lines,
            total_cents,
            status: OrderStatus::Placed,
            placed_at: runtime::store::now(),
        };
        // The order and its event commit together: no order without its event, and no event
        // for an order that was not recorded.
        let placed = OrderPlaced {
            order_id: order.id,
            user_id: user.id,
            user_name: user.name,
            total_cents: order.total_cents,
            placed_at: order.placed_at,
        };
        let mut tx = self.store.begin().await?;
        tx.orders().insert(&order).await?;
        tx.publish_order_placed(&placed).await?;
        tx.commit().await?;
        Ok(order)
    }

    /// A customer reads only their own orders; staff read any.
    async fn get_order(
        &self,
        _cx: Context,
        caller: Caller,
        id: Uuid,
    ) -> Result<Order, GetOrderError> {
        let order = self
            .store
            .orders()
            .get(&id)
            .await?
            .ok_or_else(|| NotFound::new(format!("no order {id}")))?;
        if !acts_for(&caller, &order.user_id) {
            return Err(Forbidden::new("a customer reads only their own orders").into());
        }
        Ok(order)
    }
}

/// Whether `caller` may act for the customer `id`: a customer only for themself, staff for
/// anyone.
fn acts_for(caller: &Caller, id: &Uuid) -> bool {
    caller.scheme != "customer" || caller.subject == id.to_string()
}
