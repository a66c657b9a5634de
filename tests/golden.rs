//! The checked-in generated trees are exactly what the generator writes.

use std::path::PathBuf;
use svcgen_tests::{assert_same_tree, repo};

/// Generates `specs` into a fresh folder, with migrations planned against the checked-in
/// output `out` (its migration history decides what a new migration would be), or from
/// nothing when `out` is empty.
fn generate_into(specs: &[&str], out: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let history = if out.is_empty() {
        dir.path().to_path_buf()
    } else {
        repo().join(out)
    };
    let loaded = svcgen_codegen::load(
        &repo(),
        &specs.iter().map(PathBuf::from).collect::<Vec<_>>(),
    )
    .unwrap_or_else(|e| panic!("example specs must load:\n{}", e.render(false)));
    let specs: Vec<PathBuf> = specs.iter().map(PathBuf::from).collect();
    let settings = svcgen_codegen::settings::discover(&repo(), &specs).expect("settings");
    let (loaded, files) = match svcgen_codegen::generate_into(&history, loaded, &settings) {
        Ok(done) => done,
        Err(svcgen_codegen::GenerateError::Spec(e)) => panic!("migrations:\n{}", e.render(false)),
        Err(svcgen_codegen::GenerateError::Emit(e)) => panic!("generation: {e}"),
    };
    svcgen_codegen::output::write(dir.path(), &files, &svcgen_codegen::scope(&loaded.systems))
        .expect("write");
    dir
}

#[test]
fn generated_folder_matches_the_example_specs() {
    let dir = generate_into(&["specs"], "generated");
    assert_same_tree(
        &repo().join("generated"),
        dir.path(),
        "run `cargo run -p svcgen -- generate`",
    );
}

#[test]
fn hostile_fixture_output_is_up_to_date() {
    let dir = generate_into(&["tests/hostile/spec.toml"], "tests/hostile/generated");
    assert_same_tree(
        &repo().join("tests/hostile/generated"),
        dir.path(),
        "run `cargo run -p svcgen -- generate tests/hostile/spec.toml --out tests/hostile/generated`",
    );
}

#[test]
fn auth_fixture_output_is_up_to_date() {
    let dir = generate_into(&["tests/auth/spec.toml"], "tests/auth/generated");
    assert_same_tree(
        &repo().join("tests/auth/generated"),
        dir.path(),
        "run `cargo run -p svcgen -- generate tests/auth/spec.toml --out tests/auth/generated`",
    );
}

#[test]
fn echo_fixture_output_is_up_to_date() {
    let dir = generate_into(&["tests/echo/spec.toml"], "tests/echo/generated");
    assert_same_tree(
        &repo().join("tests/echo/generated"),
        dir.path(),
        "run `cargo run -p svcgen -- generate tests/echo/spec.toml --out tests/echo/generated`",
    );
}

#[test]
fn minimal_fixtures_are_up_to_date() {
    // No schemas, no errors, a service without endpoints, docs that mention `types ::` in
    // prose: the shapes that once produced unused imports. CI builds them under -D warnings.
    let dir = generate_into(&["tests/minimal"], "tests/minimal/generated");
    assert_same_tree(
        &repo().join("tests/minimal/generated"),
        dir.path(),
        "run `cargo run -p svcgen -- generate tests/minimal --out tests/minimal/generated`",
    );
}

#[test]
fn every_seed_system_is_in_specs() {
    let loaded = svcgen_codegen::load(&repo(), &[PathBuf::from("specs")]).expect("specs load");
    let names: Vec<&str> = loaded
        .systems
        .iter()
        .map(|s| s.name.wire.as_str())
        .collect();
    for seed in ["permits", "flood", "grants", "small-business", "shop"] {
        assert!(
            names.contains(&seed),
            "missing seed system {seed}: {names:?}"
        );
    }
    let shop = loaded
        .systems
        .iter()
        .find(|s| s.name.wire == "shop")
        .unwrap();
    let deps: Vec<&str> = shop.services["orders"]
        .depends_on
        .iter()
        .map(|d| d.service.as_str())
        .collect();
    assert_eq!(deps, ["users", "inventory"]);
    // Orders announces each order; notification confirms it from the event.
    assert_eq!(shop.services["orders"].publishes, ["order.placed"]);
    assert_eq!(shop.services["notification"].subscribes, ["order.placed"]);
}

#[test]
fn regenerating_is_byte_identical_and_touches_nothing() {
    let loaded = svcgen_codegen::load(&repo(), &[PathBuf::from("specs")]).expect("specs load");
    let first = svcgen_codegen::generate(&loaded.systems, &Default::default()).unwrap();
    let again = svcgen_codegen::load(&repo(), &[PathBuf::from("specs")]).expect("specs load");
    let second = svcgen_codegen::generate(&again.systems, &Default::default()).unwrap();
    assert_eq!(first, second, "same spec, same bytes");

    let dir = tempfile::tempdir().unwrap();
    let scope = svcgen_codegen::scope(&loaded.systems);
    let written = svcgen_codegen::output::write(dir.path(), &first, &scope).unwrap();
    assert_eq!(written.written.len(), first.len());
    let rewritten = svcgen_codegen::output::write(dir.path(), &second, &scope).unwrap();
    assert!(
        rewritten.written.is_empty(),
        "unchanged files rewritten: {:?}",
        rewritten.written
    );
    assert_eq!(
        rewritten.unchanged.len() + rewritten.kept.len(),
        first.len()
    );
    assert!(
        !rewritten.kept.is_empty(),
        "owned scaffolds are kept, not rewritten"
    );
}

#[test]
fn a_removed_service_folder_is_cleaned_up_but_other_files_stay() {
    let dir = generate_into(&["specs/shop.toml"], "");
    let stray = dir.path().join("shop/old-service/src/lib.rs");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(
        &stray,
        "// @generated by svcgen from specs/shop.toml — do not edit.\n",
    )
    .unwrap();
    let mine = dir.path().join("shop/notes.md");
    std::fs::write(&mine, "my notes\n").unwrap();

    let loaded = svcgen_codegen::load(&repo(), &[PathBuf::from("specs/shop.toml")]).unwrap();
    let (loaded, files) =
        svcgen_codegen::generate_into(dir.path(), loaded, &Default::default()).unwrap();
    let report =
        svcgen_codegen::output::write(dir.path(), &files, &svcgen_codegen::scope(&loaded.systems))
            .unwrap();
    assert_eq!(report.removed, ["shop/old-service/src/lib.rs"]);
    assert!(!dir.path().join("shop/old-service").exists());
    assert!(
        mine.exists(),
        "files without the generated marker are never removed"
    );
}

#[test]
fn output_paths_stay_under_the_output_directory() {
    let loaded = svcgen_codegen::load(
        &repo(),
        &[
            PathBuf::from("specs"),
            PathBuf::from("tests/hostile/spec.toml"),
        ],
    )
    .unwrap();
    for file in svcgen_codegen::generate(&loaded.systems, &Default::default()).unwrap() {
        let path = std::path::Path::new(&file.path);
        assert!(path.is_relative(), "{}", file.path);
        assert!(
            path.components()
                .all(|c| matches!(c, std::path::Component::Normal(_))),
            "{} leaves the output directory",
            file.path
        );
    }
}
