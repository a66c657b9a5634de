//! The types crate of a system: serde types for every schema with a `Validate` impl enforcing
//! the spec's constraints and one type per named error. The checks themselves live in
//! `svcgen-runtime` (`runtime::validation`).

use super::rust::{doc, doc_str, format_file, lit};
use super::{EmitError, OutputFile, Ownership, Settings, header, types_dir};
use crate::ident::ident;
use crate::model::*;
use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Writes `src/lib.rs`, `src/schemas.rs` and `src/errors.rs`.
pub fn emit(system: &System, _: &Settings, files: &mut Vec<OutputFile>) -> Result<(), EmitError> {
    let dir = types_dir(system);
    let header = header(system);
    let mut modules = vec![("lib.rs", lib_tokens(system))];
    // A module with nothing in it is not written (and not declared).
    if !system.schemas.is_empty() {
        modules.push(("schemas.rs", schemas_tokens(system)));
    }
    if !system.errors.is_empty() {
        modules.push(("errors.rs", errors_tokens(system)));
    }
    for (name, tokens) in modules {
        let path = format!("{dir}/src/{name}");
        files.push(OutputFile {
            contents: format_file(&path, &header, tokens)?,
            path,
            ownership: Ownership::Generated,
        });
    }
    Ok(())
}

/// The crate root: docs and module wiring.
pub fn lib_tokens(system: &System) -> TokenStream {
    let crate_doc = format!(
        "Schema and error types of the `{}` system, with validation of the spec's constraints.",
        system.name.wire
    );
    let system_doc = system
        .doc
        .as_deref()
        .map(|d| format!("\n{}", super::rust::inert(d)))
        .unwrap_or_default();
    let text = format!("{crate_doc}\n{system_doc}");
    let lines = super::rust::doc_lines(&text);
    let errors = (!system.errors.is_empty()).then(|| {
        quote! { mod errors; pub use errors::*; pub use runtime::problem::TypedError; }
    });
    let schemas = (!system.schemas.is_empty()).then(|| quote! { mod schemas; pub use schemas::*; });
    quote! {
        #(#![doc = #lines])*

        pub use runtime::bytes;
        pub use runtime::query;
        pub use runtime::validation;

        #errors
        #schemas

        pub use chrono;
        pub use regex;
        pub use uuid;
    }
}

