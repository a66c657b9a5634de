//! The runtime crate of a system: problem details, the server stack and the HTTP client that
//! every service crate of the system builds on. Its sources are the same for every system.

use super::rust::format_file;
use super::{EmitError, OutputFile, Ownership, header};
use crate::model::System;

/// The runtime sources, emitted verbatim (reformatted) into every system.
pub(crate) const SOURCES: &[(&str, &str)] = &[
    ("lib.rs", include_str!("runtime/rt/lib.rs")),
    ("context.rs", include_str!("runtime/rt/context.rs")),
    ("problem.rs", include_str!("runtime/rt/problem.rs")),
    ("server.rs", include_str!("runtime/rt/server.rs")),
    ("client.rs", include_str!("runtime/rt/client.rs")),
];

/// The folder of the runtime crate of a system.
pub fn runtime_dir(system: &System) -> String {
    format!("{}/runtime", system.dir())
}

/// The package name of the runtime crate of a system.
pub fn runtime_package(system: &System) -> String {
    format!("{}-runtime", system.dir())
}

/// Writes the runtime crate's sources.
pub fn emit(system: &System, files: &mut Vec<OutputFile>) -> Result<(), EmitError> {
    let header = header(system);
    for (name, source) in SOURCES {
        let path = format!("{}/src/{name}", runtime_dir(system));
        let tokens = source
            .parse()
            .map_err(|e: proc_macro2::LexError| EmitError::Rust {
                path: path.clone(),
                message: e.to_string(),
            })?;
        files.push(OutputFile {
            contents: format_file(&path, &header, tokens)?,
            path,
            ownership: Ownership::Generated,
        });
    }
    Ok(())
}
