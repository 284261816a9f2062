//! Canonical JSON is RFC 8785 on both sides: driftgate's writer (`driftgate::canonical`) and
//! the standalone verifier's (`verify_evidence.py`) give the same bytes on the RFC's own
//! examples and on generated documents with keys outside the BMP, full-width keys and
//! numbers of every magnitude. Signatures cover these bytes, so one differing byte would make
//! one verifier reject what the other accepts.

mod support;

use driftgate::evidence::store::LocalStore;
use driftgate::evidence::{verify_store, write_package, PackageInput, Signer25519, VerifyOptions};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// Python's canonical form of each document (one JSON text per line), hex-encoded.
fn python_canonical(docs: &[String]) -> Vec<String> {
    let script = tempfile::Builder::new().suffix(".py").tempfile().unwrap();
    std::fs::write(script.path(), driftgate::evidence::VERIFIER_SCRIPT).unwrap();
    let program = format!(
        "import importlib.util, json, sys\n\
         spec = importlib.util.spec_from_file_location('v', {:?})\n\
         v = importlib.util.module_from_spec(spec); spec.loader.exec_module(v)\n\
         for line in sys.stdin:\n    print(v.canonical(json.loads(line)).hex())\n",
        script.path()
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for d in docs {
            writeln!(stdin, "{d}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

fn rust_hex(v: &Value) -> String {
    driftgate::canonical::hex(&driftgate::canonical::to_vec(v))
}

#[test]
fn rfc_8785_number_examples_serialize_alike() {
    // RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript form.
    let samples: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    // Each number as a float (the JSON text always has a fraction or exponent).
    let docs: Vec<String> = samples.iter().map(|(bits, _)| format!("{:e}", f64::from_bits(*bits))).collect();
    let py = python_canonical(&docs);
    for ((bits, want), got) in samples.iter().zip(py) {
        let v = json!(f64::from_bits(*bits));
        let rust = String::from_utf8(driftgate::canonical::to_vec(&v)).unwrap();
        assert_eq!(rust, *want, "rust, bits {bits:016x}");
        assert_eq!(got, driftgate::canonical::hex(want.as_bytes()), "python, bits {bits:016x}");
    }
}

#[test]
fn rfc_8785_key_order_example_serializes_alike() {
    // RFC 8785 section 3.2.3: keys sorted by UTF-16 code units.
    let doc = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","</script>":"Browser Challenge"}"#;
    let v: Value = serde_json::from_str(doc).unwrap();
    let rust = String::from_utf8(driftgate::canonical::to_vec(&v)).unwrap();
    let order: Vec<&str> = ["\r", "1", "</script>", "\u{80}", "\u{f6}", "\u{20ac}", "\u{1f600}", "\u{fb33}"].to_vec();
    let mut at = 0;
    for k in order {
        let i = rust[at..].find(&serde_json::to_string(k).unwrap()).map(|i| i + at).expect(k);
        at = i;
    }
    assert_eq!(python_canonical(&[doc.to_string()]), vec![rust_hex(&v)]);
}

/// A small deterministic generator (the suite must not depend on chance).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    fn key(&mut self) -> String {
        const POOL: &[char] = &[
            'a',
            'Z',
            '0',
            '_',
            '\u{7f}',
            'é',
            '\u{ff61}',
            '\u{ff21}',
            '\u{fb01}',
            '\u{20ac}',
            '\u{1f600}',
            '\u{10437}',
            '\u{e000}',
            '\u{1}',
            '"',
            '\\',
        ];
        let n = 1 + self.next() % 4;
        (0..n).map(|_| POOL[(self.next() % POOL.len() as u64) as usize]).collect()
    }

    fn number(&mut self) -> Value {
        match self.next() % 4 {
            0 => json!(self.next() as i64 - (1 << 52)),
            1 => json!(u64::MAX - self.next() % 1000),
            _ => loop {
                let f = f64::from_bits((self.next() << 11) | (self.next() % 2048));
                if f.is_finite() {
                    break json!(f);
                }
            },
        }
    }

    fn value(&mut self, depth: u32) -> Value {
        match (self.next() % 6, depth) {
            (0, _) => self.number(),
            (1, _) => json!(self.key()),
            (2, _) => json!(self.next().is_multiple_of(2)),
            (3, d) if d < 3 => Value::Array((0..self.next() % 4).map(|_| self.value(d + 1)).collect()),
            (4 | 5, d) if d < 3 => {
                Value::Object((0..self.next() % 5).map(|_| (self.key(), self.value(d + 1))).collect())
            }
            _ => Value::Null,
        }
    }
}

#[test]
fn generated_documents_serialize_alike() {
    let mut g = Lcg(2026);
    let docs: Vec<Value> = (0..400).map(|_| g.value(0)).collect();
    let texts: Vec<String> = docs.iter().map(|d| serde_json::to_string(d).unwrap()).collect();
    let py = python_canonical(&texts);
    for ((d, t), p) in docs.iter().zip(&texts).zip(py) {
        assert_eq!(rust_hex(d), p, "{t}");
    }
}

#[test]
fn a_store_with_astral_and_full_width_keys_and_small_numbers_verifies_in_both() {
    let d = tempfile::tempdir().unwrap();
    let key = Signer25519::generate().unwrap();
    let input = PackageInput {
        tenant: "acme-corp".into(),
        platform: "genesys-cloud".into(),
        run_id: "run-1".into(),
        collection_id: "c-1".into(),
        files: BTreeMap::from([("report.json".to_string(), b"{}\n".to_vec())]),
        collector: json!({"😀": 1e-7, "｡": 0.1, "ａ": [1e18, 5e-324, -0.0, 12345678901234567890u64], "a": "\u{7f}"}),
        endpoints: json!([{"path": "/api/v2/users", "query": {"𐐷": 1.5e-9, "pageSize": 500}}]),
        record_counts: BTreeMap::new(),
        snapshot_sha256: "00".repeat(32),
        policy_bundle_sha256: "11".repeat(32),
        policy_bundle_revision: None,
        baseline_sha256: None,
        retention_days: 1,
        object: Default::default(),
        forensic: None,
    };
    write_package(&LocalStore::new(d.path()), &key, input, time::OffsetDateTime::now_utc()).unwrap();
    let r = verify_store(&LocalStore::new(d.path()), &VerifyOptions::default()).unwrap();
    assert!(r.ok() && r.problems.is_empty(), "{:?}", r.problems);
    let script = d.path().join("verify_evidence.py");
    let out = std::process::Command::new("python3").arg(&script).arg(d.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}
