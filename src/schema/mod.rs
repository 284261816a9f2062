//! The schema gate: the third stage, between normalization and the diff.
//!
//! Every item of every resource type is validated against the versioned JSON Schemas
//! (draft 2020-12) of its platform and type, newest version first; the first version that
//! accepts it is recorded. An item no version accepts, or whose identity is missing or
//! duplicated, is quarantined with every error and never reaches the diff or the policies.
//! A type with no schema at all passes through unchecked, and the report says so.

mod locate;
mod registry;

pub use registry::SchemaRegistry;

use crate::catalog::PlatformRules;
use crate::snapshot::Snapshot;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// One item that failed the gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineRecord {
    /// Resource type of the item.
    pub resource_type: String,
    /// The item's identity, or `#<index>` when it has none.
    pub resource_id: String,
    /// The newest schema tried (`<platform>/<type>/v<N>`), or `identity` for an identity fault.
    pub schema: String,
    /// Every error, for every version tried.
    pub errors: Vec<SchemaError>,
    /// The item itself, kept as evidence but not printed in reports.
    #[serde(skip)]
    pub item: Value,
}

/// One validation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaError {
    /// Schema version that reported it (`v2`), or `identity`.
    pub schema: String,
    /// JSON Pointer into the item.
    pub instance_path: String,
    /// JSON Pointer into the schema.
    pub schema_path: String,
    /// What is wrong.
    pub message: String,
}

/// What the gate did for one resource type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeGate {
    /// Items accepted.
    pub accepted: usize,
    /// Items quarantined.
    pub quarantined: usize,
    /// Accepted items per schema version that matched (`v1` → count).
    pub versions: BTreeMap<String, usize>,
    /// False when no schema exists for the type: its items passed unchecked.
    pub validated: bool,
}

/// The result of the gate. It holds no copy of what it accepted: what the diff and the
/// policies see is [`GateOutcome::accepted`] of the snapshot that was gated.
#[derive(Debug, Clone)]
pub struct GateOutcome {
    /// The normalized snapshot without its quarantined items, made only when something was
    /// quarantined (otherwise the accepted items are the snapshot itself).
    filtered: Option<Snapshot>,
    /// Quarantined items, in resource type then identity order.
    pub quarantine: Vec<QuarantineRecord>,
    /// Per resource type.
    pub types: BTreeMap<String, TypeGate>,
}

impl GateOutcome {
    /// What the gate accepted of `normalized`, the snapshot it gated: the snapshot itself when
    /// nothing was quarantined.
    pub fn accepted<'a>(&'a self, normalized: &'a Snapshot) -> &'a Snapshot {
        self.filtered.as_ref().unwrap_or(normalized)
    }

    /// Identities quarantined per resource type, so the diff does not mistake a quarantined
    /// item for a removed one.
    pub fn quarantined_ids(&self) -> BTreeMap<&str, HashSet<&str>> {
        let mut out: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
        for q in &self.quarantine {
            out.entry(q.resource_type.as_str()).or_default().insert(q.resource_id.as_str());
        }
        out
    }
}

