//! The model: one resolved, validated system. Emitters read only this.
//!
//! Every name here is already a valid identifier (paired with its wire name), every type
//! reference resolves, and every cross-item rule holds. Maps are `IndexMap`s in spec order, so
//! output is deterministic and follows the order a person wrote.

use crate::diag::Loc;
use indexmap::IndexMap;

/// A name as written in the spec (`wire`) beside the Rust identifier made from it (`rust`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// As written: the JSON key, enum value, path segment or spec key.
    pub wire: String,
    /// The Rust identifier, possibly raw (`r#type`).
    pub rust: String,
}

/// Paths every generated service and gateway serves itself (health probes and its OpenAPI
/// document), which no endpoint or public route may take.
pub const RESERVED_PATHS: &[&str] = &["/healthz", "/readyz", "/openapi.json"];

/// The prefix of the runtime's internal routes (event delivery, dead letters), which no
/// endpoint may take.
pub const RESERVED_PREFIX: &str = "/_svcgen";

/// A whole system: what one spec file or spec folder describes.
#[derive(Debug, Clone)]
pub struct System {
    /// The system name; `rust` is its snake_case form, `kebab()` its folder and crate prefix.
    pub name: Name,
    /// Documentation.
    pub doc: Option<String>,
    /// Where the spec came from, as shown in generated headers (e.g. `specs/shop.toml`).
    pub source: String,
    /// Schemas by spec name.
    pub schemas: IndexMap<String, Schema>,
    /// Errors by spec name.
    pub errors: IndexMap<String, ErrorDef>,
    /// Services by spec name.
    pub services: IndexMap<String, Service>,
    /// The public entry point, if the system has one.
    pub gateway: Option<Gateway>,
    /// Events by name (`order.placed`).
    pub events: IndexMap<String, Event>,
    /// `[auth.<scheme>]`: how callers prove who they are. With any, every endpoint needs a
    /// caller unless it is declared `public`.
    pub auth: IndexMap<String, AuthScheme>,
}

/// One way callers prove who they are.
#[derive(Debug, Clone)]
pub struct AuthScheme {
    /// The scheme's name (an OpenAPI security scheme, `AUTH_<NAME>_*` variables).
    pub name: Name,
    /// Who the scheme is for.
    pub doc: Option<String>,
    /// How credentials are presented and checked.
    pub kind: SchemeKind,
    /// The scopes its credentials can carry.
    pub scopes: Vec<String>,
}

impl AuthScheme {
    /// The prefix of the scheme's environment variables: `AUTH_<NAME>_`.
    pub fn env_prefix(&self) -> String {
        format!("AUTH_{}_", self.name.wire.to_ascii_uppercase())
    }
}

/// What kind of credentials a scheme takes.
#[derive(Debug, Clone)]
pub enum SchemeKind {
    /// A signed JWT in `Authorization: Bearer`.
    Jwt {
        /// The required `iss`.
        issuer: String,
        /// The required `aud`.
        audience: String,
        /// The accepted signature algorithms (`EdDSA`, `RS256`, `ES256`, ...).
        algorithms: Vec<String>,
        /// The service of the system serving the public keys, if any.
        jwks: Option<String>,
        /// The object schema of the token's own claims, if declared.
        claims: Option<String>,
    },
    /// A key in a header, checked against the hashes of the keys issued.
    ApiKey {
        /// The header (lower case).
        header: String,
    },
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the system has no auth schemes, or the endpoint is declared `public`.
    #[default]
    Public,
    /// A caller proven by one of `schemes` and holding every one of `scopes`.
    Caller {
        /// The schemes accepted, in the system's order.
        schemes: Vec<String>,
        /// The scopes required.
        scopes: Vec<String>,
    },
}

impl Access {
    /// The schemes accepted (none when public).
    pub fn schemes(&self) -> &[String] {
        match self {
            Access::Public => &[],
            Access::Caller { schemes, .. } => schemes,
        }
    }
}

