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
    let mut text = String::new();
    for c in shown.components() {
        if c == std::path::Component::RootDir {
            text.push('/');
            continue;
        }
        if !text.is_empty() && !text.ends_with('/') {
            text.push('/');
        }
        text.push_str(&c.as_os_str().to_string_lossy());
    }
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
    check_bidi(id, text, diags);
    match toml::from_str::<SpecFile>(text) {
        Ok(spec) => Some(spec),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_owned();
            let first_line = message.lines().next().unwrap_or("").to_owned();
            let mut diag = Diagnostic::at(
                &Loc::new(id, span.clone()),
                format!("invalid spec: {first_line}"),
                message.clone(),
            );
            if let Some(hint) = foreign_shape_hint(text, &span, &message) {
                diag = diag.with_note(hint);
            }
            diags.push(diag);
            None
        }
    }
}

/// A hint for a shape other tools use where this spec language has another: a table given to
/// `response` or `request` (`response = { status = 201, body = "X" }`), which name a type
/// alone, with the status a key of its own.
fn foreign_shape_hint(text: &str, span: &std::ops::Range<usize>, message: &str) -> Option<String> {
    if !message.starts_with("invalid type: map") {
        return None;
    }
    let line_start = text.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
    let key = text
        .get(line_start..span.start)?
        .trim()
        .strip_suffix('=')?
        .trim();
    match key {
        "response" => Some(
            "an endpoint names its response body's type in `response` and its success status in `status`: `response = \"Item\"` and `status = 201`"
                .to_owned(),
        ),
        "request" => Some(
            "an endpoint names its request body's type in `request`: `request = \"NewItem\"`"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Characters that reorder how text is displayed (the "Trojan Source" characters): rustc
/// rejects them in comments and literals alike (`text_direction_codepoint_in_comment`,
/// `text_direction_codepoint_in_literal`), and a reviewer of the spec would not see them.
const BIDI: &[char] = &[
    '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Reports every bidirectional control character of a spec file, written as such or as a
/// TOML escape (`\u202E`, `\U0000202E`). Spec text reaches generated Rust (docs, literals),
/// so the file is rejected wherever one appears, comments and literal strings included.
fn check_bidi(id: FileId, text: &str, diags: &mut Diagnostics) {
    let report = |diags: &mut Diagnostics, span: std::ops::Range<usize>, c: char, how: &str| {
        diags.push(
            Diagnostic::at(
                &Loc::new(id, span),
                format!(
                    "the spec holds a bidirectional control character (U+{:04X}){how}",
                    u32::from(c)
                ),
                "remove this character",
            )
            .with_note("it changes how the text around it is displayed, and rustc rejects it in generated code"),
        );
    };
    let bytes = text.as_bytes();
    let mut backslashes = 0;
    for (i, c) in text.char_indices() {
        if BIDI.contains(&c) {
            report(diags, i..i + c.len_utf8(), c, "");
        }
        if c != '\\' {
            backslashes = 0;
            continue;
        }
        backslashes += 1;
        if backslashes % 2 == 0 {
            continue; // `\\` is an escaped backslash
        }
        let digits = match bytes.get(i + 1) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => continue,
        };
        let escaped = text
            .get(i + 2..i + 2 + digits)
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        if let Some(c) = escaped.filter(|c| BIDI.contains(c)) {
            report(diags, i..i + 2 + digits, c, ", written as an escape");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bidi(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
        let mut diags = Diagnostics::default();
        check_bidi(0, text, &mut diags);
        diags
            .iter()
            .map(|d| {
                (
                    d.primary.as_ref().unwrap().0.span.clone(),
                    d.message.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn bidi_characters_are_found_raw_and_escaped() {
        assert!(bidi("doc = \"plain text, é ✓ 🦀\"").is_empty());
        let found = bidi("doc = \"a\u{202E}b\" # \u{2066}");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, 8..11);
        assert!(found[0].1.contains("U+202E"));
        let found = bidi(r#"doc = "x\u202e \U00002069 \\u202E \u0041""#);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, 8..14);
        assert!(found[1].1.contains("U+2069"));
        for c in BIDI {
            assert_eq!(bidi(&format!("x = \"{c}\"")).len(), 1);
        }
    }
}
