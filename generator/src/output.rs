//! Writing output files: atomic, skipping unchanged bytes, never touching owned files once
//! written, and removing generated files that no longer belong to the output.

use crate::emit::{GENERATED_MARKER, OutputFile, Ownership};
use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or changed.
    pub written: Vec<String>,
    /// Generated files whose bytes were already right (not touched, mtime kept).
    pub unchanged: Vec<String>,
    /// Owned files that already existed and were left alone.
    pub kept: Vec<String>,
    /// Stale generated files removed.
    pub removed: Vec<String>,
}

/// How the output directory differs from what would be generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Generated files whose contents differ.
    pub stale: Vec<String>,
    /// Files that would be written but do not exist.
    pub missing: Vec<String>,
    /// Generated files that would be removed.
    pub extra: Vec<String>,
}

impl CheckReport {
    /// True when the output is exactly what `generate` writes.
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Writes `files` under `out`. Generated files under the `scope` folders (relative to `out`)
/// that are not in `files` are removed; owned files are never removed.
pub fn write(out: &Path, files: &[OutputFile], scope: &[String]) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    for file in files {
        let path = out.join(&file.path);
        let existing = read_if_exists(&path)?;
        match (file.ownership, existing) {
            (Ownership::Owned, Some(_)) => report.kept.push(file.path.clone()),
            (Ownership::Generated, Some(bytes)) if bytes == file.contents.as_bytes() => {
                report.unchanged.push(file.path.clone())
            }
            _ => {
                write_atomic(&path, file.contents.as_bytes())?;
                report.written.push(file.path.clone());
            }
        }
    }
    for stale in stale_files(out, files, scope)? {
        std::fs::remove_file(out.join(&stale))?;
        remove_empty_parents(out, &out.join(&stale));
        report.removed.push(stale);
    }
    Ok(report)
}

/// Compares `out` with what [`write`] would produce, without writing anything.
pub fn check(out: &Path, files: &[OutputFile], scope: &[String]) -> io::Result<CheckReport> {
    let mut report = CheckReport::default();
    for file in files {
        match read_if_exists(&out.join(&file.path))? {
            None => report.missing.push(file.path.clone()),
            Some(bytes)
                if file.ownership == Ownership::Generated && bytes != file.contents.as_bytes() =>
            {
                report.stale.push(file.path.clone())
            }
            Some(_) => {}
        }
    }
    report.extra = stale_files(out, files, scope)?;
    Ok(report)
}

fn read_if_exists(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// Writes through a temporary file in the same folder and renames it into place, so readers
/// never see a half-written file.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| {
        io::Error::new(e.kind(), format!("cannot create {}: {e}", parent.display()))
    })?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".svcgen-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(parent)?;
    // No fsync: the rename alone guarantees readers never see a partial file, and generated
    // files can always be regenerated; syncing each of thousands of files costs seconds.
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| {
        io::Error::new(
            e.error.kind(),
            format!("cannot write {}: {}", path.display(), e.error),
        )
    })?;
    Ok(())
}

/// Generated files (those carrying the marker) under the scope folders that `files` does not
/// list, as relative paths in sorted order.
fn stale_files(out: &Path, files: &[OutputFile], scope: &[String]) -> io::Result<Vec<String>> {
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut found = BTreeSet::new();
    for dir in scope {
        walk(out, &out.join(dir), &mut found)?;
    }
    Ok(found
        .into_iter()
        .filter(|p| !wanted.contains(p.as_str()))
        .collect())
}

fn walk(out: &Path, dir: &Path, found: &mut BTreeSet<String>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let kind = entry.file_type()?;
        // Build output and hidden folders (`.git`) are never ours; hidden files may be.
        if kind.is_dir() && (name == "target" || name.to_string_lossy().starts_with('.')) {
            continue;
        }
        if kind.is_dir() {
            walk(out, &path, found)?;
        } else if kind.is_file() && is_generated(&path)? {
            found.insert(relative(out, &path));
        }
    }
    Ok(())
}

/// A file is generated when its first lines carry the marker.
fn is_generated(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    Ok(String::from_utf8_lossy(&head[..n]).contains(GENERATED_MARKER))
}

fn relative(out: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(out).unwrap_or(path).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str, ownership: Ownership) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: contents.into(),
            ownership,
        }
    }

    const GEN: &str = "// @generated by svcgen from x.toml — do not edit.\n";

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let files = [file("s/a.rs", GEN, Ownership::Generated)];
        let first = write(dir.path(), &files, &["s".into()]).unwrap();
        assert_eq!(first.written, ["s/a.rs"]);
        let mtime = std::fs::metadata(dir.path().join("s/a.rs"))
            .unwrap()
            .modified()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = write(dir.path(), &files, &["s".into()]).unwrap();
        assert_eq!(second.unchanged, ["s/a.rs"]);
        assert!(second.written.is_empty());
        assert_eq!(
            std::fs::metadata(dir.path().join("s/a.rs"))
                .unwrap()
                .modified()
                .unwrap(),
            mtime
        );
    }

    #[test]
    fn owned_files_are_written_once_and_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let owned = [file("s/handler.rs", "// yours\n", Ownership::Owned)];
        write(dir.path(), &owned, &["s".into()]).unwrap();
        std::fs::write(dir.path().join("s/handler.rs"), "// edited\n").unwrap();
        let report = write(dir.path(), &owned, &["s".into()]).unwrap();
        assert_eq!(report.kept, ["s/handler.rs"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("s/handler.rs")).unwrap(),
            "// edited\n"
        );
        // Gone from the output set: still not removed, because it is not generated.
        let report = write(dir.path(), &[], &["s".into()]).unwrap();
        assert!(report.removed.is_empty());
        assert!(dir.path().join("s/handler.rs").exists());
    }

    #[test]
    fn stale_generated_files_are_removed_only_in_scope() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            file("s/old/a.rs", GEN, Ownership::Generated),
            file("t/b.rs", GEN, Ownership::Generated),
        ];
        write(dir.path(), &files, &[]).unwrap();
        let report = write(dir.path(), &[], &["s".into()]).unwrap();
        assert_eq!(report.removed, ["s/old/a.rs"]);
        assert!(
            !dir.path().join("s/old").exists(),
            "emptied folders are removed"
        );
        assert!(
            dir.path().join("t/b.rs").exists(),
            "files outside the scope stay"
        );
    }

    #[test]
    fn check_lists_stale_missing_and_extra() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                file("s/a.rs", GEN, Ownership::Generated),
                file("s/gone.rs", GEN, Ownership::Generated),
            ],
            &[],
        )
        .unwrap();
        let want = [
            file(
                "s/a.rs",
                &format!("{GEN}// changed\n"),
                Ownership::Generated,
            ),
            file("s/new.rs", GEN, Ownership::Generated),
        ];
        let report = check(dir.path(), &want, &["s".into()]).unwrap();
        assert_eq!(report.stale, ["s/a.rs"]);
        assert_eq!(report.missing, ["s/new.rs"]);
        assert_eq!(report.extra, ["s/gone.rs"]);
        assert!(!report.is_clean());
    }

    #[test]
    fn written_files_are_readable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[file("a.rs", GEN, Ownership::Generated)], &[]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("a.rs"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o644, 0o644);
        }
    }
}
