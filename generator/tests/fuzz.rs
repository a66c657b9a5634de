//! A bounded, deterministic, structure-aware fuzz run over load, check, generate and write.
//!
//! Seeds are the example specs (`specs/`, a folder system merged into one file) and every
//! fixture (`tests/diagnostics/`, `tests/hostile/`). Each case parses a seed as TOML, applies
//! a few mutations to its tree (values and keys replaced by names taken from the seed or by
//! hostile ones, entries deleted, duplicated or moved, values nested deep), sometimes damages
//! the text itself, then runs the whole library: `load_str`, rendering of the diagnostics or
//! `generate` and `output::write` into a temporary `--out`.
//!
//! A case fails on a panic, on taking longer than [`CASE_LIMIT`] (a hang), or on anything
//! written outside that folder; an abort (a stack overflow) kills the run, and the case being
//! run is always in `$CARGO_TARGET_TMPDIR/fuzz-case.toml` to reproduce it.
//!
//! `SVCGEN_FUZZ_CASES` and `SVCGEN_FUZZ_SEED` (default fixed) choose the run;
//! `SVCGEN_FUZZ_CASE=N` runs case N alone. The default is 10 000 cases in an optimised build
//! (CI: `cargo test --release -p svcgen-codegen --test fuzz`) and 300 in a debug one, which
//! `cargo test --workspace` runs as a quick pass.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use toml::{Table, Value};

/// The longest one case may take (debug build, loaded 2-core machine) before it is a hang.
const CASE_LIMIT: Duration = Duration::from_secs(20);

/// SplitMix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One seed: its text, and its tree when it parses.
struct Seed {
    name: String,
    text: String,
    tree: Option<Table>,
    /// Every key and string value of the seed: names that refer to its items.
    words: Vec<String>,
    /// An example spec or the hostile one, which load without errors.
    good: bool,
}

