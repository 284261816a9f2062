//! Writing one run's evidence package and committing it to the tenant's chain.

use super::keys::Signer25519;
use super::manifest::{chain_key, Abandoned, ChainEntry, Manifest, ManifestFile, StorageInfo, MANIFEST_VERSION};
use super::store::{Created, ObjectOptions, Store};
use super::verify;
use crate::canonical;
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What a daily package holds: the snapshot as collected (secrets redacted) and normalized,
/// the report in each stored format, and the quarantined items by type. Names in a package
/// are these and nothing else; report locations point into the normalized snapshot.
pub const RAW_SNAPSHOT_FILE: &str = "snapshot.raw.json";
/// The normalized snapshot (canonical, pretty-printed) in a daily package.
pub const NORMALIZED_SNAPSHOT_FILE: &str = "snapshot.normalized.json";
/// The directory of quarantined items (`quarantine/<type>.json`) in a daily package.
pub const QUARANTINE_DIR: &str = "quarantine";

/// The files of a daily package for `check`: its snapshots, the rendered reports (file name,
/// bytes) and the quarantine.
pub fn daily_package_files(
    check: &crate::check::CheckRun,
    reports: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let raw = check.raw.as_ref().ok_or_else(|| Error::Usage {
        message: "the check kept no raw snapshot for the evidence package".into(),
        help: None,
    })?;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(RAW_SNAPSHOT_FILE.into(), canonical::to_pretty(&raw.to_value()).into_bytes());
    files.insert(NORMALIZED_SNAPSHOT_FILE.into(), canonical::to_pretty(&check.normalized.to_value()).into_bytes());
    files.extend(reports);
    let mut by_type: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for q in &check.gated.quarantine {
        by_type.entry(&q.resource_type).or_default().push(json!({
            "resource_type": q.resource_type, "resource_id": q.resource_id, "schema": q.schema,
            "errors": q.errors, "item": q.item,
        }));
    }
    for (rtype, records) in by_type {
        files.insert(
            format!("{QUARANTINE_DIR}/{rtype}.json"),
            canonical::to_pretty(&Value::Array(records)).into_bytes(),
        );
    }
    Ok(files)
}

/// The standalone verifier written into every store root.
pub const VERIFIER_SCRIPT: &str = include_str!("verify_evidence.py");

/// What goes into a package, besides what the manifest computes.
#[derive(Debug, Clone)]
pub struct PackageInput {
    /// Tenant.
    pub tenant: String,
    /// Platform.
    pub platform: String,
    /// The run's id (unique; names the package directory).
    pub run_id: String,
    /// The snapshot's collection id.
    pub collection_id: String,
    /// Files: path inside the package → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// What collected the snapshot.
    pub collector: Value,
    /// Endpoints and parameters used.
    pub endpoints: Value,
    /// Items per resource type as collected.
    pub record_counts: BTreeMap<String, usize>,
    /// Configuration digest of the snapshot.
    pub snapshot_sha256: String,
    /// Policy bundle hash.
    pub policy_bundle_sha256: String,
    /// Policy bundle revision, when the bundle has one.
    pub policy_bundle_revision: Option<String>,
    /// Baseline file hash.
    pub baseline_sha256: Option<String>,
    /// How long to keep it.
    pub retention_days: u32,
    /// Metadata and legal hold for every object of the package (forensic packages).
    pub object: ObjectOptions,
    /// What a forensic package is about (incident, subject, window), recorded in the manifest.
    pub forensic: Option<Value>,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its sequence in the tenant's chain.
    pub sequence: u64,
    /// Store key of the manifest.
    pub manifest_key: String,
    /// SHA-256 of the manifest bytes.
    pub manifest_sha256: String,
    /// When the manifest was created (UTC, RFC 3339).
    pub created_at: String,
    /// Packages that an interrupted run had left complete but uncommitted, committed now.
    pub rolled_forward: Vec<u64>,
}

