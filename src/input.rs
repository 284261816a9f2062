//! Reading input files: JSON with located errors, and directories.

use crate::error::{span_at, Error, Result};
use miette::NamedSource;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Reads a whole file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })
}

/// Parses `text` (the contents of `path`) as `T`, turning serde's error into a diagnostic
/// that points at the line and column. `what` names the document for the message.
pub fn parse_json<T: DeserializeOwned>(path: &Path, text: &str, what: &'static str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| json_error(path, text, what, &e, None))
}

/// Reads and parses a JSON file as `T`.
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T> {
    let text = read_text(path)?;
    parse_json(path, &text, what)
}

/// A located diagnostic for a serde_json error in `text`.
pub fn json_error(path: &Path, text: &str, what: &'static str, e: &serde_json::Error, help: Option<String>) -> Error {
    let message = strip_position(&e.to_string());
    let help = help.or_else(|| match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            Some("the file must be a single well-formed JSON document (UTF-8)".into())
        }
        _ => None,
    });
    Error::Json {
        path: path.to_path_buf(),
        what,
        span: span_at(text, e.line(), e.column()),
        src: NamedSource::new(path.display().to_string(), text.to_string()),
        message,
        help,
    }
}

/// serde_json appends " at line L column C"; the span already says where.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Files below `dir` (recursively), sorted by path, that satisfy `keep`. Hidden entries
/// (names starting with '.') are skipped, as OPA's bundle loader does.
pub fn walk_files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| Error::Read { path: d.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read { path: d.clone(), source })?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let ft = entry.file_type().map_err(|source| Error::Read { path: path.clone(), source })?;
            if ft.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
