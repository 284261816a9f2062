//! Generates an audit archive for the `audit search` benchmark: `EVENTS` events of one tenant
//! spread over `DAYS` daily batches, shaped like minimized and masked Genesys Cloud audit
//! events, written by the batch writer `audit pull` uses and signed with the demo key.
//!
//! `cargo run --release --example gen_archive -- OUT [EVENTS] [DAYS]` (default 1,000,000 over
//! 365 days). One user in a thousand is `bench-needle-user`, one entity in a thousand
//! `bench-needle-entity`: what the benchmark searches for.

use driftgate::audit::mask::{MaskKey, MaskStats, Masker};
use driftgate::audit::{store_batch, Batch, BatchCounts};
use driftgate::evidence::store::LocalStore;
use driftgate::evidence::Signer25519;
use serde_json::json;
use std::path::PathBuf;
use time::OffsetDateTime;

fn main() -> driftgate::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().expect("usage: gen_archive OUT [EVENTS] [DAYS]"));
    let events: usize = args.next().map_or(1_000_000, |s| s.parse().expect("EVENTS"));
    let days: usize = args.next().map_or(365, |s| s.parse().expect("DAYS"));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let key = Signer25519::from_file(&root.join("examples/keys/demo.key"))?;
    let masker = Masker::new(MaskKey::new(b"bench-mask-key-0123456789".to_vec(), "bench")?, &[], &[])?;
    let store = LocalStore::new(&out);
    let start = OffsetDateTime::parse("2025-12-01T00:00:00Z", &time::format_description::well_known::Rfc3339).unwrap();
    let services = ["Directory", "PeoplePermissions", "Routing", "Telephony", "Integrations", "Architect"];
    let types = ["User", "Role", "Queue", "Trunk", "OAuthClient", "Flow"];
    let actions = ["Create", "Update", "Delete", "Update", "Update"];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let per_day = events / days;
    let mut n = 0usize;
    for day in 0..days {
        let a = start + time::Duration::days(day as i64);
        let b = a + time::Duration::days(1);
        let count = if day + 1 == days { events - n } else { per_day };
        let mut lines = Vec::with_capacity(count);
        for i in 0..count {
            let r = next();
            let at = a + time::Duration::seconds((i as i64 * 86_400) / count.max(1) as i64);
            let user = if r % 1000 == 7 { "bench-needle-user".to_string() } else { format!("u-{:08x}", r % 5000) };
            let entity =
                if (r >> 12) % 1000 == 11 { "bench-needle-entity".to_string() } else { format!("e-{:012x}", r >> 20) };
            let k = (r >> 8) as usize;
            let event = json!({
                "id": format!("{:08x}-{:04x}-4000-8000-{:012x}", n as u64, day, r & 0xffff_ffff_ffff),
                "eventDate": driftgate::clock::rfc3339(at),
                "serviceName": services[k % services.len()],
                "level": "USER",
                "action": actions[k % actions.len()],
                "status": "SUCCESS",
                "entityType": types[(k / 7) % types.len()],
                "entity": {"id": entity, "name": format!("Entity {}", r % 9973)},
                "user": {"id": user},
                "client": {"id": format!("c-{:04x}", r % 17)},
                "remoteIp": [format!("203.0.113.{}", r % 250)],
                "propertyChanges": [{"property": "description", "oldValues": [format!("v{}", r % 100)], "newValues": [format!("v{}", (r >> 3) % 100)]}],
            });
            let line = driftgate::canonical::to_vec(&event);
            lines.push((
                event["eventDate"].as_str().unwrap_or("").to_string(),
                event["id"].as_str().unwrap_or("").to_string(),
                line,
            ));
            n += 1;
        }
        store_batch(
            &store,
            &key,
            &Batch {
                tenant: "bench-tenant",
                platform: driftgate::platform::Platform::GenesysCloud,
                interval: (a, b),
                run_id: format!("audit-bench-{day}"),
                events: &lines,
                counts: BatchCounts { received: count, duplicates: 0, revisions: 0 },
                masker: &masker,
                stats: &MaskStats::default(),
                queries: &[],
                checkpoint_before: None,
                source: json!({"source": "benchmark generator"}),
                retention_days: 1,
            },
            b + time::Duration::minutes(5),
        )?;
    }
    eprintln!("wrote {n} events in {days} batches into {}", out.display());
    Ok(())
}
