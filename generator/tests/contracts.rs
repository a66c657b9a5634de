//! Published event payloads against `events.json` in a real output folder: what a payload may
//! change within one version, what needs a new version, and that old versions are kept.

use std::path::Path;

const BASE: &str = r#"
[system]
name = "s"

[schemas.Placed]
fields.order_id = "uuid"
fields.total_cents = { type = "i64", min = 0 }
fields.note = "string?"
FIELDS

[events."order.placed"]
payload = "Placed"
VERSION

[services.orders]
port = 8001
publishes = ["order.placed"]

[services.notification]
port = 8002
subscribes = ["order.placed"]
"#;

fn spec(fields: &str, version: &str) -> String {
    BASE.replace("FIELDS", fields).replace("VERSION", version)
}

/// Checks `text` against `out` and writes the snapshot; the problems as text otherwise.
fn generate(out: &Path, text: &str) -> Result<serde_json::Value, String> {
    let system = svcgen_codegen::load_str("s.toml", text).map_err(|e| e.render(false))?;
    let mut diags = svcgen_codegen::diag::Diagnostics::default();
    let file = svcgen_codegen::contracts::check(out, &system, &mut diags).unwrap();
    if !diags.is_empty() {
        let mut sources = svcgen_codegen::diag::Sources::default();
        sources.add("s.toml".into(), text.into());
        return Err(svcgen_codegen::diag::render(&sources, &diags, false));
    }
    let file = file.expect("a system with events has a snapshot");
    svcgen_codegen::output::write(out, std::slice::from_ref(&file), &[]).unwrap();
    Ok(serde_json::from_str(&file.contents).unwrap())
}

fn versions(snapshot: &serde_json::Value) -> Vec<u64> {
    snapshot["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect()
}

#[test]
fn compatible_changes_keep_the_version() {
    let out = tempfile::tempdir().unwrap();
    let first = generate(out.path(), &spec("", "")).unwrap();
    assert_eq!(versions(&first), [1]);
    // A new field (required or not), an optional field removed: old subscribers read it.
    let text = spec("fields.currency = \"string\"", "").replace("fields.note = \"string?\"\n", "");
    let second = generate(out.path(), &text).unwrap();
    assert_eq!(versions(&second), [1]);
    assert_eq!(
        first, second,
        "the recorded payload is the first one published"
    );
}

#[test]
fn breaking_changes_are_refused_until_the_version_changes() {
    let out = tempfile::tempdir().unwrap();
    generate(out.path(), &spec("", "")).unwrap();
    let cases = [
        (
            spec("", "").replace("fields.total_cents = { type = \"i64\", min = 0 }\n", ""),
            "required field `total_cents` removed",
        ),
        (
            spec("", "").replace("fields.order_id = \"uuid\"", "fields.order_id = \"string\""),
            "field `order_id` changed its type or constraints",
        ),
        (
            spec("", "").replace("min = 0", "min = -100"),
            "field `total_cents` changed its type or constraints",
        ),
        (
            spec("", "").replace("fields.order_id = \"uuid\"", "fields.order_id = \"uuid?\""),
            "field `order_id` is no longer required",
        ),
    ];
    for (text, says) in &cases {
        let err = generate(out.path(), text).unwrap_err();
        assert!(err.contains(says), "{says}: {err}");
        assert!(err.contains("`version = 2`"), "{err}");
    }
    // As version 2 it is a new type on the wire: accepted, and version 1 is kept.
    let (text, _) = &cases[0];
    let snapshot = generate(
        out.path(),
        &text.replace("VERSION", "").replace(
            "payload = \"Placed\"\n",
            "payload = \"Placed\"\nversion = 2\n",
        ),
    )
    .unwrap();
    assert_eq!(versions(&snapshot), [1, 2]);
    assert!(snapshot["events"][0]["fields"]["total_cents"].is_object());
    assert!(snapshot["events"][1]["fields"]["total_cents"].is_null());
}
