//! `driftgate audit pull|status` over the configuration: which tenants, their credentials,
//! the store and the witnesses; the pull itself is [`crate::audit`].

use super::{open_store, signing_key, StoreFlags};
use crate::config::{Config, CredentialsConfig, TenantConfig};
use crate::error::{Error, Result};
use crate::platform::Platform;
use std::path::PathBuf;

/// Flags of `driftgate audit pull|status` over the config.
#[derive(Debug, Clone, Default)]
pub struct AuditOverrides {
    /// `--tenant`.
    pub tenant: Option<String>,
    /// `--platform` (a tenant given by flags alone).
    pub platform: Option<Platform>,
    /// `--region`.
    pub region: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--auth-url`.
    pub auth_url: Option<String>,
    /// `--credentials-file`.
    pub credentials_file: Option<PathBuf>,
    /// `--store`, the S3 flags and `--signing-key`.
    pub store: StoreFlags,
    /// `--since`.
    pub since: Option<time::OffsetDateTime>,
    /// `--until`.
    pub until: Option<time::OffsetDateTime>,
    /// `--backfill`.
    pub backfill: bool,
    /// `--witness FILE`, added to the config's witnesses.
    pub witness: Vec<PathBuf>,
}

impl AuditOverrides {
    /// The tenants to work on: the config's (or the one `--tenant` names), with the flags
    /// applied; or the one the flags describe.
    pub(crate) fn tenants(&self, config: &Config) -> Result<Vec<TenantConfig>> {
        let mut tenants = config.tenants.clone();
        if let Some(want) = &self.tenant {
            tenants.retain(|t| &t.name == want);
            if tenants.is_empty() {
                let platform = self.platform.ok_or_else(|| Error::Usage {
                    message: format!("tenant {want} is not in the config"),
                    help: Some("add it to the config, or describe it with --platform and --region/--base-url".into()),
                })?;
                crate::snapshot::validate_tenant_name(want)
                    .map_err(|why| Error::Usage { message: format!("tenant {want:?} {why}"), help: None })?;
                tenants.push(TenantConfig::named(want, platform));
            }
        }
        if tenants.is_empty() {
            return Err(Error::Usage {
                message: "no tenant: give --tenant (with --platform) or [[tenants]] in the config".into(),
                help: None,
            });
        }
        for t in &mut tenants {
            if let Some(p) = self.platform {
                t.platform = p;
            }
            if self.region.is_some() {
                t.region = self.region.clone();
            }
            if self.base_url.is_some() {
                t.base_url = self.base_url.clone();
            }
            if self.auth_url.is_some() {
                t.auth_url = self.auth_url.clone();
            }
            if let Some(f) = &self.credentials_file {
                t.credentials = Some(CredentialsConfig { secret_file: Some(f.clone()), ..Default::default() });
            }
        }
        Ok(tenants)
    }
}

/// The API client of a tenant whose platform has an audit query API (the audit query flow
/// is Genesys Cloud's).
pub(crate) fn audit_api(t: &TenantConfig) -> Result<crate::collect::api::ApiClient> {
    match t.auth()? {
        crate::collect::api::Auth::ClientCredentials(c) if t.platform.has_audit_api() => {
            crate::collect::connect(t.region.as_deref(), t.base_url.as_deref(), t.auth_url.as_deref(), c)
        }
        _ => Err(t.platform.no_audit_api(&t.name)),
    }
}

/// `driftgate audit pull`: the audit delta of every selected tenant into the store.
pub fn audit_pull(config: &Config, o: &AuditOverrides) -> Result<Vec<crate::audit::PullOutcome>> {
    let tenants = o.tenants(config)?;
    if let (Some(t), Some(_)) = (tenants.iter().find(|t| !t.platform.has_audit_api()), &o.tenant) {
        return Err(t.platform.no_audit_api(&t.name));
    }
    let store = open_store(config, &o.store)?;
    let key = signing_key(config, &o.store)?;
    let masker = config.audit.masker()?;
    let mut out = Vec::new();
    for t in tenants {
        if !t.platform.has_audit_api() {
            eprintln!("driftgate: skipping tenant {} ({}): it has no audit query API", t.name, t.platform);
            continue;
        }
        let api = audit_api(&t)?;
        let opts = crate::audit::PullOptions {
            tenant: t.name.clone(),
            platform: t.platform,
            since: o.since,
            until: o.until,
            backfill: o.backfill,
            config: config.audit.clone(),
            retention_days: config.store.retention_days,
            polling: Default::default(),
            alerts: config.alerts.clone(),
            witness: config.witnesses(&o.witness),
        };
        out.push(crate::audit::pull(&api, store.as_ref(), &key, &masker, &opts, time::OffsetDateTime::now_utc())?);
    }
    Ok(out)
}

/// `driftgate audit status`: every selected tenant's audit stream, or every stream in the
/// store when the config names no tenant.
pub fn audit_status(config: &Config, o: &AuditOverrides) -> Result<Vec<crate::audit::StreamStatus>> {
    let store = open_store(config, &o.store)?;
    let names: Vec<String> = match (&o.tenant, config.tenants.is_empty()) {
        (Some(t), _) => {
            if let Some(c) = config.tenants.iter().find(|c| &c.name == t && !c.platform.has_audit_api()) {
                return Err(c.platform.no_audit_api(&c.name));
            }
            vec![t.clone()]
        }
        // Tenants on a platform without an audit query API have no audit stream to report on.
        (None, false) => config.tenants.iter().filter(|t| t.platform.has_audit_api()).map(|t| t.name.clone()).collect(),
        (None, true) => {
            let mut n: Vec<String> = store
                .list("")?
                .iter()
                .filter_map(|k| k.split_once('/').map(|(t, _)| t.to_string()))
                .filter_map(|t| t.strip_suffix(".audit").map(str::to_string))
                .collect();
            n.dedup();
            n
        }
    };
    let now = time::OffsetDateTime::now_utc();
    names.iter().map(|t| crate::audit::status(store.as_ref(), t, &config.audit, now)).collect()
}
