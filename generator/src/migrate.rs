//! Migrations: the third kind of output, append-only.
//!
//! Beside each service crate with records, `migrations/` holds one folder per dialect
//! (`sqlite/`, `postgres/`) of numbered SQL files (`0001_create_users.sql`), and `store.json`,
//! a generated snapshot of the tables as the migrations leave them plus a checksum of every
//! migration svcgen wrote. [`plan`] compares the spec's records with the snapshot:
//!
//! - no change: nothing new;
//! - additive changes (a new record, a new optional field or one with a default, a new or
//!   removed index, a unique constraint removed): one new migration, written once;
//! - changes that would lose or refuse data (a removed or retyped field, a new required field
//!   without a default, a field made required, a new unique constraint, a changed key): a
//!   located diagnostic naming what would be lost, unless the record's `evolve` accepts it;
//! - a migration svcgen wrote that is missing or was edited: a diagnostic (an applied
//!   migration is never rewritten; sqlx refuses to start on one whose checksum changed).
//!
//! Files in the dialect folders that the snapshot does not list are the person's own
//! (a backfill, say): they keep their place in the sequence, and the next generated migration
//! is numbered after them. svcgen never drops a table: a record removed from the spec leaves
//! its table, and its data, in the database.

use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::store::{Dialect, plain_index, quoted, unique_index};
use crate::emit::{OutputFile, Ownership};
use crate::model::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The snapshot file's name, in a service's `migrations/`.
pub const SNAPSHOT: &str = "store.json";

/// A table as the migrations leave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Table {
    name: String,
    key: String,
    columns: Vec<ColumnSnap>,
    unique: Vec<String>,
    index: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ColumnSnap {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    nullable: bool,
}

/// A migration svcgen wrote, with the checksums of its two files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Written {
    file: String,
    sqlite: String,
    postgres: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Snapshot {
    #[serde(rename = "@generated")]
    generated: String,
    tables: Vec<Table>,
    migrations: Vec<Written>,
}

/// Plans the migrations of every service with records of `system`, whose output is (or will
/// be) under `out`: fills each service's `migrations` and returns the files to write (new
/// migrations and the snapshots). Problems go to `diags`; with any, nothing should be written.
pub fn plan(
    out: &Path,
    system: &mut System,
    diags: &mut Diagnostics,
) -> std::io::Result<Vec<OutputFile>> {
    let mut files = Vec::new();
    let header = crate::emit::header(system);
    let names: Vec<String> = system.services.keys().cloned().collect();
    for name in names {
        let service = &system.services[&name];
        if service.records.is_empty() {
            continue;
        }
        let dir = format!(
            "{}/migrations",
            crate::emit::service::service_dir(system, service)
        );
        let (list, new_files) = plan_service(out, &dir, &header, system, service, diags)?;
        files.extend(new_files);
        if let Some(s) = system.services.get_mut(&name) {
            s.migrations = list;
        }
    }
    Ok(files)
}

