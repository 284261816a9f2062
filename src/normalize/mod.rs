//! Normalization: the second stage, between collection and the schema gate.
//!
//! The same configuration always normalizes to the same bytes, and only real configuration
//! changes survive to the diff: volatile fields are removed, secrets are replaced by the
//! catalog's redaction marker, every list is put in its catalog order (`set` by canonical
//! value, `map` by key, `ordered` kept) and the items of each resource type are sorted by
//! identity. Normalizing twice gives what normalizing once gave.

use crate::canonical;
use crate::catalog::{key_of, ListKind, PlatformRules, TypeRules};
use crate::snapshot::Snapshot;
use serde_json::Value;

/// Normalizes a snapshot with the rules of its platform.
pub fn normalize(mut snapshot: Snapshot, rules: &PlatformRules) -> Snapshot {
    use rayon::prelude::*;
    for (rtype, items) in snapshot.resources.iter_mut() {
        let t = rules.type_rules(rtype);
        // Items are independent: normalized on every core.
        items
            .par_iter_mut()
            .for_each_init(FieldPath::default, |path, item| walk(item, path, &t, &rules.redaction_marker));
        sort_items(items, &t);
    }
    snapshot
}

/// Replaces every secret the catalog names by the redaction marker, and nothing else. For
/// raw snapshots, which are stored as collected but never with a secret in them.
pub fn redact_secrets(snapshot: &mut Snapshot, rules: &PlatformRules) {
    for (rtype, items) in snapshot.resources.iter_mut() {
        let t = rules.type_rules(rtype);
        if t.secrets.is_empty() {
            continue;
        }
        let mut path = FieldPath::default();
        for item in items.iter_mut() {
            redact(item, &mut path, &t, &rules.redaction_marker);
        }
    }
}

/// The configuration digest: SHA-256 of the canonical JSON of the normalized snapshot's
/// platform, tenant and resources. It leaves out when and by whom the snapshot was
/// collected, so re-collecting the same configuration gives the same digest.
pub fn configuration_digest(normalized: &Snapshot) -> String {
    digests(normalized, false).0
}

/// Per resource type, each item's canonical bytes, in the items' order.
pub type ItemBytes = std::collections::BTreeMap<String, Vec<Vec<u8>>>;

/// The configuration digest and every item's canonical bytes, from the one pass that
/// writes them (for comparing items with the baseline's without parsing the baseline's).
pub fn configuration_digest_with_items(normalized: &Snapshot) -> (String, ItemBytes) {
    digests(normalized, true)
}

/// Normalizes one item of type `t` (what [`normalize`] does to each item, without sorting
/// the items).
pub fn normalize_item(item: &mut Value, t: &TypeRules, marker: &str) {
    walk(item, &mut FieldPath::default(), t, marker);
}

/// Streams the canonical bytes of a configuration into SHA-256: the head, then per type
/// (in canonical key order) its items' bytes. [`configuration_digest`] is this over a
/// normalized snapshot.
pub struct DigestWriter {
    hasher: sha2::Sha256,
    types: usize,
    items: usize,
    tenant: String,
}

impl DigestWriter {
    /// Starts the digest of `platform`/`tenant`'s configuration.
    pub fn new(platform: &str, tenant: &str) -> Self {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        let mut head = b"{\"platform\":".to_vec();
        canonical::append(&mut head, &Value::String(platform.to_string()));
        head.extend_from_slice(b",\"resources\":{");
        hasher.update(&head);
        DigestWriter { hasher, types: 0, items: 0, tenant: tenant.to_string() }
    }

    /// Starts a resource type (types must come in canonical key order).
    pub fn begin_type(&mut self, rtype: &str) {
        use sha2::Digest;
        let mut key = Vec::new();
        if self.types > 0 {
            key.push(b',');
        }
        canonical::append(&mut key, &Value::String(rtype.to_string()));
        key.extend_from_slice(b":[");
        self.hasher.update(&key);
        self.types += 1;
        self.items = 0;
    }

    /// One item's canonical bytes.
    pub fn item(&mut self, bytes: &[u8]) {
        use sha2::Digest;
        if self.items > 0 {
            self.hasher.update(b",");
        }
        self.hasher.update(bytes);
        self.items += 1;
    }

    /// Ends the current resource type.
    pub fn end_type(&mut self) {
        use sha2::Digest;
        self.hasher.update(b"]");
    }

