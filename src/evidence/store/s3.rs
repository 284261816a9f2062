//! `s3`: an S3 bucket with Object Lock, through the official AWS SDK. Every object is put
//! with the lock mode (COMPLIANCE or GOVERNANCE) and retain-until date, an optional legal
//! hold and SSE-KMS key, a SHA-256 checksum the service verifies, and `If-None-Match: *`,
//! so that nothing is ever overwritten and two runs cannot both create one chain entry.
//! Credentials come from the SDK's standard chain (environment, profile, instance role),
//! never from driftgate's configuration.

use super::{Created, ObjectOptions, Store};
use crate::error::{Error, Result};
use crate::evidence::manifest::StorageInfo;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{ChecksumAlgorithm, ObjectLockLegalHoldStatus, ObjectLockMode, ServerSideEncryption};
use aws_sdk_s3::Client;

/// Settings of an S3 store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// Bucket (created with Object Lock enabled).
    pub bucket: String,
    /// Key prefix inside the bucket.
    #[serde(default)]
    pub prefix: String,
    /// Region (default: the SDK's, e.g. AWS_REGION).
    #[serde(default)]
    pub region: Option<String>,
    /// Endpoint URL, for S3-compatible services (default: the SDK's, e.g. AWS_ENDPOINT_URL).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// `COMPLIANCE` (default: nobody can shorten or remove the lock) or `GOVERNANCE`.
    #[serde(default = "default_mode")]
    pub lock_mode: String,
    /// Put a legal hold on every object.
    #[serde(default)]
    pub legal_hold: bool,
    /// SSE-KMS key id or ARN; without it the bucket's default encryption applies.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// Path-style addressing (many S3-compatible services need it).
    #[serde(default)]
    pub force_path_style: bool,
}

fn default_mode() -> String {
    "COMPLIANCE".into()
}

impl S3Settings {
    /// Settings for `s3://bucket/prefix` with defaults for the rest.
    pub fn from_url(url: &str) -> Option<S3Settings> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| S3Settings {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            region: None,
            endpoint_url: None,
            lock_mode: default_mode(),
            legal_hold: false,
            kms_key_id: None,
            force_path_style: false,
        })
    }
}

/// An S3 store.
pub struct S3Store {
    settings: S3Settings,
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store").field("settings", &self.settings).finish()
    }
}

fn s3_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Store { message: format!("S3 {what}: {e}"), help: None }
}

impl S3Store {
    /// Connects and checks that the bucket has Object Lock enabled.
    pub fn open(settings: S3Settings) -> Result<S3Store> {
        let mode = settings.lock_mode.to_ascii_uppercase();
        if mode != "COMPLIANCE" && mode != "GOVERNANCE" {
            return Err(Error::Usage {
                message: format!("S3 lock mode {:?} is not COMPLIANCE or GOVERNANCE", settings.lock_mode),
                help: None,
            });
        }
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| s3_error("runtime", e))?;
        let client = runtime.block_on(async {
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
            if let Some(r) = &settings.region {
                loader = loader.region(aws_config::Region::new(r.clone()));
            }
            if let Some(u) = &settings.endpoint_url {
                loader = loader.endpoint_url(u);
            }
            let shared = loader.load().await;
            let conf = aws_sdk_s3::config::Builder::from(&shared).force_path_style(settings.force_path_style).build();
            Client::from_conf(conf)
        });
        let store = S3Store { settings: S3Settings { lock_mode: mode, ..settings }, client, runtime };
        store.check_object_lock()?;
        Ok(store)
    }

    fn check_object_lock(&self) -> Result<()> {
        let out =
            self.runtime.block_on(self.client.get_object_lock_configuration().bucket(&self.settings.bucket).send());
        let enabled = match out {
            Ok(o) => o.object_lock_configuration().and_then(|c| c.object_lock_enabled()).is_some(),
            Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("ObjectLockConfigurationNotFoundError") => {
                false
            }
            Err(e) => return Err(s3_error(&format!("bucket {}", self.settings.bucket), describe(&e))),
        };
        if !enabled {
            return Err(Error::Store {
                message: format!("bucket {} does not have Object Lock enabled", self.settings.bucket),
                help: Some(
                    "evidence needs a write-once bucket: create it with Object Lock (and so versioning) enabled".into(),
                ),
            });
        }
        Ok(())
    }

    fn full(&self, key: &str) -> String {
        if self.settings.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.settings.prefix)
        }
    }

    fn relative(&self, full: &str) -> String {
        if self.settings.prefix.is_empty() {
            full.to_string()
        } else {
            full.strip_prefix(&format!("{}/", self.settings.prefix)).unwrap_or(full).to_string()
        }
    }
}

