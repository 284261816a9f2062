//! Continuous audit-log delta (`driftgate audit pull`): from the tenant's checkpoint minus an
//! overlap window to now, in day-sized intervals, every audit event is queried, minimized
//! and masked as its page arrives, deduplicated against what the store already holds, and
//! written as one NDJSON batch per interval: an evidence package, signed and chained like
//! snapshots in the tenant's audit stream `<tenant>.audit`. Only then does the checkpoint
//! move. A crash anywhere loses nothing (the checkpoint has not moved) and duplicates nothing
//! (the next pull drops what the stored batches already hold).

pub mod archive;
pub mod attribution;
pub mod mask;
pub mod query;
pub mod search;

use crate::alert::AlertConfig;
use crate::canonical;
use crate::collect::api::ApiClient;
use crate::error::{Error, Result};
use crate::evidence::store::{Created, Store};
use crate::evidence::{PackageInput, Signer25519};
use mask::{MaskPattern, MaskStats, Masker};
use query::{Polling, QueryRecord};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `[audit]` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Re-read this much before the checkpoint (late events), in minutes.
    pub overlap_minutes: u64,
    /// Interval length of one query and one batch, in hours.
    pub interval_hours: u64,
    /// Audit services to query one by one (default: one query for all services).
    pub services: Vec<String>,
    /// The fields an event keeps (dotted paths; default [`mask::DEFAULT_FIELDS`]).
    pub fields: Vec<String>,
    /// Intervals one pull reads without `--backfill`.
    pub max_intervals: usize,
    /// Pause between intervals in a backfill, in milliseconds.
    pub backfill_pause_ms: u64,
    /// How far back the first pull (no checkpoint yet) reads, in hours.
    pub first_pull_hours: u64,
    /// How long the platform keeps audit events (Genesys Cloud: 365 days).
    pub platform_retention_days: u64,
    /// Warn this many days before events pass the platform's retention.
    pub retention_margin_days: u64,
    /// Environment variable with the masking key (default `DRIFTGATE_MASK_KEY`).
    pub mask_key_env: Option<String>,
    /// A file with the masking key.
    pub mask_key_file: Option<PathBuf>,
    /// Extra patterns to pseudonymize.
    pub mask_patterns: Vec<MaskPattern>,
    /// Where batches are also sent (`splunk` or `webhook`).
    pub sinks: Vec<AlertConfig>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            overlap_minutes: 120,
            interval_hours: 24,
            services: Vec::new(),
            fields: Vec::new(),
            max_intervals: 7,
            backfill_pause_ms: 2000,
            first_pull_hours: 24,
            platform_retention_days: 365,
            retention_margin_days: 30,
            mask_key_env: None,
            mask_key_file: None,
            mask_patterns: Vec::new(),
            sinks: Vec::new(),
        }
    }
}

impl AuditConfig {
    /// Checks values a pull depends on.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Usage { message: format!("[audit] {m}"), help: None });
        if self.interval_hours == 0 || self.interval_hours > 24 * 31 {
            return bad("interval_hours must be 1..744");
        }
        if self.max_intervals == 0 {
            return bad("max_intervals must be at least 1");
        }
        if self.retention_margin_days >= self.platform_retention_days {
            return bad("retention_margin_days must be less than platform_retention_days");
        }
        for s in &self.sinks {
            s.validate()?;
            if !matches!(s.kind, crate::alert::SinkKind::Splunk | crate::alert::SinkKind::Webhook) {
                return bad(&format!("sink kind {}: audit batches go to splunk or webhook", s.kind));
            }
        }
        Ok(())
    }

    /// The masker of this configuration, with its key.
    pub fn masker(&self) -> Result<Masker> {
        let key = match &self.mask_key_file {
            Some(p) => mask::MaskKey::from_file(p)?,
            None => mask::MaskKey::from_env(self.mask_key_env.as_deref().unwrap_or("DRIFTGATE_MASK_KEY"))?,
        };
        Masker::new(key, &self.fields, &self.mask_patterns)
    }
}

/// The store prefix (and chain) of a tenant's audit batches.
pub fn stream(tenant: &str) -> String {
    format!("{tenant}.audit")
}

