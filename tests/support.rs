//! Helpers shared by the test files: repository paths, tree comparison and snapshots.

#[path = "e2e/harness.rs"]
pub mod e2e;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The folders of the example systems in `generated/`, each a cargo workspace.
pub fn systems() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("generated"))
        .expect("generated/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// True when snapshots should be rewritten instead of compared (`SVCGEN_BLESS=1`).
pub fn bless() -> bool {
    std::env::var_os("SVCGEN_BLESS").is_some_and(|v| v == "1")
}

/// Every file under `dir` that carries the generated marker, by relative path.
pub fn generated_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    collect(dir, dir, &mut out);
    out
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && (name == "target" || name.starts_with('.')) {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let bytes = std::fs::read(&path).expect("readable file");
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
            if head.contains(svcgen_codegen::emit::GENERATED_MARKER) {
                let rel = path.strip_prefix(root).expect("under root");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, bytes);
            }
        }
    }
}

/// Asserts two trees of generated files are byte-identical, naming every difference.
pub fn assert_same_tree(expected: &Path, actual: &Path, refresh: &str) {
    let want = generated_files(expected);
    let got = generated_files(actual);
    let mut problems = Vec::new();
    for (path, bytes) in &got {
        match want.get(path) {
            None => problems.push(format!("missing from {}: {path}", expected.display())),
            Some(w) if w != bytes => problems.push(format!("differs: {path}")),
            Some(_) => {}
        }
    }
    for path in want.keys().filter(|p| !got.contains_key(*p)) {
        problems.push(format!("no longer generated: {path}"));
    }
    assert!(!got.is_empty(), "nothing was generated");
    assert!(
        problems.is_empty(),
        "checked-in output is out of date ({refresh}):\n{}",
        problems.join("\n")
    );
}

/// Compares `actual` with the snapshot file at `path`, or rewrites it when blessing.
pub fn assert_snapshot(path: &Path, actual: &str) {
    if bless() {
        std::fs::write(path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with SVCGEN_BLESS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "snapshot {} differs (SVCGEN_BLESS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}