fn plan_service(
    out: &Path,
    dir: &str,
    header: &str,
    system: &System,
    service: &Service,
    diags: &mut Diagnostics,
) -> std::io::Result<(Vec<MigrationFile>, Vec<OutputFile>)> {
    let snapshot_path = out.join(dir).join(SNAPSHOT);
    let previous: Snapshot = match std::fs::read_to_string(&snapshot_path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                diags.push(
                    Diagnostic::global(format!(
                        "`{dir}/{SNAPSHOT}` is not a store snapshot svcgen can read: {e}"
                    ))
                    .with_note("it records what the migrations of this service did; restore it from version control"),
                );
                return Ok((Vec::new(), Vec::new()));
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Snapshot::default(),
        Err(e) => return Err(e),
    };
    let mut found = existing(&out.join(dir))?;

    // Every migration svcgen wrote is still there, unedited.
    for w in &previous.migrations {
        for d in Dialect::ALL {
            let path = out.join(dir).join(d.dir()).join(&w.file);
            let want = match d {
                Dialect::Sqlite => &w.sqlite,
                Dialect::Postgres => &w.postgres,
            };
            match std::fs::read_to_string(&path) {
                Ok(text) if checksum(&text) == *want => {}
                Ok(_) => diags.push(
                    Diagnostic::at(
                        &service_loc(service),
                        format!("migration `{dir}/{}/{}` was edited after svcgen wrote it", d.dir(), w.file),
                        "this service's migrations",
                    )
                    .with_note("a migration may already be applied somewhere and is never rewritten: restore it, and put the change in a new migration of your own"),
                ),
                Err(_) => diags.push(
                    Diagnostic::at(
                        &service_loc(service),
                        format!("migration `{dir}/{}/{}` is missing", d.dir(), w.file),
                        "this service's migrations",
                    )
                    .with_note("restore it from version control: databases that applied it expect it"),
                ),
            }
        }
    }

    let wanted: Vec<Table> = service.records.iter().map(table_of).collect();
    let before = diags.len();
    let mut steps: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let mut words: Vec<String> = Vec::new();
    for (record, table) in service.records.iter().zip(&wanted) {
        match previous.tables.iter().find(|t| t.name == table.name) {
            None => {
                for (i, d) in Dialect::ALL.into_iter().enumerate() {
                    steps[i].extend(create_table(d, record));
                }
                words.push(format!("create_{}", table.name));
            }
            Some(old) => {
                let changed = alter_table(system, record, old, table, &mut steps, diags);
                if changed {
                    words.push(format!("alter_{}", table.name));
                }
            }
        }
    }
    if diags.len() > before {
        return Ok((Vec::new(), Vec::new()));
    }

    let mut new_files = Vec::new();
    let mut written = previous.migrations.clone();
    if !steps[0].is_empty() || !steps[1].is_empty() {
        let version = found.iter().map(|m| m.version).max().unwrap_or(0) + 1;
        let mut description = words.join("_");
        description.truncate(60);
        let file = format!("{version:04}_{description}.sql");
        let mut sums = Vec::new();
        for (i, d) in Dialect::ALL.into_iter().enumerate() {
            let text = format!(
                "-- Migration {version} of the `{}` service, written by svcgen for {}. It may already be\n\
                 -- applied somewhere: never edit it; put further changes in a new migration.\n\n{}\n",
                service.name.wire,
                d.dir(),
                steps[i].join("\n")
            );
            sums.push(checksum(&text));
            new_files.push(OutputFile {
                path: format!("{dir}/{}/{file}", d.dir()),
                contents: text,
                ownership: Ownership::Migration,
            });
        }
        written.push(Written {
            file: file.clone(),
            sqlite: sums[0].clone(),
            postgres: sums[1].clone(),
        });
        found.push(MigrationFile {
            version,
            file,
            description: description.replace('_', " "),
            sqlite: true,
            postgres: true,
        });
    }
    // Tables of records no longer in the spec stay (svcgen never drops a table).
    let mut tables = wanted;
    for old in &previous.tables {
        if !tables.iter().any(|t| t.name == old.name) {
            tables.push(old.clone());
        }
    }
    let snapshot = Snapshot {
        generated: format!(
            "{header} The tables as this service's migrations leave them, and the checksum of each migration svcgen wrote."
        ),
        tables,
        migrations: written,
    };
    let mut json = serde_json::to_string_pretty(&snapshot).unwrap_or_default();
    json.push('\n');
    new_files.push(OutputFile {
        path: format!("{dir}/{SNAPSHOT}"),
        contents: json,
        ownership: Ownership::Generated,
    });
    found.sort_by_key(|m| m.version);
    Ok((found, new_files))
}

fn service_loc(service: &Service) -> crate::diag::Loc {
    service.records[0].loc.clone()
}