/// The durable checkpoint: every event before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// UTC, RFC 3339.
    pub checkpoint: String,
    /// The batch whose storing moved it.
    pub batch_manifest: String,
    /// That batch's sequence in the audit stream.
    pub batch_sequence: u64,
    /// When it was written.
    pub written_at: String,
}

/// The newest checkpoint of a tenant (checkpoints are create-once files in the store,
/// `<tenant>.audit/checkpoints/<sequence>.json`; the latest in time wins).
pub fn read_checkpoint(store: &dyn Store, tenant: &str) -> Result<Option<Checkpoint>> {
    let mut best: Option<(OffsetDateTime, Checkpoint)> = None;
    for k in store.list(&format!("{}/checkpoints/", stream(tenant)))? {
        if !k.ends_with(".json") {
            continue;
        }
        let bytes = store.get(&k)?.unwrap_or_default();
        let cp: Checkpoint = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
            path: k.clone().into(),
            message: format!("unreadable checkpoint: {e}"),
            help: None,
        })?;
        let t = parse_time(&cp.checkpoint, &k)?;
        if best.as_ref().is_none_or(|(b, _)| t > *b) {
            best = Some((t, cp));
        }
    }
    Ok(best.map(|(_, c)| c))
}

fn write_checkpoint(
    store: &dyn Store,
    signer: &Signer25519,
    tenant: &str,
    cp: &Checkpoint,
    retain: &str,
) -> Result<()> {
    let key = format!("{}/checkpoints/{:010}.json", stream(tenant), cp.batch_sequence);
    let bytes = crate::evidence::manifest::signed_record(signer, serde_json::to_value(cp).unwrap_or(Value::Null));
    match store.create(&key, &bytes, retain)? {
        Created::Written => Ok(()),
        Created::Exists => Err(Error::Conflict {
            message: format!("checkpoint {key} already exists: another pull of tenant {tenant} ran at the same time"),
            help: Some("run one pull per tenant at a time; the next pull continues correctly".into()),
        }),
    }
}

fn parse_time(s: &str, what: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| Error::Usage {
        message: format!("{what}: {s:?} is not an RFC 3339 time: {e}"),
        help: Some("e.g. 2026-11-22T00:00:00Z".into()),
    })
}

/// Parses an RFC 3339 time from a flag.
pub fn parse_flag_time(s: &str, flag: &str) -> Result<OffsetDateTime> {
    parse_time(s, flag)
}

/// One stored batch, as the chain names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRef {
    /// Interval start.
    pub from: OffsetDateTime,
    /// Interval end.
    pub to: OffsetDateTime,
    /// Its manifest.
    pub manifest_key: String,
    /// Its sequence in the stream.
    pub sequence: u64,
}

/// Every committed batch of a tenant's audit stream.
pub fn batches(store: &dyn Store, tenant: &str) -> Result<Vec<BatchRef>> {
    let mut out = Vec::new();
    for e in crate::evidence::verify::load_chain(store, &stream(tenant))? {
        let dir = e.manifest.trim_end_matches("/manifest.json");
        let name = dir.rsplit('/').next().unwrap_or("");
        let base = name.split('.').next().unwrap_or(name);
        let mut parts = base.strip_prefix("audit-").unwrap_or("").split('-');
        if let (Some(a), Some(b)) =
            (parts.next().and_then(crate::clock::parse_stamp), parts.next().and_then(crate::clock::parse_stamp))
        {
            out.push(BatchRef { from: a, to: b, manifest_key: e.manifest.clone(), sequence: e.sequence });
        }
    }
    Ok(out)
}

/// What one pull is asked to do.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Tenant.
    pub tenant: String,
    /// Platform (`genesys-cloud`).
    pub platform: crate::platform::Platform,
    /// Start here instead of at the checkpoint minus the overlap.
    pub since: Option<OffsetDateTime>,
    /// End here instead of now.
    pub until: Option<OffsetDateTime>,
    /// Read every interval up to now, pausing between them.
    pub backfill: bool,
    /// `[audit]`.
    pub config: AuditConfig,
    /// Evidence retention in days.
    pub retention_days: u32,
    /// Query polling.
    pub polling: Polling,
    /// Sinks that hear about the retention guard.
    pub alerts: Vec<AlertConfig>,
    /// Where each new head of the audit stream is recorded.
    pub witness: Vec<crate::evidence::WitnessConfig>,
}

