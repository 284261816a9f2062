//! `evidence verify`: recompute every hash, walk every stream's chain, check signatures,
//! sequence gaps, forks, replays, the layout of the store (nothing in it that the writer did
//! not put there: no extra file, link or moved package), the chain heads recorded by a
//! witness, and days without a run; report each problem precisely. The standalone
//! `verify_evidence.py` written into every store performs the same checks with the same
//! codes and subjects: the differential tamper suite holds the two to that.

use super::keys::PublicKey;
use super::manifest::{ChainEntry, Manifest, ManifestFile};
use super::store::{is_temporary, Store};
use crate::canonical;
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use time::Date;

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Only this stream (a tenant, or `<tenant>.audit`, `<tenant>.forensics`).
    pub tenant: Option<String>,
    /// First day that must have a run (UTC).
    pub from: Option<Date>,
    /// Last day that must have a run (UTC).
    pub to: Option<Date>,
    /// The key to trust, given by the auditor (pinned).
    pub public_key: Option<PublicKey>,
    /// The SHA-256 fingerprint (hex) the store's `driftgate.pub` must have (pinned).
    pub key_fingerprint: Option<String>,
    /// A witness file: the signed chain heads recorded outside the store.
    pub witness: Option<PathBuf>,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// `error` (integrity) or `warning` (debris of an interrupted run).
    pub severity: &'static str,
    /// Stable code (the README's table lists them all; [`CODES`] too).
    pub code: &'static str,
    /// Stream (`-` for the store root).
    pub tenant: String,
    /// What it is about: `seq N`, a store key, `day YYYY-MM-DD`, `days A..B`, `witness line N`.
    pub subject: String,
    /// What is wrong.
    pub detail: String,
}

/// Every problem code either verifier reports, errors then warnings.
pub const CODES: &[&str] = &[
    "bad_chain_entry",
    "bad_manifest",
    "bad_record",
    "bad_signature",
    "bad_witness",
    "chain_link",
    "custody_chain",
    "custody_mismatch",
    "extra_file",
    "file_hash",
    "file_size",
    "gap",
    "head_mismatch",
    "key_mismatch",
    "manifest_hash",
    "missing_day",
    "missing_file",
    "missing_head",
    "missing_manifest",
    "moved_package",
    "no_public_key",
    "not_a_file",
    "overwritten",
    "replayed_manifest",
    "run_id_mismatch",
    "sequence_mismatch",
    "symlink",
    "tenant_mismatch",
    "time_order",
    "unchained_manifest",
    "verifier_changed",
    "incomplete_package",
    "lost_race",
];

/// One stream's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantSummary {
    /// Stream.
    pub tenant: String,
    /// Packages in its chain.
    pub packages: usize,
    /// Highest sequence.
    pub head: u64,
    /// The head's manifest hash, as its chain entry records it.
    pub head_manifest_sha256: Option<String>,
    /// When the head's manifest was created.
    pub head_created_at: Option<String>,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Where.
    pub location: String,
    /// Fingerprint of the key trusted.
    pub public_key: Option<String>,
    /// Whether that key was given by the auditor (`--public-key`, `--key-fingerprint`) rather
    /// than taken from the store.
    pub key_pinned: bool,
    /// Per stream.
    pub tenants: Vec<TenantSummary>,
    /// Heads read from the witness (when one was given).
    pub witness_heads: Option<usize>,
    /// Every problem, sorted.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether there is no integrity problem (warnings allowed).
    pub fn ok(&self) -> bool {
        self.problems.iter().all(|p| p.severity != "error")
    }

    /// The report as the lines both verifiers print.
    pub fn to_text(&self) -> String {
        let trust = if self.key_pinned { "pinned" } else { "taken from the store, not pinned" };
        let mut o = format!(
            "driftgate evidence verify: {} (public key sha256 {}, {trust})\n",
            self.location,
            self.public_key.as_deref().unwrap_or("none")
        );
        for t in &self.tenants {
            o.push_str(&format!("tenant {}: {} package(s), head {}", t.tenant, t.packages, t.head));
            if let Some(sha) = &t.head_manifest_sha256 {
                o.push_str(&format!(
                    " (manifest sha256 {sha}, created {})",
                    t.head_created_at.as_deref().unwrap_or("?")
                ));
            }
            o.push('\n');
        }
        if let Some(n) = self.witness_heads {
            o.push_str(&format!("witness: {n} head(s) checked\n"));
        }
        for p in &self.problems {
            o.push_str(&format!("{} {} {} {}: {}\n", p.severity.to_uppercase(), p.code, p.tenant, p.subject, p.detail));
        }
        let errors = self.problems.iter().filter(|p| p.severity == "error").count();
        if errors == 0 {
            let n: usize = self.tenants.iter().map(|t| t.packages).sum();
            o.push_str(&format!("VERDICT: OK ({n} package(s) in {} tenant(s) verified)\n", self.tenants.len()));
        } else {
            o.push_str(&format!("VERDICT: FAIL ({errors} problem(s))\n"));
        }
        crate::report::render::neutralize(&o, false)
    }
}

