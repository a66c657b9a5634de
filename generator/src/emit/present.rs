//! The presentation pass: what turns prettyplease's output into code a reviewer takes for
//! hand-written, without needing rustfmt at generation time.
//!
//! On the syntax tree, before printing:
//! - private `use` items whose names the module's code never mentions are dropped, so an
//!   emitter can import what a module may need and the output still builds under
//!   `-D warnings` (decided on identifiers in code, never on text in docs or literals);
//! - each run of consecutive `use` items is sorted.
//!
//! On the printed text: a blank line between items (at module level and inside `impl`,
//! `trait` and inline `mod` blocks), none between consecutive `use` items.

use proc_macro2::{TokenStream, TokenTree};
use std::collections::BTreeSet;
use syn::visit::Visit;

/// Applies the syntax-tree steps to a whole file.
pub fn tidy(file: &mut syn::File) {
    tidy_items(&mut file.items);
}

fn tidy_items(items: &mut Vec<syn::Item>) {
    for item in items.iter_mut() {
        if let syn::Item::Mod(m) = item
            && let Some((_, inner)) = &mut m.content
        {
            tidy_items(inner);
        }
    }
    // The names the private imports bring in, and which of them the code mentions (one walk
    // over the code: comparing identifiers with a few names allocates nothing).
    let mut names = Vec::new();
    for item in items.iter() {
        if let syn::Item::Use(u) = item
            && matches!(u.vis, syn::Visibility::Inherited)
        {
            imported_names(&u.tree, &mut names);
        }
    }
    names.sort();
    names.dedup();
    let in_code = mentioned_in_code(items, &names);
    // Until nothing changes: dropping `use types::X;` can leave `use super::types;` unneeded
    // (a `use`'s first segment counts as a mention, its own names do not).
    loop {
        let before = items.len();
        let mut mentioned = in_code.clone();
        for item in items.iter() {
            if let syn::Item::Use(u) = item
                && let syn::UseTree::Path(p) = &u.tree
            {
                mentioned.insert(p.ident.to_string());
            }
        }
        items.retain_mut(|item| match item {
            syn::Item::Use(u) if matches!(u.vis, syn::Visibility::Inherited) => {
                prune(&mut u.tree, &mentioned)
            }
            _ => true,
        });
        if items.len() == before {
            break;
        }
    }
    sort_use_runs(items);
}

/// The names an import tree may be kept for, as [`prune`] looks them up.
fn imported_names(tree: &syn::UseTree, out: &mut Vec<String>) {
    match tree {
        syn::UseTree::Path(p) => imported_names(&p.tree, out),
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            out.push(name.trim_start_matches("r#").to_owned());
            out.push(name);
        }
        syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
        syn::UseTree::Glob(_) => {}
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| imported_names(t, out)),
    }
}

/// Which of `names` occur as identifiers in `items` outside their `use` items (the first
/// segment of every `use` path aside), macro bodies included.
fn mentioned_in_code(items: &[syn::Item], names: &[String]) -> BTreeSet<String> {
    struct Mentions<'a> {
        names: &'a [String],
        seen: Vec<bool>,
    }
    impl Mentions<'_> {
        fn ident(&mut self, ident: &proc_macro2::Ident) {
            // `Ident == str` compares as `to_string` would print it (`r#` included).
            if let Some(i) = self.names.iter().position(|name| ident == name) {
                self.seen[i] = true;
            }
        }
        fn tokens(&mut self, stream: &TokenStream) {
            for tree in stream.clone() {
                match tree {
                    TokenTree::Ident(i) => self.ident(&i),
                    TokenTree::Group(g) => self.tokens(&g.stream()),
                    _ => {}
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Mentions<'_> {
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            self.ident(ident);
        }
        // In nested modules a `use`'s first segment counts, as the loop in [`tidy_items`]
        // counts those of the module's own.
        fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
            if let syn::UseTree::Path(p) = &u.tree {
                self.ident(&p.ident);
            }
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            syn::visit::visit_macro(self, mac);
            self.tokens(&mac.tokens);
        }
    }
    let mut mentions = Mentions {
        names,
        seen: vec![false; names.len()],
    };
    if !names.is_empty() {
        for item in items {
            if !matches!(item, syn::Item::Use(_)) {
                mentions.visit_item(item);
            }
        }
    }
    names
        .iter()
        .zip(&mentions.seen)
        .filter(|&(_, &seen)| seen)
        .map(|(name, _)| name.clone())
        .collect()
}

/// Removes the names of `tree` that `mentioned` lacks; false when nothing is left. Globs and
/// `as _` imports are kept (their use cannot be seen by name).
fn prune(tree: &mut syn::UseTree, mentioned: &BTreeSet<String>) -> bool {
    match tree {
        syn::UseTree::Path(p) => prune(&mut p.tree, mentioned),
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            mentioned.contains(name.trim_start_matches("r#")) || mentioned.contains(&name)
        }
        syn::UseTree::Rename(r) => r.rename == "_" || mentioned.contains(&r.rename.to_string()),
        syn::UseTree::Glob(_) => true,
        syn::UseTree::Group(g) => {
            let kept: syn::punctuated::Punctuated<syn::UseTree, syn::Token![,]> =
                std::mem::take(&mut g.items)
                    .into_iter()
                    .filter_map(|mut t| prune(&mut t, mentioned).then_some(t))
                    .collect();
            g.items = kept;
            !g.items.is_empty()
        }
    }
}

