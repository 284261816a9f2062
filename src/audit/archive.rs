//! The audit archive read back: the batches of a tenant's audit stream that overlap a window,
//! each checked against its signed manifest before any of its events is used, and what of the
//! window they cover. `audit search`, attribution (`check --audit-store`, `run`) and
//! `forensics collect` beyond the platform's retention all read the archive through here.
//!
//! A batch is used only when its chain entry names its manifest by hash, the manifest is
//! well formed and signed by the trusted key, and its `events.ndjson` has the size and hash
//! the manifest lists. A batch that fails is a [`BatchProblem`], its interval counts as not
//! covered, and none of its events is returned.

use super::stream;
use crate::canonical;
use crate::error::{Error, Result};
use crate::evidence::store::Store;
use crate::evidence::{ChainEntry, PublicKey};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Which key the batches' signatures must verify with.
#[derive(Debug, Clone)]
pub enum Trust {
    /// The key given by the reader (`--public-key`).
    Pinned(PublicKey),
    /// The key the store publishes (`driftgate.pub`): proves the batches were not altered
    /// by someone without the signing key, not who holds it.
    Store,
}

/// A half-open interval `[from, to)`.
pub type Interval = (OffsetDateTime, OffsetDateTime);

/// One batch that was checked and used.
#[derive(Debug, Clone, Serialize)]
pub struct BatchUsed {
    /// Sequence in the audit stream.
    pub sequence: u64,
    /// The manifest's store key.
    pub manifest: String,
    /// SHA-256 of the manifest's bytes (what the chain entry records).
    pub manifest_sha256: String,
    /// Interval start (RFC 3339).
    pub from: String,
    /// Interval end (RFC 3339).
    pub to: String,
    /// Events the batch holds.
    pub events: usize,
}

/// A batch that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchProblem {
    /// Sequence in the audit stream.
    pub sequence: u64,
    /// The manifest's store key.
    pub manifest: String,
    /// The same codes `evidence verify` uses (`manifest_hash`, `bad_manifest`, `bad_signature`,
    /// `missing_file`, `file_size`, `file_hash`, `chain_link`, `missing_manifest`, `bad_record`).
    pub code: &'static str,
    /// What is wrong.
    pub detail: String,
}

/// One archived event, with the batch it came from.
#[derive(Debug, Clone)]
pub struct ArchivedEvent {
    /// `eventDate`, parsed.
    pub at: OffsetDateTime,
    /// `id`.
    pub id: String,
    /// The event's line as stored (canonical JSON, minimized and masked).
    pub raw: Vec<u8>,
    /// Index into [`Archive::batches`].
    pub batch: usize,
}

impl ArchivedEvent {
    /// The event as stored, parsed (its batch was checked, and its line parsed once already).
    pub fn event(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or(Value::Null)
    }
}

/// What every event line must have: read without building the whole event.
#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(rename = "eventDate", borrow)]
    event_date: std::borrow::Cow<'a, str>,
}

/// What was read for a window.
#[derive(Debug, Clone)]
pub struct Archive {
    /// The audit stream (`<tenant>.audit`).
    pub stream: String,
    /// The window asked for.
    pub window: Interval,
    /// Fingerprint of the key the signatures were checked with.
    pub key_fingerprint: String,
    /// Whether that key was given by the reader.
    pub key_pinned: bool,
    /// The batches used, by sequence.
    pub batches: Vec<BatchUsed>,
    /// The batches that could not be used (and chain links that do not hold).
    pub problems: Vec<BatchProblem>,
    /// The parts of the window the batches used cover, merged and in order.
    pub covered: Vec<Interval>,
    /// The parts of the window no usable batch covers.
    pub gaps: Vec<Interval>,
    /// Matching events, one per event id (the newest stored revision), by `eventDate`, then id.
    pub events: Vec<ArchivedEvent>,
}