    /// The digest, in lower-case hex.
    pub fn finish(mut self) -> String {
        use sha2::Digest;
        let mut tail = b"},\"tenant\":".to_vec();
        canonical::append(&mut tail, &Value::String(self.tenant.clone()));
        tail.push(b'}');
        self.hasher.update(&tail);
        canonical::hex(&self.hasher.finalize())
    }
}

fn digests(normalized: &Snapshot, keep: bool) -> (String, ItemBytes) {
    // The canonical bytes of {"platform", "resources", "tenant"} (keys in that order),
    // hashed as they are written: items are serialized on every core, a batch at a time,
    // rather than the whole document being copied into one JSON tree first.
    use rayon::prelude::*;
    let mut out = DigestWriter::new(&normalized.metadata.platform, &normalized.metadata.tenant);
    let mut kept = ItemBytes::new();
    let mut types: Vec<(&String, &Vec<Value>)> = normalized.resources.iter().collect();
    types.sort_by(|a, b| canonical::compare_keys(a.0, b.0));
    for (rtype, items) in types {
        out.begin_type(rtype);
        let mut type_bytes = Vec::with_capacity(if keep { items.len() } else { 0 });
        for batch in items.chunks(4096) {
            let parts: Vec<Vec<u8>> = batch.par_iter().map(canonical::to_vec).collect();
            for bytes in &parts {
                out.item(bytes);
            }
            if keep {
                type_bytes.extend(parts);
            }
        }
        out.end_type();
        if keep {
            kept.insert(rtype.clone(), type_bytes);
        }
    }
    (out.finish(), kept)
}

/// The generic path of the value being walked (`*` for array members). Each segment's
/// buffer is kept for the next value at that depth: a walk over many items allocates once
/// per depth, not once per key.
#[derive(Default)]
struct FieldPath {
    segments: Vec<String>,
    len: usize,
}

impl FieldPath {
    fn push(&mut self, segment: &str) {
        match self.segments.get_mut(self.len) {
            Some(buffer) => {
                buffer.clear();
                buffer.push_str(segment);
            }
            None => self.segments.push(segment.to_string()),
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        self.len -= 1;
    }

    fn get(&self) -> &[String] {
        &self.segments[..self.len]
    }
}

fn walk(value: &mut Value, path: &mut FieldPath, t: &TypeRules, marker: &str) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !t.volatile.matches(path.get(), k));
            for (k, child) in map.iter_mut() {
                if t.secrets.matches(path.get(), k) {
                    if !child.is_null() {
                        *child = Value::String(marker.to_string());
                    }
                    continue;
                }
                path.push(k);
                walk(child, path, t, marker);
                path.pop();
            }
        }
        Value::Array(items) => {
            path.push("*");
            for item in items.iter_mut() {
                walk(item, path, t, marker);
            }
            path.pop();
            sort_list(items, t.list_kind(path.get()));
        }
        _ => {}
    }
}

fn redact(value: &mut Value, path: &mut FieldPath, t: &TypeRules, marker: &str) {
    match value {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if t.secrets.matches(path.get(), k) {
                    if !child.is_null() {
                        *child = Value::String(marker.to_string());
                    }
                    continue;
                }
                path.push(k);
                redact(child, path, t, marker);
                path.pop();
            }
        }
        Value::Array(items) => {
            path.push("*");
            for item in items.iter_mut() {
                redact(item, path, t, marker);
            }
            path.pop();
        }
        _ => {}
    }
}

/// Sorts a list per its kind. Members without a key sort after those with one, by value.
pub(crate) fn sort_list(items: &mut [Value], kind: &ListKind) {
    match kind {
        ListKind::Ordered => {}
        ListKind::Set => items.sort_by_cached_key(canonical::to_vec),
        ListKind::Map { key } => items.sort_by_cached_key(|v| member_sort_key(v, key)),
    }
}

/// The identity of a map-list member: its key fields, else its `name`.
pub(crate) fn member_key(v: &Value, key: &[String]) -> Option<String> {
    key_of(v, key).or_else(|| key_of(v, &["name".to_string()]))
}

fn member_sort_key(v: &Value, key: &[String]) -> (bool, String, Vec<u8>) {
    match member_key(v, key) {
        Some(k) => (false, k, Vec::new()),
        None => (true, String::new(), canonical::to_vec(v)),
    }
}

