//! A service's `store` module: the repository of each record (statements in both dialects,
//! written from the spec) and the list of its migrations.
//!
//! Only validated names reach SQL, always quoted; no spec text does.

use super::rust::{doc, doc_str, lit};
use super::types::{Std, rust_type};
use crate::ident::{const_name, ident, type_name};
use crate::model::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Which SQL to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3 (`?` placeholders).
    Sqlite,
    /// PostgreSQL (`$1` placeholders).
    Postgres,
}

impl Dialect {
    /// Both, SQLite first.
    pub const ALL: [Dialect; 2] = [Dialect::Sqlite, Dialect::Postgres];

    /// The folder of its migrations, under the service's `migrations/`.
    pub fn dir(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// The column type of `kind`.
    pub fn column_type(self, kind: &ColumnKind) -> &'static str {
        let prim = match kind {
            // Neither store has an unsigned 64-bit column: `u64` is kept as a JSON number
            // (`column` in the resolver makes those `Json`; this arm is for completeness).
            ColumnKind::Prim(Prim::U64) | ColumnKind::Newtype(_, Prim::U64) | ColumnKind::Json => {
                return match self {
                    Dialect::Sqlite => "TEXT",
                    Dialect::Postgres => "jsonb",
                };
            }
            ColumnKind::Prim(p) | ColumnKind::Newtype(_, p) => *p,
            ColumnKind::Enum(_) => Prim::String,
        };
        match (self, prim) {
            (Dialect::Sqlite, Prim::String | Prim::Date | Prim::DateTime) => "TEXT",
            (Dialect::Sqlite, Prim::Bool) => "BOOLEAN",
            (
                Dialect::Sqlite,
                Prim::I8 | Prim::I16 | Prim::I32 | Prim::I64 | Prim::U8 | Prim::U16 | Prim::U32,
            ) => "INTEGER",
            (Dialect::Sqlite, Prim::F32 | Prim::F64) => "REAL",
            (Dialect::Sqlite, Prim::Uuid | Prim::Bytes) => "BLOB",
            (Dialect::Sqlite, Prim::U64) => "TEXT",
            (Dialect::Postgres, Prim::U64) => "jsonb",
            (Dialect::Postgres, Prim::String) => "text",
            (Dialect::Postgres, Prim::Bool) => "boolean",
            // Unsigned and 8-bit integers in the next signed type (see `stored_as`).
            (Dialect::Postgres, Prim::I8 | Prim::I16 | Prim::U8) => "smallint",
            (Dialect::Postgres, Prim::I32 | Prim::U16) => "integer",
            (Dialect::Postgres, Prim::I64 | Prim::U32) => "bigint",
            (Dialect::Postgres, Prim::F32) => "real",
            (Dialect::Postgres, Prim::F64) => "double precision",
            (Dialect::Postgres, Prim::Uuid) => "uuid",
            (Dialect::Postgres, Prim::Bytes) => "bytea",
            (Dialect::Postgres, Prim::Date) => "date",
            (Dialect::Postgres, Prim::DateTime) => "timestamptz",
        }
    }

