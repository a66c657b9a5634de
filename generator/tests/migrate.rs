//! Migration planning against a real output folder: what each kind of change writes, what it
//! refuses, and how edits, gaps and hand-written migrations are treated.

use std::path::Path;
use svcgen_codegen::emit::OutputFile;

const BASE: &str = r#"
[system]
name = "s"

[schemas.User]
fields.id = "uuid"
fields.email = "string"
fields.name = "string"
FIELDS

[errors.Taken]
status = 409

[services.users]
port = 8001

[services.users.records.users]
schema = "User"
key = "id"
RECORD
"#;

fn spec(fields: &str, record: &str) -> String {
    BASE.replace("FIELDS", fields).replace("RECORD", record)
}

/// Plans `text` against `out` and writes the result; the problems as text otherwise.
fn generate(out: &Path, text: &str) -> Result<Vec<OutputFile>, String> {
    let system = svcgen_codegen::load_str("s.toml", text).map_err(|e| e.render(false))?;
    let mut diags = svcgen_codegen::diag::Diagnostics::default();
    let mut system = system;
    let files = svcgen_codegen::migrate::plan(out, &mut system, &mut diags).unwrap();
    if !diags.is_empty() {
        let mut sources = svcgen_codegen::diag::Sources::default();
        sources.add("s.toml".into(), text.into());
        return Err(svcgen_codegen::diag::render(&sources, &diags, false));
    }
    svcgen_codegen::output::write(out, &files, &[]).unwrap();
    Ok(files)
}

fn migrations(out: &Path, dialect: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join("s/users/migrations").join(dialect))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn read(out: &Path, dialect: &str, file: &str) -> String {
    std::fs::read_to_string(out.join("s/users/migrations").join(dialect).join(file)).unwrap()
}

#[test]
fn a_new_store_is_one_migration_and_an_unchanged_one_none() {
    let out = tempfile::tempdir().unwrap();
    let text = spec("", "unique.email = \"Taken\"");
    generate(out.path(), &text).unwrap();
    assert_eq!(migrations(out.path(), "sqlite"), ["0001_create_users.sql"]);
    assert_eq!(
        migrations(out.path(), "postgres"),
        ["0001_create_users.sql"]
    );
    let pg = read(out.path(), "postgres", "0001_create_users.sql");
    assert!(pg.contains("\"id\" uuid NOT NULL"), "{pg}");
    assert!(pg.contains("CREATE UNIQUE INDEX \"users_email_key\" ON \"users\" (\"email\");"));
    // Again: nothing new, and only the snapshot is in the output.
    let files = generate(out.path(), &text).unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].path.ends_with("store.json"));
    assert_eq!(migrations(out.path(), "sqlite").len(), 1);
}

#[test]
fn additive_changes_are_a_new_migration() {
    let out = tempfile::tempdir().unwrap();
    generate(out.path(), &spec("", "")).unwrap();
    let grown = spec(
        "fields.nickname = \"string?\"\nfields.level = { type = \"i32\", default = 1 }\nfields.note = { type = \"string\", default = \"it's\" }",
        "index = [\"name\"]",
    );
    generate(out.path(), &grown).unwrap();
    let sqlite = read(out.path(), "sqlite", "0002_alter_users.sql");
    assert!(
        sqlite.contains("ALTER TABLE \"users\" ADD COLUMN \"nickname\" TEXT;"),
        "{sqlite}"
    );
    assert!(
        sqlite.contains("ADD COLUMN \"level\" INTEGER NOT NULL DEFAULT 1;"),
        "{sqlite}"
    );
    // Spec text in a default is an escaped SQL literal.
    assert!(sqlite.contains("DEFAULT 'it''s';"), "{sqlite}");
    assert!(sqlite.contains("CREATE INDEX \"users_name_idx\" ON \"users\" (\"name\", \"id\");"));
    let pg = read(out.path(), "postgres", "0002_alter_users.sql");
    assert!(
        pg.contains("ADD COLUMN \"level\" integer NOT NULL DEFAULT 1;"),
        "{pg}"
    );
}

#[test]
fn changes_that_lose_data_are_refused_unless_accepted() {
    let out = tempfile::tempdir().unwrap();
    generate(out.path(), &spec("fields.age = \"i32\"", "")).unwrap();

    // Removed, retyped, newly required without default, newly unique: all refused at once.
    let bad = spec("fields.level = \"i64\"", "unique.email = \"Taken\"")
        .replace("fields.name = \"string\"", "fields.name = \"i64\"");
    let err = generate(out.path(), &bad).unwrap_err();
    for needle in [
        "field `age` was removed from `User`: its column in `users` holds data that would be lost",
        "field `name` of `User` would change type from string to i64",
        "new field `level` of `User` is required, but the records stored already have no value for it",
        "field `email` of `User` would become unique",
        "evolve.drop = [\"age\"]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
    assert_eq!(migrations(out.path(), "sqlite").len(), 1, "nothing written");

    // Accepted: the column is dropped, a rename keeps data, the unique index is created.
    let accepted = spec(
        "fields.full_name = \"string\"",
        "unique.email = \"Taken\"\nevolve.drop = [\"age\"]\nevolve.rename = { full_name = \"name\" }\nevolve.add_unique = [\"email\"]",
    )
    .replace("fields.name = \"string\"\n", "");
    generate(out.path(), &accepted).unwrap();
    let sql = read(out.path(), "sqlite", "0002_alter_users.sql");
    assert!(
        sql.contains("ALTER TABLE \"users\" DROP COLUMN \"age\";"),
        "{sql}"
    );
    assert!(
        sql.contains("ALTER TABLE \"users\" RENAME COLUMN \"name\" TO \"full_name\";"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE UNIQUE INDEX \"users_email_key\""),
        "{sql}"
    );
}

#[test]
fn edited_and_missing_migrations_are_reported_and_own_ones_keep_their_place() {
    let out = tempfile::tempdir().unwrap();
    let text = spec("", "");
    generate(out.path(), &text).unwrap();
    let dir = out.path().join("s/users/migrations");

    // A migration of one's own, in one dialect: kept in the sequence; the next one is 3.
    std::fs::write(
        dir.join("sqlite/0002_backfill.sql"),
        "UPDATE users SET name = name;\n",
    )
    .unwrap();
    let mut system =
        svcgen_codegen::load_str("s.toml", &spec("fields.x = \"string?\"", "")).unwrap();
    let mut diags = svcgen_codegen::diag::Diagnostics::default();
    let files = svcgen_codegen::migrate::plan(out.path(), &mut system, &mut diags).unwrap();
    assert!(diags.is_empty());
    let listed: Vec<(i64, bool, bool)> = system.services["users"]
        .migrations
        .iter()
        .map(|m| (m.version, m.sqlite, m.postgres))
        .collect();
    assert_eq!(listed, [(1, true, true), (2, true, false), (3, true, true)]);
    assert!(
        files
            .iter()
            .any(|f| f.path.ends_with("sqlite/0003_alter_users.sql"))
    );

    // Edited, then missing.
    let first = dir.join("postgres/0001_create_users.sql");
    std::fs::write(&first, "CREATE TABLE users (id uuid);\n").unwrap();
    let err = generate(out.path(), &text).unwrap_err();
    assert!(err.contains("was edited after svcgen wrote it"), "{err}");
    std::fs::remove_file(&first).unwrap();
    let err = generate(out.path(), &text).unwrap_err();
    assert!(
        err.contains("postgres/0001_create_users.sql` is missing"),
        "{err}"
    );
}
