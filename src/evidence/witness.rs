//! Witnesses: the signed chain head of every stream, recorded outside the store each time a
//! chain grows. A hash chain proves order, not completeness at its head (whoever can delete
//! the newest packages with their chain entries leaves a chain that verifies), so, as a
//! transparency log hands out signed tree heads, every `run`, `audit pull` and `forensics
//! collect` appends its new head to each witness: an append-only JSON Lines file
//! (`--witness FILE`, `[[witness]] kind = "file"`) or any alert sink. `evidence verify
//! --witness FILE` then fails on a head the store no longer holds.

use super::keys::Signer25519;
use super::package::Written;
use super::verify::WitnessHead;
use crate::alert::{AlertConfig, SinkKind};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a witness keeps the heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum WitnessKind {
    /// An append-only JSON Lines file (`kind = "file"`).
    File(FileKind),
    /// An alert sink (`kind = "webhook"`, `"slack"`, `"splunk"`).
    Sink(SinkKind),
}

/// The name `file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// `file`.
    File,
}

impl std::fmt::Display for WitnessKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WitnessKind::File(_) => f.write_str("file"),
            WitnessKind::Sink(k) => k.fmt(f),
        }
    }
}

/// One witness, from `[[witness]]` or `--witness FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// `file`, or an alert sink kind: `webhook`, `slack`, `splunk`.
    pub kind: WitnessKind,
    /// The file (kind `file`): JSON Lines, appended to and fsynced, never rewritten.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The sink's URL (other kinds).
    #[serde(default)]
    pub url: Option<String>,
    /// The variable holding the sink's token (as for alerts).
    #[serde(default)]
    pub token_env: Option<String>,
    /// Splunk `sourcetype`.
    #[serde(default)]
    pub sourcetype: Option<String>,
    /// Splunk `index`.
    #[serde(default)]
    pub index: Option<String>,
    /// Seconds to wait for one answer.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Attempts in all.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// First backoff in milliseconds.
    #[serde(default)]
    pub retry_base_ms: Option<u64>,
}

impl WitnessConfig {
    /// A witness file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        WitnessConfig {
            kind: WitnessKind::File(FileKind::File),
            path: Some(path.into()),
            url: None,
            token_env: None,
            sourcetype: None,
            index: None,
            timeout_secs: None,
            max_attempts: None,
            retry_base_ms: None,
        }
    }

    /// Checks that the kind has what it needs.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| Error::Usage {
            message,
            help: Some(
                "a witness is kind = \"file\" with a path, or a sink kind (webhook, slack, splunk) with a url".into(),
            ),
        };
        match (self.kind, &self.path, &self.url) {
            (WitnessKind::File(_), Some(_), None) => Ok(()),
            (WitnessKind::File(_), _, _) => Err(bad("a file witness takes a path and no url".into())),
            (WitnessKind::Sink(k), Some(_), _) => Err(bad(format!("a {k} witness takes a url, not a path"))),
            (WitnessKind::Sink(k), None, _) => self.sink(k).map(|_| ()),
        }
    }

    fn sink(&self, kind: SinkKind) -> Result<AlertConfig> {
        let c = AlertConfig {
            kind,
            url: self.url.clone().unwrap_or_default(),
            token_env: self.token_env.clone(),
            sourcetype: self.sourcetype.clone(),
            index: self.index.clone(),
            on: Vec::new(),
            timeout_secs: self.timeout_secs,
            max_attempts: self.max_attempts,
            retry_base_ms: self.retry_base_ms,
        };
        c.validate()?;
        Ok(c)
    }

    /// Where it is, for messages (only the scheme and host of a URL).
    pub fn target(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => crate::alert::redacted_target(self.url.as_deref().unwrap_or("")),
        }
    }
}

