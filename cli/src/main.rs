//! The `svcgen` command line: a thin front end over the `svcgen-codegen` library, plus the
//! `up` supervisor.

mod auth;
mod dashboard;
mod up;

use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use svcgen_codegen::emit::{RuntimeSource, Settings};

/// Generation builds and drops millions of small token trees, on every core: mimalloc's
/// per-thread free lists spend a fraction of what the system allocator does on them
/// (bench/README.md, "Generation speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        "  svcgen up shop                       the system named shop in specs/, on its spec ports (or free ones)\n",
        "  svcgen up ../my-system.toml          any spec file or folder, generated into generated/\n",
        "  svcgen up flood --no-build           skip cargo build (binaries already built)\n\n",
        "Ctrl-C or SIGTERM stops every service; each finishes its in-flight requests.\n\n",
        "Exit codes:\n  0  stopped cleanly\n  1  spec errors, or a service failed to start\n  2  invalid command line, or an I/O error"
    ))]
    Up(UpArgs),
    /// Make an API key (printed with the line that admits it) or a signing key.
    #[command(after_help = concat!(
        "Examples:\n",
        "  svcgen key --subject reporting --scope reports:read\n",
        "      line 1: the key (give it to the client; it is kept nowhere)\n",
        "      line 2: its hash line, for the file AUTH_<SCHEME>_KEYS_FILE names\n",
        "  svcgen key --signing > signing-key.pem   an Ed25519 key for AUTH_SIGNING_KEY_FILE\n\n",
        "Exit codes:\n  0  printed\n  2  invalid command line"
    ))]
    Key(KeyArgs),
    /// Sign a token of a system's `jwt` scheme, for trying its endpoints (with `svcgen up`'s key).
    #[command(after_help = concat!(
        "Examples:\n",
        "  svcgen token grants --subject APP-000001 --scope applicant --claim applicant_id=APP-000001\n",
        "  curl -H \"Authorization: Bearer $(svcgen token grants ...)\" http://127.0.0.1:8300/api/...\n\n",
        "Exit codes:\n  0  printed\n  1  spec errors, or the token cannot be made (why is printed)\n  2  invalid command line"
    ))]
    Token(TokenArgs),
}

#[derive(Args)]
struct KeyArgs {
    /// Who the API key is for (the caller's subject).
    #[arg(long, default_value = "client")]
    subject: String,
    /// A scope the key carries (repeat for more).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// Make an Ed25519 signing key (PKCS#8 PEM) instead.
    #[arg(long, conflicts_with_all = ["subject", "scopes"])]
    signing: bool,
    /// Make the key a system's services deliver events to each other with
    /// (`EVENTS_KEY_FILE`) instead.
    #[arg(long, conflicts_with_all = ["subject", "scopes", "signing"])]
    events: bool,
}

#[derive(Args)]
struct TokenArgs {
    /// A system's name (looked up in `--specs`) or the path of a spec file or system folder.
    #[arg(value_name = "SYSTEM|SPEC")]
    system: Option<String>,
    /// Where systems named by name are looked up.
    #[arg(long, value_name = "DIR", default_value = "specs")]
    specs: PathBuf,
    /// Where the system is generated (its data folder holds `svcgen up`'s signing key).
    #[arg(long, value_name = "DIR", default_value = "generated")]
    out: PathBuf,
    /// The auth scheme (default: the only one whose tokens a service of the system signs).
    #[arg(long)]
    scheme: Option<String>,
    /// The token's subject (`sub`).
    #[arg(long)]
    subject: String,
    /// A scope the token carries (repeat for more).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// One of the scheme's own claims, `name=value` (repeat for more; JSON values are JSON).
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    claims: Vec<String>,
    /// The signing key (default: the one `svcgen up` made in `<out>/<system>/data/`: the
    /// system's issuer's `signing-key.pem`, or `<scheme>-signing-key.pem` standing in for an
    /// issuer outside the system).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// How long the token is valid, in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: u64,
}

#[derive(Args)]
struct UpArgs {
    /// A system's name (looked up in `--specs`) or the path of a spec file or system folder;
    /// may be left out when `--specs` holds one system.
    #[arg(value_name = "SYSTEM|SPEC")]
    system: Option<String>,
    /// Where systems named by name are looked up.
    #[arg(long, value_name = "DIR", default_value = "specs")]
    specs: PathBuf,
    /// Where the system is generated (into `<DIR>/<system>/`, a cargo workspace of its own).
    #[arg(long, value_name = "DIR", default_value = "generated")]
    out: PathBuf,
    #[command(flatten)]
    runtime: RuntimeArgs,
    /// Do not run `cargo build` first.
    #[arg(long)]
    no_build: bool,
    /// Start from empty data: remove the system's data folder (`<out>/<system>/data`, the
    /// services' SQLite files) first. Without it, data survives from one `up` to the next.
    #[arg(long)]
    fresh: bool,
    /// Build and run the services optimised (`cargo build --release`), as they are deployed:
    /// slower to build, many times faster to serve.
    #[arg(long)]
    release: bool,
    /// Do not serve the dashboard (services, logs, traces and each service's API, on a local
    /// port printed at start).
    #[arg(long)]
    no_dashboard: bool,
}