/// The numbered SQL files of both dialect folders under `dir` (a service's `migrations/`), in
/// version order. The macro front end embeds these: it reads migrations, never writes them.
pub fn existing(dir: &Path) -> std::io::Result<Vec<MigrationFile>> {
    let mut out: Vec<MigrationFile> = Vec::new();
    for d in Dialect::ALL {
        let entries = match std::fs::read_dir(dir.join(d.dir())) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".sql") else {
                continue;
            };
            let Some((number, description)) = stem.split_once('_') else {
                continue;
            };
            let Ok(version) = number.parse::<i64>() else {
                continue;
            };
            let m = match out.iter_mut().find(|m| m.file == name) {
                Some(m) => m,
                None => {
                    out.push(MigrationFile {
                        version,
                        file: name.clone(),
                        description: description.replace('_', " "),
                        sqlite: false,
                        postgres: false,
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            match d {
                Dialect::Sqlite => m.sqlite = true,
                Dialect::Postgres => m.postgres = true,
            }
        }
    }
    out.sort_by(|a, b| (a.version, &a.file).cmp(&(b.version, &b.file)));
    Ok(out)
}

fn table_of(r: &Record) -> Table {
    Table {
        name: r.table().to_owned(),
        key: r.columns[r.key].name.clone(),
        columns: r
            .columns
            .iter()
            .map(|c| ColumnSnap {
                name: c.name.clone(),
                ty: c.kind.sql_type().to_owned(),
                nullable: c.nullable,
            })
            .collect(),
        unique: r
            .unique
            .iter()
            .filter(|(i, _)| *i != r.key)
            .map(|(i, _)| r.columns[*i].name.clone())
            .collect(),
        index: r.index.iter().map(|i| r.columns[*i].name.clone()).collect(),
    }
}

fn column_def(d: Dialect, c: &Column) -> String {
    let null = if c.nullable { "" } else { " NOT NULL" };
    format!("{} {}{null}", quoted(&c.name), d.column_type(&c.kind))
}

fn create_table(d: Dialect, r: &Record) -> Vec<String> {
    let t = r.table();
    let mut lines: Vec<String> = r
        .columns
        .iter()
        .map(|c| format!("    {}", column_def(d, c)))
        .collect();
    lines.push(format!(
        "    CONSTRAINT {} PRIMARY KEY ({})",
        quoted(&format!("{t}_pkey")),
        quoted(&r.columns[r.key].name)
    ));
    let mut out = vec![format!(
        "CREATE TABLE {} (\n{}\n);",
        quoted(t),
        lines.join(",\n")
    )];
    for (i, _) in r.unique.iter().filter(|(i, _)| *i != r.key) {
        out.push(create_unique(t, &r.columns[*i].name));
    }
    for i in &r.index {
        out.push(create_index(t, &r.columns[*i].name, &r.columns[r.key].name));
    }
    out
}

fn create_unique(t: &str, c: &str) -> String {
    format!(
        "CREATE UNIQUE INDEX {} ON {} ({});",
        quoted(&unique_index(t, c)),
        quoted(t),
        quoted(c)
    )
}

fn create_index(t: &str, c: &str, key: &str) -> String {
    format!(
        "CREATE INDEX {} ON {} ({}, {});",
        quoted(&plain_index(t, c)),
        quoted(t),
        quoted(c),
        quoted(key)
    )
}

fn drop_index(name: &str) -> String {
    format!("DROP INDEX IF EXISTS {};", quoted(name))
}

/// The SQL literal of a default, for rows that existed before its column; `None` when the
/// default cannot be written for this column (the change is then refused).
fn default_literal(d: Dialect, c: &Column) -> Option<String> {
    let text = |s: &str| format!("'{}'", s.replace('\'', "''"));
    Some(match (c.default.as_ref()?, &c.kind) {
        (_, ColumnKind::Prim(Prim::Uuid) | ColumnKind::Newtype(_, Prim::Uuid)) => return None,
        (DefaultValue::String(s), ColumnKind::Json) => text(&serde_json::to_string(s).ok()?),
        (DefaultValue::String(s), _) if s.contains('\0') => return None,
        (DefaultValue::String(s), _) => text(s),
        (DefaultValue::Bool(b), _) => match (d, b) {
            (Dialect::Sqlite, true) => "1".to_owned(),
            (Dialect::Sqlite, false) => "0".to_owned(),
            (Dialect::Postgres, b) => b.to_string(),
        },
        (DefaultValue::Int(i), ColumnKind::Json) => text(&i.to_string()),
        (DefaultValue::Int(i), _) => i.to_string(),
        (DefaultValue::Float(f), _) if !f.is_finite() => return None,
        (DefaultValue::Float(f), ColumnKind::Json) => text(&f.to_string()),
        (DefaultValue::Float(f), _) => f.to_string(),
        (DefaultValue::EnumVariant(_, v), ColumnKind::Json) => {
            text(&serde_json::to_string(&v.wire).ok()?)
        }
        (DefaultValue::EnumVariant(_, v), _) => text(&v.wire),
        (DefaultValue::EmptyList, _) => text("[]"),
        (DefaultValue::EmptyMap, _) => text("{}"),
    })
}

/// Adds the steps that take `old` to `new` (the table of `r`); reports what would lose data.
/// Whether there was any change.
fn alter_table(
    system: &System,
    r: &Record,
    old: &Table,
    new: &Table,
    steps: &mut [Vec<String>; 2],
    diags: &mut Diagnostics,
) -> bool {
    let t = r.table();
    let refuse = |diags: &mut Diagnostics, message: String, note: &str| {
        diags.push(
            Diagnostic::at(&r.loc, message, "stored record")
                .with_secondary(&system.schemas[&r.schema].loc, "its schema")
                .with_note(note.to_owned()),
        );
    };
    let before = steps[0].len() + steps[1].len();
    if old.key != new.key {
        refuse(
            diags,
            format!(
                "the key of `{}` would change from `{}` to `{}`",
                r.name.wire, old.key, new.key
            ),
            "a stored record's key cannot change; declare a new record (a new table) and copy the data with a migration of your own",
        );
        return false;
    }
    let renamed_from = |c: &str| {
        r.evolve
            .rename
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, o)| o.as_str())
    };
    // Columns that went away: dropped (accepted), renamed, or refused.
    for oc in &old.columns {
        if new.columns.iter().any(|c| c.name == oc.name) {
            continue;
        }
        if let Some((newname, _)) = r.evolve.rename.iter().find(|(_, o)| *o == oc.name) {
            for idx in [unique_index(t, &oc.name), plain_index(t, &oc.name)] {
                both(steps, drop_index(&idx));
            }
            both(
                steps,
                format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {};",
                    quoted(t),
                    quoted(&oc.name),
                    quoted(newname)
                ),
            );
            continue;
        }
        if r.evolve.drop.contains(&oc.name) {
            for idx in [unique_index(t, &oc.name), plain_index(t, &oc.name)] {
                both(steps, drop_index(&idx));
            }
            both(
                steps,
                format!(
                    "ALTER TABLE {} DROP COLUMN {};",
                    quoted(t),
                    quoted(&oc.name)
                ),
            );
            continue;
        }
        refuse(
            diags,
            format!(
                "field `{}` was removed from `{}`: its column in `{t}` holds data that would be lost",
                oc.name, r.schema
            ),
            &format!(
                "to drop the column and its data, say so: `evolve.drop = [\"{}\"]` on the record; to keep the data under a new name, `evolve.rename = {{ <new> = \"{}\" }}`",
                oc.name, oc.name
            ),
        );
    }
    for c in &r.columns {
        let nc = new
            .columns
            .iter()
            .find(|n| n.name == c.name)
            .expect("same record");
        let from = renamed_from(&c.name).and_then(|o| old.columns.iter().find(|x| x.name == o));
        let Some(oc) = old.columns.iter().find(|o| o.name == c.name).or(from) else {
            // A new column.
            if c.nullable {
                for (i, d) in Dialect::ALL.into_iter().enumerate() {
                    steps[i].push(format!(
                        "ALTER TABLE {} ADD COLUMN {};",
                        quoted(t),
                        column_def(d, c)
                    ));
                }
                continue;
            }
            let lits: Vec<Option<String>> = Dialect::ALL
                .iter()
                .map(|d| default_literal(*d, c))
                .collect();
            if let [Some(s), Some(p)] = &lits[..] {
                steps[0].push(format!(
                    "ALTER TABLE {} ADD COLUMN {} DEFAULT {s};",
                    quoted(t),
                    column_def(Dialect::Sqlite, c)
                ));
                steps[1].push(format!(
                    "ALTER TABLE {} ADD COLUMN {} DEFAULT {p};",
                    quoted(t),
                    column_def(Dialect::Postgres, c)
                ));
            } else {
                refuse(
                    diags,
                    format!(
                        "new field `{}` of `{}` is required, but the records stored already have no value for it",
                        c.field.wire, r.schema
                    ),
                    "make it optional (`type = \"...?\"`) or give it a `default`",
                );
            }
            continue;
        };
        if oc.ty != nc.ty {
            refuse(
                diags,
                format!(
                    "field `{}` of `{}` would change type from {} to {}: stored values may not convert",
                    c.field.wire, r.schema, oc.ty, nc.ty
                ),
                "keep the type, or add a field of the new type (optional or with a default) and fill it with a migration of your own",
            );
        } else if oc.nullable && !nc.nullable {
            refuse(
                diags,
                format!(
                    "field `{}` of `{}` would become required, but stored records may have no value for it",
                    c.field.wire, r.schema
                ),
                "keep it optional, or add a new required field with a default",
            );
        } else if !oc.nullable && nc.nullable {
            refuse(
                diags,
                format!(
                    "field `{}` of `{}` would become optional: svcgen cannot yet loosen a stored column",
                    c.field.wire, r.schema
                ),
                "keep it required, or add a new optional field",
            );
        }
    }
    // Unique constraints and indexes: removed ones are dropped, new indexes created; a new
    // unique constraint may fail on stored duplicates, so it must be accepted.
    let renamed = |name: &str| renamed_from(name).unwrap_or(name).to_owned();
    for u in &old.unique {
        if !new.unique.iter().any(|n| renamed(n) == *u) && new.columns.iter().any(|c| c.name == *u)
        {
            both(steps, drop_index(&unique_index(t, u)));
        }
    }
    for u in &new.unique {
        let was = old.unique.contains(&renamed(u));
        if was && renamed(u) == *u {
            continue;
        }
        if was || r.evolve.add_unique.contains(u) {
            both(steps, create_unique(t, u));
        } else {
            refuse(
                diags,
                format!(
                    "field `{u}` of `{}` would become unique, but stored records may share a value",
                    r.schema
                ),
                &format!(
                    "accept it with `evolve.add_unique = [\"{u}\"]` on the record: the migration then fails, and the service does not start, until duplicates are removed"
                ),
            );
        }
    }
    for i in &old.index {
        if !new.index.iter().any(|n| renamed(n) == *i) && new.columns.iter().any(|c| c.name == *i) {
            both(steps, drop_index(&plain_index(t, i)));
        }
    }
    for i in &new.index {
        let was = old.index.contains(&renamed(i));
        if !(was && renamed(i) == *i) {
            both(steps, create_index(t, i, &new.key));
        }
    }
    steps[0].len() + steps[1].len() > before
}

/// The same step in both dialects.
fn both(steps: &mut [Vec<String>; 2], sql: String) {
    steps[0].push(sql.clone());
    steps[1].push(sql);
}

/// A checksum of a migration's text (FNV-1a, 64 bits, hex): enough to notice an edit.
fn checksum(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
