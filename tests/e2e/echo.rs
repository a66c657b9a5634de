//! A property test over the echo fixture (`tests/echo`), whose handlers answer with what they
//! are given: random valid instances of each of its schemas go client → server → handler →
//! client and come back unchanged, and random invalid ones are refused with a 422 naming the
//! offending field, the handler never reached. Its schemas hold every data type of the spec
//! language (every integer width, both float widths, formats, enums, lists of objects, maps,
//! optional fields, defaults, a tagged union), and raw (`binary`) bodies of any media type; its
//! `numbers` records keep every width in a store, on SQLite and on PostgreSQL.
//!
//! Each test draws from a fixed seed of its own, so a failure repeats run after run.

use echo_echo::api::{BlobOfQuery, EchoCountsQuery, EchoPageQuery, EchoQueryQuery, FileOfQuery};
use echo_echo::client::Client;
use echo_echo::runtime::body::Binary;
use echo_echo::runtime::client::{Error, Policy};
use echo_echo::types::bytes::Bytes;
use echo_echo::types::chrono::{DateTime, NaiveDate, Utc};
use echo_echo::types::uuid::Uuid;
use echo_echo::types::{
    Blob, Circle, Colour, Contact, EmailContact, Line, Numbers, Page, PhoneContact, Quantity,
    Shape, Sku, Square, Staff, Texts,
};
use fastrand::Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use svcgen_tests::e2e::{Database, System, raw};

const ECHO: &[(&str, &str, &str)] = &[("echo", "echo-echo", "ECHO_URL")];
/// Instances per schema and test.
const CASES: usize = 150;

fn client(system: &System) -> Client {
    Client::new(&system.url("echo"), Policy::default()).expect("a client")
}

fn finite_f32(rng: &mut Rng) -> f32 {
    loop {
        let f = f32::from_bits(rng.u32(..));
        if f.is_finite() {
            return f;
        }
    }
}

fn finite_f64(rng: &mut Rng) -> f64 {
    loop {
        let f = f64::from_bits(rng.u64(..));
        if f.is_finite() {
            return f;
        }
    }
}

/// Text of `min..=max` characters, some of them outside ASCII.
fn text(rng: &mut Rng, min: usize, max: usize) -> String {
    const CHARS: &[char] = &[
        'a', 'Z', '7', ' ', 'é', 'ß', '日', '本', '🦀', '"', '\\', '/',
    ];
    (0..rng.usize(min..=max))
        .map(|_| CHARS[rng.usize(..CHARS.len())])
        .collect()
}

fn word(rng: &mut Rng, len: usize) -> String {
    (0..len).map(|_| rng.lowercase()).collect()
}

fn numbers(rng: &mut Rng) -> Numbers {
    Numbers {
        id: Uuid::from_u128(rng.u128(..)),
        tiny: rng.i8(..),
        small: rng.i16(..),
        medium: rng.i32(..),
        large: rng.i64(..),
        byte: rng.u8(..),
        word: rng.u16(..),
        count: rng.u32(..),
        huge: rng.u64(..),
        ratio: finite_f32(rng),
        precise: finite_f64(rng),
        percent: rng.u8(..=100),
        offset: rng.i16(-500..=500),
        weight: rng.f32() * 1000.5,
        maybe_count: rng.bool().then(|| rng.u32(..)),
        maybe_huge: rng.bool().then(|| rng.u64(10..)),
        level: rng.u16(..),
        scale: finite_f32(rng),
    }
}

fn sku(rng: &mut Rng) -> Sku {
    let letters: String = (0..3).map(|_| rng.uppercase()).collect();
    Sku(format!("{letters}-{:04}", rng.u16(..10_000)))
}

fn line(rng: &mut Rng) -> Line {
    Line {
        sku: sku(rng),
        quantity: Quantity(rng.u16(1..)),
    }
}