struct Ctx<'a> {
    tenant: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Ctx<'_> {
    fn error(&mut self, code: &'static str, subject: impl Into<String>, detail: impl Into<String>) {
        self.push("error", code, subject, detail);
    }

    fn warning(&mut self, code: &'static str, subject: impl Into<String>, detail: impl Into<String>) {
        self.push("warning", code, subject, detail);
    }

    fn push(
        &mut self,
        severity: &'static str,
        code: &'static str,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.problems.push(Problem {
            severity,
            code,
            tenant: self.tenant.to_string(),
            subject: subject.into(),
            detail: detail.into(),
        });
    }
}

/// Files the store root holds besides the streams.
const ROOT_FILES: &[&str] = &["driftgate.pub", "verify_evidence.py"];

/// Verifies a store.
pub fn verify_store(store: &dyn Store, opts: &VerifyOptions) -> Result<VerifyReport> {
    let range = match (opts.from, opts.to) {
        (Some(from), Some(to)) if from > to => {
            return Err(Error::Usage {
                message: format!("--from {from} is after --to {to}: no day would be checked"),
                help: Some("give the first day with --from and the last with --to".into()),
            })
        }
        (Some(from), Some(to)) => Some((from, to)),
        (None, None) => None,
        _ => return Err(Error::Usage { message: "--from and --to go together".into(), help: None }),
    };
    if opts.public_key.is_some() && opts.key_fingerprint.is_some() {
        return Err(Error::Usage {
            message: "--public-key and --key-fingerprint both pin the key: give one".into(),
            help: None,
        });
    }
    let witness = match &opts.witness {
        Some(p) => Some(std::fs::read(p).map_err(|source| Error::Read { path: p.clone(), source })?),
        None => None,
    };
    let mut problems = Vec::new();
    let mut root = Ctx { tenant: "-", problems: &mut problems };
    let (key, key_pinned) = trusted_key(store, opts, &mut root)?;
    let wanted = |stream: &str| opts.tenant.as_deref().is_none_or(|t| t == stream);

    let all = store.list("")?;
    let mut streams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for k in &all {
        match k.split_once('/') {
            None if ROOT_FILES.contains(&k.as_str()) => {}
            None if is_temporary(k) => root.warning("incomplete_package", k.clone(), TEMPORARY),
            None => root.error("extra_file", k.clone(), "a file the store root does not hold"),
            Some((s, _)) if crate::snapshot::validate_path_component(s).is_err() => {
                root.error("extra_file", k.clone(), "not in a stream the store holds")
            }
            Some((s, _)) if wanted(s) => streams.entry(s.to_string()).or_default().push(k.clone()),
            Some(_) => {}
        }
    }
    for (k, kind) in store.irregular()? {
        let stream = k.split_once('/').map_or("-", |(s, _)| s);
        if stream == "-" || wanted(stream) {
            let detail = if kind == "symlink" {
                "a symbolic link: a store holds only files it wrote"
            } else {
                "not a regular file"
            };
            Ctx { tenant: stream, problems: &mut problems }.error(kind, k.clone(), detail);
        }
    }
    let script = store.get("verify_evidence.py")?.map(|b| canonical::sha256_hex(&b));
    let mut summaries = Vec::new();
    let mut chains: BTreeMap<String, BTreeMap<u64, ChainEntry>> = BTreeMap::new();
    for (stream, keys) in &streams {
        let mut ctx = Ctx { tenant: stream, problems: &mut problems };
        let (summary, entries) = verify_stream(store, stream, keys, key.as_ref(), script.as_deref(), range, &mut ctx)?;
        summaries.push(summary);
        chains.insert(stream.clone(), entries);
    }
    if let Some(t) = &opts.tenant {
        if !streams.contains_key(t) {
            Ctx { tenant: t, problems: &mut problems }.error(
                "gap",
                "seq 1",
                "the store has no evidence for this tenant",
            );
        }
    }
    let witness_heads =
        witness.as_ref().map(|bytes| check_witness(bytes, key.as_ref(), &chains, &wanted, &mut problems));
    problems.sort();
    Ok(VerifyReport {
        location: store.location(),
        public_key: key.map(|k| k.fingerprint()),
        key_pinned,
        tenants: summaries,
        witness_heads,
        problems,
    })
}

const TEMPORARY: &str = "a temporary file of a writer that stopped before it finished (not evidence)";

