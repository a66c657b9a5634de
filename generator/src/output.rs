//! Writing output files: atomic, skipping unchanged bytes, never touching owned files once
//! written, and removing generated files that no longer belong to the output.
//!
//! Nothing is written or removed outside the output folder: before the first write, every
//! path is checked component by component below `out`, and a symbolic link anywhere below it
//! (a system folder, a crate folder, a file) stops the run with an error naming it. `out`
//! itself may be a link: the person chose it. The check is made once, before writing; svcgen
//! does not defend against another process swapping folders for links while it writes.

use crate::emit::{GENERATED_MARKER, OutputFile, Ownership};
use std::collections::{BTreeSet, HashSet};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

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

/// Why the output could not be written (or compared).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A path below the output folder cannot be used; found before anything was written.
    #[error("cannot write to `{}`: {reason}; nothing was written", path.display())]
    Refused {
        /// The offending path (the output folder joined with a relative path).
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// An I/O error, with what had been done when it happened.
    #[error(
        "{what}: {source}; {} of {} files were written before the error, {} were not",
        done.written.len(),
        done.written.len() + done.unchanged.len() + done.kept.len() + not_written.len(),
        not_written.len()
    )]
    Io {
        /// What was being done (`cannot write out/x/y.rs`).
        what: String,
        /// The error.
        #[source]
        source: io::Error,
        /// What had been done before it.
        done: Box<WriteReport>,
        /// Files of the output that were not written (the failing one first).
        not_written: Vec<String>,
    },
}

impl OutputError {
    fn io(what: String, source: io::Error) -> Self {
        OutputError::Io {
            what,
            source,
            done: Box::default(),
            not_written: Vec::new(),
        }
    }
}

/// Writes `files` under `out`. Generated files under the `scope` folders (relative to `out`)
/// that are not in `files` are removed; owned files are never removed.
///
/// Every path is checked before the first write (see the module docs); on an I/O error midway
/// the error lists what was written and what was not.
pub fn write(
    out: &Path,
    files: &[OutputFile],
    scope: &[String],
) -> Result<WriteReport, OutputError> {
    check_paths(out, files, scope)?;
    let mut report = WriteReport::default();
    // What is on disk, read on every core (reading thousands of files is most of a run that
    // changes nothing); the writes then go one by one, in order.
    let found = crate::emit::par_map(files, |file| on_disk(&out.join(&file.path), file));
    for (i, (file, found)) in files.iter().zip(found).enumerate() {
        let step = found.and_then(|found| {
            Ok(match (file.ownership, found) {
                (Ownership::Owned | Ownership::Migration, OnDisk::Same | OnDisk::Differs) => {
                    &mut report.kept
                }
                (Ownership::Generated, OnDisk::Same) => &mut report.unchanged,
                _ => {
                    write_atomic(&out.join(&file.path), file.contents.as_bytes())?;
                    &mut report.written
                }
            })
        });
        match step {
            Ok(list) => list.push(file.path.clone()),
            Err(e) => {
                return Err(OutputError::Io {
                    what: format!("stopped at {}", file.path),
                    source: e,
                    done: Box::new(report),
                    not_written: files[i..].iter().map(|f| f.path.clone()).collect(),
                });
            }
        }
    }
    let stale = stale_files(out, files, scope)
        .map_err(|e| OutputError::io(format!("cannot list {}", out.display()), e))?;
    for stale in stale {
        let path = out.join(&stale);
        if let Err(e) = std::fs::remove_file(&path) {
            return Err(OutputError::Io {
                what: format!("cannot remove the stale file {}", path.display()),
                source: e,
                done: Box::new(report),
                not_written: Vec::new(),
            });
        }
        remove_empty_parents(out, &path);
        report.removed.push(stale);
    }
    Ok(report)
}

