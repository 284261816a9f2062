//! Generates Genesys-shaped tenants for the benchmark: `N` users (with proportional groups,
//! queues and skills) grown from the example tenant, and a re-collected copy of the same
//! configuration with volatile noise (versions, presence, last logins, counts, item and set
//! order) plus a known set of real changes.
//!
//! cargo run --release --example gen_tenant -- USERS OUT_DIR
//! writes OUT_DIR/tenant-USERS.json, OUT_DIR/tenant-USERS.recollected.json and
//! OUT_DIR/tenant-USERS.heavy.json (the re-collection with every user granted one more role:
//! a change and a finding per user, for the findings-heavy case).

#[path = "../tests/support/tenant.rs"]
#[allow(dead_code)]
mod tenant;

use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(users), Some(out)) = (args.get(1).and_then(|n| n.parse::<usize>().ok()), args.get(2)) else {
        eprintln!("usage: gen_tenant USERS OUT_DIR");
        std::process::exit(2);
    };
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out).expect("output directory");
    let doc = tenant::genesys(users, 20261122);
    let again = tenant::recollect(&doc);
    let write = |name: String, v: &Value| {
        let p = out.join(name);
        std::fs::write(&p, serde_json::to_vec(v).unwrap()).expect("write");
        eprintln!("{} ({} MB)", p.display(), std::fs::metadata(&p).unwrap().len() / 1_000_000);
    };
    write(format!("tenant-{users}.json"), &doc);
    write(format!("tenant-{users}.recollected.json"), &again);
    let mut heavy = again;
    for u in heavy["resources"]["users"].as_array_mut().expect("users") {
        if let Some(roles) = u["authorization"]["roles"].as_array_mut() {
            roles.push(serde_json::json!({"id": "42f2dc05-873f-4bd0-a608-0f174c96d8e2", "name": "Queue Supervisor"}));
        }
    }
    write(format!("tenant-{users}.heavy.json"), &heavy);
}