/// Writes the package, signs its manifest and commits it as the tenant's next chain link.
pub fn write_package(
    store: &dyn Store,
    key: &Signer25519,
    input: PackageInput,
    now: OffsetDateTime,
) -> Result<Written> {
    // Every name that becomes a path is checked before anything is written (the lock
    // itself creates the stream's directory).
    validate_names(&input)?;
    let _lock = store.lock(&input.tenant)?;
    let created_at = crate::clock::rfc3339(now);
    let retain = crate::clock::rfc3339(now + time::Duration::days(i64::from(input.retention_days)));
    publish_root_files(store, key, &retain)?;

    let (mut head, rolled_forward) = head_after_roll_forward(store, key, &input.tenant, &retain)?;
    let abandoned = abandoned_packages(store, &input.tenant)?;
    let sequence = head.as_ref().map_or(1, |h| h.sequence + 1);
    let (prefix, files) = write_files(store, &input, now, &retain)?;
    let object = input.object.clone();
    let written: Vec<String> = files.iter().map(|f| format!("{prefix}/{}", f.path)).collect();
    let mut manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        collection_id: input.collection_id,
        run_id: input.run_id.clone(),
        tenant: input.tenant.clone(),
        platform: input.platform,
        sequence,
        created_at,
        files,
        previous_manifest_sha256: head.take().map(|h| h.manifest_sha256),
        collector: input.collector,
        tool: json!({"name": "driftgate", "version": env!("CARGO_PKG_VERSION")}),
        endpoints: input.endpoints,
        record_counts: input.record_counts,
        snapshot_sha256: input.snapshot_sha256,
        policy_bundle_sha256: input.policy_bundle_sha256,
        policy_bundle_revision: input.policy_bundle_revision,
        baseline_sha256: input.baseline_sha256,
        retention_until: retain.clone(),
        storage: StorageInfo { legal_hold: store.info().legal_hold || input.object.legal_hold, ..store.info() },
        forensic: input.forensic.clone(),
        abandoned: (!abandoned.is_empty()).then_some(abandoned),
        verifier_sha256: canonical::sha256_hex(VERIFIER_SCRIPT.as_bytes()),
        signing_key_fingerprint: String::new(),
        signature: String::new(),
    };
    manifest.sign(key);
    let bytes = manifest.to_file_bytes();
    // What the verifiers will refuse to read is never written (a number of magnitude 2^64 or
    // more in the collector's record, say): better no package than an unverifiable one.
    if let Err(e) = crate::input::strict::check(&String::from_utf8_lossy(&bytes)) {
        let _ = store.discard(&written);
        return Err(Error::Integrity {
            message: format!("the manifest of this run would not verify: {e}"),
            help: Some("the snapshot's metadata holds a value the evidence format cannot keep exactly".into()),
        });
    }
    let manifest_key = format!("{prefix}/manifest.json");
    if let Err(e) = store.create_with(&manifest_key, &bytes, &retain, &object) {
        // Without its manifest the package is not evidence: what this run wrote goes where
        // the backend allows it (an Object Lock bucket keeps it, and the next run records it).
        let _ = store.discard(&written);
        return Err(e);
    }
    let entry = ChainEntry {
        sequence,
        run_id: input.run_id,
        manifest: manifest_key.clone(),
        manifest_sha256: canonical::sha256_hex(&bytes),
    };
    commit(store, &input.tenant, &entry, &retain, &object)?;
    Ok(Written {
        sequence,
        manifest_key,
        manifest_sha256: entry.manifest_sha256,
        created_at: manifest.created_at,
        rolled_forward,
    })
}

/// Commits any complete package an interrupted run left behind as the chain's next links,
/// so that what it holds counts as stored; the sequences committed.
pub fn roll_forward(
    store: &dyn Store,
    key: &Signer25519,
    tenant: &str,
    retention_days: u32,
    now: OffsetDateTime,
) -> Result<Vec<u64>> {
    let _lock = store.lock(tenant)?;
    let retain = crate::clock::rfc3339(now + time::Duration::days(i64::from(retention_days)));
    if verify::manifest_keys(store, tenant)?.is_empty() {
        return Ok(Vec::new());
    }
    Ok(head_after_roll_forward(store, key, tenant, &retain)?.1)
}

/// Writes the package files under `<tenant>/<YYYY>/<MM>/<DD>/<collection_id>/`; a collection
/// checked again (a re-run on the same snapshot) goes to `<collection_id>.2`, `.3`, ...
fn write_files(
    store: &dyn Store,
    input: &PackageInput,
    now: OffsetDateTime,
    retain: &str,
) -> Result<(String, Vec<ManifestFile>)> {
    let date = now.date();
    let day = format!("{}/{:04}/{:02}/{:02}", input.tenant, date.year(), u8::from(date.month()), date.day());
    'attempt: for n in 1..=1000u32 {
        let prefix = if n == 1 {
            format!("{day}/{}", input.collection_id)
        } else {
            format!("{day}/{}.{n}", input.collection_id)
        };
        if !store.list(&format!("{prefix}/"))?.is_empty() {
            continue;
        }
        let mut files = Vec::new();
        let mut written: Vec<String> = Vec::new();
        for (i, (path, bytes)) in input.files.iter().enumerate() {
            let k = format!("{prefix}/{path}");
            let created = store.create_with(&k, bytes, retain, &input.object);
            let failure = match created {
                Ok(Created::Written) => None,
                // Another run of the same collection took this directory first.
                Ok(Created::Exists) if i == 0 => continue 'attempt,
                Ok(Created::Exists) => Some(Error::Conflict {
                    message: format!("evidence object {k} already exists"),
                    help: Some("another run is writing the same package; run again".into()),
                }),
                Err(e) => Some(e),
            };
            if let Some(e) = failure {
                let _ = store.discard(&written);
                return Err(e);
            }
            written.push(k);
            files.push(ManifestFile {
                path: path.clone(),
                sha256: canonical::sha256_hex(bytes),
                bytes: bytes.len() as u64,
            });
        }
        return Ok((prefix, files));
    }
    Err(Error::Usage {
        message: format!("collection {} was checked 1000 times today", input.collection_id),
        help: None,
    })
}