    /// The `n`th placeholder (from 1).
    fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

/// `"name"`: identifiers are validated (ASCII letters, digits, `_`) and always quoted.
pub fn quoted(name: &str) -> String {
    debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    format!("\"{name}\"")
}

/// The name of the unique index of `column`: what PostgreSQL reports a violation with.
pub fn unique_index(table: &str, column: &str) -> String {
    format!("{table}_{column}_key")
}

/// The name of the index of `column`.
pub fn plain_index(table: &str, column: &str) -> String {
    format!("{table}_{column}_idx")
}

struct Statements {
    insert: String,
    get: String,
    get_for_update: String,
    update: String,
    delete: String,
    find: Vec<String>,
    list_first: String,
    list_after: String,
    list_by_first: Vec<String>,
    list_by_after: Vec<String>,
}

fn statements(r: &Record, d: Dialect) -> Statements {
    let t = quoted(r.table());
    let cols: Vec<String> = r.columns.iter().map(|c| quoted(&c.name)).collect();
    let all = cols.join(", ");
    let key = &cols[r.key];
    let select = format!("SELECT {all} FROM {t}");
    let values: Vec<String> = (1..=cols.len()).map(|n| d.param(n)).collect();
    let mut n = 0;
    let mut next = || {
        n += 1;
        d.param(n)
    };
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != r.key)
        .map(|(_, c)| format!("{c} = {}", next()))
        .collect();
    let update = format!(
        "UPDATE {t} SET {} WHERE {key} = {}",
        sets.join(", "),
        next()
    );
    let for_update = match d {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE",
    };
    let by = |col: &str, after: bool| {
        let cond = if after {
            format!("{col} = {} AND {key} > {}", d.param(1), d.param(2))
        } else {
            format!("{col} = {}", d.param(1))
        };
        let limit = d.param(if after { 3 } else { 2 });
        format!("{select} WHERE {cond} ORDER BY {key} LIMIT {limit}")
    };
    Statements {
        insert: format!("INSERT INTO {t} ({all}) VALUES ({})", values.join(", ")),
        get: format!("{select} WHERE {key} = {}", d.param(1)),
        get_for_update: format!("{select} WHERE {key} = {}{for_update}", d.param(1)),
        update,
        delete: format!("DELETE FROM {t} WHERE {key} = {}", d.param(1)),
        find: r
            .unique
            .iter()
            .map(|(i, _)| format!("{select} WHERE {} = {}", cols[*i], d.param(1)))
            .collect(),
        list_first: format!("{select} ORDER BY {key} LIMIT {}", d.param(1)),
        list_after: format!(
            "{select} WHERE {key} > {} ORDER BY {key} LIMIT {}",
            d.param(1),
            d.param(2)
        ),
        list_by_first: r.index.iter().map(|i| by(&cols[*i], false)).collect(),
        list_by_after: r.index.iter().map(|i| by(&cols[*i], true)).collect(),
    }
}

fn sql_const(name: &str, doc_text: &str, sqlite: &str, postgres: &str) -> TokenStream {
    let name = format_ident!("{}", name);
    let d = doc_str(doc_text);
    let (s, p) = (lit(sqlite), lit(postgres));
    quote! {
        #d
        const #name: Sql = Sql { sqlite: #s, postgres: #p };
    }
}

