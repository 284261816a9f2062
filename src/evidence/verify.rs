//! `evidence verify`: recompute every hash, walk every tenant's chain, check signatures,
//! sequence gaps, forks, missing and extra files, overwritten objects and days without a
//! run, and report each problem precisely. The standalone `verify_evidence.py` written
//! into every store performs the same checks with the same codes.

use super::keys::PublicKey;
use super::manifest::{ChainEntry, Manifest};
use super::store::Store;
use crate::canonical;
use crate::error::Result;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use time::Date;

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Only this tenant.
    pub tenant: Option<String>,
    /// First day that must have a run (UTC).
    pub from: Option<Date>,
    /// Last day that must have a run (UTC).
    pub to: Option<Date>,
    /// The key to trust (default: `driftgate.pub` at the store root).
    pub public_key: Option<PublicKey>,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// `error` (integrity) or `warning` (debris of an interrupted run).
    pub severity: &'static str,
    /// Stable code: gap, missing_manifest, manifest_hash, bad_manifest, sequence_mismatch,
    /// tenant_mismatch, chain_link, bad_signature, time_order, missing_file, file_size,
    /// file_hash, extra_file, overwritten, unchained_manifest, bad_chain_entry, missing_day,
    /// no_public_key, verifier_changed, replayed_manifest, unchained_manifest (errors);
    /// incomplete_package, lost_race (warnings).
    pub code: &'static str,
    /// Tenant.
    pub tenant: String,
    /// What it is about: `seq N`, a store key, or `day YYYY-MM-DD`.
    pub subject: String,
    /// What is wrong.
    pub detail: String,
}

