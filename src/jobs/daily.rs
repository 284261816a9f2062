//! The daily job: for one tenant or every tenant of the config, check → signed evidence
//! package → store → witness → verify, then alerts. Evidence is written whatever the gate says.

use super::{open_store, signing_key, StoreFlags};
use crate::audit::archive::Trust;
use crate::baseline::BaselineSource;
use crate::check::{run_check_with, AuditArchive, BaselineChoice, CheckOptions, CheckRun};
use crate::config::{Config, TenantConfig};
use crate::error::{Error, Result};
use crate::evidence::store::Store;
use crate::evidence::{verify_store, write_package, PackageInput, Signer25519, VerifyOptions, Written};
use crate::report::{renderer, GateResult};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// What one invocation overrides.
#[derive(Debug, Clone, Default)]
pub struct RunOverrides {
    /// `--snapshot`.
    pub snapshot: Option<PathBuf>,
    /// `--store`, the S3 flags and `--signing-key`.
    pub store: StoreFlags,
    /// `--policies`.
    pub policies: Option<PathBuf>,
    /// `--bundle-public-key` (with its algorithm and scope), instead of the config's.
    pub bundle_verification: Option<crate::policy::signing::Verification>,
    /// `--baseline`.
    pub baseline: Option<String>,
    /// `--tenant`.
    pub tenant: Option<String>,
    /// `--retention-days`.
    pub retention_days: Option<u32>,
    /// `--alert KIND=URL`, added to the config's sinks.
    pub alerts: Vec<crate::alert::AlertConfig>,
    /// `--witness FILE`, added to the config's witnesses.
    pub witness: Vec<PathBuf>,
    /// `--audit-store`: attribute the drift from this store's audit stream instead of the
    /// run's own store's.
    pub audit_store: Option<String>,
    /// `--audit-public-key`: the key that store's batches must be signed with.
    pub audit_public_key: Option<crate::evidence::PublicKey>,
}

/// One tenant's outcome.
#[derive(Debug)]
pub struct TenantRun {
    /// Tenant.
    pub tenant: String,
    /// The check.
    pub check: CheckRun,
    /// The rendered text report, when `text` is among the formats.
    pub text: Option<String>,
    /// The package.
    pub written: Written,
    /// The store's verdict on the tenant's chain after the write.
    pub verified: crate::evidence::VerifyReport,
}

/// Sends the alerts of a run whose evidence is already stored, records the outcomes in the
/// report, and keeps an operational log of them in the store (`<tenant>/alerts/<run>.json`,
/// outside the evidence chain: the package was sealed before the alerts went out).
fn alert(
    config: &Config,
    o: &RunOverrides,
    store: &dyn Store,
    signer: &Signer25519,
    run: &mut TenantRun,
    retain: &str,
) -> Result<()> {
    let sinks: Vec<_> = config.alerts.iter().chain(&o.alerts).cloned().collect();
    if sinks.is_empty() {
        return Ok(());
    }
    let report = &mut run.check.report;
    report.alerts = crate::alert::send_alerts(report, &sinks);
    let log = json!({
        "run_id": report.run.id,
        "manifest": run.written.manifest_key,
        "sent_at": crate::clock::rfc3339(time::OffsetDateTime::now_utc()),
        "alerts": report.alerts,
    });
    let key = format!("{}/alerts/{}.json", run.tenant, report.run.id);
    store.create(&key, &crate::evidence::manifest::signed_record(signer, log), retain)?;
    Ok(())
}

