//! The generated types enforce the spec's constraints and wire format.

use serde_json::json;

#[test]
fn every_violation_is_reported_with_its_pointer() {
    use shop_types::validation::Validate;
    let order: shop_types::NewOrder = serde_json::from_value(json!({
        "user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11",
        "lines": [
            {"sku": "TEA-0001", "quantity": 2},
            {"sku": "bad", "quantity": 0},
        ]
    }))
    .expect("decodes");
    let errs = order.validate().unwrap_err();
    let got: Vec<(&str, &str)> = errs
        .0
        .iter()
        .map(|v| (v.pointer.as_str(), v.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "/lines/1/sku",
                "must match the pattern `^[A-Z]{3}-[0-9]{4}$`"
            ),
            ("/lines/1/quantity", "must be at least 1 (is 0)"),
        ]
    );

    let empty: shop_types::NewOrder = serde_json::from_value(
        json!({"user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11", "lines": []}),
    )
    .unwrap();
    assert_eq!(
        empty.validate().unwrap_err().to_string(),
        "/lines: must have at least 1 items (has 0)"
    );
}

#[test]
fn newtype_formats_and_optional_fields_are_checked() {
    use shop_types::validation::Validate;
    let user: shop_types::NewUser = serde_json::from_value(
        json!({"name": "", "email": "not-an-email", "nickname": "x".repeat(41)}),
    )
    .unwrap();
    let pointers: Vec<String> = user
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|v| v.pointer)
        .collect();
    assert_eq!(pointers, ["/name", "/email", "/nickname"]);
    let ok: shop_types::NewUser =
        serde_json::from_value(json!({"name": "Ada", "email": "ada@example.org"})).unwrap();
    assert!(ok.validate().is_ok());
    assert!(ok.nickname.is_none());
    assert!(
        serde_json::to_value(&ok).unwrap().get("nickname").is_none(),
        "absent optionals are not serialized"
    );
}

#[test]
fn defaults_fill_absent_fields() {
    let item: shop_types::NewItem =
        serde_json::from_value(json!({"sku": "TEA-0001", "name": "Tea", "price_cents": 450}))
            .unwrap();
    assert_eq!(item.stock, 0);
    assert!(item.tags.is_empty());
    let n: shop_types::Notification = serde_json::from_value(json!({
        "user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11", "subject": "Hi", "body": ""
    }))
    .unwrap();
    assert_eq!(n.channel, shop_types::Channel::Email);
}

#[test]
fn enums_accept_only_their_values() {
    assert_eq!(
        serde_json::from_value::<shop_types::OrderStatus>(json!("shipped")).unwrap(),
        shop_types::OrderStatus::Shipped
    );
    assert!(serde_json::from_value::<shop_types::OrderStatus>(json!("lost")).is_err());
    assert_eq!(shop_types::OrderStatus::Cancelled.to_string(), "cancelled");
    assert_eq!(shop_types::OrderStatus::ALL.len(), 3);
}

#[test]
fn tagged_unions_use_their_discriminator() {
    use grants_types::validation::Validate;
    let m: grants_types::PaymentMethod =
        serde_json::from_value(json!({"method": "bank_transfer", "iban": "nope"})).unwrap();
    assert!(matches!(m, grants_types::PaymentMethod::BankTransfer(_)));
    let errs = m.validate().unwrap_err();
    assert_eq!(errs.0[0].pointer, "/iban");
    let card = grants_types::PaymentMethod::Card(grants_types::Card {
        card_token: "tok_12345678".into(),
        holder: "Ada".into(),
    });
    assert_eq!(serde_json::to_value(&card).unwrap()["method"], "card");
    assert!(
        serde_json::from_value::<grants_types::PaymentMethod>(json!({"method": "cash"})).is_err()
    );
}

#[test]
fn recursive_types_nest_and_validate_deeply() {
    use grants_types::validation::Validate;
    let thread: grants_types::Thread = serde_json::from_value(json!({
        "id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11", "applicant_id": "APP-000001", "kind": "decision",
        "text": "yes", "sent_at": "2026-01-02T03:04:05Z",
        "in_reply_to": {
            "id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f12", "applicant_id": "APP-1", "kind": "welcome",
            "text": "hi", "sent_at": "2026-01-01T00:00:00Z"
        }
    }))
    .unwrap();
    let errs = thread.validate().unwrap_err();
    assert_eq!(errs.0.len(), 1);
    assert_eq!(errs.0[0].pointer, "/in_reply_to/applicant_id");

    let report: grants_types::ReportSection = serde_json::from_value(json!({
        "title": "root", "metrics": [],
        "sections": [{"title": "", "metrics": [{"name": "Bad Name", "value": 1.0}], "sections": []}]
    }))
    .unwrap();
    let pointers: Vec<String> = report
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|v| v.pointer)
        .collect();
    assert_eq!(
        pointers,
        ["/sections/0/title", "/sections/0/metrics/0/name"]
    );
}

#[test]
fn float_ranges_and_maps() {
    use flood_types::validation::Validate;
    let loc: flood_types::Location =
        serde_json::from_value(json!({"latitude": 91.5, "longitude": -180.0, "postcode": "AB1"}))
            .unwrap();
    let errs = loc.validate().unwrap_err();
    assert_eq!(errs.to_string(), "/latitude: must be at most 90 (is 91.5)");
    let risk: flood_types::RiskAssessment = serde_json::from_value(
        json!({"score": 0.5, "band": "high", "factors": {"river": 0.3, "rain": 0.2}}),
    )
    .unwrap();
    assert!(risk.validate().is_ok());
    assert_eq!(risk.factors.keys().collect::<Vec<_>>(), ["rain", "river"]);
}

#[test]
fn errors_carry_their_status_and_title() {
    assert_eq!(shop_types::OutOfStock::STATUS, 409);
    assert_eq!(shop_types::OutOfStock::TITLE, "Out of stock");
    assert_eq!(shop_types::DuplicateSku::TITLE, "SKU already exists");
    assert_eq!(
        shop_types::OutOfStock::new("TEA-0001: 1 left").to_string(),
        "Out of stock: TEA-0001: 1 left"
    );
}
