//! Writes the example audit archive: the events of `examples/genesys/acme-corp.audit-events.json`,
//! minimized and masked as `audit pull` does, stored as signed daily batches of the tenant's
//! audit stream by the same function `audit pull` stores each interval with. Deterministic:
//! each batch is dated five minutes after its interval ends and signed with the public demo
//! key, so the committed archive is exactly what this writes (a test checks it).
//!
//! `cargo run --example audit_archive [OUT]` (default `examples/genesys/audit-archive`; OUT
//! must not exist).

use driftgate::audit::mask::{MaskKey, MaskStats, Masker};
use driftgate::audit::{store_batch, Batch, BatchCounts};
use driftgate::evidence::store::LocalStore;
use driftgate::evidence::Signer25519;
use serde_json::Value;
use std::path::PathBuf;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The example's masking key: public, like the demo signing key. Never use it for real data.
const EXAMPLE_MASK_KEY: &[u8] = b"driftgate-example-mask-key-not-secret";

fn main() -> driftgate::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| root.join("examples/genesys/audit-archive"));
    if out.exists() {
        eprintln!("{} exists: remove it first (the archive is written once)", out.display());
        std::process::exit(2);
    }
    let doc: Value = driftgate::input::read_json(
        &root.join("examples/genesys/acme-corp.audit-events.json"),
        "the example's audit events",
    )?;
    let key = Signer25519::from_file(&root.join("examples/keys/demo.key"))?;
    let masker = Masker::new(MaskKey::new(EXAMPLE_MASK_KEY.to_vec(), "the example")?, &[], &[])?;
    let time = |v: &Value| OffsetDateTime::parse(v.as_str().unwrap_or(""), &Rfc3339).expect("an RFC 3339 time");
    let (from, to) = (time(&doc["from"]), time(&doc["to"]));
    let tenant = doc["tenant"].as_str().unwrap_or("acme-corp");
    let events = doc["events"].as_array().cloned().unwrap_or_default();
    let store = LocalStore::new(&out);
    let mut a = from;
    let mut previous = None;
    while a < to {
        let b = a + time::Duration::days(1);
        let mut stats = MaskStats::default();
        let mut fresh = Vec::new();
        let mut received = 0;
        for e in events.iter().filter(|e| (a..b).contains(&time(&e["eventDate"]))) {
            received += 1;
            let masked = masker.apply(e.clone(), &mut stats);
            let line = driftgate::canonical::to_vec(&masked);
            fresh.push((
                masked["eventDate"].as_str().unwrap_or("").to_string(),
                masked["id"].as_str().unwrap_or("").to_string(),
                line,
            ));
        }
        fresh.sort();
        let now = b + time::Duration::minutes(5);
        store_batch(
            &store,
            &key,
            &Batch {
                tenant,
                platform: driftgate::platform::Platform::GenesysCloud,
                interval: (a, b),
                run_id: format!("audit-{}-example", driftgate::clock::stamp(now)),
                events: &fresh,
                counts: BatchCounts { received, duplicates: 0, revisions: 0 },
                masker: &masker,
                stats: &stats,
                queries: &[],
                checkpoint_before: previous,
                source: serde_json::json!({"source": "examples/genesys/acme-corp.audit-events.json"}),
                retention_days: 3650,
            },
            now,
        )?;
        previous = Some(b);
        a = b;
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}
