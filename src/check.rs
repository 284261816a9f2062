//! `check`: the whole pipeline for one snapshot — normalize, schema gate, diff against the
//! baseline, evaluate the policies, build the report. Everything that can refuse the job
//! (unreadable input, a schema or policy that does not compile, a missing baseline) is
//! checked before any evaluation, and nothing is written here: callers render and store.

use crate::baseline::{self, BaselineSource};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::normalize::{configuration_digest, configuration_digest_with_items, normalize};
use crate::policy::{input_of, Bundle, CompiledPolicies, DEFAULT_TIMEOUT};
use crate::report::{self, FailOn, Report, ReportInputs, RunInfo, SnapshotInfo};
use crate::schema::{gate, GateOutcome, SchemaRegistry};
use crate::snapshot::Snapshot;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

/// Which baseline to compare with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineChoice {
    /// `<dir>/<tenant>.json` if it exists; otherwise drift is not checked (and the report says so).
    Auto(PathBuf),
    /// This one; it must exist.
    Given(BaselineSource),
    /// None.
    Skip,
}

/// What `check` needs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The snapshot file.
    pub snapshot: PathBuf,
    /// The baseline.
    pub baseline: BaselineChoice,
    /// The policy bundle directory.
    pub policies: PathBuf,
    /// How a signed bundle tarball must verify (`--bundle-public-key`).
    pub bundle_verification: Option<crate::policy::signing::Verification>,
    /// A schema directory replacing the built-in schemas.
    pub schemas: Option<PathBuf>,
    /// A catalog file adding to or replacing the built-in platforms.
    pub catalog: Option<PathBuf>,
    /// Extra data files, merged at the root of `data`.
    pub data: Vec<PathBuf>,
    /// Extra gate conditions.
    pub fail_on: Vec<FailOn>,
    /// Per-rule evaluation limit.
    pub policy_timeout: Duration,
    /// Extra keys for `data.driftgate.run` (e.g. `audit` with the audit-log checkpoint),
    /// from `--run-context FILE`. They may not replace the keys driftgate sets.
    pub run_context: serde_json::Map<String, Value>,
    /// The instant waivers are judged at (default: when the run starts). For reproducing a
    /// past run and for tests.
    pub as_of: Option<OffsetDateTime>,
    /// A snapshot already in memory (just collected): used instead of reading `snapshot`,
    /// which then only names it.
    pub collected: Option<Snapshot>,
    /// Keep the snapshot as read (secrets redacted) in [`CheckRun::raw`], for evidence.
    pub keep_raw: bool,
    /// Keep exactly what the policies saw in [`CheckRun::policy_input`] (`--dump-input`).
    pub keep_policy_input: bool,
    /// The evidence store whose audit stream attributes the drift (`--audit-store`: a
    /// directory or `s3://bucket/prefix`).
    pub audit_store: Option<String>,
    /// S3 settings for [`CheckOptions::audit_store`].
    pub audit_s3: crate::jobs::S3Overrides,
    /// The key the audit batches must be signed with (default: the store's `driftgate.pub`).
    pub audit_public_key: Option<crate::evidence::PublicKey>,
}

/// An audit archive already open (the daily job's own store), to attribute the drift with.
pub struct AuditArchive<'a> {
    /// The store holding `<tenant>.audit/`.
    pub store: &'a dyn crate::evidence::store::Store,
    /// The key its batches must be signed with.
    pub trust: crate::audit::archive::Trust,
}

impl CheckOptions {
    /// Options with the defaults of the CLI: `./policies`, `./baselines/<tenant>.json`.
    pub fn new(snapshot: impl Into<PathBuf>) -> Self {
        CheckOptions {
            snapshot: snapshot.into(),
            baseline: BaselineChoice::Auto(PathBuf::from("baselines")),
            policies: PathBuf::from("policies"),
            bundle_verification: None,
            schemas: None,
            catalog: None,
            data: Vec::new(),
            fail_on: Vec::new(),
            policy_timeout: DEFAULT_TIMEOUT,
            run_context: serde_json::Map::new(),
            as_of: None,
            collected: None,
            keep_raw: true,
            keep_policy_input: false,
            audit_store: None,
            audit_s3: Default::default(),
            audit_public_key: None,
        }
    }
}