#[derive(Args)]
struct Target {
    /// Spec files (`.toml`), system folders (holding `system.toml`), or folders of either.
    #[arg(value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "generated")]
    out: PathBuf,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Args)]
struct RuntimeArgs {
    /// Depend on the svcgen-runtime crate at PATH (relative to each system folder) instead of
    /// writing a copy of it into every system; overrides `runtime.path` of `svcgen.toml`.
    #[arg(long, value_name = "PATH")]
    runtime_path: Option<String>,
}

impl RuntimeArgs {
    /// The settings for `specs`: `svcgen.toml` beside them, then the command line.
    fn settings(&self, base: &Path, specs: &[PathBuf]) -> Result<Settings, BoxError> {
        let mut settings = svcgen_codegen::settings::discover(base, specs)?;
        if let Some(path) = &self.runtime_path {
            let path = svcgen_codegen::settings::check_path(path)
                .map_err(|why| format!("--runtime-path {why}"))?;
            settings.runtime = RuntimeSource::Path(path);
        }
        Ok(settings)
    }
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
        Command::Key(k) => key(k, color),
        Command::Token(t) => token(t, color),
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
    let report = svcgen_codegen::output::write(&t.out, &files, &scope)
        .map_err(|e| output_error(&t.out, &e))?;
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
    warn_about_handlers(&t.out, &loaded.systems, color);
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
    let report = svcgen_codegen::output::check(&t.out, &files, &scope)
        .map_err(|e| output_error(&t.out, &e))?;
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

fn key(k: &KeyArgs, color: bool) -> Result<ExitCode, BoxError> {
    let made = if k.events {
        auth::events_key()
    } else {
        auth::key(&k.subject, &k.scopes, k.signing)
    };
    match made {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{} {e}", status("error:", color, Style::Error));
            Ok(ExitCode::from(2))
        }
    }
}

fn token(t: &TokenArgs, color: bool) -> Result<ExitCode, BoxError> {
    let base = std::env::current_dir()?;
    let Some((_, loaded)) =
        find_system(&base, t.system.as_deref(), &t.specs, "to sign for", color)?
    else {
        return Ok(ExitCode::from(1));
    };
    let system = &loaded.systems[0];
    let request = auth::TokenRequest {
        scheme: t.scheme.as_deref(),
        subject: &t.subject,
        scopes: &t.scopes,
        claims: &t.claims,
        key: t.key.as_deref(),
        lifetime: std::time::Duration::from_secs(t.ttl),
    };
    match auth::token(system, &t.out.join(system.dir()), &request) {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{} {e}", status("error:", color, Style::Error));
            Ok(ExitCode::from(1))
        }
    }
}

/// The system `named` (a path that exists is a spec; anything else is the name of a system in
/// `specs`), with the spec path it was read from and the sources of its files; `None` after
/// printing why there is none (`purpose` says what it was wanted for).
fn find_system(
    base: &Path,
    named: Option<&str>,
    specs: &Path,
    purpose: &str,
    color: bool,
) -> Result<Option<(PathBuf, svcgen_codegen::Loaded)>, BoxError> {
    let by_name = named.filter(|s| !Path::new(s).exists());
    let spec = match (named, by_name) {
        (Some(path), None) => PathBuf::from(path),
        _ => specs.to_owned(),
    };
    let loaded = match svcgen_codegen::load(base, std::slice::from_ref(&spec)) {
        Ok(l) => l,
        Err(errors) => {
            eprint!("{}", errors.render(color));
            return Ok(None);
        }
    };
    let found = match (by_name, loaded.systems.as_slice()) {
        (Some(name), systems) => systems
            .iter()
            .find(|s| s.name.wire == *name || s.dir() == *name)
            .cloned(),
        (None, [only]) => Some(only.clone()),
        (None, _) => None,
    };
    let Some(system) = found else {
        let names: Vec<&str> = loaded
            .systems
            .iter()
            .map(|s| s.name.wire.as_str())
            .collect();
        eprintln!(
            "{} name the system {purpose}: one of {}",
            status("error:", color, Style::Error),
            names.join(", ")
        );
        return Ok(None);
    };
    let only = svcgen_codegen::Loaded {
        sources: loaded.sources,
        systems: vec![system],
    };
    Ok(Some((spec, only)))
}

