//! OPA bundle signatures (`.signatures.json`): verified as OPA verifies a bundle, and written
//! as `opa build --signing-key` writes them.
//!
//! The file holds exactly one JWT (compact JWS). Its payload lists every file of the bundle
//! (`files[{name, hash, algorithm}]`) and may carry `scope`, `keyid`, `iss` and `iat`. A
//! bundle verifies when the JWT's signature holds under the configured key and algorithm,
//! its `scope` is the configured scope, every file of the bundle but `.signatures.json` is
//! listed with the digest of its content, and every listed file is in the bundle. The
//! content of `data.json`, `data.yaml` and `.manifest` is hashed as OPA hashes structured
//! documents (parsed, then written compactly with object keys in byte order, strings escaped
//! as Go's encoder escapes them without HTML escaping, numbers as written), so whitespace
//! does not matter; every other file is hashed byte for byte.

use crate::canonical::hex;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::Digest;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The name of the signatures file inside a bundle.
pub const SIGNATURES_FILE: &str = ".signatures.json";

/// The JWS algorithm when none is named (OPA's default `--signing-alg`).
pub const DEFAULT_ALGORITHM: &str = "RS256";

/// How to verify a signed bundle (`--bundle-public-key`, `--bundle-signing-alg`, `--bundle-scope`).
#[derive(Debug, Clone)]
pub struct Verification {
    /// The PEM public key (or certificate), or the HMAC secret for `HS*`.
    key: Vec<u8>,
    /// Where the key was read from (for diagnostics).
    pub key_file: PathBuf,
    /// The JWS algorithm the signature must use (OPA's default: `RS256`).
    pub algorithm: Algorithm,
    /// The `scope` the payload must carry (OPA's default: none).
    pub scope: String,
}

impl Verification {
    /// Reads the key file; `algorithm` is a JWS name such as `RS256` or `ES256`.
    pub fn read(key_file: &Path, algorithm: &str, scope: Option<&str>) -> Result<Verification, String> {
        let algorithm = parse_algorithm(algorithm)?;
        let key = std::fs::read(key_file).map_err(|e| format!("cannot read {}: {e}", key_file.display()))?;
        let v = Verification { key, key_file: key_file.to_path_buf(), algorithm, scope: scope.unwrap_or("").into() };
        v.decoding_key()?; // refuse an unusable key before anything is loaded
        Ok(v)
    }

    fn decoding_key(&self) -> Result<DecodingKey, String> {
        use jsonwebtoken::AlgorithmFamily as F;
        let k = &self.key;
        let key = match self.algorithm.family() {
            F::Hmac => DecodingKey::from_secret(k),
            F::Rsa => DecodingKey::from_rsa_pem(k),
            F::Ec => DecodingKey::from_ec_pem(k),
            F::Ed => DecodingKey::from_ed_pem(k),
        };
        key.map_err(|e| {
            format!(
                "{} is not a {:?} verification key for {:?}: {e}",
                self.key_file.display(),
                self.algorithm.family(),
                self.algorithm
            )
        })
    }

    /// SHA-256 of the key file's bytes, to name the key in reports without showing it.
    pub fn key_sha256(&self) -> String {
        crate::canonical::sha256_hex(&self.key)
    }
}

/// What a verified signature said, recorded in the report (`policy_bundle.signature`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInfo {
    /// The JWS algorithm.
    pub algorithm: String,
    /// SHA-256 of the verification key file.
    pub key_sha256: String,
    /// The payload's `keyid`, or the header's `kid`, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    /// The payload's `scope`, when not empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// How many files the signature covers.
    pub files: usize,
}

/// One file of a signature's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The file's path in the bundle, without a leading `/`.
    pub name: String,
    /// Hex digest.
    pub hash: String,
    /// `SHA-256`, `SHA-384` or `SHA-512`.
    pub algorithm: String,
}