/// Everything a check produced, for callers that store evidence.
#[derive(Debug, Clone)]
pub struct CheckRun {
    /// The report.
    pub report: Report,
    /// The snapshot as read, with secrets redacted (when [`CheckOptions::keep_raw`]).
    pub raw: Option<Snapshot>,
    /// The normalized snapshot, quarantined items included.
    pub normalized: Snapshot,
    /// The gate's outcome (quarantine, and what it accepted of [`CheckRun::normalized`]).
    pub gated: GateOutcome,
    /// How long each stage took, in order (for `check --timings` and the benchmark).
    pub timings: Vec<(&'static str, Duration)>,
    /// What the policies saw (when [`CheckOptions::keep_policy_input`]): `input` and `data`.
    pub policy_input: Option<PolicyInput>,
    /// How the baseline was compared (when there was one).
    pub baseline_comparison: Option<baseline::Comparison>,
}

/// What the policies were evaluated on, so that anyone can evaluate them again elsewhere
/// (`opa eval`): the input document and the whole data document.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    /// `input`: the normalized snapshot without its quarantined items.
    pub input: Value,
    /// `data`: the bundle's data at its paths, the `--data` files, and `driftgate.{drift,
    /// run, observed}`.
    pub data: Value,
}

/// Stage timings.
struct Stopwatch {
    last: std::time::Instant,
    stages: Vec<(&'static str, Duration)>,
}

impl Stopwatch {
    fn new() -> Self {
        Stopwatch { last: std::time::Instant::now(), stages: Vec::new() }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.stages.push((stage, now - self.last));
        self.last = now;
    }

