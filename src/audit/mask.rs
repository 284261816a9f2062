//! Minimization and masking of audit events. An event keeps only the fields of an allowlist
//! (everything else is dropped as the page is read); then every string that survives has its
//! email addresses cut to `***@domain` and its phone numbers replaced by a keyed pseudonym
//! (HMAC-SHA256: a plain hash of a phone number is reversible by enumerating the numbers).
//! Object keys, numbers, booleans and nulls are never touched.

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The masking policy's version, recorded with every batch. Bump it when what is masked, or
/// how, changes.
pub const MASK_POLICY_VERSION: &str = "driftgate-mask/1";

/// The fields an event keeps by default (dotted paths into the `AuditLogMessage`).
pub const DEFAULT_FIELDS: &[&str] = &[
    "id",
    "eventDate",
    "serviceName",
    "level",
    "action",
    "status",
    "entityType",
    "entity.id",
    "entity.name",
    "user.id",
    "client.id",
    "remoteIp",
    "propertyChanges",
];

/// An extra pattern from the configuration: whatever it matches becomes a pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskPattern {
    /// A name, shown in the pseudonym (`<name>:…`) and recorded in the batch.
    pub name: String,
    /// A regular expression (Rust `regex` syntax).
    pub regex: String,
}

/// The masking key: at least 16 bytes, from the environment or a file.
pub struct MaskKey(Vec<u8>);

impl std::fmt::Debug for MaskKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MaskKey({})", self.fingerprint())
    }
}

impl MaskKey {
    /// A key from bytes; refuses short keys.
    pub fn new(bytes: Vec<u8>, source: &str) -> Result<MaskKey> {
        if bytes.len() < 16 {
            return Err(Error::Credentials {
                message: format!("the masking key from {source} is shorter than 16 bytes"),
                help: Some("use a random key, e.g. `openssl rand -hex 32`".into()),
            });
        }
        Ok(MaskKey(bytes))
    }

    /// From the environment variable `var`.
    pub fn from_env(var: &str) -> Result<MaskKey> {
        let v = std::env::var(var).map_err(|_| Error::Credentials {
            message: format!("no masking key: {var} is not set"),
            help: Some(
                "audit events are masked with a keyed HMAC; set the key in the environment or mask_key_file (never a plain hash)"
                    .into(),
            ),
        })?;
        MaskKey::new(v.trim().as_bytes().to_vec(), var)
    }

    /// From a file (its trimmed contents).
    pub fn from_file(path: &std::path::Path) -> Result<MaskKey> {
        let text = crate::input::read_text(path)?;
        MaskKey::new(text.trim().as_bytes().to_vec(), &path.display().to_string())
    }

    /// `sha256:<hex>` of an HMAC of a fixed label: identifies the key without revealing it.
    pub fn fingerprint(&self) -> String {
        format!("hmac-sha256:{}", &self.hmac_hex(b"driftgate key fingerprint")[..32])
    }