/// Checks, before anything is written, that every file of the output and every scope folder
/// lies below `out` through real folders only: relative paths of plain components, none
/// longer than a file system allows, no path listed twice or used as both file and folder,
/// and no symbolic link, no file where a folder must be and no folder where a file must be
/// among what already exists below `out`.
fn check_paths(out: &Path, files: &[OutputFile], scope: &[String]) -> Result<(), OutputError> {
    let refuse = |rel: &str, reason: String| OutputError::Refused {
        path: out.join(rel),
        reason,
    };
    let mut listed: HashSet<&str> = HashSet::new();
    let mut folders: HashSet<String> = HashSet::new();
    for file in files {
        if !listed.insert(&file.path) {
            return Err(refuse(
                &file.path,
                "it is generated twice (a bug in svcgen)".into(),
            ));
        }
        let parts = components(&file.path).map_err(|why| refuse(&file.path, why))?;
        for end in 1..parts.len() {
            folders.insert(parts[..end].join("/"));
        }
    }
    if let Some(both) = files.iter().find(|f| folders.contains(&f.path)) {
        return Err(refuse(
            &both.path,
            "it would be both a file and a folder (a bug in svcgen)".into(),
        ));
    }
    // Each existing prefix is looked at once, however many files share it.
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut check = |rel: &str, last_is_dir: bool| -> Result<(), OutputError> {
        let parts = components(rel).map_err(|why| refuse(rel, why))?;
        let mut path = out.to_path_buf();
        for (i, part) in parts.iter().enumerate() {
            path.push(part);
            let last = i + 1 == parts.len();
            if !last && !seen.insert(path.clone()) {
                continue;
            }
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => {
                    return Err(OutputError::io(
                        format!("cannot inspect {}", path.display()),
                        e,
                    ));
                }
            };
            let shown = parts[..=i].join("/");
            if meta.file_type().is_symlink() {
                return Err(refuse(
                    &shown,
                    "it is a symbolic link, and svcgen never writes or removes through a link below the output folder"
                        .into(),
                ));
            }
            if (!last || last_is_dir) && !meta.is_dir() {
                return Err(refuse(&shown, "it is a file where a folder must be".into()));
            }
            if last && !last_is_dir && !meta.is_file() {
                return Err(refuse(
                    &shown,
                    "it is not a regular file (a folder, a socket or a pipe) where a file must be"
                        .into(),
                ));
            }
        }
        Ok(())
    };
    for dir in scope.iter().filter(|d| !d.is_empty()) {
        check(dir, true)?;
    }
    for file in files {
        check(&file.path, false)?;
    }
    Ok(())
}

/// The components of a relative output path, or why it is not one.
fn components(rel: &str) -> Result<Vec<&str>, String> {
    // The longest file name most file systems accept, in bytes.
    const NAME_MAX: usize = 255;
    let mut parts = Vec::new();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(part) => {
                let part = part.to_str().ok_or("the path is not UTF-8")?;
                if part.len() > NAME_MAX {
                    return Err(format!("`{part}` is longer than {NAME_MAX} bytes"));
                }
                parts.push(part);
            }
            _ => return Err("the path leaves the output folder (a bug in svcgen)".into()),
        }
    }
    if parts.is_empty() {
        return Err("the path is empty (a bug in svcgen)".into());
    }
    Ok(parts)
}

/// Compares `out` with what [`write`] would produce, without writing anything.
///
/// The paths are checked as [`write`] checks them, so a link below `out` is reported here too.
pub fn check(
    out: &Path,
    files: &[OutputFile],
    scope: &[String],
) -> Result<CheckReport, OutputError> {
    check_paths(out, files, scope)?;
    check_contents(out, files, scope)
        .map_err(|e| OutputError::io(format!("cannot read {}", out.display()), e))
}

