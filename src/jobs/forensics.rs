//! `driftgate forensics collect` over the configuration: one incident package for one
//! tenant; the collection itself is [`crate::forensics`].

use super::audit::{audit_api, AuditOverrides};
use super::{open_store, signing_key};
use crate::config::Config;
use crate::error::{Error, Result};

/// What `driftgate forensics collect` asks for, beyond the tenant and the store.
#[derive(Debug, Clone)]
pub struct IncidentRequest {
    /// Incident id.
    pub incident: String,
    /// The subject's user id.
    pub subject: String,
    /// An OAuth client involved.
    pub client: Option<String>,
    /// An address involved.
    pub ip: Option<String>,
    /// Window start.
    pub from: time::OffsetDateTime,
    /// Window end.
    pub to: time::OffsetDateTime,
    /// `age` recipients.
    pub recipients: Vec<String>,
    /// Apply the audit masking to the audit artifacts.
    pub mask: bool,
    /// Who collects.
    pub collected_by: String,
}

/// `driftgate forensics collect`: one incident package for one tenant.
pub fn forensics_collect(
    config: &Config,
    o: &AuditOverrides,
    req: &IncidentRequest,
) -> Result<crate::forensics::ForensicOutcome> {
    let tenants = o.tenants(config)?;
    let [t] = tenants.as_slice() else {
        return Err(Error::Usage {
            message: "forensic collection is for one tenant: give --tenant".into(),
            help: None,
        });
    };
    if !t.platform.has_audit_api() {
        return Err(t.platform.no_audit_api(&t.name));
    }
    crate::forensics::parse_recipients(&req.recipients)?;
    let store = open_store(config, &o.store)?;
    let key = signing_key(config, &o.store)?;
    let masker = if req.mask { Some(config.audit.masker()?) } else { None };
    let api = audit_api(t)?;
    let snapshot_from = crate::collect::CollectOptions {
        resources: Vec::new(),
        settle_minutes: None,
        progress: false,
        ..t.collect_options()?
    };
    let opts = crate::forensics::ForensicOptions {
        tenant: t.name.clone(),
        platform: t.platform,
        incident: req.incident.clone(),
        subject: req.subject.clone(),
        client: req.client.clone(),
        ip: req.ip.clone(),
        from: req.from,
        to: req.to,
        recipients: req.recipients.clone(),
        collected_by: req.collected_by.clone(),
        retention_days: config.store.retention_days,
        interval_hours: config.audit.interval_hours,
        platform_retention_days: config.audit.platform_retention_days,
        polling: Default::default(),
        witness: config.witnesses(&o.witness),
    };
    crate::forensics::collect_incident(
        &api,
        &snapshot_from,
        store.as_ref(),
        &key,
        masker.as_ref(),
        &opts,
        time::OffsetDateTime::now_utc(),
    )
}