/// One kind of event: published by some services of the system, handled by others.
#[derive(Debug, Clone)]
pub struct Event {
    /// `wire` is the event's name (`order.placed`), `rust` its snake_case form (`order_placed`).
    pub name: Name,
    /// Documentation.
    pub doc: Option<String>,
    /// The object schema of the event's data (a key of `System::schemas`).
    pub payload: String,
    /// The payload's version: a new version is a new type on the wire.
    pub version: u32,
    /// The payload field that orders events (events with the same value are handled in
    /// publishing order by each subscriber).
    pub key: Option<Name>,
    /// Where it is defined.
    pub loc: Loc,
}

impl Event {
    /// The CloudEvents `type` of this event on the wire: `<name>.v<version>`.
    pub fn wire_type(&self) -> String {
        format!("{}.v{}", self.name.wire, self.version)
    }
}

/// An API gateway: forwards the public endpoints to their services.
#[derive(Debug, Clone)]
pub struct Gateway {
    /// Documentation.
    pub doc: Option<String>,
    /// Default listening port.
    pub port: u16,
    /// Total time for one forwarded call, in milliseconds.
    pub timeout_ms: u64,
    /// Every public route, in spec order.
    pub routes: Vec<GatewayRoute>,
    /// Which pages of other origins may call it, if any.
    pub cors: Option<GatewayCors>,
}

/// The origins whose pages may call a gateway from a browser (CORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayCors {
    /// Exact origins (`https://portal.example.org`), or `["*"]` for any.
    pub origins: Vec<String>,
    /// How long a browser may keep a preflight's answer, in seconds.
    pub max_age_s: u64,
}

impl Gateway {
    /// The services the gateway forwards to, in order of first appearance.
    pub fn upstreams(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.routes {
            if !out.contains(&r.service.as_str()) {
                out.push(&r.service);
            }
        }
        out
    }
}

/// One public route of a gateway.
#[derive(Debug, Clone)]
pub struct GatewayRoute {
    /// The service (spec name).
    pub service: String,
    /// The endpoint (index in the service's endpoints).
    pub endpoint: usize,
    /// The prefix put before the endpoint's path (`""` for none).
    pub prefix: String,
}

impl System {
    /// The folder name under the output directory and the crate name prefix.
    pub fn dir(&self) -> String {
        crate::ident::kebab_name(&self.name.wire)
    }

    /// The `jwt` schemes whose keys `service` serves (`jwks = "<service>"`): it signs their
    /// tokens.
    pub fn issued_by(&self, service: &str) -> Vec<&AuthScheme> {
        self.auth
            .values()
            .filter(|s| matches!(&s.kind, SchemeKind::Jwt { jwks: Some(j), .. } if j == service))
            .collect()
    }

    /// Whether any service of the system signs tokens.
    pub fn has_issuer(&self) -> bool {
        self.auth
            .values()
            .any(|s| matches!(&s.kind, SchemeKind::Jwt { jwks: Some(_), .. }))
    }
}

/// A named schema.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Spec name and Rust type name.
    pub name: Name,
    /// Documentation.
    pub doc: Option<String>,
    /// What kind of type it is.
    pub kind: SchemaKind,
    /// Whether its values need a validation pass (constraints somewhere inside).
    pub needs_validation: bool,
    /// Where it was defined.
    pub loc: Loc,
    /// The object schemas whose fields it includes first (`include`, OpenAPI's `allOf`), by
    /// spec name, each with where it is named; its `Object` fields hold theirs already.
    pub includes: Vec<(String, Loc)>,
}