    fn hmac_hex(&self, data: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(data);
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What masking did, for the batch record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MaskStats {
    /// Email addresses masked.
    pub emails: usize,
    /// Phone numbers pseudonymized.
    pub phones: usize,
    /// Matches of the extra patterns.
    pub extra: usize,
}

/// Minimizes and masks events.
#[derive(Debug)]
pub struct Masker {
    key: MaskKey,
    fields: Vec<Vec<String>>,
    field_names: Vec<String>,
    email: Regex,
    phones: Vec<Regex>,
    extra: Vec<(String, Regex)>,
    extra_sources: Vec<MaskPattern>,
}

impl Masker {
    /// A masker keeping `fields` (dotted paths; empty = the defaults).
    pub fn new(key: MaskKey, fields: &[String], extra: &[MaskPattern]) -> Result<Masker> {
        let field_names: Vec<String> =
            if fields.is_empty() { DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect() } else { fields.to_vec() };
        let mut compiled = Vec::new();
        for p in extra {
            let re = Regex::new(&p.regex).map_err(|e| Error::Usage {
                message: format!("mask pattern {:?} is not a valid regular expression: {e}", p.name),
                help: None,
            })?;
            compiled.push((p.name.clone(), re));
        }
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| unreachable!("built-in pattern {s}: {e}"));
        Ok(Masker {
            key,
            fields: field_names.iter().map(|f| f.split('.').map(str::to_string).collect()).collect(),
            field_names,
            email: re(r"[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"),
            phones: vec![
                // International with a leading +: E.164 (+15554657799) and grouped
                // (+44 20 7946 0958, +1 (555) 123-4567, +49-30-1234567).
                re(r"\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}"),
                // North American: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567.
                re(r"\(\d{3}\) ?\d{3}[-. ]\d{4}"),
                re(r"\d{3}[-.]\d{3}[-.]\d{4}"),
                re(r"\d{3} \d{3} \d{4}"),
            ],
            extra: compiled,
            extra_sources: extra.to_vec(),
        })
    }

    /// The key's fingerprint.
    pub fn key_fingerprint(&self) -> String {
        self.key.fingerprint()
    }

    /// The allowlist.
    pub fn fields(&self) -> &[String] {
        &self.field_names
    }

    /// The extra patterns.
    pub fn extra_patterns(&self) -> &[MaskPattern] {
        &self.extra_sources
    }

    /// Keeps only the allowlisted fields of `event` (moved out of it, nothing copied).
    pub fn minimize(&self, event: Value) -> Value {
        let Value::Object(mut src) = event else { return Value::Null };
        let mut out = Map::new();
        for path in &self.fields {
            take(&mut src, &mut out, path);
        }
        Value::Object(out)
    }

    /// Masks every string in `v` (not object keys).
    pub fn mask(&self, v: &mut Value, stats: &mut MaskStats) {
        match v {
            Value::String(s) => {
                if let Some(m) = self.mask_str(s, stats) {
                    *s = m;
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.mask(x, stats)),
            Value::Object(o) => o.values_mut().for_each(|x| self.mask(x, stats)),
            _ => {}
        }
    }

    /// Minimizes, then masks.
    pub fn apply(&self, event: Value, stats: &mut MaskStats) -> Value {
        let mut e = self.minimize(event);
        self.mask(&mut e, stats);
        e
    }

    /// The masked text, or None when nothing matched.
    pub fn mask_str(&self, s: &str, stats: &mut MaskStats) -> Option<String> {
        let mut out = s.to_string();
        let mut changed = false;
        if self.email.is_match(&out) {
            let n = self.email.find_iter(&out).count();
            stats.emails += n;
            out = self.email.replace_all(&out, "***@$1").into_owned();
            changed = true;
        }
        for re in &self.phones {
            let (next, n) = replace_bounded(&out, re, |m| {
                let digits: String = m.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
                let count = digits.chars().filter(char::is_ascii_digit).count();
                ((7..=15).contains(&count)).then(|| format!("tel:{}", &self.key.hmac_hex(digits.as_bytes())[..16]))
            });
            if n > 0 {
                stats.phones += n;
                out = next;
                changed = true;
            }
        }
        for (name, re) in &self.extra {
            let mut n = 0;
            let next = re
                .replace_all(&out, |c: &regex::Captures| {
                    n += 1;
                    format!("{name}:{}", &self.key.hmac_hex(c[0].as_bytes())[..16])
                })
                .into_owned();
            if n > 0 {
                stats.extra += n;
                out = next;
                changed = true;
            }
        }
        changed.then_some(out)
    }
}

/// Moves `path` from `src` to `out`, creating the parents it needs.
fn take(src: &mut Map<String, Value>, out: &mut Map<String, Value>, path: &[String]) {
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        if let Some(v) = src.remove(first) {
            out.insert(first.clone(), v);
        }
        return;
    }
    if let Some(Value::Object(child)) = src.get_mut(first) {
        let entry = out.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(o) = entry {
            take(child, o, rest);
            if o.is_empty() {
                out.remove(first);
            }
        }
    }
}

/// Replaces the matches of `re` that stand alone: not inside a longer run of digits,
/// letters, dots or dashes (so ids, IP addresses, versions and timestamps are left alone).
fn replace_bounded(s: &str, re: &Regex, f: impl Fn(&str) -> Option<String>) -> (String, usize) {
    let bytes = s.as_bytes();
    let glued = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' || b == b'/';
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut n = 0;
    for m in re.find_iter(s) {
        let before_ok = m.start() == 0 || {
            let b = bytes[m.start() - 1];
            !glued(b) && b != b'+' && b != b'@'
        };
        let after_ok = m.end() == s.len() || {
            let b = bytes[m.end()];
            // A sentence may end right after a number: "call 555-123-4567."
            !glued(b) || ((b == b'.' || b == b'-') && bytes.get(m.end() + 1).is_none_or(|c| !c.is_ascii_alphanumeric()))
        };
        if !(before_ok && after_ok) {
            continue;
        }
        if let Some(r) = f(m.as_str()) {
            out.push_str(&s[last..m.start()]);
            out.push_str(&r);
            last = m.end();
            n += 1;
        }
    }
    out.push_str(&s[last..]);
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn masker() -> Masker {
        Masker::new(MaskKey::new(b"0123456789abcdef-test-key".to_vec(), "test").unwrap(), &[], &[]).unwrap()
    }

    fn mask(s: &str) -> String {
        masker().mask_str(s, &mut MaskStats::default()).unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn every_listed_phone_format_is_pseudonymized() {
        for phone in [
            "+15554657799",
            "+442079460958",
            "(555) 123-4567",
            "(555)123-4567",
            "555-123-4567",
            "555.123.4567",
            "555 123 4567",
            "+44 20 7946 0958",
            "+1 (555) 123-4567",
            "+1-555-123-4567",
            "+49 30 1234567",
            "+33 1 42 68 53 00",
            "+91 98765 43210",
        ] {
            for text in [phone.to_string(), format!("call {phone} now"), format!("tel {phone}."), format!("[{phone}]")]
            {
                let m = mask(&text);
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                assert!(m.contains("tel:"), "{text:?} → {m:?}");
                assert!(!m.contains(&digits[digits.len() - 4..]), "{text:?} → {m:?} keeps digits");
            }
        }
    }

    #[test]
    fn emails_keep_only_their_domain() {
        assert_eq!(mask("jonas.berg@acme.example"), "***@acme.example");
        assert_eq!(mask("From: O'Brien+ops@mail.acme.co.uk, cc x_y@b.io"), "From: ***@mail.acme.co.uk, cc ***@b.io");
    }

    #[test]
    fn ids_timestamps_addresses_and_versions_are_left_alone() {
        for s in [
            "8df08078-a22e-4180-85c2-c2af3977a654",
            "12345678-1234-1234-1234-123456789012",
            "2026-11-22T08:00:00.000Z",
            "2026-11-22",
            "203.0.113.10",
            "192.168.100.200",
            "10.250.100.1000",
            "2001:db8::1",
            "1.22.3",
            "v10.123.4567",
            "1732262400000",
            "1732262400",
            "build 2026.11.22.1234",
            "queue-555-123-4567x",
            "inin-ratelimit-count",
            "ININ-Correlation-Id: 3f9a-555-1234",
            "+5 points",
            "order #555-12",
        ] {
            assert_eq!(mask(s), s, "{s:?} was mangled");
        }
    }

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let a = mask("+15554657799");
        assert_eq!(a, mask("+15554657799"));
        let other = Masker::new(MaskKey::new(b"another-key-of-16-bytes".to_vec(), "t").unwrap(), &[], &[]).unwrap();
        let b = other.mask_str("+15554657799", &mut MaskStats::default()).unwrap();
        assert_ne!(a, b, "a different key gives a different pseudonym");
        // Not a plain hash of the number.
        use sha2::Digest;
        let plain: String = sha2::Sha256::digest(b"+15554657799").iter().map(|b| format!("{b:02x}")).collect();
        assert!(!plain.starts_with(a.trim_start_matches("tel:")));
    }

    #[test]
    fn minimization_keeps_only_the_allowlist_and_masking_spares_keys_and_numbers() {
        let event = json!({
            "id": "a1", "eventDate": "2026-11-21T10:00:00Z", "serviceName": "Directory", "level": "USER",
            "action": "Update", "status": "SUCCESS", "entityType": "User",
            "entity": {"id": "u1", "name": "jonas.berg@acme.example", "selfUri": "/api/v2/users/u1"},
            "user": {"id": "u2", "name": "Dana Ortiz", "selfUri": "/x"},
            "client": {"id": "c1", "selfUri": "/y"},
            "remoteIp": ["203.0.113.10"],
            "message": {"message": "Dana changed jonas.berg@acme.example"},
            "context": {"phone": "555-123-4567"},
            "propertyChanges": [{"property": "primaryContactInfo.555-123-4567", "oldValues": ["(555) 123-4567"],
                                 "newValues": ["+44 20 7946 0958", 42, null, true]}],
        });
        let mut stats = MaskStats::default();
        let m = masker().apply(event, &mut stats);
        assert!(m.get("message").is_none() && m.get("context").is_none());
        assert!(m["user"].get("name").is_none() && m["entity"].get("selfUri").is_none());
        assert_eq!(m["entity"]["name"], "***@acme.example");
        assert_eq!(m["remoteIp"], json!(["203.0.113.10"]));
        let change = &m["propertyChanges"][0];
        assert_eq!(change["property"], "primaryContactInfo.555-123-4567", "property names untouched");
        assert!(change["oldValues"][0].as_str().unwrap().starts_with("tel:"));
        assert!(change["newValues"][0].as_str().unwrap().starts_with("tel:"));
        assert_eq!(change["newValues"].as_array().unwrap()[1..], [json!(42), Value::Null, json!(true)]);
        assert_eq!(stats, MaskStats { emails: 1, phones: 2, extra: 0 });
    }

    #[test]
    fn extra_patterns_become_pseudonyms_and_bad_ones_are_refused() {
        let p = MaskPattern { name: "emp".into(), regex: r"EMP-\d{6}".into() };
        let m = Masker::new(MaskKey::new(vec![7; 32], "t").unwrap(), &[], &[p]).unwrap();
        let out = m.mask_str("badge EMP-123456 ok", &mut MaskStats::default()).unwrap();
        assert!(out.starts_with("badge emp:") && out.ends_with(" ok"), "{out}");
        let bad = MaskPattern { name: "x".into(), regex: "(".into() };
        assert!(Masker::new(MaskKey::new(vec![7; 32], "t").unwrap(), &[], &[bad]).is_err());
        assert!(MaskKey::new(b"short".to_vec(), "t").is_err());
    }
}
