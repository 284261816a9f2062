//! Where a finding is in the file the user gave: the snapshot (or, for a resource only the
//! baseline has, the baseline), named relative to its repository's root, with the line of
//! the resource or of the field at the finding's path. SARIF and GitHub annotations point
//! there, so code scanning shows the alert on the file in the pull request.
//!
//! Locating reads the text as written (items in any order, fields in any order, volatile
//! fields present): each resource by its identity, then the path segment by segment (an
//! object key, a list index, or a list member whose key or value is the segment). Where a
//! segment is not in the file (a field the normalization added or renamed), the location
//! is the deepest part of the path that is.

use super::model::{Location, Report};
use crate::catalog::PlatformRules;
use crate::snapshot::Snapshot;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A file findings can point into.
pub struct SourceFile<'a> {
    uri: String,
    text: &'a str,
    located: Option<crate::snapshot::LocatedSnapshot>,
    /// Per type, identity → the item's byte range (start, length) in the text (built on
    /// first use).
    index: HashMap<String, HashMap<String, (usize, usize)>>,
    newlines: Vec<usize>,
}

impl<'a> SourceFile<'a> {
    /// The snapshot or baseline at `path` (as given), whose text is `text`.
    pub fn new(path: &Path, text: &'a str) -> SourceFile<'a> {
        SourceFile {
            uri: repo_relative(path),
            text,
            located: Snapshot::locate_items(path, text),
            index: HashMap::new(),
            newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        }
    }

    /// The file's name for code scanning: relative to the root of the git work tree it is
    /// in, else as given.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }

    fn offset_of(&self, raw: &RawValue) -> usize {
        raw.get().as_ptr() as usize - self.text.as_ptr() as usize
    }

    /// The line of resource `id` of `rtype`, or of the field at `path` inside it.
    pub fn locate(&mut self, rules: &PlatformRules, rtype: &str, id: &str, path: Option<&str>) -> Option<usize> {
        let (s, len) = self.item_span(rules, rtype, id)?;
        let item: &RawValue = serde_json::from_str(self.text.get(s..s + len)?).ok()?;
        let mut at = item;
        for seg in path.unwrap_or("").split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            match step(at, &seg) {
                Some(next) => at = next,
                None => break,
            }
        }
        Some(self.line_of(self.offset_of(at)))
    }

    fn item_span(&mut self, rules: &PlatformRules, rtype: &str, id: &str) -> Option<(usize, usize)> {
        if !self.index.contains_key(rtype) {
            let t = rules.type_rules(rtype);
            let mut by_id = HashMap::new();
            for &(s, len) in self.located.as_ref()?.items.get(rtype)? {
                let Some(text) = self.text.get(s..s + len) else { continue };
                // Only the identity fields are read; the rest is skipped unparsed.
                let Ok(members) = serde_json::from_str::<BTreeMap<String, &RawValue>>(text) else { continue };
                let mut head = serde_json::Map::new();
                for field in t.identity.iter().chain(std::iter::once(&t.name_field)) {
                    if let Some(v) = members.get(field).and_then(|r| serde_json::from_str::<Value>(r.get()).ok()) {
                        head.insert(field.clone(), v);
                    }
                }
                if let Some(key) = t.identity_of(&Value::Object(head)) {
                    by_id.entry(key).or_insert((s, len));
                }
            }
            self.index.insert(rtype.to_string(), by_id);
        }
        self.index.get(rtype)?.get(id).copied()
    }
}

/// One path segment down from `at`: an object member, a list index, or the list member
/// whose value, or one of whose scalar fields, is the segment.
fn step<'t>(at: &'t RawValue, seg: &str) -> Option<&'t RawValue> {
    let text = at.get();
    match text.as_bytes().first()? {
        b'{' => {
            let members: BTreeMap<String, &'t RawValue> = serde_json::from_str(text).ok()?;
            members.get(seg).copied()
        }
        b'[' => {
            let items: Vec<&'t RawValue> = serde_json::from_str(text).ok()?;
            let scalar = |r: &RawValue| match serde_json::from_str::<Value>(r.get()).ok()? {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
            let by_member = items.iter().copied().find(|item| {
                if item.get().starts_with('{') {
                    serde_json::from_str::<BTreeMap<String, &RawValue>>(item.get())
                        .ok()
                        .is_some_and(|m| m.values().any(|v| scalar(v).as_deref() == Some(seg)))
                } else {
                    scalar(item).as_deref() == Some(seg)
                }
            });
            by_member.or_else(|| seg.parse::<usize>().ok().and_then(|i| items.get(i).copied()))
        }
        _ => None,
    }
}

/// `path` relative to the root of the git work tree holding it (the directory with
/// `.git`), with `/` separators; as given when it is in none.
pub fn repo_relative(path: &Path) -> String {
    let shown = || path.to_string_lossy().trim_start_matches("./").replace('\\', "/");
    let Ok(abs) = std::fs::canonicalize(path) else {
        return shown();
    };
    for dir in abs.ancestors().skip(1) {
        if dir.join(".git").exists() {
            if let Ok(rel) = abs.strip_prefix(dir) {
                return rel.iter().map(|s| s.to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
            }
        }
    }
    shown()
}

/// Sets each finding's [`super::model::Finding::source`]: in the snapshot file, or in the
/// baseline file for a resource only the baseline has (when the baseline is a file; one
/// read from git keeps the normalized location only).
pub fn locate_findings(
    report: &mut Report,
    rules: &PlatformRules,
    snapshot: &mut SourceFile<'_>,
    baseline: Option<&str>,
) {
    let mut missing = Vec::new();
    for (i, f) in report.findings.iter_mut().enumerate() {
        let Some(r) = &f.resource else { continue };
        match snapshot.locate(rules, &r.resource_type, &r.id, f.path.as_deref()) {
            Some(line) => f.source = Some(Location { file: snapshot.uri().to_string(), line }),
            None => missing.push(i),
        }
    }
    let Some(path) = baseline.filter(|b| !b.starts_with("git:") && !missing.is_empty()) else { return };
    let Ok(text) = std::fs::read_to_string(path) else { return };
    let mut base = SourceFile::new(Path::new(path), &text);
    for i in missing {
        let f = &mut report.findings[i];
        let Some(r) = &f.resource else { continue };
        if let Some(line) = base.locate(rules, &r.resource_type, &r.id, f.path.as_deref()) {
            f.source = Some(Location { file: base.uri().to_string(), line });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_followed_by_key_index_and_member() {
        let text =
            "{\n \"a\": [\n  {\"id\": \"r1\"},\n  {\"id\": \"r2\",\n   \"x\": 1}\n ],\n \"b\": [\"p\", \"q\"]\n}";
        let root: &RawValue = serde_json::from_str(text).unwrap();
        let line = |r: &RawValue| text[..r.get().as_ptr() as usize - text.as_ptr() as usize].matches('\n').count() + 1;
        let a = step(root, "a").unwrap();
        assert_eq!(line(step(a, "r2").unwrap()), 4);
        assert_eq!(line(step(step(a, "r2").unwrap(), "x").unwrap()), 5);
        assert_eq!(line(step(a, "0").unwrap()), 3);
        assert_eq!(step(step(root, "b").unwrap(), "q").unwrap().get(), "\"q\"");
        assert!(step(root, "missing").is_none());
    }
}