/// The shapes a schema can take.
#[derive(Debug, Clone)]
pub enum SchemaKind {
    /// A JSON object with fields in order.
    Object(Vec<Field>),
    /// A string enum.
    Enum(Vec<Name>),
    /// A union: internally tagged, of object schemas, or untagged, of any schemas.
    Union {
        /// The discriminator field name; `None` for an untagged union, whose value is the
        /// first variant (in the order written) it fits.
        tag: Option<String>,
        /// Variants: `name.wire` is the tag value (the Rust name only, untagged), `schema`
        /// the schema it carries.
        variants: Vec<UnionVariant>,
    },
    /// A newtype over a primitive, with constraints.
    Newtype {
        /// The wrapped primitive.
        inner: Type,
        /// Constraints checked by `validate`.
        constraints: Constraints,
    },
}

/// One variant of a union.
#[derive(Debug, Clone)]
pub struct UnionVariant {
    /// Tag value and variant identifier.
    pub name: Name,
    /// The schema carried by the variant (an object schema in a tagged union).
    pub schema: String,
    /// Whether the variant is boxed to break a recursive cycle.
    pub boxed: bool,
}

/// A field of an object (or a parameter of an endpoint).
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON key and Rust field name.
    pub name: Name,
    /// Documentation.
    pub doc: Option<String>,
    /// The field's type.
    pub ty: Type,
    /// Constraints on the value.
    pub constraints: Constraints,
    /// The value used when the key is absent.
    pub default: Option<DefaultValue>,
    /// Whether a by-value reference is boxed to break a recursive cycle.
    pub boxed: bool,
    /// How a list query parameter is written; `None` for everything else.
    pub list_style: Option<ListStyle>,
    /// An optional (`T?`) field whose key must be present all the same (`required = true`):
    /// `null` is a value, absence is an error (OpenAPI's required and nullable).
    pub present: bool,
}

/// How a list query parameter is written (OpenAPI's `form` style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStyle {
    /// Once per item, `?sku=a&sku=b` (`explode: true`): an empty list is no parameter at
    /// all, so an absent one is empty.
    Repeated,
    /// One comma-separated value, `?sku=a,b` (`explode: false`).
    Comma,
}

impl Field {
    /// A field must be present in JSON unless it is optional or has a default; an optional
    /// one declared `required` must be present too (its value may be `null`).
    pub fn required(&self) -> bool {
        self.present || (!matches!(self.ty, Type::Optional(_)) && self.default.is_none())
    }
}

/// A type expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// A built-in scalar.
    Prim(Prim),
    /// A schema of this system, by spec name.
    Named(String),
    /// `[T]`.
    List(Box<Type>),
    /// `{T}`: a JSON object with string keys.
    Map(Box<Type>),
    /// `T?`.
    Optional(Box<Type>),
}

impl Type {
    /// The type with any `?` removed.
    pub fn required(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }
}

/// Built-in scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
    /// UTF-8 text.
    String,
    /// true / false.
    Bool,
    /// 8-bit signed integer.
    I8,
    /// 16-bit signed integer.
    I16,
    /// 32-bit signed integer.
    I32,
    /// 64-bit signed integer.
    I64,
    /// 8-bit unsigned integer.
    U8,
    /// 16-bit unsigned integer.
    U16,
    /// 32-bit unsigned integer.
    U32,
    /// 64-bit unsigned integer.
    U64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// A UUID in its hyphenated text form.
    Uuid,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 timestamp, normalised to UTC.
    DateTime,
    /// Binary data, base64 text in JSON (OpenAPI's `format: byte`).
    Bytes,
}

impl Prim {
    /// Every primitive with its spec spelling.
    pub const ALL: [(&'static str, Prim); 16] = [
        ("string", Prim::String),
        ("bool", Prim::Bool),
        ("i8", Prim::I8),
        ("i16", Prim::I16),
        ("i32", Prim::I32),
        ("i64", Prim::I64),
        ("u8", Prim::U8),
        ("u16", Prim::U16),
        ("u32", Prim::U32),
        ("u64", Prim::U64),
        ("f32", Prim::F32),
        ("f64", Prim::F64),
        ("uuid", Prim::Uuid),
        ("date", Prim::Date),
        ("date-time", Prim::DateTime),
        ("bytes", Prim::Bytes),
    ];

    /// The spec spelling.
    pub fn spec_name(self) -> &'static str {
        Prim::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Integers and floats.
    pub fn is_number(self) -> bool {
        self.is_float() || self.int_range().is_some()
    }

    /// `f32` and `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, Prim::F32 | Prim::F64)
    }

