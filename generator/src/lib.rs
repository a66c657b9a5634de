//! svcgen: turns TOML specs of microservice systems into Rust code and deployment files.
//!
//! One driver, [`load`], runs the phases of each system and collects every problem they find:
//!
//! ```text
//! files ──load──> spec AST ──resolve──> model + source map ──analyze──> model ──check──> model
//!       ──emit──> files in memory ──output──> disk
//! ```
//!
//! A checkpoint after a phase stops a system with problems before the next phase, the way
//! cxx's `errors.propagate()?` does, and nothing is emitted while any system has one:
//! - after load: a file that did not parse leaves definitions out, and resolving the rest would
//!   only report their absence;
//! - after resolve, only when there is no model at all (no `[system]`, or a system name that
//!   cannot become an identifier). An item with a problem is left out of the model and check
//!   runs on the rest, so a spec's broken items and its clashes between items (a port used
//!   twice, a dependency cycle, two public routes alike) are reported in one run, as
//!   `tests/diagnostics/many_problems.toml` and `bad_gateway.toml` pin;
//! - analyze reports nothing;
//! - after check: the system is complete or has problems, and only complete systems take part
//!   in the rules between systems of one run.
//!
//! The CLI (the `svcgen` package: `generate`, `check`, `up`) and the proc macros
//! (`svcgen-macros`) are two front ends of this library; generated services build on
//! `svcgen-runtime`.

pub mod analyze;
pub mod check;
pub mod contracts;
pub mod diag;
pub mod emit;
pub mod handlers;
pub mod ident;
pub mod load;
pub mod migrate;
pub mod model;
pub mod output;
pub mod resolve;
pub mod settings;
pub mod spec;
pub mod srcmap;
pub mod typexpr;

use diag::{Diagnostics, FileId, Sources};
use model::System;
use spec::SpecFile;
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
    /// Orders the problems by place, so output is the same however the phases ran.
    fn new(sources: Sources, mut diagnostics: Diagnostics) -> Self {
        diagnostics.sort();
        SpecErrors {
            sources,
            diagnostics,
        }
    }

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
        let start = Checkpoint::new(&diags);
        let files = load::parse_system(base, input, &mut sources, &mut diags);
        systems.extend(build(&input.display, &files, start, &mut diags));
    }
    check::check_dirs(&systems, &mut diags);
    if diags.is_empty() {
        Ok(Loaded { sources, systems })
    } else {
        Err(SpecErrors::new(sources, diags))
    }
}

/// Loads a system from spec text held in memory (used by tests and the macros).
pub fn load_str(name: &str, text: &str) -> Result<System, SpecErrors> {
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let id = sources.add(name.to_owned(), text.to_owned());
    let start = Checkpoint::new(&diags);
    let files: Vec<_> = load::parse_text(id, sources.text(id), &mut diags)
        .map(|s| (id, s))
        .into_iter()
        .collect();
    match build(name, &files, start, &mut diags) {
        Some(system) if diags.is_empty() => Ok(system),
        _ => Err(SpecErrors::new(sources, diags)),
    }
}

/// The number of problems a run had when one system's phases began: each checkpoint of that
/// system lets the next phase run only if none was found since.
#[derive(Clone, Copy)]
struct Checkpoint(usize);

impl Checkpoint {
    fn new(diags: &Diagnostics) -> Self {
        Checkpoint(diags.len())
    }

    /// `None`, to stop the system with `?`, when its phases so far found a problem.
    fn propagate(self, diags: &Diagnostics) -> Option<()> {
        (diags.len() == self.0).then_some(())
    }
}

/// Runs the phases after load on one system whose files were read since `start`; `None` when
/// any phase found a problem (all are in `diags`).
fn build(
    display: &str,
    files: &[(FileId, SpecFile)],
    start: Checkpoint,
    diags: &mut Diagnostics,
) -> Option<System> {
    start.propagate(diags)?;
    // No checkpoint between resolve and check beyond resolve's own `None`: see the crate docs.
    let (mut system, map) = resolve::resolve(display, files, diags)?;
    analyze::analyze(&mut system);
    check::check_system(&system, &map, diags);
    start.propagate(diags)?;
    Some(system)
}

/// Every file of every system, in memory. Fails only on an internal error.
///
/// The store module of a service with records lists the service's migrations, which
/// [`plan_migrations`] finds and plans first: use [`generate_into`], which does both, unless
/// the systems' migrations are planned already.
#[cfg(feature = "files")]
pub fn generate(
    systems: &[System],
    settings: &emit::Settings,
) -> Result<Vec<emit::OutputFile>, emit::EmitError> {
    let mut files = Vec::new();
    for s in systems {
        files.extend(emit::emit_system(s, settings)?);
    }
    Ok(files)
}

/// Plans the migrations of every loaded system against the output under `out` (see
/// [`migrate`]): fills each service's list of migrations, which `generate` then embeds, and
/// returns the new migration files and store snapshots to write with the rest. Changes that
/// would lose data, and migrations missing or edited, are reported like spec problems; so are
/// changes to a published event payload its subscribers could not read (see [`contracts`]).
#[cfg(feature = "files")]
pub fn plan_migrations(
    out: &Path,
    mut loaded: Loaded,
) -> Result<(Loaded, Vec<emit::OutputFile>), SpecErrors> {
    let mut diags = Diagnostics::default();
    let mut files = Vec::new();
    for system in &mut loaded.systems {
        match migrate::plan(out, system, &mut diags) {
            Ok(f) => files.extend(f),
            Err(e) => diags.push(diag::Diagnostic::global(format!(
                "cannot read the migrations of `{}` under {}: {e}",
                system.name.wire,
                out.display()
            ))),
        }
        match contracts::check(out, system, &mut diags) {
            Ok(f) => files.extend(f),
            Err(e) => diags.push(diag::Diagnostic::global(format!(
                "cannot read the event snapshot of `{}` under {}: {e}",
                system.name.wire,
                out.display()
            ))),
        }
    }
    if diags.is_empty() {
        Ok((loaded, files))
    } else {
        Err(SpecErrors::new(loaded.sources, diags))
    }
}

/// Every file of every system with its migrations planned: [`plan_migrations`] then
/// [`generate`], sorted by path.
#[cfg(feature = "files")]
pub fn generate_into(
    out: &Path,
    loaded: Loaded,
    settings: &emit::Settings,
) -> Result<(Loaded, Vec<emit::OutputFile>), GenerateError> {
    let (loaded, mut files) = plan_migrations(out, loaded).map_err(GenerateError::Spec)?;
    files.extend(generate(&loaded.systems, settings).map_err(GenerateError::Emit)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((loaded, files))
}

/// Why [`generate_into`] produced nothing.
#[cfg(feature = "files")]
#[derive(Debug)]
pub enum GenerateError {
    /// The migrations cannot be planned (a change that would lose data, an edited migration).
    Spec(SpecErrors),
    /// An internal error of an emitter.
    Emit(emit::EmitError),
}

/// The folders (relative to the output directory) whose stale generated files belong to
/// `systems`: each system's own folder.
pub fn scope(systems: &[System]) -> Vec<String> {
    systems.iter().map(System::dir).collect()
}