/// Runs the daily job for every selected tenant. A tenant whose job cannot be done stops
/// the run with its error (evidence already written for earlier tenants stays).
pub fn run(config: &Config, o: &RunOverrides) -> Result<Vec<TenantRun>> {
    let store = open_store(config, &o.store)?;
    let key = signing_key(config, &o.store)?;
    let tenants = select_tenants(config, o)?;
    let mut out = Vec::new();
    for t in tenants {
        let mut r = run_tenant(config, o, &t, store.as_ref(), &key)?;
        let retain = crate::clock::rfc3339(
            time::OffsetDateTime::now_utc()
                + time::Duration::days(i64::from(o.retention_days.unwrap_or(config.store.retention_days))),
        );
        alert(config, o, store.as_ref(), &key, &mut r, &retain)?;
        out.push(r);
    }
    Ok(out)
}

/// The overall exit code: 2 when a chain failed verification, 1 when a gate failed.
pub fn exit_code(runs: &[TenantRun]) -> u8 {
    if runs.iter().any(|r| !r.verified.ok()) {
        2
    } else if runs.iter().any(|r| r.check.report.gate.result == GateResult::Fail) {
        1
    } else {
        0
    }
}

fn select_tenants(config: &Config, o: &RunOverrides) -> Result<Vec<TenantConfig>> {
    let mut tenants = config.tenants.clone();
    if let Some(want) = &o.tenant {
        tenants.retain(|t| &t.name == want);
        if tenants.is_empty() && o.snapshot.is_none() {
            return Err(Error::Usage { message: format!("tenant {want} is not in the config"), help: None });
        }
    }
    if let Some(snap) = &o.snapshot {
        // A one-off run of one snapshot: the tenant comes from the snapshot itself.
        let s = crate::snapshot::Snapshot::from_file(snap)?;
        let from_config = tenants.iter().find(|t| t.name == s.metadata.tenant).cloned();
        if tenants.len() > 1 && o.tenant.is_none() {
            return Err(Error::Usage {
                message: "--snapshot with a config of several tenants needs --tenant".into(),
                help: None,
            });
        }
        let mut t = match from_config {
            Some(t) => t,
            None => TenantConfig {
                region: s.metadata.region.clone(),
                ..TenantConfig::named(&s.metadata.tenant, crate::platform::Platform::from_name(&s.metadata.platform)?)
            },
        };
        t.snapshot = Some(snap.clone());
        return Ok(vec![t]);
    }
    if tenants.is_empty() {
        return Err(Error::Usage {
            message: "no tenants: give --snapshot FILE or [[tenants]] in the config".into(),
            help: None,
        });
    }
    Ok(tenants)
}

/// Collects a tenant's snapshot from its platform's API, with the credentials its config names.
fn collect_tenant(t: &TenantConfig) -> Result<crate::snapshot::Snapshot> {
    let opts = t.collect_options()?;
    eprintln!("driftgate: collecting tenant {} from {}", t.name, t.platform);
    crate::collect::collect(&opts)
}

