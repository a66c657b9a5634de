//! The spec AST: what one TOML file says, exactly as written, with source spans.
//!
//! Nothing here is checked beyond TOML's own shape rules (unknown keys and wrong value kinds
//! are rejected by serde); resolving names and every cross-item rule happens in `resolve`.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use toml::Spanned;

/// A spanned string: a name or a value together with where it was written.
pub type SStr = Spanned<String>;

/// One parsed spec file. A system is one file, or a folder of files whose tables are merged.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// `[system]`: present in exactly one file of a system.
    pub system: Option<Spanned<SystemDef>>,
    /// `[schemas.<Name>]`.
    #[serde(default)]
    pub schemas: IndexMap<SStr, Spanned<SchemaDef>>,
    /// `[errors.<Name>]`.
    #[serde(default)]
    pub errors: IndexMap<SStr, Spanned<ErrorDef>>,
    /// `[services.<name>]`.
    #[serde(default)]
    pub services: IndexMap<SStr, Spanned<ServiceDef>>,
    /// `[gateway]`: the system's public entry point, if it has one.
    pub gateway: Option<Spanned<GatewayDef>>,
    /// `[events."<name>"]`: what services tell each other through the bus.
    #[serde(default)]
    pub events: IndexMap<SStr, Spanned<EventDef>>,
    /// `[auth.<scheme>]`: how callers prove who they are.
    #[serde(default)]
    pub auth: IndexMap<SStr, Spanned<SchemeDef>>,
}

/// `[auth.<scheme>]`: one way callers prove who they are: a signed bearer token (`jwt`) or
/// an API key in a header (`api_key`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeDef {
    /// `jwt` or `api_key`.
    #[serde(rename = "type")]
    pub kind: SStr,
    /// Who the scheme is for.
    pub doc: Option<SStr>,
    /// `jwt`: the token's required `iss`.
    pub issuer: Option<SStr>,
    /// `jwt`: the token's required `aud`.
    pub audience: Option<SStr>,
    /// `jwt`: the signature algorithms accepted (default `["EdDSA"]`).
    pub algorithms: Option<Vec<SStr>>,
    /// `jwt`: the service of this system serving the public keys at `/.well-known/jwks.json`
    /// (without it, the keys come from `AUTH_<SCHEME>_JWKS_URL` or `AUTH_<SCHEME>_JWKS_FILE`).
    pub jwks: Option<SStr>,
    /// `jwt`: the object schema of the token's own claims, handed to handlers typed.
    pub claims: Option<SStr>,
    /// `api_key`: the header carrying the key.
    pub header: Option<SStr>,
    /// The scopes this scheme's credentials can carry.
    #[serde(default)]
    pub scopes: Vec<SStr>,
}

/// `auth` of a service or endpoint: `"public"`, or a table saying which schemes and scopes.
#[derive(Debug)]
pub enum AuthDef {
    /// `auth = "<word>"` (only `public` is valid).
    Word(String),
    /// `auth = { schemes = [...], scopes = [...] }`.
    Table(AuthTable),
}

/// The table form of [`AuthDef`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthTable {
    /// The schemes accepted (default: every scheme that can carry the scopes).
    pub schemes: Option<Vec<SStr>>,
    /// The scopes a caller must have, all of them.
    #[serde(default)]
    pub scopes: Vec<SStr>,
}

impl<'de> Deserialize<'de> for AuthDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AuthVisitor;
        impl<'de> Visitor<'de> for AuthVisitor {
            type Value = AuthDef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"public\" or a table with `schemes` and `scopes`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AuthDef, E> {
                Ok(AuthDef::Word(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AuthDef, A::Error> {
                AuthTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(AuthDef::Table)
            }
        }
        deserializer.deserialize_any(AuthVisitor)
    }
}

