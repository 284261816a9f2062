//! The diff: the fourth stage, comparing the gated snapshot with the approved baseline.
//!
//! Items are matched by their catalog identity, never by position; list members by the
//! list's kind (`map` members by key, `set` members by value, `ordered` members by
//! position, so that a reorder of an ordered list is drift). Every difference is one
//! [`Change`] record: a whole added or removed item is one record, and a modified item
//! gives one record per changed leaf or list member, with a JSON Pointer inside the item.

mod render;

pub use render::{to_patch, to_unified_text};

use crate::catalog::{ListKind, PlatformRules, TypeRules};
use crate::normalize::member_key;
use crate::snapshot::Snapshot;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// What happened to an item or a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Present now, absent in the baseline.
    Added,
    /// Present in the baseline, absent now.
    Removed,
    /// Present in both with another value.
    Modified,
}

/// One drift record (contract): `{resource_type, resource_id, resource_name, change, path,
/// before, after}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Resource type, e.g. `roles`.
    pub resource_type: String,
    /// The item's identity.
    pub resource_id: String,
    /// The item's name, when it has one.
    pub resource_name: Option<String>,
    /// Added, removed or modified.
    pub change: ChangeKind,
    /// JSON Pointer inside the item ("" for a whole item). Members of `map` lists are
    /// addressed by key (`/authorization/roles/<id>`), members of `set` lists by the list
    /// itself (`/permissions`, with the member in `before`/`after`), members of `ordered`
    /// lists by position.
    pub path: String,
    /// The value in the baseline (null when added).
    pub before: Option<Value>,
    /// The value now (null when removed).
    pub after: Option<Value>,
    /// The archived audit events on this resource between the baseline's approval and the
    /// snapshot, newest first (present when an audit archive covered that window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<Vec<ChangedBy>>,
    /// `true` when the archive covers the window completely and holds no event on this
    /// resource: an out-of-band change, or a hole in the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unattributed: Option<bool>,
    /// `"not_covered"` when an archive was read but does not cover the window: nothing is
    /// claimed about who made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

/// One audit event that explains a drift record (`changed_by[]`), as the archive holds it:
/// masked values stay masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedBy {
    /// The audit event's id.
    pub event_id: String,
    /// Its `eventDate` (RFC 3339, UTC).
    pub at: String,
    /// Who: the archived `user.id`, and the name the snapshot's users give it.
    pub user: ChangedByUser,
    /// The OAuth client it came through (`client.id`).
    pub client_id: Option<String>,
    /// `action` (Create, Update, Delete, …).
    pub action: Option<String>,
    /// `serviceName`.
    pub service: Option<String>,
    /// `propertyChanges`, as archived.
    pub properties: Value,
}

/// `changed_by[].user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedByUser {
    /// `user.id`.
    pub id: Option<String>,
    /// The user's name: the archived `user.name` if kept, else the snapshot's user of that id.
    pub name: Option<String>,
}

/// Items to leave out of the diff, per resource type (quarantined identities).
pub type Exclusions<'a> = BTreeMap<&'a str, HashSet<&'a str>>;

/// The items of one resource type on both sides of a diff.
pub struct TypeLists<'a> {
    /// The resource type.
    pub rtype: String,
    /// The baseline's items (owned: parsed for the diff).
    pub old: Box<[Value]>,
    /// The snapshot's items.
    pub new: Vec<&'a Value>,
}

/// Compares two normalized snapshots of one platform. Items whose identity is in
/// `exclude` are skipped on both sides.
pub fn diff(baseline: &Snapshot, current: &Snapshot, rules: &PlatformRules, exclude: &Exclusions<'_>) -> Vec<Change> {
    let types: BTreeSet<&String> = baseline.resources.keys().chain(current.resources.keys()).collect();
    let empty = Vec::new();
    let lists: Vec<(&str, Vec<&Value>, Vec<&Value>)> = types
        .into_iter()
        .map(|rtype| {
            let old = baseline.resources.get(rtype).unwrap_or(&empty).iter().collect();
            let new = current.resources.get(rtype).unwrap_or(&empty).iter().collect();
            (rtype.as_str(), old, new)
        })
        .collect();
    diff_typed(lists, rules, exclude)
}