fn run_tenant(
    config: &Config,
    o: &RunOverrides,
    t: &TenantConfig,
    store: &dyn Store,
    key: &Signer25519,
) -> Result<TenantRun> {
    let (mut opts, source) = match &t.snapshot {
        Some(p) => (CheckOptions::new(p), p.display().to_string()),
        None => {
            let collected = collect_tenant(t)?;
            let source = collected.metadata.extra.get("api_base_url").and_then(Value::as_str).unwrap_or("").to_string();
            let mut opts = CheckOptions::new(format!("<collected from {source}>"));
            opts.collected = Some(collected);
            (opts, source)
        }
    };
    opts.policies = o.policies.clone().unwrap_or_else(|| config.check.policies.clone());
    opts.bundle_verification = match &o.bundle_verification {
        Some(v) => Some(v.clone()),
        None => config.check.bundle_verification()?,
    };
    opts.baseline = match o.baseline.as_ref().or(t.baseline.as_ref()) {
        Some(b) => BaselineChoice::Given(BaselineSource::parse(b)?),
        None => BaselineChoice::Auto(config.check.baselines.clone()),
    };
    opts.fail_on = config.check.fail_on.clone();
    // The audit stream's checkpoint, for the audit-lag rule (CC7.2).
    if let Some(cp) = crate::audit::read_checkpoint(store, &t.name)? {
        opts.run_context.insert(
            "audit".into(),
            json!({"checkpoint": cp.checkpoint, "last_success": cp.written_at, "stream": crate::audit::stream(&t.name)}),
        );
    }
    // The tenant's previous run, and how long items have stayed quarantined, for the
    // monitoring rules (CC7.1): from the chain's newest packages.
    let chain = crate::evidence::verify::load_chain_tail(store, &t.name, QUARANTINE_LOOKBACK)?;
    let (previous, history) = chain_context(store, &chain)?;
    opts.run_context.insert("previous_run".into(), previous);
    opts.run_context.insert("quarantine_history".into(), history);
    opts.policy_timeout = Duration::from_secs(config.check.policy_timeout_secs.max(1));
    // Attribution: from --audit-store, else from the run's own store when it holds the
    // tenant's audit stream (its batches are signed with the run's own key).
    let other = o.audit_store.as_deref().map(|u| super::open_store_url(u, None, &o.store.s3.clone())).transpose()?;
    let audit = match &other {
        Some(s) => Some(AuditArchive {
            store: s.as_ref(),
            trust: o.audit_public_key.clone().map_or(Trust::Store, Trust::Pinned),
        }),
        None if !store.list(&format!("{}/chain/", crate::audit::stream(&t.name)))?.is_empty() => {
            Some(AuditArchive { store, trust: Trust::Pinned(key.public()) })
        }
        None => None,
    };
    let check = run_check_with(&opts, audit)?;
    let report = &check.report;

    let mut formats = vec!["json".to_string()];
    formats.extend(config.check.formats.iter().filter(|f| *f != "json").cloned());
    let rendered: Vec<(&str, &str, String)> =
        formats.iter().filter_map(|f| renderer(f)).map(|r| (r.name(), r.file_name(), r.render(report))).collect();
    let text = rendered.iter().find(|(format, ..)| *format == "text").map(|(.., t)| t.clone());
    let files = crate::evidence::daily_package_files(
        &check,
        rendered.into_iter().map(|(_, name, t)| (name.to_string(), t.into_bytes())),
    )?;
    let meta = &check.normalized.metadata;
    let input = PackageInput {
        tenant: report.snapshot.tenant.clone(),
        platform: report.snapshot.platform.clone(),
        run_id: report.run.id.clone(),
        collection_id: meta.collection_id.clone().unwrap_or_else(|| report.run.id.clone()),
        files,
        collector: json!({
            "name": meta.extra.get("collector").and_then(|c| c.get("name")).cloned().unwrap_or(json!("snapshot-file")),
            "version": meta.extra.get("collector").and_then(|c| c.get("version")).cloned().unwrap_or(Value::Null),
            "snapshot": source,
            "collected_at": meta.collected_at,
            "service_account_id": meta.service_account_id,
        }),
        endpoints: meta.extra.get("endpoints").cloned().unwrap_or(json!([])),
        record_counts: report.snapshot.resources.clone(),
        snapshot_sha256: report.snapshot.sha256.clone(),
        policy_bundle_sha256: report.policy_bundle.sha256.clone(),
        policy_bundle_revision: report.policy_bundle.revision.clone(),
        baseline_sha256: report.baseline.as_ref().map(|b| b.sha256.clone()),
        retention_days: o.retention_days.unwrap_or(config.store.retention_days),
        object: Default::default(),
        forensic: None,
    };
    let written = write_package(store, key, input, time::OffsetDateTime::now_utc())?;
    crate::evidence::witness::record(&config.witnesses(&o.witness), key, &t.name, &written)?;
    let verified = verify_store(
        store,
        &VerifyOptions { tenant: Some(t.name.clone()), public_key: Some(key.public()), ..Default::default() },
    )?;
    Ok(TenantRun { tenant: t.name.clone(), check, text, written, verified })
}

