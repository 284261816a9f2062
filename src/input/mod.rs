//! Reading input files: JSON with located errors, and directories.

use crate::error::{span_at, Error, Result};
use miette::NamedSource;
use serde::de::DeserializeOwned;
use std::path::Path;

pub mod strict;

/// Reads a whole file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })
}

/// Parses `text` (the contents of `path`) as `T`, turning serde's error into a diagnostic
/// that points at the line and column. `what` names the document for the message. A key
/// given twice and a number too large to keep exactly are refused ([`strict`]).
pub fn parse_json<T: DeserializeOwned>(path: &Path, text: &str, what: &'static str) -> Result<T> {
    strict::check(text).map_err(|e| json_error(path, text, what, &e, None))?;
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
    let mut span = span_at(text, e.line(), e.column());
    if message.starts_with(strict::DUPLICATE_KEY) {
        span = key_span_ending_at(text, span);
    }
    Error::Json {
        path: path.to_path_buf(),
        what,
        span,
        src: std::sync::Arc::new(NamedSource::new(path.display().to_string(), text.to_string())),
        message,
        help,
    }
}

/// The span of the object key whose closing quote is at `at` (serde_json reports a repeated
/// key there), from its opening quote; `at` itself when the text there is not a key.
fn key_span_ending_at(text: &str, at: miette::SourceSpan) -> miette::SourceSpan {
    let end = at.offset() + 1;
    let Some(head) = text.get(..end.saturating_sub(1)).filter(|_| text.as_bytes().get(at.offset()) == Some(&b'"'))
    else {
        return at;
    };
    let mut start = head.len();
    let bytes = head.as_bytes();
    while start > 0 {
        start -= 1;
        let escaped = bytes[..start].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 1;
        if bytes[start] == b'"' && !escaped {
            return miette::SourceSpan::new(start.into(), end - start);
        }
    }
    at
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

/// Reads and parses a file that holds secrets (a credentials file). Its diagnostics say
/// where the problem is (line and column) and what kind it is, and never quote the file:
/// no source excerpt, no value, no key (a secret pasted as a key would show).
pub fn read_secret_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T> {
    let text = read_text(path)?;
    let located = |e: serde_json::Error| {
        let kind = match e.classify() {
            serde_json::error::Category::Eof => "ends before the document does".to_string(),
            serde_json::error::Category::Syntax if e.to_string().starts_with(strict::DUPLICATE_KEY) => {
                "names a key twice".to_string()
            }
            serde_json::error::Category::Syntax => "is not well-formed JSON".to_string(),
            serde_json::error::Category::Data => match missing_field(&e.to_string()) {
                Some(field) => format!("has no {field:?}"),
                None => "has a value of the wrong type or a key it should not have".to_string(),
            },
            serde_json::error::Category::Io => "cannot be read".to_string(),
        };
        Error::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "{what} {kind} (line {}, column {}; its content is not shown: it holds secrets)",
                e.line(),
                e.column()
            ),
            help: Some(format!("fix the file; it must be {what}")),
        }
    };
    strict::check(&text).map_err(located)?;
    serde_json::from_str(&text).map_err(located)
}

/// The field of serde's "missing field `x`" message (a name from our own types).
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `").and_then(|r| r.split_once('`')).map(|(f, _)| f)
}

/// Key names whose values are secrets wherever they appear in a configuration file.
fn is_secret_key(key: &str) -> bool {
    let k = key.trim_matches('"').to_ascii_lowercase();
    let k = k.rsplit('.').next().unwrap_or(&k);
    if k.ends_with("_env") || k.ends_with("_file") {
        return false; // the name of a variable or a file, not the secret itself
    }
    ["secret", "token", "password", "passwd", "private", "api_key", "apikey", "credential"]
        .iter()
        .any(|s| k.contains(s))
        || k == "key"
}

/// `text` (a TOML configuration) with every secret value blanked out byte for byte (so that
/// spans still point at the same places), and the byte ranges blanked. A secret value is
/// the value of a key named like a secret, and the path and query of a URL (webhook paths
/// are credentials); only the scheme and host of a URL are kept.
pub fn redact_config_text(text: &str) -> (String, Vec<std::ops::Range<usize>>) {
    let mut out = text.as_bytes().to_vec();
    let mut ranges = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((key, _)) = line.split_once('=').filter(|(k, _)| !k.trim_start().starts_with('#')) {
            let value_start = key.len() + 1;
            let value = line[value_start..].trim_end_matches(['\n', '\r']);
            let range = if is_secret_key(key.trim()) {
                Some(value_start..value_start + value.len())
            } else {
                value.find("://").map(|i| {
                    let after = value_start + i + 3;
                    let host_end = line[after..].find(['/', '?', '#']).map_or(after, |j| after + j);
                    host_end..value_start + value.trim_end().trim_end_matches(['"', '\'']).len()
                })
            };
            if let Some(r) = range.filter(|r| r.start < r.end) {
                for b in &mut out[offset + r.start..offset + r.end] {
                    if !matches!(*b, b'"' | b'\'' | b' ') {
                        *b = b'*';
                    }
                }
                ranges.push(offset + r.start..offset + r.end);
            }
        }
        offset += line.len();
    }
    // Only ASCII '*' replaced whole UTF-8 sequences byte for byte: still valid UTF-8.
    (String::from_utf8(out).unwrap_or_default(), ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credentials_file_error_never_quotes_the_file() {
        let d = tempfile::tempdir().unwrap();
        let secret = "s3cr3t-Value-123";
        for text in [
            format!("{{\"client_id\": \"abc\", \"client_secret\": \"{secret}\",}}"),
            format!("{{\"client_id\": 5, \"client_secret\": \"{secret}\"}}"),
            format!("{{\"client_secret\": \"{secret}\"}}"),
            format!("client_secret={secret}"),
            format!("{{\"{secret}\": 1, \"client_id\": \"a\", \"client_secret\": \"b\"}}"),
            format!("{{\"client_secret\": {secret}}}"),
        ] {
            let p = d.path().join("creds.json");
            std::fs::write(&p, &text).unwrap();
            #[derive(serde::Deserialize, Debug)]
            #[serde(deny_unknown_fields)]
            #[allow(dead_code)]
            struct F {
                client_id: String,
                client_secret: String,
            }
            let e = read_secret_json::<F>(&p, "a credentials file").unwrap_err();
            let shown = format!("{:?}", miette::Report::new(e));
            assert!(!shown.contains("s3cr3t"), "{text} -> {shown}");
            assert!(shown.contains("line 1"), "{shown}");
        }
    }

    #[test]
    fn secret_config_values_and_url_paths_are_blanked_in_place() {
        let text = "[[alerts]]\nkind = \"slack\"\nurl = \"https://hooks.example/services/T0/B0/XYZ\"\ntoken = \"abc\"\ntoken_env = \"SPLUNK\"\n";
        let (red, ranges) = redact_config_text(text);
        assert_eq!(red.len(), text.len());
        assert!(red.contains("url = \"https://hooks.example**"), "{red}");
        assert!(!red.contains("XYZ") && !red.contains("abc"), "{red}");
        assert!(red.contains("token_env = \"SPLUNK\""), "{red}");
        assert_eq!(ranges.len(), 2);
    }
}
