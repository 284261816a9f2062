//! The jobs that put evidence into a store: the daily job ([`daily`]: check → evidence
//! package → store → verify), audit-log pulls ([`audit`]) and forensic collections
//! ([`forensics`]), each over the configuration ([`crate::config`]) with its flags applied.
//! What they share is here: opening the store, the signing key, a tenant's credentials.

pub mod audit;
pub mod daily;
pub mod forensics;

use crate::config::{Config, StoreKind};
use crate::error::{Error, Result};
use crate::evidence::store::{LocalStore, S3Settings, S3Store, Store};
use crate::evidence::Signer25519;
use std::path::PathBuf;

/// Where evidence goes and what signs it, as one invocation's flags give them.
#[derive(Debug, Clone, Default)]
pub struct StoreFlags {
    /// `--store`: a local directory or `s3://bucket/prefix`.
    pub store: Option<String>,
    /// S3 settings given as flags, applied over the config's `[store.s3]`.
    pub s3: S3Overrides,
    /// `--signing-key`.
    pub signing_key: Option<PathBuf>,
}

/// S3 settings from flags.
#[derive(Debug, Clone, Default)]
pub struct S3Overrides {
    /// `--s3-endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--s3-region`.
    pub region: Option<String>,
    /// `--s3-path-style`.
    pub path_style: bool,
    /// `--s3-lock-mode`.
    pub lock_mode: Option<String>,
    /// `--s3-legal-hold`.
    pub legal_hold: bool,
    /// `--s3-kms-key-id`.
    pub kms_key_id: Option<String>,
}

impl S3Overrides {
    /// Applies the flags to `s`.
    pub fn apply(&self, mut s: S3Settings) -> S3Settings {
        if let Some(u) = &self.endpoint_url {
            s.endpoint_url = Some(u.clone());
        }
        if let Some(r) = &self.region {
            s.region = Some(r.clone());
        }
        s.force_path_style |= self.path_style;
        if let Some(m) = &self.lock_mode {
            s.lock_mode = m.clone();
        }
        s.legal_hold |= self.legal_hold;
        if let Some(k) = &self.kms_key_id {
            s.kms_key_id = Some(k.clone());
        }
        s
    }
}

/// Opens the store a `--store` value or a config names.
pub fn open_store_url(url: &str, base: Option<&S3Settings>, flags: &S3Overrides) -> Result<Box<dyn Store>> {
    if url.starts_with("s3://") {
        let from_url = S3Settings::from_url(url)
            .ok_or_else(|| Error::Usage { message: format!("{url:?} is not s3://bucket/prefix"), help: None })?;
        let settings = match base {
            Some(b) => S3Settings { bucket: from_url.bucket, prefix: from_url.prefix, ..b.clone() },
            None => from_url,
        };
        return Ok(Box::new(S3Store::open(flags.apply(settings))?));
    }
    Ok(Box::new(LocalStore::new(url)))
}

/// The store the flags or the config name.
pub(crate) fn open_store(config: &Config, o: &StoreFlags) -> Result<Box<dyn Store>> {
    if let Some(url) = &o.store {
        return open_store_url(url, config.store.s3.as_ref(), &o.s3);
    }
    match (config.store.kind, &config.store.path) {
        (StoreKind::Local, Some(p)) => Ok(Box::new(LocalStore::new(p))),
        (StoreKind::S3, _) => match &config.store.s3 {
            Some(s3) => Ok(Box::new(S3Store::open(o.s3.apply(s3.clone()))?)),
            None => Err(Error::Usage {
                message: "store.kind is s3 but there is no [store.s3] section".into(),
                help: Some("give bucket (and prefix, lock_mode, ...) under [store.s3]".into()),
            }),
        },
        _ => Err(Error::Usage {
            message: "no evidence store: give --store DIR|s3://bucket/prefix or store.path in the config".into(),
            help: None,
        }),
    }
}

/// The signing key the flags or the config name.
pub(crate) fn signing_key(config: &Config, o: &StoreFlags) -> Result<Signer25519> {
    if let Some(p) = &o.signing_key {
        return Signer25519::from_file(p);
    }
    if let Some(p) = &config.signing.key_file {
        return Signer25519::from_file(p);
    }
    let var = config.signing.key_env.clone().unwrap_or_else(|| "DRIFTGATE_SIGNING_KEY".into());
    if std::env::var_os(&var).is_some() {
        return Signer25519::from_env(&var);
    }
    Err(Error::Credentials {
        message: "no signing key: evidence is always signed".into(),
        help: Some(format!(
            "create one with `driftgate evidence keygen --out DIR`, then pass --signing-key DIR/driftgate.key, set signing.key_file, or put the key in ${var}"
        )),
    })
}
