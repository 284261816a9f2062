//! Baselines: approved, normalized snapshots kept in git (`baselines/<tenant>.json`).
//!
//! Changing a baseline is a pull request, and its review and merge are the approval
//! (SOC 2 CC8.1). So the report records where the baseline came from: its bytes' hash,
//! the commit its content belongs to, and whether the work-tree file has uncommitted edits.

use crate::canonical;
use crate::catalog::PlatformRules;
use crate::diff;
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
    read(source)?.normalize(rules)
}

/// A baseline read, not yet normalized: reading needs no catalog, so `check` reads the
/// baseline beside the snapshot. Its items are located in the text, not parsed:
/// [`ReadBaseline::compare`] parses only those that differ from the snapshot's.
#[derive(Debug)]
pub struct ReadBaseline {
    text: String,
    body: Body,
    info: BaselineInfo,
}

#[derive(Debug)]
enum Body {
    /// The items located in `text` (the usual case).
    Located(crate::snapshot::LocatedSnapshot),
    /// Parsed whole (a text the locator does not take as it is, but the parser does).
    Parsed(Snapshot),
}

impl ReadBaseline {
    /// The baseline's metadata.
    pub fn metadata(&self) -> &crate::snapshot::Metadata {
        match &self.body {
            Body::Located(l) => &l.head.metadata,
            Body::Parsed(s) => &s.metadata,
        }
    }

    /// What the report records of the baseline, before its configuration digest is known.
    pub fn info(&self) -> &BaselineInfo {
        &self.info
    }

    /// The baseline parsed whole and normalized with the rules of its platform.
    pub fn normalize(self, rules: &PlatformRules) -> Result<Baseline> {
        let snapshot = match self.body {
            Body::Parsed(s) => s,
            Body::Located(located) => match located.parse(&self.text) {
                Some(s) => s,
                // Not reached for a text the locator took; the parser then names the problem.
                None => Snapshot::from_json_text(&PathBuf::from(&self.info.source), &self.text)?,
            },
        };
        let normalized = normalize(snapshot, rules);
        let config_sha256 = configuration_digest(&normalized);
        Ok(Baseline { snapshot: normalized, info: BaselineInfo { config_sha256, ..self.info } })
    }

    /// The drift from this baseline to `normalized` (the snapshot, normalized, whose
    /// items' canonical bytes are `bytes`), leaving out `exclude`, and the baseline's
    /// provenance with its configuration digest.
    ///
    /// Items are compared byte for byte first: a baseline item whose text is the
    /// snapshot item's canonical bytes (whitespace aside) is that item, so it is neither
    /// parsed nor walked. Only the others are parsed, normalized and diffed. The result is
    /// what [`diff::diff`] of the whole normalized baseline gives; where that cannot be
    /// shown cheaply (the baseline's items are not in normalized order, or an identity is
    /// missing or repeated on either side) the whole baseline is normalized and diffed.
    pub fn compare(
        self,
        normalized: &Snapshot,
        accepted: &Snapshot,
        bytes: &crate::normalize::ItemBytes,
        rules: &PlatformRules,
        exclude: &diff::Exclusions<'_>,
    ) -> Result<Compared> {
        if let Body::Located(located) = &self.body {
            if let Some((lists, config_sha256)) = reduce(&self.text, located, normalized, bytes, rules) {
                let drift = diff::diff_lists(&lists, rules, exclude);
                let items = located.items.values().map(Vec::len).sum();
                let parsed = lists.iter().map(|l| l.old.len()).sum();
                // The parsed baseline items are freed off the critical path.
                crate::fsutil::drop_later(lists.into_iter().map(|l| l.old).collect::<Vec<_>>());
                return Ok(Compared {
                    drift,
                    info: BaselineInfo { config_sha256, ..self.info },
                    how: Comparison::ByBytes { items, parsed },
                });
            }
        }
        let full = self.normalize(rules)?;
        let drift = diff::diff(&full.snapshot, accepted, rules, exclude);
        let items = full.snapshot.resources.values().map(Vec::len).sum();
        crate::fsutil::drop_later(full.snapshot);
        Ok(Compared { drift, info: full.info, how: Comparison::Whole { items } })
    }
}

