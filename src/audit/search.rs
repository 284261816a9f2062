//! `driftgate audit search`: the archived audit events of a window that match every filter
//! given, from batches each checked before use, with what of the window the archive does not
//! cover. A filter on a value first looks for the value's JSON text in the stored line (the
//! archive is canonical JSON, so a line without it cannot match) and only then parses the line
//! and compares exactly: a search is proportional to the bytes scanned, not to a parse of
//! every event.

use super::archive::{self, Archive, ArchivedEvent, Interval, Trust};
use crate::evidence::store::Store;
use crate::report::render::{neutralize, spreadsheet_cell};
use crate::Result;
use memchr::memmem;
use serde::Serialize;
use serde_json::{json, Value};

/// What to look for; every filter given must match.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Filters {
    /// `user.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `entity.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// `entityType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// `action`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `serviceName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `client.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// One of `remoteIp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// A substring of any string value of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
}

impl Filters {
    /// The JSON text each filter's value has in a stored line (escaped, without quotes for a
    /// substring, with them for an exact value).
    fn needles(&self) -> Vec<Vec<u8>> {
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default().into_bytes();
        let mut out: Vec<Vec<u8>> =
            [&self.user, &self.entity, &self.entity_type, &self.action, &self.service, &self.client, &self.ip]
                .into_iter()
                .flatten()
                .map(|s| quoted(s))
                .collect();
        if let Some(c) = &self.contains {
            let q = quoted(c);
            out.push(q[1..q.len() - 1].to_vec());
        }
        out
    }

    /// Whether no filter is given (every event of the window matches).
    pub fn is_empty(&self) -> bool {
        self.needles().is_empty()
    }

    /// Whether the parsed event matches every filter.
    pub fn matches(&self, e: &Value) -> bool {
        let is = |want: &Option<String>, got: &Value| want.as_ref().is_none_or(|w| got.as_str() == Some(w.as_str()));
        is(&self.user, &e["user"]["id"])
            && is(&self.entity, &e["entity"]["id"])
            && is(&self.entity_type, &e["entityType"])
            && is(&self.action, &e["action"])
            && is(&self.service, &e["serviceName"])
            && is(&self.client, &e["client"]["id"])
            && self.ip.as_ref().is_none_or(|ip| match &e["remoteIp"] {
                Value::Array(a) => a.iter().any(|v| v.as_str() == Some(ip.as_str())),
                v => v.as_str() == Some(ip.as_str()),
            })
            && self.contains.as_ref().is_none_or(|c| any_string(e, &|s| s.contains(c.as_str())))
    }
}

fn any_string(v: &Value, f: &dyn Fn(&str) -> bool) -> bool {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().any(|x| any_string(x, f)),
        Value::Object(o) => o.values().any(|x| any_string(x, f)),
        _ => false,
    }
}

/// Searches the archive of `tenant` over `window`.
pub fn search(store: &dyn Store, tenant: &str, window: Interval, trust: &Trust, filters: &Filters) -> Result<Archive> {
    let finders: Vec<memmem::Finder<'static>> =
        filters.needles().into_iter().map(|n| memmem::Finder::new(&n).into_owned()).collect();
    let prefilter = move |line: &[u8]| finders.iter().all(|f| f.find(line).is_some());
    let keep = |e: &Value| filters.matches(e);
    archive::read(store, tenant, window, trust, &prefilter, (!filters.is_empty()).then_some(&keep))
}

/// The earliest instant the stream's batches cover (the default `--from`).
pub fn earliest(store: &dyn Store, tenant: &str) -> Result<Option<time::OffsetDateTime>> {
    Ok(super::batches(store, tenant)?.into_iter().map(|b| b.from).min())
}

fn rfc(t: time::OffsetDateTime) -> String {
    crate::clock::rfc3339(t)
}

fn intervals(list: &[Interval]) -> Value {
    Value::Array(list.iter().map(|(a, b)| json!({"from": rfc(*a), "to": rfc(*b)})).collect())
}