/// The signed head of `stream` after `written` was committed.
pub fn signed_head(key: &Signer25519, stream: &str, written: &Written) -> WitnessHead {
    let mut head = WitnessHead {
        stream: stream.to_string(),
        sequence: written.sequence,
        manifest_sha256: written.manifest_sha256.clone(),
        created_at: written.created_at.clone(),
        signature: String::new(),
    };
    head.signature = key.sign(&head.signing_bytes());
    head
}

/// Appends `head` as one line to the witness file at `path` (created if needed), and fsyncs
/// it before returning.
pub fn append_to_file(path: &Path, head: &WitnessHead) -> Result<()> {
    let err = |source| Error::Write { path: path.to_path_buf(), source };
    let created = !path.exists();
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(err)?;
    f.write_all(head.to_line().as_bytes()).and_then(|_| f.sync_all()).map_err(err)?;
    if created {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Records the stream's new head with every witness. Every witness is tried; when any
/// fails, the error names each that did (the evidence itself is already committed, and the
/// next run's head covers this one).
pub fn record(witnesses: &[WitnessConfig], key: &Signer25519, stream: &str, written: &Written) -> Result<()> {
    if witnesses.is_empty() {
        return Ok(());
    }
    let head = signed_head(key, stream, written);
    let mut failed = Vec::new();
    for w in witnesses {
        let outcome = match (w.kind, &w.path) {
            (WitnessKind::File(_), Some(p)) => append_to_file(p, &head).map_err(|e| e.to_string()),
            (WitnessKind::File(_), None) => Err("a file witness without a path".to_string()),
            (WitnessKind::Sink(kind), _) => w.sink(kind).map_err(|e| e.to_string()).and_then(|sink| {
                let message = format!("chain head of {stream}: sequence {} ({})", head.sequence, head.manifest_sha256);
                let fields = serde_json::to_value(&head).unwrap_or_default();
                let sent = crate::alert::send_notice(&[sink], "witness_head", &message, &fields);
                match sent.into_iter().next() {
                    Some(o) if o.status == "sent" => Ok(()),
                    Some(o) => Err(o.error.unwrap_or_else(|| "not delivered".into())),
                    None => Err("not delivered".into()),
                }
            }),
        };
        if let Err(why) = outcome {
            failed.push(format!("{}: {why}", w.target()));
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::Witness {
        message: format!(
            "the evidence of {stream} was committed as sequence {}, but its head was not witnessed by {}",
            written.sequence,
            failed.join("; ")
        ),
        help: Some("fix the witness and run again: the next head witnessed covers this one".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_appended_as_signed_lines() {
        let d = tempfile::tempdir().unwrap();
        let key = Signer25519::generate().unwrap();
        let path = d.path().join("heads.jsonl");
        let w = |seq| Written {
            sequence: seq,
            manifest_key: "t/x/manifest.json".into(),
            manifest_sha256: "ab".repeat(32),
            created_at: "2026-11-22T08:00:00Z".into(),
            rolled_forward: vec![],
        };
        record(&[WitnessConfig::file(&path)], &key, "t", &w(1)).unwrap();
        record(&[WitnessConfig::file(&path)], &key, "t", &w(2)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let heads: Vec<WitnessHead> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(heads.iter().map(|h| h.sequence).collect::<Vec<_>>(), [1, 2]);
        assert!(heads.iter().all(|h| key.public().verify(&h.signing_bytes(), &h.signature)));
    }

    #[test]
    fn a_witness_that_cannot_be_written_is_an_error_naming_it() {
        let key = Signer25519::generate().unwrap();
        let w = Written {
            sequence: 1,
            manifest_key: "t/m".into(),
            manifest_sha256: "ab".repeat(32),
            created_at: "2026-11-22T08:00:00Z".into(),
            rolled_forward: vec![],
        };
        let e = record(&[WitnessConfig::file("/nonexistent/dir/heads.jsonl")], &key, "t", &w).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/dir/heads.jsonl"), "{e}");
        assert!(WitnessConfig { url: Some("https://x".into()), ..WitnessConfig::file("a") }.validate().is_err());
    }
}
