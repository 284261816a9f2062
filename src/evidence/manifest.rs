//! The evidence manifest (`manifest.json`): what a package holds, where it sits in the
//! tenant's hash chain, and a signature over all of it.

use super::keys::{PublicKey, Signer25519};
use crate::canonical;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The manifest format version.
pub const MANIFEST_VERSION: u32 = 1;

/// One file of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path inside the package directory.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// A package directory without a manifest, as the next run found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Abandoned {
    /// Store key of the directory.
    pub dir: String,
    /// Its files, relative to `dir`.
    pub files: Vec<ManifestFile>,
}

/// How the objects are protected from change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageInfo {
    /// `local` or `s3`.
    pub kind: String,
    /// `read-only-files` (local), or the S3 Object Lock mode `COMPLIANCE` / `GOVERNANCE`.
    pub lock_mode: String,
    /// Whether a legal hold is set on every object.
    pub legal_hold: bool,
}

/// The manifest (contract fields of DESIGN §9, plus `platform`, `tool`, `snapshot_sha256`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The collection the snapshot came from.
    pub collection_id: String,
    /// The run that wrote the package.
    pub run_id: String,
    /// Tenant.
    pub tenant: String,
    /// Platform.
    pub platform: String,
    /// Position in the tenant's chain, from 1, without gaps.
    pub sequence: u64,
    /// UTC, RFC 3339.
    pub created_at: String,
    /// Every file of the package but the manifest itself.
    pub files: Vec<ManifestFile>,
    /// SHA-256 of the previous manifest's bytes; null only for sequence 1.
    pub previous_manifest_sha256: Option<String>,
    /// What collected the snapshot (`name`, `version`, and how).
    pub collector: Value,
    /// The tool that wrote the package.
    pub tool: Value,
    /// API calls and query parameters the collection used, as the collector recorded them.
    pub endpoints: Value,
    /// Items per resource type as collected.
    pub record_counts: BTreeMap<String, usize>,
    /// Configuration digest of the normalized snapshot.
    pub snapshot_sha256: String,
    /// SHA-256 of the policy bundle.
    pub policy_bundle_sha256: String,
    /// The policy bundle's revision (an OPA bundle tarball's `.manifest`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_bundle_revision: Option<String>,
    /// SHA-256 of the baseline file, when there was one.
    pub baseline_sha256: Option<String>,
    /// Until when the objects must be kept (UTC, RFC 3339).
    pub retention_until: String,
    /// How the store protects them.
    pub storage: StorageInfo,
    /// SHA-256 of the standalone verifier at the store root (`verify_evidence.py`), so that
    /// a changed verifier is detected too.
    pub verifier_sha256: String,
    /// For a forensic package: incident, subject, window, who collected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forensic: Option<Value>,
    /// Package directories of the stream that runs which stopped before their manifest left
    /// behind, with the files found in them: recorded (signed) by the next run, so that the
    /// debris is accounted for, and checked, rather than warned about for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned: Option<Vec<Abandoned>>,
    /// SHA-256 of the signing public key.
    pub signing_key_fingerprint: String,
    /// Ed25519 signature (base64) over the canonical JSON of the manifest without this field.
    pub signature: String,
}

impl Manifest {
    /// The bytes the signature covers: canonical JSON of the manifest minus `signature`.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("signature");
        }
        canonical::to_vec(&v)
    }

    /// Sets the key fingerprint and signs.
    pub fn sign(&mut self, key: &Signer25519) {
        self.signing_key_fingerprint = key.public().fingerprint();
        self.signature = String::new();
        self.signature = key.sign(&self.signing_bytes());
    }

    /// Whether the signature is `key`'s.
    pub fn signature_valid(&self, key: &PublicKey) -> bool {
        self.signing_key_fingerprint == key.fingerprint() && key.verify(&self.signing_bytes(), &self.signature)
    }

    /// The bytes stored as `manifest.json`: canonical JSON, pretty, so that auditors can
    /// read it and any tool can recompute the hashes.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        canonical::to_pretty(&serde_json::to_value(self).unwrap_or(Value::Null)).into_bytes()
    }
}

/// The bytes of an operational record kept beside a chain (an audit checkpoint, a run's
/// alert log): `value` with a `signature` (Ed25519, base64) over its canonical JSON, as
/// canonical pretty JSON. Both verifiers check it, so that nothing in a store is unsigned.
pub fn signed_record(key: &Signer25519, mut value: Value) -> Vec<u8> {
    if let Some(o) = value.as_object_mut() {
        o.remove("signature");
        let signature = key.sign(&canonical::to_vec(&Value::Object(o.clone())));
        o.insert("signature".into(), Value::String(signature));
    }
    canonical::to_pretty(&value).into_bytes()
}

/// A chain entry: `<tenant>/chain/<sequence>.json`, created once (the commit point of a
/// run and the guard against two runs taking the same sequence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEntry {
    /// Sequence.
    pub sequence: u64,
    /// The run.
    pub run_id: String,
    /// Store key of the manifest.
    pub manifest: String,
    /// SHA-256 of the manifest's bytes.
    pub manifest_sha256: String,
}

/// The store key of the chain entry for `sequence`.
pub fn chain_key(tenant: &str, sequence: u64) -> String {
    format!("{tenant}/chain/{sequence:010}.json")
}