impl Archive {
    /// Whether usable batches cover `[from, to)` entirely.
    pub fn covers(&self, from: OffsetDateTime, to: OffsetDateTime) -> bool {
        if from >= to {
            return true;
        }
        let mut at = from;
        for (a, b) in &self.covered {
            if *a > at {
                return false;
            }
            if *b > at {
                at = *b;
            }
            if at >= to {
                return true;
            }
        }
        false
    }

    /// Whether every batch of the window could be used.
    pub fn sound(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A cheap test on an event's stored bytes before it is parsed (`true`: parse it and look).
pub type Prefilter<'a> = &'a (dyn Fn(&[u8]) -> bool + Sync);

/// The exact test on a parsed event.
pub type Keep<'a> = &'a (dyn Fn(&Value) -> bool + Sync);

/// Reads the archive of `tenant` for `window`: every batch overlapping it is checked, and the
/// events of the sound ones inside the window for which `prefilter` and then `keep` say yes are
/// returned (`keep` `None`: every event that passes `prefilter`, without parsing it whole).
pub fn read(
    store: &dyn Store,
    tenant: &str,
    window: Interval,
    trust: &Trust,
    prefilter: Prefilter<'_>,
    keep: Option<Keep<'_>>,
) -> Result<Archive> {
    let stream = stream(tenant);
    let (key, key_pinned) = match trust {
        Trust::Pinned(k) => (k.clone(), true),
        Trust::Store => {
            let text = store.get("driftgate.pub")?.ok_or_else(|| Error::Integrity {
                message: format!(
                    "{} publishes no public key (driftgate.pub): the audit batches cannot be checked",
                    store.location()
                ),
                help: Some("give the key the batches were signed with (--public-key FILE)".into()),
            })?;
            let text = String::from_utf8(text).map_err(|_| Error::Integrity {
                message: format!("{}/driftgate.pub is not text", store.location()),
                help: None,
            })?;
            (PublicKey::parse(&text, "driftgate.pub")?, false)
        }
    };
    let entries = crate::evidence::verify::load_chain(store, &stream)?;
    let mut problems = Vec::new();
    // Chain links: each manifest names the one before it. A break is reported; the batches on
    // either side are still each checked on their own.
    let mut fetched: Vec<(ChainEntry, Option<Vec<u8>>)> = Vec::new();
    let mut previous: Option<&ChainEntry> = None;
    let mut manifests: Vec<Option<(Value, crate::evidence::Manifest)>> = Vec::new();
    for e in &entries {
        let bytes = store.get(&e.manifest)?;
        let parsed = bytes.as_deref().and_then(crate::evidence::verify::parse_manifest);
        if let (Some((_, m)), Some(p)) = (&parsed, previous) {
            if p.sequence + 1 != e.sequence {
                problems.push(problem(
                    e,
                    "gap",
                    format!("the chain has no entry between {} and {}", p.sequence, e.sequence),
                ));
            } else if m.previous_manifest_sha256.as_deref() != Some(p.manifest_sha256.as_str()) {
                problems.push(problem(
                    e,
                    "chain_link",
                    format!("the manifest does not name batch {}'s manifest", p.sequence),
                ));
            }
        }
        previous = Some(e);
        manifests.push(parsed);
        fetched.push((e.clone(), bytes));
    }
    // Which batches overlap the window: their interval is in the signed manifest.
    let mut wanted = Vec::new();
    for ((e, bytes), parsed) in fetched.into_iter().zip(manifests) {
        let Some(bytes) = bytes else {
            problems.push(problem(&e, "missing_manifest", "the chain names a manifest the store does not hold".into()));
            continue;
        };
        if canonical::sha256_hex(&bytes) != e.manifest_sha256 {
            problems.push(problem(
                &e,
                "manifest_hash",
                "the manifest's bytes are not the ones the chain entry names".into(),
            ));
            continue;
        }
        let Some((value, m)) = parsed else {
            problems.push(problem(&e, "bad_manifest", "the manifest is not a well-formed version-1 manifest".into()));
            continue;
        };
        if !crate::evidence::verify::signature_valid(&value, &key) {
            problems.push(problem(
                &e,
                "bad_signature",
                "the manifest's signature does not verify with the trusted key".into(),
            ));
            continue;
        }
        if m.sequence != e.sequence || m.tenant != stream {
            problems.push(problem(
                &e,
                "bad_record",
                "the manifest's sequence or stream is not its chain entry's".into(),
            ));
            continue;
        }
        let Some(interval) = batch_interval(&m.collector) else {
            problems.push(problem(&e, "bad_manifest", "the manifest records no batch interval".into()));
            continue;
        };
        if interval.1 <= window.0 || interval.0 >= window.1 {
            continue;
        }
        let Some(file) = m.files.iter().find(|f| f.path == "events.ndjson").cloned() else {
            problems.push(problem(&e, "missing_file", "the manifest lists no events.ndjson".into()));
            continue;
        };
        wanted.push((e, interval, file));
    }
    // Hash and scan the events of each batch, on every core, a few batches at a time: memory
    // stays bounded, and the buffers of one round are reused by the next.
    let mut scanned: Vec<std::result::Result<Scanned, BatchProblem>> = Vec::with_capacity(wanted.len());
    let round = 4 * rayon::current_num_threads().max(1);
    let mut wanted = wanted.into_iter().peekable();
    while wanted.peek().is_some() {
        let mut chunk = Vec::with_capacity(round);
        for (e, interval, file) in wanted.by_ref().take(round) {
            let dir = e.manifest.trim_end_matches("manifest.json").to_string();
            let events = store.get(&format!("{dir}events.ndjson"))?;
            chunk.push((e, interval, file, events));
        }
        let done: Vec<_> = chunk
            .into_par_iter()
            .map(|(e, interval, file, events)| scan(&e, interval, &file, events, window, prefilter, keep))
            .collect();
        scanned.extend(done);
    }
    let mut batches = Vec::new();
    let mut intervals = Vec::new();
    // id → (sequence, event): the newest stored revision of an event wins.
    let mut by_id: HashMap<String, (u64, ArchivedEvent)> = HashMap::new();
    for s in scanned {
        match s {
            Err(p) => problems.push(p),
            Ok((used, interval, found)) => {
                let index = batches.len();
                for (at, id, raw) in found {
                    let candidate = ArchivedEvent { at, id: id.clone(), raw, batch: index };
                    match by_id.get(&id) {
                        Some((seq, _)) if *seq > used.sequence => {}
                        _ => {
                            by_id.insert(id, (used.sequence, candidate));
                        }
                    }
                }
                intervals.push(interval);
                batches.push(used);
            }
        }
    }
    let mut events: Vec<ArchivedEvent> = by_id.into_values().map(|(_, e)| e).collect();
    events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let covered = merge(intervals, window);
    let gaps = complement(&covered, window);
    problems.sort_by(|a, b| (a.sequence, a.code).cmp(&(b.sequence, b.code)));
    Ok(Archive {
        stream,
        window,
        key_fingerprint: key.fingerprint(),
        key_pinned,
        batches,
        problems,
        covered,
        gaps,
        events,
    })
}

/// Checks one batch's events against its manifest entry and returns the matching events.
fn scan(
    e: &ChainEntry,
    interval: Interval,
    file: &crate::evidence::manifest::ManifestFile,
    events: Option<Vec<u8>>,
    window: Interval,
    prefilter: Prefilter<'_>,
    keep: Option<Keep<'_>>,
) -> std::result::Result<Scanned, BatchProblem> {
    let Some(events) = events else {
        return Err(problem(e, "missing_file", "events.ndjson is listed in the manifest but not stored".into()));
    };
    if events.len() as u64 != file.bytes {
        return Err(problem(
            e,
            "file_size",
            format!("events.ndjson has {} bytes, the manifest says {}", events.len(), file.bytes),
        ));
    }
    if canonical::sha256_hex(&events) != file.sha256 {
        return Err(problem(e, "file_hash", "events.ndjson does not match the manifest".into()));
    }
    let inside = interval.0 >= window.0 && interval.1 <= window.1;
    let mut found = Vec::new();
    let mut count = 0usize;
    for line in events.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
        count += 1;
        if !prefilter(line) {
            continue;
        }
        let Ok(head) = serde_json::from_slice::<Head<'_>>(line) else {
            return Err(problem(e, "bad_record", format!("event {count} of events.ndjson has no id and eventDate")));
        };
        let Ok(at) = OffsetDateTime::parse(&head.event_date, &Rfc3339) else {
            return Err(problem(e, "bad_record", format!("event {count} has no RFC 3339 eventDate")));
        };
        if !inside && (at < window.0 || at >= window.1) {
            continue;
        }
        if let Some(keep) = keep {
            let Ok(v) = serde_json::from_slice::<Value>(line) else {
                return Err(problem(e, "bad_record", format!("event {count} of events.ndjson is not JSON")));
            };
            if !keep(&v) {
                continue;
            }
        }
        found.push((at, head.id.into_owned(), line.to_vec()));
    }
    let used = BatchUsed {
        sequence: e.sequence,
        manifest: e.manifest.clone(),
        manifest_sha256: e.manifest_sha256.clone(),
        from: crate::clock::rfc3339(interval.0),
        to: crate::clock::rfc3339(interval.1),
        events: count,
    };
    Ok((used, interval, found))
}