/// One tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantSummary {
    /// Tenant.
    pub tenant: String,
    /// Packages in its chain.
    pub packages: usize,
    /// Highest sequence.
    pub head: u64,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Where.
    pub location: String,
    /// Fingerprint of the key trusted.
    pub public_key: Option<String>,
    /// Per tenant.
    pub tenants: Vec<TenantSummary>,
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
        let mut o = format!(
            "driftgate evidence verify: {} (public key sha256 {})\n",
            self.location,
            self.public_key.as_deref().unwrap_or("none")
        );
        for t in &self.tenants {
            o.push_str(&format!("tenant {}: {} package(s), head {}\n", t.tenant, t.packages, t.head));
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
        o
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

/// Verifies a store.
pub fn verify_store(store: &dyn Store, opts: &VerifyOptions) -> Result<VerifyReport> {
    let mut problems = Vec::new();
    let key = match &opts.public_key {
        Some(k) => Some(k.clone()),
        None => match store.get("driftgate.pub")? {
            Some(b) => PublicKey::parse(&String::from_utf8_lossy(&b), "driftgate.pub").ok(),
            None => None,
        },
    };
    let all = store.list("")?;
    let tenants: BTreeSet<String> = all
        .iter()
        .filter_map(|k| k.split_once('/').map(|(t, _)| t.to_string()))
        .filter(|t| opts.tenant.as_ref().is_none_or(|want| want == t))
        .collect();
    if key.is_none() {
        problems.push(Problem {
            severity: "error",
            code: "no_public_key",
            tenant: "-".into(),
            subject: "driftgate.pub".into(),
            detail: "no public key to check signatures with (give --public-key)".into(),
        });
    }
    let mut summaries = Vec::new();
    for tenant in &tenants {
        let mut ctx = Ctx { tenant, problems: &mut problems };
        let keys: Vec<&String> = all.iter().filter(|k| k.starts_with(&format!("{tenant}/"))).collect();
        let summary = verify_tenant(store, &keys, key.as_ref(), opts, &mut ctx)?;
        summaries.push(summary);
    }
    if let Some(t) = &opts.tenant {
        if tenants.is_empty() {
            problems.push(Problem {
                severity: "error",
                code: "gap",
                tenant: t.clone(),
                subject: "seq 1".into(),
                detail: "the store has no evidence for this tenant".into(),
            });
        }
    }
    problems.sort();
    Ok(VerifyReport {
        location: store.location(),
        public_key: key.map(|k| k.fingerprint()),
        tenants: summaries,
        problems,
    })
}

fn verify_tenant(
    store: &dyn Store,
    keys: &[&String],
    key: Option<&PublicKey>,
    opts: &VerifyOptions,
    ctx: &mut Ctx<'_>,
) -> Result<TenantSummary> {
    let tenant = ctx.tenant.to_string();
    let chain_prefix = format!("{tenant}/chain/");
    let mut entries: BTreeMap<u64, ChainEntry> = BTreeMap::new();
    for k in keys.iter().filter(|k| k.starts_with(&chain_prefix)) {
        let name = &k[chain_prefix.len()..];
        let seq = name.strip_suffix(".json").and_then(|n| n.parse::<u64>().ok());
        let entry = store.get(k)?.and_then(|b| serde_json::from_slice::<ChainEntry>(&b).ok());
        match (seq, entry) {
            (Some(s), Some(e)) if e.sequence == s => {
                entries.insert(s, e);
            }
            (Some(s), Some(e)) => ctx.error(
                "sequence_mismatch",
                format!("seq {s}"),
                format!("chain entry {k} says sequence {}", e.sequence),
            ),
            _ => ctx.error("bad_chain_entry", (*k).clone(), "not a chain entry"),
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
        let Ok(m) = serde_json::from_slice::<Manifest>(&bytes) else {
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
        if m.tenant != tenant {
            ctx.error("tenant_mismatch", subject.clone(), format!("manifest is for tenant {}", m.tenant));
        }
        let expected_prev = match &previous {
            Some((p, sha, _)) if p + 1 == *seq => Some(Some(sha.clone())),
            None if *seq == 1 => Some(None),
            _ => None, // the link cannot be judged across a gap
        };
        if let Some(expected) = expected_prev {
            if m.previous_manifest_sha256 != expected {
                ctx.error(
                    "chain_link",
                    subject.clone(),
                    "previous_manifest_sha256 does not match the previous manifest",
                );
            }
        }
        if let Some(k) = key {
            if m.signing_key_fingerprint != k.fingerprint() {
                ctx.error("bad_signature", subject.clone(), "signed by another key");
            } else if !m.signature_valid(k) {
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
        if let Some(day) = m.created_at.get(..10) {
            days.insert(day.to_string());
        }
        let script = store.get("verify_evidence.py")?.map(|b| canonical::sha256_hex(&b));
        if script.as_deref() != Some(m.verifier_sha256.as_str()) {
            ctx.error(
                "verifier_changed",
                subject.clone(),
                "verify_evidence.py at the store root is not the one this manifest records",
            );
        }
        check_files(store, keys, &e.manifest, &m, ctx)?;
        previous = Some((*seq, sha, m.created_at.clone()));
    }
    for k in manifest_keys_in(keys, &tenant).into_iter().filter(|k| !chained.contains(k.as_str())) {
        classify_unchained(store, k, key, head, &chained_shas, ctx)?;
    }
    for dir in package_dirs(keys, &tenant) {
        if !keys.iter().any(|k| **k == format!("{dir}/manifest.json")) {
            ctx.push(
                "warning",
                "incomplete_package",
                dir,
                "files without a manifest: a run that stopped before it finished (not evidence)",
            );
        }
    }
    if let (Some(from), Some(to)) = (opts.from, opts.to) {
        let mut d = from;
        while d <= to {
            let day = format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
            if !days.contains(&day) {
                ctx.error("missing_day", format!("day {day}"), "no run on this day");
            }
            match d.next_day() {
                Some(n) => d = n,
                None => break,
            }
        }
    }
    Ok(TenantSummary { tenant, packages: entries.len(), head })
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
    let lost_race = serde_json::from_slice::<Manifest>(&bytes)
        .ok()
        .is_some_and(|m| m.sequence <= head && key.is_some_and(|key| m.signature_valid(key)));
    if lost_race {
        ctx.push(
            "warning",
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

fn check_files(store: &dyn Store, keys: &[&String], manifest_key: &str, m: &Manifest, ctx: &mut Ctx<'_>) -> Result<()> {
    let dir = manifest_key.trim_end_matches("manifest.json");
    let listed: HashSet<String> = m.files.iter().map(|f| format!("{dir}{}", f.path)).collect();
    for f in &m.files {
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
    for k in keys.iter().filter(|k| k.starts_with(dir) && !listed.contains(k.as_str()) && **k != manifest_key) {
        ctx.error("extra_file", (*k).clone(), "stored in the package but not listed in its manifest");
    }
    // A forensic package: its chain of custody, against its index and the manifest.
    if m.files.iter().any(|f| f.path == "custody.jsonl") {
        let custody = store.get(&format!("{dir}custody.jsonl"))?.unwrap_or_default();
        let index = store.get(&format!("{dir}artifacts.json"))?.unwrap_or_default();
        for (code, detail) in crate::forensics::custody::check(&custody, &index, &m.files) {
            ctx.error(code, format!("{dir}custody.jsonl"), detail);
        }
    }
    Ok(())
}

fn manifest_keys_in<'a>(keys: &[&'a String], tenant: &str) -> Vec<&'a String> {
    let chain = format!("{tenant}/chain/");
    keys.iter().filter(|k| k.ends_with("/manifest.json") && !k.starts_with(&chain)).copied().collect()
}

/// Package directories: `<tenant>/<YYYY>/<MM>/<DD>/<run>`.
fn package_dirs(keys: &[&String], tenant: &str) -> BTreeSet<String> {
    keys.iter()
        .filter(|k| !k.starts_with(&format!("{tenant}/chain/")))
        .filter_map(|k| {
            let parts: Vec<&str> = k.split('/').collect();
            (parts.len() >= 6).then(|| parts[..5].join("/"))
        })
        .collect()
}

/// The tenant's chain entries in sequence order (unreadable entries are an error here: the
/// writer must not extend a chain it cannot read).
pub(crate) fn load_chain(store: &dyn Store, tenant: &str) -> Result<Vec<ChainEntry>> {
    let mut out = Vec::new();
    for k in store.list(&format!("{tenant}/chain/"))? {
        let bytes = store.get(&k)?.unwrap_or_default();
        let e: ChainEntry = serde_json::from_slice(&bytes).map_err(|e| crate::Error::Invalid {
            path: k.clone().into(),
            message: format!("unreadable chain entry: {e}"),
            help: Some("run `driftgate evidence verify` on the store".into()),
        })?;
        out.push(e);
    }
    out.sort_by_key(|e| e.sequence);
    Ok(out)
}

/// Every manifest key of a tenant.
pub(crate) fn manifest_keys(store: &dyn Store, tenant: &str) -> Result<Vec<String>> {
    // The trailing slash keeps `acme` from listing `acme.audit` on prefix stores (S3).
    let keys = store.list(&format!("{tenant}/"))?;
    let refs: Vec<&String> = keys.iter().collect();
    Ok(manifest_keys_in(&refs, tenant).into_iter().cloned().collect())
}

/// Whether every file a manifest lists is stored with its hash.
pub(crate) fn package_files_intact(store: &dyn Store, manifest_key: &str, m: &Manifest) -> bool {
    let dir = manifest_key.trim_end_matches("manifest.json");
    m.files.iter().all(|f| {
        store.get(&format!("{dir}{}", f.path)).ok().flatten().is_some_and(|b| canonical::sha256_hex(&b) == f.sha256)
    })
}
