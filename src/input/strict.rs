//! Strict JSON: what serde_json accepts but driftgate refuses, because accepting it would
//! silently change the meaning of evidence. A key given twice in one object (serde_json
//! keeps the last, so `"mfa": false, …, "mfa": true` reads as `true`), and a number of
//! magnitude 2^64 or more (serde_json rounds it to a double, so two different identifiers
//! could compare and hash alike).
//!
//! [`check`] walks a document once without building it, so it can run before the typed
//! parse at the cost of tokenizing the text.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// 2^64: every integer below it in magnitude reaches a visitor as `u64`/`i64`, exactly.
const EXACT_LIMIT: f64 = 18_446_744_073_709_551_616.0;

/// The prefix of the message for a repeated key (diagnostics widen its span to the key).
pub(crate) const DUPLICATE_KEY: &str = "duplicate key ";

/// The error for `key` given twice in one object.
fn duplicate<E: de::Error>(key: &str) -> E {
    E::custom(format!("{DUPLICATE_KEY}{key:?}: the object names it twice"))
}

/// Refuses a number serde_json could not keep exactly (it reached us as a double).
fn exact<E: de::Error>(v: f64) -> Result<(), E> {
    if v.abs() >= EXACT_LIMIT {
        return Err(E::custom(
            "a number of magnitude 2^64 or more cannot be kept exactly (it would be rounded to a double)",
        ));
    }
    Ok(())
}

/// Checks a whole JSON document for repeated keys and numbers that cannot be kept exactly;
/// returns the top-level `"format"` string, when the document is an object that has one.
pub fn check(text: &str) -> Result<Option<String>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let format = Walk { top: true, want_string: false }.deserialize(&mut de)?;
    de.end()?;
    Ok(format)
}

/// Parses `bytes` as one strict JSON document (UTF-8, [`check`]ed), or `None`: how the
/// verifiers read every document of an evidence store.
pub fn parse_bytes(bytes: &[u8]) -> Option<serde_json::Value> {
    let text = std::str::from_utf8(bytes).ok()?;
    check(text).ok()?;
    serde_json::from_str(text).ok()
}

/// Parses `text` into a [`serde_json::Value`] with the checks of [`check`], in one pass.
/// On an error, [`check`] (and then serde_json's own parse) gives the located diagnostic.
pub fn parse_value(text: &str) -> Result<serde_json::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictValue.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A document whose top level was walked strictly and whose parts were located, not built:
/// each top-level value, and each item of each resource list (`resources.<type>[i]`).
pub struct Located<'de> {
    /// The top-level `format` string.
    pub format: Option<String>,
    /// Every top-level entry but `resources`: key and text.
    pub top: Vec<(String, &'de serde_json::value::RawValue)>,
    /// `resources`: per type, the text of each item.
    pub resources: Vec<(String, Vec<&'de serde_json::value::RawValue>)>,
}

/// Locates the parts of a snapshot-shaped document in one pass: the top level and the
/// `resources` object are checked as [`check`] checks (no key twice), the values inside are
/// only delimited. `None` unless the document is an object whose `resources` is an object
/// of arrays. The caller checks the located parts themselves ([`check`], [`parse_value`]).
pub fn locate(text: &str) -> Option<Located<'_>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let located = TopSeed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(located)
}

struct TopSeed;

impl<'de> DeserializeSeed<'de> for TopSeed {
    type Value = Located<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed {
    type Value = Located<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = Keys::default();
        let mut out = Located { format: None, top: Vec::new(), resources: Vec::new() };
        let mut had_resources = false;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if !seen.insert(key.clone()) {
                return Err(duplicate(&key));
            }
            if key == "resources" {
                out.resources = map.next_value_seed(ResourcesSeed)?;
                had_resources = true;
                continue;
            }
            let raw: &'de serde_json::value::RawValue = map.next_value()?;
            if key == "format" {
                out.format = serde_json::from_str::<String>(raw.get()).ok();
            }
            out.top.push((key.into_owned(), raw));
        }
        if !had_resources {
            return Err(de::Error::custom("no resources"));
        }
        Ok(out)
    }
}

struct ResourcesSeed;

impl<'de> DeserializeSeed<'de> for ResourcesSeed {
    type Value = Vec<(String, Vec<&'de serde_json::value::RawValue>)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed {
    type Value = Vec<(String, Vec<&'de serde_json::value::RawValue>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of resource lists")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = Keys::default();
        let mut out = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if !seen.insert(key.clone()) {
                return Err(duplicate(&key));
            }
            let items: Vec<&'de serde_json::value::RawValue> = map.next_value()?;
            out.push((key.into_owned(), items));
        }
        Ok(out)
    }
}

