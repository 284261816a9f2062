//! Assembling the report from what the stages produced: findings with waivers applied,
//! rule and control statuses with their populations, and the gate's verdict.

use super::model::*;
use crate::canonical;
use crate::catalog::PlatformRules;
use crate::diff::Change;
use crate::policy::{Bundle, Level, RuleEvaluation, RuleMeta, WaiverStatus};
use crate::schema::GateOutcome;
use crate::snapshot::Snapshot;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;

/// Everything a report is made of.
#[derive(Debug)]
pub struct ReportInputs<'a> {
    /// This run.
    pub run: RunInfo,
    /// The snapshot checked.
    pub snapshot: SnapshotInfo,
    /// The baseline, when one was compared.
    pub baseline: Option<BaselineInfo>,
    /// The policy bundle.
    pub bundle: &'a Bundle,
    /// Its rules that apply to the snapshot's platform (indexes of `evaluations` point here).
    pub rules: &'a [RuleMeta],
    /// Ids of the bundle's rules for other platforms: their waivers are left out of the
    /// report rather than called stale.
    pub other_platform_rules: BTreeSet<String>,
    /// What each rule returned.
    pub evaluations: Vec<RuleEvaluation>,
    /// The schema gate's outcome.
    pub gated: &'a GateOutcome,
    /// Drift records (empty when there was no baseline).
    pub drift: Vec<Change>,
    /// Extra gate conditions.
    pub fail_on: &'a [FailOn],
    /// The instant waivers are judged at.
    pub now: OffsetDateTime,
    /// The platform's catalog rules, to name the resources findings point at.
    pub catalog: &'a PlatformRules,
    /// `data.driftgate.run` as the policies saw it.
    pub run_context: &'a serde_json::Value,
    /// The normalized snapshot as stored (quarantined items included), for locations.
    pub normalized: &'a Snapshot,
}

