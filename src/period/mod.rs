//! The Type II report (`driftgate evidence report`): operating effectiveness over an audit
//! period, built from the verified chain of daily packages. The chain is verified first; then
//! each package of the window is read (its manifest and `report.json`, never the snapshots),
//! and the period is told per criterion × day, per criterion over the period (exceptions,
//! waivers relied on, population), as changes deduplicated across days, and as the audit
//! stream's coverage. `json` (`driftgate.period-report/v1`) is the source every other format
//! renders from.

pub mod oscal;
pub mod render;

use crate::audit::archive::{self, Trust};
use crate::canonical;
use crate::error::{Error, Result};
use crate::evidence::store::Store;
use crate::evidence::{verify_store, Manifest, PublicKey, VerifyOptions};
use crate::report::{ControlStatus, Report};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, OffsetDateTime};

/// `format` of the JSON.
pub const PERIOD_REPORT_FORMAT: &str = "driftgate.period-report/v1";

/// What to report on.
#[derive(Debug, Clone)]
pub struct PeriodOptions {
    /// Tenant.
    pub tenant: String,
    /// First day (UTC).
    pub from: Date,
    /// Last day (UTC), inclusive.
    pub to: Date,
    /// The key the packages must be signed with (default: the store's, reported as not pinned).
    pub public_key: Option<PublicKey>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodReport {
    /// [`PERIOD_REPORT_FORMAT`].
    pub format: &'static str,
    /// Tenant.
    pub tenant: String,
    /// Platform, from the packages.
    pub platform: Option<String>,
    /// First day.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// When this report was made.
    pub generated_at: String,
    /// The store.
    pub store: String,
    /// What the verification found (first in every format).
    pub integrity: Integrity,
    /// One entry per day of the period.
    pub days: Vec<Day>,
    /// One entry per criterion, tested ones first.
    pub controls: Vec<PeriodControl>,
    /// Every drift record of the period, once.
    pub changes: Vec<PeriodChange>,
    /// What the audit stream covers of the period.
    pub audit_coverage: AuditCoverage,
}

/// `integrity`.
#[derive(Debug, Clone, Serialize)]
pub struct Integrity {
    /// No integrity error in the tenant's chain.
    pub ok: bool,
    /// Fingerprint of the key trusted.
    pub public_key: Option<String>,
    /// Whether it was given (`--public-key`) rather than taken from the store.
    pub key_pinned: bool,
    /// Packages of the tenant's chain verified.
    pub packages_verified: usize,
    /// The chain's newest head.
    pub head: Option<u64>,
    /// Every problem `evidence verify` reports for the tenant (errors and warnings).
    pub problems: Vec<crate::evidence::Problem>,
    /// Packages of the window left out of the report, and why.
    pub excluded: Vec<Excluded>,
}

/// A package not used.
#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    /// Sequence.
    pub sequence: u64,
    /// Manifest key.
    pub manifest: String,
    /// Why.
    pub reason: String,
}

/// `days[]`.
#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Runs that day (0: no run, a gap).
    pub runs: usize,
    /// Per criterion, the worst status of the day's runs (absent without a run).
    pub controls: BTreeMap<String, ControlStatus>,
    /// Unwaived findings (violations and warnings) of the day's worst run.
    pub findings: usize,
    /// The packages, each by sequence, manifest hash and creation time.
    pub packages: Vec<PackageRef>,
}

/// A package the report used.
#[derive(Debug, Clone, Serialize)]
pub struct PackageRef {
    /// Sequence in the tenant's chain.
    pub sequence: u64,
    /// Manifest key.
    pub manifest: String,
    /// SHA-256 of the manifest's bytes.
    pub manifest_sha256: String,
    /// The manifest's `created_at`.
    pub created_at: String,
    /// The run.
    pub run_id: String,
}

