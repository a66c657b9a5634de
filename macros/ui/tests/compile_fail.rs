//! The macro's errors, pinned: a missing spec file, an unknown service, and a spec with
//! problems (every diagnostic, with its file:line:col, at the macro input).
//!
//! trybuild compiles each case as a crate under `target/tests/trybuild/`, so spec paths in the
//! cases are relative to that folder. `TRYBUILD=overwrite` refreshes the `.stderr` files.

#[test]
fn macro_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
