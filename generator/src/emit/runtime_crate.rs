//! The `svcgen-runtime` crate, vendored: with [`RuntimeSource::Vendored`] (the default) every
//! system folder gets a copy of the crate under `runtime/`, so it builds wherever it is copied
//! with no access to this repository. The copy is the crate's own files, byte for byte, below
//! a generated-file header; with [`RuntimeSource::Path`] nothing is written.

use super::{EmitError, GENERATED_MARKER, OutputFile, Ownership, RuntimeSource, Settings};
use crate::model::System;

/// The package name of the runtime crate.
pub const PACKAGE: &str = "svcgen-runtime";

/// The version of the runtime crate this generator writes code for.
pub const VERSION: &str = "0.1.0";

/// The runtime crate's files, relative to its folder.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../../runtime/Cargo.toml")),
    ("src/lib.rs", include_str!("../../../runtime/src/lib.rs")),
    ("src/auth.rs", include_str!("../../../runtime/src/auth.rs")),
    (
        "src/issuer.rs",
        include_str!("../../../runtime/src/issuer.rs"),
    ),
    (
        "src/breaker.rs",
        include_str!("../../../runtime/src/breaker.rs"),
    ),
    ("src/body.rs", include_str!("../../../runtime/src/body.rs")),
    (
        "src/bytes.rs",
        include_str!("../../../runtime/src/bytes.rs"),
    ),
    (
        "src/connections.rs",
        include_str!("../../../runtime/src/connections.rs"),
    ),
    ("src/cors.rs", include_str!("../../../runtime/src/cors.rs")),
    (
        "src/telemetry.rs",
        include_str!("../../../runtime/src/telemetry.rs"),
    ),
    (
        "src/trace.rs",
        include_str!("../../../runtime/src/trace.rs"),
    ),
    (
        "src/redact.rs",
        include_str!("../../../runtime/src/redact.rs"),
    ),
    (
        "src/client.rs",
        include_str!("../../../runtime/src/client.rs"),
    ),
    (
        "src/context.rs",
        include_str!("../../../runtime/src/context.rs"),
    ),
    (
        "src/events.rs",
        include_str!("../../../runtime/src/events.rs"),
    ),
    (
        "src/events/jetstream.rs",
        include_str!("../../../runtime/src/events/jetstream.rs"),
    ),
    (
        "src/params.rs",
        include_str!("../../../runtime/src/params.rs"),
    ),
    (
        "src/query.rs",
        include_str!("../../../runtime/src/query.rs"),
    ),
    (
        "src/problem.rs",
        include_str!("../../../runtime/src/problem.rs"),
    ),
    (
        "src/server.rs",
        include_str!("../../../runtime/src/server.rs"),
    ),
    (
        "src/shape.rs",
        include_str!("../../../runtime/src/shape.rs"),
    ),
    (
        "src/store.rs",
        include_str!("../../../runtime/src/store.rs"),
    ),
    (
        "src/validation.rs",
        include_str!("../../../runtime/src/validation.rs"),
    ),
    (
        "tests/auth.rs",
        include_str!("../../../runtime/tests/auth.rs"),
    ),
    (
        "tests/gateway.rs",
        include_str!("../../../runtime/tests/gateway.rs"),
    ),
    (
        "tests/issuers.rs",
        include_str!("../../../runtime/tests/issuers.rs"),
    ),
    (
        "tests/events.rs",
        include_str!("../../../runtime/tests/events.rs"),
    ),
    (
        "tests/jetstream.rs",
        include_str!("../../../runtime/tests/jetstream.rs"),
    ),
    (
        "tests/store.rs",
        include_str!("../../../runtime/tests/store.rs"),
    ),
    (
        "tests/trace.rs",
        include_str!("../../../runtime/tests/trace.rs"),
    ),
    (
        "tests/support/mod.rs",
        include_str!("../../../runtime/tests/support/mod.rs"),
    ),
];

/// The runtime crate's source of `name` (`"validation.rs"`), as vendored.
pub fn source(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(path, _)| path.strip_prefix("src/") == Some(name))
        .map(|(_, text)| *text)
}

/// The path of the runtime crate as the manifest of a crate in the system folder names it.
pub fn member_path(settings: &Settings) -> String {
    match &settings.runtime {
        RuntimeSource::Vendored => "../runtime".to_owned(),
        RuntimeSource::Path(path) => format!("../{path}"),
    }
}

/// Writes the vendored copy, when the settings ask for one.
pub fn emit(
    system: &System,
    settings: &Settings,
    files: &mut Vec<OutputFile>,
) -> Result<(), EmitError> {
    if settings.runtime != RuntimeSource::Vendored {
        return Ok(());
    }
    let header = format!("{GENERATED_MARKER}: a copy of {PACKAGE} {VERSION} — do not edit.");
    for (path, text) in FILES {
        let leader = if path.ends_with(".rs") { "//" } else { "#" };
        files.push(OutputFile {
            path: format!("{}/runtime/{path}", system.dir()),
            contents: format!("{leader} {header}\n\n{text}"),
            ownership: Ownership::Generated,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::FILES;
    use std::path::Path;

    /// A file added to the runtime crate and not to [`FILES`] would be missing from every
    /// vendored copy (and its manifest might name it): keep the two lists the same.
    #[test]
    fn every_file_of_the_runtime_crate_is_vendored() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
        let mut on_disk = vec!["Cargo.toml".to_owned()];
        let mut dirs = vec!["src".to_owned(), "tests".to_owned()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(root.join(&dir)).unwrap() {
                let entry = entry.unwrap();
                let path = format!("{dir}/{}", entry.file_name().into_string().unwrap());
                if entry.file_type().unwrap().is_dir() {
                    dirs.push(path);
                } else {
                    on_disk.push(path);
                }
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
        for (path, text) in FILES {
            assert_eq!(
                *text,
                std::fs::read_to_string(root.join(path)).unwrap(),
                "{path}"
            );
        }
    }
}