/// The `errors` and `schemas` modules as inline modules with their re-exports, each only when
/// the system has something to put in it (for the macro front end, which cannot write files).
/// `runtime` is the path of `svcgen-runtime` where they are expanded.
pub fn inline_modules(system: &System, runtime: TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    if !system.errors.is_empty() {
        let errors = errors_tokens(system);
        out.extend(quote! {
            mod errors { #errors }
            pub use errors::*;
            pub use #runtime::problem::TypedError;
        });
    }
    if !system.schemas.is_empty() {
        let schemas = schemas_tokens(system);
        out.extend(quote! { mod schemas { #schemas } pub use schemas::*; });
    }
    out
}

/// Every schema as a Rust type.
pub fn schemas_tokens(system: &System) -> TokenStream {
    let std = Std::new(system.schemas.values().map(|s| s.name.rust.as_str()));
    let mut cx = Cx::new(system, std);
    let items: Vec<TokenStream> = system
        .schemas
        .values()
        .map(|s| schema(&mut cx, s))
        .collect();
    let statics = cx.patterns.statics(cx.std);
    let body = quote! { #(#statics)* #(#items)* };
    // Imported only when some type has constraints to check.
    let validation = syn::parse2::<syn::File>(body.clone())
        .is_ok_and(|f| super::service::path_roots(&f.items).contains("validation"))
        .then(|| quote! { use super::validation; });
    quote! {
        //! Types for the schemas of the spec.

        #validation

        #body
    }
}

/// What emitting the schemas needs at hand.
pub(crate) struct Cx<'a> {
    system: &'a System,
    std: Std,
    patterns: Patterns,
    /// What the checks being emitted belong to (`Item_sku`), to name their pattern statics.
    owner: String,
}

impl<'a> Cx<'a> {
    /// A context for a module of `system` using `std` paths.
    pub(crate) fn new(system: &'a System, std: Std) -> Self {
        Cx {
            system,
            std,
            patterns: Patterns::default(),
            owner: String::new(),
        }
    }

    /// The system being emitted.
    pub(crate) fn system(&self) -> &'a System {
        self.system
    }

    /// The statics for the `pattern` constraints met so far.
    pub(crate) fn pattern_statics(&self) -> Vec<TokenStream> {
        self.patterns.statics(self.std)
    }
}

/// Prelude names that a spec type could shadow.
const PRELUDE: &[&str] = &[
    "Box", "Option", "Some", "None", "String", "Vec", "Default", "Ok", "Err", "Result", "Into",
];

/// Paths to std items and schema types. Std items get their short prelude names, unless a spec
/// type in the same module takes one of them, in which case every path is absolute. Schema
/// types are bare in the types crate and `types::Name` in service crates.
#[derive(Clone, Copy)]
pub struct Std {
    absolute: bool,
    qualified: bool,
}

impl Std {
    /// Chooses the paths for a module of the types crate defining types with these Rust names.
    pub fn new<'n>(mut names: impl Iterator<Item = &'n str>) -> Self {
        Std {
            absolute: names.any(|n| PRELUDE.contains(&n)),
            qualified: false,
        }
    }

    /// Paths for a module of a service crate, where schemas are reached as `types::Name` and
    /// nothing shadows the prelude.
    pub fn service() -> Self {
        Std {
            absolute: false,
            qualified: true,
        }
    }

    /// The path of a crate the types crate depends on (re-exported by it).
    pub fn krate(self, name: &str) -> TokenStream {
        let name = format_ident!("{}", name);
        if self.qualified {
            quote! { types::#name }
        } else {
            quote! { ::#name }
        }
    }

    /// The path of `runtime::bytes::Bytes`, which the types crate re-exports as `bytes`.
    pub fn bytes(self) -> TokenStream {
        if self.qualified {
            quote! { types::bytes::Bytes }
        } else {
            quote! { super::bytes::Bytes }
        }
    }

    /// The path of a schema or error type.
    pub fn schema(self, rust_name: &str) -> TokenStream {
        let name = ident(rust_name);
        if self.qualified {
            quote! { types::#name }
        } else {
            quote! { #name }
        }
    }

    /// `String`.
    pub fn string(self) -> TokenStream {
        if self.absolute {
            quote! { ::std::string::String }
        } else {
            quote! { String }
        }
    }

    /// `Vec`.
    pub fn vec(self) -> TokenStream {
        if self.absolute {
            quote! { ::std::vec::Vec }
        } else {
            quote! { Vec }
        }
    }

    /// `Option`.
    pub fn option(self) -> TokenStream {
        if self.absolute {
            quote! { ::std::option::Option }
        } else {
            quote! { Option }
        }
    }

    /// `Some`.
    pub fn some(self) -> TokenStream {
        if self.absolute {
            quote! { ::std::option::Option::Some }
        } else {
            quote! { Some }
        }
    }

    /// `Into`.
    pub fn into(self) -> TokenStream {
        if self.absolute {
            quote! { ::std::convert::Into }
        } else {
            quote! { Into }
        }
    }

    /// `Box`.
    pub fn boxed(self) -> TokenStream {
        if self.absolute {
            quote! { ::std::boxed::Box }
        } else {
            quote! { Box }
        }
    }
}

/// Regular expressions of `pattern` constraints, compiled once each and named after the first
/// field (or newtype) that uses them: `ITEM_SKU_PATTERN`.
#[derive(Default)]
struct Patterns(Vec<(String, String)>);

impl Patterns {
    fn get(&mut self, pattern: &str, owner: &str) -> proc_macro2::Ident {
        if let Some((_, name)) = self.0.iter().find(|(p, _)| p == pattern) {
            return format_ident!("{name}");
        }
        let base = format!("{}_PATTERN", owner.replace("r#", "").to_shouty_snake_case());
        let mut name = base.clone();
        let mut n = 1;
        while self.0.iter().any(|(_, taken)| *taken == name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.0.push((pattern.to_owned(), name.clone()));
        format_ident!("{name}")
    }

    fn statics(&self, std: Std) -> Vec<TokenStream> {
        let regex = std.krate("regex");
        self.0
            .iter()
            .map(|(p, name)| {
                let name = format_ident!("{name}");
                let docs = doc_str(&format!("The pattern {}.", super::rust::inert(&format!("`{p}`"))));
                let p = lit(p);
                quote! {
                    #docs
                    static #name: ::std::sync::LazyLock<#regex::Regex> = ::std::sync::LazyLock::new(|| {
                        #regex::Regex::new(#p).expect("svcgen checked this pattern when generating")
                    });
                }
            })
            .collect()
    }
}

/// The Rust type of a type expression.
pub fn rust_type(system: &System, std: Std, ty: &Type) -> TokenStream {
    let (string, vec, option) = (std.string(), std.vec(), std.option());
    match ty {
        Type::Prim(Prim::String) => string,
        Type::Prim(p) => prim_type(*p, std),
        Type::Named(n) => std.schema(&system.schemas[n].name.rust),
        Type::List(i) => {
            let i = rust_type(system, std, i);
            quote! { #vec<#i> }
        }
        Type::Map(i) => {
            let i = rust_type(system, std, i);
            quote! { ::std::collections::BTreeMap<#string, #i> }
        }
        Type::Optional(i) => {
            let i = rust_type(system, std, i);
            quote! { #option<#i> }
        }
    }
}

fn prim_type(p: Prim, std: Std) -> TokenStream {
    let (uuid, chrono) = (std.krate("uuid"), std.krate("chrono"));
    match p {
        Prim::String => quote! { ::std::string::String },
        Prim::Bool => quote! { bool },
        Prim::I8 => quote! { i8 },
        Prim::I16 => quote! { i16 },
        Prim::I32 => quote! { i32 },
        Prim::I64 => quote! { i64 },
        Prim::U8 => quote! { u8 },
        Prim::U16 => quote! { u16 },
        Prim::U32 => quote! { u32 },
        Prim::U64 => quote! { u64 },
        Prim::F32 => quote! { f32 },
        Prim::F64 => quote! { f64 },
        Prim::Uuid => quote! { #uuid::Uuid },
        Prim::Date => quote! { #chrono::NaiveDate },
        Prim::DateTime => quote! { #chrono::DateTime<#chrono::Utc> },
        Prim::Bytes => std.bytes(),
    }
}

/// The field type, boxed where it closes a recursive cycle.
fn field_type(cx: &Cx<'_>, f: &Field) -> TokenStream {
    let (system, std) = (cx.system, cx.std);
    if !f.boxed {
        return rust_type(system, std, &f.ty);
    }
    let (option, boxed) = (std.option(), std.boxed());
    match &f.ty {
        Type::Optional(inner) => {
            let inner = rust_type(system, std, inner);
            quote! { #option<#boxed<#inner>> }
        }
        other => {
            let t = rust_type(system, std, other);
            quote! { #boxed<#t> }
        }
    }
}

/// `#[serde(rename = "...")]` when the wire name differs from the Rust name.
fn rename(name: &Name) -> TokenStream {
    let bare = name.rust.trim_start_matches("r#");
    if bare == name.wire {
        TokenStream::new()
    } else {
        let wire = lit(&name.wire);
        quote! { #[serde(rename = #wire)] }
    }
}

fn schema(cx: &mut Cx<'_>, s: &Schema) -> TokenStream {
    let (system, std) = (cx.system, cx.std);
    let vec = std.vec();
    let name = ident(&s.name.rust);
    let docs = doc(s.doc.as_deref());
    match &s.kind {
        SchemaKind::Object(fields) => object(cx, s, fields),
        SchemaKind::Enum(values) => {
            let variants: Vec<_> = values.iter().map(|v| ident(&v.rust)).collect();
            let renames = values.iter().map(rename);
            let wires: Vec<_> = values.iter().map(|v| lit(&v.wire)).collect();
            let count = proc_macro2::Literal::usize_unsuffixed(values.len());
            quote! {
                #docs
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
                pub enum #name {
                    #( #renames #variants, )*
                }

                impl #name {
                    /// Every value, in spec order.
                    pub const ALL: [Self; #count] = [#(Self::#variants),*];

                    /// The value as it appears on the wire.
                    pub fn as_str(self) -> &'static str {
                        match self {
                            #( Self::#variants => #wires, )*
                        }
                    }
                }

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }

                impl validation::Validate for #name {
                    fn validate_at(
                        &self,
                        _path: &mut validation::Path,
                        _out: &mut #vec<validation::Violation>,
                    ) {
                    }
                }
            }
        }
        SchemaKind::Union { tag, variants } => {
            let repr = match tag {
                Some(tag) => {
                    let tag = lit(tag);
                    quote! { #[serde(tag = #tag)] }
                }
                None => quote! { #[serde(untagged)] },
            };
            let decls = variants.iter().map(|v| {
                let vname = ident(&v.name.rust);
                let target = ident(&system.schemas[&v.schema].name.rust);
                let wire = lit(&v.name.wire);
                let boxed = std.boxed();
                let ty = if v.boxed {
                    quote! { #boxed<#target> }
                } else {
                    quote! { #target }
                };
                if tag.is_some() {
                    quote! { #[serde(rename = #wire)] #vname(#ty), }
                } else {
                    quote! { #vname(#ty), }
                }
            });
            let arms = variants.iter().map(|v| {
                let vname = ident(&v.name.rust);
                if system.schemas[&v.schema].needs_validation {
                    quote! { Self::#vname(value) => validation::Validate::validate_at(value, path, out), }
                } else {
                    quote! { Self::#vname(_) => {} }
                }
            });
            let (path, out) = params(s.needs_validation);
            quote! {
                #docs
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #repr
                pub enum #name {
                    #(#decls)*
                }

                impl validation::Validate for #name {
                    fn validate_at(
                        &self,
                        #path: &mut validation::Path,
                        #out: &mut #vec<validation::Violation>,
                    ) {
                        match self {
                            #(#arms)*
                        }
                    }
                }
            }
        }
        SchemaKind::Newtype { inner, constraints } => {
            let inner_ty = rust_type(system, std, inner);
            cx.owner = s.name.rust.clone();
            let checks = value_checks(cx, &Value::Place(quote! { self.0 }), inner, constraints);
            let (path, out) = params(s.needs_validation);
            let extra_derives = if matches!(inner, Type::Prim(p) if p.is_float()) {
                quote! {}
            } else {
                quote! { Eq, Hash, PartialOrd, Ord, }
            };
            quote! {
                #docs
                #[derive(Debug, Clone, PartialEq, #extra_derives ::serde::Serialize, ::serde::Deserialize)]
                #[serde(transparent)]
                pub struct #name(pub #inner_ty);

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        ::std::fmt::Display::fmt(&self.0, f)
                    }
                }

                impl validation::Validate for #name {
                    fn validate_at(
                        &self,
                        #path: &mut validation::Path,
                        #out: &mut #vec<validation::Violation>,
                    ) {
                        #checks
                    }
                }
            }
        }
    }
}

/// Parameter names of `validate_at`: underscored when the body does not use them.
fn params(used: bool) -> (proc_macro2::Ident, proc_macro2::Ident) {
    if used {
        (format_ident!("path"), format_ident!("out"))
    } else {
        (format_ident!("_path"), format_ident!("_out"))
    }
}

pub(crate) fn object(cx: &mut Cx<'_>, s: &Schema, fields: &[Field]) -> TokenStream {
    let (system, std) = (cx.system, cx.std);
    let vec = std.vec();
    let name = ident(&s.name.rust);
    let docs = doc(s.doc.as_deref());
    let mut decls = Vec::new();
    let mut defaults = Vec::new();
    let mut checks = Vec::new();
    for f in fields {
        let fname = ident(&f.name.rust);
        let fdoc = doc(f.doc.as_deref());
        let ty = field_type(cx, f);
        let mut serde_args = Vec::new();
        let bare = f.name.rust.trim_start_matches("r#");
        if bare != f.name.wire {
            let wire = lit(&f.name.wire);
            serde_args.push(quote! { rename = #wire });
        }
        if f.present {
            // Written as `null` when `None`; a missing key fails to decode (a field read
            // with a function of its own has no implicit default).
            let read = lit("::serde::Deserialize::deserialize");
            serde_args.push(quote! { deserialize_with = #read });
        } else if matches!(f.ty, Type::Optional(_)) {
            let is_none = lit(&format!("{}::is_none", std.option()).replace(' ', ""));
            serde_args.push(quote! { default, skip_serializing_if = #is_none });
        }
        match f.list_style {
            // Absent is empty: an empty list is written as no parameter at all.
            Some(ListStyle::Repeated) if f.default.is_none() => serde_args.push(quote! { default }),
            Some(ListStyle::Comma) => {
                let with = match f.ty {
                    Type::Optional(_) => lit("types::query::comma_optional"),
                    _ => lit("types::query::comma"),
                };
                serde_args.push(quote! { with = #with });
            }
            _ => {}
        }
        if let Some(d) = &f.default {
            let fn_name = format_ident!("default_{}", bare);
            let fn_path = lit(&format!(
                "{}::{}",
                s.name.rust.trim_start_matches("r#"),
                fn_name
            ));
            serde_args.push(quote! { default = #fn_path });
            let value = default_value(system, std, d);
            let fn_doc = doc_str(&format!("The default of `{}`.", f.name.wire));
            defaults.push(quote! {
                #fn_doc
                fn #fn_name() -> #ty { #value }
            });
        }
        let attr = if serde_args.is_empty() {
            quote! {}
        } else {
            quote! { #[serde(#(#serde_args),*)] }
        };
        decls.push(quote! { #fdoc #attr pub #fname: #ty, });

        cx.owner = format!("{}_{}", s.name.rust, f.name.rust);
        let field_checks = value_checks(
            cx,
            &Value::Place(quote! { self.#fname }),
            &f.ty,
            &f.constraints,
        );
        if !field_checks.is_empty() {
            let wire = lit(&f.name.wire);
            checks.push(quote! {
                path.push(#wire);
                #field_checks
                path.pop();
            });
        }
    }
    let defaults_impl = if defaults.is_empty() {
        quote! {}
    } else {
        quote! { impl #name { #(#defaults)* } }
    };
    let (path, out) = params(!checks.is_empty());
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#decls)*
        }

        #defaults_impl

        impl validation::Validate for #name {
            fn validate_at(
                &self,
                #path: &mut validation::Path,
                #out: &mut #vec<validation::Violation>,
            ) {
                #(#checks)*
            }
        }
    }
}

fn default_value(system: &System, std: Std, d: &DefaultValue) -> TokenStream {
    let (string, vec) = (std.string(), std.vec());
    match d {
        DefaultValue::String(s) => {
            let s = lit(s);
            quote! { #string::from(#s) }
        }
        DefaultValue::Bool(b) => quote! { #b },
        DefaultValue::Int(i) => {
            let i = proc_macro2::Literal::i64_unsuffixed(*i);
            quote! { #i }
        }
        DefaultValue::Float(f) => {
            let f = proc_macro2::Literal::f64_unsuffixed(*f);
            quote! { #f }
        }
        DefaultValue::EnumVariant(schema, v) => {
            let t = std.schema(&system.schemas[schema].name.rust);
            let v = ident(&v.rust);
            quote! { #t::#v }
        }
        DefaultValue::EmptyList => quote! { #vec::new() },
        DefaultValue::EmptyMap => quote! { ::std::collections::BTreeMap::new() },
    }
}

/// An expression for a value being checked.
enum Value {
    /// A place of type `T`, e.g. `self.name`.
    Place(TokenStream),
    /// A binding of type `&T`, e.g. a loop item.
    Ref(TokenStream),
}

impl Value {
    /// The value as `&T`.
    fn by_ref(&self) -> TokenStream {
        match self {
            Value::Place(p) => quote! { &#p },
            Value::Ref(r) => r.clone(),
        }
    }

    /// The value as `T` (for `Copy` types).
    fn by_val(&self) -> TokenStream {
        match self {
            Value::Place(p) => p.clone(),
            Value::Ref(r) => quote! { *#r },
        }
    }
}

/// Checks for one value. Empty when nothing is checked.
fn value_checks(cx: &mut Cx<'_>, value: &Value, ty: &Type, c: &Constraints) -> TokenStream {
    let system = cx.system;
    let expr = value.by_ref();
    let place = value.by_val();
    let counts = |min: Option<u64>, max: Option<u64>| {
        let min = min.map(proc_macro2::Literal::u64_unsuffixed);
        let max = max.map(proc_macro2::Literal::u64_unsuffixed);
        range(min, max)
    };
    match ty {
        Type::Optional(inner) => {
            let inner = value_checks(cx, &Value::Ref(quote! { value }), inner, c);
            if inner.is_empty() {
                return inner;
            }
            let some = cx.std.some();
            quote! {
                if let #some(value) = #expr {
                    #inner
                }
            }
        }
        Type::List(inner) | Type::Map(inner) => {
            let mut out = TokenStream::new();
            if c.min_items.is_some() || c.max_items.is_some() {
                let range = counts(c.min_items, c.max_items);
                // `len` through auto-deref: `*value.len()` would dereference the count.
                let len = match value {
                    Value::Place(p) | Value::Ref(p) => quote! { #p.len() },
                };
                out.extend(quote! { validation::check_items(#len, #range, path, out); });
            }
            let item = value_checks(
                cx,
                &Value::Ref(quote! { item }),
                inner,
                &Constraints::default(),
            );
            if !item.is_empty() {
                out.extend(if matches!(ty, Type::List(_)) {
                    quote! {
                        for (index, item) in #place.iter().enumerate() {
                            path.push_index(index);
                            #item
                            path.pop();
                        }
                    }
                } else {
                    quote! {
                        for (key, item) in #expr {
                            path.push_key(key);
                            #item
                            path.pop();
                        }
                    }
                });
            }
            out
        }
        Type::Named(n) => {
            if system.schemas[n].needs_validation {
                quote! { validation::Validate::validate_at(#expr, path, out); }
            } else {
                TokenStream::new()
            }
        }
        Type::Prim(p) => {
            let mut out = TokenStream::new();
            if c.min_len.is_some() || c.max_len.is_some() {
                let range = counts(c.min_len, c.max_len);
                out.extend(quote! { validation::check_len(#expr, #range, path, out); });
            }
            if let Some(p) = &c.pattern {
                let re = cx.patterns.get(p, &cx.owner);
                out.extend(quote! { validation::check_pattern(#expr, &#re, path, out); });
            }
            if let Some(f) = c.format {
                let variant = match f {
                    Format::Email => quote! { Email },
                    Format::Uuid => quote! { Uuid },
                    Format::Date => quote! { Date },
                    Format::DateTime => quote! { DateTime },
                    Format::Uri => quote! { Uri },
                };
                out.extend(quote! { validation::check_format(#expr, validation::Format::#variant, path, out); });
            }
            if c.min.is_some() || c.max.is_some() {
                let widest = f64::from(f32::MAX);
                let bound = |b: Option<NumberBound>| match b {
                    Some(NumberBound::Float(f)) if *p == Prim::F32 && f == widest => {
                        Some(quote! { f64::from(f32::MAX) })
                    }
                    Some(NumberBound::Float(f)) if *p == Prim::F32 && f == -widest => {
                        Some(quote! { -f64::from(f32::MAX) })
                    }
                    Some(NumberBound::Int(i)) if p.is_float() => Some(number(i as f64)),
                    Some(NumberBound::Int(i)) => Some(int(i)),
                    Some(NumberBound::Float(f)) => Some(number(f)),
                    None => None,
                };
                let range = range(bound(c.min), bound(c.max));
                out.extend(match p {
                    Prim::F64 => quote! { validation::check_float(#place, #range, path, out); },
                    Prim::F32 => {
                        quote! { validation::check_float(f64::from(#place), #range, path, out); }
                    }
                    Prim::I64 => quote! { validation::check_int(#place, #range, path, out); },
                    Prim::U64 => quote! { validation::check_uint(#place, #range, path, out); },
                    _ => quote! { validation::check_int(i64::from(#place), #range, path, out); },
                });
            }
            if let Some(values) = &c.values {
                let values = values.iter().map(|v| int(*v));
                out.extend(quote! {
                    validation::check_values(i128::from(#place), &[#(#values),*], path, out);
                });
            }
            out
        }
    }
}

/// A range expression for inclusive bounds: `1..=5`, `1..`, `..=5`.
fn range(min: Option<impl quote::ToTokens>, max: Option<impl quote::ToTokens>) -> TokenStream {
    match (min, max) {
        (Some(min), Some(max)) => quote! { #min..=#max },
        (Some(min), None) => quote! { #min.. },
        (None, Some(max)) => quote! { ..=#max },
        (None, None) => quote! { .. },
    }
}

/// An integer literal; negative values as a negated literal, which every parser accepts.
fn int(i: i64) -> TokenStream {
    let abs = proc_macro2::Literal::u64_unsuffixed(i.unsigned_abs());
    if i < 0 {
        quote! { -#abs }
    } else {
        quote! { #abs }
    }
}

/// A float literal (always with a decimal point, so it types as `f64`).
fn number(f: f64) -> TokenStream {
    let abs = proc_macro2::Literal::f64_unsuffixed(f.abs());
    if f < 0.0 {
        quote! { -#abs }
    } else {
        quote! { #abs }
    }
}

/// One type per named error.
pub fn errors_tokens(system: &System) -> TokenStream {
    let std = Std::new(system.errors.values().map(|e| e.name.rust.as_str()));
    let (string, into) = (std.string(), std.into());
    let items = system.errors.values().map(|e| {
        let name = ident(&e.name.rust);
        let docs = doc(e.doc.as_deref());
        let status = e.status;
        let title = lit(&e.title);
        let code = lit(&e.name.wire);
        let status_doc = doc_str(&format!("The HTTP status answered with this error ({status})."));
        quote! {
            #docs
            #status_doc
            #[derive(Debug, Clone, PartialEq, Eq, Default, ::serde::Serialize, ::serde::Deserialize)]
            pub struct #name {
                /// What went wrong in this occurrence, for people (RFC 9457 `detail`).
                pub detail: #string,
            }

            impl #name {
                /// The HTTP status code.
                pub const STATUS: u16 = #status;
                /// A short summary of the problem type (RFC 9457 `title`).
                pub const TITLE: &'static str = #title;
                /// The error's name in the spec, used as the problem `code`.
                pub const CODE: &'static str = #code;

                /// The error with an explanation of this occurrence.
                pub fn new(detail: impl #into<#string>) -> Self {
                    Self { detail: detail.into() }
                }
            }

            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    if self.detail.is_empty() {
                        f.write_str(Self::TITLE)
                    } else {
                        write!(f, "{}: {}", Self::TITLE, self.detail)
                    }
                }
            }

            impl ::std::error::Error for #name {}

            impl super::TypedError for #name {
                const STATUS: u16 = Self::STATUS;
                const TITLE: &'static str = Self::TITLE;
                const CODE: &'static str = Self::CODE;

                fn with_detail(detail: #string) -> Self {
                    Self { detail }
                }

                fn detail(&self) -> &str {
                    &self.detail
                }
            }
        }
    });
    quote! {
        //! One type per error of the spec, with its HTTP status.
        #(#items)*
    }
}
