//! A property test over every schema of every example system (`specs/`): for each system, a
//! system derived from it (its schemas, and one service whose endpoint `POST /echo/<Schema>`
//! answers each schema with what it is given) is generated, built and run. Random valid
//! instances of each schema, drawn from the schema in the service's OpenAPI document, come back
//! unchanged; random invalid ones (one value broken: a constraint, a type, a required field)
//! are refused with a 422 naming the broken field.
//!
//! The derived systems are written under the target directory (never committed), so a schema
//! added to an example is tested without anything to update here. Each test draws from a fixed
//! seed, so a failure repeats run after run.

use fastrand::Rng;
use serde_json::{Map, Value, json};
use shop_types::{chrono, uuid};
use std::path::{Path, PathBuf};
use std::process::Command;
use svcgen_tests::e2e::{System, raw, svcgen_binary, target_dir};

/// Instances per schema, valid and invalid each.
const CASES: usize = 40;

/// The spec files of each example system: a file, or the files of a folder.
fn example_specs() -> Vec<(String, Vec<PathBuf>)> {
    let specs = svcgen_tests::repo().join("specs");
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&specs)
        .expect("specs/")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    let toml_files = |dir: &Path| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("a folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .filter(|p| !p.ends_with("svcgen.toml"))
            .collect();
        files.sort();
        files
    };
    for path in entries {
        let stem = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            out.push((stem, toml_files(&path)));
        } else if path.extension().is_some_and(|e| e == "toml") && stem != "svcgen" {
            out.push((stem, vec![path]));
        }
    }
    out
}

/// The derived spec of an example: its system's name with `-echo`, its schemas, and a service
/// echoing each one. Returns the spec's text and the schema names.
fn derived_spec(files: &[PathBuf]) -> (String, Vec<String>) {
    let mut name = None;
    let mut schemas = toml::Table::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("a spec file");
        let table: toml::Table = toml::from_str(&text).expect("an example spec parses");
        if let Some(n) = table
            .get("system")
            .and_then(|s| s.get("name"))
            .and_then(toml::Value::as_str)
        {
            name = Some(n.to_owned());
        }
        if let Some(s) = table.get("schemas").and_then(toml::Value::as_table) {
            schemas.extend(s.clone());
        }
    }
    let name = name.expect("an example names its system");
    let mut endpoints = toml::Table::new();
    for schema in schemas.keys() {
        let mut endpoint = toml::Table::new();
        endpoint.insert("method".into(), "POST".into());
        endpoint.insert("path".into(), format!("/echo/{schema}").into());
        endpoint.insert("request".into(), schema.clone().into());
        endpoint.insert("response".into(), schema.clone().into());
        endpoints.insert(format!("echo_{schema}"), endpoint.into());
    }
    let mut service = toml::Table::new();
    service.insert("port".into(), 8799.into());
    service.insert("endpoints".into(), endpoints.into());
    let mut services = toml::Table::new();
    services.insert("echo".into(), service.into());
    let mut system = toml::Table::new();
    system.insert("name".into(), format!("{name}-echo").into());
    let names = schemas.keys().cloned().collect();
    let mut spec = toml::Table::new();
    spec.insert("system".into(), system.into());
    spec.insert("schemas".into(), schemas.into());
    spec.insert("services".into(), services.into());
    (toml::to_string(&spec).expect("toml"), names)
}

