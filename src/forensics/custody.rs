//! The chain of custody: an append-only JSONL log, one canonical JSON object per line, each
//! carrying the SHA-256 of the line before it (`prev_sha256`, null for the first), so that no
//! entry can be changed, removed or reordered without breaking every later link. And its
//! check against the package's artifact index and manifest.

use crate::canonical;
use crate::evidence::manifest::ManifestFile;
use serde_json::{json, Map, Value};

/// A custody log being written.
#[derive(Debug)]
pub struct CustodyLog {
    actor: Value,
    lines: Vec<Vec<u8>>,
}

impl CustodyLog {
    /// An empty log; `actor` is recorded on every entry.
    pub fn new(actor: Value) -> CustodyLog {
        CustodyLog { actor, lines: Vec::new() }
    }

    /// Appends an entry: `action` with `fields`, stamped now.
    pub fn record(&mut self, action: &str, fields: Value) {
        let mut e = Map::new();
        e.insert("seq".into(), json!(self.lines.len() + 1));
        e.insert("at".into(), json!(crate::clock::rfc3339(time::OffsetDateTime::now_utc())));
        e.insert("actor".into(), self.actor.clone());
        e.insert("action".into(), json!(action));
        if let Value::Object(f) = fields {
            e.extend(f);
        }
        e.insert("prev_sha256".into(), self.lines.last().map_or(Value::Null, |l| json!(canonical::sha256_hex(l))));
        self.lines.push(canonical::to_vec(&Value::Object(e)));
    }

    /// Entries so far.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The JSONL bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        out
    }
}

/// Checks a forensic package: the custody chain, and that the custody log, the artifact index
/// (`artifacts.json`) and the manifest agree on every artifact's hashes. Problems as
/// `(code, detail)`: `custody_chain` for a broken log, `custody_mismatch` for disagreement.
pub fn check(custody: &[u8], index: &[u8], files: &[ManifestFile]) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let mut entries: Vec<Value> = Vec::new();
    let mut prev: Option<String> = None;
    for (i, line) in custody.split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
        let Some(e) = crate::input::strict::parse_bytes(line) else {
            problems.push(("custody_chain", format!("entry {} is not JSON", i + 1)));
            return problems;
        };
        if e["seq"].as_u64() != Some(i as u64 + 1) {
            problems.push(("custody_chain", format!("entry {} has seq {}", i + 1, e["seq"])));
        }
        let want = prev.as_ref().map_or(Value::Null, |p| json!(p));
        if e["prev_sha256"] != want {
            problems.push(("custody_chain", format!("entry {} does not link to the entry before it", i + 1)));
        }
        prev = Some(canonical::sha256_hex(line));
        entries.push(e);
    }
    if entries.first().is_none_or(|e| e["action"] != "opened") {
        problems.push(("custody_chain", "the log does not start with `opened`".into()));
    }
    let Some(index) = crate::input::strict::parse_bytes(index) else {
        problems.push(("custody_mismatch", "artifacts.json is not JSON".into()));
        return problems;
    };
    let artifacts = index["artifacts"].as_array().cloned().unwrap_or_default();
    match entries.last() {
        Some(e) if e["action"] == "sealed" && e["artifacts"].as_u64() == Some(artifacts.len() as u64) => {}
        _ => problems.push(("custody_chain", "the log does not end with `sealed` over every artifact".into())),
    }
    let find = |action: &str, name: &str| entries.iter().find(|e| e["action"] == action && e["artifact"] == name);
    for a in &artifacts {
        let name = a["artifact"].as_str().unwrap_or("");
        match find("received", name) {
            Some(e) if e["sha256"] == a["sha256"] => {}
            _ => problems.push(("custody_mismatch", format!("{name}: no custody record of its receipt with its hash"))),
        }
        if a["encrypted"] == true {
            match find("encrypted", name) {
                Some(e) if e["sha256_plaintext"] == a["sha256"] && e["sha256_ciphertext"] == a["sha256_stored"] => {}
                _ => problems.push((
                    "custody_mismatch",
                    format!("{name}: no custody record of its encryption with both hashes"),
                )),
            }
        }
        let stored = a["stored_as"].as_str().unwrap_or("");
        match files.iter().find(|f| f.path == stored) {
            Some(f) if a["sha256_stored"] == f.sha256.as_str() => {}
            _ => problems
                .push(("custody_mismatch", format!("{stored}: the manifest does not list it with the indexed hash"))),
        }
    }
    for e in entries.iter().filter(|e| e["action"] == "received") {
        if !artifacts.iter().any(|a| a["artifact"] == e["artifact"]) {
            problems.push(("custody_mismatch", format!("{}: received but not in the package", e["artifact"])));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> (Vec<u8>, Vec<u8>, Vec<ManifestFile>) {
        let mut log = CustodyLog::new(json!({"collected_by": "t"}));
        log.record("opened", json!({"incident": "INC-1"}));
        log.record("received", json!({"artifact": "a.json", "sha256": "aa"}));
        log.record("sealed", json!({"artifacts": 1}));
        let index = json!({"artifacts": [{"artifact": "a.json", "stored_as": "a.json", "sha256": "aa", "sha256_stored": "aa", "encrypted": false}]});
        let files = vec![ManifestFile { path: "a.json".into(), sha256: "aa".into(), bytes: 1 }];
        (log.to_bytes(), canonical::to_vec(&index), files)
    }

    #[test]
    fn an_intact_log_checks() {
        let (c, i, f) = package();
        assert_eq!(check(&c, &i, &f), vec![]);
    }

    #[test]
    fn edited_removed_or_reordered_entries_break_the_chain() {
        let (c, i, f) = package();
        let text = String::from_utf8(c).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let edited = text.replace("\"sha256\":\"aa\"", "\"sha256\":\"ab\"");
        assert!(check(edited.as_bytes(), &i, &f).iter().any(|p| p.0 == "custody_chain"));
        let removed = format!("{}\n{}\n", lines[0], lines[2]);
        assert!(check(removed.as_bytes(), &i, &f).iter().any(|p| p.0 == "custody_chain"));
        let reordered = format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]);
        assert!(check(reordered.as_bytes(), &i, &f).iter().any(|p| p.0 == "custody_chain"));
    }

    #[test]
    fn an_index_or_manifest_that_disagrees_is_a_mismatch() {
        let (c, _, f) = package();
        let other = canonical::to_vec(
            &json!({"artifacts": [{"artifact": "a.json", "stored_as": "a.json", "sha256": "zz", "sha256_stored": "aa", "encrypted": false}]}),
        );
        assert!(check(&c, &other, &f).iter().any(|p| p.0 == "custody_mismatch"));
        let (c, i, _) = package();
        let files = vec![ManifestFile { path: "a.json".into(), sha256: "bb".into(), bytes: 1 }];
        assert!(check(&c, &i, &files).iter().any(|p| p.0 == "custody_mismatch"));
    }
}