    /// Records stages that ran beside each other (their own durations), then restarts the
    /// clock.
    fn overlapped(&mut self, stages: &[(&'static str, Duration)]) {
        self.stages.extend_from_slice(stages);
        self.last = std::time::Instant::now();
    }
}

/// `f`'s result and how long it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t0 = std::time::Instant::now();
    let out = f();
    (out, t0.elapsed())
}

/// What the check needs besides the snapshot.
struct Prepared {
    registry: SchemaRegistry,
    bundle: Bundle,
    extra_data: Vec<(PathBuf, Value)>,
    policies: CompiledPolicies,
    baseline: Option<baseline::ReadBaseline>,
    compile_time: Duration,
}

/// Compiles the schemas and policies; passes on the baseline read beside the snapshot.
fn prepare(opts: &CheckOptions, baseline: Result<Option<baseline::ReadBaseline>>) -> Result<Prepared> {
    let t0 = std::time::Instant::now();
    let registry = match &opts.schemas {
        Some(dir) => SchemaRegistry::from_dir(dir)?,
        None => SchemaRegistry::built_in()?,
    };
    let bundle = Bundle::load_verified(&opts.policies, opts.bundle_verification.as_ref())?;
    let extra = opts
        .data
        .iter()
        .map(|p| Ok((p.clone(), crate::input::read_json::<Value>(p, "a JSON data file")?)))
        .collect::<Result<Vec<_>>>()?;
    let policies = CompiledPolicies::compile(&bundle, &extra, false, opts.policy_timeout)?;
    let compile_time = t0.elapsed();
    Ok(Prepared { registry, bundle, extra_data: extra, policies, baseline: baseline?, compile_time })
}

/// Reads and parses the baseline `opts` names for the snapshot whose text is `text`, or
/// whose tenant is `tenant` (known when the snapshot was just collected).
fn read_baseline(opts: &CheckOptions, text: &str, tenant: Option<&str>) -> Result<Option<baseline::ReadBaseline>> {
    match &opts.baseline {
        BaselineChoice::Skip => Ok(None),
        BaselineChoice::Given(src) => baseline::read(src).map(Some),
        BaselineChoice::Auto(dir) => {
            let tenant = match tenant {
                Some(t) => t.to_string(),
                None => match Snapshot::peek_tenant(text) {
                    Some(t) => t,
                    // Not a snapshot: the snapshot's own parse says why.
                    None => return Ok(None),
                },
            };
            let p = dir.join(format!("{tenant}.json"));
            if p.is_file() {
                baseline::read(&BaselineSource::Path(p)).map(Some)
            } else {
                Ok(None)
            }
        }
    }
}

/// Runs the check (attributing the drift from [`CheckOptions::audit_store`] when given).
pub fn run_check(opts: &CheckOptions) -> Result<CheckRun> {
    match &opts.audit_store {
        Some(url) => {
            let store = crate::jobs::open_store_url(url, None, &opts.audit_s3)?;
            let trust = match &opts.audit_public_key {
                Some(k) => crate::audit::archive::Trust::Pinned(k.clone()),
                None => crate::audit::archive::Trust::Store,
            };
            run_check_with(opts, Some(AuditArchive { store: store.as_ref(), trust }))
        }
        None => run_check_with(opts, None),
    }
}

/// Runs the check, attributing the drift from `audit` when given.
pub fn run_check_with(opts: &CheckOptions, audit: Option<AuditArchive<'_>>) -> Result<CheckRun> {
    let started = OffsetDateTime::now_utc();
    let mut watch = Stopwatch::new();
    // The baseline is read beside the snapshot: neither needs the other.
    // Where the snapshot file's items are in its text is kept from the parse, for pointing
    // findings into the file (below).
    let ((text, snapshot, located), (read_base, baseline_time)) = match &opts.collected {
        Some(s) => {
            let (text, base) = rayon::join(
                || crate::canonical::to_pretty(&s.to_value()),
                || timed(|| read_baseline(opts, "", Some(&s.metadata.tenant))),
            );
            ((text, s.clone(), None), base)
        }
        None => {
            let text = crate::input::read_text(&opts.snapshot)?;
            let (parsed, base) = rayon::join(
                || Snapshot::from_json_text_located(&opts.snapshot, &text),
                || timed(|| read_baseline(opts, &text, None)),
            );
            let (snapshot, located) = parsed?;
            ((text, snapshot, located), base)
        }
    };
    let catalog = match &opts.catalog {
        Some(p) => Catalog::with_file(p)?,
        None => Catalog::built_in()?,
    };
    watch.lap("read+parse");
    watch.overlapped(&[("baseline", baseline_time)]);
    let rules = catalog.platform(&snapshot.metadata.platform)?;
    // Compiling the schemas and policies does not depend on the snapshot's normalization:
    // they run beside it.
    let (prepared, ((raw, observed, resources, normalized), normalize_time)) = rayon::join(
        || prepare(opts, read_base),
        || {
            timed(|| {
                let observed = rules.observations(&snapshot);
                let raw = opts.keep_raw.then(|| {
                    let mut raw = snapshot.clone();
                    crate::normalize::redact_secrets(&mut raw, rules);
                    raw
                });
                let resources: std::collections::BTreeMap<String, usize> =
                    snapshot.resources.iter().map(|(k, v)| (k.clone(), v.len())).collect();
                (raw, observed, resources, normalize(snapshot, rules))
            })
        },
    );
    let Prepared { registry, bundle, extra_data, policies, baseline, compile_time } = prepared?;
    // A bundle with nothing to say about this platform would give a report of PASS over
    // zero rules: nothing was checked, and that is a job not done, never a pass.
    let platform = &normalized.metadata.platform;
    if !policies.rules().iter().any(|r| r.applies_to(platform)) {
        return Err(Error::Invalid {
            path: opts.policies.clone(),
            message: format!(
                "the policy bundle has no deny, violation or warn rule for {platform} snapshots ({} rule(s) in all): nothing would be checked",
                policies.rules().len()
            ),
            help: Some("point --policies at a bundle with rules for this platform (the bundled SOC 2 packs are in ./policies)".into()),
        });
    }
    if let Some(b) = &baseline {
        let (bm, sm) = (b.metadata(), &normalized.metadata);
        if bm.tenant != sm.tenant || bm.platform != sm.platform {
            return Err(Error::Usage {
                message: format!(
                    "baseline {} is for {} ({}), the snapshot for {} ({})",
                    b.info().source,
                    bm.tenant,
                    bm.platform,
                    sm.tenant,
                    sm.platform
                ),
                help: Some("compare a snapshot with its own tenant's baseline".into()),
            });
        }
    }
    watch.overlapped(&[("compile schemas+policies", compile_time), ("normalize", normalize_time)]);
    // The digest and the gate both only read the normalized snapshot; the diff and the
    // policy input both only read what the gate accepted: each pair runs side by side. The
    // digest keeps each item's canonical bytes when there is a baseline to compare them with.
    let (((digest, item_bytes), digest_time), (gated, gate_time)) = rayon::join(
        || {
            timed(|| match &baseline {
                Some(_) => configuration_digest_with_items(&normalized),
                None => (configuration_digest(&normalized), Default::default()),
            })
        },
        || timed(|| gate(&normalized, &registry, rules)),
    );
    let accepted = gated.accepted(&normalized);
    let baseline_collected = baseline.as_ref().map(|b| b.metadata().collected_at.clone());
    let ((compared, diff_time), (input, input_time)) = rayon::join(
        || {
            timed(|| match baseline {
                Some(b) => b.compare(&normalized, accepted, &item_bytes, rules, &gated.quarantined_ids()).map(Some),
                None => Ok(None),
            })
        },
        || timed(|| input_of(accepted)),
    );
    let (mut drift, baseline, baseline_comparison) = match compared? {
        Some(c) => (c.drift, Some(c.info), Some(c.how)),
        None => (Vec::new(), None, None),
    };
    let attribution = match (&audit, &baseline, baseline_collected.flatten(), &normalized.metadata.collected_at) {
        (Some(a), Some(b), Some(from), Some(to)) if !drift.is_empty() => {
            let t0 = std::time::Instant::now();
            let summary = attribute(a, b, (&from, to), &normalized, rules, &mut drift)?;
            watch.overlapped(&[("attribution", t0.elapsed())]);
            Some(summary)
        }
        // Without both collection times there is no window: nothing is claimed.
        (Some(_), Some(_), ..) => {
            for c in &mut drift {
                c.attribution = Some("not_covered".into());
            }
            None
        }
        _ => None,
    };
    crate::fsutil::drop_later(item_bytes);
    watch.overlapped(&[
        ("digest", digest_time),
        ("schema gate", gate_time),
        ("diff", diff_time),
        ("policy input", input_time),
    ]);

    let run_id = run_id(&started, &digest);
    let started_at = crate::clock::rfc3339(started);
    let run_context = json!({
        "id": run_id,
        "time": started_at,
        "tenant": normalized.metadata.tenant,
        "platform": normalized.metadata.platform,
        "collected_at": normalized.metadata.collected_at,
        "baseline": baseline.as_ref().map(|b| json!({"source": b.source, "sha256": b.sha256, "git": b.git})),
    });
    let mut run_context = run_context;
    // What the attribution rules need to know: whether an archive was read, and what it covers.
    if audit.is_some() {
        run_context["attribution"] = match &attribution {
            Some(a) => serde_json::to_value(a).unwrap_or(Value::Null),
            None => {
                json!({"covered": null, "reason": if drift.is_empty() { "no drift to attribute" } else { "no collection times to bound the window" }})
            }
        };
    }
    for (k, v) in &opts.run_context {
        if run_context.get(k).is_some() {
            return Err(Error::Usage {
                message: format!("--run-context may not set {k:?}: driftgate sets it"),
                help: Some("the run context already has id, time, tenant, platform, collected_at and baseline (and attribution, with an audit archive)".into()),
            });
        }
        run_context[k] = v.clone();
    }
    // The items the schema gate quarantined (left out of `input`), so that a rule can judge
    // how long an item has stayed so (CC7.1, with `run.quarantine_history`).
    let quarantined: Vec<Value> = gated
        .quarantine
        .iter()
        .map(|q| json!({"resource_type": q.resource_type, "resource_id": q.resource_id}))
        .collect();
    let driftgate = json!({"drift": drift, "run": run_context, "observed": observed, "quarantined": quarantined});
    let policy_input = opts.keep_policy_input.then(|| {
        let mut data = bundle.data.clone();
        for (_, extra) in &extra_data {
            merge_data(&mut data, extra);
        }
        merge_data(&mut data, &json!({"driftgate": driftgate}));
        PolicyInput { input: accepted.to_value(), data }
    });
    let (applicable, evaluations) = policies.evaluate_for(&normalized.metadata.platform, input, driftgate.clone())?;
    watch.lap("policy evaluation");
    let run_context = &driftgate["run"];

    let snapshot_info = SnapshotInfo {
        tenant: normalized.metadata.tenant.clone(),
        platform: normalized.metadata.platform.clone(),
        collected_at: normalized.metadata.collected_at.clone(),
        sha256: digest,
        file_sha256: crate::canonical::sha256_hex(text.as_bytes()),
        resources,
    };
    let mut report = report::build(ReportInputs {
        run: RunInfo { id: run_id, started_at, finished_at: String::new() },
        snapshot: snapshot_info,
        baseline,
        bundle: &bundle,
        rules: &applicable,
        other_platform_rules: policies
            .rules()
            .iter()
            .filter(|r| !r.applies_to(&normalized.metadata.platform))
            .map(|r| r.id.clone())
            .collect(),
        evaluations,
        gated: &gated,
        drift,
        fail_on: &opts.fail_on,
        now: opts.as_of.unwrap_or(started),
        catalog: rules,
        run_context,
        normalized: &normalized,
    });
    report.attribution = attribution;
    watch.lap("report");
    // Where each finding is in the file given (for SARIF and annotations), when it is a file.
    if opts.collected.is_none() && report.findings.iter().any(|f| f.resource.is_some()) {
        let baseline = report.baseline.as_ref().map(|b| b.source.clone());
        let mut file = report::source::SourceFile::new(&opts.snapshot, &text, located);
        report::source::locate_findings(&mut report, rules, &mut file, baseline.as_deref());
        watch.lap("source locations");
    }
    report.run.finished_at = crate::clock::rfc3339(OffsetDateTime::now_utc());
    Ok(CheckRun { report, raw, normalized, gated, timings: watch.stages, policy_input, baseline_comparison })
}

/// Attributes `drift` from the audit archive, over the window from the baseline's approval
/// to the snapshot's collection.
fn attribute(
    audit: &AuditArchive<'_>,
    baseline: &report::BaselineInfo,
    (baseline_collected, snapshot_collected): (&str, &str),
    normalized: &Snapshot,
    rules: &crate::catalog::PlatformRules,
    drift: &mut [crate::diff::Change],
) -> Result<crate::audit::attribution::AttributionSummary> {
    use crate::audit::attribution::{Subjects, Window};
    let time = |s: &str, what: &str| {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|e| Error::Usage {
            message: format!("{what} collected_at {s:?} is not an RFC 3339 time ({e}): the drift cannot be attributed"),
            help: None,
        })
    };
    let window = Window::new(
        time(baseline_collected, "the baseline's")?,
        baseline::commit_time(baseline),
        time(snapshot_collected, "the snapshot's")?,
    );
    let mut subjects = Subjects::default();
    if let Some(users) = normalized.resources.get("users") {
        let t = rules.type_rules("users");
        for u in users {
            if let (Some(id), Some(name)) = (t.identity_of(u), t.name_of(u)) {
                subjects.names.insert(id, name);
            }
        }
    }
    subjects.singletons = rules.declared_types().filter(|t| t.singleton).map(|t| t.name.clone()).collect();
    subjects.organization = normalized
        .resources
        .get("organization")
        .and_then(|o| o.first())
        .and_then(|o| o.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    crate::audit::attribution::attribute(
        audit.store,
        &normalized.metadata.tenant,
        &audit.trust,
        window,
        &subjects,
        drift,
    )
}

/// Merges `add` into `data` as a data document is built from several files: objects key by
/// key, anything else replaced.
fn merge_data(data: &mut Value, add: &Value) {
    match (data, add) {
        (Value::Object(d), Value::Object(a)) => {
            for (k, v) in a {
                match d.get_mut(k) {
                    Some(existing) => merge_data(existing, v),
                    None => {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (d, a) => *d = a.clone(),
    }
}

fn run_id(started: &OffsetDateTime, digest: &str) -> String {
    let stamp = crate::clock::stamp(*started);
    let salt = format!("{}{}{digest}", started.unix_timestamp_nanos(), std::process::id());
    format!("run-{stamp}-{}", &crate::canonical::sha256_hex(salt.as_bytes())[..8])
}