/// `to` relative to the folder `from` (both absolute), `/`-separated.
fn relative(from: &Path, to: &Path) -> String {
    let (from, to): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_owned(), from.len() - common);
    let downs = to[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

/// A derived system, generated and built: its service's binary and OpenAPI document.
struct Derived {
    package: String,
    openapi: Value,
    schemas: Vec<String>,
}

fn derive(example: &str, files: &[PathBuf]) -> Derived {
    let (spec, schemas) = derived_spec(files);
    let root = target_dir().join("examples-echo").join(example);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("a folder");
    let system = format!(
        "{}-echo",
        toml::from_str::<toml::Table>(&spec).expect("toml")["system"]["name"]
            .as_str()
            .expect("a name")
            .trim_end_matches("-echo")
    );
    let out = root.join("out");
    let folder = out.join(&system);
    std::fs::create_dir_all(&folder).expect("a folder");
    let runtime = svcgen_tests::repo().join("runtime");
    std::fs::write(root.join("spec.toml"), &spec).expect("the derived spec");
    std::fs::write(
        root.join("svcgen.toml"),
        format!("[runtime]\npath = \"{}\"\n", relative(&folder, &runtime)),
    )
    .expect("settings");
    let generated = Command::new(svcgen_binary())
        .arg("generate")
        .arg(root.join("spec.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("svcgen runs");
    assert!(
        generated.status.success(),
        "{example}: {}",
        String::from_utf8_lossy(&generated.stderr)
    );
    // The handlers echo: every scaffolded body (501) becomes `Ok(body)`.
    let handlers = folder.join("echo/src/handlers.rs");
    let text = std::fs::read_to_string(&handlers).expect("the scaffold");
    let echoing = echo_handlers(&text);
    std::fs::write(&handlers, echoing).expect("handlers");
    // The versions the example's own system was built with (no new dependency to compile).
    let lock = svcgen_tests::repo().join("generated/shop/Cargo.lock");
    std::fs::copy(lock, folder.join("Cargo.lock")).expect("a lock file");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--bins", "--manifest-path"])
        .arg(folder.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "{example}: the derived system builds");
    let openapi = std::fs::read_to_string(folder.join("echo/openapi.json")).expect("a document");
    Derived {
        package: format!("{system}-echo"),
        openapi: serde_json::from_str(&openapi).expect("json"),
        schemas,
    }
}

/// The scaffold with every endpoint answering its body: `Ok(body)` for each 501.
fn echo_handlers(scaffold: &str) -> String {
    let mut out = String::new();
    let mut echoed = 0;
    for line in scaffold.lines() {
        if line
            .trim_start()
            .starts_with("Err(runtime::Problem::not_implemented(")
        {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(indent);
            out.push_str("Ok(body)");
            echoed += 1;
        } else {
            out.push_str(&line.replace("_body: ", "body: "));
        }
        out.push('\n');
    }
    assert!(
        echoed > 0,
        "the scaffold has no 501 bodies to replace:\n{scaffold}"
    );
    out
}

/// Random JSON values for the schemas of an OpenAPI document.
struct Gen<'a> {
    doc: &'a Value,
    rng: Rng,
}

/// How deep optional parts and list items are still drawn (recursive schemas end there).
const DEPTH: usize = 4;

impl<'a> Gen<'a> {
    /// `schema` with `$ref`s followed.
    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/components/schemas/");
            schema = &self.doc["components"]["schemas"][name];
        }
        schema
    }

    /// The first type name of `schema` other than `null`.
    fn type_of(schema: &Value) -> Option<&str> {
        match schema.get("type") {
            Some(Value::String(t)) => Some(t),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        }
    }

    fn valid(&mut self, schema: &'a Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
            let variant = &variants[self.rng.usize(..variants.len())];
            return self.valid(variant, depth);
        }
        if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
            let options: Vec<&Value> = variants
                .iter()
                .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            let pick = self.rng.usize(..options.len());
            return self.valid(options[pick], depth);
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array)
            && Self::type_of(schema).is_none()
        {
            // Objects made of parts (a tagged union's variant: the object, and its tag's
            // constant; an object including others: theirs, and its own).
            let mut value = Map::new();
            for part in parts {
                if let Value::Object(fields) = self.valid(part, depth) {
                    value.extend(fields);
                }
            }
            return Value::Object(value);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let values: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            return values[self.rng.usize(..values.len())].clone();
        }
        if let Some(c) = schema.get("const") {
            return c.clone();
        }
        match Self::type_of(schema) {
            Some("string") => json!(self.string(schema)),
            Some("integer") => self.integer(schema),
            Some("number") => self.number(schema),
            Some("boolean") => json!(self.rng.bool()),
            Some("array") => {
                let (lo, hi) = items(schema, "minItems", "maxItems");
                let hi = if depth >= DEPTH { lo } else { hi };
                let n = self.rng.usize(lo..=hi);
                Value::Array(
                    (0..n)
                        .map(|_| self.valid(&schema["items"], depth + 1))
                        .collect(),
                )
            }
            Some("object") => self.object(schema, depth),
            other => panic!("no generator for {other:?}: {schema}"),
        }
    }

    fn object(&mut self, schema: &'a Value, depth: usize) -> Value {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut out = Map::new();
        for (key, property) in schema["properties"].as_object().into_iter().flatten() {
            // A default is filled in when absent, so a field with one is always sent.
            let with_default = self.resolve(property).get("default").is_some()
                || property.get("default").is_some();
            let wanted = required.contains(&key.as_str())
                || with_default
                || (depth < DEPTH && self.rng.bool());
            if wanted {
                out.insert(key.clone(), self.valid(property, depth + 1));
            }
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let (lo, hi) = items(schema, "minProperties", "maxProperties");
            let hi = if depth >= DEPTH { lo } else { hi };
            for _ in 0..self.rng.usize(lo..=hi) {
                let key = self.word(6);
                let value = self.valid(values, depth + 1);
                out.insert(key, value);
            }
        }
        Value::Object(out)
    }

    fn word(&mut self, len: usize) -> String {
        (0..len).map(|_| self.rng.lowercase()).collect()
    }

    fn string(&mut self, schema: &Value) -> String {
        let lo = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let hi = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |h| h as usize);
        for _ in 0..50 {
            let s = match schema.get("format").and_then(Value::as_str) {
                Some("uuid") => format!(
                    "{:x}",
                    uuid::Uuid::from_u128(self.rng.u128(..)).hyphenated()
                ),
                Some("date") => {
                    let day =
                        chrono::NaiveDate::from_num_days_from_ce_opt(self.rng.i32(1..=3_652_059))
                            .expect("a day");
                    day.format("%Y-%m-%d").to_string()
                }
                Some("date-time") => {
                    chrono::DateTime::from_timestamp(self.rng.i64(0..=253_402_300_799), 0)
                        .expect("a time")
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                }
                Some("email") => format!("{}@{}.org", self.word(6), self.word(5)),
                Some("uri") => format!("https://{}.example/{}", self.word(5), self.word(4)),
                Some("byte") => {
                    let bytes: Vec<u8> =
                        (0..self.rng.usize(..24)).map(|_| self.rng.u8(..)).collect();
                    svcgen_runtime::bytes::Bytes(bytes).to_base64()
                }
                _ => match schema.get("pattern").and_then(Value::as_str) {
                    Some(p) => self.matching(p),
                    None => {
                        const CHARS: &[char] = &['a', 'Z', '7', ' ', 'é', '日', '🦀', '"', '\\'];
                        let hi = hi.min(lo.saturating_add(24));
                        (0..self.rng.usize(lo..=hi))
                            .map(|_| CHARS[self.rng.usize(..CHARS.len())])
                            .collect()
                    }
                },
            };
            if (lo..=hi).contains(&s.chars().count()) {
                return s;
            }
        }
        panic!("no string of {lo} to {hi} characters drawn for {schema}");
    }

    /// A string matching `pattern`, for the patterns of the examples: `^…$` around literals,
    /// classes (`[A-Z0-9_.]`) and quantifiers (`{n}`, `{n,m}`, `+`, `*`, `?`). Anything else is
    /// a failure of this test, to teach it the new construct.
    fn matching(&mut self, pattern: &str) -> String {
        let p: Vec<char> = pattern
            .trim_start_matches('^')
            .trim_end_matches('$')
            .chars()
            .collect();
        let mut out = String::new();
        let mut i = 0;
        while i < p.len() {
            let choices: Vec<char> = match p[i] {
                '[' => {
                    let end = p[i..]
                        .iter()
                        .position(|c| *c == ']')
                        .expect("a closed class")
                        + i;
                    let class = &p[i + 1..end];
                    i = end + 1;
                    let mut chars = Vec::new();
                    let mut j = 0;
                    while j < class.len() {
                        if j + 2 < class.len() && class[j + 1] == '-' {
                            chars.extend(class[j]..=class[j + 2]);
                            j += 3;
                        } else {
                            chars.push(class[j]);
                            j += 1;
                        }
                    }
                    chars
                }
                '\\' => {
                    i += 2;
                    vec![p[i - 1]]
                }
                c if "()|.^$".contains(c) => panic!("pattern {pattern}: `{c}` is not drawn yet"),
                c => {
                    i += 1;
                    vec![c]
                }
            };
            let (lo, hi) = match p.get(i) {
                Some('{') => {
                    let end = p[i..]
                        .iter()
                        .position(|c| *c == '}')
                        .expect("a closed count")
                        + i;
                    let count: String = p[i + 1..end].iter().collect();
                    i = end + 1;
                    match count.split_once(',') {
                        Some((lo, hi)) => {
                            (lo.parse().expect("a count"), hi.parse().expect("a count"))
                        }
                        None => {
                            let n: usize = count.parse().expect("a count");
                            (n, n)
                        }
                    }
                }
                Some('+') => (i += 1, (1, 6)).1,
                Some('*') => (i += 1, (0, 6)).1,
                Some('?') => (i += 1, (0, 1)).1,
                _ => (1, 1),
            };
            for _ in 0..self.rng.usize(lo..=hi) {
                out.push(choices[self.rng.usize(..choices.len())]);
            }
        }
        out
    }

    fn integer(&mut self, schema: &Value) -> Value {
        let bound = |key: &str| {
            schema.get(key).and_then(|b| {
                b.as_i64()
                    .map(i128::from)
                    .or_else(|| b.as_u64().map(i128::from))
            })
        };
        let lo = bound("minimum").unwrap_or(i64::MIN.into());
        let hi = bound("maximum").unwrap_or(i64::MAX.into());
        // Near a bound as often as anywhere.
        let n = match self.rng.u8(..4) {
            0 => lo,
            1 => hi,
            _ => lo + (self.rng.u128(..) % ((hi - lo) as u128 + 1)) as i128,
        };
        match u64::try_from(n) {
            Ok(n) => json!(n),
            Err(_) => json!(i64::try_from(n).expect("an i64")),
        }
    }

    fn number(&mut self, schema: &Value) -> Value {
        let lo = schema
            .get("minimum")
            .and_then(Value::as_f64)
            .unwrap_or(-1e9);
        let hi = schema.get("maximum").and_then(Value::as_f64).unwrap_or(1e9);
        let (lo, hi) = (lo.max(-1e9), hi.min(1e9));
        // Quarters: the same number whether read as an `f32` or an `f64`.
        let quarters = ((hi - lo) * 4.0).floor() as u64;
        json!(lo.ceil() + (self.rng.u64(..=quarters.saturating_sub(4)) as f64) / 4.0)
    }
}