/// `controls[]`.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodControl {
    /// Criterion id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Whether any run tested it.
    pub tested: bool,
    /// Days with a run on which it was tested (not NOT_TESTED).
    pub days_tested: usize,
    /// Days it passed.
    pub days_pass: usize,
    /// Days it passed on a waiver.
    pub days_waived: usize,
    /// Days it failed.
    pub days_fail: usize,
    /// Days it was inconclusive.
    pub days_inconclusive: usize,
    /// Days without a run.
    pub days_no_run: usize,
    /// Episodes of FAIL, INCONCLUSIVE, NOT_TESTED or no run.
    pub exceptions: Vec<Exception>,
    /// Waivers relied on (and expired).
    pub waivers: Vec<WaiverUse>,
    /// Items evaluated per day with a run.
    pub population: Population,
}

/// An episode of consecutive days the criterion was not shown effective.
#[derive(Debug, Clone, Serialize)]
pub struct Exception {
    /// First day.
    pub start: String,
    /// Last day.
    pub end: String,
    /// Days.
    pub days: usize,
    /// Days per status (`FAIL`, `INCONCLUSIVE`, `NOT_TESTED`, `no_run`).
    pub statuses: BTreeMap<String, usize>,
    /// Rules that failed or were inconclusive.
    pub rules: Vec<String>,
    /// Resources of the unwaived findings (`type/id`).
    pub resources: Vec<String>,
    /// Why inconclusive, as the runs said.
    pub reasons: Vec<String>,
    /// The next day it passed (or passed on a waiver); null when it never did in the period.
    pub remediated_on: Option<String>,
}

/// A waiver the criterion relied on.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverUse {
    /// The rule it waives.
    pub rule: String,
    /// The resource (`type/id`).
    pub resource: String,
    /// Owner.
    pub owner: String,
    /// Approver.
    pub approved_by: String,
    /// Ticket.
    pub ticket: String,
    /// Expiry.
    pub expires: String,
    /// First day relied on.
    pub first_day: String,
    /// Last day relied on (or seen expired).
    pub last_day: String,
    /// Days it was active on a finding.
    pub days_active: usize,
    /// Days it had expired and the finding failed again: an exception.
    pub days_expired: usize,
}

/// Items evaluated per day.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Population {
    /// Fewest.
    pub min: Option<usize>,
    /// Median.
    pub median: Option<usize>,
    /// Most.
    pub max: Option<usize>,
}

/// One change of the period.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodChange {
    /// Resource type.
    pub resource_type: String,
    /// Identity.
    pub resource_id: String,
    /// Name.
    pub resource_name: Option<String>,
    /// added / removed / modified.
    pub change: crate::diff::ChangeKind,
    /// JSON Pointer inside the item.
    pub path: String,
    /// Baseline value.
    pub before: Option<Value>,
    /// Value seen.
    pub after: Option<Value>,
    /// First day seen.
    pub first_seen: String,
    /// Last day seen.
    pub last_seen: String,
    /// Days seen.
    pub days_seen: usize,
    /// `open`, `resolved_by_baseline_update` (the baseline was updated to include it) or
    /// `reverted` (gone with the same baseline).
    pub status: String,
    /// The first day with a run it was gone.
    pub resolved_on: Option<String>,
    /// The baseline commit of that run (when the baseline was updated).
    pub baseline_commit: Option<String>,
    /// Who made it, as the last run that saw it attributed it.
    pub changed_by: Option<Vec<crate::diff::ChangedBy>>,
    /// The last run found no audit event for it in a covered window.
    pub unattributed: bool,
}

/// `audit_coverage`.
#[derive(Debug, Clone, Serialize)]
pub struct AuditCoverage {
    /// The stream.
    pub stream: String,
    /// Batches of the period checked and used.
    pub batches: usize,
    /// Events they hold.
    pub events: usize,
    /// Collected intervals.
    pub covered: Vec<[String; 2]>,
    /// Intervals never collected (or whose batch failed its check).
    pub gaps: Vec<[String; 2]>,
    /// Batches that failed their check.
    pub problems: Vec<archive::BatchProblem>,
}

/// One run read from its package.
struct RunOfDay {
    package: PackageRef,
    report: Report,
}

/// Worse first: how the statuses of several runs of a day combine.
fn rank(s: ControlStatus) -> u8 {
    match s {
        ControlStatus::Fail => 4,
        ControlStatus::Inconclusive => 3,
        ControlStatus::NotTested => 2,
        ControlStatus::Waived => 1,
        ControlStatus::Pass => 0,
    }
}

