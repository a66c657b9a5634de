//! The macro expands exactly the items the CLI writes: every module of the inline expansion
//! equals, item by item, the file `svcgen generate` wrote for it.

use std::path::PathBuf;
use svcgen_tests::repo;
use syn::{Item, ItemMod};

fn module<'a>(items: &'a [Item], name: &str) -> &'a [Item] {
    items
        .iter()
        .find_map(|i| match i {
            Item::Mod(ItemMod {
                ident,
                content: Some((_, items)),
                ..
            }) if ident == name => Some(items.as_slice()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no module `{name}` in the expansion"))
}

fn file_items(path: &str) -> Vec<Item> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    syn::parse_file(&text).unwrap().items
}

fn render(items: &[Item]) -> Vec<String> {
    items
        .iter()
        // The macro embeds the OpenAPI document instead of `include_str!` of a file.
        .filter(|i| !matches!(i, Item::Const(c) if c.ident == "OPENAPI"))
        // Printed the same way on both sides: doc comments and string literals compare as text.
        .map(|i| {
            prettyplease::unparse(&syn::File {
                shebang: None,
                frontmatter: None,
                attrs: Vec::new(),
                items: vec![i.clone()],
            })
        })
        .collect()
}

fn assert_same(expanded: &[Item], path: &str) {
    let written = file_items(path);
    assert_eq!(
        render(expanded),
        render(&written),
        "the expansion differs from {path}"
    );
}

#[test]
fn the_expansion_of_orders_is_what_the_cli_writes() {
    let loaded = svcgen_codegen::load(&repo(), &[PathBuf::from("specs/shop.toml")]).unwrap();
    let system = &loaded.systems[0];
    // The macro embeds the migrations it finds beside the crate; here, those the CLI wrote.
    let mut orders = system.services["orders"].clone();
    orders.migrations =
        svcgen_codegen::migrate::existing(&repo().join("generated/shop/orders/migrations"))
            .unwrap();
    let tokens = svcgen_codegen::emit::inline::service_items(system, &orders).unwrap();
    let file: syn::File = syn::parse2(tokens).unwrap();

    for (name, path) in [
        ("api", "generated/shop/orders/src/api.rs"),
        ("client", "generated/shop/orders/src/client.rs"),
        ("deps", "generated/shop/orders/src/deps.rs"),
        ("server", "generated/shop/orders/src/server.rs"),
        ("store", "generated/shop/orders/src/store.rs"),
    ] {
        assert_same(module(&file.items, name), path);
    }
    let types = module(&file.items, "types");
    for (name, path) in [
        ("schemas", "generated/shop/types/src/schemas.rs"),
        ("errors", "generated/shop/types/src/errors.rs"),
    ] {
        assert_same(module(types, name), path);
    }
    // The runtime is not expanded: both front ends use the one `svcgen-runtime` crate.
    let reexport = |items: &[Item], path: &str| {
        items.iter().any(
            |i| matches!(i, Item::Use(u) if quote::quote!(#u).to_string().replace(' ', "") == path),
        )
    };
    assert!(reexport(&file.items, "pubuse::svcgen_runtimeasruntime;"));
    assert!(reexport(types, "pubusesuper::runtime::validation;"));
    let dependencies = module(&file.items, "dependencies");
    for dep in ["users", "inventory"] {
        let dep_items = module(dependencies, dep);
        assert_same(
            module(dep_items, "api"),
            &format!("generated/shop/{dep}/src/api.rs"),
        );
        assert_same(
            module(dep_items, "client"),
            &format!("generated/shop/{dep}/src/client.rs"),
        );
    }

    // The embedded document is the one written beside the crate.
    let server = module(&file.items, "server");
    let embedded = server
        .iter()
        .find_map(|i| match i {
            Item::Const(c) if c.ident == "OPENAPI" => match &*c.expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .expect("an embedded OpenAPI document");
    let written =
        std::fs::read_to_string(repo().join("generated/shop/orders/openapi.json")).unwrap();
    let a: serde_json::Value = serde_json::from_str(&embedded).unwrap();
    let b: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(a, b);
}

/// A service with auth (a caller checked before its handlers, typed claims, a dependency
/// called on the caller's behalf) and one that signs tokens expand as the CLI writes them.
#[test]
fn the_expansions_of_services_with_auth_are_what_the_cli_writes() {
    let loaded = svcgen_codegen::load(&repo(), &[PathBuf::from("specs/grants")]).unwrap();
    let system = &loaded.systems[0];
    for service in ["payment", "auth"] {
        let mut s = system.services[service].clone();
        s.migrations = svcgen_codegen::migrate::existing(
            &repo().join(format!("generated/grants/{service}/migrations")),
        )
        .unwrap();
        let tokens = svcgen_codegen::emit::inline::service_items(system, &s).unwrap();
        let file: syn::File = syn::parse2(tokens).unwrap();
        for name in ["api", "client", "deps", "server", "store"] {
            assert_same(
                module(&file.items, name),
                &format!("generated/grants/{service}/src/{name}.rs"),
            );
        }
    }
}

/// The echo fixture (every integer and float width, a store keeping them) expands as the CLI
/// writes it: the macro front end takes the same types.
#[test]
fn the_expansion_of_every_data_type_is_what_the_cli_writes() {
    let loaded = svcgen_codegen::load(&repo(), &[PathBuf::from("tests/echo/spec.toml")]).unwrap();
    let system = &loaded.systems[0];
    let mut echo = system.services["echo"].clone();
    echo.migrations = svcgen_codegen::migrate::existing(
        &repo().join("tests/echo/generated/echo/echo/migrations"),
    )
    .unwrap();
    let tokens = svcgen_codegen::emit::inline::service_items(system, &echo).unwrap();
    let file: syn::File = syn::parse2(tokens).unwrap();
    let dir = "tests/echo/generated/echo";
    for name in ["api", "client", "server", "store"] {
        assert_same(
            module(&file.items, name),
            &format!("{dir}/echo/src/{name}.rs"),
        );
    }
    let types = module(&file.items, "types");
    for name in ["schemas", "errors"] {
        assert_same(module(types, name), &format!("{dir}/types/src/{name}.rs"));
    }
}
