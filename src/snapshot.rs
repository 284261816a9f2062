//! The snapshot document (`driftgate.snapshot/v1`): the one input shape of every stage.
//!
//! A snapshot holds a tenant's configuration as collected (raw) or normalized. Resource
//! objects keep the platform's own field names; unknown top-level and metadata keys are
//! kept so that a document round-trips through driftgate unchanged.

use crate::error::{Error, Result};
use crate::input;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The value of `format` every snapshot carries.
pub const SNAPSHOT_FORMAT: &str = "driftgate.snapshot/v1";

/// One snapshot document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// Where and when the configuration was collected.
    pub metadata: Metadata,
    /// Resource type name → the platform's API objects of that type. Singletons are
    /// one-element arrays.
    pub resources: BTreeMap<String, Vec<Value>>,
    /// Top-level keys this version does not know; kept.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A snapshot whose items are located in its text but not parsed
/// ([`Snapshot::locate_items`]).
#[derive(Debug, Clone)]
pub struct LocatedSnapshot {
    /// The snapshot without its items (`resources` is empty).
    pub head: Snapshot,
    /// Per resource type, each item's byte range (start, length) in the text.
    pub items: BTreeMap<String, Vec<(usize, usize)>>,
}

impl LocatedSnapshot {
    /// The whole snapshot: the located items of `text` (the text they were located in)
    /// parsed strictly, on every core; `None` if one does not parse.
    pub fn parse(&self, text: &str) -> Option<Snapshot> {
        use rayon::prelude::*;
        let mut snapshot = self.head.clone();
        for (rtype, spans) in &self.items {
            let items: Option<Vec<Value>> = spans
                .par_iter()
                .map(|&(start, len)| input::strict::parse_value(text.get(start..start + len)?).ok())
                .collect();
            snapshot.resources.insert(rtype.clone(), items?);
        }
        Some(snapshot)
    }
}