fn day_of(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.get(..10)?, &f).ok()
}

fn day_text(d: Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&f).unwrap_or_default()
}

/// Builds the report for `opts` from `store`.
pub fn build(store: &dyn Store, opts: &PeriodOptions, now: OffsetDateTime) -> Result<PeriodReport> {
    if opts.from > opts.to {
        return Err(Error::Usage { message: "--from must not be after --to".into(), help: None });
    }
    crate::snapshot::validate_tenant_name(&opts.tenant)
        .map_err(|why| Error::Usage { message: format!("--tenant {:?} {why}", opts.tenant), help: None })?;
    if crate::evidence::verify::load_chain(store, &opts.tenant)?.is_empty() {
        return Err(Error::Usage {
            message: format!("{} holds no evidence of tenant {}", store.location(), opts.tenant),
            help: Some("give the store `run` writes to and the tenant's name".into()),
        });
    }
    // 1. Verify the tenant's chain, as `evidence verify` does.
    let verified = verify_store(
        store,
        &VerifyOptions { tenant: Some(opts.tenant.clone()), public_key: opts.public_key.clone(), ..Default::default() },
    )?;
    let summary = verified.tenants.iter().find(|t| t.tenant == opts.tenant);
    let mut integrity = Integrity {
        ok: verified.ok(),
        public_key: verified.public_key.clone(),
        key_pinned: verified.key_pinned,
        packages_verified: summary.map_or(0, |t| t.packages),
        head: summary.map(|t| t.head),
        problems: verified.problems.clone(),
        excluded: Vec::new(),
    };
    // 2. The packages of the window: manifest and report.json, each checked against the chain.
    let entries = crate::evidence::verify::load_chain(store, &opts.tenant)?;
    let mut runs: BTreeMap<Date, Vec<RunOfDay>> = BTreeMap::new();
    let mut platform = None;
    for e in entries {
        let dir = e.manifest.trim_end_matches("manifest.json").to_string();
        let exclude = |integrity: &mut Integrity, reason: String| {
            integrity.excluded.push(Excluded { sequence: e.sequence, manifest: e.manifest.clone(), reason })
        };
        let Some(bytes) = store.get(&e.manifest)? else {
            exclude(&mut integrity, "the manifest is missing".into());
            continue;
        };
        let Ok(m) = serde_json::from_slice::<Manifest>(&bytes) else {
            exclude(&mut integrity, "the manifest is unreadable".into());
            continue;
        };
        let Some(day) = day_of(&m.created_at) else { continue };
        if day < opts.from || day > opts.to {
            continue;
        }
        // A package any integrity error names is not used.
        let named = verified.problems.iter().any(|p| {
            p.severity == "error"
                && (p.subject == format!("seq {}", e.sequence)
                    || p.subject.starts_with(&dir)
                    || p.subject == e.manifest)
        });
        if named {
            exclude(&mut integrity, "it failed verification (see problems)".into());
            continue;
        }
        if canonical::sha256_hex(&bytes) != e.manifest_sha256 {
            exclude(&mut integrity, "the manifest is not the one the chain names".into());
            continue;
        }
        let Some(file) = m.files.iter().find(|f| f.path == "report.json") else {
            exclude(&mut integrity, "the package holds no report.json".into());
            continue;
        };
        let Some(report_bytes) = store.get(&format!("{dir}report.json"))? else {
            exclude(&mut integrity, "report.json is missing".into());
            continue;
        };
        if canonical::sha256_hex(&report_bytes) != file.sha256 {
            exclude(&mut integrity, "report.json does not match the manifest".into());
            continue;
        }
        let Ok(report) = serde_json::from_slice::<Report>(&report_bytes) else {
            exclude(&mut integrity, "report.json is not a driftgate report this version reads".into());
            continue;
        };
        platform.get_or_insert_with(|| report.snapshot.platform.clone());
        let package = PackageRef {
            sequence: e.sequence,
            manifest: e.manifest.clone(),
            manifest_sha256: e.manifest_sha256.clone(),
            created_at: m.created_at.clone(),
            run_id: m.run_id.clone(),
        };
        runs.entry(day).or_default().push(RunOfDay { package, report });
    }
    if !integrity.excluded.is_empty() {
        integrity.ok = false;
    }
    let all_days: Vec<Date> = {
        let mut v = Vec::new();
        let mut d = opts.from;
        loop {
            v.push(d);
            if d >= opts.to {
                break;
            }
            d = d.next_day().unwrap_or(d);
        }
        v
    };
    // 3. Per day.
    let titles: BTreeMap<String, String> = runs
        .values()
        .flatten()
        .flat_map(|r| r.report.controls.iter().map(|c| (c.id.clone(), c.title.clone())))
        .collect();
    let mut days = Vec::new();
    for d in &all_days {
        let list = runs.get(d).map(Vec::as_slice).unwrap_or_default();
        let mut controls: BTreeMap<String, ControlStatus> = BTreeMap::new();
        for r in list {
            for c in &r.report.controls {
                let e = controls.entry(c.id.clone()).or_insert(c.status);
                if rank(c.status) > rank(*e) {
                    *e = c.status;
                }
            }
        }
        let findings = list.iter().map(|r| r.report.summary.violations + r.report.summary.warnings).max().unwrap_or(0);
        days.push(Day {
            date: day_text(*d),
            runs: list.len(),
            controls,
            findings,
            packages: list.iter().map(|r| r.package.clone()).collect(),
        });
    }
    // 4. Per criterion.
    let mut controls: Vec<PeriodControl> =
        titles.iter().map(|(id, title)| period_control(id, title, &all_days, &days, &runs)).collect();
    controls.sort_by(|a, b| (!a.tested, &a.id).cmp(&(!b.tested, &b.id)));
    // 5. Changes, 6. audit coverage.
    let changes = changes(&all_days, &runs);
    let audit_coverage = audit_coverage(store, opts, now)?;
    Ok(PeriodReport {
        format: PERIOD_REPORT_FORMAT,
        tenant: opts.tenant.clone(),
        platform,
        from: day_text(opts.from),
        to: day_text(opts.to),
        generated_at: crate::clock::rfc3339(now),
        store: store.location(),
        integrity,
        days,
        controls,
        changes,
        audit_coverage,
    })
}