/// [`diff`] over the items of each type given as lists (types in name order, items in
/// normalized order).
pub fn diff_lists(lists: &[TypeLists<'_>], rules: &PlatformRules, exclude: &Exclusions<'_>) -> Vec<Change> {
    let mut lists: Vec<&TypeLists<'_>> = lists.iter().collect();
    lists.sort_by(|a, b| a.rtype.cmp(&b.rtype));
    diff_typed(
        lists.into_iter().map(|l| (l.rtype.as_str(), l.old.iter().collect(), l.new.clone())).collect(),
        rules,
        exclude,
    )
}

fn diff_typed(
    lists: Vec<(&str, Vec<&Value>, Vec<&Value>)>,
    rules: &PlatformRules,
    exclude: &Exclusions<'_>,
) -> Vec<Change> {
    let mut out = Vec::new();
    for (rtype, old, new) in lists {
        let t = rules.type_rules(rtype);
        let skip = exclude.get(rtype);
        let old = index_items(&old, &t, skip);
        let new = index_items(&new, &t, skip);
        let ids: Vec<&String> = old.keys().chain(new.keys()).collect::<BTreeSet<_>>().into_iter().collect();
        // Items are compared independently, on every core; their records keep identity order.
        use rayon::prelude::*;
        let per_item: Vec<Vec<Change>> = ids
            .par_iter()
            .map(|id| {
                let mut records = Vec::new();
                let mut ctx = Ctx { rtype, id, name: None, t: &t, out: &mut records };
                match (old.get(*id), new.get(*id)) {
                    (None, Some(n)) => ctx.record(ChangeKind::Added, String::new(), None, Some(n)),
                    (Some(o), None) => ctx.record(ChangeKind::Removed, String::new(), Some(o), None),
                    // Most items are unchanged: a plain equality check settles them.
                    (Some(o), Some(n)) if o == n => {}
                    (Some(o), Some(n)) => {
                        ctx.name = t.name_of(n).or_else(|| t.name_of(o));
                        let mut generic = Vec::new();
                        ctx.value(o, n, &mut generic, String::new());
                    }
                    (None, None) => {}
                }
                records
            })
            .collect();
        out.extend(per_item.into_iter().flatten());
    }
    out
}

fn index_items<'v>(items: &[&'v Value], t: &TypeRules, skip: Option<&HashSet<&str>>) -> BTreeMap<String, &'v Value> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| (t.identity_of(v).unwrap_or_else(|| format!("#{i}")), *v))
        .filter(|(id, _)| !skip.is_some_and(|s| s.contains(id.as_str())))
        .collect()
}

struct Ctx<'a> {
    rtype: &'a str,
    id: &'a str,
    name: Option<String>,
    t: &'a TypeRules,
    out: &'a mut Vec<Change>,
}