/// Snapshot metadata. `platform` and `tenant` are required; the rest is recorded when known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// `genesys-cloud` or `nice-cxone`.
    pub platform: String,
    /// The tenant's name as the operator calls it; also the baseline's file name.
    pub tenant: String,
    /// Platform region or domain, e.g. `mypurecloud.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The platform API version the objects came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// When the collection happened (UTC, RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// The collection's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<String>,
    /// The identity that collected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_id: Option<String>,
    /// Metadata keys this version does not know; kept.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Snapshot {
    /// Reads and validates a snapshot file.
    pub fn from_file(path: &Path) -> Result<Snapshot> {
        let text = input::read_text(path)?;
        Self::from_json_text(path, &text)
    }

    /// Locates the items of a snapshot's text without parsing them: the snapshot without
    /// its items, and per resource type the byte range of each item in `text`. `None` when
    /// the text is not a snapshot [`Snapshot::from_json_text`] would accept as it is (strict
    /// JSON outside the items, the format, valid metadata, every item an object): that
    /// function then says why. The items themselves are only delimited: whoever parses one
    /// parses it strictly ([`input::strict::parse_value`]).
    pub fn locate_items(path: &Path, text: &str) -> Option<LocatedSnapshot> {
        let located = input::strict::locate(text)?;
        let head = Self::head_of(&located)?;
        head.validate(path).ok()?;
        let base = text.as_ptr() as usize;
        let mut items = BTreeMap::new();
        for (rtype, raws) in &located.resources {
            let mut spans = Vec::with_capacity(raws.len());
            for raw in raws {
                if !raw.get().starts_with('{') {
                    return None;
                }
                spans.push((raw.get().as_ptr() as usize - base, raw.get().len()));
            }
            items.insert(rtype.clone(), spans);
        }
        Some(LocatedSnapshot { head, items })
    }

    /// The snapshot without its items, from a located document: the top-level values parsed
    /// strictly and read as the snapshot's fields.
    fn head_of(located: &input::strict::Located<'_>) -> Option<Snapshot> {
        if located.format.as_deref() != Some(SNAPSHOT_FORMAT) {
            return None;
        }
        let mut top = serde_json::Map::new();
        for (key, raw) in &located.top {
            top.insert(key.clone(), input::strict::parse_value(raw.get()).ok()?);
        }
        top.insert("resources".into(), Value::Object(serde_json::Map::new()));
        serde_json::from_value(Value::Object(top)).ok()
    }

    /// The tenant a snapshot's text names (`metadata.tenant`), read without building the
    /// document (the rest is only skipped over); `None` when the text is not a snapshot.
    /// For finding the tenant's baseline while the snapshot itself is being parsed.
    pub fn peek_tenant(text: &str) -> Option<String> {
        #[derive(Deserialize)]
        struct Peek {
            metadata: PeekMetadata,
        }
        #[derive(Deserialize)]
        struct PeekMetadata {
            tenant: String,
        }
        serde_json::from_str::<Peek>(text).ok().map(|p| p.metadata.tenant)
    }

    /// Parses and validates snapshot text; `path` names it in diagnostics.
    pub fn from_json_text(path: &Path, text: &str) -> Result<Snapshot> {
        Self::from_json_text_located(path, text).map(|(snapshot, _)| snapshot)
    }

    /// As [`Snapshot::from_json_text`], also returning where each item is in `text` when
    /// the parallel parse located them (for pointing findings into the file as given). The
    /// parallel parse is one strict pass over the text that delimits the items, then the
    /// items parsed on every core; anything but a valid snapshot is left to the sequential
    /// parse, which reads it or names its problem.
    pub fn from_json_text_located(path: &Path, text: &str) -> Result<(Snapshot, Option<LocatedSnapshot>)> {
        if let Some(located) = Self::locate_items(path, text) {
            if let Some(snapshot) = located.parse(text) {
                return Ok((snapshot, Some(located)));
            }
        }
        Self::parse_sequentially(path, text).map(|snapshot| (snapshot, None))
    }

    /// The sequential parse, with its diagnostics, for text the parallel parse does not take.
    fn parse_sequentially(path: &Path, text: &str) -> Result<Snapshot> {
        // A wrong `format` is the likeliest mistake (feeding a report or a baseline from
        // another tool): check it first so the diagnostic names it rather than whichever
        // field serde happened to miss. The same pass refuses repeated keys and numbers that
        // cannot be kept exactly, which serde_json would accept and silently change.
        let format =
            input::strict::check(text).map_err(|e| input::json_error(path, text, "a JSON document", &e, None))?;
        match format.as_deref() {
            Some(SNAPSHOT_FORMAT) => {}
            Some(other) => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!("unsupported document format {other:?}"),
                    help: Some(format!("driftgate reads snapshots whose \"format\" is \"{SNAPSHOT_FORMAT}\"")),
                })
            }
            None => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: "not a driftgate snapshot: no \"format\" key".into(),
                    help: Some(format!(
                        "a snapshot is {{\"format\": \"{SNAPSHOT_FORMAT}\", \"metadata\": {{...}}, \"resources\": {{...}}}}"
                    )),
                })
            }
        }
        let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| {
            input::json_error(
                path,
                text,
                "a valid snapshot",
                &e,
                Some("see the snapshot contract: metadata.platform and metadata.tenant are required, and every resources entry is an array of objects".into()),
            )
        })?;
        snapshot.validate(path)?;
        Ok(snapshot)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        validate_tenant_name(&self.metadata.tenant).map_err(|why| Error::Invalid {
            path: path.to_path_buf(),
            message: format!("metadata.tenant {:?} {why}", self.metadata.tenant),
            help: Some("tenant names become file names: use letters, digits, '.', '_' and '-'".into()),
        })?;
        for (rtype, items) in &self.resources {
            if let Some(i) = items.iter().position(|v| !v.is_object()) {
                return Err(Error::invalid(path, format!("resources.{rtype}[{i}] is not a JSON object")));
            }
        }
        Ok(())
    }

    /// The snapshot without its items: the same format, metadata and other keys, and no
    /// resource types.
    pub fn without_resources(&self) -> Snapshot {
        Snapshot {
            format: self.format.clone(),
            metadata: self.metadata.clone(),
            resources: BTreeMap::new(),
            extra: self.extra.clone(),
        }
    }

    /// The snapshot as a JSON value (the policy engine's `input`).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Names a tenant cannot have: a tenant's name is the name of its stream directory at the
/// root of an evidence store, beside the store's own files and the tenant's audit and
/// forensic streams, and one of these names would make the store unverifiable.
const RESERVED_TENANT_NAMES: &[&str] = &["driftgate.pub", "verify_evidence.py", "chain", "alerts", "checkpoints"];

/// Stream suffixes the store uses for a tenant's audit and forensic streams.
pub const STREAM_SUFFIXES: &[&str] = &[".audit", ".forensics"];