fn period_control(
    id: &str,
    title: &str,
    all_days: &[Date],
    days: &[Day],
    runs: &BTreeMap<Date, Vec<RunOfDay>>,
) -> PeriodControl {
    let status_on = |d: &Day| d.controls.get(id).copied();
    let tested = days.iter().any(|d| status_on(d).is_some_and(|s| s != ControlStatus::NotTested));
    let count = |s: ControlStatus| days.iter().filter(|d| status_on(d) == Some(s)).count();
    let mut c = PeriodControl {
        id: id.to_string(),
        title: title.to_string(),
        tested,
        days_tested: days.iter().filter(|d| status_on(d).is_some_and(|s| s != ControlStatus::NotTested)).count(),
        days_pass: count(ControlStatus::Pass),
        days_waived: count(ControlStatus::Waived),
        days_fail: count(ControlStatus::Fail),
        days_inconclusive: count(ControlStatus::Inconclusive),
        days_no_run: days.iter().filter(|d| d.runs == 0).count(),
        exceptions: Vec::new(),
        waivers: Vec::new(),
        population: Population::default(),
    };
    if !tested {
        return c;
    }
    // Exceptions: runs of consecutive days not shown effective.
    let bad = |d: &Day| match status_on(d) {
        None => Some("no_run"),
        Some(ControlStatus::Fail) => Some("FAIL"),
        Some(ControlStatus::Inconclusive) => Some("INCONCLUSIVE"),
        Some(ControlStatus::NotTested) => Some("NOT_TESTED"),
        Some(_) => None,
    };
    let mut i = 0;
    while i < days.len() {
        if bad(&days[i]).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut e = Exception {
            start: days[i].date.clone(),
            end: String::new(),
            days: 0,
            statuses: BTreeMap::new(),
            rules: Vec::new(),
            resources: Vec::new(),
            reasons: Vec::new(),
            remediated_on: None,
        };
        let (mut rules, mut resources, mut reasons) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        while i < days.len() {
            let Some(what) = bad(&days[i]) else { break };
            *e.statuses.entry(what.to_string()).or_default() += 1;
            for r in runs.get(&all_days[i]).into_iter().flatten() {
                for rule in r.report.rules.iter().filter(|x| x.controls.iter().any(|k| k == id)) {
                    if matches!(rule.status, ControlStatus::Fail | ControlStatus::Inconclusive) {
                        rules.insert(rule.id.clone());
                    }
                    if rule.status == ControlStatus::Inconclusive {
                        if let Some(why) = &rule.reason {
                            reasons.insert(format!("{}: {why}", rule.id));
                        }
                    }
                }
                for f in r.report.findings.iter().filter(|f| f.controls.iter().any(|k| k == id)) {
                    let waived = f.waiver.as_ref().is_some_and(|w| w.status == crate::policy::WaiverStatus::Active);
                    if let (false, Some(res)) = (waived, &f.resource) {
                        resources.insert(format!("{}/{}", res.resource_type, res.id));
                    }
                }
            }
            i += 1;
        }
        e.end = days[i - 1].date.clone();
        e.days = i - start;
        e.rules = rules.into_iter().collect();
        e.resources = resources.into_iter().collect();
        e.reasons = reasons.into_iter().collect();
        e.remediated_on = days.get(i).map(|d| d.date.clone());
        c.exceptions.push(e);
    }
    // Waivers: per ticket, rule and resource, the days a finding of this criterion relied on it.
    let mut uses: BTreeMap<(String, String, String), WaiverUse> = BTreeMap::new();
    let mut counted: BTreeSet<(String, String, String, Date, bool)> = BTreeSet::new();
    for (d, list) in runs {
        for r in list {
            for f in r.report.findings.iter().filter(|f| f.controls.iter().any(|k| k == id)) {
                let Some(w) = &f.waiver else { continue };
                let resource = f.resource.as_ref().map_or(String::new(), |x| format!("{}/{}", x.resource_type, x.id));
                let key = (w.ticket.clone(), f.id.clone(), resource.clone());
                let day = day_text(*d);
                let u = uses.entry(key.clone()).or_insert_with(|| WaiverUse {
                    rule: f.id.clone(),
                    resource,
                    owner: w.owner.clone(),
                    approved_by: w.approved_by.clone(),
                    ticket: w.ticket.clone(),
                    expires: w.expires.clone(),
                    first_day: day.clone(),
                    last_day: day.clone(),
                    days_active: 0,
                    days_expired: 0,
                });
                u.last_day = day;
                let expired = w.status == crate::policy::WaiverStatus::Expired;
                if counted.insert((key.0, key.1, key.2, *d, expired)) {
                    if expired {
                        u.days_expired += 1;
                    } else {
                        u.days_active += 1;
                    }
                }
            }
        }
    }
    c.waivers = uses.into_values().collect();
    // Population: per day with a run, the most items a run evaluated for the criterion.
    let mut per_day: Vec<usize> = runs
        .values()
        .map(|list| {
            list.iter()
                .filter_map(|r| r.report.controls.iter().find(|x| x.id == id))
                .map(|x| x.population.values().sum::<usize>())
                .max()
                .unwrap_or(0)
        })
        .collect();
    per_day.sort_unstable();
    if !per_day.is_empty() {
        c.population = Population {
            min: per_day.first().copied(),
            median: Some(per_day[(per_day.len() - 1) / 2]),
            max: per_day.last().copied(),
        };
    }
    c
}

