//! The resource catalog: per platform and resource type, what identifies an item, which
//! fields are volatile or secret, and how each list is compared (`set`, `map`, `ordered`).
//!
//! It sits under normalization and diff: both read it, neither hard-codes a field name.
//! The catalog is data (`src/catalog/*.json`), built into the binary and overridable with
//! `--catalog FILE`, so adding a resource type needs no code change.

mod pattern;

use crate::error::{Error, Result};
pub use pattern::FieldMatcher;
use pattern::PathPattern;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const BUILT_IN: &[(&str, &str)] =
    &[("genesys-cloud.json", include_str!("genesys-cloud.json")), ("nice-cxone.json", include_str!("nice-cxone.json"))];

/// How a JSON array at some path of a resource is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    /// Order carries no meaning: sorted by canonical value; a reorder is never drift.
    Set,
    /// Members have an identity (`key` fields, falling back to `name`): sorted by it, and
    /// matched by it in the diff.
    Map { key: Vec<String> },
    /// Order is meaning (routing rules, bullseye rings, proxy failover order): kept; a
    /// reorder is drift.
    Ordered,
}

/// The compiled rules for one resource type.
#[derive(Debug, Clone)]
pub struct TypeRules {
    /// Resource type name, e.g. `users`.
    pub name: String,
    /// Fields whose values, joined with ',', identify an item. Empty for a singleton.
    pub identity: Vec<String>,
    /// The type has exactly one item (org settings).
    pub singleton: bool,
    /// The field holding a human name for reports.
    pub name_field: String,
    /// The API call the type is collected from, for humans and the evidence manifest.
    pub endpoint: Option<String>,
    /// Whether the catalog declares this type (rather than the platform default applying).
    pub declared: bool,
    /// Top-level fields that change without any configuration change (last login, last
    /// use): volatile for the diff, but handed to the policies as `data.driftgate.observed`.
    pub observed: Vec<String>,
    pub(crate) volatile: FieldMatcher,
    pub(crate) secrets: FieldMatcher,
    lists: Vec<(PathPattern, ListKind)>,
}

impl TypeRules {
    /// The comparison kind of the array at `path` (object keys, `*` for array positions).
    pub fn list_kind<S: AsRef<str>>(&self, path: &[S]) -> &ListKind {
        self.lists.iter().find(|(p, _)| p.matches(path)).map(|(_, k)| k).unwrap_or(&ListKind::Set)
    }

    /// The identity of a top-level item: its identity fields joined with ',', or its name
    /// field when those are missing; for a singleton, the type name. `None` when the item
    /// has neither.
    pub fn identity_of(&self, item: &Value) -> Option<String> {
        if self.singleton && self.identity.is_empty() {
            return Some(self.name.clone());
        }
        key_of(item, &self.identity).or_else(|| scalar_text(self.name_value(item)?))
    }

    /// The human name of a top-level item, when it has one.
    pub fn name_of(&self, item: &Value) -> Option<String> {
        scalar_text(self.name_value(item)?)
    }

    /// The name field: a top-level key, or a JSON Pointer (`/organization/name`) for types
    /// whose name sits in a nested object.
    fn name_value<'v>(&self, item: &'v Value) -> Option<&'v Value> {
        if self.name_field.starts_with('/') {
            item.pointer(&self.name_field)
        } else {
            item.get(&self.name_field)
        }
    }
}

/// The value of `fields` in `item`, joined with ','; `None` if any is missing or not scalar.
pub fn key_of(item: &Value, fields: &[String]) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let mut parts = Vec::with_capacity(fields.len());
    for f in fields {
        parts.push(scalar_text(item.get(f)?)?);
    }
    Some(parts.join(","))
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The rules for one platform.
#[derive(Debug, Clone)]
pub struct PlatformRules {
    /// Platform name, e.g. `genesys-cloud`.
    pub platform: String,
    /// What secret values are replaced with.
    pub redaction_marker: String,
    types: BTreeMap<String, TypeRules>,
    default_type: TypeRules,
}

