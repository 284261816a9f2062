//! Loading a policy bundle directory.

use super::controls::ControlCatalog;
use super::signing::{self, SignatureInfo, Verification, SIGNATURES_FILE};
use super::source::{self, entry_level, ModuleInfo, Reads};
use super::waivers::{self, Waiver};
use super::{Level, RuleMeta, Severity};
use crate::canonical;
use crate::error::{span_at, Error, Result};
use miette::NamedSource;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One file of the bundle and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    /// Path relative to the bundle root, with '/' separators.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// One Rego module.
#[derive(Debug, Clone)]
pub struct RegoModule {
    /// Path relative to the bundle root.
    pub path: String,
    /// Source text.
    pub text: String,
    /// What driftgate read from it.
    pub info: ModuleInfo,
    /// A `*_test.rego` file.
    pub is_test: bool,
}

/// A loaded policy bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The directory it came from.
    pub root: PathBuf,
    /// Rego modules, by path.
    pub modules: Vec<RegoModule>,
    /// The merged data document of its JSON files.
    pub data: Value,
    /// Every file with its hash, by path.
    pub files: Vec<BundleFile>,
    /// SHA-256 over the `path` and `sha256` of every file, one `"<sha256>  <path>\n"` line
    /// each in path order (the `sha256sum` format, so it can be recomputed by hand).
    pub sha256: String,
    /// The SOC 2 criteria in scope.
    pub controls: ControlCatalog,
    /// Waivers.
    pub waivers: Vec<Waiver>,
    /// The bundle's `revision`, when it is an OPA bundle tarball with a `.manifest`.
    pub revision: Option<String>,
    /// The verified `.signatures.json`, when the bundle is a signed tarball.
    pub signature: Option<SignatureInfo>,
}

impl Bundle {
    /// Loads a bundle: a directory (every `.rego` and `.json` file below it, as `opa eval -d
    /// DIR` does), or an OPA bundle tarball (`.tar.gz`, see [`Bundle::load_tarball`]).
    pub fn load(dir: &Path) -> Result<Bundle> {
        Self::load_verified(dir, None)
    }