fn texts(rng: &mut Rng) -> Texts {
    let day = NaiveDate::from_num_days_from_ce_opt(rng.i32(1..=3_652_059)).expect("a day");
    let at =
        DateTime::<Utc>::from_timestamp(rng.i64(0..=253_402_300_799), rng.u32(..1_000_000_000))
            .expect("a time");
    Texts {
        name: text(rng, 1, 20),
        email: format!("{}@{}.org", word(rng, 6), word(rng, 5)),
        site: format!(
            "https://{}.example/{}?q={}",
            word(rng, 4),
            word(rng, 3),
            rng.u8(..)
        ),
        r#ref: Uuid::from_u128(rng.u128(..)),
        day,
        at,
        flag: rng.bool(),
        colour: [Colour::Red, Colour::Green, Colour::Blue][rng.usize(..3)],
        nickname: rng.bool().then(|| text(rng, 0, 10)),
        note: rng.bool().then(|| text(rng, 0, 5)),
        grade: [1, 2, 3, 5, 8][rng.usize(..5)],
        step: rng.bool().then(|| rng.i64(-1..=1)),
        lines: (0..rng.usize(..=5)).map(|_| line(rng)).collect(),
        tags: (0..rng.usize(..=4))
            .map(|_| (text(rng, 0, 8), text(rng, 0, 12)))
            .collect(),
        scores: (0..rng.usize(..=6))
            .map(|_| (word(rng, 4), rng.u32(..)))
            .collect::<BTreeMap<_, _>>(),
        first: rng.bool().then(|| line(rng)),
    }
}

fn shape(rng: &mut Rng) -> Shape {
    if rng.bool() {
        Shape::Circle(Circle {
            radius: finite_f64(rng).abs(),
        })
    } else {
        Shape::Square(Square { side: rng.u32(1..) })
    }
}

/// Up to `max` random bytes.
fn bytes(rng: &mut Rng, max: usize) -> Bytes {
    Bytes((0..rng.usize(..=max)).map(|_| rng.u8(..)).collect())
}

fn blob(rng: &mut Rng) -> Blob {
    Blob {
        id: Uuid::from_u128(rng.u128(..)),
        data: bytes(rng, 64),
        parts: (0..rng.usize(..=3)).map(|_| bytes(rng, 8)).collect(),
        maybe: rng.bool().then(|| bytes(rng, 16)),
    }
}

fn contact(rng: &mut Rng) -> Contact {
    match rng.u8(..3) {
        0 => Contact::ByEmail(EmailContact {
            email: format!("{}@{}.org", word(rng, 5), word(rng, 4)),
        }),
        1 => Contact::ByPhone(PhoneContact {
            phone: format!("+{}", rng.u64(100_000..1_000_000_000_000)),
        }),
        _ => Contact::ByCode(sku(rng)),
    }
}

fn staff(rng: &mut Rng) -> Staff {
    Staff {
        email: format!("{}@{}.org", word(rng, 5), word(rng, 4)),
        size: rng.u8(1..=50),
        after: rng.bool().then(|| text(rng, 0, 8)),
        role: text(rng, 1, 12),
    }
}

/// The generator of a test, from its fixed seed.
fn seeded(seed: u64) -> Rng {
    Rng::with_seed(seed)
}

