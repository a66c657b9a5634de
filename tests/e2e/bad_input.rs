//! Bad input never reaches a handler: every malformed or invalid request gets the documented
//! 4xx `application/problem+json` answer naming the fields, and nothing changes on the server.

use serde_json::{Value, json};
use svcgen_tests::e2e::{SHOP, ShopAuth, System, raw, raw_with};

const JSON: Option<&str> = Some("application/json");

/// The shop, and staff's key: the requests below carry it, so what refuses them is the input,
/// never a missing credential.
fn start() -> (System, ShopAuth) {
    let auth = ShopAuth::new();
    let system = System::start_with(SHOP, &auth.env(), None);
    (system, auth)
}

/// The `(in, pointer)` pairs of a problem's `errors`.
fn fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["in"].as_str().unwrap_or("").to_owned(),
                        e["pointer"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn expect(
    staff: &str,
    method: &str,
    url: String,
    ct: Option<&str>,
    body: &str,
    status: u16,
    want: &[(&str, &str)],
) -> Value {
    let key = [("x-api-key", staff)];
    let (got, headers, problem) = raw_with(method, &url, &key, ct, body).await;
    assert_eq!(got, status, "{method} {url} {body:.80}: {problem}");
    assert_eq!(
        headers["content-type"], "application/problem+json",
        "{method} {url}"
    );
    assert_eq!(problem["status"], status);
    assert!(problem["request_id"].is_string(), "{problem}");
    assert_eq!(
        fields(&problem),
        pairs(want),
        "{method} {url} {body:.80}: {problem}"
    );
    problem
}

#[tokio::test(flavor = "multi_thread")]
async fn each_constraint_kind_is_named() {
    let (system, auth) = start();
    let staff = auth.staff_key();
    let items = format!("{}/items", system.url("inventory"));
    let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    // pattern, min_len, min (i64), min (i32), max_items: all in one answer.
    let all = json!({"sku": "tea-1", "name": "", "price_cents": -1, "stock": -5, "tags": tags});
    let problem = expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        &all.to_string(),
        422,
        &[
            ("body", "/sku"),
            ("body", "/name"),
            ("body", "/price_cents"),
            ("body", "/stock"),
            ("body", "/tags"),
        ],
    )
    .await;
    assert_eq!(problem["title"], "Unprocessable content");
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("pattern"),
        "{problem}"
    );

    // max_len
    let long = json!({"sku": "TEA-0001", "name": "x".repeat(201), "price_cents": 1});
    expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        &long.to_string(),
        422,
        &[("body", "/name")],
    )
    .await;

    // format (through a newtype) and an optional field's max_len
    let users = format!("{}/users", system.url("users"));
    let user = json!({"name": "Ada", "email": "not-an-email", "nickname": "n".repeat(41)});
    expect(
        staff,
        "POST",
        users.clone(),
        JSON,
        &user.to_string(),
        422,
        &[("body", "/email"), ("body", "/nickname")],
    )
    .await;

    // max, inside a list body
    let reservations = format!("{}/reservations", system.url("inventory"));
    expect(
        staff,
        "POST",
        reservations,
        JSON,
        r#"[{"sku":"TEA-0001","quantity":1001}]"#,
        422,
        &[("body", "/0/quantity")],
    )
    .await;

    // min_items, and a pattern inside a nested list
    let orders = format!("{}/orders", system.url("orders"));
    let empty = json!({"user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11", "lines": []});
    expect(
        staff,
        "POST",
        orders.clone(),
        JSON,
        &empty.to_string(),
        422,
        &[("body", "/lines")],
    )
    .await;
    let nested = json!({"user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11", "lines": [{"sku": "TEA-0001", "quantity": 1}, {"sku": "bad", "quantity": 0}]});
    expect(
        staff,
        "POST",
        orders,
        JSON,
        &nested.to_string(),
        422,
        &[("body", "/lines/1/sku"), ("body", "/lines/1/quantity")],
    )
    .await;

    // an enum value that does not exist
    let notifications = format!("{}/notifications", system.url("notification"));
    let pigeon = json!({"user_id": "7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11", "channel": "pigeon", "subject": "Hi", "body": ""});
    expect(
        staff,
        "POST",
        notifications,
        JSON,
        &pigeon.to_string(),
        422,
        &[("body", "/channel")],
    )
    .await;

    // None of it reached a handler: nothing was created.
    let (status, _, listed) = raw("GET", &items, None, "").await;
    assert_eq!(status, 200);
    assert_eq!(listed, json!([]));
    let ok = json!({"name": "Ada", "email": "ada@example.org"});
    let (status, _, _) = raw("POST", &users, JSON, &ok.to_string()).await;
    assert_eq!(status, 201, "the email was not taken by a rejected request");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_malformed_request_kind_is_answered() {
    let (system, auth) = start();
    let staff = auth.staff_key();
    let items = format!("{}/items", system.url("inventory"));
    let valid = r#"{"sku":"TEA-0001","name":"Tea","price_cents":450}"#;

    // malformed JSON, trailing garbage
    let p = expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        r#"{"sku": "#,
        400,
        &[("body", "")],
    )
    .await;
    assert!(
        p["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON"),
        "{p}"
    );
    expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        &format!("{valid} x"),
        400,
        &[("body", "")],
    )
    .await;
    // wrong type, missing field
    let p = expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        r#"{"sku":"TEA-0001","name":"Tea","price_cents":"free"}"#,
        422,
        &[("body", "/price_cents")],
    )
    .await;
    assert_eq!(
        p["errors"][0]["detail"], "must be a whole number (got a string)",
        "{p}"
    );
    // Every problem of a body at once (issue 11, item 1): missing fields, wrong types and the
    // constraints a wrong type used to hide, each with its pointer.
    let p = expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        r#"{"name":5,"price_cents":"free","tags":"x","stock":-1}"#,
        422,
        &[
            ("body", "/name"),
            ("body", "/price_cents"),
            ("body", "/sku"),
            ("body", "/stock"),
            ("body", "/tags"),
        ],
    )
    .await;
    let details: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert!(details.contains(&"is required"), "{p}");
    assert!(details.contains(&"must be a string (got a number)"), "{p}");
    assert!(details.contains(&"must be an array (got a string)"), "{p}");
    assert!(
        details.iter().any(|d| d.starts_with("must be at least 0")),
        "{p}"
    );
    expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        r#"{"sku":"tea-1","name":"","price_cents":"free"}"#,
        422,
        &[
            ("body", "/name"),
            ("body", "/price_cents"),
            ("body", "/sku"),
        ],
    )
    .await;
    expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        "{}",
        422,
        &[
            ("body", "/name"),
            ("body", "/price_cents"),
            ("body", "/sku"),
        ],
    )
    .await;
    let p = expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        r#"{"name":"Tea","price_cents":1}"#,
        422,
        &[("body", "/sku")],
    )
    .await;
    assert_eq!(p["errors"][0]["detail"], "is required");
    // wrong or missing content type
    expect(
        staff,
        "POST",
        items.clone(),
        Some("text/plain"),
        valid,
        415,
        &[("header", "/content-type")],
    )
    .await;
    expect(
        staff,
        "POST",
        items.clone(),
        None,
        valid,
        415,
        &[("header", "/content-type")],
    )
    .await;
    // a body over the limit (1 MiB by default)
    let huge = format!(
        r#"{{"sku":"TEA-0001","name":"{}","price_cents":1}}"#,
        "x".repeat(1_100_000)
    );
    expect(
        staff,
        "POST",
        items.clone(),
        JSON,
        &huge,
        413,
        &[("body", "")],
    )
    .await;
    // path parameter of the wrong type
    expect(
        staff,
        "GET",
        format!("{}/users/not-a-uuid", system.url("users")),
        None,
        "",
        400,
        &[("path", "/id")],
    )
    .await;
    // query parameters: out of range, wrong type
    expect(
        staff,
        "GET",
        format!("{items}?limit=0"),
        None,
        "",
        400,
        &[("query", "/limit")],
    )
    .await;
    expect(
        staff,
        "GET",
        format!("{items}?limit=many"),
        None,
        "",
        400,
        &[("query", "/limit")],
    )
    .await;
    // unknown route, wrong method (with Allow)
    expect(
        staff,
        "GET",
        format!("{}/nowhere", system.url("inventory")),
        None,
        "",
        404,
        &[],
    )
    .await;
    let (status, headers, problem) = raw("DELETE", &items, None, "").await;
    assert_eq!(status, 405, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    let mut allow: Vec<&str> = headers["allow"].to_str().unwrap().split(',').collect();
    allow.sort_unstable();
    assert_eq!(allow, ["GET", "HEAD", "POST"]);

    // A well-formed request still works, and the rejected ones left nothing behind.
    let (status, _, created) = raw_with("POST", &items, &[("x-api-key", staff)], JSON, valid).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["stock"], 0, "default applied");
    let (_, _, listed) = raw("GET", &format!("{items}?limit=5"), None, "").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}