fn up(a: &UpArgs, color: bool) -> Result<ExitCode, BoxError> {
    let base = std::env::current_dir()?;
    let Some((spec, only)) = find_system(&base, a.system.as_deref(), &a.specs, "to run", color)?
    else {
        return Ok(ExitCode::from(1));
    };
    let settings = a.runtime.settings(&base, std::slice::from_ref(&spec))?;
    let Some((only, files)) = generate_into(&a.out, only, &settings, color)? else {
        return Ok(ExitCode::from(1));
    };
    let system = &only.systems[0];
    let scope = svcgen_codegen::scope(std::slice::from_ref(system));
    let stale = svcgen_codegen::output::check(&a.out, &files, &scope)
        .map_err(|e| output_error(&a.out, &e))?;
    if !stale.is_clean() {
        let report = svcgen_codegen::output::write(&a.out, &files, &scope)
            .map_err(|e| output_error(&a.out, &e))?;
        eprintln!(
            "{} {} ({} files written)",
            status("Regenerated", color, Style::Good),
            system.name.wire,
            report.written.len()
        );
    }
    warn_about_handlers(&a.out, std::slice::from_ref(system), color);
    let workspace = a.out.join(system.dir());
    let profile = if a.release {
        up::Profile::Release
    } else {
        up::Profile::Debug
    };
    match up::run(
        system,
        &workspace,
        !a.no_build,
        a.fresh,
        profile,
        !a.no_dashboard,
        color,
    ) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("{} {e}", status("error:", color, Style::Error));
            Ok(ExitCode::from(1))
        }
    }
}

/// The whole story of a failed write: the error, then which files were written before it and
/// which were not (the first few of each), so the person knows what state the folder is in.
fn output_error(out: &Path, e: &svcgen_codegen::output::OutputError) -> String {
    use svcgen_codegen::output::OutputError;
    let mut text = format!("writing to {}: {e}", out.display());
    if let OutputError::Io {
        done, not_written, ..
    } = e
    {
        for (label, paths) in [
            ("written before the error", &done.written),
            ("removed before the error", &done.removed),
            ("not written", not_written),
        ] {
            if paths.is_empty() {
                continue;
            }
            const SHOWN: usize = 10;
            let mut list = paths[..paths.len().min(SHOWN)].join(", ");
            if paths.len() > SHOWN {
                list.push_str(&format!(" and {} more", paths.len() - SHOWN));
            }
            text.push_str(&format!("\n  {label}: {list}"));
        }
    }
    text
}

/// Tells the person which methods of their `handlers.rs` no longer match the trait the spec
/// generates (located in their file), before cargo reports it in generated terms.
fn warn_about_handlers(out: &Path, systems: &[svcgen_codegen::model::System], color: bool) {
    let (sources, warnings) = svcgen_codegen::handlers::check(out, systems);
    if !warnings.is_empty() {
        eprint!(
            "{}",
            svcgen_codegen::diag::render_each(&sources, &warnings, color)
        );
    }
}

type Prepared = (
    svcgen_codegen::Loaded,
    Vec<svcgen_codegen::emit::OutputFile>,
    Vec<String>,
);

/// Loads the specs and builds every file in memory; prints diagnostics and returns `None` when
/// the specs have errors.
fn prepare(t: &Target, color: bool) -> Result<Option<Prepared>, BoxError> {
    let (specs, all) = t.specs();
    let base = std::env::current_dir()?;
    let loaded = match svcgen_codegen::load(&base, &specs) {
        Ok(l) => l,
        Err(errors) => {
            eprint!("{}", errors.render(color));
            return Ok(None);
        }
    };
    let settings = t.runtime.settings(&base, &specs)?;
    let Some((loaded, files)) = generate_into(&t.out, loaded, &settings, color)? else {
        return Ok(None);
    };
    // With the default input every system is known, so the whole output folder is in scope;
    // otherwise only the folders of the systems named.
    let scope = if all {
        vec![String::new()]
    } else {
        svcgen_codegen::scope(&loaded.systems)
    };
    Ok(Some((loaded, files, scope)))
}

/// Plans migrations and builds every file; prints the problems and gives `None` when a
/// change would lose data or a migration was edited.
fn generate_into(
    out: &Path,
    loaded: svcgen_codegen::Loaded,
    settings: &svcgen_codegen::emit::Settings,
    color: bool,
) -> Result<
    Option<(
        svcgen_codegen::Loaded,
        Vec<svcgen_codegen::emit::OutputFile>,
    )>,
    BoxError,
> {
    match svcgen_codegen::generate_into(out, loaded, settings) {
        Ok(done) => Ok(Some(done)),
        Err(svcgen_codegen::GenerateError::Spec(errors)) => {
            eprint!("{}", errors.render(color));
            Ok(None)
        }
        Err(svcgen_codegen::GenerateError::Emit(e)) => Err(e.into()),
    }
}

enum Style {
    Good,
    Error,
}

/// A cargo-style status word: right-aligned, bold and coloured on a terminal.
pub(crate) fn status(word: &str, color: bool, style: Style) -> String {
    let padded = if word.ends_with(':') {
        word.to_owned()
    } else {
        format!("{word:>12}")
    };
    if !color {
        return padded;
    }
    let colour = match style {
        Style::Good => anstyle::AnsiColor::Green,
        Style::Error => anstyle::AnsiColor::Red,
    };
    let style = anstyle::Style::new().bold().fg_color(Some(colour.into()));
    format!("{style}{padded}{style:#}")
}