#[derive(Deserialize)]
struct SignaturesConfig {
    #[serde(default)]
    signatures: Vec<String>,
    #[serde(default)]
    plugin: Option<String>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    files: Vec<FileInfo>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    keyid: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Checks a bundle's `.signatures.json` against `v` and every file of the bundle (`files`:
/// path and bytes, `.signatures.json` itself left out). Returns what was verified, or
/// every reason it does not verify.
pub fn verify_bundle(signatures: &str, files: &[(String, Vec<u8>)], v: &Verification) -> Result<SignatureInfo, String> {
    let config: SignaturesConfig =
        serde_json::from_str(signatures).map_err(|e| format!("{SIGNATURES_FILE} is not a signatures document: {e}"))?;
    if let Some(plugin) = config.plugin.filter(|p| !p.is_empty()) {
        return Err(format!("{SIGNATURES_FILE} names the signing plugin {plugin:?}, which driftgate does not have"));
    }
    let token = match config.signatures.as_slice() {
        [one] => one,
        [] => return Err(format!("{SIGNATURES_FILE} has no JWT (expected exactly one)")),
        _ => return Err(format!("{SIGNATURES_FILE} has {} JWTs (expected exactly one)", config.signatures.len())),
    };
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
        return Err("the signature is not a compact JWS (three dot-separated parts)".into());
    };
    let header: Header = decode_part(header_b64, "header")?;
    let payload: Payload = decode_part(payload_b64, "payload")?;
    let alg = parse_algorithm(&header.alg)?;
    if alg != v.algorithm {
        return Err(format!(
            "the signature uses {}, but the bundle is to be verified with {:?} (--bundle-signing-alg)",
            header.alg, v.algorithm
        ));
    }
    let message = format!("{header_b64}.{payload_b64}");
    let holds = jsonwebtoken::crypto::verify(signature_b64, message.as_bytes(), &v.decoding_key()?, alg)
        .map_err(|e| format!("the signature cannot be checked: {e}"))?;
    if !holds {
        return Err(format!("the signature does not verify under {}", v.key_file.display()));
    }
    let scope = payload.scope.clone().unwrap_or_default();
    if scope != v.scope {
        return Err(format!(
            "the signature's scope {scope:?} is not the expected scope {:?} (--bundle-scope)",
            v.scope
        ));
    }
    let mut listed: BTreeMap<&str, &FileInfo> = BTreeMap::new();
    for f in &payload.files {
        listed.insert(f.name.trim_start_matches('/'), f);
    }
    let mut problems = Vec::new();
    for (name, bytes) in files {
        let Some(info) = listed.remove(name.as_str()) else {
            problems.push(format!("{name} is not covered by the signature"));
            continue;
        };
        match file_digest(name, bytes, &info.algorithm) {
            Ok(digest) if digest.eq_ignore_ascii_case(&info.hash) => {}
            Ok(digest) => problems.push(format!("{name}: digest mismatch (signed {}, found {digest})", info.hash)),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    for name in listed.keys() {
        problems.push(format!("{name} is signed but not in the bundle"));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(SignatureInfo {
        algorithm: format!("{alg:?}"),
        key_sha256: v.key_sha256(),
        keyid: payload.keyid.filter(|k| !k.is_empty()).or(header.kid),
        scope: payload.scope.filter(|s| !s.is_empty()),
        files: payload.files.len(),
    })
}

/// How to sign a bundle (`policy build --signing-key`).
pub struct Signing {
    key: EncodingKey,
    algorithm: Algorithm,
    key_id: Option<String>,
    claims: serde_json::Map<String, Value>,
}

impl Signing {
    /// Reads the private key (PEM; the secret itself for `HS*`) and the optional claims file
    /// (a JSON object whose members, such as `scope` and `iss`, go into the payload).
    pub fn read(
        key_file: &Path,
        algorithm: &str,
        key_id: Option<&str>,
        claims_file: Option<&Path>,
    ) -> Result<Signing, String> {
        use jsonwebtoken::AlgorithmFamily as F;
        let algorithm = parse_algorithm(algorithm)?;
        let bytes = std::fs::read(key_file).map_err(|e| format!("cannot read {}: {e}", key_file.display()))?;
        let key = match algorithm.family() {
            F::Hmac => EncodingKey::from_secret(&bytes),
            F::Rsa => EncodingKey::from_rsa_pem(&bytes),
            F::Ec => EncodingKey::from_ec_pem(&bytes),
            F::Ed => EncodingKey::from_ed_pem(&bytes),
        }
        .map_err(|e| {
            format!("{} is not a {:?} signing key for {algorithm:?}: {e}", key_file.display(), algorithm.family())
        })?;
        let claims = match claims_file {
            None => serde_json::Map::new(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(m)) if !m.contains_key("files") => m,
                    Ok(Value::Object(_)) => {
                        return Err(format!("{} sets \"files\", which the signature computes", p.display()))
                    }
                    Ok(_) => return Err(format!("{} is not a JSON object of claims", p.display())),
                    Err(e) => return Err(format!("{} is not JSON: {e}", p.display())),
                }
            }
        };
        Ok(Signing { key, algorithm, key_id: key_id.map(str::to_string), claims })
    }

    /// The `.signatures.json` for these files (path and bytes), as OPA writes it.
    pub fn sign(&self, files: &[(String, Vec<u8>)]) -> Result<String, String> {
        let mut listed = Vec::new();
        for (name, bytes) in files {
            listed.push(FileInfo {
                name: name.clone(),
                hash: file_digest(name, bytes, "SHA-256")?,
                algorithm: "SHA-256".into(),
            });
        }
        let mut payload = self.claims.clone();
        payload.insert("files".into(), serde_json::to_value(&listed).map_err(|e| e.to_string())?);
        let mut header = serde_json::json!({"alg": format!("{:?}", self.algorithm)});
        if let Some(kid) = &self.key_id {
            header["kid"] = Value::String(kid.clone());
        }
        let b64 = |v: &Value| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let message = format!("{}.{}", b64(&header), b64(&Value::Object(payload)));
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &self.key, self.algorithm)
            .map_err(|e| format!("cannot sign: {e}"))?;
        let doc = serde_json::json!({"signatures": [format!("{message}.{signature}")]});
        Ok(crate::canonical::to_pretty(&doc))
    }
}

fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    name.parse::<Algorithm>().map_err(|_| {
        format!("{name:?} is not a JWS algorithm driftgate verifies (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA, HS256, HS384, HS512)")
    })
}

fn decode_part<T: serde::de::DeserializeOwned>(b64: &str, what: &str) -> Result<T, String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|e| format!("the JWT's {what} is not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("the JWT's {what} is not the expected JSON: {e}"))
}

/// Whether OPA hashes this file as a structured document rather than as bytes.
fn is_structured(name: &str) -> bool {
    matches!(name.rsplit('/').next(), Some("data.json" | "data.yaml" | ".manifest" | "signatures.json"))
}

/// The hex digest of a bundle file as OPA computes it for a signature.
pub fn file_digest(name: &str, bytes: &[u8], algorithm: &str) -> Result<String, String> {
    let content: std::borrow::Cow<[u8]> = if is_structured(name) {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let json = if name.ends_with(".yaml") {
            let v: Value = yaml_serde::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
            v.to_string()
        } else {
            text.to_string()
        };
        std::borrow::Cow::Owned(canonical_json(&json).map_err(|e| format!("not JSON: {e}"))?.into_bytes())
    } else {
        std::borrow::Cow::Borrowed(bytes)
    };
    Ok(match algorithm {
        "SHA-256" => crate::canonical::sha256_hex(&content),
        "SHA-384" => hex(&sha2::Sha384::digest(&content)),
        "SHA-512" => hex(&sha2::Sha512::digest(&content)),
        "MD5" | "SHA-1" | "SHA-224" | "SHA-512-224" | "SHA-512-256" => {
            return Err(format!("it is hashed with {algorithm}, which driftgate does not accept (use SHA-256)"))
        }
        other => return Err(format!("unknown hashing algorithm {other:?}")),
    })
}

/// A JSON text written as OPA hashes it: compact, object keys in byte order (the last of
/// duplicates kept), strings escaped as Go's `encoding/json` escapes them with HTML escaping
/// off, and numbers exactly as written.
pub fn canonical_json(text: &str) -> serde_json::Result<String> {
    let raw: &RawValue = serde_json::from_str(text)?;
    let mut out = String::with_capacity(text.len());
    write_canonical(raw, &mut out)?;
    Ok(out)
}