/// What [`ReadBaseline::compare`] found and how.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The drift records.
    pub drift: Vec<diff::Change>,
    /// The baseline's provenance and configuration digest.
    pub info: BaselineInfo,
    /// How the items were compared.
    pub how: Comparison,
}

/// How a baseline was compared with a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Byte for byte first: of the baseline's `items`, only `parsed` (those not identical
    /// to the snapshot's) were parsed and diffed.
    ByBytes {
        /// The baseline's items.
        items: usize,
        /// Those parsed.
        parsed: usize,
    },
    /// The whole baseline was parsed, normalized and diffed.
    Whole {
        /// The baseline's items.
        items: usize,
    },
}

/// The items of the baseline and of the snapshot that are not byte-identical, per
/// resource type (parsed and normalized from the baseline; borrowed from the snapshot), and
/// the baseline's configuration digest; `None` when the shortcut cannot be taken (see
/// [`ReadBaseline::compare`]).
///
/// Each baseline item is looked up among the snapshot's items of its type by a hash of its
/// bytes with whitespace left out, and the bytes compared; the rest are parsed and
/// normalized. Both steps run on every core. Equal bytes are equal values, so equal
/// identities; with every identity present and unique on both sides, pairing the rest by
/// identity is exactly what the diff of the whole would do.
fn reduce<'s>(
    text: &str,
    located: &crate::snapshot::LocatedSnapshot,
    normalized: &'s Snapshot,
    bytes: &crate::normalize::ItemBytes,
    rules: &PlatformRules,
) -> Option<(Vec<diff::TypeLists<'s>>, String)> {
    use rayon::prelude::*;
    use std::collections::{BTreeSet, HashMap};
    let head = &located.head;
    let mut digest = crate::normalize::DigestWriter::new(&head.metadata.platform, &head.metadata.tenant);
    let mut out = Vec::new();
    let (empty_spans, empty_bytes) = (Vec::new(), Vec::new());
    let mut types: Vec<&String> =
        located.items.keys().chain(normalized.resources.keys()).collect::<BTreeSet<_>>().into_iter().collect();
    types.sort_by(|a, b| canonical::compare_keys(a, b));
    for rtype in types {
        let t = rules.type_rules(rtype);
        let spans = located.items.get(rtype).unwrap_or(&empty_spans);
        let items: &'s [serde_json::Value] = normalized.resources.get(rtype).map(Vec::as_slice).unwrap_or(&[]);
        let item_bytes = bytes.get(rtype).unwrap_or(&empty_bytes);
        if item_bytes.len() != items.len() {
            return None;
        }
        let ids: Vec<String> = items.par_iter().map(|v| t.identity_of(v)).collect::<Option<_>>()?;
        if ids.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        let hashes: Vec<u64> = item_bytes.par_iter().map(|b| fnv1a(b.iter().copied())).collect();
        let by_hash: HashMap<u64, usize> = hashes.into_iter().enumerate().map(|(i, h)| (h, i)).collect();
        // Per baseline item: the snapshot item it is, or itself parsed and normalized with
        // its identity and canonical bytes.
        enum Found {
            Same(usize),
            Other(serde_json::Value, String, Vec<u8>),
        }
        let found: Vec<Option<Found>> = spans
            .par_iter()
            .map(|&(start, len)| {
                let raw = text.get(start..start + len)?.as_bytes();
                let hash = fnv1a(raw.iter().copied().filter(outside_whitespace()));
                if let Some(&i) = by_hash.get(&hash) {
                    if same_json(raw, &item_bytes[i]) {
                        return Some(Found::Same(i));
                    }
                }
                let mut item = crate::input::strict::parse_value(std::str::from_utf8(raw).ok()?).ok()?;
                crate::normalize::normalize_item(&mut item, &t, &rules.redaction_marker);
                let key = t.identity_of(&item)?;
                let canonical = canonical::to_vec(&item);
                Some(Found::Other(item, key, canonical))
            })
            .collect();
        let in_baseline = located.items.contains_key(rtype);
        if in_baseline {
            digest.begin_type(rtype);
        }
        let mut matched = vec![false; items.len()];
        let mut last: Option<&str> = None;
        for f in &found {
            // In identity order, each once: the order the whole baseline normalizes to.
            let key = match f.as_ref()? {
                Found::Same(i) => ids[*i].as_str(),
                Found::Other(_, key, _) => key.as_str(),
            };
            if last.is_some_and(|l| l >= key) {
                return None;
            }
            last = Some(key);
            match f.as_ref()? {
                Found::Same(i) => {
                    matched[*i] = true;
                    digest.item(&item_bytes[*i]);
                }
                Found::Other(_, _, canonical) => digest.item(canonical),
            }
        }
        if in_baseline {
            digest.end_type();
        }
        let old: Vec<serde_json::Value> = found
            .into_iter()
            .flatten()
            .filter_map(|f| match f {
                Found::Other(item, _, _) => Some(item),
                Found::Same(_) => None,
            })
            .collect();
        let new: Vec<&serde_json::Value> = items.iter().zip(&matched).filter(|(_, m)| !**m).map(|(v, _)| v).collect();
        out.push(diff::TypeLists { rtype: rtype.clone(), old: old.into(), new });
    }
    Some((out, digest.finish()))
}

