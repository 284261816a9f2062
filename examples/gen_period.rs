//! Generates a year of daily evidence packages for the period-report benchmark: the snapshot
//! is checked once against its baseline (as `run` does), and its package (raw and normalized
//! snapshots, report.json and the rendered formats) is written for each of `DAYS` days,
//! signed and chained, dated 08:00 UTC each day from 2025-12-01. Every seventh day has no run.
//!
//! `cargo run --release --example gen_period -- OUT SNAPSHOT BASELINE [DAYS]`

use driftgate::baseline::BaselineSource;
use driftgate::check::{run_check, BaselineChoice, CheckOptions};
use driftgate::evidence::store::LocalStore;
use driftgate::evidence::{daily_package_files, write_package, PackageInput, Signer25519};
use driftgate::report::renderer;
use std::path::PathBuf;

fn main() -> driftgate::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(snapshot), Some(baseline)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: gen_period OUT SNAPSHOT BASELINE [DAYS]");
        std::process::exit(2);
    };
    let days: i64 = args.get(3).map_or(365, |d| d.parse().expect("DAYS"));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let key = Signer25519::from_file(&root.join("examples/keys/demo.key"))?;
    let mut opts = CheckOptions::new(snapshot);
    opts.policies = root.join("policies");
    opts.baseline = BaselineChoice::Given(BaselineSource::Path(baseline.into()));
    let check = run_check(&opts)?;
    let report = &check.report;
    let rendered: Vec<(String, Vec<u8>)> = ["json", "text", "html", "sarif"]
        .iter()
        .filter_map(|f| renderer(f))
        .map(|r| (r.file_name().to_string(), r.render(report).into_bytes()))
        .collect();
    let files = daily_package_files(&check, rendered)?;
    let store = LocalStore::new(out);
    let start = time::macros::datetime!(2025-12-01 08:00 UTC);
    let mut written = 0;
    for d in 0..days {
        if d % 7 == 6 {
            continue;
        }
        let now = start + time::Duration::days(d);
        write_package(
            &store,
            &key,
            PackageInput {
                tenant: report.snapshot.tenant.clone(),
                platform: report.snapshot.platform.clone(),
                run_id: format!("{}-{d}", report.run.id),
                collection_id: format!("{}-{}", report.snapshot.tenant, driftgate::clock::stamp(now)),
                files: files.clone(),
                collector: serde_json::json!({"name": "benchmark generator"}),
                endpoints: serde_json::json!([]),
                record_counts: report.snapshot.resources.clone(),
                snapshot_sha256: report.snapshot.sha256.clone(),
                policy_bundle_sha256: report.policy_bundle.sha256.clone(),
                policy_bundle_revision: None,
                baseline_sha256: report.baseline.as_ref().map(|b| b.sha256.clone()),
                retention_days: 3650,
                object: Default::default(),
                forensic: None,
            },
            now,
        )?;
        written += 1;
    }
    let bytes: u64 = files.values().map(|f| f.len() as u64).sum();
    eprintln!("wrote {written} packages of {} MB each into {out}", bytes / 1_000_000);
    Ok(())
}