fn write_canonical(raw: &RawValue, out: &mut String) -> serde_json::Result<()> {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'{') => {
            let members: BTreeMap<String, &RawValue> = serde_json::from_str(text)?;
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                write_canonical(v, out)?;
            }
            out.push('}');
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out)?;
            }
            out.push(']');
        }
        Some(b'"') => go_string(&serde_json::from_str::<String>(text)?, out),
        _ => out.push_str(text), // a number as written, true, false, null
    }
    Ok(())
}

/// A string as Go's JSON encoder writes it with `SetEscapeHTML(false)`.
fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_documents_hash_as_opa_writes_them() {
        // Key order, whitespace and number spelling as OPA's hasher sees them.
        let got = canonical_json(
            "{ \"b\": [1, 2.50, -0, 1e3], \"a\": {\"y\": null, \"x\": true},\n \"a\": {\"z\": \"<&>\"} }",
        )
        .unwrap();
        assert_eq!(got, r#"{"a":{"z":"<&>"},"b":[1,2.50,-0,1e3]}"#);
        assert_eq!(canonical_json(r#""\u0001\b\f\u2028é\/""#).unwrap(), "\"\\u0001\\b\\f\\u2028é/\"");
        // Object keys sort by bytes, not by characters' display order.
        assert_eq!(canonical_json(r#"{"é":1,"z":2,"Z":3}"#).unwrap(), r#"{"Z":3,"z":2,"é":1}"#);
    }

    #[test]
    fn only_structured_files_are_reparsed() {
        let a = file_digest("x/data.json", b"{\"a\": 1}", "SHA-256").unwrap();
        let b = file_digest("x/data.json", b"{\"a\":1}\n", "SHA-256").unwrap();
        assert_eq!(a, b);
        let c = file_digest("x/policy.rego", b"package x\n", "SHA-256").unwrap();
        assert_eq!(c, crate::canonical::sha256_hex(b"package x\n"));
        assert!(file_digest("x/policy.rego", b"", "MD5").unwrap_err().contains("does not accept"));
    }

    #[test]
    fn a_hmac_signature_round_trips_and_any_change_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("secret");
        std::fs::write(&key, b"a shared secret of some length").unwrap();
        let files = vec![
            (".manifest".to_string(), b"{\"revision\":\"r1\"}".to_vec()),
            ("a/x.rego".to_string(), b"package a\n".to_vec()),
            ("data.json".to_string(), b"{\"k\": 1}".to_vec()),
        ];
        let signer = Signing::read(&key, "HS256", Some("ci"), None).unwrap();
        let sigs = signer.sign(&files).unwrap();
        let v = Verification::read(&key, "HS256", None).unwrap();
        let info = verify_bundle(&sigs, &files, &v).unwrap();
        assert_eq!((info.files, info.keyid.as_deref()), (3, Some("ci")));

        let mut changed = files.clone();
        changed[1].1 = b"package a\nallow := true\n".to_vec();
        assert!(verify_bundle(&sigs, &changed, &v).unwrap_err().contains("a/x.rego: digest mismatch"));
        let mut extra = files.clone();
        extra.push(("b/y.rego".into(), b"package b\n".to_vec()));
        assert!(verify_bundle(&sigs, &extra, &v).unwrap_err().contains("b/y.rego is not covered"));
        assert!(verify_bundle(&sigs, &files[..2], &v)
            .unwrap_err()
            .contains("data.json is signed but not in the bundle"));
        let scoped = Verification::read(&key, "HS256", Some("prod")).unwrap();
        assert!(verify_bundle(&sigs, &files, &scoped).unwrap_err().contains("scope"));
        std::fs::write(&key, b"another secret").unwrap();
        let other = Verification::read(&key, "HS256", None).unwrap();
        assert!(verify_bundle(&sigs, &files, &other).unwrap_err().contains("does not verify"));
        let rs = Verification::read(&key, "RS256", None);
        assert!(rs.is_err(), "a secret is not an RSA key");
    }
}
