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
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// The snapshot or baseline at `path` (as given), whose text is `text`, with its items
    /// located in it when the caller already did (else they are located here).
    pub fn new(path: &Path, text: &'a str, located: Option<crate::snapshot::LocatedSnapshot>) -> SourceFile<'a> {
        SourceFile {
            uri: repo_relative(path),
            text,
            located: located.or_else(|| Snapshot::locate_items(path, text)),
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

    /// Where `part`, a slice of the text, starts in it.
    fn offset_of(&self, part: &str) -> usize {
        part.as_ptr() as usize - self.text.as_ptr() as usize
    }

    /// The line of resource `id` of `rtype`, or of the field at `path` inside it. The id
    /// must have been indexed ([`SourceFile::index_types`]); one that was not, like an item
    /// the file does not hold, is `None`.
    pub fn locate(&self, rtype: &str, id: &str, path: Option<&str>) -> Option<usize> {
        let &(s, len) = self.index.get(rtype)?.get(id)?;
        let mut at = self.text.get(s..s + len)?;
        for seg in path.unwrap_or("").split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            match step(at, &seg) {
                Some(next) => at = next.get(),
                None => break,
            }
        }
        Some(self.line_of(self.offset_of(at)))
    }

    /// Indexes the items of each type of `wanted` by identity, so that
    /// [`SourceFile::locate`] finds an item in one lookup; `wanted` also names the ids to
    /// be located. When they are few and a type's identity is one plain field (not a
    /// singleton's, which is the type's name), only the items whose text holds one of them
    /// are read (such an item's identity is text it holds); otherwise every item's identity
    /// fields are.
    pub fn index_types(&mut self, rules: &PlatformRules, wanted: &BTreeMap<&str, BTreeSet<&str>>) {
        use rayon::prelude::*;
        /// Up to this many ids, the items are searched for them rather than all read.
        const SEARCHED: usize = 16;
        for (&rtype, ids) in wanted {
            let t = rules.type_rules(rtype);
            let identity: Vec<&str> = t.identity.iter().map(String::as_str).collect();
            let fields: Vec<&str> = identity.iter().copied().chain(std::iter::once(t.name_field.as_str())).collect();
            let spans = self.located.as_ref().and_then(|l| l.items.get(rtype)).map(Vec::as_slice).unwrap_or_default();
            // Ids JSON writes as they are (no character it escapes), so that the text of an
            // item whose identity is one of them holds it.
            let plain = |id: &&str| id.chars().all(|c| c.is_ascii() && c >= ' ' && c != '"' && c != '\\');
            let search: Option<Vec<memchr::memmem::Finder>> =
                (identity.len() == 1 && !t.singleton && ids.len() <= SEARCHED && ids.iter().all(plain))
                    .then(|| ids.iter().map(|id| memchr::memmem::Finder::new(id.as_bytes())).collect());
            let keyed: Vec<(String, (usize, usize))> = spans
                .par_iter()
                .filter_map(|&(s, len)| {
                    let text = self.text.get(s..s + len)?;
                    if let Some(finders) = &search {
                        if !finders.iter().any(|f| f.find(text.as_bytes()).is_some()) {
                            return None;
                        }
                    }
                    // The name is only the fallback identity: once every identity field is
                    // read, the rest of the item is not.
                    let head = only_fields(text, &fields, &identity)?;
                    Some((t.identity_of(&Value::Object(head))?, (s, len)))
                })
                .collect();
            let mut by_id = HashMap::with_capacity(keyed.len());
            for (key, span) in keyed {
                by_id.entry(key).or_insert(span);
            }
            self.index.insert(rtype.to_string(), by_id);
        }
    }
}

/// The member `key` of the JSON object `text`, the others skipped without being built.
fn member<'t>(text: &'t str, key: &str) -> Option<&'t RawValue> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    struct Find<'k>(&'k str);
    impl<'de> Visitor<'de> for Find<'_> {
        type Value = Option<&'de RawValue>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if found.is_none() && k == self.0 {
                    found = Some(map.next_value::<&'de RawValue>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    impl<'de> DeserializeSeed<'de> for Find<'_> {
        type Value = Option<&'de RawValue>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    Find(key).deserialize(&mut serde_json::Deserializer::from_str(text)).ok().flatten()
}

/// The members named `wanted` of the JSON object `text`, every other member skipped
/// without being built, and the read stopped as soon as every member of `enough` (when it
/// names any) has been found with a scalar value; `None` when `text` is not an object.
fn only_fields(text: &str, wanted: &[&str], enough: &[&str]) -> Option<serde_json::Map<String, Value>> {
    use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
    use std::cell::{Cell, RefCell};
    struct Only<'w> {
        wanted: &'w [&'w str],
        enough: &'w [&'w str],
        out: &'w RefCell<serde_json::Map<String, Value>>,
        stopped: &'w Cell<bool>,
    }
    impl<'de> Visitor<'de> for Only<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if self.wanted.contains(&key.as_ref()) {
                    let v = map.next_value::<Value>()?;
                    let mut out = self.out.borrow_mut();
                    out.insert(key.into_owned(), v);
                    // Enough once each is there and scalar (what an identity is made of).
                    let scalar =
                        |k: &&str| out.get(*k).is_some_and(|v| v.is_string() || v.is_number() || v.is_boolean());
                    if !self.enough.is_empty() && self.enough.iter().all(scalar) {
                        // The rest of the item is not needed: stop the parser here.
                        self.stopped.set(true);
                        return Err(A::Error::custom("enough"));
                    }
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Only<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    let (out, stopped) = (RefCell::new(serde_json::Map::new()), Cell::new(false));
    let read = Only { wanted, enough, out: &out, stopped: &stopped }
        .deserialize(&mut serde_json::Deserializer::from_str(text));
    (read.is_ok() || stopped.get()).then(|| out.into_inner())
}