/// One stored batch of this pull.
#[derive(Debug, Clone, Serialize)]
pub struct BatchOutcome {
    /// Interval start.
    pub from: String,
    /// Interval end.
    pub to: String,
    /// Events the platform returned.
    pub received: usize,
    /// Events written (new, or changed since stored).
    pub written: usize,
    /// Events already stored, dropped.
    pub duplicates: usize,
    /// Events stored before with other content, written again.
    pub revisions: usize,
    /// Sequence in the audit stream.
    pub sequence: u64,
    /// The batch's manifest.
    pub manifest_key: String,
}

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PullOutcome {
    /// Tenant.
    pub tenant: String,
    /// Checkpoint before.
    pub checkpoint_before: Option<String>,
    /// Checkpoint after.
    pub checkpoint_after: Option<String>,
    /// Batches stored.
    pub batches: Vec<BatchOutcome>,
    /// Intervals left for later pulls (without `--backfill`).
    pub intervals_left: usize,
    /// Things a person should know (retention guard, failed sinks).
    pub warnings: Vec<String>,
}

/// Pulls a tenant's audit delta into the store.
pub fn pull(
    api: &ApiClient,
    store: &dyn Store,
    key: &Signer25519,
    masker: &Masker,
    opts: &PullOptions,
    now: OffsetDateTime,
) -> Result<PullOutcome> {
    if !opts.platform.has_audit_api() {
        return Err(Error::Usage {
            message: format!("audit pull from {} is not built yet", opts.platform),
            help: Some("audit pull reads the Genesys Cloud audit API".into()),
        });
    }
    opts.config.validate()?;
    let stream = stream(&opts.tenant);
    crate::snapshot::validate_tenant_name(&opts.tenant)
        .map_err(|why| Error::Usage { message: format!("tenant {:?} {why}", opts.tenant), help: None })?;
    // One pull per tenant at a time (on S3, the create-once checkpoint is the guard).
    let _lock = store.lock(&format!("{stream}/pull"))?;
    // A batch a crashed pull left complete but uncommitted is committed first, so that its
    // events count as stored.
    crate::evidence::roll_forward(store, key, &stream, opts.retention_days, now)?;

    let cfg = &opts.config;
    let before = read_checkpoint(store, &opts.tenant)?;
    let until = opts.until.unwrap_or(now).min(now);
    let start = match (opts.since, &before) {
        (Some(s), _) => s,
        (None, Some(cp)) => {
            parse_time(&cp.checkpoint, "checkpoint")? - time::Duration::minutes(cfg.overlap_minutes as i64)
        }
        (None, None) => until - time::Duration::hours(cfg.first_pull_hours as i64),
    };
    if start >= until {
        return Err(Error::Usage {
            message: format!(
                "nothing to pull: the interval {}/{} is empty",
                crate::clock::rfc3339(start),
                crate::clock::rfc3339(until)
            ),
            help: Some("--since must be before --until (and before now)".into()),
        });
    }
    let mut out = PullOutcome {
        tenant: opts.tenant.clone(),
        checkpoint_before: before.as_ref().map(|c| c.checkpoint.clone()),
        ..Default::default()
    };

    // Retention guard.
    let usable = time::Duration::days((cfg.platform_retention_days - cfg.retention_margin_days) as i64);
    if start < now - usable {
        let gone = now - time::Duration::days(cfg.platform_retention_days as i64);
        let w = format!(
            "tenant {}: audit collection starts at {}, older than the platform's retention ({} days) minus {} days; \
             events before {} are no longer available",
            opts.tenant,
            crate::clock::rfc3339(start),
            cfg.platform_retention_days,
            cfg.retention_margin_days,
            crate::clock::rfc3339(gone)
        );
        for o in crate::alert::send_notice(&opts.alerts, "audit_retention", &w, &json!({"tenant": opts.tenant})) {
            if o.status == "failed" {
                out.warnings.push(format!("retention alert to {} failed: {}", o.target, o.error.unwrap_or_default()));
            }
        }
        out.warnings.push(w);
    }

    let step = time::Duration::hours(cfg.interval_hours as i64);
    let mut intervals = Vec::new();
    let mut a = start;
    while a < until {
        let b = (a + step).min(until);
        intervals.push((a, b));
        a = b;
    }
    if !opts.backfill && intervals.len() > cfg.max_intervals {
        out.intervals_left = intervals.len() - cfg.max_intervals;
        intervals.truncate(cfg.max_intervals);
    }

    // What the store already holds for these intervals: id → content hashes.
    let mut known: HashMap<String, HashSet<String>> = HashMap::new();
    for b in batches(store, &opts.tenant)? {
        if b.to > start && b.from < until {
            let dir = b.manifest_key.trim_end_matches("manifest.json");
            let bytes = store.get(&format!("{dir}events.ndjson"))?.unwrap_or_default();
            for line in bytes.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
                let id = serde_json::from_slice::<Value>(line)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string))
                    .unwrap_or_default();
                known.entry(id).or_default().insert(canonical::sha256_hex(line));
            }
        }
    }

    let run_id = format!(
        "audit-{}-{}",
        crate::clock::stamp(now),
        &canonical::sha256_hex(format!("{now}{}", std::process::id()).as_bytes())[..8]
    );
    let retain = crate::clock::rfc3339(now + time::Duration::days(i64::from(opts.retention_days)));
    let mut checkpoint = before.as_ref().map(|c| parse_time(&c.checkpoint, "checkpoint")).transpose()?;
    let services: Vec<Option<&str>> =
        if cfg.services.is_empty() { vec![None] } else { cfg.services.iter().map(|s| Some(s.as_str())).collect() };
    let count = intervals.len();
    for (i, (a, b)) in intervals.into_iter().enumerate() {
        let mut stats = MaskStats::default();
        let mut fresh: Vec<(String, String, Vec<u8>)> = Vec::new();
        let (mut received, mut duplicates, mut revisions) = (0usize, 0usize, 0usize);
        let mut queries: Vec<QueryRecord> = Vec::new();
        for service in &services {
            let record = query::run_query(api, a, b, *service, &[], opts.polling, |page| {
                for event in page {
                    received += 1;
                    let event = masker.apply(event, &mut stats);
                    let line = canonical::to_vec(&event);
                    let hash = canonical::sha256_hex(&line);
                    let id = event["id"].as_str().unwrap_or("").to_string();
                    let hashes = known.entry(id.clone()).or_default();
                    if hashes.contains(&hash) {
                        duplicates += 1;
                        continue;
                    }
                    if !hashes.is_empty() {
                        revisions += 1;
                    }
                    hashes.insert(hash);
                    let date = event["eventDate"].as_str().unwrap_or("").to_string();
                    fresh.push((date, id, line));
                }
                Ok(())
            })?;
            queries.push(record);
        }
        fresh.sort();
        let written = store_batch(
            store,
            key,
            &Batch {
                tenant: &opts.tenant,
                platform: opts.platform,
                interval: (a, b),
                run_id: if count > 1 { format!("{run_id}.{}", i + 1) } else { run_id.clone() },
                events: &fresh,
                counts: BatchCounts { received, duplicates, revisions },
                masker,
                stats: &stats,
                queries: &queries,
                checkpoint_before: checkpoint,
                source: json!({"api_base_url": api.base_url()}),
                retention_days: opts.retention_days,
            },
            now,
        )?;
        crate::evidence::witness::record(&opts.witness, key, &stream, &written)?;
        // The batch is durable: now, and only now, the checkpoint may move (never backwards:
        // a re-read of an old window leaves it where it is).
        if checkpoint.is_none_or(|c| b > c) {
            write_checkpoint(
                store,
                key,
                &opts.tenant,
                &Checkpoint {
                    checkpoint: crate::clock::rfc3339(b),
                    batch_manifest: written.manifest_key.clone(),
                    batch_sequence: written.sequence,
                    written_at: crate::clock::rfc3339(OffsetDateTime::now_utc()),
                },
                &retain,
            )?;
            checkpoint = Some(b);
        }
        for w in send_batch(&cfg.sinks, &opts.tenant, &fresh) {
            out.warnings.push(w);
        }
        out.batches.push(BatchOutcome {
            from: crate::clock::rfc3339(a),
            to: crate::clock::rfc3339(b),
            received,
            written: fresh.len(),
            duplicates,
            revisions,
            sequence: written.sequence,
            manifest_key: written.manifest_key,
        });
        if opts.backfill && i + 1 < count {
            std::thread::sleep(Duration::from_millis(cfg.backfill_pause_ms));
        }
    }
    out.checkpoint_after = checkpoint.map(crate::clock::rfc3339);
    Ok(out)
}