impl PlatformRules {
    /// Rules for `resource_type`; a type the catalog does not declare gets the platform's
    /// defaults (identity `id`, platform-wide volatile fields, every list a set).
    pub fn type_rules(&self, resource_type: &str) -> std::borrow::Cow<'_, TypeRules> {
        match self.types.get(resource_type) {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => {
                let mut t = self.default_type.clone();
                t.name = resource_type.to_string();
                std::borrow::Cow::Owned(t)
            }
        }
    }

    /// The observed fields of `snapshot` (taken before normalization drops them):
    /// `{type: {identity: {field: value}}}` for every item that has one. What the policies
    /// see as `data.driftgate.observed`.
    pub fn observations(&self, snapshot: &crate::snapshot::Snapshot) -> Value {
        let mut out = serde_json::Map::new();
        for t in self.types.values().filter(|t| !t.observed.is_empty()) {
            let Some(items) = snapshot.resources.get(&t.name) else { continue };
            let mut by_id = serde_json::Map::new();
            for item in items {
                let Some(id) = t.identity_of(item) else { continue };
                let fields: serde_json::Map<String, Value> =
                    t.observed.iter().filter_map(|f| Some((f.clone(), item.get(f)?.clone()))).collect();
                if !fields.is_empty() {
                    by_id.insert(id, Value::Object(fields));
                }
            }
            out.insert(t.name.clone(), Value::Object(by_id));
        }
        Value::Object(out)
    }

    /// The declared resource types, in name order.
    pub fn declared_types(&self) -> impl Iterator<Item = &TypeRules> {
        self.types.values()
    }
}

/// Every platform's rules.
#[derive(Debug, Clone)]
pub struct Catalog {
    platforms: BTreeMap<String, PlatformRules>,
}

impl Catalog {
    /// The catalog built into the binary.
    pub fn built_in() -> Result<Catalog> {
        let mut platforms = BTreeMap::new();
        for (name, text) in BUILT_IN {
            let rules = compile_file(name, text)?;
            platforms.insert(rules.platform.clone(), rules);
        }
        Ok(Catalog { platforms })
    }

    /// The built-in catalog with the platforms of `path` added or replaced.
    pub fn with_file(path: &Path) -> Result<Catalog> {
        let mut catalog = Self::built_in()?;
        let text = crate::input::read_text(path)?;
        // Parse once as JSON for a located syntax error; then compile.
        let _: Value = crate::input::parse_json(path, &text, "a JSON catalog")?;
        let rules = compile_file(&path.display().to_string(), &text)?;
        catalog.platforms.insert(rules.platform.clone(), rules);
        Ok(catalog)
    }

    /// The platforms the catalog has rules for, in name order.
    pub fn platform_names(&self) -> impl Iterator<Item = &str> {
        self.platforms.keys().map(String::as_str)
    }