/// Every drift record of the period, once: first and last day seen, and how it ended.
fn changes(all_days: &[Date], runs: &BTreeMap<Date, Vec<RunOfDay>>) -> Vec<PeriodChange> {
    type Key = (String, String, String, String, String, String);
    let key_of = |c: &crate::diff::Change| -> Key {
        (
            c.resource_type.clone(),
            c.resource_id.clone(),
            c.path.clone(),
            format!("{:?}", c.change),
            canonical::sha256_hex(&canonical::to_vec(&serde_json::to_value(&c.before).unwrap_or(Value::Null))),
            canonical::sha256_hex(&canonical::to_vec(&serde_json::to_value(&c.after).unwrap_or(Value::Null))),
        )
    };
    let mut out: BTreeMap<Key, (PeriodChange, Option<String>)> = BTreeMap::new();
    let mut order: Vec<Key> = Vec::new();
    for d in all_days {
        let Some(list) = runs.get(d) else { continue };
        let day = day_text(*d);
        for r in list {
            if !r.report.summary.drift_checked {
                continue;
            }
            let baseline = r.report.baseline.as_ref().map(|b| b.sha256.clone());
            let here: BTreeSet<Key> = r.report.drift.iter().map(key_of).collect();
            for c in &r.report.drift {
                let k = key_of(c);
                let entry = out.entry(k.clone()).or_insert_with(|| {
                    order.push(k.clone());
                    (
                        PeriodChange {
                            resource_type: c.resource_type.clone(),
                            resource_id: c.resource_id.clone(),
                            resource_name: c.resource_name.clone(),
                            change: c.change,
                            path: c.path.clone(),
                            before: c.before.clone(),
                            after: c.after.clone(),
                            first_seen: day.clone(),
                            last_seen: day.clone(),
                            days_seen: 0,
                            status: "open".into(),
                            resolved_on: None,
                            baseline_commit: None,
                            changed_by: None,
                            unattributed: false,
                        },
                        None,
                    )
                });
                if entry.0.last_seen != day || entry.0.days_seen == 0 {
                    entry.0.days_seen += 1;
                }
                entry.0.last_seen = day.clone();
                entry.0.status = "open".into();
                entry.0.resolved_on = None;
                entry.0.baseline_commit = None;
                if c.changed_by.is_some() {
                    entry.0.changed_by = c.changed_by.clone();
                }
                entry.0.unattributed = c.unattributed == Some(true);
                entry.1 = baseline.clone();
            }
            // Seen before, gone now: resolved, by a baseline update or by a revert.
            for (k, (c, seen_with)) in out.iter_mut() {
                if here.contains(k) || c.status != "open" || c.last_seen == day {
                    continue;
                }
                c.resolved_on = Some(day.clone());
                if baseline != *seen_with {
                    c.status = "resolved_by_baseline_update".into();
                    c.baseline_commit =
                        r.report.baseline.as_ref().and_then(|b| b.git.as_ref()).and_then(|g| g.commit.clone());
                } else {
                    c.status = "reverted".into();
                }
            }
        }
    }
    order.into_iter().filter_map(|k| out.remove(&k).map(|(c, _)| c)).collect()
}