/// One way to make an instance invalid: the value at a JSON Pointer replaced, or removed.
struct Break {
    at: String,
    with: Option<Value>,
}

impl Gen<'_> {
    /// Every break of `value` (an instance of `schema`) that its schema refuses.
    fn breaks(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<Break>) {
        let schema = self.resolve(schema);
        let put = |out: &mut Vec<Break>, with: Value| {
            out.push(Break {
                at: at.to_owned(),
                with: Some(with),
            })
        };
        if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
            // A tagged union: the variant its tag names, and the tag itself.
            for variant in variants.iter().filter_map(|v| v["allOf"].as_array()) {
                let Some((tag, wanted)) = variant[1]["properties"]
                    .as_object()
                    .and_then(|p| p.iter().next())
                    .map(|(tag, p)| (tag, &p["const"]))
                else {
                    continue;
                };
                if value.get(tag) == Some(wanted) {
                    put(out, json!({tag: "no-such-variant"}));
                    self.breaks(&variant[0], value, at, out);
                }
            }
            return;
        }
        if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
            let options: Vec<&Value> = variants
                .iter()
                .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if let [only] = options[..] {
                self.breaks(only, value, at, out);
            }
            return;
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array)
            && Self::type_of(schema).is_none()
        {
            for part in parts {
                self.breaks(part, value, at, out);
            }
            return;
        }
        if schema.get("enum").is_some() {
            put(out, json!("not-one-of-these"));
            return;
        }
        match Self::type_of(schema) {
            Some("string") => {
                put(out, json!(12));
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                    put(out, json!("x".repeat(max as usize + 1)));
                }
                if schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) > 0 {
                    put(out, json!(""));
                }
                if schema.get("pattern").is_some() {
                    put(out, json!("!"));
                }
                let bad = match schema.get("format").and_then(Value::as_str) {
                    Some("uuid") => Some("not-a-uuid"),
                    Some("date") => Some("2024-02-30"),
                    Some("date-time") => Some("yesterday"),
                    Some("email") => Some("no-at-sign"),
                    Some("uri") => Some("not a uri"),
                    Some("byte") => Some("!!"),
                    _ => None,
                };
                if let Some(bad) = bad {
                    put(out, json!(bad));
                }
            }
            Some("integer") => {
                put(out, json!("12"));
                put(out, json!(0.5));
                // Just past each bound, where JSON can say it (not below `i64::MIN`).
                let past = [
                    schema
                        .get("maximum")
                        .and_then(Value::as_i64)
                        .map(|m| i128::from(m) + 1),
                    schema
                        .get("minimum")
                        .and_then(Value::as_i64)
                        .map(|m| i128::from(m) - 1),
                ];
                for n in past.into_iter().flatten() {
                    if let Ok(n) = i64::try_from(n) {
                        put(out, json!(n));
                    } else if let Ok(n) = u64::try_from(n) {
                        put(out, json!(n));
                    }
                }
            }
            Some("number") => {
                put(out, json!("1.5"));
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                    put(out, json!(max + 1.0 + max.abs()));
                }
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                    put(out, json!(min - 1.0 - min.abs()));
                }
            }
            Some("boolean") => put(out, json!("true")),
            Some("array") => {
                put(out, json!(12));
                let items = value.as_array().expect("an array");
                if let (Some(max), Some(first)) = (
                    schema.get("maxItems").and_then(Value::as_u64),
                    items.first(),
                ) {
                    put(out, Value::Array(vec![first.clone(); max as usize + 1]));
                }
                if schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) > 0 {
                    put(out, json!([]));
                }
                for (i, item) in items.iter().enumerate() {
                    self.breaks(&schema["items"], item, &format!("{at}/{i}"), out);
                }
            }
            Some("object") => {
                put(out, json!(12));
                let object = value.as_object().expect("an object");
                for key in schema["required"].as_array().into_iter().flatten() {
                    let key = key.as_str().expect("a name");
                    out.push(Break {
                        at: format!("{at}/{key}"),
                        with: None,
                    });
                }
                let properties = schema["properties"].as_object();
                for (key, v) in object {
                    let below = format!("{at}/{key}");
                    match properties.and_then(|p| p.get(key)) {
                        Some(property) => self.breaks(property, v, &below, out),
                        None => self.breaks(&schema["additionalProperties"], v, &below, out),
                    }
                }
            }
            _ => {}
        }
    }
}