fn seeds() -> Vec<Seed> {
    let root = repo();
    let mut found: Vec<(String, String)> = Vec::new();
    let files = |dir: &Path| {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths
    };
    for path in files(&root.join("specs")) {
        if path.is_dir() {
            // A folder system: its files' tables merged into one spec.
            let mut merged = Table::new();
            for file in files(&path) {
                let table: Table =
                    toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
                merge(&mut merged, table);
            }
            found.push((
                path.display().to_string(),
                toml::to_string(&merged).unwrap(),
            ));
        } else if path.file_name().is_some_and(|n| n != "svcgen.toml") {
            found.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    found.push((
        "tests/hostile/spec.toml".into(),
        std::fs::read_to_string(root.join("tests/hostile/spec.toml")).unwrap(),
    ));
    let good = found.len();
    for path in files(&root.join("tests/diagnostics")) {
        if path.extension().is_some_and(|e| e == "toml") {
            found.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    found
        .into_iter()
        .enumerate()
        .map(|(i, (name, text))| {
            let tree: Option<Table> = toml::from_str(&text).ok();
            let mut words = Vec::new();
            if let Some(t) = &tree {
                collect_words(&Value::Table(t.clone()), &mut words);
            }
            words.sort();
            words.dedup();
            Seed {
                name,
                text,
                tree,
                words,
                good: i < good,
            }
        })
        .collect()
}

fn merge(into: &mut Table, from: Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Table(a)), Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn collect_words(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| collect_words(v, out)),
        Value::Table(t) => {
            for (k, v) in t {
                out.push(k.clone());
                collect_words(v, out);
            }
        }
        _ => {}
    }
}

/// Strings that have broken, or could break, a generator: reserved and colliding names,
/// keywords, paths, type expressions at and past the limits, injection and unicode.
fn hostile_words() -> Vec<String> {
    let mut words: Vec<String> = [
        "types",
        "runtime",
        "target",
        "gateway",
        "new",
        "clone",
        "from_env",
        "from-env",
        "base_url",
        "fmt",
        "self",
        "Self",
        "super",
        "crate",
        "type",
        "r#type",
        "match",
        "fn",
        "_",
        "a",
        "A",
        "a-b",
        "a_b",
        "aB",
        "Ab",
        "",
        " ",
        "1st",
        "../x",
        "/etc/passwd",
        "a/b",
        ".",
        "..",
        "/",
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/{id}",
        "/{id}/{id}",
        "/a/{b}",
        "//",
        "/a/",
        "/{}",
        "string",
        "i32",
        "i64",
        "f64",
        "bool",
        "uuid",
        "date",
        "date-time",
        "[string]",
        "{string}",
        "string?",
        "string??",
        "[string?]?",
        "{[i32]}",
        "[",
        "]",
        "{",
        "?",
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "get",
        "HEAD",
        "email",
        "uri",
        "^a+$",
        "(",
        "*/",
        "/*",
        "\"",
        "\\",
        "'",
        "\n",
        "\r\n",
        "\t",
        "\0",
        "}",
        "#",
        "\"); panic!(\"x\"); //",
        "é",
        "ünïcödé",
        "🦀",
        "\u{202E}",
        "\u{2066}",
        "\u{200F}",
        "\u{FEFF}",
        "\u{2028}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    words.push("x".repeat(64));
    words.push("x".repeat(65));
    words.push("y".repeat(300));
    for depth in [31, 32, 33, 200] {
        words.push(format!("{}string{}", "[".repeat(depth), "]".repeat(depth)));
    }
    words.push(format!("{}string", "{".repeat(100)));
    words
}

fn interesting_integer(rng: &mut Rng) -> i64 {
    *rng.pick(&[
        0,
        1,
        -1,
        2,
        200,
        204,
        299,
        300,
        404,
        1000,
        1001,
        8080,
        65535,
        65536,
        i32::MAX as i64,
        i32::MIN as i64 - 1,
        i64::MAX,
        i64::MIN,
    ])
}

/// Some node of the tree: a random walk down from the root that stops anywhere.
fn random_node<'a>(rng: &mut Rng, root: &'a mut Value) -> &'a mut Value {
    // The path is chosen on a shared borrow, then followed on the mutable one.
    let mut path = Vec::new();
    let mut v: &Value = root;
    loop {
        let len = match v {
            Value::Table(t) => t.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if len == 0 || rng.chance(30) {
            break;
        }
        let i = rng.below(len);
        path.push(i);
        v = match v {
            Value::Table(t) => t.iter().nth(i).map(|(_, v)| v).unwrap(),
            Value::Array(a) => &a[i],
            _ => unreachable!(),
        };
    }
    let mut node = root;
    for i in path {
        node = match node {
            Value::Table(t) => t.iter_mut().nth(i).map(|(_, v)| v).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
    node
}

fn random_value(rng: &mut Rng, words: &[String], hostile: &[String]) -> Value {
    match rng.below(8) {
        0..=3 => Value::String(word(rng, words, hostile)),
        4 => Value::Integer(interesting_integer(rng)),
        5 => Value::Boolean(rng.chance(50)),
        6 => Value::Float(*rng.pick(&[0.5, -0.0, f64::NAN, f64::INFINITY, 1e300])),
        _ => {
            // Nested arrays or tables, up to past TOML's own limit.
            let depth = rng.below(150);
            let mut v = Value::String(word(rng, words, hostile));
            for _ in 0..depth {
                v = if rng.chance(50) {
                    Value::Array(vec![v])
                } else {
                    let mut t = Table::new();
                    t.insert(word(rng, words, hostile), v);
                    Value::Table(t)
                };
            }
            v
        }
    }
}

fn word(rng: &mut Rng, words: &[String], hostile: &[String]) -> String {
    if !words.is_empty() && rng.chance(60) {
        rng.pick(words).clone()
    } else {
        rng.pick(hostile).clone()
    }
}

/// Applies one mutation to the tree.
fn mutate(rng: &mut Rng, root: &mut Value, words: &[String], hostile: &[String]) {
    let snapshot = if rng.chance(20) {
        Some(random_node(rng, &mut root.clone()).clone())
    } else {
        None
    };
    let node = random_node(rng, root);
    match (rng.below(7), node) {
        (0, Value::Table(t)) if !t.is_empty() => {
            // Delete an entry.
            let key = t
                .keys()
                .nth(rng.below(t.len()))
                .cloned()
                .unwrap_or_default();
            t.remove(&key);
        }
        (1, Value::Table(t)) if !t.is_empty() => {
            // Duplicate an entry under another name (a new service, schema, field...).
            let (_, v) = t.iter().nth(rng.below(t.len())).unwrap();
            let v = v.clone();
            t.insert(word(rng, words, hostile), v);
        }
        (2, Value::Table(t)) if !t.is_empty() => {
            // Rename an entry.
            let key = t
                .keys()
                .nth(rng.below(t.len()))
                .cloned()
                .unwrap_or_default();
            if let Some(v) = t.remove(&key) {
                t.insert(word(rng, words, hostile), v);
            }
        }
        (3, Value::Table(t)) => {
            t.insert(word(rng, words, hostile), random_value(rng, words, hostile));
        }
        (4, Value::Array(a)) => {
            let v = match a.first() {
                Some(v) if rng.chance(50) => v.clone(),
                _ => random_value(rng, words, hostile),
            };
            a.insert(rng.below(a.len() + 1), v);
        }
        (_, node) => {
            *node = match (snapshot, &*node) {
                (Some(elsewhere), _) => elsewhere,
                (None, Value::String(_)) => Value::String(word(rng, words, hostile)),
                (None, Value::Integer(_)) => Value::Integer(interesting_integer(rng)),
                _ => random_value(rng, words, hostile),
            };
        }
    }
}

/// Damages text: a byte range removed, duplicated or replaced by a hostile word.
fn mutate_text(rng: &mut Rng, text: &str, hostile: &[String]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = rng.below(bytes.len() + 1);
    let len = rng.below(40).min(bytes.len() - at);
    match rng.below(3) {
        0 => {
            bytes.drain(at..at + len);
        }
        1 => {
            let copy = bytes[at..at + len].to_vec();
            bytes.splice(at..at, copy);
        }
        _ => {
            bytes.splice(at..at + len, rng.pick(hostile).bytes());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Case `i` of a run: the same spec text for the same seed, whatever ran before.
fn case(seed: u64, i: u64, seeds: &[Seed], hostile: &[String]) -> (String, String) {
    let mut rng = Rng(seed ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
    // Mostly the good specs, whose mutants get furthest; the bad fixtures a quarter of the time.
    let good: Vec<&Seed> = seeds.iter().filter(|s| s.good).collect();
    let s = if rng.chance(75) {
        *rng.pick(&good)
    } else {
        rng.pick(seeds)
    };
    let mut text = match &s.tree {
        Some(tree) => {
            let mut root = Value::Table(tree.clone());
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut root, &s.words, hostile);
            }
            toml::to_string(&root).unwrap_or_else(|_| s.text.clone())
        }
        None => s.text.clone(),
    };
    if s.tree.is_none() || rng.chance(10) {
        text = mutate_text(&mut rng, &text, hostile);
    }
    (s.name.clone(), text)
}

/// What one case did.
enum Outcome {
    Rejected,
    Generated(usize),
    Panicked(String),
}

/// Runs the library on one spec text; writes into `out` when the spec is good.
fn run(text: &str, out: &Path) -> Outcome {
    let result = std::panic::catch_unwind(|| match svcgen_codegen::load_str("fuzz.toml", text) {
        Err(e) => {
            let rendered = e.render(false);
            assert!(rendered.contains("nothing was written"), "{rendered}");
            Outcome::Rejected
        }
        Ok(system) => {
            let systems = [system];
            let files = svcgen_codegen::generate(&systems, &Default::default())
                .expect("a spec that loads generates");
            let scope = svcgen_codegen::scope(&systems);
            svcgen_codegen::output::write(out, &files, &scope).expect("a good spec is written");
            Outcome::Generated(files.len())
        }
    });
    result.unwrap_or_else(|p| {
        Outcome::Panicked(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        )
    })
}

/// Every path below `dir`, links not followed, with a symlink flag.
fn tree(dir: &Path) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            out.push((entry.path().display().to_string(), kind.is_symlink()));
            if kind.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// Cases per run unless `SVCGEN_FUZZ_CASES` says otherwise.
const DEFAULT_CASES: u64 = if cfg!(debug_assertions) { 300 } else { 10_000 };

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("generator/ has a parent")
        .to_path_buf()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: a number")))
}

#[test]
fn mutated_specs_never_panic_hang_or_write_outside_out() {
    let seed = env_u64("SVCGEN_FUZZ_SEED").unwrap_or(0x5EED_5BC6);
    let cases: Vec<u64> = match env_u64("SVCGEN_FUZZ_CASE") {
        Some(one) => vec![one],
        None => (0..env_u64("SVCGEN_FUZZ_CASES").unwrap_or(DEFAULT_CASES)).collect(),
    };
    let seeds = seeds();
    let hostile = hostile_words();
    assert!(seeds.len() >= 20, "seeds: {}", seeds.len());

    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("lib.rs"),
        "// @generated by svcgen from fuzz.toml — do not edit.\n",
    )
    .unwrap();
    let outside_before = tree(&outside);
    let current = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-case.toml");

    // One worker runs the cases, with the stack of a main thread; this thread watches the time.
    let (to_worker, cases_rx) = mpsc::channel::<String>();
    let (results, from_worker) = mpsc::channel::<Outcome>();
    let worker_out = out.clone();
    let worker = std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            for text in cases_rx {
                if results.send(run(&text, &worker_out)).is_err() {
                    break;
                }
            }
        })
        .unwrap();

    let started = Instant::now();
    let (mut rejected, mut generated, mut files) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, 0);
    for &i in &cases {
        let (from, text) = case(seed, i, &seeds, &hostile);
        std::fs::write(&current, &text).unwrap();
        let t = Instant::now();
        to_worker.send(text.clone()).unwrap();
        let outcome = match from_worker.recv_timeout(CASE_LIMIT) {
            Ok(o) => o,
            Err(_) => panic!(
                "case {i} (seed {seed:#x}, from {from}) ran over {CASE_LIMIT:?}; spec in {}",
                current.display()
            ),
        };
        slowest = slowest.max((t.elapsed(), i));
        match outcome {
            Outcome::Rejected => rejected += 1,
            Outcome::Generated(n) => {
                generated += 1;
                files += n;
            }
            Outcome::Panicked(message) => {
                let keep = root.path().join(format!("panic-{i}.toml"));
                std::fs::write(&keep, &text).unwrap();
                failures.push(format!(
                    "case {i} (seed {seed:#x}, from {from}) panicked: {message}\n--- spec ---\n{text}"
                ));
                if failures.len() >= 3 {
                    break;
                }
            }
        }
    }
    drop(to_worker);
    worker.join().unwrap();
    eprintln!(
        "fuzz: {} cases in {:.1}s ({rejected} rejected, {generated} generated, {files} files); slowest case {} in {:?}",
        cases.len(),
        started.elapsed().as_secs_f64(),
        slowest.1,
        slowest.0
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(
        tree(&outside),
        outside_before,
        "something was written outside --out"
    );
    let links: Vec<_> = tree(&out).into_iter().filter(|(_, link)| *link).collect();
    assert!(links.is_empty(), "links were made below --out: {links:?}");
    let siblings: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("panic-"))
        .collect();
    assert_eq!(siblings.len(), 2, "only out/ and outside/: {siblings:?}");
    if cases.len() >= 1000 {
        assert!(
            generated * 20 >= cases.len(),
            "too few mutants generate: {generated}"
        );
    }
}
