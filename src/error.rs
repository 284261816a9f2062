//! The error type of the library: every way a job can fail to be done (exit code 2).
//!
//! Each variant is a miette diagnostic that says what went wrong, where (a source span when
//! a file is involved) and what to do about it. A failed gate is not an error: it is a
//! successful check whose report says FAIL (exit code 1).

use miette::{Diagnostic, NamedSource, SourceSpan};
use std::path::PathBuf;

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a driftgate job could not be done.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(driftgate::io::read), help("check that the path exists and is readable"))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    #[diagnostic(code(driftgate::io::write))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file is not valid JSON, or not of the shape expected.
    #[error("{} is not {what}: {message}", path.display())]
    #[diagnostic(code(driftgate::input::json))]
    Json {
        path: PathBuf,
        what: &'static str,
        message: String,
        #[source_code]
        src: std::sync::Arc<NamedSource<String>>,
        #[label("{message}")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    /// An input is well-formed JSON but breaks a rule of its contract.
    #[error("{}: {message}", path.display())]
    #[diagnostic(code(driftgate::input::invalid))]
    Invalid {
        path: PathBuf,
        message: String,
        #[help]
        help: Option<String>,
    },

    /// The configuration file has problems its types cannot express; each is a label at its
    /// key.
    #[error("{} has {count} problem(s): {summary}", path.display())]
    #[diagnostic(code(driftgate::config), help("see the README's configuration section for every key"))]
    Config {
        path: PathBuf,
        count: usize,
        summary: String,
        #[source_code]
        src: std::sync::Arc<NamedSource<String>>,
        #[label(collection)]
        labels: Vec<miette::LabeledSpan>,
    },

    /// The resource catalog (built in or given) is not usable.
    #[error("resource catalog {origin}: {message}")]
    #[diagnostic(code(driftgate::catalog))]
    Catalog { origin: String, message: String },

    /// A JSON Schema in the registry does not compile.
    #[error("schema {} does not compile: {message}", path.display())]
    #[diagnostic(code(driftgate::schema::compile), help("fix the schema: it must be valid JSON Schema draft 2020-12"))]
    Schema {
        path: PathBuf,
        message: String,
        #[source_code]
        src: std::sync::Arc<NamedSource<String>>,
        #[label("{message}")]
        span: SourceSpan,
    },

    /// A Rego file does not compile, or uses what driftgate refuses to evaluate.
    #[error("policy {} does not compile: {message}", path.display())]
    #[diagnostic(code(driftgate::policy::compile))]
    Policy {
        path: PathBuf,
        message: String,
        #[source_code]
        src: std::sync::Arc<NamedSource<String>>,
        #[label("{message}")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    /// A policy failed while it was evaluated: fail-closed, never a pass.
    #[error("policy rule {rule} failed to evaluate: {message}")]
    #[diagnostic(
        code(driftgate::policy::eval),
        help("evaluation is fail-closed: fix the rule (or raise --policy-timeout) and run again")
    )]
    PolicyEval { rule: String, message: String },

    /// The baseline could not be found or loaded.
    #[error("baseline {source_ref}: {message}")]
    #[diagnostic(code(driftgate::baseline))]
    Baseline {
        source_ref: String,
        message: String,
        #[help]
        help: Option<String>,
    },

    /// Arguments (flags, or the config values they stand for) that are missing, malformed
    /// or cannot work together.
    #[error("{message}")]
    #[diagnostic(code(driftgate::usage))]
    Usage {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A secret the job needs is missing or unusable (API credentials, the signing key, the
    /// masking key). The message names where it was looked for, never its value.
    #[error("{message}")]
    #[diagnostic(code(driftgate::credentials))]
    Credentials {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A platform API call failed (after the retries its policy allows).
    #[error("{message}")]
    #[diagnostic(code(driftgate::api))]
    Api {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A collection came back incomplete: nothing was written.
    #[error("{message}")]
    #[diagnostic(code(driftgate::collection))]
    Collection {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// The evidence store refused or failed an operation.
    #[error("{message}")]
    #[diagnostic(code(driftgate::store))]
    Store {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// Another writer got there first (a chain sequence, a package, a checkpoint): nothing
    /// was lost, and running again continues correctly.
    #[error("{message}")]
    #[diagnostic(code(driftgate::conflict))]
    Conflict {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// Evidence that does not hold together (an unreadable chain, a manifest that would not
    /// verify): the job stops rather than extend it.
    #[error("{message}")]
    #[diagnostic(code(driftgate::integrity))]
    Integrity {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// The new chain head could not be recorded by a witness (the evidence itself is stored).
    #[error("{message}")]
    #[diagnostic(code(driftgate::witness))]
    Witness {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// Encryption, decryption or randomness failed.
    #[error("{message}")]
    #[diagnostic(code(driftgate::crypto))]
    Crypto { message: String },
}

impl Error {
    /// An `Invalid` error without a help line.
    pub fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Invalid { path: path.into(), message: message.into(), help: None }
    }
}

impl Error {
    /// The diagnostic code (`driftgate::…`), for logs and tests.
    pub fn code_name(&self) -> String {
        use miette::Diagnostic;
        self.code().map(|c| c.to_string()).unwrap_or_default()
    }
}

/// Byte span of a 1-based line and column in `text`, one character wide (or empty at EOF).
pub(crate) fn span_at(text: &str, line: usize, column: usize) -> SourceSpan {
    let mut offset = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col = column.saturating_sub(1).min(l.len());
            let start = offset + col;
            let width = text[start..].chars().next().map_or(0, char::len_utf8);
            return SourceSpan::new(start.into(), width);
        }
        offset += l.len();
    }
    SourceSpan::new(text.len().into(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every diagnostic code the library can give. A new variant must be added here on
    /// purpose (and to the README's table): codes are what scripts and runbooks match on.
    #[test]
    fn every_error_code_is_known() {
        let io = || std::io::Error::other("x");
        let src = || std::sync::Arc::new(NamedSource::new("f", String::new()));
        let all = [
            Error::Read { path: "f".into(), source: io() },
            Error::Write { path: "f".into(), source: io() },
            Error::Json {
                path: "f".into(),
                what: "x",
                message: "m".into(),
                src: src(),
                span: (0, 0).into(),
                help: None,
            },
            Error::invalid("f", "m"),
            Error::Config { path: "f".into(), count: 1, summary: "m".into(), src: src(), labels: vec![] },
            Error::Catalog { origin: "o".into(), message: "m".into() },
            Error::Schema { path: "f".into(), message: "m".into(), src: src(), span: (0, 0).into() },
            Error::Policy { path: "f".into(), message: "m".into(), src: src(), span: (0, 0).into(), help: None },
            Error::PolicyEval { rule: "r".into(), message: "m".into() },
            Error::Baseline { source_ref: "b".into(), message: "m".into(), help: None },
            Error::Usage { message: "m".into(), help: None },
            Error::Credentials { message: "m".into(), help: None },
            Error::Api { message: "m".into(), help: None },
            Error::Collection { message: "m".into(), help: None },
            Error::Store { message: "m".into(), help: None },
            Error::Conflict { message: "m".into(), help: None },
            Error::Integrity { message: "m".into(), help: None },
            Error::Witness { message: "m".into(), help: None },
            Error::Crypto { message: "m".into() },
        ];
        let codes: Vec<String> = all.iter().map(Error::code_name).collect();
        assert_eq!(
            codes,
            [
                "driftgate::io::read",
                "driftgate::io::write",
                "driftgate::input::json",
                "driftgate::input::invalid",
                "driftgate::config",
                "driftgate::catalog",
                "driftgate::schema::compile",
                "driftgate::policy::compile",
                "driftgate::policy::eval",
                "driftgate::baseline",
                "driftgate::usage",
                "driftgate::credentials",
                "driftgate::api",
                "driftgate::collection",
                "driftgate::store",
                "driftgate::conflict",
                "driftgate::integrity",
                "driftgate::witness",
                "driftgate::crypto",
            ]
        );
    }
}
