//! The macro expands the same types, with the same validation, as the generated types crate.

mod shop {
    svcgen_macros::include_types!("../specs/shop.toml");
}

mod grants {
    svcgen_macros::include_types!("../specs/grants");
}

use shop::validation::Validate;

#[test]
fn expanded_types_validate_like_the_generated_crate() {
    let order: shop::NewOrder = serde_json::from_value(serde_json::json!({
        "user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11",
        "lines": [{"sku": "bad", "quantity": 0}]
    }))
    .unwrap();
    let pointers: Vec<String> = order
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|v| v.pointer)
        .collect();
    assert_eq!(pointers, ["/lines/0/sku", "/lines/0/quantity"]);
    assert_eq!(shop::OutOfStock::STATUS, 409);
}

#[test]
fn folder_systems_expand_too() {
    let m: grants::PaymentMethod = serde_json::from_value(
        serde_json::json!({"method": "card", "card_token": "tok_12345678", "holder": "Ada"}),
    )
    .unwrap();
    assert!(matches!(m, grants::PaymentMethod::Card(_)));
}
