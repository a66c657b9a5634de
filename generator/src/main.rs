//! The `svcgen` command line.

use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const EXIT_HELP: &str = "\
Exit codes:
  0  success
  1  the spec has errors (all are listed), or `check` found output that differs
  2  invalid command line, or an I/O error";

/// Turns TOML specs of microservice systems into Rust services, clients and deployment files.
#[derive(Parser)]
#[command(name = "svcgen", version, after_help = EXIT_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate code for spec files or folders (default: every system under `specs/`).
    #[command(after_help = concat!(
        "Examples:\n",
        "  svcgen generate                          every system under specs/ into generated/\n",
        "  svcgen generate specs/shop.toml          one system\n",
        "  svcgen generate specs/grants --out gen   a folder system, into gen/\n\n",
        "Exit codes:\n  0  success\n  1  the spec has errors (all are listed); nothing was written\n  2  invalid command line, or an I/O error"
    ))]
    Generate(Target),
    /// Exit 0 when the output directory is exactly what `generate` would write, 1 otherwise.
    #[command(after_help = concat!(
        "Examples:\n",
        "  svcgen check                       is generated/ up to date with specs/?\n",
        "  svcgen check specs/shop.toml       only the shop system\n\n",
        "Exit codes:\n  0  up to date\n  1  stale, missing or extra files (listed), or spec errors\n  2  invalid command line, or an I/O error"
    ))]
    Check(Target),
    /// Run a whole system on this machine: regenerate if stale, build, start every service.
    #[command(after_help = concat!(
        "Examples:\n",
        "  svcgen up shop              the shop, on its spec ports (or free ones)\n",
        "  svcgen up flood --no-build  skip cargo build (binaries already built)\n\n",
        "Ctrl-C or SIGTERM stops every service; each finishes its in-flight requests.\n\n",
        "Exit codes:\n  0  stopped cleanly\n  1  spec errors, or a service failed to start\n  2  invalid command line, or an I/O error"
    ))]
    Up(UpArgs),
}

#[derive(Args)]
struct UpArgs {
    /// The system to run (its `[system] name`); may be left out when there is only one.
    system: Option<String>,
    /// Where the specs are.
    #[arg(long, value_name = "DIR", default_value = "specs")]
    specs: PathBuf,
    /// The generated tree the binaries are built from (a workspace member folder).
    #[arg(long, value_name = "DIR", default_value = "generated")]
    out: PathBuf,
    /// Do not run `cargo build` first.
    #[arg(long)]
    no_build: bool,
}

#[derive(Args)]
struct Target {
    /// Spec files (`.toml`), system folders (holding `system.toml`), or folders of either.
    #[arg(value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "generated")]
    out: PathBuf,
}