fn audit_coverage(store: &dyn Store, opts: &PeriodOptions, now: OffsetDateTime) -> Result<AuditCoverage> {
    let start = opts.from.midnight().assume_utc();
    let end = opts.to.next_day().unwrap_or(opts.to).midnight().assume_utc().min(now.max(start));
    let stream = crate::audit::stream(&opts.tenant);
    let rfc = crate::clock::rfc3339;
    let pair = |(a, b): &(OffsetDateTime, OffsetDateTime)| [rfc(*a), rfc(*b)];
    if store.list(&format!("{stream}/chain/"))?.is_empty() {
        return Ok(AuditCoverage {
            stream,
            batches: 0,
            events: 0,
            covered: Vec::new(),
            gaps: vec![[rfc(start), rfc(end)]],
            problems: Vec::new(),
        });
    }
    let trust = opts.public_key.clone().map_or(Trust::Store, Trust::Pinned);
    let a = archive::read(store, &opts.tenant, (start, end), &trust, &|_| false, None)?;
    Ok(AuditCoverage {
        stream,
        batches: a.batches.len(),
        events: a.batches.iter().map(|b| b.events).sum(),
        covered: a.covered.iter().map(pair).collect(),
        gaps: a.gaps.iter().map(pair).collect(),
        problems: a.problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_of_a_day_wins() {
        let mut v = [
            ControlStatus::Pass,
            ControlStatus::Waived,
            ControlStatus::NotTested,
            ControlStatus::Inconclusive,
            ControlStatus::Fail,
        ];
        v.sort_by_key(|s| std::cmp::Reverse(rank(*s)));
        assert_eq!(v[0], ControlStatus::Fail);
        assert_eq!(v[4], ControlStatus::Pass);
    }
}