/// The key signatures are checked with, and whether the auditor pinned it. A store whose
/// published key differs from the pinned one is `key_mismatch`.
fn trusted_key(store: &dyn Store, opts: &VerifyOptions, root: &mut Ctx<'_>) -> Result<(Option<PublicKey>, bool)> {
    let published = store.get("driftgate.pub")?;
    let stored = published.as_ref().and_then(|b| PublicKey::parse(std::str::from_utf8(b).ok()?, "driftgate.pub").ok());
    let no_key = |root: &mut Ctx<'_>| {
        root.error("no_public_key", "driftgate.pub", "no public key to check signatures with (give --public-key)")
    };
    if let Some(pinned) = &opts.public_key {
        if published.is_some() && stored.as_ref() != Some(pinned) {
            root.error("key_mismatch", "driftgate.pub", "the store publishes another key than the pinned one");
        }
        return Ok((Some(pinned.clone()), true));
    }
    if let Some(fp) = &opts.key_fingerprint {
        let want = fp.trim().strip_prefix("SHA256:").unwrap_or(fp.trim()).to_ascii_lowercase();
        return Ok(match stored {
            Some(k) if k.fingerprint() == want => (Some(k), true),
            _ if published.is_some() => {
                root.error("key_mismatch", "driftgate.pub", "the store's key does not have the pinned fingerprint");
                (None, true)
            }
            _ => {
                no_key(root);
                (None, true)
            }
        });
    }
    if stored.is_none() {
        no_key(root);
    }
    Ok((stored, false))
}

/// What a key of a stream is, by where it sits.
enum Place {
    Lock,
    Temporary,
    Chain(Option<u64>),
    Log,
    Package(String),
    Extra,
}

fn place(stream: &str, key: &str) -> Place {
    let rel = &key[stream.len() + 1..];
    if is_temporary(rel) {
        return Place::Temporary;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        [".lock"] => Place::Lock,
        // The audit puller's own lock (one pull of a tenant at a time).
        ["pull", ".lock"] if stream.ends_with(".audit") => Place::Lock,
        ["chain", name] => Place::Chain(chain_sequence(name)),
        ["chain", ..] => Place::Chain(None),
        ["alerts", name] if name.ends_with(".json") && !name.starts_with('.') => Place::Log,
        ["checkpoints", name] if stream.ends_with(".audit") && chain_sequence(name).is_some() => Place::Log,
        [y, m, d, pkg, _, ..] if is_day(y, m, d) && crate::snapshot::validate_path_component(pkg).is_ok() => {
            Place::Package(format!("{stream}/{y}/{m}/{d}/{pkg}"))
        }
        _ => Place::Extra,
    }
}

/// The sequence a chain entry's file name gives: exactly ten digits and `.json`, from 1.
fn chain_sequence(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|s| *s >= 1)
}

fn is_day(y: &str, m: &str, d: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else { return false };
    time::Month::try_from(m).ok().and_then(|m| Date::from_calendar_date(y, m, d).ok()).is_some()
}

