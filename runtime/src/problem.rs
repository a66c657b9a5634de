//! RFC 9457 problem details: the body of every error response, on both sides of the wire.

use serde::{Deserialize, Serialize};

/// The media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field of a request that was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Where the field is: `body`, `path`, `query` or `header`.
    #[serde(rename = "in")]
    pub location: String,
    /// JSON Pointer into the body, or `/name` of the parameter or header.
    pub pointer: String,
    /// What is wrong with it.
    pub detail: String,
}

/// A problem details object (RFC 9457), with the extensions `code` (the spec's error name),
/// `errors` (every invalid field) and `request_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI reference identifying the problem type.
    #[serde(rename = "type", default = "about_blank")]
    pub type_uri: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// An explanation of this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The spec's error name, for typed errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Every invalid field of the request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The id of the request this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One of a spec's named errors. The generated error types implement it, so a server answers
/// any of them and a client recognises any of them with no code per endpoint.
pub trait TypedError: Sized {
    /// The HTTP status answered with this error.
    const STATUS: u16;
    /// A short summary of the problem type (RFC 9457 `title`).
    const TITLE: &'static str;
    /// The error's name in the spec, sent as the problem's `code`.
    const CODE: &'static str;

    /// The error with an explanation of this occurrence (empty for none).
    fn with_detail(detail: String) -> Self;

    /// The explanation of this occurrence.
    fn detail(&self) -> &str;

    /// The problem answered with this error.
    fn to_problem(&self) -> Problem {
        let problem = Problem::new(Self::STATUS, Self::TITLE).with_code(Self::CODE);
        match self.detail() {
            "" => problem,
            detail => problem.with_detail(detail),
        }
    }

    /// The error a problem answer stands for, if it is this one (same code and status).
    fn from_problem(problem: &Problem) -> Option<Self> {
        (problem.code.as_deref() == Some(Self::CODE) && problem.status == Self::STATUS)
            .then(|| Self::with_detail(problem.detail.clone().unwrap_or_default()))
    }
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl Problem {
    /// A problem with a status and title.
    pub fn new(status: u16, title: impl Into<String>) -> Self {
        Problem {
            type_uri: about_blank(),
            title: title.into(),
            status,
            detail: None,
            code: None,
            errors: Vec::new(),
            request_id: crate::context::request_id().map(|id| id.as_str().to_owned()),
        }
    }

    /// Adds an explanation of this occurrence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds the spec's error name.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The answer of an endpoint the handler does not implement yet (501).
    pub fn not_implemented(endpoint: &str) -> Self {
        Problem::new(501, "Not implemented")
            .with_detail(format!("`{endpoint}` is not implemented yet"))
    }

    /// An internal failure (500). The cause is logged, never sent: the answer leaks nothing.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Problem::new(500, "Internal server error")
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for e in &self.errors {
            write!(f, "; {} {}: {}", e.location, e.pointer, e.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Gone(String);

    impl TypedError for Gone {
        const STATUS: u16 = 410;
        const TITLE: &'static str = "Gone";
        const CODE: &'static str = "Gone";
        fn with_detail(detail: String) -> Self {
            Gone(detail)
        }
        fn detail(&self) -> &str {
            &self.0
        }
    }

    #[test]
    fn a_typed_error_goes_over_the_wire_and_back() {
        let problem = Gone("moved away".into()).to_problem();
        assert_eq!(
            (problem.status, problem.code.as_deref()),
            (410, Some("Gone"))
        );
        assert_eq!(problem.detail.as_deref(), Some("moved away"));
        assert_eq!(
            Gone::from_problem(&problem),
            Some(Gone("moved away".into()))
        );
        assert_eq!(Gone("".into()).to_problem().detail, None, "no empty detail");
        let other = Problem::new(410, "Gone").with_code("Elsewhere");
        assert_eq!(Gone::from_problem(&other), None, "another code");
        let status = Problem::new(404, "Gone").with_code("Gone");
        assert_eq!(Gone::from_problem(&status), None, "another status");
    }
}