/// Builds the report.
pub fn build(inputs: ReportInputs<'_>) -> Report {
    let ReportInputs {
        run,
        snapshot,
        baseline,
        bundle,
        rules,
        other_platform_rules,
        evaluations,
        gated,
        drift,
        fail_on,
        now,
        catalog,
        run_context,
        normalized,
    } = inputs;
    let index = ResourceIndex::new(normalized, catalog);
    let mut waiver_hits = vec![0usize; bundle.waivers.len()];
    let mut findings = Vec::new();
    let mut per_rule: Vec<(usize, usize)> = vec![(0, 0); rules.len()]; // (unwaived violations, waived)
    let mut findings_per_rule = vec![0usize; rules.len()];
    for eval in evaluations {
        let meta = &rules[eval.rule];
        for raw in eval.findings {
            let resource = raw.resource.map(|(t, id, name)| {
                let name = name.or_else(|| index.name(&t, &id));
                ResourceRef { resource_type: t, id, name }
            });
            let location = resource
                .as_ref()
                .and_then(|r| index.line(&r.resource_type, &r.id, raw.path.as_deref()))
                .map(|line| Location { file: NORMALIZED_SNAPSHOT_FILE.to_string(), line });
            let key = resource.as_ref().map(|r| (r.resource_type.as_str(), r.id.as_str()));
            let waiver = bundle.waivers.iter().enumerate().find(|(_, w)| w.covers(&meta.id, key)).map(|(i, w)| {
                waiver_hits[i] += 1;
                WaiverRef {
                    status: w.status_at(now),
                    ticket: w.ticket.clone(),
                    owner: w.owner.clone(),
                    approved_by: w.approved_by.clone(),
                    expires: w.expires.clone(),
                    reason: w.reason.clone(),
                }
            });
            let active = waiver.as_ref().is_some_and(|w| w.status == WaiverStatus::Active);
            if meta.level == Level::Violation {
                if active {
                    per_rule[eval.rule].1 += 1;
                } else {
                    per_rule[eval.rule].0 += 1;
                }
            }
            findings_per_rule[eval.rule] += 1;
            let fingerprint = fingerprint(&meta.id, resource.as_ref(), raw.path.as_deref(), &raw.msg);
            findings.push(Finding {
                rule: meta.path(),
                id: meta.id.clone(),
                level: meta.level,
                severity: meta.severity,
                controls: meta.controls.clone(),
                msg: raw.msg,
                resource,
                path: raw.path,
                waiver,
                title: meta.title.clone(),
                remediation: meta.remediation.clone(),
                fingerprint,
                location,
                source: None,
                details: raw.details,
            });
        }
    }
    findings.sort_by(|a, b| {
        (a.level, a.severity, &a.id, &a.resource, &a.path, &a.msg).cmp(&(
            b.level,
            b.severity,
            &b.id,
            &b.resource,
            &b.path,
            &b.msg,
        ))
    });

    let quarantined: BTreeMap<&str, usize> = gated.quarantine.iter().fold(BTreeMap::new(), |mut m, q| {
        *m.entry(q.resource_type.as_str()).or_default() += 1;
        m
    });
    let rule_results: Vec<RuleResult> = rules
        .iter()
        .enumerate()
        .map(|(i, meta)| {
            let population = population_of(meta, gated.accepted(normalized), &drift);
            let reason =
                inconclusive_reason(meta, gated.accepted(normalized), &quarantined, baseline.is_some(), run_context);
            let (failed, waived) = per_rule[i];
            let status = if failed > 0 {
                ControlStatus::Fail
            } else if reason.is_some() {
                ControlStatus::Inconclusive
            } else if waived > 0 {
                ControlStatus::Waived
            } else {
                ControlStatus::Pass
            };
            RuleResult {
                id: meta.id.clone(),
                rule: meta.path(),
                title: meta.title.clone(),
                description: meta.description.clone(),
                remediation: meta.remediation.clone(),
                level: meta.level,
                severity: meta.severity,
                controls: meta.controls.clone(),
                status,
                population,
                findings: findings_per_rule[i],
                reason,
                source: format!("{}:{}", meta.file.display(), meta.line),
            }
        })
        .collect();

    let controls = control_results(bundle, &rule_results);
    let mut counts = ControlCounts::default();
    for c in &controls {
        match c.status {
            ControlStatus::Pass => counts.pass += 1,
            ControlStatus::Fail => counts.fail += 1,
            ControlStatus::Inconclusive => counts.inconclusive += 1,
            ControlStatus::NotTested => counts.not_tested += 1,
            ControlStatus::Waived => counts.waived += 1,
        }
    }
    let violations = per_rule.iter().map(|p| p.0).sum();
    let summary = Summary {
        drift_detected: !drift.is_empty(),
        drift_checked: baseline.is_some(),
        changes: drift.len(),
        violations,
        warnings: findings.iter().filter(|f| f.level == Level::Warning).count(),
        waived: per_rule.iter().map(|p| p.1).sum(),
        quarantined: gated.quarantine.len(),
        controls: counts,
    };
    let gate = gate(&summary, fail_on);
    let waivers = bundle
        .waivers
        .iter()
        .zip(waiver_hits)
        .filter(|(w, _)| !other_platform_rules.contains(&w.rule))
        .map(|(w, matched)| WaiverResult {
            waiver: w.clone(),
            status: if matched == 0 { WaiverStatus::Stale } else { w.status_at(now) },
            matched,
        })
        .collect();
    Report {
        format: REPORT_FORMAT.to_string(),
        tool: Tool { name: "driftgate".into(), version: env!("CARGO_PKG_VERSION").into() },
        run,
        snapshot,
        baseline,
        policy_bundle: PolicyBundleInfo {
            sha256: bundle.sha256.clone(),
            files: bundle.files.clone(),
            revision: bundle.revision.clone(),
            signature: bundle.signature.clone(),
        },
        summary,
        gate,
        controls,
        rules: rule_results,
        findings,
        drift,
        quarantine: gated.quarantine.clone(),
        schema_gate: gated.types.clone(),
        waivers,
        alerts: Vec::new(),
        attribution: None,
    }
}

fn fingerprint(rule: &str, resource: Option<&ResourceRef>, path: Option<&str>, msg: &str) -> String {
    let text = match resource {
        Some(r) => format!("{rule}\0{}\0{}\0{}", r.resource_type, r.id, path.unwrap_or("")),
        None => format!("{rule}\0\0\0{}\0{msg}", path.unwrap_or("")),
    };
    canonical::sha256_hex(text.as_bytes())[..32].to_string()
}

fn population_of(meta: &RuleMeta, accepted: &Snapshot, drift: &[Change]) -> BTreeMap<String, usize> {
    let mut p: BTreeMap<String, usize> =
        meta.reads.resource_types.iter().map(|t| (t.clone(), accepted.resources.get(t).map_or(0, Vec::len))).collect();
    if meta.reads.drift {
        p.insert("drift".into(), drift.len());
    }
    p
}