/// FNV-1a over `bytes`: a fast hash to find an item by its bytes (equality is then checked).
fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A filter that keeps the bytes of a JSON text that are not whitespace between tokens.
fn outside_whitespace() -> impl FnMut(&u8) -> bool {
    let (mut in_string, mut escaped) = (false, false);
    move |&b| {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            true
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            false
        } else {
            if b == b'"' {
                in_string = true;
            }
            true
        }
    }
}

/// Whether `text` (a valid JSON value) is the JSON whose canonical compact bytes are
/// `compact`, whitespace between tokens aside. Whitespace outside strings separates tokens
/// and never joins them in valid JSON, so equal bytes mean equal values.
fn same_json(text: &[u8], compact: &[u8]) -> bool {
    text.iter().copied().filter(outside_whitespace()).eq(compact.iter().copied())
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
            // The provenance (three short git calls) is looked up while the file is read.
            let text = crate::input::read_text(p)?;
            return std::thread::scope(|s| {
                let git = s.spawn(|| work_tree_info(p));
                let read = parse(&shown, text)?;
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
    let read = parse(&shown, text)?;
    Ok(ReadBaseline { info: BaselineInfo { git, ..read.info }, ..read })
}

/// The baseline's text checked and its items located (or, failing that, parsed), and what
/// identifies it (without provenance or configuration digest).
fn parse(shown: &str, text: String) -> Result<ReadBaseline> {
    let path = PathBuf::from(shown);
    let body = match Snapshot::locate_items(&path, &text) {
        Some(located) => Body::Located(located),
        None => Body::Parsed(Snapshot::from_json_text(&path, &text)?),
    };
    let info = BaselineInfo {
        source: shown.to_string(),
        sha256: canonical::sha256_hex(text.as_bytes()),
        config_sha256: String::new(),
        git: None,
    };
    Ok(ReadBaseline { text, body, info })
}

/// The text a baseline file holds for a normalized snapshot: canonical, pretty, sorted keys.
pub fn render(normalized: &Snapshot) -> String {
    canonical::to_pretty(&normalized.to_value())
}

/// When the commit a baseline's content comes from was made (its committer date), looked up
/// in the git repository of the baseline file (or of the current directory, for `git:` sources).
pub fn commit_time(info: &BaselineInfo) -> Option<time::OffsetDateTime> {
    let commit = info.git.as_ref()?.commit.as_ref()?;
    let dir = match BaselineSource::parse(&info.source).ok()? {
        BaselineSource::Path(p) => {
            p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
        }
        BaselineSource::Git { .. } => PathBuf::from("."),
    };
    let out = git(Some(&dir), &["show", "-s", "--format=%cI", "--end-of-options", commit]).ok()?;
    time::OffsetDateTime::parse(out.trim(), &time::format_description::well_known::Rfc3339).ok()
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
    fn same_json_ignores_whitespace_between_tokens_only() {
        assert!(same_json(b"{\n  \"a\": [1, 2],\n  \"b\": \"x y\"\n}", br#"{"a":[1,2],"b":"x y"}"#));
        assert!(!same_json(br#"{"b": "x  y"}"#, br#"{"b":"x y"}"#), "whitespace inside a string is content");
        assert!(same_json(br#"{"b": "q\" z"}"#, br#"{"b":"q\" z"}"#), "an escaped quote does not end the string");
        assert!(!same_json(br#"{"a": 1}"#, br#"{"a":1,"b":2}"#));
        assert!(!same_json(br#"{"a": 10}"#, br#"{"a":1}"#));
    }

    /// Drift of `base_text` (a baseline file's text) against `current`, and how it was found.
    fn compare_texts(base_text: &str, current: serde_json::Value) -> (Vec<diff::Change>, BaselineInfo, Comparison) {
        let catalog = crate::catalog::Catalog::built_in().unwrap();
        let rules = catalog.platform("genesys-cloud").unwrap();
        let read = parse("b.json", base_text.to_string()).unwrap();
        let normalized = normalize(serde_json::from_value(current).unwrap(), rules);
        let (_, bytes) = crate::normalize::configuration_digest_with_items(&normalized);
        let c = read.compare(&normalized, &normalized, &bytes, rules, &Default::default()).unwrap();
        (c.drift, c.info, c.how)
    }

    fn snap(users: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"format": "driftgate.snapshot/v1",
            "metadata": {"platform": "genesys-cloud", "tenant": "t"},
            "resources": {"users": users, "roles": [{"id": "r1", "name": "R"}]}})
    }

    #[test]
    fn the_byte_comparison_gives_the_whole_diff_and_digest_or_steps_aside() {
        use serde_json::json;
        let catalog = crate::catalog::Catalog::built_in().unwrap();
        let rules = catalog.platform("genesys-cloud").unwrap();
        let base = snap(json!([{"id": "a", "name": "A"}, {"id": "b", "name": "B"}, {"id": "c", "name": "C"}]));
        let written = render(&normalize(serde_json::from_value(base.clone()).unwrap(), rules));
        let expected_digest = configuration_digest(&normalize(serde_json::from_value(base.clone()).unwrap(), rules));
        // b changed, c removed, d added; a unchanged.
        let now = snap(json!([{"id": "a", "name": "A"}, {"id": "b", "name": "B2"}, {"id": "d", "name": "D"}]));
        let (drift, info, how) = compare_texts(&written, now.clone());
        assert_eq!(how, Comparison::ByBytes { items: 4, parsed: 2 });
        assert_eq!(info.config_sha256, expected_digest);
        let ids: Vec<(&str, diff::ChangeKind)> = drift.iter().map(|c| (c.resource_id.as_str(), c.change)).collect();
        assert_eq!(
            ids,
            [("b", diff::ChangeKind::Modified), ("c", diff::ChangeKind::Removed), ("d", diff::ChangeKind::Added)]
        );
        // The same baseline with its items in another order is parsed whole, with the same
        // result.
        let mut reordered = base.clone();
        reordered["resources"]["users"].as_array_mut().unwrap().reverse();
        let spelled = serde_json::to_string(&reordered).unwrap();
        let (drift2, info2, how2) = compare_texts(&spelled, now.clone());
        assert_eq!(how2, Comparison::Whole { items: 4 });
        assert_eq!((drift2, info2.config_sha256), (drift, expected_digest.clone()));
        // Items out of identity order, or an identity twice: the whole baseline, never a guess.
        let out_of_order = written.replace("\"id\": \"a\"", "\"id\": \"z\"");
        assert!(matches!(compare_texts(&out_of_order, now.clone()).2, Comparison::Whole { .. }));
        let twice = written.replace("\"id\": \"b\"", "\"id\": \"a\"");
        let (drift3, _, how3) = compare_texts(&twice, now);
        assert!(matches!(how3, Comparison::Whole { .. }));
        assert!(drift3.iter().any(|c| c.resource_id == "b" && c.change == diff::ChangeKind::Added));
    }

    #[test]
    fn a_revision_that_git_would_read_as_an_option_is_refused() {
        for s in ["git:--output=/tmp/x:a.json", "git:-p:a.json", "git:ma\nin:a.json"] {
            assert!(matches!(BaselineSource::parse(s), Err(Error::Usage { .. })), "{s}");
        }
    }
}