#[tokio::test(flavor = "multi_thread")]
async fn valid_instances_round_trip_unchanged() {
    let system = System::start(ECHO);
    let echo = client(&system);
    let rng = &mut seeded(0x5eed_0001);
    for _ in 0..CASES {
        let n = numbers(rng);
        assert_eq!(echo.echo_numbers(&n).await.expect("echoed"), n);
        let t = texts(rng);
        assert_eq!(echo.echo_texts(&t).await.expect("echoed"), t);
        let s = shape(rng);
        assert_eq!(echo.echo_shape(&s).await.expect("echoed"), s);
        let q = EchoQueryQuery {
            byte: rng.u8(..),
            word: rng.bool().then(|| rng.u16(..=1000)),
            count: rng.u32(..),
            huge: rng.u64(..=9_000_000_000_000_000_000),
            ratio: finite_f32(rng),
        };
        let b = blob(rng);
        assert_eq!(echo.echo_blob(&b).await.expect("echoed"), b);
        let c = contact(rng);
        assert_eq!(echo.echo_contact(&c).await.expect("echoed"), c);
        let s = staff(rng);
        assert_eq!(echo.echo_staff(&s).await.expect("echoed"), s);
        // Bytes as path and query parameters (base64 text, percent-encoded), not empty: an
        // empty path parameter is not sent (below).
        let mut data = bytes(rng, 32);
        data.0.push(rng.u8(..));
        let maybe = rng.bool().then(|| bytes(rng, 16));
        let got = echo
            .blob_of(
                &data,
                &BlobOfQuery {
                    maybe: maybe.clone(),
                },
            )
            .await
            .expect("answered");
        assert_eq!((got.data, got.maybe), (data, maybe));
        // Maps as query parameters: `counts[key]=value`, keys of any text but `[` and `]`.
        let counts: BTreeMap<String, u32> = (0..rng.usize(..=3))
            .map(|_| (text(rng, 0, 6).replace(['[', ']'], ""), rng.u32(..)))
            .collect();
        let codes = (0..rng.usize(..=2))
            .map(|_| (word(rng, 3), sku(rng)))
            .collect();
        let got = echo
            .echo_counts(&EchoCountsQuery {
                counts: counts.clone(),
                codes,
            })
            .await
            .expect("answered");
        assert_eq!(got, counts);
        // An object as a query parameter: `page[size]=10&page[after]=x`.
        let page = Page {
            size: rng.u8(1..=50),
            after: rng.bool().then(|| text(rng, 0, 8).replace(['[', ']'], "")),
        };
        let got = echo
            .echo_page(&EchoPageQuery { page: page.clone() })
            .await
            .expect("answered");
        assert_eq!(got, page);
        let tiny = rng.i8(..);
        let got = echo.echo_query(&tiny, &q).await.expect("answered");
        assert_eq!(
            (got.tiny, got.byte, got.word, got.count, got.huge, got.ratio),
            (
                tiny,
                q.byte,
                q.word.unwrap_or_default(),
                q.count,
                q.huge,
                q.ratio
            ),
            "{q:?}"
        );
    }
}

