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
        if v.abs() >= EXACT_LIMIT {
            return Err(E::custom(
                "a number of magnitude 2^64 or more cannot be kept exactly (it would be rounded to a double)",
            ));
        }
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
                return Err(de::Error::custom(format!("{DUPLICATE_KEY}{:?}: the object names it twice", key.as_ref())));
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
    fn the_top_level_format_is_returned() {
        assert_eq!(check(r#"{"x": {"format": "no"}, "format": "yes"}"#).unwrap().as_deref(), Some("yes"));
        assert_eq!(check("[1]").unwrap(), None);
        assert!(check("{} x").is_err());
    }
}