/// What the platform returned for an interval, against what the store held.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchCounts {
    /// Events the platform returned.
    pub received: usize,
    /// Events already stored, dropped.
    pub duplicates: usize,
    /// Events stored before with other content.
    pub revisions: usize,
}

/// One interval's new events, to store as a batch.
pub struct Batch<'a> {
    /// Tenant.
    pub tenant: &'a str,
    /// Platform.
    pub platform: crate::platform::Platform,
    /// The interval queried.
    pub interval: (OffsetDateTime, OffsetDateTime),
    /// The package's run id.
    pub run_id: String,
    /// `(eventDate, id, canonical line)` of each event to write, masked; sorted here.
    pub events: &'a [(String, String, Vec<u8>)],
    /// Counts.
    pub counts: BatchCounts,
    /// The masker the events went through.
    pub masker: &'a Masker,
    /// What it masked.
    pub stats: &'a MaskStats,
    /// The queries that read the interval.
    pub queries: &'a [QueryRecord],
    /// The checkpoint before this batch.
    pub checkpoint_before: Option<OffsetDateTime>,
    /// Where the events came from (`{"api_base_url": …}`), for the manifest's collector.
    pub source: Value,
    /// Evidence retention in days.
    pub retention_days: u32,
}

/// Writes one interval's events as a signed, chained batch of the tenant's audit stream
/// (`events.ndjson` sorted by `eventDate` and id, and `batch.json`): what `audit pull` stores
/// for each interval.
pub fn store_batch(
    store: &dyn Store,
    key: &Signer25519,
    batch: &Batch<'_>,
    now: OffsetDateTime,
) -> Result<crate::evidence::Written> {
    let (a, b) = batch.interval;
    let masker = batch.masker;
    let mut events: Vec<&(String, String, Vec<u8>)> = batch.events.iter().collect();
    events.sort();
    let mut ndjson = Vec::new();
    for (_, _, line) in &events {
        ndjson.extend_from_slice(line);
        ndjson.push(b'\n');
    }
    let interval = json!({"from": crate::clock::rfc3339(a), "to": crate::clock::rfc3339(b)});
    let masking = json!({
        "policy": mask::MASK_POLICY_VERSION,
        "key_fingerprint": masker.key_fingerprint(),
        "fields": masker.fields(),
        "extra_patterns": masker.extra_patterns(),
        "masked": batch.stats,
    });
    let c = batch.counts;
    let summary = json!({
        "kind": "driftgate.audit-batch/v1",
        "tenant": batch.tenant,
        "platform": batch.platform,
        "interval": interval,
        "pulled_at": crate::clock::rfc3339(now),
        "checkpoint_before": batch.checkpoint_before.map(crate::clock::rfc3339),
        "events": {"received": c.received, "written": events.len(), "duplicates_dropped": c.duplicates, "revisions": c.revisions},
        "masking": masking,
        "queries": batch.queries,
    });
    let mut files = BTreeMap::new();
    files.insert("events.ndjson".to_string(), ndjson.clone());
    files.insert("batch.json".to_string(), canonical::to_pretty(&summary).into_bytes());
    let mut collector = json!({
        "name": "driftgate-audit-genesys-cloud",
        "version": env!("CARGO_PKG_VERSION"),
        "interval": interval,
        "masking": {"policy": mask::MASK_POLICY_VERSION, "key_fingerprint": masker.key_fingerprint()},
    });
    if let (Some(c), Some(s)) = (collector.as_object_mut(), batch.source.as_object()) {
        for (k, v) in s {
            c.insert(k.clone(), v.clone());
        }
    }
    crate::evidence::write_package(
        store,
        key,
        PackageInput {
            tenant: stream(batch.tenant),
            platform: batch.platform.name().to_string(),
            run_id: batch.run_id.clone(),
            collection_id: format!("audit-{}-{}", crate::clock::stamp(a), crate::clock::stamp(b)),
            files,
            collector,
            endpoints: serde_json::to_value(batch.queries).unwrap_or(Value::Null),
            record_counts: BTreeMap::from([("audit_events".to_string(), events.len())]),
            snapshot_sha256: canonical::sha256_hex(&ndjson),
            policy_bundle_sha256: String::new(),
            policy_bundle_revision: None,
            baseline_sha256: None,
            retention_days: batch.retention_days,
            object: Default::default(),
            forensic: None,
        },
        now,
    )
}

