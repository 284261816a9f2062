//! Who changed it: each drift record joined to the archived audit events on its resource
//! between the baseline's approval and the snapshot (`changed_by`), or marked `unattributed`
//! when the archive covers that window and holds none, or `not_covered` when it does not.
//!
//! Which events are "on" a resource: an event whose `entity.id` is the drifted item's identity
//! (for a user, that includes the events on the user's grants when the platform records them
//! on the user [?]); for a singleton (organization settings) an event whose `entity.id` is the
//! organization's id. Failed events (`status` `FAILURE`) changed nothing and are left out.

use super::archive::{self, Archive, BatchProblem, Trust};
use crate::diff::{Change, ChangedBy, ChangedByUser};
use crate::error::Result;
use crate::evidence::store::Store;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Where the window starts and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStart {
    /// The baseline's `collected_at` (earlier than its commit, or no commit known).
    BaselineCollectedAt,
    /// The commit time of the baseline in git.
    BaselineCommit,
}

/// The window a change must have happened in.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Start.
    pub from: OffsetDateTime,
    /// What the start is.
    pub start: WindowStart,
    /// End: the snapshot's `collected_at` (inclusive).
    pub to: OffsetDateTime,
}

impl Window {
    /// The window from the baseline's approval to the snapshot. The approval is the
    /// baseline's commit time in git when known, but never later than its `collected_at`: the
    /// baseline holds the state as collected, so a change made between collection and commit
    /// is drift too, and its event must be in the window.
    pub fn new(
        baseline_collected: OffsetDateTime,
        committed: Option<OffsetDateTime>,
        snapshot_collected: OffsetDateTime,
    ) -> Window {
        let (from, start) = match committed {
            Some(c) if c < baseline_collected => (c, WindowStart::BaselineCommit),
            _ => (baseline_collected, WindowStart::BaselineCollectedAt),
        };
        Window { from, start, to: snapshot_collected }
    }
}

/// `attribution` in the report: what archive was read, over what window, with what result.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AttributionSummary {
    /// The store and stream read (`/var/evidence acme-corp.audit`).
    pub source: String,
    /// Window start.
    pub from: String,
    /// What the start is (`baseline_commit`, `baseline_collected_at`).
    pub from_source: String,
    /// Window end (the snapshot's `collected_at`).
    pub to: String,
    /// Whether sound batches cover the whole window.
    pub covered: bool,
    /// The parts of the window not covered.
    pub not_covered: Vec<[String; 2]>,
    /// Batches read.
    pub batches: usize,
    /// Batches that failed their check (their events are not used).
    pub problems: Vec<BatchProblemInfo>,
    /// Fingerprint of the key the batches were checked with, and whether it was pinned.
    pub public_key: String,
    /// Whether that key was given rather than taken from the store.
    pub key_pinned: bool,
    /// Drift records with at least one event.
    pub attributed: usize,
    /// Drift records marked unattributed.
    pub unattributed: usize,
    /// Drift records in a window not covered.
    pub not_covered_records: usize,
}

/// A batch problem as the report records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BatchProblemInfo {
    /// Sequence.
    pub sequence: u64,
    /// Code.
    pub code: String,
    /// What is wrong.
    pub detail: String,
}

impl From<&BatchProblem> for BatchProblemInfo {
    fn from(p: &BatchProblem) -> Self {
        BatchProblemInfo { sequence: p.sequence, code: p.code.to_string(), detail: p.detail.clone() }
    }
}

/// What identifies a snapshot's resources to the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Subjects {
    /// User id → name (from the snapshot's users).
    pub names: HashMap<String, String>,
    /// The organization's id (for singleton settings).
    pub organization: Option<String>,
    /// Resource types that are singletons.
    pub singletons: HashSet<String>,
}

impl Subjects {
    /// The entity ids whose events explain `c`.
    fn entity_of<'a>(&'a self, c: &'a Change) -> Option<&'a str> {
        if self.singletons.contains(&c.resource_type) {
            self.organization.as_deref()
        } else {
            Some(c.resource_id.as_str())
        }
    }
}