fn describe<E: ProvideErrorMetadata + std::fmt::Debug>(e: &aws_sdk_s3::error::SdkError<E>) -> String {
    match e.as_service_error() {
        Some(s) => format!("{}: {}", s.code().unwrap_or("error"), s.message().unwrap_or("")),
        None => format!("{e:?}").chars().take(300).collect(),
    }
}

impl Store for S3Store {
    fn info(&self) -> StorageInfo {
        StorageInfo {
            kind: "s3".into(),
            lock_mode: self.settings.lock_mode.clone(),
            legal_hold: self.settings.legal_hold,
        }
    }

    fn location(&self) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.settings.prefix)
    }

    fn lock(&self, _tenant: &str) -> Result<Box<dyn std::any::Any>> {
        // No cross-machine lock on S3: the chain entry's conditional create is the guard.
        Ok(Box::new(()))
    }

    fn create(&self, key: &str, bytes: &[u8], retain_until: &str) -> Result<Created> {
        self.create_with(key, bytes, retain_until, &ObjectOptions::default())
    }

    fn create_with(&self, key: &str, bytes: &[u8], retain_until: &str, opts: &ObjectOptions) -> Result<Created> {
        let until = time::OffsetDateTime::parse(retain_until, &time::format_description::well_known::Rfc3339)
            .map_err(|e| s3_error("retain-until date", e))?;
        let mode = ObjectLockMode::from(self.settings.lock_mode.as_str());
        let mut put = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(self.full(key))
            .body(ByteStream::from(bytes.to_vec()))
            .if_none_match("*")
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .object_lock_mode(mode)
            .object_lock_retain_until_date(DateTime::from_secs(until.unix_timestamp()));
        if self.settings.legal_hold || opts.legal_hold {
            put = put.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
        }
        for (k, v) in &opts.metadata {
            put = put.metadata(k, v);
        }
        if let Some(k) = &self.settings.kms_key_id {
            put = put.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id(k);
        }
        match self.runtime.block_on(put.send()) {
            Ok(_) => Ok(Created::Written),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if status == Some(412) || e.as_service_error().and_then(|s| s.code()) == Some("PreconditionFailed") {
                    Ok(Created::Exists)
                } else {
                    Err(s3_error(&format!("put {key}"), describe(&e)))
                }
            }
        }
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let got =
            self.runtime.block_on(self.client.get_object().bucket(&self.settings.bucket).key(self.full(key)).send());
        match got {
            Ok(out) => {
                let data =
                    self.runtime.block_on(out.body.collect()).map_err(|e| s3_error(&format!("read {key}"), e))?;
                Ok(Some(data.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(s3_error(&format!("get {key}"), describe(&e))),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let full_prefix = match (prefix.is_empty(), self.settings.prefix.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!("{}/", self.settings.prefix),
            (false, _) => format!("{}/", self.full(prefix.trim_end_matches('/'))),
        };
        let mut token = None;
        loop {
            let mut req = self.client.list_objects_v2().bucket(&self.settings.bucket).prefix(&full_prefix);
            if let Some(t) = token.take() {
                req = req.continuation_token(t);
            }
            let out = self.runtime.block_on(req.send()).map_err(|e| s3_error("list", describe(&e)))?;
            keys.extend(out.contents().iter().filter_map(|o| o.key()).map(|k| self.relative(k)));
            match out.next_continuation_token() {
                Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn versions(&self, key: &str) -> Result<usize> {
        let full = self.full(key);
        let mut count = 0;
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let mut req = self.client.list_object_versions().bucket(&self.settings.bucket).prefix(&full);
            if let Some(k) = key_marker.take() {
                req = req.key_marker(k);
            }
            if let Some(v) = version_marker.take() {
                req = req.version_id_marker(v);
            }
            let out = self.runtime.block_on(req.send()).map_err(|e| s3_error("list versions", describe(&e)))?;
            count += out.versions().iter().filter(|v| v.key() == Some(full.as_str())).count();
            count += out.delete_markers().iter().filter(|m| m.key() == Some(full.as_str())).count();
            if out.is_truncated() != Some(true) {
                break;
            }
            key_marker = out.next_key_marker().map(str::to_string);
            version_marker = out.next_version_id_marker().map(str::to_string);
        }
        Ok(count)
    }
}