/// How many of the newest packages the quarantine history looks back over: a month of daily
/// runs, well past any sensible `max_quarantine_days`, so that a standing quarantine costs at
/// most that many `report.json` reads (and none when nothing is quarantined). A longer streak
/// is reported from the oldest package read.
const QUARANTINE_LOOKBACK: usize = 31;

/// A package's manifest, when it matches its chain entry.
fn chain_manifest(
    store: &dyn crate::evidence::store::Store,
    entry: &crate::evidence::ChainEntry,
) -> Result<Option<crate::evidence::Manifest>> {
    let bytes = store.get(&entry.manifest)?.filter(|b| crate::canonical::sha256_hex(b) == entry.manifest_sha256);
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// From the chain's newest entries (oldest first), reading each package at most once:
///
/// - `previous_run`: `{sequence, at}` of the newest package (its manifest's `created_at`), or
///   `{first_run: true}` when the chain is empty. A head whose manifest does not match its
///   chain entry is not trusted: `at` is then null, and the rule has no time to judge (the
///   verify step reports the problem).
/// - `quarantine_history`: for each item quarantined in the newest package, since when it has
///   been quarantined in every package without a break, `{"<type>/<id>": {"since":
///   created_at, "runs": n}}`. A package whose manifest or report.json does not match its
///   hashes ends the look back (nothing is inferred from it).
fn chain_context(
    store: &dyn crate::evidence::store::Store,
    chain: &[crate::evidence::ChainEntry],
) -> Result<(Value, Value)> {
    let Some(head) = chain.last() else {
        return Ok((json!({"first_run": true}), json!({})));
    };
    let mut head_manifest = chain_manifest(store, head)?;
    let previous = json!({"sequence": head.sequence, "at": head_manifest.as_ref().map(|m| &m.created_at)});
    let mut history: std::collections::BTreeMap<String, (String, u64)> = Default::default();
    let mut active: Option<std::collections::BTreeSet<String>> = None;
    for (i, entry) in chain.iter().rev().enumerate() {
        let manifest = if i == 0 { head_manifest.take() } else { chain_manifest(store, entry)? };
        let Some((created_at, keys)) = package_quarantine(store, entry, manifest)? else { break };
        let still: std::collections::BTreeSet<String> = match &active {
            None => keys,
            Some(a) => a.intersection(&keys).cloned().collect(),
        };
        for k in &still {
            let h = history.entry(k.clone()).or_insert_with(|| (created_at.clone(), 0));
            *h = (created_at.clone(), h.1 + 1);
        }
        if still.is_empty() {
            break;
        }
        active = Some(still);
    }
    let history = history.into_iter().map(|(k, (since, runs))| (k, json!({"since": since, "runs": runs}))).collect();
    Ok((previous, Value::Object(history)))
}

/// A package's `created_at` and the `<type>/<id>` of every item its report quarantined,
/// from its (checked) manifest.
fn package_quarantine(
    store: &dyn crate::evidence::store::Store,
    entry: &crate::evidence::ChainEntry,
    manifest: Option<crate::evidence::Manifest>,
) -> Result<Option<(String, std::collections::BTreeSet<String>)>> {
    let Some(m) = manifest else { return Ok(None) };
    let Some(file) = m.files.iter().find(|f| f.path == "report.json") else { return Ok(None) };
    let dir = entry.manifest.trim_end_matches("manifest.json");
    let Some(bytes) =
        store.get(&format!("{dir}report.json"))?.filter(|b| crate::canonical::sha256_hex(b) == file.sha256)
    else {
        return Ok(None);
    };
    let Ok(report) = serde_json::from_slice::<Value>(&bytes) else { return Ok(None) };
    let keys = report["quarantine"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|q| Some(format!("{}/{}", q["resource_type"].as_str()?, q["resource_id"].as_str()?)))
        .collect();
    Ok(Some((m.created_at, keys)))
}
