//! Names: which spec names can become identifiers, clashes between the Rust names made from
//! them, names defined twice, and names that are not defined.

use super::scope::{Def, Resolver};
use crate::diag::{Diagnostic, Diagnostics, FileId, Loc};
use crate::ident;
use crate::model::Name;
use crate::spec::SStr;
use indexmap::IndexMap;
use std::collections::HashMap;
use toml::Spanned;

/// Which Rust identifier a spec name becomes.
#[derive(Clone, Copy)]
pub(super) enum NameKind {
    /// UpperCamelCase Rust name.
    Type,
    /// snake_case Rust name.
    Value,
}

impl Resolver<'_> {
    pub(super) fn name(&mut self, file: FileId, key: &SStr, kind: NameKind) -> Option<Name> {
        let wire = key.get_ref();
        match ident::check_name(wire) {
            Ok(()) => Some(Name {
                wire: wire.clone(),
                rust: match kind {
                    NameKind::Type => ident::type_name(wire),
                    NameKind::Value => ident::value_name(wire),
                },
            }),
            Err(e) => {
                self.diags.push(
                    Diagnostic::at(&Loc::new(file, key.span()), "name cannot become an identifier", e.0)
                        .with_note("names start with an ASCII letter and use only ASCII letters, digits, `_` and `-`"),
                );
                None
            }
        }
    }

    pub(super) fn unique_rust(
        &mut self,
        seen: &mut HashMap<String, Loc>,
        name: &Name,
        loc: Loc,
        what: &str,
    ) {
        if let Some(first) = seen.get(&name.rust) {
            self.diags.push(
                Diagnostic::at(
                    &loc,
                    format!("duplicate {what} name: `{}` becomes the Rust name `{}`, which is already taken", name.wire, name.rust),
                    "clashes",
                )
                .with_secondary(first, "already used here"),
            );
        } else {
            seen.insert(name.rust.clone(), loc);
        }
    }

    pub(super) fn variant(&mut self, value: &SStr, loc: &Loc) -> Option<Name> {
        match ident::variant_name(value.get_ref()) {
            Some(rust) => Some(Name {
                wire: value.get_ref().clone(),
                rust,
            }),
            None => {
                self.diags.push(Diagnostic::at(
                    loc,
                    "name cannot become an identifier",
                    format!(
                        "`{}` holds no ASCII letter or digit to name a variant after",
                        value.get_ref().escape_debug()
                    ),
                ));
                None
            }
        }
    }
}

/// Records a definition, or reports it when its name is already defined.
pub(super) fn insert_unique<'a, T>(
    diags: &mut Diagnostics,
    map: &mut IndexMap<String, Def<'a, T>>,
    file: FileId,
    key: &'a SStr,
    def: &'a Spanned<T>,
    what: &str,
) {
    let d = Def { file, key, def };
    if let Some(first) = map.get(key.get_ref()) {
        diags.push(
            Diagnostic::at(
                &d.key_loc(),
                format!("{what} `{}` is defined twice", key.get_ref()),
                "second definition",
            )
            .with_secondary(&first.key_loc(), "first definition"),
        );
    } else {
        map.insert(key.get_ref().clone(), d);
    }
}

/// Reports a name that refers to nothing: "unknown {what} `{name}`{context}", with a note
/// naming the closest of `known` when it is close enough to be a likely typo.
pub(super) fn unknown<'k>(
    loc: &Loc,
    what: &str,
    name: &str,
    context: &str,
    label: &str,
    known: impl IntoIterator<Item = &'k str>,
) -> Diagnostic {
    let known: Vec<&str> = known.into_iter().collect();
    let d = Diagnostic::at(
        loc,
        format!("unknown {what} `{}`{context}", name.escape_debug()),
        label,
    );
    match closest(name, &known) {
        Some(best) => d.with_note(format!("did you mean `{best}`?")),
        None => d,
    }
}

/// The known name closest to `name`, if it is close enough to be a likely typo.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| {
            (
                strsim::levenshtein(&name.to_lowercase(), &k.to_lowercase()),
                *k,
            )
        })
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}
