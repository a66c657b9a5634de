//! The person's `handlers.rs` against the trait generated from the spec.
//!
//! `handlers.rs` is owned: svcgen writes it once and never again. When the spec changes, the
//! generated `Api` trait changes with it and the person's `impl Api` stops compiling. rustc
//! then reports a mismatch in terms of the generated code; this check reports it in terms of
//! the spec, located in the person's file: an endpoint that is gone or renamed, one that is
//! new, or one whose parameters changed.
//!
//! `main.rs` is owned too. One written before the handlers moved from the service's library
//! into its binary no longer compiles; this check says how to bring it up to date.

use crate::diag::{Diagnostic, Diagnostics, Loc, Sources};
use crate::emit::service::{
    TraitMethod, handler_modules, handler_struct, service_crate, service_dir, trait_methods,
};
use crate::model::{Service, System};
use std::path::Path;
use syn::spanned::Spanned;

/// Warnings for every owned `handlers.rs` under `out` whose `impl Api` does not match the
/// trait generated for its service. Files that are missing or do not parse are left to cargo.
pub fn check(out: &Path, systems: &[System]) -> (Sources, Diagnostics) {
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    for system in systems {
        for service in system.services.values() {
            check_main(out, system, service, &mut sources, &mut diags);
            let rel = format!("{}/src/handlers.rs", service_dir(system, service));
            let Ok(text) = std::fs::read_to_string(out.join(&rel)) else {
                continue;
            };
            let Ok(file) = syn::parse_file(&text) else {
                continue;
            };
            let shown = out.join(&rel).display().to_string();
            let id = sources.add(shown, text);
            let expected = trait_methods(system, service);
            for imp in file.items.iter().filter_map(api_impl) {
                compare(
                    sources.text(id),
                    id,
                    imp,
                    &expected,
                    &service.name.wire,
                    &mut diags,
                );
            }
        }
    }
    (sources, diags)
}

/// A warning when the owned `main.rs` of `service` does not declare `mod handlers`: it was
/// written when `handlers.rs` was a module of the service's library, which it is no longer.
fn check_main(
    out: &Path,
    system: &System,
    service: &Service,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) {
    let rel = format!("{}/src/main.rs", service_dir(system, service));
    let Ok(text) = std::fs::read_to_string(out.join(&rel)) else {
        return;
    };
    let Ok(file) = syn::parse_file(&text) else {
        return;
    };
    let declares = file
        .items
        .iter()
        .any(|item| matches!(item, syn::Item::Mod(m) if m.ident == "handlers"));
    if declares {
        return;
    }
    let span = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Fn(f) if f.sig.ident == "main" => Some(f.sig.ident.span()),
            _ => None,
        })
        .unwrap_or_else(proc_macro2::Span::call_site);
    let range = byte_range(&text, span);
    let id = sources.add(out.join(&rel).display().to_string(), text);
    let krate = service_crate(system, service);
    let modules = handler_modules(service).join(", ");
    diags.push(
        Diagnostic::at(
            &Loc::new(id, range),
            format!(
                "`handlers.rs` of the `{}` service is now part of its binary, and this `main.rs` does not declare it",
                service.name.wire
            ),
            "`handlers` is no longer a module of the library",
        )
        .warning()
        .with_note(format!(
            "add `mod handlers;` and `use {krate}::{{{modules}}};` here, and start the service with `server::run(handlers::{}::new)`; or delete this file and generate again",
            handler_struct(system, service)
        )),
    );
}

/// The `impl Api for T` (or `impl server::Api for T`) blocks of a file.
fn api_impl(item: &syn::Item) -> Option<&syn::ItemImpl> {
    match item {
        syn::Item::Impl(imp)
            if imp
                .trait_
                .as_ref()
                .and_then(|(path, _)| path.segments.last())
                .is_some_and(|s| s.ident == "Api") =>
        {
            Some(imp)
        }
        _ => None,
    }
}

fn compare(
    text: &str,
    file: usize,
    imp: &syn::ItemImpl,
    expected: &[TraitMethod],
    service: &str,
    diags: &mut Diagnostics,
) {
    let loc = |span: proc_macro2::Span| Loc::new(file, byte_range(text, span));
    let mut seen = Vec::new();
    for item in &imp.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        let name = f.sig.ident.to_string();
        seen.push(name.clone());
        let Some(want) = expected.iter().find(|m| m.name == name) else {
            diags.push(
                Diagnostic::at(
                    &loc(f.sig.ident.span()),
                    format!("`{name}` is no longer an endpoint of the `{service}` service"),
                    "not in the generated `Api` trait",
                )
                .warning()
                .with_note(format!(
                    "the spec's endpoints are: {}; remove or rename this method",
                    list(expected)
                )),
            );
            continue;
        };
        let got = f
            .sig
            .inputs
            .iter()
            .filter(|a| matches!(a, syn::FnArg::Typed(_)))
            .count();
        if got != want.params.len() {
            diags.push(
                Diagnostic::at(
                    &loc(f.sig.inputs.span()),
                    format!(
                        "`{name}` takes {got} parameter{} after `&self`; the spec now gives it {}",
                        plural(got),
                        want.params.len()
                    ),
                    "parameters of the endpoint changed",
                )
                .warning()
                .with_note(format!(
                    "expected: fn {name}(&self, {})",
                    want.params.join(", ")
                )),
            );
        }
    }
    for want in expected.iter().filter(|m| !seen.contains(&m.name)) {
        diags.push(
            Diagnostic::at(
                &loc(imp.self_ty.span()),
                match &want.event {
                    None => format!(
                        "`{}` is a new endpoint of the `{service}` service with no method here",
                        want.name
                    ),
                    Some(event) => format!(
                        "`{}` handles `{event}`, which the `{service}` service now subscribes to, and has no method here",
                        want.name
                    ),
                },
                "missing from this `impl Api`",
            )
            .warning()
            .with_note(format!(
                "add: async fn {}(&self, {}) -> ...",
                want.name,
                want.params.join(", ")
            )),
        );
    }
}

fn list(methods: &[TraitMethod]) -> String {
    let names: Vec<String> = methods.iter().map(|m| format!("`{}`", m.name)).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The byte range of `span` in `text` (whose tokens it came from).
fn byte_range(text: &str, span: proc_macro2::Span) -> std::ops::Range<usize> {
    let offset = |lc: proc_macro2::LineColumn| {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(lc.line.saturating_sub(1))
            .map(str::len)
            .sum();
        let line = &text[line_start..];
        line_start
            + line
                .char_indices()
                .nth(lc.column)
                .map_or(line.len(), |(i, _)| i)
    };
    let (start, end) = (offset(span.start()), offset(span.end()));
    start..end.max(start)
}