    /// The values an integer type holds; `None` for the others.
    pub fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Prim::I8 => (i8::MIN.into(), i8::MAX.into()),
            Prim::I16 => (i16::MIN.into(), i16::MAX.into()),
            Prim::I32 => (i32::MIN.into(), i32::MAX.into()),
            Prim::I64 => (i64::MIN.into(), i64::MAX.into()),
            Prim::U8 => (0, u8::MAX.into()),
            Prim::U16 => (0, u16::MAX.into()),
            Prim::U32 => (0, u32::MAX.into()),
            Prim::U64 => (0, u64::MAX.into()),
            _ => return None,
        })
    }
}

/// String formats checked by `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `local@domain.tld`, without spaces.
    Email,
    /// A hyphenated UUID.
    Uuid,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    DateTime,
    /// An absolute URI with a scheme.
    Uri,
}

impl Format {
    /// Every format with its spec spelling.
    pub const ALL: [(&'static str, Format); 5] = [
        ("email", Format::Email),
        ("uuid", Format::Uuid),
        ("date", Format::Date),
        ("date-time", Format::DateTime),
        ("uri", Format::Uri),
    ];

    /// The spec spelling.
    pub fn spec_name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// The regular expression a value of this format matches: published in OpenAPI documents
    /// (JSON Schema tools do not enforce `format`) and checked by the generated validation,
    /// which holds the same patterns (a test keeps the two equal).
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Format::Email => Some(EMAIL_PATTERN),
            Format::Uri => Some(URI_PATTERN),
            Format::Date => Some(DATE_PATTERN),
            Format::DateTime => Some(DATE_TIME_PATTERN),
            Format::Uuid => None,
        }
    }
}

/// See [`Format::pattern`].
pub const EMAIL_PATTERN: &str = r"^.+@.+$";
/// See [`Format::pattern`].
pub const URI_PATTERN: &str = r"^[A-Za-z][A-Za-z0-9+.-]*:";
/// See [`Format::pattern`]. February 29 is left out: a pattern cannot know leap years.
pub const DATE_PATTERN: &str = r"^[0-9]{4}-(((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01]))|((0[469]|11)-(0[1-9]|[12][0-9]|30))|(02-(0[1-9]|1[0-9]|2[0-8])))$";
/// See [`Format::pattern`].
pub const DATE_TIME_PATTERN: &str = r"^[0-9]{4}-(((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01]))|((0[469]|11)-(0[1-9]|[12][0-9]|30))|(02-(0[1-9]|1[0-9]|2[0-8])))T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

/// Constraints on a value. Each applies to one kind of type; `resolve` checks the pairing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// Minimum length in characters.
    pub min_len: Option<u64>,
    /// Maximum length in characters.
    pub max_len: Option<u64>,
    /// Inclusive minimum.
    pub min: Option<NumberBound>,
    /// Inclusive maximum.
    pub max: Option<NumberBound>,
    /// A regular expression (regex crate syntax) the string must match.
    pub pattern: Option<String>,
    /// A string format.
    pub format: Option<Format>,
    /// Minimum item count of a list or map.
    pub min_items: Option<u64>,
    /// Maximum item count of a list or map.
    pub max_items: Option<u64>,
    /// The integers an integer may be (an `enum` of numbers), in the order written.
    pub values: Option<Vec<i64>>,
}

impl Constraints {
    /// True when there is nothing to check.
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}

/// A numeric bound, in the representation of the constrained type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumberBound {
    /// For `i32` and `i64`.
    Int(i64),
    /// For `f64`.
    Float(f64),
}