/// `[events."<name>"]`: one kind of event, published by some services and handled by others.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    /// What happened, when this event is published.
    pub doc: Option<SStr>,
    /// The object schema of the event's data.
    pub payload: SStr,
    /// The version of the payload (default 1): a new version is a new type on the wire.
    pub version: Option<Spanned<i64>>,
    /// The payload field whose value orders events: events with the same value are handled
    /// in the order they were published, by every subscriber.
    pub key: Option<SStr>,
}

/// `[gateway]`: which endpoints of which services are public, and under which paths.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayDef {
    /// What the gateway is for.
    pub doc: Option<SStr>,
    /// The port the gateway listens on.
    pub port: Spanned<i64>,
    /// Total time for one forwarded call, in milliseconds (default 5 000).
    pub timeout_ms: Option<Spanned<i64>>,
    /// `[gateway.expose.<service>]`: the endpoints made public, per service.
    pub expose: IndexMap<SStr, Spanned<ExposeDef>>,
    /// `[gateway.cors]`: the origins whose pages may call the gateway from a browser.
    pub cors: Option<Spanned<CorsDef>>,
}

/// Which pages of other origins may call a gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsDef {
    /// The origins allowed (`https://portal.example.org`), or `["*"]` for any.
    pub origins: Spanned<Vec<SStr>>,
    /// How long a browser may keep a preflight's answer, in seconds (default 600).
    pub max_age_s: Option<Spanned<i64>>,
}

/// The public part of one service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposeDef {
    /// Put before the service's own paths (e.g. `/api`); none by default.
    pub prefix: Option<SStr>,
    /// The endpoints made public (default: all of them).
    pub endpoints: Option<Vec<SStr>>,
}

/// `[system]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemDef {
    /// The system's name: output folder and crate name prefix.
    pub name: SStr,
    /// What the system is for.
    pub doc: Option<SStr>,
}

/// `[schemas.<Name>]`: exactly one of `fields`, `enum`, `one_of` or `newtype`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDef {
    /// Documentation of the type.
    pub doc: Option<SStr>,
    /// An object: its fields in order.
    pub fields: Option<Spanned<IndexMap<SStr, Spanned<FieldDef>>>>,
    /// An object made of others (OpenAPI's `allOf`): the fields of these object schemas, in
    /// order, come before its own.
    pub include: Option<Spanned<Vec<SStr>>>,
    /// A string enum: its values.
    #[serde(rename = "enum")]
    pub enum_values: Option<Spanned<Vec<SStr>>>,
    /// A tagged union: tag value -> object schema name.
    pub one_of: Option<Spanned<IndexMap<SStr, SStr>>>,
    /// The discriminator field of a tagged union (default `type`).
    pub tag: Option<SStr>,
    /// `true`: the union has no tag; a value is the first variant it fits.
    pub untagged: Option<Spanned<bool>>,
    /// A newtype over a primitive, with optional constraints.
    pub newtype: Option<Spanned<FieldDef>>,
}

/// A field, parameter or newtype: either a bare type (`"string?"`) or a table.
#[derive(Debug, Default)]
pub struct FieldDef {
    /// The type expression, e.g. `[Item]`, `string?`, `{i32}`.
    pub ty: Option<SStr>,
    /// Documentation.
    pub doc: Option<SStr>,
    /// Default used when the value is absent.
    pub default: Option<Spanned<toml::Value>>,
    /// Minimum string length, in characters.
    pub min_len: Option<Spanned<i64>>,
    /// Maximum string length, in characters.
    pub max_len: Option<Spanned<i64>>,
    /// Inclusive numeric minimum.
    pub min: Option<Spanned<Number>>,
    /// Inclusive numeric maximum.
    pub max: Option<Spanned<Number>>,
    /// Regular expression a string must match (anywhere, unless anchored).
    pub pattern: Option<SStr>,
    /// A string format: `email`, `uuid`, `date`, `date-time`, `uri`.
    pub format: Option<SStr>,
    /// Minimum number of list items or map entries.
    pub min_items: Option<Spanned<i64>>,
    /// Maximum number of list items or map entries.
    pub max_items: Option<Spanned<i64>>,
    /// How a list query parameter is written: `repeated` (`?a=1&a=2`) or `comma` (`?a=1,2`).
    pub style: Option<SStr>,
    /// `true` on a `T?` field: the key must be present, its value may be `null`.
    pub required: Option<Spanned<bool>>,
    /// The integers an integer field may hold (OpenAPI's `enum` of numbers).
    pub values: Option<Spanned<Vec<Spanned<i64>>>>,
}