impl Ctx<'_> {
    fn record(&mut self, change: ChangeKind, path: String, before: Option<&Value>, after: Option<&Value>) {
        let name =
            self.name.clone().or_else(|| after.or(before).filter(|_| path.is_empty()).and_then(|v| self.t.name_of(v)));
        self.out.push(Change {
            changed_by: None,
            unattributed: None,
            attribution: None,
            resource_type: self.rtype.to_string(),
            resource_id: self.id.to_string(),
            resource_name: name,
            change,
            path,
            before: before.cloned(),
            after: after.cloned(),
        });
    }

    fn value(&mut self, old: &Value, new: &Value, generic: &mut Vec<String>, pointer: String) {
        match (old, new) {
            (Value::Object(o), Value::Object(n)) => {
                let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
                for k in keys {
                    let p = format!("{pointer}/{}", escape(k));
                    match (o.get(k), n.get(k)) {
                        (None, Some(nv)) => self.record(ChangeKind::Added, p, None, Some(nv)),
                        (Some(ov), None) => self.record(ChangeKind::Removed, p, Some(ov), None),
                        (Some(ov), Some(nv)) if ov != nv => {
                            generic.push(k.clone());
                            self.value(ov, nv, generic, p);
                            generic.pop();
                        }
                        _ => {}
                    }
                }
            }
            (Value::Array(o), Value::Array(n)) => {
                generic.push("*".into());
                let kind = self.t.list_kind(&generic[..generic.len() - 1]).clone();
                match kind {
                    ListKind::Map { key } => self.map_list(o, n, &key, generic, &pointer),
                    ListKind::Set => self.set_list(o, n, &pointer),
                    ListKind::Ordered => self.ordered_list(o, n, generic, &pointer),
                }
                generic.pop();
            }
            _ if old != new => self.record(ChangeKind::Modified, pointer, Some(old), Some(new)),
            _ => {}
        }
    }

    fn map_list<'v>(
        &mut self,
        o: &'v [Value],
        n: &'v [Value],
        key: &[String],
        generic: &mut Vec<String>,
        pointer: &str,
    ) {
        let index = |items: &'v [Value]| -> BTreeMap<String, &'v Value> {
            items
                .iter()
                .map(|v| {
                    (
                        member_key(v, key)
                            .unwrap_or_else(|| String::from_utf8_lossy(&crate::canonical::to_vec(v)).into_owned()),
                        v,
                    )
                })
                .collect()
        };
        let (om, nm) = (index(o), index(n));
        let keys: BTreeSet<&String> = om.keys().chain(nm.keys()).collect();
        for k in keys {
            let p = format!("{pointer}/{}", escape(k));
            match (om.get(k), nm.get(k)) {
                (None, Some(nv)) => self.record(ChangeKind::Added, p, None, Some(*nv)),
                (Some(ov), None) => self.record(ChangeKind::Removed, p, Some(*ov), None),
                (Some(ov), Some(nv)) if ov != nv => self.value(ov, nv, generic, p),
                _ => {}
            }
        }
    }

    fn set_list<'v>(&mut self, o: &'v [Value], n: &'v [Value], pointer: &str) {
        let count = |items: &'v [Value]| {
            let mut m: BTreeMap<Vec<u8>, (usize, &'v Value)> = BTreeMap::new();
            for v in items {
                m.entry(crate::canonical::to_vec(v)).or_insert((0, v)).0 += 1;
            }
            m
        };
        let (om, nm) = (count(o), count(n));
        for (k, (c, v)) in &om {
            let left = nm.get(k).map_or(0, |x| x.0);
            for _ in left..*c {
                self.record(ChangeKind::Removed, pointer.to_string(), Some(v), None);
            }
        }
        for (k, (c, v)) in &nm {
            let had = om.get(k).map_or(0, |x| x.0);
            for _ in had..*c {
                self.record(ChangeKind::Added, pointer.to_string(), None, Some(v));
            }
        }
    }

    fn ordered_list(&mut self, o: &[Value], n: &[Value], generic: &mut Vec<String>, pointer: &str) {
        use similar::{capture_diff_slices, Algorithm, DiffOp};
        let ok: Vec<Vec<u8>> = o.iter().map(crate::canonical::to_vec).collect();
        let nk: Vec<Vec<u8>> = n.iter().map(crate::canonical::to_vec).collect();
        for op in capture_diff_slices(Algorithm::Myers, &ok, &nk) {
            match op {
                DiffOp::Equal { .. } => {}
                DiffOp::Delete { old_index, old_len, .. } => {
                    self.members(ChangeKind::Removed, o, old_index, old_len, pointer)
                }
                DiffOp::Insert { new_index, new_len, .. } => {
                    self.members(ChangeKind::Added, n, new_index, new_len, pointer)
                }
                DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                    // Members replaced in place are compared field by field; the rest of the
                    // longer side was removed or added.
                    let paired = old_len.min(new_len);
                    for (j, (ov, nv)) in
                        o[old_index..old_index + paired].iter().zip(&n[new_index..new_index + paired]).enumerate()
                    {
                        self.value(ov, nv, generic, format!("{pointer}/{}", new_index + j));
                    }
                    self.members(ChangeKind::Removed, o, old_index + paired, old_len - paired, pointer);
                    self.members(ChangeKind::Added, n, new_index + paired, new_len - paired, pointer);
                }
            }
        }
    }

    /// One record per member of `items[start..start + len]`, addressed by position.
    fn members(&mut self, change: ChangeKind, items: &[Value], start: usize, len: usize, pointer: &str) {
        for (i, v) in items.iter().enumerate().skip(start).take(len) {
            let p = format!("{pointer}/{i}");
            match change {
                ChangeKind::Added => self.record(change, p, None, Some(v)),
                _ => self.record(change, p, Some(v), None),
            }
        }
    }
}

/// Escapes one JSON Pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests;
