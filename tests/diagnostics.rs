//! One bad spec per error kind under `tests/diagnostics/`, its rendered diagnostics pinned in
//! a `.stderr` file beside it (`SVCGEN_BLESS=1 cargo test -p svcgen-tests --test diagnostics`
//! rewrites them).

use std::path::PathBuf;
use svcgen_tests::{assert_snapshot, repo};

/// Every fixture: `.toml` files and folders (folder systems).
fn fixtures() -> Vec<PathBuf> {
    let dir = repo().join("tests/diagnostics");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/diagnostics exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_bad_spec_renders_its_pinned_diagnostics() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 12,
        "expected a fixture per error kind, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for fixture in fixtures {
        let rel = fixture.strip_prefix(repo()).unwrap().to_path_buf();
        let rendered = match svcgen_codegen::load(&repo(), std::slice::from_ref(&rel)) {
            Ok(_) => {
                failures.push(format!("{} loaded without errors", rel.display()));
                continue;
            }
            Err(e) => e.render(false),
        };
        assert!(rendered.contains("nothing was written"), "{rendered}");
        let snapshot = fixture.with_extension("stderr");
        if let Err(e) = std::panic::catch_unwind(|| assert_snapshot(&snapshot, &rendered)) {
            failures.push(e.downcast_ref::<String>().cloned().unwrap_or_default());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = svcgen_codegen::load(
        &repo(),
        &[PathBuf::from("tests/diagnostics/many_problems.toml")],
    )
    .expect_err("the fixture is bad");
    let text = err.render(false);
    for needle in [
        "unknown type",
        "dependency cycle",
        "port 7001 is used by both",
        "duplicate route",
        "is greater than",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    assert!(err.diagnostics.len() >= 5);
}

#[test]
fn every_diagnostic_points_at_a_line() {
    for fixture in fixtures() {
        let rel = fixture.strip_prefix(repo()).unwrap().to_path_buf();
        let Err(err) = svcgen_codegen::load(&repo(), std::slice::from_ref(&rel)) else {
            continue;
        };
        for d in err.diagnostics.iter() {
            if !d.message.contains("has no `[system]`") {
                assert!(
                    d.primary.is_some(),
                    "{}: `{}` has no location",
                    rel.display(),
                    d.message
                );
            }
        }
    }
}