/// A default value, already checked against its field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A variant of an enum schema: (schema spec name, variant).
    EnumVariant(String, Name),
    /// An empty list.
    EmptyList,
    /// An empty map.
    EmptyMap,
}

/// A named error.
#[derive(Debug, Clone)]
pub struct ErrorDef {
    /// Spec name and Rust type name.
    pub name: Name,
    /// The HTTP status.
    pub status: u16,
    /// RFC 9457 `title`.
    pub title: String,
    /// Documentation.
    pub doc: Option<String>,
}

/// A service.
#[derive(Debug, Clone)]
pub struct Service {
    /// Spec name; `rust` is its snake_case module name.
    pub name: Name,
    /// Documentation.
    pub doc: Option<String>,
    /// Default listening port.
    pub port: u16,
    /// Largest accepted request body, in bytes.
    pub body_limit: u64,
    /// Server-side timeout per request, in milliseconds.
    pub request_timeout_ms: u64,
    /// Dependencies in spec order.
    pub depends_on: Vec<Dependency>,
    /// Endpoints in spec order.
    pub endpoints: Vec<Endpoint>,
    /// The records kept in the service's own database, in spec order (none: no database).
    pub records: Vec<Record>,
    /// The service's migrations, as found and planned beside its crate (see `migrate`); empty
    /// until planned.
    pub migrations: Vec<MigrationFile>,
    /// The events it publishes (keys of `System::events`), in spec order.
    pub publishes: Vec<String>,
    /// The events it handles (keys of `System::events`), in spec order.
    pub subscribes: Vec<String>,
}

impl Service {
    /// Whether the service has a database: it keeps records, or publishes or handles events
    /// (their outbox and inbox live in its database).
    pub fn has_store(&self) -> bool {
        !self.records.is_empty() || self.has_events()
    }

    /// Whether the service publishes or handles events.
    pub fn has_events(&self) -> bool {
        !self.publishes.is_empty() || !self.subscribes.is_empty()
    }
}

/// One kind of record a service stores: one table of its database.
#[derive(Debug, Clone)]
pub struct Record {
    /// Spec name; `rust` is the snake_case name of its table and repository accessor.
    pub name: Name,
    /// Documentation.
    pub doc: Option<String>,
    /// The object schema each record is (spec name).
    pub schema: String,
    /// The columns, one per field of the schema, in field order.
    pub columns: Vec<Column>,
    /// The key column (index into `columns`).
    pub key: usize,
    /// Unique columns with the error (spec name) a duplicate is answered with.
    pub unique: Vec<(usize, String)>,
    /// Indexed columns, each listed by equality with keyset pagination on the key.
    pub index: Vec<usize>,
    /// Changes accepted explicitly.
    pub evolve: Evolve,
    /// Where the record was declared.
    pub loc: Loc,
}

impl Record {
    /// The table's name.
    pub fn table(&self) -> &str {
        self.name.rust.trim_start_matches("r#")
    }
}

/// One column: a field of the record's schema.
#[derive(Debug, Clone)]
pub struct Column {
    /// The field (its Rust name is how the record's value is reached).
    pub field: Name,
    /// The column's name: the field's snake_case name.
    pub name: String,
    /// How the value is stored.
    pub kind: ColumnKind,
    /// Whether the field is optional (a NULL column).
    pub nullable: bool,
    /// The field's default, used for rows that existed before the column.
    pub default: Option<DefaultValue>,
    /// The field's type, for decoding.
    pub ty: Type,
    /// Whether the field is boxed (a recursive reference), stored as JSON.
    pub boxed: bool,
}

/// How a field's value is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// A primitive, directly.
    Prim(Prim),
    /// A newtype over a primitive (schema spec name), as the primitive.
    Newtype(String, Prim),
    /// A string enum (schema spec name), as its wire text.
    Enum(String),
    /// Anything else (lists, maps, objects, unions), as JSON (`jsonb` on PostgreSQL).
    Json,
}