    /// Loads a bundle as [`Bundle::load`] does, verifying a signed tarball's
    /// `.signatures.json` against `verification` (see [`super::signing`]). A signed bundle
    /// without a key, a key without a signed bundle, and a signature that does not hold
    /// are refused: nothing of such a bundle is evaluated.
    pub fn load_verified(dir: &Path, verification: Option<&Verification>) -> Result<Bundle> {
        if dir.is_file() && is_tarball(dir) {
            return Self::load_tarball(dir, verification);
        }
        if let Some(v) = verification {
            return Err(Error::Usage {
                message: format!(
                    "{} is a directory, and only an OPA bundle tarball carries a signature (--bundle-public-key {})",
                    dir.display(),
                    v.key_file.display()
                ),
                help: Some(
                    "build and sign it with `driftgate policy build DIR -o bundle.tar.gz --signing-key KEY`".into(),
                ),
            });
        }
        if !dir.is_dir() {
            return Err(Error::Usage {
                message: format!("policy directory {} does not exist", dir.display()),
                help: Some("--policies takes an OPA-style bundle directory (default ./policies)".into()),
            });
        }
        let paths = crate::input::walk_files(dir, &|p| {
            matches!(p.extension().and_then(|e| e.to_str()), Some("rego") | Some("json"))
        })?;
        let mut modules = Vec::new();
        let mut data = Value::Object(Map::new());
        let mut files = Vec::new();
        let mut controls = None;
        let mut waiver_list = Vec::new();
        for path in paths {
            let rel = rel_path(dir, &path);
            let text = crate::input::read_text(&path)?;
            files.push(BundleFile { path: rel.clone(), sha256: canonical::sha256_hex(text.as_bytes()) });
            if rel.ends_with(".rego") {
                modules.push(RegoModule::parse(&path, rel, text)?);
                continue;
            }
            let content: Value = crate::input::parse_json(&path, &text, "a JSON data file")?;
            if rel == "controls.json" {
                controls = Some(ControlCatalog::from_value(&path, &content)?);
            }
            if rel == "waivers.json" {
                waiver_list = waivers::parse(&path, &content)?;
            }
            let prefix: Vec<String> = Path::new(&rel)
                .parent()
                .map(|p| p.iter().map(|s| s.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            merge_at(&mut data, &prefix, content).map_err(|at| {
                Error::invalid(&path, format!("data conflict at data.{at}: another file already sets it"))
            })?;
        }
        let controls = match controls {
            Some(c) => c,
            None => ControlCatalog::built_in()?,
        };
        Ok(Bundle {
            root: dir.to_path_buf(),
            modules,
            data,
            sha256: listing_sha256(&files),
            files,
            controls,
            waivers: waiver_list,
            revision: None,
            signature: None,
        })
    }

    /// Loads an OPA bundle tarball, following OPA's bundle rules: `.manifest` gives the
    /// `revision` and the `roots` (which must not overlap, and which every package and data
    /// path must lie under); `.rego` files are modules; only files named `data.json` or
    /// `data.yaml` are data, loaded at their directory's path. The control catalog and the
    /// waivers are read from `data.controls` and `data.waivers`, as a directory bundle's
    /// `controls.json` and `waivers.json` put them there.
    /// A tarball with a `.signatures.json` is verified against `verification` first.
    pub fn load_tarball(path: &Path, verification: Option<&Verification>) -> Result<Bundle> {
        let bad = |message: String| Error::invalid(path, message);
        let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in archive.entries().map_err(|e| bad(format!("not a gzipped tar archive: {e}")))? {
            let mut entry = entry.map_err(|e| bad(format!("a bad archive entry: {e}")))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path().map_err(|e| bad(format!("a bad entry name: {e}")))?.to_string_lossy().into_owned();
            let name = name.trim_start_matches("./").trim_start_matches('/').to_string();
            if name.split('/').any(|s| s == "..") {
                return Err(bad(format!("entry {name:?} points outside the bundle")));
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes)
                .map_err(|e| bad(format!("{name} cannot be read: {e}")))?;
            raw.push((name, bytes));
        }
        raw.sort();
        let signatures = raw.iter().position(|(n, _)| n == SIGNATURES_FILE).map(|i| raw.remove(i).1);
        let signature = match (signatures, verification) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!("the bundle is signed ({SIGNATURES_FILE}) and no key to verify it was given"),
                    help: Some("give the signer's public key with --bundle-public-key FILE (and --bundle-signing-alg if it is not RS256)".into()),
                })
            }
            (None, Some(v)) => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!("--bundle-public-key {} was given and the bundle has no {SIGNATURES_FILE}", v.key_file.display()),
                    help: Some("sign it with `driftgate policy build DIR -o bundle.tar.gz --signing-key KEY` or `opa build --signing-key`".into()),
                })
            }
            (Some(text), Some(v)) => {
                let text = String::from_utf8(text).map_err(|_| bad(format!("{SIGNATURES_FILE} is not UTF-8")))?;
                Some(signing::verify_bundle(&text, &raw, v).map_err(|problem| Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!("the bundle's signature does not hold: {problem}"),
                    help: Some("nothing of this bundle was evaluated; rebuild and re-sign it from the reviewed source".into()),
                })?)
            }
        };
        let mut entries: Vec<(String, String)> = Vec::with_capacity(raw.len());
        for (name, bytes) in raw {
            let text = String::from_utf8(bytes).map_err(|_| bad(format!("{name} is not UTF-8 text")))?;
            entries.push((name, text));
        }
        let manifest = match entries.iter().find(|(n, _)| n == ".manifest") {
            Some((_, text)) => {
                crate::input::parse_json::<BundleManifest>(&path.join(".manifest"), text, "an OPA bundle manifest")?
            }
            None => BundleManifest::default(),
        };
        let roots: Vec<Vec<String>> = manifest.roots.iter().map(|r| segments(r)).collect();
        for (i, a) in roots.iter().enumerate() {
            for b in roots.iter().skip(i + 1) {
                if a.starts_with(b) || b.starts_with(a) {
                    return Err(bad(format!("the manifest's roots {:?} and {:?} overlap", a.join("/"), b.join("/"))));
                }
            }
        }
        let under_roots = |p: &[String]| roots.is_empty() || roots.iter().any(|r| p.starts_with(r) || r.is_empty());
        let mut modules = Vec::new();
        let mut data = Value::Object(Map::new());
        let mut files = Vec::new();
        for (name, text) in &entries {
            let shown = path.join(name);
            let base = name.rsplit('/').next().unwrap_or(name);
            let is_data = matches!(base, "data.json" | "data.yaml");
            if !(name.ends_with(".rego") || is_data || name == ".manifest") {
                continue;
            }
            files.push(BundleFile { path: name.clone(), sha256: canonical::sha256_hex(text.as_bytes()) });
            if name.ends_with(".rego") {
                let module = RegoModule::parse(&shown, name.clone(), text.clone())?;
                let package: Vec<String> = module.info.package.split('.').map(str::to_string).collect();
                if !under_roots(&package) {
                    return Err(bad(format!(
                        "package {} of {name} is outside the manifest's roots",
                        module.info.package
                    )));
                }
                modules.push(module);
            } else if is_data {
                let content: Value = if base == "data.yaml" {
                    yaml_serde::from_str(text).map_err(|e| bad(format!("{name} is not YAML: {e}")))?
                } else {
                    crate::input::parse_json(&shown, text, "a JSON data file")?
                };
                let prefix = segments(name.rsplit_once('/').map_or("", |(d, _)| d));
                if let Value::Object(top) = &content {
                    for k in top.keys() {
                        let mut at = prefix.clone();
                        at.push(k.clone());
                        if !under_roots(&at) {
                            return Err(bad(format!(
                                "data.{} of {name} is outside the manifest's roots",
                                at.join(".")
                            )));
                        }
                    }
                }
                merge_at(&mut data, &prefix, content)
                    .map_err(|at| bad(format!("data conflict at data.{at}: another file already sets it")))?;
            }
        }
        let controls = match data.get("controls") {
            Some(c) => ControlCatalog::from_value(path, &serde_json::json!({"controls": c}))?,
            None => ControlCatalog::built_in()?,
        };
        let waiver_list = match data.get("waivers") {
            Some(w) => waivers::parse(path, &serde_json::json!({"waivers": w}))?,
            None => Vec::new(),
        };
        Ok(Bundle {
            root: path.to_path_buf(),
            modules,
            data,
            sha256: listing_sha256(&files),
            files,
            controls,
            waivers: waiver_list,
            revision: manifest.revision,
            signature,
        })
    }

    /// Writes this bundle as an OPA bundle tarball: a `.manifest` with `revision` and the
    /// `roots` it needs, every module at its path, and the whole data document as one
    /// `data.json` at the root (so that OPA and driftgate load the same `data`).
    /// With `signing`, a `.signatures.json` over every file is added, as `opa build
    /// --signing-key` adds it.
    pub fn write_tarball(&self, out: &Path, revision: Option<&str>, signing: Option<&signing::Signing>) -> Result<()> {
        let mut roots: std::collections::BTreeSet<String> =
            self.modules.iter().filter_map(|m| m.info.package.split('.').next().map(str::to_string)).collect();
        if let Value::Object(top) = &self.data {
            roots.extend(top.keys().cloned());
        }
        let mut manifest = serde_json::json!({"roots": roots});
        if let Some(r) = revision {
            manifest["revision"] = Value::String(r.to_string());
        }
        let mut files: Vec<(String, Vec<u8>)> =
            vec![(".manifest".into(), canonical::to_pretty(&manifest).into_bytes())];
        files.extend(self.modules.iter().map(|m| (m.path.clone(), m.text.clone().into_bytes())));
        files.push(("data.json".into(), canonical::to_pretty(&self.data).into_bytes()));
        if let Some(signer) = signing {
            let sigs = signer.sign(&files).map_err(|message| Error::Usage { message, help: None })?;
            files.push((SIGNATURES_FILE.into(), sigs.into_bytes()));
        }
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
        for (name, bytes) in &files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0); // the same bundle, the same bytes
            header.set_cksum();
            tar.append_data(&mut header, name, bytes.as_slice())
                .map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
        }
        let gz = tar.into_inner().map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
        let bytes = gz.finish().map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
        crate::fsutil::write_atomic(out, &bytes)
    }

    /// The finding-producing rules of the non-test modules, in package then name order.
    pub fn rules(&self) -> Result<Vec<RuleMeta>> {
        // Every rule and function per package, for following references to helpers.
        let mut symbols = source::SymbolTable::default();
        for m in self.modules.iter().filter(|m| !m.is_test) {
            let h = symbols.rules.entry(m.info.package.clone()).or_default();
            for r in &m.info.rules {
                h.entry(r.name.clone()).or_default().push(r.text.clone());
            }
            symbols.imports.entry(m.info.package.clone()).or_default().extend(m.info.imports.clone());
        }
        let mut by_path: BTreeMap<(String, String), RuleMeta> = BTreeMap::new();
        for m in self.modules.iter().filter(|m| !m.is_test) {
            for def in &m.info.rules {
                let Some(level) = entry_level(&def.name) else {
                    continue;
                };
                let key = (m.info.package.clone(), def.name.clone());
                let meta = rule_meta(m, def, level, &symbols);
                match by_path.get_mut(&key) {
                    None => {
                        by_path.insert(key, meta);
                    }
                    Some(existing) => {
                        if def.annotation.as_ref().and_then(|a| a.custom.get("id")).is_some()
                            && existing.has_id
                            && meta.id != existing.id
                        {
                            return Err(Error::Policy {
                                path: self.root.join(&m.path),
                                message: format!(
                                    "rule {} is defined again with another custom.id ({} and {})",
                                    def.name, existing.id, meta.id
                                ),
                                span: span_at(&m.text, def.line, 1),
                                src: std::sync::Arc::new(NamedSource::new(self.root.join(&m.path).display().to_string(), m.text.clone())),
                                help: Some("findings of one rule cannot be told apart: give each check its own rule name (deny_mfa, deny_password_length, ...)".into()),
                            });
                        }
                        existing.reads.resource_types.extend(meta.reads.resource_types);
                        existing.reads.drift |= meta.reads.drift;
                        existing.reads.run_keys.extend(meta.reads.run_keys);
                        if !existing.has_id && meta.has_id {
                            let reads = existing.reads.clone();
                            *existing = RuleMeta { reads, ..meta };
                        }
                    }
                }
            }
        }
        Ok(by_path.into_values().collect())
    }
}