fn inconclusive_reason(
    meta: &RuleMeta,
    accepted: &Snapshot,
    quarantined: &BTreeMap<&str, usize>,
    has_baseline: bool,
    run_context: &serde_json::Value,
) -> Option<String> {
    let mut why = Vec::new();
    for t in &meta.reads.resource_types {
        if let Some(n) = quarantined.get(t.as_str()) {
            why.push(format!("{n} {t} item(s) quarantined"));
        } else if !accepted.resources.contains_key(t) {
            why.push(format!("{t} was not collected"));
        }
    }
    if meta.reads.drift && !has_baseline {
        why.push("no baseline, so drift was not checked".into());
    }
    for key in &meta.reads.run_keys {
        if run_context.get(key).is_none_or(serde_json::Value::is_null) {
            why.push(format!("data.driftgate.run.{key} was not provided"));
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

fn control_results(bundle: &Bundle, rules: &[RuleResult]) -> Vec<ControlResult> {
    let mut by_control: BTreeMap<&str, Vec<&RuleResult>> = BTreeMap::new();
    for r in rules {
        for c in &r.controls {
            by_control.entry(c.as_str()).or_default().push(r);
        }
    }
    let mut out: Vec<ControlResult> = bundle
        .controls
        .criteria
        .iter()
        .map(|c| control(&c.id, &c.title, c.category.clone(), by_control.get(c.id.as_str())))
        .collect();
    let known: BTreeSet<&str> = bundle.controls.criteria.iter().map(|c| c.id.as_str()).collect();
    for (id, rs) in &by_control {
        if !known.contains(id) {
            out.push(control(id, "(not in the control catalog)", None, Some(rs)));
        }
    }
    out
}

fn control(id: &str, title: &str, category: Option<String>, rules: Option<&Vec<&RuleResult>>) -> ControlResult {
    let rules = rules.map(Vec::as_slice).unwrap_or_default();
    let mut population = BTreeMap::new();
    for r in rules {
        for (k, v) in &r.population {
            population.insert(k.clone(), *v);
        }
    }
    let has = |s: ControlStatus| rules.iter().any(|r| r.status == s);
    let (status, reason) = if rules.is_empty() {
        (ControlStatus::NotTested, Some("no rule maps to this criterion".to_string()))
    } else if has(ControlStatus::Fail) {
        (ControlStatus::Fail, None)
    } else if has(ControlStatus::Inconclusive) {
        let why: Vec<String> =
            rules.iter().filter_map(|r| r.reason.as_ref().map(|why| format!("{}: {why}", r.id))).collect();
        (ControlStatus::Inconclusive, Some(why.join("; ")))
    } else if has(ControlStatus::Waived) {
        (ControlStatus::Waived, None)
    } else {
        (ControlStatus::Pass, None)
    };
    ControlResult {
        id: id.to_string(),
        title: title.to_string(),
        category,
        status,
        rules: rules.iter().map(|r| r.id.clone()).collect(),
        findings: rules.iter().map(|r| r.findings).sum(),
        population,
        reason,
    }
}

/// The gate's verdict for a summary and the extra conditions.
pub fn gate(summary: &Summary, fail_on: &[FailOn]) -> Gate {
    let mut on: BTreeSet<FailOn> = fail_on.iter().copied().collect();
    on.insert(FailOn::Violation);
    let mut reasons = Vec::new();
    for c in &on {
        match c {
            FailOn::Violation if summary.violations > 0 => reasons.push(format!("{} violation(s)", summary.violations)),
            FailOn::Warn if summary.warnings > 0 => reasons.push(format!("{} warning(s)", summary.warnings)),
            FailOn::Drift if summary.changes > 0 => reasons.push(format!("{} drift record(s)", summary.changes)),
            FailOn::Quarantine if summary.quarantined > 0 => {
                reasons.push(format!("{} quarantined item(s)", summary.quarantined))
            }
            _ => {}
        }
    }
    Gate {
        result: if reasons.is_empty() { GateResult::Pass } else { GateResult::Fail },
        fail_on: on.into_iter().collect(),
        reasons,
    }
}

/// Where items sit in the stored normalized snapshot, and their names: per resource type,
/// built on first use (one pass over the type), so that locating many findings stays linear.
struct ResourceIndex<'a> {
    snapshot: &'a Snapshot,
    /// The line of the `"resources"` key in the pretty form of the snapshot.
    resources_line: Option<usize>,
    catalog: &'a PlatformRules,
    cache: std::cell::RefCell<HashMap<String, std::rc::Rc<TypeIndex>>>,
}

struct TypeIndex {
    /// Identity → position in the list.
    by_id: HashMap<String, usize>,
    /// Per item, its first line relative to the first item's.
    starts: Vec<usize>,
    /// How many lines the whole list takes in the pretty form.
    list_lines: usize,
}

impl<'a> ResourceIndex<'a> {
    fn new(normalized: &'a Snapshot, catalog: &'a PlatformRules) -> Self {
        // Everything but the resources, to find the line the resources start on without
        // copying the whole snapshot into one JSON tree.
        let head = normalized.without_resources();
        let resources_line = canonical::pretty_line_of(&head.to_value(), 1, &["resources".into()]);
        ResourceIndex { snapshot: normalized, resources_line, catalog, cache: Default::default() }
    }

    /// The line of the `"<rtype>": [` entry in the pretty form of the snapshot.
    fn list_line(&self, rtype: &str) -> Option<usize> {
        let resources = &self.snapshot.resources;
        resources.get(rtype)?;
        let mut line = self.resources_line? + 1;
        let mut types: Vec<&String> = resources.keys().collect();
        types.sort_by(|a, b| canonical::compare_keys(a, b));
        for t in types.into_iter().take_while(|t| *t != rtype) {
            line += self.with_type(t, |ix, _| ix.list_lines);
        }
        Some(line)
    }

    fn with_type<T>(&self, rtype: &str, f: impl FnOnce(&TypeIndex, &[Value]) -> T) -> T {
        use rayon::prelude::*;
        let items = self.snapshot.resources.get(rtype).map(Vec::as_slice).unwrap_or_default();
        let cached = self.cache.borrow().get(rtype).cloned();
        if let Some(index) = cached {
            return f(&index, items);
        }
        // One pass over the type, on every core: each item's identity and line count.
        let t = self.catalog.type_rules(rtype);
        let per_item: Vec<(Option<String>, usize)> =
            items.par_iter().map(|v| (t.identity_of(v), canonical::pretty_line_count(v))).collect();
        let mut by_id = HashMap::with_capacity(items.len());
        let mut starts = Vec::with_capacity(items.len());
        let mut offset = 0;
        for (i, (id, lines)) in per_item.into_iter().enumerate() {
            if let Some(id) = id {
                by_id.insert(id, i);
            }
            starts.push(offset);
            offset += lines;
        }
        let list_lines = if items.is_empty() { 1 } else { 2 + offset };
        let index = std::rc::Rc::new(TypeIndex { by_id, starts, list_lines });
        self.cache.borrow_mut().insert(rtype.to_string(), index.clone());
        f(&index, items)
    }

    /// The line of item `i` of `rtype`, given the index of the type.
    fn item_line(&self, rtype: &str, ix: &TypeIndex, i: usize) -> Option<usize> {
        Some(self.list_line(rtype)? + 1 + ix.starts.get(i)?)
    }

    fn name(&self, rtype: &str, id: &str) -> Option<String> {
        let t = self.catalog.type_rules(rtype);
        self.with_type(rtype, |ix, items| ix.by_id.get(id).and_then(|i| t.name_of(&items[*i])))
    }

    /// The line of the resource, or of the field `path` points at inside it when it exists.
    fn line(&self, rtype: &str, id: &str, path: Option<&str>) -> Option<usize> {
        self.with_type(rtype, |ix, items| {
            let i = ix.by_id.get(id)?;
            let start = self.item_line(rtype, ix, *i)?;
            let tokens: Vec<String> =
                path.unwrap_or("").split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
            let tokens = positional(&items[*i], tokens);
            Some(canonical::pretty_line_of(&items[*i], start, &tokens).unwrap_or(start))
        })
    }
}

/// Drift and findings address members of `map` lists by key (`/roles/<id>`); the pretty text
/// is positional. Turns each key segment that meets an array into the member's position
/// (the member whose `id` or `name` is the key), leaving the rest as it is.
fn positional(item: &Value, tokens: Vec<String>) -> Vec<String> {
    let mut node = item;
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        let next = match node {
            Value::Array(items) if t.parse::<usize>().is_err() => {
                let found = items
                    .iter()
                    .position(|m| ["id", "name"].iter().any(|k| m.get(*k).and_then(Value::as_str) == Some(t.as_str())));
                match found {
                    Some(i) => {
                        out.push(i.to_string());
                        &items[i]
                    }
                    None => break,
                }
            }
            Value::Array(items) => {
                out.push(t.clone());
                match items.get(t.parse::<usize>().unwrap_or(usize::MAX)) {
                    Some(v) => v,
                    None => break,
                }
            }
            Value::Object(map) => {
                out.push(t.clone());
                match map.get(&t) {
                    Some(v) => v,
                    None => break,
                }
            }
            _ => break,
        };
        node = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_lists_are_located_without_copying_the_snapshot() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/genesys/acme-corp.drifted.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut s = Snapshot::from_json_text(&path, &text).unwrap();
        s.resources.insert("empty_type".into(), Vec::new());
        s.extra.insert("zz-after".into(), serde_json::json!({"a": [1, 2]}));
        s.extra.insert("aa-before".into(), serde_json::json!({"b": [1, 2, 3]}));
        let catalog = crate::catalog::Catalog::built_in().unwrap();
        let index = ResourceIndex::new(&s, catalog.platform("genesys-cloud").unwrap());
        let doc = s.to_value();
        for rtype in s.resources.keys() {
            assert_eq!(
                index.list_line(rtype),
                canonical::pretty_line_of(&doc, 1, &["resources".into(), rtype.clone()]),
                "{rtype}"
            );
        }
        assert_eq!(index.list_line("no_such_type"), None);
    }
}
