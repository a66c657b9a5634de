//! Diagnostics: source files, located errors collected across a phase, and their rendering.
//!
//! Every phase pushes into one [`Diagnostics`] and the driver checks it before the next phase
//! runs, so a person sees every problem of a spec at once.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use std::ops::Range;

/// Identifies a file in [`Sources`].
pub type FileId = usize;

/// A location in a spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// The byte range in the file.
    pub span: Range<usize>,
}

impl Loc {
    /// A location in `file` spanning `span`.
    pub fn new(file: FileId, span: Range<usize>) -> Self {
        Loc { file, span }
    }
}

/// The spec files read in this run, named as they are shown to the person.
#[derive(Default)]
pub struct Sources {
    files: SimpleFiles<String, String>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, name: String, text: String) -> FileId {
        self.files.add(name, text)
    }

    /// The display name of a file.
    pub fn name(&self, id: FileId) -> &str {
        self.files
            .get(id)
            .map(|f| f.name().as_str())
            .unwrap_or("<unknown>")
    }

    /// The display names of every file, in the order read.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        (0..).map_while(move |id| self.files.get(id).ok().map(|f| f.name().as_str()))
    }

    /// The text of a file.
    pub fn text(&self, id: FileId) -> &str {
        self.files
            .get(id)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }
}

/// One problem, with a primary location and optional secondary ones.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where, and a short label at that place.
    pub primary: Option<(Loc, String)>,
    /// Related places (e.g. the first definition of a duplicate).
    pub secondary: Vec<(Loc, String)>,
    /// Hints on how to fix it.
    pub notes: Vec<String>,
    /// An error stops the run; a warning is reported and the run goes on.
    pub severity: Severity,
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Severity {
    /// The spec cannot be generated.
    #[default]
    Error,
    /// Worth a look; nothing is held back.
    Warning,
}

impl Diagnostic {
    /// A problem located at `loc`.
    pub fn at(loc: &Loc, message: impl Into<String>, label: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            primary: Some((loc.clone(), label.into())),
            secondary: Vec::new(),
            notes: Vec::new(),
            severity: Severity::Error,
        }
    }

    /// A problem without a location in a spec (e.g. an unreadable file).
    pub fn global(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            severity: Severity::Error,
        }
    }

    /// Adds a related place.
    pub fn with_secondary(mut self, loc: &Loc, label: impl Into<String>) -> Self {
        self.secondary.push((loc.clone(), label.into()));
        self
    }

    /// Makes this a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Adds a hint.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    fn to_codespan(&self) -> CsDiagnostic<FileId> {
        let mut labels = Vec::new();
        if let Some((loc, label)) = &self.primary {
            labels.push(Label::primary(loc.file, loc.span.clone()).with_message(label));
        }
        for (loc, label) in &self.secondary {
            labels.push(Label::secondary(loc.file, loc.span.clone()).with_message(label));
        }
        let diagnostic = match self.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        diagnostic
            .with_message(&self.message)
            .with_labels(labels)
            .with_notes(self.notes.clone())
    }
}

/// Spec text quoted in a message: escaped, and cut to its first 40 characters when longer, so
/// a message stays one line whatever the spec holds (the label underlines all of it).
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX).collect();
    if chars.next().is_some() {
        format!("{}…", head.escape_debug())
    } else {
        head.escape_debug().to_string()
    }
}

/// The problems found so far in a run.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The problems, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter()
    }

    /// Orders problems by file and position so output is stable however the checks ran.
    pub fn sort(&mut self) {
        self.list.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.primary.as_ref().map(|(l, _)| (l.file, l.span.start));
            key(a).cmp(&key(b))
        });
    }
}

/// Renders diagnostics as text: `error: ...` then `┌─ file:line:col` and the underlined line.
pub fn render(sources: &Sources, diagnostics: &Diagnostics, color: bool) -> String {
    let mut out = render_each(sources, diagnostics, color);
    let n = diagnostics.len();
    out.push_str(&format!(
        "error: the spec has {n} problem{}; nothing was written\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}

/// Renders each diagnostic, with no summary line (e.g. warnings after a successful run).
pub fn render_each(sources: &Sources, diagnostics: &Diagnostics, color: bool) -> String {
    let config = term::Config::default();
    let mut out = String::new();
    for d in diagnostics.iter() {
        let cs = d.to_codespan();
        let text = if color {
            let mut buffer = term::termcolor::Buffer::ansi();
            let styles = term::Styles::default();
            let mut writer = term::StylesWriter::new(&mut buffer, &styles);
            term::emit_to_write_style(&mut writer, &config, &sources.files, &cs)
                .map(|()| String::from_utf8_lossy(buffer.as_slice()).into_owned())
        } else {
            term::emit_into_string(&config, &sources.files, &cs)
        };
        // Rendering only fails for spans outside their file, which would be a bug here;
        // the message itself still reaches the person.
        out.push_str(&text.unwrap_or_else(|_| format!("error: {}\n\n", d.message)));
    }
    out
}