    /// Rules for `platform`, or a usage error naming the known platforms.
    pub fn platform(&self, platform: &str) -> Result<&PlatformRules> {
        self.platforms.get(platform).ok_or_else(|| Error::Usage {
            message: format!("unknown platform {platform:?}: the resource catalog has no rules for it"),
            help: Some(format!(
                "known platforms: {}; a catalog for another platform can be given with --catalog FILE",
                self.platform_names().collect::<Vec<_>>().join(", ")
            )),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    format: String,
    platform: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    redaction_marker: String,
    #[serde(default)]
    volatile: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    volatile_note: Option<String>,
    #[serde(default)]
    secrets: Vec<String>,
    resource_types: BTreeMap<String, TypeSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeSpec {
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    identity: Option<Vec<String>>,
    #[serde(default)]
    singleton: bool,
    #[serde(default)]
    name_field: Option<String>,
    #[serde(default)]
    volatile: Vec<String>,
    #[serde(default)]
    observed: Vec<String>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    lists: BTreeMap<String, ListSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListSpec {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    key: Vec<String>,
}

fn compile_file(origin: &str, text: &str) -> Result<PlatformRules> {
    let err = |message: String| Error::Catalog { origin: origin.to_string(), message };
    let file: CatalogFile = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
    if file.format != "driftgate.catalog/v1" {
        return Err(err(format!("format {:?} is not driftgate.catalog/v1", file.format)));
    }
    let global_volatile = file.volatile;
    let global_secrets = file.secrets;
    let build = |name: &str, spec: &TypeSpec, declared: bool| -> Result<TypeRules> {
        let mut lists = Vec::new();
        for (path, l) in &spec.lists {
            let kind = match (l.kind.as_str(), l.key.is_empty()) {
                ("set", true) => ListKind::Set,
                ("ordered", true) => ListKind::Ordered,
                ("map", false) => ListKind::Map { key: l.key.clone() },
                ("map", true) => return Err(err(format!("{name}: list {path} is a map without a key"))),
                (k, _) => {
                    return Err(err(format!("{name}: list {path}: unknown type {k:?} (set, map with key, ordered)")))
                }
            };
            lists.push((PathPattern::parse(path).map_err(|m| err(format!("{name}: {m}")))?, kind));
        }
        if let Some(bad) = spec.observed.iter().find(|f| f.is_empty() || f.contains('/') || f.contains('*')) {
            return Err(err(format!("{name}: observed field {bad:?} must be a top-level field name")));
        }
        let observed_paths: Vec<String> = spec.observed.iter().map(|f| format!("/{f}")).collect();
        let volatile = FieldMatcher::new(global_volatile.iter().chain(&spec.volatile).chain(&observed_paths))
            .map_err(|m| err(format!("{name}: {m}")))?;
        let secrets =
            FieldMatcher::new(global_secrets.iter().chain(&spec.secrets)).map_err(|m| err(format!("{name}: {m}")))?;
        let identity = spec.identity.clone().unwrap_or_else(|| vec!["id".to_string()]);
        if identity.is_empty() && !spec.singleton {
            return Err(err(format!("{name}: an empty identity is only allowed for a singleton")));
        }
        Ok(TypeRules {
            name: name.to_string(),
            identity,
            singleton: spec.singleton,
            name_field: spec.name_field.clone().unwrap_or_else(|| "name".into()),
            endpoint: spec.endpoint.clone(),
            declared,
            observed: spec.observed.clone(),
            volatile,
            secrets,
            lists,
        })
    };
    let mut types = BTreeMap::new();
    for (name, spec) in &file.resource_types {
        crate::snapshot::validate_path_component(name).map_err(|why| err(format!("resource type {name:?} {why}")))?;
        types.insert(name.clone(), build(name, spec, true)?);
    }
    let default_spec = TypeSpec {
        endpoint: None,
        identity: None,
        singleton: false,
        name_field: None,
        volatile: vec![],
        observed: vec![],
        secrets: vec![],
        lists: BTreeMap::new(),
    };
    let default_type = build("*", &default_spec, false)?;
    Ok(PlatformRules { platform: file.platform, redaction_marker: file.redaction_marker, types, default_type })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn built_in_catalog_covers_every_genesys_type_of_the_contract() {
        let c = Catalog::built_in().unwrap();
        let g = c.platform("genesys-cloud").unwrap();
        for t in [
            "organization",
            "authentication_settings",
            "divisions",
            "users",
            "roles",
            "groups",
            "queues",
            "skills",
            "trunks",
            "trunk_base_settings",
            "sites",
            "oauth_clients",
            "identity_providers",
            "integrations",
            "wfm_business_units",
            "wfm_management_units",
            "trustees",
            "media_retention_policies",
            "flows",
        ] {
            assert!(g.type_rules(t).declared, "{t} is not declared");
        }
    }

    #[test]
    fn queue_routing_rules_and_rings_are_ordered() {
        let c = Catalog::built_in().unwrap();
        let q = c.platform("genesys-cloud").unwrap().type_rules("queues");
        assert_eq!(q.list_kind(&["routingRules"]), &ListKind::Ordered);
        assert_eq!(q.list_kind(&["bullseye", "rings"]), &ListKind::Ordered);
        assert_eq!(q.list_kind(&["somethingElse"]), &ListKind::Set);
    }

    #[test]
    fn identity_falls_back_to_name_then_singleton() {
        let c = Catalog::built_in().unwrap();
        let g = c.platform("genesys-cloud").unwrap();
        assert_eq!(g.type_rules("users").identity_of(&json!({"id": "u1"})).as_deref(), Some("u1"));
        assert_eq!(g.type_rules("users").identity_of(&json!({"name": "n"})).as_deref(), Some("n"));
        assert_eq!(g.type_rules("users").identity_of(&json!({})), None);
        assert_eq!(
            g.type_rules("authentication_settings").identity_of(&json!({})).as_deref(),
            Some("authentication_settings")
        );
    }

    #[test]
    fn unknown_platform_is_a_usage_error() {
        let c = Catalog::built_in().unwrap();
        let e = c.platform("other").unwrap_err();
        assert!(e.to_string().contains("unknown platform"));
    }
}