fn sort_use_runs(items: &mut [syn::Item]) {
    let key = |item: &syn::Item| match item {
        syn::Item::Use(u) => {
            let tree = &u.tree;
            let text = quote::quote!(#tree).to_string().replace(' ', "");
            // `self`/`super`/`crate` paths after external ones, as rustfmt groups them.
            let local = ["self::", "super::", "crate::"]
                .iter()
                .any(|p| text.starts_with(p));
            (local, text.to_lowercase())
        }
        _ => (false, String::new()),
    };
    let mut start = 0;
    while start < items.len() {
        let is_use = |i: &syn::Item| matches!(i, syn::Item::Use(u) if matches!(u.vis, syn::Visibility::Inherited));
        if !is_use(&items[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < items.len() && is_use(&items[end]) {
            end += 1;
        }
        items[start..end].sort_by_cached_key(key);
        start = end;
    }
}

/// A blank line after the module's `//!` docs and inner attributes, and before every item
/// that follows another item at the same depth, except between two `use` items or two
/// one-line `mod` declarations. Works on prettyplease's output, whose layout it relies on:
/// items start at indentation 0, 4 (in `impl`/`trait`/`mod`) or 8, and end with `}` or `;`.
pub fn space_out(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 && !line.trim().is_empty() {
            let prev = lines[i - 1].trim_start();
            let this = line.trim_start();
            let after_header = (prev.starts_with("//!") && !this.starts_with("//!"))
                || (prev.starts_with("#![") && !this.starts_with("#!["));
            // Cheapest tests first: most lines start no item.
            let between_items = starts_item(line)
                && indent(lines[i - 1]) == indent(line)
                && ends_item(lines[i - 1])
                && declaration(prev)
                    .is_none_or(|kind| declaration(item_line(&lines[i..])) != Some(kind));
            if after_header || between_items {
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The line that names the item starting at `lines[0]`, past its attributes and docs.
fn item_line<'a>(lines: &[&'a str]) -> &'a str {
    lines
        .iter()
        .map(|l| l.trim_start())
        .find(|l| !l.starts_with("#[") && !l.starts_with("///"))
        .unwrap_or_default()
}

/// `use` items and one-line `mod` declarations, each kind read best as one block.
fn declaration(line: &str) -> Option<&'static str> {
    let t = line
        .trim_start()
        .trim_start_matches("pub(crate) ")
        .trim_start_matches("pub ");
    if t.starts_with("use ") {
        Some("use")
    } else if t.starts_with("mod ") && t.ends_with(';') {
        Some("mod")
    } else {
        None
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn ends_item(line: &str) -> bool {
    let t = line.trim();
    indent(line) <= 8
        && !t.starts_with("//")
        && (t.ends_with('}') || t.ends_with("};") || t.ends_with(';'))
}

fn starts_item(line: &str) -> bool {
    const STARTS: &[&str] = &[
        "#[",
        "///",
        "pub ",
        "pub(",
        "fn ",
        "async fn ",
        "impl ",
        "impl<",
        "struct ",
        "enum ",
        "mod ",
        "const ",
        "static ",
        "type ",
        "trait ",
        "use ",
        "unsafe ",
    ];
    let t = line.trim_start();
    indent(line) <= 8 && STARTS.iter().any(|s| t.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tidy_text(src: &str) -> String {
        let mut file: syn::File = syn::parse_str(src).unwrap();
        tidy(&mut file);
        space_out(&prettyplease::unparse(&file))
    }

    #[test]
    fn unused_private_imports_go_and_the_rest_are_sorted() {
        let out = tidy_text(
            "use b::{Used, Unused}; use a::Also; pub use c::Reexported; \
             /// Mentions Unused and Also in a doc only.\n\
             fn f() -> Used { todo!(\"{}\", Also) }",
        );
        assert!(out.contains("use a::Also;\nuse b::Used;"), "{out}");
        assert!(!out.contains("Unused}"), "{out}");
        assert!(out.contains("pub use c::Reexported;"), "{out}");
    }

    #[test]
    fn an_import_another_import_builds_on_stays() {
        let out = tidy_text("mod m { use super::rt; use rt::X; fn f() -> X { todo!() } }");
        assert!(out.contains("use super::rt;"), "{out}");
    }

    #[test]
    fn items_are_spaced_out_but_imports_are_not() {
        let out = tidy_text(
            "use a::X; use b::Y; struct S; impl S { fn a(&self) -> X { todo!() } fn b(&self) -> Y { todo!() } } const C: u8 = 1;",
        );
        assert!(
            out.contains("use a::X;\nuse b::Y;\n\nstruct S;\n\nimpl S {"),
            "{out}"
        );
        assert!(out.contains("    }\n\n    fn b("), "{out}");
        assert!(out.contains("}\n\nconst C"), "{out}");
    }
}