impl Target {
    /// The specs to read, and whether they are the default (all of `specs/`).
    fn specs(&self) -> (Vec<PathBuf>, bool) {
        if self.specs.is_empty() {
            (vec![PathBuf::from("specs")], true)
        } else {
            (self.specs.clone(), false)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = std::io::stderr().is_terminal();
    let result = match &cli.command {
        Command::Generate(t) => generate(t, color),
        Command::Check(t) => check(t, color),
        Command::Up(a) => up(a, color),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let mut message = format!("{} {e}", status("error:", color, Style::Error));
            let mut source = e.source();
            while let Some(cause) = source {
                message.push_str(&format!("\n  caused by: {cause}"));
                source = cause.source();
            }
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

type BoxError = Box<dyn std::error::Error>;

fn generate(t: &Target, color: bool) -> Result<ExitCode, BoxError> {
    let start = Instant::now();
    let Some((loaded, files, scope)) = prepare(t, color)? else {
        return Ok(ExitCode::from(1));
    };
    let report = svcgen::output::write(&t.out, &files, &scope)
        .map_err(|e| format!("writing to {}: {e}", t.out.display()))?;
    for s in &loaded.systems {
        eprintln!(
            "{} {} ({} services) from {}",
            status("Generated", color, Style::Good),
            s.name.wire,
            s.services.len(),
            s.source
        );
    }
    for path in &report.removed {
        eprintln!("{} {}", status("Removed", color, Style::Good), path);
    }
    let services: usize = loaded.systems.iter().map(|s| s.services.len()).sum();
    eprintln!(
        "{} {} systems, {services} services into {}: {} written, {} unchanged, {} kept, {} removed in {:.2}s",
        status("Finished", color, Style::Good),
        loaded.systems.len(),
        t.out.display(),
        report.written.len(),
        report.unchanged.len(),
        report.kept.len(),
        report.removed.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn check(t: &Target, color: bool) -> Result<ExitCode, BoxError> {
    let Some((loaded, files, scope)) = prepare(t, color)? else {
        return Ok(ExitCode::from(1));
    };
    let report = svcgen::output::check(&t.out, &files, &scope)
        .map_err(|e| format!("reading {}: {e}", t.out.display()))?;
    if report.is_clean() {
        eprintln!(
            "{} {} is up to date with {} systems",
            status("Checked", color, Style::Good),
            t.out.display(),
            loaded.systems.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (label, paths) in [
        ("stale", &report.stale),
        ("missing", &report.missing),
        ("extra", &report.extra),
    ] {
        for p in paths {
            eprintln!("{label:>8}: {}", Path::new(&t.out).join(p).display());
        }
    }
    eprintln!(
        "{} {} is out of date: run `svcgen generate` and commit the result",
        status("error:", color, Style::Error),
        t.out.display()
    );
    Ok(ExitCode::from(1))
}

fn up(a: &UpArgs, color: bool) -> Result<ExitCode, BoxError> {
    let base = std::env::current_dir()?;
    let loaded = match svcgen::load(&base, std::slice::from_ref(&a.specs)) {
        Ok(l) => l,
        Err(errors) => {
            eprint!("{}", errors.render(color));
            return Ok(ExitCode::from(1));
        }
    };
    let names: Vec<&str> = loaded
        .systems
        .iter()
        .map(|s| s.name.wire.as_str())
        .collect();
    let system = match (&a.system, loaded.systems.as_slice()) {
        (Some(name), systems) => systems
            .iter()
            .find(|s| s.name.wire == *name || s.dir() == *name),
        (None, [only]) => Some(only),
        (None, _) => None,
    };
    let Some(system) = system else {
        eprintln!(
            "{} name the system to run: one of {}",
            status("error:", color, Style::Error),
            names.join(", ")
        );
        return Ok(ExitCode::from(1));
    };
    let files = svcgen::generate(std::slice::from_ref(system))?;
    let scope = svcgen::scope(std::slice::from_ref(system));
    if !svcgen::output::check(&a.out, &files, &scope)?.is_clean() {
        let report = svcgen::output::write(&a.out, &files, &scope)?;
        eprintln!(
            "{} {} ({} files written)",
            status("Regenerated", color, Style::Good),
            system.name.wire,
            report.written.len()
        );
    }
    match svcgen::up::run(system, &svcgen::up::target_dir(&base), !a.no_build, color) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("{} {e}", status("error:", color, Style::Error));
            Ok(ExitCode::from(1))
        }
    }
}

type Prepared = (svcgen::Loaded, Vec<svcgen::emit::OutputFile>, Vec<String>);

/// Loads the specs and builds every file in memory; prints diagnostics and returns `None` when
/// the specs have errors.
fn prepare(t: &Target, color: bool) -> Result<Option<Prepared>, BoxError> {
    let (specs, all) = t.specs();
    let base = std::env::current_dir()?;
    let loaded = match svcgen::load(&base, &specs) {
        Ok(l) => l,
        Err(errors) => {
            eprint!("{}", errors.render(color));
            return Ok(None);
        }
    };
    let files = svcgen::generate(&loaded.systems)?;
    // With the default input every system is known, so the whole output folder is in scope;
    // otherwise only the folders of the systems named.
    let scope = if all {
        vec![String::new()]
    } else {
        svcgen::scope(&loaded.systems)
    };
    Ok(Some((loaded, files, scope)))
}

enum Style {
    Good,
    Error,
}

/// A cargo-style status word: right-aligned, bold and coloured on a terminal.
fn status(word: &str, color: bool, style: Style) -> String {
    let padded = if word.ends_with(':') {
        word.to_owned()
    } else {
        format!("{word:>12}")
    };
    if !color {
        return padded;
    }
    let code = match style {
        Style::Good => "1;32",
        Style::Error => "1;31",
    };
    format!("\x1b[{code}m{padded}\x1b[0m")
}