/// A [`serde_json::Value`] built as serde_json builds it, refusing what [`check`] refuses.
#[derive(Clone, Copy)]
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = serde_json::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        exact(v)?;
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(duplicate(&key));
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(key, value);
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// One value of the walk. `top` marks the document's root; `want_string` asks for a string
/// value back (the root's `format`), so that no other string is copied.
#[derive(Clone, Copy)]
struct Walk {
    top: bool,
    want_string: bool,
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        exact(v)?;
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.want_string.then(|| v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let inner = Walk { top: false, want_string: false };
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = Keys::default();
        let mut format = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if !seen.insert(key.clone()) {
                return Err(duplicate(&key));
            }
            let want = self.top && key == "format";
            let value = map.next_value_seed(Walk { top: false, want_string: want })?;
            if want {
                format = value;
            }
        }
        Ok(format)
    }
}

/// The keys of one object: a short list for the usual small object, a set for large ones.
#[derive(Default)]
struct Keys<'de> {
    few: Vec<Cow<'de, str>>,
    many: HashSet<Cow<'de, str>>,
}

impl<'de> Keys<'de> {
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&key) {
                return false;
            }
            self.few.push(key);
            if self.few.len() > 24 {
                self.many.extend(self.few.drain(..));
            }
            return true;
        }
        self.many.insert(key)
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_below_the_top_is_refused() {
        let e = check(r#"{"a": {"mfa": false, "x": 1, "mfa": true}}"#).unwrap_err();
        assert!(e.to_string().contains("duplicate key \"mfa\""), "{e}");
        assert_eq!((e.line(), e.column()), (1, 34)); // the closing quote of the second key
    }

    #[test]
    fn keys_that_differ_only_by_escape_are_the_same_key() {
        assert!(check(r#"{"a": 1, "\u0061": 2}"#).is_err());
    }

    #[test]
    fn large_objects_are_checked_too() {
        let mut s: String = (0..100).map(|i| format!("\"k{i}\": {i},")).collect();
        s.push_str("\"k7\": 0");
        assert!(check(&format!("{{{s}}}")).is_err());
        assert!(check(&format!("{{{}}}", s.trim_end_matches(",\"k7\": 0"))).is_ok());
    }

    #[test]
    fn integers_beyond_64_bits_are_refused_and_those_within_pass() {
        assert!(check("[18446744073709551615, -9223372036854775808, 1.5e300]").is_err());
        assert!(check("[18446744073709551615, -9223372036854775808, 1.5e18, 0.1]").is_ok());
        assert!(check("{\"id\": 12345678901234567890123}").is_err());
        assert!(check("[-18446744073709551616]").is_err());
    }

    #[test]
    fn parse_value_refuses_what_check_refuses_and_builds_what_serde_builds() {
        for bad in
            [r#"{"a": {"m": 1, "m": 2}}"#, r#"{"a": 1, "\u0061": 2}"#, "[18446744073709551616]", "[1.5e300]", "{} x"]
        {
            assert!(parse_value(bad).is_err() && check(bad).is_err(), "{bad}");
        }
        let good = r#"{"a": [1, -2, 0.1, 1.5e18, "s\u00e9", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        assert_eq!(parse_value(good).unwrap(), serde_json::from_str::<serde_json::Value>(good).unwrap());
    }

    #[test]
    fn locate_checks_the_top_and_delimits_the_items() {
        let l = locate(r#"{"format": "f", "resources": {"users": [{"id": 1}, {"id": 2, "x": [3]}]}, "metadata": {}}"#)
            .unwrap();
        assert_eq!(l.format.as_deref(), Some("f"));
        assert_eq!(
            l.resources[0].1.iter().map(|r| r.get()).collect::<Vec<_>>(),
            [r#"{"id": 1}"#, r#"{"id": 2, "x": [3]}"#]
        );
        assert_eq!(l.top.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["format", "metadata"]);
        assert!(locate(r#"{"resources": {}, "resources": {}}"#).is_none());
        assert!(locate(r#"{"resources": {"u": [], "u": []}}"#).is_none());
        assert!(locate(r#"{"format": "f"}"#).is_none(), "no resources");
    }

    #[test]
    fn the_top_level_format_is_returned() {
        assert_eq!(check(r#"{"x": {"format": "no"}, "format": "yes"}"#).unwrap().as_deref(), Some("yes"));
        assert_eq!(check("[1]").unwrap(), None);
        assert!(check("{} x").is_err());
    }
}