/// Checks that a tenant name is safe as a path component and is not one the store uses
/// itself (its root files, its directory names, a name ending in `.audit` or `.forensics`).
pub fn validate_tenant_name(s: &str) -> std::result::Result<(), &'static str> {
    validate_path_component(s)?;
    if RESERVED_TENANT_NAMES.contains(&s) {
        return Err("is a name the evidence store uses itself");
    }
    if STREAM_SUFFIXES.iter().any(|x| s.ends_with(x)) || s.ends_with(".tmp") {
        return Err("ends like one of the evidence store's own streams (.audit, .forensics) or temporary files");
    }
    Ok(())
}

/// Checks a stream name: a tenant's name, alone or with one of [`STREAM_SUFFIXES`].
pub fn validate_stream_name(s: &str) -> std::result::Result<(), &'static str> {
    let tenant = STREAM_SUFFIXES.iter().find_map(|x| s.strip_suffix(x)).unwrap_or(s);
    validate_tenant_name(tenant)
}

/// Checks that a value derived from data (tenant, id) is safe as one path component.
pub fn validate_path_component(s: &str) -> std::result::Result<(), &'static str> {
    if s.is_empty() {
        return Err("is empty");
    }
    if s.len() > 128 {
        return Err("is longer than 128 characters");
    }
    if s.starts_with('.') {
        return Err("starts with '.'");
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Err("contains characters other than letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Snapshot> {
        Snapshot::from_json_text(Path::new("s.json"), text)
    }

    #[test]
    fn unknown_keys_are_kept() {
        let s = parse(
            r#"{"format":"driftgate.snapshot/v1","x-extra":1,
                "metadata":{"platform":"genesys-cloud","tenant":"acme","custom":"k"},
                "resources":{"users":[{"id":"u1"}]}}"#,
        )
        .unwrap();
        assert_eq!(s.extra["x-extra"], 1);
        assert_eq!(s.metadata.extra["custom"], "k");
        let v = s.to_value();
        assert_eq!(v["metadata"]["custom"], "k");
        assert_eq!(v["x-extra"], 1);
    }

    #[test]
    fn wrong_format_is_named() {
        let e = parse(r#"{"format":"driftgate.report/v1"}"#).unwrap_err();
        assert!(e.to_string().contains("driftgate.report/v1"), "{e}");
    }

    #[test]
    fn traversal_in_tenant_is_refused() {
        let e =
            parse(r#"{"format":"driftgate.snapshot/v1","metadata":{"platform":"p","tenant":"../etc"},"resources":{}}"#)
                .unwrap_err();
        assert!(e.to_string().contains("tenant"), "{e}");
    }

    #[test]
    fn a_key_given_twice_inside_an_item_is_refused_at_the_second_key() {
        let text = "{\"format\":\"driftgate.snapshot/v1\",\"metadata\":{\"platform\":\"p\",\"tenant\":\"t\"},\n\"resources\":{\"authentication_settings\":[{\"multifactorAuthenticationRequired\":false,\n \"multifactorAuthenticationRequired\":true}]}}";
        let e = parse(text).unwrap_err();
        assert!(e.to_string().contains("duplicate key \"multifactorAuthenticationRequired\""), "{e}");
        let Error::Json { span, .. } = e else { panic!("not located") };
        let second = text.rfind("\"multifactorAuthenticationRequired\"").unwrap();
        assert_eq!((span.offset(), span.len()), (second, "\"multifactorAuthenticationRequired\"".len()));
    }

    #[test]
    fn integers_beyond_64_bits_are_refused_not_rounded() {
        let e = parse(r#"{"format":"driftgate.snapshot/v1","metadata":{"platform":"p","tenant":"t"},"resources":{"users":[{"id":"u","n":12345678901234567890123}]}}"#)
            .unwrap_err();
        assert!(e.to_string().contains("2^64"), "{e}");
    }

    #[test]
    fn reserved_tenant_names_are_refused() {
        for t in ["verify_evidence.py", "driftgate.pub", "chain", "acme.audit", "acme.forensics", ".hidden"] {
            assert!(validate_tenant_name(t).is_err(), "{t}");
        }
        assert!(validate_tenant_name("acme-corp").is_ok());
        assert!(validate_stream_name("acme-corp.audit").is_ok());
        assert!(validate_stream_name("chain.audit").is_err());
    }

    #[test]
    fn non_object_items_are_refused() {
        let e = parse(
            r#"{"format":"driftgate.snapshot/v1","metadata":{"platform":"p","tenant":"t"},"resources":{"users":[1]}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("resources.users[0]"), "{e}");
    }
}
