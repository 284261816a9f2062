//! Canonical JSON: the one byte form of a document that driftgate hashes and stores.
//!
//! Object keys are ordered by their UTF-16 code units and no insignificant whitespace is
//! written (RFC 8785 / JCS ordering). Floating-point numbers use the ECMAScript
//! shortest round-trip form (as JCS requires); integers are written exactly, which differs
//! from JCS only for integers beyond ±2^53 (JCS would round them to a double, and two
//! different identifiers must never hash alike). The ordering is done here rather than
//! left to `serde_json`'s map, whose order changes when any crate in the build enables
//! `preserve_order`.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;

/// The canonical compact bytes of `value`.
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value, None, 0);
    out
}

/// Appends the canonical compact bytes of `value` to `out`.
pub fn append(out: &mut Vec<u8>, value: &Value) {
    write_value(out, value, None, 0);
}

/// The canonical form pretty-printed (two-space indent, sorted keys), for files people
/// review in git such as baselines. Ends with a newline.
pub fn to_pretty(value: &Value) -> String {
    let mut out = Vec::with_capacity(1024);
    write_value(&mut out, value, Some(2), 0);
    out.push(b'\n');
    // Only valid UTF-8 is ever written: keys and strings come from `String`s.
    String::from_utf8(out).unwrap_or_default()
}

/// Lower-case hex SHA-256 of the canonical compact bytes of `value`.
pub fn sha256(value: &Value) -> String {
    sha256_hex(&to_vec(value))
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Orders object keys the JCS way: by UTF-16 code units, not by UTF-8 bytes.
pub fn compare_keys(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn newline(out: &mut Vec<u8>, indent: Option<usize>, depth: usize) {
    if let Some(width) = indent {
        out.push(b'\n');
        out.resize(out.len() + width * depth, b' ');
    }
}

fn write_value(out: &mut Vec<u8>, value: &Value, indent: Option<usize>, depth: usize) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                newline(out, indent, depth + 1);
                write_value(out, item, indent, depth + 1);
            }
            if !items.is_empty() {
                newline(out, indent, depth);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| compare_keys(a, b));
            out.push(b'{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                newline(out, indent, depth + 1);
                write_string(out, key);
                out.push(b':');
                if indent.is_some() {
                    out.push(b' ');
                }
                write_value(out, &map[key.as_str()], indent, depth + 1);
            }
            if !keys.is_empty() {
                newline(out, indent, depth);
            }
            out.push(b'}');
        }
    }
}

fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        let mut buf = ryu_js::Buffer::new();
        out.extend_from_slice(buf.format(f).as_bytes());
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly what JCS requires: `"`, `\`, and control characters
    // (short forms for \b \f \n \r \t, lower-case \u00xx otherwise); nothing else.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth() {
        let v = json!({"b": 1, "a": {"z": true, "m": [ {"y": 1, "x": 2} ]}});
        assert_eq!(String::from_utf8(to_vec(&v)).unwrap(), r#"{"a":{"m":[{"x":2,"y":1}],"z":true},"b":1}"#);
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+FB01 sorts before U+1F600 in UTF-16 (the emoji is a surrogate pair 0xD83D...)
        // but after it in UTF-8 byte order.
        let v = json!({"\u{1F600}": 1, "\u{FB01}": 2});
        let s = String::from_utf8(to_vec(&v)).unwrap();
        assert_eq!(s, "{\"\u{1F600}\":1,\"\u{FB01}\":2}");
    }

    #[test]
    fn numbers_use_ecmascript_form() {
        let v: Value = serde_json::from_str("[1.0, 1e21, 0.000001, -0.5, 12345678901234567890]").unwrap();
        assert_eq!(String::from_utf8(to_vec(&v)).unwrap(), "[1,1e+21,0.000001,-0.5,12345678901234567890]");
    }

    #[test]
    fn strings_escape_controls_only() {
        let v = json!("a\"b\\c\n\u{1}é/");
        assert_eq!(String::from_utf8(to_vec(&v)).unwrap(), "\"a\\\"b\\\\c\\n\\u0001é/\"");
    }

    #[test]
    fn pretty_form_is_the_same_document() {
        let v = json!({"b": [1, {"d": null, "c": "x"}], "a": {}});
        let pretty = to_pretty(&v);
        assert_eq!(
            pretty,
            "{\n  \"a\": {},\n  \"b\": [\n    1,\n    {\n      \"c\": \"x\",\n      \"d\": null\n    }\n  ]\n}\n"
        );
        let back: Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(to_vec(&back), to_vec(&v));
    }
}

/// How many lines `value` takes in [`to_pretty`] form (without the final newline).
pub fn pretty_line_count(value: &Value) -> usize {
    match value {
        Value::Array(items) => pretty_array_line_count(items),
        Value::Object(map) if !map.is_empty() => 2 + map.values().map(pretty_line_count).sum::<usize>(),
        _ => 1,
    }
}

/// How many lines an array of `items` takes in [`to_pretty`] form.
pub fn pretty_array_line_count(items: &[Value]) -> usize {
    if items.is_empty() {
        1
    } else {
        2 + items.iter().map(pretty_line_count).sum::<usize>()
    }
}

/// The 1-based line, in the [`to_pretty`] form of `root` (which starts at line `start`), where
/// the value at `tokens` (JSON Pointer segments, unescaped) begins; `None` if it is absent.
pub fn pretty_line_of(root: &Value, start: usize, tokens: &[String]) -> Option<usize> {
    let mut line = start;
    let mut node = root;
    for token in tokens {
        line += 1;
        match node {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| compare_keys(a, b));
                for k in keys {
                    if k == token {
                        break;
                    }
                    line += pretty_line_count(&map[k.as_str()]);
                }
                node = map.get(token)?;
            }
            Value::Array(items) => {
                let i: usize = token.parse().ok()?;
                line += items.iter().take(i).map(pretty_line_count).sum::<usize>();
                node = items.get(i)?;
            }
            _ => return None,
        }
    }
    Some(line)
}

#[cfg(test)]
mod line_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn line_numbers_match_the_pretty_text() {
        let v = json!({"b": [1, {"d": [true, false], "c": "x"}], "a": {"z": null}, "e": []});
        let text = to_pretty(&v);
        assert_eq!(text.lines().count(), pretty_line_count(&v));
        for (ptr, needle) in
            [(vec!["b", "1", "d"], "\"d\": ["), (vec!["a", "z"], "\"z\": null"), (vec!["e"], "\"e\": []")]
        {
            let tokens: Vec<String> = ptr.iter().map(|s| s.to_string()).collect();
            let line = pretty_line_of(&v, 1, &tokens).unwrap();
            assert!(text.lines().nth(line - 1).unwrap().contains(needle), "{ptr:?} -> line {line}");
        }
        assert_eq!(pretty_line_of(&v, 1, &["nope".to_string()]), None);
    }
}