/// A sound batch read: what was used, its interval, and its matching `(eventDate, id, event)`.
type Scanned = (BatchUsed, Interval, Vec<(OffsetDateTime, String, Vec<u8>)>);

fn problem(e: &ChainEntry, code: &'static str, detail: String) -> BatchProblem {
    BatchProblem { sequence: e.sequence, manifest: e.manifest.clone(), code, detail }
}

/// The interval a batch's manifest records (`collector.interval`).
fn batch_interval(collector: &Value) -> Option<Interval> {
    let t = |k: &str| collector["interval"][k].as_str().and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
    let (a, b) = (t("from")?, t("to")?);
    (a < b).then_some((a, b))
}

/// The union of `intervals`, clipped to `window`, merged and sorted.
fn merge(mut intervals: Vec<Interval>, window: Interval) -> Vec<Interval> {
    intervals.retain(|(a, b)| *b > window.0 && *a < window.1);
    intervals.sort();
    let mut out: Vec<Interval> = Vec::new();
    for (a, b) in intervals {
        let (a, b) = (a.max(window.0), b.min(window.1));
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// What of `window` the merged `covered` leaves out.
fn complement(covered: &[Interval], window: Interval) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut at = window.0;
    for (a, b) in covered {
        if *a > at {
            out.push((at, *a));
        }
        at = at.max(*b);
    }
    if at < window.1 {
        out.push((at, window.1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::hours(h)
    }

    #[test]
    fn coverage_merges_overlaps_and_names_the_holes() {
        let window = (t(0), t(100));
        let covered = merge(vec![(t(10), t(20)), (t(-5), t(5)), (t(15), t(30)), (t(40), t(200))], window);
        assert_eq!(covered, vec![(t(0), t(5)), (t(10), t(30)), (t(40), t(100))]);
        assert_eq!(complement(&covered, window), vec![(t(5), t(10)), (t(30), t(40))]);
        assert_eq!(complement(&[], window), vec![window]);
        let a = Archive {
            stream: "x.audit".into(),
            window,
            key_fingerprint: String::new(),
            key_pinned: false,
            batches: vec![],
            problems: vec![],
            covered,
            gaps: vec![],
            events: vec![],
        };
        assert!(a.covers(t(10), t(30)));
        assert!(a.covers(t(41), t(100)));
        assert!(!a.covers(t(4), t(11)));
        assert!(!a.covers(t(29), t(41)));
        assert!(a.covers(t(7), t(7)));
    }
}