/// One path segment down from `at`: an object member, a list index, or the list member
/// whose value, or one of whose scalar fields, is the segment.
fn step<'t>(text: &'t str, seg: &str) -> Option<&'t RawValue> {
    match text.as_bytes().first()? {
        b'{' => member(text, seg),
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
    let missing = locate_in(report, rules, snapshot, None);
    let Some(path) = baseline.filter(|b| !b.starts_with("git:") && !missing.is_empty()) else { return };
    let Ok(text) = std::fs::read_to_string(path) else { return };
    let mut base = SourceFile::new(Path::new(path), &text, None);
    locate_in(report, rules, &mut base, Some(&missing));
}

/// Locates the findings (those at `only`, else all with a resource) in `file`, on every
/// core; returns the indexes of those it did not find.
fn locate_in(
    report: &mut Report,
    rules: &PlatformRules,
    file: &mut SourceFile<'_>,
    only: Option<&[usize]>,
) -> Vec<usize> {
    use rayon::prelude::*;
    let wanted: Vec<usize> = match only {
        Some(list) => list.to_vec(),
        None => (0..report.findings.len()).filter(|&i| report.findings[i].resource.is_some()).collect(),
    };
    let mut ids: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in wanted.iter().filter_map(|&i| report.findings[i].resource.as_ref()) {
        ids.entry(r.resource_type.as_str()).or_default().insert(r.id.as_str());
    }
    file.index_types(rules, &ids);
    let file = &*file;
    let lines: Vec<Option<usize>> = wanted
        .par_iter()
        .map(|&i| {
            let f = &report.findings[i];
            let r = f.resource.as_ref()?;
            file.locate(&r.resource_type, &r.id, f.path.as_deref())
        })
        .collect();
    let mut missing = Vec::new();
    for (&i, line) in wanted.iter().zip(lines) {
        match line {
            Some(line) => report.findings[i].source = Some(Location { file: file.uri().to_string(), line }),
            None => missing.push(i),
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_followed_by_key_index_and_member() {
        let text =
            "{\n \"a\": [\n  {\"id\": \"r1\"},\n  {\"id\": \"r2\",\n   \"x\": 1}\n ],\n \"b\": [\"p\", \"q\"]\n}";
        let line = |r: &RawValue| text[..r.get().as_ptr() as usize - text.as_ptr() as usize].matches('\n').count() + 1;
        let a = step(text, "a").unwrap().get();
        assert_eq!(line(step(a, "r2").unwrap()), 4);
        assert_eq!(line(step(step(a, "r2").unwrap().get(), "x").unwrap()), 5);
        assert_eq!(line(step(a, "0").unwrap()), 3);
        assert_eq!(step(step(text, "b").unwrap().get(), "q").unwrap().get(), "\"q\"");
        assert!(step(text, "missing").is_none());
        // The member is found without the others being built, whatever they hold.
        assert_eq!(member(r#"{"z": {"deep": [1, {"k": 2}]}, "k": "v"}"#, "k").unwrap().get(), "\"v\"");
        assert!(member("[1, 2]", "k").is_none());
    }

    #[test]
    fn searching_for_a_few_ids_finds_what_reading_every_item_finds() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/genesys/acme-corp.approved.json"));
        let text = std::fs::read_to_string(path).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let catalog = crate::catalog::Catalog::built_in().unwrap();
        let rules = catalog.platform("genesys-cloud").unwrap();
        let ids: Vec<String> = doc["resources"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect();
        assert!(ids.len() > 16, "enough users to read them all");
        let all: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        // A singleton's identity is the type's name, which its text does not hold.
        let mut single = SourceFile::new(path, &text, None);
        let settings = BTreeSet::from(["authentication_settings"]);
        single.index_types(rules, &BTreeMap::from([("authentication_settings", settings)]));
        assert!(single
            .locate("authentication_settings", "authentication_settings", Some("/passwordRequirements"))
            .is_some());
        let mut every = SourceFile::new(path, &text, None);
        every.index_types(rules, &BTreeMap::from([("users", all.clone())]));
        for id in &ids {
            let mut searched = SourceFile::new(path, &text, None);
            searched.index_types(rules, &BTreeMap::from([("users", BTreeSet::from([id.as_str()]))]));
            for p in [None, Some("/authorization/roles")] {
                let line = every.locate("users", id, p);
                assert!(line.is_some(), "{id}");
                assert_eq!(searched.locate("users", id, p), line, "{id} {p:?}");
            }
        }
    }

    #[test]
    fn only_the_wanted_fields_are_built() {
        let item = r#"{"id": "a", "big": {"x": [1, 2, {"y": "z"}]}, "name": "N", "n": 3}"#;
        // Stopped once the identity is read: the name after it is not.
        let early = only_fields(item, &["id", "name"], &["id"]).unwrap();
        assert_eq!(Value::Object(early), serde_json::json!({"id": "a"}));
        // Without the identity, the name is read (it is the fallback).
        let named = only_fields(r#"{"big": [1], "name": "N"}"#, &["id", "name"], &["id"]).unwrap();
        assert_eq!(Value::Object(named), serde_json::json!({"name": "N"}));
        // An identity that is not scalar does not stop the read.
        let odd = only_fields(r#"{"id": {"x": 1}, "name": "N"}"#, &["id", "name"], &["id"]).unwrap();
        assert_eq!(Value::Object(odd), serde_json::json!({"id": {"x": 1}, "name": "N"}));
        let m = only_fields(item, &["id", "name"], &[]).unwrap();
        assert_eq!(Value::Object(m), serde_json::json!({"id": "a", "name": "N"}));
        assert!(only_fields("[1]", &["id"], &["id"]).is_none());
    }
}