/// Checks the names that become store paths: the stream (a tenant's name, or its audit or
/// forensic stream), the collection id and the run id.
fn validate_names(input: &PackageInput) -> Result<()> {
    crate::snapshot::validate_stream_name(&input.tenant).map_err(|why| Error::Usage {
        message: format!("tenant {:?} {why}, so it cannot name evidence", input.tenant),
        help: Some(
            "tenant names become store paths: letters, digits, '.', '_' and '-', and none the store uses itself".into(),
        ),
    })?;
    for id in [&input.collection_id, &input.run_id] {
        crate::snapshot::validate_path_component(id).map_err(|why| Error::Usage {
            message: format!("{id:?} {why}, so it cannot name evidence"),
            help: Some("collection and run ids become store paths: letters, digits, '.', '_' and '-'".into()),
        })?;
    }
    Ok(())
}

/// The stream's package directories that hold files but no manifest (runs that stopped
/// before they finished), with their files' hashes, for the next manifest to record.
fn abandoned_packages(store: &dyn Store, tenant: &str) -> Result<Vec<Abandoned>> {
    let mut out = Vec::new();
    let incomplete = verify::incomplete_packages(store, tenant)?;
    if incomplete.is_empty() {
        return Ok(out);
    }
    // Debris an earlier manifest of the chain already records is not recorded again.
    let mut recorded = std::collections::HashSet::new();
    for e in verify::load_chain(store, tenant)? {
        if let Some(m) = store.get(&e.manifest)?.and_then(|b| serde_json::from_slice::<Manifest>(&b).ok()) {
            recorded.extend(m.abandoned.into_iter().flatten().map(|a| a.dir));
        }
    }
    for (dir, keys) in incomplete.into_iter().filter(|(dir, _)| !recorded.contains(dir)) {
        let mut files = Vec::new();
        for k in keys {
            let bytes = store.get(&k)?.unwrap_or_default();
            files.push(ManifestFile {
                path: k[dir.len() + 1..].to_string(),
                sha256: canonical::sha256_hex(&bytes),
                bytes: bytes.len() as u64,
            });
        }
        out.push(Abandoned { dir, files });
    }
    Ok(out)
}

fn commit(store: &dyn Store, tenant: &str, entry: &ChainEntry, retain: &str, object: &ObjectOptions) -> Result<()> {
    let bytes = canonical::to_pretty(&serde_json::to_value(entry).unwrap_or(Value::Null)).into_bytes();
    match store.create_with(&chain_key(tenant, entry.sequence), &bytes, retain, object)? {
        Created::Written => Ok(()),
        Created::Exists => Err(Error::Conflict {
            message: format!(
                "another run committed sequence {} of tenant {tenant} first; this run's package ({}) is left uncommitted",
                entry.sequence, entry.manifest
            ),
            help: Some("two runs for one tenant ran at once; run again (the chain itself is intact)".into()),
        }),
    }
}

/// Writes the public key and the standalone verifier at the store root the first time, and
/// refuses to sign with a key other than the one the store publishes.
fn publish_root_files(store: &dyn Store, key: &Signer25519, retain: &str) -> Result<()> {
    let public = key.public().to_file_text();
    store.create("driftgate.pub", public.as_bytes(), retain)?;
    let published = store.get("driftgate.pub")?.unwrap_or_default();
    if published != public.as_bytes() {
        return Err(Error::Store {
            message: format!("the store {} publishes another signing key (driftgate.pub)", store.location()),
            help: Some("sign with the key whose public half is driftgate.pub; a key rotation needs a new store".into()),
        });
    }
    store.create("verify_evidence.py", VERIFIER_SCRIPT.as_bytes(), retain)?;
    Ok(())
}

/// The tenant's chain head, after committing any complete package an interrupted run left
/// behind as the next link.
fn head_after_roll_forward(
    store: &dyn Store,
    key: &Signer25519,
    tenant: &str,
    retain: &str,
) -> Result<(Option<ChainEntry>, Vec<u64>)> {
    let chain = verify::load_chain(store, tenant)?;
    let mut head = chain.last().cloned();
    let chained: std::collections::HashSet<String> = chain.iter().map(|e| e.manifest.clone()).collect();
    let mut rolled = Vec::new();
    let orphans: Vec<String> =
        verify::manifest_keys(store, tenant)?.into_iter().filter(|k| !chained.contains(k)).collect();
    loop {
        let next = head.as_ref().map_or(1, |h| h.sequence + 1);
        let prev = head.as_ref().map(|h| h.manifest_sha256.clone());
        let found = orphans.iter().find_map(|k| {
            let bytes = store.get(k).ok()??;
            let m: Manifest = serde_json::from_slice(&bytes).ok()?;
            let complete = m.sequence == next
                && m.previous_manifest_sha256 == prev
                && m.signature_valid(&key.public())
                && verify::package_files_intact(store, k, &m);
            complete.then(|| ChainEntry {
                sequence: m.sequence,
                run_id: m.run_id,
                manifest: k.clone(),
                manifest_sha256: canonical::sha256_hex(&bytes),
            })
        });
        match found {
            Some(entry) => {
                commit(store, tenant, &entry, retain, &ObjectOptions::default())?;
                rolled.push(entry.sequence);
                head = Some(entry);
            }
            None => return Ok((head, rolled)),
        }
    }
}