/// The table form of [`FieldDef`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldTable {
    #[serde(rename = "type")]
    ty: SStr,
    doc: Option<SStr>,
    default: Option<Spanned<toml::Value>>,
    min_len: Option<Spanned<i64>>,
    max_len: Option<Spanned<i64>>,
    min: Option<Spanned<Number>>,
    max: Option<Spanned<Number>>,
    pattern: Option<SStr>,
    format: Option<SStr>,
    min_items: Option<Spanned<i64>>,
    max_items: Option<Spanned<i64>>,
    style: Option<SStr>,
    required: Option<Spanned<bool>>,
    #[serde(rename = "enum")]
    values: Option<Spanned<Vec<Spanned<i64>>>>,
}

impl<'de> Deserialize<'de> for FieldDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = FieldDef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a type such as \"string\" or a table with a `type` key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldDef, E> {
                // The span of a bare type is the whole value; `Spanned<FieldDef>` records it.
                Ok(FieldDef {
                    ty: Some(Spanned::new(0..0, v.to_owned())),
                    ..FieldDef::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldDef, A::Error> {
                let t = FieldTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(FieldDef {
                    ty: Some(t.ty),
                    doc: t.doc,
                    default: t.default,
                    min_len: t.min_len,
                    max_len: t.max_len,
                    min: t.min,
                    max: t.max,
                    pattern: t.pattern,
                    format: t.format,
                    min_items: t.min_items,
                    max_items: t.max_items,
                    style: t.style,
                    required: t.required,
                    values: t.values,
                })
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}

/// A TOML number: integer or float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
}

impl Number {
    /// The value as a float, for comparisons.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                i64::try_from(v)
                    .map(Number::Int)
                    .map_err(|_| E::custom("number too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// `[errors.<Name>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDef {
    /// The HTTP status code answered with this error.
    pub status: Spanned<i64>,
    /// A short, human-readable summary (RFC 9457 `title`); defaults to the name in words.
    pub title: Option<SStr>,
    /// When this error happens.
    pub doc: Option<SStr>,
}

/// `[services.<name>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// What the service does.
    pub doc: Option<SStr>,
    /// The port the service listens on by default.
    pub port: Spanned<i64>,
    /// Largest accepted request body, in bytes (default 1 MiB).
    pub body_limit: Option<Spanned<i64>>,
    /// Per-request timeout of the server, in milliseconds (default 10 000).
    pub request_timeout_ms: Option<Spanned<i64>>,
    /// Services this one calls.
    #[serde(default)]
    pub depends_on: DependsOn,
    /// The endpoints, by name.
    #[serde(default)]
    pub endpoints: IndexMap<SStr, Spanned<EndpointDef>>,
    /// The records the service keeps in its own database, by name.
    #[serde(default)]
    pub records: IndexMap<SStr, Spanned<RecordDef>>,
    /// The events the service publishes.
    #[serde(default)]
    pub publishes: Vec<SStr>,
    /// The events the service handles.
    #[serde(default)]
    pub subscribes: Vec<SStr>,
    /// Who may call the service's endpoints, unless an endpoint says otherwise.
    pub auth: Option<Spanned<AuthDef>>,
}

/// `[services.<name>.records.<name>]`: one kind of record the service stores, one table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDef {
    /// What the record is.
    pub doc: Option<SStr>,
    /// The object schema of each record.
    pub schema: SStr,
    /// The field that identifies a record.
    pub key: SStr,
    /// Fields no two records share, each with the error a duplicate is answered with (the key
    /// may be listed, to name the error a duplicate key is answered with).
    #[serde(default)]
    pub unique: IndexMap<SStr, SStr>,
    /// Fields records are looked up and listed by.
    #[serde(default)]
    pub index: Vec<SStr>,
    /// Changes that lose or refuse existing data, accepted explicitly.
    pub evolve: Option<Spanned<EvolveDef>>,
}

/// `evolve`: the changes to a stored record that `generate` refuses unless named here.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvolveDef {
    /// Fields removed from the schema whose column, and data, are dropped.
    #[serde(default)]
    pub drop: Vec<SStr>,
    /// Renamed fields: new name -> old name (the column is renamed, its data kept).
    #[serde(default)]
    pub rename: IndexMap<SStr, SStr>,
    /// Fields newly unique although existing records may share a value (the migration
    /// fails on such data, and the service does not start, until it is fixed).
    #[serde(default)]
    pub add_unique: Vec<SStr>,
}