/// Reads the archive for `window` and attributes every record of `drift`.
pub fn attribute(
    store: &dyn Store,
    tenant: &str,
    trust: &Trust,
    window: Window,
    subjects: &Subjects,
    drift: &mut [Change],
) -> Result<AttributionSummary> {
    let wanted: HashSet<String> = drift.iter().filter_map(|c| subjects.entity_of(c)).map(str::to_string).collect();
    // The window is closed at the snapshot's collection: an event at that second counts.
    let end = window.to + time::Duration::seconds(1);
    let keep = |e: &Value| {
        e["status"].as_str() != Some("FAILURE") && e["entity"]["id"].as_str().is_some_and(|id| wanted.contains(id))
    };
    let archive = archive::read(store, tenant, (window.from, end), trust, &|_| true, Some(&keep))?;
    Ok(apply(&archive, store.location(), window, subjects, drift))
}

/// Attributes `drift` from an archive already read for the window.
pub fn apply(
    archive: &Archive,
    location: String,
    window: Window,
    subjects: &Subjects,
    drift: &mut [Change],
) -> AttributionSummary {
    let end = window.to + time::Duration::seconds(1);
    let covered = archive.covers(window.from, end);
    let parsed: Vec<(Value, &archive::ArchivedEvent)> = archive.events.iter().map(|e| (e.event(), e)).collect();
    let mut by_entity: HashMap<&str, Vec<&(Value, &archive::ArchivedEvent)>> = HashMap::new();
    for p in &parsed {
        if let Some(id) = p.0["entity"]["id"].as_str() {
            by_entity.entry(id).or_default().push(p);
        }
    }
    let (mut attributed, mut unattributed, mut not_covered) = (0, 0, 0);
    for c in drift.iter_mut() {
        if !covered {
            c.attribution = Some("not_covered".into());
            not_covered += 1;
            continue;
        }
        let events = subjects.entity_of(c).and_then(|id| by_entity.get(id)).map(Vec::as_slice).unwrap_or(&[]);
        let mut list: Vec<ChangedBy> = events.iter().rev().map(|(v, e)| changed_by(v, &e.id, e.at, subjects)).collect();
        list.sort_by(|a, b| (&b.at, &b.event_id).cmp(&(&a.at, &a.event_id)));
        if list.is_empty() {
            c.unattributed = Some(true);
            unattributed += 1;
        } else {
            attributed += 1;
        }
        c.changed_by = Some(list);
    }
    let rfc = crate::clock::rfc3339;
    AttributionSummary {
        source: format!("{location} {}", archive.stream),
        from: rfc(window.from),
        from_source: serde_json::to_value(window.start)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        to: rfc(window.to),
        covered,
        not_covered: archive.gaps.iter().map(|(a, b)| [rfc(*a), rfc(*b)]).collect(),
        batches: archive.batches.len(),
        problems: archive.problems.iter().map(BatchProblemInfo::from).collect(),
        public_key: archive.key_fingerprint.clone(),
        key_pinned: archive.key_pinned,
        attributed,
        unattributed,
        not_covered_records: not_covered,
    }
}

fn changed_by(e: &Value, id: &str, at: OffsetDateTime, subjects: &Subjects) -> ChangedBy {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let user_id = text(&e["user"]["id"]);
    let name = text(&e["user"]["name"]).or_else(|| user_id.as_ref().and_then(|u| subjects.names.get(u).cloned()));
    ChangedBy {
        event_id: id.to_string(),
        at: crate::clock::rfc3339(at),
        user: ChangedByUser { id: user_id, name },
        client_id: text(&e["client"]["id"]),
        action: text(&e["action"]),
        service: text(&e["serviceName"]),
        properties: e.get("propertyChanges").cloned().unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_at_the_earlier_of_collection_and_commit() {
        let t = |h: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::hours(h);
        let w = Window::new(t(10), Some(t(20)), t(30));
        assert_eq!((w.from, w.start), (t(10), WindowStart::BaselineCollectedAt));
        let w = Window::new(t(10), Some(t(5)), t(30));
        assert_eq!((w.from, w.start), (t(5), WindowStart::BaselineCommit));
        let w = Window::new(t(10), None, t(30));
        assert_eq!((w.from, w.start), (t(10), WindowStart::BaselineCollectedAt));
    }
}