/// The value of column `c` of `record` (an expression of type `&Record`), as bound.
fn bind_field(c: &Column) -> TokenStream {
    let f = ident(&c.field.rust);
    let v = quote! { record.#f };
    bind_value(c, v)
}

/// The wider signed type an integer is bound and read as, for the types one of the drivers
/// lacks (PostgreSQL has no unsigned integers; sqlx's `i8` is its one-byte `"char"`).
fn stored_as(p: Prim) -> Option<TokenStream> {
    match p {
        Prim::I8 | Prim::U8 => Some(quote! { i16 }),
        Prim::U16 => Some(quote! { i32 }),
        Prim::U32 => Some(quote! { i64 }),
        _ => None,
    }
}

/// The primitive of a column holding one (directly or in a newtype).
fn column_prim(c: &Column) -> Option<Prim> {
    match &c.kind {
        ColumnKind::Prim(p) | ColumnKind::Newtype(_, p) => Some(*p),
        _ => None,
    }
}

/// `value` (a place of the column's Rust type, or of its optional) made bindable.
fn bind_value(c: &Column, value: TokenStream) -> TokenStream {
    let r = quote! { &#value };
    if let Some(wide) = column_prim(c).and_then(stored_as) {
        return match (&c.kind, c.nullable) {
            (ColumnKind::Newtype(..), false) => quote! { #wide::from(#value.0) },
            (ColumnKind::Newtype(..), true) => quote! { #value.as_ref().map(|v| #wide::from(v.0)) },
            (_, false) => quote! { #wide::from(#value) },
            (_, true) => quote! { #value.map(#wide::from) },
        };
    }
    match (&c.kind, c.nullable) {
        // Kept to the microsecond on both databases (PostgreSQL's precision).
        (ColumnKind::Prim(Prim::DateTime), false) => quote! { store::micros(#r) },
        (ColumnKind::Prim(Prim::DateTime), true) => quote! { #value.as_ref().map(store::micros) },
        (ColumnKind::Newtype(_, Prim::DateTime), false) => quote! { store::micros(&#value.0) },
        (ColumnKind::Newtype(_, Prim::DateTime), true) => {
            quote! { #value.as_ref().map(|v| store::micros(&v.0)) }
        }
        // Text and bytes by reference, every other primitive (all `Copy`) by value.
        (ColumnKind::Prim(Prim::String | Prim::Bytes), _) => r,
        (ColumnKind::Prim(_), _) => value,
        (ColumnKind::Newtype(_, Prim::String | Prim::Bytes), false) => quote! { &#value.0 },
        (ColumnKind::Newtype(_, Prim::String | Prim::Bytes), true) => {
            quote! { #value.as_ref().map(|v| &v.0) }
        }
        (ColumnKind::Newtype(..), false) => quote! { #value.0 },
        (ColumnKind::Newtype(..), true) => quote! { #value.as_ref().map(|v| v.0) },
        (ColumnKind::Enum(_), false) => quote! { #value.as_str() },
        (ColumnKind::Enum(_), true) => quote! { #value.map(|v| v.as_str()) },
        (ColumnKind::Json, false) => quote! { Json(#r) },
        (ColumnKind::Json, true) => quote! { #value.as_ref().map(Json) },
    }
}

/// Decodes column `i` of `row` into the field's Rust type.
fn decode_field(system: &System, c: &Column, i: usize) -> TokenStream {
    let std = Std::service();
    let i = proc_macro2::Literal::usize_unsuffixed(i);
    let f = ident(&c.field.rust);
    if let Some(wide) = column_prim(c).and_then(stored_as) {
        let narrow = quote! { |v| store::narrow(v, #i) };
        let value = match (&c.kind, c.nullable) {
            (ColumnKind::Newtype(n, _), nullable) => {
                let wrapper = std.schema(&system.schemas[n].name.rust);
                if nullable {
                    quote! { row.get::<Option<#wide>>(#i)?.map(|v| store::narrow(v, #i).map(#wrapper)).transpose()? }
                } else {
                    quote! { #wrapper(store::narrow(row.get::<#wide>(#i)?, #i)?) }
                }
            }
            (_, true) => quote! { row.get::<Option<#wide>>(#i)?.map(#narrow).transpose()? },
            (_, false) => quote! { store::narrow(row.get::<#wide>(#i)?, #i)? },
        };
        return quote! { #f: #value };
    }
    let value = match (&c.kind, c.nullable) {
        (ColumnKind::Prim(_), _) => {
            let t = rust_type(system, std, &c.ty);
            quote! { row.get::<#t>(#i)? }
        }
        (ColumnKind::Newtype(n, p), nullable) => {
            let wrapper = std.schema(&system.schemas[n].name.rust);
            let inner = rust_type(system, std, &Type::Prim(*p));
            if nullable {
                quote! { row.get::<Option<#inner>>(#i)?.map(#wrapper) }
            } else {
                quote! { #wrapper(row.get::<#inner>(#i)?) }
            }
        }
        (ColumnKind::Enum(n), nullable) => {
            let e = std.schema(&system.schemas[n].name.rust);
            let method = if nullable {
                quote! { get_enum_opt }
            } else {
                quote! { get_enum }
            };
            quote! { row.#method(#i, &#e::ALL, #e::as_str)? }
        }
        (ColumnKind::Json, false) if c.boxed => {
            let t = rust_type(system, std, &c.ty);
            quote! { Box::new(row.get::<Json<#t>>(#i)?.0) }
        }
        (ColumnKind::Json, false) => {
            let t = rust_type(system, std, &c.ty);
            quote! { row.get::<Json<#t>>(#i)?.0 }
        }
        (ColumnKind::Json, true) if c.boxed => {
            let t = rust_type(system, std, c.ty.required());
            quote! { row.get::<Option<Json<#t>>>(#i)?.map(|json| Box::new(json.0)) }
        }
        (ColumnKind::Json, true) => {
            let t = rust_type(system, std, c.ty.required());
            quote! { row.get::<Option<Json<#t>>>(#i)?.map(|json| json.0) }
        }
    };
    quote! { #f: #value }
}

/// The type a method takes a column's value as (`&str` for text).
fn param_type(system: &System, c: &Column) -> TokenStream {
    let std = Std::service();
    match &c.kind {
        ColumnKind::Prim(Prim::String) => quote! { &str },
        ColumnKind::Enum(_) => rust_type(system, std, c.ty.required()),
        _ => {
            let t = rust_type(system, std, c.ty.required());
            quote! { &#t }
        }
    }
}

/// Binds a method parameter `name` of [`param_type`].
fn bind_param(c: &Column, name: &proc_macro2::Ident) -> TokenStream {
    if let Some(wide) = column_prim(c).and_then(stored_as) {
        return match &c.kind {
            ColumnKind::Newtype(..) => quote! { #wide::from(#name.0) },
            _ => quote! { #wide::from(*#name) },
        };
    }
    match &c.kind {
        ColumnKind::Prim(Prim::DateTime) => quote! { store::micros(#name) },
        ColumnKind::Newtype(_, Prim::DateTime) => quote! { store::micros(&#name.0) },
        ColumnKind::Newtype(..) => quote! { &#name.0 },
        ColumnKind::Enum(_) => quote! { #name.as_str() },
        _ => quote! { #name },
    }
}

/// The repository type of a record: `Users` for `users`.
pub fn repository_type(r: &Record) -> proc_macro2::Ident {
    ident(&type_name(&r.name.wire))
}

/// The constant naming the unique constraint of column `c` of `r`.
pub fn unique_const(c: &Column) -> proc_macro2::Ident {
    format_ident!("{}", const_name(&c.name))
}

/// The `store` module of a service with records.
pub fn store_tokens(system: &System, service: &Service) -> TokenStream {
    let std = Std::service();
    let migrations = |d: Dialect| {
        let entries = service.migrations.iter().filter(|m| match d {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        });
        let entries = entries.map(|m| {
            let version = proc_macro2::Literal::i64_unsuffixed(m.version);
            let description = lit(&m.description);
            let path = lit(&format!("/migrations/{}/{}", d.dir(), m.file));
            quote! { (#version, #description, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), #path))) }
        });
        quote! { &[#(#entries),*] }
    };
    let (sqlite, postgres) = (migrations(Dialect::Sqlite), migrations(Dialect::Postgres));
    let database = lit(&super::service::service_package(system, service));

    let mut accessors = Vec::new();
    let mut tx_accessors = Vec::new();
    let mut repos = Vec::new();
    for r in &service.records {
        let repo = repository_type(r);
        let method = ident(&r.name.rust);
        let schema = &system.schemas[&r.schema];
        let record_ty = std.schema(&schema.name.rust);
        let table = r.table();
        let decode = format_ident!("decode_{}", table);
        let acc_doc = doc_str(&format!("The `{}` records.", r.name.wire));
        accessors.push(quote! {
            #acc_doc
            pub fn #method(&self) -> #repo<'_> {
                #repo { on: On::Db(&self.db) }
            }
        });
        tx_accessors.push(quote! {
            #acc_doc
            pub fn #method(&mut self) -> #repo<'_> {
                #repo { on: On::Tx(&mut self.tx) }
            }
        });
        let [s, p] = Dialect::ALL.map(|d| statements(r, d));
        let mut consts = vec![
            sql_const("INSERT", "Adds a record.", &s.insert, &p.insert),
            sql_const("GET", "One record by key.", &s.get, &p.get),
            sql_const(
                "GET_FOR_UPDATE",
                "One record by key, locked until the transaction ends.",
                &s.get_for_update,
                &p.get_for_update,
            ),
            sql_const("UPDATE", "Replaces a record.", &s.update, &p.update),
            sql_const("DELETE", "Removes a record.", &s.delete, &p.delete),
            sql_const(
                "LIST_FIRST",
                "The first page, by key.",
                &s.list_first,
                &p.list_first,
            ),
            sql_const(
                "LIST_AFTER",
                "A page after a key.",
                &s.list_after,
                &p.list_after,
            ),
        ];
        let key = &r.columns[r.key];
        let key_ty = param_type(system, key);
        let key_name = ident(&key.field.rust);
        let key_bind = bind_param(key, &key_name);
        let binds: Vec<TokenStream> = r.columns.iter().map(bind_field).collect();
        let update_binds: Vec<TokenStream> = r
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != r.key)
            .map(|(_, c)| bind_field(c))
            .chain([bind_field(key)])
            .collect();
        let decode_fields: Vec<TokenStream> = r
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| decode_field(system, c, i))
            .collect();
        let mut methods = Vec::new();
        let mut unique_consts = Vec::new();
        // The key's constraint, unless a unique column's constant takes the name.
        if !r
            .unique
            .iter()
            .any(|(i, _)| unique_const(&r.columns[*i]) == "PRIMARY_KEY")
        {
            let (pg, sq) = (
                lit(&format!("{table}_pkey")),
                lit(&format!("{table}.{}", key.name)),
            );
            unique_consts.push(quote! {
                /// The key: a record with a key already stored is refused with this.
                pub const PRIMARY_KEY: Unique = Unique { postgres: #pg, sqlite: #sq };
            });
        }
        for (n, (i, _)) in r.unique.iter().enumerate() {
            let c = &r.columns[*i];
            let name = unique_const(c);
            // The key's constraint is the primary key.
            let index = if *i == r.key {
                format!("{table}_pkey")
            } else {
                unique_index(table, &c.name)
            };
            let (pg, sq) = (lit(&index), lit(&format!("{table}.{}", c.name)));
            let d = doc_str(&format!("The unique constraint on `{}`.", c.field.wire));
            unique_consts.push(quote! {
                #d
                pub const #name: Unique = Unique { postgres: #pg, sqlite: #sq };
            });
            if *i == r.key {
                continue;
            }
            let cname = format!("FIND_BY_{}", const_name(&c.name));
            consts.push(sql_const(
                &cname,
                &format!("One record by `{}`.", c.field.wire),
                &s.find[n],
                &p.find[n],
            ));
            let cident = format_ident!("{}", cname);
            let m = format_ident!("find_by_{}", c.name);
            let pty = param_type(system, c);
            let pname = ident(&c.field.rust);
            let pbind = bind_param(c, &pname);
            let d = doc_str(&format!(
                "The record whose `{}` is this one, if any.",
                c.field.wire
            ));
            methods.push(quote! {
                #d
                pub async fn #m(&mut self, #pname: #pty) -> Result<Option<#record_ty>, Error> {
                    let row = self.on.query(&Self::#cident).bind(#pbind).fetch_optional(&mut self.on).await?;
                    row.as_ref().map(#decode).transpose()
                }
            });
        }
        for (n, i) in r.index.iter().enumerate() {
            let c = &r.columns[*i];
            let up = const_name(&c.name);
            let (first, after) = (format!("LIST_BY_{up}_FIRST"), format!("LIST_BY_{up}_AFTER"));
            consts.push(sql_const(
                &first,
                &format!("The first page with one `{}`.", c.field.wire),
                &s.list_by_first[n],
                &p.list_by_first[n],
            ));
            consts.push(sql_const(
                &after,
                &format!("A page with one `{}`, after a key.", c.field.wire),
                &s.list_by_after[n],
                &p.list_by_after[n],
            ));
            let (first, after) = (format_ident!("{}", first), format_ident!("{}", after));
            let m = format_ident!("list_by_{}", c.name);
            let pty = param_type(system, c);
            let pname = ident(&c.field.rust);
            let pbind = bind_param(c, &pname);
            let d = doc_str(&format!(
                "Up to `limit` records whose `{}` is this one, in key order, after the key `after` (the last of the previous page) if given.",
                c.field.wire
            ));
            methods.push(quote! {
                #d
                pub async fn #m(&mut self, #pname: #pty, after: Option<#key_ty>, limit: u32) -> Result<Vec<#record_ty>, Error> {
                    let query = match after {
                        None => self.on.query(&Self::#first).bind(#pbind),
                        Some(#key_name) => self.on.query(&Self::#after).bind(#pbind).bind(#key_bind),
                    };
                    let rows = query.bind(i64::from(limit)).fetch_all(&mut self.on).await?;
                    rows.iter().map(#decode).collect()
                }
            });
        }
        let repo_doc = doc_str(&format!(
            "The `{}` records (`{}`), in the table `{table}`: on the pool, or in a transaction.",
            r.name.wire, r.schema
        ));
        let record_doc = doc(r.doc.as_deref());
        repos.push(quote! {
            #repo_doc
            #[doc = ""]
            #record_doc
            #[derive(Debug)]
            pub struct #repo<'a> {
                on: On<'a>,
            }

            impl #repo<'_> {
                #(#unique_consts)*
                #(#consts)*

                /// Adds `record`; a duplicate key or unique value is an [`Error::Unique`]. Times
                /// are kept to the microsecond: make them with `runtime::store::now()`, so what
                /// a handler answers with is what it stored.
                pub async fn insert(&mut self, record: &#record_ty) -> Result<(), Error> {
                    self.on.query(&Self::INSERT)#(.bind(#binds))*.execute(&mut self.on).await.map(drop)
                }

                /// The record with this key, if any.
                pub async fn get(&mut self, #key_name: #key_ty) -> Result<Option<#record_ty>, Error> {
                    let row = self.on.query(&Self::GET).bind(#key_bind).fetch_optional(&mut self.on).await?;
                    row.as_ref().map(#decode).transpose()
                }

                /// The record with this key, if any, locked against other writers until the
                /// transaction ends (on SQLite the transaction holds the write lock already).
                pub async fn get_for_update(&mut self, #key_name: #key_ty) -> Result<Option<#record_ty>, Error> {
                    let row = self.on.query(&Self::GET_FOR_UPDATE).bind(#key_bind).fetch_optional(&mut self.on).await?;
                    row.as_ref().map(#decode).transpose()
                }

                /// Replaces the record with `record`'s key; `false` when there is none.
                pub async fn update(&mut self, record: &#record_ty) -> Result<bool, Error> {
                    let changed = self.on.query(&Self::UPDATE)#(.bind(#update_binds))*.execute(&mut self.on).await?;
                    Ok(changed > 0)
                }

                /// Removes the record with this key; `false` when there was none.
                pub async fn delete(&mut self, #key_name: #key_ty) -> Result<bool, Error> {
                    let changed = self.on.query(&Self::DELETE).bind(#key_bind).execute(&mut self.on).await?;
                    Ok(changed > 0)
                }

                /// Up to `limit` records in key order, after the key `after` (the last of the
                /// previous page) if given.
                pub async fn list(&mut self, after: Option<#key_ty>, limit: u32) -> Result<Vec<#record_ty>, Error> {
                    let query = match after {
                        None => self.on.query(&Self::LIST_FIRST),
                        Some(#key_name) => self.on.query(&Self::LIST_AFTER).bind(#key_bind),
                    };
                    let rows = query.bind(i64::from(limit)).fetch_all(&mut self.on).await?;
                    rows.iter().map(#decode).collect()
                }

                #(#methods)*
            }
        });
        let decode_doc = doc_str(&format!("A row of `{table}` as a `{}`.", r.schema));
        repos.push(quote! {
            #decode_doc
            fn #decode(row: &Row) -> Result<#record_ty, Error> {
                Ok(#record_ty { #(#decode_fields),* })
            }
        });
    }
    let ev = events_tokens(system, service);
    let (store_field, store_init, tx_field, tx_init, commit, from_tx) = if service.has_events() {
        (
            quote! { outbox: Outbox, },
            quote! {
                /// The store on `db` (opened and migrated by `server::run`, or by a test), its
                /// events going into the outbox of this service.
                pub fn new(db: Db) -> Self {
                    Store::with_outbox(db, Outbox::new(EVENTS.system, EVENTS.service))
                }

                /// The store on `db`, publishing into `outbox` (whose relay `server::run`
                /// starts).
                pub fn with_outbox(db: Db, outbox: Outbox) -> Self {
                    Store { db, outbox }
                }
            },
            quote! { outbox: Outbox, published: bool, },
            quote! { outbox: self.outbox.clone(), published: false, },
            quote! {
                /// Keeps every change, and lets the events published in it go.
                pub async fn commit(self) -> Result<(), Error> {
                    self.tx.commit().await?;
                    if self.published {
                        self.outbox.committed();
                    }
                    Ok(())
                }
            },
            if service.subscribes.is_empty() {
                quote! {}
            } else {
                quote! {
                    /// A transaction of this store around `tx` (the event inbox's, for a handler).
                    pub(crate) fn from_tx(tx: Tx, store: &Store) -> Self {
                        Transaction { tx, outbox: store.outbox.clone(), published: false }
                    }

                    /// The transaction itself, for the inbox to commit after a handler.
                    pub(crate) fn into_tx(self) -> Tx {
                        if self.published {
                            // Woken now, the relay may look before the inbox commits; its next
                            // regular look (within 250 ms) finds the events.
                            self.outbox.committed();
                        }
                        self.tx
                    }
                }
            },
        )
    } else {
        (
            quote! {},
            quote! {
                /// The store on `db` (opened and migrated by `server::run`, or by a test).
                pub fn new(db: Db) -> Self {
                    Store { db }
                }
            },
            quote! {},
            quote! {},
            quote! {
                /// Keeps every change.
                pub async fn commit(self) -> Result<(), Error> {
                    self.tx.commit().await
                }
            },
            quote! {},
        )
    };
    let events_use = if service.has_events() {
        quote! { use runtime::events::Outbox; }
    } else {
        quote! {}
    };
    let (publish, tx_publish) = publish_tokens(system, service);
    let records_doc = if service.records.is_empty() {
        "The service's database (its event outbox and inbox)."
    } else {
        "The service's database, with a repository per record. Cheap to clone."
    };
    let records_doc = doc_str(records_doc);
    quote! {
        //! The service's own database: a repository per record, on the pool or in a
        //! transaction, and the migrations applied at start.
        //!
        //! Every statement is written in both dialects; the one of the database in
        //! `DATABASE_URL` runs. For queries of your own, use [`Store::db`].

        #[allow(unused_imports)]
        use runtime::store::{self, Db, Error, Json, On, Row, Sql, Tx, Unique};
        #events_use
        use super::runtime;
        #[allow(unused_imports)]
        use super::types;

        /// The name of the service's database: the SQLite file `<name>.db` in the data folder
        /// when `DATABASE_URL` is unset (the package's name, so services of two systems never
        /// share a file).
        pub const DATABASE: &str = #database;

        /// The service's migrations, in both dialects, applied at start in order.
        pub const MIGRATIONS: store::Migrations = store::Migrations {
            sqlite: #sqlite,
            postgres: #postgres,
        };

        #ev

        #records_doc
        #[derive(Debug, Clone)]
        pub struct Store {
            db: Db,
            #store_field
        }

        impl Store {
            #store_init

            /// The database, for queries of your own.
            pub fn db(&self) -> &Db {
                &self.db
            }

            /// Starts a transaction: every change made through it is kept by
            /// [`Transaction::commit`], none if it is dropped first.
            pub async fn begin(&self) -> Result<Transaction, Error> {
                Ok(Transaction { tx: self.db.begin().await?, #tx_init })
            }

            #(#accessors)*

            #publish
        }

        /// An open transaction of the store.
        #[derive(Debug)]
        pub struct Transaction {
            tx: Tx,
            #tx_field
        }

        impl Transaction {
            /// The transaction itself, for statements of your own.
            pub fn tx(&mut self) -> &mut Tx {
                &mut self.tx
            }

            #commit

            #from_tx

            #(#tx_accessors)*

            #tx_publish
        }

        #(#repos)*
    }
}

/// The event kinds the service publishes or handles, and its plan (`EVENTS`): who handles what
/// it publishes, where they are found.
fn events_tokens(system: &System, service: &Service) -> TokenStream {
    if !service.has_events() {
        return quote! {};
    }
    let mut kinds = Vec::new();
    for key in service.publishes.iter().chain(&service.subscribes) {
        let event = &system.events[key];
        let name = format_ident!("{}", const_name(&event.name.rust));
        if kinds
            .iter()
            .any(|(n, _): &(proc_macro2::Ident, TokenStream)| *n == name)
        {
            continue;
        }
        let (wire, ty) = (lit(&event.name.wire), lit(&event.wire_type()));
        let d = doc_str(&format!(
            "`{}` (version {}).",
            event.name.wire, event.version
        ));
        kinds.push((
            name.clone(),
            quote! {
                #d
                pub const #name: Kind = Kind { name: #wire, wire_type: #ty };
            },
        ));
    }
    let kind_items = kinds.iter().map(|(_, t)| t);
    let publications = service.publishes.iter().map(|key| {
        let event = &system.events[key];
        let kind = format_ident!("{}", const_name(&event.name.rust));
        let peers = system
            .services
            .values()
            .filter(|s| s.subscribes.contains(key))
            .map(|s| {
                let (name, env, port) = (
                    lit(&s.name.wire),
                    lit(&super::service::url_env(s)),
                    proc_macro2::Literal::u16_unsuffixed(s.port),
                );
                quote! { runtime::events::Peer { service: #name, url_env: #env, default_port: #port } }
            });
        quote! { runtime::events::Publication { kind: kinds::#kind, subscribers: &[#(#peers),*] } }
    });
    let handled = service.subscribes.iter().map(|key| {
        let kind = format_ident!("{}", const_name(&system.events[key].name.rust));
        quote! { kinds::#kind }
    });
    let (system_name, service_name) = (lit(&system.dir()), lit(&service.name.wire));
    let guarded = !system.auth.is_empty();
    quote! {
        /// The events the service publishes or handles.
        pub mod kinds {
            use super::runtime::events::Kind;

            #(#kind_items)*
        }

        /// What the service does with events: what it publishes (and who handles each), what
        /// it handles.
        pub const EVENTS: runtime::events::Plan = runtime::events::Plan {
            system: #system_name,
            service: #service_name,
            publishes: &[#(#publications),*],
            subscribes: &[#(#handled),*],
            guarded: #guarded,
        };
    }
}

/// A `publish_<event>` method per event the service publishes: on a transaction (with the
/// handler's own writes), and on the store (alone).
fn publish_tokens(system: &System, service: &Service) -> (TokenStream, TokenStream) {
    let std = Std::service();
    let mut on_store = Vec::new();
    let mut on_tx = Vec::new();
    for key in &service.publishes {
        let event = &system.events[key];
        let method = format_ident!("publish_{}", event.name.rust);
        let kind = format_ident!("{}", const_name(&event.name.rust));
        let payload = std.schema(&system.schemas[&event.payload].name.rust);
        let subject = match &event.key {
            Some(k) => {
                let field = ident(&k.rust);
                quote! { runtime::events::subject_of(&event.#field) }
            }
            None => quote! { None },
        };
        let mut text = format!(
            "Publishes `{}`: it is delivered to every service that handles it once this              transaction commits, never if it is rolled back. The event's id.",
            event.name.wire
        );
        if let Some(d) = &event.doc {
            text = format!("{text}\n\n{d}");
        }
        let d = doc_str(&text);
        on_tx.push(quote! {
            #d
            pub async fn #method(&mut self, event: &#payload) -> Result<runtime::events::Uuid, Error> {
                self.published = true;
                self.outbox.publish(&mut self.tx, &kinds::#kind, #subject, event).await
            }
        });
        let d = doc_str(&format!(
            "Publishes `{}` in a transaction of its own (see [`Transaction::{method}`]).",
            event.name.wire
        ));
        on_store.push(quote! {
            #d
            pub async fn #method(&self, event: &#payload) -> Result<runtime::events::Uuid, Error> {
                let mut tx = self.begin().await?;
                let id = tx.#method(event).await?;
                tx.commit().await?;
                Ok(id)
            }
        });
    }
    (quote! { #(#on_store)* }, quote! { #(#on_tx)* })
}