/// Sends a stored batch's events to the sinks; what failed, as warnings. The store is the
/// record: a failed delivery never undoes a batch.
fn send_batch(sinks: &[AlertConfig], tenant: &str, events: &[(String, String, Vec<u8>)]) -> Vec<String> {
    if events.is_empty() {
        return Vec::new();
    }
    let message = crate::alert::Message::AuditEvents { tenant, events };
    sinks
        .iter()
        .map(|s| crate::alert::deliver(s, &message))
        .filter(|o| o.status != "sent")
        .map(|o| {
            let why = o.error.unwrap_or_default();
            match o.attempts {
                0 => format!("{} sink {}: {why}", o.sink, o.target),
                n => format!("{} sink {}: delivery failed after {n} attempt(s): {why}", o.sink, o.target),
            }
        })
        .collect()
}

/// A tenant's audit collection at a glance (`driftgate audit status`).
#[derive(Debug, Clone, Serialize)]
pub struct StreamStatus {
    /// Tenant.
    pub tenant: String,
    /// The checkpoint.
    pub checkpoint: Option<String>,
    /// When the checkpoint last moved.
    pub last_success: Option<String>,
    /// Hours from the checkpoint to now.
    pub lag_hours: Option<f64>,
    /// Batches stored.
    pub batches: usize,
    /// Events stored.
    pub events: u64,
    /// The earliest time collected.
    pub collected_from: Option<String>,
    /// Intervals between the earliest time collected and the checkpoint that no batch covers.
    pub gaps: Vec<[String; 2]>,
    /// The checkpoint is older than the platform's retention minus the margin.
    pub retention_warning: bool,
}

