//! Evidence stores: where packages are written once and never changed. One trait, one file
//! per backend (`local`, `s3`).

mod local;
mod s3;

pub use local::LocalStore;
pub use s3::{S3Settings, S3Store};

use super::manifest::StorageInfo;
use crate::error::Result;

/// What a create-once write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The object was written.
    Written,
    /// An object already exists under that key; nothing was written.
    Exists,
}

/// Per-object extras a backend applies where it can (S3: user metadata and a legal hold; the
/// local store records them in the package instead).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectOptions {
    /// User metadata (`x-amz-meta-*` on S3).
    pub metadata: std::collections::BTreeMap<String, String>,
    /// Put a legal hold on the object whatever the store's default.
    pub legal_hold: bool,
}

/// A write-once object store.
pub trait Store {
    /// Kind, lock mode and legal hold, as the manifest records them.
    fn info(&self) -> StorageInfo;
    /// Where it is, for messages (`/var/evidence`, `s3://bucket/prefix`).
    fn location(&self) -> String;
    /// Serializes writers of one tenant where the backend can (a file lock locally); the
    /// chain entry's create-once write guards against forks everywhere.
    fn lock(&self, tenant: &str) -> Result<Box<dyn std::any::Any>>;
    /// Creates `key` with `bytes` unless it exists; never overwrites. `retain_until` (UTC,
    /// RFC 3339) is applied where the backend supports retention.
    fn create(&self, key: &str, bytes: &[u8], retain_until: &str) -> Result<Created>;
    /// [`Store::create`] with per-object metadata and legal hold, where the backend has them.
    fn create_with(&self, key: &str, bytes: &[u8], retain_until: &str, opts: &ObjectOptions) -> Result<Created> {
        let _ = opts;
        self.create(key, bytes, retain_until)
    }
    /// Reads `key` (its oldest version where the backend keeps versions).
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Every key under `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// How many versions of `key` exist (1 for a backend without versions, 0 if none).
    fn versions(&self, key: &str) -> Result<usize>;
    /// Entries that are neither a regular file nor a directory (symbolic links, devices,
    /// pipes), with what they are (`symlink`, `not_a_file`): a store holds none, and the
    /// verifiers report them. A backend of plain objects has none.
    fn irregular(&self) -> Result<Vec<(String, &'static str)>> {
        Ok(Vec::new())
    }
    /// Removes objects this process just wrote and never committed (a package whose run
    /// failed before its manifest), where the backend allows it; the local store does, an
    /// Object Lock bucket does not (the next run then records them as abandoned).
    fn discard(&self, keys: &[String]) -> Result<()> {
        let _ = keys;
        Ok(())
    }
}

/// Whether the last segment of `key` is a temporary name a writer uses before the final
/// link (`.NAME.PID.tmp`): debris of a writer that was killed, never evidence.
pub fn is_temporary(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.starts_with('.') && name.ends_with(".tmp")
}
