//! List-valued query parameters in a service expanded by the macro: the shop's `list_items`
//! takes `sku` once per item and `tags` as one comma-separated value, as `svcgen generate`
//! writes them.

mod inventory {
    svcgen_macros::service!("../specs/shop.toml", "inventory");
}

use inventory::api::ListItemsQuery;
use inventory::types::validation::Validate;

fn query(sku: &[&str], tags: Option<&[&str]>) -> ListItemsQuery {
    ListItemsQuery {
        limit: 20,
        tag: None,
        sku: sku.iter().map(|s| (*s).to_owned()).collect(),
        tags: tags.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
    }
}

#[test]
fn list_parameters_are_written_in_their_style_and_counted() {
    let encoded = svcgen_runtime::query::encode(&query(&["A", "B"], Some(&["x", "y"]))).unwrap();
    let mut pairs: Vec<&str> = encoded.split('&').collect();
    pairs.sort_unstable();
    assert_eq!(pairs, ["limit=20", "sku=A", "sku=B", "tags=x%2Cy"]);
    // No SKUs is no parameter at all; no tags (`None`) neither, an empty list of them is `tags=`.
    let encoded = svcgen_runtime::query::encode(&query(&[], Some(&[]))).unwrap();
    let mut pairs: Vec<&str> = encoded.split('&').collect();
    pairs.sort_unstable();
    assert_eq!(pairs, ["limit=20", "tags="]);
    assert_eq!(
        svcgen_runtime::query::encode(&query(&[], None)).unwrap(),
        "limit=20"
    );
    // A comma inside an item of the comma-separated list cannot be written.
    let refused = svcgen_runtime::query::encode(&query(&[], Some(&["a,b"]))).unwrap_err();
    assert!(refused.contains("holds a `,`"), "{refused}");
    // `max_items = 50` on `sku`.
    let many: Vec<String> = (0..51).map(|i| format!("S{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let violations = query(&many, None).validate().unwrap_err();
    assert!(violations.to_string().contains("/sku"), "{violations}");
    assert!(query(&many[..50], None).validate().is_ok());
}
