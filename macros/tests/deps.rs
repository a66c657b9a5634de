//! A service with dependencies, expanded by the macro: its `deps` holds clients for exactly
//! those, and its events plan is the spec's.

mod orders {
    svcgen_macros::service!("../specs/shop.toml", "orders");
}

#[test]
fn dependencies_are_exactly_the_declared_ones() {
    // `orders` declares users and inventory: its Deps has a client for each (it publishes to
    // notification, which it does not call).
    let deps = orders::deps::Deps::from_env().unwrap();
    assert_eq!(deps.users.base_url(), "http://127.0.0.1:8001");
    assert_eq!(deps.inventory.base_url(), "http://127.0.0.1:8002");
    // The events it publishes, and who handles them, as the spec says.
    let plan = orders::store::EVENTS;
    assert_eq!(plan.publishes.len(), 1);
    assert_eq!(plan.publishes[0].kind.wire_type, "order.placed.v1");
    assert_eq!(plan.publishes[0].subscribers[0].url_env, "NOTIFICATION_URL");
}