fn check_contents(out: &Path, files: &[OutputFile], scope: &[String]) -> io::Result<CheckReport> {
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

/// What a file of the output finds at its path.
enum OnDisk {
    Absent,
    Same,
    Differs,
}

fn on_disk(path: &Path, file: &OutputFile) -> io::Result<OnDisk> {
    Ok(match read_if_exists(path)? {
        None => OnDisk::Absent,
        Some(bytes) if bytes == file.contents.as_bytes() => OnDisk::Same,
        Some(_) => OnDisk::Differs,
    })
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
    #[cfg(test)]
    tests::fail_if_asked(path)?;
    // A new file beside the target, never an existing one (`create_new`), renamed over it: a
    // reader sees the old bytes or the new ones, never part of them. No fsync: generated
    // files can always be regenerated, and syncing each of thousands of files costs seconds.
    let (tmp_path, mut tmp) = new_temp_file(parent)?;
    let written = tmp
        .write_all(bytes)
        .and_then(|()| std::fs::rename(&tmp_path, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(io::Error::new(
            e.kind(),
            format!("cannot write {}: {e}", path.display()),
        ));
    }
    Ok(())
}

/// A file created for this write only, in `dir`: `.svcgen-<pid>-<n>.tmp`.
fn new_temp_file(dir: &Path) -> io::Result<(PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".svcgen-{}-{n}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o644);
        }
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            // Left by a run that was killed: take the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
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

    thread_local! {
        /// A file name whose write fails, to test what a failure midway leaves.
        static FAIL_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    }

    pub(super) fn fail_if_asked(path: &Path) -> io::Result<()> {
        let fail = FAIL_AT.with(|f| f.borrow().as_ref().is_some_and(|name| path.ends_with(name)));
        if fail {
            return Err(io::Error::other("injected failure"));
        }
        Ok(())
    }

    #[test]
    fn a_failure_midway_says_what_was_and_was_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            file("s/a.rs", GEN, Ownership::Generated),
            file("s/b.rs", GEN, Ownership::Generated),
            file("s/c.rs", GEN, Ownership::Generated),
        ];
        FAIL_AT.with(|f| *f.borrow_mut() = Some("s/b.rs".into()));
        let err = write(dir.path(), &files, &["s".into()]).unwrap_err();
        FAIL_AT.with(|f| *f.borrow_mut() = None);
        let OutputError::Io {
            done, not_written, ..
        } = &err
        else {
            panic!("expected an I/O error, got {err}");
        };
        assert_eq!(done.written, ["s/a.rs"]);
        assert_eq!(not_written, &["s/b.rs", "s/c.rs"]);
        let text = err.to_string();
        assert!(text.contains("stopped at s/b.rs"), "{text}");
        assert!(
            text.contains("1 of 3 files were written before the error, 2 were not"),
            "{text}"
        );
        assert!(!dir.path().join("s/c.rs").exists());
    }

    #[cfg(unix)]
    #[test]
    fn links_below_the_output_folder_are_refused_before_anything_is_written() {
        let root = tempfile::tempdir().unwrap();
        let (out, outside) = (root.path().join("out"), root.path().join("outside"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("old.rs"), GEN).unwrap();
        let files = [
            file("a/x.rs", GEN, Ownership::Generated),
            file("s/crate/b.rs", GEN, Ownership::Generated),
        ];
        let scope = ["s".to_owned()];
        let outside_files = || {
            let mut names: Vec<_> = std::fs::read_dir(&outside)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            names.sort();
            names
        };
        // A system folder, a crate folder inside one, and a file, each a link to outside.
        for (link, target) in [
            ("s", &outside),
            ("s/crate", &outside),
            ("a/x.rs", &outside.join("old.rs")),
        ] {
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(out.join(link).parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, out.join(link)).unwrap();
            for result in [
                write(&out, &files, &scope).map(|_| ()),
                check(&out, &files, &scope).map(|_| ()),
            ] {
                let err = result.unwrap_err();
                let text = err.to_string();
                assert!(matches!(err, OutputError::Refused { .. }), "{text}");
                assert!(
                    text.contains(&format!("{}", out.join(link).display())),
                    "{text}"
                );
                assert!(text.contains("symbolic link"), "{text}");
            }
            assert_eq!(outside_files(), ["old.rs"], "nothing written outside");
            assert_eq!(
                std::fs::read_to_string(outside.join("old.rs")).unwrap(),
                GEN
            );
            assert!(!out.join("a/x.rs").is_file() || link == "a/x.rs");
            assert!(!out.join("s/crate/b.rs").exists() || link != "s/crate");
        }
        // The output folder itself may be a link: the person chose it.
        let chosen = root.path().join("chosen");
        std::os::unix::fs::symlink(&outside, &chosen).unwrap();
        write(&chosen, &files, &scope).unwrap();
        assert!(outside.join("s/crate/b.rs").is_file());
    }

    #[test]
    fn paths_that_cannot_be_written_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("s/{}.rs", "x".repeat(300));
        for bad in [
            vec![file("../x.rs", GEN, Ownership::Generated)],
            vec![file("/etc/x.rs", GEN, Ownership::Generated)],
            vec![
                file("s/a.rs", GEN, Ownership::Generated),
                file(&long, GEN, Ownership::Generated),
            ],
            vec![
                file("s/a.rs", GEN, Ownership::Generated),
                file("s/a.rs", GEN, Ownership::Generated),
            ],
            vec![
                file("s/a", GEN, Ownership::Generated),
                file("s/a/b.rs", GEN, Ownership::Generated),
            ],
        ] {
            let err = write(dir.path(), &bad, &[]).unwrap_err();
            assert!(matches!(err, OutputError::Refused { .. }), "{err}");
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{err}");
        }
        // A folder where a file goes, and a file where a folder goes.
        std::fs::create_dir_all(dir.path().join("s/a.rs")).unwrap();
        std::fs::write(dir.path().join("t"), "x").unwrap();
        for bad in ["s/a.rs", "t/b.rs"] {
            let err = write(dir.path(), &[file(bad, GEN, Ownership::Generated)], &[]).unwrap_err();
            assert!(matches!(err, OutputError::Refused { .. }), "{err}");
        }
    }

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
