//! Holds only tests: see `tests/compile_fail.rs`.
