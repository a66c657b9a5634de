//! `svcgen.toml`: the settings that shape the output but are not part of any spec.
//!
//! The file sits beside the specs it applies to: in the folder given as a folder of specs, or
//! in the folder holding a spec file or a system folder. It is found from the spec paths, never
//! from the current directory, so a run gives the same output from anywhere.
//!
//! ```toml
//! [runtime]
//! # Use the svcgen-runtime crate at this path (relative to each generated system folder)
//! # instead of writing a copy of it into every system.
//! path = "../../runtime"
//! ```

use crate::emit::{RuntimeSource, Settings};
use crate::load::SYSTEM_FILE;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The settings file's name.
pub const FILE: &str = "svcgen.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    runtime: Option<Runtime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Runtime {
    path: Option<String>,
}

/// The settings for `specs` (relative to `base`), read from the `svcgen.toml` beside them;
/// the defaults when there is none. Specs in different folders must not disagree.
pub fn discover(base: &Path, specs: &[PathBuf]) -> Result<Settings, String> {
    let mut found: Option<(PathBuf, Settings)> = None;
    for spec in specs {
        let full = base.join(spec);
        let folder = if full.is_dir() && !full.join(SYSTEM_FILE).is_file() {
            full
        } else {
            match full.parent() {
                Some(parent) => parent.to_path_buf(),
                None => continue,
            }
        };
        let file = folder.join(FILE);
        let settings = if file.is_file() {
            read(&file)?
        } else {
            Settings::default()
        };
        match &found {
            Some((first, earlier)) if *earlier != settings => {
                return Err(format!(
                    "the specs beside `{}` and `{}` have different settings ({FILE}); generate them separately",
                    first.display(),
                    file.display()
                ));
            }
            Some(_) => {}
            None => found = Some((file, settings)),
        }
    }
    Ok(found.map(|(_, s)| s).unwrap_or_default())
}

/// Reads one settings file.
pub fn read(file: &Path) -> Result<Settings, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let parsed: File = toml::from_str(&text)
        .map_err(|e| format!("invalid `{}`: {}", file.display(), e.message()))?;
    let runtime = match parsed.runtime.and_then(|r| r.path) {
        Some(path) => RuntimeSource::Path(
            check_path(&path)
                .map_err(|why| format!("invalid `{}`: runtime.path {why}", file.display()))?,
        ),
        None => RuntimeSource::Vendored,
    };
    Ok(Settings { runtime })
}

/// A runtime path as written into generated manifests: relative, `/`-separated, printable.
pub fn check_path(path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("is empty".into());
    }
    if path.chars().any(char::is_control) {
        return Err("holds a control character".into());
    }
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        return Err(format!(
            "`{path}` must be relative to the system folder, with `/` separators"
        ));
    }
    Ok(path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_be_relative_and_printable() {
        assert!(check_path("../../runtime").is_ok());
        assert!(check_path("/abs/runtime").is_err());
        assert!(check_path("C:\\runtime").is_err());
        assert!(check_path("a\nb").is_err());
        assert!(check_path("").is_err());
    }

    #[test]
    fn the_file_beside_the_specs_is_used_and_unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "").unwrap();
        let spec = [PathBuf::from("a.toml")];
        assert_eq!(discover(dir.path(), &spec).unwrap(), Settings::default());
        std::fs::write(dir.path().join(FILE), "[runtime]\npath = \"../rt\"\n").unwrap();
        assert_eq!(
            discover(dir.path(), &spec).unwrap().runtime,
            RuntimeSource::Path("../rt".into())
        );
        std::fs::write(dir.path().join(FILE), "[runtime]\npth = \"../rt\"\n").unwrap();
        let err = discover(dir.path(), &spec).unwrap_err();
        assert!(err.contains("unknown field"), "{err}");
    }
}
