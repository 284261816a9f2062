//! The versioned schema registry: `schemas/<platform>/<type>/v<N>.schema.json`.

use crate::error::{Error, Result};
use include_dir::{include_dir, Dir};
use miette::NamedSource;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

static BUILT_IN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// One compiled schema version.
pub(crate) struct Version {
    pub(crate) version: u32,
    pub(crate) validator: jsonschema::Validator,
}

/// Every compiled schema, by platform and resource type, newest version first.
#[derive(Default)]
pub struct SchemaRegistry {
    schemas: BTreeMap<(String, String), Vec<Version>>,
    files: Vec<(String, String)>,
}

impl std::fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistry").field("files", &self.files).finish()
    }
}

impl SchemaRegistry {
    /// A registry with no schemas (every type passes unchecked).
    pub fn empty() -> Self {
        Self::default()
    }

    /// The schemas built into the binary.
    pub fn built_in() -> Result<Self> {
        let mut reg = Self::empty();
        let mut files = Vec::new();
        collect_embedded(&BUILT_IN, &mut files);
        for file in files {
            let rel = file.path().to_path_buf();
            let text = file.contents_utf8().unwrap_or_default();
            reg.add_file(&rel, &PathBuf::from("schemas").join(&rel), text)?;
        }
        Ok(reg)
    }

    /// The schemas of a directory laid out as `<platform>/<type>/v<N>.schema.json`.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Usage {
                message: format!("schema directory {} does not exist", dir.display()),
                help: Some("--schemas takes a directory laid out as <platform>/<type>/v<N>.schema.json".into()),
            });
        }
        let mut reg = Self::empty();
        let files = crate::input::walk_files(dir, &|p| p.to_string_lossy().ends_with(".schema.json"))?;
        for path in files {
            let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
            let text = crate::input::read_text(&path)?;
            reg.add_file(&rel, &path, &text)?;
        }
        Ok(reg)
    }

    fn add_file(&mut self, rel: &Path, shown: &Path, text: &str) -> Result<()> {
        let parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        let version = parts
            .last()
            .and_then(|f| f.strip_prefix('v'))
            .and_then(|f| f.strip_suffix(".schema.json"))
            .and_then(|n| n.parse::<u32>().ok());
        let (3, Some(version)) = (parts.len(), version) else {
            return Err(Error::invalid(
                shown,
                "schema files must be laid out as <platform>/<resource_type>/v<N>.schema.json",
            ));
        };
        let schema: Value = crate::input::parse_json(shown, text, "a JSON schema")?;
        self.insert(&parts[0], &parts[1], version, &schema, text).map_err(|e| match e {
            Error::Schema { message, span, .. } => Error::Schema {
                path: shown.to_path_buf(),
                src: std::sync::Arc::new(NamedSource::new(shown.display().to_string(), text.to_string())),
                message,
                span,
            },
            other => other,
        })
    }

    /// Compiles and adds one schema. `text` is its source, for locating errors.
    pub fn insert(&mut self, platform: &str, rtype: &str, version: u32, schema: &Value, text: &str) -> Result<()> {
        if schema.get("$schema").and_then(Value::as_str).is_some_and(|s| !s.contains("2020-12")) {
            return Err(Error::Schema {
                path: PathBuf::from(format!("{platform}/{rtype}/v{version}.schema.json")),
                message: "the registry takes JSON Schema draft 2020-12 only".into(),
                src: std::sync::Arc::new(NamedSource::new(String::new(), text.to_string())),
                span: super::locate::pointer_span(text, "/$schema"),
            });
        }
        let validator = jsonschema::draft202012::new(schema).map_err(|e| Error::Schema {
            path: PathBuf::from(format!("{platform}/{rtype}/v{version}.schema.json")),
            message: e.to_string(),
            span: super::locate::pointer_span(text, e.instance_path().as_str()),
            src: std::sync::Arc::new(NamedSource::new(String::new(), text.to_string())),
        })?;
        let list = self.schemas.entry((platform.to_string(), rtype.to_string())).or_default();
        list.retain(|v| v.version != version);
        list.push(Version { version, validator });
        list.sort_by_key(|v| std::cmp::Reverse(v.version));
        self.files.push((format!("{platform}/{rtype}/v{version}"), crate::canonical::sha256(schema)));
        Ok(())
    }

    /// The versions for a platform and type, newest first (empty when there is none).
    pub(crate) fn versions(&self, platform: &str, rtype: &str) -> &[Version] {
        self.schemas.get(&(platform.to_string(), rtype.to_string())).map(Vec::as_slice).unwrap_or(&[])
    }

    /// `(schema id, SHA-256 of its canonical JSON)` for every schema loaded.
    pub fn fingerprints(&self) -> &[(String, String)] {
        &self.files
    }
}

fn collect_embedded<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    for f in dir.files() {
        if f.path().to_string_lossy().ends_with(".schema.json") {
            out.push(f);
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}