/// The whole result as one JSON document (`--format json`, `driftgate.audit-search/v1`).
pub fn to_json(a: &Archive, tenant: &str, filters: &Filters) -> Value {
    json!({
        "format": "driftgate.audit-search/v1",
        "tenant": tenant,
        "stream": a.stream,
        "from": rfc(a.window.0),
        "to": rfc(a.window.1),
        "filters": filters,
        "public_key": {"sha256": a.key_fingerprint, "pinned": a.key_pinned},
        "batches": a.batches,
        "problems": a.problems,
        "covered": intervals(&a.covered),
        "not_covered": intervals(&a.gaps),
        "events": a.events.iter().map(|e| with_batch(a, e)).collect::<Vec<_>>(),
    })
}

/// An event with the batch it came from (`_batch`: sequence and manifest hash).
fn with_batch(a: &Archive, e: &ArchivedEvent) -> Value {
    let b = &a.batches[e.batch];
    json!({"event": e.event(), "batch": {"sequence": b.sequence, "manifest_sha256": b.manifest_sha256}})
}

/// One event per line, as stored (`--format ndjson`).
pub fn to_ndjson(a: &Archive) -> String {
    let mut out = String::new();
    for e in &a.events {
        out.push_str(&String::from_utf8_lossy(&e.raw));
        out.push('\n');
    }
    out
}

const COLUMNS: [&str; 10] =
    ["eventDate", "serviceName", "action", "status", "entityType", "entity", "user", "client", "remoteIp", "id"];

fn cells(e: &Value) -> [String; 10] {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => {
            a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).collect::<Vec<_>>().join(" ")
        }
        v => v.to_string(),
    };
    let entity = match (e["entity"]["name"].as_str(), e["entity"]["id"].as_str()) {
        (Some(n), Some(id)) => format!("{n} ({id})"),
        (None, Some(id)) => id.to_string(),
        (Some(n), None) => n.to_string(),
        _ => String::new(),
    };
    [
        s(&e["eventDate"]),
        s(&e["serviceName"]),
        s(&e["action"]),
        s(&e["status"]),
        s(&e["entityType"]),
        entity,
        s(&e["user"]["id"]),
        s(&e["client"]["id"]),
        s(&e["remoteIp"]),
        s(&e["id"]),
    ]
}

/// A spreadsheet of the events (`--format csv`): no cell can be read as a formula.
pub fn to_csv(a: &Archive) -> String {
    let mut out = COLUMNS.join(",") + "\n";
    for e in &a.events {
        let row: Vec<String> = cells(&e.event())
            .iter()
            .map(|c| {
                let c = spreadsheet_cell(c);
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.into_owned()
                }
            })
            .collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// A table for a terminal (`--format table`): platform text cannot become an escape sequence.
pub fn to_table(a: &Archive) -> String {
    let rows: Vec<[String; 10]> = a
        .events
        .iter()
        .map(|e| cells(&e.event()).map(|c| neutralize(&c, false).replace(['\n', '\r', '\t'], " ")))
        .collect();
    let mut widths = COLUMNS.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count().min(60));
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            let c: String = c.chars().take(60).collect();
            l.push_str(&c);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(w - c.chars().count() + 2));
            }
        }
        l.trim_end().to_string() + "\n"
    };
    let mut out = line(&COLUMNS.map(str::to_string));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

/// What a reader must know besides the events: the key, what failed, what is not covered.
pub fn notes(a: &Archive) -> Vec<String> {
    let mut out = Vec::new();
    let trust = if a.key_pinned { "pinned" } else { "taken from the store, not pinned" };
    let seqs = match (a.batches.first(), a.batches.last()) {
        (Some(f), Some(l)) => format!(" (sequence {}–{})", f.sequence, l.sequence),
        _ => String::new(),
    };
    out.push(format!(
        "{}: {} batch(es){seqs} checked and searched, {} → {}; signatures verified with key sha256 {} ({trust})",
        a.stream,
        a.batches.len(),
        rfc(a.window.0),
        rfc(a.window.1),
        a.key_fingerprint
    ));
    for p in &a.problems {
        out.push(format!(
            "BATCH NOT USED {} sequence {} ({}): {}; none of its events is shown",
            p.code, p.sequence, p.manifest, p.detail
        ));
    }
    for (f, t) in &a.gaps {
        out.push(format!(
            "NOT COVERED {} → {}: no sound batch covers it (never collected, a gap, or a batch that failed its check); events there are unknown, not absent",
            rfc(*f),
            rfc(*t)
        ));
    }
    out.push(format!("{} event(s) match", a.events.len()));
    out.into_iter().map(|l| neutralize(&l, false)).collect()
}
