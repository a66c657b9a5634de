//! The context every item of one system is resolved in: the definitions items may refer to
//! by name, gathered from all of the system's files, and the diagnostics being collected.

use crate::diag::{Diagnostics, FileId, Loc};
use crate::spec::{self, SStr};
use indexmap::IndexMap;
use toml::Spanned;

/// A definition together with the file it came from.
pub(super) struct Def<'a, T> {
    pub(super) file: FileId,
    pub(super) key: &'a SStr,
    pub(super) def: &'a Spanned<T>,
}

impl<T> Def<'_, T> {
    pub(super) fn key_loc(&self) -> Loc {
        Loc::new(self.file, self.key.span())
    }
}

/// Resolves items one by one; its methods are spread over the modules of each kind of item.
pub(super) struct Resolver<'a> {
    pub(super) diags: &'a mut Diagnostics,
    pub(super) schemas: IndexMap<String, Def<'a, spec::SchemaDef>>,
    pub(super) errors: IndexMap<String, Def<'a, spec::ErrorDef>>,
    /// Auth schemes declared but not resolved (their problems are reported): what names them
    /// is not reported again.
    pub(super) failed_schemes: Vec<String>,
}