/// Items sort by identity; items without one, and ties, by their canonical bytes (computed
/// only for them: serializing every item showed in profiles).
fn sort_items(items: &mut [Value], t: &TypeRules) {
    let mut keyed: Vec<(Option<String>, Value)> =
        items.iter_mut().map(|v| (t.identity_of(v), std::mem::take(v))).collect();
    // Items without an identity after those with one.
    keyed.sort_by(|a, b| (a.0.is_none(), &a.0).cmp(&(b.0.is_none(), &b.0)));
    for ties in keyed.chunk_by_mut(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        ties.sort_by_cached_key(|(_, v)| canonical::to_vec(v));
    }
    for (slot, (_, v)) in items.iter_mut().zip(keyed) {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;

    fn snap(resources: Value) -> Snapshot {
        serde_json::from_value(json!({
            "format": "driftgate.snapshot/v1",
            "metadata": {"platform": "genesys-cloud", "tenant": "t", "collected_at": "2026-01-01T00:00:00Z"},
            "resources": resources
        }))
        .unwrap()
    }

    fn norm(resources: Value) -> Snapshot {
        let c = Catalog::built_in().unwrap();
        normalize(snap(resources), c.platform("genesys-cloud").unwrap())
    }

    #[test]
    fn volatile_fields_are_removed_at_any_depth_but_config_uris_stay() {
        let n = norm(json!({"oauth_clients": [{
            "id": "c1", "version": 3, "selfUri": "/x", "dateModified": "d",
            "registeredRedirectUri": ["https://b", "https://a"],
            "nested": {"selfUri": "/y", "keep": 1}
        }]}));
        let c = &n.resources["oauth_clients"][0];
        assert_eq!(c, &json!({"id": "c1", "registeredRedirectUri": ["https://a", "https://b"], "nested": {"keep": 1}}));
    }

    #[test]
    fn secrets_are_redacted() {
        let n = norm(json!({"oauth_clients": [{"id": "c1", "secret": "s3cr3t"}]}));
        assert_eq!(n.resources["oauth_clients"][0]["secret"], "**REDACTED**");
    }

    #[test]
    fn redact_only_touches_secrets() {
        let c = Catalog::built_in().unwrap();
        let mut s = snap(json!({"oauth_clients": [{"id": "c1", "secret": "s", "version": 2, "scope": ["b", "a"]}]}));
        redact_secrets(&mut s, c.platform("genesys-cloud").unwrap());
        assert_eq!(
            s.resources["oauth_clients"][0],
            json!({"id": "c1", "secret": "**REDACTED**", "version": 2, "scope": ["b", "a"]})
        );
    }

    #[test]
    fn sets_sort_maps_sort_by_key_ordered_lists_stay() {
        let n = norm(json!({"queues": [{
            "id": "q1",
            "routingRules": [{"operator": "MEETS_THRESHOLD", "threshold": 9}, {"operator": "ANY"}],
            "memberGroups": [{"id": "g2", "type": "GROUP"}, {"id": "g1", "type": "GROUP"}],
            "other": [3, 1, 2]
        }]}));
        let q = &n.resources["queues"][0];
        assert_eq!(q["routingRules"][0]["operator"], "MEETS_THRESHOLD");
        assert_eq!(q["memberGroups"][0]["id"], "g1");
        assert_eq!(q["other"], json!([1, 2, 3]));
    }

    #[test]
    fn items_sort_by_identity_and_digest_ignores_collection_time() {
        let a = norm(json!({"users": [{"id": "b"}, {"id": "a"}]}));
        assert_eq!(a.resources["users"][0]["id"], "a");
        let mut later = snap(json!({"users": [{"id": "a", "version": 9}, {"id": "b"}]}));
        later.metadata.collected_at = Some("2026-02-01T00:00:00Z".into());
        let c = Catalog::built_in().unwrap();
        let b = normalize(later, c.platform("genesys-cloud").unwrap());
        assert_eq!(configuration_digest(&a), configuration_digest(&b));
    }

    #[test]
    fn the_streamed_digest_is_the_hash_of_the_canonical_document() {
        let mut items: Vec<Value> = (0..9000).map(|i| json!({"id": format!("u{i}"), "name": "Zoë", "n": i})).collect();
        items.push(json!({"id": "x", "nested": {"b": [1, 2.5, null], "a": "\u{1F600}"}}));
        let mut s = snap(json!({"users": items, "roles": [{"id": "r"}], "éclair": [], "Zeta": [{"id": "z"}]}));
        s.metadata.tenant = "t\"q".into();
        let doc = json!({"platform": s.metadata.platform, "tenant": s.metadata.tenant, "resources": s.resources});
        assert_eq!(configuration_digest(&s), crate::canonical::sha256(&doc));
    }
}