impl ColumnKind {
    /// Whether a key, a unique constraint or an index can be on such a column.
    pub fn is_scalar(&self) -> bool {
        !matches!(self, ColumnKind::Json)
    }

    /// The name written into the store snapshot, to detect a changed type.
    pub fn sql_type(&self) -> &'static str {
        match self {
            ColumnKind::Prim(p) | ColumnKind::Newtype(_, p) => p.spec_name(),
            ColumnKind::Enum(_) => "string",
            ColumnKind::Json => "json",
        }
    }
}

/// Explicitly accepted changes to a stored record.
#[derive(Debug, Clone, Default)]
pub struct Evolve {
    /// Removed fields whose columns are dropped.
    pub drop: Vec<String>,
    /// New column name -> old column name.
    pub rename: Vec<(String, String)>,
    /// Columns newly unique.
    pub add_unique: Vec<String>,
}

/// A migration of a service, in both dialects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// Its version: the number its file names start with.
    pub version: i64,
    /// Its file name (the same in `migrations/sqlite/` and `migrations/postgres/`).
    pub file: String,
    /// Its description (from the file name).
    pub description: String,
    /// Whether the SQLite folder has it.
    pub sqlite: bool,
    /// Whether the PostgreSQL folder has it.
    pub postgres: bool,
}

/// A declared dependency of one service on another, with the client policy for the edge.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The service depended on (spec name).
    pub service: String,
    /// Total time for one call, in milliseconds.
    pub timeout_ms: u64,
    /// Time to connect, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Extra attempts for idempotent methods.
    pub retries: u32,
    /// Calls made while serving a request carry the caller's credential on.
    pub forward_credentials: bool,
}

/// HTTP methods an endpoint may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// Every method with its spelling.
    pub const ALL: [(&'static str, Method); 5] = [
        ("GET", Method::Get),
        ("POST", Method::Post),
        ("PUT", Method::Put),
        ("PATCH", Method::Patch),
        ("DELETE", Method::Delete),
    ];

    /// The upper-case spelling.
    pub fn as_str(self) -> &'static str {
        Method::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Safe to retry: repeating the request has the same effect as sending it once.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text.
    Literal(String),
    /// `{name}`.
    Param(String),
}

/// The body type of raw bytes: `request = "binary"`, `response = "binary"`.
pub const BINARY: &str = "binary";

/// What a request or response body is.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// JSON of this type.
    Json(Type),
    /// Raw bytes with their media type (`binary`): `runtime::body::Binary`.
    Binary,
}

impl Body {
    /// The JSON type, for a JSON body.
    pub fn json(&self) -> Option<&Type> {
        match self {
            Body::Json(t) => Some(t),
            Body::Binary => None,
        }
    }
}

/// An endpoint of a service.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Spec name; `rust` is the method name.
    pub name: Name,
    /// Documentation.
    pub doc: Option<String>,
    /// The method.
    pub method: Method,
    /// The path as written.
    pub path: String,
    /// The parsed path.
    pub segments: Vec<Segment>,
    /// Path parameters, in path order.
    pub params: Vec<Field>,
    /// Query parameters.
    pub query: Vec<Field>,
    /// Header parameters (wire name is the header name).
    pub headers: Vec<Field>,
    /// The request body.
    pub request: Option<Body>,
    /// The response body.
    pub response: Option<Body>,
    /// The success status.
    pub status: u16,
    /// The errors it may answer with (spec names).
    pub errors: Vec<String>,
    /// Those of `errors` a dependency's typed error passes through as they are, with where
    /// each is listed.
    pub pass_through: Vec<(String, Loc)>,
    /// Who may call it.
    pub access: Access,
}

impl Endpoint {
    /// The request body's type, when it is JSON.
    pub fn request_json(&self) -> Option<&Type> {
        self.request.as_ref().and_then(Body::json)
    }

    /// The response body's type, when it is JSON.
    pub fn response_json(&self) -> Option<&Type> {
        self.response.as_ref().and_then(Body::json)
    }
}