fn rule_meta(m: &RegoModule, def: &source::RuleDef, level: Level, symbols: &source::SymbolTable) -> RuleMeta {
    let pkg = m.info.package_annotation.as_ref();
    let rule = def.annotation.as_ref();
    let custom = |key: &str| rule.and_then(|a| a.custom.get(key)).or_else(|| pkg.and_then(|a| a.custom.get(key)));
    let text_of = |key: &str| custom(key).and_then(Value::as_str).map(str::to_string);
    let list_of = |key: &str| -> Option<Vec<String>> {
        custom(key).map(|v| match v {
            Value::Array(items) => items.iter().map(value_text).collect(),
            other => vec![value_text(other)],
        })
    };
    let severity_text = text_of("severity");
    let severity = severity_text.as_deref().and_then(Severity::parse);
    // `custom.reads` declares what the rule reads: resource type names, `drift`, and
    // `run.<key>` for keys of data.driftgate.run.
    let reads = match list_of("reads") {
        Some(items) => Reads {
            drift: items.iter().any(|t| t == "drift"),
            run_keys: items.iter().filter_map(|t| t.strip_prefix("run.")).map(str::to_string).collect(),
            resource_types: items.into_iter().filter(|t| t != "drift" && !t.starts_with("run.")).collect(),
        },
        None => source::reads_of(&m.info.package, &def.text, symbols),
    };
    let id = rule.and_then(|a| a.custom.get("id")).and_then(Value::as_str).map(str::to_string);
    RuleMeta {
        has_id: id.is_some(),
        id: id.unwrap_or_else(|| format!("{}.{}", m.info.package, def.name)),
        package: m.info.package.clone(),
        rule: def.name.clone(),
        level,
        title: rule.and_then(|a| a.title.clone()).or_else(|| pkg.and_then(|a| a.title.clone())),
        description: rule.and_then(|a| a.description.clone()).or_else(|| pkg.and_then(|a| a.description.clone())),
        has_severity: severity_text.is_some(),
        unknown_severity: severity_text.filter(|_| severity.is_none()),
        severity: severity.unwrap_or(match level {
            Level::Violation => Severity::Medium,
            Level::Warning => Severity::Low,
        }),
        controls: list_of("controls").unwrap_or_default(),
        remediation: text_of("remediation"),
        platforms: list_of("platform").unwrap_or_default(),
        file: PathBuf::from(&m.path),
        line: def.line,
        has_metadata: rule.is_some() || pkg.is_some(),
        reads,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl RegoModule {
    /// Parses a module's METADATA and rules; `shown` names the file in diagnostics and `rel`
    /// is its path in the bundle.
    fn parse(shown: &Path, rel: String, text: String) -> Result<RegoModule> {
        let info = source::parse_module(&text).map_err(|e| Error::Policy {
            path: shown.to_path_buf(),
            message: e.message.clone(),
            span: span_at(&text, e.line, 1),
            src: std::sync::Arc::new(NamedSource::new(shown.display().to_string(), text.clone())),
            help: Some("METADATA is a YAML block of '# ' comment lines directly above a package or rule".into()),
        })?;
        let is_test = rel.ends_with("_test.rego");
        Ok(RegoModule { path: rel, text, info, is_test })
    }
}

/// SHA-256 of the file list in `sha256sum` format (`<sha256>  <path>\n` per file, in order).
fn listing_sha256(files: &[BundleFile]) -> String {
    let listing: String = files.iter().map(|f| format!("{}  {}\n", f.sha256, f.path)).collect();
    canonical::sha256_hex(listing.as_bytes())
}

/// An OPA bundle's `.manifest`.
#[derive(Debug, Default, Deserialize)]
struct BundleManifest {
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    roots: Vec<String>,
}

fn is_tarball(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// A bundle path (`soc2/genesys`, `a.b`) as segments; the empty root is no segment.
fn segments(p: &str) -> Vec<String> {
    p.split(['/', '.']).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn rel_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Merges `content` into `target` at `prefix`, OPA-style: objects merge key by key, and
/// any other value may be set only once. Returns the dotted path of a conflict.
pub(crate) fn merge_at(target: &mut Value, prefix: &[String], content: Value) -> std::result::Result<(), String> {
    let mut node = target;
    for seg in prefix {
        let obj = node.as_object_mut().ok_or_else(|| prefix.join("."))?;
        node = obj.entry(seg.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
    merge(node, content, &mut prefix.to_vec())
}

fn merge(target: &mut Value, content: Value, at: &mut Vec<String>) -> std::result::Result<(), String> {
    match (target, content) {
        (Value::Object(t), Value::Object(c)) => {
            for (k, v) in c {
                at.push(k.clone());
                match t.get_mut(&k) {
                    Some(existing) => merge(existing, v, at)?,
                    None => {
                        t.insert(k, v);
                    }
                }
                at.pop();
            }
            Ok(())
        }
        (t, c) if t.as_object().is_some_and(Map::is_empty) => {
            *t = c;
            Ok(())
        }
        _ => Err(at.join(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_files_merge_under_their_directory() {
        let mut d = json!({});
        merge_at(&mut d, &[], json!({"a": {"x": 1}})).unwrap();
        merge_at(&mut d, &["a".into()], json!({"y": 2})).unwrap();
        merge_at(&mut d, &["soc2".into(), "genesys".into()], json!({"params": {"n": 1}})).unwrap();
        assert_eq!(d, json!({"a": {"x": 1, "y": 2}, "soc2": {"genesys": {"params": {"n": 1}}}}));
        assert_eq!(merge_at(&mut d, &[], json!({"a": {"x": 3}})).unwrap_err(), "a.x");
    }
}