/// A store key a document names: relative, no empty, `.` or `..` segment.
fn safe_key(key: &str) -> bool {
    !key.is_empty() && !key.contains('\\') && key.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

use crate::input::strict::parse_bytes as strict_json;

fn is_sha256(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// A chain entry: exactly its four fields, of their types, stored in canonical pretty form.
fn parse_chain_entry(bytes: &[u8]) -> Option<ChainEntry> {
    let v = strict_json(bytes)?;
    let o = v.as_object()?;
    let fields_ok = o.len() == 4
        && o.get("sequence").and_then(Value::as_u64).is_some_and(|s| s >= 1)
        && o.get("run_id").is_some_and(Value::is_string)
        && o.get("manifest").and_then(Value::as_str).is_some_and(safe_key)
        && o.get("manifest_sha256").is_some_and(is_sha256);
    if !fields_ok || canonical::to_pretty(&v).as_bytes() != bytes {
        return None;
    }
    serde_json::from_value(v).ok()
}

/// A manifest: the fields of version 1 (and no other), of their types.
pub(crate) fn parse_manifest(bytes: &[u8]) -> Option<(Value, Manifest)> {
    let v = strict_json(bytes)?;
    let o = v.as_object()?;
    let str_or_null = |k: &str| o.get(k).is_some_and(|x| x.is_string() || x.is_null());
    let string = |k: &str| o.get(k).is_some_and(Value::is_string);
    let required_ok = o.get("manifest_version").and_then(Value::as_u64) == Some(1)
        && ["collection_id", "run_id", "tenant", "platform", "snapshot_sha256", "policy_bundle_sha256"]
            .iter()
            .all(|k| string(k))
        && ["retention_until", "verifier_sha256", "signing_key_fingerprint", "signature"].iter().all(|k| string(k))
        && o.get("sequence").and_then(Value::as_u64).is_some_and(|s| s >= 1)
        && o.get("created_at").and_then(Value::as_str).is_some_and(is_utc_second)
        && o.get("files").is_some_and(files_ok)
        && str_or_null("previous_manifest_sha256")
        && str_or_null("baseline_sha256")
        && ["collector", "tool", "endpoints"].iter().all(|k| o.contains_key(*k))
        && o.get("record_counts").and_then(Value::as_object).is_some_and(|m| m.values().all(Value::is_u64))
        && o.get("storage").and_then(Value::as_object).is_some_and(|s| {
            s.len() == 3
                && s.get("kind").is_some_and(Value::is_string)
                && s.get("lock_mode").is_some_and(Value::is_string)
                && s.get("legal_hold").is_some_and(Value::is_boolean)
        })
        && o.get("abandoned").is_none_or(abandoned_ok)
        && o.get("policy_bundle_revision").is_none_or(Value::is_string);
    let known = o.keys().all(|k| MANIFEST_FIELDS.contains(&k.as_str()));
    if !(required_ok && known) {
        return None;
    }
    let m = serde_json::from_value(v.clone()).ok()?;
    Some((v, m))
}

const MANIFEST_FIELDS: &[&str] = &[
    "manifest_version",
    "collection_id",
    "run_id",
    "tenant",
    "platform",
    "sequence",
    "created_at",
    "files",
    "previous_manifest_sha256",
    "collector",
    "tool",
    "endpoints",
    "record_counts",
    "snapshot_sha256",
    "policy_bundle_sha256",
    "policy_bundle_revision",
    "baseline_sha256",
    "retention_until",
    "storage",
    "verifier_sha256",
    "forensic",
    "abandoned",
    "signing_key_fingerprint",
    "signature",
];

fn files_ok(v: &Value) -> bool {
    v.as_array().is_some_and(|files| {
        files.iter().all(|f| {
            f.as_object().is_some_and(|f| {
                f.len() == 3
                    && f.get("path").and_then(Value::as_str).is_some_and(safe_key)
                    && f.get("sha256").is_some_and(Value::is_string)
                    && f.get("bytes").is_some_and(Value::is_u64)
            })
        })
    })
}

fn abandoned_ok(v: &Value) -> bool {
    v.as_array().is_some_and(|dirs| {
        dirs.iter().all(|d| {
            d.as_object().is_some_and(|d| {
                d.len() == 2
                    && d.get("dir").and_then(Value::as_str).is_some_and(safe_key)
                    && d.get("files").is_some_and(files_ok)
            })
        })
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ`, what the writer records.
fn is_utc_second(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Whether `signature` (canonical base64 of 64 bytes) is `key`'s over the canonical JSON of
/// `manifest` without its `signature`: the manifest as stored, not as this version reads it.
pub(crate) fn signature_valid(manifest: &Value, key: &PublicKey) -> bool {
    let Some(o) = manifest.as_object() else { return false };
    let Some(signature) = o.get("signature").and_then(Value::as_str) else { return false };
    let mut unsigned: Map<String, Value> = o.clone();
    unsigned.remove("signature");
    key.verify(&canonical::to_vec(&Value::Object(unsigned)), signature)
}

/// Where a manifest must sit: `<stream>/<YYYY>/<MM>/<DD>/<collection id>[.N]/manifest.json`,
/// the day being its `created_at`'s.
fn in_place(stream: &str, manifest_key: &str, m: &Manifest) -> bool {
    let c = &m.created_at;
    let day = format!("{stream}/{}/{}/{}/", &c[0..4], &c[5..7], &c[8..10]);
    let Some(name) = manifest_key.strip_prefix(&day).and_then(|r| r.strip_suffix("/manifest.json")) else {
        return false;
    };
    if crate::snapshot::validate_path_component(&m.collection_id).is_err() {
        return false;
    }
    name == m.collection_id
        || name.strip_prefix(m.collection_id.as_str()).and_then(|r| r.strip_prefix('.')).is_some_and(|n| {
            !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()) && n.parse::<u32>().is_ok_and(|n| n >= 2)
        })
}

fn verify_stream(
    store: &dyn Store,
    stream: &str,
    keys: &[String],
    key: Option<&PublicKey>,
    script: Option<&str>,
    range: Option<(Date, Date)>,
    ctx: &mut Ctx<'_>,
) -> Result<(TenantSummary, BTreeMap<u64, ChainEntry>)> {
    let mut entries: BTreeMap<u64, ChainEntry> = BTreeMap::new();
    let mut package_keys: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for k in keys {
        match place(stream, k) {
            Place::Lock => {}
            Place::Log => {
                let bytes = store.get(k)?.unwrap_or_default();
                let sound = strict_json(&bytes).is_some_and(|v| {
                    v.get("signature").is_some_and(Value::is_string)
                        && canonical::to_pretty(&v).as_bytes() == bytes
                        && key.is_none_or(|key| signature_valid(&v, key))
                });
                if !sound {
                    ctx.error("bad_record", k.clone(), "not a record signed with the store's key");
                }
            }
            Place::Temporary => ctx.warning("incomplete_package", k.clone(), TEMPORARY),
            Place::Extra => ctx.error("extra_file", k.clone(), "a file the store's layout has no place for"),
            Place::Package(dir) => package_keys.entry(dir).or_default().push(k),
            Place::Chain(None) => ctx.error("bad_chain_entry", k.clone(), "not a chain entry's name"),
            Place::Chain(Some(seq)) => match store.get(k)?.as_deref().and_then(parse_chain_entry) {
                None => ctx.error("bad_chain_entry", k.clone(), "not a chain entry"),
                Some(e) if e.sequence != seq => ctx.error(
                    "sequence_mismatch",
                    format!("seq {seq}"),
                    format!("chain entry {k} says sequence {}", e.sequence),
                ),
                Some(e) => {
                    entries.insert(seq, e);
                }
            },
        }
    }
    let head = entries.keys().next_back().copied().unwrap_or(0);
    for s in 1..=head {
        if !entries.contains_key(&s) {
            ctx.error("gap", format!("seq {s}"), "chain entry missing: a run was deleted or never committed");
        }
    }
    let mut previous: Option<(u64, String, String)> = None; // (seq, manifest sha, created_at)
    let mut chained = HashSet::new();
    let mut chained_shas = HashSet::new();
    let mut days = BTreeSet::new();
    let mut abandoned: BTreeMap<String, Vec<ManifestFile>> = BTreeMap::new();
    let mut head_created_at = None;
    for (seq, e) in &entries {
        chained.insert(e.manifest.clone());
        let subject = format!("seq {seq}");
        let Some(bytes) = store.get(&e.manifest)? else {
            ctx.error("missing_manifest", subject, format!("{} is missing", e.manifest));
            previous = None;
            continue;
        };
        let sha = canonical::sha256_hex(&bytes);
        chained_shas.insert(sha.clone());
        if sha != e.manifest_sha256 {
            ctx.error("manifest_hash", subject.clone(), format!("{} does not match its chain entry", e.manifest));
        }
        check_versions(store, &e.manifest, ctx)?;
        let Some((value, m)) = parse_manifest(&bytes) else {
            ctx.error("bad_manifest", subject, format!("{} is not a manifest", e.manifest));
            previous = None;
            continue;
        };
        if m.sequence != *seq {
            ctx.error(
                "sequence_mismatch",
                subject.clone(),
                format!("manifest says sequence {} (replayed or moved?)", m.sequence),
            );
        }
        if m.tenant != stream {
            ctx.error("tenant_mismatch", subject.clone(), format!("manifest is for tenant {}", m.tenant));
        }
        if m.run_id != e.run_id {
            ctx.error("run_id_mismatch", subject.clone(), "the chain entry names another run than the manifest");
        }
        if !in_place(stream, &e.manifest, &m) {
            ctx.error(
                "moved_package",
                subject.clone(),
                format!("{} is not where its stream, day and collection id put it", e.manifest),
            );
        }
        let expected_prev = match &previous {
            Some((p, sha, _)) if p + 1 == *seq => Some(Some(sha.clone())),
            None if *seq == 1 => Some(None),
            _ => None, // the link cannot be judged across a gap
        };
        if expected_prev.is_some_and(|expected| m.previous_manifest_sha256 != expected) {
            ctx.error("chain_link", subject.clone(), "previous_manifest_sha256 does not match the previous manifest");
        }
        if let Some(k) = key {
            if m.signing_key_fingerprint != k.fingerprint() {
                ctx.error("bad_signature", subject.clone(), "signed by another key");
            } else if !signature_valid(&value, k) {
                ctx.error("bad_signature", subject.clone(), "signature does not verify");
            }
        }
        if let Some((_, _, prev_at)) = &previous {
            if m.created_at < *prev_at {
                ctx.error(
                    "time_order",
                    subject.clone(),
                    format!("created {} before the previous link ({prev_at})", m.created_at),
                );
            }
        }
        days.insert(m.created_at[..10].to_string());
        if script != Some(m.verifier_sha256.as_str()) {
            ctx.error(
                "verifier_changed",
                subject.clone(),
                "verify_evidence.py at the store root is not the one this manifest records",
            );
        }
        let dir = &e.manifest[..e.manifest.rfind('/').map_or(0, |i| i + 1)];
        let in_dir: Vec<&String> = keys.iter().filter(|k| k.starts_with(dir) && **k != e.manifest).collect();
        check_files(store, dir, &m.files, &in_dir, ctx)?;
        check_custody(store, dir, &m.files, ctx)?;
        for a in m.abandoned.iter().flatten() {
            abandoned.insert(a.dir.clone(), a.files.clone());
        }
        if *seq == head {
            head_created_at = Some(m.created_at.clone());
        }
        previous = Some((*seq, sha, m.created_at.clone()));
    }
    for k in keys.iter().filter(|k| k.ends_with("/manifest.json") && matches!(place(stream, k), Place::Package(_))) {
        if !chained.contains(k.as_str()) {
            classify_unchained(store, k, key, head, &chained_shas, ctx)?;
        }
    }
    for (dir, files) in &package_keys {
        let manifest = format!("{dir}/manifest.json");
        if files.iter().any(|k| **k == manifest) {
            continue;
        }
        match abandoned.get(dir) {
            Some(listed) => check_files(store, &format!("{dir}/"), listed, files, ctx)?,
            None => ctx.warning(
                "incomplete_package",
                dir.clone(),
                "files without a manifest: a run that stopped before it finished (not evidence)",
            ),
        }
    }
    if let Some((from, to)) = range {
        missing_days(&days, from, to, ctx);
    }
    let head_entry = entries.get(&head);
    let summary = TenantSummary {
        tenant: stream.to_string(),
        packages: entries.len(),
        head,
        head_manifest_sha256: head_entry.map(|e| e.manifest_sha256.clone()),
        head_created_at,
    };
    Ok((summary, entries))
}

/// Days of `from..=to` without a run, one problem per run of consecutive days.
fn missing_days(days: &BTreeSet<String>, from: Date, to: Date, ctx: &mut Ctx<'_>) {
    let iso = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let mut covered: Vec<Date> = days
        .iter()
        .filter_map(|d| Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok())
        .filter(|d| *d >= from && *d <= to)
        .collect();
    covered.dedup();
    let mut next_uncovered = Some(from);
    let mut report = |a: Date, b: Date| {
        let subject = if a == b { format!("day {}", iso(a)) } else { format!("days {}..{}", iso(a), iso(b)) };
        ctx.error("missing_day", subject, "no run on this day");
    };
    for d in covered {
        if let Some(start) = next_uncovered {
            if d > start {
                report(start, d.previous_day().unwrap_or(d));
            }
        }
        next_uncovered = d.next_day();
    }
    if let Some(start) = next_uncovered.filter(|s| *s <= to) {
        report(start, to);
    }
}

/// An unchained manifest is a replay when it is a copy of a chained one (error); a run that
/// lost the race for a sequence another run committed when it is validly signed and its
/// sequence is taken (warning: its package is not part of the chain); otherwise an error.
fn classify_unchained(
    store: &dyn Store,
    k: &str,
    key: Option<&PublicKey>,
    head: u64,
    chained_shas: &HashSet<String>,
    ctx: &mut Ctx<'_>,
) -> Result<()> {
    let bytes = store.get(k)?.unwrap_or_default();
    if chained_shas.contains(&canonical::sha256_hex(&bytes)) {
        ctx.error("replayed_manifest", k.to_string(), "a copy of a manifest that is already in the chain");
        return Ok(());
    }
    let lost_race = parse_manifest(&bytes).is_some_and(|(v, m)| {
        m.sequence <= head
            && key.is_some_and(|key| m.signing_key_fingerprint == key.fingerprint() && signature_valid(&v, key))
    });
    if lost_race {
        ctx.warning(
            "lost_race",
            k.to_string(),
            "a run that lost the race for its sequence to another run; not part of the chain",
        );
    } else {
        ctx.error(
            "unchained_manifest",
            k.to_string(),
            "a manifest no chain entry refers to (fork, replay, or tampering)",
        );
    }
    Ok(())
}

fn check_versions(store: &dyn Store, key: &str, ctx: &mut Ctx<'_>) -> Result<()> {
    let n = store.versions(key)?;
    if n > 1 {
        ctx.error("overwritten", key.to_string(), format!("{n} versions exist: the object was written again"));
    }
    Ok(())
}

/// The files a manifest lists under `dir` (ending in `/`), against what is stored there.
fn check_files(
    store: &dyn Store,
    dir: &str,
    files: &[ManifestFile],
    stored: &[&String],
    ctx: &mut Ctx<'_>,
) -> Result<()> {
    let listed: HashSet<String> = files.iter().map(|f| format!("{dir}{}", f.path)).collect();
    for f in files {
        let k = format!("{dir}{}", f.path);
        match store.get(&k)? {
            None => ctx.error("missing_file", k.clone(), "listed in the manifest but not stored"),
            Some(b) if b.len() as u64 != f.bytes => {
                ctx.error("file_size", k.clone(), format!("{} bytes, the manifest says {}", b.len(), f.bytes))
            }
            Some(b) if canonical::sha256_hex(&b) != f.sha256 => {
                ctx.error("file_hash", k.clone(), "content does not match the manifest")
            }
            Some(_) => {}
        }
        check_versions(store, &k, ctx)?;
    }
    for k in stored.iter().filter(|k| !listed.contains(k.as_str()) && !is_temporary(k)) {
        ctx.error("extra_file", (*k).clone(), "stored in the package but not listed in its manifest");
    }
    Ok(())
}

/// A forensic package: its chain of custody, against its index and the manifest.
fn check_custody(store: &dyn Store, dir: &str, files: &[ManifestFile], ctx: &mut Ctx<'_>) -> Result<()> {
    if files.iter().any(|f| f.path == "custody.jsonl") {
        let custody = store.get(&format!("{dir}custody.jsonl"))?.unwrap_or_default();
        let index = store.get(&format!("{dir}artifacts.json"))?.unwrap_or_default();
        for (code, detail) in crate::forensics::custody::check(&custody, &index, files) {
            ctx.error(code, format!("{dir}custody.jsonl"), detail);
        }
    }
    Ok(())
}

/// The signed chain head a witness records (one JSON line each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct WitnessHead {
    /// The stream (`acme-corp`, `acme-corp.audit`, `acme-corp.forensics`).
    pub stream: String,
    /// The head's sequence.
    pub sequence: u64,
    /// SHA-256 of the head's manifest bytes.
    pub manifest_sha256: String,
    /// When the head's manifest was created.
    pub created_at: String,
    /// Ed25519 (base64) over [`WitnessHead::signing_bytes`], with the store's key.
    pub signature: String,
}

impl WitnessHead {
    /// The bytes signed: canonical JSON of the head without `signature`.
    pub fn signing_bytes(&self) -> Vec<u8> {
        canonical::to_vec(&serde_json::json!({
            "stream": self.stream,
            "sequence": self.sequence,
            "manifest_sha256": self.manifest_sha256,
            "created_at": self.created_at,
        }))
    }

    /// The line a witness file holds (canonical JSON and a newline).
    pub fn to_line(&self) -> String {
        let mut line = String::from_utf8(canonical::to_vec(&serde_json::to_value(self).unwrap_or(Value::Null)))
            .unwrap_or_default();
        line.push('\n');
        line
    }
}

fn parse_witness_line(line: &[u8]) -> Option<WitnessHead> {
    let v = strict_json(line)?;
    let o = v.as_object()?;
    let ok = o.len() == 5
        && o.get("stream").and_then(Value::as_str).is_some_and(|s| crate::snapshot::validate_path_component(s).is_ok())
        && o.get("sequence").and_then(Value::as_u64).is_some_and(|s| s >= 1)
        && o.get("manifest_sha256").is_some_and(is_sha256)
        && o.get("created_at").is_some_and(Value::is_string)
        && o.get("signature").is_some_and(Value::is_string);
    if !ok {
        return None;
    }
    serde_json::from_value(v).ok()
}

/// Every head the witness recorded must be in the store as recorded: `missing_head` when the
/// store lacks that sequence (the newest runs were deleted), `head_mismatch` when it holds
/// another manifest there. The number of heads read.
fn check_witness(
    bytes: &[u8],
    key: Option<&PublicKey>,
    chains: &BTreeMap<String, BTreeMap<u64, ChainEntry>>,
    wanted: &dyn Fn(&str) -> bool,
    problems: &mut Vec<Problem>,
) -> usize {
    let mut heads = 0;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let subject = format!("witness line {}", i + 1);
        let head = parse_witness_line(line);
        let Some(head) = head.filter(|h| key.is_none_or(|k| k.verify(&h.signing_bytes(), &h.signature))) else {
            Ctx { tenant: "-", problems: &mut *problems }.error(
                "bad_witness",
                subject,
                "not a chain head signed with the store's key",
            );
            continue;
        };
        heads += 1;
        if !wanted(&head.stream) {
            continue;
        }
        let mut ctx = Ctx { tenant: &head.stream, problems: &mut *problems };
        match chains.get(&head.stream).and_then(|c| c.get(&head.sequence)) {
            None => ctx.error(
                "missing_head",
                format!("seq {}", head.sequence),
                format!("the witness recorded this head ({subject}); the store does not hold it"),
            ),
            Some(e) if e.manifest_sha256 != head.manifest_sha256 => ctx.error(
                "head_mismatch",
                format!("seq {}", head.sequence),
                format!("the store holds another manifest at this sequence than the witness recorded ({subject})"),
            ),
            Some(_) => {}
        }
    }
    heads
}

/// The tenant's chain entries in sequence order (unreadable entries are an error here: the
/// writer must not extend a chain it cannot read).
pub(crate) fn load_chain(store: &dyn Store, tenant: &str) -> Result<Vec<ChainEntry>> {
    let mut out = Vec::new();
    for k in store.list(&format!("{tenant}/chain/"))? {
        if is_temporary(&k) {
            continue;
        }
        out.push(read_chain_entry(store, &k)?);
    }
    out.sort_by_key(|e| e.sequence);
    Ok(out)
}

/// One chain entry; unreadable is an error (the writer must not extend a chain it cannot read).
fn read_chain_entry(store: &dyn Store, key: &str) -> Result<ChainEntry> {
    let bytes = store.get(key)?.unwrap_or_default();
    serde_json::from_slice(&bytes).map_err(|e| crate::Error::Integrity {
        message: format!("unreadable chain entry {key}: {e}"),
        help: Some("run `driftgate evidence verify` on the store".into()),
    })
}

/// The newest `n` chain entries of a tenant, oldest first, reading only those (the chain's
/// entry names sort by sequence). Unreadable entries are an error, as in [`load_chain`].
pub(crate) fn load_chain_tail(store: &dyn Store, tenant: &str, n: usize) -> Result<Vec<ChainEntry>> {
    let mut keys: Vec<String> = store
        .list(&format!("{tenant}/chain/"))?
        .into_iter()
        .filter(|k| !is_temporary(k) && k.rsplit('/').next().and_then(chain_sequence).is_some())
        .collect();
    keys.sort();
    let mut out =
        keys[keys.len().saturating_sub(n)..].iter().map(|k| read_chain_entry(store, k)).collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|e| e.sequence);
    Ok(out)
}

/// Every manifest key of a tenant.
pub(crate) fn manifest_keys(store: &dyn Store, tenant: &str) -> Result<Vec<String>> {
    // The trailing slash keeps `acme` from listing `acme.audit` on prefix stores (S3).
    let keys = store.list(&format!("{tenant}/"))?;
    Ok(keys
        .into_iter()
        .filter(|k| k.ends_with("/manifest.json") && matches!(place(tenant, k), Place::Package(_)))
        .collect())
}

/// Package directories of a stream that hold files but no manifest, with their files.
pub(crate) fn incomplete_packages(store: &dyn Store, tenant: &str) -> Result<BTreeMap<String, Vec<String>>> {
    let mut dirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for k in store.list(&format!("{tenant}/"))? {
        if let Place::Package(dir) = place(tenant, &k) {
            dirs.entry(dir).or_default().push(k);
        }
    }
    dirs.retain(|dir, files| !files.iter().any(|k| *k == format!("{dir}/manifest.json")));
    Ok(dirs)
}

/// Whether every file a manifest lists is stored with its hash.
pub(crate) fn package_files_intact(store: &dyn Store, manifest_key: &str, m: &Manifest) -> bool {
    let dir = manifest_key.trim_end_matches("manifest.json");
    m.files.iter().all(|f| {
        store.get(&format!("{dir}{}", f.path)).ok().flatten().is_some_and(|b| canonical::sha256_hex(&b) == f.sha256)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_tail_reads_only_the_newest_entries_in_order() {
        let d = tempfile::tempdir().unwrap();
        let store = crate::evidence::store::LocalStore::new(d.path());
        for seq in 1..=12u64 {
            let e = ChainEntry {
                sequence: seq,
                run_id: format!("r{seq}"),
                manifest: format!("m{seq}"),
                manifest_sha256: "x".into(),
            };
            let key = crate::evidence::manifest::chain_key("t", seq);
            std::fs::create_dir_all(d.path().join("t/chain")).unwrap();
            std::fs::write(d.path().join(&key), serde_json::to_vec(&e).unwrap()).unwrap();
        }
        let tail = load_chain_tail(&store, "t", 3).unwrap();
        assert_eq!(tail.iter().map(|e| e.sequence).collect::<Vec<_>>(), vec![10, 11, 12]);
        assert_eq!(load_chain_tail(&store, "t", 50).unwrap().len(), 12);
        assert!(load_chain_tail(&store, "nobody", 3).unwrap().is_empty());
    }

    #[test]
    fn chain_entry_names_are_ten_digits() {
        assert_eq!(chain_sequence("0000000003.json"), Some(3));
        assert_eq!(chain_sequence("3.json"), None);
        assert_eq!(chain_sequence("0000000000.json"), None);
        assert_eq!(chain_sequence("000000000a.json"), None);
    }

    #[test]
    fn keys_are_placed_by_the_layout() {
        assert!(matches!(place("t", "t/.lock"), Place::Lock));
        assert!(matches!(place("t", "t/2026/11/10/c/.report.json.77.tmp"), Place::Temporary));
        assert!(matches!(place("t", "t/2026/11/10/c/report.json"), Place::Package(d) if d == "t/2026/11/10/c"));
        assert!(matches!(place("t", "t/2026/11/31/c/report.json"), Place::Extra));
        assert!(matches!(place("t", "t/2026/11/10/x.json"), Place::Extra));
        assert!(matches!(place("t", "t/notes.txt"), Place::Extra));
        assert!(matches!(place("t", "t/2026/11/10/.c/report.json"), Place::Extra));
        assert!(matches!(place("t.audit", "t.audit/checkpoints/0000000001.json"), Place::Log));
        assert!(matches!(place("t", "t/checkpoints/0000000001.json"), Place::Extra));
    }

    #[test]
    fn missing_days_come_as_runs() {
        let mut problems = Vec::new();
        let mut ctx = Ctx { tenant: "t", problems: &mut problems };
        let days: BTreeSet<String> = ["2026-11-12", "2026-11-13", "2026-11-16"].iter().map(|s| s.to_string()).collect();
        let d = |n| Date::from_calendar_date(2026, time::Month::November, n).unwrap();
        missing_days(&days, d(10), d(17), &mut ctx);
        let subjects: Vec<&str> = problems.iter().map(|p| p.subject.as_str()).collect();
        assert_eq!(subjects, ["days 2026-11-10..2026-11-11", "days 2026-11-14..2026-11-15", "day 2026-11-17"]);
    }
}
