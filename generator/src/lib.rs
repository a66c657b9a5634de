//! svcgen: turns TOML specs of microservice systems into Rust code and deployment files.
//!
//! The pipeline has a checkpoint between phases, so a spec with problems reports all of them
//! and nothing is written:
//!
//! ```text
//! files ──load──> spec AST ──resolve + check──> model ──emit──> files in memory ──output──> disk
//! ```
//!
//! The CLI (`svcgen generate`, `svcgen check`) and the proc macros are two front ends of this
//! library.

pub mod analyze;
pub mod check;
pub mod diag;
pub mod emit;
pub mod ident;
pub mod load;
pub mod model;
pub mod output;
pub mod resolve;
pub mod spec;
pub mod srcmap;
pub mod typexpr;
pub mod up;

use diag::{Diagnostic, Diagnostics, Sources};
use model::System;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Every spec loaded in a run, with the sources their diagnostics point into.
#[derive(Debug)]
pub struct Loaded {
    /// The spec files read.
    pub sources: Sources,
    /// The resolved systems, in input order.
    pub systems: Vec<System>,
}

/// A spec had problems; every one of them is listed.
pub struct SpecErrors {
    /// The spec files read.
    pub sources: Sources,
    /// The problems.
    pub diagnostics: Diagnostics,
}

impl SpecErrors {
    /// The problems rendered like rustc: message, `file:line:col`, underlined source line.
    pub fn render(&self, color: bool) -> String {
        diag::render(&self.sources, &self.diagnostics, color)
    }
}

impl std::fmt::Debug for SpecErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Loads and checks every system named by `specs` (files or folders, relative to `base`).
/// File names in diagnostics and headers are shown relative to `base`.
pub fn load(base: &Path, specs: &[PathBuf]) -> Result<Loaded, SpecErrors> {
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let inputs = load::discover(base, specs, &mut diags);
    let mut systems: Vec<System> = Vec::new();
    for input in &inputs {
        let parsed = load::parse_system(base, input, &mut sources, &mut diags);
        if let Some(system) = resolve::resolve(&input.display, &parsed, &mut diags) {
            systems.push(system);
        }
    }
    let mut dirs: HashMap<String, &str> = HashMap::new();
    for s in &systems {
        if let Some(first) = dirs.insert(s.dir(), &s.source) {
            diags.push(Diagnostic::global(format!(
                "systems in `{first}` and `{}` would both be written to `{}/`: rename one",
                s.source,
                s.dir()
            )));
        }
    }
    if diags.is_empty() {
        Ok(Loaded { sources, systems })
    } else {
        diags.sort();
        Err(SpecErrors {
            sources,
            diagnostics: diags,
        })
    }
}

/// Loads a system from spec text held in memory (used by tests and the macros).
pub fn load_str(name: &str, text: &str) -> Result<System, SpecErrors> {
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let id = sources.add(name.to_owned(), text.to_owned());
    let parsed: Vec<_> = load::parse_text(id, sources.text(id), &mut diags)
        .map(|s| (id, s))
        .into_iter()
        .collect();
    let system = resolve::resolve(name, &parsed, &mut diags);
    match system {
        Some(system) if diags.is_empty() => Ok(system),
        _ => {
            diags.sort();
            Err(SpecErrors {
                sources,
                diagnostics: diags,
            })
        }
    }
}

/// Every file of every system, in memory. Fails only on an internal error.
pub fn generate(systems: &[System]) -> Result<Vec<emit::OutputFile>, emit::EmitError> {
    let mut files = Vec::new();
    for s in systems {
        files.extend(emit::emit_system(s)?);
    }
    Ok(files)
}

/// The folders (relative to the output directory) whose stale generated files belong to
/// `systems`: each system's own folder.
pub fn scope(systems: &[System]) -> Vec<String> {
    systems.iter().map(System::dir).collect()
}
