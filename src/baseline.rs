//! Baselines: approved, normalized snapshots kept in git (`baselines/<tenant>.json`).
//!
//! Changing a baseline is a pull request, and its review and merge are the approval
//! (SOC 2 CC8.1). So the report records where the baseline came from: its bytes' hash,
//! the commit its content belongs to, and whether the work-tree file has uncommitted edits.

use crate::canonical;
use crate::catalog::PlatformRules;
use crate::error::{Error, Result};
use crate::normalize::{configuration_digest, normalize};
use crate::report::{BaselineInfo, GitInfo};
use crate::snapshot::Snapshot;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a baseline comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineSource {
    /// A file.
    Path(PathBuf),
    /// `git:<rev>:<path>`, read with `git show`.
    Git {
        /// Revision.
        rev: String,
        /// Path in that revision (relative to the repository root, or `./…` to the current directory).
        path: String,
    },
}

impl BaselineSource {
    /// Parses a `--baseline` value.
    pub fn parse(s: &str) -> Result<Self> {
        match s.strip_prefix("git:") {
            None => Ok(BaselineSource::Path(PathBuf::from(s))),
            Some(rest) => match rest.split_once(':') {
                // git must never read a revision or path from the command line as an option
                // (`git:--output=/some/dir:x` would make `git show` write a file).
                Some((rev, _)) if rev.starts_with('-') || rev.chars().any(char::is_control) => Err(Error::Usage {
                    message: format!("--baseline {s:?}: the revision {rev:?} is not a git revision"),
                    help: Some(
                        "a revision names a commit (main, HEAD~1, a tag or a hash); it cannot start with '-'".into(),
                    ),
                }),
                Some((rev, path)) if !rev.is_empty() && !path.is_empty() => {
                    Ok(BaselineSource::Git { rev: rev.to_string(), path: path.to_string() })
                }
                _ => Err(Error::Usage {
                    message: format!("--baseline {s:?} is not git:<rev>:<path>"),
                    help: Some(
                        "for example git:main:baselines/acme-corp.json or git:HEAD~1:./baselines/acme-corp.json".into(),
                    ),
                }),
            },
        }
    }

    /// How the report names it.
    pub fn display(&self) -> String {
        match self {
            BaselineSource::Path(p) => p.display().to_string(),
            BaselineSource::Git { rev, path } => format!("git:{rev}:{path}"),
        }
    }
}

/// A loaded, normalized baseline and its provenance.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The normalized snapshot.
    pub snapshot: Snapshot,
    /// What the report records.
    pub info: BaselineInfo,
}

/// Loads a baseline and normalizes it (a no-op for one `baseline update` wrote).
pub fn load(source: &BaselineSource, rules: &PlatformRules) -> Result<Baseline> {
    Ok(read(source)?.normalize(rules))
}

/// A baseline read and parsed, not yet normalized: reading needs no catalog, so `check`
/// reads the baseline beside the snapshot.
#[derive(Debug)]
pub struct ReadBaseline {
    snapshot: Snapshot,
    info: BaselineInfo,
}

impl ReadBaseline {
    /// The baseline normalized with the rules of its platform.
    pub fn normalize(self, rules: &PlatformRules) -> Baseline {
        let normalized = normalize(self.snapshot, rules);
        let config_sha256 = configuration_digest(&normalized);
        Baseline { snapshot: normalized, info: BaselineInfo { config_sha256, ..self.info } }
    }
}

/// Reads and parses a baseline and looks up its provenance.
pub fn read(source: &BaselineSource) -> Result<ReadBaseline> {
    let shown = source.display();
    let (text, git) = match source {
        BaselineSource::Path(p) => {
            if !p.is_file() {
                return Err(Error::Baseline {
                    source_ref: shown,
                    message: "file not found".into(),
                    help: Some(
                        "write one with `driftgate baseline update <SNAPSHOT> --baseline PATH` and commit it".into(),
                    ),
                });
            }
            // The provenance (three short git calls) is looked up while the file is parsed.
            let text = crate::input::read_text(p)?;
            return std::thread::scope(|s| {
                let git = s.spawn(|| work_tree_info(p));
                let read = parse(&shown, &text)?;
                Ok(ReadBaseline { info: BaselineInfo { git: git.join().ok().flatten(), ..read.info }, ..read })
            });
        }
        BaselineSource::Git { rev, path } => {
            let text = git(None, &["show", "--end-of-options", &format!("{rev}:{path}")]).map_err(|message| {
                Error::Baseline {
                    source_ref: shown.clone(),
                    message,
                    help: Some(
                        "the revision and path must exist in the git repository of the current directory".into(),
                    ),
                }
            })?;
            let commit =
                git(None, &["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{rev}^{{commit}}")])
                    .ok()
                    .map(|s| s.trim().to_string());
            (text, Some(GitInfo { commit, modified: false }))
        }
    };
    let read = parse(&shown, &text)?;
    Ok(ReadBaseline { info: BaselineInfo { git, ..read.info }, ..read })
}

/// The baseline's text parsed, and what identifies it (without provenance or digest).
fn parse(shown: &str, text: &str) -> Result<ReadBaseline> {
    let snapshot = Snapshot::from_json_text(&PathBuf::from(shown), text)?;
    let info = BaselineInfo {
        source: shown.to_string(),
        sha256: canonical::sha256_hex(text.as_bytes()),
        config_sha256: String::new(),
        git: None,
    };
    Ok(ReadBaseline { snapshot, info })
}

/// The text a baseline file holds for a normalized snapshot: canonical, pretty, sorted keys.
pub fn render(normalized: &Snapshot) -> String {
    canonical::to_pretty(&normalized.to_value())
}

fn work_tree_info(file: &Path) -> Option<GitInfo> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = file.file_name()?.to_string_lossy().into_owned();
    let inside = git(Some(dir), &["rev-parse", "--is-inside-work-tree"]).ok()?;
    if inside.trim() != "true" {
        return None;
    }
    let commit = git(Some(dir), &["log", "-1", "--format=%H", "--", &name])
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let status = git(Some(dir), &["status", "--porcelain", "--", &name]).ok()?;
    Some(GitInfo { modified: !status.trim().is_empty() || commit.is_none(), commit })
}

fn git(dir: Option<&Path>, args: &[&str]) -> std::result::Result<String, String> {
    let mut cmd = Command::new("git");
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    let out = cmd.args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(if msg.is_empty() { format!("git {} failed", args.join(" ")) } else { msg });
    }
    String::from_utf8(out.stdout).map_err(|_| "git printed something that is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources() {
        assert_eq!(BaselineSource::parse("b.json").unwrap(), BaselineSource::Path("b.json".into()));
        assert_eq!(
            BaselineSource::parse("git:main:baselines/a.json").unwrap(),
            BaselineSource::Git { rev: "main".into(), path: "baselines/a.json".into() }
        );
        assert!(BaselineSource::parse("git:main").is_err());
    }

    #[test]
    fn a_revision_that_git_would_read_as_an_option_is_refused() {
        for s in ["git:--output=/tmp/x:a.json", "git:-p:a.json", "git:ma\nin:a.json"] {
            assert!(matches!(BaselineSource::parse(s), Err(Error::Usage { .. })), "{s}");
        }
    }
}