/// A mutation that makes an instance invalid: the field it breaks, and how.
enum Break {
    Set(&'static str, Value),
    Remove(&'static str),
}

const NUMBERS_BREAKS: fn() -> Vec<Break> = || {
    use Break::*;
    vec![
        Set("/tiny", json!(128)),
        Set("/tiny", json!(-129)),
        Set("/small", json!(32768)),
        Set("/medium", json!(2_147_483_648_i64)),
        Set("/large", json!(9_223_372_036_854_775_808_u64)),
        Set("/byte", json!(256)),
        Set("/byte", json!(-1)),
        Set("/word", json!(65_536)),
        Set("/count", json!(-1)),
        Set("/count", json!(4_294_967_296_u64)),
        Set("/count", json!(1.5)),
        Set("/huge", json!(-1)),
        Set("/huge", json!(18_446_744_073_709_551_616_f64)),
        Set("/maybe_huge", json!(9)),
        Set("/ratio", json!(1e39)),
        Set("/ratio", json!("1.0")),
        Set("/percent", json!(101)),
        Set("/offset", json!(-501)),
        Set("/offset", json!(501)),
        Set("/weight", json!(-0.5)),
        Set("/weight", json!(1000.75)),
        Set("/maybe_count", json!(-3)),
        Set("/level", json!(70_000)),
        Set("/scale", json!(-1e300)),
        Set("/id", json!("not-a-uuid")),
        Remove("/small"),
        Remove("/precise"),
    ]
};

const BLOB_BREAKS: fn() -> Vec<Break> = || {
    use Break::*;
    vec![
        Set("/data", json!("not base64!")),
        Set("/data", json!("AP9hEA")),
        Set("/data", json!([0, 255])),
        Set("/parts", json!(["AP9hEA==", "A P9hEA=="])),
        Set("/parts", json!(["", "", "", ""])),
        Set("/maybe", json!(12)),
        Remove("/data"),
    ]
};

/// An included field is checked as the including object's own.
const STAFF_BREAKS: fn() -> Vec<Break> = || {
    use Break::*;
    vec![
        Set("/email", json!("no-at-sign")),
        Set("/size", json!(0)),
        Remove("/size"),
        Set("/role", json!("")),
        Remove("/role"),
    ]
};

const TEXTS_BREAKS: fn() -> Vec<Break> = || {
    use Break::*;
    vec![
        Set("/name", json!("")),
        Set("/name", json!("x".repeat(21))),
        Set("/email", json!("no-at-sign")),
        Set("/site", json!("not a uri")),
        Set("/ref", json!("x")),
        Set("/day", json!("2024-02-30")),
        Set("/at", json!("yesterday")),
        Set("/flag", json!("true")),
        Set("/colour", json!("purple")),
        Set("/nickname", json!("elevenchars")),
        Set("/note", json!("sixchr")),
        Set("/grade", json!(4)),
        Set("/grade", json!(0)),
        Set("/step", json!(2)),
        Remove("/note"),
        Set("/lines", json!([{"sku": "bad", "quantity": 1}])),
        Set("/lines", json!([{"sku": "TEA-0001", "quantity": 0}])),
        Set(
            "/lines",
            json!(vec![json!({"sku": "TEA-0001", "quantity": 1}); 6]),
        ),
        Set(
            "/tags",
            json!({"a": "", "b": "", "c": "", "d": "", "e": ""}),
        ),
        Set("/scores", json!({"a": -1})),
        Set("/first", json!({"sku": "TEA-0001", "quantity": 70_000})),
        Remove("/email"),
    ]
};

/// The pointer a refusal of `broken` must name: the field itself, or for a list or map broken
/// inside, a pointer below it.
fn names_field(problem: &Value, field: &str) -> bool {
    problem["errors"].as_array().is_some_and(|errors| {
        errors.iter().any(|e| {
            e["pointer"]
                .as_str()
                .is_some_and(|p| p == field || p.starts_with(&format!("{field}/")))
        })
    })
}

async fn refuse(url: &str, valid: Value, breaks: &[Break], rng: &mut Rng) {
    let mut body = valid;
    let (field, how) = match &breaks[rng.usize(..breaks.len())] {
        Break::Set(field, value) => {
            // Top-level fields only (an optional one may be absent from `valid`).
            body[field.trim_start_matches('/')] = value.clone();
            (*field, format!("{field} = {value}"))
        }
        Break::Remove(field) => {
            let name = field.trim_start_matches('/');
            body.as_object_mut().expect("an object").remove(name);
            (*field, format!("{field} removed"))
        }
    };
    let (status, _, problem) = raw("POST", url, Some("application/json"), &body.to_string()).await;
    assert_eq!(status, 422, "{how}: {problem}");
    assert!(names_field(&problem, field), "{how}: {problem}");
}

/// Asserts that `GET url` is refused with a 400 naming the parameter at `pointer` in `place`
/// (`path` or `query`).
async fn bad_parameter(url: &str, place: &str, pointer: &str) {
    let (status, _, problem) = raw("GET", url, None, "").await;
    assert_eq!(status, 400, "{url}: {problem}");
    let named = problem["errors"].as_array().is_some_and(|e| {
        e.iter()
            .any(|e| e["in"] == place && e["pointer"] == pointer)
    });
    assert!(named, "{url}: {problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_instances_are_refused_naming_the_field() {
    let system = System::start(ECHO);
    let base = system.url("echo");
    let (numbers_breaks, texts_breaks, blob_breaks) =
        (NUMBERS_BREAKS(), TEXTS_BREAKS(), BLOB_BREAKS());
    let rng = &mut seeded(0x5eed_0002);
    for _ in 0..CASES {
        let n = serde_json::to_value(numbers(rng)).expect("json");
        refuse(&format!("{base}/numbers"), n, &numbers_breaks, rng).await;
        let t = serde_json::to_value(texts(rng)).expect("json");
        refuse(&format!("{base}/texts"), t, &texts_breaks, rng).await;
        let b = serde_json::to_value(blob(rng)).expect("json");
        refuse(&format!("{base}/blobs"), b, &blob_breaks, rng).await;
        let s = serde_json::to_value(staff(rng)).expect("json");
        refuse(&format!("{base}/staff"), s, &STAFF_BREAKS(), rng).await;
    }
    // Bytes as parameters: not base64 is a 400 naming the parameter; an empty path parameter
    // would call another path, and the client does not send it.
    for (url, at, field) in [
        (format!("{base}/blobs/of/%21%21"), "path", "data"),
        (
            format!("{base}/blobs/of/AA%3D%3D?maybe=AP9hEA"),
            "query",
            "maybe",
        ),
    ] {
        bad_parameter(&url, at, &format!("/{field}")).await;
    }
    // Maps as query parameters: a bad value is named by its key; the map's own problems (a
    // plain value, too many entries, a key given twice) by the map.
    for (query, pointer) in [
        ("counts[tea]=x", "/counts/tea"),
        ("codes[a]=bad", "/codes/a"),
        ("counts=5", "/counts"),
        ("counts[a]=1&counts[b]=1&counts[c]=1&counts[d]=1", "/counts"),
        ("counts[a]=1&counts[a]=2", "/counts/a"),
    ] {
        bad_parameter(&format!("{base}/counts?{query}"), "query", pointer).await;
    }
    // An object as a query parameter: its fields named as in a body.
    for (query, pointer) in [
        ("page[size]=0", "/page/size"),
        ("page[size]=x", "/page/size"),
        ("page[after]=x", "/page/size"),
        ("page=10", "/page"),
        ("", "/page"),
    ] {
        bad_parameter(&format!("{base}/pages?{query}"), "query", pointer).await;
    }
    let bracket = client(&system)
        .echo_counts(&EchoCountsQuery {
            counts: [("a[b]".to_owned(), 1)].into(),
            codes: BTreeMap::new(),
        })
        .await
        .expect_err("not sent");
    assert!(matches!(&bracket, Error::Request { .. }), "{bracket:?}");
    let empty = client(&system)
        .blob_of(&Bytes::default(), &BlobOfQuery { maybe: None })
        .await
        .expect_err("not sent");
    assert!(
        matches!(
            &empty,
            Error::Request { message, .. }
                if message.contains("`data` is empty")
        ),
        "{empty:?}"
    );
    // A field that must be present but may be null: `null` is answered as `null`, and an
    // absent optional field stays absent.
    let mut t = serde_json::to_value(texts(rng)).expect("json");
    t["note"] = Value::Null;
    t.as_object_mut().expect("an object").remove("nickname");
    let (status, _, answer) = raw(
        "POST",
        &format!("{base}/texts"),
        Some("application/json"),
        &t.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer.get("note"), Some(&Value::Null), "{answer}");
    assert_eq!(answer.get("nickname"), None, "{answer}");
    // An untagged union: a value is the first variant it fits (an object with both keys is an
    // email contact), is checked as that variant, and one that fits none is refused.
    let url = format!("{base}/contacts");
    let (status, _, answer) = raw(
        "POST",
        &url,
        Some("application/json"),
        r#"{"email": "ada@example.org", "phone": "+4412345678"}"#,
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!({"email": "ada@example.org"})),
        "the first variant"
    );
    for (body, field) in [
        (json!({"email": "no-at-sign"}), "/email"),
        (json!({"phone": "12345678"}), "/phone"),
        (json!({}), "/email"),
        (json!(12), ""),
        (json!("TEA-12"), ""),
    ] {
        let (status, _, problem) =
            raw("POST", &url, Some("application/json"), &body.to_string()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(names_field(&problem, field), "{body}: {problem}");
    }
    // A union: an unknown tag, and a variant's own constraint.
    let url = format!("{base}/shapes");
    for (body, field) in [
        (json!({"kind": "triangle", "side": 3}), "/kind"),
        (json!({"kind": "circle", "radius": -1.0}), "/radius"),
        (json!({"kind": "square", "side": 0}), "/side"),
    ] {
        let (status, _, problem) =
            raw("POST", &url, Some("application/json"), &body.to_string()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(names_field(&problem, field), "{body}: {problem}");
    }
    // Query parameters out of their type's range or bounds: 400, as every invalid parameter
    // (docs/runtime.md).
    for (query, field) in [
        ("byte=256&count=1&huge=1&ratio=0.5", "byte"),
        ("byte=1&count=-1&huge=1&ratio=0.5", "count"),
        ("byte=1&count=1&huge=1&ratio=1e39", "ratio"),
        ("byte=1&word=1001&count=1&huge=1&ratio=0.5", "word"),
        ("byte=1&count=1&ratio=0.5", "huge"),
        ("byte=1&count=1&huge=18446744073709551616&ratio=0.5", "huge"),
        ("byte=1&count=1&huge=9000000000000000001&ratio=0.5", "huge"),
    ] {
        let url = format!("{base}/query/1?{query}");
        bad_parameter(&url, "query", &format!("/{field}")).await;
    }
}

/// Every width is kept by the store as it was written, at its limits too.
async fn stored_on(database: Database) {
    let system = System::start_on(database, ECHO, &[], None);
    let echo = client(&system);
    let rng = &mut seeded(0x5eed_0003);
    let mut extremes = numbers(rng);
    (
        extremes.tiny,
        extremes.small,
        extremes.medium,
        extremes.large,
    ) = (i8::MIN, i16::MAX, i32::MIN, i64::MAX);
    (extremes.byte, extremes.word, extremes.count) = (u8::MAX, u16::MAX, u32::MAX);
    (extremes.ratio, extremes.precise) = (f32::MAX, f64::MIN_POSITIVE);
    extremes.maybe_count = Some(u32::MAX);
    (extremes.huge, extremes.maybe_huge) = (u64::MAX, Some(u64::MAX - 1));
    let cases = std::iter::once(extremes).chain((0..40).map(|_| numbers(rng)));
    for n in cases {
        let kept = echo.keep_numbers(&n.id, &n).await.expect("kept");
        assert_eq!(kept, n, "as written and read back in one transaction");
        let read = echo.get_numbers(&n.id).await.expect("read");
        assert_eq!(read, n, "read again");
    }
    // Bytes: every byte value, none at all, and random ones, with and without the optional.
    let every = Blob {
        id: Uuid::from_u128(rng.u128(..)),
        data: Bytes((0..=255).collect()),
        parts: vec![Bytes::default(), Bytes(vec![0])],
        maybe: Some(Bytes::default()),
    };
    for b in std::iter::once(every).chain((0..20).map(|_| blob(rng))) {
        let kept = echo.keep_blob(&b.id, &b).await.expect("kept");
        assert_eq!(kept, b, "as written and read back");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_width_is_stored_unchanged_on_sqlite() {
    stored_on(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_width_is_stored_unchanged_on_postgres() {
    stored_on(Database::Postgres).await;
}

/// Media types a raw body may come with.
const MEDIA_TYPES: &[&str] = &[
    "application/octet-stream",
    "image/png",
    "text/csv; charset=utf-8",
    "application/vnd.example+json",
];

fn binary(rng: &mut Rng, max: usize) -> Binary {
    let media = MEDIA_TYPES[rng.usize(..MEDIA_TYPES.len())];
    Binary::typed(media, bytes(rng, max).0)
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_bodies_round_trip_unchanged() {
    let system = System::start(ECHO);
    let echo = client(&system);
    let base = system.url("echo");
    let rng = &mut seeded(0x5eed_0004);
    // Every byte value, nothing at all, then random bytes of random media types.
    let every = Binary::new((0..=255u8).collect::<Vec<_>>());
    let cases = [every, Binary::typed("image/png", Vec::new())]
        .into_iter()
        .chain((0..CASES).map(|_| binary(rng, 4096)));
    for b in cases {
        assert_eq!(echo.echo_file(&b).await.expect("echoed"), b);
        let info = echo.describe_file("a.bin", &b).await.expect("described");
        assert_eq!(
            (info.name.as_str(), info.content_type.as_str(), info.size),
            ("a.bin", b.content_type.as_str(), b.data.len() as u64)
        );
        if b.data.is_empty() {
            continue; // an empty path parameter is not sent (checked below)
        }
        let query = FileOfQuery {
            r#type: b.content_type.clone(),
        };
        let of = echo
            .file_of(&Bytes(b.data.to_vec()), &query)
            .await
            .expect("answered");
        assert_eq!(of, b);
    }

    // Bodies up to the service's limit (1 MiB) are taken; one byte more is a 413.
    let limit = 1024 * 1024;
    let largest = Binary::new(vec![7u8; limit]);
    assert_eq!(echo.echo_file(&largest).await.expect("taken"), largest);
    let too_large = echo.echo_file(&Binary::new(vec![7u8; limit + 1])).await;
    assert!(
        matches!(&too_large, Err(Error::Problem { problem, .. }) if problem.status == 413),
        "{too_large:?}"
    );

    // A request that names no media type is taken as `application/octet-stream`.
    let answer = reqwest::Client::new()
        .post(format!("{base}/files"))
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status(), 201);
    assert_eq!(answer.headers()["content-type"], "application/octet-stream");
    assert_eq!(&answer.bytes().await.expect("a body")[..], &[1, 2, 3]);

    // A keyed POST answered again from the store keeps its media type and bytes.
    let send = || {
        reqwest::Client::new()
            .post(format!("{base}/files"))
            .header("content-type", "image/png")
            .header("idempotency-key", "raw-body-replay-1")
            .body(vec![0u8, 255, 10])
            .send()
    };
    let first = send().await.expect("answered");
    assert_eq!(first.status(), 201);
    let again = send().await.expect("answered");
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotency-replayed"], "true");
    assert_eq!(again.headers()["content-type"], "image/png");
    assert_eq!(&again.bytes().await.expect("a body")[..], &[0, 255, 10]);

    // A media type that is not one: the client does not send it, and a handler answering one
    // gets a 500, not a broken header.
    let bad = echo
        .echo_file(&Binary::typed("image/png\r\nx: y", vec![1]))
        .await;
    assert!(
        matches!(&bad, Err(Error::Request { message, .. }) if message.contains("not a media type")),
        "{bad:?}"
    );
    let broken = FileOfQuery {
        r#type: "no media type".into(),
    };
    let answer = echo.file_of(&Bytes(vec![1]), &broken).await;
    assert!(
        matches!(&answer, Err(Error::Problem { problem, .. }) if problem.status == 500),
        "{answer:?}"
    );
    let empty = echo
        .file_of(
            &Bytes(Vec::new()),
            &FileOfQuery {
                r#type: "a/b".into(),
            },
        )
        .await;
    assert!(matches!(&empty, Err(Error::Request { .. })), "{empty:?}");
}