/// `depends_on`: a list of names, or a table of name -> policy.
#[derive(Debug, Default)]
pub struct DependsOn(pub Vec<(SStr, Option<Spanned<PolicyDef>>)>);

impl<'de> Deserialize<'de> for DependsOn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DepVisitor;
        impl<'de> Visitor<'de> for DepVisitor {
            type Value = DependsOn;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of service names or a table of service name -> policy")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DependsOn, A::Error> {
                let mut deps = Vec::new();
                while let Some(name) = seq.next_element::<SStr>()? {
                    deps.push((name, None));
                }
                Ok(DependsOn(deps))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DependsOn, A::Error> {
                let mut deps = Vec::new();
                while let Some((name, policy)) = map.next_entry::<SStr, Spanned<PolicyDef>>()? {
                    deps.push((name, Some(policy)));
                }
                Ok(DependsOn(deps))
            }
        }
        deserializer.deserialize_any(DepVisitor)
    }
}

/// How a service calls one dependency.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDef {
    /// Total time allowed for one call, in milliseconds (default 5 000).
    pub timeout_ms: Option<Spanned<i64>>,
    /// Time allowed to connect, in milliseconds (default 1 000).
    pub connect_timeout_ms: Option<Spanned<i64>>,
    /// Extra attempts for idempotent calls (default 2).
    pub retries: Option<Spanned<i64>>,
    /// `"forward"`: calls made while serving a request carry the caller's credential on, so
    /// the dependency acts on the caller's behalf (and checks it again).
    pub credentials: Option<SStr>,
}

/// `[services.<name>.endpoints.<name>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointDef {
    /// What the endpoint does.
    pub doc: Option<SStr>,
    /// HTTP method: GET, POST, PUT, PATCH or DELETE.
    pub method: SStr,
    /// Path template, e.g. `/users/{id}`.
    pub path: SStr,
    /// Path parameters by name.
    #[serde(default)]
    pub params: IndexMap<SStr, Spanned<FieldDef>>,
    /// Query parameters by name.
    #[serde(default)]
    pub query: IndexMap<SStr, Spanned<FieldDef>>,
    /// Header parameters by header name.
    #[serde(default)]
    pub headers: IndexMap<SStr, Spanned<FieldDef>>,
    /// The JSON request body type.
    pub request: Option<SStr>,
    /// The JSON response body type.
    pub response: Option<SStr>,
    /// The success status (default 200, or 204 without a response body).
    pub status: Option<Spanned<i64>>,
    /// Errors this endpoint may answer with.
    #[serde(default)]
    pub errors: Vec<SStr>,
    /// Errors of `errors` that a dependency's answer passes through unchanged (`NotFound` from
    /// a dependency answered as this endpoint's `NotFound`); any other dependency error is a
    /// 502.
    #[serde(default)]
    pub pass_through: Vec<SStr>,
    /// Who may call this endpoint (default: the service's `auth`).
    pub auth: Option<Spanned<AuthDef>>,
}