/// `value` with `b` applied.
fn broken(mut value: Value, b: &Break) -> Value {
    let (parent, key) = b.at.rsplit_once('/').unwrap_or(("", ""));
    match (&b.with, b.at.is_empty()) {
        (Some(with), true) => return with.clone(),
        (Some(with), false) => *value.pointer_mut(&b.at).expect("a place") = with.clone(),
        (None, _) => {
            value
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .expect("an object")
                .remove(key);
        }
    }
    value
}

/// An item or length range of `schema` (`lo` 0, `hi` `lo + 3` when not given).
fn items(schema: &Value, min: &str, max: &str) -> (usize, usize) {
    let lo = schema.get(min).and_then(Value::as_u64).unwrap_or(0) as usize;
    let hi = schema
        .get(max)
        .and_then(Value::as_u64)
        .map_or(lo + 3, |h| h as usize);
    (lo, hi.max(lo))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_example_schema_round_trips_and_is_refused_when_broken() {
    for (example, files) in example_specs() {
        let derived = derive(&example, &files);
        let system = System::start(&[("echo", &derived.package, "ECHO_URL")]);
        let base = system.url("echo");
        let mut generator = Gen {
            doc: &derived.openapi,
            rng: Rng::with_seed(0x5eed_0e00),
        };
        let mut tested = 0;
        for name in &derived.schemas {
            let schema = &derived.openapi["components"]["schemas"][name];
            let url = format!("{base}/echo/{name}");
            for _ in 0..CASES {
                let value = generator.valid(schema, 0);
                let (status, _, answer) =
                    raw("POST", &url, Some("application/json"), &value.to_string()).await;
                assert_eq!(status, 200, "{example} {name}: {value}: {answer}");
                assert_eq!(answer, value, "{example} {name}: echoed unchanged");
                let mut breaks = Vec::new();
                generator.breaks(schema, &value, "", &mut breaks);
                let b = &breaks[generator.rng.usize(..breaks.len())];
                let bad = broken(value, b);
                let how = format!("{example} {name}: {} = {:?} in {bad}", b.at, b.with);
                let (status, _, problem) =
                    raw("POST", &url, Some("application/json"), &bad.to_string()).await;
                assert_eq!(status, 422, "{how}: {problem}");
                let named = problem["errors"].as_array().is_some_and(|errors| {
                    errors.iter().any(|e| {
                        e["pointer"].as_str().is_some_and(|p| {
                            p == b.at || p.starts_with(&format!("{}/", b.at)) || b.at.is_empty()
                        })
                    })
                });
                assert!(named, "{how}: {problem}");
                tested += 1;
            }
        }
        assert_eq!(tested, CASES * derived.schemas.len(), "{example}");
    }
}