/// Runs the gate over a normalized snapshot.
pub fn gate(normalized: &Snapshot, registry: &SchemaRegistry, rules: &PlatformRules) -> GateOutcome {
    let platform = &normalized.metadata.platform;
    let mut quarantine = Vec::new();
    // Per type, the indices of the quarantined items.
    let mut refused: BTreeMap<&str, HashSet<usize>> = BTreeMap::new();
    let mut types = BTreeMap::new();
    for (rtype, items) in normalized.resources.iter() {
        let t = rules.type_rules(rtype);
        let versions = registry.versions(platform, rtype);
        let mut summary = TypeGate { validated: !versions.is_empty(), ..Default::default() };
        let mut seen = HashSet::new();
        // Validation of one item depends on nothing else: done on every core.
        let validated: Vec<(Vec<SchemaError>, Option<u32>)> = {
            use rayon::prelude::*;
            items
                .par_iter()
                .map(|item| {
                    let mut errors = Vec::new();
                    for v in versions {
                        // Most items are valid: the yes/no answer is much cheaper than
                        // collecting errors, which are only gathered for a failure.
                        if v.validator.is_valid(item) {
                            return (errors, Some(v.version));
                        }
                        let errs: Vec<SchemaError> = v
                            .validator
                            .iter_errors(item)
                            .map(|e| SchemaError {
                                schema: format!("v{}", v.version),
                                instance_path: e.instance_path().as_str().to_string(),
                                schema_path: e.schema_path().as_str().to_string(),
                                message: e.to_string(),
                            })
                            .collect();
                        if errs.is_empty() {
                            return (errors, Some(v.version));
                        }
                        errors.extend(errs);
                    }
                    (errors, None)
                })
                .collect()
        };
        for (index, (item, (mut errors, matched))) in items.iter().zip(validated).enumerate() {
            let identity = t.identity_of(item);
            let resource_id = identity.clone().unwrap_or_else(|| format!("#{index}"));
            let newest = versions.first().map(|v| format!("{platform}/{rtype}/v{}", v.version));
            let identity_error = match &identity {
                None => Some(format!("item has no identity ({} or {})", t.identity.join(","), t.name_field)),
                Some(id) if !seen.insert(id.clone()) => Some(format!("duplicate identity {id:?}")),
                Some(_) => None,
            };
            if let Some(message) = identity_error.clone() {
                errors.push(SchemaError {
                    schema: "identity".into(),
                    instance_path: String::new(),
                    schema_path: String::new(),
                    message,
                });
            }
            if (matched.is_none() && !versions.is_empty()) || identity_error.is_some() {
                summary.quarantined += 1;
                let schema = match (&identity_error, matched) {
                    (Some(_), Some(_)) => "identity".to_string(),
                    _ => newest.unwrap_or_else(|| "identity".into()),
                };
                refused.entry(rtype.as_str()).or_default().insert(index);
                quarantine.push(QuarantineRecord {
                    resource_type: rtype.clone(),
                    resource_id,
                    schema,
                    errors,
                    item: item.clone(),
                });
            } else {
                summary.accepted += 1;
                if let Some(v) = matched {
                    *summary.versions.entry(format!("v{v}")).or_default() += 1;
                }
            }
        }
        types.insert(rtype.clone(), summary);
    }
    // Only when something was refused is a copy without it made.
    let filtered = (!refused.is_empty()).then(|| {
        let mut copy = normalized.without_resources();
        for (rtype, items) in &normalized.resources {
            let out = match refused.get(rtype.as_str()) {
                None => items.clone(),
                Some(gone) => {
                    items.iter().enumerate().filter(|(i, _)| !gone.contains(i)).map(|(_, v)| v.clone()).collect()
                }
            };
            copy.resources.insert(rtype.clone(), out);
        }
        copy
    });
    GateOutcome { filtered, quarantine, types }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;

    fn snapshot(resources: Value) -> Snapshot {
        serde_json::from_value(json!({
            "format": "driftgate.snapshot/v1",
            "metadata": {"platform": "genesys-cloud", "tenant": "t"},
            "resources": resources
        }))
        .unwrap()
    }

    fn registry(schemas: &[(&str, &str, u32, Value)]) -> SchemaRegistry {
        let mut r = SchemaRegistry::empty();
        for (p, t, v, s) in schemas {
            r.insert(p, t, *v, s, "test").unwrap();
        }
        r
    }

    #[test]
    fn newest_matching_version_is_recorded() {
        let reg = registry(&[
            ("genesys-cloud", "users", 1, json!({"type": "object", "required": ["id"]})),
            ("genesys-cloud", "users", 2, json!({"type": "object", "required": ["id", "state"]})),
        ]);
        let c = Catalog::built_in().unwrap();
        let out = gate(
            &snapshot(json!({"users": [{"id": "a", "state": "active"}, {"id": "b"}]})),
            &reg,
            c.platform("genesys-cloud").unwrap(),
        );
        assert!(out.quarantine.is_empty());
        assert_eq!(out.types["users"].versions, BTreeMap::from([("v1".into(), 1), ("v2".into(), 1)]));
    }

    #[test]
    fn item_matching_no_version_is_quarantined_with_paths() {
        let reg = registry(&[(
            "genesys-cloud",
            "users",
            1,
            json!({"type": "object", "required": ["id"], "properties": {"state": {"enum": ["active", "inactive"]}}}),
        )]);
        let c = Catalog::built_in().unwrap();
        let gated = snapshot(json!({"users": [{"id": "a", "state": "weird"}, {"id": "b"}]}));
        let out = gate(&gated, &reg, c.platform("genesys-cloud").unwrap());
        assert_eq!(out.accepted(&gated).resources["users"].len(), 1);
        assert_eq!(gated.resources["users"].len(), 2, "the gated snapshot is left as it was");
        let q = &out.quarantine[0];
        assert_eq!((q.resource_id.as_str(), q.schema.as_str()), ("a", "genesys-cloud/users/v1"));
        assert_eq!(q.errors[0].instance_path, "/state");
        assert_eq!(q.errors[0].schema_path, "/properties/state/enum");
    }

    #[test]
    fn duplicate_identity_is_quarantined() {
        let c = Catalog::built_in().unwrap();
        let out = gate(
            &snapshot(json!({"users": [{"id": "a"}, {"id": "a", "x": 1}]})),
            &SchemaRegistry::empty(),
            c.platform("genesys-cloud").unwrap(),
        );
        assert_eq!(out.quarantine.len(), 1);
        assert!(out.quarantine[0].errors[0].message.contains("duplicate"));
        assert!(!out.types["users"].validated);
    }
}

#[cfg(test)]
mod built_in_tests {
    use super::*;

    #[test]
    fn built_in_schemas_compile_for_every_declared_type_of_every_platform() {
        let reg = SchemaRegistry::built_in().unwrap();
        let c = crate::catalog::Catalog::built_in().unwrap();
        for platform in ["genesys-cloud", "nice-cxone"] {
            for t in c.platform(platform).unwrap().declared_types() {
                assert!(!reg.versions(platform, &t.name).is_empty(), "no schema for {platform}/{}", t.name);
            }
        }
    }

    #[test]
    fn a_schema_that_does_not_compile_is_an_error_with_a_span() {
        let mut reg = SchemaRegistry::empty();
        let text = r#"{"type": "object", "properties": {"id": {"type": "strin"}}}"#;
        let schema: Value = serde_json::from_str(text).unwrap();
        let e = reg.insert("p", "t", 1, &schema, text).unwrap_err();
        assert!(matches!(e, crate::Error::Schema { .. }), "{e:?}");
    }
}
