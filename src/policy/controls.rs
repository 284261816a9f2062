//! The control catalog: every criterion in scope, so reports list the untested ones too.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

const BUILT_IN: &str = include_str!("../../policies/controls.json");

/// One criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// Criterion id, e.g. `CC6.1`.
    pub id: String,
    /// Category, e.g. `Logical and Physical Access`.
    #[serde(default)]
    pub category: Option<String>,
    /// Short title.
    pub title: String,
}

/// The criteria in scope, in catalog order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlCatalog {
    /// Framework name.
    pub framework: String,
    /// Criteria.
    pub criteria: Vec<Control>,
}

#[derive(Deserialize)]
struct File {
    controls: Inner,
}

#[derive(Deserialize)]
struct Inner {
    framework: String,
    criteria: Vec<Control>,
}

impl ControlCatalog {
    /// The catalog shipped with driftgate (`policies/controls.json`).
    pub fn built_in() -> Result<Self> {
        let v: Value =
            serde_json::from_str(BUILT_IN).map_err(|e| Error::invalid("policies/controls.json", e.to_string()))?;
        Self::from_value(Path::new("policies/controls.json"), &v)
    }

    /// Reads a `{"controls": {"framework", "criteria": [{id, title, category}]}}` document.
    pub fn from_value(path: &Path, v: &Value) -> Result<Self> {
        let f: File = serde_json::from_value(v.clone()).map_err(|e| Error::Invalid {
            path: path.to_path_buf(),
            message: format!("not a control catalog: {e}"),
            help: Some("expected {\"controls\": {\"framework\": \"...\", \"criteria\": [{\"id\": \"CC6.1\", \"title\": \"...\"}]}}".into()),
        })?;
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = f.controls.criteria.iter().find(|c| !seen.insert(c.id.clone())) {
            return Err(Error::invalid(path, format!("criterion {} is listed twice", dup.id)));
        }
        Ok(ControlCatalog { framework: f.controls.framework, criteria: f.controls.criteria })
    }

    /// Whether `id` is in the catalog.
    pub fn contains(&self, id: &str) -> bool {
        self.criteria.iter().any(|c| c.id == id)
    }
}