impl StreamStatus {
    /// Whether someone needs to act.
    pub fn needs_attention(&self) -> bool {
        !self.gaps.is_empty() || self.retention_warning || self.checkpoint.is_none()
    }
}

/// The status of a tenant's audit stream.
pub fn status(store: &dyn Store, tenant: &str, cfg: &AuditConfig, now: OffsetDateTime) -> Result<StreamStatus> {
    let cp = read_checkpoint(store, tenant)?;
    let mut list = batches(store, tenant)?;
    list.sort_by_key(|b| (b.from, b.to));
    let mut events = 0u64;
    for b in &list {
        if let Some(bytes) = store.get(&b.manifest_key)? {
            if let Ok(m) = serde_json::from_slice::<crate::evidence::Manifest>(&bytes) {
                events += m.record_counts.get("audit_events").copied().unwrap_or(0) as u64;
            }
        }
    }
    let mut gaps = Vec::new();
    let mut covered: Option<OffsetDateTime> = None;
    for b in &list {
        if let Some(c) = covered {
            if b.from > c {
                gaps.push([crate::clock::rfc3339(c), crate::clock::rfc3339(b.from)]);
            }
        }
        covered = Some(covered.map_or(b.to, |c| c.max(b.to)));
    }
    let cp_time = cp.as_ref().map(|c| parse_time(&c.checkpoint, "checkpoint")).transpose()?;
    let usable = time::Duration::days((cfg.platform_retention_days.saturating_sub(cfg.retention_margin_days)) as i64);
    Ok(StreamStatus {
        tenant: tenant.to_string(),
        checkpoint: cp.as_ref().map(|c| c.checkpoint.clone()),
        last_success: cp.as_ref().map(|c| c.written_at.clone()),
        lag_hours: cp_time.map(|t| ((now - t).whole_minutes() as f64 / 60.0 * 10.0).round() / 10.0),
        batches: list.len(),
        events,
        collected_from: list.first().map(|b| crate::clock::rfc3339(b.from)),
        gaps,
        retention_warning: cp_time.is_some_and(|t| t < now - usable),
    })
}
