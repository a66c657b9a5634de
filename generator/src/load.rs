//! Finding spec inputs on disk and parsing them into the AST, keeping source spans.
//!
//! An input path is one of:
//! - a `.toml` file: one system;
//! - a folder holding `system.toml`: one system whose tables are spread over every `.toml`
//!   file in that folder (e.g. one file per service);
//! - any other folder: every `.toml` file and every system folder directly inside it, except
//!   `svcgen.toml`, which holds settings (see [`crate::settings`]).

use crate::diag::{Diagnostic, Diagnostics, FileId, Loc, Sources};
use crate::spec::SpecFile;
use std::path::{Path, PathBuf};

/// The file that marks a folder as one system.
pub const SYSTEM_FILE: &str = "system.toml";

/// The files of one system, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInput {
    /// The spec path as shown to people (`specs/shop.toml`, `specs/grants/`).
    pub display: String,
    /// The files, in name order.
    pub files: Vec<PathBuf>,
}

/// Shows `path` relative to `base` with `/` separators when it lies under `base`.
pub fn display_path(base: &Path, path: &Path) -> String {
    let shown = path.strip_prefix(base).unwrap_or(path);
    let mut text = shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if path.is_dir() && !text.ends_with('/') {
        text.push('/');
    }
    text
}

/// Expands input paths into systems. Paths that do not exist become diagnostics.
pub fn discover(base: &Path, paths: &[PathBuf], diags: &mut Diagnostics) -> Vec<SystemInput> {
    let mut systems = Vec::new();
    for path in paths {
        let full = base.join(path);
        if full.is_file() {
            systems.push(SystemInput {
                display: display_path(base, &full),
                files: vec![full],
            });
        } else if full.is_dir() {
            if full.join(SYSTEM_FILE).is_file() {
                systems.push(folder_system(base, &full, diags));
            } else {
                let before = systems.len();
                for entry in sorted_entries(&full, diags) {
                    if entry.is_dir() && entry.join(SYSTEM_FILE).is_file() {
                        systems.push(folder_system(base, &entry, diags));
                    } else if entry.is_file() && is_toml(&entry) && !is_settings(&entry) {
                        systems.push(SystemInput {
                            display: display_path(base, &entry),
                            files: vec![entry],
                        });
                    }
                }
                if systems.len() == before {
                    diags.push(Diagnostic::global(format!(
                        "no spec found in `{}`: expected `.toml` files or folders holding `{SYSTEM_FILE}`",
                        display_path(base, &full)
                    )));
                }
            }
        } else {
            diags.push(Diagnostic::global(format!(
                "spec path `{}` does not exist",
                display_path(base, &full)
            )));
        }
    }
    systems
}

fn folder_system(base: &Path, dir: &Path, diags: &mut Diagnostics) -> SystemInput {
    let files = sorted_entries(dir, diags)
        .into_iter()
        .filter(|p| p.is_file() && is_toml(p))
        .collect();
    SystemInput {
        display: display_path(base, dir),
        files,
    }
}

/// `svcgen.toml` beside the specs holds settings, not a system.
fn is_settings(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == crate::settings::FILE)
}

fn is_toml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "toml")
}

fn sorted_entries(dir: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            paths
        }
        Err(e) => {
            diags.push(Diagnostic::global(format!(
                "cannot read `{}`: {e}",
                dir.display()
            )));
            Vec::new()
        }
    }
}

/// Reads and parses the files of one system. Unreadable files and TOML errors become
/// diagnostics; the files that parsed are returned with their ids.
pub fn parse_system(
    base: &Path,
    input: &SystemInput,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Vec<(FileId, SpecFile)> {
    let mut parsed = Vec::new();
    for path in &input.files {
        let name = display_path(base, path);
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let id = sources.add(name, text);
                if let Some(spec) = parse_text(id, sources.text(id), diags) {
                    parsed.push((id, spec));
                }
            }
            Err(e) => diags.push(Diagnostic::global(format!("cannot read `{name}`: {e}"))),
        }
    }
    parsed
}

/// Parses one file's text.
pub fn parse_text(id: FileId, text: &str, diags: &mut Diagnostics) -> Option<SpecFile> {
    match toml::from_str::<SpecFile>(text) {
        Ok(spec) => Some(spec),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_owned();
            let first_line = message.lines().next().unwrap_or("").to_owned();
            diags.push(Diagnostic::at(
                &Loc::new(id, span),
                format!("invalid spec: {first_line}"),
                message,
            ));
            None
        }
    }
}
